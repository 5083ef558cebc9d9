/* The iface record kind and the iSCSI transports an iface can name. */
#ifndef SWISCSI_IFACE_SCHEMA_H
#define SWISCSI_IFACE_SCHEMA_H

#include <stdbool.h>

#include "record.h"

extern const struct schema iface_schema;

/* Positions of the fields code reads directly (rows 0..6 of the table, in Red Hat's order). */
enum {
	IFACE_F_NAME = 0,
	IFACE_F_NETDEV = 1,
	IFACE_F_IPADDRESS = 2,
	IFACE_F_HWADDRESS = 4,
	IFACE_F_TRANSPORT = 5,
	IFACE_F_INITIATORNAME = 6,
};

enum field_group iface_ip_group(const char *name, const char *ipaddress);

struct transport_info {
	const char *name;
	bool offload;          /* needs a vendor's kernel driver (anything but tcp and iser) */
	const char *module;    /* kernel module that provides it, for messages */
};

/* NULL for a name open-iscsi does not know either. */
const struct transport_info *transport_lookup(const char *name);
bool transport_is_offload(const char *name);

#endif
