#!/usr/bin/env python3
"""Multipath across two bound ifaces, measured: one tgtd RAM LUN behind two target addresses,
each reached through its own NIC (a veth pair between two network namespaces, netlab's h0/t0 and
h1/t1), and swiscsid's map of that LUN used through its by-id file.

1. Throughput: fio (libaio, O_DIRECT) on the by-id file with one path (nic1 only) and with two
   paths grouped multibus under each selector (round-robin, queue-length, service-time), for
   4 KiB random reads at QD32, 128 KiB sequential reads at QD16 and 128 KiB sequential writes
   at QD16. Each cell also has swiscsid's CPU time (user + system, /proc/PID/stat around the
   run) per I/O fio did.
2. The cost of a failover, for each multibus selector: a 4 KiB random reader at QD8 (eight
   threads, each one pread at a time on the by-id file opened O_DIRECT, every I/O's start and
   end kept) runs while one NIC (h1, nic2's) is taken down. Reported: the longest I/O (the
   stall of the commands that were on the lost path), the longest time no I/O completed at
   all, p99 latency before the NIC went down and of the I/Os in flight during the window after,
   IOPS before and in the window, and errors (there should be none: no_path_retry queue).
   The stall is what the dropped connection costs: until in-flight commands fail fast on a
   lost connection it is about noop detection plus node.session.timeo.replacement_timeout.

    bench/compare-multipath.sh [--seconds N] [--failover-seconds N] [--save FILE]

Printed, not a test: nothing passes or fails. Needs root, tgtd, fio, nsenter and the build in
build/ (or $SWISCSI_BUILD). swiscsid and swiscsiadm run in the host namespace's network only
(nsenter --net), so the LUN filesystem is mounted where fio runs."""
import argparse
import json
import mmap
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from netlab import NetLab, TARGET_V4, sh  # noqa: E402
from tgt import Tgtd  # noqa: E402

sys.path.insert(0, HERE)
from compare import process_cpu  # noqa: E402  (the same CPU accounting as compare.py)
from compare_block import TGTD_MALLOC, swiscsi_env, wait_for  # noqa: E402

BUILD = os.environ.get("SWISCSI_BUILD", os.path.join(REPO, "build"))
SWISCSID = os.path.join(BUILD, "daemon", "swiscsid")
SWISCSIADM = os.path.join(BUILD, "cli", "swiscsiadm")
MULTIPATH = os.path.join(BUILD, "cli", "swiscsi-multipath")
IQN = "iqn.2026-12.bench.swiscsi:mpath"
LUN_BYTES = 1 << 30
# iface, the host-side NIC it is bound to, the target address reached through it
PATHS = [("nic1", "h0", TARGET_V4["h0"]), ("nic2", "h1", TARGET_V4["h1"])]
FAILED_NIC = "h1"

# name, fio rw, block size, queue depth
WORKLOADS = [("4k-randread-qd32", "randread", 4096, 32),
             ("128k-seqread-qd16", "read", 131072, 16),
             ("128k-seqwrite-qd16", "write", 131072, 16)]
# column, paths, selector
CONFIGS = [("one path", 1, "service-time"),
           ("multibus round-robin", 2, "round-robin"),
           ("multibus queue-length", 2, "queue-length"),
           ("multibus service-time", 2, "service-time")]
FAILOVER_QD = 8


def fio(path, rw, bs, qd, seconds, daemon_pid):
    cmd = ["fio", "--name=bench", "--filename=" + path.replace(":", "\\:"), "--ioengine=libaio",
           "--direct=1", f"--rw={rw}", f"--bs={bs}", f"--iodepth={qd}", f"--runtime={seconds}",
           "--time_based", f"--size={LUN_BYTES}", "--output-format=json", "--randrepeat=0"]
    cpu0 = process_cpu(daemon_pid)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 10 + 60)
    cpu = process_cpu(daemon_pid) - cpu0
    if out.returncode != 0:
        raise RuntimeError(f"fio on {path}: {out.stderr.strip()[-400:]}")
    side = json.loads(out.stdout)["jobs"][0]["write" if "write" in rw else "read"]
    return {"iops": side["iops"], "mibs": side["bw_bytes"] / (1 << 20),
            "cpu_us": cpu * 1e6 / max(side["total_ios"], 1)}


class Swiscsi:
    """swiscsid in the host namespace's network with its own database and run directory; the
    record of each path logged in through its iface."""

    def __init__(self, work, lab, selector, npaths, replacement_timeout):
        self.work, self.lab = work, lab
        self.conf = os.path.join(work, "swiscsid.conf")
        with open(self.conf, "w") as f:
            # the by-id file is what fio uses: no loop devices to attach
            f.write("[global]\nloop_devices = no\npath_grouping_policy = multibus\n"
                    f"path_selector = {selector}\nno_path_retry = queue\n")
        self.env = swiscsi_env(work, self.conf)
        self.net = ["nsenter", f"--net=/run/netns/{lab.host}"]
        self.log = open(os.path.join(work, "swiscsid.log"), "a")
        self.proc = subprocess.Popen([*self.net, SWISCSID, "--foreground"], env=self.env,
                                     stdout=self.log, stderr=self.log)
        sock = os.path.join(self.env["SWISCSI_RUNDIR"], "swiscsid.sock")
        wait_for(lambda: os.path.exists(sock) or self.proc.poll() is not None, "swiscsid's socket")
        if self.proc.poll() is not None:
            raise RuntimeError(f"swiscsid exited with {self.proc.returncode}")
        for iface, nic, address in PATHS[:npaths]:
            if iface not in self.adm("-m", "iface").split():
                self.adm("-m", "iface", "-I", iface, "-o", "new", "-n", "iface.net_ifacename",
                         "-v", nic)
            self.adm("-m", "discovery", "-t", "st", "-p", address, "-I", iface)
            portal = f"{address}:3260"
            for key, value in (("node.session.timeo.replacement_timeout", replacement_timeout),
                               ("node.conn[0].timeo.noop_out_interval", 5),
                               ("node.conn[0].timeo.noop_out_timeout", 5)):
                self.adm("-m", "node", "-T", IQN, "-p", portal, "-I", iface, "-o", "update",
                         "-n", key, "-v", str(value))
            self.adm("-m", "node", "-T", IQN, "-p", portal, "-I", iface, "-l")
        byid = os.path.join(self.env["SWISCSI_RUNDIR"], "disks", "by-id")
        names = os.listdir(byid)
        if len(names) != 1:
            raise RuntimeError(f"expected one multipath map, found {names}")
        self.byid = os.path.join(byid, names[0])
        ll = subprocess.run([MULTIPATH, "-ll"], env=self.env, capture_output=True, text=True,
                            timeout=60).stdout
        paths = [line for line in ll.splitlines() if "active ready running" in line]
        if len(paths) != npaths:
            raise RuntimeError(f"the map has not {npaths} working paths:\n{ll}")

    @property
    def pid(self):
        return self.proc.pid

    def adm(self, *args):
        r = subprocess.run([*self.net, SWISCSIADM, *args], env=self.env, capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"swiscsiadm {' '.join(args)}: exit {r.returncode}: "
                               f"{r.stderr.strip()}")
        return r.stdout

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # logs out, unmounts
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))]


def failover(path, seconds, down_after, window, take_down):
    """QD threads reading 4 KiB at random offsets with O_DIRECT; take_down() at down_after s.
    Returns the measures (times in ms)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    blocks = os.fstat(fd).st_size // 4096
    start = time.monotonic()
    stop_at = start + seconds
    done = [[] for _ in range(FAILOVER_QD)]   # (start, end, ok) per I/O, per thread
    t_down = [None]

    def reader(out):
        buf = mmap.mmap(-1, 4096)   # page-aligned, as O_DIRECT wants
        rnd = random.Random()
        while time.monotonic() < stop_at:
            t0 = time.monotonic()
            try:
                good = os.preadv(fd, [buf], rnd.randrange(blocks) * 4096) == 4096
            except OSError:
                good = False
            out.append((t0, time.monotonic(), good))

    threads = [threading.Thread(target=reader, args=(done[i],), daemon=True)
               for i in range(FAILOVER_QD)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, start + down_after - time.monotonic()))
    t_down[0] = time.monotonic()
    take_down()
    for t in threads:   # a stalled read ends when its command is re-issued (or fails)
        t.join(timeout=max(1.0, stop_at - time.monotonic()) + 600)
    os.close(fd)
    ios = sorted(x for d in done for x in d)
    td = t_down[0]
    ms = lambda s: s * 1000.0   # noqa: E731
    before = [e - s for s, e, _ in ios if s >= start + 1 and e <= td]
    during = [e - s for s, e, _ in ios if e >= td and s <= td + window]
    ends = sorted([td] + [e for _, e, _ in ios if e >= td])
    gap = max((b - a for a, b in zip(ends, ends[1:])), default=0.0)
    return {
        "stall_ms": ms(max((e - s for s, e, _ in ios), default=0.0)),
        "gap_ms": ms(gap),
        "p99_before_ms": ms(percentile(before, 0.99)),
        "p99_window_ms": ms(percentile(during, 0.99)),
        "iops_before": len(before) / max(td - start - 1, 1e-9),
        "iops_window": sum(1 for s, e, _ in ios if td <= e <= td + window) / window,
        "errors": sum(1 for *_, good in ios if not good),
        "ios": len(ios),
    }


def throughput_table(results, seconds, replacement_timeout):
    cols = [c[0] for c in CONFIGS]
    out = [f"One tgtd RAM LUN (rdwr on /dev/shm, glibc mmap threshold 32 MiB as in compare_block) behind two addresses, each through its own veth",
           f"NIC and iface; fio libaio O_DIRECT on the map's by-id file, {seconds} s per cell.",
           "CPU = swiscsid's user+system time per I/O. Paths: nic1 alone, or nic1 + nic2 multibus.",
           "", "| workload | " + " | ".join(cols) + " | 2 paths / 1 (best) |",
           "|---|" + "---|" * (len(cols) + 1)]
    for name, _, bs, _ in WORKLOADS:
        key = "iops" if bs == 4096 else "mibs"
        cells = []
        for c in cols:
            x = results.get((c, name))
            if not x:
                cells.append("-")
                continue
            val = f"{x['iops'] / 1000:.1f}k IOPS" if bs == 4096 else f"{x['mibs']:.0f} MiB/s"
            cells.append(f"{val}, {x['cpu_us']:.1f} us CPU/IO")
        one = results.get((cols[0], name), {}).get(key, 0)
        best = max((results.get((c, name), {}).get(key, 0) for c in cols[1:]), default=0)
        ratio = f"{best / one:.2f}x" if one else "-"
        out.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(out) + "\n"


def failover_table(fails, seconds, down_after, window, replacement_timeout):
    out = [f"Failover: 4 KiB random reads at QD{FAILOVER_QD} (python O_DIRECT reader, {seconds} s), "
           f"{FAILED_NIC} (nic2) taken down at {down_after} s;",
           f"window = the {window} s after; noop_out 5 s / 5 s, replacement_timeout "
           f"{replacement_timeout} s, no_path_retry queue.", "",
           "| selector | longest I/O (stall) | longest time without a completion | p99 before | "
           "p99 in window | IOPS before | IOPS in window | errors |",
           "|---|---|---|---|---|---|---|---|"]
    for sel, f in fails:
        out.append(f"| {sel} | {f['stall_ms']:.0f} ms | {f['gap_ms']:.0f} ms | "
                   f"{f['p99_before_ms']:.2f} ms | {f['p99_window_ms']:.2f} ms | "
                   f"{f['iops_before'] / 1000:.1f}k | {f['iops_window'] / 1000:.1f}k | "
                   f"{f['errors']} of {f['ios']} |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10, help="per fio cell")
    ap.add_argument("--failover-seconds", type=int, default=60,
                    help="each failover run; the NIC goes down at a sixth of it")
    ap.add_argument("--window", type=float, default=10.0,
                    help="seconds after the NIC went down that count as the failover window")
    ap.add_argument("--replacement-timeout", type=int, default=20,
                    help="node.session.timeo.replacement_timeout of both records (s)")
    ap.add_argument("--no-failover", action="store_true")
    ap.add_argument("--only", help="comma-separated workload names (\"\" for none)")
    ap.add_argument("--log", help="keep swiscsid's log (every configuration's) in this file")
    ap.add_argument("--save")
    args = ap.parse_args()
    if args.only is not None:
        WORKLOADS[:] = [w for w in WORKLOADS if w[0] in args.only.split(",")]
    work = tempfile.mkdtemp(prefix="swiscsi-compare-multipath-")
    backing = tempfile.NamedTemporaryFile(dir="/dev/shm", prefix="swiscsi-bench-", delete=False)
    backing.truncate(LUN_BYTES)
    backing.close()
    lab = NetLab()
    tgtd = daemon = None
    down_after = args.failover_seconds / 6
    try:
        tgtd = Tgtd(work, netns=lab.target, addresses=[p[2] for p in PATHS])
        # the target keeps its freed buffers, as in compare_block: not its allocator's ceiling
        tgtd.start_cmd_prefix += ["env", TGTD_MALLOC]
        tgtd.start()
        tgtd.target(1, IQN, luns=[("rdwr", backing.name)])
        results, fails = {}, []
        for column, npaths, selector in CONFIGS:
            if not WORKLOADS and (npaths == 1 or args.no_failover):
                continue   # nothing to run on it
            daemon = Swiscsi(work, lab, selector, npaths, args.replacement_timeout)
            for name, rw, bs, qd in WORKLOADS:
                results[(column, name)] = fio(daemon.byid, rw, bs, qd, args.seconds, daemon.pid)
                print(column, name, json.dumps(results[(column, name)]), flush=True)
            if npaths == 2 and not args.no_failover:
                f = failover(daemon.byid, args.failover_seconds, down_after, args.window,
                             lambda: sh("ip", "-n", lab.host, "link", "set", FAILED_NIC, "down"))
                fails.append((selector, f))
                print(column, "failover", json.dumps(f), flush=True)
                sh("ip", "-n", lab.host, "link", "set", FAILED_NIC, "up")
            daemon.stop()
            daemon = None
            shutil.rmtree(os.path.join(work, "run"), ignore_errors=True)
        text = throughput_table(results, args.seconds, args.replacement_timeout)
        if fails:
            text += "\n" + failover_table(fails, args.failover_seconds, down_after, args.window,
                                          args.replacement_timeout)
        print("\n" + text)
        if args.save:
            with open(args.save, "w") as f:
                f.write(f"# Multipath over two bound ifaces ({time.strftime('%Y-%m-%d')})\n\n")
                f.write(f"Kernel {os.uname().release}, {os.cpu_count()} CPUs.\n\n" + text)
    finally:
        if daemon:
            daemon.stop()
        if args.log and os.path.exists(os.path.join(work, "swiscsid.log")):
            shutil.copyfile(os.path.join(work, "swiscsid.log"), args.log)
        if tgtd:
            tgtd.stop()
        lab.close()
        os.unlink(backing.name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
