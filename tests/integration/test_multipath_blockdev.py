"""A multipath map as a disk, against tgtd through ifaces bound to the loopback device: the map's
by-id file has its own loop device (shown by -ll and -m session -P 3) that carries ext4 and goes
with the map's last path; a rescan keeps the maps of the LUNs still there (an open by-id file
keeps working), takes away those that went and makes maps for new ones; -f returns once the
map's loop device is gone from the kernel (or fails naming it, and the map stays)."""
import os
import pathlib
import subprocess
import time

from conftest import have, require, tool
from ext4check import CHECK, WRITE, in_own_mount_namespace, run
from lunserve import loop_backing, loops_over
from test_multipath_maps import IQN, MAP, multipath, ok
from test_multipath_tool import TOOL
from tgt import backing_file

MiB = 1 << 20
MAP2 = "wwn-0x60000000000000000e00000000010002"   # tgtd's NAA 6 for tid 1, LUN 2
MAP3 = "wwn-0x60000000000000000e00000000010003"


def log_in_through(adm, tgtd, swiscsid, ifaces, conf):
    """swiscsid started with conf as its swiscsid.conf, the target tgtd serves discovered and
    logged in through each of ifaces (bound to lo): one path each. Returns the by-id directory."""
    (adm.root / "swiscsid.conf").write_text(conf)
    swiscsid.start()
    for iface in ifaces:
        ok(adm, "-m", "iface", "-I", iface, "-o", "new", "-n", "iface.net_ifacename", "-v", "lo")
    ok(adm, "-m", "discovery", "-t", "st", "-p", tgtd.portal, *sum((["-I", i] for i in ifaces), []))
    ok(adm, "-m", "node", "-T", IQN, "-l")
    return swiscsid.rundir / "disks" / "by-id"


def login(adm, tgtd, swiscsid, tmp_path, ifaces, mb, conf=""):
    url = tgtd.target(1, IQN, luns=[("rdwr", backing_file(tmp_path / "lun1", mb * MiB))])
    return url, log_in_through(adm, tgtd, swiscsid, ifaces,
                               "[global]\npath_selector = round-robin\n" + conf)


def map_loop(adm, name):
    """The map's disk as -ll's first line shows it ("loopN", or "-")."""
    r = multipath(adm, "-ll", name)
    assert r.returncode == 0, r
    return r.stdout.split()[2]


def test_ext4_on_the_by_id_loop_device(adm, tgtd, swiscsid, tmp_path):
    require(have("mkfs.ext4") and have("fsck.ext4") and have("unshare"), "e2fsprogs, unshare")
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1", "nic2"], 160)
    # the login returned with the map's device attached, over the by-id file, direct I/O
    loop = map_loop(adm, MAP)
    assert loop.startswith("loop"), loop
    assert loop_backing(loop) == str(byid / MAP)
    assert pathlib.Path(f"/sys/block/{loop}/loop/dio").read_text().strip() == "1"
    out = ok(adm, "-m", "session", "-P", "3").out
    assert out.count(f"\t\t\tMultipath map: {MAP}\tPath: active ready running\n"
                     f"\t\t\tMultipath disk: {loop}\n") == 2, out
    dev, mnt, sums = f"/dev/{loop}", tmp_path / "mnt", tmp_path / "sums"
    mnt.mkdir()
    run("mkfs.ext4", "-q", "-F", dev)
    in_own_mount_namespace(WRITE, dev, mnt, sums)   # 64 MiB in 16 random files, both paths
    run("fsck.ext4", "-fn", dev)
    # mounted, the map is in use: -f leaves it alone
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        'mount "$1" "$2" && { "$3" -f "$4"; rc=$?; umount "$2"; exit $rc; }',
                        "sh", dev, str(mnt), str(TOOL), MAP],
                       env=adm.env, capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stderr) == (1, f"swiscsi-multipath: {MAP}: map in use\n"), r
    assert map_loop(adm, MAP) == loop

    # one path goes: the map and its device stay; the last one goes: the device goes first
    ok(adm, "-m", "node", "-T", IQN, "-I", "nic2", "-u")
    assert map_loop(adm, MAP) == loop
    run("fsck.ext4", "-fn", dev)
    ok(adm, "-m", "node", "-T", IQN, "-I", "nic1", "-u")
    assert not loops_over(byid), "the map's loop device went with its last path"
    assert not (byid / MAP).exists()
    assert multipath(adm, "-ll").stdout == ""
    log = swiscsid.text()
    assert f"by-id/{MAP}: /dev/{loop} detached" in log, log
    assert log.index(f"/dev/{loop} detached") < log.index(f"by-id/{MAP}: removed"), log

    # the filesystem is on the LUN: clean when read straight from the target, and its files
    # intact through a new map's device
    image = tmp_path / "image"
    r = tool("swiscsi-cp", url + "/1", str(image))
    assert r.rc == 0, r
    run("fsck.ext4", "-fn", str(image))
    ok(adm, "-m", "node", "-T", IQN, "-I", "nic1", "-l")
    dev = "/dev/" + map_loop(adm, MAP)
    in_own_mount_namespace(CHECK, dev, mnt, sums)
    assert len(sums.read_text().splitlines()) == 16


def rescan(adm):
    ok(adm, "-m", "session", "-r", "1", "-R")


def test_rescan_keeps_the_map_of_a_lun_still_there(adm, tgtd, swiscsid, tmp_path):
    # one path: the map would go (and the open file fail) if its path left and came back
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1"], 16)
    loop = map_loop(adm, MAP)
    assert loop.startswith("loop"), loop
    first, second = os.urandom(MiB), os.urandom(MiB)
    fd = os.open(byid / MAP, os.O_RDWR)
    try:
        os.pwrite(fd, first, 2 * MiB)
        rescan(adm)                                   # nothing changed
        assert os.pread(fd, MiB, 2 * MiB) == first
        # a LUN added on the target: a new map with its own device; the first one untouched
        tgtd.adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "2",
                 "--backing-store", backing_file(tmp_path / "lun2", 8 * MiB))
        rescan(adm)
        assert sorted(os.listdir(byid)) == [MAP, MAP2]
        assert (byid / MAP2).stat().st_size == 8 * MiB
        loop2 = map_loop(adm, MAP2)
        assert loop2.startswith("loop") and loop2 != loop, loop2
        assert map_loop(adm, MAP) == loop
        os.pwrite(fd, second, 3 * MiB)
        assert os.pread(fd, MiB, 2 * MiB) == first
        # the LUN removed on the target: its map and device go, the first one stays
        tgtd.adm("--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "2")
        rescan(adm)
        assert os.listdir(byid) == [MAP]
        assert loops_over(byid) == [f"/dev/{loop}"]
        assert os.pread(fd, MiB, 3 * MiB) == second
        os.fsync(fd)
        r = multipath(adm, "-f", MAP)                 # open: in use
        assert (r.returncode, r.stderr) == (1, f"swiscsi-multipath: {MAP}: map in use\n"), r
    finally:
        os.close(fd)
    r = tool("swiscsi-cp", url + "/1", "-", binary=True)
    assert r.rc == 0 and r.out[2 * MiB:4 * MiB] == first + second
    log = swiscsid.text()
    assert log.count(f"by-id/{MAP}: created") == 1, log
    assert f"by-id/{MAP}: removed" not in log, log
    assert f"LUN 2 leaves multipath map {MAP2}" in log, log
    # closed, the map may go, its loop device after it
    deadline = time.monotonic() + 30   # a bound on the kernel's last close, not a timing
    while multipath(adm, "-f", MAP).returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.1)   # the kernel releases a closed FUSE file a moment later
    assert multipath(adm, "-ll").stdout == ""
    # -f answered after the device went
    assert not loops_over(byid) and not (byid / MAP).exists()


def test_flush_returns_once_the_loop_device_is_gone(adm, tgtd, swiscsid, tmp_path):
    """A script's `swiscsi-multipath -f MAP && losetup -a`: the device is no longer listed, and
    the script may take it over at once."""
    require(have("losetup"), "losetup")
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1"], 16)
    loop = map_loop(adm, MAP)
    assert loop.startswith("loop") and loops_over(byid) == [f"/dev/{loop}"], loop
    other = backing_file(tmp_path / "other", MiB)
    script = '"$1" -f "$2" && losetup -a && losetup "/dev/$3" "$4" && losetup -d "/dev/$3"'
    try:
        r = subprocess.run(["sh", "-c", script, "sh", str(TOOL), MAP, loop, str(other)],
                           env=adm.env, capture_output=True, text=True, timeout=120)
    finally:
        if loop_backing(loop) == str(other):   # the script's, left attached by a failure
            subprocess.run(["losetup", "-d", f"/dev/{loop}"], timeout=60)
    assert (r.returncode, r.stderr) == (0, ""), r
    assert f"/dev/{loop}:" not in r.stdout and str(byid) not in r.stdout, r.stdout
    assert not loops_over(byid) and multipath(adm, "-ll").stdout == ""
    log = swiscsid.text()
    # the device first, then the map (and its file)
    assert log.index(f"by-id/{MAP}: /dev/{loop} detached") < log.index(f"by-id/{MAP}: removed") \
        < log.index(f"multipath map {MAP} dropped"), log


def test_flush_of_a_loop_device_held_open_fails_naming_it(adm, tgtd, swiscsid, tmp_path):
    """Open elsewhere (not mounted: -f's in-use check lets it through), the device cannot go
    before its last close: after the daemon's 5 s bound -f fails naming it and the map stays;
    closed, the kernel lets the device go and -f drops the map at once."""
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1"], 16)
    loop = map_loop(adm, MAP)
    assert loop.startswith("loop"), loop
    fd = os.open(f"/dev/{loop}", os.O_RDONLY)
    try:
        started = time.monotonic()
        r = multipath(adm, "-f", MAP)
        took = time.monotonic() - started
        assert r.returncode == 1, r
        assert r.stderr == (f"swiscsi-multipath: {MAP}: loop device /dev/{loop} not detached: "
                            "still attached after 5000 ms (open elsewhere?); the map stays\n"), r
        assert 5 <= took < 30, took
        assert loops_over(byid) == [f"/dev/{loop}"]
        assert multipath(adm, "-ll", MAP).returncode == 0
    finally:
        os.close(fd)   # the last close: the kernel detaches it now
    assert not loops_over(byid)
    r = multipath(adm, "-f", MAP)
    assert (r.returncode, r.stderr) == (0, ""), r
    assert multipath(adm, "-ll").stdout == "" and not (byid / MAP).exists()


def test_target_reported_lun_change_adds_a_map(adm, tgtd, swiscsid, tmp_path):
    """tgtd tells the session of a new LUN with a unit attention (REPORTED LUNS DATA HAS
    CHANGED) on its next command; the daemon's own rescan makes the new map, the I/O that
    saw the attention and the open file carry on."""
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1"], 16, "loop_devices = no\n")
    data = os.urandom(64 * 1024)
    with open(byid / MAP, "r+b", buffering=0) as f:
        tgtd.adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "3",
                 "--backing-store", backing_file(tmp_path / "lun3", 8 * MiB))
        os.pwrite(f.fileno(), data, 0)
        swiscsid.wait_log(f"LUN 3 is path 1 of multipath map {MAP3}")
        assert sorted(os.listdir(byid)) == [MAP, MAP3]
        assert os.pread(f.fileno(), len(data), 0) == data
    assert f"by-id/{MAP}: removed" not in swiscsid.text()
