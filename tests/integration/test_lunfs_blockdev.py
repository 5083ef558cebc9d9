"""LUN files and their loop devices as disks, against tgtd: fio with crc32c verification at
queue depth 32 with O_DIRECT on the file and on the loop device in both loop modes (another
project's FUSE export was seen to corrupt data at depth, so ours is proven there), and ext4 on the loop device surviving a detach
and re-attach with its files intact and a clean fsck."""
import os
import pathlib
import subprocess

import pytest

from conftest import have, require, tool
from ext4check import CHECK, WRITE, in_own_mount_namespace, run
from lunserve import loops_over, lunserve, mounted  # noqa: F401 (lunserve is a fixture)

IQN = "iqn.2026-12.test.swiscsi:blockdev"
MiB = 1 << 20
LOOP_MODES = {"direct": "loop_direct_io = yes\n", "buffered": "loop_direct_io = no\n"}


def make_target(tgtd, tmp_path, mb, **params):
    from tgt import backing_file
    return tgtd.target(1, IQN, luns=[("rdwr", backing_file(tmp_path / "lun", mb * MiB))], **params)


def loop_dio(dev):
    return pathlib.Path(f"/sys/block/{os.path.basename(dev)}/loop/dio").read_text().strip()


def fio_verify(path, *extra):
    require(have("fio"), "fio")
    # fio splits --filename at colons, which LUN file names are full of
    r = subprocess.run(["fio", "--name=verify", "--filename=" + str(path).replace(":", "\\:"), "--ioengine=libaio",
                        "--direct=1", "--iodepth=32", "--size=24M", "--verify=crc32c",
                        "--verify_fatal=1", "--do_verify=1", "--randrepeat=0",
                        "--verify_state_save=0", *extra],   # no state file left in the cwd
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verify:" not in r.stderr, r.stderr


@pytest.mark.parametrize("on", ["file", "loop-direct", "loop-buffered"])
def test_fio_verify_at_depth(tgtd, tmp_path, lunserve, on):
    # a small MaxBurstLength so 1 MiB requests become many pieces in flight at once
    url = make_target(tgtd, tmp_path, 48, MaxBurstLength=65536)
    mode = "buffered" if on == "loop-buffered" else "direct"
    s = lunserve([url], conf="[global]\n" + LOOP_MODES[mode])
    d = s.devices[0]
    assert d["loop"], s.logtext()
    assert loop_dio(d["loop"]) == ("1" if mode == "direct" else "0")
    target = d["file"] if on == "file" else d["loop"]
    fio_verify(target, "--rw=randwrite", "--bs=4k")
    fio_verify(target, "--rw=randwrite", "--bsrange=4k-1m", "--offset=24M")
    assert s.stop() == 0
    assert not loops_over(s.mount) and not mounted(s.mount)


@pytest.mark.parametrize("mode", sorted(LOOP_MODES))
def test_ext4_on_the_loop_device_survives_reattach(tgtd, tmp_path, lunserve, mode):
    require(have("mkfs.ext4") and have("fsck.ext4") and have("unshare"), "e2fsprogs, unshare")
    url = make_target(tgtd, tmp_path, 192)
    conf = "[global]\n" + LOOP_MODES[mode]
    mnt, sums = tmp_path / "mnt", tmp_path / "sums"
    mnt.mkdir()
    s = lunserve([url], conf=conf)
    loop = s.devices[0]["loop"]
    run("mkfs.ext4", "-q", "-F", loop)
    in_own_mount_namespace(WRITE, loop, mnt, sums)   # 64 MiB in 16 random files
    run("fsck.ext4", "-fn", loop)
    assert s.stop() == 0
    assert not loops_over(s.mount), "detach removed the loop device"
    # the filesystem really is on the LUN: read straight from the target, it checks clean
    image = tmp_path / "image"
    r = tool("swiscsi-cp", url + "/1", str(image))
    assert r.rc == 0, r
    run("fsck.ext4", "-fn", image)
    s = lunserve([url], conf=conf)
    loop = s.devices[0]["loop"]
    run("fsck.ext4", "-fn", loop)
    in_own_mount_namespace(CHECK, loop, mnt, sums)
    assert len(sums.read_text().splitlines()) == 16
    assert s.stop() == 0
