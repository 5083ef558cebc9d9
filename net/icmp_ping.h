/* ICMP/ICMPv6 echo out of one chosen device, with the device each reply came back through.
 *
 * Sends through a raw socket bound to the device (SO_BINDTODEVICE, plus the source address when
 * the iface names one) and listens on a second, unbound raw socket, so a reply that comes back
 * through another NIC of the host (ARP flux on a shared subnet) is seen and reported instead of
 * looking like loss. Without CAP_NET_RAW it falls back to an unprivileged ping socket, which
 * only sees replies on the bound device. */
#ifndef SWISCSI_ICMP_PING_H
#define SWISCSI_ICMP_PING_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define PING_MAX_SIZE 65507

struct ping_params {
	struct sockaddr_storage dst;
	char dst_text[128];            /* as the user wrote it, for messages */
	struct sockaddr_storage src;   /* ss_family 0: the kernel picks */
	const char *dev;               /* NULL or "": the routing table decides */
	int size;                      /* data bytes after the 8-byte ICMP header */
	int count;
	int interval_ms;               /* between one send and the next */
	int timeout_ms;                /* how long to wait for each reply */
};

struct ping_event {
	enum { PING_REPLY, PING_TIMEOUT, PING_UNREACHABLE, PING_SEND_ERROR } kind;
	int seq;
	char from[64];                 /* replying or reporting host */
	char dev[IF_NAMESIZE];         /* device the reply arrived on */
	bool on_bound_dev;             /* always true when nothing is bound */
	int ttl;                       /* -1 when unknown */
	size_t bytes;                  /* ICMP bytes received */
	double rtt_ms;
	int error;                     /* errno for PING_SEND_ERROR */
};

struct ping_stats {
	int sent;
	int received;                  /* replies through the bound device (or any, if unbound) */
	int elsewhere;                 /* replies that came back through another device */
	double rtt_min, rtt_max, rtt_sum;
	bool raw;                      /* raw sockets were used (replies on other devices visible) */
};

typedef void (*ping_event_fn)(const struct ping_event *ev, void *arg);

/* Runs the whole exchange, calling fn for every reply, timeout and error as it happens. Returns
 * 0 when it ran (look at stats for the outcome), or -1 with err set when it could not start
 * (no socket, no such device). */
int ping_run(const struct ping_params *p, ping_event_fn fn, void *arg, struct ping_stats *stats,
	     char *err, size_t errlen);

#endif
