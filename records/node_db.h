/* Node records on disk, in open-iscsi's layout:
 *   nodes/TARGET/ADDR,PORT,TPGT/IFACE         one record per portal and iface
 *   nodes/TARGET/ADDR,PORT                    old style (tpgt unknown), one record
 *   send_targets/ADDR,PORT/TARGET,ADDR,PORT,TPGT,IFACE -> the portal directory (discovered)
 *   static/TARGET,ADDR,PORT,TPGT,IFACE         -> the portal directory (-m node -o new)
 * The caller holds the database lock for every change. */
#ifndef SWISCSI_NODE_DB_H
#define SWISCSI_NODE_DB_H

#include <stddef.h>

#include "node_index.h"
#include "record.h"

/* 0 when every name of n is one safe path component (names.h), else -1 with err set. Every
 * function below checks it before it joins a path. */
int node_ref_check(const struct node_ref *n, char *err, size_t errlen);

/* The file of a node record. */
void node_file_path(const struct node_ref *n, char *buf, size_t len);

/* Reads the record of n. 0, or -1 with errno and err set. */
int node_load(const struct node_ref *n, struct record *out, record_warn_fn warn, void *warn_ctx,
	      char *err, size_t errlen);

/* Writes r (its node.name, node.tpgt, node.conn[0].address/port and iface.iscsi_ifacename say
 * where) and, for tpgt >= 0, the link in DBROOT/link_dir ("static" or
 * "send_targets/ADDR,PORT"; NULL: none). 0, or -1 with err set. */
int node_store(const struct record *r, const char *link_dir, char *err, size_t errlen);

/* Removes the record of n, its links and the directories that become empty. */
int node_delete(const struct node_ref *n, record_warn_fn warn, void *warn_ctx);

/* n's identity from a record's values; strings point into r. */
void node_ref_of(const struct record *r, struct node_ref *n);

#endif
