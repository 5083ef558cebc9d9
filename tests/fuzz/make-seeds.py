#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz-login (seed-*) and fuzz-sendtargets: an options byte,
then target PDUs as on the wire (the harness puts the session's ITT and ISID in).

    tests/fuzz/make-seeds.py          (from the source tree)"""
import base64
import pathlib
import struct
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
from faketarget import OP_LOGIN_RSP, OP_TEXT_RSP, bhs, encode_keys  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
T, C = 0x80, 0x40
NORMAL, CHAP, MUTUAL, MD5_ONLY = 1, 2, 4, 16
OPERATIONAL = [("HeaderDigest", "None"), ("DataDigest", "None"),
               ("MaxRecvDataSegmentLength", "65536"), ("MaxBurstLength", "262144"),
               ("FirstBurstLength", "65536"), ("InitialR2T", "Yes"),
               ("MaxOutstandingR2T", "1"), ("ErrorRecoveryLevel", "0")]


def pdu(opcode, flags, data, w20=0):
    pad = b"\0" * (-len(data) % 4)
    return bhs(opcode, flags=flags, data_len=len(data), w20=w20, w24=1, w28=1, w32=16) + data + pad


def login(csg, nsg=0, transit=False, pairs=(), more=False, raw=None):
    flags = csg << 2 | (T | nsg if transit else 0) | (C if more else 0)
    return pdu(OP_LOGIN_RSP, flags, raw if raw is not None else encode_keys(pairs))


def text(pairs, more=False, raw=None):
    return pdu(OP_TEXT_RSP, C if more else 0x80, raw if raw is not None else encode_keys(pairs),
               w20=7 if more else 0xFFFFFFFF)


CHALLENGE = [("CHAP_A", "5"), ("CHAP_I", "1"), ("CHAP_C", "0x" + bytes(range(16)).hex())]
LOGIN = {
    "seed-none": [NORMAL, login(0, 1, True, [("AuthMethod", "None")]),
                  login(1, 3, True, OPERATIONAL)],
    "seed-continue": [NORMAL, login(0, more=True, raw=b"AuthMeth"),
                      login(0, 1, True, raw=b"od=None\0"), login(1, more=True, raw=b"HeaderDig"),
                      login(1, 3, True, raw=b"est=None\0")],
    "seed-mutual": [NORMAL | CHAP | MUTUAL | MD5_ONLY, login(0, pairs=[("AuthMethod", "CHAP")]),
                    login(0, pairs=CHALLENGE),
                    login(0, 1, True, [("CHAP_N", "tuser"), ("CHAP_R", "0x" + "ab" * 16)]),
                    login(1, 3, True, OPERATIONAL)],
    "seed-chap-base64": [NORMAL | CHAP | MD5_ONLY, login(0, pairs=[("AuthMethod", "CHAP")]),
                         login(0, pairs=[("CHAP_A", "5"), ("CHAP_I", "9"), (
                             "CHAP_C", "0b" + base64.b64encode(bytes(i * 7 % 256 for i in range(1024))).decode())]),
                         login(0, 1, True), login(1, 3, True, OPERATIONAL)],
    "seed-skip-security": [NORMAL | CHAP | MUTUAL, login(1, 3, True, OPERATIONAL)],
    "seed-discovery": [0, login(0, 1, True, [("AuthMethod", "None")]),
                       login(1, 3, True, OPERATIONAL[:3])],
}
SENDTARGETS = {
    "seed-one": [0, text([("TargetName", "iqn.2026-11.test:a"),
                          ("TargetAddress", "127.0.0.1:3260,1")])],
    "seed-continued": [0, text([], more=True, raw=b"TargetName=iqn.2026-11.test:a\0TargetAdd"),
                       text([], raw=b"ress=[::1]:3260,1\0TargetAddress=10.0.0.1,2\0")],
    "seed-many": [0, text([p for i in range(20) for p in (
        ("TargetName", f"iqn.2026-11.test:t{i}"), ("TargetAddress", f"192.0.2.{i}:3260,1"),
        ("TargetAddress", f"[2001:db8::{i}]:3260,2"))])],
    "seed-address-first": [0, text([("TargetAddress", "127.0.0.1:3260,1")])],
}

for corpus, seeds in (("login", LOGIN), ("sendtargets", SENDTARGETS)):
    out = HERE / "corpus" / corpus
    out.mkdir(parents=True, exist_ok=True)
    for name, (opt, *pdus) in seeds.items():
        (out / name).write_bytes(struct.pack("B", opt) + b"".join(pdus))
