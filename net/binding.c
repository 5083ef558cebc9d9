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
		if (d && holder != d) {
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
	snprintf(b->dev, sizeof(b->dev), "%s", d->name);
	b->ifindex = d->ifindex;
	return 0;
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
