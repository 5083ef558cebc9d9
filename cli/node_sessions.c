/* -m node -R (rescan) and -m node -s (statistics): what iscsiadm does to the sessions of the
 * records -T, -p and -I select (every session without them). "No session found." (21) when
 * none matches, no daemon running included: without swiscsid there is no session. */
#include <stdio.h>

#include "exit_codes.h"
#include "msg.h"
#include "session_ops.h"

bool session_selected(const struct node_selector *sel, const struct ctl_session *s)
{
	struct node_ref ref = { .target = (char *)s->node.target, .address = (char *)s->node.address,
				.port = s->node.port, .tpgt = s->node.tpgt,
				.iface = (char *)s->node.iface };
	return node_selected(sel, &ref);
}

int node_sessions_rescan_or_stats(const struct node_selector *sel, bool stats)
{
	struct ctl_call call;
	int rc = sessions_fetch_some(0, false, "No session found.", &call);
	if (rc != EXIT_OK)
		return rc;
	size_t found = 0;
	int first = EXIT_OK;
	for (size_t i = 0; i < call.r.nsessions; i++) {
		const struct ctl_session *s = call.r.sessions[i];
		if (!session_selected(sel, s))
			continue;
		found++;
		if (stats) {
			session_print_stats_one(s);
			continue;
		}
		rc = session_rescan_one(s);
		if (rc != EXIT_OK && first == EXIT_OK)
			first = rc;
	}
	ctl_call_free(&call);
	if (!found) {
		msg_error("No session found.");
		return EXIT_NO_OBJS_FOUND;
	}
	if (first != EXIT_OK)
		msg_error("Could not execute operation on all sessions: %s", ctl_error_text(first));
	return first;
}
