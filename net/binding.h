/* Which network device an iface sends through: iface.net_ifacename, else the device whose MAC is
 * iface.hwaddress, else (software ifaces only) the device holding iface.ipaddress, else none and
 * the routing table decides. Used by the ping preflight and by session logins alike, so a
 * binding means the same thing everywhere. */
#ifndef SWISCSI_BINDING_H
#define SWISCSI_BINDING_H

#include <stddef.h>

#include "netdev.h"

enum bind_how {
	BIND_NONE,      /* the routing table decides */
	BIND_NETDEV,    /* iface.net_ifacename */
	BIND_MAC,       /* iface.hwaddress */
	BIND_SOURCE,    /* iface.ipaddress (swiscsi extension for software ifaces) */
};

struct net_binding {
	enum bind_how how;
	char dev[IF_NAMESIZE];            /* empty for BIND_NONE */
	unsigned ifindex;
	char source[64];                  /* iface.ipaddress when set, else empty */
};

/* Resolves the binding from the three iface settings (NULL, "" and "default" mean unset).
 * Returns 0, or -1 with a message naming the setting and its value in err: a device that does
 * not exist, a MAC no device has, a device that is down, has no link or no address, an address
 * no device holds, or settings that contradict each other. */
int net_binding_resolve(const struct netdev_list *l, const char *netdev, const char *hwaddress,
			const char *ipaddress, struct net_binding *b, char *err, size_t errlen);

/* "by iface.net_ifacename" and the like, for messages. */
const char *net_binding_how_text(enum bind_how how);

#endif
