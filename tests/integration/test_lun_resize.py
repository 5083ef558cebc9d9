"""Online LUN resize: a LUN grown (or shrunk) on the target and rescanned (-m session -R, or the
target's CAPACITY DATA HAS CHANGED unit attention) has its new size everywhere, with no logout:
its LUN file (for files opened before too), the file's loop device, the multipath map's by-id
file and its loop device, once every path of the map agrees. Data written before stays, the
bytes past the old end work, a filesystem mounted on the map's device stays mounted; after a
shrink nothing goes past the new end, to the target or from it; a block size that changed makes
the LUN another one. tgtd reads a LUN's size only when the LUN is added, so a resize there is the LUN going
and coming back over the same, resized backing file; the fake target resizes in place."""
import errno
import mmap
import os
import pathlib
import subprocess
import time

import pytest

from conftest import SWISCSIADM, have, require
from direct_io import read_direct, write_direct
from ext4check import run
from faketarget import AttentionOnce
from lunserve import loops_over, lunserve  # noqa: F401 (lunserve is a fixture)
from test_lunfs_errors import fake  # noqa: F401 (a fixture: a 4 MiB fake target)
from test_multipath_blockdev import login, map_loop
from test_multipath_maps import IQN, MAP, multipath, ok

MiB = 1 << 20
# no TEST UNIT READY of the path checker during a test: tgtd answers one sent while its LUN is
# away and back with a unit attention whose own rescan would race the test's
QUIET_CHECKER = "polling_interval = 3600\n"
BOUND_S = 30   # bounds a hang only, never a pass/fail timing


def size64(dev):
    r = subprocess.run(["blockdev", "--getsize64", dev], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return int(r.stdout)


def resize_on_target(tgtd, backing, size):
    os.truncate(backing, size)
    tgtd.adm("--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "1")
    tgtd.adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1",
             "--backing-store", str(backing))


def lun_file(swiscsid, tgtd, iface):
    name = f"ip-127.0.0.1:{tgtd.port}-iscsi-{IQN}-lun-1"
    return swiscsid.rundir / "disks" / "by-iface" / iface / name


def only_loop_over(path):
    loops = loops_over(path)
    assert len(loops) == 1, loops
    return loops[0]


def test_a_grown_lun_grows_everywhere_without_a_logout(adm, tgtd, swiscsid, tmp_path):
    _, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1"], 16, QUIET_CHECKER)
    backing = tmp_path / "lun1"
    path, map_file = lun_file(swiscsid, tgtd, "nic1"), byid / MAP
    loop, map_dev = only_loop_over(path), "/dev/" + map_loop(adm, MAP)
    assert size64(loop) == size64(map_dev) == 16 * MiB
    before, past, via_map, via_loop = (os.urandom(MiB) for _ in range(4))
    fd = os.open(path, os.O_RDWR)           # open across the resize: both files, a device
    mfd = os.open(map_file, os.O_RDWR)
    lfd = os.open(map_dev, os.O_RDONLY)
    try:
        os.pwrite(fd, before, 15 * MiB)
        os.fsync(fd)
        resize_on_target(tgtd, backing, 32 * MiB)
        ok(adm, "-m", "session", "-r", "1", "-R")
        # the new size everywhere as soon as -R returns
        assert path.stat().st_size == map_file.stat().st_size == 32 * MiB
        assert os.fstat(fd).st_size == os.fstat(mfd).st_size == 32 * MiB
        assert size64(loop) == size64(map_dev) == 32 * MiB
        assert only_loop_over(path) == loop and map_loop(adm, MAP) == map_dev[5:]
        r = multipath(adm, "-ll", MAP)
        assert "size=32M " in r.stdout, r.stdout
        # what was there stays; past the old end works through each of the four
        assert os.pread(fd, MiB, 15 * MiB) == before
        assert os.pread(mfd, MiB, 15 * MiB) == before
        os.pwrite(fd, past, 20 * MiB)
        assert os.pread(fd, MiB, 20 * MiB) == past
        os.pwrite(mfd, via_map, 24 * MiB)
        os.fsync(mfd)
        assert os.pread(mfd, MiB, 24 * MiB) == via_map
        assert read_direct(loop, 24 * MiB, MiB) == via_map
        write_direct(loop, 28 * MiB, via_loop)
        assert read_direct(map_dev, 28 * MiB, MiB) == via_loop
        assert read_direct(map_dev, 20 * MiB, MiB) == past
        assert os.pread(lfd, MiB, 20 * MiB) == past and os.pread(lfd, MiB, 15 * MiB) == before
        os.fsync(fd)
        # all of it on the target
        with open(backing, "rb") as f:
            on_lun = f.read()
        assert len(on_lun) == 32 * MiB
        assert on_lun[15 * MiB:16 * MiB] == before and on_lun[20 * MiB:21 * MiB] == past
        assert on_lun[24 * MiB:25 * MiB] == via_map and on_lun[28 * MiB:29 * MiB] == via_loop

        # shrunk again (its one path agrees at once): the map and both devices end earlier
        resize_on_target(tgtd, backing, 24 * MiB)
        ok(adm, "-m", "session", "-r", "1", "-R")
        assert os.fstat(fd).st_size == os.fstat(mfd).st_size == 24 * MiB
        assert size64(loop) == size64(map_dev) == 24 * MiB
        assert os.pread(mfd, MiB, 24 * MiB) == b"" and os.pread(fd, MiB, 28 * MiB) == b""
        with pytest.raises(OSError) as e:
            os.pwrite(mfd, past, 24 * MiB)
        assert e.value.errno in (errno.ENOSPC, errno.EFBIG)
        assert os.pread(mfd, MiB, 20 * MiB) == past and os.pread(fd, MiB, 15 * MiB) == before
        assert os.pread(lfd, MiB, 24 * MiB) == b""
    finally:
        os.close(fd)
        os.close(mfd)
        os.close(lfd)
    log = swiscsid.text()
    assert f"multipath map {MAP}: capacity changed from {32 * MiB} to {24 * MiB} bytes" in log, log
    grown = f"{IQN}: lun 1: capacity changed from {16 * MiB} to {32 * MiB} bytes"
    assert log.count(grown) == 1, log
    assert f"multipath map {MAP}: capacity changed from {16 * MiB} to {32 * MiB} bytes" in log, log
    assert f"{loop} resized" in log and f"by-id/{MAP}: {map_dev} resized" in log, log
    assert f"by-id/{MAP}: removed" not in log and "LUN 1 leaves multipath map" not in log, log


GROW_MOUNTED = """mount "$1" "$2"
head -c 8388608 /dev/urandom > "$2/before"
(cd "$2" && sha256sum before) > "$3"
# no I/O while the LUN is away on the target (tgtd's delete and add): the filesystem is frozen
fsfreeze --freeze "$2"
truncate -s 100663296 "$4"
tgtadm -C "$5" --lld iscsi --op delete --mode logicalunit --tid 1 --lun 1
tgtadm -C "$5" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 --backing-store "$4"
fsfreeze --unfreeze "$2"
"$6" -m session -r 1 -R >&2
blockdev --getsize64 "$1"
head -c 1048576 /dev/urandom > "$2/during"
(cd "$2" && sha256sum during) >> "$3"
(cd "$2" && sha256sum -c --quiet "$3")
umount "$2"
# growing ext4 while mounted needs CAP_SYS_RESOURCE, which this machine's root may lack: the
# filesystem grows unmounted, then takes 40 MiB more than its 48 MiB LUN had room for
e2fsck -fn "$1" > /dev/null
resize2fs -f "$1" >&2
mount "$1" "$2"
head -c 41943040 /dev/urandom > "$2/after"
(cd "$2" && sha256sum after) >> "$3"
(cd "$2" && sha256sum -c --quiet "$3")
df -B1 --output=size "$2" | tail -1
umount "$2"
"""


def test_a_mounted_filesystem_survives_the_growth(adm, tgtd, swiscsid, tmp_path):
    """ext4 mounted on the map's loop device stays mounted and in use while its LUN grows on
    the target and is rescanned: the device has the new size under the mount, the files stay;
    the filesystem then grows into it."""
    require(have("mkfs.ext4") and have("resize2fs") and have("fsfreeze") and have("unshare"),
            "e2fsprogs, util-linux")
    login(adm, tgtd, swiscsid, tmp_path, ["nic1"], 48, QUIET_CHECKER)
    dev, mnt, sums = "/dev/" + map_loop(adm, MAP), tmp_path / "mnt", tmp_path / "sums"
    mnt.mkdir()
    run("mkfs.ext4", "-q", "-F", dev)
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-ec", GROW_MOUNTED,
                        "sh", dev, str(mnt), str(sums), str(tmp_path / "lun1"), str(tgtd.ctl),
                        str(SWISCSIADM)], env=adm.env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r
    grown_under_the_mount, fs_size = (int(w) for w in r.stdout.split())
    assert grown_under_the_mount == 96 * MiB, r.stdout
    assert fs_size > 80 * MiB, r.stdout
    run("fsck.ext4", "-fn", dev)
    assert len(sums.read_text().splitlines()) == 3
    log = swiscsid.text()
    assert f"multipath map {MAP}: capacity changed from {48 * MiB} to {96 * MiB} bytes" in log


def session_ifaces(adm):
    """{SID: iface} from -m session -P 1."""
    out, iface, ifaces = ok(adm, "-m", "session", "-P", "1").out, None, {}
    for line in out.splitlines():     # each session's Iface Name comes before its SID
        words = line.split()
        if words[:2] == ["Iface", "Name:"]:
            iface = words[2]
        elif words[:1] == ["SID:"]:
            ifaces[int(words[1])] = iface
    assert sorted(ifaces) == [1, 2], out
    return ifaces


def test_a_map_resizes_once_its_paths_agree(adm, tgtd, swiscsid, tmp_path):
    _, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1", "nic2"], 16, QUIET_CHECKER)
    map_file, map_dev = byid / MAP, "/dev/" + map_loop(adm, MAP)
    data = os.urandom(MiB)
    with open(map_file, "r+b", buffering=0) as f:
        os.pwrite(f.fileno(), data, 8 * MiB)
        os.fsync(f.fileno())
        resize_on_target(tgtd, tmp_path / "lun1", 24 * MiB)
        # one session rescanned: its path has the new size, the other the old; the map keeps
        # its size (multipathd refuses to resize a map whose paths differ) and says why
        ok(adm, "-m", "session", "-r", "1", "-R")
        sizes_of = {sid: lun_file(swiscsid, tgtd, iface).stat().st_size
                    for sid, iface in session_ifaces(adm).items()}
        assert sizes_of == {1: 24 * MiB, 2: 16 * MiB}, "session 1's path only has the new size"
        assert map_file.stat().st_size == 16 * MiB and size64(map_dev) == 16 * MiB
        log = swiscsid.text()
        assert f"multipath map {MAP}: its paths disagree on the LUN's capacity (" in log, log
        assert f"(session 1) {sizes_of[1]} bytes" in log, log
        assert f"(session 2) {sizes_of[2]} bytes" in log, log
        assert f" bytes): it stays {16 * MiB} bytes until they agree" in log, log
        assert os.pread(f.fileno(), MiB, 8 * MiB) == data
        # every session rescanned: they agree, the map and its device follow
        ok(adm, "-m", "session", "-R")
        assert map_file.stat().st_size == 24 * MiB and size64(map_dev) == 24 * MiB
        assert os.fstat(f.fileno()).st_size == 24 * MiB
        os.pwrite(f.fileno(), data, 20 * MiB)       # past the old end, on both paths
        assert os.pread(f.fileno(), MiB, 20 * MiB) == data
        assert os.pread(f.fileno(), MiB, 8 * MiB) == data
    log = swiscsid.text()
    grown = f"multipath map {MAP}: capacity changed from {16 * MiB} to {24 * MiB} bytes"
    assert log.count(grown) == 1, log
    assert log.index("its paths disagree") < log.index(f"multipath map {MAP}: capacity changed")


# ---- against the fake target: a shrink, and the unit attention ----

def past_end(cdbs, blocks):
    """The READs and WRITEs (10 or 16) among cdbs that reach past LBA blocks."""
    out = []
    for cdb in cdbs:
        if cdb[0] in (0x88, 0x8A):
            lba, n = int.from_bytes(cdb[2:10], "big"), int.from_bytes(cdb[10:14], "big")
        elif cdb[0] in (0x28, 0x2A):
            lba, n = int.from_bytes(cdb[2:6], "big"), int.from_bytes(cdb[7:9], "big")
        else:
            continue
        if lba + n > blocks:
            out.append(cdb.hex())
    return out


LOOP_MODES = {"direct": "[global]\nloop_direct_io = yes\n",
              "buffered": "[global]\nloop_direct_io = no\n"}


@pytest.mark.parametrize("mode", sorted(LOOP_MODES))
def test_a_shrunk_lun_ends_at_its_new_end(fake, lunserve, mode):
    """Decided: the file and its loop device end at the new capacity at once. A read from past
    it is end of file, one across it short; a write past it is ENOSPC, one across it short;
    nothing past it reaches the target."""
    s = lunserve([fake.url()], conf=LOOP_MODES[mode])
    d = s.devices[0]
    assert size64(d["loop"]) == 4 * MiB
    dio = pathlib.Path(f"/sys/block/{os.path.basename(d['loop'])}/loop/dio").read_text().strip()
    assert dio == ("1" if mode == "direct" else "0")
    kept = os.urandom(4096)
    fd = os.open(d["file"], os.O_RDWR)
    try:
        os.pwrite(fd, kept, MiB)
        del fake.lun[2 * MiB:]
        seen = len(fake.commands)
        assert [x["blocks"] for x in s.rescan()] == [4096]
        assert os.stat(d["file"]).st_size == os.fstat(fd).st_size == 2 * MiB
        assert size64(d["loop"]) == 2 * MiB
        assert os.pread(fd, 4096, 3 * MiB) == b""
        assert len(os.pread(fd, 8192, 2 * MiB - 4096)) == 4096
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b"x" * 4096, 3 * MiB)
        assert e.value.errno in (errno.ENOSPC, errno.EFBIG)
        assert os.pwrite(fd, b"z" * 8192, 2 * MiB - 4096) == 4096
        assert os.pread(fd, 4096, MiB) == kept
        lfd = os.open(d["loop"], os.O_RDWR)
        try:
            assert os.pread(lfd, 4096, 3 * MiB) == b""
            with pytest.raises(OSError) as e:
                os.pwrite(lfd, b"y" * 4096, 2 * MiB)
            assert e.value.errno == errno.ENOSPC
        finally:
            os.close(lfd)
        assert read_direct(d["loop"], MiB, 4096) == kept
    finally:
        os.close(fd)
    assert bytes(fake.lun[2 * MiB - 4096:]) == b"z" * 4096
    assert past_end(fake.commands[seen:], 4096) == []
    assert s.stop() == 0
    assert f"lun 0: capacity changed from {4 * MiB} to {2 * MiB} bytes" in s.logtext()


def wait_log(s, needle):
    deadline = time.monotonic() + BOUND_S
    while needle not in s.logtext():
        assert time.monotonic() < deadline, f"{needle!r} not in the log:\n{s.logtext()}"
        time.sleep(0.05)


@pytest.mark.parametrize("mode", sorted(LOOP_MODES))
def test_capacity_data_has_changed_starts_a_rescan(fake, lunserve, mode):
    attention = AttentionOnce(0x2A, 0x09)
    fake.on_command = attention
    s = lunserve([fake.url()], conf=LOOP_MODES[mode])
    d = s.devices[0]
    fake.lun[0:4096] = b"y" * 4096
    fd = os.open(d["file"], os.O_RDWR | os.O_DIRECT)
    try:
        fake.lun.extend(bytes(4 * MiB))      # 4 MiB -> 8 MiB, in place
        attention.armed = True
        buf = mmap.mmap(-1, 4096)
        assert os.preadv(fd, [buf], 0) == 4096, "the command that met the attention was resent"
        assert buf[:] == b"y" * 4096
        assert attention.rescanned.wait(timeout=BOUND_S), "no REPORT LUNS after the unit attention"
        # the loop device's resize is the rescan's last step
        wait_log(s, f"{d['loop']} resized")
        assert f"lun 0: capacity changed from {4 * MiB} to {8 * MiB} bytes" in s.logtext()
        assert os.stat(d["file"]).st_size == os.fstat(fd).st_size == 8 * MiB
        assert size64(d["loop"]) == 8 * MiB
        buf[:] = os.urandom(4096)
        assert os.pwritev(fd, [buf], 6 * MiB) == 4096
        assert bytes(fake.lun[6 * MiB:6 * MiB + 4096]) == buf[:]
        assert read_direct(d["loop"], 6 * MiB, 4096) == buf[:]
    finally:
        os.close(fd)
    assert attention.sent == 1
    assert s.stop() == 0
    assert "the target reports changed LUNs: rescanning" in s.logtext()


def test_a_block_size_change_is_another_lun(fake, lunserve):
    """Decided: every offset the file and its device were used with means other bytes now, so
    the LUN goes (an open file fails with EIO, its loop device is detached) and comes back in
    the same rescan with the new block size, its file and a new loop device."""
    s = lunserve([fake.url()])
    d = s.devices[0]
    fake.lun[4096:8192] = b"q" * 4096
    fd = os.open(d["file"], os.O_RDONLY)
    try:
        assert os.pread(fd, 4096, 4096) == b"q" * 4096
        fake.block_size = 4096                   # the same 4 MiB in 1024 blocks of 4 KiB
        [after] = s.rescan()
        assert (after["blocks"], after["block_size"]) == (1024, 4096)
        assert after["file"] == d["file"] and after["loop"]
        with pytest.raises(OSError) as e:        # the old file's: gone with the old LUN
            os.pread(fd, 4096, 0)
        assert e.value.errno == errno.EIO
    finally:
        os.close(fd)
    assert os.stat(after["file"]).st_size == 4 * MiB
    r = subprocess.run(["blockdev", "--getss", after["loop"]], capture_output=True, text=True)
    assert r.stdout.strip() == "4096", r
    assert read_direct(after["loop"], 4096, 4096) == b"q" * 4096
    with open(after["file"], "rb") as f:
        f.seek(4096)
        assert f.read(4096) == b"q" * 4096
    assert loops_over(s.mount) == [after["loop"]]
    assert s.stop() == 0
    log = s.logtext()
    assert "block size changed from 512 to 4096 bytes" in log, log
    assert "capacity changed" not in log, log
