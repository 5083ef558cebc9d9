"""The swiscsi tools against the scriptable fake target (faketarget.py): CHAP algorithms and
reflection, login redirection, R2T patterns, dropped and stalled connections, malformed PDUs,
NOP-In pings, Async Messages and Reject PDUs. Every target is stopped, and its threads joined,
whatever the outcome; a target that hit an unexpected state fails the test."""
import os
import random
import subprocess
import time

import pytest

from conftest import TOOLS, Result, tool
from faketarget import (CHECK_CONDITION, OP_ASYNC, OP_DATA_IN, OP_NOP_IN, OP_NOP_OUT,
                        OP_REJECT, OP_SCSI_RSP, RESERVED, FakeTarget, Reflector, bhs, sense)

INITIATOR = ("-i", "iqn.2026-11.test.swiscsi:faketarget")
SECRET = "alicesecret12"
TSECRET = "disksecret123"
CHAP_ENV = {"SWISCSI_CHAP_USERNAME": "alice", "SWISCSI_CHAP_PASSWORD": SECRET}
MUTUAL_ENV = dict(CHAP_ENV, SWISCSI_CHAP_TARGET_USERNAME="disk", SWISCSI_CHAP_TARGET_PASSWORD=TSECRET)
# short deadlines, with room for a login to a Python target on a loaded machine (two test
# suites side by side, one under ASan): 500 ms was seen to run out in the login
FAST = {"SWISCSI_TIMEOUT_MS": "1000"}
READS = (0x28, 0x88)
MiB = 1 << 20


@pytest.fixture
def targets():
    """Makes fake targets; stops them all (sockets closed, threads joined) at teardown, then
    fails the test if any target saw something it did not expect."""
    made = []

    def make(**kw):
        t = FakeTarget(**kw)
        made.append(t)
        return t.start()

    yield make
    for t in made:
        t.stop()
    for t in made:
        assert not t.errors, f"the fake target saw: {t.errors}"


def run(name, *args, env=None, timeout=30):
    return tool(name, *INITIATOR, *args, env=env, timeout=timeout)


def readcap(t, env=None, query=""):
    return run("swiscsi-readcap", "-n", t.url(query=query), env=env)


def negotiated(r):
    return dict(line.split(": ", 1) for line in r.out.splitlines() if ": " in line)


def no_secret(r, *secrets):
    for s in secrets:
        assert s not in r.out and s not in r.err, f"secret {s!r} leaked: {r}"


def write_lun(t, tmp_path, size, seed=1):
    data = os.urandom(size) if seed is None else random.Random(seed).randbytes(size)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    r = run("swiscsi-cp", str(src), t.url())
    return r, data


def read_lun(t, tmp_path, env=None, timeout=30):
    dst = tmp_path / "dst.bin"
    r = run("swiscsi-cp", t.url(), str(dst), env=env, timeout=timeout)
    return r, dst.read_bytes() if dst.exists() else b""


# ---- discovery and the LUN: the target itself works ----

def test_discovery_and_lun_listing(targets):
    t = targets()
    r = run("swiscsi-ls", f"iscsi://{t.portal}")
    assert r.rc == 0, r
    assert f"Target:{t.iqn} Portal:{t.portal},1" in r.out, r
    assert "Vendor:SWIFAKE Product:FAKETARGET" in r.out, r
    r = readcap(t)
    assert r.rc == 0 and "Blocks: 2048\nBlock size: 512\n" in r.out, r
    assert negotiated(r)["CHAP"] == "None", r


def test_write_then_read_back(targets, tmp_path):
    t = targets(blocks=4096)
    r, data = write_lun(t, tmp_path, 2 * MiB, seed=None)
    assert r.rc == 0, r
    assert bytes(t.lun) == data
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0 and back == data, r
    assert t.logouts, "the tools log out at the end"


# ---- 1. CHAP ----

ALGS = {"SHA1": 6, "SHA256": 7, "SHA3-256": 8}


@pytest.mark.parametrize("mutual", [False, True], ids=["one-way", "mutual"])
@pytest.mark.parametrize("alg", sorted(ALGS))
def test_chap_algorithm_chosen_by_target(targets, alg, mutual):
    chap = dict(user="alice", secret=SECRET, algs=[ALGS[alg]])
    if mutual:
        chap.update(target_user="disk", target_secret=TSECRET)
    t = targets(chap=chap)
    r = readcap(t, env=MUTUAL_ENV if mutual else CHAP_ENV)
    assert r.rc == 0, r
    assert negotiated(r)["CHAP"] == alg, r
    assert t.chap_offers == [[8, 7, 6, 5]], "the default offer, strongest first"
    no_secret(r, SECRET, TSECRET)


@pytest.mark.parametrize("auth,offer,picked", [
    ("MD5,SHA1", [5, 6], "MD5"),
    ("SHA1,SHA3-256", [6, 8], "SHA1"),
    ("SHA3-256,SHA1", [8, 6], "SHA3-256"),
])
def test_chap_offer_follows_auth_order(targets, auth, offer, picked):
    # the target takes the first algorithm of the offer it supports, as RFC 1994 targets do
    t = targets(chap=dict(user="alice", secret=SECRET, algs=[5, 6, 7, 8]))
    r = readcap(t, env=CHAP_ENV, query=f"auth={auth}")
    assert r.rc == 0, r
    assert t.chap_offers == [offer]
    assert negotiated(r)["CHAP"] == picked, r


def test_chap_secret_in_url_never_printed(targets):
    t = targets(chap=dict(user="alice", secret=SECRET, algs=[7]))
    r = run("swiscsi-readcap", "-n", t.url(user=f"alice%{SECRET}"))
    assert r.rc == 0 and negotiated(r)["CHAP"] == "SHA256", r
    no_secret(r, SECRET)


def test_chap_wrong_secret(targets):
    t = targets(chap=dict(user="alice", secret="anothersecret9", algs=[7]))
    r = readcap(t, env=CHAP_ENV)
    assert r.rc == 24, r
    assert "authentication failure" in r.err, r
    no_secret(r, SECRET, "anothersecret9")


def test_mutual_chap_wrong_target_secret(targets):
    t = targets(chap=dict(user="alice", secret=SECRET, target_user="disk",
                          target_secret="notthesecret1", algs=[8]))
    r = readcap(t, env=MUTUAL_ENV)
    assert r.rc == 24 and "target secret mismatch" in r.err, r
    no_secret(r, SECRET, TSECRET, "notthesecret1")


def test_target_choosing_an_algorithm_not_offered(targets):
    def choose_md5(conn, req, keys):
        if "CHAP_A" not in keys:
            return False
        conn.login_reply(req, 0, 0, False, [("CHAP_A", "5"), ("CHAP_I", "1"), ("CHAP_C", "0x" + "ab" * 16)])
        return True

    t = targets(chap=dict(user="alice", secret=SECRET, algs=[5]))
    t.on_login = choose_md5
    r = readcap(t, env=CHAP_ENV, query="auth=SHA256")
    assert r.rc == 24 and "did not offer" in r.err, r


def test_mutual_chap_reflection_is_refused(targets):
    """The target knows no secret: it gives a second initiator the first one's challenge and
    hands the answer back to the first. With the same secret configured both ways (which RFC
    7143 forbids) the answer is right; the initiator must notice that it is its own."""
    t = targets(chap=dict(user="alice", secret=SECRET, target_user="disk", algs=[7]))
    t.reflector = Reflector()
    same = dict(MUTUAL_ENV, SWISCSI_CHAP_TARGET_PASSWORD=SECRET)
    env = dict(os.environ, **same)
    victim = subprocess.Popen([str(TOOLS / "swiscsi-readcap"), *INITIATOR, t.url()], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while t.reflector.first is None and time.monotonic() < deadline and victim.poll() is None:
            time.sleep(0.02)
        assert t.reflector.first is not None, "the first initiator never sent its challenge"
        helper = readcap(t, env=same)
        assert helper.rc == 24, helper
        out, err = victim.communicate(timeout=15)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.communicate()
    r = Result(subprocess.CompletedProcess(victim.args, victim.returncode, out.decode(), err.decode()))
    assert r.rc == 24, r
    assert "reflect" in r.err, r
    assert "Blocks:" not in r.out, r
    no_secret(r, SECRET)


# ---- 2. login redirection ----

@pytest.mark.parametrize("detail", [0x01, 0x02], ids=["temporary", "permanent"])
def test_login_redirect(targets, tmp_path, detail):
    new = targets(blocks=4096)
    old = targets()
    old.redirect = (detail, f"{new.portal},1")
    r = readcap(old)
    assert r.rc == 0 and "Blocks: 4096\n" in r.out, r
    assert old.connections == 1 and old.commands == [], "nothing but the login goes to the old portal"
    old.redirected = 0
    r, data = write_lun(old, tmp_path, 2 * MiB, seed=3)
    assert r.rc == 0, r
    assert bytes(new.lun) == data
    assert not any(old.lun)


def test_redirect_loop_is_bounded(targets):
    t = targets()
    t.on_login = lambda conn, req, keys: conn.login_reply(
        req, 0, 0, False, [("TargetAddress", f"{t.portal},1")], status=(1, 0x01)) or True
    r = readcap(t)
    assert r.rc == 5 and "redirections" in r.err, r
    assert t.connections == 6


# ---- 3. R2T patterns ----

def test_r2t_small_bursts_and_segments(targets, tmp_path):
    """InitialR2T=Yes, ImmediateData=No: every byte is asked for, 4 KiB per R2T, in 1 KiB
    Data-Out PDUs (the target's MaxRecvDataSegmentLength)."""
    t = targets(params={"InitialR2T": "Yes", "ImmediateData": "No", "MaxBurstLength": 4096,
                        "MaxRecvDataSegmentLength": 1024})
    r = readcap(t)
    n = negotiated(r)
    assert (n["InitialR2T"], n["ImmediateData"], n["MaxBurstLength"], n["MaxXmitDataSegmentLength"]) \
        == ("Yes", "No", "4096", "1024"), r
    r, data = write_lun(t, tmp_path, MiB, seed=5)
    assert r.rc == 0, r
    assert bytes(t.lun) == data
    assert len(t.r2ts) == MiB // 4096 and all(length == 4096 for _, length in t.r2ts)


@pytest.mark.parametrize("order", ["reverse", "shuffle"])
def test_r2t_out_of_order_and_outstanding(targets, tmp_path, order):
    """Unsolicited data up to FirstBurstLength, then R2Ts of odd sizes, four outstanding at
    once (the negotiated MaxOutstandingR2T: the library offers 8, the target allows 4) and out
    of order; the initiator answers each R2T with exactly the range it asked for."""
    t = targets(blocks=4096, params={"FirstBurstLength": 5000, "MaxRecvDataSegmentLength": 3000,
                                     "MaxOutstandingR2T": 4})
    t.r2t_chunk, t.r2t_order, t.r2t_burst = 12345, order, 4
    r = readcap(t)
    assert negotiated(r)["MaxOutstandingR2T"] == "4", r
    r, data = write_lun(t, tmp_path, 2 * MiB, seed=7)
    assert r.rc == 0, r
    assert bytes(t.lun) == data
    offsets = [o for o, _ in t.r2ts]
    assert offsets != sorted(offsets), "the R2Ts did go out of order"
    assert all(o >= 5000 for o in offsets), "the first burst came unsolicited"


# ---- 4. dropped and stalled connections ----

def test_connection_dropped_mid_command(targets, tmp_path):
    """Neither READ (2 MiB, two commands) is answered; the connection drops once both have
    arrived, so that the initiator, sending nothing more, sees the close itself rather than a
    failed send."""
    t = targets(blocks=4096)

    def drop_on_second_read(conn, task):
        if task.op not in READS:
            return False
        if sum(c[0] in READS for c in t.commands) == 2:
            conn.drop()
        return True

    t.on_command = drop_on_second_read
    (r, _) = read_lun(t, tmp_path, env=FAST, timeout=20)
    assert r.rc == 4, r
    assert f"connection to {t.portal}: the target closed the connection" in r.err, r
    assert "timed out" not in r.err, "the close ended the commands, not their deadline"


# The stalls use swiscsi-readcap (READ CAPACITY 16, then 10, stalled), whose commands wait in
# the library's own poll loop: swiscsi-cp and swiscsi-bench poll with fixed 30 s / 10 s
# timeouts instead of swi_timeout_ms(), so there the library's command timers only run when
# something arrives, and a stalled READ is noticed after 30 s ("no progress"), not after
# SWISCSI_TIMEOUT_MS.
READ_CAPACITY = (0x9E, 0x25)


def keepalive_pings(t):
    """The initiator's own NOP-Outs (its keepalive; echoes of the target's pings carry the
    reserved ITT), recorded and then answered as usual. None of them means no 5 s of silence
    passed: a count instead of a clock, which a loaded machine cannot make flaky."""
    pings = []

    def note(conn, p):
        if p.opcode == OP_NOP_OUT and p.itt != RESERVED:
            pings.append(p.itt)
        return False

    t.on_pdu = note
    return pings


def test_stalled_read_is_aborted(targets):
    t = targets()
    t.on_command = lambda conn, task: task.op in READ_CAPACITY
    pings = keepalive_pings(t)
    r = run("swiscsi-readcap", t.url(), env=FAST, timeout=20)
    assert r.rc == 1, r
    assert "READ CAPACITY: SCSI command timed out after 1000 ms and was aborted" in r.err, r
    assert [fn for fn, _ in t.tmfs] == [1, 1], "ABORT TASK for each stalled command"
    assert t.logouts, "the session outlives an aborted command"
    assert not pings, "two 1000 ms deadlines, not the 5 s keepalive, bound the wait"


@pytest.mark.parametrize("tool_args", [("swiscsi-cp", "{url}", "{out}"),
                                       ("swiscsi-bench", "--time", "2", "{url}")])
def test_stalled_read_ends_at_its_deadline_in_pipelined_tools(targets, tmp_path, tool_args):
    """cp and bench wait on the library's timers, so a stalled READ ends at SWISCSI_TIMEOUT_MS,
    aborted, instead of at a fixed wait of their own."""
    t = targets()
    t.on_command = lambda conn, task: task.op in READS
    args = [a.format(url=t.url(), out=tmp_path / "out.bin") for a in tool_args[1:]]
    pings = keepalive_pings(t)
    r = run(tool_args[0], *args, env=FAST, timeout=25)
    assert r.rc != 0, r
    assert "timed out after 1000 ms and was aborted" in r.err, r
    assert t.tmfs and t.tmfs[0][0] == 1, "ABORT TASK sent"
    assert not pings, "the 1000 ms deadline, not a wait of 5 s or more, ended the tool"


def test_stalled_read_and_unanswered_abort_and_reset(targets):
    t = targets()
    t.on_command = lambda conn, task: task.op in READ_CAPACITY
    t.answer_tmf = False
    pings = keepalive_pings(t)
    r = run("swiscsi-readcap", t.url(), env=FAST, timeout=20)
    assert r.rc == 1, r
    assert ("READ CAPACITY: the target did not answer a command, its abort or a LUN reset "
            "within 1000 ms") in r.err, r
    assert [fn for fn, _ in t.tmfs] == [1, 5], "ABORT TASK, then LUN RESET, then give up"
    assert t.tmfs[1][1] == 0xFFFFFFFF, "LUN RESET references no task"
    assert not pings, "three 1000 ms deadlines, not the 5 s keepalive, bound the wait"


@pytest.mark.parametrize("answer", [{5: 0}, {1: 5, 5: 0}])
def test_abort_unanswered_or_refused_escalates_to_lun_reset(targets, answer):
    t = targets()
    t.on_command = lambda conn, task: task.op in READ_CAPACITY
    t.answer_tmf = answer
    r = run("swiscsi-readcap", t.url(), env=FAST, timeout=20)
    assert r.rc == 1, r
    assert "its abort failed and the LUN was reset" in r.err, r
    assert [fn for fn, _ in t.tmfs][:2] == [1, 5]
    assert t.logouts, "the session outlives a LUN reset"


def test_lun_reset_refused_ends_the_session(targets):
    t = targets()
    t.on_command = lambda conn, task: task.op in READ_CAPACITY
    t.answer_tmf = {1: 5, 5: 5}
    r = run("swiscsi-readcap", t.url(), env=FAST, timeout=20)
    assert r.rc == 1, r
    assert "refused both to abort it and to reset its LUN (response 5)" in r.err, r


def test_stalled_login(targets):
    t = targets()
    t.on_login = lambda conn, req, keys: True
    r = readcap(t, env=FAST)
    assert r.rc == 11 and "login to" in r.err and "timed out after 1000 ms" in r.err, r


# ---- 5. malformed PDUs ----

def datain(conn, task, data, **over):
    fields = dict(flags=0x81, lun=task.lun, itt=task.itt, w20=RESERVED, w36=0, w40=0,
                  **conn.sn_fields())
    fields.update(over)
    conn.send(OP_DATA_IN, data, **fields)


MALFORMED = {
    # more data than the command's buffer (within our MaxRecvDataSegmentLength)
    "datain-beyond-buffer": (lambda c, t: datain(c, t, bytes(4096), w40=t.edtl - 512),
                             1, "Data-In outside the command's buffer"),
    # a DataSegmentLength beyond MaxRecvDataSegmentLength, header only: never read
    "datain-beyond-mrdsl": (lambda c, t: c.send_raw(bhs(OP_DATA_IN, flags=0x81, data_len=0xFFFFF0,
                                                          itt=t.itt, w20=RESERVED)),
                            4, "longer than our MaxRecvDataSegmentLength"),
    "datain-wrong-itt": (lambda c, t: datain(c, t, bytes(512), itt=t.itt ^ 0x5A5A00),
                         1, "Data-In for an unknown task"),
    "response-wrong-itt": (lambda c, t: c.send(OP_SCSI_RSP, flags=0x80, itt=t.itt + 1, **c.sn_fields()),
                           1, "SCSI Response for an unknown task"),
    "unknown-opcode": (lambda c, t: c.send(0x3A, bytes(8), flags=0x80, itt=t.itt),
                       4, "the opcode is not one a target may send"),
    "bad-datasn": (lambda c, t: datain(c, t, bytes(512), flags=0, w36=3),
                   1, "Data-In out of sequence (DataSN 3, expected 0)"),
    "status-without-final": (lambda c, t: datain(c, t, bytes(512), flags=0x01),
                             4, "a Data-In with status must be the final one"),
    "r2t-for-a-read": (lambda c, t: c.send(0x31, flags=0x80, itt=t.itt, w20=7, w44=512, **c.sn_fields(False)),
                       1, "R2T outside the command's data"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_pdu(targets, tmp_path, name):
    send, rc, message = MALFORMED[name]
    t = targets(blocks=4096)

    def hook(conn, task):
        if task.op not in READS:
            return False
        send(conn, task)
        return True

    t.on_command = hook
    (r, _) = read_lun(t, tmp_path, env=FAST, timeout=20)
    assert r.rc == rc, r
    assert message in r.err, r
    assert "timed out" not in r.err, "the bad PDU ended the command, not its deadline"


def test_malformed_on_readcap_keeps_the_cause(targets):
    """A session that failed on a bad PDU reports that PDU, not the refusal of the command the
    tool tries next (READ CAPACITY 16 falls back to 10)."""
    t = targets()

    def hook(conn, task):
        if task.op != 0x9E:
            return False
        datain(conn, task, bytes(task.edtl + 64))
        return True

    t.on_command = hook
    r = readcap(t, env=FAST)
    assert r.rc != 0, r
    assert "Data-In outside the command's buffer" in r.err, r


# ---- 6. NOP-In, Async Message, Reject ----

def test_nop_in_ping_is_echoed(targets, tmp_path):
    t = targets(blocks=4096)
    t.lun[:] = bytes(range(256)) * (len(t.lun) // 256)
    pinged = []

    def ping(conn, task):
        if task.op in READS and not pinged:
            pinged.append(task.itt)
            conn.send(OP_NOP_IN, b"are you there?", flags=0x80, lun=bytes([0, 0, 0, 0, 0, 0, 0, 9]),
                      itt=RESERVED, w20=0x1234, **conn.sn_fields(status=False))
        return False

    t.on_command = ping
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0 and back == bytes(t.lun), r
    assert t.nop_echoes == [(0x1234, b"are you there?", bytes([0, 0, 0, 0, 0, 0, 0, 9]), True)]


def test_nop_in_without_ttt_is_not_answered(targets, tmp_path):
    t = targets(blocks=2048)

    def ping(conn, task):
        if task.op in READS:
            conn.send(OP_NOP_IN, flags=0x80, itt=RESERVED, w20=RESERVED, **conn.sn_fields(status=False))
        return False

    t.on_command = ping
    r, _ = read_lun(t, tmp_path)
    assert r.rc == 0, r
    assert t.nop_echoes == []


def async_message(conn, event, p3=0, data=b""):
    conn.send(OP_ASYNC, data, flags=0x80, itt=RESERVED, w20=RESERVED, **conn.sn_fields(),
              w36=event << 24, w40=0, w44=p3 & 0xFFFF)


@pytest.mark.parametrize("window", [64, 2], ids=["open-window", "commands-queued"])
def test_async_logout_request(targets, tmp_path, window):
    """AsyncEvent 1: the initiator sends no new commands and logs out (RFC 7143 §11.9.1).
    With a command window of 2, the commands waiting for it are never sent."""
    t = targets(blocks=48 * 2048)  # 48 MiB: 48 READs of 1 MiB, 8 in flight
    t.window = window
    sent = []

    def ask_logout(conn, task):
        if task.op in READS and not sent:
            async_message(conn, 1, p3=5)
            sent.append(len(t.commands))
        return False

    t.on_command = ask_logout
    r, back = read_lun(t, tmp_path)
    assert r.rc != 0, r
    assert "asked us to log out" in r.err, r
    assert t.logouts, "the initiator logged out"
    reads = sum(1 for c in t.commands if c[0] in READS)
    assert reads < 48 and len(back) < len(t.lun), "no new commands after the request"
    if window == 2:
        assert reads == 2, "the queued commands were sent"


def test_async_scsi_event_is_ignored(targets, tmp_path):
    t = targets(blocks=4096)
    t.lun[:] = os.urandom(len(t.lun))
    sent = []

    def event(conn, task):
        if task.op in READS and not sent:
            sent.append(1)
            async_message(conn, 0, data=sense(0x06, 0x3F, 0x0E))  # UA: REPORTED LUNS DATA CHANGED
        return False

    t.on_command = event
    r, back = read_lun(t, tmp_path)
    assert r.rc == 0 and back == bytes(t.lun), r
    assert sent


def test_reject_of_a_command(targets, tmp_path):
    t = targets(blocks=4096)

    def reject(conn, task):
        if task.op not in READS:
            return False
        conn.send(OP_REJECT, task.pdu.raw, flags=0x80, b2=0x09, itt=RESERVED, **conn.sn_fields())
        return True

    t.on_command = reject
    (r, _) = read_lun(t, tmp_path, env=FAST, timeout=20)
    assert r.rc == 1, r
    assert "the target rejected our SCSI Command (reason 0x09)" in r.err, r
    assert "timed out" not in r.err, "the Reject ended the command, not its deadline"


def test_reject_without_the_rejected_header(targets, tmp_path):
    t = targets(blocks=4096)

    def reject(conn, task):
        if task.op not in READS:
            return False
        conn.send(OP_REJECT, task.pdu.raw[:20], flags=0x80, b2=0x04, itt=RESERVED, **conn.sn_fields())
        return True

    t.on_command = reject
    r, _ = read_lun(t, tmp_path, env=FAST, timeout=20)
    assert r.rc == 4 and "a Reject must carry the rejected header" in r.err, r


def test_short_reads_are_not_held_back_by_the_low_water_mark(targets, tmp_path):
    """With 8 MiB of reads in flight the initiator asks the kernel to wake it only once 2 MiB
    have arrived (half of it); reads that end early with less data (an underflow) must still be seen at
    once, not at the command timeout. (Linux may wake a reader below the mark on its own when
    the sender pushes; the initiator's 2 ms guard timer makes it certain.)"""
    t = targets(blocks=32768)

    def short(conn, task):
        if task.op not in READS:
            return False
        datain(conn, task, bytes(16384), flags=0x83, w44=task.edtl - 16384)
        return True

    t.on_command = short
    r = run("swiscsi-bench", "--bs", str(MiB), "--qd", "8", "--time", "1",
            t.url(), env={"SWISCSI_TIMEOUT_MS": "8000"}, timeout=30)
    assert "timed out" not in r.out + r.err, r
    assert len(t.commands) > 100, "short reads kept flowing, a few ms each at most"
    # and the benchmark does not count them as I/Os of --bs bytes
    assert r.rc != 0 and f"short transfer: 16384 of {MiB} bytes" in r.err, r
    assert "(0 I/Os in " in r.out, r


def test_check_condition_is_reported(targets, tmp_path):
    t = targets()
    t.on_command = lambda conn, task: task.op in READS and (
        conn.respond(task, CHECK_CONDITION, sense(0x03, 0x11, 0x00)) or True)
    r, _ = read_lun(t, tmp_path, env=FAST)
    assert r.rc != 0 and "MEDIUM ERROR" in r.err, r
