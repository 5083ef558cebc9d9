/* The reading of rtnetlink link messages, shared by the link watch's events and its re-reads of
 * the whole link table (an RTM_GETLINK dump, after the kernel dropped events: link_watch.h).
 *
 * Nothing here touches a socket: a dump's replies are fed in as the datagrams recv returned,
 * so what the kernel says is parsed in one place and unit-tested with hand-made messages
 * (tests/unit/test-link-table.c). */
#ifndef SWISCSID_LINK_TABLE_H
#define SWISCSID_LINK_TABLE_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The next whole netlink message of a datagram of len bytes at *off (advanced past it), NULL
 * at its end or where the rest is cut short (not a message). */
const struct nlmsghdr *link_msg_next(const void *buf, size_t len, size_t *off);

/* The message's ifinfomsg when it is a link message (RTM_NEWLINK or RTM_DELLINK) long enough
 * to hold one, else NULL. */
const struct ifinfomsg *link_msg_info(const struct nlmsghdr *h);
/* The device's name from a link message's IFLA_IFNAME attribute, "" when absent. */
void link_msg_name(const struct nlmsghdr *h, char name[IF_NAMESIZE]);

/* Why a device with these flags cannot carry a session, NULL when it can: IFF_UP clear ("went
 * down" / "is down"), else IFF_RUNNING clear (no carrier, operstate not up: "lost its link" /
 * "has no link"). event: an event's words, else the table's. */
const char *link_flags_why(unsigned flags, bool event);

struct link_state {
	unsigned ifindex;
	unsigned flags;   /* ifi_flags: IFF_UP, IFF_RUNNING, ... */
};

/* One dump's result. */
struct link_table {
	uint32_t seq;          /* the request's sequence number: its replies carry it */
	size_t max;            /* devices at most (memory is bounded): more fails the dump */
	struct link_state *v;  /* by ifindex once done */
	size_t n, cap;
	size_t unusable;       /* devices link_flags_why refuses */
	bool interrupted;      /* NLM_F_DUMP_INTR: the table changed while it was dumped, so a
				* device may be missing or its state already old */
	int error;             /* why the dump failed (an errno), once LINK_DUMP_FAILED */
};

enum link_dump_step { LINK_DUMP_MORE, LINK_DUMP_DONE, LINK_DUMP_FAILED };

void link_table_init(struct link_table *t, uint32_t seq, size_t max);
void link_table_free(struct link_table *t);

/* Feeds one datagram of the dump's replies (len bytes, as recv returned them; messages of
 * other requests are skipped). MORE: the dump goes on; DONE: the table is whole (NLMSG_DONE);
 * FAILED: t->error says why (the kernel's error, E2BIG past max devices, EBADMSG for a
 * datagram cut short, ENOMEM). Nothing is fed after DONE or FAILED. */
enum link_dump_step link_table_feed(struct link_table *t, const void *buf, size_t len);

/* After DONE: the device's state, NULL when the table has no such device. */
const struct link_state *link_table_find(const struct link_table *t, unsigned ifindex);

#endif
