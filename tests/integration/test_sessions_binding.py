"""Sessions bound to NICs, on the wire: swiscsid runs in the host namespace of a NetLab (two
NICs on two subnets), tgtd in the target namespace, and a packet counter shows which NIC
carried each session's iSCSI traffic. -m session -P 1 names the address and device each
session really uses; a session whose NIC goes down fails (and keeps trying on that NIC) rather
than moving to the other."""
import os

import pytest

from conftest import Adm, require
from netlab import lab_with_tgtd, sh
from sessiond import Daemon

TARGET = "iqn.2026-12.test.sessbind:disk"
PORTAL = "10.91.1.254"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require(os.geteuid() == 0, "root (network namespaces)")
    with lab_with_tgtd(tmp_path_factory.mktemp("tgtd"), ("10.91.1.254", "10.91.2.254"),
                       (TARGET,)) as lab:
        yield lab


@pytest.fixture
def adm(tmp_path, lab, request):
    adm = Adm(tmp_path)
    adm.lab = lab
    adm.daemon = Daemon(adm, prefix=lab.prefix)
    request.addfinalizer(adm.daemon.stop)
    return adm


def run(adm, *args):
    return adm.run(*args, prefix=adm.lab.prefix)


def two_ifaces(adm, lab):
    for name, key, value in (("byname", "iface.net_ifacename", "h0"),
                             ("bymac", "iface.hwaddress", lab.mac("h1"))):
        r = run(adm, "-m", "iface", "-I", name, "-o", "new", "-n", key, "-v", value)
        assert r.rc == 0, r
    r = run(adm, "-m", "discovery", "-t", "st", "-p", PORTAL, "-I", "byname", "-I", "bymac")
    assert r.rc == 0, r


def only(counts, dev):
    return set(counts) == {dev} and counts[dev] > 0


def iface_block(out, iface):
    lines = out.splitlines()
    at = lines.index(f"\t\tIface Name: {iface}")
    return lines[at:at + 6]


def test_each_session_sends_only_through_its_nic(adm, lab):
    two_ifaces(adm, lab)
    adm.daemon.start()
    for iface, dev in (("byname", "h0"), ("bymac", "h1")):
        with lab.tcp_counter(3260) as seen:
            r = run(adm, "-m", "node", "-T", TARGET, "-I", iface, "-l")
            assert r.rc == 0, r
        assert only(seen["out"], dev) and only(seen["in"], dev), (iface, seen)
    # one target, one portal, two sessions: the binding, not the route, chose each NIC
    out = run(adm, "-m", "session", "-P", "1").out
    assert iface_block(out, "byname") == [
        "\t\tIface Name: byname", "\t\tIface Transport: tcp",
        "\t\tIface Initiatorname: iqn.2026-11.test.swiscsi:host",
        "\t\tIface IPaddress: 10.91.1.1", f"\t\tIface HWaddress: {lab.mac('h0')}",
        "\t\tIface Netdev: h0"]
    assert iface_block(out, "bymac")[3:] == [
        "\t\tIface IPaddress: 10.91.2.1", f"\t\tIface HWaddress: {lab.mac('h1')}",
        "\t\tIface Netdev: h1"]
    # logging out of each one also stays on its NIC
    for iface, dev in (("bymac", "h1"), ("byname", "h0")):
        with lab.tcp_counter(3260) as seen:
            r = run(adm, "-m", "node", "-T", TARGET, "-I", iface, "-u")
            assert r.rc == 0, r
        assert only(seen["out"], dev), (iface, seen)


def test_a_session_whose_nic_goes_down_does_not_move(adm, lab):
    two_ifaces(adm, lab)
    # quick keepalives, so the dead NIC shows within seconds
    for key in ("node.conn[0].timeo.noop_out_interval", "node.conn[0].timeo.noop_out_timeout"):
        r = run(adm, "-m", "node", "-T", TARGET, "-I", "bymac", "-o", "update", "-n", key,
                "-v", "1")
        assert r.rc == 0, r
    adm.daemon.start()
    assert run(adm, "-m", "node", "-T", TARGET, "-I", "bymac", "-l").rc == 0
    try:
        with lab.tcp_counter(3260) as seen:
            sh("ip", "-n", lab.host, "link", "set", "h1", "down")
            adm.daemon.wait_log("FAILED/TRANSPORT WAIT: connection lost")
        # nothing of it, its reconnect attempts included, went out through h0 (and h1, down,
        # carries nothing)
        assert "h0" not in seen["out"], seen
        out = run(adm, "-m", "session", "-P", "1").out
        assert iface_block(out, "bymac")[5] == "\t\tIface Netdev: h1"
        assert "\t\tiSCSI Session State: FAILED" in out
        # a failed session is logged out (closed) cleanly
        assert run(adm, "-m", "node", "-T", TARGET, "-I", "bymac", "-u").rc == 0
    finally:
        sh("ip", "-n", lab.host, "link", "set", "h1", "up")
