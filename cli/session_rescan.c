/* -m session [-r SID] -R: the daemon asks the target for its LUN list again (REPORT LUNS) and
 * the LUN files follow it. Without -r every session is rescanned, as iscsiadm does. */
#include <stdio.h>

#include "exit_codes.h"
#include "msg.h"
#include "session_ops.h"

int session_rescan_one(const struct ctl_session *s)
{
	printf("Rescanning session [sid: %u, target: %s, portal: %s,%d]\n", s->sid,
	       s->node.target, s->node.address, s->node.port);
	fflush(stdout);
	struct ctl_rescan_req req = { .sid = s->sid };
	struct ctl_call call;
	int rc = ctl_request(CTL_RESCAN, &req, sizeof(req), false, &call);
	if (rc != EXIT_OK)
		return rc;
	rc = call.r.status->status;
	if (rc != EXIT_OK)
		msg_error("Could not rescan session sid %u: %s", s->sid, call.r.status->message);
	ctl_call_free(&call);
	return rc;
}

int session_rescan(unsigned sid)
{
	struct ctl_call call;
	int rc = sessions_fetch_some(sid, false, "No session found.", &call);
	if (rc != EXIT_OK)
		return rc;
	int first = EXIT_OK;
	for (size_t i = 0; i < call.r.nsessions; i++) {
		rc = session_rescan_one(call.r.sessions[i]);
		if (rc != EXIT_OK && first == EXIT_OK)
			first = rc;
	}
	ctl_call_free(&call);
	return first;
}
