"""The LUN filesystem against the scriptable fake target: fsync becomes SYNCHRONIZE CACHE, SCSI
errors reach the application as the errno that says what happened (with the sense text in
the log), MODE SENSE's write-protect bit makes the file read-only, and a REPORTED LUNS DATA
HAS CHANGED unit attention starts a rescan while the command that met it is resent."""
import errno
import mmap
import os
import time

import pytest

from faketarget import CHECK_CONDITION, AttentionOnce, FakeTarget, sense
from lunserve import lunserve  # noqa: F401 (a fixture)

NO_LOOPS = "[global]\nloop_devices = no\n"
BLOCKS = 8192                      # 4 MiB of 512-byte blocks


@pytest.fixture
def fake(request):
    t = FakeTarget(blocks=BLOCKS)
    request.addfinalizer(t.stop)
    return t.start()


def rw_lba(task):
    cdb = bytes(task.cdb)
    return int.from_bytes(cdb[2:10], "big") if task.op in (0x88, 0x8A) else int.from_bytes(cdb[2:6], "big")


def direct_fd(path, flags):
    return os.open(path, flags | os.O_DIRECT)


def aligned(n):
    return mmap.mmap(-1, n)        # page-aligned, as O_DIRECT wants


def test_transfers_split_at_max_burst_length_all_in_flight(lunserve, request):
    t = FakeTarget(blocks=BLOCKS, params={"MaxBurstLength": 65536})
    request.addfinalizer(t.stop)
    held = []

    def hold_reads(conn, task):
        """Answers no READ until 16 are waiting: unless all pieces of a 1 MiB read are in
        flight at once, the read times out and fails."""
        if task.op != 0x88:
            return False
        held.append(task)
        if len(held) == 16:
            for waiting in held:
                conn.execute(waiting)
            held.clear()
        return True
    t.on_command = hold_reads
    t.start()
    s = lunserve([t.url()], conf=NO_LOOPS)
    fd = direct_fd(s.devices[0]["file"], os.O_RDWR)
    data = os.urandom(1 << 20)
    buf = aligned(1 << 20)
    buf[:] = data
    first = len(t.commands)
    try:
        assert os.pwritev(fd, [buf], 512 * 100) == 1 << 20
        back = aligned(1 << 20)
        assert os.preadv(fd, [back], 512 * 100) == 1 << 20
        assert back[:] == data
    finally:
        os.close(fd)
    rw = [c for c in t.commands[first:] if c[0] in (0x28, 0x2A, 0x88, 0x8A)]
    assert {c[0] for c in rw} == {0x88, 0x8A}, "READ 16 and WRITE 16 only"
    lengths = [int.from_bytes(c[10:14], "big") for c in rw]
    assert lengths == [128] * 32, "1 MiB each way in 64 KiB pieces"
    assert bytes(t.lun[512 * 100:512 * 100 + len(data)]) == data
    assert s.stop() == 0


def wire_rw_lengths(t, since):
    """The transfer lengths (blocks) of the READ/WRITE 16 commands the target saw after since."""
    return [int.from_bytes(c[10:14], "big") for c in t.commands[since:] if c[0] in (0x88, 0x8A)]


def test_pieces_follow_max_burst_length_of_a_recovery_relogin(lunserve, request):
    """The first login negotiates 64 KiB, the connection drops, the recovery's re-login
    negotiates 128 KiB: a 1 MiB read after it goes in 128 KiB pieces, not the first login's."""
    t = FakeTarget(blocks=BLOCKS, params={"MaxBurstLength": 65536})
    request.addfinalizer(t.stop)
    t.start()
    s = lunserve([t.url()], conf=NO_LOOPS)
    fd = direct_fd(s.devices[0]["file"], os.O_RDONLY)
    buf = aligned(1 << 20)
    try:
        first = len(t.commands)
        assert os.preadv(fd, [buf], 0) == 1 << 20
        assert wire_rw_lengths(t, first) == [128] * 8 * 2
        t.params["MaxBurstLength"] = 131072
        with t._lock:
            conns = list(t._conns)
        for c in conns:
            c.drop()
        # ERL 0 recovery: Time2Wait (2 s) then a login; 30 s bounds a hang only
        deadline = time.monotonic() + 30
        while ("full", 2) not in t.wire:
            assert time.monotonic() < deadline, ("no re-login", t.wire[-4:])
            time.sleep(0.05)
        first = len(t.commands)
        assert os.preadv(fd, [buf], 0) == 1 << 20
        assert wire_rw_lengths(t, first) == [256] * 4 * 2
    finally:
        os.close(fd)
    assert s.stop() == 0
    assert not t.errors, t.errors


def test_busy_is_resent_by_libswiscsi_alone(fake, lunserve):
    """BUSY is libswiscsi's to retry (8 times by default, 250 ms apart): the LUN side does not
    retry on top (it did, 8 x 9 = 72 sends); the read then fails with EBUSY."""
    bad_lba = 1024
    sent = []

    def busy_at(conn, task):
        if task.op in (0x28, 0x88) and rw_lba(task) == bad_lba:
            sent.append(task.itt)
            conn.respond(task, 0x08)      # BUSY
            return True
        return False
    fake.on_command = busy_at
    s = lunserve([fake.url()], conf=NO_LOOPS)
    fd = direct_fd(s.devices[0]["file"], os.O_RDONLY)
    buf = aligned(4096)
    try:
        with pytest.raises(OSError) as e:
            os.preadv(fd, [buf], bad_lba * 512)
        assert e.value.errno == errno.EBUSY
    finally:
        os.close(fd)
    assert len(sent) == 1 + 8, sent
    assert s.stop() == 0


def test_fsync_sends_synchronize_cache(fake, lunserve):
    s = lunserve([fake.url()], conf=NO_LOOPS)
    syncs = lambda: sum(1 for c in fake.commands if c[0] in (0x35, 0x91))
    before = syncs()
    with open(s.devices[0]["file"], "r+b", buffering=0) as f:
        f.write(b"x" * 4096)
        os.fsync(f.fileno())
        assert syncs() == before + 1
        assert fake.lun[:4096] == b"x" * 4096, "the data was there before the flush"
    assert s.stop() == 0


ERRORS = {
    "medium-error": ((0x03, 0x11, 0x00), "read", errno.EIO, "MEDIUM ERROR"),
    "hardware-error": ((0x04, 0x44, 0x00), "read", errno.EIO, "HARDWARE ERROR"),
    "write-protected": ((0x07, 0x27, 0x00), "write", errno.EROFS, "DATA PROTECT"),
    "thin-lun-full": ((0x07, 0x27, 0x07), "write", errno.ENOSPC, "DATA PROTECT"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_scsi_errors_become_errnos(fake, lunserve, name):
    (key, asc, ascq), op, want, text = ERRORS[name]
    bad_lba = 2048

    def fail_at(conn, task):
        if task.op in (0x28, 0x88, 0x2A, 0x8A) and rw_lba(task) == bad_lba:
            conn.respond(task, CHECK_CONDITION, sense(key, asc, ascq))
            return True
        return False
    fake.on_command = fail_at
    s = lunserve([fake.url()], conf=NO_LOOPS)
    fd = direct_fd(s.devices[0]["file"], os.O_RDWR)
    buf = aligned(4096)
    try:
        os.preadv(fd, [buf], 0)                # elsewhere the LUN works
        with pytest.raises(OSError) as e:
            if op == "read":
                os.preadv(fd, [buf], bad_lba * 512)
            else:
                os.pwritev(fd, [buf], bad_lba * 512)
        assert e.value.errno == want
    finally:
        os.close(fd)
    assert s.stop() == 0
    log = s.logtext()
    assert f"LBA {bad_lba} failed: CHECK CONDITION, {text}" in log, log


def test_write_protect_bit_makes_the_file_read_only(fake, lunserve):
    def mode_sense(conn, task):
        if task.op == 0x1A:
            conn.data_in(task, bytes([3, 0, 0x80, 0]))    # header: WP set
            return True
        return False
    fake.on_command = mode_sense
    s = lunserve([fake.url()], conf=NO_LOOPS)
    assert s.devices[0]["ro"]
    with pytest.raises(OSError) as e:
        os.open(s.devices[0]["file"], os.O_WRONLY)
    assert e.value.errno == errno.EROFS
    assert s.stop() == 0


def test_reported_luns_changed_starts_a_rescan(fake, lunserve):
    attention = AttentionOnce(0x3F, 0x0E)
    fake.on_command = attention
    s = lunserve([fake.url()], conf=NO_LOOPS)
    fake.lun[0:4096] = b"y" * 4096
    attention.armed = True
    fd = direct_fd(s.devices[0]["file"], os.O_RDONLY)
    buf = aligned(4096)
    try:
        assert os.preadv(fd, [buf], 0) == 4096, "the command that met the attention was resent"
        assert buf[:] == b"y" * 4096
    finally:
        os.close(fd)
    assert attention.sent == 1
    # the rescan runs from the event loop after the completion; 30 s bounds a hang only
    assert attention.rescanned.wait(timeout=30), "no REPORT LUNS after the unit attention"
    assert s.stop() == 0
    assert "the target reports changed LUNs: rescanning" in s.logtext()
    assert not fake.errors, fake.errors


def test_ipv6_portal_in_brackets(lunserve, request):
    t = FakeTarget(host="::1", iqn="iqn.2026-12.test.swiscsi:v6")
    request.addfinalizer(t.stop)
    t.start()
    s = lunserve([t.url()], conf=NO_LOOPS)
    name = f"ip-[::1]:{t.port}-iscsi-iqn.2026-12.test.swiscsi:v6-lun-0"
    assert s.devices[0]["file"] == str(s.mount / "by-iface" / "default" / name)
    assert (s.mount / "by-path" / name).stat().st_size == 2048 * 512   # FakeTarget's default
    assert s.stop() == 0
