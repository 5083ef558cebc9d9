/* The daemon's sessions, shared by sessions.c (login, logout), session_table.c (allocation,
 * lookup, the connection's device) and session_describe.c (what -m session shows). */
#ifndef SWISCSID_SESSION_TABLE_H
#define SWISCSID_SESSION_TABLE_H

#include <net/if.h>
#include <stdbool.h>
#include <swiscsi/swiscsi.h>

#include "ctl_proto.h"
#include "evloop.h"
#include "iface_conn.h"
#include "config.h"
#include "lunfs.h"
#include "mpath_maps.h"
#include "record.h"
#include "sessions.h"

enum ds_state {
	DS_LOGIN,    /* connecting and logging in */
	DS_READY,    /* full feature phase, or recovering it (the library holds the commands) */
	DS_FAILED,   /* failed for good (recovery off): kept until logged out */
	DS_LOGOUT,   /* logging out */
	DS_DEAD,     /* waiting for its reap timer */
};

/* Who waits for a login's or logout's outcome; done is NULL once the waiter went away. */
struct waiter {
	sessions_done_fn done;
	void *arg;
};

struct dsession {
	struct sessions *t;
	struct dsession *next;
	uint32_t sid;
	unsigned index;          /* which of the record's node.session.nr_sessions sessions */
	enum ds_state state;
	struct ctl_node node;
	struct record rec;
	bool have_rec;
	struct iface_conn conn;
	bool have_conn;
	struct swi_session *s;
	struct ev_io *io;
	bool new_conn;           /* a recovery step ran: the descriptor may be a new one */
	struct ev_timer timer;   /* libswiscsi's next deadline */
	struct ev_timer reap;    /* frees the session outside libswiscsi's callbacks */
	struct ev_prepare prep;
	bool prep_added;
	struct waiter *w;
	bool op_done;            /* the pending login/logout callback ran */
	struct swi_negotiated neg;
	char local_addr[64];
	char netdev[IF_NAMESIZE];
	char hwaddr[32];
	struct lunfs_session *ls;   /* its LUN files, from attach until detach's end */
	bool attaching;             /* logged in, its LUN files being made (still DS_LOGIN) */
	void (*luns_ready)(struct dsession *ds, int status, const char *message);
	void (*after_detach)(struct dsession *ds);
	int end_status;             /* a login failed after login: its waiter hears this once */
	char end_message[300];      /* the session has logged out again */
};

struct sessions {
	struct evloop *loop;
	struct dsession *head;   /* in SID order */
	uint32_t next_sid;
	void (*drained)(void *arg);   /* sessions_logout_all's callback, once none is left */
	void *drained_arg;
	struct lunfs *fs;        /* the LUN filesystem; NULL: sessions without files */
	struct mpath_maps maps;  /* the sessions' LUNs by identity (session_mpath.c) */
	struct ev_timer mpath_kick;   /* every second: the path checker's rounds, failback N */
	struct mpath_checker *checker;   /* TEST UNIT READY on the maps' paths (mpath_checker.h) */
	const struct swiscsid_config *cfg;   /* the multipath policies; NULL: the defaults */
	bool leaving;            /* sessions_logout_all ran: a login that completes logs out */
};

void session_free(struct dsession *ds);
void session_table_link(struct sessions *t, struct dsession *ds);
void session_table_unlink(struct dsession *ds);
struct dsession *session_table_find_sid(const struct sessions *t, uint32_t sid);
/* How many live sessions the record (target, portal, iface) has; *used gets the bit of each
 * one's index (its ISID qualifier). */
unsigned session_table_count_node(const struct sessions *t, const struct ctl_node *n,
				  uint64_t *used);
void sessions_check_drained(struct sessions *t);

/* A session's LUNs join their multipath maps once its files are made (again after a rescan),
 * and leave them before the files go. */
void session_mpath_join(struct dsession *ds);
void session_mpath_leave(struct dsession *ds);
/* After a rescan: paths whose LUN is still there (same LUN file, same identity) stay, so their
 * maps and open by-id files are untouched; the others leave, new LUNs join. */
void session_mpath_rescanned(struct dsession *ds);
/* After join: then(ds) once the by-id loop devices of the session's maps are attached (or
 * could not be), so a login returns with its disks there. */
void session_mpath_loops_ready(struct dsession *ds, void (*then)(struct dsession *ds));
/* Before the session's files go: the by-id loop devices of the maps whose every path is the
 * session's are detached (their last I/O still has the paths), then then(ds). */
void session_mpath_release(struct dsession *ds, void (*then)(struct dsession *ds));
/* The maps' dispatchers, by-id files and timer: from sessions_new to sessions_free. */
void sessions_mpath_start(struct sessions *t);
void sessions_mpath_stop(struct sessions *t);
/* The session's state as its paths' state: the one place a session's failure or recovery
 * reaches multipath. Out at once; back once the path checker's TUR on it succeeds. */
void session_mpath_state(struct dsession *ds, enum swi_state st);
/* The map and path state of the session's LUN in a ctl_device ("" when it has no map). */
void session_mpath_device(const struct dsession *ds, struct ctl_device *c);

/* Resolves the iface section (iface_conn_prepare) into ds->conn: an exit code, err set. */
int session_prepare_conn(struct dsession *ds, const struct iface_conn_spec *spec, char *err,
			 size_t errlen);
/* After login: which device and MAC the connection really uses. */
void session_note_device(struct dsession *ds);

/* The LUN side (session_luns.c). Attach: ds's LUN files, then ready(ds, 0 or -1, message).
 * Detach: its files go, then go_on(ds) (at once when it has none). */
void session_luns_attach(struct dsession *ds,
			 void (*ready)(struct dsession *ds, int status, const char *message));
void session_luns_detach(struct dsession *ds, void (*go_on)(struct dsession *ds));

/* Stops driving ds and frees it from its reap timer on the next round. */
void session_kill(struct dsession *ds);

#endif
