"""libswiscsi against istgt, the second target implementation: discovery, several LUNs, CHAP
one-way and mutual, wrong secrets, digests, and data integrity under its R2T settings."""
import hashlib

import pytest

from conftest import tool

CHAP = {"SWISCSI_CHAP_USERNAME": "alice", "SWISCSI_CHAP_PASSWORD": "alicesecret12"}
MUTUAL = dict(CHAP, SWISCSI_CHAP_TARGET_USERNAME="disk", SWISCSI_CHAP_TARGET_PASSWORD="disksecret123")


def negotiated(url, env=None):
    """What the login negotiated, as swiscsi-readcap -n prints it (the login must succeed)."""
    r = tool("swiscsi-readcap", "-n", url, env=env)
    assert r.rc == 0, r
    return dict(line.split(": ", 1) for line in r.out.splitlines())


def test_discovery_and_luns(istgt):
    istgt.unit("two", sizes_mb=(8, 4))
    istgt.unit("one")
    istgt.start()
    r = tool("swiscsi-ls", f"iscsi://{istgt.portal}")
    assert r.rc == 0, r
    assert f"Target:iqn.2026-11.test.istgt:two Portal:{istgt.portal},1" in r.out
    assert "\tLun:0 Type:DIRECT_ACCESS Vendor:FreeBSD Product:iSCSI DISK Size:8388608 (8.0 MiB)" in r.out
    assert "\tLun:1 Type:DIRECT_ACCESS Vendor:FreeBSD Product:iSCSI DISK Size:4194304 (4.0 MiB)" in r.out


def test_chap(istgt):
    url = istgt.unit("chap", chap="CHAP")
    murl = istgt.unit("mutual", chap="CHAP Mutual")
    istgt.user("alice", "alicesecret12", "disk", "disksecret123")
    istgt.start()
    assert negotiated(url + "/0", env=CHAP)["CHAP"] == "MD5"
    r = tool("swiscsi-readcap", url + "/0", env=dict(CHAP, SWISCSI_CHAP_PASSWORD="wrongsecret12"))
    assert r.rc == 24, r
    r = tool("swiscsi-readcap", url + "/0")
    assert r.rc == 24 and "requires authentication" in r.err, r
    assert negotiated(murl + "/0", env=MUTUAL)["CHAP"] == "MD5"
    r = tool("swiscsi-readcap", murl + "/0", env=dict(MUTUAL, SWISCSI_CHAP_TARGET_PASSWORD="notthesecret1"))
    assert r.rc == 24 and "target secret mismatch" in r.err, r


@pytest.mark.parametrize("settings,args", [
    ({}, ""),
    # istgt refuses InitialR2T No, so its unsolicited-data path cannot be driven here
    ({"InitialR2T": "Yes", "ImmediateData": "No"}, ""),
    ({"MaxRecvDataSegmentLength": 512, "MaxBurstLength": 65536, "FirstBurstLength": 512}, ""),
    ({}, "?header_digest=crc32c&data_digest=crc32c"),
], ids=["stock", "r2t-only", "tiny-segments", "digests"])
def test_data_round_trip(istgt, tmp_path, settings, args):
    url = istgt.unit("data", sizes_mb=(8,)) + "/0" + args
    istgt.global_params.update(settings)
    istgt.start()
    data = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range((8 << 20) // 32))
    n = negotiated(url)
    digests = "CRC32C" if "digest" in args else "None"
    assert (n["HeaderDigest"], n["DataDigest"]) == (digests, digests), n
    src = tmp_path / "src"
    src.write_bytes(data)
    r = tool("swiscsi-cp", str(src), url)
    assert r.rc == 0, r
    r = tool("swiscsi-cp", url, "-", binary=True)
    assert r.rc == 0, r
    assert r.out == data
