"""Two network namespaces joined by veth pairs: the host side, where swiscsiadm runs, and the
target side that answers. Every address lives inside namespaces this object created, and
close() deletes them (which destroys their devices), also after a failed test.

    host ns  h0 10.91.1.1/24 fd91:1::1/64  ====  t0 10.91.1.254/24 fd91:1::fe/64  target ns
             h1 10.91.2.1/24               ====  t1 10.91.2.254/24
             h2 10.91.3.1/24               ====  t2 -+ br0 10.91.3.254/24
             h3 10.91.3.2/24               ====  t3 -+   (h2 and h3 share one subnet)
             hdown (10.91.9.1/24, down), hbare (up, no address): each one end of a veth pair
"""
import contextlib
import json
import os
import pathlib
import secrets
import subprocess
import sys
import time

TARGET_V4 = {"h0": "10.91.1.254", "h1": "10.91.2.254", "h2": "10.91.3.254", "h3": "10.91.3.254"}
TARGET_V6 = "fd91:1::fe"


def sh(*args, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


class NetLab:
    def __init__(self, name=""):
        """name: a word in the namespaces' names (swi-<name>h-..., swi-<name>t-...), so that a
        leftover one says which lab made it."""
        tag = f"{os.getpid() % 100000}-{secrets.token_hex(2)}"
        self.host = f"swi-{name}h-{tag}"
        self.target = f"swi-{name}t-{tag}"
        self.created = []
        try:
            self._namespaces()
            self._build()
        except BaseException:
            self.close()
            raise

    def _namespaces(self):
        for ns in (self.host, self.target):
            sh("ip", "netns", "add", ns)
            self.created.append(ns)
            # IPv6 stays off on devices unless a test turns it on: no router solicitations or
            # MLD reports, so the per-device packet counters move only with the test's traffic.
            self.sysctl(ns, "net.ipv6.conf.default.disable_ipv6", 1)
            sh("ip", "-n", ns, "link", "set", "lo", "up")

    def _build(self):
        sh("ip", "-n", self.target, "link", "add", "br0", "type", "bridge", "stp_state", "0")
        for i in range(4):
            sh("ip", "-n", self.host, "link", "add", f"h{i}", "type", "veth", "peer", "name",
               f"t{i}", "netns", self.target)
        self.sysctl(self.host, "net.ipv6.conf.h0.disable_ipv6", 0)
        self.sysctl(self.target, "net.ipv6.conf.t0.disable_ipv6", 0)
        self.addr(self.host, "h0", "10.91.1.1/24")
        self.addr(self.host, "h0", "fd91:1::1/64", "nodad")
        self.addr(self.host, "h1", "10.91.2.1/24")
        self.addr(self.host, "h2", "10.91.3.1/24")
        self.addr(self.host, "h3", "10.91.3.2/24")
        self.addr(self.target, "t0", "10.91.1.254/24")
        self.addr(self.target, "t0", TARGET_V6 + "/64", "nodad")
        self.addr(self.target, "t1", "10.91.2.254/24")
        for t in ("t2", "t3"):
            sh("ip", "-n", self.target, "link", "set", t, "master", "br0")
        self.addr(self.target, "br0", "10.91.3.254/24")
        for dev in ("br0", "t0", "t1", "t2", "t3"):
            sh("ip", "-n", self.target, "link", "set", dev, "up")
        for dev in ("h0", "h1", "h2", "h3"):
            sh("ip", "-n", self.host, "link", "set", dev, "up")
        # (veth pairs rather than dummy devices: container kernels often lack the dummy module)
        sh("ip", "-n", self.host, "link", "add", "hdown", "type", "veth", "peer", "name", "hdownp")
        self.addr(self.host, "hdown", "10.91.9.1/24")
        sh("ip", "-n", self.host, "link", "add", "hbare", "type", "veth", "peer", "name", "hbarep")
        for dev in ("hbare", "hbarep"):
            sh("ip", "-n", self.host, "link", "set", dev, "up")

    def addr(self, ns, dev, cidr, *flags):
        sh("ip", "-n", ns, "addr", "add", cidr, "dev", dev, *flags)

    def sysctl(self, ns, key, value):
        sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}")

    def mac(self, dev):
        return json.loads(sh("ip", "-n", self.host, "-j", "link", "show", "dev", dev))[0]["address"]

    def echo_counter(self):
        """Counts, per host-side device, the echo requests that left and the echo replies that
        arrived while the block ran: yields a dict filled in {"out": {dev: n}, "in": {...}}."""
        return self._counter("echo")

    def tcp_counter(self, port):
        """Counts, per host-side device, TCP segments sent to and received from port."""
        return self._counter("tcp", str(port))

    @contextlib.contextmanager
    def _counter(self, *what):
        script = pathlib.Path(__file__).with_name("packet_count.py")
        proc = subprocess.Popen(["ip", "netns", "exec", self.host, sys.executable, str(script),
                                 *what],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        result = {}
        try:
            assert proc.stdout.readline().strip() == "ready", "packet_count.py did not start"
            yield result
            out, _ = proc.communicate(timeout=10)   # closes stdin: the counter's stop signal
            counts = json.loads(out)
            result.update(counts)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    @property
    def prefix(self):
        return ("ip", "netns", "exec", self.host)

    def close(self):
        for ns in reversed(self.created):
            # nothing is left running in them; kill by pid anything that is, then delete
            for pid in sh("ip", "netns", "pids", ns, check=False).split():
                subprocess.run(["kill", "-9", pid], capture_output=True)
            sh("ip", "netns", "del", ns, check=False)
        self.created = []


class TwoNicLab(NetLab):
    """Two NICs and nothing else, for multipath: host devs[i] {net}.{i+1}.1/24 ==== its target
    side peers[i] {net}.{i+1}.254/24, one veth pair each, up with carrier."""

    def __init__(self, name, devs, peers, net):
        self.devs, self.peers, self.net = devs, peers, net
        super().__init__(name)

    def _build(self):
        for i, (dev, peer) in enumerate(zip(self.devs, self.peers)):
            sh("ip", "-n", self.host, "link", "add", dev, "type", "veth", "peer", "name", peer,
               "netns", self.target)
            self.addr(self.host, dev, f"{self.net}.{i + 1}.1/24")
            self.addr(self.target, peer, f"{self.net}.{i + 1}.254/24")
            sh("ip", "-n", self.target, "link", "set", peer, "up")
            sh("ip", "-n", self.host, "link", "set", dev, "up")
        for dev in self.devs:
            self.wait_carrier(dev)

    def wait_carrier(self, dev, seconds=10):
        """A veth just set up has no carrier for a moment: swiscsiadm refuses such a NIC."""
        deadline = time.monotonic() + seconds
        while "LOWER_UP" not in sh("ip", "-n", self.host, "link", "show", "dev", dev):
            assert time.monotonic() < deadline, f"{dev}: no carrier after {seconds} s"
            time.sleep(0.05)


@contextlib.contextmanager
def lab_with_tgtd(workdir, addresses, targets):
    """A NetLab with a tgtd in its target namespace listening on addresses and serving
    targets (tids 1..); both are torn down afterwards, also after a failure."""
    from tgt import Tgtd
    lab = NetLab()
    tgtd = None
    try:
        tgtd = Tgtd(str(workdir), netns=lab.target, addresses=addresses)
        tgtd.start()
        for tid, iqn in enumerate(targets, start=1):
            tgtd.target(tid, iqn)
        yield lab
    finally:
        if tgtd:
            tgtd.stop()
        lab.close()
