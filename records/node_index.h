/* A light index of the node records under DBROOT/nodes: which target and portal each one is
 * for and which iface it is bound to, read from the directory layout open-iscsi uses
 * (nodes/TARGET/ADDR,PORT,TPGT/IFACE, or the old-style file nodes/TARGET/ADDR,PORT). */
#ifndef SWISCSI_NODE_INDEX_H
#define SWISCSI_NODE_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

struct node_ref {
	char *target;
	char *address;   /* IPv6 without brackets, as on disk */
	int port;
	int tpgt;        /* -1 for old-style records */
	char *iface;
};

struct node_index {
	struct node_ref *v;
	size_t n;
};

/* Every node record, sorted by target, portal and iface as the directories sort. Entries that
 * do not look like records are reported through warn and skipped. 0, or -1 (out of memory). */
int node_index_load(struct node_index *out, record_warn_fn warn, void *warn_ctx);
/* The records of one target, reading nothing but nodes/TARGET and its portal directories: what
 * any question naming a target (-T) needs, at the same cost whatever the database holds.
 * Sorted and warned about as node_index_load does. 0, or -1 (out of memory). */
int node_index_load_target(struct node_index *out, const char *target, record_warn_fn warn,
			   void *warn_ctx);
void node_index_free(struct node_index *ix);
/* The iface an old-style record file (path) is bound to ("default" when it names none);
 * NULL when it cannot be read (errno says why). Free it. */
char *node_old_style_iface(const char *path);
/* Adds a copy of n. 0, or -1 (out of memory). */
int node_index_append(struct node_index *ix, const struct node_ref *n);

/* "addr:port,tpgt" with IPv6 addresses in brackets, into buf. */
void node_portal_text(const struct node_ref *n, char *buf, size_t len);
/* "addr:port" (IPv6 in brackets), followed by ",tpgt" when with_tpgt. */
void portal_format(const char *address, int port, int tpgt, bool with_tpgt, char *buf,
		   size_t len);

#endif
