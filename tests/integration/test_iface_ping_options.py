"""-C ping's argument checks, which need no network: iscsiadm's messages and exit codes."""
import pytest


@pytest.mark.parametrize("args, rc, message", [
    (("-I", "default", "-C", "ping"), 7, "Ping requires destination ipaddress."),
    (("-C", "ping", "-a", "127.0.0.1"), 7, "Ping requires iface."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-b", "0"), 7, "Invalid packet size: 0."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-b", "70000"), 7,
     "Invalid packet size: 70000."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-c", "0"), 7,
     "Invalid number of packets to transmit: 0."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-c", "x"), 7,
     "Invalid number of packets to transmit: x."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-i", "-1"), 7,
     "Invalid timing interval: -1."),
    (("-I", "default", "-C", "ping", "-a", "not-an-ip"), 7,
     "Invalid destination address: not-an-ip"),
    (("-I", "default", "-C", "trace", "-a", "127.0.0.1"), 7,
     "Invalid sub-mode 'trace'. iface mode supports: ping"),
    (("-I", "nosuch", "-C", "ping", "-a", "127.0.0.1"), 6,
     "Could not read iface info for nosuch."),
])
def test_ping_argument_errors(adm, args, rc, message):
    r = adm.run("-m", "iface", *args)
    assert r.rc == rc, r
    assert message in r.err


def test_offload_iface_ping_needs_the_vendor_driver(adm):
    assert adm.run("-m", "iface", "-I", "hba0", "-o", "new").rc == 0
    assert adm.run("-m", "iface", "-I", "hba0", "-o", "update", "-n", "iface.transport_name",
                   "-v", "cxgb4i").rc == 0
    r = adm.run("-m", "iface", "-I", "hba0", "-C", "ping", "-a", "127.0.0.1")
    assert r.rc == 12, r
    assert "vendor's kernel driver (cxgb4i)" in r.err


def test_ping_over_loopback(adm):
    r = adm.run("-m", "iface", "-I", "default", "-C", "ping", "-a", "127.0.0.1", "-c", "2")
    assert r.rc == 0, r
    assert r.out.count("bytes from 127.0.0.1 via lo") == 2
    assert "2 packets transmitted, 2 received, 0% packet loss" in r.out
