"""libswiscsi against a real tgtd: discovery, login, CHAP (one-way, mutual, wrong secrets,
algorithm fallback), digests, several LUNs, and clean errors for bad portals and targets."""
import os

from conftest import tool

CHAP = {"SWISCSI_CHAP_USERNAME": "alice", "SWISCSI_CHAP_PASSWORD": "alicesecret12"}
MUTUAL = dict(CHAP, SWISCSI_CHAP_TARGET_USERNAME="disk", SWISCSI_CHAP_TARGET_PASSWORD="disksecret123")


def test_discovery_lists_targets_portals_and_luns(tgtd, tmp_path):
    from tgt import backing_file
    tgtd.target(1, "iqn.2026-11.test:one", luns=[("rdwr", backing_file(tmp_path / "a", 8 << 20)),
                                                 ("rdwr", backing_file(tmp_path / "b", 16 << 20))])
    tgtd.target(2, "iqn.2026-11.test:two")
    r = tool("swiscsi-ls", f"iscsi://{tgtd.portal}")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert f"Target:iqn.2026-11.test:one Portal:{tgtd.portal},1" in lines
    assert f"Target:iqn.2026-11.test:two Portal:{tgtd.portal},1" in lines
    assert "\tLun:0 Type:STORAGE_ARRAY_CONTROLLER Vendor:IET Product:Controller" in lines
    assert any(l.startswith("\tLun:1 Type:DIRECT_ACCESS") and "Size:8388608 " in l for l in lines)
    assert any(l.startswith("\tLun:2 Type:DIRECT_ACCESS") and "Size:16777216 " in l for l in lines)


def test_readcap(tgtd, tmp_path):
    from tgt import backing_file
    url = tgtd.target(1, "iqn.2026-11.test:cap", luns=[("rdwr", backing_file(tmp_path / "a", 3 << 20))])
    r = tool("swiscsi-readcap", url + "/1")
    assert (r.rc, r.out) == (0, "Blocks: 6144\nBlock size: 512\nBytes: 3145728\n"), r


def test_one_way_chap(tgtd):
    url = tgtd.target(1, "iqn.2026-11.test:chap")
    tgtd.chap(1, "alice", "alicesecret12")
    assert negotiated(url + "/1", env=CHAP)["CHAP"] == "MD5"
    r = tool("swiscsi-readcap", url + "/1", env=dict(CHAP, SWISCSI_CHAP_PASSWORD="wrongsecret12"))
    assert r.rc == 24 and "authentication failure" in r.err, r
    assert "wrongsecret12" not in r.err and "alicesecret12" not in r.err
    r = tool("swiscsi-readcap", url + "/1")
    assert r.rc == 24, r
    # credentials in the URL, as libiscsi takes them
    host = tgtd.portal
    r = tool("swiscsi-readcap", f"iscsi://alice%alicesecret12@{host}/iqn.2026-11.test:chap/1")
    assert r.rc == 0, r


def test_chap_algorithm_fallback(tgtd):
    """tgtd knows only MD5 and mishandles SHA-256 offers: logins still succeed when MD5 is on
    the list, and fail as authentication failures when it is not."""
    url = tgtd.target(1, "iqn.2026-11.test:algs")
    tgtd.chap(1, "alice", "alicesecret12")
    for algs in ("SHA3-256,SHA256,SHA1,MD5", "SHA256,MD5", "SHA1,MD5", "MD5"):
        assert negotiated(f"{url}/1?auth={algs}", env=CHAP)["CHAP"] == "MD5", algs
    r = tool("swiscsi-readcap", f"{url}/1?auth=SHA256", env=CHAP)
    assert r.rc == 24 and "CHAP algorithms offered" in r.err, r


def test_mutual_chap(tgtd):
    url = tgtd.target(1, "iqn.2026-11.test:mutual")
    tgtd.chap(1, "alice", "alicesecret12")
    tgtd.chap(1, "disk", "disksecret123", outgoing=True)
    assert negotiated(url + "/1", env=MUTUAL)["CHAP"] == "MD5"
    r = tool("swiscsi-readcap", url + "/1", env=dict(MUTUAL, SWISCSI_CHAP_TARGET_PASSWORD="notthesecret1"))
    assert r.rc == 24 and "target secret mismatch" in r.err, r
    r = tool("swiscsi-readcap", url + "/1", env=dict(MUTUAL, SWISCSI_CHAP_TARGET_USERNAME="other"))
    assert r.rc == 24, r


def test_digests(tgtd):
    url = tgtd.target(1, "iqn.2026-11.test:dig", HeaderDigest="CRC32C,None", DataDigest="CRC32C,None")
    for args, header, data in (("header_digest=crc32c&data_digest=crc32c", "CRC32C", "CRC32C"),
                               ("header_digest=crc32c", "CRC32C", "None"),
                               ("data_digest=crc32c,none", "None", "CRC32C"),
                               ("header_digest=none", "None", "None")):
        n = negotiated(f"{url}/1?{args}")
        assert (n["HeaderDigest"], n["DataDigest"]) == (header, data), args
        assert "Blocks" in n, "a command ran with those digests"


def test_errors(tgtd):
    url = tgtd.target(1, "iqn.2026-11.test:err")
    r = tool("swiscsi-readcap", f"iscsi://{tgtd.portal}/iqn.2026-11.test:nosuch/1")
    assert r.rc == 19 and "target not found" in r.err, r
    from tgt import free_tcp_port
    r = tool("swiscsi-ls", f"iscsi://127.0.0.1:{free_tcp_port()}")
    assert r.rc == 4 and "Connection refused" in r.err, r
    r = tool("swiscsi-readcap", "http://example/")
    assert r.rc == 7, r
    r = tool("swiscsi-readcap", f"iscsi://{tgtd.portal}/iqn.2026-11.test:err")
    assert r.rc == 7 and "must name a target and a LUN" in r.err, r
    r = tool("swiscsi-readcap", f"{url}/1?header_digest=md5")
    assert r.rc == 7, r


def negotiated(url, env=None):
    r = tool("swiscsi-readcap", "-n", url, env=env)
    assert r.rc == 0, r
    return dict(line.split(": ", 1) for line in r.out.splitlines())


def test_negotiated_values_are_the_targets(tgtd):
    """tgtd answers in one response and transits in a later, empty one: its answers must still
    be the session's values (they once fell back to RFC defaults)."""
    stock = tgtd.target(1, "iqn.2026-11.test:stock") + "/1"
    tuned = tgtd.target(2, "iqn.2026-11.test:tuned", MaxRecvDataSegmentLength=262144,
                        MaxXmitDataSegmentLength=262144, FirstBurstLength=262144,
                        MaxBurstLength=1048576, InitialR2T="No") + "/1"
    n = negotiated(stock)
    assert (n["MaxXmitDataSegmentLength"], n["FirstBurstLength"], n["MaxBurstLength"],
            n["InitialR2T"], n["ImmediateData"]) == ("8192", "65536", "262144", "Yes", "Yes")
    assert n["MaxRecvDataSegmentLength"] == "262144"
    n = negotiated(tuned)
    assert (n["MaxXmitDataSegmentLength"], n["FirstBurstLength"], n["MaxBurstLength"],
            n["InitialR2T"]) == ("262144", "262144", "1048576", "No")
    tgtd.chap(2, "alice", "alicesecret12")
    n = negotiated(tuned, env=CHAP)
    assert n["CHAP"] == "MD5" and n["MaxBurstLength"] == "1048576"
