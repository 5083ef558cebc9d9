/* The session table: one session per node record and iface, logged in from everything the
 * record says, driven by the daemon's event loop. SIDs count up from 1 as the kernel numbers
 * iscsiadm's sessions.
 *
 * The two places the LUN side hooks into are session_ready (the session reached full feature
 * phase) and session_leaving (the session is about to log out); see sessions.c. */
#ifndef SWISCSID_SESSIONS_H
#define SWISCSID_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "evloop.h"

struct sessions;

/* How a login or logout ended: status is an exit code (0 success), message a sentence. */
typedef void (*sessions_done_fn)(void *arg, int status, uint32_t sid, const char *message);

struct sessions *sessions_new(struct evloop *loop);
/* Frees every session without logging out (use sessions_logout_all first). */
void sessions_free(struct sessions *t);

/* Logs node in. done runs exactly once, maybe before this returns; a failed login leaves
 * nothing behind. Returns a handle the caller may cancel with sessions_forget_waiter (the
 * waiter went away; the login goes on). */
void *sessions_login(struct sessions *t, const struct ctl_node *node, sessions_done_fn done,
		     void *arg);
void *sessions_logout(struct sessions *t, uint32_t sid, sessions_done_fn done, void *arg);
void sessions_forget_waiter(void *handle);

/* Logs every session out; done(arg) when the last one is gone. */
void sessions_logout_all(struct sessions *t, void (*done)(void *arg), void *arg);
/* Logs in every node record with node.startup = automatic. */
void sessions_login_automatic(struct sessions *t);

/* Appends one ctl_session (and its devices) per session (sid 0: all) to b. Returns the count;
 * secrets only when asked. */
uint32_t sessions_describe(const struct sessions *t, uint32_t sid, bool secrets,
			   struct ctl_buf *b);

#endif
