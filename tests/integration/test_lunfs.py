"""The LUN filesystem against tgtd (RAM-like file backing stores in the test's temp dir): names
and sizes, permissions, data through the file equal to what swiscsi-cp reads from the target
and back, read-only LUNs, LUNs appearing and disappearing on rescan. Driven by
tests/lunfs/lunfs-serve until the session daemon serves the same code."""
import errno
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import have, require, tool
from lunserve import loops_over, lunserve, mounted  # noqa: F401 (lunserve is a fixture)

IQN = "iqn.2026-12.test.swiscsi:lunfs"
MiB = 1 << 20
NO_LOOPS = "[global]\nloop_devices = no\n"


def make_target(tgtd, tmp_path, sizes_mb=(64,), **params):
    from tgt import backing_file
    luns = [("rdwr", backing_file(tmp_path / f"lun{i}", mb * MiB))
            for i, mb in enumerate(sizes_mb, start=1)]
    return tgtd.target(1, IQN, luns=luns, **params)


def file_name(tgtd, lun):
    return f"ip-127.0.0.1:{tgtd.port}-iscsi-{IQN}-lun-{lun}"


def lun_bytes(url):
    r = tool("swiscsi-cp", url, "-", binary=True)
    assert r.rc == 0, r
    return r.out


def test_files_named_sized_and_root_only(tgtd, tmp_path, lunserve):
    url = make_target(tgtd, tmp_path, sizes_mb=(64, 32))
    s = lunserve([url], conf=NO_LOOPS)
    assert sorted(d["lun"] for d in s.devices) == [1, 2]
    for lun, mb in ((1, 64), (2, 32)):
        by_iface = s.mount / "by-iface" / "default" / file_name(tgtd, lun)
        by_path = s.mount / "by-path" / file_name(tgtd, lun)
        a, b = by_iface.stat(), by_path.stat()
        assert a.st_size == mb * MiB
        assert (a.st_ino, a.st_nlink) == (b.st_ino, 2), "the two names are one inode"
        assert oct(a.st_mode & 0o7777) == "0o600" and a.st_uid == 0 and a.st_gid == 0
    assert sorted(os.listdir(s.mount)) == ["by-id", "by-iface", "by-path"]
    assert os.listdir(s.mount / "by-iface") == ["default"]
    # each LUN's identity for multipath, from its VPD page 0x83 (tgtd's NAA 6 names tid and LUN)
    for lun in (1, 2):
        assert f"{file_name(tgtd, lun)}: IET VIRTUAL-DISK, " in s.logtext()
        assert f" bytes, wwn-0x60000000000000000e0000000001000{lun}\n" in s.logtext()
    assert s.stop() == 0
    assert not mounted(s.mount)


def test_iface_name_and_file_mode_from_config(tgtd, tmp_path, lunserve):
    url = make_target(tgtd, tmp_path)
    s = lunserve([url], conf=NO_LOOPS + "file_mode = 0640\n", iface="nic-a")
    f = s.mount / "by-iface" / "nic-a" / file_name(tgtd, 1)
    assert str(f) == s.devices[0]["file"]
    assert oct(f.stat().st_mode & 0o777) == "0o640"
    assert s.devices[0]["loop"] is None, "loop_devices = no"
    assert s.stop() == 0


@pytest.mark.parametrize("mode, readable", [("0600", False), ("0644", True)])
def test_non_root_access_follows_the_mode(tgtd, tmp_path, lunserve, mode, readable, request):
    require(have("runuser"), "runuser (util-linux)")
    url = make_target(tgtd, tmp_path)
    # pytest's temp dirs are root-only: the mount goes where nobody may walk
    top = tempfile.mkdtemp(prefix="swiscsi-lunfs-")
    os.chmod(top, 0o755)
    request.addfinalizer(lambda: shutil.rmtree(top, ignore_errors=True))
    s = lunserve([url], conf=NO_LOOPS + f"file_mode = {mode}\n", mount=os.path.join(top, "disks"))
    r = subprocess.run(["runuser", "-u", "nobody", "--", "dd", f"if={s.devices[0]['file']}",
                        "of=/dev/null", "bs=4096", "count=1"], capture_output=True, text=True)
    if readable:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    assert s.stop() == 0


def test_data_through_the_file_is_on_the_target_and_back(tgtd, tmp_path, lunserve):
    url = make_target(tgtd, tmp_path, sizes_mb=(16,))
    s = lunserve([url], conf=NO_LOOPS)
    path = s.devices[0]["file"]
    chunk, odd = os.urandom(3 * MiB + 4096), os.urandom(3001)
    with open(path, "r+b", buffering=0) as f:
        f.seek(MiB + 1536)          # block-aligned, not page-aligned
        f.write(chunk)
        f.seek(10 * MiB + 1000)     # partial blocks at both ends: read-modify-write
        f.write(odd)
    on_lun = lun_bytes(url + "/1")
    assert len(on_lun) == 16 * MiB
    assert on_lun[MiB + 1536:MiB + 1536 + len(chunk)] == chunk
    assert on_lun[10 * MiB + 1000:10 * MiB + 4001] == odd
    assert on_lun[10 * MiB:10 * MiB + 1000] == bytes(1000), "the rest of the block survived"
    # and the other way: written straight to the target, read through a newly opened file
    fresh = os.urandom(2 * MiB)
    src = tmp_path / "fresh"
    src.write_bytes(fresh)
    r = tool("swiscsi-cp", str(src), url + "/1")
    assert r.rc == 0, r
    with open(path, "rb") as f:
        assert f.read(2 * MiB) == fresh
        f.seek(16 * MiB - 10)
        assert len(f.read(100)) == 10, "reads stop at the LUN's end"
    assert s.stop() == 0


def test_write_past_the_end_is_refused(tgtd, tmp_path, lunserve):
    url = make_target(tgtd, tmp_path, sizes_mb=(8,))
    s = lunserve([url], conf=NO_LOOPS)
    fd = os.open(s.devices[0]["file"], os.O_WRONLY)
    try:
        with pytest.raises(OSError) as e:
            os.pwrite(fd, b"x" * 512, 8 * MiB)
        assert e.value.errno in (errno.ENOSPC, errno.EFBIG)
        with pytest.raises(OSError) as e:
            os.ftruncate(fd, 4 * MiB)
        assert e.value.errno == errno.EPERM
    finally:
        os.close(fd)
    assert s.stop() == 0


def test_read_only_lun(tgtd, tmp_path, lunserve):
    url = make_target(tgtd, tmp_path, sizes_mb=(8,))
    tgtd.adm("--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", "1",
             "--params", "readonly=1")
    s = lunserve([url])
    d = s.devices[0]
    assert d["ro"]
    with pytest.raises(OSError) as e:
        open(d["file"], "r+b")
    assert e.value.errno == errno.EROFS
    with open(d["file"], "rb") as f:
        assert f.read(4096) == bytes(4096)
    assert d["loop"], "a read-only LUN still gets a (read-only) loop device"
    r = subprocess.run(["blockdev", "--getro", d["loop"]], capture_output=True, text=True)
    assert r.stdout.strip() == "1"
    assert s.stop() == 0
    assert not loops_over(s.mount)


def test_luns_appear_and_disappear_on_rescan(tgtd, tmp_path, lunserve):
    from tgt import backing_file
    url = make_target(tgtd, tmp_path, sizes_mb=(8,))
    s = lunserve([url], conf=NO_LOOPS)
    assert [d["lun"] for d in s.devices] == [1]
    tgtd.adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "2", "--bstype",
             "rdwr", "-b", backing_file(tmp_path / "added", 4 * MiB))
    devices = s.rescan()
    assert sorted(d["lun"] for d in devices) == [1, 2]
    added = s.mount / "by-path" / file_name(tgtd, 2)
    assert added.stat().st_size == 4 * MiB
    fd = os.open(added, os.O_RDONLY)
    try:
        tgtd.adm("--op", "delete", "--mode", "logicalunit", "--tid", "1", "--lun", "2")
        assert [d["lun"] for d in s.rescan()] == [1]
        assert not added.exists()
        assert os.listdir(s.mount / "by-path") == [file_name(tgtd, 1)]
        with pytest.raises(OSError) as e:     # removed while open: EIO from then on
            os.pread(fd, 4096, 0)
        assert e.value.errno == errno.EIO
    finally:
        os.close(fd)
    assert s.stop() == 0
