/* Network devices from getifaddrs(): one AF_PACKET entry per device carries its flags and MAC,
 * one AF_INET/AF_INET6 entry per address carries the address and netmask. */
#include "netdev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct netdev *find_or_add(struct netdev_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->devs[i].name, name) == 0)
			return &l->devs[i];
	struct netdev *grown = realloc(l->devs, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	l->devs = grown;
	struct netdev *d = &l->devs[l->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ifindex = if_nametoindex(name);
	return d;
}

static int mask_bits(const unsigned char *mask, size_t len)
{
	int bits = 0;
	for (size_t i = 0; i < len; i++)
		bits += __builtin_popcount(mask[i]);
	return bits;
}

static void add_address(struct netdev *d, const struct ifaddrs *ifa)
{
	if (d->naddrs >= NETDEV_MAX_ADDRS)
		return;
	struct net_addr *a = &d->addrs[d->naddrs];
	if (ifa->ifa_addr->sa_family == AF_INET) {
		a->family = AF_INET;
		a->a.v4 = ((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
		a->prefix_len = ifa->ifa_netmask ? mask_bits((const unsigned char *)
			&((const struct sockaddr_in *)ifa->ifa_netmask)->sin_addr, 4) : 32;
	} else {
		a->family = AF_INET6;
		a->a.v6 = ((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
		a->prefix_len = ifa->ifa_netmask ? mask_bits((const unsigned char *)
			&((const struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr, 16) : 128;
	}
	d->naddrs++;
}

int netdev_list_load(struct netdev_list *l)
{
	memset(l, 0, sizeof(*l));
	struct ifaddrs *all;
	if (getifaddrs(&all) < 0)
		return -errno;
	for (const struct ifaddrs *ifa = all; ifa; ifa = ifa->ifa_next) {
		struct netdev *d = find_or_add(l, ifa->ifa_name);
		if (!d) {
			freeifaddrs(all);
			netdev_list_free(l);
			return -ENOMEM;
		}
		d->up = ifa->ifa_flags & IFF_UP;
		d->carrier = ifa->ifa_flags & IFF_RUNNING;
		d->loopback = ifa->ifa_flags & IFF_LOOPBACK;
		if (!ifa->ifa_addr)
			continue;
		int family = ifa->ifa_addr->sa_family;
		if (family == AF_PACKET) {
			const struct sockaddr_ll *ll = (const struct sockaddr_ll *)ifa->ifa_addr;
			if (ll->sll_halen == 6) {
				memcpy(d->mac, ll->sll_addr, 6);
				d->has_mac = true;
			}
		} else if (family == AF_INET || family == AF_INET6) {
			add_address(d, ifa);
		}
	}
	freeifaddrs(all);
	return 0;
}

void netdev_list_free(struct netdev_list *l)
{
	free(l->devs);
	l->devs = NULL;
	l->n = 0;
}

const struct netdev *netdev_by_name(const struct netdev_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->devs[i].name, name) == 0)
			return &l->devs[i];
	return NULL;
}

const struct netdev *netdev_by_mac(const struct netdev_list *l, const char *mac)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct netdev *d = &l->devs[i];
		if (!d->has_mac)
			continue;
		char text[18];
		snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1],
			 d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
		if (strcasecmp(text, mac) == 0)
			return d;
	}
	return NULL;
}

static bool parse_address(const char *ip, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, ip, &out->a.v4) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, ip, &out->a.v6) == 1) {
		out->family = AF_INET6;
		return true;
	}
	return false;
}

static bool addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	if (a->family != b->family)
		return false;
	return a->family == AF_INET ? a->a.v4.s_addr == b->a.v4.s_addr
				    : memcmp(&a->a.v6, &b->a.v6, sizeof(a->a.v6)) == 0;
}

const struct netdev *netdev_by_address(const struct netdev_list *l, const char *ip)
{
	struct net_addr want;
	if (!parse_address(ip, &want))
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		for (int k = 0; k < l->devs[i].naddrs; k++)
			if (addr_equal(&l->devs[i].addrs[k], &want))
				return &l->devs[i];
	return NULL;
}

const struct net_addr *netdev_first_address(const struct netdev *d, int family)
{
	for (int k = 0; k < d->naddrs; k++)
		if (d->addrs[k].family == family)
			return &d->addrs[k];
	return NULL;
}

bool net_addr_same_subnet(const struct net_addr *a, const struct net_addr *b, int prefix_len)
{
	if (a->family != b->family)
		return false;
	const unsigned char *x = a->family == AF_INET ? (const unsigned char *)&a->a.v4
						      : (const unsigned char *)&a->a.v6;
	const unsigned char *y = a->family == AF_INET ? (const unsigned char *)&b->a.v4
						      : (const unsigned char *)&b->a.v6;
	int bytes = prefix_len / 8, rest = prefix_len % 8;
	if (memcmp(x, y, (size_t)bytes) != 0)
		return false;
	if (!rest)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (x[bytes] & mask) == (y[bytes] & mask);
}

const char *net_addr_text(const struct net_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, &a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
