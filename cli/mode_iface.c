/* `swiscsiadm -m iface`: list, tree, show, and dispatch of the operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"
#include "iface_schema.h"
#include "modes.h"
#include "msg.h"
#include "node_index.h"
#include "portal_text.h"

static const char *shown(const char *v)
{
	return v[0] ? v : "<empty>";
}

static int list_ifaces(void)
{
	struct iface_set set;
	int rc = iface_collect(&set);
	if (rc != EXIT_OK)
		return rc;
	for (size_t i = 0; i < set.n; i++) {
		char **v = set.v[i].values;
		printf("%s %s,%s,%s,%s,%s\n", v[IFACE_F_NAME], shown(v[IFACE_F_TRANSPORT]),
		       shown(v[IFACE_F_HWADDRESS]), shown(v[IFACE_F_IPADDRESS]),
		       shown(v[IFACE_F_NETDEV]), shown(v[IFACE_F_INITIATORNAME]));
	}
	iface_set_free(&set);
	return EXIT_OK;
}

/* The records grouped by iface, in index order (target, portal) within each group: one sort,
 * so that the tree costs n log n and not (ifaces x records). */
static int by_iface(const void *a, const void *b)
{
	const struct node_ref *x = *(const struct node_ref *const *)a;
	const struct node_ref *y = *(const struct node_ref *const *)b;
	int c = strcmp(x->iface, y->iface);
	return c ? c : (x > y) - (x < y);
}

/* The first of the records sorted by iface that is bound to iface (n when none is). */
static size_t first_of(const struct node_ref **sorted, size_t n, const char *iface)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(sorted[mid]->iface, iface) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void print_tree_of(const char *iface, const struct node_ref **sorted, size_t n)
{
	printf("Iface: %s\n", iface);
	const char *prev_target = NULL;
	for (size_t i = first_of(sorted, n, iface); i < n && !strcmp(sorted[i]->iface, iface); i++) {
		const struct node_ref *r = sorted[i];
		if (!prev_target || strcmp(prev_target, r->target) != 0)
			printf("\tTarget: %s\n", r->target);
		prev_target = r->target;
		char portal[600];
		node_portal_display(r, portal, sizeof(portal));
		printf("\t\tPortal: %s\n", portal);
	}
}

/* -P 1: each iface with the targets and portals bound to it. Like iscsiadm, nothing at all is
 * printed when there are no node records. */
static int tree(const struct cli_opts *o)
{
	struct iface_set set;
	int rc = iface_collect(&set);
	if (rc != EXIT_OK)
		return rc;
	if (o->nifaces && !iface_set_find(&set, o->ifaces[0])) {
		if (!iface_is_sample(o->ifaces[0]))   /* which iscsiadm skips without a word */
			msg_error("Could not read iface info for %s.", o->ifaces[0]);
		iface_set_free(&set);
		return EXIT_IDBM;
	}
	struct node_index ix;
	if (node_index_load(&ix, msg_warn_cb, NULL) < 0) {
		iface_set_free(&set);
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	const struct node_ref **sorted = malloc((ix.n ? ix.n : 1) * sizeof(*sorted));
	if (!sorted) {
		node_index_free(&ix);
		iface_set_free(&set);
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	for (size_t i = 0; i < ix.n; i++)
		sorted[i] = &ix.v[i];
	qsort(sorted, ix.n, sizeof(*sorted), by_iface);
	for (size_t i = 0; ix.n && i < set.n; i++) {
		const char *name = set.v[i].values[IFACE_F_NAME];
		if (!o->nifaces || strcmp(name, o->ifaces[0]) == 0)
			print_tree_of(name, sorted, ix.n);
	}
	free(sorted);
	node_index_free(&ix);
	iface_set_free(&set);
	return EXIT_OK;
}

static int show(const char *name)
{
	struct record r;
	/* iscsiadm's show skips open-iscsi's sample file without a word */
	int rc = iface_is_sample(name) ? iface_get_quiet(name, &r) : iface_get(name, &r);
	if (rc != EXIT_OK)
		return rc;
	rc = msg_print_record(&r, RS_SHOW);
	record_free(&r);
	return rc;
}

static int run_ping(const struct cli_opts *o)
{
	if (strcmp(o->submode, "ping") != 0) {
		msg_error("Invalid sub-mode '%s'. iface mode supports: ping", o->submode);
		return EXIT_INVAL;
	}
	if (!o->nifaces) {
		msg_error("Ping requires iface.");
		return EXIT_INVAL;
	}
	/* the options first, then the iface, as iscsiadm checks them */
	int rc = iface_ping_check_options(o);
	if (rc != EXIT_OK)
		return rc;
	struct record r;
	rc = iface_get_for_hba(o->ifaces[0], &r);
	if (rc != EXIT_OK)
		return rc;
	rc = iface_ping(o, &r);
	record_free(&r);
	return rc;
}

static const struct {
	const char *op;
	int (*run)(const struct cli_opts *o);
} ops[] = {
	{ "new", iface_op_new },
	{ "delete", iface_op_delete },
	{ "update", iface_op_update },
	{ "apply", iface_op_apply },
	{ "applyall", iface_op_applyall },
};

static int run_op(const struct cli_opts *o)
{
	if (o->nops > 1) {
		msg_error("iface mode takes one operation; got '%s' and '%s'", o->ops[0], o->ops[1]);
		return EXIT_INVAL;
	}
	const char *op = o->ops[0];
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].op, op) == 0)
			return ops[i].run(o);
	if (strcmp(op, "show") == 0 && o->print_level == 1)
		return tree(o);
	if (strcmp(op, "show") == 0)
		return o->nifaces ? show(o->ifaces[0]) : list_ifaces();
	msg_error("can not recognize operation: '%s'", op);
	return EXIT_INVAL;
}

int mode_iface(const struct cli_opts *o)
{
	if (!options_only(o, "iface", "HIdnvmPoCabci"))
		return EXIT_INVAL;
	if (o->nifaces > 1)
		msg_error("iface mode only accepts one interface. Using the first one %s.",
			  o->ifaces[0]);
	if (o->print_level > 1) {
		msg_error("Invalid info level %d. Try 0 - 1.", o->print_level);
		return EXIT_INVAL;
	}
	size_t len = o->nifaces ? strlen(o->ifaces[0]) : 1;
	if (len < 1 || len > 64) {
		/* on stdout, without prefix, as iscsiadm prints it for every operation */
		printf("Invalid iface name %s. Must be from 1 to 64 characters.\n", o->ifaces[0]);
		return EXIT_INVAL;
	}
	if (o->submode)
		return run_ping(o);
	if (o->nops)
		return run_op(o);
	if (o->print_level == 1)
		return tree(o);
	return o->nifaces ? show(o->ifaces[0]) : list_ifaces();
}
