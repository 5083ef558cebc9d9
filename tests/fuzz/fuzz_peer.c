/* The target end of a fuzzed connection (see fuzz_peer.h). */
#include "fuzz_peer.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_SEGMENT = 262144 };

void fuzz_peer_done(struct swi_session *s, int status, void *arg)
{
	(void)s;
	(void)status;
	((struct fuzz_peer *)arg)->finished = 1;
}

/* Reads and discards what the initiator sent (the fuzzed target never needs it). */
static void drain(struct fuzz_peer *p)
{
	char sink[65536];
	while (read(p->fd, sink, sizeof(sink)) > 0)
		;
}

static bool send_all(struct fuzz_peer *p, const uint8_t *buf, size_t len)
{
	while (len) {
		/* MSG_NOSIGNAL: the initiator closes its end when an input ends the login, and a
		 * write() to a closed socket raises SIGPIPE, which ends the fuzzer without a report */
		ssize_t n = send(p->fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
		if (swi_service(p->s, POLLIN | POLLOUT) < 0)
			return false;
		drain(p);
	}
	return true;
}

static bool send_pdu(struct fuzz_peer *p, uint8_t *hdr, const uint8_t *data, size_t len)
{
	static uint8_t pdu[ISCSI_BHS_LEN + MAX_SEGMENT + 4];
	if (!p->raw) {
		uint32_t itt = p->s->op_itt;
		hdr[16] = (uint8_t)(itt >> 24);
		hdr[17] = (uint8_t)(itt >> 16);
		hdr[18] = (uint8_t)(itt >> 8);
		hdr[19] = (uint8_t)itt;
		if ((hdr[0] & 0x3f) == OP_LOGIN_RSP)
			memcpy(hdr + 8, p->s->isid, 6);
	}
	hdr[5] = (uint8_t)(len >> 16);
	hdr[6] = (uint8_t)(len >> 8);
	hdr[7] = (uint8_t)len;
	size_t total = ISCSI_BHS_LEN + len + pdu_pad((uint32_t)len);
	memcpy(pdu, hdr, ISCSI_BHS_LEN);
	memcpy(pdu + ISCSI_BHS_LEN, data, len);
	memset(pdu + ISCSI_BHS_LEN + len, 0, total - ISCSI_BHS_LEN - len);
	return send_all(p, pdu, total);
}

bool fuzz_peer_step(struct fuzz_peer *p, const uint8_t **in, size_t *left)
{
	if (*left < ISCSI_BHS_LEN || p->finished)
		return false;
	uint8_t hdr[ISCSI_BHS_LEN];
	memcpy(hdr, *in, ISCSI_BHS_LEN);
	*in += ISCSI_BHS_LEN;
	*left -= ISCSI_BHS_LEN;
	size_t len = (size_t)hdr[5] << 16 | (size_t)hdr[6] << 8 | hdr[7];
	if (len > *left)
		len = *left;
	if (len > MAX_SEGMENT)
		len = MAX_SEGMENT;
	const uint8_t *data = *in;
	size_t used = len + pdu_pad((uint32_t)len); /* the padding, as on the wire */
	used = used < *left ? used : *left;
	*in += used;
	*left -= used;
	return send_pdu(p, hdr, data, len) && !p->finished;
}

bool fuzz_peer_login_response(struct fuzz_peer *p, uint8_t flags, const char *text, size_t len)
{
	struct bhs h = { .opcode = OP_LOGIN_RSP, .flags = flags, .w24 = 1,
			 .w28 = p->s->cmdsn, .w32 = p->s->cmdsn + 16 };
	uint8_t hdr[ISCSI_BHS_LEN];
	bhs_encode(&h, hdr);
	return send_pdu(p, hdr, (const uint8_t *)text, len);
}

void fuzz_peer_report(const struct fuzz_peer *p)
{
	if (getenv("FUZZ_VERBOSE") && p->s)
		fprintf(stderr, "fuzz peer: state %d, finished %d, error class %d: %s\n", p->s->state,
			p->finished, p->s->err_class, p->s->err);
}
