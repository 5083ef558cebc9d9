"""Shared fixtures for swiscsi's integration tests: the built binaries and a private database.

Every test gets its own temporary record database, initiator-name file and (empty) sysfs root,
so nothing ever reads or writes the machine's /etc/iscsi, /var/lib/iscsi or /sys.
"""
import fcntl
import os
import pathlib
import shutil
import signal
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("SWISCSI_BUILD", REPO / "build"))
SWISCSIADM = BUILD / "cli" / "swiscsiadm"
# Fake /sys trees of offload HBAs with golden output, committed with real symlinks
FIXTURES = REPO / "tests" / "fixtures" / "sysfs"


def require(condition, what):
    """A test that needs something absent fails, loudly, naming it: scripts/install-deps.sh
    installs everything, so a missing tool is a broken machine, never a pass or a skip."""
    if not condition:
        pytest.fail(f"required for this test and missing: {what} (run scripts/install-deps.sh)")


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr
        # Under the ASan+UBSan build a finding fails the test that caused it, whatever the
        # test itself checks.
        for mark in SANITIZER_MARKS:
            assert mark not in (self.err or ""), f"sanitizer finding:\n{self.err}"

    def __repr__(self):
        return f"<rc={self.rc} out={self.out!r} err={self.err!r}>"


class Adm:
    """Runs swiscsiadm against a private database."""

    def __init__(self, root, sysfs=None):
        self.root = pathlib.Path(root)
        self.db = self.root / "db"
        self.initiatorname = self.root / "initiatorname.iscsi"
        self.initiatorname.write_text("InitiatorName=iqn.2026-11.test.swiscsi:host\n")
        if sysfs is None:
            sysfs = self.root / "sysfs"
            sysfs.mkdir(exist_ok=True)
        self.sysfs = pathlib.Path(sysfs)
        # swiscsid's run directory (pid file, control socket): never the machine's /run/swiscsi
        self.rundir = self.root / "run"

    @property
    def env(self):
        env = dict(os.environ)
        # SWISCSI_CONF names a file the test may write; absent, the built-in defaults apply
        env.update(SWISCSI_DB=str(self.db), SWISCSI_INITIATORNAME_FILE=str(self.initiatorname),
                   SWISCSI_CONF=str(self.root / "iscsid.conf"),
                   SWISCSI_SYSFS=str(self.sysfs), SWISCSI_RUNDIR=str(self.rundir), LC_ALL="C")
        return env

    def run(self, *args, prefix=(), timeout=60):
        proc = subprocess.run([*prefix, str(SWISCSIADM), *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        return Result(proc)

    def iface_file(self, name):
        return self.db / "ifaces" / name


@pytest.fixture(scope="session", autouse=True)
def built():
    assert SWISCSIADM.is_file(), f"build swiscsiadm first (looked for {SWISCSIADM})"


def own_daemon(pid, rundir):
    """pid is a swiscsid running on rundir (not some other process that got the number)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return False
    return f"SWISCSI_RUNDIR={rundir}".encode() in env


def stop_daemon_in(rundir):
    """Kills, by the pid in its pid file, a swiscsid left running in rundir (one a test's
    swiscsiadm started on its own), so that no test leaves a daemon behind."""
    pidfile = pathlib.Path(rundir) / "swiscsid.pid"
    try:
        fd = os.open(pidfile, os.O_RDONLY)
    except OSError:
        fd = None
    if fd is not None:
        try:
            # the daemon holds a lock on its pid file while it lives: when the lock can be had,
            # the pid in the file is stale (and may be another process's by now): kill nothing
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alive = False
        except BlockingIOError:
            alive = True
        finally:
            os.close(fd)
        try:
            pid = int(pidfile.read_text().split()[0]) if alive else None
        except (OSError, ValueError, IndexError):
            pid = None
        if pid and own_daemon(pid, rundir):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    # a killed daemon leaves its LUN filesystem mounted (ENOTCONN): take it away too
    disks = str(pathlib.Path(rundir) / "disks")
    with open("/proc/self/mounts") as mounts:
        if any(line.split()[1] == disks for line in mounts):
            subprocess.run(["umount", "-l", disks], capture_output=True, timeout=30)


@pytest.fixture(scope="session", autouse=True)
def private_rundir(tmp_path_factory):
    """Anything started outside an Adm (a tool, a helper script) still never uses the machine's
    /run/swiscsi."""
    rundir = tmp_path_factory.mktemp("rundir")
    os.environ["SWISCSI_RUNDIR"] = str(rundir)
    yield
    stop_daemon_in(rundir)


@pytest.fixture
def adm(tmp_path):
    a = Adm(tmp_path)
    yield a
    stop_daemon_in(a.rundir)


def have(tool):
    return shutil.which(tool) is not None


TOOLS = BUILD / "tools"


def tool(name, *args, env=None, timeout=120, input=None, binary=False):
    """Runs a swiscsi-* tool; returns a Result (out as bytes when binary)."""
    full_env = dict(os.environ)
    # a lost connection fails at once unless a test asks for recovery (test_recovery.py): the
    # tests that check how a failure is reported keep their meaning
    full_env["SWISCSI_REPLACEMENT_TIMEOUT_MS"] = "0"
    full_env.update(env or {})
    proc = subprocess.run([str(TOOLS / name), *args], env=full_env, capture_output=True,
                          timeout=timeout, input=input)
    out = proc.stdout if binary else proc.stdout.decode(errors="replace")
    return Result(subprocess.CompletedProcess(proc.args, proc.returncode, out,
                                              proc.stderr.decode(errors="replace")))


@pytest.fixture
def tgtd(request, tmp_path):
    """A private tgtd on a free loopback port, stopped by pid whatever the test's outcome."""
    require(have("tgtd") and have("tgtadm"), "tgtd and tgtadm (Debian package tgt)")
    require(os.geteuid() == 0, "root (tgtd needs it)")
    from tgt import Tgtd
    t = Tgtd(str(tmp_path))
    request.addfinalizer(t.stop)
    return t.start()


@pytest.fixture
def istgt(request, tmp_path):
    """A private istgt, configured by the test before start(), stopped by pid afterwards."""
    require(have("istgt"), "istgt (Debian package istgt)")
    from istgt import Istgt
    t = Istgt(tmp_path)
    request.addfinalizer(t.stop)
    return t


@pytest.fixture
def fake():
    """fake(**kw) starts a FakeTarget (tests/integration/faketarget.py) on loopback; every one
    is stopped at the end, and an exception in its threads fails the test."""
    from faketarget import FakeTarget
    made = []

    def make(**kw):
        t = FakeTarget(**kw).start()
        made.append(t)
        return t

    yield make
    for t in made:
        t.stop()
    for t in made:
        assert not t.errors, f"the fake target saw: {t.errors}"


@pytest.fixture
def daemon(adm, request):
    """daemon(answer) plays swiscsid on the test's control socket (ctlproto.FakeDaemon:
    answer(kind) -> reply bytes), for replies the real daemon cannot or would never send."""
    from ctlproto import FakeDaemon
    adm.rundir.mkdir(mode=0o700)

    def start(answer):
        d = FakeDaemon(adm.rundir / "swiscsid.sock", answer)
        request.addfinalizer(d.close)
        return d
    return start


@pytest.fixture
def swiscsid(request, adm):
    """A swiscsid on the test's database and its own run directory (not started yet), killed by
    pid afterwards; its log must be free of sanitizer findings."""
    from sessiond import Daemon
    d = Daemon(adm)
    request.addfinalizer(d.stop)
    return d
