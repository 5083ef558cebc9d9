/* The SCSI task data path (lib/task.c) against a scripted target: Data-In order and accounting,
 * residuals, R2T limits, ITT classes, NOP-In echo limits, and a write answered before its data
 * went out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "peer.h"
#include "session.h"

#define KEYS(...) __VA_ARGS__, sizeof(__VA_ARGS__)
/* The target's side of the operational stage: every write goes through R2Ts, one at a time. */
static const char r2t_ops[] = "HeaderDigest=None\0DataDigest=None\0MaxRecvDataSegmentLength=8192\0"
			      "MaxBurstLength=262144\0FirstBurstLength=65536\0InitialR2T=Yes\0"
			      "ImmediateData=No\0MaxOutstandingR2T=1\0DataPDUInOrder=Yes\0"
			      "DataSequenceInOrder=Yes\0ErrorRecoveryLevel=0";
/* Unsolicited data: a large write is all Data-Out, sent without waiting. */
static const char unsolicited_ops[] = "HeaderDigest=None\0DataDigest=None\0MaxRecvDataSegmentLength=8192\0"
				      "MaxBurstLength=262144\0FirstBurstLength=262144\0InitialR2T=No\0"
				      "ImmediateData=Yes\0MaxOutstandingR2T=1\0ErrorRecoveryLevel=0";

struct cmd {
	int done, status;
	struct swi_scsi_result r;
	uint8_t *buf;
	size_t len;
	uint8_t scribble;          /* written over buf at completion, as a caller reusing it would */
};

static void cmd_done(struct swi_session *s, int status, const struct swi_scsi_result *r, void *arg)
{
	(void)s;
	struct cmd *c = arg;
	c->done = 1;
	c->status = status;
	c->r = *r;
	if (c->scribble)
		memset(c->buf, c->scribble, c->len);
}

static void login(struct peer *p, const char *ops, size_t len)
{
	struct swi_options o;
	peer_options(&o);
	peer_login(p, &o, ops, len);
}

/* Starts a READ (10) or WRITE (10) of len bytes and returns the ITT the target saw. */
static uint32_t start(struct peer *p, bool write, uint8_t *buf, uint32_t len, struct cmd *c)
{
	uint8_t cdb[16];
	size_t cl = swi_cdb_rw(cdb, write, 0, len / 512 ? len / 512 : 1, false);
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->len = len;
	assert_int_equal(swi_scsi_async(p->s, 0, cdb, cl, write ? SWI_DIR_WRITE : SWI_DIR_READ, buf,
					len, cmd_done, c),
			 0);
	struct bhs h;
	assert_true(peer_recv(p, &h, NULL, 0));
	assert_int_equal(h.opcode, OP_SCSI_CMD);
	return h.itt;
}

static void data_in(struct peer *p, uint32_t itt, uint32_t datasn, uint32_t offset,
		    const uint8_t *data, uint32_t len, uint8_t flags, uint32_t residual)
{
	struct bhs h = { .opcode = OP_DATA_IN, .flags = flags, .itt = itt, .data_len = len };
	h.w20 = ISCSI_RESERVED_TAG;
	h.w36 = datasn;
	h.w40 = offset;
	h.w44 = residual;
	peer_send(p, &h, data, flags & DATAIN_F_STATUS);
}

static void response(struct peer *p, uint32_t itt, uint8_t status, uint8_t flags, uint32_t residual)
{
	static const uint8_t sense[20] = { 0, 18, 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24 };
	struct bhs h = { .opcode = OP_SCSI_RSP, .flags = BHS_F_FINAL | flags, .b3 = status, .itt = itt };
	h.data_len = status ? sizeof(sense) : 0;
	h.w44 = residual;
	peer_send(p, &h, sense, true);
}

static void wait_done(struct peer *p, struct cmd *c)
{
	for (int i = 0; !c->done && i < 2000; i++)
		if (peer_pump(p, 5) < 0 && !c->done)
			break;
	assert_true(c->done);
}

/* The command failed and the session with it, for the reason named. */
static void assert_protocol_error(struct peer *p, struct cmd *c, const char *why)
{
	wait_done(p, c);
	assert_int_equal(c->status, -1);
	if (!strstr(swi_error(p->s), why))
		fail_msg("error \"%s\" does not say \"%s\"", swi_error(p->s), why);
	assert_int_equal(p->s->state, SS_FAILED);
}

static uint8_t pattern[4096], other[4096];

/* Logs in with the target's answer ops and starts a write of the pattern from buf. */
static uint32_t open_write(struct peer *p, const char *ops, size_t ops_len, uint8_t *buf,
			   uint32_t len, struct cmd *c)
{
	login(p, ops, ops_len);
	memcpy(buf, pattern, len);
	return start(p, true, buf, len, c);
}

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pattern); i++) {
		pattern[i] = (uint8_t)(i * 7 + 1);
		other[i] = (uint8_t)~pattern[i];
	}
	return 0;
}

static void read_in_order(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops));
	uint8_t buf[4096] = { 0 };
	struct cmd c;
	uint32_t itt = start(&p, false, buf, sizeof(buf), &c);
	for (uint32_t i = 0; i < 8; i++)
		data_in(&p, itt, i, i * 512, pattern + i * 512, 512,
			i == 7 ? BHS_F_FINAL | DATAIN_F_STATUS : 0, 0);
	wait_done(&p, &c);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.r.transferred, 4096);
	assert_memory_equal(buf, pattern, 4096);
	assert_int_equal(p.s->tasks.read_expected, 0);
	peer_close(&p);
}

/* One Data-In PDU a test sends: DataSN, offset, length, and whether it carries other bytes
 * than the LUN's (a repeat that must never land). */
struct piece {
	uint32_t sn, off, len;
	bool other;
};

/* Sends pieces to a 4096-byte read, the last one with GOOD status, and expects the command
 * and the session to fail saying why; no bytes of an "other" piece may reach the buffer. */
static void bad_read(const struct piece *pc, size_t n, const char *why)
{
	struct peer p;
	login(&p, KEYS(r2t_ops));
	uint8_t buf[4096 + 512];
	struct cmd c;
	uint32_t itt = start(&p, false, buf, 4096, &c);
	for (size_t i = 0; i < n; i++)
		data_in(&p, itt, pc[i].sn, pc[i].off, (pc[i].other ? other : pattern) + pc[i].off % 4096,
			pc[i].len, i == n - 1 ? BHS_F_FINAL | DATAIN_F_STATUS : 0, 0);
	assert_protocol_error(&p, &c, why);
	for (size_t i = 0; i < n; i++)
		if (pc[i].other && memcmp(buf + pc[i].off, other + pc[i].off, pc[i].len) == 0)
			fail_msg("the repeat at offset %u landed in the buffer", pc[i].off);
	peer_close(&p);
}

#define BAD_READ(why, ...)                                                       \
	do {                                                                     \
		const struct piece pc[] = { __VA_ARGS__ };                       \
		bad_read(pc, sizeof(pc) / sizeof(pc[0]), why);                   \
	} while (0)

static void read_gap(void **state)
{
	(void)state;
	/* one 512-byte PDU left out, DataSN still one after another */
	BAD_READ("out of order (offset 1024, expected 512)", { 0, 0, 512, false }, { 1, 1024, 3072, false });
}

static void read_repeat(void **state)
{
	(void)state;
	BAD_READ("out of order (offset 0, expected 2048)", { 0, 0, 2048, false }, { 1, 0, 2048, true },
		 { 2, 2048, 2048, false });
}

static void read_overlap(void **state)
{
	(void)state;
	BAD_READ("out of order (offset 1024, expected 2048)", { 0, 0, 2048, false }, { 1, 1024, 3072, false });
}

static void read_datasn_out_of_order(void **state)
{
	(void)state;
	BAD_READ("DataSN 1, expected 0", { 1, 0, 2048, false }, { 0, 2048, 2048, false });
}

static void read_more_than_asked(void **state)
{
	(void)state;
	BAD_READ("outside the command's buffer", { 0, 0, 4096, false }, { 1, 4096, 512, false });
}

/* GOOD with less data than asked and no underflow (or a residual that does not add up) is a
 * protocol error; a residual that matches is an honest short read. */
static void read_short(uint8_t flags, uint32_t residual, bool ok, bool separate_response)
{
	struct peer p;
	login(&p, KEYS(r2t_ops));
	uint8_t buf[4096];
	struct cmd c;
	uint32_t itt = start(&p, false, buf, sizeof(buf), &c);
	if (separate_response) {
		data_in(&p, itt, 0, 0, pattern, 3584, BHS_F_FINAL, 0);
		response(&p, itt, 0, flags, residual);
	} else {
		data_in(&p, itt, 0, 0, pattern, 3584, BHS_F_FINAL | DATAIN_F_STATUS | flags, residual);
	}
	if (!ok) {
		assert_protocol_error(&p, &c, "does not match the residual");
	} else {
		wait_done(&p, &c);
		assert_int_equal(c.status, 0);
		assert_int_equal(c.r.transferred, 3584);
		assert_true(c.r.underflow);
		assert_int_equal(c.r.residual, 512);
	}
	assert_int_equal(p.s->tasks.read_expected, 0);
	peer_close(&p);
}

static void read_short_without_underflow(void **state)
{
	(void)state;
	read_short(0, 0, false, false);
	read_short(0, 0, false, true);
}

static void read_short_wrong_residual(void **state)
{
	(void)state;
	read_short(RSP_F_UNDERFLOW, 100, false, false);
	read_short(RSP_F_UNDERFLOW, 100, false, true);
}

static void read_short_honest(void **state)
{
	(void)state;
	read_short(RSP_F_UNDERFLOW, 512, true, false);
	read_short(RSP_F_UNDERFLOW, 512, true, true);
}

/* An error status may end a read early: the command completes with what came. */
static void read_check_condition_early(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops));
	uint8_t buf[4096];
	struct cmd c;
	uint32_t itt = start(&p, false, buf, sizeof(buf), &c);
	data_in(&p, itt, 0, 0, pattern, 1024, BHS_F_FINAL, 0);
	response(&p, itt, 2, 0, 0);
	wait_done(&p, &c);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.r.status, 2);
	assert_int_equal(c.r.transferred, 1024);
	assert_int_equal(p.s->tasks.read_expected, 0);
	peer_close(&p);
}

static void write_residual_beyond_length(void **state)
{
	(void)state;
	struct peer p;
	uint8_t buf[512];
	struct cmd c;
	uint32_t itt = open_write(&p, KEYS(r2t_ops), buf, sizeof(buf), &c);
	response(&p, itt, 0, RSP_F_UNDERFLOW, 4096); /* more left over than there ever was */
	assert_protocol_error(&p, &c, "underflow larger than the transfer");
	peer_close(&p);
}

static void r2t(struct peer *p, uint32_t itt, uint32_t r2tsn, uint32_t offset, uint32_t len)
{
	struct bhs h = { .opcode = OP_R2T, .flags = BHS_F_FINAL, .itt = itt };
	h.w20 = 0x100 + r2tsn; /* TTT */
	h.w36 = r2tsn;
	h.w40 = offset;
	h.w44 = len;
	peer_send(p, &h, NULL, false);
}

/* Reads the Data-Out an R2T asked for; true when it carried exactly those bytes of buf. */
static bool data_out_matches(struct peer *p, const uint8_t *buf, uint32_t offset, uint32_t len)
{
	static uint8_t got[262144];
	uint32_t have = 0;
	while (have < len) {
		struct bhs h;
		if (!peer_recv(p, &h, got, sizeof(got)) || h.opcode != OP_DATA_OUT ||
		    h.w40 != offset + have || memcmp(got, buf + offset + have, h.data_len) != 0)
			return false;
		have += h.data_len;
	}
	return have == len;
}

static void r2t_any_offset_order(void **state)
{
	(void)state;
	struct peer p;
	uint8_t buf[4096];
	struct cmd c;
	uint32_t itt = open_write(&p, KEYS(r2t_ops), buf, sizeof(buf), &c);
	/* a target may ask out of offset order: tolerated (some do), as long as nothing repeats */
	r2t(&p, itt, 0, 2048, 2048);
	assert_true(data_out_matches(&p, buf, 2048, 2048));
	r2t(&p, itt, 1, 0, 2048);
	assert_true(data_out_matches(&p, buf, 0, 2048));
	response(&p, itt, 0, 0, 0);
	wait_done(&p, &c);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.r.transferred, 4096);
	peer_close(&p);
}

/* A first R2T for [0, first) answered in full, then the given one: refused, saying why. */
static void r2t_bad(uint32_t first, uint32_t r2tsn, uint32_t offset, uint32_t len, const char *why)
{
	struct peer p;
	uint8_t buf[4096];
	struct cmd c;
	uint32_t itt = open_write(&p, KEYS(r2t_ops), buf, sizeof(buf), &c);
	r2t(&p, itt, 0, 0, first);
	assert_true(data_out_matches(&p, buf, 0, first));
	r2t(&p, itt, r2tsn, offset, len);
	assert_protocol_error(&p, &c, why);
	peer_close(&p);
}

static void r2t_out_of_sequence(void **state)
{
	(void)state;
	r2t_bad(2048, 5, 2048, 2048, "out of sequence");
}

/* The same range again: a flood of these would queue the buffer over and over. */
static void r2t_repeat(void **state)
{
	(void)state;
	r2t_bad(4096, 1, 0, 4096, "more data than the command has left");
}

static void r2t_beyond_length(void **state)
{
	(void)state;
	r2t_bad(2048, 1, 2048, 4096, "outside the command's data");
}

/* MaxOutstandingR2T=1: a second R2T while the first one's data has not gone out. */
static void r2t_beyond_max_outstanding(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops));
	peer_small_sndbuf(&p);
	static uint8_t buf[524288];
	struct cmd c;
	uint32_t itt = start(&p, true, buf, sizeof(buf), &c);
	r2t(&p, itt, 0, 0, 262144);
	r2t(&p, itt, 1, 262144, 262144); /* we have not read a byte of the first one's data */
	assert_protocol_error(&p, &c, "beyond MaxOutstandingR2T");
	peer_close(&p);
}

static void r2t_for_unsolicited_data(void **state)
{
	(void)state;
	struct peer p;
	uint8_t buf[4096];
	struct cmd c;
	uint32_t itt = open_write(&p, KEYS(unsolicited_ops), buf, sizeof(buf), &c);
	r2t(&p, itt, 0, 0, 4096); /* all of it went as immediate data already */
	assert_protocol_error(&p, &c, "already sent unsolicited");
	peer_close(&p);
}

/* A write answered (CHECK CONDITION) while most of its Data-Out is still queued: after the
 * completion the caller reuses the buffer (scribbles over it); not one scribbled byte may
 * reach the wire. The next command's PDU shows where the write's PDUs ended. */
static void write_answered_early(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(unsolicited_ops));
	peer_small_sndbuf(&p);
	size_t len = 1 << 20;
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	memset(buf, 0x11, len);
	struct cmd c;
	uint32_t itt = start(&p, true, buf, (uint32_t)len, &c);
	c.scribble = 0xee;
	response(&p, itt, 2, 0, 0);
	wait_done(&p, &c);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.r.status, 2);
	struct cmd next;
	uint8_t cdb[16];
	memset(&next, 0, sizeof(next));
	assert_int_equal(swi_scsi_async(p.s, 0, cdb, swi_cdb_test_unit_ready(cdb), SWI_DIR_NONE,
					NULL, 0, cmd_done, &next),
			 0);
	static uint8_t data[8192];
	size_t out = 0;
	for (;;) {
		struct bhs h;
		assert_true(peer_recv(&p, &h, data, sizeof(data)));
		if (h.opcode == OP_SCSI_CMD)
			break;
		assert_int_equal(h.opcode, OP_DATA_OUT);
		assert_int_equal(h.itt, itt);
		for (uint32_t i = 0; i < h.data_len; i++)
			if (data[i] != 0x11)
				fail_msg("Data-Out at offset %u carries a byte of the reused buffer", h.w40 + i);
		out += h.data_len;
	}
	assert_true(out < len); /* the test did catch PDUs still queued */
	free(buf);
	peer_close(&p);
}

/* Task ITTs never reach the keepalive's class (bit 30), even after 2^20 generations. */
static void itt_classes(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops));
	p.s->tasks.generation = (1u << 20) - 1;
	uint8_t buf[512];
	struct cmd c;
	uint32_t itt = start(&p, false, buf, sizeof(buf), &c);
	assert_int_equal(itt & 0xc0000000u, 0);
	p.s->next_itt = 0xfffffffd;
	for (int i = 0; i < 4; i++)
		assert_int_not_equal(session_new_itt(p.s), ISCSI_RESERVED_TAG);
	peer_close(&p);
}

/* The ABORT TASK sent for a timed-out command never uses the reserved tag. */
static void tmf_itt_not_reserved(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops));
	p.s->o.timeout_ms = 1; /* the command's deadline passes at once */
	p.s->next_itt = 0x7ffffffe; /* the old code made the next TMF ITT 0xffffffff */
	uint8_t buf[512];
	struct cmd c;
	start(&p, false, buf, sizeof(buf), &c);
	struct bhs h;
	assert_true(peer_recv(&p, &h, NULL, 0)); /* the abort, once the deadline has passed */
	assert_int_equal(h.opcode, OP_TMF_REQ);
	assert_int_not_equal(h.itt, ISCSI_RESERVED_TAG);
	peer_close(&p);
}

/* A stuck command's steps each have their own time: an abort unanswered past
 * abort_timeout_ms brings the LUN RESET, which then has lu_reset_timeout_ms (not the
 * command's timeout_ms) before the session gives up. */
static void tmf_steps_have_their_own_timeouts(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops));
	p.s->o.timeout_ms = 1;
	p.s->o.abort_timeout_ms = 1;
	p.s->o.lu_reset_timeout_ms = 60000;
	uint8_t buf[512];
	struct cmd c;
	start(&p, false, buf, sizeof(buf), &c);
	struct bhs h;
	assert_true(peer_recv(&p, &h, NULL, 0));
	assert_int_equal(h.opcode, OP_TMF_REQ);
	assert_int_equal(h.flags & 0x7f, 1); /* ABORT TASK */
	assert_true(peer_recv(&p, &h, NULL, 0));
	assert_int_equal(h.opcode, OP_TMF_REQ);
	assert_int_equal(h.flags & 0x7f, 5); /* LUN RESET, once the abort's 1 ms passed */
	for (int i = 0; i < 10; i++)
		assert_int_equal(peer_pump(&p, 5), 0);
	assert_int_not_equal(p.s->state, SS_FAILED); /* the reset has its 60 s */
	assert_int_equal(c.done, 0);
	peer_close(&p);
}

static void nop_in(struct peer *p, uint32_t len)
{
	static uint8_t ping[65536];
	struct bhs h = { .opcode = OP_NOP_IN, .flags = BHS_F_FINAL, .itt = ISCSI_RESERVED_TAG,
			 .data_len = len };
	h.w20 = 0x77; /* a target tag: it wants an echo */
	peer_send(p, &h, ping, false);
}

static void nop_in_larger_than_target_takes(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops)); /* the target takes 8192-byte PDUs */
	nop_in(&p, 8192);
	struct bhs h;
	assert_true(peer_recv(&p, &h, NULL, 0));
	assert_int_equal(h.opcode, OP_NOP_OUT);
	assert_int_equal(h.data_len, 8192);
	nop_in(&p, 8196);
	for (int i = 0; i < 100 && p.s->state != SS_FAILED; i++)
		peer_pump(&p, 5);
	assert_int_equal(p.s->state, SS_FAILED);
	assert_non_null(strstr(swi_error(p.s), "NOP-In ping with 8196 bytes"));
	peer_close(&p);
}

static void nop_in_flood(void **state)
{
	(void)state;
	struct peer p;
	login(&p, KEYS(r2t_ops));
	peer_small_sndbuf(&p);
	/* pings, never reading an echo: the queue of echoes must stop at a bound */
	for (int i = 0; i < 400 && p.s->state != SS_FAILED; i++)
		nop_in(&p, 8192);
	assert_int_equal(p.s->state, SS_FAILED);
	assert_non_null(strstr(swi_error(p.s), "faster than it reads"));
	peer_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_in_order),
		cmocka_unit_test(read_gap),
		cmocka_unit_test(read_repeat),
		cmocka_unit_test(read_overlap),
		cmocka_unit_test(read_datasn_out_of_order),
		cmocka_unit_test(read_more_than_asked),
		cmocka_unit_test(read_short_without_underflow),
		cmocka_unit_test(read_short_wrong_residual),
		cmocka_unit_test(read_short_honest),
		cmocka_unit_test(read_check_condition_early),
		cmocka_unit_test(write_residual_beyond_length),
		cmocka_unit_test(r2t_any_offset_order),
		cmocka_unit_test(r2t_out_of_sequence),
		cmocka_unit_test(r2t_repeat),
		cmocka_unit_test(r2t_beyond_length),
		cmocka_unit_test(r2t_beyond_max_outstanding),
		cmocka_unit_test(r2t_for_unsolicited_data),
		cmocka_unit_test(write_answered_early),
		cmocka_unit_test(itt_classes),
		cmocka_unit_test(tmf_itt_not_reserved),
		cmocka_unit_test(tmf_steps_have_their_own_timeouts),
		cmocka_unit_test(nop_in_larger_than_target_takes),
		cmocka_unit_test(nop_in_flood),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
