"""swiscsi-multipath: -ll in multipath -ll's layout (from maps a scripted daemon sends: failed
paths, failover groups, IPv6 portals), -f, and how it fails: no daemon, no such map, a
malformed reply, bad usage. Maps from real sessions: test_multipath_maps.py."""
import os
import subprocess

from conftest import BUILD
from ctlproto import MPATH_FLUSH, MPATH_LIST, Mpath, MpathPath, Status, reply

TOOL = BUILD / "cli" / "swiscsi-multipath"
NAME = "wwn-0x60000000000000000e00000000010001"
WWID = "360000000000000000e00000000010001"


def run(adm, *args):
    return subprocess.run([str(TOOL), *args], env=adm.env, capture_output=True, text=True,
                          timeout=60)


def mpath(npaths, selector=b"round-robin 0", grouping=b"multibus", queue=1, loop=b"/dev/loop7"):
    m = Mpath(blocks=524288, block_size=512, npaths=npaths, queue_if_no_path=queue)
    m.name, m.wwid, m.vendor, m.product = NAME.encode(), WWID.encode(), b"IET", b"VIRTUAL-DISK"
    m.loop, m.grouping, m.selector = loop, grouping, selector
    return m


def path(sid, iface, address, group=0, up=1, active=1):
    p = MpathPath(sid=sid, group=group, lun=1, port=3260, up=up, group_active=active)
    p.iface, p.address = iface.encode(), address.encode()
    return p


def test_multibus_map_layout(adm, daemon):
    body = bytes(mpath(2)) + bytes(path(1, "nic1", "10.0.1.1")) + \
        bytes(path(2, "nic2", "fd00::2", up=0))
    d = daemon(lambda kind: reply(kind, Status(nmaps=1), body))
    r = run(adm, "-ll")
    assert r.returncode == 0 and r.stderr == "", r
    assert r.stdout.splitlines() == [
        f"{NAME} ({WWID}) loop7 IET,VIRTUAL-DISK",
        "size=256M features='1 queue_if_no_path' hwhandler='0' wp=rw",
        "`-+- policy='round-robin 0' prio=1 status=active",
        "  |- 1:0:0:1 nic1 10.0.1.1:3260 active ready running",
        "  `- 2:0:0:1 nic2 [fd00::2]:3260 failed faulty running",
    ]
    assert d.kinds == [MPATH_LIST]


def test_failover_map_layout(adm, daemon):
    m = mpath(2, selector=b"service-time 0", grouping=b"failover", queue=0, loop=b"")
    m.blocks, m.block_size, m.read_only = 262144, 4096, 1     # 1 GiB: one decimal below 10
    body = bytes(m) + bytes(path(3, "nic1", "10.0.1.1", group=0, up=0, active=0)) + \
        bytes(path(4, "nic2", "10.0.2.1", group=1, active=1))
    daemon(lambda kind: reply(kind, Status(nmaps=1), body))
    r = run(adm, "-l", WWID)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [
        f"{NAME} ({WWID}) - IET,VIRTUAL-DISK",
        "size=1.0G features='0' hwhandler='0' wp=ro",
        "|-+- policy='service-time 0' prio=1 status=enabled",
        "| `- 3:0:0:1 nic1 10.0.1.1:3260 failed faulty running",
        "`-+- policy='service-time 0' prio=1 status=active",
        "  `- 4:0:0:1 nic2 10.0.2.1:3260 active ready running",
    ]


def test_malformed_reply_and_refusal(adm, daemon):
    # a map claiming more paths than follow
    body = bytes(mpath(3)) + bytes(path(1, "nic1", "10.0.1.1"))
    answers = [reply(MPATH_LIST, Status(nmaps=1), body),
               reply(MPATH_FLUSH, Status(status=1, message=b"mpathz: busy"))]
    daemon(lambda kind: answers.pop(0))
    r = run(adm, "-ll")
    assert r.returncode == 1 and r.stdout == "", r
    assert r.stderr == "swiscsi-multipath: could not communicate with swiscsid\n", r
    r = run(adm, "-f", "mpathz")
    assert r.returncode == 1 and r.stderr == "swiscsi-multipath: mpathz: busy\n", r


def test_real_daemon_without_maps(adm, swiscsid):
    swiscsid.start()
    r = run(adm, "-ll")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), r
    for args in (("-f", NAME), ("-ll", NAME)):
        r = run(adm, *args)
        assert r.returncode == 1, r
        assert r.stderr == f"swiscsi-multipath: {NAME}: no such multipath map\n", r


def test_no_daemon_and_usage(adm):
    r = run(adm, "-ll")
    assert r.returncode == 1, r
    assert r.stderr == "swiscsi-multipath: swiscsid is not running (no multipath maps without it)\n"
    assert not os.path.exists(adm.rundir / "swiscsid.sock")   # and it started none
    for args in ((), ("-x",), ("-f",), ("-f", ""), ("-ll", "a", "b")):
        r = run(adm, *args)
        assert r.returncode == 1 and r.stderr.startswith("usage: swiscsi-multipath -ll"), (args, r)
    r = run(adm, "-f", "x" * 300)
    assert r.returncode == 1 and "a map name is at most 255 bytes" in r.stderr, r
    r = run(adm, "--help")
    assert r.returncode == 0 and "swiscsi-multipath -f MAP" in r.stderr, r
