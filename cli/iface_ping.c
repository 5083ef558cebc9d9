/* -m iface -C ping: the binding preflight of Red Hat's chapter ("ping -I ethX target_IP"), done
 * for the iface's own binding. It resolves the device the iface binds to, says what the routing
 * table would have chosen without the binding, warns about ARP/reverse-path settings that break
 * NICs sharing a subnet, then pings out of the bound device and checks that the replies came
 * back through it. iscsiadm only pings through offload HBA firmware; swiscsi pings from software
 * ifaces (decision 9). */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp_check.h"
#include "binding.h"
#include "exit_codes.h"
#include "icmp_ping.h"
#include "iface_schema.h"
#include "modes.h"
#include "msg.h"
#include "route.h"

#define PING_DEFAULT_SIZE 32     /* iscsiadm's defaults: -b 32 -c 1 -i 0 */
#define PING_DEFAULT_TIMEOUT_MS 2000

/* The whole text must be a number from min to max. */
static bool parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

/* The number iscsiadm reads from an option (atoi: its leading digits, else 0); it names that
 * number, not the text, when it refuses one. */
static long iscsiadm_number(const char *s)
{
	return strtol(s, NULL, 10);
}

/* An option iscsiadm refuses when its number is below least gets iscsiadm's message ("WHAT:
 * N."); text iscsiadm would take but that is no number up to max here gets the range too. */
static bool option_ok(const char *text, const char *what, long least, long max, int *out)
{
	if (parse_int(text, least, max, out))
		return true;
	long v = iscsiadm_number(text);
	if (v < least)
		msg_error("%s: %ld.", what, v);
	else
		msg_error("%s: %s. (a number from %ld to %ld)", what, text, least, max);
	return false;
}

static int check_options(const struct cli_opts *o, struct ping_params *p)
{
	if (!o->ip) {
		msg_error("Ping requires destination ipaddress.");
		return EXIT_INVAL;
	}
	p->size = PING_DEFAULT_SIZE;
	p->count = 1;
	p->interval_ms = 0;
	if (o->packetsize && !option_ok(o->packetsize, "Invalid packet size", 1, PING_MAX_SIZE,
					&p->size))
		return EXIT_INVAL;
	if (o->count && !option_ok(o->count, "Invalid number of packets to transmit", 1, 1000000,
				   &p->count))
		return EXIT_INVAL;
	int interval_s = 0;
	if (o->interval && !option_ok(o->interval, "Invalid timing interval", 0, 3600, &interval_s))
		return EXIT_INVAL;
	p->interval_ms = interval_s * 1000;
	const char *timeout = getenv("SWISCSI_PING_TIMEOUT_MS");
	p->timeout_ms = PING_DEFAULT_TIMEOUT_MS;
	if (timeout && !parse_int(timeout, 1, INT_MAX, &p->timeout_ms)) {
		msg_error("Invalid SWISCSI_PING_TIMEOUT_MS: %s.", timeout);
		return EXIT_INVAL;
	}
	return EXIT_OK;
}

int iface_ping_check_options(const struct cli_opts *o)
{
	struct ping_params p = { 0 };
	return check_options(o, &p);
}

/* Numeric addresses only, IPv4 or IPv6 with an optional %scope. */
static bool parse_address(const char *text, struct sockaddr_storage *out)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_RAW };
	struct addrinfo *res;
	if (getaddrinfo(text, NULL, &hints, &res) != 0)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return true;
}

static const char *family_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static void say_routes(const struct ping_params *p, const struct net_binding *b)
{
	struct route_choice unbound, bound;
	int rc = route_lookup((const struct sockaddr *)&p->dst, 0, &unbound);
	if (rc < 0) {
		printf("Route: without the binding, %s is unreachable (%s).\n", p->dst_text,
		       strerror(-rc));
	} else {
		printf("Route: without the binding, the routing table sends to %s through %s%s%s%s%s.\n",
		       p->dst_text, unbound.dev, unbound.gateway[0] ? " via " : "", unbound.gateway,
		       unbound.source[0] ? " from " : "", unbound.source);
	}
	if (!b->dev[0])
		return;
	if (route_lookup((const struct sockaddr *)&p->dst, b->ifindex, &bound) < 0 ||
	    strcmp(bound.dev, b->dev) != 0) {
		printf("Route: the binding sends through %s.\n", b->dev);
		return;
	}
	printf("Route: the binding sends through %s%s%s%s%s%s.\n", b->dev,
	       bound.gateway[0] ? " via " : "", bound.gateway,
	       bound.source[0] ? " from " : "", bound.source,
	       rc == 0 && strcmp(unbound.dev, b->dev) != 0 ? " (not the routing table's choice)" : "");
}

static void print_event(const struct ping_event *ev, void *arg)
{
	const struct net_binding *b = arg;
	switch (ev->kind) {
	case PING_REPLY:
		printf("%zu bytes from %s via %s: icmp_seq=%d", ev->bytes, ev->from, ev->dev, ev->seq);
		if (ev->ttl >= 0)
			printf(" ttl=%d", ev->ttl);
		printf(" time=%.3f ms%s\n", ev->rtt_ms, ev->on_bound_dev ? "" : " (NOT the bound device)");
		if (!ev->on_bound_dev)
			msg_error("the reply to icmp_seq=%d came back through %s, not through %s",
				  ev->seq, ev->dev, b->dev);
		break;
	case PING_TIMEOUT:
		printf("No reply for icmp_seq=%d\n", ev->seq);
		break;
	case PING_UNREACHABLE:
		printf("From %s icmp_seq=%d Destination Unreachable\n", ev->from, ev->seq);
		break;
	case PING_SEND_ERROR:
		printf("Cannot send icmp_seq=%d: %s\n", ev->seq, strerror(ev->error));
		break;
	}
	fflush(stdout);
}

static void warn_cb(const char *msg, void *arg)
{
	(void)arg;
	msg_error("warning: %s", msg);
}

static int summarize(const struct ping_params *p, const struct net_binding *b,
		     const struct ping_stats *st)
{
	printf("--- %s ping statistics ---\n", p->dst_text);
	int lost = st->sent - st->received - st->elsewhere;
	printf("%d packets transmitted, %d received", st->sent, st->received);
	if (b->dev[0])
		printf(" through %s", b->dev);
	if (st->elsewhere)
		printf(", %d through other devices", st->elsewhere);
	printf(", %d%% packet loss\n", st->sent ? lost * 100 / st->sent : 0);
	if (st->received)
		printf("rtt min/avg/max = %.3f/%.3f/%.3f ms\n", st->rtt_min,
		       st->rtt_sum / st->received, st->rtt_max);
	if (st->elsewhere) {
		msg_error("replies came back through another device than %s: the binding does not "
			  "hold on this network (see the warnings above)", b->dev);
		return EXIT_TRANS;
	}
	if (!st->received) {
		msg_error("no reply from %s%s%s", p->dst_text, b->dev[0] ? " through " : "", b->dev);
		return EXIT_TRANS_TIMEOUT;
	}
	return EXIT_OK;
}

/* The destination's family decides which address of the bound device is used. */
static int check_family(const char *name, const struct netdev_list *devs,
			const struct net_binding *b, struct ping_params *p)
{
	int family = p->dst.ss_family;
	if (b->source[0]) {
		if (!parse_address(b->source, &p->src) || p->src.ss_family != family) {
			msg_error("iface %s: iface.ipaddress = %s is not an %s address, but %s is",
				  name, b->source, family_name(family), p->dst_text);
			return EXIT_INVAL;
		}
	}
	if (!b->dev[0])
		return EXIT_OK;
	const struct netdev *d = netdev_by_name(devs, b->dev);
	if (!d || !netdev_first_address(d, family)) {
		msg_error("iface %s: network device %s has no %s address, so %s cannot be "
			  "reached through it", name, b->dev, family_name(family), p->dst_text);
		return EXIT_TRANS;
	}
	/* a link-local destination without %scope is on the bound link */
	struct sockaddr_in6 *six = (struct sockaddr_in6 *)&p->dst;
	if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&six->sin6_addr) && !six->sin6_scope_id)
		six->sin6_scope_id = b->ifindex;
	return EXIT_OK;
}

int iface_ping(const struct cli_opts *o, const struct record *iface)
{
	struct ping_params p = { 0 };
	int rc = check_options(o, &p);
	if (rc != EXIT_OK)
		return rc;
	const char *name = iface->values[IFACE_F_NAME];
	const char *transport = iface->values[IFACE_F_TRANSPORT];
	if (transport_is_offload(transport)) {
		const struct transport_info *t = transport_lookup(transport);
		msg_error("iface %s uses the %s transport: its ping is done by the HBA firmware "
			  "through the vendor's kernel driver (%s), which swiscsi does not use; "
			  "swiscsi pings from software ifaces (tcp, iser)",
			  name, transport, t && t->module ? t->module : transport);
		return EXIT_ERR;   /* iscsiadm's code when it cannot talk iSCSI netlink */
	}
	if (!parse_address(o->ip, &p.dst)) {
		msg_error("Invalid destination address: %s (a numeric IPv4 or IPv6 address)", o->ip);
		return EXIT_INVAL;
	}
	snprintf(p.dst_text, sizeof(p.dst_text), "%s", o->ip);

	struct netdev_list devs;
	if (netdev_list_load(&devs) < 0) {
		msg_error("cannot list the network devices: %s", strerror(errno));
		return EXIT_ERR;
	}
	struct net_binding b;
	char err[512];
	if (net_binding_resolve(&devs, iface->values[IFACE_F_NETDEV],
				iface->values[IFACE_F_HWADDRESS], iface->values[IFACE_F_IPADDRESS],
				&b, err, sizeof(err)) < 0) {
		msg_error("iface %s: %s", name, err);
		rc = EXIT_TRANS;
		goto out;
	}
	rc = check_family(name, &devs, &b, &p);
	if (rc != EXIT_OK)
		goto out;
	p.dev = b.dev;

	if (b.dev[0])
		printf("Binding: iface %s sends through %s (%s).\n", name, b.dev,
		       net_binding_how_text(b.how));
	else
		printf("Binding: iface %s is not bound; the routing table decides.\n", name);
	say_routes(&p, &b);
	if (b.dev[0])
		arp_check_shared_subnet(&devs, b.dev, warn_cb, NULL);
	printf("PING %s: %d data bytes, %d packet%s\n", p.dst_text, p.size, p.count,
	       p.count == 1 ? "" : "s");
	fflush(stdout);

	struct ping_stats st;
	if (ping_run(&p, print_event, &b, &st, err, sizeof(err)) < 0) {
		msg_error("iface %s: %s", name, err);
		rc = EXIT_TRANS;
		goto out;
	}
	rc = summarize(&p, &b, &st);
out:
	netdev_list_free(&devs);
	return rc;
}
