/* The PDU transport: scatter-gather sends from a pooled queue, and a bytes-needed receive state
 * machine that reads many PDUs per recv() and lands large data segments directly in the
 * owner's buffer. */
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "digest.h"
#include "testing.h"

enum { RBUF_SIZE = 256 * 1024, DIRECT_MIN = 8192, MAX_IOV = 64, AHS_MAX = 255 * 4 };
/* SO_RCVLOWAT: worth a system call only when it saves many wake-ups; the guard bounds the
 * wait when a read ends early (an error status instead of its data). The cap is high because
 * every wake-up costs far more than its system calls: against tgtd on loopback, raising it from
 * 256 KiB to 2 MiB cut the CPU per 1 MiB read from ~200 to ~130 us and per 128 KiB read from ~27
 * to ~17 us (fewer window updates, whose processing runs the target's TCP work on our CPU, and a
 * copy out of data the sender's CPU no longer holds), and tgtd, the bottleneck, went faster. */
enum { LOWAT_MIN = 64 * 1024, LOWAT_MAX = 2048 * 1024, LOWAT_GUARD_MS = 2 };

enum rx_state { RX_BHS, RX_AHS, RX_HDIGEST, RX_DATA, RX_DDIGEST };

struct txent {
	struct txent *next;
	uint8_t hdr[ISCSI_BHS_LEN + ISCSI_DIGEST_LEN];
	size_t hdr_len;
	const uint8_t *data;
	uint32_t data_len;
	uint8_t *owned;             /* copy of data, when asked to copy */
	uint32_t itt;               /* of the PDU: xport_release finds a task's PDUs by it */
	uint32_t seq;               /* queue order: xport_sent compares against it */
	uint8_t tail[3 + ISCSI_DIGEST_LEN]; /* padding, then the data digest */
	size_t tail_len;
	size_t sent;
};

struct xport {
	void *owner;
	uint64_t digest_errors;     /* mismatches seen (each one fails the connection) */
	xport_pdu_fn on_pdu;
	xport_data_fn want_data;
	xport_expect_fn expect;
	int lowat;                  /* the socket's SO_RCVLOWAT, 1 by default */
	int fd;
	bool connecting, connected, failed;
	bool dispatching;           /* inside xport_service: sends wait for one batched flush */
	bool batching;              /* sends after a turn's first wait for xport_flush */
	bool turn_sent;             /* batching: this turn's first PDU went out at once */
	bool blocked;               /* the socket's buffer was full: wait for POLLOUT */
	bool hdig, ddig;
	bool streaming;             /* large Data-In going straight to the owner: read headers
				     * alone, so that no data lands in rbuf to be copied */
	uint32_t max_recv;
	struct txent *head, *tail, *pool;
	uint32_t seq_queued;        /* seq of the last entry queued */
	uint32_t seq_sent;          /* seq of the last entry written out in full */
	size_t copied;              /* bytes of copied data waiting to be sent */
	/* receive */
	uint8_t *rbuf;
	size_t rstart, rend;
	enum rx_state st;
	size_t got;                 /* bytes of the current state's unit received */
	uint8_t hdr[ISCSI_BHS_LEN + AHS_MAX];
	size_t hdr_total;           /* BHS + AHS */
	struct bhs h;
	uint8_t *dst;               /* where data goes */
	uint8_t *own;               /* transport's data buffer */
	size_t own_cap;
	uint8_t dig[ISCSI_DIGEST_LEN];
	uint32_t crc;
	char err[256];
	int err_no;
};

static int fail(struct xport *x, int err_no, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct xport *x, int err_no, const char *fmt, ...)
{
	if (!x->failed) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(x->err, sizeof(x->err), fmt, ap);
		va_end(ap);
		x->err_no = err_no;
		x->failed = true;
	}
	return -1;
}

struct xport *xport_new(void *owner, xport_pdu_fn on_pdu, xport_data_fn want_data)
{
	struct xport *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->rbuf = malloc(RBUF_SIZE);
	if (!x->rbuf) {
		free(x);
		return NULL;
	}
	x->owner = owner;
	x->on_pdu = on_pdu;
	x->want_data = want_data;
	x->fd = -1;
	x->max_recv = 8192;
	x->lowat = 1;
	return x;
}

void xport_set_expect(struct xport *x, xport_expect_fn expect)
{
	x->expect = expect;
}

int xport_guard_ms(const struct xport *x)
{
	return x->lowat > 1 ? LOWAT_GUARD_MS : -1;
}

static void set_lowat(struct xport *x, int lowat)
{
	if (lowat == x->lowat)
		return;
	if (setsockopt(x->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) == 0)
		x->lowat = lowat;
}

/* Before waiting: the read data certainly still to come, less what of it the current PDU has
 * already delivered into the owner's buffer. */
static void tune_lowat(struct xport *x)
{
	uint64_t coming = x->expect ? x->expect(x->owner) : 0;
	if (x->st == RX_DATA && x->dst != x->own)
		coming = coming > x->got ? coming - x->got : 0;
	/* wake at half of it: the target keeps the other half to send while the owner handles
	 * what came and issues more, so the pipe never runs dry */
	uint64_t half = coming / 2;
	int lowat = 1;
	if (half >= LOWAT_MIN)
		lowat = half < LOWAT_MAX ? (int)half : LOWAT_MAX;
	set_lowat(x, lowat);
}

static void free_list(struct txent *e)
{
	while (e) {
		struct txent *next = e->next;
		free(e->owned);
		free(e);
		e = next;
	}
}

void xport_free(struct xport *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	free_list(x->head);
	free_list(x->pool);
	free(x->rbuf);
	free(x->own);
	free(x);
}

static int apply_binding(struct xport *x, const struct xport_binding *b)
{
	if (!b)
		return 0;
	if (b->ifname[0] &&
	    setsockopt(x->fd, SOL_SOCKET, SO_BINDTODEVICE, b->ifname, (socklen_t)strlen(b->ifname)) < 0)
		return fail(x, errno, "cannot bind the connection to device %s: %s", b->ifname,
			    strerror(errno));
	if (b->source.ss_family) {
		socklen_t len = b->source.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								 : sizeof(struct sockaddr_in);
		if (bind(x->fd, (const struct sockaddr *)&b->source, len) < 0)
			return fail(x, errno, "cannot use the source address: %s", strerror(errno));
	}
	return 0;
}

int xport_connect(struct xport *x, const struct sockaddr *addr, socklen_t len,
		  const struct xport_binding *bind)
{
	x->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0)
		return fail(x, errno, "cannot create a socket: %s", strerror(errno));
	int one = 1;
	setsockopt(x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (apply_binding(x, bind) < 0)
		return -1;
	if (connect(x->fd, addr, len) == 0) {
		x->connected = true;
		return 0;
	}
	if (errno != EINPROGRESS)
		return fail(x, errno, "cannot connect: %s", strerror(errno));
	x->connecting = true;
	return 0;
}

void xport_adopt(struct xport *x, int fd)
{
	x->fd = fd;
	x->connected = true;
}

bool xport_connected(const struct xport *x)
{
	return x->connected;
}

int xport_fd(const struct xport *x)
{
	return x->fd;
}

short xport_events(const struct xport *x)
{
	if (x->connecting)
		return POLLOUT;
	return (short)(POLLIN | (x->head ? POLLOUT : 0));
}

void xport_set_digests(struct xport *x, bool header, bool data)
{
	x->hdig = header;
	x->ddig = data;
}

void xport_set_max_recv(struct xport *x, uint32_t max_recv_dsl)
{
	x->max_recv = max_recv_dsl;
}

const char *xport_error(const struct xport *x)
{
	return x->err;
}

uint64_t xport_digest_errors(const struct xport *x)
{
	return x->digest_errors;
}

int xport_errno(const struct xport *x)
{
	return x->err_no;
}

int xport_local(const struct xport *x, struct sockaddr_storage *addr)
{
	socklen_t len = sizeof(*addr);
	return getsockname(x->fd, (struct sockaddr *)addr, &len);
}

/* ---- sending ---- */

static int flush(struct xport *x);

int xport_queue(struct xport *x, const struct bhs *h, const void *data, bool copy)
{
	struct txent *e = x->pool;
	if (e)
		x->pool = e->next;
	else if (!(e = calloc(1, sizeof(*e))))
		return -1;
	e->next = NULL;
	e->sent = 0;
	e->owned = NULL;
	e->itt = h->itt;
	bhs_encode(h, e->hdr);
	e->hdr_len = ISCSI_BHS_LEN;
	if (x->hdig) {
		digest_put(e->hdr + ISCSI_BHS_LEN,
			   digest_final(digest_update(DIGEST_SEED, e->hdr, ISCSI_BHS_LEN)));
		e->hdr_len += ISCSI_DIGEST_LEN;
	}
	e->data_len = h->data_len;
	e->data = data;
	if (copy && h->data_len) {
		if (!(e->owned = malloc(h->data_len))) {
			e->next = x->pool;
			x->pool = e;
			return -1;
		}
		memcpy(e->owned, data, h->data_len);
		e->data = e->owned;
		x->copied += h->data_len;
	}
	e->seq = ++x->seq_queued;
	uint32_t pad = pdu_pad(h->data_len);
	memset(e->tail, 0, sizeof(e->tail));
	e->tail_len = pad;
	if (x->ddig && h->data_len) {
		uint32_t crc = digest_update(DIGEST_SEED, e->data, h->data_len);
		crc = digest_update(crc, e->tail, pad);
		digest_put(e->tail + pad, digest_final(crc));
		e->tail_len += ISCSI_DIGEST_LEN;
	}
	if (x->tail)
		x->tail->next = e;
	else
		x->head = e;
	x->tail = e;
	/* Write at once when nothing else is waiting (saves a poll round trip per command), except
	 * while received PDUs are being handled: the commands they trigger go out together in one
	 * sendmsg at the end of xport_service. With batching only the first PDU of the owner's
	 * loop turn goes at once, so the target starts on it while the owner queues the rest;
	 * its xport_flush before the wait sends those together. */
	if (!x->connected || x->head != e || x->dispatching || (x->batching && x->turn_sent))
		return 0;
	x->turn_sent = x->batching;
	return flush(x) < 0 && !x->failed ? -1 : 0;
}

/* Adds the unsent part of one piece to the iovec array. */
static void add_piece(struct iovec *iov, int *n, const void *base, size_t len, size_t *skip)
{
	if (*skip >= len) {
		*skip -= len;
		return;
	}
	iov[*n].iov_base = (uint8_t *)base + *skip;
	iov[*n].iov_len = len - *skip;
	(*n)++;
	*skip = 0;
}

static size_t entry_len(const struct txent *e)
{
	return e->hdr_len + e->data_len + e->tail_len;
}

/* An entry leaves the queue (sent, or dropped by xport_release): back to the pool. */
static void recycle(struct xport *x, struct txent *e)
{
	if (e->owned)
		x->copied -= e->data_len;
	free(e->owned);
	e->owned = NULL;
	e->next = x->pool;
	x->pool = e;
}

static int flush(struct xport *x)
{
	if (x->failed)
		return -1; /* e.g. xport_release could not copy: the data may be gone */
	while (x->head) {
		struct iovec iov[MAX_IOV];
		int n = 0;
		for (struct txent *e = x->head; e && n <= MAX_IOV - 3; e = e->next) {
			size_t skip = e->sent;
			add_piece(iov, &n, e->hdr, e->hdr_len, &skip);
			if (e->data_len)
				add_piece(iov, &n, e->data, e->data_len, &skip);
			if (e->tail_len)
				add_piece(iov, &n, e->tail, e->tail_len, &skip);
		}
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t sent = sendmsg(x->fd, &msg, MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EAGAIN)
				x->blocked = true;
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return fail(x, errno, "sending to the target failed: %s", strerror(errno));
		}
		x->blocked = false;
		size_t left = (size_t)sent;
		while (left && x->head) {
			struct txent *e = x->head;
			size_t rest = entry_len(e) - e->sent;
			size_t take = left < rest ? left : rest;
			e->sent += take;
			left -= take;
			if (e->sent < entry_len(e))
				break;
			x->head = e->next;
			if (!x->head)
				x->tail = NULL;
			x->seq_sent = e->seq;
			recycle(x, e);
		}
	}
	return 0;
}

void xport_set_batching(struct xport *x, bool on)
{
	x->batching = on;
}

int xport_flush(struct xport *x)
{
	x->turn_sent = false;   /* the owner is about to wait: the next PDU begins a turn */
	if (x->failed)
		return -1;
	if (!x->head || !x->connected || x->blocked)
		return 0;   /* a full socket buffer: POLLOUT (xport_events) brings xport_service */
	return flush(x);
}

uint32_t xport_last_seq(const struct xport *x)
{
	return x->seq_queued;
}

bool xport_sent(const struct xport *x, uint32_t seq)
{
	return !x->head || (int32_t)(seq - x->seq_sent) <= 0;
}

size_t xport_copied(const struct xport *x)
{
	return x->copied;
}

int xport_release(struct xport *x, uint32_t itt)
{
	struct txent **link = &x->head, *prev = NULL;
	while (*link) {
		struct txent *e = *link;
		if (e->itt != itt || !e->data_len || e->owned) {
			prev = e;
			link = &e->next;
			continue;
		}
		if (e->sent == 0) { /* not begun: the target has answered, it needs it no more */
			*link = e->next;
			if (x->tail == e)
				x->tail = prev;
			recycle(x, e);
			continue;
		}
		/* half written: the stream needs the rest of it, from a copy of our own */
		if (!(e->owned = malloc(e->data_len)))
			return fail(x, ENOMEM, "out of memory");
		memcpy(e->owned, e->data, e->data_len);
		e->data = e->owned;
		x->copied += e->data_len;
		prev = e;
		link = &e->next;
	}
	return 0;
}

/* ---- receiving ---- */

static void rx_reset(struct xport *x)
{
	x->st = RX_BHS;
	x->got = 0;
	x->dst = NULL;
}

static int deliver(struct xport *x)
{
	uint8_t *data = x->dst;
	rx_reset(x);
	if (x->on_pdu(x->owner, &x->h, data) != 0)
		return fail(x, 0, "the session refused a %s", opcode_name(x->h.opcode));
	return 0;
}

/* Header (BHS + AHS) complete and, if on, its digest checked. */
static int header_done(struct xport *x)
{
	const char *why = bhs_check_incoming(&x->h, x->max_recv);
	if (why)
		return fail(x, 0, "protocol error in a %s from the target: %s",
			    opcode_name(x->h.opcode), why);
	if (x->h.data_len == 0)
		return deliver(x);
	x->dst = x->want_data ? x->want_data(x->owner, &x->h) : NULL;
	if (!x->dst) {
		if (x->own_cap < x->h.data_len) {
			uint8_t *grown = realloc(x->own, x->h.data_len);
			if (!grown)
				return fail(x, ENOMEM, "out of memory");
			x->own = grown;
			x->own_cap = x->h.data_len;
		}
		x->dst = x->own;
	}
	x->st = RX_DATA;
	x->got = 0;
	x->crc = DIGEST_SEED;
	if (x->dst == x->own || x->h.data_len < DIRECT_MIN)
		x->streaming = false;
	return 0;
}

static int bhs_done(struct xport *x)
{
	bhs_decode(x->hdr, &x->h);
	x->hdr_total = ISCSI_BHS_LEN + (size_t)x->h.ahs_len * 4;
	if (x->h.ahs_len) {
		x->st = RX_AHS;
		return 0;
	}
	x->st = x->hdig ? RX_HDIGEST : RX_BHS;
	x->got = 0;
	return x->hdig ? 0 : header_done(x);
}

static int check_digest(struct xport *x, uint32_t crc, const char *what)
{
	uint32_t want = digest_final(crc), got = digest_get(x->dig);
	if (want != got) {
		x->digest_errors++;
		return fail(x, 0, "%s digest mismatch in a %s (got %08x, computed %08x)", what,
			    opcode_name(x->h.opcode), got, want);
	}
	return 0;
}

/* Each consume_* takes bytes for the current state and returns how many it used, or -1 when
 * the connection failed. */
static ssize_t consume_header(struct xport *x, const uint8_t *src, size_t n)
{
	size_t want = (x->st == RX_BHS ? ISCSI_BHS_LEN : x->hdr_total) - x->got;
	size_t take = n < want ? n : want;
	memcpy(x->hdr + x->got, src, take);
	x->got += take;
	if (take < want)
		return (ssize_t)take;
	int rc;
	if (x->st == RX_BHS) {
		rc = bhs_done(x);
	} else {
		x->st = x->hdig ? RX_HDIGEST : RX_BHS;
		x->got = 0;
		rc = x->hdig ? 0 : header_done(x);
	}
	return rc ? -1 : (ssize_t)take;
}

static ssize_t consume_digest(struct xport *x, const uint8_t *src, size_t n)
{
	size_t want = ISCSI_DIGEST_LEN - x->got;
	size_t take = n < want ? n : want;
	memcpy(x->dig + x->got, src, take);
	x->got += take;
	if (take < want)
		return (ssize_t)take;
	int rc;
	if (x->st == RX_HDIGEST) {
		x->got = 0;
		x->st = RX_BHS;
		rc = check_digest(x, digest_update(DIGEST_SEED, x->hdr, x->hdr_total), "header");
		if (rc == 0)
			rc = header_done(x);
	} else {
		rc = check_digest(x, x->crc, "data");
		if (rc == 0)
			rc = deliver(x);
	}
	return rc ? -1 : (ssize_t)take;
}

static ssize_t consume_data(struct xport *x, const uint8_t *src, size_t n)
{
	uint32_t len = x->h.data_len;
	size_t want = len + pdu_pad(len) - x->got;
	size_t take = n < want ? n : want;
	if (x->got < len) {
		size_t into_data = len - x->got < take ? len - x->got : take;
		memcpy(x->dst + x->got, src, into_data);
	}
	/* padding bytes count only for the digest */
	if (x->ddig)
		x->crc = digest_update(x->crc, src, take);
	x->got += take;
	if (take < want)
		return (ssize_t)take;
	if (x->ddig) {
		x->st = RX_DDIGEST;
		x->got = 0;
		return (ssize_t)take;
	}
	return deliver(x) ? -1 : (ssize_t)take;
}

static ssize_t consume(struct xport *x, const uint8_t *src, size_t n)
{
	switch (x->st) {
	case RX_BHS:
	case RX_AHS:
		return consume_header(x, src, n);
	case RX_HDIGEST:
	case RX_DDIGEST:
		return consume_digest(x, src, n);
	case RX_DATA:
		return consume_data(x, src, n);
	}
	return -1;
}

/* Feeds buffered bytes to the state machine. 0, or -1 on failure. */
static int drain(struct xport *x)
{
	while (x->rstart < x->rend) {
		ssize_t used = consume(x, x->rbuf + x->rstart, x->rend - x->rstart);
		if (used < 0)
			return -1;
		x->rstart += (size_t)used;
	}
	x->rstart = x->rend = 0;
	return 0;
}

/* A large data segment arriving for an owner's buffer is read straight into it, to its last
 * byte: a large read into rbuf for a small remainder would swallow the next segment too and
 * make it a copy. */
static bool read_direct(const struct xport *x)
{
	return x->st == RX_DATA && x->dst != x->own && x->h.data_len >= DIRECT_MIN &&
	       x->got < x->h.data_len;
}

/* What may follow a data segment before the next PDU's data: padding, data digest, the next
 * BHS and its digest. Reading no further keeps the next data segment for a direct read. */
static size_t lookahead(const struct xport *x)
{
	return pdu_pad(x->h.data_len) + (x->ddig ? ISCSI_DIGEST_LEN : 0) + ISCSI_BHS_LEN +
	       (x->hdig ? ISCSI_DIGEST_LEN : 0);
}

static int receive(struct xport *x)
{
	int rc;
	for (;;) {
		ssize_t n;
		if (read_direct(x)) {
			/* the rest of the data straight into the owner's buffer and, in the same
			 * call, what follows it up to the next header: a stream of large Data-In
			 * PDUs costs one system call each and no copy */
			size_t left = x->h.data_len - x->got;
			struct iovec iov[2] = { { x->dst + x->got, left }, { x->rbuf, lookahead(x) } };
			n = readv(x->fd, iov, 2);
			if (n > 0) {
				/* a short read emptied the socket: skip the call that would say EAGAIN
				 * (on this VM ~40% of the receive calls at 128 KiB reads did) */
				bool emptied = (size_t)n < left + iov[1].iov_len;
				size_t in_data = (size_t)n < left ? (size_t)n : left;
				if (x->ddig)
					x->crc = digest_update(x->crc, x->dst + x->got, in_data);
				x->got += in_data;
				if (x->got < x->h.data_len) {
					if (emptied)
						return 0;
					continue;
				}
				x->streaming = true;
				/* the data is complete: with no padding or digest to wait for, the PDU
				 * is whole now, even if nothing else ever arrives on the socket */
				if (consume_data(x, x->rbuf, 0) < 0)
					return -1;
				x->rstart = 0;
				x->rend = (size_t)n - in_data;
				if (drain(x) < 0)
					return -1;
				if (emptied)
					return 0;
				continue;
			}
		} else {
			size_t want = RBUF_SIZE;
			if (x->streaming && x->st == RX_BHS)
				want = ISCSI_BHS_LEN + (x->hdig ? ISCSI_DIGEST_LEN : 0) - x->got;
			n = recv(x->fd, x->rbuf, want, 0);
			if (n > 0) {
				x->rstart = 0;
				x->rend = (size_t)n;
				rc = drain(x);
				if (rc)
					return rc;
				/* a short read emptied the socket: skip the recv that would say EAGAIN */
				if ((size_t)n < want)
					return 0;
				continue;
			}
		}
		if (n == 0)
			return fail(x, ECONNRESET, "the target closed the connection");
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		return fail(x, errno, "receiving from the target failed: %s", strerror(errno));
	}
}

static int finish_connect(struct xport *x)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		return fail(x, err, "cannot connect: %s", strerror(err));
	x->connecting = false;
	x->connected = true;
	return 0;
}

int xport_service(struct xport *x, short revents)
{
	if (x->failed)
		return -1;
	if (x->connecting) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		if (finish_connect(x) < 0)
			return -1;
	}
	/* the guard timer ran out below the low-water mark: take what is there */
	bool guard = !revents && x->lowat > 1;
	if (guard)
		set_lowat(x, 1);
	if (guard || (revents & (POLLIN | POLLERR | POLLHUP))) {
		x->dispatching = true;
		int rc = receive(x);
		x->dispatching = false;
		if (rc)
			return rc;
	}
	if (revents & POLLOUT)
		x->blocked = false;
	if (x->head && flush(x) < 0)
		return -1;
	if (x->failed)
		return -1;
	if (x->connected)
		tune_lowat(x);
	return 0;
}
