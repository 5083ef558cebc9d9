"""-C ping's argument checks, which need no network: iscsiadm's messages and exit codes."""
import pytest


@pytest.mark.parametrize("args, rc, message", [
    (("-I", "default", "-C", "ping"), 7, "Ping requires destination ipaddress."),
    (("-C", "ping", "-a", "127.0.0.1"), 7, "Ping requires iface."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-b", "0"), 7, "Invalid packet size: 0."),
    # iscsiadm names the number it read (atoi), not the text
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-b", "abc"), 7, "Invalid packet size: 0."),
    # more than an ICMP echo can carry: refused here, with the range (iscsiadm leaves it to
    # the HBA firmware)
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-b", "70000"), 7,
     "Invalid packet size: 70000. (a number from 1 to 65507)"),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-c", "0"), 7,
     "Invalid number of packets to transmit: 0."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-c", "x"), 7,
     "Invalid number of packets to transmit: 0."),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-i", "x"), 7,
     "Invalid timing interval: x. (a number from 0 to 3600)"),
    (("-I", "default", "-C", "ping", "-a", "127.0.0.1", "-i", "-1"), 7,
     "Invalid timing interval: -1."),
    (("-I", "default", "-C", "ping", "-a", "not-an-ip"), 7,
     "Invalid destination address: not-an-ip (a numeric IPv4 or IPv6 address)"),
    (("-I", "default", "-C", "trace", "-a", "127.0.0.1"), 7,
     "Invalid sub-mode 'trace'. iface mode supports: ping"),
    (("-I", "nosuch", "-C", "ping", "-a", "127.0.0.1"), 6, "Could not read iface nosuch (6)."),
    # the options are checked before the iface is read
    (("-I", "nosuch", "-C", "ping", "-a", "127.0.0.1", "-b", "0"), 7, "Invalid packet size: 0."),
])
def test_ping_argument_errors(adm, args, rc, message):
    r = adm.run("-m", "iface", *args)
    assert (r.rc, r.out, r.err) == (rc, "", f"swiscsiadm: {message}\n"), r


def test_offload_iface_ping_needs_the_vendor_driver(adm):
    assert adm.run("-m", "iface", "-I", "hba0", "-o", "new").rc == 0
    assert adm.run("-m", "iface", "-I", "hba0", "-o", "update", "-n", "iface.transport_name",
                   "-v", "cxgb4i").rc == 0
    r = adm.run("-m", "iface", "-I", "hba0", "-C", "ping", "-a", "127.0.0.1")
    assert r.rc == 1, r   # iscsiadm's code when it cannot reach the HBA through iSCSI netlink
    assert "vendor's kernel driver (cxgb4i)" in r.err


def test_ping_over_loopback(adm):
    r = adm.run("-m", "iface", "-I", "default", "-C", "ping", "-a", "127.0.0.1", "-c", "2")
    assert r.rc == 0, r
    assert r.out.count("bytes from 127.0.0.1 via lo") == 2
    assert "2 packets transmitted, 2 received, 0% packet loss" in r.out
