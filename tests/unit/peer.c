/* The scripted target of peer.h. */
#include "peer.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "testing.h"

enum { ROUNDS = 2000, ROUND_MS = 5 };

void peer_options(struct swi_options *o)
{
	memset(o, 0, sizeof(*o));
	o->initiator_name = "iqn.2026-11.org.swiscsi:unit";
	o->target_name = "iqn.2026-11.org.swiscsi:peer";
	o->portal = "127.0.0.1";
	o->timeout_ms = 60000;
	o->noop_interval_ms = -1;
	o->immediate_data = 1;
}

int peer_pump(struct peer *p, int ms)
{
	struct pollfd pf = { .fd = swi_fd(p->s), .events = swi_events(p->s) };
	if (pf.events)
		poll(&pf, 1, ms);
	return swi_service(p->s, pf.revents ? pf.revents : POLLIN);
}

/* Moves n bytes in or out of the target's end, driving the initiator whenever it must. */
static bool move(struct peer *p, uint8_t *buf, size_t n, bool out)
{
	size_t done = 0;
	for (int round = 0; done < n && round < ROUNDS;) {
		ssize_t k = out ? send(p->fd, buf + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL)
				: recv(p->fd, buf + done, n - done, MSG_DONTWAIT);
		if (k > 0) {
			done += (size_t)k;
			continue;
		}
		if (k == 0 || (errno != EAGAIN && errno != EINTR))
			return false;
		peer_pump(p, 0);
		struct pollfd pf = { .fd = p->fd, .events = out ? POLLOUT : POLLIN };
		if (poll(&pf, 1, ROUND_MS) == 0)
			round++;
	}
	return done == n;
}

void peer_send(struct peer *p, struct bhs *h, const void *data, bool status)
{
	if (h->opcode != OP_DATA_IN || status) {
		h->w24 = status ? p->statsn++ : p->statsn;
		h->w28 = p->expcmdsn;
		h->w32 = p->expcmdsn + 63;
	}
	if (h->opcode == OP_R2T) {
		h->w24 = p->statsn;
		h->w28 = p->expcmdsn;
		h->w32 = p->expcmdsn + 63;
	}
	uint32_t pad = pdu_pad(h->data_len);
	size_t n = ISCSI_BHS_LEN + h->data_len + pad;
	uint8_t *wire = calloc(1, n);
	assert_non_null(wire);
	bhs_encode(h, wire);
	if (h->data_len)
		memcpy(wire + ISCSI_BHS_LEN, data, h->data_len);
	assert_true(move(p, wire, n, true));
	free(wire);
}

bool peer_recv(struct peer *p, struct bhs *h, uint8_t *data, size_t cap)
{
	uint8_t hdr[ISCSI_BHS_LEN];
	if (!move(p, hdr, sizeof(hdr), false))
		return false;
	bhs_decode(hdr, h);
	size_t n = (size_t)h->ahs_len * 4 + h->data_len + pdu_pad(h->data_len);
	uint8_t *all = malloc(n ? n : 1);
	assert_non_null(all);
	bool ok = move(p, all, n, false);
	size_t ahs = (size_t)h->ahs_len * 4;
	if (ok && data)
		memcpy(data, all + ahs, h->data_len < cap ? h->data_len : cap);
	free(all);
	if (h->opcode == OP_SCSI_CMD && !h->immediate)
		p->expcmdsn = h->w24 + 1;
	return ok;
}

static void logged_in(struct swi_session *s, int status, void *arg)
{
	(void)s;
	*(int *)arg = status == 0 ? 1 : -1;
}

/* Answers one Login Request: same ISID and ITT, transit to nsg, the given text. */
static void login_answer(struct peer *p, const struct bhs *req, uint8_t csg, uint8_t nsg,
			 const char *text, size_t len)
{
	struct bhs h = { .opcode = OP_LOGIN_RSP, .flags = LOGIN_F_TRANSIT | csg << 2 | nsg,
			 .itt = req->itt, .data_len = (uint32_t)len };
	memcpy(h.lun_or_isid, p->isid, 6);
	h.lun_or_isid[7] = nsg == STAGE_FULL_FEATURE ? 1 : 0; /* TSIH */
	peer_send(p, &h, text, true);
}

/* The target's side of a login without CHAP; the first request's header goes to first. */
static void answer_login(struct peer *p, const char *ops, size_t ops_len, struct bhs *first)
{
	struct bhs req;
	uint8_t text[8192];
	assert_true(peer_recv(p, &req, text, sizeof(text)));
	assert_int_equal(req.opcode, OP_LOGIN_REQ);
	if (first)
		*first = req;
	memcpy(p->isid, req.lun_or_isid, 6);
	p->expcmdsn = req.w24;
	static const char none[] = "AuthMethod=None";
	login_answer(p, &req, STAGE_SECURITY, STAGE_OPERATIONAL, none, sizeof(none));
	assert_true(peer_recv(p, &req, text, sizeof(text)));
	assert_int_equal(LOGIN_CSG(&req), STAGE_OPERATIONAL);
	login_answer(p, &req, STAGE_OPERATIONAL, STAGE_FULL_FEATURE, ops, ops_len);
}

void peer_login(struct peer *p, const struct swi_options *o, const char *ops, size_t ops_len)
{
	memset(p, 0, sizeof(*p));
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	p->fd = sv[1];
	p->statsn = 1000;
	const char *err = NULL;
	p->s = swi_session_new(o, &err);
	assert_non_null(p->s);
	int done = 0;
	assert_int_equal(swi_test_login_on_fd(p->s, sv[0], logged_in, &done), 0);
	answer_login(p, ops, ops_len, NULL);
	for (int round = 0; !done && round < ROUNDS; round++)
		peer_pump(p, ROUND_MS);
	if (done != 1)
		fail_msg("login failed: %s", swi_error(p->s));
}

void peer_accept_login(struct peer *p, int listen_fd, const char *ops, size_t ops_len,
		       struct bhs *first)
{
	int fd = -1;
	for (int round = 0; fd < 0 && round < ROUNDS; round++) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
		if (fd >= 0)
			break;
		int ms = swi_timeout_ms(p->s);
		if (swi_fd(p->s) >= 0)
			peer_pump(p, ROUND_MS);
		else
			poll(NULL, 0, ms < 0 || ms > ROUND_MS ? ROUND_MS : ms);
		swi_service(p->s, 0);
	}
	assert_true(fd >= 0);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = fd;
	answer_login(p, ops, ops_len, first);
	for (int round = 0; swi_session_state(p->s) != SWI_STATE_LOGGED_IN && round < ROUNDS; round++)
		peer_pump(p, ROUND_MS);
	assert_int_equal(swi_session_state(p->s), SWI_STATE_LOGGED_IN);
}

void peer_small_sndbuf(struct peer *p)
{
	int size = 4096;
	setsockopt(swi_fd(p->s), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

void peer_close(struct peer *p)
{
	swi_session_free(p->s);
	close(p->fd);
}
