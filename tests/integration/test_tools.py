"""swiscsi-inq and swiscsi-bench against tgtd: what they print and how they fail."""
import json

from conftest import tool


def test_inquiry_standard_and_vpd(tgtd):
    url = tgtd.target(1, "iqn.2026-11.test:inq") + "/1"
    r = tool("swiscsi-inq", url)
    assert r.rc == 0, r
    assert "Peripheral device type: DIRECT_ACCESS (0x00)\n" in r.out
    assert "Vendor: IET\nProduct: VIRTUAL-DISK\n" in r.out
    r = tool("swiscsi-inq", "-e", "1", "-c", "0x00", url)
    assert r.rc == 0 and "Supported page: 0x80\n" in r.out and "Supported page: 0x83\n" in r.out, r
    r = tool("swiscsi-inq", "-e", "1", "-c", "0x80", url)
    assert r.rc == 0 and r.out.startswith("VPD page 0x80\nUnit serial number: beaf11\n"), r
    r = tool("swiscsi-inq", "-e", "1", "-c", "0x83", url)
    assert r.rc == 0 and "Designator: T10 vendor ID, associated with the logical unit: IET" in r.out, r
    r = tool("swiscsi-inq", "-e", "1", "-c", "0x80", "-x", url)
    assert r.rc == 0 and r.out.startswith("00 80 00 24 20 20") and r.out.endswith("62 65 61 66 31 31\n"), r
    r = tool("swiscsi-inq", "-e", "1", "-c", "0xc7", url)
    assert r.rc == 1 and "ILLEGAL REQUEST: INVALID FIELD IN CDB" in r.err, r


def test_bench_json(tgtd):
    url = tgtd.target(1, "iqn.2026-11.test:bench") + "/1"
    for args in (["--random", "--qd", "4"], ["--write", "--bs", "65536", "--qd", "2"]):
        r = tool("swiscsi-bench", *args, "--time", "0.5", "--json", url)
        assert r.rc == 0, r
        res = json.loads(r.out)
        assert set(res) >= {"iops", "mb_per_s", "lat_p50_us", "lat_p99_us", "cpu_us_per_io"}
        assert res["ios"] > 0 and res["errors"] == 0
        assert res["iops"] > 0 and res["lat_p99_us"] >= res["lat_p50_us"] > 0


def test_bench_refuses_bad_block_size(tgtd):
    url = tgtd.target(1, "iqn.2026-11.test:bs") + "/1"
    r = tool("swiscsi-bench", "--bs", "1000", "--time", "0.2", url)
    assert r.rc == 7 and "multiple of the block size" in r.err, r
