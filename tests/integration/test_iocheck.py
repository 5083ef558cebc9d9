"""Transfers of 512 B to 16 MiB at odd block offsets, all in flight at once, write and read
back intact (tests/iocheck/swiscsi-iocheck.c), under the data-path settings real targets
impose and under the fake target's R2T patterns."""
import subprocess

import pytest

from conftest import BUILD, Result
from faketarget import FakeTarget

IOCHECK = BUILD / "tests" / "swiscsi-iocheck"
LUN_SIZE = 32 << 20

TGTD = {
    "stock": {},
    "tiny-segments": {"MaxRecvDataSegmentLength": 512, "MaxXmitDataSegmentLength": 512},
    "r2t-only": {"InitialR2T": "Yes", "ImmediateData": "No"},
    "digests": {"HeaderDigest": "CRC32C", "DataDigest": "CRC32C", "InitialR2T": "No"},
    "large-segments": {"MaxRecvDataSegmentLength": 262144, "MaxXmitDataSegmentLength": 262144,
                       "FirstBurstLength": 262144, "MaxBurstLength": 1048576, "InitialR2T": "No"},
}


def iocheck(url):
    proc = subprocess.run([str(IOCHECK), url], capture_output=True, text=True, timeout=180)
    return Result(proc)


@pytest.mark.parametrize("name", sorted(TGTD))
def test_tgtd(tgtd, tmp_path, name):
    from tgt import backing_file
    backing = backing_file(tmp_path / "lun", LUN_SIZE)
    url = tgtd.target(1, "iqn.2026-11.test:iocheck", luns=[("rdwr", backing)], **TGTD[name])
    query = "?header_digest=crc32c&data_digest=crc32c" if name == "digests" else ""
    r = iocheck(url + "/1" + query)
    assert r.rc == 0, r
    assert "written and read back intact, gaps untouched" in r.out
    # libswiscsi's counters (swi_session_stats) saw every transfer: writes of the whole
    # pattern out, it and the gaps back in, each a command, none failed
    line = next(l for l in r.out.splitlines() if l.startswith("stats: "))
    words = line.split()[1:]
    stats = {k: int(v) for k, v in zip(words[::2], words[1::2])}
    written = int(r.out.split(" bytes written")[0].split()[-1])
    assert stats["bytes_tx"] >= written and stats["bytes_rx"] >= written, stats
    assert stats["commands"] >= 27 and stats["pdus_tx"] >= stats["commands"], stats
    assert stats["pdus_rx"] >= stats["commands"], stats
    # one CHECK CONDITION at most: the power-on unit attention of a LUN's first command
    assert stats["errors"] <= 1, stats
    assert (stats["timeouts"], stats["digest_errors"]) == (0, 0), stats


@pytest.mark.parametrize("order", ["in", "shuffle"])
def test_fake_target_r2t_patterns(order):
    t = FakeTarget(blocks=LUN_SIZE // 512, params={"FirstBurstLength": 5120,
                                                   "MaxRecvDataSegmentLength": 12288,
                                                   "MaxOutstandingR2T": 4})
    t.r2t_chunk, t.r2t_order, t.r2t_burst = 40960, order, 4
    t.start()
    try:
        r = iocheck(t.url())
    finally:
        t.stop()
    assert not t.errors, t.errors
    assert r.rc == 0, r
    assert len(t.r2ts) > 100, "the writes went through many R2Ts"


def test_a_mismatch_is_found():
    """The check can fail: a target that returns wrong bytes is caught and named."""
    t = FakeTarget(blocks=LUN_SIZE // 512)
    real_read = None

    def corrupt(conn, task):
        nonlocal real_read
        if task.op not in (0x28, 0x88) or real_read:
            return False
        real_read = True
        cdb = bytes(task.cdb)
        lba = int.from_bytes(cdb[2:6] if task.op == 0x28 else cdb[2:10], "big")
        start = lba * 512
        t.lun[start + 100] ^= 0xFF        # one byte of the first read changes under us
        return False

    t.on_command = corrupt
    t.start()
    try:
        r = iocheck(t.url())
    finally:
        t.stop()
    assert r.rc == 1, r
    assert "mismatch at LUN byte" in r.err
