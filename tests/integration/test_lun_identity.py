"""A different disk under the same LUN number is a different device. The administrator removes
LUN 1 on the target, adds another disk (another backing file, another identity) as LUN 1 and
rescans: the old disk's by-iface file, its loop device and its multipath map's by-id file and
device fail every I/O with EIO (open ones, a filesystem mounted on one), nothing written to them
reaches the new disk, and the new disk gets its own: its by-iface file, a new loop device, a map
under its own by-id name. The same identity re-added keeps everything, as a resize does.

tgtd derives a LUN's identity from its scsi_id (VPD page 0x83's NAA 6 designator is the scsi_id's
hex digits, right-aligned) unless told otherwise; each test sets it per LUN with tgtadm."""
import errno
import hashlib
import mmap
import os
import subprocess
import time

import pytest

from conftest import SWISCSIADM, have, require
from ext4check import run
from lunserve import loop_backing
from test_lun_resize import QUIET_CHECKER, lun_file, session_ifaces
from test_multipath_blockdev import log_in_through, map_loop
from test_multipath_maps import IQN, multipath, ok
from tgt import backing_file

MiB = 1 << 20
OLD_ID, NEW_ID = "beef0001", "beef0002"
OLD_MAP = f"wwn-0x6{OLD_ID:0>31}"     # the NAA 6 designator tgtd makes of each
NEW_MAP = f"wwn-0x6{NEW_ID:0>31}"
BOUND_S = 30   # bounds a hang only, never a pass/fail timing


def identity_params(scsi_id):
    return f"scsi_id={scsi_id},scsi_sn=SN{scsi_id}"


def login_with_identity(adm, tgtd, swiscsid, backing, scsi_id, ifaces=("nic1",)):
    """LUN 1 of target 1 over backing, with the identity scsi_id, logged in through each of
    ifaces (bound to lo)."""
    tgtd.target(1, IQN, luns=[("rdwr", str(backing))])
    tgtd.adm("--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "1",
             "--params", identity_params(scsi_id))
    return log_in_through(adm, tgtd, swiscsid, ifaces, "[global]\n" + QUIET_CHECKER)


def disk(path):
    """A 16 MiB backing file whose first MiB is random: what tells the two disks apart."""
    backing_file(path, 16 * MiB)
    data = os.urandom(MiB)
    with open(path, "r+b") as f:
        f.write(data)
    return data


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def put_on_target(tgtd, backing, scsi_id):
    """LUN 1 goes and comes back over backing with the identity scsi_id."""
    tgtd.adm("--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "1")
    tgtd.adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1",
             "--backing-store", str(backing))
    tgtd.adm("--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "1",
             "--params", identity_params(scsi_id))


def loops_of(path):
    """The loop devices whose backing file is (or was, before another disk took its name)
    path."""
    return sorted(f"/dev/{e.name}" for e in os.scandir("/sys/block")
                  if e.name.startswith("loop") and loop_backing(e.name) == str(path))


def loop_of(path, besides=None):
    loops = [dev for dev in loops_of(path) if dev != besides]
    assert len(loops) == 1, loops
    return loops[0]


def wait_unbound(dev):
    """The kernel clears a detached loop device at its last close: wait for that, bounded."""
    deadline = time.monotonic() + BOUND_S
    while loop_backing(dev) is not None:
        assert time.monotonic() < deadline, f"{dev} still bound to {loop_backing(dev)}"
        time.sleep(0.05)


def assert_eio(fn, fd, *args):
    """fn(fd, *args) fails with EIO (what failed is named: four fds are tried)."""
    try:
        fn(fd, *args)
    except OSError as e:
        assert e.errno == errno.EIO, e
    else:
        pytest.fail(f"{fn.__name__} of fd {fd} ({os.readlink(f'/proc/self/fd/{fd}')}) "
                    "did not fail")


def test_another_disk_under_the_same_lun_is_a_new_device(adm, tgtd, swiscsid, tmp_path):
    old, new = tmp_path / "lun1", tmp_path / "other"
    a, b = disk(old), disk(new)
    byid = login_with_identity(adm, tgtd, swiscsid, old, OLD_ID)
    path = lun_file(swiscsid, tgtd, "nic1")
    loop, map_dev = loop_of(path), "/dev/" + map_loop(adm, OLD_MAP)
    buf = mmap.mmap(-1, MiB)
    # open across both re-adds: the two files and their two devices
    fd, mfd = os.open(path, os.O_RDWR), os.open(byid / OLD_MAP, os.O_RDWR)
    lfd = os.open(loop, os.O_RDWR | os.O_DIRECT)
    mlfd = os.open(map_dev, os.O_RDWR | os.O_DIRECT)
    try:
        assert os.pread(fd, MiB, 0) == os.pread(mfd, MiB, 0) == a

        # the same disk, its identity the same, re-added: everything stays
        put_on_target(tgtd, old, OLD_ID)
        ok(adm, "-m", "session", "-r", "1", "-R")
        assert os.pread(fd, MiB, 0) == os.pread(mfd, MiB, 0) == a
        assert os.preadv(lfd, [buf], 0) == MiB and buf[:] == a
        assert loop_of(path) == loop and map_loop(adm, OLD_MAP) == map_dev[5:]
        assert (byid / OLD_MAP).exists()

        # another disk under LUN 1, the same size: the old disk's four fail, all of them
        on_new = digest(new)
        put_on_target(tgtd, new, NEW_ID)
        ok(adm, "-m", "session", "-r", "1", "-R")
        for f in (fd, mfd):
            assert_eio(os.pread, f, MiB, 0)
            assert_eio(os.pwrite, f, b"x" * 4096, 0)
        buf[:] = b"y" * MiB
        for f in (lfd, mlfd):
            assert_eio(os.preadv, f, [buf], 0)
            assert_eio(os.pwritev, f, [buf], 0)
        assert_eio(os.fsync, fd)
        assert digest(new) == on_new, "what went to the old disk's files reached the new disk"

        # the new disk's: its by-iface file (the same name), a new loop device, its own map
        with open(path, "rb") as f:
            assert f.read(MiB) == b
        new_loop = loop_of(path, besides=loop)   # the old one goes at its last close
        assert not (byid / OLD_MAP).exists()
        with open(byid / NEW_MAP, "rb") as f:
            assert f.read(MiB) == b
        new_map_dev = "/dev/" + map_loop(adm, NEW_MAP)
        assert new_map_dev not in (loop, map_dev, new_loop)
        assert loop_backing(new_map_dev) == str(byid / NEW_MAP)
        fresh = os.open(new_map_dev, os.O_RDWR | os.O_DIRECT)
        try:
            assert os.preadv(fresh, [buf], 0) == MiB and buf[:] == b
            buf[:] = os.urandom(MiB)
            assert os.pwritev(fresh, [buf], 4 * MiB) == MiB
            os.fsync(fresh)
        finally:
            os.close(fresh)
        with open(new, "rb") as f:
            f.seek(4 * MiB)
            assert f.read(MiB) == buf[:]
        r = multipath(adm, "-ll")
        assert r.returncode == 0 and NEW_MAP in r.stdout and OLD_MAP not in r.stdout, r
        out = ok(adm, "-m", "session", "-P", "3").out
        assert f"Multipath map: {NEW_MAP}\t" in out and OLD_MAP not in out, out
    finally:
        for f in (fd, mfd, lfd, mlfd):
            os.close(f)
    # detached while open: gone at their last close
    wait_unbound(loop)
    wait_unbound(map_dev)
    with open(old, "rb") as f:
        assert f.read(MiB) == a, "the old disk kept what it had"
    log = swiscsid.text()
    line = f"{IQN}: lun 1: another disk (identity {NEW_MAP}, was {OLD_MAP})"
    assert log.count(line) == 1, log
    assert f"LUN 1 leaves multipath map {OLD_MAP}" in log, log
    assert f"by-id/{OLD_MAP}: removed" in log, log
    assert log.count(f"LUN 1 is path 1 of multipath map {OLD_MAP}") == 1, log
    assert f"LUN 1 is path 1 of multipath map {NEW_MAP}" in log, log


SWAP_MOUNTED = """mount "$1" "$2"
head -c 4194304 /dev/urandom > "$2/before"
sync "$2/before"
tgtadm -C "$3" --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
tgtadm -C "$3" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 --backing-store "$4"
tgtadm -C "$3" --lld iscsi --op update --mode logicalunit --tid 1 --lun 1 --params "$5"
"$6" -m session -r 1 -R >&2
if dd if="$2/before" of=/dev/null bs=1M iflag=direct 2>&2; then echo read-ok
else echo read-failed; fi
if dd if=/dev/urandom of="$2/after" bs=1M count=1 conv=fsync 2>&2; then echo write-ok
else echo write-failed; fi
umount "$2" && echo unmounted
"""


@pytest.mark.parametrize("device", ["by-iface", "by-id"])
def test_a_filesystem_on_the_old_disk_sees_errors(adm, tgtd, swiscsid, tmp_path, device):
    """ext4 mounted on the old disk's loop device (its by-iface file's, or its map's) while
    another disk takes its LUN number: its reads and writes fail, none of it reaches the new
    disk, and it unmounts."""
    require(have("mkfs.ext4") and have("unshare"), "e2fsprogs, util-linux")
    old, new = tmp_path / "lun1", tmp_path / "other"
    disk(old)
    b = disk(new)
    byid = login_with_identity(adm, tgtd, swiscsid, old, OLD_ID)
    path = lun_file(swiscsid, tgtd, "nic1")
    dev = loop_of(path) if device == "by-iface" else "/dev/" + map_loop(adm, OLD_MAP)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    run("mkfs.ext4", "-q", "-F", dev)
    on_new = digest(new)
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-ec", SWAP_MOUNTED,
                        "sh", dev, str(mnt), str(tgtd.ctl), str(new), identity_params(NEW_ID),
                        str(SWISCSIADM)], env=adm.env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r
    assert r.stdout.split() == ["read-failed", "write-failed", "unmounted"], r
    wait_unbound(dev)
    assert digest(new) == on_new, "the old disk's filesystem wrote into the new disk"
    with open(path, "rb") as f:
        assert f.read(MiB) == b
    with open(byid / NEW_MAP, "rb") as f:
        assert f.read(MiB) == b
    assert not (byid / OLD_MAP).exists()
    assert loop_of(byid / NEW_MAP) == "/dev/" + map_loop(adm, NEW_MAP)
    assert loop_of(path) != dev


def map_paths(adm, name):
    """The ifaces of the map's paths, from -ll (none when there is no such map)."""
    r = multipath(adm, "-ll", name)
    return sorted(line.split()[2] for line in r.stdout.splitlines()[3:])


def test_the_targets_other_sessions_follow(adm, tgtd, swiscsid, tmp_path):
    """Two sessions to the target, one map of two paths; only session 1 is rescanned after the
    swap. A LUN is its target's and LUN number's on every session: the map's other path leaves
    it at once (the map goes with it, its by-id file failing with EIO) and session 2 rescans by
    itself, its old file failing too, both sessions' new files joining the new disk's map."""
    old, new = tmp_path / "lun1", tmp_path / "other"
    a, b = disk(old), disk(new)
    byid = login_with_identity(adm, tgtd, swiscsid, old, OLD_ID, ("nic1", "nic2"))
    assert map_paths(adm, OLD_MAP) == ["nic1", "nic2"]
    ifaces = session_ifaces(adm)
    files = {sid: lun_file(swiscsid, tgtd, iface) for sid, iface in ifaces.items()}
    fds = {sid: os.open(f, os.O_RDWR) for sid, f in files.items()}
    mfd = os.open(byid / OLD_MAP, os.O_RDWR)
    try:
        assert os.pread(mfd, MiB, 0) == os.pread(fds[2], MiB, 0) == a
        on_new = digest(new)
        put_on_target(tgtd, new, NEW_ID)
        ok(adm, "-m", "session", "-r", "1", "-R")
        # as -R returns: no path of the old map is left, nor the map
        assert_eio(os.pread, mfd, MiB, 0)
        assert_eio(os.pwrite, mfd, b"x" * 4096, 0)
        assert not (byid / OLD_MAP).exists()
        assert map_paths(adm, OLD_MAP) == []
        assert_eio(os.pread, fds[1], MiB, 0)
        # session 2's own rescan, started by session 1's: its old file fails, both join
        deadline = time.monotonic() + BOUND_S
        while map_paths(adm, NEW_MAP) != ["nic1", "nic2"]:
            assert time.monotonic() < deadline, (map_paths(adm, NEW_MAP), swiscsid.text())
            time.sleep(0.05)
        assert_eio(os.pread, fds[2], MiB, 0)
        assert_eio(os.pwrite, fds[2], b"x" * 4096, 0)
        assert digest(new) == on_new
        for f in files.values():
            with open(f, "rb") as g:
                assert g.read(MiB) == b
        with open(byid / NEW_MAP, "rb") as g:
            assert g.read(MiB) == b
    finally:
        for f in (*fds.values(), mfd):
            os.close(f)
    log = swiscsid.text()
    assert (f"session 2: LUN 1 leaves multipath map {OLD_MAP}: session 1 found another disk "
            "under that LUN; rescanning") in log, log
    assert log.count(f"{IQN}: lun 1: another disk (identity {NEW_MAP}, was {OLD_MAP})") == 2, log
