/* Where a session meets the LUN filesystem (lunfs.h): its files are attached after login,
 * detached before logout, rescanned on request (-m session -r SID -R). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "exit_codes.h"
#include "session_table.h"

struct luns_wait {
	struct dsession *ds;
	void (*ready)(struct dsession *ds, int status, const char *message);
};

static void attached(void *arg, int status, const char *message)
{
	struct luns_wait *lw = arg;
	struct dsession *ds = lw->ds;
	void (*ready)(struct dsession *, int, const char *) = lw->ready;
	free(lw);
	ds->attaching = false;
	if (status < 0)
		ds->ls = NULL;   /* lunfs freed it: nothing of a failed attach stays */
	else
		session_mpath_join(ds);
	ready(ds, status, message ? message : "");
}

void session_luns_attach(struct dsession *ds,
			 void (*ready)(struct dsession *ds, int status, const char *message))
{
	if (!ds->t->fs) {
		ready(ds, 0, NULL);
		return;
	}
	struct luns_wait *lw = malloc(sizeof(*lw));
	struct lunfs_session_id id = { .iface = ds->node.iface, .address = ds->node.address,
				       .port = ds->node.port, .target = ds->node.target,
				       .instance = ds->index };
	if (!lw) {
		ready(ds, -1, "out of memory");
		return;
	}
	*lw = (struct luns_wait){ .ds = ds, .ready = ready };
	ds->attaching = true;
	if (lunfs_attach_session(ds->t->fs, ds->s, &id, attached, lw, &ds->ls) < 0) {
		free(lw);
		ds->attaching = false;
		ds->ls = NULL;
		ready(ds, -1, "cannot send the commands that find its LUNs");
	}
}

static void detached(void *arg, int status, const char *message)
{
	struct dsession *ds = arg;
	if (status < 0)
		dlog(LOG_WARNING, "session %u: its LUN files went with an error: %s", ds->sid,
		     message ? message : "");
	session_mpath_leave(ds);   /* its commands in flight completed; new ones were refused */
	ds->ls = NULL;
	void (*go_on)(struct dsession *) = ds->after_detach;
	ds->after_detach = NULL;
	go_on(ds);
}

void session_luns_detach(struct dsession *ds, void (*go_on)(struct dsession *ds))
{
	if (!ds->ls) {
		go_on(ds);
		return;
	}
	ds->after_detach = go_on;
	/* -1 only for a second requester with a callback: a session detaches once (its state
	 * leaves DS_READY/DS_FAILED first), and lunfs_stop's own detach has none */
	if (lunfs_detach_session(ds->ls, detached, ds) < 0)
		dlog(LOG_ERR, "session %u: its LUN files are already being detached for another "
			      "request", ds->sid);
}

/* ---- rescan ---- */

struct rescan_wait {
	struct waiter w;   /* first: sessions_forget_waiter clears w.done */
	struct sessions *t;
	uint32_t sid;
	bool in_call, ended;   /* done may run before lunfs_rescan_session returns */
};

static void rescanned(void *arg, int status, const char *message)
{
	struct rescan_wait *rw = arg;
	if (status < 0)
		dlog(LOG_ERR, "session %u: rescan failed: %s", rw->sid, message ? message : "");
	struct dsession *ds = session_table_find_sid(rw->t, rw->sid);
	if (status == 0 && ds && ds->ls) {   /* the LUN list changed: its paths are the new list's */
		session_mpath_leave(ds);
		session_mpath_join(ds);
	}
	if (rw->w.done)
		rw->w.done(rw->w.arg, status < 0 ? EXIT_INTERNAL : 0, rw->sid,
			   status < 0 && message ? message : "");
	if (rw->in_call)
		rw->ended = true;
	else
		free(rw);
}

void *sessions_rescan(struct sessions *t, uint32_t sid, sessions_done_fn done, void *arg)
{
	struct dsession *ds = session_table_find_sid(t, sid);
	if (!ds) {
		done(arg, EXIT_SESS_NOT_FOUND, sid, "session not found");
		return NULL;
	}
	if (ds->state != DS_READY || !ds->ls) {
		done(arg, EXIT_BUSY, sid, ds->state == DS_READY ? "the session has no LUN files"
								 : "the session is not logged in");
		return NULL;
	}
	struct rescan_wait *rw = calloc(1, sizeof(*rw));
	if (!rw) {
		done(arg, EXIT_NOMEM, sid, "out of memory");
		return NULL;
	}
	*rw = (struct rescan_wait){ .w = { .done = done, .arg = arg }, .t = t, .sid = sid };
	dlog(LOG_INFO, "session %u: rescanning its LUNs", sid);
	rw->in_call = true;
	int rc = lunfs_rescan_session(ds->ls, rescanned, rw);
	rw->in_call = false;
	if (rc < 0 || rw->ended) {
		free(rw);
		if (rc < 0)
			done(arg, EXIT_BUSY, sid, "a rescan of this session is already waiting");
		return NULL;
	}
	return rw;
}
