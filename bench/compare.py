#!/usr/bin/env python3
"""Side-by-side benchmark: swiscsi-bench against libiscsi's iscsi-perf (reads) and fio's libiscsi
engine (writes), on one tgtd on loopback, in one run. Every initiator's CPU time is measured the
same way, from outside: user + system time of the process (getrusage of the child), divided by
the I/Os it completed. Runs are interleaved (A, B, A, B, ...) and medians reported.

Two references say what the machine allows. tgtd's own CPU use during each run (a target at
100% caps every initiator's IOPS alike). For reads, "bare TCP": bench/tcp_floor.c moving the
same bytes in the same request/reply pattern with no protocol, blocking calls, payload received
straight into place; its CPU per I/O is what the kernel charges for the wake-ups and the copy.
At QD1 it is a floor; at higher depths an initiator that takes many replies per wake-up beats it.

    bench/compare.sh [--seconds N] [--runs N] [--save FILE]

Needs root (tgtd), the built tools in build/ (or $SWISCSI_BUILD), libiscsi-bin, iperf3, and fio
built with libiscsi (bench/build-fio.sh)."""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from tgt import Tgtd  # noqa: E402

BUILD = os.environ.get("SWISCSI_BUILD", os.path.join(REPO, "build"))
BENCH = os.path.join(BUILD, "tools", "swiscsi-bench")
TCP_FLOOR = os.path.join(BUILD, "bench", "tcp-floor")
TUNED = {"MaxRecvDataSegmentLength": 262144, "MaxXmitDataSegmentLength": 262144,
         "FirstBurstLength": 262144, "MaxBurstLength": 1048576, "InitialR2T": "No"}

# name, write?, random?, block size, queue depth
READS = [("4k-randread-qd1", False, True, 4096, 1), ("4k-randread-qd32", False, True, 4096, 32),
         ("128k-seqread-qd16", False, False, 131072, 16), ("1m-seqread-qd8", False, False, 1 << 20, 8)]
WRITES = [("4k-randwrite-qd32", True, True, 4096, 32), ("128k-seqwrite-qd16", True, False, 131072, 16),
          ("1m-seqwrite-qd8", True, False, 1 << 20, 8)]


TARGET_PID = None  # tgtd's pid, once started: its CPU use is read around every run


def process_cpu(pid):
    """user + system seconds of every thread of pid so far (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(cmd):
    """Runs cmd pinned to CPU 0; returns (stdout, cpu seconds of the process tree, share of one
    CPU tgtd used meanwhile)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0, target0 = time.monotonic(), process_cpu(TARGET_PID)
    out = subprocess.run(["taskset", "-c", "0", *cmd], capture_output=True, text=True, timeout=600)
    target_share = (process_cpu(TARGET_PID) - target0) / (time.monotonic() - t0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed: {out.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.stdout, cpu, target_share


def swiscsi(url, wl, seconds):
    name, write, rnd, bs, qd = wl
    args = [BENCH, "--bs", str(bs), "--qd", str(qd), "--time", str(seconds), "--json"]
    args += ["--random"] * rnd + ["--write"] * write
    out, cpu, target = measured(args + [url])
    res = json.loads(out)
    ios = res["ios"]
    return {"iops": res["iops"], "mibs": res["mb_per_s"], "cpu_us": cpu * 1e6 / ios, "target": target}


def iscsi_perf(url, wl, seconds, block_size=512):
    name, write, rnd, bs, qd = wl
    args = ["iscsi-perf", "-m", str(qd), "-b", str(bs // block_size), "-t", str(seconds)]
    out, cpu, target = measured(args + ["-r"] * rnd + [url])
    m = re.findall(r"iops average (\d+) \((\d+) MB/s\)", out)
    if not m:
        raise RuntimeError(f"cannot read iscsi-perf's output: {out[-300:]}")
    iops = float(m[-1][0])
    return {"iops": iops, "mibs": iops * bs / 1048576, "cpu_us": cpu * 1e6 / (iops * seconds), "target": target}


def fio(fio_bin, url, wl, seconds):
    name, write, rnd, bs, qd = wl
    fname = url.replace(":", "\\:")
    rw = ("rand" if rnd else "") + ("write" if write else "read")
    args = [fio_bin, "--name=anchor", "--ioengine=libiscsi", f"--filename={fname}", f"--rw={rw}",
            f"--bs={bs}", f"--iodepth={qd}", "--time_based", f"--runtime={seconds}",
            "--output-format=json"]
    out, cpu, target = measured(args)
    job = json.loads(out[out.index("{"):])["jobs"][0]["write" if write else "read"]
    ios = job["total_ios"]
    return {"iops": job["iops"], "mibs": job["bw"] / 1024, "cpu_us": cpu * 1e6 / max(ios, 1), "target": target}


def bare_tcp(port, wl, seconds):
    name, write, rnd, bs, qd = wl
    out, cpu, _ = measured([TCP_FLOOR, str(port), str(bs), str(qd), str(seconds)])
    return {"cpu_us": cpu * 1e6 / json.loads(out)["ios"]}


def start_bare_server():
    """tcp-floor's server pinned where tgtd is; returns (process, port)."""
    proc = subprocess.Popen(["taskset", "-c", "1", TCP_FLOOR, "serve"], stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def loopback_ceiling(seconds):
    if not shutil.which("iperf3"):
        return None
    port = 15201
    server = subprocess.Popen(["taskset", "-c", "1", "iperf3", "-s", "-1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            r = subprocess.run(["taskset", "-c", "0", "iperf3", "-c", "127.0.0.1", "-p", str(port),
                                "-t", str(seconds), "-J"], capture_output=True, text=True)
            try:
                return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 8 / 1048576
            except (ValueError, KeyError):
                time.sleep(0.05)  # the server is still starting: iperf3 has no readiness signal
    finally:
        server.kill()
        server.wait()
    return None


def setup_targets(tgtd, ram_path):
    urls = {}
    for tid, (kind, tuned) in enumerate([("null", False), ("ram", False), ("null", True), ("ram", True)], 1):
        lun = ("null", "/dev/null") if kind == "null" else ("rdwr", ram_path)
        params = TUNED if tuned else {}
        base = tgtd.target(tid, f"iqn.2026-11.bench:{kind}-{'tuned' if tuned else 'stock'}", luns=[lun], **params)
        urls[(kind, tuned)] = base + "/1"
    return urls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--save")
    ap.add_argument("--fio", default=None, help="fio with the libiscsi engine (bench/build-fio.sh)")
    opts = ap.parse_args()
    fio_bin = opts.fio or subprocess.run(["bash", os.path.join(HERE, "build-fio.sh")],
                                         capture_output=True, text=True, check=True).stdout.strip()
    work = "/dev/shm/swiscsi-bench"
    os.makedirs(work, exist_ok=True)
    ram = os.path.join(work, "ram-lun")
    with open(ram, "wb") as f:
        f.truncate(1 << 30)
    tgtd = Tgtd(work)
    bare_server = None
    rows, bare = [], {}
    global TARGET_PID
    try:
        tgtd.start_cmd_prefix = ["taskset", "-c", "1"]
        tgtd.start()
        TARGET_PID = tgtd.proc.pid  # taskset execs tgtd: same process
        bare_server, bare_port = start_bare_server()
        urls = setup_targets(tgtd, ram)
        ceiling = loopback_ceiling(3)
        for tuned in (False, True):
            for wl in READS + WRITES:
                url = urls[("ram" if wl[1] else "null", tuned)]
                anchor = (lambda: fio(fio_bin, url, wl, opts.seconds)) if wl[1] else \
                         (lambda: iscsi_perf(url, wl, opts.seconds))
                # the bare TCP reference moves the same bytes whatever the target's settings
                with_bare = not wl[1] and wl[0] not in bare
                a_runs, b_runs, c_runs = [], [], []
                for _ in range(opts.runs):
                    a_runs.append(swiscsi(url, wl, opts.seconds))
                    b_runs.append(anchor())
                    if with_bare:
                        c_runs.append(bare_tcp(bare_port, wl, opts.seconds))
                if with_bare:
                    bare[wl[0]] = median(c_runs, "cpu_us")
                keys = ("iops", "mibs", "cpu_us", "target")
                rows.append((wl[0], "tuned" if tuned else "stock", "fio+libiscsi" if wl[1] else "iscsi-perf",
                             {k: median(a_runs, k) for k in keys}, {k: median(b_runs, k) for k in keys},
                             bare.get(wl[0])))
                print_row(rows[-1], flush=True)
    finally:
        if bare_server:
            bare_server.kill()
            bare_server.wait()
        tgtd.stop()
        shutil.rmtree(work, ignore_errors=True)
    report = render(rows, ceiling, opts)
    print(report)
    if opts.save:
        with open(opts.save, "w") as f:
            f.write(report)


def print_row(row, flush=False):
    name, target, anchor, a, b, bare_cpu = row
    print(f"{name:20} {target:6} swiscsi {a['iops']:9.0f} IOPS {a['mibs']:8.1f} MiB/s {a['cpu_us']:7.2f} us/IO"
          f" tgtd {a['target']:4.0%} | {anchor} {b['iops']:9.0f} IOPS {b['mibs']:8.1f} MiB/s {b['cpu_us']:7.2f} us/IO"
          f" tgtd {b['target']:4.0%}" + (f" | bare TCP {bare_cpu:7.2f} us/IO" if bare_cpu else ""), flush=flush)


def render(rows, ceiling, opts):
    lines = [f"# swiscsi-bench vs libiscsi anchors ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"One tgtd (Debian {tgt_version()}) on loopback pinned to CPU 1, initiators pinned to CPU 0; "
             f"{opts.seconds} s per run, median of {opts.runs} interleaved runs. CPU = user+sys of the "
             "initiator process / I/Os completed. Reads: null LUN; writes: RAM LUN (/dev/shm).",
             f"Loopback TCP ceiling (iperf3): {ceiling:.0f} MiB/s" if ceiling else "Loopback ceiling: iperf3 missing",
             "tgtd % = CPU time of all tgtd threads / wall time of the run, the tool's start-up included "
             "(100% = one CPU: the target is the limit).",
             "bare TCP = bench/tcp_floor.c, the same request/reply bytes with no protocol and blocking calls "
             "(its server pinned like tgtd); bare/anchor is the lowest CPU ratio that client reaches.",
             "", "| workload | target | swiscsi IOPS | MiB/s | CPU us/IO | tgtd % | anchor | IOPS | MiB/s | CPU us/IO "
             "| tgtd % | IOPS ratio | CPU ratio | bare TCP us/IO | bare/anchor |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, target, anchor, a, b, bare_cpu in rows:
        bare_cols = f"{bare_cpu:.2f} | {bare_cpu / b['cpu_us']:.2f}" if bare_cpu else "- | -"
        lines.append(f"| {name} | {target} | {a['iops']:.0f} | {a['mibs']:.1f} | {a['cpu_us']:.2f} | {a['target']:.0%} | "
                     f"{anchor} | {b['iops']:.0f} | {b['mibs']:.1f} | {b['cpu_us']:.2f} | {b['target']:.0%} | "
                     f"{a['iops'] / b['iops']:.2f} | {a['cpu_us'] / b['cpu_us']:.2f} | {bare_cols} |")
    return "\n".join(lines) + "\n"


def tgt_version():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "tgt"], capture_output=True, text=True)
    return r.stdout or "tgt"


if __name__ == "__main__":
    main()
