/* Link events from rtnetlink, and the re-read of the link table when some were lost: see
 * link_watch.h. */
#include "link_watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dlog.h"
#include "link_reread.h"

struct link_watch {
	struct evloop *loop;
	int fd;                  /* the events (RTMGRP_LINK) */
	struct ev_io *io;
	link_down_fn down;
	link_reread_fn reread;
	void *arg;
	/* the re-read: a dump on a socket of its own, so that its replies neither wait behind
	 * nor get dropped with the events (the kernel paces a dump by our reads) */
	int dump_fd;             /* -1: no dump running */
	struct ev_io *dump_io;
	struct link_table table;
	uint32_t seq;
	struct ev_timer dump_timeout;
	struct ev_timer pause;   /* the next re-read, LINK_REREAD_PAUSE_MS on */
	unsigned dumps;          /* this overflow's re-reads so far: 2 at most */
	bool lost_again;         /* events were lost while the dump ran */
};

/* One buffer for both sockets (one thread, never re-entered): aligned for the headers, and as
 * large as the kernel makes a dump's datagram for a reader asking this much (it caps them at
 * 32 KiB); a link event is well under a page. */
static __attribute__((aligned(NLMSG_ALIGNTO))) char rx[32768];

/* Datagrams read in one callback at most: a storm of events cannot hold the loop. */
#define READS_PER_WAKEUP 64

static void on_event(struct link_watch *w, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = link_msg_info(h);
	if (!ifi || ifi->ifi_index <= 0)
		return;
	const char *why = h->nlmsg_type == RTM_DELLINK ? "was deleted"
						       : link_flags_why(ifi->ifi_flags, true);
	if (!why)
		return;
	char name[IF_NAMESIZE];
	link_msg_name(h, name);
	w->down((unsigned)ifi->ifi_index, name, why, w->arg);
}

/* ---- the re-read ---- */

static void dump_start(struct link_watch *w);

static void dump_close(struct link_watch *w)
{
	ev_timer_stop(w->loop, &w->dump_timeout);
	if (w->dump_io)
		ev_io_del(w->dump_io);
	if (w->dump_fd >= 0)
		close(w->dump_fd);
	w->dump_io = NULL;
	w->dump_fd = -1;
}

/* What the warning line says the re-read found, and what it did. */
static void found(const struct link_table *t, unsigned dropped, char *out, size_t len)
{
	snprintf(out, len, "%zu device%s, %zu of them down or without link; dropped the "
		 "connection of %u session%s%s", t->n, t->n == 1 ? "" : "s", t->unusable,
		 dropped, dropped == 1 ? "" : "s",
		 t->interrupted ? " (the table changed while it was read: a device missing from "
				  "it was not taken as gone)" : "");
}

/* The dump ended: error 0 when the table is whole. Acts on it, logs one warning, and decides
 * whether (and when) to read the table again. */
static void dump_end(struct link_watch *w, int error)
{
	dump_close(w);
	bool again = w->lost_again || (!error && w->table.interrupted);
	char what[320];
	if (error == E2BIG)
		snprintf(what, sizeof(what), "the device table could not be re-read: more than %d "
			 "devices", LINK_TABLE_MAX);
	else if (error == ETIMEDOUT)
		snprintf(what, sizeof(what), "the device table could not be re-read: the kernel did "
			 "not finish it in %d ms", LINK_DUMP_TIMEOUT_MS);
	else if (error)
		snprintf(what, sizeof(what), "the device table could not be re-read: %s",
			 strerror(error));
	else {
		char table[256];
		found(&w->table, w->reread(&w->table, w->arg), table, sizeof(table));
		snprintf(what, sizeof(what), "re-read the device table%s: %s",
			 w->dumps > 1 ? " again" : "", table);
	}
	link_table_free(&w->table);

	static const char *const next[] = {
		[LINK_REREAD_DONE] = "",
		[LINK_REREAD_AT_ONCE] = "; the table changed or events were lost again meanwhile: "
					"re-reading it once more",
		[LINK_REREAD_RETRY] = "; trying again in a second",
		[LINK_REREAD_ANEW] = "; events were lost again meanwhile: re-reading it in a second",
		[LINK_REREAD_GIVE_UP] = "; a device that went down meanwhile is left to the "
					"sessions' keepalives",
	};
	enum link_reread_next then = link_reread_next(w->dumps, error != 0, again);
	dlog(LOG_WARNING, "network device events were lost (the netlink queue overflowed); %s%s",
	     what, next[then]);
	switch (then) {
	case LINK_REREAD_DONE:
	case LINK_REREAD_GIVE_UP:
		break;
	case LINK_REREAD_AT_ONCE:
		dump_start(w);
		break;
	case LINK_REREAD_ANEW:
		w->dumps = 0;
		/* fall through */
	case LINK_REREAD_RETRY:
		ev_timer_start(w->loop, &w->pause, LINK_REREAD_PAUSE_MS);
		break;
	}
}

static void on_dump_readable(struct ev_io *io, uint32_t revents, void *arg)
{
	(void)io;
	(void)revents;
	struct link_watch *w = arg;
	for (int i = 0; i < READS_PER_WAKEUP; i++) {
		/* MSG_TRUNC: the datagram's whole length, so one larger than rx is seen */
		ssize_t n = recv(w->dump_fd, rx, sizeof(rx), MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				dump_end(w, errno);
			return;
		}
		if ((size_t)n > sizeof(rx)) {
			dump_end(w, EMSGSIZE);
			return;
		}
		switch (link_table_feed(&w->table, rx, (size_t)n)) {
		case LINK_DUMP_MORE: break;
		case LINK_DUMP_DONE: dump_end(w, 0); return;
		case LINK_DUMP_FAILED: dump_end(w, w->table.error); return;
		}
	}
}

static void on_dump_timeout(struct ev_timer *t, void *arg)
{
	(void)t;
	dump_end(arg, ETIMEDOUT);
}

static int dump_request(struct link_watch *w)
{
	/* RTM_GETLINK for every device, without their statistics (the largest part of each
	 * message; a kernel that does not know the filter sends them anyway) */
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
		struct rtattr mask;
		uint32_t mask_value;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = w->seq },
		.ifi = { .ifi_family = AF_UNSPEC },
		.mask = { .rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = IFLA_EXT_MASK },
		.mask_value = RTEXT_FILTER_SKIP_STATS,
	};
	_Static_assert(sizeof(req) == NLMSG_LENGTH(sizeof(struct ifinfomsg)) +
				       RTA_LENGTH(sizeof(uint32_t)), "the request has no padding");
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	w->dump_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (w->dump_fd < 0)
		return -1;
	if (sendto(w->dump_fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)sizeof(req))
		return -1;
	w->dump_io = ev_io_add(w->loop, w->dump_fd, EPOLLIN, on_dump_readable, w);
	return w->dump_io ? 0 : -1;
}

static void dump_start(struct link_watch *w)
{
	w->dumps++;
	w->lost_again = false;
	link_table_init(&w->table, ++w->seq, LINK_TABLE_MAX);
	ev_timer_start(w->loop, &w->dump_timeout, LINK_DUMP_TIMEOUT_MS);
	if (dump_request(w) < 0)
		dump_end(w, errno ? errno : EIO);
}

static void on_pause_end(struct ev_timer *t, void *arg)
{
	(void)t;
	dump_start(arg);
}

/* The kernel dropped events (ENOBUFS): read the table unless a re-read is running or due
 * (it reads what they would have said, or notes it must read again). */
static void on_lost(struct link_watch *w)
{
	if (w->dump_fd >= 0) {
		w->lost_again = true;
		return;
	}
	if (ev_timer_running(&w->pause))
		return;
	w->dumps = 0;
	dump_start(w);
}

/* ---- the events ---- */

static void on_readable(struct ev_io *io, uint32_t revents, void *arg)
{
	(void)io;
	(void)revents;
	struct link_watch *w = arg;
	for (int i = 0; i < READS_PER_WAKEUP; i++) {
		ssize_t n = recv(w->fd, rx, sizeof(rx), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {   /* the events queued after the loss follow */
				on_lost(w);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				dlog(LOG_WARNING, "cannot read network device events: %s", strerror(errno));
			return;
		}
		size_t off = 0;
		const struct nlmsghdr *h;
		while ((h = link_msg_next(rx, (size_t)n, &off)))
			on_event(w, h);
	}
}

struct link_watch *link_watch_start(struct evloop *l, link_down_fn down, link_reread_fn reread,
				    void *arg)
{
	struct link_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->loop = l;
	w->down = down;
	w->reread = reread;
	w->arg = arg;
	w->dump_fd = -1;
	ev_timer_init(&w->dump_timeout, on_dump_timeout, w);
	ev_timer_init(&w->pause, on_pause_end, w);
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
	dump_close(w);
	link_table_free(&w->table);
	ev_timer_stop(w->loop, &w->pause);
	ev_io_del(w->io);
	close(w->fd);
	free(w);
}
