/* swiscsi-multipath: the multipath maps swiscsid keeps (one per LUN, over every session's path
 * to it), shown as multipath-tools' multipath -ll shows dm-multipath's, and dropped one by one
 * with -f. A client of the control socket; it never starts the daemon. */
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "msg.h"
#include "mpath_print.h"

enum { RC_OK = 0, RC_FAIL = 1 };

static int usage(void)
{
	fputs("usage: swiscsi-multipath -ll [MAP]\n"
	      "       swiscsi-multipath -f MAP\n", stderr);
	return RC_FAIL;
}

/* One request; the daemon's own refusal is printed. RC_OK with call filled, else RC_FAIL. */
static int ask(uint16_t kind, const char *map, struct ctl_call *call)
{
	struct ctl_mpath_req q;
	memset(&q, 0, sizeof(q));
	if (strlen(map) >= sizeof(q.map)) {
		msg_error("%.40s...: a map name is at most %zu bytes", map, sizeof(q.map) - 1);
		return RC_FAIL;
	}
	CTL_SET(q.map, map);
	int rc = ctl_request(kind, &q, sizeof(q), false, call);
	if (rc == 20)
		msg_error("swiscsid is not running (no multipath maps without it)");
	if (rc != 0)
		return RC_FAIL;
	if (call->r.status->status != 0) {
		msg_error("%s", call->r.status->message);
		ctl_call_free(call);
		return RC_FAIL;
	}
	return RC_OK;
}

static int list(const char *map)
{
	struct ctl_call call;
	if (ask(CTL_MPATH_LIST, map, &call) != RC_OK)
		return RC_FAIL;
	for (size_t i = 0; i < call.r.nmaps; i++) {
		const struct ctl_mpath *m = call.r.maps[i];
		mpath_print_map(stdout, m, call.r.paths + call.r.first_path[i], m->npaths);
	}
	ctl_call_free(&call);
	return RC_OK;
}

static int flush(const char *map)
{
	struct ctl_call call;
	if (ask(CTL_MPATH_FLUSH, map, &call) != RC_OK)
		return RC_FAIL;
	ctl_call_free(&call);
	return RC_OK;
}

int main(int argc, char **argv)
{
	msg_program = "swiscsi-multipath";
	if (argc >= 2 && (strcmp(argv[1], "-ll") == 0 || strcmp(argv[1], "-l") == 0) && argc <= 3)
		return list(argc == 3 ? argv[2] : "");
	if (argc == 3 && strcmp(argv[1], "-f") == 0 && argv[2][0])
		return flush(argv[2]);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage();
		return RC_OK;
	}
	return usage();
}
