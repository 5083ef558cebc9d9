"""The benchmark's references: bench/tcp_floor.c (the protocol-free TCP client and server beside
the initiators) and the table bench/compare.py prints. The benchmark itself is not a test (its
numbers depend on the machine); these check that what it runs and prints stays right."""
import json
import subprocess
import sys

from conftest import BUILD, REPO

TCP_FLOOR = BUILD / "bench" / "tcp-floor"
sys.path.insert(0, str(REPO / "bench"))
import compare  # noqa: E402


def test_tcp_floor_moves_replies_of_the_asked_size_and_outlives_its_clients():
    assert TCP_FLOOR.is_file(), f"build tcp-floor first (looked for {TCP_FLOOR})"
    server = subprocess.Popen([str(TCP_FLOOR), "serve"], stdout=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        for bs, qd in ((4096, 1), (1 << 20, 4)):
            # each client leaves with replies still in flight: the server must take the reset
            r = subprocess.run([str(TCP_FLOOR), port, str(bs), str(qd), "0.3"],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 0, r.stderr
            res = json.loads(r.stdout)
            assert res["ios"] > 0 and 0.3 <= res["seconds"] < 5, res
        assert server.poll() is None, "the server died with its client"
    finally:
        server.kill()
        server.wait()


def test_tcp_floor_rejects_bad_usage():
    r = subprocess.run([str(TCP_FLOOR), "1", "2"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "usage: tcp-floor" in r.stderr


def test_compare_table_gives_ratios_and_the_references():
    read = ("1m-seqread-qd8", "stock", "iscsi-perf",
            {"iops": 1500, "mibs": 1500.0, "cpu_us": 150.0, "target": 0.99},
            {"iops": 1200, "mibs": 1200.0, "cpu_us": 300.0, "target": 0.98}, 120.0)
    write = ("4k-randwrite-qd32", "stock", "fio+libiscsi",
             {"iops": 30000, "mibs": 117.2, "cpu_us": 15.0, "target": 1.0},
             {"iops": 20000, "mibs": 78.1, "cpu_us": 30.0, "target": 0.9}, None)

    class Opts:
        seconds, runs = 5, 3
    rows = [line for line in compare.render([read, write], 2000.0, Opts).splitlines()
            if line.startswith("| 1m") or line.startswith("| 4k")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    # swiscsi IOPS, CPU, tgtd %; the anchor's; IOPS ratio, CPU ratio, bare TCP, bare/anchor
    assert cells[0][2] == "1500" and cells[0][5] == "99%" and cells[0][10] == "98%"
    assert cells[0][11:] == ["1.25", "0.50", "120.00", "0.40"]
    assert cells[1][11:] == ["1.50", "0.50", "-", "-"]
