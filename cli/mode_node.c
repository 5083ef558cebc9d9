/* `swiscsiadm -m node`: list, show, new, update, delete (unbinding is delete with selectors).
 * Logging in and out (-l, -u, -L, -U) goes through swiscsid: session_ops.h. */
#include <stdio.h>
#include <string.h>

#include "exit_codes.h"
#include "msg.h"
#include "no_session.h"
#include "node_modes.h"
#include "session_ops.h"

static int listing(const struct cli_opts *o, const struct node_selector *sel, bool show)
{
	struct node_index ix;
	int rc = node_selection_load(sel, &ix);
	if (rc != EXIT_OK)
		return rc;
	if (show || !node_selector_empty(sel)) {
		rc = node_show(&ix, sel, o->show_secrets);
	} else if (!ix.n) {
		msg_error("No records found");
		rc = EXIT_NO_OBJS_FOUND;
	} else {
		rc = node_list(&ix, o->print_level < 0 ? 0 : o->print_level);
	}
	node_index_free(&ix);
	return rc;
}

int mode_node(const struct cli_opts *o)
{
	if (!options_only(o, "node", "RsPIdmlSonvupTULW"))
		return EXIT_INVAL;
	if (o->print_level > 1) {
		msg_error("Invalid info level %d. Try 0 or 1.", o->print_level);
		return EXIT_INVAL;
	}
	int rc = login_options_check(o);
	if (rc != EXIT_OK)
		return rc;
	struct node_selector sel;
	rc = node_selector_from(o, &sel);
	if (rc != EXIT_OK)
		return rc;
	if (o->seen['R'] || o->seen['s'])
		return node_sessions_rescan_or_stats(&sel, !o->seen['R']);
	if (o->seen['l'] || o->seen['u'] || o->seen['L'] || o->seen['U'])
		return node_session_ops(o, &sel);
	if (o->nops > 1) {
		msg_error("node mode takes one operation; got '%s' and '%s'", o->ops[0], o->ops[1]);
		return EXIT_INVAL;
	}
	const char *op = o->nops ? o->ops[0] : NULL;
	if (!op || strcmp(op, "show") == 0)
		return listing(o, &sel, op != NULL);
	if (strcmp(op, "new") == 0)
		return node_op_new(o, &sel);
	if (strcmp(op, "update") == 0)
		return node_op_update(o, &sel);
	if (strcmp(op, "delete") == 0)
		return node_op_delete(&sel);
	msg_error("can not recognize operation: '%s'", op);
	return EXIT_INVAL;
}
