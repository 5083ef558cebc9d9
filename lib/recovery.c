/* ERL 0 session recovery (RFC 7143 §6.3.5, §7.1): when the connection of a logged-in session
 * is lost, its commands are held, a new connection is made through the same binding after
 * DefaultTime2Wait and a bounded back-off, and a login with the same ISID and TSIH 0 reinstates
 * the session (the target ends the old one's tasks before the new one reaches full feature
 * phase); then the held commands are re-issued in their original order. A target's request to
 * log out (Async event 1, or 4 to renegotiate) becomes the same pause, planned: nothing new is
 * sent, the commands in flight finish, and the session logs out and in again. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "session.h"

/* The back-off between failed attempts, and a cap on the first wait whatever Time2Wait the
 * target asks for: an outage is noticed within a few seconds of its end. */
enum { BACKOFF_MIN_MS = 250, BACKOFF_MAX_MS = 4000, FIRST_WAIT_MAX_MS = 5000 };

static void login_done(struct swi_session *s, int status, void *arg);
static void logout_done(struct swi_session *s, int status, void *arg);

bool recovery_wanted(const struct swi_session *s)
{
	return s->rec.armed;
}

void recovery_notify(struct swi_session *s, const char *fmt, ...)
{
	if (!s->rec.cb)
		return;
	char cause[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	s->rec.cb(s, swi_session_state(s), cause, s->rec.cb_arg);
}

static int capped(long long ms, int cap)
{
	return ms < 0 ? 0 : ms > cap ? cap : (int)ms;
}

/* Ends the pending operation without its usual completion: ours (a reconnect's login, a
 * requested logout) is simply over, a caller's (a text request) fails. */
static void drop_operation(struct swi_session *s)
{
	swi_done_fn done = s->done;
	void *arg = s->done_arg;
	s->op = OP_NONE;
	s->done = NULL;
	s->deadline_ms = 0;
	if (done && done != login_done && done != logout_done)
		done(s, -1, arg);
}

/* The connection is gone (r->active from now on): commands held, reconnect at retry_ms. */
static void go_offline(struct swi_session *s, long long now, int wait_ms)
{
	struct recovery *r = &s->rec;
	s->state = SS_RECOVER;
	r->drop = s->x != NULL;
	r->draining = r->logging_out = false;
	r->active = true;
	r->expired = false;
	r->lost_ms = now;
	r->backoff_ms = 0; /* Time2Wait before the first attempt; the back-off after failed ones */
	r->retry_ms = now + wait_ms;
	s->nop_itt = 0;
	s->lg.restart = false;
	task_hold_all(s);
}

void recovery_lost(struct swi_session *s)
{
	struct recovery *r = &s->rec;
	long long now = session_now_ms();
	drop_operation(s);
	if (!r->active) {
		s->stats.losses++;
		go_offline(s, now, capped((long long)s->neg.time2wait * 1000, FIRST_WAIT_MAX_MS));
		recovery_notify(s, "connection lost: %s", s->err);
		return;
	}
	/* a failed attempt: the session stays offline, the next one waits longer */
	s->state = SS_RECOVER;
	r->drop = s->x != NULL;
	long long next = (long long)r->backoff_ms * 2;
	r->backoff_ms = next < BACKOFF_MIN_MS ? BACKOFF_MIN_MS : capped(next, BACKOFF_MAX_MS);
	r->retry_ms = now + r->backoff_ms;
	recovery_notify(s, "reconnect attempt failed: %s", s->err);
}

/* replacement_timeout has passed since the loss: what is held fails, attempts go on. */
static void expire(struct swi_session *s)
{
	char cause[sizeof(s->err)];
	snprintf(cause, sizeof(cause), "%s", s->err);
	s->rec.expired = true;
	s->stats.expiries++;
	snprintf(s->err, sizeof(s->err),
		 "connection to %s lost and not recovered within the replacement timeout (%d ms): %.300s",
		 s->o.portal, s->o.replacement_timeout_ms, cause);
	s->err_class = SWI_ERR_TRANS;
	recovery_notify(s, "%s", s->err);
	task_fail_all(s);
}

/* A reconnect: same ISID, TSIH 0, same binding; redirections start over. */
static void attempt(struct swi_session *s)
{
	struct recovery *r = &s->rec;
	s->stats.attempts++;
	r->retry_ms = 0;
	login_begin(s, login_done, NULL);
	memcpy(&s->addr, &r->portal_addr, sizeof(s->addr));
	s->addrlen = r->portal_len;
	if (session_open_transport(s) == 0)
		recovery_notify(s, "reconnecting to %s (attempt %llu)", s->o.portal,
				(unsigned long long)s->stats.attempts);
}

static void login_done(struct swi_session *s, int status, void *arg)
{
	(void)arg;
	if (status < 0)
		return; /* failures come through recovery_lost */
	struct recovery *r = &s->rec;
	r->active = r->expired = false;
	r->retry_ms = 0;
	s->stats.recoveries++;
	s->logout_requested = false;
	task_rearm_deadlines(s, session_now_ms());
	recovery_notify(s, "session reinstated with %s (TSIH 0x%04x)", s->o.portal, s->tsih);
	task_kick(s);
}

/* The logout the target asked for is done: log in again at once (its Time2Wait aside). */
static void logout_done(struct swi_session *s, int status, void *arg)
{
	(void)arg;
	if (status < 0)
		return;
	go_offline(s, session_now_ms(), s->rec.backoff_ms);
	recovery_notify(s, "logged out as the target asked; logging in again");
}

int recovery_service(struct swi_session *s, long long now)
{
	struct recovery *r = &s->rec;
	for (int round = 0; round < 2; round++) {
		if (r->drop) {
			session_drop_transport(s);
			r->drop = false;
		}
		if (r->active && !r->expired && now >= r->lost_ms + s->o.replacement_timeout_ms)
			expire(s);
		if (!r->active || s->x || now < r->retry_ms)
			break;
		attempt(s); /* a connect refused at once drops the transport again: one more round */
	}
	if (r->draining && !r->logging_out && s->state == SS_FULL && s->op == OP_NONE &&
	    (task_sent_count(s) == 0 || now >= r->logout_by_ms)) {
		r->logging_out = true;
		return session_logout(s, logout_done, NULL);
	}
	return 0;
}

long long recovery_due(const struct swi_session *s)
{
	const struct recovery *r = &s->rec;
	if (r->drop)
		return 1; /* long past: at once */
	long long due = 0;
	if (r->active && !r->expired)
		due = r->lost_ms + s->o.replacement_timeout_ms;
	if (r->active && !s->x && r->retry_ms && (!due || r->retry_ms < due))
		due = r->retry_ms;
	if (r->draining && !r->logging_out && (!due || r->logout_by_ms < due))
		due = r->logout_by_ms;
	return due;
}

enum { ASYNC_DROP_CONNECTION = 2, ASYNC_DROP_SESSION = 3, ASYNC_RENEGOTIATE = 4 };

int recovery_on_async(struct swi_session *s, const struct bhs *h)
{
	uint8_t event = ASYNC_EVENT(h);
	if (event == ASYNC_DROP_CONNECTION || event == ASYNC_DROP_SESSION)
		return session_fail(s, SWI_ERR_TRANS, "connection to %s: the target drops the %s (Async event %u)",
				    s->o.portal, event == ASYNC_DROP_SESSION ? "session" : "connection", event);
	if ((event != ASYNC_LOGOUT_REQUEST && event != ASYNC_RENEGOTIATE) || s->rec.draining)
		return 0;
	/* Parameter3 (bytes 42-43): seconds within which to log out. The commands in flight get
	 * half of it to finish; the logout and its answer have the rest. */
	unsigned limit = h->w40 & 0xffff;
	long long ms = limit ? (long long)limit * 1000 / 2 : s->o.timeout_ms / 2;
	s->rec.draining = true;
	s->rec.logout_by_ms = session_now_ms() + ms;
	s->stats.target_logouts++;
	recovery_notify(s, "the target asked for a %s within %u s (Async event %u)",
			event == ASYNC_RENEGOTIATE ? "renegotiation" : "logout", limit, event);
	return 0;
}

int recovery_accepts(struct swi_session *s)
{
	if (!s->rec.active || !s->rec.expired)
		return 0;
	snprintf(s->err, sizeof(s->err),
		 "SCSI command: the connection to %s is lost and did not come back within the replacement timeout (%d ms)",
		 s->o.portal, s->o.replacement_timeout_ms);
	s->err_class = SWI_ERR_TRANS;
	return -1;
}

int swi_session_drop(struct swi_session *s, const char *why)
{
	/* no connection (failed, closed, or between attempts): nothing to lose again */
	if (s->state == SS_FAILED || s->state == SS_CLOSED || !s->x || s->rec.drop)
		return 0;
	session_fail(s, SWI_ERR_TRANS, "connection to %s: %s", s->o.portal, why);
	return 1;
}

void swi_session_on_state(struct swi_session *s, swi_state_fn fn, void *arg)
{
	s->rec.cb = fn;
	s->rec.cb_arg = arg;
}
