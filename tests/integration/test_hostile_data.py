"""A target that lies in its data PDUs (issue #9): Data-In with a gap, a repeat, an overlap,
DataSN out of order, more than asked or a short read that claims to be whole; R2Ts that repeat
or reach past the data; a NOP-In ping too large to echo; a write answered before its data went
out. The tools must stop with a clear error and never exit 0 with wrong data."""
import os

import pytest

from conftest import tool
from faketarget import (CHECK_CONDITION, F_FINAL, OP_DATA_IN, OP_DATA_OUT, OP_NOP_IN, OP_R2T,
                        RESERVED, FakeTarget, sense)

READS, WRITES = (0x28, 0x88), (0x2A, 0x8A)
LUN_BYTES = 2048 * 512            # one 1 MiB READ (swiscsi-cp's chunk) covers the LUN
S_STATUS, U_UNDERFLOW = 0x01, 0x02


def data_in(conn, task, pieces, flags=0, residual=0):
    """Sends pieces [(DataSN, offset, bytes)], the last one with GOOD status (phase collapse)
    and the given residual flags."""
    for i, (sn, off, seg) in enumerate(pieces):
        last = i == len(pieces) - 1
        conn.send(OP_DATA_IN, seg, flags=F_FINAL | S_STATUS | flags if last else 0, lun=task.lun,
                  itt=task.itt, w20=RESERVED, w36=sn, w40=off, w44=residual if last else 0,
                  **conn.sn_fields(status=last))


def in_order(data, start, sn, chunk=65536):
    return [(sn + i, off, data[off:off + chunk])
            for i, off in enumerate(range(start, len(data), chunk))]


def gap(data):        # one 512-byte Data-In left out, DataSN still consecutive
    return [(0, 0, data[:512])] + in_order(data, 1024, 1)


def repeat(data):     # offset 0 again, other bytes
    return [(0, 0, data[:512]), (1, 0, b"\xaa" * 512)] + in_order(data, 512, 2)


def datasn_swapped(data):
    return [(1, 0, data[:512]), (0, 512, data[512:1024])] + in_order(data, 1024, 2)


def overlap(data):
    return [(0, 0, data[:4096]), (1, 2048, data[2048:6144])] + in_order(data, 6144, 2)


def too_much(data):
    return in_order(data, 0, 0) + [(len(data) // 65536, len(data), b"\xbb" * 512)]


def short_claims_whole(data):  # the last 512 bytes never sent, no underflow reported
    return in_order(data[:-512], 0, 0)


@pytest.fixture
def target():
    t = FakeTarget(blocks=LUN_BYTES // 512)
    t.lun[:] = os.urandom(LUN_BYTES)
    t.start()
    yield t
    t.stop()


def hostile_reads(t, pieces_of, **status):
    def hook(conn, task):
        if task.op not in READS:
            return False
        data_in(conn, task, pieces_of(bytes(t.lun[:task.edtl])), **status)
        conn.tasks.pop(task.itt, None)
        return True
    t.on_command = hook


@pytest.mark.parametrize("pieces_of,why", [
    (gap, "Data-In out of order (offset 1024, expected 512)"),
    (repeat, "Data-In out of order (offset 0, expected 512)"),
    (datasn_swapped, "Data-In out of sequence (DataSN 1, expected 0)"),
    (overlap, "Data-In out of order (offset 2048, expected 4096)"),
    (too_much, "Data-In outside the command's buffer"),
    (short_claims_whole, "GOOD status, but the data received does not match the residual"),
])
def test_cp_refuses_bad_data_in(target, tmp_path, pieces_of, why):
    hostile_reads(target, pieces_of)
    out = tmp_path / "copy"
    r = tool("swiscsi-cp", target.url(), str(out))
    assert r.rc == 1, r
    assert why in r.err, r
    assert out.read_bytes() != bytes(target.lun), "the copy must not look complete"
    assert not out.read_bytes(), "nothing of the failed read is written out"


def test_cp_fails_on_an_honest_short_read(target, tmp_path):
    """GOOD with an underflow the library accepts: the copy would have a hole, so it fails."""
    hostile_reads(target, short_claims_whole, flags=U_UNDERFLOW, residual=512)
    out = tmp_path / "copy"
    r = tool("swiscsi-cp", target.url(), str(out))
    assert r.rc == 1, r
    assert "READ at LBA 0: the target moved 1048064 of 1048576 bytes" in r.err, r
    assert not out.read_bytes()


def test_inq_never_prints_past_what_arrived(target):
    """A VPD page whose header claims 64 KiB, sent twice at offset 0: once refused by the
    library; an honest short page prints only the bytes that came."""
    page = bytes([0, 0xB0, 0xFF, 0xFF]) + bytes(range(60))

    def twice(conn, task):
        if task.op != 0x12:
            return False
        data_in(conn, task, [(0, 0, page), (1, 0, page)])
        return True
    target.on_command = twice
    r = tool("swiscsi-inq", "-e", "1", "-c", "0xb0", target.url())
    assert r.rc == 1, r
    assert "Data-In out of order (offset 0, expected 64)" in r.err

    def once(conn, task):
        if task.op != 0x12:
            return False
        data_in(conn, task, [(0, 0, page)], flags=U_UNDERFLOW, residual=task.edtl - len(page))
        return True
    target.on_command = once
    r = tool("swiscsi-inq", "-e", "1", "-c", "0xb0", target.url())
    assert r.rc == 0, r
    dumped = r.out.split("\n", 1)[1].split()
    assert dumped == [f"{b:02x}" for b in page], r.out


def write_target(params, on_write):
    t = FakeTarget(blocks=LUN_BYTES // 512, params=params)

    def hook(conn, task):
        if task.op not in WRITES:
            return False
        on_write(conn, task)
        return True
    t.on_command = hook
    return t


def r2t(conn, task, r2tsn, offset, length):
    conn.send(OP_R2T, flags=F_FINAL, lun=task.lun, itt=task.itt, w20=0x500 + r2tsn, w36=r2tsn,
              w40=offset, w44=length, **conn.sn_fields(status=False))


R2T_ONLY = {"InitialR2T": "Yes", "ImmediateData": "No", "MaxOutstandingR2T": 4}


@pytest.mark.parametrize("flood,why", [
    # the whole buffer asked for over and over: stopped at the first repeat
    (lambda conn, task: [r2t(conn, task, i, 0, 262144) for i in range(200)],
     "an R2T for more data than the command has left"),
    (lambda conn, task: r2t(conn, task, 0, task.edtl - 512, 4096), "an R2T outside the command's data"),
    (lambda conn, task: [r2t(conn, task, 0, 0, 4096), r2t(conn, task, 7, 4096, 4096)],
     "an R2T out of sequence (R2TSN)"),
])
def test_cp_refuses_bad_r2ts(tmp_path, flood, why):
    src = tmp_path / "src"
    src.write_bytes(os.urandom(262144))
    t = write_target(R2T_ONLY, flood)
    t.on_pdu = lambda conn, p: p.opcode == OP_DATA_OUT  # swallowed: the target never finishes
    with t:
        r = tool("swiscsi-cp", str(src), t.url())
    assert r.rc == 1, r
    assert f"protocol error: {why}" in r.err, r


def test_cp_with_a_write_answered_at_once(tmp_path):
    """CHECK CONDITION to a large write before its data is read: the copy fails with the
    target's reason, and every Data-Out byte that still reached the target is the file's."""
    payload = os.urandom(LUN_BYTES)
    src = tmp_path / "src"
    src.write_bytes(payload)
    seen = []

    def refuse(conn, task):
        conn.respond(task, CHECK_CONDITION, sense(0x05, 0x24))

    def record(conn, p):
        if p.opcode != OP_DATA_OUT:
            return False
        seen.append((p.offset, p.data))
        return True
    t = write_target({"InitialR2T": "No", "FirstBurstLength": 262144}, refuse)
    t.on_pdu = record
    with t:
        r = tool("swiscsi-cp", str(src), t.url())
    assert r.rc == 1, r
    assert "WRITE at LBA 0: CHECK CONDITION, ILLEGAL REQUEST: INVALID FIELD IN CDB" in r.err, r
    for off, data in seen:
        assert data == payload[off:off + len(data)], f"Data-Out at {off} carries other bytes"


def test_a_ping_too_large_to_echo(target, tmp_path):
    """A NOP-In asking for a 128 KiB echo (more than the 64 KiB cap, within our
    MaxRecvDataSegmentLength): the session ends with the reason, nothing is echoed."""
    target.on_full_feature = lambda conn: conn.send(
        OP_NOP_IN, b"p" * 131072, flags=F_FINAL, itt=RESERVED, w20=0x1234,
        **conn.sn_fields(status=False))
    r = tool("swiscsi-cp", target.url(), str(tmp_path / "copy"))
    assert r.rc == 1, r
    assert "a NOP-In ping with 131072 bytes of data, more than the 65536 we may echo" in r.err, r
    assert not target.nop_echoes
