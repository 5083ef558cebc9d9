/* The session table (sessions.h): login from a node record through its iface's binding, logout,
 * and the description -m session prints. Every session is a libswiscsi session driven from the
 * loop: a prepare hook sets its wanted events and its next deadline before each wait. A
 * session is freed only from its reap timer, never inside one of libswiscsi's callbacks. */
#include "sessions.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <swiscsi/swiscsi.h>

#include "dlog.h"
#include "exit_codes.h"
#include "iface_conn.h"
#include "link_table.h"
#include "node_db.h"
#include "session_opts.h"
#include "session_table.h"

static void reap(struct ev_timer *tm, void *arg);
static void on_timer(struct ev_timer *tm, void *arg);

static struct dsession *session_alloc(struct sessions *t, const struct ctl_node *node)
{
	struct dsession *ds = calloc(1, sizeof(*ds));
	if (!ds)
		return NULL;
	ds->t = t;
	ds->node = *node;
	ds->state = DS_LOGIN;
	ev_timer_init(&ds->timer, on_timer, ds);
	ev_timer_init(&ds->reap, reap, ds);
	return ds;
}

static void finish(struct dsession *ds, int status, const char *message)
{
	struct waiter *w = ds->w;
	ds->w = NULL;
	if (!w)
		return;
	if (ds->end_status) {
		status = ds->end_status;
		message = ds->end_message;
	}
	if (w->done)
		w->done(w->arg, status, ds->sid, message ? message : "");
	free(w);
}

static struct waiter *wait_on(struct dsession *ds, sessions_done_fn done, void *arg)
{
	struct waiter *w = calloc(1, sizeof(*w));
	if (w) {
		w->done = done;
		w->arg = arg;
		ds->w = w;
	}
	return w;
}

void sessions_forget_waiter(void *handle)
{
	if (handle)
		((struct waiter *)handle)->done = NULL;
}

static void reap(struct ev_timer *tm, void *arg)
{
	(void)tm;
	struct dsession *ds = arg;
	finish(ds, EXIT_INTERNAL, "session ended before its request completed");
	session_table_unlink(ds);
	struct sessions *t = ds->t;
	session_free(ds);
	sessions_check_drained(t);
}

/* The session is done for: stop driving it and free it on the next round. */
void session_kill(struct dsession *ds)
{
	ds->state = DS_DEAD;
	if (ds->io) {
		ev_io_del(ds->io);
		ds->io = NULL;
	}
	ev_timer_stop(ds->t->loop, &ds->timer);
	ev_timer_start(ds->t->loop, &ds->reap, 0);
}

static void broke(struct dsession *ds)
{
	if (ds->state != DS_READY)
		return;   /* a login or logout in progress learns it from its callback */
	dlog(LOG_ERR, "session %u (%s, %s,%d, iface %s) failed: %s", ds->sid, ds->node.target,
	     ds->node.address, ds->node.port, ds->node.iface, swi_error(ds->s));
	ds->state = DS_FAILED;
	session_mpath_state(ds, SWI_STATE_FAILED);   /* its paths are out at once */
	if (ds->io) {
		ev_io_del(ds->io);
		ds->io = NULL;
	}
	ev_timer_stop(ds->t->loop, &ds->timer);
}

static void on_io(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)w;
	struct dsession *ds = arg;
	if (ds->state != DS_DEAD && swi_service(ds->s, (short)revents) < 0)
		broke(ds);
}

static void on_timer(struct ev_timer *tm, void *arg)
{
	(void)tm;
	struct dsession *ds = arg;
	if (ds->state != DS_DEAD && swi_service(ds->s, 0) < 0)
		broke(ds);
}

/* Before every wait: the descriptor (a login connects, a redirect reconnects), the events
 * libswiscsi wants now and its next deadline. */
static void prepare(struct ev_prepare *p, void *arg)
{
	(void)p;
	struct dsession *ds = arg;
	if (ds->state == DS_DEAD || ds->state == DS_FAILED)
		return;
	/* the commands this loop turn queued after its first (FUSE requests read in a batch,
	 * re-issues, ...) go out in one send; a failed write is handled by swi_service from the timer, at once, in
	 * the callbacks' phase where a failure's consequences (other sessions' re-issues) belong */
	bool flush_failed = swi_flush(ds->s) < 0;
	int fd = swi_fd(ds->s);
	uint32_t ev = (uint32_t)swi_events(ds->s);
	if (ds->io && ds->new_conn) {
		/* a reconnect may reuse the old descriptor's number: watch it afresh */
		ev_io_del(ds->io);
		ds->io = NULL;
	}
	ds->new_conn = false;
	if (fd < 0) {
		if (ds->io) {
			ev_io_del(ds->io);
			ds->io = NULL;
		}
	} else if (!ds->io) {
		ds->io = ev_io_add(ds->t->loop, fd, ev, on_io, ds);
		if (!ds->io)
			dlog(LOG_ERR, "session %u: cannot watch its socket: %s", ds->sid,
			     strerror(errno));
	} else if (ev_io_fd(ds->io) != fd) {
		ev_io_set_fd(ds->io, fd, ev);
	} else {
		ev_io_set(ds->io, ev);
	}
	ev_timer_start(ds->t->loop, &ds->timer, flush_failed ? 0 : swi_timeout_ms(ds->s));
}

static void *logout_one(struct dsession *ds, sessions_done_fn done, void *arg);

/* The session's LUN files exist (or could not be made): now the login is reported. A login
 * whose files cannot be made fails, and its session logs out again before the failure is
 * reported: the caller asked for a disk, and a session without it would only be something
 * half-made to clean up. */
static void luns_ready(struct dsession *ds, int status, const char *message)
{
	ds->state = DS_READY;
	if (status < 0) {
		dlog(LOG_ERR, "session %u: the LUNs of %s could not be attached: %s; logging out",
		     ds->sid, ds->node.target, message);
		ds->end_status = EXIT_LOGIN;
		snprintf(ds->end_message, sizeof(ds->end_message), "%s", message);
	} else if (ds->t->leaving) {
		ds->end_status = EXIT_INTERNAL;
		snprintf(ds->end_message, sizeof(ds->end_message), "swiscsid is shutting down");
	} else {
		dlog(LOG_INFO, "session %u logged in to %s at %s,%d through iface %s (%s, %s)",
		     ds->sid, ds->node.target, ds->node.address, ds->node.port, ds->node.iface,
		     ds->local_addr, ds->netdev);
		finish(ds, 0, NULL);
		return;
	}
	logout_one(ds, NULL, NULL);
}

/* ---- recovery ---- */

/* Each step of an ERL 0 recovery (loss, attempt, reinstatement, expiry, a logout the target
 * asked for), logged with its cause; every step may have changed the connection. */
static void session_recovery_step(struct swi_session *s, enum swi_state st, const char *cause,
				  void *arg)
{
	(void)s;
	struct dsession *ds = arg;
	ds->new_conn = true;
	/* the reconnect bound to the device by name: one deleted and made anew under it has
	 * another ifindex, which the link watch must follow (else it would miss the new one going
	 * down, and a re-read of the link table would find the old one gone, again and again) */
	unsigned ifindex;
	if (st == SWI_STATE_LOGGED_IN && ds->have_conn && ds->conn.binding.how != BIND_NONE &&
	    (ifindex = if_nametoindex(ds->conn.binding.dev)))
		ds->conn.binding.ifindex = ifindex;
	session_mpath_state(ds, st);   /* a path is down while its session recovers */
	dlog(st == SWI_STATE_LOGGED_IN ? LOG_INFO : LOG_WARNING,
	     "session %u (%s, %s,%d, iface %s) %s/%s: %s", ds->sid, ds->node.target,
	     ds->node.address, ds->node.port, ds->node.iface, swi_state_session_name(st),
	     swi_state_conn_name(st), cause);
}

/* ---- the bound device went down ---- */

/* Whether ds is a logged-in session bound to a device, one whose connection a link can drop
 * (an unbound one's route may move to another device). */
static bool link_bound(const struct dsession *ds)
{
	return ds->state == DS_READY && ds->have_conn && ds->conn.binding.how != BIND_NONE;
}

/* Drops ds's connection for its device's reason (cause: "network device X why"): whether it
 * had one to drop. */
static bool drop_for_link(struct dsession *ds, const char *name, const char *why)
{
	char cause[96];
	snprintf(cause, sizeof(cause), "network device %s %s", name[0] ? name : ds->netdev, why);
	if (swi_session_drop(ds->s, cause) == 0)
		return false;   /* recovering already, between attempts */
	dlog(LOG_WARNING, "%s: session %u's connection dropped", cause, ds->sid);
	if (swi_session_state(ds->s) == SWI_STATE_FAILED)
		broke(ds);   /* recovery off: failed for good, as on a socket error */
	return true;
}

void sessions_link_down(struct sessions *t, unsigned ifindex, const char *name, const char *why)
{
	for (struct dsession *ds = t->head; ds; ds = ds->next)
		if (link_bound(ds) && ds->conn.binding.ifindex == ifindex)
			drop_for_link(ds, name, why);
}

unsigned sessions_link_table(struct sessions *t, const struct link_table *now)
{
	unsigned dropped = 0;
	for (struct dsession *ds = t->head; ds; ds = ds->next) {
		if (!link_bound(ds))
			continue;
		const struct link_state *dev = link_table_find(now, ds->conn.binding.ifindex);
		/* a table that changed while it was dumped may miss a device that is there */
		if (!dev && now->interrupted)
			continue;
		const char *why = dev ? link_flags_why(dev->flags, false) : "is gone";
		if (why && drop_for_link(ds, "", why))
			dropped++;
	}
	return dropped;
}

/* ---- login ---- */

static void login_done(struct swi_session *s, int status, void *arg)
{
	struct dsession *ds = arg;
	if (ds->state == DS_DEAD)
		return;   /* freeing the session ended the login: nothing is left to tell */
	ds->op_done = true;
	if (status < 0) {
		int cls = swi_error_class(s);
		/* iscsid reports an expired login timer as a transport timeout, whichever PDU
		 * was outstanding */
		if (cls == SWI_ERR_PDU_TIMEOUT)
			cls = EXIT_TRANS_TIMEOUT;
		dlog(LOG_ERR, "login to %s at %s,%d through iface %s failed: %s", ds->node.target,
		     ds->node.address, ds->node.port, ds->node.iface, swi_error(s));
		finish(ds, cls > 0 ? cls : EXIT_LOGIN, swi_error(s));
		session_kill(ds);
		return;
	}
	struct swi_negotiated neg;
	if (swi_negotiated(s, &neg) == 0) {
		ds->neg = neg;
		snprintf(ds->local_addr, sizeof(ds->local_addr), "%s", neg.local_address);
	}
	session_note_device(ds);
	session_luns_attach(ds, luns_ready);   /* still DS_LOGIN: not listed, not logged out */
}

/* A record has node.session.nr_sessions sessions at most (1 by default); each new one takes
 * the lowest index its live ones leave free, so its ISID is the one that index always had. */
static int choose_index(struct dsession *ds, char *err, size_t errlen)
{
	long nr = strtol(record_get(&ds->rec, "node.session.nr_sessions"), NULL, 10);
	nr = nr < 1 ? 1 : nr > 64 ? 64 : nr;
	uint64_t used;
	unsigned have = session_table_count_node(ds->t, &ds->node, &used);
	if (have >= (unsigned)nr) {
		snprintf(err, errlen, "%s: %ld session%s requested, but %u already present.",
			 ds->node.iface, nr, nr == 1 ? "" : "s", have);
		return EXIT_SESS_EXISTS;
	}
	while (used & (1ull << ds->index))
		ds->index++;
	return 0;
}

/* The record of node, its iface section resolved and the session created (not yet started).
 * Returns an exit code with the sentence in err. */
static int session_setup(struct dsession *ds, char *err, size_t errlen)
{
	struct node_ref ref = { .target = ds->node.target, .address = ds->node.address,
				.port = ds->node.port, .tpgt = ds->node.tpgt,
				.iface = ds->node.iface };
	if (node_load(&ref, &ds->rec, NULL, NULL, err, errlen) < 0)
		return errno == ENOENT ? EXIT_NO_OBJS_FOUND : EXIT_IDBM;
	ds->have_rec = true;
	int rc = choose_index(ds, err, errlen);
	if (rc)
		return rc;
	struct iface_conn_spec spec;
	session_iface_spec(&ds->rec, &spec);
	rc = session_prepare_conn(ds, &spec, err, errlen);
	if (rc)
		return rc;
	char portal[128];
	portal_format(ds->node.address, ds->node.port, 0, false, portal, sizeof(portal));
	struct swi_options o;
	session_opts_from_record(&ds->rec, &ds->conn, portal, &o);
	const char *why = NULL;
	ds->s = swi_session_new(&o, &why);
	if (!ds->s) {
		snprintf(err, errlen, "%s", why ? why : "out of memory");
		return why ? EXIT_INVAL : EXIT_NOMEM;
	}
	uint8_t isid[6];
	session_isid(ds->node.target, ds->node.address, ds->node.port, ds->node.tpgt,
		     ds->node.iface, ds->index, isid);
	swi_session_set_isid(ds->s, isid);
	swi_session_on_state(ds->s, session_recovery_step, ds);
	swi_set_batching(ds->s, true);   /* the prepare hook flushes before every wait */
	return 0;
}

void *sessions_login(struct sessions *t, const struct ctl_node *node, sessions_done_fn done,
		     void *arg)
{
	struct dsession *ds = session_alloc(t, node);
	struct waiter *w = ds ? wait_on(ds, done, arg) : NULL;
	if (!w) {
		session_free(ds);
		done(arg, EXIT_NOMEM, 0, "out of memory");
		return NULL;
	}
	char err[512];
	int rc = session_setup(ds, err, sizeof(err));
	if (rc) {
		dlog(rc == EXIT_SESS_EXISTS ? LOG_INFO : LOG_ERR,
		     "login to %s at %s,%d through iface %s refused: %s", node->target,
		     node->address, node->port, node->iface, err);
		ds->w = NULL;
		free(w);
		session_free(ds);
		done(arg, rc, 0, err);
		return NULL;
	}
	session_table_link(t, ds);
	ev_prepare_add(t->loop, &ds->prep, prepare, ds);
	ds->prep_added = true;
	if (swi_login_async(ds->s, login_done, ds) < 0 && !ds->op_done) {
		finish(ds, EXIT_INTERNAL, swi_error(ds->s));
		session_kill(ds);
		return NULL;
	}
	return ds->w;   /* NULL when the login already ended */
}

/* ---- logout ---- */

static void logout_done(struct swi_session *s, int status, void *arg)
{
	struct dsession *ds = arg;
	if (ds->state == DS_DEAD)
		return;
	ds->op_done = true;
	if (status < 0)   /* the session is gone either way: report it, drop it */
		dlog(LOG_WARNING, "session %u: logout failed (%s); connection closed", ds->sid,
		     swi_error(s));
	else
		dlog(LOG_INFO, "session %u logged out", ds->sid);
	finish(ds, 0, NULL);
	session_kill(ds);
}

static void close_now(struct dsession *ds, const char *why)
{
	dlog(LOG_INFO, "session %u closed without logout (%s)", ds->sid, why);
	finish(ds, 0, NULL);
	session_kill(ds);
}

static void logout_now(struct dsession *ds)
{
	ds->op_done = false;
	if (swi_logout_async(ds->s, logout_done, ds) < 0 && !ds->op_done)
		close_now(ds, swi_error(ds->s));
}

/* a failed connection has nobody to say goodbye to */
static void close_failed(struct dsession *ds)
{
	close_now(ds, "it had failed");
}

static void *logout_one(struct dsession *ds, sessions_done_fn done, void *arg)
{
	if (ds->state != DS_READY && ds->state != DS_FAILED) {
		if (done)
			done(arg, EXIT_BUSY, ds->sid, "the session is logging in or out");
		return NULL;
	}
	if (done && !wait_on(ds, done, arg)) {
		done(arg, EXIT_NOMEM, ds->sid, "out of memory");
		return NULL;
	}
	enum ds_state was = ds->state;
	ds->state = DS_LOGOUT;
	session_luns_detach(ds, was == DS_FAILED ? close_failed : logout_now);
	/* NULL when the logout already ended (its waiter is gone); ds lives until its reap */
	return ds->w;
}

void *sessions_logout(struct sessions *t, uint32_t sid, sessions_done_fn done, void *arg)
{
	struct dsession *ds = session_table_find_sid(t, sid);
	if (!ds) {
		done(arg, EXIT_SESS_NOT_FOUND, sid, "session not found");
		return NULL;
	}
	return logout_one(ds, done, arg);
}

void sessions_logout_all(struct sessions *t, void (*done)(void *arg), void *arg)
{
	t->drained = done;
	t->drained_arg = arg;
	t->leaving = true;
	for (struct dsession *ds = t->head; ds; ds = ds->next)
		if (ds->state == DS_READY || ds->state == DS_FAILED)
			logout_one(ds, NULL, NULL);
		else if (ds->state == DS_LOGIN && !ds->attaching)
			session_kill(ds);   /* a login in progress is abandoned */
	/* one making its LUN files logs out when they are made (luns_ready): the files are
	 * lunfs's to take down */
	sessions_check_drained(t);
}

void sessions_abort_all(struct sessions *t, const char *why)
{
	for (struct dsession *ds = t->head; ds; ds = ds->next) {
		if (ds->state == DS_DEAD || !ds->s)
			continue;
		dlog(LOG_WARNING, "session %u (%s, %s,%d): aborting: %s", ds->sid, ds->node.target,
		     ds->node.address, ds->node.port, why);
		/* what it was waiting for (a logout's answer, a detach's I/O, a login) completes
		 * with an error and takes its usual way out from there */
		swi_session_abort(ds->s, why);
	}
}
