/* The shared-subnet check of the binding preflight. When two NICs of this host have addresses
 * in one IPv4 subnet, the kernel's defaults let either NIC answer ARP for the other's address
 * (arp_ignore=0), announce the wrong source in ARP requests (arp_announce=0), and strict reverse
 * path filtering (rp_filter=1) drops replies that arrive on the "wrong" one. Any of these makes
 * traffic for one bound port arrive on or leave through the other. */
#ifndef SWISCSI_ARP_CHECK_H
#define SWISCSI_ARP_CHECK_H

#include "netdev.h"

typedef void (*arp_warn_fn)(const char *msg, void *arg);

/* Calls warn once per setting to change, naming the sysctl and the value to set. Returns the
 * number of warnings. */
int arp_check_shared_subnet(const struct netdev_list *l, const char *dev, arp_warn_fn warn,
			    void *arg);

#endif
