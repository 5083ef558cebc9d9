/* Which node records -T, -p and -I pick (iscsiadm's matching rules): -T an exact target name,
 * -p an address (string or numerically equal) and port (3260 when not given), -I an iface
 * name; an option not given matches everything. */
#ifndef SWISCSI_NODE_SELECT_H
#define SWISCSI_NODE_SELECT_H

#include <stdbool.h>

#include "node_index.h"
#include "options.h"
#include "portal.h"

struct node_selector {
	const char *target;
	bool has_portal;
	struct portal portal;
	bool no_such_portal;   /* -p was no portal: it selects no record */
	const char *iface;
};

/* Fills sel from the options; prints the problem and returns its exit code (7 for a bad
 * portal given to -o new, 21 for an -I naming no iface), else 0. A bad portal otherwise
 * selects nothing. */
int node_selector_from(const struct cli_opts *o, struct node_selector *sel);
bool node_selector_empty(const struct node_selector *sel);
bool node_selected(const struct node_selector *sel, const struct node_ref *n);
/* The records sel may pick (node_selected still decides): with -T only that target's
 * directory is read, so naming a target costs the same at 5 records and at 50,000; without
 * it, every record. Prints the problem: EXIT_OK or EXIT_NOMEM. */
int node_selection_load(const struct node_selector *sel, struct node_index *out);
/* Whether two address texts name the same address ("fd00::1" and "fd00:0::1" do). */
bool address_equal(const char *a, const char *b);

#endif
