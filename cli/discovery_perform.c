/* A SendTargets discovery: once per iface, each answer bound to its iface as node records.
 * Nothing is written for an iface whose discovery failed; the settings users changed on
 * existing node records survive a re-discovery, unlike iscsiadm 2.1.8, which resets them
 * (DIFFERENCES FROM ISCSIADM in swiscsiadm(8)). */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli_lock.h"
#include "db_paths.h"
#include "discovery_db.h"
#include "discovery_modes.h"
#include "discovery_run.h"
#include "discovery_screen.h"
#include "exit_codes.h"
#include "iface_db.h"
#include "iface_schema.h"
#include "modes.h"
#include "msg.h"
#include "node_db.h"
#include "node_modes.h"
#include "node_schema.h"
#include "validate.h"
#include "portal_text.h"

struct iface_run {
	struct record iface;
	struct discovery_outcome out;
	int rc;
};

/* -I names, else every software (tcp) iface of the database but default, else default. Ifaces
 * that cannot be read are dropped with iscsiadm's message. */
static int choose_ifaces(const struct cli_opts *o, struct iface_run **runs, size_t *n)
{
	*runs = calloc(OPT_MAX_IFACES, sizeof(**runs));
	*n = 0;
	if (!*runs)
		return EXIT_NOMEM;
	for (int i = 0; i < o->nifaces; i++) {
		char err[512];
		if (!iface_name_is_valid(o->ifaces[i], err, sizeof(err))) {
			msg_error("%s", err);
			return EXIT_INVAL;   /* the caller frees *runs */
		}
	}
	for (int i = 0; i < o->nifaces; i++) {
		if (iface_get_quiet(o->ifaces[i], &(*runs)[*n].iface) == EXIT_OK)
			(*n)++;
		else
			msg_error("Could not read iface info for %s. Make sure an iface config with "
				  "the file name and iface.iscsi_ifacename %s is in %s/ifaces.",
				  o->ifaces[i], o->ifaces[i], db_root());
	}
	if (o->nifaces)
		return *n ? EXIT_OK : EXIT_NO_OBJS_FOUND;
	struct iface_set all;
	unsigned nbad;
	if (iface_load_all(&all, msg_warn_cb, NULL, &nbad) < 0)
		return EXIT_NOMEM;
	for (size_t i = 0; i < all.n && *n < OPT_MAX_IFACES; i++) {
		const struct record *r = &all.v[i];
		if (iface_is_builtin(r->values[IFACE_F_NAME]) ||
		    strcmp(r->values[IFACE_F_TRANSPORT], "tcp") != 0)
			continue;
		if (record_copy(&(*runs)[*n].iface, r) < 0) {
			iface_set_free(&all);
			return EXIT_NOMEM;
		}
		(*n)++;
	}
	iface_set_free(&all);
	if (!*n) {
		if (iface_get("default", &(*runs)[0].iface) != EXIT_OK)
			return EXIT_NOMEM;
		*n = 1;
	}
	return EXIT_OK;
}

/* "addr:port,tpgt" from a TargetAddress; a target that gave none is reached at the discovery
 * portal with an unknown tpgt (an old-style record). */
static void target_portal(const struct swi_target *t, size_t k, const struct portal *disc,
			  struct portal *out)
{
	if (!t->nportals || !portal_parse(t->portals[k], 3260, out))
		*out = (struct portal){ .port = disc->port, .tpgt = -1 };
	if (!t->nportals)
		snprintf(out->address, sizeof(out->address), "%s", disc->address);
}

static size_t nportals(const struct swi_target *t)
{
	return t->nportals ? t->nportals : 1;
}

/* A record for a discovered portal: fresh from the defaults when new; an existing one keeps
 * every setting and only has its iface section and discovery origin refreshed. */
static int save_node(const struct swi_target *t, const struct portal *np, const struct portal *disc,
		     const struct record *iface, unsigned ops)
{
	struct record r;
	struct node_ref ref = { .target = t->name, .address = (char *)np->address, .port = np->port,
				.tpgt = np->tpgt, .iface = iface->values[IFACE_F_NAME] };
	char err[1024], dport[16], link[400];
	bool exists = node_load(&ref, &r, msg_warn_cb, NULL, err, sizeof(err)) == 0;
	if (exists && !(ops & DOP_UPDATE)) {
		record_free(&r);
		return EXIT_OK;
	}
	if (!exists && !(ops & (DOP_NEW | DOP_UPDATE)))
		return EXIT_OK;
	if (!exists) {
		int rc = node_build(t->name, np->address, np->port, np->tpgt, iface, &r);
		if (rc != EXIT_OK)
			return rc;
	}
	snprintf(dport, sizeof(dport), "%d", disc->port);
	discovery_link_dir(disc->address, disc->port, link, sizeof(link));
	int rc = EXIT_OK;
	if (node_set_iface(&r, iface) < 0 ||
	    record_set(&r, "node.discovery_address", disc->address) < 0 ||
	    record_set(&r, "node.discovery_port", dport) < 0 ||
	    record_set(&r, "node.discovery_type", "send_targets") < 0) {
		rc = EXIT_NOMEM;
	} else if (node_store(&r, link, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		rc = EXIT_IDBM;
	}
	record_free(&r);
	return rc;
}

static bool was_returned(const struct node_ref *n, const struct swi_target_list *l,
			 const struct portal *disc)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, n->target) != 0)
			continue;
		for (size_t k = 0; k < nportals(&l->v[i]); k++) {
			struct portal p;
			target_portal(&l->v[i], k, disc, &p);
			if (strcmp(p.address, n->address) == 0 && p.port == n->port &&
			    p.tpgt == n->tpgt)
				return true;
		}
	}
	return false;
}

/* -o delete: records this discovery portal made for this iface that the target no longer
 * reports. Other ifaces' records stay (2.1.8 deletes them too). */
static int delete_stale(const struct iface_run *run, const struct portal *disc)
{
	char link[400];
	struct node_index ix;
	discovery_link_dir(disc->address, disc->port, link, sizeof(link));
	if (link_dir_nodes(link, &ix) < 0)
		return EXIT_NOMEM;
	int rc = EXIT_OK;
	for (size_t i = 0; i < ix.n; i++)
		if (strcmp(ix.v[i].iface, run->iface.values[IFACE_F_NAME]) == 0 &&
		    !was_returned(&ix.v[i], &run->out.targets, disc) &&
		    node_delete(&ix.v[i], msg_warn_cb, NULL) < 0)
			rc = EXIT_IDBM;
	node_index_free(&ix);
	return rc;
}

static int persist(struct iface_run *runs, size_t n, const struct portal *disc,
		   const struct record *st_config, unsigned ops)
{
	char err[1024];
	int lock = cli_lock();
	if (lock < 0)
		return EXIT_IDBM;
	int rc = EXIT_OK;
	if (discovery_store(st_config, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		rc = EXIT_IDBM;
	}
	for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
		if (runs[i].rc != EXIT_OK)
			continue;
		const struct swi_target_list *l = &runs[i].out.targets;
		for (size_t t = 0; t < l->n && rc == EXIT_OK; t++) {
			for (size_t k = 0; k < nportals(&l->v[t]) && rc == EXIT_OK; k++) {
				struct portal np;
				target_portal(&l->v[t], k, disc, &np);
				rc = save_node(&l->v[t], &np, disc, &runs[i].iface, ops);
			}
		}
		if (rc == EXIT_OK && (ops & DOP_DELETE))
			rc = delete_stale(&runs[i], disc);
	}
	db_unlock(lock);
	return rc;
}

static void print_results(const struct iface_run *runs, size_t n, const struct portal *disc,
			  int level)
{
	for (size_t i = 0; i < n; i++) {
		if (runs[i].rc != EXIT_OK)
			continue;
		const struct swi_target_list *l = &runs[i].out.targets;
		for (size_t t = 0; t < l->n; t++) {
			if (level == 1)
				printf("Target: %s\n", l->v[t].name);
			for (size_t k = 0; k < nportals(&l->v[t]); k++) {
				struct portal p;
				char text[400];
				target_portal(&l->v[t], k, disc, &p);
				portal_text(p.address, p.port, p.tpgt, true, text, sizeof(text));
				/* which address and device the discovery really used, in the
				 * words of iscsiadm's session listing */
				if (level == 1)
					printf("\tPortal: %s\n\t\tIface Name: %s\n"
					       "\t\tIface IPaddress: %s\n\t\tIface Netdev: %s\n",
					       text, runs[i].iface.values[IFACE_F_NAME],
					       runs[i].out.local_address, runs[i].out.used_dev);
				else
					printf("%s %s\n", text, l->v[t].name);
			}
		}
	}
}

/* iscsiadm's answer to a portal whose name does not resolve: no portals (21), not a bad
 * argument; checked once here rather than once per iface. */
static bool resolves(const char *address)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int e = getaddrinfo(address, NULL, &hints, &res);
	if (e != 0) {
		msg_error("Cannot resolve host %s: %s", address, gai_strerror(e));
		return false;
	}
	freeaddrinfo(res);
	return true;
}

static size_t targets_found(const struct iface_run *runs, size_t n)
{
	size_t found = 0;
	for (size_t i = 0; i < n; i++)
		if (runs[i].rc == EXIT_OK)
			found += runs[i].out.targets.n;
	return found;
}

/* Every iface is tried even when one fails, so that one unreachable path costs the others
 * nothing. The discovery record and node records are written only when an iface got an
 * answer (an empty one included): a discovery that reached nothing changes nothing, where
 * iscsiadm leaves an st_config behind. */
int discovery_perform(const struct cli_opts *o, const struct portal *p, struct record *st_config,
		      unsigned ops, int level)
{
	struct iface_run *runs;
	size_t n;
	int rc = choose_ifaces(o, &runs, &n);
	int first_error = EXIT_OK, answered = 0;
	bool reachable = rc == EXIT_OK && resolves(p->address);
	for (size_t i = 0; reachable && i < n; i++) {
		runs[i].rc = discovery_run(&runs[i].iface, st_config, p->address, p->port,
					   &runs[i].out);
		if (runs[i].rc == EXIT_OK) {
			discovery_screen(&runs[i].out.targets, p->address);
			answered++;
		}
		else if (first_error == EXIT_OK)
			first_error = runs[i].rc;
	}
	if (!reachable)
		for (size_t i = 0; runs && i < n; i++)
			runs[i].rc = EXIT_NO_OBJS_FOUND;
	if (rc == EXIT_OK && answered && !(ops & DOP_NONPERSISTENT))
		rc = persist(runs, n, p, st_config, ops);
	if (rc == EXIT_OK)
		print_results(runs, n, p, level);
	size_t found = runs ? targets_found(runs, n) : 0;
	for (size_t i = 0; runs && i < n; i++) {
		record_free(&runs[i].iface);
		swi_target_list_free(&runs[i].out.targets);
	}
	free(runs);
	if (rc != EXIT_OK)
		return rc;
	if (!found && first_error == EXIT_OK) {
		msg_error("No portals found");
		return EXIT_NO_OBJS_FOUND;
	}
	/* an iface that failed is reported by its exit code even when others succeeded */
	return first_error;
}
