"""A private tgtd for one test: its own control port and iSCSI port on loopback, readiness by
polling tgtadm (never a fixed sleep), and cleanup by pid that also runs when the test fails."""
import os
import random
import socket
import subprocess
import time


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_control_port():
    # tgtd's control "port" names a unix socket, /var/run/tgtd/socket.N; it must be small
    for _ in range(200):
        n = random.randint(100, 9999)
        if not os.path.exists(f"/var/run/tgtd/socket.{n}"):
            return n
    raise RuntimeError("no free tgtd control port")


class Tgtd:
    """netns: run inside that network namespace, listening on `addresses` (port 3260, the
    namespace is private); else on a free port of 127.0.0.1."""

    def __init__(self, workdir, netns=None, addresses=("127.0.0.1",)):
        self.workdir = workdir
        self.ctl = free_control_port()
        self.netns = netns
        self.addresses = list(addresses)
        self.port = 3260 if netns else free_tcp_port()
        self.proc = None
        self.start_cmd_prefix = []   # e.g. ["taskset", "-c", "1"] to pin it for benchmarks
        if netns:
            self.start_cmd_prefix = ["ip", "netns", "exec", netns]
        self.log = open(os.path.join(workdir, f"tgtd-{self.ctl}-{self.port}.log"), "w")

    @property
    def portal(self):
        return f"{self.addresses[0]}:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [*self.start_cmd_prefix, "tgtd", "-f", "-C", str(self.ctl), "--iscsi",
             f"portal={self.addresses[0]}:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tgtd exited with {self.proc.returncode}")
            r = subprocess.run(["tgtadm", "-C", str(self.ctl), "--op", "show", "--mode", "system"],
                               capture_output=True, text=True)
            if r.returncode == 0 and self._listening():
                for extra in self.addresses[1:]:
                    self.adm("--op", "new", "--mode", "portal", "--param",
                             f"portal={extra}:{self.port}")
                return self
            try:
                self.proc.wait(timeout=0.05)  # doubles as a short pause between polls
            except subprocess.TimeoutExpired:
                pass
        raise RuntimeError("tgtd did not become ready in 15 s")

    def _listening(self):
        if self.netns:
            r = subprocess.run(["ip", "netns", "exec", self.netns, "ss", "-Hltn",
                                f"sport = :{self.port}"], capture_output=True, text=True)
            return bool(r.stdout.strip())
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def adm(self, *args):
        r = subprocess.run(["tgtadm", "-C", str(self.ctl), "--lld", "iscsi", *args],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, f"tgtadm {args}: {r.stderr}"
        return r.stdout

    def target(self, tid, iqn, luns=(("null", "/dev/null"),), **params):
        """A target with LUNs 1.. backed by (bstype, path) pairs, open to every initiator."""
        self.adm("--op", "new", "--mode", "target", "--tid", str(tid), "-T", iqn)
        for i, (bstype, path) in enumerate(luns, start=1):
            self.adm("--op", "new", "--mode", "logicalunit", "--tid", str(tid), "--lun", str(i),
                     "--bstype", bstype, "-b", path)
        self.adm("--op", "bind", "--mode", "target", "--tid", str(tid), "-I", "ALL")
        for key, value in params.items():
            self.adm("--op", "update", "--mode", "target", "--tid", str(tid), "--name", key,
                     "--value", str(value))
        return f"iscsi://{self.portal}/{iqn}"

    def chap(self, tid, user, password, outgoing=False):
        self.adm("--op", "new", "--mode", "account", "--user", user, "--password", password)
        args = ["--op", "bind", "--mode", "account", "--tid", str(tid), "--user", user]
        self.adm(*args, *(["--outgoing"] if outgoing else []))

    def restart(self):
        """SIGKILL, then a new tgtd on the same control and iSCSI ports: a target crash and
        its restart. The new one knows no targets: the caller defines them again."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._remove_control_socket()
        return self.start()

    def _remove_control_socket(self):
        for leftover in (f"/var/run/tgtd/socket.{self.ctl}", f"/var/run/tgtd/socket.{self.ctl}.lock"):
            if os.path.exists(leftover):
                os.unlink(leftover)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # tgtd ignores SIGTERM and refuses a system delete while targets exist; it keeps
            # nothing worth a clean shutdown here, so it is killed by its pid
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._remove_control_socket()
        self.log.close()


def backing_file(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return str(path)
