/* The pieces of -m node: listing (node_list.c), operations (node_ops.c), and the record
 * builder discovery shares (node_build.c). */
#ifndef SWISCSI_NODE_MODES_H
#define SWISCSI_NODE_MODES_H

#include <stdbool.h>

#include "node_index.h"
#include "node_select.h"
#include "options.h"
#include "record.h"

int mode_node(const struct cli_opts *o);

/* -P 0: "addr:port,tpgt target" per record; -P 1: the tree. */
int node_list(const struct node_index *ix, int level);
/* Every selected record in full (secrets masked unless asked). 21 when none matched. */
int node_show(const struct node_index *ix, const struct node_selector *sel, bool secrets);

int node_op_new(const struct cli_opts *o, const struct node_selector *sel);
int node_op_update(const struct cli_opts *o, const struct node_selector *sel);
int node_op_delete(const struct node_selector *sel);

/* A new node record for target at address:port,tpgt bound to iface: iscsid.conf defaults, the
 * iface section, and the identity. Exit code; *out is filled on 0. */
int node_build(const char *target, const char *address, int port, int tpgt,
	       const struct record *iface, struct record *out);

/* The iface record for -I NAME ("default" when NULL), with the message printed when it cannot
 * be had. */
int node_iface(const char *name, struct record *out);

#endif
