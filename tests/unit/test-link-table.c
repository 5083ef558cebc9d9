/* The link watch's reading of rtnetlink: a link table dump's replies fed as datagrams made by
 * hand the way the kernel lays them out (RTM_NEWLINK with IFLA_IFNAME, NLM_F_MULTI, then
 * NLMSG_DONE), its failures (an NLMSG_ERROR, an error in NLMSG_DONE, too many devices, a
 * datagram cut short), an interrupted dump, events of other requests mixed in, the words
 * for a device that cannot carry a session, and when the table is read again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "link_reread.h"
#include "link_table.h"

#define SEQ 7

/* A datagram being built. */
struct dgram {
	__attribute__((aligned(NLMSG_ALIGNTO))) char b[8192];
	size_t len;
};

static struct nlmsghdr *put_header(struct dgram *d, uint16_t type, uint16_t flags, uint32_t seq,
				   size_t payload)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(d->b + d->len);
	assert_true(d->len + NLMSG_SPACE(payload) <= sizeof(d->b));
	memset(h, 0, NLMSG_SPACE(payload));
	*h = (struct nlmsghdr){ .nlmsg_len = NLMSG_LENGTH(payload), .nlmsg_type = type,
				.nlmsg_flags = flags, .nlmsg_seq = seq, .nlmsg_pid = 4242 };
	d->len += NLMSG_SPACE(payload);
	return h;
}

/* A link message of device ifindex (name, flags), as a dump reply or (seq 0) an event. */
static void put_link(struct dgram *d, uint16_t type, uint16_t flags, uint32_t seq, int ifindex,
		     const char *name, unsigned ifflags)
{
	size_t namelen = strlen(name) + 1;
	/* an attribute before the name, as the kernel sends several */
	size_t payload = NLMSG_ALIGN(sizeof(struct ifinfomsg)) + RTA_SPACE(sizeof(uint32_t)) +
			 RTA_LENGTH(namelen);
	struct nlmsghdr *h = put_header(d, type, flags, seq, payload);
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	*ifi = (struct ifinfomsg){ .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
				   .ifi_flags = ifflags, .ifi_change = 0xffffffffu };
	struct rtattr *mtu = IFLA_RTA(ifi);
	*mtu = (struct rtattr){ .rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = IFLA_MTU };
	uint32_t v = 1500;
	memcpy(RTA_DATA(mtu), &v, sizeof(v));
	struct rtattr *a = (struct rtattr *)((char *)mtu + RTA_SPACE(sizeof(uint32_t)));
	*a = (struct rtattr){ .rta_len = RTA_LENGTH(namelen), .rta_type = IFLA_IFNAME };
	memcpy(RTA_DATA(a), name, namelen);
}

static void put_dump_link(struct dgram *d, int ifindex, const char *name, unsigned ifflags)
{
	put_link(d, RTM_NEWLINK, NLM_F_MULTI, SEQ, ifindex, name, ifflags);
}

/* NLMSG_DONE or NLMSG_ERROR carrying error (0 or a negative errno). */
static void put_end(struct dgram *d, uint16_t type, int error)
{
	size_t payload = type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : sizeof(int);
	struct nlmsghdr *h = put_header(d, type, NLM_F_MULTI, SEQ, payload);
	memcpy(NLMSG_DATA(h), &error, sizeof(error));
}

#define UP_RUNNING (IFF_UP | IFF_RUNNING | IFF_BROADCAST)

static void test_a_dump_in_two_datagrams(void **state)
{
	(void)state;
	struct link_table t;
	link_table_init(&t, SEQ, 100);
	struct dgram a = { .len = 0 }, b = { .len = 0 };
	put_dump_link(&a, 1, "lo", IFF_UP | IFF_RUNNING | IFF_LOOPBACK);
	put_dump_link(&a, 9, "fo2", UP_RUNNING);
	put_dump_link(&a, 4, "fo1", IFF_BROADCAST);            /* set down */
	put_dump_link(&b, 12, "veth7", IFF_UP | IFF_BROADCAST);  /* up, no carrier */
	put_dump_link(&b, 5, "h0", UP_RUNNING);
	put_end(&b, NLMSG_DONE, 0);
	assert_int_equal(link_table_feed(&t, a.b, a.len), LINK_DUMP_MORE);
	assert_int_equal(link_table_feed(&t, b.b, b.len), LINK_DUMP_DONE);
	assert_int_equal(t.n, 5);
	assert_int_equal(t.unusable, 2);
	assert_false(t.interrupted);
	for (size_t i = 1; i < t.n; i++)   /* by ifindex, whatever order the kernel used */
		assert_true(t.v[i - 1].ifindex < t.v[i].ifindex);
	assert_int_equal(link_table_find(&t, 9)->flags, UP_RUNNING);
	assert_null(link_flags_why(link_table_find(&t, 9)->flags, false));
	assert_string_equal(link_flags_why(link_table_find(&t, 4)->flags, false), "is down");
	assert_string_equal(link_flags_why(link_table_find(&t, 12)->flags, false), "has no link");
	assert_non_null(link_table_find(&t, 1));
	assert_non_null(link_table_find(&t, 5));
	/* a device deleted while the events were lost: not in the table */
	assert_null(link_table_find(&t, 6));
	assert_null(link_table_find(&t, 0));
	assert_null(link_table_find(&t, 13));
	link_table_free(&t);
}

static void test_events_and_other_replies_in_between_are_not_the_table(void **state)
{
	(void)state;
	struct link_table t;
	link_table_init(&t, SEQ, 100);
	struct dgram d = { .len = 0 };
	put_link(&d, RTM_NEWLINK, 0, 0, 3, "ev0", 0);          /* an event: seq 0 */
	put_link(&d, RTM_NEWLINK, NLM_F_MULTI, SEQ - 1, 8, "old", UP_RUNNING);   /* an older dump */
	put_dump_link(&d, 2, "eth0", UP_RUNNING);
	put_link(&d, RTM_DELLINK, NLM_F_MULTI, SEQ, 2, "eth0", 0);   /* not a table entry */
	put_header(&d, RTM_NEWADDR, NLM_F_MULTI, SEQ, 16);
	put_end(&d, NLMSG_ERROR, 0);   /* an acknowledgement, not a failure */
	put_end(&d, NLMSG_DONE, 0);
	put_dump_link(&d, 10, "after", 0);   /* after the end: ignored */
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_DONE);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.unusable, 0);
	assert_non_null(link_table_find(&t, 2));
	assert_null(link_table_find(&t, 3));
	assert_null(link_table_find(&t, 8));
	assert_null(link_table_find(&t, 10));
	link_table_free(&t);
}

static void test_an_empty_table(void **state)
{
	(void)state;
	struct link_table t;
	link_table_init(&t, SEQ, 100);
	struct dgram d = { .len = 0 };
	put_end(&d, NLMSG_DONE, 0);
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_DONE);
	assert_int_equal(t.n, 0);
	assert_null(link_table_find(&t, 1));
	link_table_free(&t);
}

static void test_an_interrupted_dump_says_so(void **state)
{
	(void)state;
	struct link_table t;
	link_table_init(&t, SEQ, 100);
	struct dgram d = { .len = 0 };
	put_dump_link(&d, 2, "eth0", UP_RUNNING);
	put_link(&d, RTM_NEWLINK, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ, 3, "eth1", UP_RUNNING);
	put_end(&d, NLMSG_DONE, 0);
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_DONE);
	assert_true(t.interrupted);
	assert_int_equal(t.n, 2);
	link_table_free(&t);
}

static void test_the_kernels_errors_fail_the_dump(void **state)
{
	(void)state;
	struct link_table t;
	link_table_init(&t, SEQ, 100);
	struct dgram d = { .len = 0 };
	put_end(&d, NLMSG_ERROR, -EBUSY);
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_FAILED);
	assert_int_equal(t.error, EBUSY);
	link_table_free(&t);

	/* a dump that fails part way ends with the error in its NLMSG_DONE */
	link_table_init(&t, SEQ, 100);
	d.len = 0;
	put_dump_link(&d, 2, "eth0", UP_RUNNING);
	put_end(&d, NLMSG_DONE, -EMSGSIZE);
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_FAILED);
	assert_int_equal(t.error, EMSGSIZE);
	link_table_free(&t);
}

static void test_more_devices_than_the_bound_fail_the_dump(void **state)
{
	(void)state;
	struct link_table t;
	link_table_init(&t, SEQ, 3);
	struct dgram d = { .len = 0 };
	for (int i = 1; i <= 3; i++)
		put_dump_link(&d, i, "v", UP_RUNNING);
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_MORE);
	assert_int_equal(t.n, 3);
	d.len = 0;
	put_dump_link(&d, 4, "v", UP_RUNNING);
	put_end(&d, NLMSG_DONE, 0);
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_FAILED);
	assert_int_equal(t.error, E2BIG);
	assert_true(t.cap <= 3);   /* memory never past the bound */
	link_table_free(&t);
}

static void test_a_datagram_cut_short_fails_the_dump(void **state)
{
	(void)state;
	struct link_table t;
	link_table_init(&t, SEQ, 100);
	struct dgram d = { .len = 0 };
	put_dump_link(&d, 2, "eth0", UP_RUNNING);
	put_dump_link(&d, 3, "eth1", UP_RUNNING);
	/* the second message's header says more than the datagram holds */
	assert_int_equal(link_table_feed(&t, d.b, d.len - 8), LINK_DUMP_FAILED);
	assert_int_equal(t.error, EBADMSG);
	link_table_free(&t);

	/* nor is a header too short to be one a message */
	link_table_init(&t, SEQ, 100);
	d.len = 0;
	put_dump_link(&d, 2, "eth0", UP_RUNNING);
	struct nlmsghdr *h = put_header(&d, NLMSG_DONE, 0, SEQ, sizeof(int));
	h->nlmsg_len = 8;
	assert_int_equal(link_table_feed(&t, d.b, d.len), LINK_DUMP_FAILED);
	assert_int_equal(t.error, EBADMSG);
	link_table_free(&t);
}

static void test_an_event_read_as_a_link_message(void **state)
{
	(void)state;
	struct dgram d = { .len = 0 };
	put_link(&d, RTM_NEWLINK, 0, 0, 4, "fo1", IFF_BROADCAST);
	put_link(&d, RTM_DELLINK, 0, 0, 6, "veth0", UP_RUNNING);
	put_header(&d, RTM_NEWADDR, 0, 0, 16);
	size_t off = 0;
	const struct nlmsghdr *h = link_msg_next(d.b, d.len, &off);
	assert_non_null(h);
	const struct ifinfomsg *ifi = link_msg_info(h);
	assert_non_null(ifi);
	assert_int_equal(ifi->ifi_index, 4);
	char name[IF_NAMESIZE];
	link_msg_name(h, name);
	assert_string_equal(name, "fo1");
	assert_string_equal(link_flags_why(ifi->ifi_flags, true), "went down");
	assert_string_equal(link_flags_why(IFF_UP, true), "lost its link");
	assert_null(link_flags_why(IFF_UP | IFF_RUNNING, true));
	h = link_msg_next(d.b, d.len, &off);
	assert_non_null(h);
	assert_int_equal(h->nlmsg_type, RTM_DELLINK);
	assert_non_null(link_msg_info(h));
	h = link_msg_next(d.b, d.len, &off);
	assert_non_null(h);
	assert_null(link_msg_info(h));   /* not a link message */
	assert_null(link_msg_next(d.b, d.len, &off));

	/* a link message without a name attribute: "" */
	d.len = 0;
	h = put_header(&d, RTM_NEWLINK, 0, 0, sizeof(struct ifinfomsg));
	link_msg_name(h, name);
	assert_string_equal(name, "");
}

static void test_when_the_table_is_read_again(void **state)
{
	(void)state;
	/* the first read of an overflow */
	assert_int_equal(link_reread_next(1, false, false), LINK_REREAD_DONE);
	assert_int_equal(link_reread_next(1, false, true), LINK_REREAD_AT_ONCE);
	assert_int_equal(link_reread_next(1, true, false), LINK_REREAD_RETRY);
	assert_int_equal(link_reread_next(1, true, true), LINK_REREAD_RETRY);
	/* its second: never a third at once */
	assert_int_equal(link_reread_next(2, false, false), LINK_REREAD_DONE);
	assert_int_equal(link_reread_next(2, false, true), LINK_REREAD_ANEW);
	assert_int_equal(link_reread_next(2, true, true), LINK_REREAD_ANEW);
	assert_int_equal(link_reread_next(2, true, false), LINK_REREAD_GIVE_UP);
	/* a storm that never ends: reads come in pairs, a pause between pairs */
	unsigned reads = 0, at_once = 0, pauses = 0;
	for (int i = 0; i < 100; i++) {
		switch (link_reread_next(++reads, false, true)) {
		case LINK_REREAD_AT_ONCE: at_once++; break;
		case LINK_REREAD_ANEW: pauses++; reads = 0; break;
		default: fail();
		}
	}
	assert_int_equal(at_once, 50);
	assert_int_equal(pauses, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_dump_in_two_datagrams),
		cmocka_unit_test(test_events_and_other_replies_in_between_are_not_the_table),
		cmocka_unit_test(test_an_empty_table),
		cmocka_unit_test(test_an_interrupted_dump_says_so),
		cmocka_unit_test(test_the_kernels_errors_fail_the_dump),
		cmocka_unit_test(test_more_devices_than_the_bound_fail_the_dump),
		cmocka_unit_test(test_a_datagram_cut_short_fails_the_dump),
		cmocka_unit_test(test_an_event_read_as_a_link_message),
		cmocka_unit_test(test_when_the_table_is_read_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
