/* What a connection through an iface needs before it is opened, shared by discovery (the CLI)
 * and session logins (swiscsid) so that an iface means the same thing for both: the transport
 * must be software (tcp), the binding is resolved by net_binding_resolve (as the ping preflight
 * does), and the initiator name is iface.initiatorname or else the default one. */
#ifndef SWISCSI_IFACE_CONN_H
#define SWISCSI_IFACE_CONN_H

#include <stddef.h>

#include "binding.h"
#include "netdev.h"

enum iface_conn_failure {
	IFACE_CONN_OK,
	IFACE_CONN_TRANSPORT,  /* offload or iser: needs a kernel driver (exit 12) */
	IFACE_CONN_BINDING,    /* the binding cannot be resolved (exit 4) */
	IFACE_CONN_INITIATOR,  /* no initiator name anywhere (exit 20) */
	IFACE_CONN_SYSTEM,     /* the devices cannot be listed (exit 1) */
};

/* The iface settings a connection uses; NULL or "" means unset. */
struct iface_conn_spec {
	const char *name;
	const char *transport;
	const char *netdev, *hwaddress, *ipaddress;
	const char *initiatorname;
};

struct iface_conn {
	struct netdev_list devs;   /* one look at the devices: the binding and naming the one used */
	struct net_binding binding;
	char initiator[256];
};

/* Fills c. Returns IFACE_CONN_OK, or the failure with a sentence naming the iface in err (for
 * IFACE_CONN_INITIATOR only the reason, the caller says what could not be done). */
enum iface_conn_failure iface_conn_prepare(const struct iface_conn_spec *spec,
					   struct iface_conn *c, char *err, size_t errlen);
void iface_conn_free(struct iface_conn *c);

/* The device holding address (our side of a connection), "?" when none does. */
void iface_conn_device_of(const struct iface_conn *c, const char *address, char *dev, size_t len);

/* The binding as swi_options wants it: NULL when unset. */
const char *iface_conn_bind_dev(const struct iface_conn *c);
const char *iface_conn_bind_source(const struct iface_conn *c);

#endif
