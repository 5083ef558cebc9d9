/* Records of an unknown tpgt (-1) bound to more than one iface.
 *
 * open-iscsi keeps such a record as one file nodes/TARGET/ADDR,PORT, so it can hold one iface
 * only: iscsiadm 2.1.8 overwrites the first binding with the second. swiscsi keeps both: once
 * a second iface binds the portal, its records move to nodes/TARGET/ADDR,PORT,-1/IFACE, the
 * portal directory form, which iscsiadm lists and shows too. The caller holds the lock. */
#ifndef SWISCSI_NODE_SHARED_PORTAL_H
#define SWISCSI_NODE_SHARED_PORTAL_H

#include <stdbool.h>
#include <stddef.h>

#include "node_index.h"

/* True when n (tpgt -1) lives in nodes/TARGET/ADDR,PORT,-1/IFACE rather than in the file. */
bool node_in_shared_portal(const struct node_ref *n);

/* Where a record n of tpgt -1 is to be written: the directory and entry name. Moves the
 * old-style file into ADDR,PORT,-1/ (under its own iface's name) when n binds another iface.
 * 0, or -1 with err set. */
int node_shared_portal_place(const struct node_ref *n, char *dir, size_t dirlen, char *name,
			     size_t namelen, char *err, size_t errlen);

#endif
