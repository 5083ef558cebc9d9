#include "icmp_ping.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ICMPv4 numbers and the raw-socket type filter (linux/icmp.h), spelled out here because that
 * header clashes with glibc's netinet headers. */
enum { ICMP4_ECHO_REPLY = 0, ICMP4_DEST_UNREACH = 3, ICMP4_ECHO_REQUEST = 8,
       ICMP4_TIME_EXCEEDED = 11 };
#define SWI_ICMP_FILTER 1   /* SOL_RAW option: bit n set = drop ICMP type n */

struct echo_hdr {
	uint8_t type, code;
	uint16_t csum, id, seq;
};

struct pinger {
	const struct ping_params *p;
	int family;
	int tx, rx;                 /* rx == tx unless raw sockets listen unbound */
	bool raw;
	uint16_t id;
	unsigned bound_ifindex;
	double *sent_at;            /* per sequence number - 1 */
	bool *answered, *resolved;
	unsigned char *buf;
	ping_event_fn fn;
	void *arg;
	struct ping_stats *st;
};

#define RECV_BUF 65600

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint16_t inet_checksum(const unsigned char *data, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(data[i] << 8 | data[i + 1]);
	if (len & 1)
		sum += (uint32_t)(data[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static socklen_t addr_len(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* Lets only the reply and error types through a raw socket; block_all for the sending socket,
 * whose copies of incoming ICMP would otherwise pile up unread. */
static void set_type_filter(int fd, int family, bool block_all)
{
	if (family == AF_INET) {
		uint32_t drop = ~0u;
		if (!block_all)
			drop &= ~(1u << ICMP4_ECHO_REPLY | 1u << ICMP4_DEST_UNREACH |
				  1u << ICMP4_TIME_EXCEEDED);
		setsockopt(fd, SOL_RAW, SWI_ICMP_FILTER, &drop, sizeof(drop));
	} else {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		if (!block_all) {
			ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
			ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
			ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		}
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
}

static void want_arrival_info(int fd, int family)
{
	int on = 1;
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
		setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on));
	}
}

static int open_sockets(struct pinger *pg, char *err, size_t errlen)
{
	const struct ping_params *p = pg->p;
	int proto = pg->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	pg->tx = socket(pg->family, SOCK_RAW | SOCK_CLOEXEC, proto);
	pg->raw = pg->tx >= 0;
	if (!pg->raw && (errno == EPERM || errno == EACCES))
		pg->tx = socket(pg->family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
	if (pg->tx < 0) {
		snprintf(err, errlen,
			 "cannot open an ICMP socket: %s (raw sockets need CAP_NET_RAW; ping sockets "
			 "need your group in net.ipv4.ping_group_range)", strerror(errno));
		return -1;
	}
	bool bound = p->dev && p->dev[0];
	if (bound && setsockopt(pg->tx, SOL_SOCKET, SO_BINDTODEVICE, p->dev,
				(socklen_t)strlen(p->dev)) < 0) {
		snprintf(err, errlen, "cannot bind to network device %s: %s", p->dev,
			 strerror(errno));
		return -1;
	}
	if (p->src.ss_family &&
	    bind(pg->tx, (const struct sockaddr *)&p->src, addr_len(pg->family)) < 0) {
		snprintf(err, errlen, "cannot send from the iface's address: %s", strerror(errno));
		return -1;
	}
	pg->rx = pg->tx;
	if (pg->raw && bound) {
		set_type_filter(pg->tx, pg->family, true);
		pg->rx = socket(pg->family, SOCK_RAW | SOCK_CLOEXEC, proto);
		if (pg->rx < 0) {
			snprintf(err, errlen, "cannot open an ICMP socket: %s", strerror(errno));
			return -1;
		}
	}
	if (pg->raw)
		set_type_filter(pg->rx, pg->family, false);
	want_arrival_info(pg->rx, pg->family);
	return 0;
}

static int send_echo(struct pinger *pg, int seq)
{
	size_t len = sizeof(struct echo_hdr) + (size_t)pg->p->size;
	unsigned char *pkt = pg->buf;
	struct echo_hdr h = {
		.type = pg->family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST,
		.id = htons(pg->id),
		.seq = htons((uint16_t)seq),
	};
	memcpy(pkt, &h, sizeof(h));
	for (size_t i = sizeof(h); i < len; i++)
		pkt[i] = (unsigned char)i;
	/* the kernel fills in ICMPv6 checksums and those of ping sockets; raw ICMPv4 is ours */
	if (pg->family == AF_INET && pg->raw) {
		uint16_t csum = inet_checksum(pkt, len);
		memcpy(pkt + offsetof(struct echo_hdr, csum), &csum, sizeof(csum));
	}
	ssize_t n = sendto(pg->tx, pkt, len, 0, (const struct sockaddr *)&pg->p->dst,
			   addr_len(pg->family));
	return n < 0 ? -errno : 0;
}

struct arrival {
	unsigned ifindex;
	int ttl;
	char from[64];
};

static void read_arrival(struct pinger *pg, struct msghdr *mh, const struct sockaddr_storage *from,
			 struct arrival *a)
{
	a->ifindex = 0;
	a->ttl = -1;
	const void *addr = pg->family == AF_INET
		? (const void *)&((const struct sockaddr_in *)from)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)from)->sin6_addr;
	inet_ntop(pg->family, addr, a->from, sizeof(a->from));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a->ifindex = (unsigned)pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			memcpy(&a->ttl, CMSG_DATA(c), sizeof(int));
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a->ifindex = pi.ipi6_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&a->ttl, CMSG_DATA(c), sizeof(int));
		}
	}
}

static void on_reply(struct pinger *pg, int seq, size_t bytes, const struct arrival *a)
{
	if (seq < 1 || seq > pg->st->sent || pg->answered[seq - 1])
		return;   /* not ours, or a duplicate */
	pg->answered[seq - 1] = pg->resolved[seq - 1] = true;
	struct ping_event ev = { .kind = PING_REPLY, .seq = seq, .ttl = a->ttl, .bytes = bytes };
	snprintf(ev.from, sizeof(ev.from), "%s", a->from);
	if (!a->ifindex || !if_indextoname(a->ifindex, ev.dev))
		snprintf(ev.dev, sizeof(ev.dev), "?");
	ev.on_bound_dev = !pg->bound_ifindex || a->ifindex == pg->bound_ifindex;
	ev.rtt_ms = now_ms() - pg->sent_at[seq - 1];
	if (ev.on_bound_dev) {
		struct ping_stats *st = pg->st;
		if (!st->received || ev.rtt_ms < st->rtt_min)
			st->rtt_min = ev.rtt_ms;
		if (ev.rtt_ms > st->rtt_max)
			st->rtt_max = ev.rtt_ms;
		st->rtt_sum += ev.rtt_ms;
		st->received++;
	} else {
		pg->st->elsewhere++;
	}
	pg->fn(&ev, pg->arg);
}

/* An unreachable or time-exceeded message quotes the start of our echo request: find its id
 * and sequence number there. */
static void on_error_message(struct pinger *pg, const unsigned char *icmp, size_t len,
			     const struct arrival *a)
{
	size_t inner_ip = 8, inner_len;
	if (pg->family == AF_INET) {
		if (len < inner_ip + 20)
			return;
		inner_len = (size_t)(icmp[inner_ip] & 0x0f) * 4;
	} else {
		inner_len = 40;
	}
	if (len < inner_ip + inner_len + sizeof(struct echo_hdr))
		return;
	struct echo_hdr h;
	memcpy(&h, icmp + inner_ip + inner_len, sizeof(h));
	int want = pg->family == AF_INET ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
	int seq = ntohs(h.seq);
	if (h.type != want || ntohs(h.id) != pg->id || seq < 1 || seq > pg->st->sent ||
	    pg->resolved[seq - 1])
		return;
	pg->resolved[seq - 1] = true;
	struct ping_event ev = { .kind = PING_UNREACHABLE, .seq = seq, .ttl = -1 };
	snprintf(ev.from, sizeof(ev.from), "%s", a->from);
	pg->fn(&ev, pg->arg);
}

static void receive_all(struct pinger *pg)
{
	for (;;) {
		struct sockaddr_storage from;
		char control[256];
		struct iovec iov = { pg->buf, RECV_BUF };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control),
		};
		ssize_t n = recvmsg(pg->rx, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		struct arrival a;
		read_arrival(pg, &mh, &from, &a);
		const unsigned char *icmp = pg->buf;
		size_t len = (size_t)n;
		if (pg->family == AF_INET && pg->raw) {
			/* raw IPv4 sockets see the IP header */
			size_t ihl = len ? (size_t)(icmp[0] & 0x0f) * 4 : 0;
			if (len < ihl + sizeof(struct echo_hdr))
				continue;
			if (a.ttl < 0)
				a.ttl = ((const struct ip *)icmp)->ip_ttl;
			icmp += ihl;
			len -= ihl;
		}
		if (len < sizeof(struct echo_hdr))
			continue;
		struct echo_hdr h;
		memcpy(&h, icmp, sizeof(h));
		int reply = pg->family == AF_INET ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REPLY;
		if (h.type == reply) {
			/* ping sockets get their own replies only, with an id the kernel chose */
			if (pg->raw && ntohs(h.id) != pg->id)
				continue;
			on_reply(pg, ntohs(h.seq), len, &a);
		} else if (pg->raw) {
			on_error_message(pg, icmp, len, &a);
		}
	}
}

static void wait_until(struct pinger *pg, double until)
{
	double left = until - now_ms();
	if (left <= 0)
		return;
	struct pollfd pfd = { .fd = pg->rx, .events = POLLIN };
	if (poll(&pfd, 1, (int)left + 1) > 0)
		receive_all(pg);
}

static void run(struct pinger *pg)
{
	const struct ping_params *p = pg->p;
	for (int seq = 1; seq <= p->count; seq++) {
		double t0 = now_ms();
		pg->sent_at[seq - 1] = t0;
		pg->st->sent = seq;
		int rc = send_echo(pg, seq);
		if (rc < 0) {
			pg->resolved[seq - 1] = true;
			struct ping_event ev = { .kind = PING_SEND_ERROR, .seq = seq, .error = -rc };
			pg->fn(&ev, pg->arg);
		}
		double deadline = t0 + p->timeout_ms, next = t0 + p->interval_ms;
		bool last = seq == p->count;
		for (;;) {
			if (!pg->resolved[seq - 1] && now_ms() >= deadline) {
				pg->resolved[seq - 1] = true;
				struct ping_event ev = { .kind = PING_TIMEOUT, .seq = seq };
				pg->fn(&ev, pg->arg);
			}
			if (pg->resolved[seq - 1] && (last || now_ms() >= next))
				break;
			wait_until(pg, pg->resolved[seq - 1] ? next : deadline);
		}
	}
	receive_all(pg);
}

int ping_run(const struct ping_params *p, ping_event_fn fn, void *arg, struct ping_stats *stats,
	     char *err, size_t errlen)
{
	memset(stats, 0, sizeof(*stats));
	struct pinger pg = {
		.p = p, .family = p->dst.ss_family, .tx = -1, .rx = -1,
		.id = (uint16_t)(getpid() ^ (int)time(NULL)),
		.fn = fn, .arg = arg, .st = stats,
	};
	int rc = -1;
	if (pg.family != AF_INET && pg.family != AF_INET6) {
		snprintf(err, errlen, "the destination is neither IPv4 nor IPv6");
		return -1;
	}
	if (p->dev && p->dev[0] && !(pg.bound_ifindex = if_nametoindex(p->dev))) {
		snprintf(err, errlen, "no network device %s", p->dev);
		return -1;
	}
	pg.sent_at = calloc((size_t)p->count, sizeof(*pg.sent_at));
	pg.answered = calloc((size_t)p->count, sizeof(bool));
	pg.resolved = calloc((size_t)p->count, sizeof(bool));
	pg.buf = malloc(RECV_BUF);
	if (!pg.sent_at || !pg.answered || !pg.resolved || !pg.buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (open_sockets(&pg, err, errlen) < 0)
		goto out;
	stats->raw = pg.raw;
	run(&pg);
	rc = 0;
out:
	if (pg.rx >= 0 && pg.rx != pg.tx)
		close(pg.rx);
	if (pg.tx >= 0)
		close(pg.tx);
	free(pg.sent_at);
	free(pg.answered);
	free(pg.resolved);
	free(pg.buf);
	return rc;
}
