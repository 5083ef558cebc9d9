"""Issue #14's path failure handling on the wire: swiscsid in the host network namespace of a
two-NIC lab (its own subnets 10.93.1/24 and 10.93.2/24), tgtd behind both, one iface bound to
each NIC, one multipath map of the two paths, I/O through its by-id file.

- NIC 1 goes down in the middle of a 256 MiB O_DIRECT write: the commands of the lost path fail
  fast and go again on NIC 2, the write completes without an error and the LUN holds every
  byte (read back straight from the target with swiscsi-cp); while NIC 1 is down only NIC 2
  carries segments; NIC 1 back up, its session is reinstated, the path is "active ready
  running" again and carries reads again (failback immediate).
- NIC 1 goes down under fio's verified random writes at depth 32: the log says so in one
  warning for the path, with how many commands went again on NIC 2, and no error (the
  application saw none): not a line per command.
- Both NICs go down: no_path_retry fail returns EIO promptly, queue holds the write until a
  NIC returns and it completes correctly, N fails with EIO after about N checker intervals.
- A failover map (one path per group): its first path's NIC goes down, reads move to the
  second; the NIC comes back and the reads follow failback: back at once (immediate), or they
  stay (manual). Which path carried a read is told by the sessions' Data-In counters (an idle
  path's keepalives move packet counts too), and shown on the wire.

swiscsid runs in the lab's network namespace but in the test's mount namespace (nsenter), so
the by-id file is the test's to use. Loop devices are off: the by-id file is what is tested."""
import os
import pathlib
import re
import subprocess
import time

import pytest

from conftest import BUILD, Adm, have, require
from lunserve import mounted
from netlab import TwoNicLab, sh
from sessiond import Daemon
from test_multipath_tool import TOOL
from test_sessions_faults import finished, sha256, wait_written
from tgt import Tgtd, backing_file

MiB = 1 << 20
PORTALS = {"p1": "10.93.1.254", "p2": "10.93.2.254"}
NICS = {"p1": "fo1", "p2": "fo2"}
IQN = "iqn.2026-12.test.failover:disk"
# keepalives kept small so each outage shows within ~2 s and the file stays fast; the
# replacement timeout is the default 120 s: a command held for the reconnect (not moved to the
# other path) would wait that long
RECORD = (("node.conn[0].timeo.noop_out_interval", "1"),
          ("node.conn[0].timeo.noop_out_timeout", "1"),
          ("node.session.timeo.replacement_timeout", "120"))


def failover_lab():
    """host ns  fo1 10.93.1.1/24  ====  ft1 10.93.1.254/24  target ns
                fo2 10.93.2.1/24  ====  ft2 10.93.2.254/24"""
    return TwoNicLab("fo", ("fo1", "fo2"), ("ft1", "ft2"), "10.93")


@pytest.fixture
def lab(tmp_path):
    """A lab and a tgtd of one test (discovery finds its target alone)."""
    require(os.geteuid() == 0, "root (network namespaces)")
    workdir = tmp_path / "tgtd"
    workdir.mkdir()
    lab = failover_lab()
    tgtd = None
    try:
        tgtd = Tgtd(str(workdir), netns=lab.target, addresses=tuple(PORTALS.values()))
        tgtd.start()
        lab.tgtd, lab.tids = tgtd, iter(range(1, 100))
        yield lab
    finally:
        if tgtd:
            tgtd.stop()
        lab.close()


def ok(adm, *args):
    r = adm.run(*args, prefix=adm.prefix, timeout=120)
    assert r.rc == 0, r
    return r


def nic(lab, name, state):
    sh("ip", "-n", lab.host, "link", "set", NICS[name], state)


@pytest.fixture
def rig(lab, tmp_path, request):
    (tmp_path / "adm").mkdir()
    adm = Adm(tmp_path / "adm")
    adm.lab = lab
    adm.prefix = ("nsenter", f"--net=/run/netns/{lab.host}")
    adm.daemon = Daemon(adm, prefix=adm.prefix)

    def stop():
        adm.daemon.stop()
        assert not mounted(adm.rundir / "disks"), "the LUN filesystem outlived swiscsid"

    request.addfinalizer(stop)
    for name in NICS:
        request.addfinalizer(lambda name=name: nic(lab, name, "up"))
    return adm


def start_map(rig, tmp_path, size, policy, grouping="multibus", record=RECORD):
    """A new target with one LUN of size bytes, logged in through both ifaces (one path per
    NIC), swiscsid.conf [global] = grouping and policy, the node records updated with record:
    (target URL of the LUN, by-id file, backing file)."""
    tid = next(rig.lab.tids)
    iqn = f"{IQN}{tid}"
    backing = backing_file(tmp_path / f"lun{tid}", size)
    rig.lab.tgtd.target(tid, iqn, luns=[("rdwr", backing)])
    (rig.root / "swiscsid.conf").write_text(
        f"[global]\nloop_devices = no\npath_grouping_policy = {grouping}\n"
        "path_selector = round-robin\n" + policy)
    rig.daemon.start()
    for name, dev in NICS.items():
        ok(rig, "-m", "iface", "-I", name, "-o", "new", "-n", "iface.net_ifacename", "-v", dev)
        ok(rig, "-m", "discovery", "-t", "st", "-p", PORTALS[name], "-I", name)
    # one record per iface, each for the portal on its own NIC's subnet: one path per NIC
    records = sorted(ok(rig, "-m", "node").out.splitlines())
    assert records == [f"{PORTALS[n]}:3260,1 {iqn}" for n in NICS], records
    for key, value in record:
        ok(rig, "-m", "node", "-T", iqn, "-o", "update", "-n", key, "-v", value)
    ok(rig, "-m", "node", "--loginall=all")
    assert len(ok(rig, "-m", "session").out.splitlines()) == 2
    byid = list((rig.rundir / "disks" / "by-id").iterdir())
    assert len(byid) == 1, byid
    assert set(path_states(rig).values()) == {"active ready running"}
    return f"iscsi://{PORTALS['p2']}/{iqn}/1", byid[0], backing


PATH_LINE = re.compile(r"[|`]-\s+\d+:0:0:\d+ (\S+) \S+ (.+)$")
GROUP_LINE = re.compile(r"[|`]-\+- policy='[^']*' prio=\d+ status=(\w+)$")


def groups(rig):
    """swiscsi-multipath -ll's path groups, in order: [(group status, {iface: path state})]."""
    r = subprocess.run([*rig.prefix, str(TOOL), "-ll"], env=rig.env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r
    found = []
    for line in r.stdout.splitlines()[2:]:
        if m := GROUP_LINE.match(line):
            found.append((m.group(1), {}))
        elif m := PATH_LINE.search(line):
            found[-1][1][m.group(1)] = m.group(2)
        else:
            raise AssertionError(f"not a group or path line: {line!r} in\n{r.stdout}")
    return found


def path_states(rig):
    """iface -> the state words of its path in swiscsi-multipath -ll."""
    return {iface: state for _, paths in groups(rig) for iface, state in paths.items()}


def wait_states(rig, want, seconds):
    deadline = time.monotonic() + seconds
    while (seen := path_states(rig)) != want:
        assert time.monotonic() < deadline, (want, seen, rig.daemon.text())
        time.sleep(0.2)


def wait_paths_down(rig, n, seconds=30):
    """Until the daemon has logged n path-down events (each outage shows within ~2 s: the
    1 s + 1 s keepalive; 30 s is a bound, never a hang)."""
    deadline = time.monotonic() + seconds
    down = re.compile(r"multipath map \S+: path \d+ \(session \d+, iface \S+\) is down")
    while len(down.findall(rig.daemon.text())) < n:
        assert time.monotonic() < deadline, rig.daemon.text()
        time.sleep(0.05)


def random_file(path, size):
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))
    return path


def dd(*args):
    return subprocess.Popen(["dd", "bs=1M", "status=progress", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def lun_sha256(rig, url, tmp_path, size):
    """The LUN's first size bytes, read straight from the target (not through swiscsid)."""
    back = tmp_path / "back"
    r = subprocess.run([*rig.prefix, str(BUILD / "tools" / "swiscsi-cp"), url, str(back)],
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "SWISCSI_REPLACEMENT_TIMEOUT_MS": "0"})
    assert r.returncode == 0, r
    return sha256(back, size)


WRITE_SIZE = 256 * MiB


def write_with_nic1_going_down(rig, tmp_path, **start):
    """256 MiB written through the by-id file (no_path_retry fail: the map never holds the write
    for want of a path; it must go on NIC 2), NIC 1 taken down a quarter of the way: the
    write's outcome and how long after the NIC went down it ended."""
    size = WRITE_SIZE
    url, byid, backing = start_map(rig, tmp_path, size,
                                   "failback = immediate\nno_path_retry = fail\n", **start)
    src = random_file(tmp_path / "src", size)
    w = dd(f"if={src}", f"of={byid}", "oflag=direct", "conv=notrunc,fsync")
    try:
        wait_written(w, backing, size // 4)
        nic(rig.lab, "p1", "down")
        down = time.monotonic()
    finally:
        rc, err = finished(w, 240)
    took = time.monotonic() - down
    assert rc == 0, err
    print(f"write done {took:.1f} s after NIC 1 went down")
    return url, byid, src, took


def test_nic1_down_mid_write_then_back(rig, tmp_path):
    url, byid, src, took = write_with_nic1_going_down(rig, tmp_path)
    # moved, not held: ~2 s to notice, then the rest of the write on NIC 2 (a few seconds
    # here); 60 s is generous for a loaded machine and half the 120 s a held command waits
    assert took < 60, took
    text = rig.daemon.text()
    assert "connection lost" in text and "is down" in text, text
    assert path_states(rig) == {"p1": "failed faulty running", "p2": "active ready running"}
    assert lun_sha256(rig, url, tmp_path, WRITE_SIZE) == sha256(src)
    # NIC 1 down: reads go through NIC 2 alone
    paths, seen = read_paths(rig, byid, 0, 32)
    assert paths.keys() == {"p2"} and paths["p2"] >= 32 * MiB, paths
    assert set(seen["out"]) == {"fo2"} and set(seen["in"]) == {"fo2"}, seen
    # NIC 1 back: reinstated within the reconnect back-off (4 s at most between attempts)
    nic(rig.lab, "p1", "up")
    wait_states(rig, {"p1": "active ready running", "p2": "active ready running"}, 60)
    assert "session reinstated" in rig.daemon.text()
    # and round-robin sends half the reads its way again
    paths, seen = read_paths(rig, byid, 64, 32)
    assert paths.keys() == {"p1", "p2"} and min(paths.values()) >= 8 * MiB, paths
    assert seen["in"].get("fo1", 0) > 0 and seen["in"].get("fo2", 0) > 0, seen


# keepalives too slow to notice anything within these tests (30 s + 30 s): what notices a NIC
# going down is the daemon's link watch, at once
SLOW_NOOP = (("node.conn[0].timeo.noop_out_interval", "30"),
             ("node.conn[0].timeo.noop_out_timeout", "30"),
             ("node.session.timeo.replacement_timeout", "120"))


def test_nic1_down_mid_write_noticed_by_the_link_watch(rig, tmp_path):
    url, byid, src, took = write_with_nic1_going_down(rig, tmp_path, record=SLOW_NOOP)
    # the keepalive would need 60 s to notice; the link watch drops the connection at once and
    # the rest of the write (~3/4 of 256 MiB) goes on NIC 2 in a few seconds: 15 s leaves a
    # loaded machine room and is still a quarter of what the keepalive would take
    assert took < 15, took
    text = rig.daemon.text()
    assert re.search(r"network device fo1 went down: session \d+'s connection dropped", text), text
    assert "did not answer a NOP-Out" not in text, text
    assert ERROR_LINE.findall(text) == [], text   # the application saw no error: nor does the log
    assert len(down_lines(text, "p1")) == 1, text
    assert path_states(rig) == {"p1": "failed faulty running", "p2": "active ready running"}
    assert lun_sha256(rig, url, tmp_path, WRITE_SIZE) == sha256(src)
    nic(rig.lab, "p1", "up")
    wait_states(rig, {"p1": "active ready running", "p2": "active ready running"}, 60)


# The daemon's foreground log (dlog.c): "swiscsid: error: ", "swiscsid: warning: " or, for the
# less urgent, "swiscsid: " before each line.
ERROR_LINE = re.compile(r"^swiscsid: error: .*$", re.M)


def down_lines(text, iface):
    """The warnings that iface's path went down: [(commands re-issued on other paths, the rest
    of the line)]."""
    return re.findall(rf"^swiscsid: warning: multipath map \S+: path \d+ \(session \d+, "
                      rf"iface {iface}\) is down(?:: (\d+) commands? re-issued on other paths)?"
                      rf"(.*)$", text, re.M)


def test_nic1_down_at_depth_32_is_one_warning_and_no_error(rig, tmp_path):
    """What an administrator reads when a NIC fails under load: the commands in flight on it
    go again on NIC 2 (fio verifies every block), and the log says it once."""
    require(have("fio"), "fio")
    size = 128 * MiB
    _, byid, backing = start_map(rig, tmp_path, size,
                                 "failback = immediate\nno_path_retry = fail\n", record=SLOW_NOOP)
    fio = subprocess.Popen(
        ["fio", "--name=failover", "--filename=" + str(byid).replace(":", "\\:"),
         "--ioengine=libaio", "--direct=1", "--iodepth=32", "--bs=64k", "--rw=randwrite",
         f"--size={size}", "--verify=crc32c", "--verify_fatal=1", "--do_verify=1",
         "--randrepeat=0", "--verify_state_save=0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_written(fio, backing, size // 4)
        nic(rig.lab, "p1", "down")
        rig.daemon.wait_log("iface p1) is down")
    finally:
        rc, err = finished(fio, 240)
    assert rc == 0, err
    assert "verify:" not in err, err
    text = rig.daemon.text()
    # one warning for the path, with the count: depth 32 over two round-robin paths keeps
    # about half the commands on NIC 1 (2 is a floor that still shows it is a count)
    down = down_lines(text, "p1")
    assert len(down) == 1 and down[0][0] and int(down[0][0]) >= 2, (down, text)
    assert down[0][1] == "", (down, text)   # nothing held or failed: NIC 2 took them all
    # and nothing at error level, nor a line per command at any level
    assert ERROR_LINE.findall(text) == [], text
    assert "blocks at LBA" not in text, text
    print(f"NIC 1 down: {down[0][0]} commands re-issued on NIC 2")
    assert path_states(rig) == {"p1": "failed faulty running", "p2": "active ready running"}


def session_state(rig):
    out = ok(rig, "-m", "session", "-P", "1").out
    m = re.search(r"\t\tiSCSI Session State: (\S+)\n", out)
    assert m, out
    return m.group(1)


def test_single_path_session_recovers_at_once_when_its_nic_goes_down(rig, tmp_path):
    """One session through iface p1 (bound to fo1), no multipath partner: its by-iface file's
    write is held while NIC 1 is down and completes once it is back."""
    size = 64 * MiB
    tid = next(rig.lab.tids)
    iqn = f"{IQN}{tid}"
    backing = backing_file(tmp_path / f"lun{tid}", size)
    rig.lab.tgtd.target(tid, iqn, luns=[("rdwr", backing)])
    (rig.root / "swiscsid.conf").write_text("[global]\nloop_devices = no\n")
    rig.daemon.start()
    ok(rig, "-m", "iface", "-I", "p1", "-o", "new", "-n", "iface.net_ifacename", "-v", "fo1")
    ok(rig, "-m", "discovery", "-t", "st", "-p", PORTALS["p1"], "-I", "p1")
    for key, value in SLOW_NOOP:
        ok(rig, "-m", "node", "-T", iqn, "-o", "update", "-n", key, "-v", value)
    ok(rig, "-m", "node", "-T", iqn, "-I", "p1", "-l")
    assert session_state(rig) == "LOGGED_IN"
    files = list((rig.rundir / "disks" / "by-iface" / "p1").iterdir())
    assert len(files) == 1, files
    src = random_file(tmp_path / "src", size)
    w = dd(f"if={src}", f"of={files[0]}", "oflag=direct", "conv=notrunc,fsync")
    try:
        wait_written(w, backing, size // 4)
        nic(rig.lab, "p1", "down")
        down = time.monotonic()
        # recovery starts at once: a few seconds is generous for the listing to show it (the
        # keepalive alone would take 60 s)
        while session_state(rig) == "LOGGED_IN":
            assert time.monotonic() - down < 10, rig.daemon.text()
            time.sleep(0.1)
        print(f"session left LOGGED_IN {time.monotonic() - down:.1f} s after its NIC went down")
        assert re.search(r"network device fo1 went down: session \d+'s connection dropped",
                         rig.daemon.text()), rig.daemon.text()
        time.sleep(2)   # held, not failed, while the NIC is down
        assert w.poll() is None, w.communicate()
        nic(rig.lab, "p1", "up")
    finally:
        rc, err = finished(w, 180)
    assert rc == 0, err
    rig.daemon.wait_log("session reinstated")
    assert session_state(rig) == "LOGGED_IN"
    assert sha256(backing, size) == sha256(src)


def both_down(rig, policy, tmp_path, size=64 * MiB):
    """A write under way when both NICs go down: (dd, src, url, byid)."""
    url, byid, backing = start_map(rig, tmp_path, size, policy)
    src = random_file(tmp_path / "src", size)
    w = dd(f"if={src}", f"of={byid}", "oflag=direct", "conv=notrunc,fsync")
    wait_written(w, backing, size // 8)
    nic(rig.lab, "p1", "down")
    nic(rig.lab, "p2", "down")
    return w, src, url, byid


def test_no_path_retry_fail(rig, tmp_path):
    w, _, _, _ = both_down(rig, "no_path_retry = fail\n", tmp_path)
    wait_paths_down(rig, 2)
    seen = time.monotonic()
    # EIO at once once no path is left: 10 s is a generous bound for "at once"
    rc, err = finished(w, 30)
    took = time.monotonic() - seen
    assert rc != 0 and "Input/output error" in err, (rc, err)
    assert took < 10, took
    print(f"EIO {took:.1f} s after the last path went down")
    # what the application saw is an error in the log, the map's and no other
    errors = ERROR_LINE.findall(rig.daemon.text())
    assert errors and all(re.fullmatch(r"swiscsid: error: multipath map \S+: (WRITE of \d+ blocks "
                                       r"at LBA \d+|SYNCHRONIZE CACHE) failed: no path left "
                                       r"\(EIO\)", e) for e in errors), errors


def test_no_path_retry_queue(rig, tmp_path):
    size = 64 * MiB
    w, src, url, byid = both_down(rig, "no_path_retry = queue\n", tmp_path, size)
    wait_paths_down(rig, 2)
    time.sleep(4)  # the outage itself: the write must wait through it
    assert w.poll() is None, w.communicate()
    nic(rig.lab, "p2", "up")
    rc, err = finished(w, 120)
    assert rc == 0, err
    assert lun_sha256(rig, url, tmp_path, size) == sha256(src)


def test_no_path_retry_n(rig, tmp_path):
    # 3 checker intervals of 1 s: EIO about 3 s after the last path went (the kick runs every
    # second): at least 2 s, and 20 s as a generous upper bound on a loaded machine
    w, _, _, _ = both_down(rig, "no_path_retry = 3\npolling_interval = 1\n", tmp_path)
    wait_paths_down(rig, 2)
    seen = time.monotonic()
    rc, err = finished(w, 60)
    took = time.monotonic() - seen
    assert rc != 0 and "Input/output error" in err, (rc, err)
    assert 2 <= took < 20, took
    print(f"EIO {took:.1f} s after the last path went down")


def received(rig):
    """iface -> the Data-In bytes its session received so far (-m session -s)."""
    iface_of = {address: name for name, address in PORTALS.items()}
    got, iface = {}, None
    for line in ok(rig, "-m", "session", "-s").out.splitlines():
        if line.startswith("Stats for session "):
            iface = iface_of[line.split("portal: ")[1].split(",")[0]]
        elif line.startswith("\trxdata_octets: "):
            got[iface] = int(line.split(": ")[1])
    return got


def read_paths(rig, byid, skip, mib=8):
    """An O_DIRECT read of mib MiB through the by-id file: {iface: Data-In bytes it carried}
    for the paths that carried any (the sessions' own counters: keepalives on an idle path
    move the packet counts but carry no data), and the packet counts per NIC."""
    before = received(rig)
    with rig.lab.tcp_counter(3260) as seen:
        rc, err = finished(dd(f"if={byid}", "of=/dev/null", "iflag=direct", f"count={mib}",
                              f"skip={skip}"), 60)
    assert rc == 0, err
    after = received(rig)
    return {i: after[i] - before[i] for i in after if after[i] > before[i]}, seen


@pytest.mark.parametrize("failback", ["immediate", "manual"])
def test_failover_map_fails_back_as_the_policy_says(rig, tmp_path, failback):
    _, byid, _ = start_map(rig, tmp_path, 64 * MiB,
                           f"failback = {failback}\nno_path_retry = queue\n", "failover")
    order = groups(rig)
    assert [status for status, _ in order] == ["active", "enabled"], order
    first, second = (next(iter(paths)) for _, paths in order)

    def carried_by(iface, skip):
        paths, seen = read_paths(rig, byid, skip)
        assert paths.keys() == {iface} and paths[iface] >= 8 * MiB, paths
        assert seen["in"].get(NICS[iface], 0) > 0, seen

    carried_by(first, 0)
    nic(rig.lab, first, "down")
    wait_paths_down(rig, 1)
    carried_by(second, 8)
    nic(rig.lab, first, "up")
    wait_states(rig, {first: "active ready running", second: "active ready running"}, 60)
    # immediate: back on the first path as soon as it is; manual: stays where it failed over
    back_on = first if failback == "immediate" else second
    carried_by(back_on, 16)
    assert [paths for status, paths in groups(rig) if status == "active"][0].keys() == {back_on}
