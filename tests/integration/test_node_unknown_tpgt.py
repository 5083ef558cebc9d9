"""A portal of unknown tpgt (-1: `-o new` without ,TPGT, or a SendTargets answer without a
TargetAddress) bound to two ifaces keeps both records. open-iscsi's one-file layout
(nodes/TARGET/ADDR,PORT) holds one iface: iscsiadm 2.1.8 overwrites the first binding with
the second. swiscsiadm moves the portal's records to nodes/TARGET/ADDR,PORT,-1/IFACE instead
(swiscsiadm(8), DIFFERENCES FROM ISCSIADM), a layout iscsiadm lists and shows as well."""
from conftest import Adm
from test_openiscsi_nodes import IFACE, OTHER_IFACE, STATIC, pair, same_output, same_record

T = "iqn.2026-11.test.node:unknown-tpgt"
OTHER = "iqn.2026-11.test.swiscsi:other"


def node(adm, *args):
    return adm.run("-m", "node", *args)


def ifaces(adm, *names):
    for name in names:
        r = adm.run("-m", "iface", "-I", name, "-o", "new")
        assert r.rc == 0, r
        r = adm.run("-m", "iface", "-I", name, "-o", "update", "-n", "iface.net_ifacename",
                    "-v", "lo")
        assert r.rc == 0, r


def test_second_iface_keeps_the_first(tmp_path):
    adm = Adm(tmp_path)
    ifaces(adm, "nic1", "nic2")
    for nic in ("nic1", "nic2"):
        r = node(adm, "-o", "new", "-T", T, "-p", "192.0.2.30:3260", "-I", nic)
        assert r.rc == 0 and "added" in r.out, r
    shared = adm.db / "nodes" / T / "192.0.2.30,3260,-1"
    assert sorted(p.name for p in (adm.db / "nodes" / T).iterdir()) == [shared.name]
    assert sorted(p.name for p in shared.iterdir()) == ["nic1", "nic2"]
    assert node(adm, "-P", "1").out == (
        f"Target: {T}\n\tPortal: 192.0.2.30:3260,-1\n\t\tIface Name: nic1\n"
        "\tPortal: 192.0.2.30:3260,-1\n\t\tIface Name: nic2\n")
    # each record is its own: an update of one leaves the other as it was
    r = node(adm, "-o", "update", "-T", T, "-I", "nic1", "-n", "node.startup", "-v", "automatic")
    assert r.rc == 0, r
    assert "node.startup = automatic" in (shared / "nic1").read_text()
    assert "node.startup = manual" in (shared / "nic2").read_text()
    shown = node(adm, "-T", T, "-I", "nic2")
    assert "iface.iscsi_ifacename = nic2" in shown.out and "node.tpgt = -1" in shown.out, shown
    # a third binding joins them; -o new again for one resets only that one
    assert node(adm, "-o", "new", "-T", T, "-p", "192.0.2.30:3260", "-I", "default").rc == 0
    assert node(adm, "-o", "new", "-T", T, "-p", "192.0.2.30:3260", "-I", "nic1").rc == 0
    assert sorted(p.name for p in shared.iterdir()) == ["default", "nic1", "nic2"]
    assert "node.startup = manual" in (shared / "nic1").read_text()
    for nic in ("nic1", "nic2", "default"):
        r = node(adm, "-o", "delete", "-T", T, "-I", nic)
        assert r.rc == 0, r
    assert not (adm.db / "nodes" / T).exists()


def test_one_iface_stays_old_style(tmp_path):
    adm = Adm(tmp_path)
    ifaces(adm, "nic1")
    for _ in range(2):
        assert node(adm, "-o", "new", "-T", T, "-p", "192.0.2.30:3260", "-I", "nic1").rc == 0
    assert [p.name for p in (adm.db / "nodes" / T).iterdir()] == ["192.0.2.30,3260"]


def test_bind_all_keeps_old_style_record(tmp_path):
    """`-o new -I IFACE` alone binds every portal to IFACE too, old-style ones included."""
    adm = Adm(tmp_path)
    ifaces(adm, "nic1", "nic2")
    assert node(adm, "-o", "new", "-T", T, "-p", "192.0.2.30:3260", "-I", "nic1").rc == 0
    r = node(adm, "-o", "new", "-I", "nic2")
    assert r.rc == 0 and "added" in r.out, r
    shared = adm.db / "nodes" / T / "192.0.2.30,3260,-1"
    assert sorted(p.name for p in shared.iterdir()) == ["nic1", "nic2"]


def test_discovered_through_nic1_then_new_through_nic2(tmp_path, fake):
    """Discovery through nic1: the target with portals gets tpgt 1, the one without an
    old-style record. `-o new -I nic2` without a tpgt joins the first's portal directory and
    keeps both bindings of the second."""
    t = fake()
    t.extra_targets = [(OTHER, [])]
    adm = Adm(tmp_path)
    ifaces(adm, "nic1", "nic2")
    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal, "-I", "nic1")
    assert r.rc == 0, r
    assert (adm.db / "nodes" / OTHER / f"127.0.0.1,{t.port}").is_file()
    for target in (t.iqn, OTHER):
        r = node(adm, "-o", "new", "-T", target, "-p", t.portal, "-I", "nic2")
        assert r.rc == 0 and "added" in r.out, r
    assert sorted(p.name for p in (adm.db / "nodes" / t.iqn / f"127.0.0.1,{t.port},1").iterdir()) \
        == ["nic1", "nic2"]
    shared = adm.db / "nodes" / OTHER / f"127.0.0.1,{t.port},-1"
    assert sorted(p.name for p in (adm.db / "nodes" / OTHER).iterdir()) == [shared.name]
    assert sorted(p.name for p in shared.iterdir()) == ["nic1", "nic2"]
    assert "node.discovery_type = send_targets" in (shared / "nic1").read_text()
    assert "node.discovery_type = static" in (shared / "nic2").read_text()


def test_iscsiadm_reads_both_bindings(tmp_path):
    """Round trip: iscsiadm 2.1.8 lists and shows both records swiscsiadm kept (its own two
    `-o new` would have left only the second)."""
    sw, ia = pair(tmp_path)
    for nic in (IFACE, OTHER_IFACE):
        r = sw.run("-m", "node", "-o", "new", "-T", STATIC, "-p", "127.0.0.1:3260", "-I", nic)
        assert r.rc == 0, r
    assert same_output(sw, ia, "-m", "node", "-P", "1") == (
        f"Target: {STATIC}\n\tPortal: 127.0.0.1:3260,-1\n\t\tIface Name: {IFACE}\n"
        f"\tPortal: 127.0.0.1:3260,-1\n\t\tIface Name: {OTHER_IFACE}\n")
    assert same_output(sw, ia, "-m", "node") == f"127.0.0.1:3260,4294967295 {STATIC}\n" * 2
    for nic in (IFACE, OTHER_IFACE):
        shown = same_record(sw, ia, "-m", "node", "-T", STATIC, "-I", nic)
        assert shown["iface.iscsi_ifacename"] == nic and shown["node.tpgt"] == "-1"


def both_forms(adm, iface="nic1"):
    """ADDR,PORT,-1/ holding nic1 and nic2 and, beside it, the old-style file ADDR,PORT holding
    another copy of nic1's record (node.startup automatic) -- both of open-iscsi's layouts for
    one record, as iscsiadm's tpgt -1 writes beside swiscsiadm's directory or a restored backup
    leave them."""
    tdir = adm.db / "nodes" / T
    shared = tdir / "192.0.2.30,3260,-1"
    flat = tdir / "192.0.2.30,3260"
    text = (shared / iface).read_text()
    assert "node.startup = manual" in text
    flat.write_text(text.replace("node.startup = manual", "node.startup = automatic"))
    return shared, flat


def test_old_style_file_beside_the_directory_is_the_record(tmp_path):
    """The old-style file and ADDR,PORT,-1/IFACE of the same iface are one record, the file's
    (where open-iscsi reads and writes a tpgt -1 record): listed and shown once; an update
    writes the file and drops the copy; a delete removes both. Other ifaces' records in the
    directory stay as they are."""
    adm = Adm(tmp_path)
    ifaces(adm, "nic1", "nic2")
    for nic in ("nic1", "nic2"):
        assert node(adm, "-o", "new", "-T", T, "-p", "192.0.2.30:3260", "-I", nic).rc == 0
    shared, flat = both_forms(adm)
    r = node(adm)
    assert (r.rc, r.out, r.err) == (0, f"192.0.2.30:3260,4294967295 {T}\n" * 2, ""), r
    r = node(adm, "-P", "1")
    assert (r.rc, r.out, r.err) == (0, f"Target: {T}\n"
                                    "\tPortal: 192.0.2.30:3260,-1\n\t\tIface Name: nic1\n"
                                    "\tPortal: 192.0.2.30:3260,-1\n\t\tIface Name: nic2\n", ""), r
    shown = node(adm, "-T", T, "-I", "nic1")
    assert shown.rc == 0 and shown.err == "", shown
    assert shown.out.count("# BEGIN RECORD") == 1 and "node.startup = automatic" in shown.out
    # an update writes the file, in place, and the copy goes
    r = node(adm, "-o", "update", "-T", T, "-I", "nic1", "-n", "node.session.cmds_max", "-v", "64")
    assert (r.rc, r.out, r.err) == (0, "", ""), r
    assert "node.session.cmds_max = 64" in flat.read_text()
    assert "node.startup = automatic" in flat.read_text()
    assert sorted(p.name for p in shared.iterdir()) == ["nic2"]
    assert "node.session.cmds_max = 128" in (shared / "nic2").read_text()
    assert node(adm).out == f"192.0.2.30:3260,4294967295 {T}\n" * 2
    # a delete takes both forms of the record, and leaves the other iface's
    both_forms(adm, "nic2")   # the file is nic2's copy now (nic1's record is gone with it)
    assert flat.exists() and sorted(p.name for p in shared.iterdir()) == ["nic2"]
    r = node(adm, "-o", "delete", "-T", T, "-I", "nic2")
    assert (r.rc, r.out, r.err) == (0, "", ""), r
    assert not flat.exists() and not shared.exists()
    r = node(adm)
    assert (r.rc, r.out, r.err) == (21, "", "swiscsiadm: No records found\n"), r


def test_update_after_iscsiadm_wrote_the_old_style_file(tmp_path):
    """iscsiadm's -o new of a tpgt -1 portal writes the old-style file beside swiscsiadm's
    ADDR,PORT,-1/; swiscsiadm's update of that record then changes the file and writes no second
    copy into the directory, so that neither tool lists the record twice."""
    sw, ia = pair(tmp_path)
    for nic in (IFACE, OTHER_IFACE):
        r = sw.run("-m", "node", "-o", "new", "-T", STATIC, "-p", "127.0.0.1:3260", "-I", nic)
        assert r.rc == 0, r
    r = ia.run("-m", "node", "-o", "new", "-T", STATIC, "-p", "127.0.0.1:3260", "-I", IFACE)
    assert r.rc == 0, r
    tdir = sw.db / "nodes" / STATIC
    r = sw.run("-m", "node", "-o", "update", "-T", STATIC, "-I", IFACE, "-n", "node.startup",
               "-v", "automatic")
    assert (r.rc, r.out, r.err) == (0, "", ""), r
    assert "node.startup = automatic" in (tdir / "127.0.0.1,3260").read_text()
    assert sorted(p.name for p in (tdir / "127.0.0.1,3260,-1").iterdir()) == [OTHER_IFACE]
    assert same_output(sw, ia, "-m", "node", "-P", "1") == (
        f"Target: {STATIC}\n\tPortal: 127.0.0.1:3260,-1\n\t\tIface Name: {IFACE}\n"
        f"\tPortal: 127.0.0.1:3260,-1\n\t\tIface Name: {OTHER_IFACE}\n")
