"""-m discovery and -m discoverydb against a real tgtd on loopback: what a discovery writes,
that re-running it keeps users' settings, that stale portals go only when asked, and the
discovery record operations with iscsiadm's messages and exit codes."""
import pytest

T1, T2 = "iqn.2026-11.test.disc:disk1", "iqn.2026-11.test.disc:disk2"


@pytest.fixture
def target(tgtd):
    tgtd.target(1, T1)
    tgtd.target(2, T2)
    return tgtd


def disc(adm, portal, *args):
    return adm.run("-m", "discovery", "-t", "st", "-p", portal, *args)


def test_discovery_writes_records_and_links(adm, target):
    r = disc(adm, target.portal)
    assert r.rc == 0, r
    assert r.out.splitlines() == [f"{target.portal},1 {T1}", f"{target.portal},1 {T2}"]
    portal_dir = adm.db / "nodes" / T1 / f"127.0.0.1,{target.port},1"
    text = (portal_dir / "default").read_text()
    for line in ("node.discovery_type = send_targets", "node.discovery_address = 127.0.0.1",
                 f"node.discovery_port = {target.port}", "node.conn[0].address = 127.0.0.1",
                 "node.tpgt = 1"):
        assert line + "\n" in text
    st = adm.db / "send_targets" / f"127.0.0.1,{target.port}"
    assert (st / "st_config").is_file()
    assert (st / f"{T1},127.0.0.1,{target.port},1,default").resolve() == portal_dir
    assert adm.run("-m", "discovery").out == f"{target.portal} via sendtargets\n"


def test_no_iface_uses_every_software_iface_but_not_offload_ones(adm, target):
    for name, transport in (("sw1", "tcp"), ("sw2", "tcp"), ("hba", "qla4xxx")):
        assert adm.run("-m", "iface", "-I", name, "-o", "new", "-n", "iface.transport_name",
                       "-v", transport).rc == 0
    r = disc(adm, target.portal, "-P", "1")
    assert r.rc == 0, r
    assert r.out.count("Iface Name: sw1") == 2 and r.out.count("Iface Name: sw2") == 2
    assert "hba" not in r.out and "Iface Name: default" not in r.out


def test_rediscovery_keeps_user_settings(adm, target):
    assert disc(adm, target.portal).rc == 0
    assert adm.run("-m", "node", "-T", T1, "-o", "update", "-n", "node.startup",
                   "-v", "automatic").rc == 0
    assert disc(adm, target.portal).rc == 0
    assert "node.startup = automatic" in adm.run("-m", "node", "-T", T1).out
    # -o new adds nothing that exists and changes nothing either
    assert disc(adm, target.portal, "-o", "new").rc == 0
    assert "node.startup = automatic" in adm.run("-m", "node", "-T", T1).out


def test_stale_portals_go_only_when_asked(adm, target):
    assert adm.run("-m", "iface", "-I", "other", "-o", "new").rc == 0
    assert disc(adm, target.portal, "-I", "default", "-I", "other").rc == 0
    target.adm("--op", "delete", "--mode", "target", "--tid", "2")
    assert disc(adm, target.portal, "-I", "default").rc == 0
    assert T2 in adm.run("-m", "node").out                     # kept without -o delete
    r = disc(adm, target.portal, "-I", "default", "-o", "delete")
    assert r.rc == 0, r
    # the iface of this run lost its stale record; the other iface's record stays
    assert "Iface Name: other" in adm.run("-m", "node", "-P", "1").out
    assert not (adm.db / "nodes" / T2 / f"127.0.0.1,{target.port},1" / "default").exists()
    assert (adm.db / "nodes" / T2 / f"127.0.0.1,{target.port},1" / "other").exists()


def test_nonpersistent_writes_nothing(adm, target):
    r = disc(adm, target.portal, "-o", "nonpersistent")
    assert r.rc == 0 and T1 in r.out, r
    assert not adm.db.exists() or not (adm.db / "nodes").exists()
    assert not (adm.db / "send_targets").exists()


def test_failed_discovery_writes_nothing(adm, tgtd):
    # reopen_max 1 from iscsid.conf: two attempts, then iscsiadm's exit code for it (11)
    (adm.root / "iscsid.conf").write_text("discovery.sendtargets.reopen_max = 1\n")
    r = disc(adm, "127.0.0.1:1")
    assert r.rc == 11, r
    assert r.err.count("Connection refused") == 2
    assert "reopen_max) 1 exceeded" in r.err
    assert not (adm.db / "send_targets").exists() and not (adm.db / "nodes").exists()


def test_discovery_record_operations(adm, target):
    p = target.portal
    r = adm.run("-m", "discoverydb", "-t", "st", "-p", p, "-o", "new")
    assert (r.rc, r.out) == (0, f"New discovery record for [127.0.0.1,{target.port}] added.\n")
    r = adm.run("-m", "discoverydb", "-t", "st", "-p", p, "-o", "update",
                "-n", "discovery.sendtargets.auth.password", "-v", "pw-secret")
    assert r.rc == 0, r
    shown = adm.run("-m", "discovery", "-p", p, "-o", "show").out
    assert "discovery.sendtargets.auth.password = ********" in shown
    assert "pw-secret" in adm.run("-m", "discovery", "-p", p, "-o", "show", "-S").out
    r = adm.run("-m", "discoverydb", "-t", "st", "-p", p, "-o", "update",
                "-n", "discovery.sendtargets.port", "-v", "1")
    assert r.rc == 7, r
    r = adm.run("-m", "discovery", "-p", p, "-o", "new")
    assert r.rc == 7 and "Use discoverydb mode." in r.err
    # discovery with the stored record keeps its settings
    assert adm.run("-m", "discoverydb", "-t", "st", "-p", p, "-D").rc == 0
    assert "pw-secret" in (adm.db / "send_targets" / f"127.0.0.1,{target.port}" / "st_config").read_text()
    assert adm.run("-m", "discovery", "-p", p, "-o", "delete").rc == 0
    assert adm.run("-m", "node").rc == 21
    r = adm.run("-m", "discovery", "-p", p, "-o", "show")   # iscsiadm: 7 here, 6 in discoverydb
    assert r.rc == 7 and f"Discovery record [127.0.0.1,{target.port}] not found!" in r.err
    r = adm.run("-m", "discoverydb", "-t", "st", "-p", p, "-o", "show")
    assert r.rc == 6 and f"Discovery record [127.0.0.1,{target.port}] not found." in r.err


def test_discovery_listing_tree(adm, target):
    assert disc(adm, target.portal).rc == 0
    assert adm.run("-m", "node", "-o", "new", "-T", T1, "-p", "192.0.2.9:3260,1").rc == 0
    lines = adm.run("-m", "discovery", "-P", "1").out.splitlines()
    assert lines[:2] == ["SENDTARGETS:", f"DiscoveryAddress: 127.0.0.1,{target.port}"]
    assert lines[lines.index("STATIC:") + 1:][:3] == [
        f"Target: {T1}", "\tPortal: 192.0.2.9:3260,1", "\t\tIface Name: default"]
    assert lines[-2:] == ["FIRMWARE:", "No targets found."]


@pytest.mark.parametrize("args, rc, message", [
    (("-m", "discovery", "-t", "slp", "-p", "127.0.0.1"), 7, "SLP"),
    (("-m", "discovery", "-t", "isns", "-p", "127.0.0.1"), 27, "iSNS discovery is not implemented"),
    (("-m", "discovery", "-t", "bogus", "-p", "127.0.0.1"), 7, "Invalid discovery type bogus"),
    (("-m", "discovery", "-t", "st"), 7, "portal"),
    (("-m", "discovery", "-t", "st", "-p", "[::1"), 7, "Invalid portal"),
    (("-m", "discovery", "-t", "st", "-p", "127.0.0.1", "-l"), 27, "swiscsid"),
    (("-m", "discovery", "-t", "st", "-p", "127.0.0.1", "-I", "nosuch"), 21,
     "Could not read iface info for nosuch."),
])
def test_argument_errors(adm, args, rc, message):
    r = adm.run(*args)
    assert r.rc == rc, r
    assert message in r.err


def test_empty_listing_is_exit_21(adm):
    r = adm.run("-m", "discovery")
    assert (r.rc, r.out) == (21, "")
