"""Start-up cost of two or more swiscsiadm builds, measured in one interleaved loop so that
all see the same machine load (bench/cli-scale.sh times one tool after the other, and on a
shared machine its floor row drifts by more than the start-up cost being compared).

    SWISCSI_DB=... python3 bench/startup_ab.py [--runs N] [--args "-m node"] BINARY...

Each round runs /bin/true and then every binary once, in that order; printed per command are
the median CPU ms (user + system, from the children's rusage) and the median less the floor.
Every command's output goes to /dev/null; a failing run stops the script."""
import argparse
import resource
import shlex
import statistics
import subprocess
import sys


def cpu_ms(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1000 * ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--args", default="-m node")
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args()
    commands = [["/bin/true"]] + [[b, *shlex.split(a.args)] for b in a.binaries]
    times = [[] for _ in commands]
    for _ in range(a.runs):
        for i, argv in enumerate(commands):
            times[i].append(cpu_ms(argv))
    floor = statistics.median(times[0])
    print(f"median CPU ms over {a.runs} interleaved rounds of: {a.args}")
    for argv, t in zip(commands, times):
        med = statistics.median(t)
        print(f"{med:7.2f}  (floor +{med - floor:5.2f})  {argv[0]}")


if __name__ == "__main__":
    sys.exit(main())
