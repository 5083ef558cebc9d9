#include "arp_check.h"

#include <stdio.h>
#include <string.h>

/* The kernel applies the larger of conf/all and conf/<dev> for all three settings. Returns -1
 * when neither can be read. */
static int effective_sysctl(const char *dev, const char *key)
{
	int best = -1;
	const char *scopes[] = { "all", dev };
	for (int i = 0; i < 2; i++) {
		char path[256];
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", scopes[i], key);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int v;
		if (fscanf(f, "%d", &v) == 1 && v > best)
			best = v;
		fclose(f);
	}
	return best;
}

struct rule {
	const char *key;
	bool (*ok)(int value);
	int advice;
	const char *why;
};

static bool arp_ignore_ok(int v) { return v >= 1; }
static bool arp_announce_ok(int v) { return v >= 2; }
static bool rp_filter_ok(int v) { return v != 1; }

static const struct rule rules[] = {
	{ "arp_ignore", arp_ignore_ok, 1,
	  "another NIC on the subnet may answer ARP for this NIC's address and receive its "
	  "traffic" },
	{ "arp_announce", arp_announce_ok, 2,
	  "ARP requests may carry another NIC's address, so the target sends to the wrong port" },
	{ "rp_filter", rp_filter_ok, 2,
	  "strict reverse-path filtering drops replies that arrive on the other NIC of the "
	  "subnet" },
};

static int check_device(const char *dev, const char *peers, const char *subnet, arp_warn_fn warn,
			void *arg)
{
	int n = 0;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		int v = effective_sysctl(dev, rules[i].key);
		if (v < 0 || rules[i].ok(v))
			continue;
		char msg[512];
		snprintf(msg, sizeof(msg),
			 "%s shares subnet %s with %s and its %s is %d: %s; set "
			 "net.ipv4.conf.%s.%s=%d",
			 dev, subnet, peers, rules[i].key, v, rules[i].why, dev, rules[i].key,
			 rules[i].advice);
		warn(msg, arg);
		n++;
	}
	return n;
}

static void subnet_text(const struct net_addr *a, char *buf, size_t len)
{
	struct net_addr net = *a;
	unsigned char *b = (unsigned char *)&net.a.v4;
	for (int bit = a->prefix_len; bit < 32; bit++)
		b[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
	char ip[64];
	snprintf(buf, len, "%s/%d", net_addr_text(&net, ip, sizeof(ip)), a->prefix_len);
}

int arp_check_shared_subnet(const struct netdev_list *l, const char *dev, arp_warn_fn warn,
			    void *arg)
{
	const struct netdev *self = netdev_by_name(l, dev);
	if (!self || self->loopback)
		return 0;
	int warnings = 0;
	for (int k = 0; k < self->naddrs; k++) {
		const struct net_addr *mine = &self->addrs[k];
		if (mine->family != AF_INET)
			continue;
		/* every other NIC with an address in this subnet */
		const struct netdev *group[32];
		int ngroup = 0;
		group[ngroup++] = self;
		for (size_t i = 0; i < l->n && ngroup < 32; i++) {
			const struct netdev *d = &l->devs[i];
			if (d == self || d->loopback)
				continue;
			for (int j = 0; j < d->naddrs; j++) {
				if (!net_addr_same_subnet(mine, &d->addrs[j], mine->prefix_len))
					continue;
				group[ngroup++] = d;
				break;
			}
		}
		if (ngroup == 1)
			continue;
		char subnet[80];
		subnet_text(mine, subnet, sizeof(subnet));
		for (int g = 0; g < ngroup; g++) {
			/* each member's warning names the others */
			char others[256] = "";
			for (int h = 0; h < ngroup; h++) {
				if (h == g)
					continue;
				size_t used = strlen(others);
				snprintf(others + used, sizeof(others) - used, "%s%s",
					 used ? ", " : "", group[h]->name);
			}
			warnings += check_device(group[g]->name, others, subnet, warn, arg);
		}
	}
	return warnings;
}
