"""I/O through a multipath map's by-id file, against one tgtd LUN logged in through two ifaces
bound to the loopback device: the data is the LUN's both ways, fio verifies at depth, round-robin
spreads commands over both sessions, and a path logged out in the middle of a write costs
nothing."""
import hashlib
import os
import subprocess
import threading

from conftest import have, require, tool
from test_multipath_maps import IQN, MAP, ok
from tgt import backing_file

MiB = 1 << 20


def login(adm, tgtd, swiscsid, tmp_path, ifaces, selector="round-robin"):
    url = tgtd.target(1, IQN, luns=[("rdwr", backing_file(tmp_path / "lun1", 32 * MiB))],
                      MaxBurstLength=65536)
    (adm.root / "swiscsid.conf").write_text(
        f"[global]\nloop_devices = no\npath_selector = {selector}\nno_path_retry = queue\n")
    swiscsid.start()
    for iface in ifaces:
        ok(adm, "-m", "iface", "-I", iface, "-o", "new", "-n", "iface.net_ifacename", "-v", "lo")
    ok(adm, "-m", "discovery", "-t", "st", "-p", tgtd.portal, *sum((["-I", i] for i in ifaces), []))
    ok(adm, "-m", "node", "-T", IQN, "-l")
    return url + "/1", swiscsid.rundir / "disks" / "by-id" / MAP


def lun_bytes(url):
    r = tool("swiscsi-cp", url, "-", binary=True)
    assert r.rc == 0, r
    return r.out


def sent_per_session(adm):
    """txdata_octets of each session, by sid."""
    out, sid, sent = ok(adm, "-m", "session", "-s").out, None, {}
    for line in out.splitlines():
        if line.startswith("Stats for session [sid: "):
            sid = int(line.split("[sid: ")[1].split(",")[0])
        elif line.strip().startswith("txdata_octets: "):
            sent[sid] = int(line.split(": ")[1])
    return sent


def test_one_path_has_its_by_id_file(adm, tgtd, swiscsid, tmp_path):
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1"])
    assert os.listdir(byid.parent) == [MAP]
    assert byid.stat().st_size == 32 * MiB
    data = os.urandom(MiB)
    with open(byid, "r+b", buffering=0) as f:
        f.seek(3 * MiB)
        f.write(data)
        os.fsync(f.fileno())
    assert lun_bytes(url)[3 * MiB:4 * MiB] == data
    ok(adm, "-m", "node", "-T", IQN, "-u")
    assert not byid.exists(), "the file goes with the map's last path"


def test_two_paths_data_both_ways_and_round_robin(adm, tgtd, swiscsid, tmp_path):
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1", "nic2"])
    assert byid.stat().st_size == 32 * MiB
    before = sent_per_session(adm)
    assert len(before) == 2, before
    chunk, odd = os.urandom(4 * MiB), os.urandom(3001)
    with open(byid, "r+b", buffering=0) as f:
        for k in range(16):          # many commands, so round-robin alternates
            f.seek(MiB + k * 256 * 1024)
            f.write(chunk[k * 256 * 1024:(k + 1) * 256 * 1024])
        f.seek(10 * MiB + 1000)      # partial blocks: read-modify-write through the map
        f.write(odd)
    after = sent_per_session(adm)
    assert all(after[s] - before[s] >= MiB for s in before), (before, after)
    on_lun = lun_bytes(url)
    assert on_lun[MiB:5 * MiB] == chunk
    assert on_lun[10 * MiB + 1000:10 * MiB + 4001] == odd
    fresh = tmp_path / "fresh"
    fresh.write_bytes(os.urandom(2 * MiB))
    r = tool("swiscsi-cp", str(fresh), url)
    assert r.rc == 0, r
    with open(byid, "rb") as f:
        assert f.read(2 * MiB) == fresh.read_bytes()


def test_fio_verify_through_the_map(adm, tgtd, swiscsid, tmp_path):
    require(have("fio"), "fio")
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1", "nic2"])
    r = subprocess.run(["fio", "--name=verify", "--filename=" + str(byid).replace(":", "\\:"),
                        "--ioengine=libaio", "--direct=1", "--iodepth=16", "--size=24M",
                        "--rw=randwrite", "--bsrange=4k-256k", "--verify=crc32c",
                        "--verify_fatal=1", "--do_verify=1", "--randrepeat=0",
                        "--verify_state_save=0"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verify:" not in r.stderr, r.stderr


def test_a_path_logged_out_during_a_write(adm, tgtd, swiscsid, tmp_path):
    url, byid = login(adm, tgtd, swiscsid, tmp_path, ["nic1", "nic2"])
    data = os.urandom(24 * MiB)
    started, errors = threading.Event(), []

    def writer():
        try:
            with open(byid, "r+b", buffering=0) as f:
                for k in range(0, len(data), 256 * 1024):
                    f.write(data[k:k + 256 * 1024])
                    started.set()
                os.fsync(f.fileno())
        except OSError as e:
            errors.append(e)
        started.set()

    t = threading.Thread(target=writer)
    t.start()
    started.wait(120)
    ok(adm, "-m", "node", "-T", IQN, "-I", "nic2", "-u")
    t.join(300)
    assert not t.is_alive() and not errors, errors
    digest = hashlib.sha256(data).hexdigest()
    assert hashlib.sha256(lun_bytes(url)[:len(data)]).hexdigest() == digest
    with open(byid, "rb") as f:
        assert hashlib.sha256(f.read(len(data))).hexdigest() == digest
