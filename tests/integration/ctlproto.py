"""ctl/ctl_proto.h mirrored with ctypes (native layout, as the C compiler lays it out), for tests
that play swiscsid's side of the control socket: a reply the real daemon cannot produce yet
(sessions with LUN devices) or never would (a malformed one)."""
import ctypes as C
import socket
import struct
import threading

MAGIC, VERSION, REPLY = 0x53574943, 4, 0x8000
PING, LOGIN, LOGOUT, LIST, RESCAN, MPATH_LIST, MPATH_FLUSH = 1, 2, 3, 4, 5, 6, 7


class Node(C.Structure):
    _fields_ = [("target", C.c_char * 224), ("address", C.c_char * 64), ("port", C.c_int32),
                ("tpgt", C.c_int32), ("iface", C.c_char * 64)]


class Status(C.Structure):
    _fields_ = [("status", C.c_int32), ("sid", C.c_uint32), ("nsessions", C.c_uint32),
                ("nmaps", C.c_uint32), ("message", C.c_char * 512)]


class Device(C.Structure):
    _fields_ = [("lun", C.c_uint64), ("blocks", C.c_uint64), ("block_size", C.c_uint32),
                ("read_only", C.c_int32), ("file", C.c_char * 512), ("loop", C.c_char * 32),
                ("vendor", C.c_char * 9), ("product", C.c_char * 17), ("pad", C.c_char * 6),
                ("mpath", C.c_char * 264), ("path_up", C.c_int32), ("reserved", C.c_uint32),
                ("mpath_loop", C.c_char * 32)]


class Counters(C.Structure):
    _fields_ = [(n, C.c_uint64) for n in ("pdus_tx", "pdus_rx", "bytes_tx", "bytes_rx",
                                          "commands", "errors", "digest_errors", "timeouts",
                                          "losses", "attempts", "recoveries", "expiries",
                                          "target_logouts", "scsi_retries")]


class Session(C.Structure):
    _fields_ = [("sid", C.c_uint32), ("tpgt", C.c_int32), ("node", Node),
                ("current_address", C.c_char * 64), ("current_port", C.c_int32),
                ("transport", C.c_char * 16), ("initiator_name", C.c_char * 224),
                ("iface_ipaddress", C.c_char * 64), ("iface_hwaddress", C.c_char * 32),
                ("iface_netdev", C.c_char * 32), ("conn_state", C.c_char * 32),
                ("session_state", C.c_char * 32), ("internal_state", C.c_char * 16),
                ("startup", C.c_char * 16),
                ("recovery_tmo", C.c_int32), ("tgt_reset_tmo", C.c_int32),
                ("lu_reset_tmo", C.c_int32), ("abort_tmo", C.c_int32),
                ("username", C.c_char * 256), ("password", C.c_char * 256),
                ("username_in", C.c_char * 256), ("password_in", C.c_char * 256),
                ("secrets_included", C.c_int32),
                ("header_digest", C.c_int32), ("data_digest", C.c_int32),
                ("max_recv_dsl", C.c_uint32), ("max_xmit_dsl", C.c_uint32),
                ("first_burst", C.c_uint32), ("max_burst", C.c_uint32),
                ("max_outstanding_r2t", C.c_uint32), ("immediate_data", C.c_int32),
                ("initial_r2t", C.c_int32), ("isid", C.c_uint8 * 6), ("tsih", C.c_uint16),
                ("counters", Counters), ("ndevices", C.c_uint32), ("reserved", C.c_uint32)]


class Mpath(C.Structure):
    _fields_ = [("name", C.c_char * 264), ("wwid", C.c_char * 256), ("vendor", C.c_char * 9),
                ("product", C.c_char * 17), ("pad", C.c_char * 6), ("blocks", C.c_uint64),
                ("block_size", C.c_uint32), ("read_only", C.c_int32), ("loop", C.c_char * 32),
                ("grouping", C.c_char * 16), ("selector", C.c_char * 32),
                ("queue_if_no_path", C.c_int32), ("npaths", C.c_uint32)]


class MpathPath(C.Structure):
    _fields_ = [("sid", C.c_uint32), ("group", C.c_uint32), ("lun", C.c_uint64),
                ("iface", C.c_char * 64), ("address", C.c_char * 64), ("port", C.c_int32),
                ("up", C.c_int32), ("group_active", C.c_int32), ("in_flight", C.c_uint32)]


def reply(kind, status, body=b""):
    payload = bytes(status) + body
    return struct.pack("<IHHII", MAGIC, VERSION, kind | REPLY, len(payload), 0) + payload


class FakeDaemon:
    """Listens on path and answers every request with answer(kind) -> bytes, in a thread."""

    def __init__(self, path, answer):
        self.answer = answer
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.kinds = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                head = conn.recv(16, socket.MSG_WAITALL)
                _, _, kind, length, _ = struct.unpack("<IHHII", head)
                if length:
                    conn.recv(length, socket.MSG_WAITALL)
                self.kinds.append(kind)
                conn.sendall(self.answer(kind))

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=5)
