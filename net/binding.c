#include "binding.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *setting(const char *v)
{
	return v && v[0] && strcmp(v, "default") != 0 && strcmp(v, "<empty>") != 0 ? v : NULL;
}

static int usable(const struct netdev *d, const char *key, const char *value, char *err,
		  size_t errlen)
{
	if (!d->up) {
		snprintf(err, errlen, "network device %s (%s = %s) is down", d->name, key, value);
		return -1;
	}
	if (!d->carrier) {
		snprintf(err, errlen, "network device %s (%s = %s) has no link", d->name, key, value);
		return -1;
	}
	if (!d->naddrs) {
		snprintf(err, errlen, "network device %s (%s = %s) has no IP address", d->name, key,
			 value);
		return -1;
	}
	return 0;
}

static void mac_text(const struct netdev *d, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1], d->mac[2],
		 d->mac[3], d->mac[4], d->mac[5]);
}

/* Whether two entries are one device, an alias ("eth0:1") counting as its base ("eth0"). */
static bool same_device(const struct netdev *a, const struct netdev *b)
{
	size_t la = strcspn(a->name, ":"), lb = strcspn(b->name, ":");
	return la == lb && strncmp(a->name, b->name, la) == 0;
}

/* An alias ("eth0:1", an address label) is its base device plus the alias's address as the
 * source: the kernel binds sockets to devices, not to labels. */
static int bind_device(const struct netdev_list *l, const struct netdev *d, struct net_binding *b,
		       char *err, size_t errlen)
{
	const char *colon = strchr(d->name, ':');
	if (!colon) {
		snprintf(b->dev, sizeof(b->dev), "%s", d->name);
		b->ifindex = d->ifindex;
		return 0;
	}
	char base_name[IF_NAMESIZE];
	snprintf(base_name, sizeof(base_name), "%.*s", (int)(colon - d->name), d->name);
	const struct netdev *base = netdev_by_name(l, base_name);
	if (!base) {
		snprintf(err, errlen, "alias %s: no network device %s", d->name, base_name);
		return -1;
	}
	snprintf(b->dev, sizeof(b->dev), "%s", base->name);
	b->ifindex = base->ifindex;
	if (!b->source[0])
		net_addr_text(&d->addrs[0], b->source, sizeof(b->source));
	return 0;
}

int net_binding_resolve(const struct netdev_list *l, const char *netdev, const char *hwaddress,
			const char *ipaddress, struct net_binding *b, char *err, size_t errlen)
{
	memset(b, 0, sizeof(*b));
	netdev = setting(netdev);
	hwaddress = setting(hwaddress);
	ipaddress = setting(ipaddress);
	const struct netdev *d = NULL;
	const char *key = NULL, *value = NULL;

	if (netdev) {
		d = netdev_by_name(l, netdev);
		if (!d) {
			snprintf(err, errlen, "iface.net_ifacename = %s: no such network device",
				 netdev);
			return -1;
		}
		if (hwaddress) {
			char mac[18];
			mac_text(d, mac);
			if (!d->has_mac || strcasecmp(mac, hwaddress) != 0) {
				snprintf(err, errlen,
					 "iface.net_ifacename = %s has MAC %s, but iface.hwaddress = "
					 "%s: set one of them, or make them agree",
					 netdev, d->has_mac ? mac : "(none)", hwaddress);
				return -1;
			}
		}
		b->how = BIND_NETDEV;
		key = "iface.net_ifacename";
		value = netdev;
	} else if (hwaddress) {
		d = netdev_by_mac(l, hwaddress);
		if (!d) {
			snprintf(err, errlen, "iface.hwaddress = %s: no network device has this MAC",
				 hwaddress);
			return -1;
		}
		b->how = BIND_MAC;
		key = "iface.hwaddress";
		value = hwaddress;
	}

	if (ipaddress) {
		const struct netdev *holder = netdev_by_address(l, ipaddress);
		if (!holder) {
			snprintf(err, errlen,
				 "iface.ipaddress = %s: no network device of this host has this "
				 "address", ipaddress);
			return -1;
		}
		if (d && !same_device(holder, d)) {
			snprintf(err, errlen,
				 "iface.ipaddress = %s is on %s, not on the bound device %s (%s)",
				 ipaddress, holder->name, d->name, key);
			return -1;
		}
		if (!d) {
			d = holder;
			b->how = BIND_SOURCE;
			key = "iface.ipaddress";
			value = ipaddress;
		}
		snprintf(b->source, sizeof(b->source), "%s", ipaddress);
	}

	if (!d)
		return 0;
	if (usable(d, key, value, err, errlen) < 0)
		return -1;
	return bind_device(l, d, b, err, errlen);
}

const char *net_binding_how_text(enum bind_how how)
{
	switch (how) {
	case BIND_NETDEV: return "by iface.net_ifacename";
	case BIND_MAC: return "by iface.hwaddress";
	case BIND_SOURCE: return "by iface.ipaddress";
	case BIND_NONE: break;
	}
	return "not bound";
}
