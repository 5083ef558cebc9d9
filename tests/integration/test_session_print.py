"""swiscsiadm's side of -m session against a scripted daemon (tests/integration/ctlproto.py):
-P 3 with LUN devices (what swiscsid sends once LUNs are attached), iscsiadm's session order,
and a malformed reply refused instead of printed."""
import pytest

from ctlproto import LIST, Device, Session, Status, reply

TARGET = "iqn.2026-12.test.print:disk"


def session(sid, ndevices):
    s = Session(sid=sid, tpgt=1, current_port=3260, ndevices=ndevices,
                recovery_tmo=120, tgt_reset_tmo=30, lu_reset_tmo=30, abort_tmo=15)
    s.node.target, s.node.address, s.node.port, s.node.tpgt = TARGET.encode(), b"192.0.2.7", 3260, 1
    s.node.iface = b"default"
    s.current_address, s.transport = b"192.0.2.7", b"tcp"
    s.initiator_name = b"iqn.2026-11.test.swiscsi:host"
    s.iface_ipaddress, s.iface_hwaddress, s.iface_netdev = b"192.0.2.1", b"02:00:00:00:00:01", b"eth1"
    s.conn_state, s.session_state, s.startup = b"LOGGED IN", b"LOGGED_IN", b"manual"
    return s


def device(lun, loop):
    d = Device(lun=lun, blocks=2048, block_size=512)
    d.file = f"/run/swiscsi/disks/by-path/ip-192.0.2.7:3260-iscsi-{TARGET}-lun-{lun}".encode()
    d.loop, d.vendor, d.product = loop.encode(), b"IET", b"VIRTUAL-DISK"
    return d


def test_attached_devices_and_session_order(adm, daemon):
    # sessions 2 and 10: iscsiadm sorts them as directory names, session10 before session2
    body = bytes(session(2, 2)) + bytes(device(1, "/dev/loop3")) + bytes(device(2, "")) + \
        bytes(session(10, 0))
    daemon(lambda kind: reply(kind, Status(nsessions=2), body))
    r = adm.run("-m", "session")
    assert r.out.splitlines() == [f"tcp: [10] 192.0.2.7:3260,1 {TARGET} (non-flash)",
                                  f"tcp: [2] 192.0.2.7:3260,1 {TARGET} (non-flash)"], r
    out = adm.run("-m", "session", "-P", "3").out
    second = out.split("\t\tSID: 2\n")[1]
    attached = second.split("\t\tAttached SCSI devices:\n\t\t************************\n")[1]
    assert attached.splitlines() == [
        "\t\tHost Number: 2\tState: running",
        "\t\tscsi2 Channel 00 Id 0 Lun: 1",
        "\t\t\tAttached scsi disk loop3\t\tState: running",
        f"\t\t\tLUN file: /run/swiscsi/disks/by-path/ip-192.0.2.7:3260-iscsi-{TARGET}-lun-1",
        "\t\tscsi2 Channel 00 Id 0 Lun: 2",
        f"\t\t\tLUN file: /run/swiscsi/disks/by-path/ip-192.0.2.7:3260-iscsi-{TARGET}-lun-2",
    ], out
    # the same target and portal twice: the second session's portal lines are one empty line
    assert out.count(f"Target: {TARGET} (non-flash)") == 1
    assert "\t\tInternal iscsid Session State: NO CHANGE\n" in out


def test_multipath_path_state(adm, daemon):
    # LUN 1 a working path of a map, LUN 2 a failed one, LUN 3 of no map
    devices = [device(1, "/dev/loop3"), device(2, ""), device(3, "")]
    for d, up in zip(devices[:2], (1, 0)):
        d.mpath, d.path_up = b"wwn-0x60000000000000000e00000000010001", up
    devices[0].mpath_loop = b"/dev/loop9"     # the map's by-id loop device, as "loop9"
    body = bytes(session(2, 3)) + b"".join(bytes(d) for d in devices)
    daemon(lambda kind: reply(kind, Status(nsessions=1), body))
    out = adm.run("-m", "session", "-P", "3").out
    lines = out.split("\t\tHost Number: 2\tState: running\n")[1].splitlines()
    maps = [line for line in lines if "Multipath map" in line]
    assert maps == [
        "\t\t\tMultipath map: wwn-0x60000000000000000e00000000010001\tPath: active ready running",
        "\t\t\tMultipath map: wwn-0x60000000000000000e00000000010001\tPath: failed faulty running",
    ], out
    assert lines[lines.index(maps[0]) + 1] == "\t\t\tMultipath disk: loop9", out
    assert lines[lines.index(maps[1]) + 1].startswith("\t\tscsi2 Channel 00 Id 0 Lun: 3"), out
    assert lines[lines.index(maps[0]) - 1].endswith("-lun-1") and lines[-1].endswith("-lun-3"), out


@pytest.mark.parametrize("damage", ["count", "string", "devices"])
def test_malformed_reply_is_refused(adm, daemon, damage):
    s = session(1, 1)
    status = Status(nsessions=2 if damage == "count" else 1)
    if damage == "string":
        s.conn_state = b"x" * 32       # no terminating NUL
    if damage == "devices":
        s.ndevices = 5                 # more than follow
    daemon(lambda kind: reply(kind, status, bytes(s) + bytes(device(0, ""))))
    r = adm.run("-m", "session", "-P", "3")
    assert r.rc == 18, r
    assert r.out == "" and "could not communicate with swiscsid" in r.err
