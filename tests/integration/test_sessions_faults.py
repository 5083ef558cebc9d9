"""Issue #13's fault tests through swiscsid's LUN files, every byte checked by checksum and
every wait bounded: tgtd SIGKILLed in the middle of a 256 MiB write and started again 5 s
later; the bound NIC of a session taken down for 10 s in the middle of a copy (namespaces,
per-device packet counts); and down for longer than a 5 s replacement_timeout, where the
writer gets EIO, the daemon and another session keep working, and the session's I/O works
again once the NIC is back, without a new login from anyone.

Loop devices are off (swiscsid.conf): what is tested is the LUN file, and nothing global is
left behind by a failed test."""
import hashlib
import os
import pathlib
import subprocess
import time

import pytest

from conftest import Adm, require, tool
from lunserve import mounted
from netlab import NetLab, sh
from sessiond import Daemon
from tgt import Tgtd, backing_file

MiB = 1 << 20
NO_LOOPS = "[global]\nloop_devices = no\n"
LAB_PORTAL = "10.91.1.254"
LAB_IQN = "iqn.2026-12.test.faults:disk"


def ok(adm, *args, prefix=()):
    r = adm.run(*args, prefix=prefix, timeout=120)
    assert r.rc == 0, r
    return r


def sha256(path, length=None):
    h, left = hashlib.sha256(), length
    with open(path, "rb") as f:
        while left is None or left > 0:
            block = f.read(MiB if left is None else min(MiB, left))
            if not block:
                break
            h.update(block)
            if left is not None:
                left -= len(block)
    return h.hexdigest()


def random_file(path, size):
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))
    return path


def lun_file(adm, iqn):
    """The session's one LUN file, by its udev-style name."""
    found = list((adm.rundir / "disks" / "by-path").glob(f"ip-*-iscsi-{iqn}-lun-1"))
    assert len(found) == 1, found
    return found[0]


def start_copy(src, dst):
    """dd of src onto the LUN file, flushed before it exits: its exit status is the verdict."""
    return subprocess.Popen(["dd", f"if={src}", f"of={dst}", "bs=1M", "conv=notrunc,fsync",
                             "status=none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_written(proc, backing, nbytes, seconds=120):
    """Until the target's backing file holds nbytes (the copy is under way), bounded."""
    deadline = time.monotonic() + seconds
    while os.stat(backing).st_blocks * 512 < nbytes:
        assert proc.poll() is None, ("the copy ended before the fault", proc.communicate())
        assert time.monotonic() < deadline, "the copy did not get going"
        time.sleep(0.02)


def finished(proc, seconds):
    try:
        out, err = proc.communicate(timeout=seconds)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def stats(adm, sid, prefix=()):
    out = ok(adm, "-m", "session", "-r", str(sid), "-s", prefix=prefix).out
    return dict(l.strip().split(": ", 1) for l in out.splitlines() if l.startswith("\t"))


def new_adm(tmp_path):
    (tmp_path / "adm").mkdir()
    adm = Adm(tmp_path / "adm")
    (adm.root / "swiscsid.conf").write_text(NO_LOOPS)
    return adm


def stop_daemon(d, adm):
    d.stop()
    assert not mounted(adm.rundir / "disks"), "the LUN filesystem outlived swiscsid"


def test_tgtd_killed_mid_write_through_the_lun_file(tgtd, tmp_path, request):
    size = 256 * MiB
    iqn = "iqn.2026-12.test.faults:crash"
    backing = backing_file(tmp_path / "lun", size)
    url = tgtd.target(1, iqn, luns=[("rdwr", backing)]) + "/1"
    src = random_file(tmp_path / "src", size)
    adm = new_adm(tmp_path)
    ok(adm, "-m", "discovery", "-t", "st", "-p", tgtd.portal)
    d = Daemon(adm)
    request.addfinalizer(lambda: stop_daemon(d, adm))
    d.start()
    ok(adm, "-m", "node", "-T", iqn, "-l")
    dd = start_copy(src, lun_file(adm, iqn))
    try:
        wait_written(dd, backing, size // 4)
        tgtd.proc.kill()
        tgtd.proc.wait(timeout=10)
        time.sleep(5)  # the outage itself, not a wait for readiness
        tgtd.restart()
        tgtd.target(1, iqn, luns=[("rdwr", backing)])
    finally:
        rc, err = finished(dd, 180)
    assert rc == 0, err
    assert "connection lost" in d.text() and "session reinstated" in d.text(), d.text()
    s = stats(adm, 1)
    assert s["connection_losses"] == "1" and s["session_reinstatements"] == "1", s
    ok(adm, "-m", "node", "-T", iqn, "-u")
    back = tmp_path / "back"
    r = tool("swiscsi-cp", url, str(back), timeout=180)
    assert r.rc == 0, r
    assert sha256(back) == sha256(src)


# ---- the bound NIC goes down (namespaces) ----

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A NetLab and a tgtd in its target namespace on both subnets; tests add targets."""
    require(os.geteuid() == 0, "root (network namespaces)")
    workdir = tmp_path_factory.mktemp("faults-tgtd")
    lab = NetLab()
    tgtd = None
    try:
        tgtd = Tgtd(str(workdir), netns=lab.target, addresses=(LAB_PORTAL, "10.91.2.254"))
        tgtd.start()
        lab.tgtd, lab.tids = tgtd, iter(range(1, 100))
        yield lab
    finally:
        if tgtd:
            tgtd.stop()
        lab.close()


@pytest.fixture
def rig(lab, tmp_path, request):
    """swiscsid in the lab's host network namespace, but in the test's mount namespace (the
    LUN files are the test's to write), with iface "bound" on h1 and "other" on h0."""
    adm = new_adm(tmp_path)
    adm.lab = lab
    adm.prefix = ("nsenter", f"--net=/run/netns/{lab.host}")
    adm.daemon = Daemon(adm, prefix=adm.prefix)
    request.addfinalizer(lambda: stop_daemon(adm.daemon, adm))
    request.addfinalizer(lambda: sh("ip", "-n", lab.host, "link", "set", "h1", "up"))
    for name, dev in (("bound", "h1"), ("other", "h0")):
        ok(adm, "-m", "iface", "-I", name, "-o", "new", "-n", "iface.net_ifacename", "-v", dev)
    return adm


def lab_target(adm, tmp_path, size, name):
    """A new target on the lab's tgtd with one LUN of size bytes: (iqn, backing file)."""
    tid = next(adm.lab.tids)
    iqn = f"{LAB_IQN}{tid}"
    backing = backing_file(tmp_path / f"lun-{name}", size)
    adm.lab.tgtd.target(tid, iqn, luns=[("rdwr", backing)])
    return iqn, backing


def log_in(adm, iqn, iface, *pairs):
    ok(adm, "-m", "discovery", "-t", "st", "-p", LAB_PORTAL, "-I", iface, prefix=adm.prefix)
    # quick keepalives, so a dead NIC shows within seconds even while only writes flow
    pairs = (("node.conn[0].timeo.noop_out_interval", "1"),
             ("node.conn[0].timeo.noop_out_timeout", "1")) + pairs
    for k, v in pairs:
        ok(adm, "-m", "node", "-T", iqn, "-I", iface, "-o", "update", "-n", k, "-v", v,
           prefix=adm.prefix)
    ok(adm, "-m", "node", "-T", iqn, "-I", iface, "-l", prefix=adm.prefix)


def nic(adm, state):
    sh("ip", "-n", adm.lab.host, "link", "set", "h1", state)


def only(counts, dev):
    return set(counts) == {dev} and counts[dev] > 0


def test_bound_nic_down_for_10s_mid_copy(rig, tmp_path):
    size = 64 * MiB
    iqn, backing = lab_target(rig, tmp_path, size, "copy")
    src = random_file(tmp_path / "src", size)
    rig.daemon.start()
    log_in(rig, iqn, "bound")
    with rig.lab.tcp_counter(3260) as seen:
        dd = start_copy(src, lun_file(rig, iqn))
        try:
            wait_written(dd, backing, size // 4)
            nic(rig, "down")
            time.sleep(10)  # the outage itself
            nic(rig, "up")
        finally:
            rc, err = finished(dd, 180)
    assert rc == 0, err
    assert sha256(backing, size) == sha256(src)
    # the session, its recovery included, never left h1
    assert only(seen["out"], "h1") and only(seen["in"], "h1"), seen
    s = stats(rig, 1, prefix=rig.prefix)
    assert (s["connection_losses"], s["session_reinstatements"]) == ("1", "1"), s
    assert s["replacement_timeouts"] == "0", s


def test_bound_nic_down_past_the_replacement_timeout(rig, tmp_path):
    size = 64 * MiB
    iqn, backing = lab_target(rig, tmp_path, size, "expire")
    other_iqn, other_backing = lab_target(rig, tmp_path, 4 * MiB, "other")
    src = random_file(tmp_path / "src", size)
    rig.daemon.start()
    log_in(rig, iqn, "bound", ("node.session.timeo.replacement_timeout", "5"))
    log_in(rig, other_iqn, "other")
    dd = start_copy(src, lun_file(rig, iqn))
    try:
        wait_written(dd, backing, size // 8)
        nic(rig, "down")
        down = time.monotonic()
    finally:
        # 5 s of replacement_timeout after ~2 s of keepalive: a generous bound, never a hang
        rc, err = finished(dd, 60)
    took = time.monotonic() - down
    assert rc != 0 and "Input/output error" in err, (rc, err)
    rig.daemon.wait_log("not recovered within the replacement timeout (5000 ms)")
    print(f"EIO {took:.1f} s after the NIC went down")
    # the daemon and the other session go on
    listed = ok(rig, "-m", "session", prefix=rig.prefix).out.splitlines()
    assert len(listed) == 2, listed
    other = lun_file(rig, other_iqn)
    data = os.urandom(MiB)
    with open(other, "r+b") as f:
        f.write(data)
        os.fsync(f.fileno())
    with open(other_backing, "rb") as f:
        assert f.read(MiB) == data
    out = ok(rig, "-m", "session", "-r", "1", "-P", "1", prefix=rig.prefix).out
    assert "\t\tiSCSI Session State: FAILED\n" in out and "REOPEN" in out, out
    # the NIC is back: the same session carries new I/O, nobody logged in again
    nic(rig, "up")
    rig.daemon.wait_log("session reinstated")
    data = os.urandom(MiB)
    with open(lun_file(rig, iqn), "r+b") as f:
        f.seek(8 * MiB)
        f.write(data)
        os.fsync(f.fileno())
    with open(backing, "rb") as f:
        f.seek(8 * MiB)
        assert f.read(MiB) == data
    s = stats(rig, 1, prefix=rig.prefix)
    assert (s["connection_losses"], s["session_reinstatements"], s["replacement_timeouts"]) == ("1", "1", "1"), s
    assert ok(rig, "-m", "session", prefix=rig.prefix).out.splitlines() == listed
