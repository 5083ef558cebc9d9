#!/usr/bin/env python3
"""Records what a real target sends during a session, as a seed for fuzz-login.

    record-seed.py TARGET_HOST:PORT OUT_FILE FIRST_BYTE -- TOOL ARGS... (with @PROXY@ in the URL)

A proxy on a free loopback port sits between the tool and the target; the bytes the target
sends become OUT_FILE, after FIRST_BYTE (the options byte fuzz-login reads first: bit 0 normal
session, bit 1 CHAP, bit 2 mutual CHAP, bit 3 ITTs and ISID as recorded, bit 4 MD5 only;
without bit 3 the harness puts the session's own in, which a replay needs).

fuzz-login offers ImmediateData=No (its options leave immediate_data 0), so a recorded target
must answer No or the replay stops at the operational stage: corpus/login/seed-readcap (first
byte 1) and seed-chap (3) were recorded from `swiscsi-readcap iscsi://@PROXY@/TARGET/0`
against tests/integration/faketarget.py started with params={"ImmediateData": "No"}, and for
seed-chap chap=dict(user="user", secret="secretsecret", algs=[5]) with the same credentials in
SWISCSI_CHAP_USERNAME / SWISCSI_CHAP_PASSWORD. With FUZZ_VERBOSE=1 the harness reports state 3
(full feature phase) for each."""
import socket
import subprocess
import sys
import threading


def pump(src, dst, record=None):
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            break
        if not data:
            break
        if record is not None:
            record.append(data)
        try:
            dst.sendall(data)
        except OSError:
            break
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    target, out, first = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
    cmd = sys.argv[sys.argv.index("--") + 1:]
    host, port = target.rsplit(":", 1)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    proxy = f"127.0.0.1:{listener.getsockname()[1]}"
    proc = subprocess.Popen([a.replace("@PROXY@", proxy) for a in cmd])
    listener.settimeout(10)
    client, _ = listener.accept()
    upstream = socket.create_connection((host, int(port)), timeout=10)
    recorded = []
    t1 = threading.Thread(target=pump, args=(upstream, client, recorded))
    t2 = threading.Thread(target=pump, args=(client, upstream))
    t1.start()
    t2.start()
    proc.wait(timeout=30)
    t1.join(timeout=10)
    t2.join(timeout=10)
    with open(out, "wb") as f:
        f.write(bytes([first]) + b"".join(recorded))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
