/* -m node -l and -L: every selected record logged in through swiscsid (node.session.nr_sessions
 * sessions of it), in iscsiadm's words: all the "Logging in to" lines, then each outcome; the
 * first error is the exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "msg.h"
#include "node_db.h"
#include "node_index.h"
#include "session_ops.h"

static void describe(const struct node_ref *n, char *buf, size_t len)
{
	/* iscsiadm prints the portal as addr,port and an IPv6 address without brackets */
	snprintf(buf, len, "[iface: %s, target: %s, portal: %s,%d]", n->iface, n->target,
		 n->address, n->port);
}

static int login_one(const struct node_ref *n, bool no_wait)
{
	struct ctl_login_req req;
	memset(&req, 0, sizeof(req));
	CTL_SET(req.node.target, n->target);
	CTL_SET(req.node.address, n->address);
	CTL_SET(req.node.iface, n->iface);
	req.node.port = n->port;
	req.node.tpgt = n->tpgt;
	if (no_wait)
		return ctl_send_only(CTL_LOGIN, &req, sizeof(req));
	struct ctl_call call;
	int rc = ctl_request(CTL_LOGIN, &req, sizeof(req), true, &call);
	char what[700];
	describe(n, what, sizeof(what));
	if (rc == EXIT_OK) {
		rc = call.r.status->status;
		if (rc == EXIT_OK)
			printf("Login to %s successful.\n", what);
		else if (call.r.status->message[0])
			msg_error("%s", call.r.status->message);
	}
	if (rc != EXIT_OK) {
		msg_error("Could not login to %s.", what);
		msg_error("initiator reported error (%d - %s)", rc, ctl_error_text(rc));
	}
	ctl_call_free(&call);
	return rc;
}

static unsigned sessions_of(const struct ctl_reply *r, const struct node_ref *n)
{
	unsigned have = 0;
	for (size_t i = 0; i < r->nsessions; i++) {
		const struct ctl_node *s = &r->sessions[i]->node;
		have += strcmp(s->target, n->target) == 0 && strcmp(s->address, n->address) == 0 &&
			s->port == n->port && strcmp(s->iface, n->iface) == 0;
	}
	return have;
}

static unsigned nr_sessions(const struct node_ref *n)
{
	struct record r;
	char err[1024];
	if (node_load(n, &r, msg_warn_cb, NULL, err, sizeof(err)) < 0)
		return 1;   /* the daemon reports the record's problem */
	long nr = strtol(record_get(&r, "node.session.nr_sessions"), NULL, 10);
	record_free(&r);
	return nr < 1 ? 1 : nr > 64 ? 64 : (unsigned)nr;
}

/* How many sessions each chosen record still needs (node.session.nr_sessions less those it
 * has); a record that has them all is not logged in again, in iscsiadm's words. */
static int plan(const struct node_index *ix, unsigned *logins)
{
	struct ctl_call call;
	bool known = sessions_fetch(0, false, &call) == EXIT_OK;
	int rc = EXIT_OK;
	for (size_t i = 0; i < ix->n; i++) {
		if (!logins[i])
			continue;
		unsigned nr = nr_sessions(&ix->v[i]);
		unsigned have = known ? sessions_of(&call.r, &ix->v[i]) : 0;
		logins[i] = have < nr ? nr - have : 0;
		if (!logins[i]) {
			msg_error("%s: %u session%s requested, but %u already present.",
				  ix->v[i].iface, nr, nr == 1 ? "" : "s", have);
			rc = EXIT_SESS_EXISTS;
		}
	}
	if (known)
		ctl_call_free(&call);
	return rc;
}

static int login_list(const struct node_index *ix, unsigned *logins, bool no_wait)
{
	char what[700];
	int existing = plan(ix, logins);
	for (size_t i = 0; i < ix->n; i++) {
		describe(&ix->v[i], what, sizeof(what));
		for (unsigned k = 0; k < logins[i]; k++)
			printf("Logging in to %s\n", what);
	}
	fflush(stdout);
	int first = EXIT_OK;
	for (size_t i = 0; i < ix->n && first != EXIT_ISCSID_NOTCONN; i++) {
		for (unsigned k = 0; k < logins[i]; k++) {
			int rc = login_one(&ix->v[i], no_wait);
			if (rc != EXIT_OK && first == EXIT_OK)
				first = rc;
			if (rc == EXIT_ISCSID_NOTCONN)
				break;   /* no daemon: the others would fail the same way */
		}
	}
	if (first != EXIT_OK)
		msg_error("Could not log into all portals");
	return first != EXIT_OK ? first : existing;
}

static int with_index(bool (*pick)(const struct node_ref *n, const void *ctx), const void *ctx,
		      bool no_wait)
{
	struct node_index ix;
	if (node_index_load(&ix, msg_warn_cb, NULL) < 0) {
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	unsigned *logins = calloc(ix.n + 1, sizeof(*logins));
	if (!logins) {
		node_index_free(&ix);
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	size_t n = 0;
	for (size_t i = 0; i < ix.n; i++)
		n += logins[i] = pick(&ix.v[i], ctx);
	int rc = EXIT_NO_OBJS_FOUND;
	if (n)
		rc = login_list(&ix, logins, no_wait);
	else
		msg_error("No records found");
	free(logins);
	node_index_free(&ix);
	return rc;
}

static bool by_selector(const struct node_ref *n, const void *ctx)
{
	return node_selected(ctx, n);
}

int node_login(const struct cli_opts *o, const struct node_selector *sel)
{
	return with_index(by_selector, sel, o->seen['W']);
}

/* node.startup of the record (node.conn[0].startup, the older key, when it is unset) equals
 * which; "all" takes every one */
static bool by_startup(const struct node_ref *n, const void *ctx)
{
	const char *which = ctx;
	if (strcmp(which, "all") == 0)
		return true;
	struct record r;
	char err[1024];
	if (node_load(n, &r, msg_warn_cb, NULL, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return false;
	}
	const char *v = record_get(&r, "node.startup");
	if (!v || !v[0])
		v = record_get(&r, "node.conn[0].startup");
	bool yes = v && strcmp(v, which) == 0;
	record_free(&r);
	return yes;
}

int node_loginall(const struct cli_opts *o, const char *which)
{
	if (strcmp(which, "all") != 0 && strcmp(which, "manual") != 0 &&
	    strcmp(which, "automatic") != 0 && strcmp(which, "onboot") != 0) {
		msg_error("Invalid loginall option %s.", which);
		msg_try_help();
		return EXIT_INVAL;
	}
	return with_index(by_startup, which, o->seen['W']);
}
