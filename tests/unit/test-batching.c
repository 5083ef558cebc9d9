/* Batched sends (swi_set_batching, swi_flush) against a scripted target: with batching on, the
 * first command submitted after a flush goes at once and the others stay queued until the next
 * flush, then arrive together; off, each is on the wire as soon as it is submitted; a flush that cannot write leaves the failure to
 * swi_service, with no callback run from inside swi_flush. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peer.h"
#include "session.h"

#define KEYS(...) __VA_ARGS__, sizeof(__VA_ARGS__)
static const char ops[] = "HeaderDigest=None\0DataDigest=None\0MaxRecvDataSegmentLength=8192\0"
			  "MaxBurstLength=262144\0FirstBurstLength=65536\0InitialR2T=Yes\0"
			  "ImmediateData=No\0MaxOutstandingR2T=1\0ErrorRecoveryLevel=0";

enum { NCMDS = 8 };

struct cmd {
	int done, status;
	uint8_t buf[512];
};

static void cmd_done(struct swi_session *s, int status, const struct swi_scsi_result *r, void *arg)
{
	(void)s;
	(void)r;
	struct cmd *c = arg;
	c->done++;
	c->status = status;
}

static void submit_read(struct peer *p, struct cmd *c)
{
	uint8_t cdb[16];
	size_t cl = swi_cdb_rw(cdb, false, 0, 1, false);
	assert_int_equal(swi_scsi_async(p->s, 0, cdb, cl, SWI_DIR_READ, c->buf, sizeof(c->buf),
					cmd_done, c),
			 0);
}

/* Bytes the initiator has written to the target's end, without driving the initiator. */
static size_t waiting_bytes(struct peer *p)
{
	struct pollfd pf = { .fd = p->fd, .events = POLLIN };
	if (poll(&pf, 1, 0) == 0)
		return 0;
	uint8_t probe[NCMDS * ISCSI_BHS_LEN * 2];
	ssize_t n = recv(p->fd, probe, sizeof(probe), MSG_PEEK | MSG_DONTWAIT);
	return n > 0 ? (size_t)n : 0;
}

static void answer_all(struct peer *p, struct cmd *c, int n)
{
	for (int i = 0; i < n; i++) {
		struct bhs h;
		assert_true(peer_recv(p, &h, NULL, 0));
		assert_int_equal(h.opcode, OP_SCSI_CMD);
		struct bhs rsp = { .opcode = OP_SCSI_RSP, .flags = BHS_F_FINAL | RSP_F_UNDERFLOW, .itt = h.itt };
		rsp.w44 = sizeof(c[0].buf); /* underflow: no data, all of it residual */
		peer_send(p, &rsp, NULL, true);
	}
	for (int i = 0; i < n; i++) {
		for (int round = 0; !c[i].done && round < 2000; round++)
			peer_pump(p, 5);
		assert_int_equal(c[i].done, 1);
		assert_int_equal(c[i].status, 0);
	}
}

static void login(struct peer *p)
{
	struct swi_options o;
	peer_options(&o);
	peer_login(p, &o, KEYS(ops));
}

static void held_until_flush(void **state)
{
	(void)state;
	struct peer p;
	login(&p);
	swi_set_batching(p.s, true);
	struct cmd c[2 * NCMDS] = { 0 };
	for (int turn = 0; turn < 2; turn++) {
		/* the turn's first command goes at once (the target starts on it), the rest wait */
		for (int i = 0; i < NCMDS; i++) {
			submit_read(&p, &c[turn * NCMDS + i]);
			assert_int_equal(waiting_bytes(&p), ((size_t)turn * NCMDS + 1) * ISCSI_BHS_LEN);
		}
		assert_true(swi_events(p.s) & POLLOUT);   /* a loop that never flushes still sends */
		assert_int_equal(swi_flush(p.s), 0);
		/* one write: every other command is there at once, before the target reads any */
		assert_int_equal(waiting_bytes(&p), ((size_t)turn + 1) * NCMDS * ISCSI_BHS_LEN);
		assert_false(swi_events(p.s) & POLLOUT);
	}
	answer_all(&p, c, 2 * NCMDS);
	peer_close(&p);
}

static void flushed_by_service(void **state)
{
	(void)state;
	struct peer p;
	login(&p);
	swi_set_batching(p.s, true);
	struct cmd c[3] = { 0 };
	for (int i = 0; i < 3; i++)
		submit_read(&p, &c[i]);
	assert_int_equal(waiting_bytes(&p), ISCSI_BHS_LEN);
	assert_int_equal(swi_service(p.s, POLLOUT), 0);
	assert_int_equal(waiting_bytes(&p), 3 * ISCSI_BHS_LEN);
	answer_all(&p, c, 3);
	peer_close(&p);
}

static void off_sends_at_once(void **state)
{
	(void)state;
	struct peer p;
	login(&p);
	struct cmd c[1] = { 0 };
	submit_read(&p, &c[0]);
	assert_int_equal(waiting_bytes(&p), ISCSI_BHS_LEN);
	assert_int_equal(swi_flush(p.s), 0);   /* nothing queued: nothing to do */
	answer_all(&p, c, 1);
	peer_close(&p);
}

static void failed_flush_left_to_service(void **state)
{
	(void)state;
	struct peer p;
	login(&p);
	swi_set_batching(p.s, true);
	struct cmd c[2] = { 0 };
	submit_read(&p, &c[0]);   /* the turn's first: written at once */
	close(p.fd);   /* the target is gone: the next write fails (EPIPE) */
	p.fd = -1;
	submit_read(&p, &c[1]);
	assert_int_equal(swi_flush(p.s), -1);
	assert_int_equal(c[0].done + c[1].done, 0);   /* no callback from inside swi_flush */
	assert_int_equal(swi_service(p.s, 0), -1);   /* recovery is off: the session fails */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(c[i].done, 1);
		assert_int_equal(c[i].status, -1);
	}
	peer_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(held_until_flush),
		cmocka_unit_test(flushed_by_service),
		cmocka_unit_test(off_sends_at_once),
		cmocka_unit_test(failed_flush_left_to_service),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
