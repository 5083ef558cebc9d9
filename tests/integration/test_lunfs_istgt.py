"""The LUN filesystem against istgt, the second target implementation: LUN 0 and up, sizes,
data through the file equal to what swiscsi-cp reads from the target, fio verify at depth on
the file and its direct-I/O loop device."""
import os

from conftest import tool
from lunserve import loops_over, lunserve  # noqa: F401 (a fixture)
from test_lunfs_blockdev import fio_verify

MiB = 1 << 20


def test_istgt_luns_as_files(istgt, lunserve):
    url = istgt.unit("disks", sizes_mb=(64, 16))
    istgt.start()
    s = lunserve([url])
    assert sorted((d["lun"], d["blocks"] * d["block_size"]) for d in s.devices) == \
        [(0, 64 * MiB), (1, 16 * MiB)]
    name = f"ip-127.0.0.1:{istgt.port}-iscsi-iqn.2026-11.test.istgt:disks-lun-1"
    # istgt names each LUN with an NAA 3 (locally assigned) designator, one per LUN
    ids = {line.rsplit(", ", 1)[1] for line in s.logtext().splitlines() if " blocks of " in line}
    assert len(ids) == 2 and all(i.startswith("wwn-0x3") and len(i) == 22 for i in ids), ids
    small = s.mount / "by-path" / name
    data = os.urandom(5 * MiB)
    with open(small, "r+b", buffering=0) as f:
        f.seek(512)
        f.write(data)
    r = tool("swiscsi-cp", url + "/1", "-", binary=True)
    assert r.rc == 0, r
    assert r.out[512:512 + len(data)] == data
    big = next(d for d in s.devices if d["lun"] == 0)
    fio_verify(big["file"], "--rw=randwrite", "--bs=4k")
    fio_verify(big["loop"], "--rw=randwrite", "--bsrange=4k-1m", "--offset=24M")
    assert s.stop() == 0
    assert not loops_over(s.mount)
