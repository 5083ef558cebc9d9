"""Operations that name one node record cost the same at 10 records and at 5,000: counted in
system calls (strace -c -f), never timed. Before node_index_load_target a one-record show walked
all of nodes/ (20,010 getdents64 at 5,000 records)."""
import re
import shutil
import subprocess

import pytest

import node_db_gen
from conftest import SWISCSIADM, Adm, require

SMALL, LARGE = 10, 5000
# The same operation on the same record; the databases differ only in how many other records
# they hold. A few calls of slack for what may differ without depending on the size (a
# directory's entry count straddling a getdents buffer, the allocator's brk).
SLACK = 8
ONE = node_db_gen.target_name(3)
PORTAL = node_db_gen.target_address(3)


def syscalls(adm, tmp_path, *args):
    """(exit status, stdout, {system call: calls, "total": all calls}) of one swiscsiadm run."""
    require(shutil.which("strace") is not None, "strace (Debian package strace)")
    counts = tmp_path / "strace.out"
    env = adm.env
    # LeakSanitizer cannot run under a tracer (the ASan build); the other tests of these
    # operations check for leaks
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    proc = subprocess.run(["strace", "-c", "-f", "-o", str(counts), str(SWISCSIADM), *args],
                          env=env, capture_output=True, text=True, timeout=120)
    # "% time  seconds  usecs/call  calls  [errors]  syscall" rows; the last one is the total
    rows = re.findall(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$",
                      counts.read_text(), re.M)
    calls = {name: int(n) for n, name in rows}
    assert "total" in calls, counts.read_text()
    return proc.returncode, proc.stdout, calls


@pytest.fixture
def dbs(tmp_path):
    made = {}
    for size in (SMALL, LARGE):
        (tmp_path / str(size)).mkdir()
        adm = Adm(tmp_path / str(size))
        node_db_gen.build(SWISCSIADM, adm.db, size, env=adm.env)
        made[size] = adm
    return made


OPERATIONS = {
    "show": ("-m", "node", "-T", ONE, "-p", PORTAL),
    "show-tpgt-iface": ("-m", "node", "-T", ONE, "-p", f"{PORTAL}:3260,1", "-I", "default",
                        "-o", "show"),
    "update": ("-m", "node", "-T", ONE, "-p", PORTAL, "-o", "update",
               "-n", "node.startup", "-v", "automatic"),
    "delete": ("-m", "node", "-T", ONE, "-p", PORTAL, "-o", "delete"),
    "new": ("-m", "node", "-o", "new", "-T", "iqn.2026-12.test.scale:added",
            "-p", "127.0.0.1:3260,1"),
}


@pytest.mark.parametrize("op", OPERATIONS)
def test_one_record_costs_the_same_at_any_size(dbs, tmp_path, op):
    counted = {}
    for size, adm in dbs.items():
        rc, out, calls = syscalls(adm, tmp_path, *OPERATIONS[op])
        assert rc == 0, (size, out)
        counted[size] = calls["total"]
        if op.startswith("show"):
            assert f"node.name = {ONE}\n" in out and f"node.conn[0].address = {PORTAL}\n" in out
    assert abs(counted[LARGE] - counted[SMALL]) <= SLACK, counted
    # the operation did what it says, at both sizes
    for adm in dbs.values():
        record = adm.db / "nodes" / ONE / f"{PORTAL},3260,1" / "default"
        if op == "update":
            assert "node.startup = automatic\n" in record.read_text()
        if op == "delete":
            assert not (adm.db / "nodes" / ONE).exists()
            link = adm.db / "send_targets" / "127.0.0.1,3260" / f"{ONE},{PORTAL},3260,1,default"
            assert not link.is_symlink()


def test_listing_reads_each_directory_once(dbs, tmp_path):
    """The full list is one pass: each record's target and portal directories are opened once,
    and nothing is stat'ed per entry (the directory says what each entry is). Counted per
    call, not in total: the ASan build's allocator adds mmaps as the index grows."""
    calls = {}
    for size, adm in dbs.items():
        rc, out, calls[size] = syscalls(adm, tmp_path, "-m", "node")
        assert rc == 0 and len(out.splitlines()) == size

    def per_record(*names):
        grown = sum(calls[LARGE].get(n, 0) - calls[SMALL].get(n, 0) for n in names)
        return grown / (LARGE - SMALL)
    # two directories per record: opened once each, and opendir's one fstat of each
    assert per_record("openat", "open") <= 2.01, calls
    assert per_record("newfstatat", "fstat", "lstat", "stat", "statx") <= 2.01, calls
    assert per_record("getdents64") <= 4.01, calls  # its entries, then the end of each


@pytest.mark.parametrize("name,why", [("..", "it names a directory"), (".", "it names a directory"),
                                      (".hidden", None), ("../nodes/x", "it contains '/'"),
                                      ("x/y", "it contains '/'"), ("", "it is empty")])
def test_a_target_name_that_is_no_directory_entry_names_no_record(adm, name, why):
    """-T reads nodes/TARGET directly now; a name that would walk elsewhere is refused where it
    enters (exit 7, naming why), and a hidden (temporary) directory's name finds nothing, as the
    walk of every record never matched it."""
    assert adm.run("-m", "node", "-o", "new", "-T", "iqn.2026-12.test:x", "-p",
                   "192.0.2.1:3260,1").rc == 0
    hidden = adm.db / "nodes" / ".hidden" / "192.0.2.1,3260,1"
    hidden.mkdir(parents=True)
    (hidden / "default").write_text((adm.db / "nodes" / "iqn.2026-12.test:x" /
                                     "192.0.2.1,3260,1" / "default").read_text())
    for args in ((), ("-p", "192.0.2.1"), ("-o", "delete")):
        r = adm.run("-m", "node", "-T", name, *args)
        if why is None:
            assert (r.rc, r.out, r.err) == (21, "", "swiscsiadm: No records found\n"), (args, r)
        else:
            assert (r.rc, r.out) == (7, ""), (args, r)
            assert r.err.startswith(f"swiscsiadm: invalid target name '{name}': {why}"), (args, r)
    assert (hidden / "default").is_file()
