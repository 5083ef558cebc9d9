/* The recovery state machine (lib/recovery.c, task.c) against a scripted target: transient
 * statuses retried with new ITTs and the same CDB, other results passed on, commands held (not
 * failed) when the connection is lost, failed only at the replacement timeout or when the
 * session is freed, and the states and counters a daemon reads. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

#include <cmocka.h>

#include "peer.h"
#include "session.h"

#define KEYS(...) __VA_ARGS__, sizeof(__VA_ARGS__)
static const char ops[] = "HeaderDigest=None\0DataDigest=None\0MaxRecvDataSegmentLength=8192\0"
			  "MaxBurstLength=262144\0FirstBurstLength=65536\0InitialR2T=Yes\0"
			  "ImmediateData=No\0MaxOutstandingR2T=1\0"
			  "ErrorRecoveryLevel=0";

struct cmd {
	int done, status, calls;
	int order;            /* the how-manieth callback of the test it was */
	int err_class;        /* swi_error_class when it ran */
	struct swi_scsi_result r;
};

static int callbacks;

static void cmd_done(struct swi_session *s, int status, const struct swi_scsi_result *r, void *arg)
{
	struct cmd *c = arg;
	c->done = 1;
	c->calls++;
	c->status = status;
	c->order = ++callbacks;
	c->err_class = swi_error_class(s);
	c->r = *r;
}

/* A loopback address with nothing listening (bound, never listening): reconnects are refused
 * at once, and no real target can be reached by them. */
static int dead_portal(char *out, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	snprintf(out, len, "127.0.0.1:%u", ntohs(a.sin_port));
	return fd;
}

/* A session with recovery on whose reconnects go to a dead portal (kept open by the returned
 * descriptor). */
static int recovering_login(struct peer *p, char portal[32], int replacement_timeout_ms)
{
	int dead = dead_portal(portal, 32);
	struct swi_options o;
	peer_options(&o);
	o.portal = portal;
	o.replacement_timeout_ms = replacement_timeout_ms;
	peer_login(p, &o, KEYS(ops));
	return dead;
}

static void login(struct peer *p, struct swi_options *o)
{
	peer_options(o);
	o->scsi_retries = 2;
	o->scsi_retry_delay_ms = 1;
	peer_login(p, o, KEYS(ops));
}

static uint32_t read_cmd(struct peer *p, struct cmd *c, uint8_t *buf, uint64_t lba)
{
	uint8_t cdb[16];
	size_t cl = swi_cdb_rw(cdb, false, lba, 1, false);
	memset(c, 0, sizeof(*c));
	assert_int_equal(swi_scsi_async(p->s, 0, cdb, cl, SWI_DIR_READ, buf, 512, cmd_done, c), 0);
	struct bhs h;
	assert_true(peer_recv(p, &h, NULL, 0));
	assert_int_equal(h.opcode, OP_SCSI_CMD);
	return h.itt;
}

static void answer(struct peer *p, uint32_t itt, uint8_t status, uint8_t key, uint8_t asc)
{
	uint8_t sense[20] = { 0, 18, 0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc };
	struct bhs h = { .opcode = OP_SCSI_RSP, .flags = BHS_F_FINAL, .b3 = status, .itt = itt };
	h.data_len = status == 2 ? sizeof(sense) : 0;
	peer_send(p, &h, sense, true);
}

/* A 512-byte read's data, every byte fill, with its GOOD status. */
static void read_data(struct peer *p, uint32_t itt, uint8_t fill)
{
	uint8_t data[512];
	memset(data, fill, sizeof(data));
	struct bhs d = { .opcode = OP_DATA_IN, .flags = BHS_F_FINAL | DATAIN_F_STATUS, .itt = itt,
			 .data_len = sizeof(data), .w20 = ISCSI_RESERVED_TAG };
	peer_send(p, &d, data, true);
}

/* The command comes again, under a new ITT, with the same CDB. */
static uint32_t resent(struct peer *p, uint32_t old_itt, uint8_t *cdb_out)
{
	struct bhs h;
	assert_true(peer_recv(p, &h, NULL, 0));
	assert_int_equal(h.opcode, OP_SCSI_CMD);
	assert_int_not_equal(h.itt, old_itt);
	memcpy(cdb_out, h.cdb, 16);
	return h.itt;
}

/* One round while the session has no connection: wait for its timer (10 ms at most). */
static int pump_offline(struct peer *p)
{
	int ms = swi_timeout_ms(p->s);
	if (swi_fd(p->s) >= 0)
		return peer_pump(p, 10);
	poll(NULL, 0, ms < 0 || ms > 10 ? 10 : ms);
	return swi_service(p->s, 0);
}

static void wait_done(struct peer *p, struct cmd *c)
{
	for (int i = 0; !c->done && i < 2000; i++)
		peer_pump(p, 5);
	assert_true(c->done);
}

static void busy_retried_then_passed_on(void **state)
{
	(void)state;
	struct peer p;
	struct swi_options o;
	login(&p, &o);
	struct cmd c;
	uint8_t buf[512], first[16], again[16];
	uint32_t itt = read_cmd(&p, &c, buf, 7);
	swi_cdb_rw(first, false, 7, 1, false);
	answer(&p, itt, 0x08, 0, 0);                    /* BUSY */
	itt = resent(&p, itt, again);
	assert_memory_equal(first, again, 10);
	answer(&p, itt, 0x28, 0, 0);                    /* TASK SET FULL */
	itt = resent(&p, itt, again);
	assert_false(c.done);
	answer(&p, itt, 0x08, 0, 0);                    /* retries used up: the caller's */
	wait_done(&p, &c);
	assert_int_equal(c.status, 0);
	assert_int_equal(c.r.status, 0x08);
	struct swi_stats st;
	swi_session_stats(p.s, &st);
	assert_int_equal(st.scsi_retries, 2);
	peer_close(&p);
}

static void unit_attention_only_power_on_retried(void **state)
{
	(void)state;
	struct peer p;
	struct swi_options o;
	login(&p, &o);
	struct cmd c;
	uint8_t buf[512], cdb[16];
	uint32_t itt = read_cmd(&p, &c, buf, 0);
	answer(&p, itt, 0x02, 0x06, 0x29);              /* POWER ON OR RESET OCCURRED */
	itt = resent(&p, itt, cdb);
	answer(&p, itt, 0x02, 0x06, 0x3f);              /* REPORTED LUNS DATA HAS CHANGED */
	wait_done(&p, &c);
	assert_int_equal(c.r.status, 0x02);
	assert_int_equal(c.r.sense[12], 0x3f);
	peer_close(&p);
}

static void lost_connection_holds_commands(void **state)
{
	(void)state;
	char portal[32];
	struct peer p;
	int dead = recovering_login(&p, portal, 60000);
	assert_int_equal(swi_session_state(p.s), SWI_STATE_LOGGED_IN);
	struct cmd a, b;
	uint8_t ba[512], bb[512];
	read_cmd(&p, &a, ba, 1);
	read_cmd(&p, &b, bb, 2);
	close(p.fd);
	p.fd = -1;
	for (int i = 0; i < 200 && swi_fd(p.s) >= 0; i++)
		assert_int_equal(peer_pump(&p, 5), 0);
	/* held, not failed: no callback, still in flight, the session waiting for its target */
	assert_false(a.done || b.done);
	assert_int_equal(swi_inflight(p.s), 2);
	enum swi_state st = swi_session_state(p.s);
	assert_true(st == SWI_STATE_TRANSPORT_WAIT || st == SWI_STATE_REOPEN);
	assert_string_equal(swi_state_session_name(st), "FAILED");
	assert_string_equal(swi_state_internal_name(st), "REOPEN");
	/* a new command waits with them */
	struct cmd c;
	uint8_t bc[512], cdb[16];
	size_t cl = swi_cdb_rw(cdb, false, 3, 1, false);
	memset(&c, 0, sizeof(c));
	assert_int_equal(swi_scsi_async(p.s, 0, cdb, cl, SWI_DIR_READ, bc, 512, cmd_done, &c), 0);
	/* after Time2Wait (2 s), attempts, refused: still held */
	struct swi_stats rs = { 0 };
	for (int i = 0; i < 1000 && rs.attempts < 2; i++) {
		assert_int_equal(pump_offline(&p), 0);
		swi_session_stats(p.s, &rs);
	}
	assert_false(a.done || b.done || c.done);
	assert_int_equal(rs.losses, 1);
	assert_int_equal(rs.attempts, 2);
	assert_int_equal(rs.recoveries, 0);
	/* freed: each callback runs once, with an error */
	swi_session_free(p.s);
	assert_int_equal(a.calls + b.calls + c.calls, 3);
	assert_int_equal(a.status, -1);
	close(dead);
}

/* Past the replacement timeout held and new commands fail; once the target is back, I/O works
 * again. */
static void replacement_timeout_fails_held_commands(void **state)
{
	(void)state;
	char portal[32];
	struct peer p;
	int dead = recovering_login(&p, portal, 100);
	struct cmd a;
	uint8_t ba[512];
	read_cmd(&p, &a, ba, 1);
	close(p.fd);
	p.fd = -1;
	for (int i = 0; i < 1000 && !a.done; i++)
		assert_int_equal(pump_offline(&p), 0);
	assert_true(a.done);
	assert_int_equal(a.status, -1);
	assert_int_equal(swi_error_class(p.s), SWI_ERR_TRANS);
	assert_non_null(strstr(swi_error(p.s), "replacement timeout (100 ms)"));
	/* new commands fail at once now, while attempts go on */
	uint8_t cdb[16];
	size_t cl = swi_cdb_rw(cdb, false, 3, 1, false);
	assert_int_equal(swi_scsi_async(p.s, 0, cdb, cl, SWI_DIR_READ, ba, 512, cmd_done, &a), -1);
	assert_int_equal(swi_error_class(p.s), SWI_ERR_TRANS);
	struct swi_stats rs;
	swi_session_stats(p.s, &rs);
	assert_int_equal(rs.expiries, 1);
	/* the target is back: the next attempt logs in, and I/O works without a login call */
	assert_int_equal(listen(dead, 1), 0);
	peer_accept_login(&p, dead, KEYS(ops), NULL);
	struct cmd n;
	read_data(&p, read_cmd(&p, &n, ba, 5), 0x77);
	wait_done(&p, &n);
	assert_int_equal(n.status, 0);
	assert_int_equal(ba[0], 0x77);
	peer_close(&p);
	close(dead);
}

/* Three reads held by a lost connection come again on the new one, in their order, with new
 * ITTs and consecutive CmdSNs, after a login with the same ISID and TSIH 0; a new command
 * works without a new login call. */
static void held_commands_reissued_in_order(void **state)
{
	(void)state;
	char portal[32];
	struct peer p;
	int lfd = recovering_login(&p, portal, 60000);
	uint8_t isid[6];
	memcpy(isid, p.isid, 6);
	struct cmd c[3];
	uint8_t buf[3][512];
	uint32_t old[3];
	for (int i = 0; i < 3; i++)
		old[i] = read_cmd(&p, &c[i], buf[i], 10 + (uint64_t)i);
	close(p.fd);
	p.fd = -1;
	assert_int_equal(listen(lfd, 1), 0);
	struct bhs req;
	peer_accept_login(&p, lfd, KEYS(ops), &req);
	assert_memory_equal(req.lun_or_isid, isid, 6);
	assert_int_equal(req.lun_or_isid[6] << 8 | req.lun_or_isid[7], 0);
	for (int i = 0; i < 3; i++) {
		struct bhs h;
		assert_true(peer_recv(&p, &h, NULL, 0));
		assert_int_equal(h.opcode, OP_SCSI_CMD);
		assert_int_equal(h.cdb[5], 10 + i);       /* READ (10) LBA, low byte */
		assert_int_not_equal(h.itt, old[i]);
		assert_int_equal(h.w24, p.expcmdsn - 1);   /* CmdSN: one after another */
		assert_false(c[i].done);
		read_data(&p, h.itt, (uint8_t)(0xa0 + i));
		wait_done(&p, &c[i]);
		assert_int_equal(c[i].status, 0);
		assert_int_equal(buf[i][0], 0xa0 + i);
	}
	struct cmd n;
	uint8_t nb[512];
	read_data(&p, read_cmd(&p, &n, nb, 20), 0x55);
	wait_done(&p, &n);
	assert_int_equal(n.status, 0);
	assert_int_equal(nb[511], 0x55);
	struct swi_stats rs;
	swi_session_stats(p.s, &rs);
	assert_int_equal(rs.losses, 1);
	assert_int_equal(rs.recoveries, 1);
	peer_close(&p);
	close(lfd);
}

/* The target's command window (MaxCmdSN = ExpCmdSN + 63 in peer.c) */
enum { WINDOW = 64 };

/* Fail-fast commands (multipath's) are not held by a lost connection: those sent and the one
 * still waiting for the command window fail at once, in order, with SWI_ERR_TRANS, while a
 * plain command beside them is held and re-issued; during the recovery a new fail-fast command
 * is refused without a callback and a plain one is taken; after the reinstatement fail-fast
 * commands are taken again. */
static void failfast_commands_fail_on_loss(void **state)
{
	(void)state;
	char portal[32];
	struct peer p;
	int lfd = recovering_login(&p, portal, 60000);
	static struct cmd fast[WINDOW + 1];
	static uint8_t buf[WINDOW + 2][512];
	struct cmd plain;
	uint8_t cdb[16];
	memset(fast, 0, sizeof(fast));
	memset(&plain, 0, sizeof(plain));
	callbacks = 0;
	size_t cl = swi_cdb_rw(cdb, false, 7, 1, false);
	assert_int_equal(swi_scsi_async_ex(p.s, 0, cdb, cl, SWI_DIR_READ, buf[0], 512, 0x80,
					   cmd_done, &plain), -1);
	assert_int_equal(swi_error_class(p.s), SWI_ERR_INVAL);
	for (int i = 0; i <= WINDOW; i++)   /* the last one waits for the window */
		assert_int_equal(swi_scsi_async_ex(p.s, 0, cdb, cl, SWI_DIR_READ, buf[i], 512,
						   SWI_CMD_FAILFAST_TRANSPORT, cmd_done, &fast[i]), 0);
	assert_int_equal(swi_scsi_async(p.s, 0, cdb, cl, SWI_DIR_READ, buf[WINDOW + 1], 512,
					cmd_done, &plain), 0);
	assert_int_equal(callbacks, 0);
	close(p.fd);
	p.fd = -1;
	for (int i = 0; i < 200 && !fast[WINDOW].done; i++)
		assert_int_equal(peer_pump(&p, 5), 0);
	for (int i = 0; i <= WINDOW; i++) {
		assert_int_equal(fast[i].calls, 1);
		assert_int_equal(fast[i].status, -1);
		assert_int_equal(fast[i].order, i + 1);
		assert_int_equal(fast[i].err_class, SWI_ERR_TRANS);
	}
	assert_false(plain.done);
	assert_int_equal(swi_inflight(p.s), 1);
	enum swi_state st = swi_session_state(p.s);
	assert_true(st == SWI_STATE_TRANSPORT_WAIT || st == SWI_STATE_REOPEN);
	/* while it recovers: a fail-fast command is refused, a plain one held */
	struct cmd late, held;
	memset(&late, 0, sizeof(late));
	memset(&held, 0, sizeof(held));
	assert_int_equal(swi_scsi_async_ex(p.s, 0, cdb, cl, SWI_DIR_READ, buf[0], 512,
					   SWI_CMD_FAILFAST_TRANSPORT, cmd_done, &late), -1);
	assert_int_equal(swi_error_class(p.s), SWI_ERR_TRANS);
	assert_int_equal(swi_scsi_async_ex(p.s, 0, cdb, cl, SWI_DIR_READ, buf[1], 512, 0, cmd_done,
					   &held), 0);
	assert_int_equal(swi_inflight(p.s), 2);
	/* reinstated: the plain ones come again and complete; fail-fast commands work again */
	assert_int_equal(listen(lfd, 1), 0);
	peer_accept_login(&p, lfd, KEYS(ops), NULL);
	for (int i = 0; i < 2; i++) {
		struct bhs h;
		assert_true(peer_recv(&p, &h, NULL, 0));
		assert_int_equal(h.opcode, OP_SCSI_CMD);
		read_data(&p, h.itt, (uint8_t)(0x30 + i));
	}
	wait_done(&p, &plain);
	wait_done(&p, &held);
	assert_int_equal(plain.status, 0);
	assert_int_equal(held.status, 0);
	assert_int_equal(buf[WINDOW + 1][0], 0x30);
	assert_int_equal(buf[1][0], 0x31);
	assert_false(late.done);
	memset(&late, 0, sizeof(late));
	assert_int_equal(swi_scsi_async_ex(p.s, 0, cdb, cl, SWI_DIR_READ, buf[2], 512,
					   SWI_CMD_FAILFAST_TRANSPORT, cmd_done, &late), 0);
	struct bhs h;
	assert_true(peer_recv(&p, &h, NULL, 0));
	read_data(&p, h.itt, 0x42);
	wait_done(&p, &late);
	assert_int_equal(late.status, 0);
	assert_int_equal(buf[2][0], 0x42);
	peer_close(&p);
	close(lfd);
}

/* swi_session_drop (the daemon's "the bound NIC went down"): the connection counts as lost at
 * once, with the socket still open: a fail-fast command fails, a plain one is held and comes
 * again after the reinstatement; a second drop while offline does nothing. */
static void drop_loses_the_connection_now(void **state)
{
	(void)state;
	char portal[32];
	struct peer p;
	int lfd = recovering_login(&p, portal, 60000);
	uint8_t cdb[16], bf[512], bp[512];
	size_t cl = swi_cdb_rw(cdb, false, 4, 1, false);
	struct cmd fast, plain;
	memset(&fast, 0, sizeof(fast));
	assert_int_equal(swi_scsi_async_ex(p.s, 0, cdb, cl, SWI_DIR_READ, bf, 512,
					   SWI_CMD_FAILFAST_TRANSPORT, cmd_done, &fast), 0);
	struct bhs h;
	assert_true(peer_recv(&p, &h, NULL, 0));
	uint32_t old = read_cmd(&p, &plain, bp, 9);
	assert_false(fast.done || plain.done);
	assert_int_equal(swi_session_drop(p.s, "network device x went down"), 1);
	/* at once, inside the call: no socket event was needed */
	assert_int_equal(fast.calls, 1);
	assert_int_equal(fast.status, -1);
	assert_int_equal(fast.err_class, SWI_ERR_TRANS);
	assert_false(plain.done);
	assert_non_null(strstr(swi_error(p.s), "network device x went down"));
	enum swi_state st = swi_session_state(p.s);
	assert_true(st == SWI_STATE_TRANSPORT_WAIT || st == SWI_STATE_REOPEN);
	assert_int_equal(swi_session_drop(p.s, "again"), 0);
	struct swi_stats rs;
	swi_session_stats(p.s, &rs);
	assert_int_equal(rs.losses, 1);
	/* the old connection is closed by the next service round */
	assert_int_equal(swi_service(p.s, 0), 0);
	assert_true(swi_fd(p.s) < 0);   /* reconnecting after Time2Wait */
	char byte;
	assert_int_equal(read(p.fd, &byte, 1), 0);   /* EOF: the initiator's end is gone */
	close(p.fd);
	p.fd = -1;
	assert_int_equal(listen(lfd, 1), 0);
	peer_accept_login(&p, lfd, KEYS(ops), NULL);
	assert_true(peer_recv(&p, &h, NULL, 0));
	assert_int_equal(h.opcode, OP_SCSI_CMD);
	assert_int_not_equal(h.itt, old);
	assert_int_equal(h.cdb[5], 9);
	read_data(&p, h.itt, 0x5a);
	wait_done(&p, &plain);
	assert_int_equal(plain.status, 0);
	assert_int_equal(bp[0], 0x5a);
	assert_int_equal(fast.calls, 1);
	swi_session_stats(p.s, &rs);
	assert_int_equal(rs.recoveries, 1);
	peer_close(&p);
	close(lfd);
}

/* Without recovery a drop fails the session and its commands, as a socket error would. */
static void drop_without_recovery_fails(void **state)
{
	(void)state;
	struct peer p;
	struct swi_options o;
	login(&p, &o);
	struct cmd c;
	uint8_t buf[512];
	read_cmd(&p, &c, buf, 1);
	assert_int_equal(swi_session_drop(p.s, "network device y went down"), 1);
	assert_true(c.done);
	assert_int_equal(c.status, -1);
	assert_int_equal(swi_service(p.s, 0), -1);
	assert_int_equal(swi_session_state(p.s), SWI_STATE_FAILED);
	assert_non_null(strstr(swi_error(p.s), "network device y went down"));
	assert_int_equal(swi_session_drop(p.s, "again"), 0);
	peer_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(busy_retried_then_passed_on),
		cmocka_unit_test(unit_attention_only_power_on_retried),
		cmocka_unit_test(lost_connection_holds_commands),
		cmocka_unit_test(replacement_timeout_fails_held_commands),
		cmocka_unit_test(held_commands_reissued_in_order),
		cmocka_unit_test(failfast_commands_fail_on_loss),
		cmocka_unit_test(drop_loses_the_connection_now),
		cmocka_unit_test(drop_without_recovery_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
