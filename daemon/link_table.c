/* rtnetlink link messages and link table dumps: see link_table.h. */
#include "link_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct nlmsghdr *link_msg_next(const void *buf, size_t len, size_t *off)
{
	/* NLMSG_OK/NEXT by hand: the macros compare the header's u32 length with a signed count
	 * (clang's -Wsign-compare) */
	if (*off >= len || len - *off < sizeof(struct nlmsghdr))
		return NULL;
	const struct nlmsghdr *h = (const struct nlmsghdr *)((const char *)buf + *off);
	if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len - *off)
		return NULL;
	*off += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

const struct ifinfomsg *link_msg_info(const struct nlmsghdr *h)
{
	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return NULL;
	return NLMSG_DATA(h);
}

void link_msg_name(const struct nlmsghdr *h, char name[IF_NAMESIZE])
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifi));
	name[0] = '\0';
	for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME) {
			/* up to its NUL: the kernel's attribute carries one */
			size_t n = strnlen(RTA_DATA(a), RTA_PAYLOAD(a));
			snprintf(name, IF_NAMESIZE, "%.*s", (int)n, (const char *)RTA_DATA(a));
			return;
		}
	}
}

const char *link_flags_why(unsigned flags, bool event)
{
	if (!(flags & IFF_UP))
		return event ? "went down" : "is down";
	if (!(flags & IFF_RUNNING))
		return event ? "lost its link" : "has no link";
	return NULL;
}

void link_table_init(struct link_table *t, uint32_t seq, size_t max)
{
	*t = (struct link_table){ .seq = seq, .max = max };
}

void link_table_free(struct link_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static enum link_dump_step failed(struct link_table *t, int error)
{
	t->error = error;
	return LINK_DUMP_FAILED;
}

static int add(struct link_table *t, const struct ifinfomsg *ifi)
{
	if (t->n == t->max)
		return E2BIG;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		if (cap > t->max)
			cap = t->max;
		struct link_state *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct link_state){ (unsigned)ifi->ifi_index, ifi->ifi_flags };
	if (link_flags_why(ifi->ifi_flags, false))
		t->unusable++;
	return 0;
}

static int by_ifindex(const void *a, const void *b)
{
	unsigned x = ((const struct link_state *)a)->ifindex;
	unsigned y = ((const struct link_state *)b)->ifindex;
	return x < y ? -1 : x > y;
}

/* The int after NLMSG_DONE's or NLMSG_ERROR's header: 0 or a negative errno. */
static int reply_error(const struct nlmsghdr *h)
{
	int e = 0;
	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(e)))
		memcpy(&e, NLMSG_DATA(h), sizeof(e));
	return e;
}

enum link_dump_step link_table_feed(struct link_table *t, const void *buf, size_t len)
{
	size_t off = 0;
	const struct nlmsghdr *h;
	while ((h = link_msg_next(buf, len, &off))) {
		if (h->nlmsg_seq != t->seq)
			continue;   /* not a reply to this request */
		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			t->interrupted = true;
		if (h->nlmsg_type == NLMSG_DONE) {
			/* a dump that failed part way ends with its error here */
			int e = reply_error(h);
			if (e < 0)
				return failed(t, -e);
			if (t->n)
				qsort(t->v, t->n, sizeof(*t->v), by_ifindex);
			return LINK_DUMP_DONE;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			int e = reply_error(h);
			if (e < 0 || h->nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				return failed(t, e < 0 ? -e : EBADMSG);
			continue;   /* an acknowledgement */
		}
		const struct ifinfomsg *ifi = link_msg_info(h);
		if (!ifi || h->nlmsg_type != RTM_NEWLINK || ifi->ifi_index <= 0)
			continue;
		int e = add(t, ifi);
		if (e)
			return failed(t, e);
	}
	/* every byte must have been whole messages: a device lost in a cut-short datagram would
	 * look gone */
	if (off < len)
		return failed(t, EBADMSG);
	return LINK_DUMP_MORE;
}

const struct link_state *link_table_find(const struct link_table *t, unsigned ifindex)
{
	struct link_state key = { .ifindex = ifindex };
	return t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), by_ifindex) : NULL;
}
