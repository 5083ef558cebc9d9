/* The session table: one session per node record and iface, logged in from everything the
 * record says, driven by the daemon's event loop. SIDs count up from 1 as the kernel numbers
 * iscsiadm's sessions.
 *
 * A session's LUN files (lunfs.h) are made once it reached full feature phase, before its
 * login is reported, and removed before it logs out (session_luns.c). */
#ifndef SWISCSID_SESSIONS_H
#define SWISCSID_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "evloop.h"

struct sessions;

/* How a login or logout ended: status is an exit code (0 success), message a sentence. */
typedef void (*sessions_done_fn)(void *arg, int status, uint32_t sid, const char *message);

struct lunfs;

struct sessions *sessions_new(struct evloop *loop);
/* From now on every session gets its LUN files in fs: the login is reported once they exist,
 * the logout starts once they are gone. */
void sessions_set_lunfs(struct sessions *t, struct lunfs *fs);
/* The configuration the multipath maps take their policies from (kept by the caller). */
struct swiscsid_config;
void sessions_set_config(struct sessions *t, const struct swiscsid_config *cfg);
/* Frees every session without logging out (use sessions_logout_all first). */
void sessions_free(struct sessions *t);

/* Logs node in. done runs exactly once, maybe before this returns; a failed login leaves
 * nothing behind. Returns a handle the caller may cancel with sessions_forget_waiter (the
 * waiter went away; the login goes on). */
void *sessions_login(struct sessions *t, const struct ctl_node *node, sessions_done_fn done,
		     void *arg);
void *sessions_logout(struct sessions *t, uint32_t sid, sessions_done_fn done, void *arg);
void sessions_forget_waiter(void *handle);

/* REPORT LUNS again for session sid: its files follow the target's LUN list. done as above. */
void *sessions_rescan(struct sessions *t, uint32_t sid, sessions_done_fn done, void *arg);

/* Logs every session out; done(arg) when the last one is gone. */
void sessions_logout_all(struct sessions *t, void (*done)(void *arg), void *arg);
/* A shutdown out of time: every session still there ends now, without a logout; its commands
 * fail (EIO to the LUN files' users), so its files can go and the logout_all in progress ends
 * (done(arg) as above). */
void sessions_abort_all(struct sessions *t, const char *why);
/* Logs in every node record with node.startup = automatic. */
void sessions_login_automatic(struct sessions *t);

/* The network device ifindex (name) went down, lost its link or was deleted (why): every
 * logged-in session bound to it drops its connection now, as a lost connection (recovery
 * reconnects; fail-fast multipath commands go to the other paths), instead of waiting for its
 * keepalive. Harmless for sessions with no connection to drop. */
void sessions_link_down(struct sessions *t, unsigned ifindex, const char *name, const char *why);
/* The link table re-read after link events were lost (link_watch.h): every such session whose
 * device is down, without link or missing from it drops its connection as above. Returns how
 * many did. */
struct link_table;
unsigned sessions_link_table(struct sessions *t, const struct link_table *now);

/* swiscsi-multipath: the maps (name "" all) as CTL_MPATH_LIST entries, their count. */
uint32_t sessions_mpath_describe(const struct sessions *t, const char *name, struct ctl_buf *b);
/* -f: the map's loop device detached and gone from the kernel (bounded), then the map dropped;
 * done(arg, 0, 0, "") once both are, else (1, 0, why: no such map, in use, the device that
 * did not go). done as for a login: maybe before this returns (NULL then), else the handle. */
void *sessions_mpath_flush(struct sessions *t, const char *name, sessions_done_fn done,
			   void *arg);

/* Appends one ctl_session (and its devices) per session (sid 0: all) to b. Returns the count;
 * secrets only when asked. */
uint32_t sessions_describe(const struct sessions *t, uint32_t sid, bool secrets,
			   struct ctl_buf *b);

#endif
