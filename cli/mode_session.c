/* `swiscsiadm -m session`: the daemon's sessions listed (-P 0..3, -S), one chosen by -r, its
 * logout (-r SID -u) and statistics (-s). Sessions live in swiscsid; without it there are
 * none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "msg.h"
#include "session_ops.h"

/* "N", or a sysfs path ending in sessionN as iscsiadm takes it. 0 when it is neither. */
static unsigned parse_sid(const char *arg)
{
	const char *p = strrchr(arg, '/');
	p = p ? p + 1 : arg;
	if (strncmp(p, "session", 7) == 0)
		p += 7;
	char *end;
	unsigned long v = strtoul(p, &end, 10);
	return *p && !*end && v > 0 && v <= 0xffffffffu ? (unsigned)v : 0;
}

/* iscsiadm lists sessions in the order of their sysfs directory names, compared as strings */
static int by_dir_name(const void *a, const void *b)
{
	const struct ctl_session *x = *(const struct ctl_session *const *)a;
	const struct ctl_session *y = *(const struct ctl_session *const *)b;
	char nx[32], ny[32];
	snprintf(nx, sizeof(nx), "session%u", x->sid);
	snprintf(ny, sizeof(ny), "session%u", y->sid);
	return strcmp(nx, ny);
}

static void sort_sessions(struct ctl_reply *r)
{
	/* the devices index follows each session: sort (session, first device) pairs */
	struct pair { const struct ctl_session *s; size_t first; } *v = calloc(r->nsessions + 1,
									   sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < r->nsessions; i++)
		v[i] = (struct pair){ r->sessions[i], r->first_device[i] };
	qsort(v, r->nsessions, sizeof(*v), by_dir_name);
	for (size_t i = 0; i < r->nsessions; i++) {
		r->sessions[i] = v[i].s;
		r->first_device[i] = v[i].first;
	}
	free(v);
}

static int show(const struct cli_opts *o, unsigned sid)
{
	struct ctl_call call;
	/* -s has iscsiadm's words of the rescan for "none" */
	int rc = sessions_fetch_some(sid, o->show_secrets, o->seen['s'] ? "No session found."
									 : "No active sessions.", &call);
	if (rc != EXIT_OK)
		return rc;
	sort_sessions(&call.r);
	if (o->seen['s'])
		session_print_stats(&call.r);
	else if (o->print_level <= 0)
		session_print_flat(&call.r);
	else
		session_print_tree(&call.r, o->print_level, o->show_secrets);
	ctl_call_free(&call);
	return EXIT_OK;
}

int mode_session(const struct cli_opts *o)
{
	if (!options_only(o, "session", "PiRdrmusonSvW"))
		return EXIT_INVAL;
	unsigned sid = 0;
	if (o->seen['r'] && !(sid = parse_sid(o->sid))) {
		msg_error("%s is an invalid session ID or path", o->sid);   /* iscsiadm's 1 */
		return EXIT_ERR;
	}
	/* the rescan and the statistics go before the logout, and all three before the print
	 * level's check (iscsiadm's order: what it says when there is no session shows it) */
	if (o->seen['R'])
		return session_rescan(sid);
	if (o->seen['s'])
		return show(o, sid);
	if (o->seen['u']) {
		if (sid)
			return session_logout_sid(sid);
		struct node_selector every = { 0 };   /* -u alone: every session, as in iscsiadm */
		return node_logout(&every);
	}
	if (o->print_level > 3) {
		/* iscsiadm looks for the sessions first: none is still "No active sessions." */
		struct ctl_call call;
		int rc = sessions_fetch_some(sid, false, "No active sessions.", &call);
		if (rc != EXIT_OK)
			return rc;
		ctl_call_free(&call);
		msg_error("Invalid info level %d. Try 0 - 3.", o->print_level);
		return EXIT_INVAL;
	}
	if (o->nops) {
		msg_error("session mode: -o is not supported by swiscsiadm %s yet", SWISCSI_VERSION);
		return EXIT_OP_NOT_SUPP;
	}
	return show(o, sid);
}

int node_session_ops(const struct cli_opts *o, const struct node_selector *sel)
{
	if (o->seen['L'])
		return node_loginall(o, o->loginall);
	if (o->seen['U'])
		return node_logoutall(o->logoutall);
	if (o->seen['l'])
		return node_login(o, sel);
	return node_logout(sel);
}
