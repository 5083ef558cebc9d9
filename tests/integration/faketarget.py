"""A small scriptable iSCSI target for tests (issue #3): Python 3 stdlib only.

It listens on 127.0.0.1 on a free port and speaks enough of RFC 7143 for the swiscsi tools:
login (security stage with CHAP_A 5/6/7/8 = MD5/SHA1/SHA-256/SHA3-256, one-way or mutual, and
operational negotiation), SendTargets, NOP, logout, task management (ABORT TASK), and SCSI
commands on one RAM LUN (INQUIRY, REPORT LUNS, READ CAPACITY 10/16, TEST UNIT READY, READ and
WRITE 10/16, SYNCHRONIZE CACHE) with Data-In, R2T/Data-Out and SCSI Response.

Tests script misbehaviour through hooks, called on the connection's own thread:

    on_login(conn, req, keys) -> bool     a Login Request arrived; True: the hook answered it
    on_full_feature(conn)                 the connection just entered the full feature phase
    on_command(conn, task) -> bool        a SCSI Command arrived (its immediate data in
                                          task.buf); True: the hook handled it (or stalls it)
    on_pdu(conn, pdu) -> bool             any full-feature PDU, before the target's handling

and settings: `params` (the target's operational values, negotiated honestly), `chap`
(credentials and algorithms), `redirect`, `r2t_chunk`, `r2t_order`, `r2t_burst`, `answer_tmf`,
`window` (the command window, MaxCmdSN - ExpCmdSN + 1), `read_errors` and `write_errors`
({LBA: sense data segment}: a READ or WRITE that covers the LBA answers CHECK CONDITION with
it, e.g. sense(0x03, 0x11) MEDIUM ERROR, sense(0x07, 0x27) WRITE PROTECTED; the LUN is left
as it was) and `watched` (more LBAs to count commands of).
What the target saw is kept for assertions: `lun` (the LUN's bytes), `reads` and `writes`
(collections.Counter: LBA of read_errors, write_errors or watched -> how many READs or
WRITEs covering it arrived, answered or not), `chap_offers`,
`nop_echoes`, `logouts`, `commands`, `r2ts`, `errors` (exceptions raised in its threads), and
`wire`, one ordered log across connections (conn.no counts them from 1): ("login", no, isid,
tsih) for each connection's first Login Request, ("full", no) when it reaches full feature
phase, ("cmd", no, cdb) for each SCSI Command, ("tmf", no, function), ("nop", no) for each
NOP-Out ping. A login with the ISID of a session in full feature phase and TSIH 0 reinstates
it: the old session's connection is dropped, as RFC 7143 §6.3.5 has a target do.
"""
import collections
import hashlib
import os
import random
import socket
import struct
import threading

RESERVED = 0xFFFFFFFF

OP_NOP_OUT, OP_SCSI_CMD, OP_TMF_REQ, OP_LOGIN_REQ = 0x00, 0x01, 0x02, 0x03
OP_TEXT_REQ, OP_DATA_OUT, OP_LOGOUT_REQ = 0x04, 0x05, 0x06
OP_NOP_IN, OP_SCSI_RSP, OP_TMF_RSP, OP_LOGIN_RSP = 0x20, 0x21, 0x22, 0x23
TMF_ABORT_TASK, TMF_LUN_RESET = 1, 5
OP_TEXT_RSP, OP_DATA_IN, OP_LOGOUT_RSP = 0x24, 0x25, 0x26
OP_R2T, OP_ASYNC, OP_REJECT = 0x31, 0x32, 0x3F

F_FINAL = 0x80
CHAP_HASHES = {5: "md5", 6: "sha1", 7: "sha256", 8: "sha3_256"}

GOOD, CHECK_CONDITION = 0x00, 0x02

_BHS = struct.Struct(">BBBBB3s8sIIIIIIII")


class PDU:
    """A decoded Basic Header Segment (field names follow RFC 7143) with its data segment."""

    FIELDS = ("opcode", "immediate", "flags", "b2", "b3", "data_len", "lun", "itt", "w20", "w24",
              "w28", "w32", "w36", "w40", "w44")

    def __init__(self, raw, data=b""):
        (op, self.flags, self.b2, self.b3, self.ahs_len, dl, self.lun, self.itt, self.w20, self.w24,
         self.w28, self.w32, self.w36, self.w40, self.w44) = _BHS.unpack(raw)
        self.opcode = op & 0x3F
        self.immediate = bool(op & 0x40)
        self.data_len = int.from_bytes(dl, "big")
        self.cdb = raw[32:48]
        self.raw = raw
        self.data = data

    # named views
    ttt = property(lambda self: self.w20)
    edtl = property(lambda self: self.w20)
    cmdsn = property(lambda self: self.w24)
    expstatsn = property(lambda self: self.w28)
    datasn = property(lambda self: self.w36)
    offset = property(lambda self: self.w40)


def bhs(opcode, *, flags=0, b2=0, b3=0, data_len=0, lun=b"\0" * 8, itt=0, w20=0, w24=0, w28=0,
        w32=0, w36=0, w40=0, w44=0, immediate=False, ahs_len=0):
    """Encodes a 48-byte BHS; any field may be set to any value (tests build broken ones)."""
    return _BHS.pack(opcode | (0x40 if immediate else 0), flags, b2, b3, ahs_len,
                     (data_len & 0xFFFFFF).to_bytes(3, "big"), bytes(lun), itt & RESERVED,
                     w20 & RESERVED, w24 & RESERVED, w28 & RESERVED, w32 & RESERVED,
                     w36 & RESERVED, w40 & RESERVED, w44 & RESERVED)


def parse_keys(data):
    keys = {}
    for item in data.split(b"\0"):
        if item:
            k, _, v = item.decode().partition("=")
            keys[k] = v
    return keys


def encode_keys(pairs):
    return b"".join(f"{k}={v}".encode() + b"\0" for k, v in pairs)


def chap_digest(alg, ident, secret, challenge):
    h = hashlib.new(CHAP_HASHES[alg])
    h.update(bytes([ident]) + secret.encode() + challenge)
    return h.digest()


def chap_decode(text):
    if text[:2].lower() == "0x":
        return bytes.fromhex(text[2:] if len(text) % 2 == 0 else "0" + text[2:])
    import base64
    return base64.b64decode(text[2:])


def sense(key, asc, ascq=0):
    """A SCSI Response data segment: SenseLength then fixed-format sense data."""
    s = bytearray(18)
    s[0], s[2], s[7], s[12], s[13] = 0x70, key, 10, asc, ascq
    return len(s).to_bytes(2, "big") + bytes(s)


class AttentionOnce:
    """An on_command hook: once `armed`, the next READ gets CHECK CONDITION with the unit
    attention (asc, ascq) and nothing else is changed; `rescanned` is set by the REPORT LUNS
    that follows it (the initiator's rescan), `sent` counts the attentions given."""

    def __init__(self, asc, ascq):
        self.asc, self.ascq = asc, ascq
        self.armed = False
        self.sent = 0
        self.rescanned = threading.Event()

    def __call__(self, conn, task):
        if task.op == 0xA0 and self.sent:
            self.rescanned.set()
        if self.armed and task.op in (0x28, 0x88):
            self.armed = False
            self.sent += 1
            conn.respond(task, CHECK_CONDITION, sense(0x06, self.asc, self.ascq))
            return True
        return False


class Task:
    """A SCSI command in progress on a connection."""

    def __init__(self, pdu):
        self.pdu = pdu
        self.itt = pdu.itt
        self.cdb = pdu.cdb
        self.lun = pdu.lun
        self.cmdsn = pdu.cmdsn
        self.read = bool(pdu.flags & 0x40)
        self.write = bool(pdu.flags & 0x20)
        self.edtl = pdu.edtl
        self.buf = bytearray(self.edtl if self.write else 0)
        self.got = 0                       # bytes of write data received
        self.unsolicited_done = bool(pdu.flags & F_FINAL)
        self.pending = []                  # (offset, length) still to ask for by R2T
        self.outstanding = {}              # TTT -> (offset, length, received)
        self.r2tsn = 0

    @property
    def op(self):
        return self.cdb[0]


class Conn:
    """One TCP connection: login, then the full feature phase."""

    def __init__(self, target, sock, no=0):
        self.t = target
        self.no = no
        self.sock = sock
        self.statsn = random.randrange(1 << 20)
        self.expcmdsn = 0
        self.window = target.window
        self.full = False
        self.discovery = False
        self.tsih = 0
        self.isid = b"\0" * 6
        self.neg = {}                      # negotiated values the target acts on
        self.tasks = {}
        self.ttt = 0x100
        self.chap_alg = None
        self.chap_ident = None
        self.chap_challenge = None
        self.closed = False
        self.send_lock = threading.Lock()

    # ---- wire ----
    def recv_exact(self, n):
        out = bytearray()
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except OSError:
                return None
            if not chunk:
                return None
            out += chunk
        return bytes(out)

    def recv_pdu(self):
        raw = self.recv_exact(48)
        if raw is None:
            return None
        p = PDU(raw)
        if p.ahs_len and self.recv_exact(p.ahs_len * 4) is None:
            return None
        want = p.data_len + (-p.data_len % 4)
        data = self.recv_exact(want) if want else b""
        if data is None:
            return None
        p.data = data[:p.data_len]
        return p

    def send_raw(self, header, data=b"", pad=True):
        with self.send_lock:
            try:
                self.sock.sendall(header + data + (b"\0" * (-len(data) % 4) if pad else b""))
            except OSError:
                self.closed = True

    def send(self, opcode, data=b"", **fields):
        fields.setdefault("data_len", len(data))
        self.send_raw(bhs(opcode, **fields), data)

    def drop(self):
        """Closes the connection at once (no logout, no response)."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- sequence numbers ----
    def next_statsn(self):
        s = self.statsn
        self.statsn = (self.statsn + 1) & RESERVED
        return s

    def sn_fields(self, status=True):
        """StatSN (consumed when status is True), ExpCmdSN and MaxCmdSN."""
        statsn = self.next_statsn() if status else self.statsn
        return dict(w24=statsn, w28=self.expcmdsn, w32=(self.expcmdsn + self.window - 1) & RESERVED)

    # ---- login ----
    def login(self, req):
        keys = parse_keys(req.data)
        self.isid = req.lun[:6]
        if "InitiatorName" in keys and not self.discovery:
            tsih = int.from_bytes(req.lun[6:8], "big")
            self.t.wire.append(("login", self.no, bytes(self.isid), tsih))
            if tsih == 0:
                self.t.reinstate(self)
        if self.t.on_login and self.t.on_login(self, req, keys):
            return
        if self.t.redirect and not self.t.redirected:
            detail, address = self.t.redirect
            self.t.redirected += 1
            return self.login_reply(req, 0, 0, False, [("TargetAddress", address)],
                                    status=(1, detail))
        csg, nsg, transit = (req.flags >> 2) & 3, req.flags & 3, bool(req.flags & 0x80)
        self.expcmdsn = req.cmdsn
        if csg == 0:
            return self.security(req, keys, transit, nsg)
        if csg == 1:
            return self.operational(req, keys, transit, nsg)
        self.login_reply(req, csg, 0, False, [], status=(2, 0x0B))

    def login_reply(self, req, csg, nsg, transit, pairs, status=(0, 0)):
        data = encode_keys(pairs)
        flags = (0x80 | nsg if transit else 0) | csg << 2
        tsih = self.tsih if transit and nsg == 3 else 0
        lun = self.isid + tsih.to_bytes(2, "big")
        self.send(OP_LOGIN_RSP, data, flags=flags, lun=lun, itt=req.itt,
                  w36=status[0] << 24 | status[1] << 16, **self.sn_fields())
        if status[0] == 0 and transit and nsg == 3:
            self.full = True
            self.t.wire.append(("full", self.no))
            if self.t.on_full_feature:
                self.t.on_full_feature(self)
        elif status[0] != 0:
            self.closed = True

    def security(self, req, keys, transit, nsg):
        chap = self.t.chap
        if "InitiatorName" in keys:  # the first request of the login
            self.discovery = keys.get("SessionType") == "Discovery"
            if not self.discovery and keys.get("TargetName") != self.t.iqn:
                return self.login_reply(req, 0, 0, False, [], status=(2, 0x03))
            offered = keys.get("AuthMethod", "None").split(",")
            if chap and "CHAP" not in offered:
                return self.login_reply(req, 0, 0, False, [], status=(2, 0x01))
            method = "CHAP" if chap else ("None" if "None" in offered else "Reject")
            if method == "CHAP":
                return self.login_reply(req, 0, 0, False, [("AuthMethod", "CHAP")])
            return self.login_reply(req, 0, nsg, transit, [("AuthMethod", method)])
        if not chap:
            return self.login_reply(req, 0, nsg, transit, [])
        if "CHAP_A" in keys:
            offer = [int(a) for a in keys["CHAP_A"].split(",") if a.isdigit()]
            self.t.chap_offers.append(offer)
            pick = next((a for a in offer if a in chap.get("algs", [5])), None)
            if pick is None:
                return self.login_reply(req, 0, 0, False, [("CHAP_A", "Reject")])
            self.chap_alg = pick
            self.chap_ident = random.randrange(256)
            self.chap_challenge = os.urandom(16)
            if self.t.reflector:
                self.t.reflector.challenge(self)
            return self.login_reply(req, 0, 0, False, [
                ("CHAP_A", str(self.chap_alg)), ("CHAP_I", str(self.chap_ident)),
                ("CHAP_C", "0x" + self.chap_challenge.hex())])
        if "CHAP_R" in keys:
            return self.chap_verify(req, keys, transit, nsg)
        self.login_reply(req, 0, 0, False, [], status=(2, 0x07))

    def chap_verify(self, req, keys, transit, nsg):
        chap = self.t.chap
        if self.t.reflector:
            return self.t.reflector.answer(self, req, keys, transit, nsg)
        want = chap_digest(self.chap_alg, self.chap_ident, chap["secret"], self.chap_challenge)
        if keys.get("CHAP_N") != chap["user"] or chap_decode(keys["CHAP_R"]) != want:
            return self.login_reply(req, 0, 0, False, [], status=(2, 0x01))
        pairs = []
        if "CHAP_C" in keys:  # mutual: prove we know the target secret
            if not chap.get("target_user"):
                return self.login_reply(req, 0, 0, False, [], status=(2, 0x01))
            answer = chap_digest(self.chap_alg, int(keys["CHAP_I"]), chap["target_secret"],
                                 chap_decode(keys["CHAP_C"]))
            pairs = [("CHAP_N", chap["target_user"]), ("CHAP_R", "0x" + answer.hex())]
        self.login_reply(req, 0, nsg, transit, pairs)

    def operational(self, req, keys, transit, nsg):
        answers = []
        mine = self.t.params
        for k, v in keys.items():
            if k in ("HeaderDigest", "DataDigest"):
                answers.append((k, "None" if "None" in v.split(",") else "Reject"))
            elif k == "MaxRecvDataSegmentLength":
                self.neg["xmit_dsl"] = int(v)
                answers.append((k, str(mine["MaxRecvDataSegmentLength"])))
            elif k in ("MaxBurstLength", "FirstBurstLength", "MaxOutstandingR2T",
                       "DefaultTime2Retain", "ErrorRecoveryLevel", "MaxConnections"):
                answers.append((k, str(min(int(v), mine.get(k, int(v))))))
            elif k == "DefaultTime2Wait":
                answers.append((k, str(max(int(v), mine.get(k, int(v))))))
            elif k in ("InitialR2T", "DataPDUInOrder", "DataSequenceInOrder"):  # OR
                answers.append((k, "Yes" if v == "Yes" or mine.get(k, "No") == "Yes" else "No"))
            elif k == "ImmediateData":  # AND
                answers.append((k, "Yes" if v == "Yes" and mine.get(k, "Yes") == "Yes" else "No"))
            elif k in ("InitiatorName", "InitiatorAlias", "TargetName", "SessionType"):
                continue
            else:
                answers.append((k, "NotUnderstood"))
        answers += self.t.extra_answers
        for k, v in answers:
            self.neg[k] = v
        if not self.tsih:
            self.tsih = random.randrange(1, 0xFFFF)
        self.login_reply(req, 1, nsg, transit, answers)

    def param(self, key, default):
        v = self.neg.get(key)
        if v is None:
            return default
        if v in ("Yes", "No"):
            return v == "Yes"
        return int(v)

    # ---- full feature phase ----
    def full_feature(self, p):
        if p.opcode == OP_NOP_OUT and p.itt != RESERVED:
            self.t.wire.append(("nop", self.no))
        if p.opcode == OP_TMF_REQ:
            self.t.wire.append(("tmf", self.no, p.flags & 0x7F))
        if self.t.on_pdu and self.t.on_pdu(self, p):
            return
        if p.opcode == OP_SCSI_CMD:
            if not p.immediate:
                self.expcmdsn = (p.cmdsn + 1) & RESERVED
            return self.command(p)
        if p.opcode == OP_DATA_OUT:
            return self.data_out(p)
        if p.opcode == OP_NOP_OUT:
            if p.itt == RESERVED:  # the echo of our ping
                self.t.nop_echoes.append((p.ttt, p.data, p.lun, p.immediate))
                return
            return self.send(OP_NOP_IN, p.data, flags=F_FINAL, lun=p.lun, itt=p.itt,
                             w20=RESERVED, **self.sn_fields())
        if p.opcode == OP_TEXT_REQ:
            return self.text(p)
        if p.opcode == OP_TMF_REQ:
            return self.tmf(p)
        if p.opcode == OP_LOGOUT_REQ:
            self.t.logouts.append(p.flags & 0x7F)
            self.send(OP_LOGOUT_RSP, flags=F_FINAL, itt=p.itt, **self.sn_fields())
            self.closed = True
            return
        self.send(OP_REJECT, p.raw, flags=F_FINAL, b2=0x04, itt=RESERVED, **self.sn_fields())

    def text(self, p):
        keys = parse_keys(p.data)
        pairs = []
        if keys.get("SendTargets") in ("All", self.t.iqn, ""):
            pairs = [("TargetName", self.t.iqn), ("TargetAddress", f"{self.t.portal},1")]
            pairs += [("TargetAddress", extra) for extra in self.t.extra_portals]
            for name, addresses in self.t.extra_targets:
                pairs.append(("TargetName", name))
                pairs += [("TargetAddress", a) for a in addresses]
        self.send(OP_TEXT_RSP, encode_keys(pairs), flags=F_FINAL, itt=p.itt, w20=RESERVED,
                  **self.sn_fields())

    def tmf(self, p):
        function = p.flags & 0x7F
        self.t.tmfs.append((function, p.w20))
        answer = self.t.answer_tmf   # True, False, or {function: response}
        if answer is False or (isinstance(answer, dict) and function not in answer):
            return
        response = answer[function] if isinstance(answer, dict) else 0
        if response == 0:
            if function == TMF_LUN_RESET:
                self.tasks.clear()
            else:
                self.tasks.pop(p.w20, None)
        self.send(OP_TMF_RSP, flags=F_FINAL, b2=response, itt=p.itt, **self.sn_fields())

    def command(self, p):
        task = Task(p)
        self.t.commands.append(bytes(task.cdb[:16]))
        self.t.wire.append(("cmd", self.no, bytes(task.cdb[:16])))
        if task.write:
            task.buf[:len(p.data)] = p.data
            task.got = len(p.data)
        self.tasks[task.itt] = task
        if self.t.on_command and self.t.on_command(self, task):
            return
        if task.write:
            return self.write_progress(task)
        self.execute(task)

    # writes: unsolicited data, then R2Ts until the buffer is complete
    def write_progress(self, task):
        if not task.unsolicited_done:
            return
        if task.got >= task.edtl and not task.outstanding:
            return self.execute(task)
        if not task.pending and not task.outstanding:
            task.pending = self.plan_r2ts(task)
        burst = self.t.r2t_burst or self.param("MaxOutstandingR2T", 1)
        while task.pending and len(task.outstanding) < burst:
            off, length = task.pending.pop(0)
            ttt = self.ttt = (self.ttt + 1) & 0x7FFFFFFF
            task.outstanding[ttt] = [off, length, 0]
            self.t.r2ts.append((off, length))
            self.send(OP_R2T, flags=F_FINAL, lun=task.lun, itt=task.itt, w20=ttt,
                      w36=task.r2tsn, w40=off, w44=length, **self.sn_fields(status=False))
            task.r2tsn += 1

    def plan_r2ts(self, task):
        chunk = min(self.t.r2t_chunk or 1 << 30, self.param("MaxBurstLength", 262144))
        start = task.got
        chunks = [(o, min(chunk, task.edtl - o)) for o in range(start, task.edtl, chunk)]
        if self.t.r2t_order == "reverse":
            chunks.reverse()
        elif self.t.r2t_order == "shuffle":
            random.Random(len(chunks)).shuffle(chunks)
        return chunks

    def data_out(self, p):
        task = self.tasks.get(p.itt)
        if task is None or not task.write:
            self.t.errors.append(f"Data-Out for an unknown task 0x{p.itt:08x}")
            return
        end = p.offset + len(p.data)
        if end > task.edtl:
            self.t.errors.append(f"Data-Out beyond the transfer: {p.offset}+{len(p.data)}")
            return
        task.buf[p.offset:end] = p.data
        if p.ttt == RESERVED:
            task.got += len(p.data)
            if p.flags & F_FINAL:
                task.unsolicited_done = True
                self.write_progress(task)
            return
        r2t = task.outstanding.get(p.ttt)
        if r2t is None or not r2t[0] <= p.offset or end > r2t[0] + r2t[1]:
            self.t.errors.append(f"Data-Out outside its R2T: TTT 0x{p.ttt:x} {p.offset}+{len(p.data)}")
            return
        r2t[2] += len(p.data)
        task.got += len(p.data)
        if p.flags & F_FINAL:
            if r2t[2] != r2t[1]:
                self.t.errors.append(f"R2T 0x{p.ttt:x} answered with {r2t[2]} of {r2t[1]} bytes")
            del task.outstanding[p.ttt]
            self.write_progress(task)

    # ---- SCSI ----
    def execute(self, task):
        data, status, sns = self.t.scsi(task)
        if task.write or status != GOOD or not task.read:
            return self.respond(task, status, sns)
        self.data_in(task, data)

    def data_in(self, task, data, status=GOOD):
        """Data-In PDUs (within the initiator's MaxRecvDataSegmentLength), the last one with
        the status (phase collapse) and any residual."""
        n = min(len(data), task.edtl)
        mrdsl = self.neg.get("xmit_dsl", 8192)
        flags = 0
        residual = 0
        if len(data) < task.edtl:
            flags, residual = 0x02, task.edtl - len(data)
        elif len(data) > task.edtl:
            flags, residual = 0x04, len(data) - task.edtl
        offsets = list(range(0, n, mrdsl)) or [0]
        for i, off in enumerate(offsets):
            seg = data[off:min(off + mrdsl, n)]
            last = i == len(offsets) - 1
            fl = F_FINAL | 0x01 | flags if last else 0
            self.send(OP_DATA_IN, seg, flags=fl, b3=status if last else 0, lun=task.lun,
                      itt=task.itt, w20=RESERVED, w36=i, w40=off, w44=residual if last else 0,
                      **self.sn_fields(status=last))
        self.tasks.pop(task.itt, None)

    def respond(self, task, status=GOOD, sense_data=b""):
        self.send(OP_SCSI_RSP, sense_data, flags=F_FINAL, b3=status, lun=task.lun, itt=task.itt,
                  **self.sn_fields())
        self.tasks.pop(task.itt, None)

    # ---- the connection's thread ----
    def run(self):
        try:
            while not self.closed:
                p = self.recv_pdu()
                if p is None:
                    break
                if p.opcode == OP_LOGIN_REQ and not self.full:
                    self.login(p)
                elif self.full:
                    self.full_feature(p)
                else:
                    self.t.errors.append(f"opcode 0x{p.opcode:02x} before login")
                    break
        except Exception as e:  # noqa: BLE001 - a target bug must surface in the test
            self.t.errors.append(f"{type(e).__name__}: {e}")
        finally:
            self.drop()
            self.sock.close()


class FakeTarget:
    """A target with one RAM LUN (LUN 0) on 127.0.0.1 (or ::1). Use as a context manager or call
    start() and stop(); stop() closes every socket and joins every thread."""

    def __init__(self, iqn="iqn.2026-11.test.swiscsi:fake", blocks=2048, block_size=512, chap=None,
                 params=None, host="127.0.0.1"):
        self.iqn = iqn
        self.host = host                    # "127.0.0.1" or "::1"
        self.block_size = block_size
        self.lun = bytearray(blocks * block_size)
        self.chap = chap                    # dict(user, secret, [target_user, target_secret], algs)
        self.params = {"MaxRecvDataSegmentLength": 262144, "MaxBurstLength": 262144,
                       "FirstBurstLength": 65536, "MaxOutstandingR2T": 1, "InitialR2T": "No",
                       "ImmediateData": "Yes", "ErrorRecoveryLevel": 0}
        self.params.update(params or {})
        self.extra_answers = []            # keys appended to the operational answer
        self.extra_portals = []            # more TargetAddress values for SendTargets
        self.extra_targets = []            # (name, [TargetAddress...]) also reported
        self.redirect = None                # (status detail, "addr:port,tpgt") for the first login
        self.redirected = 0
        self.reflector = None
        self.r2t_chunk = None
        self.r2t_order = "in"
        self.r2t_burst = None
        self.answer_tmf = True
        self.window = 64                    # commands the initiator may have in flight
        self.read_errors, self.write_errors = {}, {}   # LBA -> sense data segment
        self.watched = set()
        self.reads, self.writes = collections.Counter(), collections.Counter()
        self.on_login = self.on_full_feature = self.on_command = self.on_pdu = None
        self.chap_offers, self.nop_echoes, self.logouts = [], [], []
        self.commands, self.r2ts, self.tmfs, self.errors = [], [], [], []
        self.wire = []
        self.connections = 0
        self._conns = []
        self._threads = []
        self._lock = threading.Lock()
        self._sock = None

    @property
    def port(self):
        return self._sock.getsockname()[1]

    @property
    def portal(self):
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def url(self, lun=0, user=None, query=""):
        auth = f"{user}@" if user else ""
        return f"iscsi://{auth}{self.portal}/{self.iqn}/{lun}" + (f"?{query}" if query else "")

    def start(self):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, 0))
        self._sock.listen(8)
        th = threading.Thread(target=self._accept, name="faketarget-accept", daemon=True)
        th.start()
        self._threads.append(th)
        return self

    def _accept(self):
        while True:
            try:
                s, _ = self._sock.accept()
            except OSError:
                return
            s.settimeout(30)  # a last resort: no thread outlives a forgotten connection
            with self._lock:
                self.connections += 1
                conn = Conn(self, s, self.connections)
            th = threading.Thread(target=conn.run, name="faketarget-conn", daemon=True)
            with self._lock:
                self._conns.append(conn)
                self._threads.append(th)
            th.start()

    def stop(self):
        if self._sock:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for c in conns:
            c.drop()
        if self.reflector:
            self.reflector.release()
        for th in threads:
            th.join(timeout=5)
        alive = [th.name for th in threads if th.is_alive()]
        assert not alive, f"fake target threads did not stop: {alive}"

    def reinstate(self, new):
        """A login with TSIH 0 and the ISID of a live session ends that session first."""
        with self._lock:
            old = [c for c in self._conns if c is not new and c.full and c.isid == new.isid]
        for c in old:
            c.drop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- the LUN ----
    def scsi(self, task):
        """Executes a command on the RAM LUN: (data, status, sense data segment)."""
        cdb, op = task.cdb, task.op
        blocks = len(self.lun) // self.block_size
        illegal = (b"", CHECK_CONDITION, sense(0x05, 0x24))
        if op == 0x00 or op in (0x35, 0x91):  # TEST UNIT READY, SYNCHRONIZE CACHE 10/16
            return b"", GOOD, b""
        if op == 0x12:  # INQUIRY
            if cdb[1] & 1:
                return self.vpd(cdb[2]) or illegal
            std = bytearray(36)
            std[2], std[3], std[4], std[7] = 0x06, 0x02, 31, 0x02
            std[8:36] = b"SWIFAKE FAKETARGET      0001"
            return bytes(std), GOOD, b""
        if op == 0xA0:  # REPORT LUNS
            return struct.pack(">II", 8, 0) + bytes(8), GOOD, b""
        if op == 0x25:  # READ CAPACITY 10
            return struct.pack(">II", min(blocks - 1, RESERVED), self.block_size), GOOD, b""
        if op == 0x9E and cdb[1] & 0x1F == 0x10:  # READ CAPACITY 16
            return struct.pack(">QI", blocks - 1, self.block_size) + bytes(20), GOOD, b""
        if op in (0x28, 0x2A, 0x88, 0x8A):
            if op in (0x28, 0x2A):
                lba, n = struct.unpack(">I", cdb[2:6])[0], struct.unpack(">H", cdb[7:9])[0]
            else:
                lba, n = struct.unpack(">Q", cdb[2:10])[0], struct.unpack(">I", cdb[10:14])[0]
            if lba + n > blocks:
                return b"", CHECK_CONDITION, sense(0x05, 0x21)
            start, end = lba * self.block_size, (lba + n) * self.block_size
            failed = self.count_rw(op in (0x2A, 0x8A), lba, n)
            if failed:
                return b"", CHECK_CONDITION, failed
            if op in (0x2A, 0x8A):
                if task.edtl != end - start:
                    self.errors.append(f"WRITE of {n} blocks with EDTL {task.edtl}")
                self.lun[start:end] = task.buf[:end - start]
                return b"", GOOD, b""
            return bytes(self.lun[start:end]), GOOD, b""
        return b"", CHECK_CONDITION, sense(0x05, 0x20)

    def count_rw(self, write, lba, n):
        """Counts a READ or WRITE of n blocks at lba against the LBAs being watched; the sense
        data it must fail with (its first LBA with an error), or None."""
        errors = self.write_errors if write else self.read_errors
        counter = self.writes if write else self.reads
        covered = [b for b in set(errors) | self.watched if lba <= b < lba + n]
        with self._lock:
            counter.update(covered)
        bad = sorted(b for b in covered if b in errors)
        return errors[bad[0]] if bad else None

    def vpd(self, page):
        if page == 0x00:
            return bytes([0, 0, 0, 3, 0x00, 0x80, 0x83]), GOOD, b""
        if page == 0x80:
            serial = b"FAKE0001"
            return bytes([0, 0x80, 0, len(serial)]) + serial, GOOD, b""
        if page == 0x83:
            naa = bytes([0x01, 0x03, 0x00, 0x08, 0x60, 0x01, 0x40, 0x5f, 0, 0, 0, 1])
            return bytes([0, 0x83, 0, len(naa)]) + naa, GOOD, b""
        return None


class Reflector:
    """A CHAP reflection attack on mutual CHAP, by a target that knows no secret: it holds the
    first initiator's login once that initiator has sent its own challenge, gives the same
    challenge (and CHAP_I) to a second initiator, and replays the second one's answer to the
    first as its proof of the target secret. Only an initiator that checks the answer against
    its own secret (RFC 7143 §12.1.3) can tell."""

    def __init__(self):
        self.first = None                  # (CHAP_I, CHAP_C bytes, alg) of the held initiator
        self.stolen = threading.Event()
        self.answer_value = None
        self.victim_outcome = None
        self._released = threading.Event()

    def challenge(self, conn):
        if self.first is not None:          # the second connection: reflect the first's
            conn.chap_ident, conn.chap_challenge, conn.chap_alg = self.first

    def answer(self, conn, req, keys, transit, nsg):
        if self.first is None:             # the victim: hold it until the answer is stolen
            self.first = (int(keys["CHAP_I"]), chap_decode(keys["CHAP_C"]), conn.chap_alg)
            self.stolen.wait(timeout=20)
            if self._released.is_set() and not self.answer_value:
                return
            pairs = [("CHAP_N", conn.t.chap["target_user"]), ("CHAP_R", self.answer_value)]
            conn.login_reply(req, 0, nsg, transit, pairs)
            return
        self.answer_value = keys["CHAP_R"]   # the helper's answer to the victim's challenge
        self.stolen.set()
        conn.login_reply(req, 0, 0, False, [], status=(2, 0x01))

    def release(self):
        self._released.set()
        self.stolen.set()
