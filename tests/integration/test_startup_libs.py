"""libcrypto is loaded only when CHAP needs it (lib/crypto_load.c): record operations never
open it, a CHAP login does. Counted from strace's openat lines, never timed. Loading it at
start-up was 2.6 of the 3.0 million instructions of a one-record `swiscsiadm -m node`."""
import os
import re
import shutil
import subprocess

import pytest

import node_db_gen
from conftest import SWISCSIADM, TOOLS, require
from faketarget import FakeTarget

LIBCRYPTO = re.compile(r'^\d+\s+openat\(.*"[^"]*/libcrypto\.so[^"]*"', re.M)
LIBC = re.compile(r'^\d+\s+openat\(.*"[^"]*/libc\.so\.6"', re.M)
ONE = node_db_gen.target_name(0)
PORTAL = node_db_gen.target_address(0)


def traced(argv, env, tmp_path):
    """(process, strace's openat lines) of one run, children included."""
    require(shutil.which("strace") is not None, "strace (Debian package strace)")
    log = tmp_path / "openat.log"
    env = dict(env)
    # LeakSanitizer cannot run under a tracer (the ASan build)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    proc = subprocess.run(["strace", "-f", "-e", "trace=openat", "-o", str(log), *map(str, argv)],
                          env=env, capture_output=True, text=True, timeout=60)
    opened = log.read_text()
    # the trace does see the loader open libraries, so an absent libcrypto means something
    assert LIBC.search(opened), opened
    return proc, opened


@pytest.mark.parametrize("args", [("-m", "node"), ("-m", "node", "-T", ONE, "-p", PORTAL)],
                         ids=["list", "show"])
def test_record_operations_do_not_load_libcrypto(adm, tmp_path, args):
    node_db_gen.build(SWISCSIADM, adm.db, 1, env=adm.env)
    proc, opened = traced([SWISCSIADM, *args], adm.env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert ONE in proc.stdout
    assert not LIBCRYPTO.search(opened), opened


def test_chap_login_loads_libcrypto(tmp_path):
    t = FakeTarget(chap=dict(user="alice", secret="alicesecret12", algs=[7])).start()
    try:
        env = dict(os.environ, SWISCSI_CHAP_USERNAME="alice",
                   SWISCSI_CHAP_PASSWORD="alicesecret12")
        proc, opened = traced([TOOLS / "swiscsi-readcap", "-i", "iqn.2026-11.test.swiscsi:libs",
                               "-n", t.url()], env, tmp_path)
    finally:
        t.stop()
    assert not t.errors, t.errors
    assert proc.returncode == 0, proc.stderr
    assert "CHAP: SHA256" in proc.stdout, proc.stdout
    assert len(LIBCRYPTO.findall(opened)) == 1, opened
