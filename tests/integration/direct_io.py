"""O_DIRECT reads and writes from tests, through page-aligned buffers (an anonymous mmap), as
O_DIRECT on a LUN file, a loop device or a map's by-id file wants; a short transfer fails."""
import mmap
import os


def read_direct(path, offset, n):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    try:
        buf = mmap.mmap(-1, n)
        assert os.preadv(fd, [buf], offset) == n
        return bytes(buf)
    finally:
        os.close(fd)


def write_direct(path, offset, data):
    fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
    try:
        buf = mmap.mmap(-1, len(data))
        buf[:] = data
        assert os.pwritev(fd, [buf], offset) == len(data)
    finally:
        os.close(fd)
