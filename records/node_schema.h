/* The node record (one per target portal and iface: nodes/TARGET/ADDR,PORT,TPGT/IFACE) and the
 * SendTargets discovery record (send_targets/ADDR,PORT/st_config), in open-iscsi 2.1.8's field
 * order and with its compiled-in defaults. */
#ifndef SWISCSI_NODE_SCHEMA_H
#define SWISCSI_NODE_SCHEMA_H

#include "record.h"

/* Built on first use (the iface section reuses the iface record's field definitions). */
const struct schema *node_schema(void);
extern const struct schema discovery_schema;

/* Copies the iface section (every iface.* setting) of an iface record into a node record. */
int node_set_iface(struct record *node, const struct record *iface);

#endif
