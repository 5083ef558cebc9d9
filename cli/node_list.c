/* -m node without an operation, and -o show: the flat list, the -P 1 tree, and full records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "msg.h"
#include "node_db.h"
#include "node_modes.h"
#include "node_schema.h"
#include "portal_text.h"

/* iscsiadm prints an old-style record's unknown tpgt (-1) as an unsigned number in the flat
 * list; scripts that parse the list see the same text here. */
static void flat_portal(const struct node_ref *n, char *buf, size_t len)
{
	if (n->tpgt >= 0) {
		node_portal_display(n, buf, len);
		return;
	}
	char base[400];
	portal_text(n->address, n->port, 0, false, base, sizeof(base));
	snprintf(buf, len, "%s,%u", base, (unsigned)n->tpgt);
}

int node_list(const struct node_index *ix, int level)
{
	const char *prev = NULL;
	for (size_t i = 0; i < ix->n; i++) {
		const struct node_ref *n = &ix->v[i];
		char portal[600];
		if (level == 1) {
			if (!prev || strcmp(prev, n->target) != 0)
				printf("Target: %s\n", n->target);
			prev = n->target;
			node_portal_display(n, portal, sizeof(portal));
			printf("\tPortal: %s\n\t\tIface Name: %s\n", portal, n->iface);
		} else {
			flat_portal(n, portal, sizeof(portal));
			printf("%s %s\n", portal, n->target);
		}
	}
	return EXIT_OK;
}

int node_show(const struct node_index *ix, const struct node_selector *sel, bool secrets)
{
	int shown = 0, rc = EXIT_OK;
	for (size_t i = 0; i < ix->n; i++) {
		if (!node_selected(sel, &ix->v[i]))
			continue;
		struct record r;
		char err[1024];
		if (node_load(&ix->v[i], &r, msg_warn_cb, NULL, err, sizeof(err)) < 0) {
			msg_error("%s", err);
			rc = EXIT_IDBM;
			continue;
		}
		int printed = msg_print_record(&r, secrets ? RS_SHOW_SECRETS : RS_SHOW);
		record_free(&r);
		if (printed != EXIT_OK)
			return printed;
		shown++;
	}
	if (!shown && rc == EXIT_OK) {
		msg_error("No records found");
		return EXIT_NO_OBJS_FOUND;
	}
	return rc;
}
