/* Logging out: -m node -u (the sessions of the selected records), -U (by the records' startup
 * setting) and -m session -r SID -u. All "Logging out of session" lines first, then each
 * outcome, as iscsiadm prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "msg.h"
#include "session_ops.h"

int sessions_fetch(unsigned sid, bool secrets, struct ctl_call *call)
{
	struct ctl_list_req req = { .sid = sid, .flags = secrets ? CTL_LIST_SECRETS : 0 };
	int rc = ctl_request(CTL_LIST, &req, sizeof(req), false, call);
	if (rc == EXIT_OK && call->r.status->status != EXIT_OK) {
		rc = call->r.status->status;
		msg_error("%s", call->r.status->message);
		ctl_call_free(call);
	}
	return rc;
}

int sessions_fetch_some(unsigned sid, bool secrets, const char *none, struct ctl_call *call)
{
	int rc = sessions_fetch(sid, secrets, call);
	if (rc != EXIT_OK && rc != EXIT_ISCSID_NOTCONN)
		return rc;
	if (rc == EXIT_OK && call->r.nsessions)
		return EXIT_OK;
	if (rc == EXIT_OK)
		ctl_call_free(call);
	if (sid) {
		msg_error("Could not get session info for sid %u", sid);
		return EXIT_SYSFS_LOOKUP;
	}
	msg_error("%s", none);
	return EXIT_NO_OBJS_FOUND;
}

static void describe(const struct ctl_session *s, char *buf, size_t len)
{
	snprintf(buf, len, "[sid: %u, target: %s, portal: %s,%d]", s->sid, s->node.target,
		 s->node.address, s->node.port);
}

static int logout_one(const struct ctl_session *s)
{
	struct ctl_logout_req req = { .sid = s->sid };
	struct ctl_call call;
	char what[400];
	describe(s, what, sizeof(what));
	int rc = ctl_request(CTL_LOGOUT, &req, sizeof(req), false, &call);
	if (rc == EXIT_OK)
		rc = call.r.status->status;
	if (rc == EXIT_OK) {
		printf("Logout of %s successful.\n", what);
	} else {
		msg_error("Could not logout of %s.", what);
		msg_error("initiator reported error (%d - %s)", rc, ctl_error_text(rc));
	}
	ctl_call_free(&call);
	return rc;
}

typedef bool (*session_pick_fn)(const struct ctl_session *s, const void *ctx);

/* Logs out the sessions of call (fetched, freed here) that pick accepts. 21 with iscsiadm's
 * message when none does. */
static int logout_fetched(struct ctl_call *call, session_pick_fn pick, const void *ctx)
{
	char what[400];
	size_t n = 0;
	for (size_t i = 0; i < call->r.nsessions; i++) {
		if (!pick(call->r.sessions[i], ctx))
			continue;
		describe(call->r.sessions[i], what, sizeof(what));
		printf("Logging out of session %s\n", what);
		n++;
	}
	fflush(stdout);
	int first = EXIT_OK;
	for (size_t i = 0; i < call->r.nsessions; i++) {
		if (!pick(call->r.sessions[i], ctx))
			continue;
		int rc = logout_one(call->r.sessions[i]);
		if (rc != EXIT_OK && first == EXIT_OK)
			first = rc;
	}
	ctl_call_free(call);
	if (!n) {
		msg_error("No matching sessions found");
		return EXIT_NO_OBJS_FOUND;
	}
	return first;
}

/* The daemon's sessions that pick accepts, logged out. */
static int logout_picked(session_pick_fn pick, const void *ctx)
{
	struct ctl_call call;
	int rc = sessions_fetch_some(0, false, "No matching sessions found", &call);
	if (rc != EXIT_OK)
		return rc;
	return logout_fetched(&call, pick, ctx);
}

static bool by_selector(const struct ctl_session *s, const void *ctx)
{
	return session_selected(ctx, s);
}

int node_logout(const struct node_selector *sel)
{
	return logout_picked(by_selector, sel);
}

/* onboot sessions are never logged out by -U */
static bool by_startup(const struct ctl_session *s, const void *ctx)
{
	const char *which = ctx;
	if (strcmp(s->startup, "onboot") == 0)
		return false;
	return strcmp(which, "all") == 0 || strcmp(s->startup, which) == 0;
}

int node_logoutall(const char *which)
{
	if (strcmp(which, "all") != 0 && strcmp(which, "manual") != 0 &&
	    strcmp(which, "automatic") != 0) {
		msg_error("Invalid logoutall option %s.", which);
		msg_try_help();
		return EXIT_INVAL;
	}
	return logout_picked(by_startup, which);
}

static bool by_sid(const struct ctl_session *s, const void *ctx)
{
	return s->sid == *(const unsigned *)ctx;
}

int session_logout_sid(unsigned sid)
{
	/* a sid that names no session is iscsiadm's failed lookup (22), not "no match" */
	struct ctl_call call;
	int rc = sessions_fetch_some(sid, false, "No active sessions.", &call);
	if (rc != EXIT_OK)
		return rc;
	return logout_fetched(&call, by_sid, &sid);
}
