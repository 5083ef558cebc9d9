"""swiscsiadm -m iface: every operation, its output and exit code, against a private database."""
import os
import stat

from conftest import FIXTURES, Adm

BUILTINS = "default tcp,<empty>,<empty>,<empty>,<empty>\niser iser,<empty>,<empty>,<empty>,<empty>\n"


def new(adm, name, *params):
    args = ["-m", "iface", "-I", name, "-o", "new"]
    for k, v in params:
        args += ["-n", k, "-v", v]
    return adm.run(*args)


def update(adm, name, key, value):
    return adm.run("-m", "iface", "-I", name, "-o", "update", "-n", key, "-v", value)


def show(adm, name):
    r = adm.run("-m", "iface", "-I", name)
    assert r.rc == 0, r
    return dict(line.split(" = ", 1) for line in r.out.splitlines() if not line.startswith("#"))


def test_empty_database_lists_builtins(adm):
    r = adm.run("-m", "iface")
    assert (r.rc, r.out, r.err) == (0, BUILTINS, "")
    assert not adm.db.exists(), "a listing must not create the database"


def test_new_writes_open_iscsi_record(adm):
    r = new(adm, "iface0")
    assert (r.rc, r.out) == (0, "iface0 updated.\nNew interface iface0 added\n"), r
    path = adm.iface_file("iface0")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# BEGIN RECORD ")
    assert lines[-1] == "# END RECORD"
    assert lines[1:4] == ["iface.iscsi_ifacename = iface0", "iface.prefix_len = 0",
                          "iface.transport_name = tcp"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert adm.run("-m", "iface").out == BUILTINS + "iface0 tcp,<empty>,<empty>,<empty>,<empty>\n"


def test_new_with_params(adm):
    r = new(adm, "iface1", ("iface.net_ifacename", "eth1"),
            ("iface.initiatorname", "iqn.2026-11.test:init1"))
    assert (r.rc, r.out) == (0, "iface1 updated.\nNew interface iface1 added\n"), r
    assert adm.run("-m", "iface").out.endswith(
        "iface1 tcp,<empty>,<empty>,eth1,iqn.2026-11.test:init1\n")


def test_new_refuses_existing_and_keeps_it(adm):
    assert new(adm, "iface0", ("iface.net_ifacename", "eth1")).rc == 0
    before = adm.iface_file("iface0").read_bytes()
    r = new(adm, "iface0")
    assert r.rc == 7 and "already exists" in r.err, r
    assert adm.iface_file("iface0").read_bytes() == before


def test_new_with_invalid_param_writes_nothing(adm):
    r = new(adm, "iface0", ("iface.hwaddress", "00:11:22"))
    assert r.rc == 7, r
    assert "'00:11:22' is not a valid value for iface.hwaddress" in r.err
    assert "Could not create new interface iface0." in r.err
    assert not adm.iface_file("iface0").exists()


def test_new_errors(adm):
    r = adm.run("-m", "iface", "-o", "new")
    assert (r.rc, r.err) == (22, "swiscsiadm: Could not add interface. No interface passed in.\n")
    for builtin in ("default", "iser"):
        r = new(adm, builtin)
        assert r.rc == 7 and "special interface" in r.err, r
    r = new(adm, "x" * 65)   # on stdout, as iscsiadm prints it
    assert r.rc == 7 and "Must be from 1 to 64 characters." in r.out
    assert new(adm, "y" * 64).rc == 0
    for bad in ("a/b", "has space", "..", "tab\tname", "new\nline"):
        r = new(adm, bad)
        assert r.rc == 7, (bad, r)
    assert sorted(os.listdir(adm.db / "ifaces")) == ["y" * 64]


def test_show(adm):
    new(adm, "iface0", ("iface.hwaddress", "02:00:00:00:00:AA"))
    r = adm.run("-m", "iface", "-I", "iface0", "-o", "show")
    assert r.rc == 0
    lines = r.out.splitlines()
    assert lines[:8] == [lines[0], "iface.iscsi_ifacename = iface0", "iface.net_ifacename = <empty>",
                         "iface.ipaddress = <empty>", "iface.prefix_len = 0",
                         "iface.hwaddress = 02:00:00:00:00:AA", "iface.transport_name = tcp",
                         "iface.initiatorname = <empty>"]
    assert lines[-1] == "# END RECORD"
    # the dash form is accepted and stored in the colon form, case kept
    assert adm.run("-m", "iface", "-I", "iface0", "-o", "update", "-n", "iface.hwaddress",
                   "-v", "02-00-00-00-00-Bb").rc == 0
    assert "iface.hwaddress = 02:00:00:00:00:Bb\n" in adm.iface_file("iface0").read_text()
    # 2.1.8 shows 55 settings for an IPv4-family iface (the IPv6-only ones are left out)
    assert len(lines) == 2 + 55
    assert len(set(lines)) == len(lines)
    r = adm.run("-m", "iface", "-I", "nosuch")
    assert (r.rc, r.out) == (6, ""), r
    assert "Could not read iface info for nosuch." in r.err


def test_builtin_show(adm):
    d = show(adm, "iser")
    assert d["iface.transport_name"] == "iser" and d["iface.iscsi_ifacename"] == "iser"


def test_update_every_kind_of_value(adm):
    new(adm, "iface0")
    cases = [("iface.net_ifacename", "eth0.100"), ("iface.initiatorname", "iqn.2026-11.x:y"),
             ("iface.mtu", "9000"), ("iface.vlan_id", "100"), ("iface.state", "enable"),
             ("iface.bootproto", "static"), ("iface.gateway", "192.0.2.1"),
             ("iface.transport_name", "tcp"), ("iface.iface_num", "-1")]
    for key, value in cases:
        r = update(adm, "iface0", key, value)
        assert (r.rc, r.out) == (0, "iface0 updated.\n"), (key, r)
    d = show(adm, "iface0")
    for key, value in cases:
        assert d[key] == value
    assert update(adm, "iface0", "iface.initiatorname", "").rc == 0
    assert show(adm, "iface0")["iface.initiatorname"] == "<empty>"


def test_update_refusals_leave_file_untouched(adm):
    new(adm, "hw", ("iface.hwaddress", "02:00:00:00:00:01"))
    new(adm, "dev", ("iface.net_ifacename", "eth1"))
    before = {n: adm.iface_file(n).read_bytes() for n in ("hw", "dev")}
    refusals = [
        ("hw", "iface.mtu", "70000", "it must be a whole number from 0 to 65535"),
        ("hw", "iface.mtu", "12abc", "not a valid value"),
        ("hw", "iface.ipaddress", "300.1.1.1", "an IPv4 or IPv6 address"),
        ("hw", "iface.transport_name", "nvme", "an iSCSI transport"),
        ("hw", "iface.state", "on", "'enable' or 'disable'"),
        ("hw", "iface.nosuchkey", "1", "Cannot modify iface.nosuchkey. Invalid param name."),
        ("hw", "iface.iscsi_ifacename", "other", "Can not update iface.iscsi_ifacename."),
        ("hw", "iface.net_ifacename", "eth0", "from hwaddress to net_ifacename"),
        ("dev", "iface.hwaddress", "02:00:00:00:00:02", "from net_ifacename to hwaddress"),
        ("hw", "iface.dhcp_vendor_id", "x\niface.transport_name = qla4xxx", "control character"),
        ("hw", "iface.initiatorname", "not-an-iqn", "an iSCSI name"),
    ]
    for name, key, value, message in refusals:
        r = update(adm, name, key, value)
        assert r.rc == 7, (key, value, r)
        assert message in r.err, (key, value, r.err)
        assert f"Could not update iface {name}: invalid parameter" in r.err or "Invalid" in r.err
        assert adm.iface_file(name).read_bytes() == before[name], (key, value)


def test_update_is_all_or_nothing(adm):
    new(adm, "iface0")
    before = adm.iface_file("iface0").read_bytes()
    r = adm.run("-m", "iface", "-I", "iface0", "-o", "update", "-n", "iface.mtu", "-v", "1500",
                "-n", "iface.vlan_id", "-v", "bad")
    assert r.rc == 7
    assert adm.iface_file("iface0").read_bytes() == before


def test_update_errors(adm):
    r = adm.run("-m", "iface", "-I", "iface0", "-o", "update")
    assert (r.rc, r.err) == (7, "swiscsiadm: Update requires name, value, and iface.\n")
    r = update(adm, "default", "iface.mtu", "1")
    assert r.rc == 7 and "special interface and cannot be modified" in r.err
    r = update(adm, "nosuch", "iface.mtu", "1")
    assert r.rc == 7 and "Could not read iface info for nosuch." in r.err
    assert not (adm.db / "ifaces" / "nosuch").exists()

def test_traversal_in_an_iface_name_is_refused_by_name(adm):
    """ifaces/../escape is DB/escape: a valid iface record placed there must stay untouched,
    and the refusal must say that the name is the problem, not that no such iface exists."""
    new(adm, "iface0")
    escape = adm.db / "escape"
    escape.write_bytes(adm.iface_file("iface0").read_bytes())
    before = escape.read_bytes()
    for op in (("-o", "update", "-n", "iface.mtu", "-v", "1"), ("-o", "delete"), ("-o", "new")):
        r = adm.run("-m", "iface", "-I", "../escape", *op)
        assert r.rc == 7, (op, r)
        assert "Invalid iface name '../escape': it may not contain '/'" in r.err, (op, r)
    assert escape.read_bytes() == before
    assert sorted(p.name for p in adm.iface_file("iface0").parent.iterdir()) == ["iface0"]


def test_update_keeps_unknown_keys(adm):
    new(adm, "iface0")
    path = adm.iface_file("iface0")
    text = path.read_text().replace("# END RECORD", "iface.future_key = 1\n# END RECORD")
    path.write_text(text)
    assert update(adm, "iface0", "iface.mtu", "1500").rc == 0
    assert "iface.future_key = 1\n" in path.read_text()
    assert "iface.mtu = 1500\n" in path.read_text()


def test_delete(adm):
    new(adm, "iface0")
    r = adm.run("-m", "iface", "-I", "iface0", "-o", "delete")
    assert (r.rc, r.out) == (0, "iface0 unbound and deleted.\n"), r
    assert not adm.iface_file("iface0").exists()
    r = adm.run("-m", "iface", "-I", "iface0", "-o", "delete")
    assert r.rc == 7 and "Could not read iface info for iface0." in r.err
    r = adm.run("-m", "iface", "-o", "delete")
    assert (r.rc, r.err) == (7, "swiscsiadm: Could not delete interface. No interface passed in.\n")
    r = adm.run("-m", "iface", "-I", "iser", "-o", "delete")
    assert r.rc == 7 and "cannot be deleted" in r.err


def write_node(adm, target, portal_dir, iface, old_style=False):
    tdir = adm.db / "nodes" / target
    body = (f"# BEGIN RECORD 2.1.8\nnode.name = {target}\niface.iscsi_ifacename = {iface}\n"
            "# END RECORD\n")
    if old_style:
        tdir.mkdir(parents=True, exist_ok=True)
        (tdir / portal_dir).write_text(body)
    else:
        (tdir / portal_dir).mkdir(parents=True, exist_ok=True)
        (tdir / portal_dir / iface).write_text(body)


def test_delete_unbinds_node_records(adm):
    new(adm, "iface0")
    new(adm, "iface1")
    t = "iqn.2026-11.test:disk1"
    write_node(adm, t, "192.0.2.10,3260,1", "iface0")
    write_node(adm, t, "192.0.2.10,3260,1", "iface1")
    write_node(adm, "iqn.2026-11.test:only0", "192.0.2.11,3260,1", "iface0")
    write_node(adm, "iqn.2026-11.test:old", "192.0.2.12,3260", "iface0", old_style=True)
    link_dir = adm.db / "send_targets" / "192.0.2.10,3260"
    link_dir.mkdir(parents=True)
    link = link_dir / f"{t},192.0.2.10,3260,1,iface0"
    link.symlink_to(adm.db / "nodes" / t / "192.0.2.10,3260,1")
    assert adm.run("-m", "iface", "-I", "iface0", "-o", "delete").rc == 0
    assert not (adm.db / "nodes" / t / "192.0.2.10,3260,1" / "iface0").exists()
    assert (adm.db / "nodes" / t / "192.0.2.10,3260,1" / "iface1").exists()
    assert not (adm.db / "nodes" / "iqn.2026-11.test:only0").exists()
    assert not (adm.db / "nodes" / "iqn.2026-11.test:old").exists()
    assert not os.path.lexists(link)


def test_tree(adm):
    new(adm, "iface0")
    r = adm.run("-m", "iface", "-P", "1")
    assert (r.rc, r.out) == (0, ""), "no node records: nothing at all, like iscsiadm"
    write_node(adm, "iqn.2026-11.test:a", "192.0.2.10,3260,1", "iface0")
    write_node(adm, "iqn.2026-11.test:a", "fd00::10,3260,1", "iface0")
    write_node(adm, "iqn.2026-11.test:b", "192.0.2.20,3261,2", "iface0")
    write_node(adm, "iqn.2026-11.test:c", "192.0.2.30,3260", "default", old_style=True)
    r = adm.run("-m", "iface", "-P", "1")
    assert r.rc == 0, r
    assert r.out == ("Iface: default\n\tTarget: iqn.2026-11.test:c\n\t\tPortal: 192.0.2.30:3260,-1\n"
                     "Iface: iser\n"
                     "Iface: iface0\n\tTarget: iqn.2026-11.test:a\n\t\tPortal: 192.0.2.10:3260,1\n"
                     "\t\tPortal: [fd00::10]:3260,1\n\tTarget: iqn.2026-11.test:b\n"
                     "\t\tPortal: 192.0.2.20:3261,2\n")
    r = adm.run("-m", "iface", "-P", "1", "-I", "iface0")
    assert r.out.startswith("Iface: iface0\n") and "Iface: default" not in r.out
    r = adm.run("-m", "iface", "-P", "1", "-I", "nosuch")
    assert r.rc == 6
    r = adm.run("-m", "iface", "-P", "2")
    assert (r.rc, r.err) == (7, "swiscsiadm: Invalid info level 2. Try 0 - 1.\n")


def test_listing_order_is_builtins_then_bytewise(adm):
    for name in ("iface_b", "Iface_C", "iface_a", "0first"):
        assert new(adm, name).rc == 0
    names = [line.split(" ")[0] for line in adm.run("-m", "iface").out.splitlines()]
    assert names == ["default", "iser", "0first", "Iface_C", "iface_a", "iface_b"]


def test_corrupt_file_is_reported_and_skipped(adm):
    new(adm, "good")
    (adm.db / "ifaces" / "truncated").write_text(
        "# BEGIN RECORD 2.1.8\niface.iscsi_ifacename = truncated\niface.transport_name = tcp\n")
    (adm.db / "ifaces" / "garbage").write_bytes(b"iface.transport_name = tcp\n\x00\x01\x02")
    (adm.db / "ifaces" / "notrans").write_text("iface.iscsi_ifacename = notrans\n")
    (adm.db / "ifaces" / "huge").write_text("iface.transport_name = tcp\niface.dhcp_vendor_id = "
                                            + "x" * 10000 + "\n")
    r = adm.run("-m", "iface")
    assert r.rc == 0, r
    assert r.out == BUILTINS + "good tcp,<empty>,<empty>,<empty>,<empty>\n"
    assert "ifaces/truncated: truncated record" in r.err
    assert "ifaces/garbage:2: contains a NUL byte" in r.err
    assert "ifaces/notrans is not a valid iSCSI interface configuration file" in r.err
    assert "ifaces/huge:2: line is longer than" in r.err
    r = adm.run("-m", "iface", "-I", "truncated")
    assert r.rc == 6 and "truncated record" in r.err
    r = update(adm, "garbage", "iface.mtu", "1")
    assert r.rc == 7
    assert (adm.db / "ifaces" / "garbage").read_bytes() == b"iface.transport_name = tcp\n\x00\x01\x02"


def test_open_iscsi_style_files_are_read(adm):
    d = adm.db / "ifaces"
    d.mkdir(parents=True)
    (d / "nospace").write_text("iface.iscsi_ifacename=nospace\niface.transport_name=tcp\n"
                               "iface.net_ifacename=eth3\n")
    (d / "iface.example").write_text("this is open-iscsi's sample and not a record\n")
    (d / "default").write_text("iface.iscsi_ifacename = default\niface.transport_name = qla4xxx\n")
    r = adm.run("-m", "iface")
    assert r.rc == 0
    assert r.out == BUILTINS + "nospace tcp,<empty>,<empty>,eth3,<empty>\n"
    assert "built-in iface; the file is ignored" in r.err


def test_apply(adm):
    new(adm, "soft")
    new(adm, "hba", ("iface.transport_name", "qla4xxx"), ("iface.hwaddress", "00:0e:1e:aa:bb:cc"))
    r = adm.run("-m", "iface", "-I", "soft", "-o", "apply")
    assert (r.rc, r.out) == (0, "soft applied.\n"), r
    assert "no kernel settings to push" in r.err
    r = adm.run("-m", "iface", "-I", "hba", "-o", "apply")
    # iscsiadm's code when it cannot reach the HBA through iSCSI netlink
    assert r.rc == 1 and "needs the vendor's kernel driver (qla4xxx)" in r.err, r
    # applyall works on one host's port (host 0 without -H): none here, nothing to apply
    for host in (("-H", "99"), ()):
        r = adm.run("-m", "iface", *host, "-o", "applyall")
        no = host[1] if host else "0"
        assert (r.rc, r.out, r.err) == (
            0, f"Applied settings to ifaces attached to host{no}.\n",
            f"swiscsiadm: Could not read proc_name for host{no}.\n"
            "swiscsiadm: Nothing to configure.\n"), r


def test_applyall_applies_the_ifaces_of_the_port_of_the_host(tmp_path):
    """-H names a host by number or by MAC (any case); its port's ifaces (the same MAC) are
    applied, an offload one refused, the other port's left alone. A MAC no host has is 7; a
    host that is no offload port has nothing to configure."""
    adm = Adm(tmp_path, sysfs=FIXTURES / "qla4xxx")
    refused = ("swiscsiadm: Could not apply qla4xxx.00:00:5e:00:53:42.{}: transport qla4xxx "
               "needs the vendor's kernel driver (qla4xxx) and iSCSI netlink, which swiscsi does "
               "not use. The record is saved; open-iscsi's iscsiadm can push it on a host running "
               "that driver.\n")
    for host in ("8", "00:00:5E:00:53:42"):
        r = adm.run("-m", "iface", "-H", host, "-o", "applyall")
        assert (r.rc, r.out) == (1, ""), r
        assert r.err == "".join(refused.format(i) for i in ("ipv4.0", "ipv6.0", "ipv6.1")), r
    r = adm.run("-m", "iface", "-H", "02:00:00:00:00:99", "-o", "applyall")
    assert (r.rc, r.out, r.err) == (7, "", "swiscsiadm: Could not match MAC to host.\n"), r
    r = adm.run("-m", "iface", "-H", "0", "-o", "applyall")   # the fixture's ahci host
    assert (r.rc, r.out, r.err) == (0, "Applied settings to ifaces attached to host0.\n",
                                    "swiscsiadm: Nothing to configure.\n"), r


def test_option_and_operation_errors(adm):
    r = adm.run("-m", "iface", "-T", "iqn.x")
    assert (r.rc, r.err) == (7, "swiscsiadm: iface mode: option '-T' is not allowed/supported\n")
    r = adm.run("-m", "iface", "-o", "frobnicate")
    assert (r.rc, r.err) == (7, "swiscsiadm: can not recognize operation: 'frobnicate'\n")
    r = adm.run()
    assert r.rc == 7
    r = adm.run("-V")
    assert r.rc == 0 and r.out.startswith("swiscsiadm version ")
    r = adm.run("-m", "nosuchmode")
    assert r.rc == 7
    new(adm, "a")
    new(adm, "b")
    r = adm.run("-m", "iface", "-I", "a", "-I", "b")
    assert r.rc == 0 and "iface.iscsi_ifacename = a" in r.out
    assert "only accepts one interface. Using the first one a." in r.err


def test_long_options(adm):
    r = adm.run("--mode", "iface", "--interface", "l0", "--op", "new", "--name",
                "iface.mtu", "--value", "1500")
    assert r.rc == 0, r
    assert show(adm, "l0")["iface.mtu"] == "1500"
