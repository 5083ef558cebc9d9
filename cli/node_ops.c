/* -m node -o new | update | delete. Every change happens under the database lock; an update is
 * checked whole before any record is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli_lock.h"
#include "db_paths.h"
#include "exit_codes.h"
#include "iface_schema.h"
#include "msg.h"
#include "names.h"
#include "node_db.h"
#include "node_modes.h"
#include "node_schema.h"
#include "validate.h"

/* The tpgt of an existing portal directory of this target and portal, else -1 (old style). */
static int known_tpgt(const struct node_index *ix, const char *target, const struct portal *p)
{
	for (size_t i = 0; i < ix->n; i++)
		if (strcmp(ix->v[i].target, target) == 0 && ix->v[i].tpgt >= 0 &&
		    address_equal(ix->v[i].address, p->address) && ix->v[i].port == p->port)
			return ix->v[i].tpgt;
	return -1;
}

static void print_added(const struct record *r)
{
	printf("New iSCSI node [%s:[hw=%s,ip=%s,net_if=%s,iscsi_if=%s] %s,%s,%s %s] added\n",
	       record_get(r, "iface.transport_name"), record_get(r, "iface.hwaddress"),
	       record_get(r, "iface.ipaddress"), record_get(r, "iface.net_ifacename"),
	       record_get(r, "iface.iscsi_ifacename"), record_get(r, "node.conn[0].address"),
	       record_get(r, "node.conn[0].port"), record_get(r, "node.tpgt"),
	       record_get(r, "node.name"));
}

/* Writes one static record from the defaults. Like iscsiadm, -o new on an existing record
 * starts it again from the defaults: asking for a new record is how users get them back. */
static int add_one(const char *target, const char *address, int port, int tpgt,
		   const struct record *iface)
{
	struct record r;
	int rc = node_build(target, address, port, tpgt, iface, &r);
	if (rc != EXIT_OK)
		return rc;
	char err[1024];
	if (record_set(&r, "node.discovery_type", "static") < 0 ||
	    node_store(&r, "static", err, sizeof(err)) < 0) {
		msg_error("Error while adding record: %s", err);
		record_free(&r);
		return EXIT_IDBM;
	}
	print_added(&r);
	record_free(&r);
	return EXIT_OK;
}

static bool same_portal(const struct node_ref *a, const struct node_ref *b)
{
	return !strcmp(a->target, b->target) && !strcmp(a->address, b->address) &&
	       a->port == b->port && a->tpgt == b->tpgt;
}

/* -o new with -T or -p missing (-I alone, or nothing at all): iscsiadm binds every known
 * target portal the given options match to the iface (-I, else default), one fresh record per
 * portal, keeping the portal's tpgt (a ,TPGT in -p is not used). A portal already bound to
 * that iface starts again from the defaults, as a full -o new on it would. No portal matching:
 * iscsiadm's empty-reasoned error, and still exit 0. The index holds the records of one portal
 * side by side (one directory), so one pass over the runs will do. */
static int bind_matching(const struct node_index *ix, const struct node_selector *sel,
			 const struct record *iface)
{
	struct node_selector portals = *sel;
	portals.iface = NULL;   /* the iface to bind, not a filter */
	int rc = EXIT_OK, added = 0;
	for (size_t i = 0, end; i < ix->n && rc == EXIT_OK; i = end) {
		for (end = i + 1; end < ix->n && same_portal(&ix->v[i], &ix->v[end]); end++)
			;
		if (!node_selected(&portals, &ix->v[i]))
			continue;
		rc = add_one(ix->v[i].target, ix->v[i].address, ix->v[i].port, ix->v[i].tpgt, iface);
		added++;
	}
	if (rc == EXIT_OK && !added)
		msg_error("Error while adding record: ");
	return rc;
}

int node_op_new(const struct cli_opts *o, const struct node_selector *sel)
{
	(void)o;
	char err[512];
	bool complete = sel->target && sel->has_portal;
	if (complete && !iscsi_name_is_valid(sel->target, err, sizeof(err))) {
		msg_error("Error while adding record: %s", err);
		return EXIT_INVAL;
	}
	struct record iface;
	int rc = node_iface(sel->iface, &iface);
	if (rc != EXIT_OK)
		return rc;
	/* read under the lock: a discovery running meanwhile may add the portal directory whose
	 * tpgt this record must join. -T: the target's own portals; otherwise every record, to
	 * find the portals to bind */
	struct node_index ix = { 0 };
	int lock = cli_lock();
	if (lock < 0) {
		rc = EXIT_IDBM;
	} else if ((rc = node_selection_load(sel, &ix)) != EXIT_OK) {
		/* reported by node_selection_load */
	} else if (complete) {
		int tpgt = sel->portal.has_tpgt ? sel->portal.tpgt
						: known_tpgt(&ix, sel->target, &sel->portal);
		rc = add_one(sel->target, sel->portal.address, sel->portal.port, tpgt, &iface);
	} else {
		rc = bind_matching(&ix, sel, &iface);
	}
	db_unlock(lock);
	node_index_free(&ix);
	record_free(&iface);
	return rc;
}

static bool field_is_enum(const struct field_def *f)
{
	switch (f->check) {
	case FC_STARTUP: case FC_DSTARTUP: case FC_YESNO: case FC_AUTHMETHOD: case FC_DIGEST:
	case FC_DISCOVERY_TYPE: case FC_DISCOVERY_KIND: case FC_SCAN:
		return true;
	default:
		return false;
	}
}

/* iscsiadm's rules for what -o update may change, with its messages. */
static int check_param(const struct schema *s, const char *key, const char *value)
{
	int i = schema_find(s, key);
	if (i < 0) {
		msg_error("Cannot modify %s. Invalid param name.", key);
		msg_error("Could not execute operation on all records: invalid parameter");
		return EXIT_INVAL;
	}
	const struct field_def *f = &s->fields[i];
	if (strncmp(key, "iface.", 6) == 0 && strcmp(key, "iface.transport_name") != 0) {
		msg_error("Cannot modify %s. Use iface mode to update this value.", key);
		return EXIT_INVAL;
	}
	if (f->flags & FF_READONLY) {
		msg_error("Cannot modify %s. It is used to look up the record and cannot be changed.",
			  key);
		msg_error("Could not execute operation on all records: invalid parameter");
		return EXIT_INVAL;
	}
	char err[512];
	if (!value_is_valid(f, value, err, sizeof(err))) {
		if (field_is_enum(f)) {   /* iscsiadm's words for a value not in the list */
			msg_error("unknown value format '%s' for parameter name '%s'", value, key);
			msg_error("Unknown parameter %s.", key);
		} else {
			msg_error("%s", err);
		}
		msg_error("Could not execute operation on all records: invalid parameter");
		return EXIT_INVAL;
	}
	return EXIT_OK;
}

/* node.transport_name is iscsiadm's old name of iface.transport_name. */
static const char *canonical_key(const char *key)
{
	return strcmp(key, "node.transport_name") == 0 ? "iface.transport_name" : key;
}

static int update_one(const struct node_ref *n, const void *arg)
{
	const struct cli_opts *o = arg;
	struct record r;
	char err[1024];
	if (node_load(n, &r, msg_warn_cb, NULL, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return EXIT_IDBM;
	}
	int rc = EXIT_OK;
	for (int i = 0; i < o->nparams && rc == EXIT_OK; i++)
		if (record_set(&r, canonical_key(o->params[i].name), o->params[i].value) < 0)
			rc = EXIT_NOMEM;
	if (rc == EXIT_OK && node_store(&r, NULL, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		rc = EXIT_IDBM;
	}
	record_free(&r);
	return rc;
}

static int delete_one(const struct node_ref *n, const void *arg)
{
	(void)arg;
	return node_delete(n, msg_warn_cb, NULL) < 0 ? EXIT_IDBM : EXIT_OK;
}

/* Runs fn on every selected record under the lock; the first error is the result, and no
 * match at all is iscsiadm's "No records found" (21). */
static int for_each_selected(const struct node_selector *sel,
			     int (*fn)(const struct node_ref *n, const void *arg), const void *arg)
{
	struct node_index ix;
	int rc = node_selection_load(sel, &ix);
	if (rc != EXIT_OK)
		return rc;
	int lock = cli_lock(), matched = 0;
	rc = lock < 0 ? EXIT_IDBM : EXIT_OK;
	for (size_t i = 0; lock >= 0 && i < ix.n; i++) {
		if (!node_selected(sel, &ix.v[i]))
			continue;
		matched++;
		int r1 = fn(&ix.v[i], arg);
		if (rc == EXIT_OK)
			rc = r1;
	}
	db_unlock(lock);
	node_index_free(&ix);
	if (rc == EXIT_OK && !matched) {
		msg_error("No records found");
		return EXIT_NO_OBJS_FOUND;
	}
	return rc;
}

int node_op_update(const struct cli_opts *o, const struct node_selector *sel)
{
	if (!o->nparams) {
		msg_error("update requires name and value");   /* iscsiadm's node-mode words */
		return EXIT_INVAL;
	}
	const struct schema *s = node_schema();
	for (int i = 0; i < o->nparams; i++) {
		int rc = check_param(s, canonical_key(o->params[i].name), o->params[i].value);
		if (rc != EXIT_OK)
			return rc;
	}
	return for_each_selected(sel, update_one, o);
}

int node_op_delete(const struct node_selector *sel)
{
	return for_each_selected(sel, delete_one, NULL);
}
