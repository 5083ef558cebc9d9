"""-m iface -C ping, the binding preflight, for real: swiscsiadm runs inside a network namespace
with four NICs (two on their own subnets, two sharing one) and pings a target namespace; the
kernel's per-device packet counters show which NIC carried the echo requests, and the tool's
own lines say which NIC each reply came back through."""
import re
import shutil

import pytest

from conftest import Adm, require
from netlab import TARGET_V4, TARGET_V6, NetLab

ARP_SETTINGS = ("arp_ignore", "arp_announce", "rp_filter")


@pytest.fixture(scope="module")
def lab():
    require(shutil.which("ip"), "ip (iproute2)")
    lab = NetLab()
    try:
        yield lab
    finally:
        lab.close()


@pytest.fixture
def adm(tmp_path, lab):
    adm = Adm(tmp_path)
    for i in range(4):
        assert adm.run("-m", "iface", "-I", f"p{i}", "-o", "new").rc == 0
        assert adm.run("-m", "iface", "-I", f"p{i}", "-o", "update",
                       "-n", "iface.net_ifacename", "-v", f"h{i}").rc == 0
    return adm


def ping(adm, lab, iface, dst, *extra, env=None):
    prefix = lab.prefix
    if env:
        prefix = (*prefix, "env", *[f"{k}={v}" for k, v in env.items()])
    return adm.run("-m", "iface", "-I", iface, "-C", "ping", "-a", dst, *extra, prefix=prefix)


def set_arp(lab, devs, arp_ignore, arp_announce, rp_filter):
    for dev in ("all", "default", *devs):
        for key, value in zip(ARP_SETTINGS, (arp_ignore, arp_announce, rp_filter)):
            lab.sysctl(lab.host, f"net.ipv4.conf.{dev}.{key}", value)


def only(counts, dev, n):
    """n packets on dev and none on any other device."""
    return counts == ({dev: n} if n else {})


def reply_devices(out):
    return re.findall(r"bytes from \S+ via (\S+): icmp_seq=", out)


def test_each_iface_pings_out_of_its_own_nic(adm, lab):
    for i in (0, 1):
        with lab.echo_counter() as seen:
            r = ping(adm, lab, f"p{i}", TARGET_V4[f"h{i}"], "-c", "3")
        assert r.rc == 0, r
        assert f"Binding: iface p{i} sends through h{i} (by iface.net_ifacename)." in r.out
        assert reply_devices(r.out) == [f"h{i}"] * 3
        assert f"3 packets transmitted, 3 received through h{i}, 0% packet loss" in r.out
        assert only(seen["out"], f"h{i}", 3) and only(seen["in"], f"h{i}", 3), seen


def test_binding_by_mac_finds_the_nic(adm, lab):
    assert adm.run("-m", "iface", "-I", "bymac", "-o", "new").rc == 0
    assert adm.run("-m", "iface", "-I", "bymac", "-o", "update", "-n", "iface.hwaddress",
                   "-v", lab.mac("h1").upper()).rc == 0
    with lab.echo_counter() as seen:
        r = ping(adm, lab, "bymac", TARGET_V4["h1"], "-c", "2")
    assert r.rc == 0, r
    assert "sends through h1 (by iface.hwaddress)" in r.out
    assert reply_devices(r.out) == ["h1", "h1"]
    assert only(seen["out"], "h1", 2), seen


def test_binding_wins_over_the_routing_table_and_says_so(adm, lab):
    # 10.91.1.254 is routed through h0; the iface bound to h1 must still send through h1
    with lab.echo_counter() as seen:
        r = ping(adm, lab, "p1", TARGET_V4["h0"], "-c", "2")
    assert "the routing table sends to 10.91.1.254 through h0 from 10.91.1.1" in r.out, r
    assert "the binding sends through h1" in r.out and "not the routing table's choice" in r.out
    assert only(seen["out"], "h1", 2), seen
    assert r.rc == 0, r
    assert reply_devices(r.out) == ["h1", "h1"]


def test_unbound_iface_follows_the_routing_table(adm, lab):
    r = ping(adm, lab, "default", TARGET_V4["h1"], "-c", "1")
    assert r.rc == 0, r
    assert "iface default is not bound; the routing table decides" in r.out
    assert "through h1 from 10.91.2.1" in r.out
    assert reply_devices(r.out) == ["h1"]


def test_ipv6_through_the_bound_nic(adm, lab):
    with lab.echo_counter() as seen:
        r = ping(adm, lab, "p0", TARGET_V6, "-c", "2", "-b", "100")
    assert r.rc == 0, r
    assert re.findall(r"108 bytes from fd91:1::fe via (\S+):", r.out) == ["h0", "h0"]
    assert only(seen["out"], "h0", 2) and only(seen["in"], "h0", 2), seen
    r = ping(adm, lab, "p1", TARGET_V6)
    assert r.rc == 4, r
    assert "iface p1: network device h1 has no IPv6 address" in r.err


def test_shared_subnet_with_kernel_defaults_warns_per_sysctl(adm, lab):
    set_arp(lab, ("h2", "h3"), 0, 0, 0)
    lab.sysctl(lab.host, "net.ipv4.conf.h3.rp_filter", 1)
    try:
        r = ping(adm, lab, "p2", TARGET_V4["h2"], "-c", "1")
    finally:
        lab.sysctl(lab.host, "net.ipv4.conf.h3.rp_filter", 0)
    for dev in ("h2", "h3"):
        assert f"set net.ipv4.conf.{dev}.arp_ignore=1" in r.err, r
        assert f"set net.ipv4.conf.{dev}.arp_announce=2" in r.err, r
    assert "h3 shares subnet 10.91.3.0/24 with h2 and its rp_filter is 1" in r.err, r
    assert "set net.ipv4.conf.h3.rp_filter=2" in r.err
    assert "net.ipv4.conf.h2.rp_filter" not in r.err
    # NICs alone on their subnet get no warning even with these settings
    r = ping(adm, lab, "p0", TARGET_V4["h0"])
    assert r.rc == 0 and "warning" not in r.err, r


def test_shared_subnet_with_arp_settings_keeps_each_port_on_its_nic(adm, lab):
    set_arp(lab, ("h2", "h3"), 1, 2, 2)
    sh_flush(lab)
    for mine in ("h2", "h3"):
        with lab.echo_counter() as seen:
            r = ping(adm, lab, f"p{mine[1]}", TARGET_V4[mine], "-c", "3")
        assert r.rc == 0, r
        assert "warning" not in r.err, r
        assert reply_devices(r.out) == [mine] * 3
        assert only(seen["out"], mine, 3) and only(seen["in"], mine, 3), seen


def sh_flush(lab):
    from netlab import sh
    sh("ip", "-n", lab.target, "neigh", "flush", "dev", "br0")
    sh("ip", "-n", lab.host, "neigh", "flush", "all")


def test_reply_through_the_other_nic_is_caught(adm, lab):
    # The target is made to answer h2's address at h3's MAC (what ARP flux does): the replies
    # arrive on h3, and the preflight must fail and name both devices instead of passing.
    from netlab import sh
    set_arp(lab, ("h2", "h3"), 0, 0, 0)
    sh("ip", "-n", lab.target, "neigh", "replace", "10.91.3.1", "lladdr", lab.mac("h3"),
       "dev", "br0", "nud", "permanent")
    try:
        with lab.echo_counter() as seen:
            r = ping(adm, lab, "p2", TARGET_V4["h2"], "-c", "2")
    finally:
        sh("ip", "-n", lab.target, "neigh", "del", "10.91.3.1", "dev", "br0")
    assert r.rc == 4, r
    assert only(seen["out"], "h2", 2) and only(seen["in"], "h3", 2), seen
    assert reply_devices(r.out) == ["h3", "h3"]
    assert "the reply to icmp_seq=1 came back through h3, not through h2" in r.err
    assert "0 received through h2, 2 through other devices" in r.out


def test_no_reply_is_exit_8(adm, lab):
    r = ping(adm, lab, "p0", "10.91.1.77", "-c", "1", env={"SWISCSI_PING_TIMEOUT_MS": "400"})
    assert r.rc == 8, r
    assert "No reply for icmp_seq=1" in r.out
    assert "no reply from 10.91.1.77 through h0" in r.err


@pytest.mark.parametrize("key, value, message", [
    ("iface.hwaddress", "02:00:00:00:00:99",
     "iface.hwaddress = 02:00:00:00:00:99: no network device has this MAC"),
    ("iface.net_ifacename", "hdown", "network device hdown (iface.net_ifacename = hdown) is down"),
    ("iface.net_ifacename", "hbare",
     "network device hbare (iface.net_ifacename = hbare) has no IP address"),
    ("iface.net_ifacename", "nosuch0", "iface.net_ifacename = nosuch0: no such network device"),
    ("iface.ipaddress", "10.91.7.7",
     "iface.ipaddress = 10.91.7.7: no network device of this host has this address"),
])
def test_unusable_binding_is_a_clear_error(adm, lab, key, value, message):
    assert adm.run("-m", "iface", "-I", "bad", "-o", "new").rc == 0
    assert adm.run("-m", "iface", "-I", "bad", "-o", "update", "-n", key, "-v", value).rc == 0
    r = ping(adm, lab, "bad", TARGET_V4["h0"])
    assert r.rc == 4, r
    assert f"swiscsiadm: iface bad: {message}" in r.err


def test_source_address_binding(adm, lab):
    assert adm.run("-m", "iface", "-I", "bysrc", "-o", "new").rc == 0
    assert adm.run("-m", "iface", "-I", "bysrc", "-o", "update", "-n", "iface.ipaddress",
                   "-v", "10.91.2.1").rc == 0
    r = ping(adm, lab, "bysrc", TARGET_V4["h1"])
    assert r.rc == 0, r
    assert "sends through h1 (by iface.ipaddress)" in r.out
    # an address on another NIC than the named one contradicts the binding
    assert adm.run("-m", "iface", "-I", "p0", "-o", "update", "-n", "iface.ipaddress",
                   "-v", "10.91.2.1").rc == 0
    r = ping(adm, lab, "p0", TARGET_V4["h0"])
    assert r.rc == 4
    assert "iface.ipaddress = 10.91.2.1 is on h1, not on the bound device h0" in r.err
