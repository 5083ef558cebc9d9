/* The daemon's multipath maps: paths grouped by LUN identity, removed one by one, -f, and
 * what swiscsi-multipath -ll prints of them (the reply decoded and formatted as the tool does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpath_maps.h"
#include "mpath_print.h"

static struct lun_info lun(uint64_t n, const char *name, const char *wwid)
{
	struct lun_info l = { .lun = n, .blocks = 131072, .block_size = 512, .has_id = true };
	snprintf(l.vendor, sizeof(l.vendor), "IET");
	snprintf(l.product, sizeof(l.product), "VIRTUAL-DISK");
	snprintf(l.id.name, sizeof(l.id.name), "%s", name);
	snprintf(l.id.wwid, sizeof(l.id.wwid), "%s", wwid);
	return l;
}

static struct mpath_route route(uint32_t sid, uint64_t n, const char *iface, const char *addr)
{
	struct mpath_route r = { .sid = sid, .lun = n, .port = 3260 };
	snprintf(r.iface, sizeof(r.iface), "%s", iface);
	snprintf(r.address, sizeof(r.address), "%s", addr);
	return r;
}

/* -ll's text for the maps, through the control protocol's codec. */
static char *listing(const struct mpath_maps *ms, const char *name)
{
	struct ctl_buf b = { 0 };
	struct ctl_status st = { 0 };
	ctl_buf_begin(&b, CTL_MPATH_LIST, &st);
	uint32_t n = mpath_maps_describe(ms, name, 0, &b);
	ctl_buf_status(&b)->nmaps = n;
	assert_int_equal(ctl_buf_finish(&b), 0);
	struct ctl_reply r;
	char err[256], *text = NULL;
	size_t len = 0;
	assert_int_equal(ctl_decode_reply(b.p, b.len, CTL_MPATH_LIST, &r, err, sizeof(err)), 0);
	FILE *f = open_memstream(&text, &len);
	for (size_t i = 0; i < r.nmaps; i++)
		mpath_print_map(f, r.maps[i], r.paths + r.first_path[i], r.maps[i]->npaths);
	fclose(f);
	ctl_reply_free(&r);
	ctl_buf_free(&b);
	return text;
}

#define NAME_A "wwn-0x60000000000000000e00000000010001"
#define WWID_A "360000000000000000e00000000010001"

static void test_grouped_by_identity(void **state)
{
	(void)state;
	struct mpath_maps ms = { 0 };
	struct mpath_policy pol;
	mpath_policy_defaults(&pol);
	pol.selector = MPATH_ROUND_ROBIN;
	struct mpath_lun *m1, *m2, *m3;
	size_t p;
	struct lun_info a = lun(1, NAME_A, WWID_A), b = lun(2, "wwn-0x3000000072b42600", "33000000072b42600");
	struct mpath_route r1 = route(1, 1, "nic1", "10.0.1.1"), r2 = route(2, 1, "nic2", "10.0.2.1");
	assert_int_equal(mpath_maps_add(&ms, &a, &r1, &pol, 0, &m1, &p), 0);
	assert_int_equal(p, 0);
	assert_int_equal(mpath_maps_add(&ms, &a, &r2, &pol, 0, &m2, &p), 0);
	assert_ptr_equal(m1, m2);               /* the same LUN through the other NIC */
	assert_int_equal(p, 1);
	assert_int_equal(mpath_maps_add(&ms, &a, &r2, &pol, 0, &m2, &p), -1);   /* already there */
	struct mpath_route r3 = route(2, 2, "nic2", "10.0.2.1");
	assert_int_equal(mpath_maps_add(&ms, &b, &r3, &pol, 0, &m3, &p), 0);
	assert_ptr_not_equal(m3, m1);
	assert_int_equal(ms.n, 2);
	struct lun_info none = lun(3, "", "");
	none.has_id = false;                     /* nothing to group by: no map */
	assert_int_equal(mpath_maps_add(&ms, &none, &r1, &pol, 0, &m3, &p), -1);
	assert_ptr_equal(mpath_maps_find(&ms, WWID_A), m1);
	assert_ptr_equal(mpath_maps_find(&ms, NAME_A), m1);
	assert_null(mpath_maps_find(&ms, "wwn-0x1"));

	snprintf(m1->loop, sizeof(m1->loop), "loop4");
	mpath_path_set(&m1->sel, 0, false, 0);   /* NIC 1's path failed */
	char *text = listing(&ms, NAME_A);
	assert_string_equal(text,
		NAME_A " (" WWID_A ") loop4 IET,VIRTUAL-DISK\n"
		"size=64M features='1 queue_if_no_path' hwhandler='0' wp=rw\n"
		"`-+- policy='round-robin 0' prio=1 status=active\n"
		"  |- 1:0:0:1 nic1 10.0.1.1:3260 failed faulty running\n"
		"  `- 2:0:0:1 nic2 10.0.2.1:3260 active ready running\n");
	free(text);
	text = listing(&ms, "");
	assert_non_null(strstr(text, "\nwwn-0x3000000072b42600 (33000000072b42600) - IET,VIRTUAL-DISK\n"));
	free(text);

	/* paths leave one by one; the map goes with its last */
	mpath_maps_remove(&ms, 1, 1, 0);
	assert_int_equal(m1->sel.npaths, 1);
	assert_int_equal(m1->route[0].sid, 2);
	mpath_maps_remove(&ms, 9, 1, 0);         /* no such path: nothing happens */
	mpath_maps_remove(&ms, 2, 1, 0);
	assert_null(mpath_maps_find(&ms, NAME_A));
	/* a session leaving takes every path it has */
	assert_int_equal(ms.n, 1);
	mpath_maps_remove_session(&ms, 2, 0);
	assert_int_equal(ms.n, 0);
	mpath_maps_free(&ms);
}

static void test_failover_groups_and_flush(void **state)
{
	(void)state;
	struct mpath_maps ms = { 0 };
	struct mpath_policy pol;
	mpath_policy_defaults(&pol);
	pol.grouping = MPATH_FAILOVER;
	pol.no_path_retry = MPATH_NO_PATH_RETRY_FAIL;
	struct mpath_lun *m;
	size_t p;
	struct lun_info a = lun(1, NAME_A, WWID_A);
	struct mpath_route r1 = route(1, 1, "nic1", "10.0.1.1"), r2 = route(2, 1, "nic2", "fd00::2");
	assert_int_equal(mpath_maps_add(&ms, &a, &r1, &pol, 0, &m, &p), 0);
	assert_int_equal(mpath_maps_add(&ms, &a, &r2, &pol, 0, &m, &p), 0);
	char *text = listing(&ms, "");
	assert_string_equal(text,
		NAME_A " (" WWID_A ") - IET,VIRTUAL-DISK\n"
		"size=64M features='0' hwhandler='0' wp=rw\n"
		"|-+- policy='service-time 0' prio=1 status=active\n"
		"| `- 1:0:0:1 nic1 10.0.1.1:3260 active ready running\n"
		"`-+- policy='service-time 0' prio=1 status=enabled\n"
		"  `- 2:0:0:1 nic2 [fd00::2]:3260 active ready running\n");
	free(text);
	/* a map with a command in flight stays; an idle one goes */
	size_t path;
	assert_int_equal(mpath_choose(&m->sel, 4096, 0, &path), MPATH_SEND);
	assert_int_equal(mpath_maps_flush(&ms, WWID_A), -2);
	mpath_done(&m->sel, path, 4096);
	assert_int_equal(mpath_maps_flush(&ms, "wwn-0x1"), -1);
	assert_int_equal(mpath_maps_flush(&ms, NAME_A), 0);
	assert_int_equal(ms.n, 0);
	text = listing(&ms, "");
	assert_string_equal(text, "");
	free(text);
	mpath_maps_free(&ms);
}

struct drops {
	struct mpath_lun *seen[4];
	size_t paths[4];           /* the map's paths as it went */
	size_t n;
	bool keep;
};

static bool dropping(struct mpath_lun *m, void *arg)
{
	struct drops *d = arg;
	d->paths[d->n] = m->sel.npaths;
	d->seen[d->n++] = m;
	return d->keep;
}

/* The caller hears of each map as it goes (its last path left, -f, the end), and may keep it. */
static void test_dropping_hook(void **state)
{
	(void)state;
	struct drops d = { 0 };
	struct mpath_maps ms = { .dropping = dropping, .dropping_arg = &d };
	struct mpath_policy pol;
	mpath_policy_defaults(&pol);
	struct mpath_lun *m1, *m2;
	size_t p;
	struct lun_info a = lun(1, NAME_A, WWID_A), b = lun(2, "wwn-0x2", "32");
	struct mpath_route r1 = route(1, 1, "nic1", "10.0.1.1"), r2 = route(2, 1, "nic2", "10.0.2.1");
	struct mpath_route r3 = route(1, 2, "nic1", "10.0.1.1");
	assert_int_equal(mpath_maps_add(&ms, &a, &r1, &pol, 0, &m1, &p), 0);
	assert_int_equal(mpath_maps_add(&ms, &a, &r2, &pol, 0, &m1, &p), 0);
	assert_int_equal(mpath_maps_add(&ms, &b, &r3, &pol, 0, &m2, &p), 0);
	mpath_maps_remove(&ms, 1, 1, 0);
	assert_int_equal(d.n, 0);                /* the map keeps a path */
	mpath_maps_remove_session(&ms, 2, 0);
	assert_int_equal(d.n, 1);
	assert_ptr_equal(d.seen[0], m1);         /* freed by mpath_maps: not kept */
	assert_int_equal(d.paths[0], 0);
	assert_int_equal(ms.n, 1);
	d.keep = true;
	mpath_maps_free(&ms);
	assert_int_equal(d.n, 2);
	assert_ptr_equal(d.seen[1], m2);
	assert_int_equal(d.paths[1], 1);
	free(m2);                                /* kept: the caller frees it */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped_by_identity),
		cmocka_unit_test(test_failover_groups_and_flush),
		cmocka_unit_test(test_dropping_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
