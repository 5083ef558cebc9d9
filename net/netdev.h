/* The network devices of this host (of the network namespace the process runs in), as the
 * binding preflight needs them: name, index, state, MAC and addresses. */
#ifndef SWISCSI_NETDEV_H
#define SWISCSI_NETDEV_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#define NETDEV_MAX_ADDRS 16

struct net_addr {
	int family;                 /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	int prefix_len;
};

struct netdev {
	char name[IF_NAMESIZE];
	unsigned ifindex;
	bool up;                    /* IFF_UP: administratively up */
	bool carrier;               /* IFF_RUNNING: the link is there */
	bool loopback;
	bool has_mac;
	unsigned char mac[6];
	int naddrs;
	struct net_addr addrs[NETDEV_MAX_ADDRS];
};

struct netdev_list {
	struct netdev *devs;
	size_t n;
};

/* Reads every device with getifaddrs(). Returns 0, or -errno. */
int netdev_list_load(struct netdev_list *l);
void netdev_list_free(struct netdev_list *l);

const struct netdev *netdev_by_name(const struct netdev_list *l, const char *name);
/* mac is "aa:bb:cc:dd:ee:ff" in any letter case. */
const struct netdev *netdev_by_mac(const struct netdev_list *l, const char *mac);
/* The device that holds this address (IPv4 or IPv6 text). */
const struct netdev *netdev_by_address(const struct netdev_list *l, const char *ip);
/* The first address of the given family on the device, or NULL. */
const struct net_addr *netdev_first_address(const struct netdev *d, int family);

/* true when a and b are in the same network under prefix_len bits. */
bool net_addr_same_subnet(const struct net_addr *a, const struct net_addr *b, int prefix_len);
/* "10.0.0.1" / "fd00::1" into buf. */
const char *net_addr_text(const struct net_addr *a, char *buf, size_t len);

#endif
