"""ERL 0 session recovery (issue #13) against the fake target: a lost connection holds the
commands, the library reconnects with the same ISID and TSIH 0 (reinstatement) and re-issues
them in their original order; a target's logout request is a pause; BUSY, TASK SET FULL and
UNIT ATTENTION (power on) are retried. Every check is on the wire (the target's `wire` log) and
on the data (the LUN against the file). Each tool run is bounded by its timeout."""
import os
import struct
import time

import pytest

from conftest import tool
from faketarget import (CHECK_CONDITION, F_FINAL, OP_ASYNC, OP_NOP_OUT, OP_TMF_REQ, RESERVED,
                        sense)

INITIATOR = ("-i", "iqn.2026-11.test.swiscsi:recovery")
READS, WRITES = (0x28, 0x88), (0x2A, 0x8A)
BUSY, TASK_SET_FULL = 0x08, 0x28
# recovery on, with bounds short enough for a test; the keepalive stays at its 5 s default
RECOVER = {"SWISCSI_REPLACEMENT_TIMEOUT_MS": "20000", "SWISCSI_SCSI_RETRY_DELAY_MS": "50"}


@pytest.fixture
def target(fake):
    def make(mib=8, **kw):
        t = fake(blocks=mib * 2048, **kw)
        t.lun[:] = os.urandom(len(t.lun))
        return t
    return make


def run(name, *args, env=None, timeout=60):
    return tool(name, *INITIATOR, *args, env={**RECOVER, **(env or {})}, timeout=timeout)


def read_lun(t, tmp_path, env=None, timeout=60):
    dst = tmp_path / "read.bin"
    r = run("swiscsi-cp", t.url(), str(dst), env=env, timeout=timeout)
    return r, dst.read_bytes() if dst.exists() else b""


def write_lun(t, tmp_path, env=None, timeout=60):
    src = tmp_path / "write.bin"
    data = os.urandom(len(t.lun))
    src.write_bytes(data)
    r = run("swiscsi-cp", str(src), t.url(), env=env, timeout=timeout)
    return r, data


def lba(cdb):
    return struct.unpack(">I", cdb[2:6])[0] if cdb[0] in (0x28, 0x2A) else struct.unpack(">Q", cdb[2:10])[0]


def logins(t):
    return [(no, isid, tsih) for kind, no, *rest in t.wire if kind == "login"
            for isid, tsih in [rest]]


def cmds(t, conn, ops):
    return [lba(e[2]) for e in t.wire if e[0] == "cmd" and e[1] == conn and e[2][0] in ops]


def assert_reinstated(t, connections=2):
    """Every connection after the first logged in with the first one's ISID and TSIH 0."""
    seen = logins(t)
    assert len(seen) == connections, seen
    isid = seen[0][1]
    assert isid[0] == 0x80, "a random-type ISID"
    assert all(i == isid and tsih == 0 for _, i, tsih in seen), seen


def assert_resent_in_order(t, ops, lost, new=2):
    """The commands the first connection left unanswered (`lost`) are re-issued first on the new
    connection, in the order they were first issued. (Some the target did answer may be among
    them: a connection reset can discard answers the initiator had not read yet, and a command
    is held until its caller has its answer.) No command reached the new connection before its
    login reached full feature phase."""
    first = cmds(t, 1, ops)
    again = cmds(t, new, ops)
    resent = []
    for block in again:
        if block not in first or block in resent:
            break
        resent.append(block)
    assert lost and set(lost) <= set(resent), (lost, again[:len(lost) + 4])
    assert resent == [b for b in first if b in resent], ("issue order", first, resent)
    full = t.wire.index(("full", new))
    first_cmd = next(i for i, e in enumerate(t.wire) if e[0] == "cmd" and e[1] == new)
    assert full < first_cmd


def drop_on(t, ops, nth, answered):
    """A command hook: on the first connection the nth command of ops (counted from 1) and all
    after it go unanswered (their LBAs in `lost`), and the connection drops once one more
    arrives; later connections are served normally."""
    lost = []

    def hook(conn, task):
        if conn.no != 1 or task.op not in ops:
            return False
        answered.append(task.op)
        if len(answered) < nth:
            return False
        lost.append(lba(task.cdb))
        if len(lost) == 2:
            conn.drop()
        return True
    return hook, lost


def dropping(target, ops, nth):
    """A target whose first connection drops at the nth command of ops (drop_on)."""
    t = target()
    t.on_command, lost = drop_on(t, ops, nth, [])
    return t, lost


def test_connection_dropped_mid_read(target, tmp_path):
    t, lost = dropping(target, READS, 3)
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert_reinstated(t)
    assert_resent_in_order(t, READS, lost)


def test_connection_dropped_mid_write(target, tmp_path):
    t, lost = dropping(target, WRITES, 4)
    r, data = write_lun(t, tmp_path)
    assert r.rc == 0, r
    assert bytes(t.lun) == data, "every write is on the LUN"
    assert_reinstated(t)
    assert_resent_in_order(t, WRITES, lost)
    # nothing went to the old connection after it dropped
    drop_at = max(i for i, e in enumerate(t.wire) if e[0] == "cmd" and e[1] == 1)
    assert drop_at < t.wire.index(("login", 2, logins(t)[1][1], 0))


def async_message(conn, event, p2=0, p3=0):
    conn.send(OP_ASYNC, flags=F_FINAL, itt=RESERVED, w20=RESERVED, **conn.sn_fields(),
              w36=event << 24, w40=(p2 & 0xFFFF) << 16 | (p3 & 0xFFFF))


def async_on_command(t, event, nth=3, **params):
    sent = []

    def hook(conn, task):
        if conn.no == 1 and not sent and len([c for c in t.commands if c[0] in READS]) == nth:
            sent.append(1)
            async_message(conn, event, **params)
        return False
    return hook


@pytest.mark.parametrize("event", [1, 4], ids=["logout-requested", "renegotiate"])
def test_async_logout_request_is_a_pause(target, tmp_path, event):
    """Event 1 (and 4): no new commands, the ones in flight finish, a Logout within
    Parameter3 seconds, a new login with the same ISID: the copy succeeds. (32 reads, 8 at a
    time: most wait while the session logs out and in.)"""
    t = target(mib=32)
    t.on_command = async_on_command(t, event, p3=4)
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert t.logouts == [0, 0], "the requested logout (close the session), then cp's own"
    assert_reinstated(t)
    # the first connection saw no command after the request, and none was lost
    assert cmds(t, 1, READS) + cmds(t, 2, READS) == list(range(0, len(t.lun) // 512, 2048))


@pytest.mark.parametrize("event", [2, 3], ids=["drop-connection", "drop-session"])
def test_async_drop_recovers(target, tmp_path, event):
    t = target()
    t.on_command = async_on_command(t, event, p2=0, p3=0)
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert t.logouts == [0], "no logout for a dropped connection: only cp's own at the end"
    assert_reinstated(t)


def test_nop_in_silence(target, tmp_path):
    """The first connection goes silent after two reads: the keepalive (200 ms of silence, then
    200 ms for the answer) declares it lost, well before the 30 s command timeout."""
    t = target()

    def silent(conn, p):
        return conn.no == 1 and len(cmds(t, 1, READS)) >= 2
    t.on_pdu = silent
    r, back = read_lun(t, tmp_path, env={"SWISCSI_TIMEOUT_MS": "30000",
                                         "SWISCSI_NOOP_INTERVAL_MS": "200",
                                         "SWISCSI_NOOP_TIMEOUT_MS": "200"})
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert ("nop", 1) in t.wire, "a keepalive went out on the silent connection"
    assert t.wire.index(("nop", 1)) < t.wire.index(("full", 2))
    assert not [e for e in t.wire if e[0] == "tmf"], "the keepalive, not a command timeout"
    assert_reinstated(t)


def test_stalled_command_abort_reset_then_recovery(target, tmp_path):
    """One READ is never answered, nor its ABORT TASK, nor the LUN RESET: the session recovers
    and the READ, re-issued on the new connection, completes."""
    t = target()
    stalled = []

    def stall(conn, task):
        if conn.no == 1 and task.op in READS and not stalled:
            stalled.append(lba(task.cdb))
            return True
        return False

    def no_tmf(conn, p):
        return conn.no == 1 and p.opcode == OP_TMF_REQ
    t.on_command, t.on_pdu = stall, no_tmf
    r, back = read_lun(t, tmp_path, env={"SWISCSI_TIMEOUT_MS": "1000"})
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert [e[2] for e in t.wire if e[0] == "tmf"] == [1, 5], "ABORT TASK, then LUN RESET"
    assert_reinstated(t)
    assert cmds(t, 2, READS)[0] == stalled[0]


def status_storm(t, status, times, sense_data=b""):
    """The first `times` READs of LBA 0 are answered with status (and sense data)."""
    hits = []

    def hook(conn, task):
        if task.op in READS and lba(task.cdb) == 0 and len(hits) < times:
            hits.append(1)
            conn.respond(task, status, sense_data)
            return True
        return False
    return hook, hits


@pytest.mark.parametrize("status", [BUSY, TASK_SET_FULL], ids=["busy", "task-set-full"])
def test_transient_status_is_retried(target, tmp_path, status):
    t = target(mib=2)
    t.on_command, hits = status_storm(t, status, 3)
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert len(hits) == 3 and cmds(t, 1, READS).count(0) == 4, "three refusals, then served"


@pytest.mark.parametrize("status", [BUSY, TASK_SET_FULL], ids=["busy", "task-set-full"])
def test_transient_status_storm_ends(target, tmp_path, status):
    """A target that never stops: 8 retries (the tools' default), then the status is the
    caller's."""
    t = target(mib=2)
    t.on_command, hits = status_storm(t, status, 1000)
    r, _ = read_lun(t, tmp_path)
    assert r.rc != 0, r
    assert ("BUSY" if status == BUSY else "TASK SET FULL") in r.err, r
    assert cmds(t, 1, READS).count(0) == 9, "the first try and 8 retries"
    assert len(logins(t)) == 1, "a status is no reason to reconnect"


def test_unit_attention_power_on_is_retried(target, tmp_path):
    t = target(mib=2)
    t.on_command, hits = status_storm(t, CHECK_CONDITION, 1, sense(0x06, 0x29, 0x00))
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert cmds(t, 1, READS).count(0) == 2


def test_unit_attention_luns_changed_reaches_the_caller(target, tmp_path):
    t = target(mib=2)
    t.on_command, hits = status_storm(t, CHECK_CONDITION, 1, sense(0x06, 0x3F, 0x0E))
    r, _ = read_lun(t, tmp_path)
    assert r.rc != 0, r
    assert "UNIT ATTENTION" in r.err, r
    assert cmds(t, 1, READS).count(0) == 1, "REPORTED LUNS DATA HAS CHANGED is not retried"


def refuse_logins(t, detail, count):
    """After the first connection, `count` logins are refused with status class 2."""
    refused = []

    def hook(conn, req, keys):
        if conn.no > 1 and len(refused) < count and "InitiatorName" in keys:
            refused.append(conn.no)
            conn.login_reply(req, 0, 0, False, [], status=(2, detail))
            return True
        return False
    return hook, refused


def test_reinstatement_refused_then_accepted(target, tmp_path):
    """'Session does not exist' (2/0x0a) twice, then the target takes the login."""
    t, lost = dropping(target, READS, 3)
    t.on_login, refused = refuse_logins(t, 0x0A, 2)
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0, r
    assert back == bytes(t.lun)
    assert refused == [2, 3]
    assert_reinstated(t, connections=4)
    assert_resent_in_order(t, READS, lost, new=4)


@pytest.mark.parametrize("detail", [0x04, 0x0A, 0x01], ids=["target-removed", "no-session", "auth"])
def test_replacement_timeout_fails_held_io(target, tmp_path, detail):
    """Every reinstatement refused for good: the held reads fail once the 3 s replacement
    timeout has passed (rc 4, the transport's class), not before, and not much later."""
    t, lost = dropping(target, READS, 3)
    t.on_login, refused = refuse_logins(t, detail, 1000)
    r, _ = read_lun(t, tmp_path, env={"SWISCSI_REPLACEMENT_TIMEOUT_MS": "3000"}, timeout=30)
    assert r.rc == 4, r
    assert "not recovered within the replacement timeout (3000 ms)" in r.err, r
    assert len(refused) >= 2, "the session kept trying"
    assert_reinstated(t, connections=1 + len(refused))


# ---- a real target that crashes ----

def sha256(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def test_tgtd_killed_mid_write_and_restarted(tgtd, tmp_path):
    """tgtd SIGKILLed in the middle of a 256 MiB swiscsi-cp write and started again on the same
    portal with the same backing file 5 s later: the copy completes (exit 0) and the LUN, read
    back, equals the source."""
    import subprocess
    from conftest import TOOLS
    from tgt import backing_file
    size = 256 << 20
    iqn = "iqn.2026-11.test:crash"
    lun_file = backing_file(tmp_path / "lun", size)
    url = tgtd.target(1, iqn, luns=[("rdwr", lun_file)]) + "/1"
    src = tmp_path / "src"
    with open(src, "wb") as f:
        for _ in range(size >> 20):
            f.write(os.urandom(1 << 20))
    env = {**os.environ, **RECOVER, "SWISCSI_REPLACEMENT_TIMEOUT_MS": "60000"}
    cp = subprocess.Popen([str(TOOLS / "swiscsi-cp"), *INITIATOR, str(src), url], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # in the middle: a quarter of the LUN's blocks written (polled, bounded)
        deadline = time.monotonic() + 60
        while os.stat(lun_file).st_blocks * 512 < size // 4:
            assert cp.poll() is None, cp.communicate()
            assert time.monotonic() < deadline, "the write did not get going"
            time.sleep(0.02)
        tgtd.proc.kill()
        tgtd.proc.wait(timeout=10)
        time.sleep(5)  # the outage itself, not a wait for readiness
        tgtd.restart()
        tgtd.target(1, iqn, luns=[("rdwr", lun_file)])
        out, err = cp.communicate(timeout=120)
    finally:
        if cp.poll() is None:
            cp.kill()
            cp.wait()
    assert cp.returncode == 0, err
    assert "connection lost" in err and "session reinstated" in err, err
    back = tmp_path / "back"
    r = tool("swiscsi-cp", *INITIATOR, url, str(back), timeout=120)
    assert r.rc == 0, r
    assert sha256(back) == sha256(src)
