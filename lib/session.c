/* Session lifetime, error model, event-loop plumbing and dispatch of incoming PDUs. */
#include "session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "testing.h"

long long session_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *keep(struct swi_session *s, const char *v)
{
	if (!v || s->nstrs == sizeof(s->strs) / sizeof(s->strs[0]))
		return NULL;
	char *c = strdup(v);
	if (c)
		s->strs[s->nstrs++] = c;
	return c;
}

/* "host", "host:port", "[v6]:port", "v6" (two or more colons, no brackets). */
static int resolve_portal(struct swi_session *s, const char *portal, const char **err)
{
	char host[256], port[8] = "3260";
	const char *colon = strrchr(portal, ':');
	if (portal[0] == '[') {
		const char *end = strchr(portal, ']');
		if (!end || (size_t)(end - portal - 1) >= sizeof(host)) {
			*err = "portal: unterminated '[' in an IPv6 address";
			return -1;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(end - portal - 1), portal + 1);
		if (end[1] == ':')
			snprintf(port, sizeof(port), "%s", end + 2);
	} else if (colon && strchr(portal, ':') == colon) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - portal), portal);
		snprintf(port, sizeof(port), "%s", colon + 1);
	} else {
		snprintf(host, sizeof(host), "%s", portal);
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		*err = "portal: cannot resolve the address";
		return -1;
	}
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int parse_source(struct swi_session *s, const char *src)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&s->bind.source;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&s->bind.source;
	if (inet_pton(AF_INET, src, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, src, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

static void copy_options(struct swi_session *s, const struct swi_options *o)
{
	s->o = *o;
	s->o.initiator_name = keep(s, o->initiator_name);
	s->o.initiator_alias = keep(s, o->initiator_alias);
	s->o.target_name = keep(s, o->target_name);
	s->o.portal = keep(s, o->portal);
	s->o.bind_ifname = keep(s, o->bind_ifname);
	s->o.bind_source = keep(s, o->bind_source);
	s->o.chap_user = keep(s, o->chap_user);
	s->o.chap_secret = keep(s, o->chap_secret);
	s->o.chap_target_user = keep(s, o->chap_target_user);
	s->o.chap_target_secret = keep(s, o->chap_target_secret);
	s->o.chap_algs = keep(s, o->chap_algs ? o->chap_algs : "SHA3-256,SHA256,SHA1,MD5");
	s->o.header_digest = keep(s, o->header_digest ? o->header_digest : "None");
	s->o.data_digest = keep(s, o->data_digest ? o->data_digest : "None");
	if (!s->o.timeout_ms)
		s->o.timeout_ms = 15000;
	if (!s->o.noop_interval_ms)
		s->o.noop_interval_ms = 5000;
	if (!s->o.noop_timeout_ms)
		s->o.noop_timeout_ms = 5000;
	if (s->o.abort_timeout_ms <= 0)
		s->o.abort_timeout_ms = s->o.timeout_ms;
	if (s->o.lu_reset_timeout_ms <= 0)
		s->o.lu_reset_timeout_ms = s->o.timeout_ms;
	if (s->o.replacement_timeout_ms < 0)
		s->o.replacement_timeout_ms = 0;
	if (s->o.scsi_retries < 0)
		s->o.scsi_retries = 0;
	if (s->o.scsi_retries > 255)
		s->o.scsi_retries = 255;
	if (s->o.scsi_retry_delay_ms <= 0)
		s->o.scsi_retry_delay_ms = 250;
}

/* The MaxBurstLength we offer when the caller leaves it open: the RFC 7143 maximum. */
enum { DEFAULT_MAX_BURST = 16776192 };

/* What we offer, from the options (and the library's choices for what they leave open). */
static void choose_offer(struct swi_session *s)
{
	const struct swi_options *o = &s->o;
	params_rfc_defaults(&s->want);
	s->want.max_recv_dsl = o->max_recv_data_segment_length ? o->max_recv_data_segment_length : 262144;
	s->want.max_burst = o->max_burst_length ? o->max_burst_length : DEFAULT_MAX_BURST;
	s->want.first_burst = o->first_burst_length ? o->first_burst_length : 262144;
	if (s->want.first_burst > s->want.max_burst)  /* only our default can be: the user's is checked */
		s->want.first_burst = s->want.max_burst;
	s->want.initial_r2t = o->initial_r2t == 1;
	s->want.immediate_data = o->immediate_data != 0;
	/* several R2Ts in flight let a target that allows it pull write data faster */
	s->want.max_outstanding_r2t = o->max_outstanding_r2t ? o->max_outstanding_r2t : 8;
	s->want.time2wait = 2;
	s->want.time2retain = 0;
	snprintf(s->hdig, sizeof(s->hdig), "%s", o->header_digest);
	snprintf(s->ddig, sizeof(s->ddig), "%s", o->data_digest);
}

static bool digest_list_ok(const char *v)
{
	return strcmp(v, "None") == 0 || strcmp(v, "CRC32C") == 0 ||
	       strcmp(v, "CRC32C,None") == 0 || strcmp(v, "None,CRC32C") == 0;
}

static const char *check_options(const struct swi_options *o)
{
	if (!o || !o->initiator_name || !o->initiator_name[0])
		return "an initiator name is required";
	if (!o->portal || !o->portal[0])
		return "a portal is required";
	if (o->bind_ifname && strlen(o->bind_ifname) >= 16)
		return "bind_ifname: a device name has at most 15 characters";
	if ((o->header_digest && !digest_list_ok(o->header_digest)) ||
	    (o->data_digest && !digest_list_ok(o->data_digest)))
		return "digests: use None, CRC32C, CRC32C,None or None,CRC32C";
	if (!o->chap_user != !o->chap_secret)
		return "CHAP needs both a user name and a secret";
	if (!o->chap_target_user != !o->chap_target_secret)
		return "mutual CHAP needs both the target's user name and secret";
	if (o->chap_target_user && !o->chap_user)
		return "mutual CHAP needs one-way CHAP credentials too";
	/* RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength */
	if (o->first_burst_length &&
	    o->first_burst_length > (o->max_burst_length ? o->max_burst_length : DEFAULT_MAX_BURST))
		return "first_burst_length is above max_burst_length (RFC 7143 forbids offering that)";
	return NULL;
}

struct swi_session *swi_session_new(const struct swi_options *opts, const char **err)
{
	const char *dummy;
	if (!err)
		err = &dummy;
	if ((*err = check_options(opts)))
		return NULL;
	struct swi_session *s = calloc(1, sizeof(*s));
	if (!s) {
		*err = "out of memory";
		return NULL;
	}
	copy_options(s, opts);
	if (resolve_portal(s, s->o.portal, err) < 0 ||
	    (s->o.bind_source && parse_source(s, s->o.bind_source) < 0 &&
	     (*err = "bind_source: not an IP address"))) {
		swi_session_free(s);
		return NULL;
	}
	memcpy(&s->rec.portal_addr, &s->addr, sizeof(s->addr));
	s->rec.portal_len = s->addrlen;
	if (s->o.bind_ifname)
		snprintf(s->bind.ifname, sizeof(s->bind.ifname), "%s", s->o.bind_ifname);
	choose_offer(s);
	/* ISID: type 0x80 (random), 3 random bytes, then a qualifier (RFC 7143 §11.12.5) */
	uint32_t r = digest_update(DIGEST_SEED, &s, sizeof(s)) ^ (uint32_t)session_now_ms();
	s->isid[0] = 0x80;
	s->isid[1] = (uint8_t)(r >> 16);
	s->isid[2] = (uint8_t)(r >> 8);
	s->isid[3] = (uint8_t)r;
	s->next_itt = r & 0xffff;
	return s;
}

void swi_session_free(struct swi_session *s)
{
	if (!s)
		return;
	s->rec.armed = false; /* freed: whatever is pending fails for good */
	if (s->op != OP_NONE)
		session_fail(s, SWI_ERR, "session freed while an operation was pending");
	task_table_free(s);
	xport_free(s->x);
	text_buf_free(&s->lg.acc);
	text_buf_free(&s->lg.op_answers);
	text_buf_free(&s->text_acc);
	for (size_t i = 0; i < s->nstrs; i++) {
		/* secrets do not linger in freed memory */
		if (s->strs[i] == s->o.chap_secret || s->strs[i] == s->o.chap_target_secret)
			explicit_bzero(s->strs[i], strlen(s->strs[i]));
		free(s->strs[i]);
	}
	free(s);
}

void swi_session_abort(struct swi_session *s, const char *why)
{
	if (s->state == SS_FAILED)
		return;   /* already ended: its commands failed with it */
	s->rec.armed = false;   /* a failure now is final, not a reason to reconnect */
	session_fail(s, SWI_ERR, "%s", why);
}

const char *swi_error(const struct swi_session *s)
{
	return s->err;
}

int swi_error_class(const struct swi_session *s)
{
	return s->err_class;
}

int session_fail(struct swi_session *s, int err_class, const char *fmt, ...)
{
	if (s->state != SS_FAILED || !s->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->err, sizeof(s->err), fmt, ap);
		va_end(ap);
		s->err_class = err_class;
	}
	if (recovery_wanted(s)) {
		recovery_lost(s);
		return -1;
	}
	s->state = SS_FAILED;
	session_complete(s, -1);
	task_fail_all(s);
	return -1;
}

void session_complete(struct swi_session *s, int status)
{
	swi_done_fn done = s->done;
	void *arg = s->done_arg;
	s->op = OP_NONE;
	s->done = NULL;
	s->deadline_ms = 0;
	if (done)
		done(s, status, arg);
}

void session_begin(struct swi_session *s, enum pending_op op, swi_done_fn done, void *arg)
{
	s->op = op;
	s->done = done;
	s->done_arg = arg;
	s->deadline_ms = session_now_ms() + s->o.timeout_ms;
	s->err[0] = '\0';
	s->err_class = SWI_OK;
}

uint32_t session_new_itt(struct swi_session *s)
{
	return session_class_itt(s, ITT_OTHER);
}

uint32_t session_class_itt(struct swi_session *s, uint32_t cls)
{
	uint32_t itt;
	do
		itt = cls | (++s->next_itt & ITT_SERIAL);
	while (itt == ISCSI_RESERVED_TAG);
	return itt;
}

int session_send(struct swi_session *s, const struct bhs *h, const void *data, bool copy)
{
	s->stats.pdus_tx++;
	s->stats.bytes_tx += h->data_len;
	if (xport_queue(s->x, h, data, copy) < 0)
		return session_fail(s, SWI_ERR_TRANS, "%s", xport_error(s->x)[0] ? xport_error(s->x)
										  : "out of memory");
	return 0;
}

int swi_fd(const struct swi_session *s)
{
	return s->x ? xport_fd(s->x) : -1;
}

void swi_set_batching(struct swi_session *s, bool on)
{
	s->batch_sends = on;
	if (s->x)
		xport_set_batching(s->x, on);
}

int swi_flush(struct swi_session *s)
{
	if (s->state == SS_FAILED)
		return -1;
	/* a failed write is left for swi_service, which decides between recovery and failure:
	 * no callback runs from here */
	return !s->x || s->rec.drop || xport_flush(s->x) == 0 ? 0 : -1;
}

short swi_events(const struct swi_session *s)
{
	return s->x && s->state != SS_FAILED && !s->rec.drop ? xport_events(s->x) : 0;
}

/* When the keepalive needs attention next: sending a NOP-Out, or giving up on one. */
static long long keepalive_due(const struct swi_session *s)
{
	if (s->state != SS_FULL || s->o.noop_interval_ms < 0)
		return 0;
	/* a connection still receiving is alive, answered or not: the timeout counts from the
	 * later of the ping and the last PDU */
	if (s->nop_itt)
		return (s->last_rx_ms > s->nop_sent_ms ? s->last_rx_ms : s->nop_sent_ms) +
		       s->o.noop_timeout_ms;
	return s->last_rx_ms + s->o.noop_interval_ms;
}

static long long earliest(long long a, long long b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

int swi_timeout_ms(const struct swi_session *s)
{
	long long due = earliest(earliest(s->deadline_ms, s->tasks.inflight ? s->task_check_ms : 0),
				 keepalive_due(s));
	due = earliest(earliest(due, recovery_due(s)), s->state == SS_FULL ? task_queue_due(s) : 0);
	int guard = s->x && !s->rec.drop ? xport_guard_ms(s->x) : -1;
	if (!due)
		return guard;
	long long left = due - session_now_ms();
	int ms = left < 0 ? 0 : (int)(left > 0x7fffffff ? 0x7fffffff : left);
	return guard >= 0 && guard < ms ? guard : ms;
}

/* StatSN and the command window travel on most target PDUs. */
static void track_sequence(struct swi_session *s, const struct bhs *h)
{
	if (h->opcode == OP_DATA_IN && !(h->flags & DATAIN_F_STATUS))
		return;
	/* a Data-In that carries status (phase collapse) consumes a StatSN like a SCSI Response
	 * (RFC 7143 §11.7.4); istgt drops a session whose ExpStatSN falls 64 behind */
	if (h->opcode != OP_R2T && !(h->opcode == OP_NOP_IN && h->itt == ISCSI_RESERVED_TAG))
		s->expstatsn = BHS_STATSN(h) + 1;
	if (s->state == SS_FULL || s->state == SS_LOGOUT) {
		if (sn_le(BHS_EXPCMDSN(h) - 1, BHS_MAXCMDSN(h)) && sn_lt(s->maxcmdsn, BHS_MAXCMDSN(h)))
			s->maxcmdsn = BHS_MAXCMDSN(h);
	}
}

enum { NOP_ECHO_MAX = 64 * 1024, NOP_ECHO_QUEUE_MAX = 1024 * 1024 };

/* A NOP-In answers our keepalive (its ITT), or, with a target tag, asks for a NOP-Out echo
 * (RFC 7143 §11.19). */
static int answer_nop(struct swi_session *s, const struct bhs *h, const uint8_t *data)
{
	if (h->itt != ISCSI_RESERVED_TAG && h->itt == s->nop_itt)
		s->nop_itt = 0;
	if (BHS_TTT(h) == ISCSI_RESERVED_TAG)
		return 0;
	/* the echo carries the ping's data back: no more than the target accepts in one PDU, nor
	 * than a keepalive needs; and a target that pings faster than it reads its answers must not
	 * grow our queue without end */
	uint32_t cap = s->neg.max_xmit_dsl < NOP_ECHO_MAX ? s->neg.max_xmit_dsl : NOP_ECHO_MAX;
	if (h->data_len > cap)
		return session_fail(s, SWI_ERR, "protocol error: a NOP-In ping with %u bytes of data, more than the %u we may echo",
				    h->data_len, cap);
	if (xport_copied(s->x) + h->data_len > NOP_ECHO_QUEUE_MAX)
		return session_fail(s, SWI_ERR, "protocol error: the target sends NOP-In pings faster than it reads their echoes (%zu bytes waiting)",
				    xport_copied(s->x));
	struct bhs out = { .opcode = OP_NOP_OUT, .immediate = true, .flags = BHS_F_FINAL,
			   .itt = ISCSI_RESERVED_TAG, .data_len = h->data_len };
	memcpy(out.lun_or_isid, h->lun_or_isid, 8);
	BHS_TTT(&out) = BHS_TTT(h);
	BHS_CMDSN(&out) = s->cmdsn;
	BHS_EXPSTATSN(&out) = s->expstatsn;
	return session_send(s, &out, data, true);
}

/* An Asynchronous Message (RFC 7143 §11.9.1). On a logout request the initiator must send no
 * new commands and log out: commands in flight may still complete, queued ones never reach
 * the target, and the application's next command fails and tells it why, so that it logs
 * out. Other events need nothing here: without error recovery a dropped connection shows as
 * one, and SCSI events come back as unit attentions on the next command. */
static void on_async(struct swi_session *s, const struct bhs *h)
{
	if (ASYNC_EVENT(h) != ASYNC_LOGOUT_REQUEST)
		return;
	s->logout_requested = true;
	task_fail_queued(s, "the target asked us to log out (Async Message)");
}

static int on_pdu(void *owner, const struct bhs *h, uint8_t *data)
{
	struct swi_session *s = owner;
	if (s->lg.restart)
		return 0; /* the old connection's last words: a new one is about to replace it */
	s->last_rx_ms = session_now_ms();
	s->stats.pdus_rx++;
	s->stats.bytes_rx += h->data_len;
	track_sequence(s, h);
	/* first: the window it may open is not for commands it forbids */
	if (h->opcode == OP_ASYNC && s->rec.armed && recovery_on_async(s, h) < 0)
		return -1;
	if (h->opcode == OP_ASYNC && !s->rec.armed)
		on_async(s, h);
	if (s->tasks.queue_head && task_kick(s) < 0)
		return -1;
	switch (h->opcode) {
	case OP_DATA_IN:
		return task_on_data_in(s, h, data) < 0 ? -1 : 0;
	case OP_SCSI_RSP:
		return task_on_response(s, h, data) < 0 ? -1 : 0;
	case OP_R2T:
		return task_on_r2t(s, h) < 0 ? -1 : 0;
	case OP_TMF_RSP:
		return task_on_tmf_response(s, h) < 0 ? -1 : 0;
	case OP_LOGIN_RSP:
		return login_on_response(s, h, data);
	case OP_TEXT_RSP:
		return text_on_response(s, h, data);
	case OP_LOGOUT_RSP:
		return logout_on_response(s, h);
	case OP_NOP_IN:
		return answer_nop(s, h, data) < 0 ? -1 : 0;
	case OP_REJECT:
		return session_fail(s, SWI_ERR, "the target rejected our %s (reason 0x%02x)",
				    opcode_name(data[0] & 0x3f), h->b2);
	case OP_ASYNC:
		return 0; /* handled above */
	default:
		return session_fail(s, SWI_ERR, "unexpected %s from the target",
				    opcode_name(h->opcode));
	}
}

/* Data-In lands in the reading command's own buffer; everything else in the transport's. */
static uint64_t read_expected(void *owner)
{
	return task_read_expected(owner);
}

void session_drop_transport(struct swi_session *s)
{
	if (!s->x)
		return;
	s->stats.digest_errors += xport_digest_errors(s->x); /* they outlive the connection */
	xport_free(s->x);
	s->x = NULL;
}

static uint8_t *want_data(void *owner, const struct bhs *h)
{
	return h->opcode == OP_DATA_IN ? task_data_in_dest(owner, h) : NULL;
}

int session_open_transport(struct swi_session *s)
{
	session_drop_transport(s);
	s->x = xport_new(s, on_pdu, want_data);
	if (s->x)
		xport_set_expect(s->x, read_expected);
	if (!s->x)
		return session_fail(s, SWI_ERR_NOMEM, "out of memory");
	xport_set_max_recv(s->x, s->want.max_recv_dsl);
	xport_set_batching(s->x, s->batch_sends);
	const struct xport_binding *b = s->bind.ifname[0] || s->bind.source.ss_family ? &s->bind : NULL;
	if (xport_connect(s->x, (struct sockaddr *)&s->addr, s->addrlen, b) < 0)
		return session_fail(s, SWI_ERR_TRANS, "cannot make connection to %s: %s", s->o.portal,
				    xport_error(s->x));
	s->state = SS_CONNECTING;
	if (xport_connected(s->x))
		return login_on_connected(s);
	return 0;
}

static int transport_failed(struct swi_session *s)
{
	int e = xport_errno(s->x);
	int cls = e == ETIMEDOUT ? SWI_ERR_TIMEOUT : SWI_ERR_TRANS;
	if (s->state == SS_CONNECTING)
		return session_fail(s, cls, "cannot make connection to %s: %s", s->o.portal,
				    xport_error(s->x));
	return session_fail(s, cls, "connection to %s: %s", s->o.portal, xport_error(s->x));
}

/* Keepalive: after noop_interval of silence a NOP-Out asks the target to answer; no answer
 * within noop_timeout means the target or the path is gone. */
static int keepalive(struct swi_session *s, long long now)
{
	long long due = keepalive_due(s);
	if (!due || now < due)
		return 0;
	if (s->nop_itt)
		return session_fail(s, SWI_ERR_TRANS,
				    "connection to %s: the target did not answer a NOP-Out within %d ms",
				    s->o.portal, s->o.noop_timeout_ms);
	struct bhs h = { .opcode = OP_NOP_OUT, .immediate = true, .flags = BHS_F_FINAL };
	h.itt = s->nop_itt = session_class_itt(s, ITT_NOP);
	BHS_TTT(&h) = ISCSI_RESERVED_TAG;
	BHS_CMDSN(&h) = s->cmdsn;
	BHS_EXPSTATSN(&h) = s->expstatsn;
	s->nop_sent_ms = now;
	return session_send(s, &h, NULL, false);
}

static int run_timers(struct swi_session *s)
{
	long long now = session_now_ms();
	if (keepalive(s, now) < 0)
		return -1;
	/* held commands are not on the wire: their clocks start again once they are */
	if (s->tasks.inflight && !s->rec.active && (!s->task_check_ms || now >= s->task_check_ms)) {
		s->task_check_ms = task_check_timeouts(s, now);
		if (s->state == SS_FAILED)
			return -1;
	}
	long long retry = s->state == SS_FULL ? task_queue_due(s) : 0;
	if (retry && now >= retry && task_kick(s) < 0)
		return -1;
	return 0;
}

/* The connection's I/O: 0, or -1 once it failed (the session failed or is recovering). */
static int service_transport(struct swi_session *s, short revents)
{
	bool was_connecting = s->state == SS_CONNECTING;
	int rc = xport_service(s->x, revents);
	if (s->lg.restart) {
		/* the transport is replaced only here, never inside its own callback */
		s->lg.restart = false;
		return session_open_transport(s);
	}
	if (rc < 0)
		return s->state == SS_FAILED || s->rec.drop ? -1 : transport_failed(s);
	if (was_connecting && xport_connected(s->x) && s->state == SS_CONNECTING)
		return login_on_connected(s);
	return 0;
}

static void check_deadline(struct swi_session *s)
{
	if (!s->deadline_ms || session_now_ms() < s->deadline_ms)
		return;
	const char *what = s->op == OP_LOGIN    ? "login"
			   : s->op == OP_TEXT   ? "text request"
			   : s->op == OP_LOGOUT ? "logout"
						: "SCSI command";
	session_fail(s, s->state == SS_CONNECTING ? SWI_ERR_TIMEOUT : SWI_ERR_PDU_TIMEOUT,
		     "%s to %s timed out after %d ms", what, s->o.portal, s->o.timeout_ms);
}

int swi_service(struct swi_session *s, short revents)
{
	if (s->state == SS_FAILED)
		return -1;
	if (s->x && !s->rec.drop)
		service_transport(s, revents);
	if (s->state != SS_FAILED)
		run_timers(s);
	if (s->state != SS_FAILED)
		check_deadline(s);
	if (s->state != SS_FAILED && (s->rec.armed || s->rec.active))
		recovery_service(s, session_now_ms());
	return s->state == SS_FAILED ? -1 : 0;
}

/* ---- logout ---- */

int swi_logout_async(struct swi_session *s, swi_done_fn done, void *arg)
{
	if (s->state != SS_FULL || s->op != OP_NONE) {
		snprintf(s->err, sizeof(s->err), "logout: the session is not logged in or is busy");
		s->err_class = SWI_ERR_INVAL;
		return -1;
	}
	s->rec.armed = false; /* the caller ends the session: a failure now is final */
	return session_logout(s, done, arg);
}

int session_logout(struct swi_session *s, swi_done_fn done, void *arg)
{
	session_begin(s, OP_LOGOUT, done, arg);
	s->op_itt = session_new_itt(s);
	struct bhs h = { .opcode = OP_LOGOUT_REQ, .immediate = true, .flags = BHS_F_FINAL | 0,
			 .itt = s->op_itt };
	BHS_CMDSN(&h) = s->cmdsn;
	BHS_EXPSTATSN(&h) = s->expstatsn;
	s->state = SS_LOGOUT;
	return session_send(s, &h, NULL, false);
}

int logout_on_response(struct swi_session *s, const struct bhs *h)
{
	if (s->op != OP_LOGOUT || h->itt != s->op_itt)
		return session_fail(s, SWI_ERR, "unexpected Logout Response");
	if (h->b2 != 0)
		return session_fail(s, SWI_ERR, "logout refused by the target (response %u)", h->b2);
	/* Time2Wait (bytes 40-41): before logging in again, should we */
	s->rec.backoff_ms = (int)(h->w40 >> 16) * 1000;
	if (s->rec.backoff_ms > 5000)
		s->rec.backoff_ms = 5000;
	s->state = SS_CLOSED;
	session_complete(s, 0);
	return 0;
}

int swi_negotiated(const struct swi_session *s, struct swi_negotiated *out)
{
	if (s->state != SS_FULL && s->state != SS_CLOSED && s->state != SS_LOGOUT)
		return -1;
	memset(out, 0, sizeof(*out));
	out->header_digest = s->neg.header_digest;
	out->data_digest = s->neg.data_digest;
	out->max_recv_data_segment_length = s->neg.max_recv_dsl;
	out->max_xmit_data_segment_length = s->neg.max_xmit_dsl;
	out->max_burst_length = s->neg.max_burst;
	out->first_burst_length = s->neg.first_burst;
	out->max_outstanding_r2t = s->neg.max_outstanding_r2t;
	out->initial_r2t = s->neg.initial_r2t;
	out->immediate_data = s->neg.immediate_data;
	out->tsih = s->tsih;
	if (s->lg.chap_alg)
		snprintf(out->chap_alg, sizeof(out->chap_alg), "%s", chap_alg_name(s->lg.chap_alg));
	struct sockaddr_storage local;
	if (s->x && xport_local(s->x, &local) == 0) {
		const void *a = local.ss_family == AF_INET6
					? (const void *)&((struct sockaddr_in6 *)&local)->sin6_addr
					: (const void *)&((struct sockaddr_in *)&local)->sin_addr;
		inet_ntop(local.ss_family, a, out->local_address, sizeof(out->local_address));
	}
	return 0;
}

uint32_t swi_max_burst_length(const struct swi_session *s)
{
	return s->neg.max_burst;
}

int swi_test_login_on_fd(struct swi_session *s, int fd, swi_done_fn done, void *arg)
{
	session_begin(s, OP_LOGIN, done, arg);
	s->op_itt = session_new_itt(s);
	s->x = xport_new(s, on_pdu, want_data);
	if (s->x)
		xport_set_expect(s->x, read_expected);
	if (!s->x)
		return session_fail(s, SWI_ERR_NOMEM, "out of memory");
	xport_set_max_recv(s->x, s->want.max_recv_dsl);
	xport_set_batching(s->x, s->batch_sends);
	xport_adopt(s->x, fd);
	return login_on_connected(s);
}
