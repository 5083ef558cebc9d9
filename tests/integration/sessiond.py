"""swiscsid for one test: its own run directory in the test's temp dir, the test's database,
readiness by connecting to its control socket (never a fixed sleep), stopped by pid in a
finalizer, and its log checked for sanitizer findings and for secrets it must never hold."""
import os
import pathlib
import signal
import socket
import subprocess
import time

from conftest import BUILD, SANITIZER_MARKS

SWISCSID = BUILD / "daemon" / "swiscsid"


class Daemon:
    def __init__(self, adm, rundir=None, prefix=()):
        self.adm = adm
        self.prefix = list(prefix)   # e.g. ("ip", "netns", "exec", NS): `ip` execs the daemon
        self.rundir = pathlib.Path(rundir or adm.rundir)
        self.logpath = adm.root / f"swiscsid-{time.monotonic_ns()}.log"
        self.proc = None
        self.forbidden = []   # strings (secrets) that must never appear in the log

    @property
    def env(self):
        env = self.adm.env
        env["SWISCSI_RUNDIR"] = str(self.rundir)
        # swiscsi's own settings: a file the test may write, never the machine's
        env["SWISCSI_DAEMON_CONF"] = str(self.adm.root / "swiscsid.conf")
        return env

    @property
    def pid(self):
        return self.proc.pid

    @property
    def socket_path(self):
        return self.rundir / "swiscsid.sock"

    def start(self, wait=True):
        self.log = open(self.logpath, "w")
        self.proc = subprocess.Popen([*self.prefix, str(SWISCSID), "--foreground"], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"swiscsid exited with {self.proc.returncode}:\n{self.text()}")
            with socket.socket(socket.AF_UNIX) as s:
                if s.connect_ex(str(self.socket_path)) == 0:
                    return
            try:
                self.proc.wait(timeout=0.02)  # a short pause between polls that ends on exit
            except subprocess.TimeoutExpired:
                pass
        raise RuntimeError("swiscsid did not open its socket in 15 s")

    def text(self):
        return self.logpath.read_text() if self.logpath.exists() else ""

    def wait_log(self, needle, seconds=30):
        """Until needle appears in the log (something the daemon does on its own)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            if self.proc.poll() is not None:
                break
            try:
                self.proc.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        raise AssertionError(f"{needle!r} not in the daemon's log:\n{self.text()}")

    def terminate(self, timeout=10):
        """SIGTERM: the daemon logs every session out and exits 0 within 10 s."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self.log.close()
        return rc

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # SIGTERM first: a clean exit, and time for a sanitizer report to be written out
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc and not self.log.closed:
            self.log.close()
        self.check_log()

    def check_log(self):
        text = self.text()
        for mark in SANITIZER_MARKS:
            assert mark not in text, f"sanitizer finding in swiscsid's log:\n{text}"
        for secret in self.forbidden:
            assert secret not in text, "a secret reached swiscsid's log"
