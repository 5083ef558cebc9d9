/* iscsiadm lists discovery records and the STATIC section of `-m discovery -P 1` in the order
 * readdir returns the directories (not sorted); these put swiscsi's sorted lists in that same
 * order, so that both tools print the same lines for the same database. */
#ifndef SWISCSI_DIR_ORDER_H
#define SWISCSI_DIR_ORDER_H

#include "discovery_db.h"
#include "node_index.h"

/* Reorders the records of DBROOT/subdir ("send_targets", "isns") as readdir finds their
 * directories. 0, or -1 (out of memory; l is left as it was). */
int dir_order_discovery(struct discovery_list *l, const char *subdir);

/* Reorders node records as readdir finds nodes/TARGET, then TARGET/PORTAL, then the iface
 * files. 0, or -1 (out of memory; ix is left as it was). */
int dir_order_nodes(struct node_index *ix);

#endif
