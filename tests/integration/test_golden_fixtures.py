"""Offload HBA detection against golden output: every scenario of the committed fake /sys trees
(tests/fixtures/sysfs/) prints exactly its EXPECTED-swiscsi-* files (apart from the version
token of # BEGIN RECORD), and writes the same record files open-iscsi 2.1.8 wrote where the
names agree; then trees this test generates (other MACs, port counts, cxgb4i and qedi, software
and broken hosts) list what the naming rules of swiscsiadm(8) say."""
import re

import pytest

from conftest import FIXTURES, Adm
from sysfs_gen import SysfsTree

SCENARIOS = ["none", "cxgb3i", "bnx2i", "be2iscsi", "qla4xxx", "mixed"]
VERSION = re.compile(r"^# BEGIN RECORD \S+$", re.M)


def scenario_dir(name):
    d = FIXTURES / name
    assert d.is_dir(), f"fixture tree {d} is part of the repository"
    return d


def unversioned(text):
    return VERSION.sub("# BEGIN RECORD <version>", text)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_listing_matches_golden(tmp_path, scenario):
    d = scenario_dir(scenario)
    adm = Adm(tmp_path, sysfs=d)
    r = adm.run("-m", "iface")
    assert r.rc == 0, r
    assert r.out == (d / "EXPECTED-swiscsi-iface-list.txt").read_text()
    assert r.err == ""
    # open-iscsi prints nothing for -P 1 while no node uses an iface
    r = adm.run("-m", "iface", "-P", "1")
    assert (r.rc, r.out) == (0, (d / "EXPECTED-iface-P1.txt").read_text()), r


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_show_matches_golden(tmp_path, scenario):
    d = scenario_dir(scenario)
    adm = Adm(tmp_path, sysfs=d)
    shows = sorted(d.glob("EXPECTED-swiscsi-iface-show-*.txt"))
    assert shows, f"no golden show files in {d}"
    for golden in shows:
        name = golden.name[len("EXPECTED-swiscsi-iface-show-"):-len(".txt")]
        r = adm.run("-m", "iface", "-I", name)
        assert r.rc == 0, (name, r)
        assert unversioned(r.out) == unversioned(golden.read_text()), name
        # -o show is the same command
        assert adm.run("-m", "iface", "-I", name, "-o", "show").out == r.out


@pytest.mark.parametrize("scenario", ["be2iscsi", "qla4xxx", "mixed"])
def test_records_on_disk_match_open_iscsi(tmp_path, scenario):
    """Where swiscsi and open-iscsi name a port alike (per-IP iface objects), the record files
    are byte for byte what open-iscsi 2.1.8 wrote, apart from the version token."""
    d = scenario_dir(scenario)
    adm = Adm(tmp_path, sysfs=d)
    assert adm.run("-m", "iface").rc == 0
    theirs = sorted((d / "EXPECTED-etc-iscsi-ifaces").iterdir())
    compared = 0
    for f in theirs:
        if ".ipv" not in f.name or f.name.split(".")[0] not in ("be2iscsi", "qla4xxx"):
            continue
        ours = adm.iface_file(f.name)
        assert ours.is_file(), f.name
        assert unversioned(ours.read_text()) == unversioned(f.read_text()), f.name
        assert ours.stat().st_mode & 0o777 == 0o600
        compared += 1
    assert compared >= 1


# --- generated trees ------------------------------------------------------------------------

def mac(n):
    return f"02:00:5e:10:00:{n:02x}"


def build(tree):
    """Two cxgb4i ports, one qedi port, two be2iscsi-style ports with per-IP objects, a software
    tcp host and two broken hosts. Returns the listing lines the naming rules give."""
    for t in ("tcp", "cxgb4i", "qedi", "be2iscsi"):
        tree.transport(t)
    expected = []
    for hostno, n, netdev in ((10, 0x0a, "eth6"), (11, 0x0b, "eth7")):
        tree.host(hostno, "cxgb4i", {"hwaddress": mac(n), "netdev": netdev, "ipaddress": None,
                                     "initiatorname": "(null)"})
        expected.append(f"cxgb4i.{mac(n)} cxgb4i,{mac(n)},<empty>,<empty>,<empty>")
    tree.host(12, "qedi", {"hwaddress": mac(0x0c), "ipaddress": None})
    expected.append(f"qedi.{mac(0x0c)} qedi,{mac(0x0c)},<empty>,<empty>,<empty>")
    for hostno, n, ip4, ip6 in ((13, 0xc1, "198.51.100.13", None),
                                (14, 0xc2, "198.51.100.14", "2001:0db8:0000:0000:0000:0000:0000:0014")):
        iname = f"iqn.1990-07.com.emulex:{mac(n).replace(':', '-')}"
        kobjs = [("ipv4", 0, {"ipaddress": ip4, "bootproto": "static", "enabled": "enable"})]
        line = [f"be2iscsi.{mac(n)}.ipv4.0 be2iscsi,{mac(n)},{ip4},default,{iname}"]
        if ip6:
            kobjs.append(("ipv6", 1, {"ipaddress": ip6, "enabled": "enable"}))
            line.append(f"be2iscsi.{mac(n)}.ipv6.1 be2iscsi,{mac(n)},{ip6},default,{iname}")
        tree.host(hostno, "be2iscsi", {"hwaddress": mac(n), "initiatorname": iname}, kobjs)
        expected += line
    # a software host: never an offload iface, even with a hardware address
    tree.host(20, "iscsi_tcp", {"hwaddress": mac(0x20), "ipaddress": "192.0.2.9"})
    # no proc_name, and a hardware address the driver has not set: skipped with a warning
    tree.host(21, None, {"hwaddress": mac(0x21)})
    tree.host(22, "cxgb4i", {"hwaddress": "(null)"})
    builtins = ["default tcp,<empty>,<empty>,<empty>,<empty>",
                "iser iser,<empty>,<empty>,<empty>,<empty>"]
    return builtins + sorted(expected, key=lambda l: l.split(" ")[0].encode())


def test_generated_tree_lists_every_port(tmp_path):
    tree = SysfsTree(tmp_path / "sys")
    expected = build(tree)
    adm = Adm(tmp_path, sysfs=tmp_path / "sys")
    r = adm.run("-m", "iface")
    assert r.rc == 0, r
    assert r.out.splitlines() == expected
    assert "host 21" in r.err and "host 22" in r.err, r.err
    assert mac(0x20) not in r.out


def show_keys(text):
    return [l.split(" = ")[0] for l in text.splitlines() if " = " in l]


def test_generated_ports_show_the_full_template(tmp_path):
    """A cxgb4i or qedi port shows the same settings, in the same order, as the golden cxgb3i
    port, with its own identity and nothing invented."""
    tree = SysfsTree(tmp_path / "sys")
    build(tree)
    adm = Adm(tmp_path, sysfs=tmp_path / "sys")
    golden = (scenario_dir("cxgb3i") /
              "EXPECTED-swiscsi-iface-show-cxgb3i.00:00:5e:00:53:31.txt").read_text()
    for t, n in (("cxgb4i", 0x0a), ("qedi", 0x0c)):
        r = adm.run("-m", "iface", "-I", f"{t}.{mac(n)}")
        assert r.rc == 0, r
        assert show_keys(r.out) == show_keys(golden)
        for key, value in (("iface.iscsi_ifacename", f"{t}.{mac(n)}"),
                           ("iface.transport_name", t), ("iface.hwaddress", mac(n)),
                           ("iface.ipaddress", "<empty>"), ("iface.net_ifacename", "<empty>")):
            assert f"\n{key} = {value}\n" in r.out, (key, r.out)


def test_user_settings_on_detected_ports_survive_redetection(tmp_path):
    tree = SysfsTree(tmp_path / "sys")
    build(tree)
    adm = Adm(tmp_path, sysfs=tmp_path / "sys")
    name = f"cxgb4i.{mac(0x0a)}"
    r = adm.run("-m", "iface", "-I", name, "-o", "update", "-n", "iface.ipaddress",
                "-v", "198.51.100.77")
    assert r.rc == 0, r
    for _ in range(2):
        r = adm.run("-m", "iface")
        assert f"{name} cxgb4i,{mac(0x0a)},198.51.100.77,<empty>,<empty>" in r.out.splitlines()
    assert "iface.ipaddress = 198.51.100.77" in adm.iface_file(name).read_text()
