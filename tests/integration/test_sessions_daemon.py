"""swiscsid itself: automatic records log in again after a restart and manual ones do not, a
second daemon on the same run directory refuses to start, SIGTERM logs every session out and
exits 0, the control socket refuses other users and answers malformed requests with an error."""
import os
import pathlib
import shutil
import socket
import struct
import subprocess
import tempfile

from ctlproto import MAGIC, VERSION
from sessiond import SWISCSID, Daemon
from tgt import backing_file

T1 = "iqn.2026-12.test.daemon:auto"
T2 = "iqn.2026-12.test.daemon:manual"


def setup_targets(adm, tgtd, tmp_path):
    tgtd.target(1, T1, luns=[("rdwr", backing_file(tmp_path / "lun1", 4 << 20))])
    tgtd.target(2, T2)
    r = adm.run("-m", "discovery", "-t", "st", "-p", tgtd.portal)
    assert r.rc == 0, r
    r = adm.run("-m", "node", "-T", T1, "-o", "update", "-n", "node.startup", "-v", "automatic")
    assert r.rc == 0, r


def connected(tgtd, tid):
    out = tgtd.adm("--op", "show", "--mode", "target")
    block = out.split(f"Target {tid}:")[1].split("\nTarget ")[0]
    return sum(1 for l in block.splitlines() if l.strip().startswith("Initiator:"))


def test_restart_logs_automatic_records_in_again(adm, tgtd, tmp_path, request):
    setup_targets(adm, tgtd, tmp_path)
    for round_ in range(2):
        d = Daemon(adm)
        request.addfinalizer(d.stop)
        d.start()
        d.wait_log(f"automatic login of {T1}")
        assert "session 1" in d.text() and "failed" not in d.text()
        r = adm.run("-m", "session")
        assert r.out.splitlines() == [f"tcp: [1] {tgtd.portal},1 {T1} (non-flash)"], r
        assert (connected(tgtd, 1), connected(tgtd, 2)) == (1, 0)
        # a manual login lives until SIGTERM logs both out
        assert adm.run("-m", "node", "-T", T2, "-l").rc == 0
        assert d.terminate() == 0, d.text()
        assert (connected(tgtd, 1), connected(tgtd, 2)) == (0, 0), round_
        assert "session 1 logged out" in d.text() and "session 2 logged out" in d.text()
        assert not (adm.rundir / "swiscsid.sock").exists()
        assert not (adm.rundir / "swiscsid.pid").exists()


def test_second_daemon_on_the_same_rundir_refuses(adm, swiscsid):
    swiscsid.start()
    r = subprocess.run([str(SWISCSID), "--foreground"], env=swiscsid.env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1, r
    assert f"another swiscsid (pid {swiscsid.pid}) already runs on {adm.rundir}" in r.stderr
    # the first one is untouched
    assert adm.run("-m", "session").rc == 21
    assert (adm.rundir / "swiscsid.sock").exists()
    assert int((adm.rundir / "swiscsid.pid").read_text()) == swiscsid.pid


def test_a_bad_config_file_stops_the_start_with_its_line(adm, swiscsid):
    (adm.root / "swiscsid.conf").write_text("[global]\nloop_devices = sometimes\n")
    for args in (["--foreground"], []):   # daemonising: the message still reaches the terminal
        r = subprocess.run([str(SWISCSID), *args], env=swiscsid.env, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1, r
        assert f"{adm.root}/swiscsid.conf:2:" in r.stderr and "loop_devices" in r.stderr, r
        assert not (adm.rundir / "swiscsid.sock").exists()
        assert not (adm.rundir / "disks").is_mount()


def request(path, payload):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(path))
        s.sendall(payload)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def status_of(reply):
    magic, version, kind, length, _ = struct.unpack_from("<IHHII", reply)
    assert (magic, version) == (MAGIC, VERSION)
    assert len(reply) == 16 + length
    status, sid, n, _ = struct.unpack_from("<iIII", reply, 16)
    message = reply[32:32 + 512].split(b"\0")[0].decode()
    return kind, status, message


def header(kind, length, magic=MAGIC, version=VERSION):
    return struct.pack("<IHHII", magic, version, kind, length, 0)


def test_malformed_requests_get_an_error_reply(adm, swiscsid):
    swiscsid.start()
    sock = swiscsid.socket_path
    kind, status, message = status_of(request(sock, header(1, 0)))
    assert (kind, status) == (0x8001, 0)
    cases = [
        (header(77, 0), "unknown control request kind 77"),
        (header(1, 0, magic=0x1234), "bad magic"),
        (header(1, 0, version=9), "version 9"),
        (header(4, 4) + b"\0" * 4, "expected 8"),
        (header(2, 1 << 20), "more than the 4096 allowed"),
        # a login whose target name fills its field without a terminating NUL
        (header(2, 224 + 64 + 8 + 64) + b"x" * 224 + b"127.0.0.1".ljust(64, b"\0") +
         struct.pack("<ii", 3260, 1) + b"default".ljust(64, b"\0"), "malformed node"),
    ]
    for payload, why in cases:
        kind, status, message = status_of(request(sock, payload))
        assert status == 16 and why in message, (payload[:16], message)
    # a client that hangs up halfway leaves the daemon serving
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(sock))
        s.sendall(header(2, 360)[:10])
    assert adm.run("-m", "session").rc == 21
    assert swiscsid.proc.poll() is None
    # one that stalls halfway is dropped (after 10 s), the others served meanwhile
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(sock))
        s.sendall(header(2, 360) + b"\0" * 20)
        assert adm.run("-m", "session").rc == 21
        swiscsid.wait_log("sent no complete request within 10000 ms; dropped")
        assert s.recv(16) == b""   # closed without a word


def test_other_users_are_refused(adm, request):
    # a run directory others can reach the socket in (pytest's temp dirs are root's only)
    outer = pathlib.Path(tempfile.mkdtemp(prefix="swiscsi-peercred-"))
    request.addfinalizer(lambda: shutil.rmtree(outer))
    os.chmod(outer, 0o755)
    adm.rundir = outer / "run"
    swiscsid = Daemon(adm)
    request.addfinalizer(swiscsid.stop)
    swiscsid.start()
    sock = swiscsid.socket_path
    assert oct(sock.stat().st_mode & 0o777) == "0o600"
    probe = ("import socket, struct, sys\n"
             "s = socket.socket(socket.AF_UNIX)\n"
             "try:\n"
             "    s.connect(sys.argv[1])\n"
             "except PermissionError:\n"
             "    print('EACCES'); sys.exit(0)\n"
             "try:\n"
             f"    s.sendall(struct.pack('<IHHII', {MAGIC}, {VERSION}, 1, 0, 0))\n"
             "except BrokenPipeError:\n"
             "    pass  # refused before the request was read\n"
             "data = b''\n"
             "while chunk := s.recv(4096):\n"
             "    data += chunk\n"
             "print(struct.unpack_from('<i', data, 16)[0], data[32:544].split(b'\\0')[0].decode())\n")
    as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/python3",
                 "-c", probe, str(sock)]
    # the run directory (0700) and the socket (0600) keep others out already
    r = subprocess.run(as_nobody, capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() == "EACCES", r
    # opened up by mistake, the peer credentials still refuse them
    os.chmod(adm.rundir, 0o755)
    os.chmod(sock, 0o666)
    r = subprocess.run(as_nobody, capture_output=True, text=True, timeout=30)
    assert r.stdout.startswith("13 permission denied: swiscsid accepts requests from root"), r
    swiscsid.wait_log("control connection from uid 65534")
    # and root still gets its answers
    assert adm.run("-m", "session").rc == 21


def test_socket_activation(adm, tgtd, tmp_path, request):
    """Started as swiscsid.socket starts it: systemd's listening socket passed as fd 3 on the
    first connection (systemd-socket-activate does what systemd does), served, and left in
    place when the daemon stops."""
    from conftest import have, require
    require(have("systemd-socket-activate"), "systemd-socket-activate (package systemd)")
    setup_targets(adm, tgtd, tmp_path)
    adm.rundir.mkdir(mode=0o700)
    sock = adm.rundir / "swiscsid.sock"
    log = open(tmp_path / "activate.log", "w+")
    env = adm.env
    names = ["SWISCSI_DB", "SWISCSI_RUNDIR", "SWISCSI_INITIATORNAME_FILE", "SWISCSI_CONF",
             "SWISCSI_SYSFS"]
    proc = subprocess.Popen(["systemd-socket-activate", "-l", str(sock),
                             *[a for n in names for a in ("-E", n)],
                             str(SWISCSID), "--foreground"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop():
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
    request.addfinalizer(stop)
    d = Daemon(adm)
    d.logpath = tmp_path / "activate.log"
    d.proc = proc
    d.wait_log("Listening on")
    r = adm.run("-m", "node", "-T", T2, "-l")
    assert r.rc == 0, (r, d.text())
    assert "swiscsid is not running" not in r.err
    d.wait_log(f"automatic login of {T1}")
    assert len(adm.run("-m", "session").out.splitlines()) == 2
    proc.send_signal(15)
    assert proc.wait(timeout=10) == 0, d.text()
    assert (connected(tgtd, 1), connected(tgtd, 2)) == (0, 0)
    assert sock.exists()   # systemd's socket outlives the daemon
    d.check_log()
