"""Names from a hostile target or a careless command line never become paths outside the record
database (issue #9, high 1). The fake target (tests/integration/faketarget.py) answers
SendTargets with whatever a test scripts; nothing connects to the addresses it reports.

Every traversal here is aimed at the test's own temporary directory (the database is
tmp_path/db), and each test checks that nothing outside the database appeared or changed."""
from conftest import Adm, tool
from faketarget import OP_TEXT_REQ, OP_TEXT_RSP, RESERVED, encode_keys

GOOD = "iqn.2026-11.test.hostile:good"
SPLIT = "iqn.2026-11.test.hostile:split"   # good name, some bad addresses
NOADDR = "iqn.2026-11.test.hostile:noaddr"  # good name, no usable address at all

# From DB/nodes/NAME/ three '..' reach tmp_path: a record there would be tmp_path/canary/...
# Control characters have a test of their own (test_a_control_character_costs_only_its_own_entry).
BAD_NAMES = [
    "iqn.x/../../../canary",
    "..",
    "iqn.2026-11.test.hostile:a/b",
    "iqn.2026-11.test.hostile:a b",
    "iqn.2026-11.test.hostile:a,b",
    "target-without-type",
    "iqn.2026-11.test.hostile:" + "a" * 230,   # over the 223 bytes of RFC 7143
]
BAD_ADDRESSES = ["../../../../canary2:3260,1", "..:3260,1", "192.0.2.1/../../x:3260,1",
                 "a b:3260,1"]


def outside_db(tmp_path):
    """Every path under tmp_path but the database, with the content of each file."""
    db = tmp_path / "db"
    return {str(p): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in tmp_path.rglob("*") if db not in p.parents and p != db}


def shown(value):
    """How swiscsiadm quotes hostile text: printable ASCII as is, the rest as \\xNN."""
    return "".join(c if " " <= c < "\x7f" and c != "\\" else f"\\x{ord(c):02x}" for c in value)


def test_bad_sendtargets_entries_are_reported_and_skipped(tmp_path, fake):
    t = fake(iqn=GOOD)
    t.extra_targets = [(name, ["192.0.2.9:3260,1"]) for name in BAD_NAMES]
    t.extra_targets += [(SPLIT, BAD_ADDRESSES + ["192.0.2.10:3260,1"]),
                        (NOADDR, ["..", "x/y,1"])]
    adm = Adm(tmp_path)
    (tmp_path / "canary").mkdir()   # where the first traversal would put its record
    (tmp_path / "canary" / "keep").write_text("must stay\n")
    before = outside_db(tmp_path)

    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal)

    assert r.rc == 0, r
    assert r.out.splitlines() == [f"{t.portal},1 {GOOD}", f"192.0.2.10:3260,1 {SPLIT}"], r
    for name in BAD_NAMES:
        assert f"TargetName={name} skipped: invalid iSCSI name" in r.err, (name, r.err)
    for address in BAD_ADDRESSES + ["..", "x/y,1"]:
        assert f"TargetAddress={shown(address)} skipped" in r.err, (address, r.err)
    assert f"TargetName={NOADDR} skipped: none of its TargetAddress values is usable" in r.err
    assert all(line.startswith("swiscsiadm: ") for line in r.err.splitlines()), \
        "every report is one line of its own"
    nodes = adm.db / "nodes"
    assert sorted(p.name for p in nodes.iterdir()) == [GOOD, SPLIT]
    assert [p.name for p in (nodes / SPLIT).iterdir()] == ["192.0.2.10,3260,1"]
    assert (nodes / GOOD / f"127.0.0.1,{t.port},1" / "default").is_file()
    links = sorted(p.name for p in (adm.db / "send_targets" / f"127.0.0.1,{t.port}").iterdir())
    assert links == sorted(["st_config", f"{GOOD},127.0.0.1,{t.port},1,default",
                            f"{SPLIT},192.0.2.10,3260,1,default"])
    assert outside_db(tmp_path) == before, "nothing outside SWISCSI_DB was written"


def test_node_new_refuses_a_target_name_that_is_a_path(adm, tmp_path):
    before = outside_db(tmp_path)
    for name in ("../../x", "iqn.x/../../../x", "..", "iqn.2026-11.test:a\nnode.startup = automatic"):
        r = adm.run("-m", "node", "-o", "new", "-T", name, "-p", "192.0.2.1:3260,1")
        assert r.rc == 7, (name, r)
        assert f"invalid target name '{shown(name)}'" in r.err, (name, r)
    for name in ("target1", "iqn.2026-11.test:a,b", "iqn.2026-11.test:a\\b"):
        r = adm.run("-m", "node", "-o", "new", "-T", name, "-p", "192.0.2.1:3260,1")
        assert r.rc == 7, (name, r)
        assert f"Error while adding record: invalid iSCSI name '{shown(name)}'" in r.err, r
    assert not (adm.db / "nodes").exists() and not (adm.db / "static").exists()
    assert outside_db(tmp_path) == before


def test_a_control_character_costs_only_its_own_entry(tmp_path, fake):
    """A name or address holding a control character is reported (escaped, so the report is
    one line) and skipped; the good entries of the same answer are still recorded."""
    adm = Adm(tmp_path)
    before = outside_db(tmp_path)
    names = ["iqn.2026-11.test.hostile:a\nnode.startup = automatic",
             "iqn.2026-11.test.hostile:\x1b[2J", "iqn.2026-11.test.hostile:a\tb"]
    t = fake(iqn=GOOD)
    t.extra_targets = [(name, ["192.0.2.9:3260,1"]) for name in names]
    t.extra_targets += [(SPLIT, ["192.0.2.11\r:3260,1", "192.0.2.10:3260,1"])]
    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal)
    assert r.rc == 0, r
    assert r.out.splitlines() == [f"{t.portal},1 {GOOD}", f"192.0.2.10:3260,1 {SPLIT}"], r
    for name in names:
        assert f"TargetName={shown(name)} skipped: invalid iSCSI name" in r.err, (name, r.err)
    assert f"TargetAddress={shown('192.0.2.11' + chr(13) + ':3260,1')} skipped" in r.err, r.err
    assert all(line.startswith("swiscsiadm: ") for line in r.err.splitlines()), r.err
    assert sorted(p.name for p in (adm.db / "nodes").iterdir()) == [GOOD, SPLIT]
    assert [p.name for p in (adm.db / "nodes" / SPLIT).iterdir()] == ["192.0.2.10,3260,1"]
    assert outside_db(tmp_path) == before


def test_a_control_character_in_a_key_still_fails_the_answer(tmp_path, fake):
    """A key is the answer's structure, not an entry: one with a control character makes the
    whole answer unreadable, and nothing is recorded."""
    adm = Adm(tmp_path)
    t = fake(iqn=GOOD)

    def answer(conn, p):
        if p.opcode != OP_TEXT_REQ:
            return False
        conn.send(OP_TEXT_RSP, encode_keys([("TargetName", GOOD), ("TargetAddress", "192.0.2.9,1"),
                                            ("Target\x01Name", "iqn.2026-11.test.hostile:k")]),
                  flags=0x80, itt=p.itt, w20=RESERVED, **conn.sn_fields())
        return True
    t.on_pdu = answer
    r = adm.run("-m", "discovery", "-t", "st", "-p", t.portal)
    assert r.rc != 0 and "holds a control character" in r.err, r
    assert not (adm.db / "nodes").exists()


def test_node_new_refuses_a_portal_address_that_is_a_path(adm, tmp_path):
    before = outside_db(tmp_path)
    for portal in ("../../../y", "../../../y:3260,1", "..", "a/b:3260"):
        r = adm.run("-m", "node", "-o", "new", "-T", GOOD, "-p", portal)
        assert r.rc == 7, (portal, r)
        assert f"Invalid portal {portal}" in r.err, (portal, r)
    assert not (adm.db / "nodes").exists()
    assert outside_db(tmp_path) == before


def test_discovery_refuses_a_portal_address_that_is_a_path(adm, tmp_path):
    before = outside_db(tmp_path)
    r = adm.run("-m", "discovery", "-t", "st", "-p", "../../z:3260")
    assert r.rc == 7 and "Invalid portal ../../z:3260" in r.err, r
    assert not (adm.db / "send_targets").exists()
    assert outside_db(tmp_path) == before


def test_node_selection_refuses_names_that_are_paths(adm, tmp_path):
    """Selecting never joins a path from -T or -I: refused by name before any lookup."""
    r = adm.run("-m", "node", "-T", "../../x", "-o", "delete")
    assert r.rc == 7 and "invalid target name '../../x': it contains '/'" in r.err, r
    r = adm.run("-m", "node", "-I", "../escape")
    assert r.rc == 7 and "Invalid iface name '../escape'" in r.err, r
    r = adm.run("-m", "discovery", "-t", "st", "-p", "127.0.0.1:9", "-I", "../escape")
    assert r.rc == 7 and "Invalid iface name '../escape'" in r.err, r
    assert not (adm.db / "send_targets").exists()


def test_a_record_value_with_a_control_character_is_refused(adm, tmp_path):
    """-o update checks values; the writer refuses them too whoever set them (unit-tested in
    test-node-db.c). Here: the record stays as it was."""
    assert adm.run("-m", "node", "-o", "new", "-T", GOOD, "-p", "192.0.2.1:3260,1").rc == 0
    record = adm.db / "nodes" / GOOD / "192.0.2.1,3260,1" / "default"
    text = record.read_text()
    r = adm.run("-m", "node", "-T", GOOD, "-o", "update", "-n", "node.session.auth.username",
                "-v", "u\nnode.startup = automatic")
    assert r.rc == 7 and "contains a control character" in r.err, r
    assert record.read_text() == text


def test_swiscsi_ls_escapes_what_the_target_names(fake):
    """swiscsi-ls prints every name and portal of the answer and the errors that name them;
    control characters in them reach the terminal only as \\xNN."""
    t = fake(iqn=GOOD)
    bad = "iqn.2026-11.test.hostile:\x1b[2J"
    t.extra_targets = [(bad, ["192.0.2.9\x07:3260,1"])]
    r = tool("swiscsi-ls", f"iscsi://{t.portal}")
    assert f"Target:{GOOD} Portal:{t.portal},1" in r.out.splitlines(), r
    assert f"Target:{shown(bad)} Portal:192.0.2.9\\x07:3260,1" in r.out.splitlines(), r
    # 19: the fake target knows no such name, and the error says which, escaped too
    assert r.rc == 19 and f"login to {shown(bad)} at" in r.err, r
    assert not any(c in r.out + r.err for c in "\x1b\x07"), r
