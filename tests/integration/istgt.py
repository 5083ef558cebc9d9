"""A private istgt (the second target implementation) for one test: its configuration in the
test's directory, free loopback ports, readiness by connecting, cleanup by pid."""
import os
import signal
import socket
import subprocess
import time

from tgt import free_tcp_port

GLOBAL = {
    "MaxOutstandingR2T": 16, "FirstBurstLength": 262144, "MaxBurstLength": 1048576,
    "MaxRecvDataSegmentLength": 262144, "InitialR2T": "Yes", "ImmediateData": "Yes",
}


class Istgt:
    def __init__(self, workdir):
        self.dir = str(workdir)
        self.port = free_tcp_port()
        self.ctl_port = free_tcp_port()
        self.units = []
        self.global_params = dict(GLOBAL)
        self.auth = []
        self.proc = None

    @property
    def portal(self):
        return f"127.0.0.1:{self.port}"

    def unit(self, name, sizes_mb=(16,), chap=None):
        """A target NAME with one LUN per size; chap = None, "CHAP" or "CHAP Mutual"."""
        luns = []
        for i, mb in enumerate(sizes_mb):
            path = os.path.join(self.dir, f"{name}-lun{i}")
            with open(path, "wb") as f:
                f.truncate(mb << 20)
            luns.append((path, mb))
        self.units.append((name, luns, chap))
        return f"iscsi://{self.portal}/iqn.2026-11.test.istgt:{name}"

    def user(self, user, secret, target_user=None, target_secret=None):
        self.auth.append((user, secret, target_user, target_secret))

    def _config(self):
        g = "\n".join(f"  {k} {v}" for k, v in self.global_params.items())
        lines = [f"""[Global]
  NodeBase "iqn.2026-11.test.istgt"
  PidFile {self.dir}/istgt.pid
  AuthFile {self.dir}/auth.conf
  MediaDirectory {self.dir}
  LogFacility "local7"
  Timeout 30
  NopInInterval 20
  DiscoveryAuthMethod None
  MaxSessions 16
  MaxConnections 4
{g}
[UnitControl]
  AuthMethod CHAP Mutual
  AuthGroup AuthGroup1
  Portal UC1 127.0.0.1:{self.ctl_port}
  Netmask 127.0.0.1
[PortalGroup1]
  Portal DA1 127.0.0.1:{self.port}
[InitiatorGroup1]
  InitiatorName "ALL"
  Netmask 127.0.0.1/32
"""]
        for n, (name, luns, chap) in enumerate(self.units, start=1):
            lines.append(f"[LogicalUnit{n}]\n  TargetName {name}\n  Mapping PortalGroup1 InitiatorGroup1\n"
                         f"  AuthMethod {chap or 'None'}\n  AuthGroup AuthGroup1\n  UseDigest Auto\n"
                         "  UnitType Disk\n")
            for i, (path, mb) in enumerate(luns):
                lines.append(f"  LUN{i} Storage {path} {mb}MB\n")
        return "".join(lines)

    def _auth(self):
        out = ["[AuthGroup1]\n"]
        for user, secret, tuser, tsecret in self.auth or [("nobody", "nobodysecret1", None, None)]:
            extra = f' "{tuser}" "{tsecret}"' if tuser else ""
            out.append(f'  Auth "{user}" "{secret}"{extra}\n')
        return "".join(out)

    def start(self):
        conf = os.path.join(self.dir, "istgt.conf")
        with open(conf, "w") as f:
            f.write(self._config())
        with open(os.path.join(self.dir, "auth.conf"), "w") as f:
            f.write(self._auth())
        self.log = open(os.path.join(self.dir, "istgt.log"), "w")
        self.proc = subprocess.Popen(["istgt", "-c", conf, "-D"], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"istgt exited with {self.proc.returncode}: see {self.log.name}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            try:
                self.proc.wait(timeout=0.05)  # a short pause that also notices an early exit
            except subprocess.TimeoutExpired:
                pass
        raise RuntimeError("istgt did not start listening in 15 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # istgt takes seconds to wind down on SIGTERM; it holds nothing a test needs kept
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc:
            self.log.close()
