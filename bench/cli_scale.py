"""How swiscsiadm's record operations scale with the size of the database, beside open-iscsi's
iscsiadm on the same records. See bench/cli-scale.sh.

For each size a database is built twice (node_db_gen: records as SendTargets discovery leaves
them, plus the ifaces), one for each tool. Every command runs REPS times and the median is
shown; one that does not finish within LIMIT seconds is shown as "timeout" and not repeated.
Commands that change the database are undone after each run, untimed (class Undo), so every
run does the same work on a database of the same size.

iscsiadm runs only inside a private mount and network namespace where scratch directories are
bind-mounted over /etc/iscsi, /run/lock and /sys (the way tests/integration/openiscsi.py does),
and the timing loop runs inside that namespace, so namespace set-up is never timed. Both tools
are timed by the same loop (this script, subprocess per run); the "floor" row is that loop
running /bin/true, the part of every number that is neither tool.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
import node_db_gen  # noqa: E402  (shared with the O(1) test)

ISCSIADM = shutil.which("iscsiadm") or "/usr/sbin/iscsiadm"
IFACES = 1000
# Enough for iscsiadm to create records without an iscsid (there is none in the namespace).
ISCSID_CONF = "iscsid.startup = /bin/true\nnode.startup = manual\n"
INNER = """
mount --bind "$1" /etc/iscsi || exit 90
mount --bind "$2" /run/lock || exit 91
mount --bind "$3" /sys || exit 92
shift 3
exec "$@"
"""


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


def time_runs(tool, db, reps, limit):
    """Runs inside the tool's environment: {row: median seconds or None (timeout)}."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="cli-scale-undo-") as keep:
        undo = Undo(db, pathlib.Path(keep))
        for name, args in [("floor", None)] + operations():
            argv = ["/bin/true"] if args is None else [tool, *args]
            runs = []
            for _ in range(reps):
                start = time.perf_counter()
                try:
                    proc = subprocess.run(argv, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, timeout=limit)
                except subprocess.TimeoutExpired:
                    runs = None
                    break
                runs.append(time.perf_counter() - start)
                if proc.returncode != 0:
                    sys.exit(f"{name}: {argv} failed ({proc.returncode}): "
                             f"{proc.stderr.decode()}")
                undo(name)
            out[name] = statistics.median(runs) if runs else None
    return out


def private_sysfs(path):
    """The tcp transport and nothing else: iscsiadm -o update needs it (see openiscsi.py)."""
    dev = path / "devices" / "virtual" / "iscsi_transport" / "tcp"
    dev.mkdir(parents=True)
    (dev / "caps").write_text("0x39\n")
    (dev / "handle").write_text("18446744072642760768\n")
    for cls in ("iscsi_transport", "iscsi_host", "scsi_host", "iscsi_iface", "iscsi_session"):
        (path / "class" / cls).mkdir(parents=True)
    (path / "class" / "iscsi_transport" / "tcp").symlink_to(
        "../../devices/virtual/iscsi_transport/tcp")
    return path


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
    sysfs = private_sysfs(root / "sysfs")
    ns = ["unshare", "--mount", "--net", "--propagation", "private", "sh", "-c", INNER, "sh",
          str(db), str(root / "lock"), str(sysfs)]
    return run_timer(ISCSIADM, "/etc/iscsi", ns, dict(os.environ, LC_ALL="C"), reps, limit)


def run_timer(tool, db, prefix, env, reps, limit):
    """This script's timing loop, under prefix (the namespace, for iscsiadm), over db as the
    tool sees it."""
    argv = [*prefix, sys.executable, __file__, "--time", tool, "--db", str(db),
            "--reps", str(reps), "--limit", str(limit)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"timing {tool} failed ({proc.returncode}): {proc.stderr}")
    return json.loads(proc.stdout)


def ms(v):
    return "timeout" if v is None else f"{v * 1000:.1f}"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.1f}x"


def table(results, sizes):
    rows = ["| operation | records | swiscsiadm ms | iscsiadm ms | iscsiadm / swiscsiadm "
            "| swiscsiadm / same at 1 record |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name in ["floor"] + [op[0] for op in operations()]:
        for size in sizes:
            sw, oi = results[size]["swiscsiadm"][name], results[size]["iscsiadm"][name]
            base = results[sizes[0]]["swiscsiadm"][name]
            rows.append(f"| {name} | {size} | {ms(sw)} | {ms(oi)} | {ratio(oi, sw)} "
                        f"| {ratio(sw, base)} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,1000,5000,50000")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--limit", type=float, default=30.0, help="seconds per command")
    ap.add_argument("--build", default=str(REPO / "build-dev"))
    ap.add_argument("--save", help="also write the table (markdown) to this file")
    ap.add_argument("--time", help=argparse.SUPPRESS)  # the timing loop, in the tool's env
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.time:
        print(json.dumps(time_runs(args.time, args.db, args.reps, args.limit)))
        return
    swiscsiadm = pathlib.Path(args.build) / "cli" / "swiscsiadm"
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
    text = (f"{IFACES} ifaces in every database; median of {args.reps} runs, ms; "
            f"limit {args.limit:g} s per command\n\n" + table(results, sizes))
    print(text)
    if args.save:
        pathlib.Path(args.save).write_text(text + "\n")


if __name__ == "__main__":
    main()
