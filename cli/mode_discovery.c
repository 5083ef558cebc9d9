/* `swiscsiadm -m discovery` and `-m discoverydb`: SendTargets discovery records and runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli_lock.h"
#include "db_paths.h"
#include "discovery_db.h"
#include "dir_order.h"
#include "discovery_modes.h"
#include "exit_codes.h"
#include "iscsid_conf.h"
#include "isns_records.h"
#include "msg.h"
#include "no_session.h"
#include "node_db.h"
#include "node_modes.h"
#include "node_schema.h"
#include "validate.h"

/* The -o operations given, OR-ed ("show" is accepted and needs no bit: it is what a portal
 * without other operations gets). */
static int parse_ops(const struct cli_opts *o, unsigned *given)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "show", 0 }, { "new", DOP_NEW }, { "update", DOP_UPDATE }, { "delete", DOP_DELETE },
		{ "nonpersistent", DOP_NONPERSISTENT },
	};
	*given = 0;
	for (int i = 0; i < o->nops; i++) {
		size_t k = 0;
		while (k < sizeof(names) / sizeof(names[0]) && strcmp(o->ops[i], names[k].name) != 0)
			k++;
		if (k == sizeof(names) / sizeof(names[0])) {
			msg_error("can not recognize operation: '%s'", o->ops[i]);
			return EXIT_INVAL;
		}
		*given |= names[k].bit;
	}
	return EXIT_OK;
}

/* A discovery without new, update or delete does new and update. */
static unsigned discovery_ops(unsigned given)
{
	return given & (DOP_NEW | DOP_UPDATE | DOP_DELETE) ? given : given | DOP_NEW | DOP_UPDATE;
}

static bool is_isns(const char *type)
{
	return type && strcmp(type, "isns") == 0;
}

/* -t: SendTargets runs; iSNS records are only managed (mode_discoverydb); the other kinds get
 * iscsiadm's answers or a clear refusal. */
static int check_type(const char *type)
{
	if (!type || strcmp(type, "st") == 0 || strcmp(type, "sendtargets") == 0 || is_isns(type))
		return EXIT_OK;
	if (strcmp(type, "slp") == 0) {
		msg_error("SLP discovery is not fully implemented yet.");
		return EXIT_INVAL;
	}
	if (strcmp(type, "fw") == 0)
		return mode_fw(NULL);
	msg_error("Invalid discovery type %s.", type);
	return EXIT_INVAL;   /* iscsiadm's code for it */
}

static int get_portal(const struct cli_opts *o, struct portal *p)
{
	if (!o->portal) {
		msg_error("Please specify the portal of the discovery: -p ADDRESS[:PORT]");
		return EXIT_INVAL;
	}
	if (!portal_parse(o->portal, is_isns(o->type) ? ISNS_DEFAULT_PORT : 3260, p)) {
		msg_error("Invalid portal %s: use ADDRESS[:PORT], IPv6 in brackets", o->portal);
		return EXIT_INVAL;
	}
	return EXIT_OK;
}

/* The stored record, or a new one from iscsid.conf's defaults. *stored says which. */
static int load_or_new(const struct portal *p, struct record *r, bool *stored)
{
	char err[1024], port[16];
	*stored = discovery_load(p->address, p->port, r, msg_warn_cb, NULL, err, sizeof(err)) == 0;
	if (*stored)
		return EXIT_OK;
	if (iscsid_conf_defaults(r, &discovery_schema, msg_warn_cb, NULL) < 0)
		return EXIT_NOMEM;
	snprintf(port, sizeof(port), "%d", p->port);
	if (record_set(r, "discovery.sendtargets.address", p->address) < 0 ||
	    record_set(r, "discovery.sendtargets.port", port) < 0) {
		record_free(r);
		return EXIT_NOMEM;
	}
	return EXIT_OK;
}

/* The stored record of p, or iscsiadm's "not found" (6). */
static int load_stored(const struct portal *p, struct record *r)
{
	bool stored;
	int rc = load_or_new(p, r, &stored);
	if (rc != EXIT_OK || stored)
		return rc;
	record_free(r);
	msg_error("Discovery record [%s,%d] not found.", p->address, p->port);
	return EXIT_IDBM;
}

static int show_record(const struct cli_opts *o, const struct portal *p)
{
	struct record r;
	int rc = load_stored(p, &r);
	if (rc != EXIT_OK)
		return rc;
	rc = msg_print_record(&r, o->show_secrets ? RS_SHOW_SECRETS : RS_SHOW);
	record_free(&r);
	return rc;
}

static int locked_change(const struct portal *p, const struct record *r, bool remove)
{
	char err[1024];
	int lock = cli_lock();
	if (lock < 0)
		return EXIT_IDBM;
	int rc = EXIT_OK;
	if (remove && discovery_delete(p->address, p->port, msg_warn_cb, NULL) < 0)
		rc = EXIT_IDBM;
	if (!remove && discovery_store(r, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		rc = EXIT_IDBM;
	}
	db_unlock(lock);
	return rc;
}

static int delete_record(const struct portal *p)
{
	struct record r;
	int rc = load_stored(p, &r);
	if (rc != EXIT_OK)
		return rc;
	record_free(&r);
	return locked_change(p, NULL, true);
}

static int update_record(const struct cli_opts *o, const struct portal *p)
{
	struct record r;
	if (!o->nparams) {
		msg_error("Update requires name and value.");
		return EXIT_INVAL;
	}
	int rc = load_stored(p, &r);
	if (rc != EXIT_OK)
		return rc;
	for (int i = 0; i < o->nparams && rc == EXIT_OK; i++) {
		int k = schema_find(&discovery_schema, o->params[i].name);
		char err[512];
		if (k < 0 || (discovery_schema.fields[k].flags & FF_READONLY)) {
			msg_error("Cannot modify %s. %s", o->params[i].name,
				  k < 0 ? "Invalid param name." : "It is read only.");
			rc = EXIT_INVAL;
		} else if (!value_is_valid(&discovery_schema.fields[k], o->params[i].value, err,
					   sizeof(err))) {
			msg_error("%s", err);
			rc = EXIT_INVAL;
		} else if (record_set(&r, o->params[i].name, o->params[i].value) < 0) {
			rc = EXIT_NOMEM;
		}
	}
	if (rc == EXIT_OK)
		rc = locked_change(p, &r, false);
	record_free(&r);
	return rc;
}

/* A section's records, or iscsiadm's line for a section without any. */
static void print_tree(const struct node_index *ix)
{
	if (!ix->n) {
		printf("No targets found.\n");
		return;
	}
	node_list(ix, 1);
}

/* The discovery addresses of a section, each followed by the records it made (nothing under
 * an address that made none, as in iscsiadm). */
static void print_addresses(const struct discovery_list *dl, const char *kind)
{
	if (!dl->n)
		printf("No targets found.\n");
	for (size_t i = 0; i < dl->n; i++) {
		char rel[400];
		struct node_index ix;
		printf("DiscoveryAddress: %s,%d\n", dl->v[i].address, dl->v[i].port);
		snprintf(rel, sizeof(rel), "%s/%s,%d", kind, dl->v[i].address, dl->v[i].port);
		if (link_dir_nodes(rel, &ix) == 0) {
			node_list(&ix, 1);
			node_index_free(&ix);
		}
	}
}

/* -P 0: "ADDR:PORT via KIND", the address unbracketed even when IPv6 (iscsiadm's form). */
static void print_flat(const struct discovery_list *dl, const char *kind)
{
	for (size_t i = 0; i < dl->n; i++)
		printf("%s:%d via %s\n", dl->v[i].address, dl->v[i].port, kind);
}

/* STATIC: the records -m node -o new made: those with a static/ link, and the old-style ones
 * (no tpgt, so no link) whose discovery type is static. */
static int static_nodes(struct node_index *out)
{
	struct node_index all;
	if (link_dir_nodes("static", out) < 0)
		return -1;
	if (node_index_load(&all, msg_warn_cb, NULL) < 0) {
		node_index_free(out);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < all.n && rc == 0; i++) {
		struct record r;
		char err[1024];
		if (all.v[i].tpgt >= 0 || node_load(&all.v[i], &r, NULL, NULL, err, sizeof(err)) < 0)
			continue;
		if (strcmp(record_get(&r, "node.discovery_type"), "static") == 0)
			rc = node_index_append(out, &all.v[i]);
		record_free(&r);
	}
	node_index_free(&all);
	if (rc < 0)
		node_index_free(out);
	return rc;
}

/* -P 1: the four sections. 21 when all of them are empty, as in iscsiadm. */
static int list_tree(const struct discovery_list *st, const struct discovery_list *isns)
{
	struct node_index stat;
	if (static_nodes(&stat) < 0)
		return EXIT_NOMEM;
	if (dir_order_nodes(&stat) < 0) {
		node_index_free(&stat);
		return EXIT_NOMEM;
	}
	printf("SENDTARGETS:\n");
	print_addresses(st, "send_targets");
	printf("iSNS:\n");
	print_addresses(isns, "isns");
	printf("STATIC:\n");
	print_tree(&stat);
	printf("FIRMWARE:\nNo targets found.\n");
	int rc = st->n || isns->n || stat.n ? EXIT_OK : EXIT_NO_OBJS_FOUND;
	node_index_free(&stat);
	return rc;
}

/* -m discovery with nothing else: the stored discovery records, SendTargets and iSNS. */
static int list(const struct cli_opts *o)
{
	struct discovery_list st, isns;
	if (discovery_list_load(&st) < 0)
		return EXIT_NOMEM;
	if (isns_list_load(&isns) < 0 || dir_order_discovery(&st, "send_targets") < 0 ||
	    dir_order_discovery(&isns, "isns") < 0) {
		discovery_list_free(&st);
		discovery_list_free(&isns);
		return EXIT_NOMEM;
	}
	int rc;
	if (o->print_level >= 1) {
		rc = list_tree(&st, &isns);
	} else {
		print_flat(&st, "sendtargets");
		print_flat(&isns, "isns");
		rc = st.n || isns.n ? EXIT_OK : EXIT_NO_OBJS_FOUND;
	}
	discovery_list_free(&isns);
	discovery_list_free(&st);
	return rc;
}

static int common_checks(const struct cli_opts *o, const char *mode)
{
	if (!options_only(o, mode, "DSIPdmntplov"))
		return EXIT_INVAL;
	if (o->seen['l']) {
		msg_error("logging in needs swiscsid, the session daemon, which swiscsiadm %s does "
			  "not have yet; run discovery without -l, the node records are kept",
			  SWISCSI_VERSION);
		return EXIT_OP_NOT_SUPP;
	}
	return check_type(o->type);
}

static int discover(const struct cli_opts *o, const struct portal *p, unsigned ops)
{
	struct record st;
	bool stored;
	int rc = load_or_new(p, &st, &stored);
	if (rc != EXIT_OK)
		return rc;
	/* any level above 1 prints the tree, as in iscsiadm */
	rc = discovery_perform(o, p, &st, ops, o->print_level < 1 ? 0 : 1);
	record_free(&st);
	return rc;
}

/* What both modes do first: the checks, the operations, and the portal. Returns an exit code
 * and sets *done when the command is complete already (a listing, or an error). */
static int prologue(const struct cli_opts *o, const char *mode, unsigned *given,
		    struct portal *p, bool *done)
{
	*done = true;
	int rc = common_checks(o, mode);
	if (rc == EXIT_OK)
		rc = parse_ops(o, given);
	if (rc != EXIT_OK)
		return rc;
	if (!o->type && !o->portal)
		return list(o);
	if ((rc = get_portal(o, p)) != EXIT_OK)
		return rc;
	*done = false;
	return EXIT_OK;
}

/* -m discoverydb -t isns: the records, never a run (swiscsi has no iSNS client). */
static int discoverydb_isns(const struct cli_opts *o, unsigned given, const struct portal *p)
{
	if (o->seen['D'] || (given & DOP_UPDATE))
		return isns_not_implemented();
	if (given & DOP_DELETE)
		return isns_delete(p);
	return given & DOP_NEW ? isns_new(p) : isns_show(p);
}

/* -m discovery -p P -o show|delete: iscsiadm's answer for a missing record differs from
 * discoverydb's (7, not 6). */
static bool stored_or_7(const struct portal *p)
{
	struct record r;
	char err[1024];
	if (discovery_load(p->address, p->port, &r, NULL, NULL, err, sizeof(err)) == 0) {
		record_free(&r);
		return true;
	}
	msg_error("Discovery record [%s,%d] not found!", p->address, p->port);
	return false;
}

int mode_discovery(const struct cli_opts *o)
{
	unsigned given;
	bool done;
	struct portal p;
	int rc = prologue(o, "discovery", &given, &p, &done);
	if (done)
		return rc;
	if (!o->type) {
		if (given & (DOP_NEW | DOP_UPDATE)) {
			msg_error("Operations new and update for discovery mode is not supported. "
				  "Use discoverydb mode.");
			return EXIT_INVAL;
		}
		if (!stored_or_7(&p))
			return EXIT_INVAL;
		return given & DOP_DELETE ? delete_record(&p) : show_record(o, &p);
	}
	if (is_isns(o->type))
		return isns_not_implemented();
	return discover(o, &p, discovery_ops(given));
}

int mode_discoverydb(const struct cli_opts *o)
{
	unsigned given;
	bool done;
	struct portal p;
	int rc = prologue(o, "discoverydb", &given, &p, &done);
	if (done)
		return rc;
	if (!o->type) {
		msg_error("Invalid command. Possibly missing discovery --type.");
		return EXIT_INVAL;
	}
	if (is_isns(o->type))
		return discoverydb_isns(o, given, &p);
	if (o->seen['D'])
		return discover(o, &p, discovery_ops(given));
	if (given & DOP_DELETE)
		return delete_record(&p);
	if (given & DOP_UPDATE)
		return update_record(o, &p);
	if (given & DOP_NEW) {
		struct record r;
		bool stored;
		if ((rc = load_or_new(&p, &r, &stored)) != EXIT_OK)
			return rc;
		if (!stored)
			rc = locked_change(&p, &r, false);
		record_free(&r);
		if (rc == EXIT_OK)
			printf("New discovery record for [%s,%d] added.\n", p.address, p.port);
		return rc;
	}
	return show_record(o, &p);
}
