/* A fresh node record, as discovery and -o new make one. */
#include <stdio.h>

#include "exit_codes.h"
#include "iscsid_conf.h"
#include "modes.h"
#include "msg.h"
#include "node_modes.h"
#include "node_schema.h"

int node_iface(const char *name, struct record *out)
{
	return iface_get(name ? name : "default", out);
}

int node_build(const char *target, const char *address, int port, int tpgt,
	       const struct record *iface, struct record *out)
{
	const struct schema *s = node_schema();
	if (!s || iscsid_conf_defaults(out, s, msg_warn_cb, NULL) < 0) {
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	char num[2][16];
	snprintf(num[0], sizeof(num[0]), "%d", port);
	snprintf(num[1], sizeof(num[1]), "%d", tpgt);
	if (node_set_iface(out, iface) < 0 || record_set(out, "node.name", target) < 0 ||
	    record_set(out, "node.tpgt", num[1]) < 0 ||
	    record_set(out, "node.conn[0].address", address) < 0 ||
	    record_set(out, "node.conn[0].port", num[0]) < 0) {
		record_free(out);
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	return EXIT_OK;
}
