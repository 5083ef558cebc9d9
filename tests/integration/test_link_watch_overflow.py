"""The link watch when the kernel drops its events: swiscsid, stopped (SIGSTOP) in the host
namespace of test_multipath_failover's two-NIC lab, misses a burst of link events (veth pairs
made and deleted) larger than its netlink socket's receive buffer; NIC 1, which one path of a
multipath map is bound to, goes down (or is deleted) in the middle of the burst, when the socket
is already dropping everything (its Drops count in /proc/<pid>/net/netlink moves). Continued,
the daemon reads ENOBUFS, re-reads the link table and drops NIC 1's session at once: the
keepalives (30 s + 30 s) could not explain it. One warning line says the events were lost and
what the re-read found; the map's writes go on through NIC 2, and NIC 1 back (up again, or made
anew under its name) its session is reinstated; on a NIC made anew, the link watch follows it
(its going down is noticed at once again).

Before the re-read existed, the daemon only logged the loss and the path stayed "active" until
the keepalive's minute had passed: these tests fail on it."""
import json
import os
import re
import signal
import time

from netlab import sh
from test_multipath_failover import (NICS, PORTALS, SLOW_NOOP, dd, lab, lun_sha256,  # noqa: F401
                                     nic, random_file, rig, start_map, wait_states)
from test_sessions_faults import finished, sha256

MiB = 1 << 20
LOST = re.compile(r"^swiscsid: warning: network device events were lost \(the netlink queue "
                  r"overflowed\); re-read the device table: (\d+) devices?, (\d+) of them down "
                  r"or without link; dropped the connection of (\d+) sessions?$", re.M)
BOTH_UP = {"p1": "active ready running", "p2": "active ready running"}


def link_socket(pid):
    """(Rmem, Drops) of the daemon's socket for link events: its NETLINK_ROUTE socket in the
    RTMGRP_LINK group, found by inode among its descriptors."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if m := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(m.group(1))
    with open(f"/proc/{pid}/net/netlink") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    found = [(int(r[4]), int(r[8])) for r in rows
             if r[1] == "0" and int(r[3], 16) & 1 and r[9] in inodes]
    assert len(found) == 1, (found, rows)
    return found[0]


def burst(rig, tag, pairs=40):
    """pairs veth pairs made and deleted in the daemon's namespace: four link events or more
    each (two devices made, two deleted), each a few KiB of the socket's buffer."""
    path = rig.root / f"burst-{tag}"
    path.write_text("".join(f"link add hnl{tag}x{i} type veth peer name hnl{tag}y{i}\n"
                            for i in range(pairs)) +
                    "".join(f"link del hnl{tag}x{i}\n" for i in range(pairs)))
    sh("ip", "-n", rig.lab.host, "-batch", str(path))


def nic1_lost_in_a_burst(rig, fault):
    """With the daemon stopped: bursts until its link socket drops events (bounded), fault()
    (NIC 1 down or deleted), one more burst; then the daemon continues. The monotonic time it
    was continued."""
    pid = rig.daemon.pid
    rmem_default = int(open("/proc/sys/net/core/rmem_default").read())
    os.kill(pid, signal.SIGSTOP)
    try:
        for n in range(20):
            burst(rig, n)
            rmem, drops = link_socket(pid)
            if drops:
                break
        # dropping: the queue is full (nothing reads it) and stays full until it is drained
        assert drops > 0 and rmem >= rmem_default // 2, (n, rmem, drops, rmem_default)
        fault()
        # NIC 1's events are the only ones since: dropped, as the rest of the burst's will be
        _, at_fault = link_socket(pid)
        assert at_fault > drops, (drops, at_fault)
        burst(rig, "after")
        rmem, after = link_socket(pid)
        assert after > at_fault, (at_fault, after)
        print(f"{drops} link events dropped before NIC 1's fault, {after} in all "
              f"(receive queue {rmem} bytes, rmem_default {rmem_default})")
    finally:
        os.kill(pid, signal.SIGCONT)
    return time.monotonic()


def dropped_at_once(rig, resumed, why):
    """NIC 1's session dropped by the re-read within 10 s of the daemon continuing (the
    keepalive would take a minute), the path down, the one warning line: its numbers."""
    line = re.compile(rf"^swiscsid: warning: network device fo1 {why}: session \d+'s connection "
                      rf"dropped$", re.M)
    while not line.search(rig.daemon.text()):
        assert time.monotonic() - resumed < 10, rig.daemon.text()
        time.sleep(0.05)
    print(f"NIC 1's session dropped {time.monotonic() - resumed:.1f} s after SIGCONT")
    wait_states(rig, {"p1": "failed faulty running", "p2": "active ready running"}, 10)
    text = rig.daemon.text()
    found = LOST.findall(text)
    assert len(found) == 1, text
    devices, unusable, dropped = map(int, found[0])
    assert dropped == 1, text
    assert "did not answer a NOP-Out" not in text, text
    assert len(line.findall(text)) == 1, text   # dropped once
    return devices, unusable


def table_now(rig):
    """The host namespace's devices as the re-read should have found them: (how many, how
    many down or without link)."""
    links = json.loads(sh("ip", "-n", rig.lab.host, "-j", "link", "show"))
    unusable = [l for l in links if not {"UP", "LOWER_UP"} <= set(l["flags"])]
    return len(links), len(unusable)


def writes_go_on_through_nic2(rig, tmp_path, url, byid, size):
    src = random_file(tmp_path / "src", size)
    rc, err = finished(dd(f"if={src}", f"of={byid}", "oflag=direct", "conv=notrunc,fsync"), 120)
    assert rc == 0, err
    assert lun_sha256(rig, url, tmp_path, size) == sha256(src)


MAP_POLICY = "failback = immediate\nno_path_retry = fail\n"


def test_nic1_down_while_its_events_are_dropped(rig, tmp_path):
    size = 32 * MiB
    url, byid, _ = start_map(rig, tmp_path, size, MAP_POLICY, record=SLOW_NOOP)
    resumed = nic1_lost_in_a_burst(rig, lambda: nic(rig.lab, "p1", "down"))
    devices, unusable = dropped_at_once(rig, resumed, "is down")
    # the burst's pairs are gone: lo, fo1 (down) and fo2, and whatever the kernel puts in
    # every namespace (tunnels' fallback devices, down)
    assert (devices, unusable) == table_now(rig), rig.daemon.text()
    writes_go_on_through_nic2(rig, tmp_path, url, byid, size)
    nic(rig.lab, "p1", "up")
    wait_states(rig, BOTH_UP, 60)


def test_nic1_deleted_while_its_events_are_dropped(rig, tmp_path):
    size = 32 * MiB
    url, byid, _ = start_map(rig, tmp_path, size, MAP_POLICY, record=SLOW_NOOP)
    lab = rig.lab

    def recreate_nic1():
        """fo1 as the lab made it: the iface binds by name, so its session gets back on it."""
        if "fo1" not in sh("ip", "-n", lab.host, "-o", "link", "show"):
            sh("ip", "-n", lab.host, "link", "add", "fo1", "type", "veth", "peer", "name", "ft1",
               "netns", lab.target)
            lab.addr(lab.host, "fo1", f"{lab.net}.1.1/24")
            lab.addr(lab.target, "ft1", f"{PORTALS['p1']}/24")
            sh("ip", "-n", lab.target, "link", "set", "ft1", "up")
            nic(lab, "p1", "up")
            lab.wait_carrier("fo1")

    try:
        resumed = nic1_lost_in_a_burst(
            rig, lambda: sh("ip", "-n", lab.host, "link", "del", NICS["p1"]))
        devices, unusable = dropped_at_once(rig, resumed, "is gone")
        assert (devices, unusable) == table_now(rig), rig.daemon.text()   # fo1 not among them
        writes_go_on_through_nic2(rig, tmp_path, url, byid, size)
    finally:
        recreate_nic1()   # also for the rig's finalizer, which sets fo1 up
    wait_states(rig, BOTH_UP, 60)
    # its session is on the new fo1 now, and the link watch follows it there: the new fo1
    # going down drops the session at once too
    nic(lab, "p1", "down")
    gone = re.compile(r"^swiscsid: warning: network device fo1 went down: session \d+'s "
                      r"connection dropped$", re.M)
    down = time.monotonic()
    while not gone.search(rig.daemon.text()):
        assert time.monotonic() - down < 10, rig.daemon.text()
        time.sleep(0.05)
