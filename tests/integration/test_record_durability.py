"""A new node record survives a crash, and `-o new` decides where a record goes from what the
database holds under the lock (issue #9, low items of the records layer).

Durability is checked by tracing the system calls: every directory swiscsiadm creates, and
every link, must be followed by an fsync() of the directory that holds the new entry."""
import fcntl
import os
import re
import shutil
import subprocess
import time

from conftest import SWISCSIADM, Adm, have, require

GOOD = "iqn.2026-11.test.durable:disk"

CALL = re.compile(r'^(?:\d+ +)?(\w+)\((.*)\) += (-?\d+)')


def trace(adm, tmp_path, *args):
    require(have("strace"), "strace")
    log = tmp_path / "strace.log"
    # LeakSanitizer cannot run under ptrace: the ASan build's leak check is off for this run
    asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    r = adm.run(*args, prefix=("env", f"ASAN_OPTIONS={asan}", "strace", "-o", str(log), "-e",
                               "trace=mkdir,mkdirat,open,openat,fsync,symlink,symlinkat"))
    assert r.rc == 0, r
    calls = []
    for line in log.read_text().splitlines():
        m = CALL.match(line)
        if m:
            calls.append((m.group(1), m.group(2), int(m.group(3))))
    return calls


def string_args(args):
    return re.findall(r'"((?:[^"\\]|\\.)*)"', args)


def synced_after(calls, start, directory):
    """Whether, after calls[start], directory is opened and that descriptor fsync'd."""
    fds = set()
    for name, args, ret in calls[start + 1:]:
        if name in ("open", "openat") and ret >= 0 and string_args(args)[:1] == [directory]:
            fds.add(ret)
        elif name == "fsync" and ret == 0 and int(args) in fds:
            return True
    return False


def test_new_directories_and_links_are_synced_into_their_parents(tmp_path):
    adm = Adm(tmp_path)
    calls = trace(adm, tmp_path, "-m", "node", "-o", "new", "-T", GOOD, "-p", "192.0.2.1:3260,1")
    made = [(i, string_args(a)) for i, (n, a, r) in enumerate(calls)
            if n in ("mkdir", "mkdirat") and r == 0]
    linked = [(i, string_args(a)) for i, (n, a, r) in enumerate(calls)
              if n in ("symlink", "symlinkat") and r == 0]
    dirs = [s[0] for _, s in made]
    assert str(adm.db / "nodes" / GOOD / "192.0.2.1,3260,1") in dirs, calls
    assert str(adm.db / "static") in dirs, calls
    for i, s in made:
        assert synced_after(calls, i, os.path.dirname(s[0])), f"mkdir {s[0]} not synced"
    assert len(linked) == 1, calls
    i, s = linked[0]
    assert s[1] == str(adm.db / "static" / f"{GOOD},192.0.2.1,3260,1,default")
    assert synced_after(calls, i, str(adm.db / "static")), "the link's directory not synced"


def blocked_on_a_lock(pid):
    """Whether pid waits for a file lock (/proc/locks lists waiters after '->')."""
    with open("/proc/locks") as f:
        return any("->" in line and f" {pid} " in line for line in f)


def test_node_new_reads_the_index_under_the_lock(tmp_path):
    """-o new without a tpgt joins the portal directory the database already has. A discovery
    that adds that directory while -o new waits for the lock must be seen: the index is read
    once the lock is held, not before."""
    (tmp_path / "other").mkdir()
    other = Adm(tmp_path / "other")
    assert other.run("-m", "node", "-o", "new", "-T", GOOD, "-p", "192.0.2.1:3260,5").rc == 0
    adm = Adm(tmp_path)
    adm.db.mkdir()
    with open(adm.db / ".swiscsi.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen([str(SWISCSIADM), "-m", "node", "-o", "new", "-T", GOOD,
                                 "-p", "192.0.2.1:3260"], env=adm.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60   # a bound on a condition, not a timing check
            while not blocked_on_a_lock(proc.pid):
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "swiscsiadm never waited for the lock"
                time.sleep(0.01)
            # what a discovery holding the lock would have written meanwhile
            shutil.copytree(other.db / "nodes", adm.db / "nodes")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    target = adm.db / "nodes" / GOOD
    assert sorted(p.name for p in target.iterdir()) == ["192.0.2.1,3260,5"], \
        "joined the portal directory that appeared while it waited"
    assert "192.0.2.1,3260,5 " + GOOD in out
