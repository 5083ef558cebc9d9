#!/usr/bin/env python3
"""swiscsid's CPU time per I/O on its LUN file, for an A/B of builds: one tgtd RAM LUN (set up
as bench/compare_block.py does), one swiscsid per build logged in to it, fio (libaio, O_DIRECT)
on each daemon's LUN file in turn, runs interleaved (A, B, A, B, ...), the median reported.
CPU per I/O is steadier than throughput on a shared machine: other load slows both alike but
adds little to the daemon's own user+system time.

    bench/lunfile_cpu.py [--builds DIR[,DIR...]] [--workloads randread,4096,32;read,131072,16]
                         [--seconds N] [--runs N] [--perf DIR] [--floor] [--pin]

--perf DIR: `perf record -g` of each daemon for 3 s of its first run, into DIR/N-RW-BS.perf.
--floor: also bench/fuse_floor.c (of the first build) in the rotation, a FUSE file with no
storage behind it: the FUSE path's own cost, below which no LUN file can go.
Needs root, tgtd, fio and the builds (default: $SWISCSI_BUILD or build/)."""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_block as cb  # noqa: E402
from compare import process_cpu  # noqa: E402
from tgt import Tgtd  # noqa: E402  (compare_block put tests/integration on the path)


def fio_cmd(lun_file, rw, bs, qd, seconds):
    return [*cb.PIN, "fio", "--name=cpu", "--filename=" + lun_file.replace(":", "\\:"), "--ioengine=libaio",
            "--direct=1", f"--rw={rw}", f"--bs={bs}", f"--iodepth={qd}", f"--runtime={seconds}",
            "--time_based", f"--size={cb.LUN_BYTES}", "--output-format=json", "--randrepeat=0"]


def one_run(daemon, lun_file, wl, seconds, perf_out):
    rw, bs, qd = wl
    cpu0 = process_cpu(daemon.pid)
    f = subprocess.Popen(fio_cmd(lun_file, rw, bs, qd, seconds), stdout=subprocess.PIPE, text=True)
    if perf_out:
        time.sleep(1)   # past fio's start-up
        subprocess.run(["perf", "record", "-g", "-o", perf_out, "-p", str(daemon.pid), "--",
                        "sleep", str(min(3, max(seconds - 2, 1)))], capture_output=True)
    out, _ = f.communicate(timeout=seconds * 10 + 60)
    cpu = process_cpu(daemon.pid) - cpu0
    if f.returncode != 0:
        raise RuntimeError(f"fio on {lun_file} failed")
    side = json.loads(out)["jobs"][0]["write" if "write" in rw else "read"]
    ios = max(side["total_ios"], 1)
    return {"iops": side["iops"], "mibs": side["bw_bytes"] / (1 << 20), "cpu_us": cpu * 1e6 / ios}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", default=cb.BUILD, help="comma-separated build directories")
    ap.add_argument("--workloads", default="randread,4096,32",
                    help="semicolon-separated rw,block size,queue depth")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--perf", help="directory for perf record files")
    ap.add_argument("--floor", action="store_true", help="add fuse-floor to the rotation")
    ap.add_argument("--pin", action="store_true",
                    help="tgtd on CPU 1, the daemons and fio on CPU 0 (less noise)")
    args = ap.parse_args()
    wls = []
    for w in args.workloads.split(";"):
        rw, bs, qd = w.split(",")
        wls.append((rw, int(bs), int(qd)))
    builds = [os.path.abspath(b) for b in args.builds.split(",")]
    work = tempfile.mkdtemp(prefix="swiscsi-lunfile-cpu-")
    backing = os.path.join("/dev/shm", os.path.basename(work) + ".lun")
    with open(backing, "wb") as f:
        f.truncate(cb.LUN_BYTES)
    tgtd = Tgtd(work)
    if args.pin:
        cb.PIN[:] = ["taskset", "-c", "0"]
    tgtd.start_cmd_prefix = (["taskset", "-c", "1"] if args.pin else []) + ["env", cb.TGTD_MALLOC]
    tgtd.start()
    daemons = []
    try:
        tgtd.target(1, cb.IQN, luns=[("rdwr", backing)])
        for i, b in enumerate(builds):
            cb.SWISCSID = os.path.join(b, "daemon", "swiscsid")
            cb.SWISCSIADM = os.path.join(b, "cli", "swiscsiadm")
            d = os.path.join(work, f"daemon-{i}")
            os.makedirs(d)
            p, lun_file, _ = cb.start_swiscsi(d, tgtd, False, f"iqn.2026-12.bench.swiscsi:ab{i}")
            daemons.append((b, p, lun_file))
        if args.floor:
            mnt = os.path.join(work, "floor")
            os.makedirs(mnt)
            p = subprocess.Popen([*cb.PIN, os.path.join(builds[0], "bench", "fuse-floor"), mnt,
                                  str(cb.LUN_BYTES)])
            disk = os.path.join(mnt, "disk")
            cb.wait_for(lambda: os.path.exists(disk) or p.poll() is not None, "fuse-floor")
            if p.poll() is not None:
                raise RuntimeError(f"fuse-floor exited with {p.returncode}")
            daemons.append(("fuse-floor", p, disk))
        for wl in wls:
            res = {d[0]: [] for d in daemons}
            for r in range(args.runs):
                for i, (b, p, lun_file) in enumerate(daemons):
                    perf_out = os.path.join(args.perf, f"{i}-{wl[0]}-{wl[1]}.perf") \
                        if args.perf and r == 0 else None
                    x = one_run(p, lun_file, wl, args.seconds, perf_out)
                    res[b].append(x)
                    print(f"{','.join(map(str, wl)):20} {b:40} {x['iops']:8.0f} IOPS "
                          f"{x['mibs']:7.1f} MiB/s {x['cpu_us']:7.2f} us/IO", flush=True)
            for b in res:
                cpus = [x["cpu_us"] for x in res[b]]
                print(f"median {','.join(map(str, wl)):20} {b:40} "
                      f"{statistics.median(cpus):7.2f} us/IO (runs: "
                      f"{', '.join(f'{c:.1f}' for c in cpus)}), "
                      f"{statistics.median(x['iops'] for x in res[b]):.0f} IOPS", flush=True)
    finally:
        for _, p, _ in daemons:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        tgtd.stop()
        os.unlink(backing)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
