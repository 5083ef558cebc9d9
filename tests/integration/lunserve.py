"""Runs tests/lunfs/lunfs-serve (the LUN filesystem's test driver) for one test: readiness from
its own "ready" line, and cleanup by pid that also unmounts and detaches loop devices when the
test failed half-way."""
import os
import pathlib
import selectors
import signal
import subprocess
import time

import pytest

from conftest import BUILD, SANITIZER_MARKS

SERVE = BUILD / "tests" / "lunfs-serve"
READY_BOUND_S = 120   # a bound on a hung driver, never a pass/fail timing


def mounted(path):
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == str(path) for line in f)


def loop_backing(dev):
    name = os.path.basename(dev)
    try:
        return pathlib.Path(f"/sys/block/{name}/loop/backing_file").read_text().strip()
    except OSError:
        return None


def loops_over(prefix):
    """Loop devices whose backing file lies under prefix."""
    out = []
    for entry in pathlib.Path("/sys/block").glob("loop*"):
        backing = loop_backing(entry.name)
        if backing and backing.startswith(str(prefix)):
            out.append(f"/dev/{entry.name}")
    return out


class LunServer:
    def __init__(self, workdir, urls, conf=None, iface=None, mount=None):
        self.workdir = pathlib.Path(workdir)
        self.mount = pathlib.Path(mount) if mount else self.workdir / "disks"
        self.urls = list(urls)
        self.conf = self.workdir / "swiscsid.conf"
        self.conf.write_text(conf or "")
        self.iface = iface
        self.proc = None
        self.devices = []
        self.log_path = self.workdir / "lunfs-serve.log"

    def start(self):
        args = [str(SERVE)] + (["-I", self.iface] if self.iface else []) + [str(self.mount)]
        env = dict(os.environ, SWISCSI_DAEMON_CONF=str(self.conf))
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args + self.urls, stdout=subprocess.PIPE, stderr=self.log,
                                     env=env, bufsize=0)
        self.pending = b""
        self.devices = self._read_devices()
        return self

    def _lines(self):
        """The driver's output lines as they come (unbuffered: select sees every byte)."""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_BOUND_S
        try:
            while time.monotonic() < deadline:
                while b"\n" in self.pending:
                    line, self.pending = self.pending.split(b"\n", 1)
                    yield line.decode()
                if not sel.select(timeout=1):
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError(f"lunfs-serve exited ({self.proc.wait()}): {self.logtext()}")
                self.pending += chunk
        finally:
            sel.close()
        raise RuntimeError(f"lunfs-serve not ready in {READY_BOUND_S} s: {self.logtext()}")

    def _read_devices(self):
        devices = []
        for line in self._lines():
            words = line.split()
            if words == ["ready"]:
                return devices
            lun, file, loop, blocks, bs, mode = words[1:]
            devices.append({"lun": int(lun), "file": file, "loop": None if loop == "-" else loop,
                            "blocks": int(blocks), "block_size": int(bs), "ro": mode == "ro"})

    def rescan(self):
        self.proc.send_signal(signal.SIGUSR1)
        self.devices = self._read_devices()
        return self.devices

    def logtext(self):
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def stop(self):
        """SIGTERM: detach, unmount, log out. Returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.proc.stdout.close()
        self.log.close()
        for mark in SANITIZER_MARKS:
            assert mark not in self.log_path.read_text(), self.log_path.read_text()
        return rc

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for dev in loops_over(self.mount):
            subprocess.run(["losetup", "-d", dev], capture_output=True)
        if mounted(self.mount):
            subprocess.run(["umount", "-l", str(self.mount)], capture_output=True)


@pytest.fixture
def lunserve(request, tmp_path):
    """Starts lunfs-serve over URLs (a factory); whatever happens, the driver is killed by pid,
    its loop devices detached and its mount removed after the test."""
    made = []

    def start(urls, conf=None, iface=None, mount=None):
        d = tmp_path / f"serve{len(made)}"
        d.mkdir(exist_ok=True)
        s = LunServer(d, urls, conf=conf, iface=iface, mount=mount)
        made.append(s)
        return s.start()

    def cleanup():
        for s in made:
            s.cleanup()
    request.addfinalizer(cleanup)
    return start
