"""A LUN's own error through a multipath map's by-id file (the fake target logged in through two
ifaces bound to the loopback device): a MEDIUM ERROR on a READ and WRITE PROTECTED on a WRITE
reach the application once (EIO, EROFS), exactly one command of that LBA reached the target
(no retry on the other path), no path is blamed, and the other LBAs read and write fine. Each
is one error line in the daemon's log, with the target's words: an error the application saw."""
import errno
import os
import re

import pytest

from faketarget import sense
from direct_io import read_direct, write_direct
from test_multipath_checker import BOTH_UP, path_states, two_paths
from test_multipath_checker import target  # noqa: F401 (a fixture)

BAD = 3000                          # an LBA well inside the LUN, in no probe's way


@pytest.fixture
def byid(adm, swiscsid, target):
    # round-robin: a retry, were there one, would go to the other path; no_path_retry fail:
    # a LUN error taken for a path error would fail both paths and end the read, not hold it
    return two_paths(adm, swiscsid, target, "path_selector = round-robin\nno_path_retry = fail\n")


def error_lines(swiscsid):
    """The daemon's error-level lines (its foreground format, dlog.c)."""
    return re.findall(r"^swiscsid: error: (.*)$", swiscsid.text(), re.M)


def test_a_medium_error_is_returned_once(adm, swiscsid, byid, target):
    target.lun[:] = os.urandom(len(target.lun))
    target.read_errors[BAD] = sense(0x03, 0x11)          # UNRECOVERED READ ERROR
    around = (BAD // 128) * 128 * 512                    # the 64 KiB that hold the bad LBA
    with pytest.raises(OSError) as e:
        read_direct(byid, around, 65536)
    assert e.value.errno == errno.EIO
    assert target.reads[BAD] == 1, "one READ of it reached the target: not retried elsewhere"
    assert path_states(adm) == BOTH_UP, "a LUN's error blames no path"
    # the blocks on either side of it are fine, through both paths
    for offset in (around - 65536, around + 65536, 0, len(target.lun) - 65536):
        assert read_direct(byid, offset, 65536) == target.lun[offset:offset + 65536]
    assert target.reads[BAD] == 1
    # it fails again when read again (the LUN's answer each time), once each time
    with pytest.raises(OSError) as e:
        read_direct(byid, BAD * 512 // 4096 * 4096, 4096)
    assert e.value.errno == errno.EIO
    assert target.reads[BAD] == 2
    errors = error_lines(swiscsid)
    assert len(errors) == 2 and all(
        re.fullmatch(r"LUN \d+: READ of \d+ blocks at LBA \d+ failed: .*MEDIUM ERROR.*", e)
        for e in errors), errors


def test_write_protected_is_returned_once(adm, swiscsid, byid, target):
    target.write_errors[BAD] = sense(0x07, 0x27)          # WRITE PROTECTED
    around = (BAD // 128) * 128 * 512
    before = bytes(target.lun)
    with pytest.raises(OSError) as e:
        write_direct(byid, around, os.urandom(65536))
    assert e.value.errno == errno.EROFS
    assert target.writes[BAD] == 1, "one WRITE of it reached the target: not retried elsewhere"
    assert bytes(target.lun) == before
    assert path_states(adm) == BOTH_UP
    data = os.urandom(65536)
    write_direct(byid, around + 65536, data)
    assert bytes(target.lun[around + 65536:around + 131072]) == data
    assert target.writes[BAD] == 1
    errors = error_lines(swiscsid)
    assert len(errors) == 1 and re.fullmatch(
        r"LUN \d+: WRITE of \d+ blocks at LBA \d+ failed: .*DATA PROTECT.*", errors[0]), errors
