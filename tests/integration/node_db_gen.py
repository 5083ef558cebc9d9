"""Builds large node databases quickly, laid out as SendTargets discovery leaves them:
nodes/TARGET/ADDR,PORT,TPGT/default, send_targets/ADDR,PORT/st_config, and one link per record
in send_targets/ADDR,PORT. The record text comes from swiscsiadm itself (one `-o new` and one
discoverydb record in a scratch database), so the files are exactly what the tool writes, and
open-iscsi's iscsiadm reads them (the round-trip tests show it).

Used by the O(1) test (test_node_scale.py) and by bench/cli-scale.sh.
"""
import os
import pathlib
import subprocess
import tempfile

DISCOVERY = ("127.0.0.1", 3260)
PROBE = "iqn.2026-12.test.scale:probe"


def target_name(i):
    return f"iqn.2026-12.test.scale:t{i:06d}"


def target_address(i):
    """Spread over 127.0.0.0/8 so that portals differ, as after a discovery of many arrays."""
    return f"127.{1 + i // 65536 % 250}.{i // 256 % 256}.{1 + i % 250}"


def _templates(swiscsiadm, env, beside):
    """The text of one node record, one st_config and one iface, written by swiscsiadm in a
    scratch database beside the one being built (and removed)."""
    with tempfile.TemporaryDirectory(dir=beside) as scratch:
        env = dict(env, SWISCSI_DB=scratch)
        run = lambda *a: subprocess.run([str(swiscsiadm), *a], env=env, check=True,
                                        capture_output=True)
        run("-m", "node", "-o", "new", "-T", PROBE, "-p", "192.0.2.1:3260,1")
        run("-m", "discoverydb", "-t", "st", "-p", "%s:%d" % DISCOVERY, "-o", "new")
        run("-m", "iface", "-I", "probe0", "-o", "new")
        iface = pathlib.Path(scratch, "ifaces", "probe0").read_text()
        node = pathlib.Path(scratch, "nodes", PROBE, "192.0.2.1,3260,1", "default").read_text()
        st = pathlib.Path(scratch, "send_targets", "%s,%d" % DISCOVERY, "st_config").read_text()
    node = node.replace("node.discovery_type = static", "node.discovery_type = send_targets")
    # an empty address is not written at all, so it goes in beside the port
    node = node.replace("node.discovery_port = 0\n", f"node.discovery_address = {DISCOVERY[0]}\n"
                        f"node.discovery_port = {DISCOVERY[1]}\n")
    return node, st, iface


def _write_private(path, text):
    """Mode 0600, as the tools write records (they may hold CHAP secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def build(swiscsiadm, db, records, ifaces=0, env=None, seen_as=None):
    """Fills db (a new directory) with `records` discovered node records and `ifaces` ifaces.
    The discovery links are absolute, as both tools make them: to seen_as (default db), the
    path the database will have for the tool that reads it (/etc/iscsi for iscsiadm)."""
    env = dict(os.environ if env is None else env)
    db = pathlib.Path(db)
    node, st, iface = _templates(swiscsiadm, env, db.parent)
    links = db / "send_targets" / ("%s,%d" % DISCOVERY)
    links.mkdir(parents=True)
    _write_private(links / "st_config", st)
    seen_as = pathlib.Path(seen_as or db)
    for i in range(records):
        name, addr = target_name(i), target_address(i)
        portal = db / "nodes" / name / f"{addr},3260,1"
        portal.mkdir(parents=True)
        _write_private(portal / "default", node.replace(PROBE, name).replace("192.0.2.1", addr))
        os.symlink(seen_as / portal.relative_to(db), links / f"{name},{addr},3260,1,default")
    if ifaces:
        (db / "ifaces").mkdir()
    for i in range(ifaces):
        _write_private(db / "ifaces" / f"if{i:04d}", iface.replace("probe0", f"if{i:04d}"))
    return db

