/* SCSI tasks. A fixed table indexed by the ITT's low bits (no search, no allocation per I/O);
 * the high bits carry a generation so a late PDU for a finished task is recognised. */
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

enum { SLOT_BITS = 10, SLOT_MASK = TASK_SLOTS - 1 };

_Static_assert(TASK_SLOTS == 1 << SLOT_BITS, "TASK_SLOTS is a power of two");

static struct task *lookup(struct swi_session *s, uint32_t itt)
{
	struct task_table *tt = &s->tasks;
	if (!tt->slots)
		return NULL;
	struct task *t = &tt->slots[itt & SLOT_MASK];
	return t->used && t->itt == itt ? t : NULL;
}

/* An ITT for the task in its slot, never used before (a new generation). */
static void new_itt(struct task_table *tt, struct task *t)
{
	uint32_t idx = (uint32_t)(t - tt->slots);
	tt->generation++;
	t->itt = ITT_TASK | ((tt->generation << SLOT_BITS | idx) & ITT_SERIAL);
}

static struct task *alloc_task(struct swi_session *s)
{
	struct task_table *tt = &s->tasks;
	if (!tt->slots && !(tt->slots = calloc(TASK_SLOTS, sizeof(*tt->slots))))
		return NULL;
	for (uint32_t i = 0; i < TASK_SLOTS; i++) {
		uint32_t idx = (tt->free_hint + i) & SLOT_MASK;
		struct task *t = &tt->slots[idx];
		if (t->used)
			continue;
		tt->free_hint = idx + 1;
		memset(t, 0, sizeof(*t));
		t->used = true;
		new_itt(tt, t);
		tt->inflight++;
		return t;
	}
	return NULL;
}

/* The transport may still hold PDUs pointing into a write's buffer (the target answered
 * before all its data went out): those are dropped or copied before the caller, told the task
 * is done, frees the buffer. Checked in O(1) when everything was sent, the usual case. */
static void release_buffer(struct swi_session *s, struct task *t)
{
	/* a transport about to be dropped sends nothing more: no need to copy for it */
	if (t->dir != SWI_DIR_WRITE || !s->x || s->rec.drop || xport_sent(s->x, t->last_seq))
		return;
	xport_release(s->x, t->itt); /* a failure fails the transport: nothing more is sent */
}

/* A task about to be sent again (after a lost connection, or a BUSY): its old PDUs are let go
 * and it starts over under a new ITT, so that nothing late for the old one can touch it. The
 * buffer stays the caller's: nothing is copied. */
static void task_rewind(struct swi_session *s, struct task *t)
{
	if (t->counted)
		s->tasks.read_expected -= t->len - t->received;
	release_buffer(s, t);
	new_itt(&s->tasks, t);
	t->counted = false;
	t->received = t->next_datasn = t->unsolicited = t->r2t_asked = t->next_r2tsn = 0;
	t->tmf_itt = 0;
	t->tmf = 0;
	memset(&t->res, 0, sizeof(t->res));
}

static void finish(struct swi_session *s, struct task *t, int status)
{
	if (t->counted)
		s->tasks.read_expected -= t->len - t->received;
	release_buffer(s, t);
	swi_scsi_fn done = t->done;
	void *arg = t->arg;
	struct swi_scsi_result res = t->res;
	t->used = false;
	s->tasks.inflight--;
	s->stats.commands++;
	s->stats.command_errors += status < 0 || res.status != 0;
	s->stats.timeouts += status < 0 && s->err_class == SWI_ERR_PDU_TIMEOUT;
	if (done)
		done(s, status, &res, arg);
}

/* Single-level LUN structure (SAM): peripheral addressing below 256, flat space above. */
static void encode_lun(uint64_t lun, uint8_t out[8])
{
	memset(out, 0, 8);
	if (lun < 256) {
		out[1] = (uint8_t)lun;
	} else {
		out[0] = (uint8_t)(0x40 | ((lun >> 8) & 0x3f));
		out[1] = (uint8_t)lun;
	}
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* Data-Out PDUs for [offset, offset+len) of t's buffer, each within the target's limit. */
static int send_data_out(struct swi_session *s, struct task *t, uint32_t ttt, uint32_t offset,
			 uint32_t len)
{
	uint32_t datasn = 0, end = offset + len;
	while (offset < end) {
		uint32_t n = end - offset < s->neg.max_xmit_dsl ? end - offset : s->neg.max_xmit_dsl;
		struct bhs h = { .opcode = OP_DATA_OUT, .itt = t->itt, .data_len = n };
		h.flags = offset + n == end ? BHS_F_FINAL : 0;
		memcpy(h.lun_or_isid, t->lun, 8);
		BHS_TTT(&h) = ttt;
		BHS_EXPSTATSN(&h) = s->expstatsn;
		BHS_DATASN(&h) = datasn++;
		BHS_BUFFER_OFFSET(&h) = offset;
		if (session_send(s, &h, t->buf + offset, false) < 0)
			return -1;
		offset += n;
	}
	t->last_seq = xport_last_seq(s->x);
	return 0;
}

static int send_command(struct swi_session *s, struct task *t)
{
	uint32_t imm = 0, unsolicited = 0;
	if (t->dir == SWI_DIR_WRITE) {
		uint32_t first = s->neg.first_burst;
		imm = s->neg.immediate_data ? min3(t->len, first, s->neg.max_xmit_dsl) : 0;
		unsolicited = s->neg.initial_r2t ? imm : (t->len < first ? t->len : first);
	}
	if (t->dir == SWI_DIR_READ) {
		t->counted = true;
		s->tasks.read_expected += t->len;
	}
	struct bhs h = { .opcode = OP_SCSI_CMD, .itt = t->itt, .data_len = imm };
	h.flags = CMD_ATTR_SIMPLE | (unsolicited == imm ? BHS_F_FINAL : 0) |
		  (t->dir == SWI_DIR_READ ? CMD_F_READ : 0) | (t->dir == SWI_DIR_WRITE ? CMD_F_WRITE : 0);
	memcpy(h.lun_or_isid, t->lun, 8);
	memcpy(h.cdb, t->cdb, 16);
	BHS_EDTL(&h) = t->len;
	t->cmdsn = s->cmdsn++;
	BHS_CMDSN(&h) = t->cmdsn;
	BHS_EXPSTATSN(&h) = s->expstatsn;
	if (session_send(s, &h, t->buf, false) < 0)
		return -1;
	t->last_seq = xport_last_seq(s->x);
	t->unsolicited = unsolicited;
	if (unsolicited > imm)
		return send_data_out(s, t, ISCSI_RESERVED_TAG, imm, unsolicited - imm);
	return 0;
}

static bool window_open(const struct swi_session *s)
{
	return sn_le(s->cmdsn, s->maxcmdsn);
}

int task_kick(struct swi_session *s)
{
	struct task_table *tt = &s->tasks;
	long long now = tt->queue_head && tt->queue_head->not_before_ms ? session_now_ms() : 0;
	while (tt->queue_head && window_open(s) && s->state == SS_FULL && !s->rec.draining &&
	       (!tt->queue_head->not_before_ms || tt->queue_head->not_before_ms <= now)) {
		struct task *t = tt->queue_head;
		t->not_before_ms = 0;
		tt->queue_head = t->next_queued;
		if (!tt->queue_head)
			tt->queue_tail = NULL;
		t->queued = false;
		if (send_command(s, t) < 0)
			return -1;
	}
	return 0;
}

/* A task that never became the caller's: gone without a callback (a refused submission). */
static void discard(struct swi_session *s, struct task *t)
{
	if (t->counted)
		s->tasks.read_expected -= t->len - t->received;
	release_buffer(s, t);
	t->used = false;
	s->tasks.inflight--;
}

int swi_scsi_async(struct swi_session *s, uint64_t lun, const uint8_t *cdb, size_t cdb_len,
		   enum swi_dir dir, void *buf, uint32_t len, swi_scsi_fn done, void *arg)
{
	return swi_scsi_async_ex(s, lun, cdb, cdb_len, dir, buf, len, 0, done, arg);
}

int swi_scsi_async_ex(struct swi_session *s, uint64_t lun, const uint8_t *cdb, size_t cdb_len,
		      enum swi_dir dir, void *buf, uint32_t len, unsigned flags, swi_scsi_fn done,
		      void *arg)
{
	if (s->state == SS_FAILED)
		return -1; /* s->err holds why the session failed: a new message would hide it */
	if (flags & ~(unsigned)SWI_CMD_FAILFAST_TRANSPORT) {
		snprintf(s->err, sizeof(s->err), "SCSI command: unknown flags 0x%x", flags);
		s->err_class = SWI_ERR_INVAL;
		return -1;
	}
	bool failfast = flags & SWI_CMD_FAILFAST_TRANSPORT;
	if (s->rec.armed && recovery_accepts(s) < 0)
		return -1;
	if (failfast && s->rec.active) {
		snprintf(s->err, sizeof(s->err),
			 "SCSI command: the connection to %s is lost and being recovered (a fail-fast command is not held)",
			 s->o.portal);
		s->err_class = SWI_ERR_TRANS;
		return -1;
	}
	if (s->logout_requested) {
		snprintf(s->err, sizeof(s->err), "SCSI command: the target asked us to log out (Async Message)");
		s->err_class = SWI_ERR;
		return -1;
	}
	bool up = s->state == SS_FULL || (s->rec.armed && s->state != SS_CLOSED);
	const char *why = !up || !s->o.target_name ? "the session is not logged in to a target"
			  : cdb_len == 0 || cdb_len > 16	      ? "a CDB has 1 to 16 bytes"
			  : len && !buf && dir != SWI_DIR_NONE	      ? "no data buffer"
			  : dir == SWI_DIR_NONE && len		      ? "a transfer length without a direction"
								      : NULL;
	if (why) {
		snprintf(s->err, sizeof(s->err), "SCSI command: %s", why);
		s->err_class = SWI_ERR_INVAL;
		return -1;
	}
	struct task *t = alloc_task(s);
	if (!t) {
		snprintf(s->err, sizeof(s->err), "SCSI command: %d commands are already in flight",
			 TASK_SLOTS);
		s->err_class = SWI_ERR_NOMEM;
		return -1;
	}
	encode_lun(lun, t->lun);
	memcpy(t->cdb, cdb, cdb_len);
	t->dir = dir;
	t->buf = buf;
	t->len = len;
	t->done = done;
	t->arg = arg;
	t->failfast = failfast;
	t->deadline_ms = session_now_ms() + s->o.timeout_ms;
	/* arm the command timer: swi_timeout_ms() knows of no deadline until it is set, and with
	 * the keepalive off a stalled command would wait forever */
	if (!s->task_check_ms || s->tasks.inflight == 1 || t->deadline_ms < s->task_check_ms)
		s->task_check_ms = t->deadline_ms;
	if (!window_open(s) || s->tasks.queue_head || s->state != SS_FULL || s->rec.draining) {
		t->queued = true;
		if (s->tasks.queue_tail)
			s->tasks.queue_tail->next_queued = t;
		else
			s->tasks.queue_head = t;
		s->tasks.queue_tail = t;
		return 0;
	}
	/* a send that lost the connection holds the command (recovery): it is submitted; a
	 * fail-fast one, or any when the session failed for good, is refused instead, here, so
	 * that no callback runs inside this call besides the -1 */
	s->tasks.submitting = t;
	int rc = send_command(s, t);
	s->tasks.submitting = NULL;
	if (rc < 0 && t->used && (failfast || !s->rec.active)) {
		discard(s, t);
		return -1;
	}
	return 0;
}

uint64_t task_read_expected(const struct swi_session *s)
{
	return s->tasks.read_expected;
}

unsigned swi_inflight(const struct swi_session *s)
{
	return s->tasks.inflight;
}

uint8_t *task_data_in_dest(struct swi_session *s, const struct bhs *h)
{
	struct task *t = lookup(s, h->itt);
	uint64_t end = (uint64_t)BHS_BUFFER_OFFSET(h) + h->data_len;
	/* only the next bytes in order: a repeat or a jump never lands on data already there */
	if (!t || t->dir != SWI_DIR_READ || BHS_BUFFER_OFFSET(h) != t->received || end > t->len)
		return NULL;
	return t->buf + BHS_BUFFER_OFFSET(h);
}

/* Flags and residual of the final status (RFC 7143 §11.4.5), checked against what arrived:
 * NULL when they agree, else what is wrong. With GOOD status a read must have received all its
 * bytes less an underflow residual; an error status may end a read early. */
static const char *set_residual(struct task *t, uint8_t flags, uint32_t residual)
{
	bool under = (flags & RSP_F_UNDERFLOW) != 0, over = (flags & RSP_F_OVERFLOW) != 0;
	t->res.underflow = under;
	t->res.overflow = over;
	t->res.residual = under || over ? residual : 0;
	if (under && over)
		return "both underflow and overflow";
	if (under && residual > t->len)
		return "an underflow larger than the transfer";
	if (t->dir != SWI_DIR_READ || t->res.status != 0)
		return NULL;
	if (t->received != t->len - (under ? residual : 0))
		return "GOOD status, but the data received does not match the residual";
	return NULL;
}

/* The final status: records it and completes the task, or fails the session when the
 * accounting does not add up (a protocol error; at ErrorRecoveryLevel 0 the session ends). */
static int final_status(struct swi_session *s, struct task *t, const struct bhs *h)
{
	t->res.status = h->b3;
	const char *why = set_residual(t, h->flags, BHS_RESIDUAL(h));
	if (why)
		return session_fail(s, SWI_ERR, "protocol error in a %s: %s (%u of %u bytes received, residual %u)",
				    opcode_name(h->opcode), why, t->received, t->len, BHS_RESIDUAL(h));
	t->res.transferred = t->dir == SWI_DIR_READ ? t->received : 0;
	if (t->dir == SWI_DIR_WRITE)
		t->res.transferred = t->len - (t->res.underflow ? t->res.residual : 0);
	return 0;
}

/* Data-In must come in order (DataPDUInOrder and DataSequenceInOrder are Yes: we offer Yes,
 * and the result is their OR): DataSN one after another, each PDU starting where the last one
 * ended. Anything else (a gap, a repeat, an overlap, more than the buffer) is a protocol error. */
int task_on_data_in(struct swi_session *s, const struct bhs *h, const uint8_t *data)
{
	struct task *t = lookup(s, h->itt);
	if (!t)
		return session_fail(s, SWI_ERR, "Data-In for an unknown task (ITT 0x%08x)", h->itt);
	uint32_t offset = BHS_BUFFER_OFFSET(h);
	uint64_t end = (uint64_t)offset + h->data_len;
	if (t->dir != SWI_DIR_READ || end > t->len)
		return session_fail(s, SWI_ERR, "Data-In outside the command's buffer (offset %u, length %u, buffer %u)",
				    offset, h->data_len, t->len);
	if (BHS_DATASN(h) != t->next_datasn)
		return session_fail(s, SWI_ERR, "Data-In out of sequence (DataSN %u, expected %u)",
				    BHS_DATASN(h), t->next_datasn);
	if (offset != t->received || (h->data_len && data != t->buf + offset))
		return session_fail(s, SWI_ERR, "Data-In out of order (offset %u, expected %u): a gap, a repeat or an overlap",
				    offset, t->received);
	t->next_datasn++;
	t->received += h->data_len;
	s->tasks.read_expected -= h->data_len;
	if (!(h->flags & DATAIN_F_STATUS))
		return 0;
	if (final_status(s, t, h) < 0)
		return -1;
	finish(s, t, 0);
	return 0;
}

enum { ST_CHECK_CONDITION = 0x02, ST_BUSY = 0x08, ST_TASK_SET_FULL = 0x28 };
enum { SENSE_UNIT_ATTENTION = 0x6, ASC_POWER_ON_RESET = 0x29 };

/* A condition that passes by itself: the target is busy, its task set is full, or it reports
 * that it was powered on or reset (ASC 29h; other unit attentions, such as REPORTED LUNS DATA
 * HAS CHANGED, are news the owner must see). data is the response's data segment. */
static bool transient(uint8_t status, const uint8_t *data, uint32_t len)
{
	if (status == ST_BUSY || status == ST_TASK_SET_FULL)
		return true;
	if (status != ST_CHECK_CONDITION || len < 2 + 14)
		return false;
	const uint8_t *sn = data + 2;
	bool descriptor = (sn[0] & 0x7f) >= 0x72;
	uint8_t key = (descriptor ? sn[1] : sn[2]) & 0x0f, asc = descriptor ? sn[2] : sn[12];
	return key == SENSE_UNIT_ATTENTION && asc == ASC_POWER_ON_RESET;
}

/* Re-sends t after the retry delay instead of completing it; false when its retries are used
 * up (or off). It goes to the front of the queue: it was issued before what waits there. */
static bool retry_later(struct swi_session *s, struct task *t, const struct bhs *h,
			const uint8_t *data)
{
	if (t->retries >= s->o.scsi_retries || !transient(h->b3, data, h->data_len))
		return false;
	t->retries++;
	s->stats.scsi_retries++;
	task_rewind(s, t);
	t->not_before_ms = session_now_ms() + s->o.scsi_retry_delay_ms;
	t->deadline_ms = t->not_before_ms + s->o.timeout_ms;
	t->queued = true;
	t->next_queued = s->tasks.queue_head;
	s->tasks.queue_head = t;
	if (!s->tasks.queue_tail)
		s->tasks.queue_tail = t;
	return true;
}

int task_on_response(struct swi_session *s, const struct bhs *h, const uint8_t *data)
{
	struct task *t = lookup(s, h->itt);
	if (!t)
		return session_fail(s, SWI_ERR, "SCSI Response for an unknown task (ITT 0x%08x)", h->itt);
	if (h->b2 != 0) {
		snprintf(s->err, sizeof(s->err), "the target could not complete the command (iSCSI response 0x%02x)",
			 h->b2);
		s->err_class = SWI_ERR;
		finish(s, t, -1);
		return 0;
	}
	if (final_status(s, t, h) < 0)
		return -1;
	if (retry_later(s, t, h, data))
		return 0;
	if (h->data_len >= 2) {
		size_t slen = (size_t)data[0] << 8 | data[1];
		if (slen > h->data_len - 2)
			slen = h->data_len - 2;
		if (slen > sizeof(t->res.sense))
			slen = sizeof(t->res.sense);
		memcpy(t->res.sense, data + 2, slen);
		t->res.sense_len = slen;
	}
	finish(s, t, 0);
	return 0;
}

/* R2Ts of t whose final Data-Out has not gone out yet: the target may have no more than
 * MaxOutstandingR2T of them (RFC 7143 §13.17). Counts back through the recent ones. */
static unsigned r2t_outstanding(const struct swi_session *s, const struct task *t)
{
	unsigned n = 0;
	uint32_t known = t->next_r2tsn < R2T_TRACK ? t->next_r2tsn : R2T_TRACK;
	while (n < known && !xport_sent(s->x, t->r2t_seq[(t->next_r2tsn - 1 - n) % R2T_TRACK]))
		n++;
	return n;
}

/* What a target may ask of a write (RFC 7143 §11.8): R2TSN in order, within the command's
 * data, past what went unsolicited, at most MaxBurstLength and MaxOutstandingR2T at a time,
 * and all of its R2Ts together no more than the data there is to ask for, so a flood of R2Ts
 * cannot queue more Data-Out than the buffer holds. Offsets need not rise: some targets ask
 * out of order although DataSequenceInOrder=Yes. */
static const char *r2t_invalid(const struct swi_session *s, const struct task *t,
			       const struct bhs *h)
{
	uint32_t offset = BHS_BUFFER_OFFSET(h), len = BHS_DESIRED_LEN(h);
	if (t->dir != SWI_DIR_WRITE || (uint64_t)offset + len > t->len || len == 0)
		return "outside the command's data";
	if (BHS_DATASN(h) != t->next_r2tsn)
		return "out of sequence (R2TSN)";
	if (len > s->neg.max_burst)
		return "for more than MaxBurstLength";
	if (offset < t->unsolicited)
		return "for data already sent unsolicited";
	if (len > t->len - t->unsolicited - t->r2t_asked)
		return "for more data than the command has left to ask for";
	if (s->neg.max_outstanding_r2t <= R2T_TRACK && r2t_outstanding(s, t) >= s->neg.max_outstanding_r2t)
		return "beyond MaxOutstandingR2T";
	return NULL;
}

int task_on_r2t(struct swi_session *s, const struct bhs *h)
{
	struct task *t = lookup(s, h->itt);
	if (!t)
		return session_fail(s, SWI_ERR, "R2T for an unknown task (ITT 0x%08x)", h->itt);
	const char *why = r2t_invalid(s, t, h);
	if (why)
		return session_fail(s, SWI_ERR, "protocol error: an R2T %s (R2TSN %u, offset %u, length %u; data %u, MaxBurstLength %u, MaxOutstandingR2T %u)",
				    why, BHS_DATASN(h), BHS_BUFFER_OFFSET(h), BHS_DESIRED_LEN(h), t->len,
				    s->neg.max_burst, s->neg.max_outstanding_r2t);
	t->r2t_asked += BHS_DESIRED_LEN(h);
	if (send_data_out(s, t, BHS_TTT(h), BHS_BUFFER_OFFSET(h), BHS_DESIRED_LEN(h)) < 0)
		return -1;
	t->r2t_seq[t->next_r2tsn++ % R2T_TRACK] = t->last_seq;
	return 0;
}

enum { TMF_ABORT_TASK = 1, TMF_LUN_RESET = 5 };
enum { TMF_COMPLETE = 0, TMF_NO_TASK = 1 };

/* A task management request about t (RFC 7143 §11.5), immediate: ABORT TASK names the task by
 * ITT and CmdSN; LUN RESET, the next step when the abort is refused or unanswered, ends every
 * task of t's LUN. */
static int send_tmf(struct swi_session *s, struct task *t, uint8_t function, long long now)
{
	struct bhs h = { .opcode = OP_TMF_REQ, .immediate = true, .flags = BHS_F_FINAL | function };
	memcpy(h.lun_or_isid, t->lun, 8);
	h.itt = t->tmf_itt = session_class_itt(s, ITT_TMF);
	bool abort = function == TMF_ABORT_TASK;
	h.w20 = abort ? t->itt : 0xffffffffu;   /* Referenced Task Tag, reserved for LUN RESET */
	BHS_CMDSN(&h) = s->cmdsn;
	BHS_EXPSTATSN(&h) = s->expstatsn;
	h.w32 = abort ? t->cmdsn : 0;            /* RefCmdSN */
	t->tmf = function;
	t->deadline_ms = now + (abort ? s->o.abort_timeout_ms : s->o.lu_reset_timeout_ms);
	return session_send(s, &h, NULL, false);
}

long long task_check_timeouts(struct swi_session *s, long long now)
{
	struct task_table *tt = &s->tasks;
	long long next = 0;
	for (uint32_t i = 0; tt->slots && tt->inflight && i < TASK_SLOTS; i++) {
		struct task *t = &tt->slots[i];
		if (!t->used || (t->queued && s->rec.draining))
			continue; /* held back by a logout the target asked for: rearmed after it */
		if (now >= t->deadline_ms) {
			/* a queued command never reached the target: its window stayed shut */
			if (t->tmf == TMF_LUN_RESET || t->queued) {
				/* the time the last step had */
				session_fail(s, SWI_ERR_PDU_TIMEOUT,
					     "the target did not answer a command, its abort or a LUN reset within %d ms",
					     t->queued ? s->o.timeout_ms : s->o.lu_reset_timeout_ms);
				return 0;
			}
			if (send_tmf(s, t, t->tmf ? TMF_LUN_RESET : TMF_ABORT_TASK, now) < 0)
				return 0;
		}
		if (!next || t->deadline_ms < next)
			next = t->deadline_ms;
	}
	return next;
}

/* After a LUN RESET the target has ended every task of the LUN; so do we. */
static void fail_lun(struct swi_session *s, const uint8_t lun[8])
{
	uint8_t which[8];
	memcpy(which, lun, 8);
	snprintf(s->err, sizeof(s->err),
		 "SCSI command timed out after %d ms; its abort failed and the LUN was reset",
		 s->o.timeout_ms);
	s->err_class = SWI_ERR_PDU_TIMEOUT;
	/* marked first: a callback may start new commands on the LUN, which live on */
	bool ended[TASK_SLOTS];
	for (uint32_t i = 0; i < TASK_SLOTS; i++) {
		const struct task *t = &s->tasks.slots[i];
		ended[i] = t->used && !t->queued && memcmp(t->lun, which, 8) == 0;
	}
	for (uint32_t i = 0; i < TASK_SLOTS; i++)
		if (ended[i] && s->tasks.slots[i].used)
			finish(s, &s->tasks.slots[i], -1);
}

int task_on_tmf_response(struct swi_session *s, const struct bhs *h)
{
	struct task_table *tt = &s->tasks;
	for (uint32_t i = 0; tt->slots && i < TASK_SLOTS; i++) {
		struct task *t = &tt->slots[i];
		if (!t->used || !t->tmf_itt || t->tmf_itt != h->itt)
			continue;
		bool done = h->b2 == TMF_COMPLETE || (t->tmf == TMF_ABORT_TASK && h->b2 == TMF_NO_TASK);
		if (!done && t->tmf == TMF_ABORT_TASK)
			return send_tmf(s, t, TMF_LUN_RESET, session_now_ms());
		if (!done)
			return session_fail(s, SWI_ERR_PDU_TIMEOUT,
					    "a command timed out and the target refused both to abort it and to reset its LUN (response %u)",
					    h->b2);
		if (t->tmf == TMF_LUN_RESET) {
			fail_lun(s, t->lun);
			return 0;
		}
		snprintf(s->err, sizeof(s->err), "SCSI command timed out after %d ms and was aborted",
			 s->o.timeout_ms);
		s->err_class = SWI_ERR_PDU_TIMEOUT;
		finish(s, t, -1);
		return 0;
	}
	return 0; /* the task finished before the request arrived: nothing to do */
}

void task_fail_all(struct swi_session *s)
{
	struct task_table *tt = &s->tasks;
	tt->queue_head = tt->queue_tail = NULL;
	for (uint32_t i = 0; tt->slots && i < TASK_SLOTS; i++)
		if (tt->slots[i].used && &tt->slots[i] != tt->submitting)
			finish(s, &tt->slots[i], -1);   /* (swi_scsi_async_ex refuses that one) */
}

static int by_cmdsn(const void *a, const void *b)
{
	const struct task *x = *(struct task *const *)a, *y = *(struct task *const *)b;
	int32_t d = (int32_t)(x->cmdsn - y->cmdsn);
	return d < 0 ? -1 : d > 0;
}

/* A command that loses its connection this often is what kills it (a target that stalls on it
 * every time): it fails instead of looping through recoveries for ever. */
enum { HOLD_MAX = 4 };

/* Takes the fail-fast commands out of the queue (they never reached the target): into out. */
static size_t unqueue_failfast(struct task_table *tt, struct task **out, size_t n)
{
	struct task **pp = &tt->queue_head;
	tt->queue_tail = NULL;
	while (*pp) {
		struct task *t = *pp;
		if (t->failfast && t != tt->submitting) {
			*pp = t->next_queued;
			t->queued = false;
			out[n++] = t;
			continue;
		}
		tt->queue_tail = t;
		pp = &t->next_queued;
	}
	return n;
}

void task_hold_all(struct swi_session *s)
{
	struct task_table *tt = &s->tasks;
	struct task *held[TASK_SLOTS], *fast[TASK_SLOTS];
	size_t n = 0, nfast = 0;
	bool doomed[TASK_SLOTS] = { false };
	for (uint32_t i = 0; tt->slots && i < TASK_SLOTS; i++) {
		struct task *t = &tt->slots[i];
		if (!t->used || t->queued || (t->failfast && t == tt->submitting))
			continue;   /* (swi_scsi_async_ex refuses that one itself) */
		if (t->failfast)
			fast[nfast++] = t;
		else if (++t->holds > HOLD_MAX)
			doomed[i] = true;
		else
			held[n++] = t;
	}
	/* the sent ones first (by CmdSN), then those that waited for the window, in queue order */
	qsort(fast, nfast, sizeof(fast[0]), by_cmdsn);
	nfast = unqueue_failfast(tt, fast, nfast);
	qsort(held, n, sizeof(held[0]), by_cmdsn);
	/* back to front, each pushed on the head: the oldest CmdSN ends up first */
	for (size_t i = n; i-- > 0;) {
		struct task *t = held[i];
		task_rewind(s, t);
		t->queued = true;
		t->next_queued = tt->queue_head;
		tt->queue_head = t;
		if (!tt->queue_tail)
			tt->queue_tail = t;
	}
	char cause[sizeof(s->err)];
	snprintf(cause, sizeof(cause), "%s", s->err);
	int cause_class = s->err_class;
	for (size_t i = 0; i < nfast; i++) {
		task_rewind(s, fast[i]);   /* its PDUs go with the lost connection */
		snprintf(s->err, sizeof(s->err), "SCSI command (fail-fast): connection lost: %.400s",
			 cause);
		s->err_class = SWI_ERR_TRANS;
		finish(s, fast[i], -1);
	}
	/* the session's own error stays the loss itself (the recovery reports it) */
	memcpy(s->err, cause, sizeof(s->err));
	s->err_class = cause_class;
	for (uint32_t i = 0; tt->slots && i < TASK_SLOTS; i++) {
		if (!doomed[i] || !tt->slots[i].used)
			continue;
		snprintf(s->err, sizeof(s->err), "SCSI command: lost with its connection %d times: %.400s",
			 HOLD_MAX + 1, cause);
		s->err_class = SWI_ERR_TRANS;
		finish(s, &tt->slots[i], -1);
	}
}

void task_rearm_deadlines(struct swi_session *s, long long now)
{
	for (struct task *t = s->tasks.queue_head; t; t = t->next_queued)
		t->deadline_ms = now + s->o.timeout_ms;
	s->task_check_ms = 0;
}

unsigned task_sent_count(const struct swi_session *s)
{
	unsigned queued = 0;
	for (const struct task *t = s->tasks.queue_head; t; t = t->next_queued)
		queued++;
	return s->tasks.inflight - queued;
}

long long task_queue_due(const struct swi_session *s)
{
	const struct task *t = s->tasks.queue_head;
	return t && t->not_before_ms ? t->not_before_ms : 0;
}

void task_fail_queued(struct swi_session *s, const char *why)
{
	struct task_table *tt = &s->tasks;
	struct task *t = tt->queue_head;
	tt->queue_head = tt->queue_tail = NULL;
	while (t) {
		struct task *next = t->next_queued;
		snprintf(s->err, sizeof(s->err), "SCSI command: %s", why);
		s->err_class = SWI_ERR;
		t->queued = false;
		finish(s, t, -1);
		t = next;
	}
}

void task_table_free(struct swi_session *s)
{
	task_fail_all(s);
	free(s->tasks.slots);
	s->tasks.slots = NULL;
}
