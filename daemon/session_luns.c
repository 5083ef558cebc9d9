/* Where a session meets the LUN filesystem (lunfs.h): its files are attached after login,
 * detached before logout, rescanned on request (-m session -r SID -R). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "exit_codes.h"
#include "session_table.h"

struct luns_wait {
	struct dsession *ds;
	void (*ready)(struct dsession *ds, int status, const char *message);
};

/* The maps' by-id loop devices are there too: the login is done. */
static void disks_ready(struct dsession *ds)
{
	void (*ready)(struct dsession *, int, const char *) = ds->luns_ready;
	ds->luns_ready = NULL;
	ds->attaching = false;
	ready(ds, 0, "");
}

static void attached(void *arg, int status, const char *message)
{
	struct luns_wait *lw = arg;
	struct dsession *ds = lw->ds;
	void (*ready)(struct dsession *, int, const char *) = lw->ready;
	free(lw);
	if (status < 0) {
		ds->attaching = false;
		ds->ls = NULL;   /* lunfs freed it: nothing of a failed attach stays */
		ready(ds, status, message ? message : "");
		return;
	}
	session_mpath_join(ds);
	ds->luns_ready = ready;
	session_mpath_loops_ready(ds, disks_ready);
}

/* Any rescan, -R or the target's REPORTED LUNS DATA HAS CHANGED: the paths follow the files.
 * ds outlives its lunfs session, whose detach ends before ds is freed. */
static void rescan_ended(void *arg)
{
	session_mpath_rescanned(arg);
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
		return;
	}
	lunfs_session_on_rescan(ds->ls, rescan_ended, ds);
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

static void detach_files(struct dsession *ds)
{
	/* -1 only for a second requester with a callback: a session detaches once (its state
	 * leaves DS_READY/DS_FAILED first), and lunfs_stop's own detach has none */
	if (lunfs_detach_session(ds->ls, detached, ds) < 0)
		dlog(LOG_ERR, "session %u: its LUN files are already being detached for another "
			      "request", ds->sid);
}

void session_luns_detach(struct dsession *ds, void (*go_on)(struct dsession *ds))
{
	if (!ds->ls) {
		go_on(ds);
		return;
	}
	ds->after_detach = go_on;
	session_mpath_release(ds, detach_files);
}

/* ---- rescan ---- */

struct rescan_wait {
	struct waiter w;   /* first: sessions_forget_waiter clears w.done */
	struct sessions *t;
	uint32_t sid;
	bool in_call, ended;   /* done may run before lunfs_rescan_session returns */
	int status;
	char message[300];
};

static void rescan_reply(void *arg)
{
	struct rescan_wait *rw = arg;
	if (rw->w.done)
		rw->w.done(rw->w.arg, rw->status < 0 ? EXIT_INTERNAL : 0, rw->sid, rw->message);
	if (rw->in_call)
		rw->ended = true;
	else
		free(rw);
}

static void rescanned(void *arg, int status, const char *message)
{
	struct rescan_wait *rw = arg;
	if (status < 0)
		dlog(LOG_ERR, "session %u: rescan failed: %s", rw->sid, message ? message : "");
	rw->status = status;
	snprintf(rw->message, sizeof(rw->message), "%s", status < 0 && message ? message : "");
	/* the paths already follow the new list (rescan_ended); the reply waits for the loop
	 * devices of maps that came or went */
	if (rw->t->fs)
		lunfs_byid_idle(rw->t->fs, rescan_reply, rw);
	else
		rescan_reply(rw);
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
