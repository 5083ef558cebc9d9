/* Records of an unknown tpgt (-1) bound to more than one iface.
 *
 * open-iscsi keeps such a record as one file nodes/TARGET/ADDR,PORT, so it can hold one iface
 * only: iscsiadm 2.1.8 overwrites the first binding with the second. swiscsi keeps both: once
 * a second iface binds the portal, its records move to nodes/TARGET/ADDR,PORT,-1/IFACE, the
 * portal directory form, which iscsiadm lists and shows too. The caller holds the lock.
 *
 * Both forms of one portal can be on disk at once: iscsiadm writes the old-style file for a
 * record of tpgt -1 whatever directory is beside it. The file and ADDR,PORT,-1/IFACE of the
 * same iface are then one record, and the file is that record: it is where open-iscsi reads
 * and writes a tpgt -1 record (its login, update and delete never look into ADDR,PORT,-1/).
 * The copy in the directory is not listed nor read, and goes when the record is next written
 * or deleted. */
#ifndef SWISCSI_NODE_SHARED_PORTAL_H
#define SWISCSI_NODE_SHARED_PORTAL_H

#include <stdbool.h>
#include <stddef.h>

#include "node_index.h"

/* True when n (tpgt -1) lives in nodes/TARGET/ADDR,PORT,-1/IFACE rather than in the file:
 * that file exists and the old-style file does not hold n's iface. */
bool node_in_shared_portal(const struct node_ref *n);

/* Removes nodes/TARGET/ADDR,PORT,-1/IFACE of n (the copy the old-style file shadows, once that
 * file was written or deleted), and the directory when it becomes empty. */
void node_shared_portal_drop_copy(const struct node_ref *n);

/* Where a record n of tpgt -1 is to be written: the directory and entry name. Moves the
 * old-style file into ADDR,PORT,-1/ (under its own iface's name) when n binds another iface.
 * 0, or -1 with err set. */
int node_shared_portal_place(const struct node_ref *n, char *dir, size_t dirlen, char *name,
			     size_t namelen, char *err, size_t errlen);

#endif
