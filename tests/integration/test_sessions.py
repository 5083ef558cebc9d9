"""Sessions through swiscsid against a real tgtd (and the fake target where a target must
misbehave): login and logout in iscsiadm's words and exit codes, -m session P0-P3 in its
formats, CHAP secrets kept out of logs and listings, nothing half-made after a failure."""
import os
import select
import subprocess
import time

import pytest

from conftest import SWISCSIADM
from faketarget import CHECK_CONDITION, FakeTarget, sense
from tgt import backing_file

T1 = "iqn.2026-12.test.sess:disk1"
T2 = "iqn.2026-12.test.sess:disk2"
INITIATOR = "iqn.2026-11.test.swiscsi:host"


def adm_run(adm, *args, timeout=60):
    return adm.run(*args, timeout=timeout)


@pytest.fixture
def target(tgtd, tmp_path):
    tgtd.target(1, T1, luns=[("rdwr", backing_file(tmp_path / "lun1", 8 << 20))])
    tgtd.target(2, T2)
    return tgtd


def discover(adm, portal):
    r = adm_run(adm, "-m", "discovery", "-t", "st", "-p", portal)
    assert r.rc == 0, r


def set_node(adm, target, *pairs):
    args = []
    for k, v in pairs:
        args += ["-n", k, "-v", v]
    r = adm_run(adm, "-m", "node", "-T", target, "-o", "update", *args)
    assert r.rc == 0, r


def what(target, portal, iface="default"):
    address, port = portal.rsplit(":", 1)
    return f"[iface: {iface}, target: {target}, portal: {address},{port}]"


def tgtd_sessions(tgtd, tid):
    """The initiators connected to target tid, as tgtd sees them."""
    out = tgtd.adm("--op", "show", "--mode", "target")
    block = out.split(f"Target {tid}:")[1].split("\nTarget ")[0]
    return [l.strip() for l in block.splitlines() if l.strip().startswith("Initiator:")]


def test_login_list_logout(adm, target, swiscsid):
    discover(adm, target.portal)
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-T", T1, "-l")
    assert r.rc == 0, r
    assert r.out == (f"Logging in to {what(T1, target.portal)}\n"
                     f"Login to {what(T1, target.portal)} successful.\n"), r
    assert len(tgtd_sessions(target, 1)) == 1
    r = adm_run(adm, "-m", "session")
    assert (r.rc, r.out) == (0, f"tcp: [1] {target.portal},1 {T1} (non-flash)\n"), r
    port = target.portal.rsplit(":", 1)[1]
    r = adm_run(adm, "-m", "node", "-T", T1, "-u")
    assert r.rc == 0, r
    assert r.out == (f"Logging out of session [sid: 1, target: {T1}, portal: 127.0.0.1,{port}]\n"
                     f"Logout of [sid: 1, target: {T1}, portal: 127.0.0.1,{port}] successful.\n")
    assert tgtd_sessions(target, 1) == []
    r = adm_run(adm, "-m", "session")
    assert (r.rc, r.out, r.err) == (21, "", "swiscsiadm: No active sessions.\n"), r
    r = adm_run(adm, "-m", "node", "-u")
    assert (r.rc, r.err) == (21, "swiscsiadm: No matching sessions found\n"), r


def test_login_refused_for_an_existing_session(adm, target, swiscsid):
    discover(adm, target.portal)
    swiscsid.start()
    assert adm_run(adm, "-m", "node", "-T", T1, "-l").rc == 0
    r = adm_run(adm, "-m", "node", "-T", T1, "-l")
    assert r.rc == 15, r
    assert "default: 1 session requested, but 1 already present." in r.err
    assert len(tgtd_sessions(target, 1)) == 1
    # -l without selectors logs in the other record only, and still reports the existing one
    r = adm_run(adm, "-m", "node", "-l")
    assert r.rc == 15, r
    assert r.out == (f"Logging in to {what(T2, target.portal)}\n"
                     f"Login to {what(T2, target.portal)} successful.\n"), r
    r = adm_run(adm, "-m", "session")
    assert r.out.splitlines() == [f"tcp: [1] {target.portal},1 {T1} (non-flash)",
                                  f"tcp: [2] {target.portal},1 {T2} (non-flash)"], r


def test_no_matching_record(adm, target, swiscsid):
    discover(adm, target.portal)
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-T", "iqn.2026-12.test.sess:none", "-l")
    assert (r.rc, r.err) == (21, "swiscsiadm: No records found\n"), r


def test_unreachable_portal(adm, swiscsid, tmp_path):
    import socket
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = adm_run(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"127.0.0.1:{port},1")
    assert r.rc == 0, r
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-l")
    assert r.rc == 4, r
    assert r.out == f"Logging in to {what(T1, f'127.0.0.1:{port}')}\n"
    err = r.err.splitlines()
    assert f"swiscsiadm: Could not login to {what(T1, f'127.0.0.1:{port}')}." in err
    assert "swiscsiadm: initiator reported error (4 - encountered connection failure)" in err
    assert err[-1] == "swiscsiadm: Could not log into all portals"
    assert adm_run(adm, "-m", "session").rc == 21


def login_times_out(adm, swiscsid, portal):
    """A record for portal with a 2 s login timeout: its login fails as iscsiadm's 8."""
    r = adm_run(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"{portal},1")
    assert r.rc == 0, r
    set_node(adm, T1, ("node.conn[0].timeo.login_timeout", "2"))
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-l")
    assert r.rc == 8, r
    assert "initiator reported error (8 - connection timed out)" in r.err
    assert adm_run(adm, "-m", "session").rc == 21


def test_connect_timeout_is_8(adm, swiscsid):
    import socket
    # a listener whose accept queue is full drops further SYNs: the connect never completes
    with socket.socket() as lsn, socket.socket() as filler:
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(0)
        filler.connect(lsn.getsockname())
        port = lsn.getsockname()[1]
        login_times_out(adm, swiscsid, f"127.0.0.1:{port}")


def test_login_timeout_is_8(adm, swiscsid):
    with FakeTarget(iqn=T1) as t:
        t.on_login = lambda conn, req, keys: True   # never answers
        login_times_out(adm, swiscsid, t.portal)


def chap_record(adm, tgtd, password, user_in=None, password_in=None):
    discover(adm, tgtd.portal)
    pairs = [("node.session.auth.authmethod", "CHAP"), ("node.session.auth.username", "alice"),
             ("node.session.auth.password", password)]
    if user_in:
        pairs += [("node.session.auth.username_in", user_in),
                  ("node.session.auth.password_in", password_in)]
    set_node(adm, T1, *pairs)


def test_bad_chap_is_24_and_leaves_nothing(adm, target, swiscsid):
    target.chap(1, "alice", "alicesecret12")
    chap_record(adm, target, "wrongsecret12")
    swiscsid.forbidden = ["wrongsecret12", "alicesecret12"]
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-T", T1, "-l")
    assert r.rc == 24, r
    assert ("initiator reported error (24 - iSCSI login failed due to authorization failure)"
            in r.err)
    assert "wrongsecret12" not in r.err + r.out
    assert adm_run(adm, "-m", "session").rc == 21
    assert tgtd_sessions(target, 1) == []
    assert swiscsid.terminate() == 0


def test_mutual_chap_and_secrets_only_with_S(adm, target, swiscsid):
    target.chap(1, "alice", "alicesecret12")
    target.chap(1, "disk", "disksecret123", outgoing=True)
    chap_record(adm, target, "alicesecret12", "disk", "disksecret123")
    swiscsid.forbidden = ["alicesecret12", "disksecret123"]
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-T", T1, "-l")
    assert r.rc == 0, r
    masked = adm_run(adm, "-m", "session", "-P", "2")
    assert masked.rc == 0, masked
    assert "alicesecret12" not in masked.out and "disksecret123" not in masked.out
    chap = masked.out.split("\t\tCHAP:\n\t\t*****\n")[1].splitlines()[:4]
    assert chap == ["\t\tusername: alice", "\t\tpassword: ********",
                    "\t\tusername_in: disk", "\t\tpassword_in: ********"], masked
    shown = adm_run(adm, "-m", "session", "-P", "2", "-S")
    chap = shown.out.split("\t\tCHAP:\n\t\t*****\n")[1].splitlines()[:4]
    assert chap == ["\t\tusername: alice", "\t\tpassword: alicesecret12",
                    "\t\tusername_in: disk", "\t\tpassword_in: disksecret123"], shown
    # the daemon's command line carries no secret either
    cmdline = open(f"/proc/{swiscsid.pid}/cmdline", "rb").read()
    assert b"secret" not in cmdline
    assert swiscsid.terminate() == 0


def expected_tree(portal, level, sid=1, target=T1, local="127.0.0.1", dev="lo",
                  hw="00:00:00:00:00:00", devices=()):
    lines = []
    if level == 3:
        lines += ["iSCSI Transport Class version swiscsi-0.1.0", "version 0.1.0"]
    lines += [f"Target: {target} (non-flash)",
              f"\tCurrent Portal: {portal},1", f"\tPersistent Portal: {portal},1",
              "\t\t**********", "\t\tInterface:", "\t\t**********",
              "\t\tIface Name: default", "\t\tIface Transport: tcp",
              f"\t\tIface Initiatorname: {INITIATOR}", f"\t\tIface IPaddress: {local}",
              f"\t\tIface HWaddress: {hw}", f"\t\tIface Netdev: {dev}", f"\t\tSID: {sid}",
              "\t\tiSCSI Connection State: LOGGED IN", "\t\tiSCSI Session State: LOGGED_IN",
              "\t\tInternal iscsid Session State: NO CHANGE"]
    if level >= 2:
        lines += ["\t\t*********", "\t\tTimeouts:", "\t\t*********",
                  "\t\tRecovery Timeout: 120", "\t\tTarget Reset Timeout: 30",
                  "\t\tLUN Reset Timeout: 30", "\t\tAbort Timeout: 15",
                  "\t\t*****", "\t\tCHAP:", "\t\t*****",
                  "\t\tusername: <empty>", "\t\tpassword: ********",
                  "\t\tusername_in: <empty>", "\t\tpassword_in: ********",
                  "\t\t************************", "\t\tNegotiated iSCSI params:",
                  "\t\t************************",
                  "\t\tHeaderDigest: CRC32C", "\t\tDataDigest: None",
                  "\t\tMaxRecvDataSegmentLength: 131072", "\t\tMaxXmitDataSegmentLength: 8192",
                  "\t\tFirstBurstLength: 65536", "\t\tMaxBurstLength: 262144",
                  "\t\tImmediateData: Yes", "\t\tInitialR2T: Yes", "\t\tMaxOutstandingR2T: 1"]
    if level == 3:
        lines += ["\t\t************************", "\t\tAttached SCSI devices:",
                  "\t\t************************", f"\t\tHost Number: {sid}\tState: running"]
        for lun, loop, path, mpath, mpath_loop in devices:
            lines += [f"\t\tscsi{sid} Channel 00 Id 0 Lun: {lun}",
                      f"\t\t\tAttached scsi disk {loop}\t\tState: running",
                      f"\t\t\tLUN file: {path}",
                      f"\t\t\tMultipath map: {mpath}\tPath: active ready running",
                      f"\t\t\tMultipath disk: {mpath_loop}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("level", [1, 2, 3])
def test_session_tree_formats(adm, target, swiscsid, level):
    target.adm("--op", "update", "--mode", "target", "--tid", "1", "--name", "HeaderDigest",
               "--value", "CRC32C,None")
    discover(adm, target.portal)
    # what the record asks for is what the login offers
    set_node(adm, T1, ("node.conn[0].iscsi.HeaderDigest", "CRC32C"),
             ("node.conn[0].iscsi.MaxRecvDataSegmentLength", "131072"))
    swiscsid.start()
    assert adm_run(adm, "-m", "node", "-T", T1, "-l").rc == 0
    r = adm_run(adm, "-m", "session", "-P", str(level))
    assert r.rc == 0, r
    # tgtd's LUN 1 (LUN 0 is its controller, no disk): its file and the loop device over it
    path = (f"{swiscsid.rundir}/disks/by-iface/default/"
            f"ip-{target.portal.replace(',', ':')}-iscsi-{T1}-lun-1")

    def loop_over(path):
        loop = subprocess.run(["losetup", "-n", "-O", "NAME", "-j", path], capture_output=True,
                              text=True, check=True).stdout.strip().removeprefix("/dev/")
        assert loop.startswith("loop"), loop
        return loop
    # a LUN with one path is a map too; tgtd's NAA 6 designator names tid 1, LUN 1; the map's
    # by-id file has a loop device of its own
    mpath = "wwn-0x60000000000000000e00000000010001"
    loops = loop_over(path), loop_over(f"{swiscsid.rundir}/disks/by-id/{mpath}")
    expected = expected_tree(target.portal, level, devices=[(1, loops[0], path, mpath, loops[1])])
    assert r.out == expected, r.out
    r = adm_run(adm, "-m", "session", "-r", "1", "-P", str(level))
    assert r.out == expected, r.out


def test_session_tree_same_target_two_portals(adm, target, swiscsid):
    """A second session of the same target prints no Target line; one of the same portal
    replaces the portal lines by an empty line (iscsiadm's tree)."""
    discover(adm, target.portal)
    r = adm_run(adm, "-m", "iface", "-I", "second", "-o", "new")
    assert r.rc == 0, r
    r = adm_run(adm, "-m", "discovery", "-t", "st", "-p", target.portal, "-I", "second")
    assert r.rc == 0, r
    swiscsid.start()
    assert adm_run(adm, "-m", "node", "-T", T1, "-I", "default", "-l").rc == 0
    r = adm_run(adm, "-m", "node", "-T", T1, "-I", "second", "-l")
    assert r.rc == 0, r
    assert r.out.startswith(f"Logging in to {what(T1, target.portal, 'second')}\n")
    out = adm_run(adm, "-m", "session", "-P", "1").out.splitlines()
    assert out.count(f"Target: {T1} (non-flash)") == 1
    at = out.index("\t\tIface Name: second")
    assert out[at - 4] == ""
    assert adm_run(adm, "-m", "node", "-T", T1, "-I", "second", "-u").rc == 0
    r = adm_run(adm, "-m", "session")
    assert r.out == f"tcp: [1] {target.portal},1 {T1} (non-flash)\n", r


def test_session_by_sid_and_logout_by_sid(adm, target, swiscsid):
    discover(adm, target.portal)
    swiscsid.start()
    assert adm_run(adm, "-m", "node", "-l").rc == 0
    r = adm_run(adm, "-m", "session", "-r", "2")
    assert r.out == f"tcp: [2] {target.portal},1 {T2} (non-flash)\n", r
    r = adm_run(adm, "-m", "session", "-r", "9")
    assert (r.rc, r.err) == (22, "swiscsiadm: Could not get session info for sid 9\n"), r
    r = adm_run(adm, "-m", "session", "-r", "2", "-u")
    assert r.rc == 0, r
    assert r.out.endswith("successful.\n") and "[sid: 2," in r.out
    r = adm_run(adm, "-m", "session", "-P", "4")
    assert (r.rc, r.err) == (7, "swiscsiadm: Invalid info level 4. Try 0 - 3.\n"), r
    r = adm_run(adm, "-m", "session", "-s")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith(f"Stats for session [sid: 1, target: {T1}, portal: 127.0.0.1,")
    stats = dict(l.strip().split(": ") for l in lines[1:] if l.startswith("\t"))
    # the login's PDUs and its key=value text both ways, then the commands that found its LUN
    # files (REPORT LUNS, INQUIRY, READ CAPACITY at least)
    assert int(stats["tx_pdus"]) >= 1 and int(stats["rx_pdus"]) >= 1, r.out
    assert int(stats["txdata_octets"]) > 100 and int(stats["rxdata_octets"]) > 100, r.out
    assert int(stats["scsicmd_pdus"]) >= 3 and stats["digest_err"] == "0", r.out
    # -u without -r logs out every session, as iscsiadm's does; then there is none to log out
    r = adm_run(adm, "-m", "session", "-u")
    assert r.rc == 0, r
    assert r.out.startswith(f"Logging out of session [sid: 1, target: {T1}, portal: "), r
    assert r.out.endswith("successful.\n") and r.out.count("successful.") == 1, r
    r = adm_run(adm, "-m", "session", "-u")
    assert (r.rc, r.out, r.err) == (21, "", "swiscsiadm: No matching sessions found\n"), r


def test_loginall_and_logoutall_by_startup(adm, target, swiscsid):
    discover(adm, target.portal)
    swiscsid.start()
    set_node(adm, T2, ("node.startup", "automatic"))   # after the start: no automatic login
    r = adm_run(adm, "-m", "node", "--loginall=bogus")
    assert (r.rc, r.err.splitlines()[0]) == (7, "swiscsiadm: Invalid loginall option bogus."), r
    r = adm_run(adm, "-m", "node", "--loginall=automatic")
    assert r.rc == 0, r
    assert r.out.splitlines()[0] == f"Logging in to {what(T2, target.portal)}"
    assert adm_run(adm, "-m", "node", "-L", "manual").rc == 0
    assert len(adm_run(adm, "-m", "session").out.splitlines()) == 2
    r = adm_run(adm, "-m", "node", "--logoutall=onboot")
    assert (r.rc, r.err.splitlines()[0]) == (7, "swiscsiadm: Invalid logoutall option onboot."), r
    r = adm_run(adm, "-m", "node", "-U", "manual")
    assert r.rc == 0, r
    assert f"target: {T1}," in r.out and T2 not in r.out
    r = adm_run(adm, "-m", "node", "-U", "manual")
    assert r.rc == 21, r
    assert adm_run(adm, "-m", "node", "-U", "all").rc == 0
    assert adm_run(adm, "-m", "session").rc == 21


def test_iser_iface_is_refused(adm, target, swiscsid):
    r = adm_run(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"{target.portal},1",
                "-I", "iser")
    assert r.rc == 0, r
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-l")
    assert r.rc == 12, r
    assert "iface iser uses the iser transport" in r.err
    assert adm_run(adm, "-m", "session").rc == 21


def test_iface_initiatorname_wins(adm, target, swiscsid):
    r = adm_run(adm, "-m", "iface", "-I", "named", "-o", "new",
                "-n", "iface.initiatorname", "-v", "iqn.2026-12.test:other-name")
    assert r.rc == 0, r
    r = adm_run(adm, "-m", "discovery", "-t", "st", "-p", target.portal, "-I", "named")
    assert r.rc == 0, r
    swiscsid.start()
    assert adm_run(adm, "-m", "node", "-T", T1, "-l").rc == 0
    assert tgtd_sessions(target, 1) == ["Initiator: iqn.2026-12.test:other-name alias: none"]
    r = adm_run(adm, "-m", "session", "-P", "1")
    assert "\t\tIface Initiatorname: iqn.2026-12.test:other-name\n" in r.out


def test_isid_is_stable_across_logins(adm, swiscsid):
    seen = []
    with FakeTarget(iqn=T1) as t:
        t.on_full_feature = lambda conn: seen.append(bytes(conn.isid))
        assert adm_run(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"{t.portal},1").rc == 0
        swiscsid.start()
        for _ in range(2):
            assert adm_run(adm, "-m", "node", "-l").rc == 0
            assert adm_run(adm, "-m", "node", "-u").rc == 0
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0][0] == 0x80, seen


def test_a_login_whose_luns_cannot_be_attached_fails_and_logs_out(adm, swiscsid):
    """The login answers once the LUN files exist; when they cannot be made (here INQUIRY
    fails with a hardware error) the login fails with 5 and the session logs out again."""
    with FakeTarget(iqn=T1) as t:
        t.on_command = lambda conn, task: task.op == 0x12 and (
            conn.respond(task, CHECK_CONDITION, sense(0x04, 0x44, 0x00)) or True)
        assert adm_run(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"{t.portal},1").rc == 0
        swiscsid.start()
        r = adm_run(adm, "-m", "node", "-l")
        assert r.rc == 5, r
        assert "INQUIRY" in r.err, r
        assert t.logouts == [0]   # logged out (close the session) before the reply
        assert adm_run(adm, "-m", "session").rc == 21
        assert list((swiscsid.rundir / "disks" / "by-iface").iterdir()) == []
    assert "could not be attached" in swiscsid.text()


def test_no_daemon_and_no_way_to_start_one(adm, target, tmp_path):
    discover(adm, target.portal)
    (adm.root / "iscsid.conf").write_text("iscsid.startup = /bin/false\n")
    r = adm_run(adm, "-m", "node", "-l")
    assert r.rc == 20, r
    assert "swiscsiadm: can not connect to iSCSI daemon (" in r.err
    assert "initiator reported error (20 - could not connect to iscsid)" in r.err
    assert "starting it with '/bin/false'" in r.err


def test_cli_starts_the_daemon_beside_it(adm, target, request):
    discover(adm, target.portal)

    def kill_daemon():
        pidfile = adm.rundir / "swiscsid.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            # not our child (it daemonised): wait for its exit through a pidfd, bounded
            fd = os.pidfd_open(pid)
            os.kill(pid, 15)
            select.select([fd], [], [], 10)
            os.close(fd)
    request.addfinalizer(kill_daemon)
    r = adm_run(adm, "-m", "node", "-T", T1, "-l")
    assert r.rc == 0, r
    assert "swiscsid is not running; starting " in r.err
    assert r.out.endswith("successful.\n")
    assert (adm.rundir / "swiscsid.pid").exists()
    assert oct((adm.rundir / "swiscsid.sock").stat().st_mode & 0o777) == "0o600"
    assert oct(adm.rundir.stat().st_mode & 0o777) == "0o700"


def test_ipv6_portal(adm, swiscsid):
    """An IPv6 portal: bracketed in the listing and in -P 1's address, bare in the login
    lines, as iscsiadm prints them."""
    with FakeTarget(iqn=T1, host="::1") as t:
        r = adm_run(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"{t.portal},1")
        assert r.rc == 0, r
        swiscsid.start()
        r = adm_run(adm, "-m", "node", "-l")
        assert r.rc == 0, r
        assert r.out.splitlines()[0] == f"Logging in to [iface: default, target: {T1}, portal: ::1,{t.port}]"
        r = adm_run(adm, "-m", "session")
        assert r.out == f"tcp: [1] [::1]:{t.port},1 {T1} (non-flash)\n", r
        out = adm_run(adm, "-m", "session", "-P", "1").out
        assert f"\tPersistent Portal: [::1]:{t.port},1\n" in out
        assert "\t\tIface IPaddress: [::1]\n\t\tIface HWaddress: 00:00:00:00:00:00\n\t\tIface Netdev: lo\n" in out, out
        r = adm_run(adm, "-m", "node", "-u")
        assert r.out.splitlines()[0] == f"Logging out of session [sid: 1, target: {T1}, portal: ::1,{t.port}]"
        assert not t.errors, t.errors


def noted(seen, n):
    """The fake target notes a login's ISID right after it sent the final Login Response, so
    swiscsiadm may report the login before the note is taken: wait for n notes, bounded."""
    deadline = time.monotonic() + 10
    while len(seen) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(seen) >= n, seen


def test_nr_sessions(adm, swiscsid):
    """node.session.nr_sessions = 2: two sessions of one record, each with its own ISID; a
    third is refused in iscsiadm's words; one logged out comes back with the ISID it had."""
    seen = []
    with FakeTarget(iqn=T1) as t:
        t.on_full_feature = lambda conn: seen.append(bytes(conn.isid))
        assert adm_run(adm, "-m", "node", "-o", "new", "-T", T1, "-p", f"{t.portal},1").rc == 0
        set_node(adm, T1, ("node.session.nr_sessions", "2"))
        swiscsid.start()
        r = adm_run(adm, "-m", "node", "-l")
        assert r.rc == 0, r
        assert r.out.count("Logging in to") == 2 and r.out.count("successful.") == 2, r
        noted(seen, 2)
        assert len(set(seen)) == 2 and seen[0][:5] == seen[1][:5], seen
        r = adm_run(adm, "-m", "node", "-l")
        assert (r.rc, r.err) == (15, "swiscsiadm: default: 2 sessions requested, but 2 already present.\n"), r
        assert adm_run(adm, "-m", "session", "-r", "1", "-u").rc == 0
        r = adm_run(adm, "-m", "node", "-l")
        assert r.rc == 0 and r.out.count("Logging in to") == 1, r
        noted(seen, 3)
        assert seen[2] == seen[0], seen
        assert adm_run(adm, "-m", "session").out.splitlines() == [
            f"tcp: [2] {t.portal},1 {T1} (non-flash)", f"tcp: [3] {t.portal},1 {T1} (non-flash)"]
        r = adm_run(adm, "-m", "node", "-u")
        assert r.rc == 0 and r.out.count("successful.") == 2, r
        assert not t.errors, t.errors


def test_no_wait(adm, target, swiscsid):
    discover(adm, target.portal)
    swiscsid.start()
    r = adm_run(adm, "-m", "node", "-T", T1, "-l", "-W")
    assert (r.rc, r.out) == (0, f"Logging in to {what(T1, target.portal)}\n"), r
    swiscsid.wait_log(f"session 1 logged in to {T1}")
    r = adm_run(adm, "-m", "session")
    assert r.out == f"tcp: [1] {target.portal},1 {T1} (non-flash)\n", r


def test_node_rescan_and_stats_act_on_the_records_sessions(adm, swiscsid):
    """-m node -T T -p P -R and -s, as iscsiadm: the sessions of the records selected (REPORT
    LUNS goes to that target only), every session without selectors, and "No session found."
    (21) only when no session matches: another target's record, or none logged in."""
    report_luns = 0xA0
    with FakeTarget(iqn=T1) as a, FakeTarget(iqn=T2) as b:
        (adm.root / "swiscsid.conf").write_text("[global]\nloop_devices = no\n")
        for t in (a, b):
            assert adm_run(adm, "-m", "node", "-o", "new", "-T", t.iqn, "-p", f"{t.portal},1").rc == 0
        swiscsid.start()
        r = adm_run(adm, "-m", "node", "-T", T1, "-p", a.portal, "-R")
        assert (r.rc, r.err) == (21, "swiscsiadm: No session found.\n"), r   # none logged in
        assert adm_run(adm, "-m", "node", "-l").rc == 0
        # "tcp: [SID] PORTAL,TPGT TARGET (non-flash)"
        sid = {line.split()[3]: line.split()[1].strip("[]")
               for line in adm_run(adm, "-m", "session").out.splitlines()}
        reports = [sum(c[0] == report_luns for c in t.commands) for t in (a, b)]

        r = adm_run(adm, "-m", "node", "-T", T1, "-p", a.portal, "-R")
        assert r.rc == 0, r
        assert r.out == f"Rescanning session [sid: {sid[T1]}, target: {T1}, portal: {a.portal.replace(':', ',')}]\n", r
        assert [sum(c[0] == report_luns for c in t.commands) for t in (a, b)] == [reports[0] + 1, reports[1]]

        r = adm_run(adm, "-m", "node", "-T", T2, "-s")
        assert r.rc == 0, r
        assert r.out.startswith(f"Stats for session [sid: {sid[T2]}, target: {T2}, "
                                f"portal: {b.portal.replace(':', ',')}]\n"), r
        assert r.out.count("Stats for session") == 1 and "\tscsicmd_pdus: " in r.out, r

        r = adm_run(adm, "-m", "node", "-R")   # no selector: every session
        assert r.rc == 0 and r.out.count("Rescanning session") == 2, r
        assert adm_run(adm, "-m", "node", "-s").out.count("Stats for session") == 2

        for extra in (("-T", "iqn.2026-12.test.sess:none", "-R"), ("-T", T1, "-p", b.portal, "-s")):
            r = adm_run(adm, "-m", "node", *extra)
            assert (r.rc, r.out, r.err) == (21, "", "swiscsiadm: No session found.\n"), (extra, r)
        assert adm_run(adm, "-m", "node", "-u").rc == 0
        r = adm_run(adm, "-m", "node", "-T", T2, "-s")
        assert (r.rc, r.err) == (21, "swiscsiadm: No session found.\n"), r
        assert not a.errors and not b.errors, (a.errors, b.errors)
