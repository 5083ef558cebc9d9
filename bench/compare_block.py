#!/usr/bin/env python3
"""The LUN as a disk, side by side, on one tgtd RAM LUN in one run: fio (libaio, O_DIRECT) on
swiscsi's LUN file and on its loop device (served by the real swiscsid, logged in with
swiscsiadm, as an administrator would), and on the anchor a user would pick instead on a
machine without the kernel initiator, qemu-storage-daemon's libiscsi driver with its FUSE
export; swiscsi-bench on the raw engine is the ceiling. For each FUSE server the CPU time it
used (user + system, from /proc/PID/stat around each run) is divided by the I/Os fio did.

    bench/compare-block.sh [--seconds N] [--save FILE] [--lun ram|null] [--pin] [--stock-malloc]
                           [--anchor-malloc]

The target: tgtd keeps its freed buffers (glibc's mmap threshold raised, see TGTD_MALLOC) unless
--stock-malloc; --lun null serves a null LUN (reads return zeros, writes are dropped) instead of
the RAM LUN, so the table shows the initiators' cost and not the target's copies; --pin puts tgtd
on CPU 1 and everything else (swiscsid, qemu-storage-daemon, fio, swiscsi-bench) on CPU 0, as
bench/compare.sh does; --anchor-malloc gives qemu-storage-daemon tgtd's allocator setting too
(it suffers the same mmap churn: 473-593 MiB/s at 128 KiB reads with it, 77-105 without, on
this VM), for a comparison of the FUSE paths themselves rather than of glibc's defaults.

Needs root, tgtd, fio, qemu-storage-daemon (qemu-system-common + qemu-block-extra), and the
build in build/ (or $SWISCSI_BUILD)."""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from tgt import Tgtd  # noqa: E402

sys.path.insert(0, HERE)
from compare import process_cpu  # noqa: E402  (the same CPU accounting as compare.py)

BUILD = os.environ.get("SWISCSI_BUILD", os.path.join(REPO, "build"))
SWISCSID = os.path.join(BUILD, "daemon", "swiscsid")
SWISCSIADM = os.path.join(BUILD, "cli", "swiscsiadm")
BENCH = os.path.join(BUILD, "tools", "swiscsi-bench")
IQN = "iqn.2026-12.bench.swiscsi:block"
LUN_BYTES = 1 << 30
# Stock tgtd allocates each command's data buffer with malloc, which glibc serves at 128 KiB and
# above with a fresh mmap and frees with munmap; on a guest where page faults and TLB flushes trap
# to the hypervisor that costs ~0.7 ms per 128 KiB command in the target (perf: flush_tlb_mm_range
# under munmap and page faults in the socket copy) and capped every initiator at ~190 MiB/s.
# Raising the threshold makes tgtd reuse its heap: same target, same protocol, ~5x the ceiling.
TGTD_MALLOC = "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"
PIN = []  # ["taskset", "-c", "0"] with --pin: every initiator-side process on CPU 0

# name, fio rw, block size, queue depth
WORKLOADS = [("4k-randread-qd32", "randread", 4096, 32), ("4k-randwrite-qd32", "randwrite", 4096, 32),
             ("128k-seqread-qd16", "read", 131072, 16), ("128k-seqwrite-qd16", "write", 131072, 16),
             ("1m-seqread-qd8", "read", 1 << 20, 8)]


def fio(path, rw, bs, qd, seconds, server_pid):
    cmd = [*PIN, "fio", "--name=bench", "--filename=" + path.replace(":", "\\:"), "--ioengine=libaio",
           "--direct=1", f"--rw={rw}", f"--bs={bs}", f"--iodepth={qd}", f"--runtime={seconds}",
           "--time_based", f"--size={LUN_BYTES}", "--output-format=json", "--randrepeat=0"]
    cpu0 = process_cpu(server_pid) if server_pid else 0
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds * 10 + 60)
    cpu = process_cpu(server_pid) - cpu0 if server_pid else 0
    if out.returncode != 0:
        raise RuntimeError(f"fio on {path}: {out.stderr.strip()[-400:]}")
    job = json.loads(out.stdout)["jobs"][0]
    side = job["write" if "write" in rw else "read"]
    ios = max(side["total_ios"], 1)
    return {"iops": side["iops"], "mibs": side["bw_bytes"] / (1 << 20),
            "cpu_us": cpu * 1e6 / ios if server_pid else None}


def raw_engine(url, rw, bs, qd, seconds):
    args = [*PIN, BENCH, "--bs", str(bs), "--qd", str(qd), "--time", str(seconds), "--json"]
    args += ["--random"] * ("rand" in rw) + ["--write"] * ("write" in rw)
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds * 10 + 60)
    if out.returncode != 0:
        raise RuntimeError(f"swiscsi-bench: {out.stderr.strip()[-400:]}")
    res = json.loads(out.stdout)
    # its own user+system time per I/O: the engine alone, without FUSE or the kernel's block layer
    return {"iops": res["iops"], "mibs": res["mb_per_s"] * 1e6 / (1 << 20),
            "cpu_us": res["cpu_us_per_io"]}


def thread_busy(tid):
    """seconds one thread has run or waited to run (/proc/TID/task/TID/schedstat: time on a CPU,
    time runnable on a run queue, in ns); what is left of the wall time it slept, idle."""
    with open(f"/proc/{tid}/task/{tid}/schedstat") as f:
        on_cpu, waiting = f.read().split()[:2]
    return (int(on_cpu) + int(waiting)) / 1e9


def with_target_cpu(target_pid, run):
    """run() and how busy tgtd's main thread was meanwhile (running or runnable, share of the
    wall time). That thread does all of the target's iSCSI work (the backing-store threads only
    read and write the file), so near 100% it never waited for the initiator: the target is
    what limits the row, not the initiator."""
    busy0, t0 = thread_busy(target_pid), time.monotonic()
    res = run()
    res["target_pct"] = (thread_busy(target_pid) - busy0) * 100 / (time.monotonic() - t0)
    return res


def wait_for(cond, what, bound_s=60):
    deadline = time.monotonic() + bound_s
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready in {bound_s} s")
        time.sleep(0.05)


def swiscsi_env(work, conf, initiator="iqn.2026-12.bench.swiscsi:host"):
    """A private record database and run directory: nothing of the machine's is touched."""
    with open(os.path.join(work, "initiatorname.iscsi"), "w") as f:
        f.write(f"InitiatorName={initiator}\n")
    return dict(os.environ, SWISCSI_DB=os.path.join(work, "db"),
                SWISCSI_RUNDIR=os.path.join(work, "run"),
                SWISCSI_CONF=os.path.join(work, "iscsid.conf"),
                SWISCSI_INITIATORNAME_FILE=os.path.join(work, "initiatorname.iscsi"),
                SWISCSI_DAEMON_CONF=conf, LC_ALL="C")


def adm(env, *args):
    r = subprocess.run([SWISCSIADM, *args], env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"swiscsiadm {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def start_swiscsi(work, tgtd, fuse_direct_io, initiator="iqn.2026-12.bench.swiscsi:host"):
    """swiscsid in the foreground (its pid is the FUSE server's, for the CPU column), discovery
    and login through swiscsiadm; returns the daemon, the LUN file and its loop device. Daemons
    logged in at once need their own initiator names (one I_T nexus each)."""
    conf = os.path.join(work, "swiscsid.conf")
    with open(conf, "w") as f:
        f.write("[global]\nloop_devices = yes\nloop_direct_io = yes\n"
                f"fuse_direct_io = {'yes' if fuse_direct_io else 'no'}\n")
    env = swiscsi_env(work, conf, initiator)
    log = open(os.path.join(work, "swiscsid.log"), "w")
    p = subprocess.Popen([*PIN, SWISCSID, "--foreground"], env=env, stdout=log, stderr=log)
    sock = os.path.join(env["SWISCSI_RUNDIR"], "swiscsid.sock")
    wait_for(lambda: os.path.exists(sock) or p.poll() is not None, "swiscsid's socket")
    if p.poll() is not None:
        raise RuntimeError(f"swiscsid exited with {p.returncode}")
    adm(env, "-m", "discovery", "-t", "st", "-p", tgtd.portal)
    adm(env, "-m", "node", "-T", IQN, "-l")   # returns once the LUN file and loop device exist
    lun_file = os.path.join(env["SWISCSI_RUNDIR"], "disks", "by-iface", "default",
                            f"ip-{tgtd.portal}-iscsi-{IQN}-lun-1")
    loop = subprocess.run(["losetup", "-n", "-O", "NAME", "-j", lun_file], capture_output=True,
                          text=True, check=True).stdout.strip()
    if not loop:
        raise RuntimeError(f"no loop device over {lun_file}")
    return p, lun_file, loop


def start_qsd(work, tgtd, kept_heap=False):
    """kept_heap: qemu-storage-daemon with the same glibc setting as tgtd (its bounce buffers
    and libiscsi's PDUs churn mmap/munmap at 128 KiB and more just as tgtd's do)."""
    export = os.path.join(work, "qsd-export")
    open(export, "w").close()
    host, port = tgtd.portal.rsplit(":", 1)
    p = subprocess.Popen(
        [*PIN, *(["env", TGTD_MALLOC] if kept_heap else []), "qemu-storage-daemon", "--blockdev",
         f"driver=iscsi,node-name=disk,transport=tcp,portal={host}:{port},target={IQN},lun=1,"
         "initiator-name=iqn.2026-12.bench.swiscsi:qsd,cache.direct=on",
         "--export", f"type=fuse,id=exp,node-name=disk,mountpoint={export},writable=on"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "qsd.log"), "w"))
    try:  # the RAM LUN is LUN_BYTES, tgtd's null LUN 1 TiB; fio uses the first LUN_BYTES of either
        wait_for(lambda: os.path.getsize(export) >= LUN_BYTES or p.poll() is not None,
                 "qemu-storage-daemon's FUSE export")
        if p.poll() is not None:
            raise RuntimeError(f"qemu-storage-daemon exited with {p.returncode} (see qsd.log)")
    except BaseException:
        p.kill()
        p.wait()
        subprocess.run(["umount", "-l", export], capture_output=True)
        raise
    return p, export


def target_text(args):
    lun = "null LUN" if args.lun == "null" else "RAM LUN (rdwr on /dev/shm)"
    malloc = "stock malloc" if args.stock_malloc else "glibc mmap threshold 32 MiB"
    pin = ", tgtd pinned to CPU 1 and the rest to CPU 0" if args.pin else ""
    anchor = "; qemu-storage-daemon with the same mmap threshold" if args.anchor_malloc else ""
    return f"One tgtd {lun}, stock iSCSI settings, {malloc}{pin}{anchor}"


def table(results, args):
    seconds, fuse_direct_io = args.seconds, args.fuse_direct_io
    subjects = ["LUN file", "loop device", "qsd FUSE (anchor)", "swiscsi-bench (ceiling)"]
    out = [f"{target_text(args)}; fio libaio O_DIRECT, {seconds} s per cell"
           f"{', LUN files opened with FOPEN_DIRECT_IO' if fuse_direct_io else ''}.",
           "CPU = the FUSE server's user+system time per I/O (swiscsid, logged in with swiscsiadm, for",
           "the LUN file and loop device; qemu-storage-daemon for the anchor; swiscsi-bench's own for",
           "the ceiling). tgtd = how busy the target's main thread was in the cell (running or waiting",
           "for a CPU, share of the time; it does all of tgtd's iSCSI work): near 100% the target, not",
           "the initiator, is the limit.", "",
           "| workload | " + " | ".join(subjects) + " | file/anchor | file/ceiling |",
           "|---|" + "---|" * (len(subjects) + 2)]
    for wl in WORKLOADS:
        if wl[0] not in results:
            continue
        r = results[wl[0]]
        cells = []
        for s in subjects:
            x = r[s]
            val = f"{x['iops'] / 1000:.1f}k IOPS" if wl[2] == 4096 else f"{x['mibs']:.0f} MiB/s"
            cells.append(val + (f", {x['cpu_us']:.1f} us CPU/IO" if x["cpu_us"] is not None else "")
                         + f", tgtd {x['target_pct']:.0f}% busy")
        key = "iops" if wl[2] == 4096 else "mibs"
        ratio = r["LUN file"][key] / max(r["qsd FUSE (anchor)"][key], 1e-9)
        ceil = r["LUN file"][key] / max(r["swiscsi-bench (ceiling)"][key], 1e-9)
        out.append(f"| {wl[0]} | " + " | ".join(cells) + f" | {ratio:.2f}x | {ceil:.0%} |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--save")
    ap.add_argument("--fuse-direct-io", action="store_true",
                    help="open the LUN files with FOPEN_DIRECT_IO (swiscsid.conf fuse_direct_io)")
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--lun", choices=("ram", "null"), default="ram",
                    help="the target's LUN: a file on /dev/shm (default) or tgtd's null backing store")
    ap.add_argument("--pin", action="store_true", help="tgtd on CPU 1, everything else on CPU 0")
    ap.add_argument("--stock-malloc", action="store_true",
                    help="tgtd with glibc's default mmap threshold (a fresh mmap per large command)")
    ap.add_argument("--anchor-malloc", action="store_true",
                    help="qemu-storage-daemon with tgtd's raised mmap threshold too")
    args = ap.parse_args()
    if args.pin:
        if os.cpu_count() < 2:
            sys.exit("--pin needs two CPUs")
        PIN[:] = ["taskset", "-c", "0"]
    if args.only:
        WORKLOADS[:] = [w for w in WORKLOADS if w[0] in args.only.split(",")]
    work = tempfile.mkdtemp(prefix="swiscsi-compare-block-")
    backing = tempfile.NamedTemporaryFile(dir="/dev/shm", prefix="swiscsi-bench-", delete=False)
    backing.truncate(LUN_BYTES)
    backing.close()
    tgtd = Tgtd(work)
    tgtd.start_cmd_prefix = (["taskset", "-c", "1"] if args.pin else []) + \
        ([] if args.stock_malloc else ["env", TGTD_MALLOC])
    tgtd.start()
    procs = []
    try:
        lun = ("null", "/dev/null") if args.lun == "null" else ("rdwr", backing.name)
        url = tgtd.target(1, IQN, luns=[lun])
        serve, lun_file, loop = start_swiscsi(work, tgtd, args.fuse_direct_io)
        procs.append(serve)
        qsd, export = start_qsd(work, tgtd, args.anchor_malloc)
        procs.append(qsd)
        results = {}
        for name, rw, bs, qd in WORKLOADS:
            tp = tgtd.proc.pid
            results[name] = {
                "LUN file": with_target_cpu(tp, lambda: fio(lun_file, rw, bs, qd, args.seconds, serve.pid)),
                "loop device": with_target_cpu(tp, lambda: fio(loop, rw, bs, qd, args.seconds, serve.pid)),
                "qsd FUSE (anchor)": with_target_cpu(tp, lambda: fio(export, rw, bs, qd, args.seconds, qsd.pid)),
                "swiscsi-bench (ceiling)": with_target_cpu(tp, lambda: raw_engine(url + "/1", rw, bs, qd,
                                                                                   args.seconds)),
            }
            print(name, json.dumps(results[name]), flush=True)
        text = table(results, args)
        print(text)
        if args.save:
            with open(args.save, "w") as f:
                f.write(f"# LUN file vs qemu-storage-daemon FUSE export ({time.strftime('%Y-%m-%d')})\n\n")
                f.write(f"Kernel {os.uname().release}, {os.cpu_count()} CPUs.\n\n" + text)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        tgtd.stop()
        os.unlink(backing.name)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
