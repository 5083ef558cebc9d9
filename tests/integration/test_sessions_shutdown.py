"""swiscsid's shutdown promise (swiscsid(8)): SIGTERM ends with exit 0 within 10 s, every
session gone, the LUN filesystem unmounted and no loop device left over its files, even when
the target stops answering anything (the logout, the keepalive, a read in flight on the LUN
file): the detach and logout phase has a budget, then the sessions are aborted, then the
filesystem goes whatever is left.

The 10 s bound is the promise itself, not a guess at this machine's speed: the daemon's own
phases add up to 8.5 s."""
import subprocess
import threading
import time

import pytest

from faketarget import OP_LOGOUT_REQ, OP_SCSI_CMD, FakeTarget
from lunserve import loops_over, mounted

IQN = "iqn.2026-12.test.shutdown:silent"
PROMISE_S = 10


def wait_for(what, predicate, seconds=30):
    """Polls predicate until it holds; seconds bounds a hang only."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def start_reader(path):
    """One O_DIRECT read of the LUN file, which the silent target leaves unanswered."""
    return subprocess.Popen(["dd", f"if={path}", "of=/dev/null", "bs=4096", "count=1", "skip=100",
                             "iflag=direct", "status=none"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("read_in_flight", [False, True], ids=["logout-unanswered", "read-in-flight"])
def test_sigterm_is_bounded_when_the_target_stops_answering(adm, swiscsid, read_in_flight):
    """logout-unanswered: the detach is quick, the Logout Request is never answered.
    read-in-flight: the detach waits for a read the target never answers (it once waited 7 s,
    then lunfs_stop another 10 s: 17 s in all)."""
    silent = threading.Event()
    swallowed = []

    def maybe_swallow(conn, pdu):
        """Once silent, every PDU is read and never answered (the socket stays open)."""
        if silent.is_set():
            swallowed.append(pdu.opcode)
            return True
        return False

    with FakeTarget(iqn=IQN) as t:
        t.on_pdu = maybe_swallow
        assert adm.run("-m", "node", "-o", "new", "-T", IQN, "-p", f"{t.portal},1").rc == 0
        swiscsid.start()
        r = adm.run("-m", "node", "-T", IQN, "-l", timeout=60)
        assert r.rc == 0, r
        disks = swiscsid.rundir / "disks"
        files = list((disks / "by-path").glob(f"ip-*-iscsi-{IQN}-lun-0"))
        assert len(files) == 1, files
        assert len(loops_over(disks)) == 2, "the LUN file and its map's by-id file have loop devices"

        silent.set()
        reader = start_reader(files[0]) if read_in_flight else None
        try:
            if reader:
                wait_for("the read reached the silent target", lambda: OP_SCSI_CMD in swallowed)
                assert reader.poll() is None, "the read is in flight, unanswered"

            started = time.monotonic()
            rc = swiscsid.terminate(timeout=60)
            took = time.monotonic() - started
            assert rc == 0, swiscsid.text()
            assert took < PROMISE_S, (took, swiscsid.text())
            assert not mounted(disks), "the LUN filesystem is unmounted"
            assert loops_over(disks) == [], "no loop device left over its files"
            if reader:   # it hears of it: EIO once the session is aborted
                assert reader.wait(timeout=30) != 0
            else:
                assert OP_LOGOUT_REQ in swallowed, "the logout was asked for, never answered"
        finally:
            if reader and reader.poll() is None:
                reader.kill()
                reader.wait(timeout=30)
    log = swiscsid.text()
    assert "aborting" in log, log
