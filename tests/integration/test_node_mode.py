"""-m node against a private database: listings, show with masked secrets, new/update/delete with
iscsiadm's messages and exit codes, every unbinding form of the Red Hat chapter, and iface
changes reaching the node records bound to the iface."""
import os
import stat

import pytest

T1, T2 = "iqn.2026-11.test.node:disk1", "iqn.2026-11.test.node:disk2"


def node(adm, *args):
    return adm.run("-m", "node", *args)


@pytest.fixture
def db(adm):
    """Two targets; T1 on two portals; T1's first portal bound to default, if0 and if1."""
    for name in ("if0", "if1"):
        assert adm.run("-m", "iface", "-I", name, "-o", "new").rc == 0
    for iface in ("default", "if0", "if1"):
        r = node(adm, "-o", "new", "-T", T1, "-p", "192.0.2.10:3260,1", "-I", iface)
        assert r.rc == 0, r
    assert node(adm, "-o", "new", "-T", T1, "-p", "192.0.2.11,2", "-I", "if0").rc == 0
    assert node(adm, "-o", "new", "-T", T2, "-p", "[2001:db8::5]:3261,7").rc == 0
    return adm


def test_new_prints_iscsiadm_line_and_writes_the_layout(adm):
    r = node(adm, "-o", "new", "-T", T1, "-p", "192.0.2.10:3260,1")
    assert r.rc == 0, r
    assert r.out == (f"New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] "
                     f"192.0.2.10,3260,1 {T1}] added\n")
    f = adm.db / "nodes" / T1 / "192.0.2.10,3260,1" / "default"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    link = adm.db / "static" / f"{T1},192.0.2.10,3260,1,default"
    assert os.readlink(link) == str(adm.db / "nodes" / T1 / "192.0.2.10,3260,1")
    text = f.read_text()
    assert "node.discovery_type = static" in text and "node.conn[0].port = 3260" in text
    # -o new again starts the record from the defaults, as iscsiadm does
    assert node(adm, "-o", "update", "-n", "node.startup", "-v", "automatic").rc == 0
    r = node(adm, "-o", "new", "-T", T1, "-p", "192.0.2.10:3260,1")
    assert r.rc == 0 and "added" in r.out, r
    assert "node.startup = manual" in f.read_text()


def test_listings(db):
    r = node(db)
    assert r.rc == 0, r
    assert r.out.splitlines() == [
        f"192.0.2.10:3260,1 {T1}", f"192.0.2.10:3260,1 {T1}", f"192.0.2.10:3260,1 {T1}",
        f"192.0.2.11:3260,2 {T1}", f"[2001:db8::5]:3261,7 {T2}"]
    r = node(db, "-P", "1")
    assert r.out.splitlines()[:7] == [
        f"Target: {T1}", "\tPortal: 192.0.2.10:3260,1", "\t\tIface Name: default",
        "\tPortal: 192.0.2.10:3260,1", "\t\tIface Name: if0",
        "\tPortal: 192.0.2.10:3260,1", "\t\tIface Name: if1"]
    assert node(db, "-P", "2").rc == 7


def test_old_style_record_without_tpgt(adm):
    r = node(adm, "-o", "new", "-T", T1, "-p", "192.0.2.20")
    assert r.rc == 0, r
    assert (adm.db / "nodes" / T1 / "192.0.2.20,3260").is_file()
    assert node(adm).out == f"192.0.2.20:3260,4294967295 {T1}\n"
    assert "\tPortal: 192.0.2.20:3260,-1" in node(adm, "-P", "1").out


def test_show_masks_secrets_unless_asked(db):
    r = node(db, "-o", "update", "-T", T2, "-n", "node.session.auth.authmethod", "-v", "CHAP",
             "-n", "node.session.auth.username", "-v", "joe",
             "-n", "node.session.auth.password", "-v", "s3cret-pw")
    assert r.rc == 0, r
    shown = node(db, "-T", T2)
    assert "node.session.auth.password = ********" in shown.out
    assert "s3cret-pw" not in shown.out
    assert "node.session.auth.password = s3cret-pw" in node(db, "-T", T2, "-S").out
    assert "node.session.auth.password_in = <empty>" in shown.out


@pytest.mark.parametrize("args, rc, message", [
    (("-n", "node.name", "-v", "x"), 7,
     "Cannot modify node.name. It is used to look up the record and cannot be changed."),
    (("-n", "iface.mtu", "-v", "1500"), 7,
     "Cannot modify iface.mtu. Use iface mode to update this value."),
    (("-n", "node.nonsense", "-v", "1"), 7, "Cannot modify node.nonsense. Invalid param name."),
    (("-n", "node.startup", "-v", "often"), 7,
     "unknown value format 'often' for parameter name 'node.startup'"),
    (("-n", "node.session.cmds_max", "-v", "lots"), 7, "node.session.cmds_max"),
    (("-n", "node.session.auth.chap_algs", "-v", "MD5,SHA512"), 7, "SHA3-256"),
])
def test_update_refusals_leave_records_untouched(db, args, rc, message):
    before = {p: p.read_bytes() for p in (db.db / "nodes").rglob("*") if p.is_file()}
    r = node(db, "-o", "update", *args)
    assert r.rc == rc, r
    assert message in r.err
    after = {p: p.read_bytes() for p in (db.db / "nodes").rglob("*") if p.is_file()}
    assert after == before


def test_update_with_selectors(db):
    r = node(db, "-o", "update", "-T", T1, "-p", "192.0.2.10", "-I", "if1",
             "-n", "node.startup", "-v", "automatic", "-n", "node.transport_name", "-v", "tcp")
    assert r.rc == 0, r
    files = {p.parent.name + "/" + p.name: p.read_text()
             for p in (db.db / "nodes" / T1).rglob("*") if p.is_file()}
    assert "node.startup = automatic" in files["192.0.2.10,3260,1/if1"]
    assert all("node.startup = manual" in t for k, t in files.items() if k != "192.0.2.10,3260,1/if1")
    r = node(db, "-o", "update", "-T", "iqn.2026-11.test.node:none", "-n", "node.startup",
             "-v", "automatic")
    assert (r.rc, r.err) == (21, "swiscsiadm: No records found\n")


def names(adm):
    return sorted(str(p.relative_to(adm.db / "nodes")) for p in (adm.db / "nodes").rglob("*")
                  if p.is_file())


def test_unbind_one_target_from_one_iface(db):
    assert node(db, "-T", T1, "-I", "if0", "-o", "delete").rc == 0
    assert names(db) == [f"{T1}/192.0.2.10,3260,1/default", f"{T1}/192.0.2.10,3260,1/if1",
                         f"{T2}/2001:db8::5,3261,7/default"]
    assert not (db.db / "static" / f"{T1},192.0.2.10,3260,1,if0").exists()
    assert not (db.db / "nodes" / T1 / "192.0.2.11,3260,2").exists()


def test_unbind_one_portal_from_one_iface(db):
    assert node(db, "-T", T1, "-p", "192.0.2.10:3260", "-I", "if1", "-o", "delete").rc == 0
    assert f"{T1}/192.0.2.10,3260,1/if1" not in names(db)
    assert f"{T1}/192.0.2.10,3260,1/if0" in names(db)


def test_unbind_everything_of_an_iface_and_deleting_the_iface(db):
    assert node(db, "-I", "if0", "-o", "delete").rc == 0
    assert all(not n.endswith("/if0") for n in names(db))
    assert node(db, "-I", "if0", "-o", "delete").rc == 21
    assert db.run("-m", "iface", "-I", "if1", "-o", "delete").rc == 0
    assert names(db) == [f"{T1}/192.0.2.10,3260,1/default", f"{T2}/2001:db8::5,3261,7/default"]


def test_ipv6_portal_selector_matches_numerically(db):
    r = node(db, "-p", "[2001:0db8:0::5]:3261")
    assert r.rc == 0, r
    assert f"node.name = {T2}" in r.out


def test_missing_iface_selector_is_nothing_found(db):
    r = node(db, "-I", "nosuch")
    assert r.rc == 21, r
    assert "Could not read iface info for nosuch." in r.err


def test_new_with_only_an_iface_binds_every_portal(db):
    assert db.run("-m", "iface", "-I", "if2", "-o", "new").rc == 0
    r = node(db, "-o", "new", "-I", "if2")
    assert r.rc == 0, r
    assert r.out.count("added") == 3
    assert f"{T2}/2001:db8::5,3261,7/if2" in names(db)


def test_iface_update_reaches_bound_records(db):
    r = db.run("-m", "iface", "-I", "if1", "-o", "update", "-n", "iface.initiatorname",
               "-v", "iqn.2026-11.test.node:host-if1")
    assert r.rc == 0, r
    bound = (db.db / "nodes" / T1 / "192.0.2.10,3260,1" / "if1").read_text()
    assert "iface.initiatorname = iqn.2026-11.test.node:host-if1" in bound
    other = (db.db / "nodes" / T1 / "192.0.2.10,3260,1" / "if0").read_text()
    assert "host-if1" not in other


def test_defaults_come_from_iscsid_conf(adm):
    (adm.root / "iscsid.conf").write_text(
        "iscsid.startup = /bin/true\n"
        "node.startup = automatic\n"
        "node.conn[0].timeo.login_timeout = 15\n"
        "discovery.sendtargets.auth.authmethod = CHAP\n")
    assert node(adm, "-o", "new", "-T", T1, "-p", "192.0.2.10:3260,1").rc == 0
    text = (adm.db / "nodes" / T1 / "192.0.2.10,3260,1" / "default").read_text()
    assert "node.startup = automatic" in text
    assert "node.conn[0].timeo.login_timeout = 15" in text
    assert "iscsid.startup" not in text and "discovery." not in text
    assert "node.session.initial_login_retry_max = 4" in text   # not in the file: built-in
