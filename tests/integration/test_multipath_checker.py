"""The path checker against the scriptable fake target, logged in through two ifaces bound to
the loopback device (one map, two paths): a path whose TEST UNIT READY is answered NOT READY,
or not at all, turns "failed faulty running" in swiscsi-multipath -ll and -m session -P 3 and
carries no I/O, and comes back once its TUR succeeds again; a session back from recovery carries
nothing until its TUR succeeds; with every path failing, no_path_retry N holds a read for N
checker intervals, then fails it."""
import errno
import os
import subprocess
import threading
import time

import pytest

from conftest import require
from direct_io import read_direct
from faketarget import CHECK_CONDITION, FakeTarget, sense
from test_multipath_tool import TOOL

MAP = "wwn-0x6001405f00000001"     # the fake target's NAA designator
BLOCKS = 8192                       # 4 MiB of 512-byte blocks
RW = (0x28, 0x2A, 0x88, 0x8A)


@pytest.fixture
def target(request):
    t = FakeTarget(iqn="iqn.2026-12.test.mpathchk:fake", blocks=BLOCKS)
    request.addfinalizer(t.stop)
    t.sessions = []                 # the normal sessions' connections, in login order
    t.on_full_feature = lambda conn: None if conn.discovery else t.sessions.append(conn)
    t.sick = set()                  # connections whose TURs and READs answer NOT READY
    t.stall, t.stalled = set(), []  # connections whose TURs get no answer; those TURs

    def not_ready(conn, task):
        if conn in t.stall and task.op == 0x00:
            t.stalled.append((conn, task))
            return True
        if conn in t.sick and task.op in (0x00, 0x28, 0x88):
            conn.respond(task, CHECK_CONDITION, sense(0x02, 0x04, 0x03))   # needs intervention
            return True
        return False
    t.on_command = not_ready
    t.start()
    yield t
    assert not t.errors, t.errors


def ok(adm, *args):
    r = adm.run(*args, timeout=120)
    assert r.rc == 0, r
    return r


def two_paths(adm, swiscsid, t, policy, *settings):
    """Sessions through nic1, then nic2 (so t.sessions[0] is nic1's), their node records
    updated with settings ((key, value) pairs) first: the by-id file."""
    require(os.geteuid() == 0, "root (FUSE)")
    (adm.root / "swiscsid.conf").write_text("[global]\nloop_devices = no\n" + policy)
    swiscsid.start()
    for iface in ("nic1", "nic2"):
        ok(adm, "-m", "iface", "-I", iface, "-o", "new", "-n", "iface.net_ifacename", "-v", "lo")
    ok(adm, "-m", "discovery", "-t", "st", "-p", t.portal, "-I", "nic1", "-I", "nic2")
    for key, value in settings:
        ok(adm, "-m", "node", "-T", t.iqn, "-o", "update", "-n", key, "-v", value)
    for iface in ("nic1", "nic2"):
        ok(adm, "-m", "node", "-T", t.iqn, "-I", iface, "-l")
    assert len(t.sessions) == 2
    return swiscsid.rundir / "disks" / "by-id" / MAP


def path_states(adm):
    """iface -> the state words of its path in swiscsi-multipath -ll."""
    r = subprocess.run([str(TOOL), "-ll"], env=adm.env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines and lines[0].startswith(MAP + " "), r.stdout
    return {line.split()[2]: " ".join(line.split()[4:]) for line in lines[3:]}


def wait_states(adm, want, seconds=30):
    """Until -ll shows want. 30 s: the checker runs every second here; the margin is for a
    loaded machine, the wait ends as soon as the state shows."""
    deadline = time.monotonic() + seconds
    while True:
        got = path_states(adm)
        if got == want or time.monotonic() > deadline:
            assert got == want
            return
        time.sleep(0.2)


def rw_on(t, since):
    """Connection numbers that carried READs or WRITEs in t.wire[since:]."""
    return {no for kind, no, *rest in t.wire[since:] if kind == "cmd" and rest[0][0] in RW}


BOTH_UP = {"nic1": "active ready running", "nic2": "active ready running"}


def test_a_path_whose_tur_fails_is_failed_until_one_succeeds(adm, swiscsid, target):
    byid = two_paths(adm, swiscsid, target,
                     "polling_interval = 1\npath_selector = round-robin\nno_path_retry = queue\n")
    target.lun[:] = os.urandom(len(target.lun))
    assert path_states(adm) == BOTH_UP
    nic1, nic2 = target.sessions
    target.sick.add(nic2)
    wait_states(adm, {"nic1": "active ready running", "nic2": "failed faulty running"})
    out = ok(adm, "-m", "session", "-P", "3").out
    assert out.count("\tPath: failed faulty running\n") == 1, out
    assert out.count("\tPath: active ready running\n") == 1, out
    log = swiscsid.text()
    assert "TEST UNIT READY failed: CHECK CONDITION, NOT READY" in log, log
    assert f"multipath map {MAP}: path 2 (session 2, iface nic2) failed: TEST UNIT READY" in log
    # the failed path carries nothing: every read goes to nic1
    since = len(target.wire)
    for k in range(8):
        assert read_direct(byid, k * 65536, 65536) == target.lun[k * 65536:(k + 1) * 65536]
    assert rw_on(target, since) == {nic1.no}

    target.sick.clear()             # its TUR succeeds again: back in
    wait_states(adm, BOTH_UP)
    assert "path 2 (session 2, iface nic2) reinstated: TEST UNIT READY succeeded" in swiscsid.text()
    since = len(target.wire)
    for k in range(8):
        assert read_direct(byid, k * 65536, 65536) == target.lun[k * 65536:(k + 1) * 65536]
    assert rw_on(target, since) == {nic1.no, nic2.no}, "round-robin over both again"


def test_a_tur_without_an_answer_fails_the_path(adm, swiscsid, target):
    # commands time out after 2 s (the record's login_timeout is libswiscsi's command timeout)
    two_paths(adm, swiscsid, target, "polling_interval = 1\n",
              ("node.conn[0].timeo.login_timeout", "2"))
    nic1, nic2 = target.sessions
    target.stall.add(nic2)
    wait_states(adm, {"nic1": "active ready running", "nic2": "failed faulty running"})
    assert any(conn is nic2 for conn, _ in target.stalled)
    assert any(function == 1 for function, _ in target.tmfs), "the TUR was aborted"
    assert "TEST UNIT READY failed: " in swiscsid.text()
    target.stall.clear()            # answered again: the next round's TUR puts it back
    wait_states(adm, BOTH_UP)


def test_no_path_retry_counts_checker_intervals(adm, swiscsid, target):
    byid = two_paths(adm, swiscsid, target, "polling_interval = 1\nno_path_retry = 3\n")
    outcome = []

    def reader():
        try:
            read_direct(byid, 0, 4096)
            outcome.append(0)
        except OSError as e:
            outcome.append(e.errno)

    # every path says NOT READY, to TURs and READs alike: the read is held, not failed, for
    # 3 checker rounds from the moment the last path failed (not before sick was set)
    sick_at = time.monotonic()
    target.sick.update(target.sessions)
    t = threading.Thread(target=reader)
    t.start()
    t.join(60)                      # 3 intervals of 1 s; 60 s for a loaded machine
    held = time.monotonic() - sick_at
    assert not t.is_alive(), "the held read never failed"
    assert outcome == [errno.EIO]
    assert held >= 2.9, f"failed after {held:.1f} s, before 3 checker intervals"
    wait_states(adm, {"nic1": "failed faulty running", "nic2": "failed faulty running"})

    target.sick.clear()             # a TUR succeeds: the map works again
    wait_states(adm, BOTH_UP)
    assert read_direct(byid, 0, 4096) == target.lun[:4096]


def wait_count(swiscsid, needle, n, seconds=60):
    """Until needle is in the daemon's log n times (60 s: a reconnect waits DefaultTime2Wait
    first; the margin is for a loaded machine)."""
    deadline = time.monotonic() + seconds
    while swiscsid.text().count(needle) < n:
        assert time.monotonic() < deadline, f"{needle!r} not {n} times in:\n{swiscsid.text()}"
        time.sleep(0.1)


def test_a_session_back_from_recovery_carries_io_only_after_a_tur(adm, swiscsid, target):
    # rounds an hour apart: whatever puts the path back here is the TUR its login asks for
    byid = two_paths(adm, swiscsid, target, "polling_interval = 3600\nno_path_retry = queue\n")
    target.lun[:] = os.urandom(len(target.lun))
    nic1, nic2 = target.sessions
    sicken = [True]

    def on_full_feature(conn):
        if not conn.discovery:
            target.sessions.append(conn)
            if sicken[0]:
                target.stall.add(conn)   # the session's new connection: TURs unanswered
    target.on_full_feature = on_full_feature
    nic2.drop()
    wait_count(swiscsid, "LOGGED_IN/LOGGED IN: session reinstated", 1)
    deadline = time.monotonic() + 30
    while not target.stalled:       # the TUR its login asked for
        assert time.monotonic() < deadline, "no TUR after the session logged in again"
        time.sleep(0.05)
    # logged in again, its TUR not answered yet: the path stays failed and carries nothing
    assert ok(adm, "-m", "session", "-r", "2", "-P", "1").out.count(
        "iSCSI Session State: LOGGED_IN") == 1
    assert path_states(adm) == {"nic1": "active ready running", "nic2": "failed faulty running"}
    since = len(target.wire)
    for k in range(8):
        assert read_direct(byid, k * 65536, 65536) == target.lun[k * 65536:(k + 1) * 65536]
    assert rw_on(target, since) == {nic1.no}
    # and a TUR answered NOT READY keeps it failed
    conn, task = target.stalled.pop()
    conn.respond(task, CHECK_CONDITION, sense(0x02, 0x04, 0x03))
    wait_count(swiscsid, "TEST UNIT READY failed: CHECK CONDITION, NOT READY", 1)
    assert path_states(adm) == {"nic1": "active ready running", "nic2": "failed faulty running"}

    sicken[0] = False               # the next connection is healthy: its TUR puts the path back
    target.sessions[-1].drop()
    wait_count(swiscsid, "LOGGED_IN/LOGGED IN: session reinstated", 2)
    wait_states(adm, BOTH_UP)
    assert "path 2 (session 2, iface nic2) reinstated: TEST UNIT READY succeeded" in swiscsid.text()
    since = len(target.wire)
    for k in range(8):
        assert read_direct(byid, k * 65536, 65536) == target.lun[k * 65536:(k + 1) * 65536]
    assert rw_on(target, since) == {nic1.no, target.sessions[-1].no}
