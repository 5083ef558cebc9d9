"""How swiscsiadm's record operations scale with the size of the database, beside open-iscsi's
iscsiadm on the same records. See bench/cli-scale.sh.

For each size a database is built twice (node_db_gen: records as SendTargets discovery leaves
them, plus the ifaces), one for each tool. Every command runs REPS times, or fewer once its
runs have taken LIMIT seconds in all, and the median is shown; one run over LIMIT seconds is
shown as "timeout". Commands that change the database are undone after each run, untimed
(class Undo), so every run does the same work on a database of the same size.

iscsiadm runs only inside a private mount and network namespace where scratch directories are
bind-mounted over /etc/iscsi, /run/lock and /sys (tests/integration/openiscsi.py's script), and
the timing loop runs inside that namespace, so namespace set-up is never timed. Both tools are
timed by the same loop (this script, subprocess per run) and get the same iscsid.conf. Each
run's CPU time (user + system, from the children's rusage) is the main number, wall time is
shown beside it: on a shared machine wall time is mostly waiting for a core. The "floor" row is
the loop running /bin/true, the part of every number that is neither tool.
"""
import argparse
import json
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
import node_db_gen  # noqa: E402  (shared with the O(1) test)
# the round-trip tests' namespace script, sysfs fixture and Debian's node settings
from conftest import FIXTURES  # noqa: E402
from openiscsi import INNER, ISCSID_CONF, ISCSIADM  # noqa: E402

IFACES = 1000
# iscsiadm's lock files: a killed iscsiadm leaves them behind, and every later one waits
ISCSIADM_LOCKS = "/run/lock/iscsi"


ONE = node_db_gen.target_name(0)
PORTAL = node_db_gen.target_address(0)
NEW = "iqn.2026-12.test.scale:new"


def operations():
    """(row name, argv after the tool)."""
    return [
        ("node list", ["-m", "node"]),
        ("node -P 1", ["-m", "node", "-P", "1"]),
        ("one-record show", ["-m", "node", "-T", ONE, "-p", PORTAL]),
        ("one-record update", ["-m", "node", "-T", ONE, "-p", PORTAL, "-o", "update",
                               "-n", "node.startup", "-v", "automatic"]),
        ("one-record delete", ["-m", "node", "-T", ONE, "-p", PORTAL, "-o", "delete"]),
        ("-o new", ["-m", "node", "-o", "new", "-T", NEW, "-p", "127.0.0.1:3260,1"]),
        ("iface list", ["-m", "iface"]),
        ("iface -P 1", ["-m", "iface", "-P", "1"]),
    ]


class Undo:
    """Puts the database back after a run that changed it (untimed), so that every run does
    the same work on a database of the same size: the deleted record and its discovery link
    come back from a copy, the new record and its static link go."""

    def __init__(self, db, keep):
        self.db = pathlib.Path(db)
        self.keep = keep / "record"
        self.link = next((self.db / "send_targets").glob(f"*/{ONE},*"))
        self.link_to = os.readlink(self.link)
        shutil.copytree(self.db / "nodes" / ONE, self.keep, symlinks=True)

    def __call__(self, name):
        if name == "one-record delete":
            shutil.copytree(self.keep, self.db / "nodes" / ONE, symlinks=True)
            os.symlink(self.link_to, self.link)
        elif name == "-o new":
            shutil.rmtree(self.db / "nodes" / NEW)
            for link in (self.db / "static").glob(f"{NEW},*"):
                link.unlink()


def run_once(argv, limit):
    """(wall seconds, CPU seconds of the command: user + system), or None when it ran out of
    time. CPU time is what a loaded machine does not distort: wall time includes the waits
    for a core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{argv} failed ({proc.returncode}): {proc.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def time_runs(tool, db, reps, limit, stale_locks):
    """Runs in the tool's environment: {row: [median wall, median CPU] or None (timeout)}."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="cli-scale-undo-") as keep:
        undo = Undo(db, pathlib.Path(keep))
        for name, args in [("floor", None)] + operations():
            argv = ["/bin/true"] if args is None else [tool, *args]
            runs = []
            while len(runs) < reps and sum(r[0] for r in runs) < limit:
                run = run_once(argv, limit)
                if run is None:
                    if stale_locks:
                        shutil.rmtree(stale_locks, ignore_errors=True)
                    runs = None
                    break
                runs.append(run)
                undo(name)
            out[name] = [statistics.median(r[i] for r in runs) for i in (0, 1)] if runs else None
    return out


def swiscsi_env(root):
    """swiscsiadm over root/db with its own configuration files: nothing of the machine's."""
    root.mkdir()
    (root / "initiatorname.iscsi").write_text("InitiatorName=iqn.2026-12.test.scale:host\n")
    (root / "iscsid.conf").write_text(ISCSID_CONF)
    (root / "sysfs").mkdir()
    return dict(os.environ, SWISCSI_DB=str(root / "db"), SWISCSI_CONF=str(root / "iscsid.conf"),
                SWISCSI_INITIATORNAME_FILE=str(root / "initiatorname.iscsi"),
                SWISCSI_SYSFS=str(root / "sysfs"), LC_ALL="C")


def measure_swiscsiadm(swiscsiadm, work, size, reps, limit):
    env = swiscsi_env(work / "swiscsi")
    node_db_gen.build(swiscsiadm, env["SWISCSI_DB"], size, IFACES, env=env)
    return run_timer(swiscsiadm, env["SWISCSI_DB"], [], env, reps, limit)


def measure_iscsiadm(swiscsiadm, work, size, reps, limit):
    root = work / "open-iscsi"
    env = swiscsi_env(root)  # for the record text node_db_gen takes from swiscsiadm
    db = node_db_gen.build(swiscsiadm, root / "db", size, IFACES, env=env, seen_as="/etc/iscsi")
    (db / "iscsid.conf").write_text(ISCSID_CONF)
    (db / "initiatorname.iscsi").write_text("InitiatorName=iqn.2026-12.test.scale:host\n")
    (root / "lock").mkdir()
    sysfs = FIXTURES / "none"  # the tcp transport, no iSCSI hosts; iscsiadm only reads it
    ns = ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", INNER, "sh",
          str(db), str(root / "lock"), str(sysfs)]
    return run_timer(ISCSIADM, "/etc/iscsi", ns, dict(os.environ, LC_ALL="C"), reps, limit,
                     ISCSIADM_LOCKS)


def run_timer(tool, db, prefix, env, reps, limit, stale_locks=None):
    """This script's timing loop, under prefix (the namespace, for iscsiadm), over db as the
    tool sees it."""
    argv = [*prefix, sys.executable, __file__, "--time", tool, "--db", str(db),
            "--reps", str(reps), "--limit", str(limit)]
    if stale_locks:
        argv += ["--stale-locks", stale_locks]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"timing {tool} failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def ms(v, i):
    return "timeout" if v is None else f"{v[i] * 1000:.1f}"


def ratio(a, b, i):
    return "-" if a is None or b is None else f"{a[i] / b[i]:.1f}x"


def table(results, sizes):
    """CPU first (what the tool costs), wall time after (what a user waits, here including
    the other jobs of a shared machine)."""
    rows = ["| operation | records | swiscsiadm CPU ms | iscsiadm CPU ms | iscsiadm / swiscsiadm "
            "| swiscsiadm / same at 1 record | swiscsiadm wall ms | iscsiadm wall ms "
            "| wall ratio |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name in ["floor"] + [op[0] for op in operations()]:
        for size in sizes:
            sw, oi = results[size]["swiscsiadm"][name], results[size]["iscsiadm"][name]
            base = results[sizes[0]]["swiscsiadm"][name]
            rows.append(f"| {name} | {size} | {ms(sw, 1)} | {ms(oi, 1)} | {ratio(oi, sw, 1)} "
                        f"| {ratio(sw, base, 1)} | {ms(sw, 0)} | {ms(oi, 0)} "
                        f"| {ratio(oi, sw, 0)} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,1000,5000,50000")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--limit", type=float, default=60.0, help="seconds per command")
    ap.add_argument("--build", default=str(REPO / "build-dev"))
    ap.add_argument("--save", help="also write the table (markdown) to this file")
    # the timing loop, run by run_timer in the tool's environment
    ap.add_argument("--time", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--stale-locks", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.time:
        print(json.dumps(time_runs(args.time, args.db, args.reps, args.limit,
                                   args.stale_locks)))
        return
    swiscsiadm = pathlib.Path(args.build).resolve() / "cli" / "swiscsiadm"
    if not swiscsiadm.is_file():
        sys.exit(f"build swiscsiadm first (looked for {swiscsiadm})")
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="cli-scale-") as work:
            work = pathlib.Path(work)
            results[size] = {
                "swiscsiadm": measure_swiscsiadm(swiscsiadm, work, size, args.reps, args.limit),
                "iscsiadm": measure_iscsiadm(swiscsiadm, work, size, args.reps, args.limit)}
        print(f"cli-scale: {size} records done", file=sys.stderr)
    text = (f"{IFACES} ifaces in every database; median of up to {args.reps} runs (fewer once "
            f"a command's runs took {args.limit:g} s; a run over {args.limit:g} s is a "
            f"timeout)\n\n" + table(results, sizes))
    print(text)
    if args.save:
        pathlib.Path(args.save).write_text(text + "\n")


if __name__ == "__main__":
    main()
