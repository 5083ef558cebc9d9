/* Logging in and out, and showing sessions: the CLI side of swiscsid's sessions.
 * node_login.c (-m node -l, -L), session_logout.c (-u, -U, -m session -r SID -u),
 * mode_session.c (-m session), session_print.c (its formats). */
#ifndef SWISCSI_SESSION_OPS_H
#define SWISCSI_SESSION_OPS_H

#include <stdbool.h>

#include "ctl_client.h"
#include "node_select.h"
#include "options.h"

/* -m node with -l, -u, -L or -U: returns an exit code. */
int node_session_ops(const struct cli_opts *o, const struct node_selector *sel);
int mode_session(const struct cli_opts *o);

int node_login(const struct cli_opts *o, const struct node_selector *sel);
int node_loginall(const struct cli_opts *o, const char *which);
int node_logout(const struct node_selector *sel);
int node_logoutall(const char *which);
/* -m session -r SID -u */
int session_logout_sid(unsigned sid);
/* -m session [-r SID] -R (sid 0: every session) */
int session_rescan(unsigned sid);
/* One session's rescan, its "Rescanning session [...]" line first; an exit code. */
int session_rescan_one(const struct ctl_session *s);
/* -m node -R (stats false) or -s (true) on the sessions of the records sel picks
 * (node_sessions.c): 21 with "No session found." when none matches. */
int node_sessions_rescan_or_stats(const struct node_selector *sel, bool stats);
/* Whether the session is one of the records sel selects (-T, -p, -I; every one without them). */
bool session_selected(const struct node_selector *sel, const struct ctl_session *s);

/* The daemon's sessions (sid 0: all). Exit code: 0 with call filled (maybe no session), 20
 * when no daemon runs (nothing printed), another code after its message. */
int sessions_fetch(unsigned sid, bool secrets, struct ctl_call *call);
/* The same, but no session (or no daemon) is iscsiadm's error: none (21; iscsiadm says
 * "No active sessions." when listing, "No session found." for -R and -s), or "Could not get
 * session info for sid N" (22) when sid was given. 0: at least one session. */
int sessions_fetch_some(unsigned sid, bool secrets, const char *none, struct ctl_call *call);

/* Formats (session_print.c). */
/* The two version lines that open -m session -P 3 and -m host -P 4. */
void session_print_versions(void);
void session_print_flat(const struct ctl_reply *r);
void session_print_tree(const struct ctl_reply *r, int level, bool secrets);
void session_print_stats(const struct ctl_reply *r);
void session_print_stats_one(const struct ctl_session *s);

#endif
