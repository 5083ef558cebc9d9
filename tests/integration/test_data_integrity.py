"""Patterned data written through swiscsi-cp reads back identically, byte for byte, under every
data-path setting a target can impose: tiny segments (many PDUs per command), unsolicited data
on or off, immediate data on or off, digests."""
import hashlib
import os

import pytest

from conftest import tool

LUN_SIZE = 16 << 20

SETTINGS = {
    "stock": {},
    "tiny-segments": {"MaxRecvDataSegmentLength": 512, "MaxXmitDataSegmentLength": 512},
    "unsolicited": {"InitialR2T": "No", "ImmediateData": "Yes", "FirstBurstLength": 262144},
    "r2t-only": {"InitialR2T": "Yes", "ImmediateData": "No"},
    "immediate-only": {"InitialR2T": "Yes", "ImmediateData": "Yes"},
    "digests": {"HeaderDigest": "CRC32C,None", "DataDigest": "CRC32C,None", "InitialR2T": "No"},
    # 256 KiB Data-In segments are read straight into the command's buffer; a command whose
    # last segment ends the socket's data once stalled here
    "large-segments": {"MaxRecvDataSegmentLength": 262144, "MaxXmitDataSegmentLength": 262144,
                       "FirstBurstLength": 262144, "MaxBurstLength": 1048576, "InitialR2T": "No"},
}


def pattern(size, seed):
    """Data no offset mix-up can reproduce: a hash chain."""
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_write_then_read_back(tgtd, tmp_path, name):
    from tgt import backing_file
    backing = backing_file(tmp_path / "lun", LUN_SIZE)
    url = tgtd.target(1, "iqn.2026-11.test:data", luns=[("rdwr", backing)], **SETTINGS[name]) + "/1"
    args = "?header_digest=crc32c&data_digest=crc32c" if name == "digests" else ""
    data = pattern(LUN_SIZE, name)
    src = tmp_path / "src"
    src.write_bytes(data)
    r = tool("swiscsi-cp", str(src), url + args)
    assert r.rc == 0, r
    with open(backing, "rb") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest(), \
            "the target's backing file holds what we wrote"
    r = tool("swiscsi-cp", url + args, "-", binary=True)
    assert r.rc == 0, r
    assert len(r.out) == LUN_SIZE
    assert r.out == data


def test_odd_sized_input_is_padded(tgtd, tmp_path):
    from tgt import backing_file
    backing = backing_file(tmp_path / "lun", 1 << 20)
    with open(backing, "r+b") as f:
        f.write(b"\xff" * (1 << 20))
    url = tgtd.target(1, "iqn.2026-11.test:odd", luns=[("rdwr", backing)]) + "/1"
    data = pattern(1000 * 3 + 7, "odd")
    r = tool("swiscsi-cp", "-", url, input=data)
    assert r.rc == 0, r
    with open(backing, "rb") as f:
        disk = f.read()
    end = -(-len(data) // 512) * 512  # the last 512-byte block written
    assert disk[:len(data)] == data
    assert disk[len(data):end] == bytes(end - len(data)), "last block padded with zeros"
    assert disk[end:] == b"\xff" * ((1 << 20) - end), "nothing beyond the last block touched"


def test_input_larger_than_lun_is_refused(tgtd, tmp_path):
    from tgt import backing_file
    url = tgtd.target(1, "iqn.2026-11.test:small", luns=[("rdwr", backing_file(tmp_path / "l", 1 << 20))]) + "/1"
    big = tmp_path / "big"
    big.write_bytes(b"x" * ((1 << 20) + 1))
    r = tool("swiscsi-cp", str(big), url)
    assert r.rc == 7 and "larger than the LUN" in r.err, r
