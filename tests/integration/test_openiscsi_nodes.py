"""Node and discovery records move both ways between swiscsiadm and Debian's real open-iscsi
2.1.8 iscsiadm.

Both tools share one temporary database (swiscsiadm via SWISCSI_DB and SWISCSI_CONF, iscsiadm
via bind mounts inside a private namespace, see openiscsi.py). iscsiadm cannot discover here (no
kernel transport, no iscsid), so discovery is always swiscsiadm's, against a real tgtd on
127.0.0.1. What this file proves:

1. the node records, discovery links and st_config that swiscsiadm's SendTargets discovery writes
   are listed and shown by iscsiadm exactly as swiscsiadm lists and shows them (setting by
   setting, masked and with -S), iscsiadm's own updates of them survive a swiscsiadm
   re-discovery, and iscsiadm's `discoverydb -o delete` follows swiscsiadm's links;
2. records that iscsiadm creates and updates (startup, CHAP credentials) are listed and shown
   identically by swiscsiadm, a swiscsiadm update of another key changes that one line only,
   and a swiscsiadm delete removes exactly what iscsiadm's own delete removes;
3. the same `-o new` command gives the same tree, link names, modes and file bodies in both
   tools, apart from the header line and the two iscsid.conf values described at
   test_same_new_writes_same_files.
"""
import os
import pathlib
import stat

import pytest

from conftest import Adm, require
from openiscsi import VERSION, OpenIscsi
from test_openiscsi_roundtrip import real_state

HEADER = "# BEGIN RECORD "
FOOTER = "# END RECORD"
IFACE = "if0"
OTHER_IFACE = "if1"
IFACE_SETTINGS = {"iface.net_ifacename": "lo",
                  "iface.initiatorname": "iqn.2026-11.test.nodes:if0"}
TARGETS = ("iqn.2026-11.test.nodes:alpha", "iqn.2026-11.test.nodes:beta")
STATIC = "iqn.2026-11.test.nodes:static"
STATIC2 = "iqn.2026-11.test.nodes:static2"
PASSWORD_KEYS = ("node.session.auth.password", "node.session.auth.password_in",
                 "discovery.sendtargets.auth.password", "discovery.sendtargets.auth.password_in")
# swiscsiadm's own lock file (a flock on an open file, so that it dies with its holder); iscsiadm
# keeps its lock under /run/lock instead, so the file exists only where swiscsiadm has run.
SWISCSI_LOCK = ".swiscsi.lock"


# ---------------------------------------------------------------------------------------------
# Both tools, one database.

class Sw(Adm):
    """swiscsiadm reading ROOT/db/iscsid.conf, the copy iscsiadm sees as /etc/iscsi/iscsid.conf
    (without SWISCSI_CONF it would read the machine's /etc/iscsi/iscsid.conf)."""

    @property
    def env(self):
        env = super().env
        env["SWISCSI_CONF"] = str(self.db / "iscsid.conf")
        return env


def harden_iscsid_conf(ia, node_defaults=True):
    """iscsiadm without iscsid runs `iscsid.startup` (Debian: systemctl start iscsid.socket)
    before giving up. On a machine with systemd that would start the real daemon, so the private
    copy gets a harmless command. node_defaults=False keeps nothing else, so that both tools
    fall back to the compiled-in node defaults."""
    conf = ia.db / "iscsid.conf"
    lines = conf.read_text().splitlines() if node_defaults else []
    lines = [line for line in lines if not line.strip().startswith("iscsid.startup")]
    conf.write_text("\n".join(lines + ["iscsid.startup = /bin/true"]) + "\n")


def pair(root, node_defaults=True):
    """(swiscsiadm, iscsiadm) on ROOT/db, with ifaces if0 and if1 (netdev lo) made by
    swiscsiadm: iface records' interop is test_openiscsi_roundtrip.py's subject."""
    ia = OpenIscsi(root)
    harden_iscsid_conf(ia, node_defaults)
    sw = Sw(root, sysfs=ia.sysfs)
    assert sw.db == ia.db
    for name in (IFACE, OTHER_IFACE):
        ok(sw.run("-m", "iface", "-I", name, "-o", "new"), f"iface {name}")
        for key, value in IFACE_SETTINGS.items():
            value = value.replace(IFACE, name)
            ok(sw.run("-m", "iface", "-I", name, "-o", "update", "-n", key, "-v", value),
               f"iface {name} {key}")
    return sw, ia


@pytest.fixture
def tools(tmp_path):
    return pair(tmp_path)


@pytest.fixture(autouse=True)
def real_db_untouched():
    """The machine's own open-iscsi state must be exactly as before each test."""
    before = real_state()
    yield
    assert real_state() == before, "the machine's /etc/iscsi, /var/lib/iscsi or lock changed"


# ---------------------------------------------------------------------------------------------
# Helpers, each asserting success so a failure names the command.

def ok(result, what):
    assert result.rc == 0, f"{what}: {result!r}"
    return result


def both(sw, ia, *args):
    """Runs the same command with both tools: (swiscsiadm result, iscsiadm result)."""
    return sw.run(*args), ia.run(*args)


def same_output(sw, ia, *args):
    """Both tools give the same exit code and the same stdout; returns that stdout."""
    r_sw, r_ia = both(sw, ia, *args)
    assert (r_sw.rc, r_sw.out) == (r_ia.rc, r_ia.out), f"{args}:\nswiscsiadm {r_sw!r}\niscsiadm {r_ia!r}"
    return r_sw.out


def record(out):
    """A `-o show` record as (header line, [(key, value), ...])."""
    lines = out.splitlines()
    assert lines and lines[0].startswith(HEADER) and lines[-1] == FOOTER, out
    body = [tuple(line.split(" = ", 1)) for line in lines[1:-1]]
    assert all(len(kv) == 2 for kv in body), out
    return lines[0], body


def same_record(sw, ia, *args):
    """Both tools show one record with the same settings in the same order; the header differs
    only by its version token. Compared setting by setting so a failure names the keys."""
    r_sw, r_ia = both(sw, ia, *args)
    ok(r_sw, f"swiscsiadm {args}")
    ok(r_ia, f"iscsiadm {args}")
    sw_header, sw_body = record(r_sw.out)
    ia_header, ia_body = record(r_ia.out)
    assert ia_header == HEADER + VERSION
    assert sw_header.startswith(HEADER) and len(sw_header) > len(HEADER)
    assert [k for k, _ in sw_body] == [k for k, _ in ia_body], f"{args}: key lists differ"
    differing = [(k, v_sw, v_ia) for (k, v_sw), (_, v_ia) in zip(sw_body, ia_body) if v_sw != v_ia]
    assert differing == [], f"{args}: (key, swiscsiadm, iscsiadm): {differing}"
    return dict(sw_body)


def discovery_tree(out):
    """`-m discovery -P 1` as [(section, sorted entries)]. iscsiadm walks each send_targets dir
    in readdir order (hash order on ext4: it printed beta before alpha), swiscsiadm sorts; the
    order is no part of the format, so entries are compared as sets while the
    sections and their order must match."""
    sections = []
    disc = None
    target = portal = None
    for line in out.splitlines():
        if line in ("SENDTARGETS:", "iSNS:", "STATIC:", "FIRMWARE:"):
            sections.append((line, []))
            disc = None
        elif line.startswith("DiscoveryAddress: "):
            disc = line
            sections[-1][1].append((disc,))
        elif line == "No targets found.":
            sections[-1][1].append((disc, line))
        elif line.startswith("Target: "):
            target = line
        elif line.startswith("\tPortal: "):
            portal = line
        elif line.startswith("\t\tIface Name: "):
            sections[-1][1].append((disc, target, portal, line))
        else:
            raise AssertionError(f"unexpected line {line!r} in\n{out}")
    return [(name, sorted(entries, key=repr)) for name, entries in sections]


def body_lines(path):
    """A record file without its header line."""
    lines = pathlib.Path(path).read_text().splitlines()
    assert lines[0].startswith(HEADER), lines[0]
    return lines[1:]


def snapshot(tool):
    """The database below DBROOT as {relative path: what is there}. Record files are given
    without their header line; link targets relative to DBROOT (iscsiadm writes the path it
    sees, /etc/iscsi/..., swiscsiadm the real path of its database)."""
    db = tool.db
    roots = ("/etc/iscsi/", str(db) + "/")
    tree = {}
    for path in sorted(db.rglob("*")):
        rel = str(path.relative_to(db))
        if rel in (SWISCSI_LOCK, "iscsid.conf", "initiatorname.iscsi"):
            continue
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(path)
            prefix = next((r for r in roots if target.startswith(r)), None)
            assert prefix, f"{rel} -> {target} points outside the database"
            tree[rel] = ("link", "DBROOT/" + target[len(prefix):])
        elif stat.S_ISDIR(st.st_mode):
            tree[rel] = ("dir", oct(st.st_mode & 0o7777))
        elif rel.startswith("ifaces/"):
            tree[rel] = ("file", oct(st.st_mode & 0o7777), path.read_text())
        else:
            tree[rel] = ("file", oct(st.st_mode & 0o7777), tuple(body_lines(path)))
    return tree


def conf_values(ia):
    """node.* settings of the private iscsid.conf copy."""
    values = {}
    for line in (ia.db / "iscsid.conf").read_text().splitlines():
        line = line.strip()
        if line.startswith("node.") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


# ---------------------------------------------------------------------------------------------
# 1. swiscsiadm discovers, iscsiadm reads.

def discover(sw, tgtd):
    for tid, name in enumerate(TARGETS, start=1):
        tgtd.target(tid, name)
    r = ok(sw.run("-m", "discovery", "-t", "st", "-p", tgtd.portal, "-I", IFACE), "discovery")
    expected = {f"{tgtd.portal},1 {name}" for name in TARGETS}
    assert sorted(r.out.splitlines()) == sorted(expected), r
    return r.out


def test_discovered_records_read_by_iscsiadm(tgtd, tools):
    sw, ia = tools
    found = discover(sw, tgtd)
    address, port = tgtd.portal.split(":")

    # Listings: identical in both tools, one line per record found.
    listed = same_output(sw, ia, "-m", "node")
    assert sorted(listed.splitlines()) == sorted(found.splitlines())
    assert same_output(sw, ia, "-m", "node", "-P", "0") == listed
    tree = same_output(sw, ia, "-m", "node", "-P", "1")
    for name in TARGETS:
        assert f"Target: {name}\n\tPortal: {tgtd.portal},1\n\t\tIface Name: {IFACE}\n" in tree

    for name in TARGETS:
        # Every setting, masked and in clear, selected as the brief's users would.
        shown = same_record(sw, ia, "-m", "node", "-T", name, "-p", tgtd.portal, "-I", IFACE)
        assert same_record(sw, ia, "-m", "node", "-T", name, "-p", tgtd.portal, "-I", IFACE,
                           "-S") == shown
        assert same_record(sw, ia, "-m", "node", "-o", "show", "-T", name) == shown
        expected = {"node.name": name, "node.tpgt": "1", "node.discovery_address": address,
                    "node.discovery_port": port, "node.discovery_type": "send_targets",
                    "node.conn[0].address": address, "node.conn[0].port": port,
                    "iface.iscsi_ifacename": IFACE, **IFACE_SETTINGS}
        assert {k: shown[k] for k in expected} == expected

        # open-iscsi's layout: nodes/NAME/ADDR,PORT,TPGT/IFACE and a send_targets link to it.
        portal_dir = f"nodes/{name}/{address},{port},1"
        assert (sw.db / portal_dir / IFACE).is_file()
        link = sw.db / "send_targets" / f"{address},{port}" / f"{name},{address},{port},1,{IFACE}"
        assert link.is_symlink() and link.resolve() == (sw.db / portal_dir).resolve()


def test_st_config_read_by_iscsiadm(tgtd, tools):
    sw, ia = tools
    discover(sw, tgtd)
    address, port = tgtd.portal.split(":")
    assert (sw.db / "send_targets" / f"{address},{port}" / "st_config").is_file()

    assert same_output(sw, ia, "-m", "discovery") == f"{tgtd.portal} via sendtargets\n"
    assert same_output(sw, ia, "-m", "discovery", "-P", "0") == f"{tgtd.portal} via sendtargets\n"
    r_sw, r_ia = both(sw, ia, "-m", "discovery", "-P", "1")
    assert (r_sw.rc, r_ia.rc) == (0, 0), (r_sw, r_ia)
    assert discovery_tree(r_sw.out) == discovery_tree(r_ia.out), (r_sw.out, r_ia.out)
    sections = dict(discovery_tree(r_sw.out))
    assert len(sections["SENDTARGETS:"]) == 1 + len(TARGETS)
    assert sections["STATIC:"] == [(None, "No targets found.")]

    shown = same_record(sw, ia, "-m", "discoverydb", "-t", "st", "-p", tgtd.portal, "-o", "show")
    assert shown["discovery.sendtargets.address"] == address
    assert shown["discovery.sendtargets.port"] == port
    assert shown["discovery.type"] == "sendtargets"
    # `-m discovery -p P -o show` (no -t: with -t both tools would run a discovery) reads the
    # same record through the other printer (which leaves out node.session.auth.chap_algs).
    same_record(sw, ia, "-m", "discovery", "-p", tgtd.portal, "-o", "show")

    # Discovery CHAP set by swiscsiadm: masked alike, in clear alike with -S.
    secret = "discsecret123"
    for key, value in (("discovery.sendtargets.auth.authmethod", "CHAP"),
                       ("discovery.sendtargets.auth.username", "disc"),
                       ("discovery.sendtargets.auth.password", secret)):
        ok(sw.run("-m", "discoverydb", "-t", "st", "-p", tgtd.portal, "-o", "update", "-n", key,
                  "-v", value), f"discoverydb update {key}")
    masked = same_record(sw, ia, "-m", "discoverydb", "-t", "st", "-p", tgtd.portal, "-o", "show")
    clear = same_record(sw, ia, "-m", "discoverydb", "-t", "st", "-p", tgtd.portal, "-o", "show",
                        "-S")
    assert masked["discovery.sendtargets.auth.password"] == "********"
    assert clear["discovery.sendtargets.auth.password"] == secret
    assert masked["discovery.sendtargets.auth.username"] == "disc"
    assert {k: v for k, v in masked.items() if k != "discovery.sendtargets.auth.password"} == \
           {k: v for k, v in clear.items() if k != "discovery.sendtargets.auth.password"}


def test_iscsiadm_update_survives_swiscsiadm_rediscovery(tgtd, tools):
    """iscsiadm customises a discovered record; swiscsiadm's plain re-discovery keeps it
    (iscsiadm 2.1.8 would reset it: DIFFERENCES FROM ISCSIADM in swiscsiadm(8)) and rewrites
    nothing else iscsiadm reads."""
    sw, ia = tools
    discover(sw, tgtd)
    name = TARGETS[0]
    select = ("-m", "node", "-T", name, "-p", tgtd.portal, "-I", IFACE)
    before = same_record(sw, ia, *select)
    ok(ia.run("-m", "node", "-T", name, "-o", "update", "-n", "node.startup", "-v", "automatic"),
       "iscsiadm update")
    assert same_record(sw, ia, *select) == {**before, "node.startup": "automatic"}

    discover_again = ok(sw.run("-m", "discovery", "-t", "st", "-p", tgtd.portal, "-I", IFACE),
                        "rediscovery")
    assert sorted(discover_again.out.splitlines()) == \
           sorted(f"{tgtd.portal},1 {t}" for t in TARGETS)
    assert same_record(sw, ia, *select) == {**before, "node.startup": "automatic"}


def test_iscsiadm_discoverydb_delete_follows_swiscsiadm_links(tgtd, tools):
    """iscsiadm's `discoverydb -o delete` removes st_config and every node record named by a
    link swiscsiadm wrote (NAME,ADDR,PORT,TPGT,IFACE); swiscsiadm then sees nothing either."""
    sw, ia = tools
    discover(sw, tgtd)
    ok(ia.run("-m", "discoverydb", "-t", "st", "-p", tgtd.portal, "-o", "delete"), "delete")

    assert [p for p in (sw.db / "send_targets").rglob("*")] == []
    assert [p for p in (sw.db / "nodes").rglob("*")] == []
    for args in (("-m", "node"), ("-m", "discovery")):
        r_sw, r_ia = both(sw, ia, *args)
        assert (r_sw.rc, r_sw.out) == (r_ia.rc, r_ia.out) == (21, ""), (args, r_sw, r_ia)
    r_sw, r_ia = both(sw, ia, "-m", "discoverydb", "-t", "st", "-p", tgtd.portal, "-o", "show")
    assert r_sw.rc == r_ia.rc == 6, (r_sw, r_ia)
    assert r_sw.err.replace("swiscsiadm: ", "") == r_ia.err.replace("iscsiadm: ", "")


# ---------------------------------------------------------------------------------------------
# 2. iscsiadm writes, swiscsiadm reads, updates and deletes.

CHAP_UPDATES = (("node.startup", "automatic"),
                ("node.session.auth.authmethod", "CHAP"),
                ("node.session.auth.username", "alice"),
                ("node.session.auth.password", "alicesecret12"),
                ("node.session.auth.username_in", "disk"),
                ("node.session.auth.password_in", "disksecret123"))


def iscsiadm_new(ia, target, iface=IFACE, updates=CHAP_UPDATES, portal="127.0.0.1:3260,1"):
    r = ok(ia.run("-m", "node", "-o", "new", "-T", target, "-p", portal, "-I", iface),
           f"iscsiadm new {target} {iface}")
    assert "added" in r.out, r
    for key, value in updates:
        ok(ia.run("-m", "node", "-o", "update", "-T", target, "-I", iface, "-n", key, "-v", value),
           f"iscsiadm update {key}")


def test_iscsiadm_records_read_by_swiscsiadm(tools):
    sw, ia = tools
    iscsiadm_new(ia, STATIC)

    listed = same_output(sw, ia, "-m", "node")
    assert listed == f"127.0.0.1:3260,1 {STATIC}\n"
    same_output(sw, ia, "-m", "node", "-P", "1")
    r_sw, r_ia = both(sw, ia, "-m", "discovery", "-P", "1")
    assert (r_sw.rc, r_ia.rc) == (0, 0), (r_sw, r_ia)
    assert discovery_tree(r_sw.out) == discovery_tree(r_ia.out), (r_sw.out, r_ia.out)
    assert dict(discovery_tree(r_sw.out))["STATIC:"] == [
        (None, f"Target: {STATIC}", "\tPortal: 127.0.0.1:3260,1", f"\t\tIface Name: {IFACE}")]

    for select in (("-T", STATIC), ("-T", STATIC, "-p", "127.0.0.1:3260", "-I", IFACE),
                   ("-p", "127.0.0.1", "-I", IFACE)):
        masked = same_record(sw, ia, "-m", "node", *select)
        clear = same_record(sw, ia, "-m", "node", *select, "-S")
        for key, value in CHAP_UPDATES:
            if key in PASSWORD_KEYS:
                assert (masked[key], clear[key]) == ("********", value), key
            else:
                assert masked[key] == clear[key] == value, key
        assert masked["node.discovery_type"] == "static"
        assert {k: v for k, v in masked.items() if k not in PASSWORD_KEYS} == \
               {k: v for k, v in clear.items() if k not in PASSWORD_KEYS}


def test_swiscsiadm_update_changes_one_line(tools):
    sw, ia = tools
    iscsiadm_new(ia, STATIC)
    path = ia.db / "nodes" / STATIC / "127.0.0.1,3260,1" / IFACE
    select = ("-m", "node", "-T", STATIC, "-p", "127.0.0.1:3260", "-I", IFACE, "-S")
    before_file = body_lines(path)
    before_tree = snapshot(ia)
    before = same_record(sw, ia, *select)
    key, old, new = "node.session.timeo.replacement_timeout", before[
        "node.session.timeo.replacement_timeout"], "15"
    assert old != new

    r = sw.run("-m", "node", "-o", "update", "-T", STATIC, "-I", IFACE, "-n", key, "-v", new)
    assert (r.rc, r.out, r.err) == (0, "", ""), r

    # The file: that line changed, every other line (CHAP secrets included) as iscsiadm wrote it.
    assert body_lines(path) == [line.replace(f"{key} = {old}", f"{key} = {new}")
                                for line in before_file]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The rest of the database: untouched (static link included).
    after_tree = snapshot(ia)
    rel = str(path.relative_to(ia.db))
    assert {k: v for k, v in after_tree.items() if k != rel} == \
           {k: v for k, v in before_tree.items() if k != rel}
    # iscsiadm reads it, with one value changed; both tools agree.
    assert same_record(sw, ia, *select) == {**before, key: new}
    assert same_output(sw, ia, "-m", "node") == f"127.0.0.1:3260,1 {STATIC}\n"


def delete_setup(root):
    """iscsiadm writes STATIC on if0 and if1 and STATIC2 on if0, all at 127.0.0.1:3260,1."""
    sw, ia = pair(root)
    iscsiadm_new(ia, STATIC)
    iscsiadm_new(ia, STATIC, iface=OTHER_IFACE)
    iscsiadm_new(ia, STATIC2, updates=())
    return sw, ia


def test_swiscsiadm_delete_removes_exactly_one_record(tmp_path):
    """`-m node -o delete -T T -I if0` by each tool on twin databases: the same record and the
    same static/ link go, nothing else, and iscsiadm no longer lists it."""
    sw, ia = delete_setup(tmp_path / "sw")
    twin_sw, twin_ia = delete_setup(tmp_path / "ia")
    before = snapshot(ia)
    assert before == snapshot(twin_ia)
    listed_before = ok(ia.run("-m", "node"), "list").out.splitlines()
    gone_line = f"127.0.0.1:3260,1 {STATIC}"
    assert listed_before.count(gone_line) == 2, listed_before

    delete = ("-m", "node", "-o", "delete", "-T", STATIC, "-I", IFACE)
    r_sw, r_ia = sw.run(*delete), twin_ia.run(*delete)
    assert (r_sw.rc, r_sw.out, r_sw.err) == (0, "", ""), r_sw
    assert (r_ia.rc, r_ia.out, r_ia.err) == (0, "", ""), r_ia

    removed = {f"nodes/{STATIC}/127.0.0.1,3260,1/{IFACE}",
               f"static/{STATIC},127.0.0.1,3260,1,{IFACE}"}
    assert removed <= set(before)
    after = snapshot(ia)
    assert after == {k: v for k, v in before.items() if k not in removed}
    assert after == snapshot(twin_ia)

    # iscsiadm's view: that record is gone, its twin on if1 and the other target stay.
    listed = ok(ia.run("-m", "node"), "list").out.splitlines()
    assert sorted(listed) == sorted(listed_before[:listed_before.index(gone_line)] +
                                    listed_before[listed_before.index(gone_line) + 1:])
    tree = ok(ia.run("-m", "node", "-P", "1"), "tree").out
    assert f"\t\tIface Name: {OTHER_IFACE}" in tree
    assert same_output(sw, ia, "-m", "node", "-P", "1") == tree
    r_sw, r_ia = both(sw, ia, "-m", "node", "-T", STATIC, "-I", IFACE)
    assert (r_sw.rc, r_ia.rc) == (21, 21), (r_sw, r_ia)
    assert r_sw.err.replace("swiscsiadm: ", "") == r_ia.err.replace("iscsiadm: ", "")
    same_record(sw, ia, "-m", "node", "-T", STATIC, "-I", OTHER_IFACE)

    # The last record of the target: its portal and target directories go too, as in iscsiadm.
    delete = ("-m", "node", "-o", "delete", "-T", STATIC, "-I", OTHER_IFACE)
    ok(sw.run(*delete), "second delete")
    ok(twin_ia.run(*delete), "twin second delete")
    assert not (ia.db / "nodes" / STATIC).exists()
    assert snapshot(ia) == snapshot(twin_ia)
    assert same_output(sw, ia, "-m", "node") == f"127.0.0.1:3260,1 {STATIC2}\n"


# ---------------------------------------------------------------------------------------------
# 3. The same `-o new` in both tools.

NEW_FORMS = {
    "tpgt-iface": ("-p", "127.0.0.1:3260,1", "-I", IFACE),
    "old-style": ("-p", "127.0.0.1:3261", "-I", IFACE),  # no tpgt: a file, no link
    "default-iface": ("-p", "127.0.0.1,5"),               # no -I, default port
}
# The two settings whose compiled-in default differs from Debian's iscsid.conf
# as (compiled-in, key).
CONF_OVERRIDDEN = {"node.session.initial_login_retry_max": "4",
                   "node.conn[0].timeo.login_timeout": "30"}


@pytest.mark.parametrize("node_defaults", [True, False], ids=["iscsid.conf", "no-node-conf"])
@pytest.mark.parametrize("form", sorted(NEW_FORMS))
def test_same_new_writes_same_files(tmp_path, form, node_defaults):
    """Twin databases, the same `-m node -o new`: the same message, directories, link names and
    targets (relative to DBROOT), modes, and record bodies — except, when iscsid.conf has node
    settings, exactly the two settings where Debian's iscsid.conf overrides the compiled-in
    defaults. That difference is iscsiadm's, not swiscsiadm's: without a reachable iscsid,
    iscsiadm 2.1.8 creates records from compiled-in defaults and ignores iscsid.conf
    (iscsid normally hands them over), while swiscsiadm, which has no iscsid to ask, reads
    iscsid.conf itself (same values a normally running open-iscsi writes). With an
    iscsid.conf without node settings the bodies are byte-identical."""
    sw, sw_ia = pair(tmp_path / "sw", node_defaults)
    ia_sw, ia = pair(tmp_path / "ia", node_defaults)
    args = ("-m", "node", "-o", "new", "-T", STATIC, *NEW_FORMS[form])
    r_sw, r_ia = sw.run(*args), ia.run(*args)
    assert (r_sw.rc, r_ia.rc) == (0, 0), (r_sw, r_ia)
    assert r_sw.out == r_ia.out and "added" in r_sw.out, (r_sw, r_ia)

    sw_tree, ia_tree = snapshot(sw), snapshot(ia)
    assert sorted(sw_tree) == sorted(ia_tree)
    records = [rel for rel in ia_tree if rel.startswith("nodes/") and ia_tree[rel][0] == "file"]
    assert len(records) == 1, ia_tree
    for rel in ia_tree:
        if rel not in records:
            assert sw_tree[rel] == ia_tree[rel], rel

    rel = records[0]
    sw_mode, sw_body = sw_tree[rel][1:]
    ia_mode, ia_body = ia_tree[rel][1:]
    assert sw_mode == ia_mode == oct(0o600)
    assert len(sw_body) == len(ia_body)
    differing = {sw_line.split(" = ")[0]: (ia_line.split(" = ")[1], sw_line.split(" = ")[1])
                 for sw_line, ia_line in zip(sw_body, ia_body) if sw_line != ia_line}
    if node_defaults:
        conf = conf_values(ia)
        require(all(key in conf for key in CONF_OVERRIDDEN),
                f"{sorted(CONF_OVERRIDDEN)} in the test's iscsid.conf (openiscsi.ISCSID_CONF)")
        expected = {key: (compiled, conf[key]) for key, compiled in CONF_OVERRIDDEN.items()
                    if conf[key] != compiled}
        assert expected, "iscsid.conf overrides nothing: this case would prove nothing"
    else:
        expected = {}
    assert differing == expected

    # Each tool reads the other's file as it reads its own.
    listed = same_output(sw, sw_ia, "-m", "node")
    assert same_output(ia_sw, ia, "-m", "node") == listed
    assert same_record(sw, sw_ia, "-m", "node", "-T", STATIC, "-S") == \
           {**same_record(ia_sw, ia, "-m", "node", "-T", STATIC, "-S"),
            **{key: values[1] for key, values in differing.items()}}


# ---------------------------------------------------------------------------------------------
# 4. Where the two tools part. Each test states what iscsiadm 2.1.8 does; the ones that fail
#    show an incompatibility that DIFFERENCES FROM ISCSIADM in swiscsiadm(8) does not list.

def twins(tmp_path, setup):
    """Two databases prepared alike by iscsiadm: (sw, ia) pairs A and B."""
    a, b = pair(tmp_path / "a"), pair(tmp_path / "b")
    for sw, ia in (a, b):
        setup(sw, ia)
    assert snapshot(a[1]) == snapshot(b[1])
    return a, b


def test_node_new_on_existing_record_resets_it(tmp_path):
    """`-m node -o new` creates *or overwrites* (settings reset, "added" printed, exit 0).
    swiscsiadm differs only for `-m iface -o new` (swiscsiadm(8)), and an explicit `-o new` is
    the way to get a node record's defaults back."""
    (sw, ia), (_, ia2) = twins(tmp_path, lambda sw, ia: iscsiadm_new(ia, STATIC))
    args = ("-m", "node", "-o", "new", "-T", STATIC, "-p", "127.0.0.1:3260,1", "-I", IFACE)
    r_sw, r_ia = sw.run(*args), ia2.run(*args)
    assert (r_sw.rc, r_sw.out) == (r_ia.rc, r_ia.out), (r_sw, r_ia)
    shown = same_record(sw, ia, "-m", "node", "-T", STATIC, "-I", IFACE)
    assert shown["node.startup"] == "manual" and shown["node.session.auth.authmethod"] == "None"


def test_iface_update_reaches_bound_node_records(tmp_path):
    """Updating an iface rewrites the same key in every node record bound to it (observed
    for iface.initiatorname). iscsiadm wrote the node records; each tool updates the iface."""
    def setup(sw, ia):
        iscsiadm_new(ia, STATIC)
        iscsiadm_new(ia, STATIC2, updates=())
        iscsiadm_new(ia, STATIC2, iface=OTHER_IFACE, updates=())
    (sw, ia), (_, ia2) = twins(tmp_path, setup)
    new_name = "iqn.2026-11.test.nodes:renamed"
    args = ("-m", "iface", "-I", IFACE, "-o", "update", "-n", "iface.initiatorname", "-v", new_name)
    ok(sw.run(*args), "swiscsiadm iface update")
    ok(ia2.run(*args), "iscsiadm iface update")

    for target in (STATIC, STATIC2):
        shown = same_record(sw, ia, "-m", "node", "-T", target, "-I", IFACE)
        assert shown["iface.initiatorname"] == new_name, (target, shown["iface.initiatorname"])
    other = same_record(sw, ia, "-m", "node", "-T", STATIC2, "-I", OTHER_IFACE)
    assert other["iface.initiatorname"] == IFACE_SETTINGS["iface.initiatorname"].replace(
        IFACE, OTHER_IFACE)
    trees = snapshot(ia), snapshot(ia2)
    assert {k: v for k, v in trees[0].items() if not k.startswith("ifaces/")} == \
           {k: v for k, v in trees[1].items() if not k.startswith("ifaces/")}


def test_old_style_static_record_in_discovery_tree(tools):
    """An old-style record (`-o new` without tpgt) has no static/ link but is a static
    record: iscsiadm's `-m discovery -P 1` lists it under STATIC with tpgt -1."""
    sw, ia = tools
    iscsiadm_new(ia, STATIC, updates=(), portal="127.0.0.1:3262")
    iscsiadm_new(ia, STATIC2, updates=())
    assert same_output(sw, ia, "-m", "node") == \
           f"127.0.0.1:3262,4294967295 {STATIC}\n127.0.0.1:3260,1 {STATIC2}\n"
    r_sw, r_ia = both(sw, ia, "-m", "discovery", "-P", "1")
    assert (r_sw.rc, r_ia.rc) == (0, 0), (r_sw, r_ia)
    assert (None, f"Target: {STATIC}", "\tPortal: 127.0.0.1:3262,-1",
            f"\t\tIface Name: {IFACE}") in dict(discovery_tree(r_ia.out))["STATIC:"]
    assert discovery_tree(r_sw.out) == discovery_tree(r_ia.out), (r_sw.out, r_ia.out)


def test_unknown_tpgt_printed_as_iscsiadm_prints_it(tools):
    """An old-style record's tpgt is -1. iscsiadm 2.1.8 prints it as an unsigned number in
    the flat list (4294967295, which scripts parse), as -1 in the -P 1 tree and in the record;
    swiscsiadm prints the same in each."""
    sw, ia = tools
    iscsiadm_new(ia, STATIC, updates=(), portal="127.0.0.1:3262")
    assert same_output(sw, ia, "-m", "node") == f"127.0.0.1:3262,4294967295 {STATIC}\n"
    assert same_output(sw, ia, "-m", "node", "-P", "1") == \
           f"Target: {STATIC}\n\tPortal: 127.0.0.1:3262,-1\n\t\tIface Name: {IFACE}\n"
    shown = same_record(sw, ia, "-m", "node", "-T", STATIC, "-p", "127.0.0.1:3262")
    assert shown["node.tpgt"] == "-1"


REFUSALS = {
    "iface-key": ("-o", "update", "-T", STATIC, "-n", "iface.net_ifacename", "-v", "eth0"),
    "read-only": ("-o", "update", "-T", STATIC, "-n", "node.name", "-v", "x"),
    "unknown-key": ("-o", "update", "-T", STATIC, "-n", "node.bogus", "-v", "x"),
    "bad-enum": ("-o", "update", "-T", STATIC, "-n", "node.startup", "-v", "bogus"),
    "no-match": ("-o", "delete", "-T", "iqn.2026-11.test.nodes:nosuch"),
    "info-level": ("-P", "2"),
    "new-target-only": ("-o", "new", "-T", "iqn.2026-11.test.nodes:only"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_like_iscsiadm(tools, case):
    """Same exit code, same stderr (apart from the program name) and an untouched database for
    iscsiadm's refusals of a bad -o new or -o update (a bad enum value among them;
    "Error while adding record: " with exit 0 for `-o new` with only -T)."""
    sw, ia = tools
    iscsiadm_new(ia, STATIC)
    before = snapshot(ia)
    r_sw, r_ia = both(sw, ia, "-m", "node", *REFUSALS[case])
    assert r_ia.rc != 0 or case == "new-target-only", r_ia
    # iscsiadm also tells that iscsid is not running (it asks it for the defaults of a new record)
    ia_err = "".join(line + "\n" for line in r_ia.err.splitlines()
                     if "can not connect to iSCSI daemon" not in line)
    assert (r_sw.rc, r_sw.out, r_sw.err.replace("swiscsiadm: ", "")) == \
           (r_ia.rc, r_ia.out, ia_err.replace("iscsiadm: ", "")), (r_sw, r_ia)
    assert snapshot(ia) == before


def test_missing_iface_exit_code(tools):
    """Documented deviation (swiscsiadm(8), DIFFERENCES FROM ISCSIADM): same message, exit 21
    instead of 2.1.8's 3."""
    sw, ia = tools
    iscsiadm_new(ia, STATIC)
    r_sw, r_ia = both(sw, ia, "-m", "node", "-I", "nosuch")
    assert (r_sw.rc, r_ia.rc) == (21, 3), (r_sw, r_ia)
    assert r_sw.err.replace("swiscsiadm: ", "") == r_ia.err.replace("iscsiadm: ", "")
