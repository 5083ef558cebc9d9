"""SendTargets answers with several portals and targets, and IPv6 portals end to end: the
fake target (tests/integration/faketarget.py) reports what a test scripts, on 127.0.0.1 or
::1; nothing connects to the reported addresses, only the records are checked."""
from conftest import Adm, tool

OTHER = "iqn.2026-11.test.swiscsi:other"


def test_several_portals_and_targets_become_records(tmp_path, fake):
    t = fake()
    t.extra_portals = ["[2001:db8::7]:3261,2", "192.0.2.7,3"]
    t.extra_targets = [(OTHER, ["192.0.2.8:3262,1"])]
    adm = Adm(tmp_path)
    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal)
    assert r.rc == 0, r
    assert r.out.splitlines() == [
        f"{t.portal},1 {t.iqn}", f"[2001:db8::7]:3261,2 {t.iqn}", f"192.0.2.7:3260,3 {t.iqn}",
        f"192.0.2.8:3262,1 {OTHER}"]
    nodes = adm.db / "nodes"
    assert (nodes / t.iqn / "2001:db8::7,3261,2" / "default").is_file()
    assert (nodes / t.iqn / "192.0.2.7,3260,3" / "default").is_file()
    assert (nodes / OTHER / "192.0.2.8,3262,1" / "default").is_file()
    r = adm.run("-m", "node", "-p", "[2001:db8::7]:3261")
    assert "node.conn[0].address = 2001:db8::7" in r.out and "node.tpgt = 2" in r.out, r


def test_a_target_without_portals_gets_an_old_style_record(tmp_path, fake):
    t = fake()
    t.extra_targets = [(OTHER, [])]
    adm = Adm(tmp_path)
    assert adm.run("-m", "discovery", "-t", "st", "-p", t.portal).rc == 0
    assert (adm.db / "nodes" / OTHER / f"127.0.0.1,{t.port}").is_file()
    assert f"127.0.0.1:{t.port},4294967295 {OTHER}" in adm.run("-m", "node").out


def test_ipv6_loopback_portal_end_to_end(tmp_path, fake):
    t = fake(host="::1")
    adm = Adm(tmp_path)
    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal, "-P", "1")
    assert r.rc == 0, r
    assert f"\tPortal: [::1]:{t.port},1" in r.out and "\t\tIface IPaddress: ::1" in r.out, r
    assert (adm.db / "send_targets" / f"::1,{t.port}" / "st_config").is_file()
    assert (adm.db / "nodes" / t.iqn / f"::1,{t.port},1" / "default").is_file()
    assert adm.run("-m", "discovery").out == f"::1:{t.port} via sendtargets\n"  # iscsiadm's form
    # the tools take the bracketed form in URLs
    r = tool("swiscsi-ls", "-i", "iqn.2026-11.test.swiscsi:host", f"iscsi://[::1]:{t.port}")
    assert r.rc == 0 and f"Target:{t.iqn} Portal:[::1]:{t.port},1" in r.out, r
    r = tool("swiscsi-readcap", "-i", "iqn.2026-11.test.swiscsi:host", t.url())
    assert r.rc == 0 and "Blocks: 2048" in r.out, r
