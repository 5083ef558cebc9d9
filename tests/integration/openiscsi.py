"""Runs Debian's real open-iscsi `iscsiadm` against a private database, never the machine's.

Every call happens in a fresh mount + network namespace (`unshare --mount --net`) where a
temporary directory is bind-mounted over /etc/iscsi (Debian's DBROOT), another over /run/lock
(iscsiadm's lock files) and a fake sysfs tree over /sys. The namespace dies with the
command, so nothing outside the temporary directory is ever written.

The /sys is the committed fixture tree tests/fixtures/sysfs/none (the tcp transport loaded, no
iSCSI hosts): iscsiadm `-o update` needs `/sys/class/iscsi_transport/tcp/handle`, which only a
tree with the kernel's symlinks gives. iscsiadm only reads it.
"""
import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import FIXTURES, Result, require

ISCSIADM = shutil.which("iscsiadm") or "/usr/sbin/iscsiadm"
# The node settings Debian's shipped /etc/iscsi/iscsid.conf makes (two of them differ from
# iscsiadm's compiled-in defaults), written here rather than copied from the machine, so that
# nothing depends on, or reads, the machine's own /etc/iscsi. iscsid.startup is a harmless
# command: without iscsid, iscsiadm would otherwise try to start the real one.
ISCSID_CONF = """\
iscsid.startup = /bin/true
node.startup = manual
node.leading_login = No
node.session.timeo.replacement_timeout = 120
node.conn[0].timeo.login_timeout = 15
node.conn[0].timeo.logout_timeout = 15
node.conn[0].timeo.noop_out_interval = 5
node.conn[0].timeo.noop_out_timeout = 5
node.session.err_timeo.abort_timeout = 15
node.session.err_timeo.lu_reset_timeout = 30
node.session.err_timeo.tgt_reset_timeout = 30
node.session.err_timeo.host_reset_timeout = 60
node.session.initial_login_retry_max = 8
node.session.cmds_max = 128
node.session.queue_depth = 32
node.session.xmit_thread_priority = -20
node.session.iscsi.InitialR2T = No
node.session.iscsi.ImmediateData = Yes
node.session.iscsi.FirstBurstLength = 262144
node.session.iscsi.MaxBurstLength = 16776192
node.conn[0].iscsi.MaxRecvDataSegmentLength = 262144
node.conn[0].iscsi.MaxXmitDataSegmentLength = 0
discovery.sendtargets.iscsi.MaxRecvDataSegmentLength = 32768
node.session.nr_sessions = 1
node.session.reopen_max = 0
node.session.iscsi.FastAbort = Yes
node.session.scan = auto
"""
VERSION = "2.1.8"

# Mount failures get their own exit codes so that a broken namespace can never be mistaken
# for an iscsiadm result.
MOUNT_FAILED = {90: "/etc/iscsi", 91: "/run/lock", 92: "/sys", 93: "the namespace's loopback"}
INNER = """
mount --bind "$1" /etc/iscsi || exit 90
mount --bind "$2" /run/lock || exit 91
mount --bind "$3" /sys || exit 92
shift 3
exec "$@"
"""


def check_tools():
    """Fails the test (never skips) when open-iscsi 2.1.8 or the namespace tools are missing."""
    require(os.geteuid() == 0, "root (mount namespaces)")
    require(shutil.which("unshare") is not None, "unshare (util-linux)")
    require(os.path.isfile(ISCSIADM), "iscsiadm (Debian package open-iscsi)")
    version = subprocess.run([ISCSIADM, "--version"], capture_output=True, text=True).stdout
    require(version.strip().endswith(" " + VERSION), f"open-iscsi {VERSION} (found {version!r})")


class OpenIscsi:
    """iscsiadm with DBROOT = ROOT/db, the same directory swiscsiadm's Adm(ROOT) uses."""

    def __init__(self, root):
        check_tools()
        self.root = pathlib.Path(root)
        self.db = self.root / "db"
        self.lock = self.root / "lock"
        self.db.mkdir(parents=True, exist_ok=True)
        self.lock.mkdir(exist_ok=True)
        self.sysfs = FIXTURES / "none"
        self._write_config()

    def _write_config(self):
        (self.db / "iscsid.conf").write_text(ISCSID_CONF)
        (self.db / "initiatorname.iscsi").write_text("InitiatorName=iqn.2026-11.test.openiscsi:host\n")

    def run(self, *args, timeout=60, loopback=False):
        """loopback: bring up the namespace's own lo first, so that a connection to 127.0.0.1
        is refused there (nothing listens) instead of failing as unreachable."""
        inner = ("ip link set lo up || exit 93\n" if loopback else "") + INNER
        cmd = ["unshare", "--mount", "--net", "--propagation", "private",
               "sh", "-c", inner, "sh", str(self.db), str(self.lock), str(self.sysfs),
               ISCSIADM, *args]
        env = dict(os.environ, LC_ALL="C")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode in MOUNT_FAILED:
            pytest.fail(f"could not bind-mount over {MOUNT_FAILED[proc.returncode]}: {proc.stderr}")
        return Result(proc)

    def iface_file(self, name):
        return self.db / "ifaces" / name
