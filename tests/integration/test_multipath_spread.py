"""A multipath map across two bound ifaces, on the wire: swiscsid in the host namespace of a lab
with two NICs on two subnets (10.94.1.0/24, 10.94.2.0/24), tgtd in the target namespace with a
portal on each, one iface bound to each NIC, discovery through both, --loginall=all: one by-id
file. Under multibus + round-robin a read through it moves its data over both NICs about
evenly; under failover every byte goes through the first path's NIC until that path's session
logs out, then through the other's. A packet counter per device says which NIC carried what."""
import contextlib
import hashlib
import os
import re
import subprocess
import threading

import pytest

from conftest import Adm, have, require
from netlab import TwoNicLab, sh
from sessiond import Daemon
from test_multipath_tool import TOOL
from tgt import Tgtd, backing_file

TARGET = "iqn.2026-12.test.mpathspread:disk"
PORTALS = {"sp0": "10.94.1.254", "sp1": "10.94.2.254"}
IFACES = {"sp0": "spread0", "sp1": "spread1"}
MiB = 1 << 20
LUN_SIZE = 272 * MiB                # the 256 MiB read and some to spare


def spread_lab():
    """host ns  sp0 10.94.1.1/24  ====  tp0 10.94.1.254/24  target ns
                sp1 10.94.2.1/24  ====  tp1 10.94.2.254/24"""
    return TwoNicLab("sp", ("sp0", "sp1"), ("tp0", "tp1"), "10.94")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require(os.geteuid() == 0, "root (network namespaces)")
    require(have("tgtd") and have("tgtadm"), "tgtd and tgtadm (Debian package tgt)")
    workdir = tmp_path_factory.mktemp("spread")
    with contextlib.ExitStack() as stack:
        lab = spread_lab()
        stack.callback(lab.close)
        tgtd = Tgtd(str(workdir), netns=lab.target, addresses=tuple(PORTALS.values()))
        tgtd.start()
        stack.callback(tgtd.stop)
        tgtd.target(1, TARGET, luns=[("rdwr", backing_file(workdir / "lun", LUN_SIZE))])
        yield lab


@pytest.fixture
def adm(tmp_path, lab, request):
    """swiscsid in the lab's host network namespace but the test's mount namespace (the by-id
    file is the test's to read), with one iface bound to each NIC."""
    adm = Adm(tmp_path)
    adm.lab = lab
    adm.prefix = ("nsenter", f"--net=/run/netns/{lab.host}")
    adm.daemon = Daemon(adm, prefix=adm.prefix)
    request.addfinalizer(adm.daemon.stop)
    for dev, iface in IFACES.items():
        ok(adm, "-m", "iface", "-I", iface, "-o", "new", "-n", "iface.net_ifacename", "-v", dev)
    return adm


def ok(adm, *args):
    r = adm.run(*args, prefix=adm.prefix, timeout=120)
    assert r.rc == 0, r
    return r


def log_in_all(adm, policy):
    """Discovery through both ifaces (each to its subnet's portal), --loginall=all: the one
    by-id file there is."""
    (adm.root / "swiscsid.conf").write_text("[global]\nloop_devices = no\n" + policy)
    for dev, iface in IFACES.items():
        ok(adm, "-m", "discovery", "-t", "st", "-p", PORTALS[dev], "-I", iface)
    adm.daemon.start()
    ok(adm, "-m", "node", "--loginall=all")
    assert len(ok(adm, "-m", "session").out.splitlines()) == 2
    files = os.listdir(adm.daemon.rundir / "disks" / "by-id")
    assert len(files) == 1, files
    return adm.daemon.rundir / "disks" / "by-id" / files[0]


PATH_LINE = re.compile(r" (\d+):0:0:\d+ (\S+) \S+ (.+)$")   # " 2:0:0:1 spread1 10.94.2.254:3260 active ready running"


def paths(adm):
    """swiscsi-multipath -ll's path lines as (sid, iface, state) in the map's path order."""
    r = subprocess.run([*adm.prefix, str(TOOL), "-ll"], env=adm.env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r
    found = (PATH_LINE.search(line) for line in r.stdout.splitlines())
    return [(int(m[1]), m[2], m[3]) for m in found if m]


def read_through(path, size, chunk=MiB):
    """Reads size bytes with O_DIRECT (no page cache: every byte comes over the wire now);
    their SHA-256."""
    r = subprocess.run(["dd", f"if={path}", "of=/dev/stdout", f"bs={chunk}",
                        f"count={size // chunk}", "iflag=direct", "status=none"],
                       capture_output=True, timeout=300)
    assert r.returncode == 0 and len(r.stdout) == size, r.stderr
    return hashlib.sha256(r.stdout).hexdigest()


def write_through(path, data, src):
    """Writes data (put in the file src first) with O_DIRECT, then fsync."""
    src.write_bytes(data)
    r = subprocess.run(["dd", f"if={src}", f"of={path}", f"bs={MiB}", "oflag=direct",
                        "conv=fsync,notrunc", "status=none"], capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr


def nic_bytes(seen):
    """Bytes that came from the target, per NIC."""
    return {dev: seen["bytes"]["in"].get(dev, 0) for dev in IFACES}


def test_multibus_round_robin_spreads_a_read_over_both_nics(adm, lab):
    byid = log_in_all(adm, "path_grouping_policy = multibus\npath_selector = round-robin\n")
    assert {iface for _, iface, _ in paths(adm)} == set(IFACES.values())
    with lab.tcp_counter(3260) as seen:
        read_through(byid, 256 * MiB)
    got = nic_bytes(seen)
    total = sum(got.values())
    assert total >= 256 * MiB, seen   # the counter saw (about) all of it
    for dev, n in got.items():
        assert n >= 0.3 * total, f"{dev} carried {n / total:.0%} of the read: {got}"
    packets = {dev: seen["in"].get(dev, 0) for dev in IFACES}
    assert all(n >= 0.3 * sum(packets.values()) for n in packets.values()), packets
    # the data segments themselves, as the sessions count them, split the same way
    stats = ok(adm, "-m", "session", "-s").out
    rx = [int(line.split(": ")[1]) for line in stats.splitlines()
          if line.strip().startswith("rxdata_octets: ")]
    assert len(rx) == 2 and all(n >= 0.3 * 256 * MiB for n in rx), rx


def test_failover_uses_the_first_path_until_it_goes(adm, lab):
    byid = log_in_all(adm, "path_grouping_policy = failover\n")
    order = paths(adm)
    assert [state for _, _, state in order] == ["active ready running"] * 2, order
    (first_sid, first_iface, _), (_, second_iface, _) = order
    first = next(d for d, i in IFACES.items() if i == first_iface)
    second = next(d for d, i in IFACES.items() if i == second_iface)
    assert first != second

    data = os.urandom(64 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    with lab.tcp_counter(3260) as seen:
        write_through(byid, data, adm.root / "src")
        assert read_through(byid, 64 * MiB) == digest
    got = {dev: seen["bytes"]["out"].get(dev, 0) for dev in IFACES}
    assert got[first] >= 64 * MiB and got[second] < 0.01 * got[first], got
    got = nic_bytes(seen)
    # all of it on the first path's NIC; the other carried only its keepalives and the
    # checker's TURs (a few hundred bytes), well under 1%
    assert got[first] >= 64 * MiB and got[second] < 0.01 * got[first], got

    # that path's session logs out while a read is in flight: the read completes on the
    # second path, and from then on everything goes through the second NIC
    results = []
    reader = threading.Thread(target=lambda: results.append(read_through(byid, 64 * MiB)))
    reader.start()
    ok(adm, "-m", "session", "-r", str(first_sid), "-u")
    reader.join(300)
    assert not reader.is_alive() and results == [digest], "the read in flight completed, intact"
    assert [iface for _, iface, _ in paths(adm)] == [second_iface]
    with lab.tcp_counter(3260) as seen:
        assert read_through(byid, 64 * MiB) == digest
    got = nic_bytes(seen)
    assert got[second] >= 64 * MiB and got[first] == 0, got
