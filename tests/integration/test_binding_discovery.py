"""Sessions bound to NICs, for real: swiscsiadm runs in a network namespace with two NICs on two
subnets and two NICs sharing one, tgtd runs in the target namespace on every subnet, and a
packet counter in the host namespace shows which NIC carried each discovery's iSCSI traffic."""
import os

import pytest

from conftest import Adm, require
from netlab import lab_with_tgtd, sh

TARGETS = ("iqn.2026-11.test.bind:disk1", "iqn.2026-11.test.bind:disk2")
PORTALS = {"h0": "10.91.1.254", "h1": "10.91.2.254", "h2": "10.91.3.254", "h3": "10.91.3.254"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require(os.geteuid() == 0, "root (network namespaces)")
    with lab_with_tgtd(tmp_path_factory.mktemp("tgtd"),
                       ("10.91.1.254", "10.91.2.254", "10.91.3.254"), TARGETS) as lab:
        yield lab


@pytest.fixture
def adm(tmp_path, lab):
    adm = Adm(tmp_path)
    adm.lab = lab
    return adm


def run(adm, *args):
    return adm.run(*args, prefix=adm.lab.prefix)


def make_iface(adm, name, key, value):
    r = run(adm, "-m", "iface", "-I", name, "-o", "new", "-n", key, "-v", value)
    assert r.rc == 0, r


def only(counts, dev):
    """Traffic on dev and on no other device."""
    return set(counts) == {dev} and counts[dev] > 0


def node_lines(adm):
    r = run(adm, "-m", "node", "-P", "1")
    return r.out.splitlines() if r.rc == 0 else []


def test_two_ifaces_two_nics_each_discovery_stays_on_its_nic(adm, lab):
    make_iface(adm, "iface0", "iface.net_ifacename", "h0")
    make_iface(adm, "iface1", "iface.hwaddress", lab.mac("h1"))
    for iface, dev in (("iface0", "h0"), ("iface1", "h1")):
        with lab.tcp_counter(3260) as seen:
            r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTALS[dev], "-I", iface)
        assert r.rc == 0, r
        assert sorted(r.out.splitlines()) == [f"{PORTALS[dev]}:3260,1 {t}" for t in TARGETS]
        assert only(seen["out"], dev) and only(seen["in"], dev), (iface, seen)
    # each record carries its iface's binding
    r = run(adm, "-m", "node", "-T", TARGETS[0], "-p", PORTALS["h1"], "-I", "iface1")
    assert r.rc == 0, r
    assert f"iface.hwaddress = {lab.mac('h1')}" in r.out
    assert "node.discovery_type = send_targets" in r.out


def test_discovery_through_two_ifaces_binds_every_portal_twice(adm, lab):
    make_iface(adm, "iface0", "iface.net_ifacename", "h0")
    make_iface(adm, "iface1", "iface.net_ifacename", "h1")
    with lab.tcp_counter(3260) as seen:
        r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTALS["h0"], "-I", "iface0",
                "-I", "iface1", "-P", "1")
    assert r.rc == 0, r
    # both NICs carried a discovery session (the h1 one reaches 10.91.1.254 through the target's
    # other port: the binding, not the route, chose the NIC)
    assert set(seen["out"]) == {"h0", "h1"}, seen
    # -P 1 says which address and device each iface's discovery really used
    out = r.out.splitlines()
    for iface, address, dev in (("iface0", "10.91.1.1", "h0"), ("iface1", "10.91.2.1", "h1")):
        at = out.index(f"\t\tIface Name: {iface}")
        assert out[at + 1:at + 3] == [f"\t\tIface IPaddress: {address}", f"\t\tIface Netdev: {dev}"]
    lines = node_lines(adm)
    for target in TARGETS:
        block = lines[lines.index(f"Target: {target}"):][:5]
        assert block == [f"Target: {target}",
                         f"\tPortal: {PORTALS['h0']}:3260,1", "\t\tIface Name: iface0",
                         f"\tPortal: {PORTALS['h0']}:3260,1", "\t\tIface Name: iface1"]
    # unbinding one target from one iface leaves the other iface's record
    r = run(adm, "-m", "node", "-T", TARGETS[0], "-I", "iface1", "-o", "delete")
    assert r.rc == 0, r
    r = run(adm, "-m", "node", "-T", TARGETS[0])
    assert r.out.count("iface.iscsi_ifacename = iface0") == 1
    assert "iface.iscsi_ifacename = iface1" not in r.out


def test_shared_subnet_binding_holds_per_nic_once_arp_is_set(adm, lab):
    make_iface(adm, "p2", "iface.net_ifacename", "h2")
    make_iface(adm, "p3", "iface.net_ifacename", "h3")
    for dev in ("all", "default", "h2", "h3"):
        for key, value in (("arp_ignore", 0), ("arp_announce", 0), ("rp_filter", 0)):
            lab.sysctl(lab.host, f"net.ipv4.conf.{dev}.{key}", value)
    r = run(adm, "-m", "iface", "-I", "p2", "-C", "ping", "-a", PORTALS["h2"])
    assert "set net.ipv4.conf.h2.arp_ignore=1" in r.err, r
    for dev in ("all", "default", "h2", "h3"):
        for key, value in (("arp_ignore", 1), ("arp_announce", 2), ("rp_filter", 2)):
            lab.sysctl(lab.host, f"net.ipv4.conf.{dev}.{key}", value)
    r = run(adm, "-m", "iface", "-I", "p2", "-C", "ping", "-a", PORTALS["h2"])
    assert r.rc == 0 and "warning" not in r.err, r
    for iface, dev in (("p2", "h2"), ("p3", "h3")):
        with lab.tcp_counter(3260) as seen:
            r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTALS[dev], "-I", iface)
        assert r.rc == 0, r
        assert only(seen["out"], dev) and only(seen["in"], dev), (iface, seen)


def short_login_timeout(adm, portal):
    r = run(adm, "-m", "discoverydb", "-t", "st", "-p", portal, "-o", "new")
    assert r.rc == 0, r
    r = run(adm, "-m", "discoverydb", "-t", "st", "-p", portal, "-o", "update",
            "-n", "discovery.sendtargets.timeo.login_timeout", "-v", "3",
            "-n", "discovery.sendtargets.reopen_max", "-v", "0")   # one attempt
    assert r.rc == 0, r


@pytest.mark.parametrize("key, value, message", [
    ("iface.net_ifacename", "hdown", "network device hdown (iface.net_ifacename = hdown) is down"),
    ("iface.hwaddress", "02:00:00:00:00:99", "no network device has this MAC"),
])
def test_unusable_binding_fails_clearly_and_writes_nothing(adm, lab, key, value, message):
    make_iface(adm, "bad", key, value)
    r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTALS["h0"], "-I", "bad")
    assert r.rc == 4, r
    assert message in r.err
    assert not (adm.db / "nodes").exists() and not (adm.db / "send_targets").exists()


def test_portal_unreachable_through_the_bound_nic(adm, lab):
    make_iface(adm, "iface2", "iface.net_ifacename", "h2")
    short_login_timeout(adm, "10.91.1.77")
    with lab.tcp_counter(3260) as seen:
        r = run(adm, "-m", "discovery", "-t", "st", "-p", "10.91.1.77", "-I", "iface2")
    assert r.rc == 11, r   # iscsiadm's code once reopen_max (here 0) retries are spent
    assert "Could not perform SendTargets discovery of 10.91.1.77:3260 through iface iface2" in r.err
    assert set(seen["out"]) <= {"h2"}, seen
    assert not (adm.db / "nodes").exists()


def test_offload_iface_is_refused_naming_the_driver(adm, lab):
    make_iface(adm, "hba", "iface.transport_name", "bnx2i")
    r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTALS["h0"], "-I", "hba")
    assert r.rc == 12, r
    assert "needs the kernel driver bnx2i" in r.err
    assert not (adm.db / "nodes").exists()


def test_alias_binds_its_base_device_and_address(adm, lab):
    sh("ip", "-n", lab.host, "addr", "add", "10.91.1.5/24", "dev", "h0", "label", "h0:7")
    try:
        make_iface(adm, "alias", "iface.net_ifacename", "h0:7")
        with lab.tcp_counter(3260) as seen:
            r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTALS["h0"], "-I", "alias")
        assert r.rc == 0, r
        assert only(seen["out"], "h0"), seen
        assert seen["src"] == {"h0": ["10.91.1.5"]}, seen
        r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTALS["h0"], "-I", "alias", "-P", "1")
        assert "\t\tIface IPaddress: 10.91.1.5\n\t\tIface Netdev: h0\n" in r.out, r
        with lab.echo_counter() as seen:
            r = run(adm, "-m", "iface", "-I", "alias", "-C", "ping", "-a", PORTALS["h0"])
        assert r.rc == 0, r
        assert "sends through h0 (by iface.net_ifacename)" in r.out
        assert seen["src"] == {"h0": ["10.91.1.5"]}, seen
    finally:
        sh("ip", "-n", lab.host, "addr", "del", "10.91.1.5/24", "dev", "h0")
