/* Removing the node records bound to an iface (what deleting an iface implies). */
#ifndef SWISCSI_NODE_UNBIND_H
#define SWISCSI_NODE_UNBIND_H

#include "record.h"

/* Deletes every node record bound to iface, with its send_targets/ and static/ links, and the
 * portal and target directories that become empty. The caller holds db_lock. 0, or -1 when a
 * record could not be removed (reported through warn). */
int node_unbind_iface(const char *iface, record_warn_fn warn, void *warn_ctx);

/* Rewrites the iface section of every node record bound to iface with iface's values (what
 * updating an iface implies, as in iscsiadm). The caller holds db_lock. 0, or -1 when a record
 * could not be rewritten (reported through warn). */
int node_refresh_iface(const struct record *iface, record_warn_fn warn, void *warn_ctx);

#endif
