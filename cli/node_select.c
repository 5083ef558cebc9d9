#include "node_select.h"

#include <arpa/inet.h>
#include <string.h>

#include "exit_codes.h"
#include "iface_db.h"
#include "msg.h"
#include "names.h"
#include "validate.h"

int node_selector_from(const struct cli_opts *o, struct node_selector *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->target = o->targetname;
	char err[512];
	/* Only what could leave the database is refused here: existing records with names that
	 * break the iSCSI rules stay reachable; -o new checks those rules. */
	if (sel->target && !path_component_ok("target name", sel->target, err, sizeof(err))) {
		msg_error("%s", err);
		return EXIT_INVAL;
	}
	if (o->portal) {
		sel->has_portal = true;
		/* iscsiadm reads a portal that is none (999.1.1.1:abc) loosely and finds no
		 * record of it: here it selects nothing, and each operation says that it found
		 * nothing. Only -o new, which would write it, refuses it. */
		if (!portal_parse(o->portal, 3260, &sel->portal)) {
			bool creating = o->nops && strcmp(o->ops[0], "new") == 0;
			if (creating) {
				msg_error("Invalid portal %s: use ADDRESS[:PORT][,TPGT], IPv6 in "
					  "brackets", o->portal);
				return EXIT_INVAL;
			}
			sel->no_such_portal = true;
		}
	}
	if (o->nifaces) {
		sel->iface = o->ifaces[0];
		if (!iface_name_is_valid(sel->iface, err, sizeof(err))) {
			msg_error("%s", err);
			return EXIT_INVAL;
		}
		/* deviation 5: a missing iface is "nothing found", not iscsiadm's out-of-memory 3 */
		if (!iface_is_builtin(sel->iface) && !iface_file_exists(sel->iface)) {
			msg_error("Could not read iface info for %s.", sel->iface);
			return EXIT_NO_OBJS_FOUND;
		}
	}
	return EXIT_OK;
}

bool node_selector_empty(const struct node_selector *sel)
{
	return !sel->target && !sel->has_portal && !sel->iface;
}

bool address_equal(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	unsigned char x[16], y[16];
	int family = strchr(a, ':') ? AF_INET6 : AF_INET;
	return inet_pton(family, a, x) == 1 && inet_pton(family, b, y) == 1 &&
	       memcmp(x, y, family == AF_INET6 ? 16 : 4) == 0;
}

bool node_selected(const struct node_selector *sel, const struct node_ref *n)
{
	if (sel->target && strcmp(sel->target, n->target) != 0)
		return false;
	if (sel->no_such_portal)
		return false;
	if (sel->has_portal && (!address_equal(sel->portal.address, n->address) ||
				sel->portal.port != n->port))
		return false;
	return !sel->iface || strcmp(sel->iface, n->iface) == 0;
}

int node_selection_load(const struct node_selector *sel, struct node_index *out)
{
	int rc = sel->target ? node_index_load_target(out, sel->target, msg_warn_cb, NULL)
			     : node_index_load(out, msg_warn_cb, NULL);
	if (rc < 0) {
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	return EXIT_OK;
}
