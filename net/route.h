/* Asks the kernel's routing table (rtnetlink RTM_GETROUTE) which device and source address it
 * would use for a destination when nothing is bound. */
#ifndef SWISCSI_ROUTE_H
#define SWISCSI_ROUTE_H

#include <net/if.h>
#include <sys/socket.h>

struct route_choice {
	char dev[IF_NAMESIZE];
	char source[64];      /* preferred source address, empty when the kernel gave none */
	char gateway[64];     /* next hop, empty when the destination is on-link */
};

/* dst is a struct sockaddr_in or sockaddr_in6; oif, when not 0, asks what happens when the
 * socket is bound to that device. Returns 0, or -errno (-ENETUNREACH when no route matches). */
int route_lookup(const struct sockaddr *dst, unsigned oif, struct route_choice *out);

#endif
