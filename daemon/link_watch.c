/* Link events from rtnetlink: see link_watch.h. */
#include "link_watch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dlog.h"

struct link_watch {
	int fd;
	struct ev_io *io;
	link_down_fn fn;
	void *arg;
};

/* The device's name from the message's IFLA_IFNAME attribute, "" when absent. */
static void link_name(const struct nlmsghdr *h, char name[IF_NAMESIZE])
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	name[0] = '\0';
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME) {
			snprintf(name, IF_NAMESIZE, "%.*s", (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
			return;
		}
	}
}

static void on_message(struct link_watch *w, const struct nlmsghdr *h)
{
	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const char *why = h->nlmsg_type == RTM_DELLINK   ? "was deleted"
			  : !(ifi->ifi_flags & IFF_UP)       ? "went down"
			  : !(ifi->ifi_flags & IFF_RUNNING)  ? "lost its link"
							     : NULL;
	if (!why || ifi->ifi_index <= 0)
		return;
	char name[IF_NAMESIZE];
	link_name(h, name);
	w->fn((unsigned)ifi->ifi_index, name, why, w->arg);
}

static void on_readable(struct ev_io *io, uint32_t revents, void *arg)
{
	(void)io;
	(void)revents;
	struct link_watch *w = arg;
	/* aligned for the headers; a link message is well under a page */
	static __attribute__((aligned(NLMSG_ALIGNTO))) char buf[16384];
	for (;;) {
		ssize_t n = recv(w->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the kernel dropped events while we were busy; the sessions' own
			 * keepalives still notice a dead device, only later */
			if (errno == ENOBUFS)
				dlog(LOG_WARNING, "network device events were lost (the netlink queue overflowed)");
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				dlog(LOG_WARNING, "cannot read network device events: %s", strerror(errno));
			return;
		}
		/* NLMSG_OK/NEXT by hand: the macros compare the header's u32 length with a signed
		 * count (clang's -Wsign-compare) */
		size_t total = (size_t)n, off = 0;
		while (off < total && total - off >= sizeof(struct nlmsghdr)) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > total - off)
				break;   /* cut short: the rest is not a message */
			on_message(w, h);
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
}

struct link_watch *link_watch_start(struct evloop *l, link_down_fn fn, void *arg)
{
	struct link_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fn = fn;
	w->arg = arg;
	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	if (w->fd < 0 || bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    !(w->io = ev_io_add(l, w->fd, EPOLLIN, on_readable, w))) {
		int e = errno;
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		errno = e;
		return NULL;
	}
	return w;
}

void link_watch_stop(struct link_watch *w)
{
	if (!w)
		return;
	ev_io_del(w->io);
	close(w->fd);
	free(w);
}
