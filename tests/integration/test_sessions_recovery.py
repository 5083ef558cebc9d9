"""swiscsid's sessions survive (issue #13) against the fake target: a dropped connection is
logged, shown by -m session -P 1 in iscsiadm's states while it is being recovered, counted by
-m session -s, and reinstated with the same ISID and TSIH 0; a daemon killed and started again
reinstates its old session instead of leaving a second one on the target; a logout the
target asks for in the middle of a write through a LUN file is a pause, not an error."""
import os
import signal
import time

from faketarget import F_FINAL, OP_ASYNC, RESERVED
from sessiond import Daemon

T1 = "iqn.2026-12.test.recover:disk1"


def adm_ok(adm, *args):
    r = adm.run(*args, timeout=60)
    assert r.rc == 0, r
    return r


def new_node(adm, t, *pairs):
    adm_ok(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"{t.portal},1")
    args = []
    for k, v in pairs:
        args += ["-n", k, "-v", v]
    if args:
        adm_ok(adm, "-m", "node", "-T", T1, "-o", "update", *args)


def logins(t):
    """(connection number, ISID, TSIH) of each normal-session login the target saw."""
    return [(no, isid, tsih) for kind, no, *rest in list(t.wire) if kind == "login"
            for isid, tsih in [rest]]


def states(adm):
    out = adm_ok(adm, "-m", "session", "-P", "1").out
    pick = ("iSCSI Connection State: ", "iSCSI Session State: ", "Internal iscsid Session State: ")
    return tuple(line.split(": ", 1)[1] for line in out.splitlines()
                 for p in pick if line.strip().startswith(p))


def stats(adm):
    out = adm_ok(adm, "-m", "session", "-s").out
    return dict(l.strip().split(": ", 1) for l in out.splitlines() if l.startswith("\t"))


def wait_for(what, check, seconds=20):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} not within {seconds} s"
        time.sleep(0.05)


def test_lost_connection_is_shown_counted_and_reinstated(adm, fake, swiscsid):
    t = fake(iqn=T1)
    refuse = [False]

    def on_login(conn, req, keys):
        if refuse[0]:
            conn.drop()   # the target is "down": every reconnect attempt fails
            return True
        return False
    t.on_login = on_login
    new_node(adm, t, ("node.session.timeo.replacement_timeout", "3"))
    swiscsid.start()
    adm_ok(adm, "-m", "node", "-T", T1, "-l")
    assert states(adm) == ("LOGGED IN", "LOGGED_IN", "NO CHANGE")
    wait_for("the first connection", lambda: t._conns and t._conns[0].full)
    refuse[0] = True
    t._conns[0].drop()
    swiscsid.wait_log("FAILED/TRANSPORT WAIT: connection lost")
    # failed, and the daemon keeps reconnecting: between attempts or in one
    conn_state, sess_state, internal = states(adm)
    assert conn_state in ("TRANSPORT WAIT", "IN LOGIN") and (sess_state, internal) == ("FAILED", "REOPEN")
    swiscsid.wait_log("not recovered within the replacement timeout (3000 ms)")
    assert adm_ok(adm, "-m", "session").out == f"tcp: [1] {t.portal},1 {T1} (non-flash)\n"
    assert states(adm)[1:] == ("FAILED", "REOPEN")
    refuse[0] = False
    swiscsid.wait_log("LOGGED_IN/LOGGED IN: session reinstated")
    assert states(adm) == ("LOGGED IN", "LOGGED_IN", "NO CHANGE")
    s = stats(adm)
    assert (s["connection_losses"], s["session_reinstatements"], s["replacement_timeouts"]) == ("1", "1", "1"), s
    seen = logins(t)
    assert int(s["reconnect_attempts"]) == len(seen) - 1 >= 2, (s, seen)
    assert all(isid == seen[0][1] and tsih == 0 for _, isid, tsih in seen), seen
    assert "reconnecting to" in swiscsid.text()
    adm_ok(adm, "-m", "node", "-T", T1, "-u")
    assert not t.errors, t.errors


def test_restarted_daemon_reinstates_its_session(adm, fake, request):
    """SIGKILL: no logout, the target is left with a session it may still hold; the next
    daemon logs the automatic record in with the same ISID and TSIH 0, so a target that holds
    it reinstates it (RFC 7143 §6.3.5) rather than keeping a second one."""
    t = fake(iqn=T1)
    new_node(adm, t, ("node.startup", "automatic"))
    first = Daemon(adm)
    request.addfinalizer(first.stop)
    first.start()
    first.wait_log(f"automatic login of {T1}")
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(timeout=10)
    second = Daemon(adm)
    request.addfinalizer(second.stop)
    second.start()
    second.wait_log(f"automatic login of {T1}")
    assert "session 1" in second.text() and "failed" not in second.text()
    seen = logins(t)
    assert [(no, tsih) for no, _, tsih in seen] == [(1, 0), (2, 0)], seen
    assert seen[0][1] == seen[1][1] and seen[0][1][0] == 0x80, seen
    assert adm_ok(adm, "-m", "session").out == f"tcp: [1] {t.portal},1 {T1} (non-flash)\n"
    assert second.terminate() == 0, second.text()
    assert not t.errors, t.errors


def async_logout_request(conn, seconds):
    """Async Message event 1: the target asks for a logout within Parameter3 seconds."""
    conn.send(OP_ASYNC, flags=F_FINAL, itt=RESERVED, w20=RESERVED, **conn.sn_fields(),
              w36=1 << 24, w40=seconds & 0xFFFF)


def test_target_logout_request_mid_write_is_a_pause(adm, fake, swiscsid):
    """4 MiB written through the LUN file while the target asks for a logout at its third
    WRITE: the write succeeds, every byte is on the LUN, the session logged out and in again
    with the same ISID and TSIH 0, and -s counts the request."""
    t = fake(iqn=T1, blocks=16384)
    sent = []

    def on_command(conn, task):
        writes = [c for c in t.commands if c[0] in (0x2A, 0x8A)]
        if conn.no == 1 and not sent and len(writes) == 3:
            sent.append(1)
            async_logout_request(conn, 4)
        return False
    t.on_command = on_command
    (adm.root / "swiscsid.conf").write_text("[global]\nloop_devices = no\n")
    new_node(adm, t)
    swiscsid.start()
    adm_ok(adm, "-m", "node", "-T", T1, "-l")
    files = list((adm.rundir / "disks" / "by-path").glob(f"ip-*-iscsi-{T1}-lun-0"))
    assert len(files) == 1, files
    data = os.urandom(4 << 20)
    with open(files[0], "r+b") as f:
        for at in range(0, len(data), 256 << 10):   # many WRITEs, not one
            f.write(data[at:at + (256 << 10)])
        os.fsync(f.fileno())
    assert bytes(t.lun[:len(data)]) == data
    assert sent and t.logouts[:1] == [0], t.logouts
    seen = logins(t)
    assert [(no, tsih) for no, _, tsih in seen] == [(1, 0), (2, 0)], seen
    assert seen[0][1] == seen[1][1], seen
    swiscsid.wait_log("the target asked for a logout within 4 s")
    s = stats(adm)
    assert (s["target_logout_requests"], s["connection_losses"]) == ("1", "0"), s
    adm_ok(adm, "-m", "node", "-T", T1, "-u")
    assert not t.errors, t.errors
