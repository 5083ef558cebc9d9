/* Multipath's path choice: each selector's spread, failover order and failback, no_path_retry,
 * the outcome classes, and the policy names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mpath_select.h"

static struct mpath_map map_with(enum mpath_grouping g, enum mpath_selector s, size_t npaths)
{
	struct mpath_policy p;
	mpath_policy_defaults(&p);
	p.grouping = g;
	p.selector = s;
	struct mpath_map m;
	mpath_map_init(&m, &p);
	for (size_t i = 0; i < npaths; i++)
		assert_int_equal(mpath_map_add_path(&m, 0, 0), (int)i);
	return m;
}

static size_t send(struct mpath_map *m, uint64_t bytes)
{
	size_t path = 99;
	assert_int_equal(mpath_choose(m, bytes, 0, &path), MPATH_SEND);
	assert_true(path < m->npaths);
	return path;
}

static void test_defaults(void **state)
{
	(void)state;
	struct mpath_policy p;
	mpath_policy_defaults(&p);
	assert_int_equal(p.grouping, MPATH_MULTIBUS);
	assert_int_equal(p.selector, MPATH_SERVICE_TIME);
	assert_int_equal(p.no_path_retry, 12);
	assert_int_equal(p.failback, MPATH_FAILBACK_IMMEDIATE);
	assert_int_equal(p.checker_interval, 5);
}

static void test_round_robin(void **state)
{
	(void)state;
	struct mpath_map m = map_with(MPATH_MULTIBUS, MPATH_ROUND_ROBIN, 3);
	/* in turn, whatever is in flight */
	for (size_t i = 0; i < 9; i++)
		assert_int_equal(send(&m, 4096), i % 3);
	/* a failed path is skipped at once, and rejoins when it returns */
	mpath_path_set(&m, 1, false, 10);
	size_t counts[3] = { 0 };
	for (size_t i = 0; i < 10; i++)
		counts[send(&m, 4096)]++;
	assert_int_equal(counts[0], 5);
	assert_int_equal(counts[1], 0);
	assert_int_equal(counts[2], 5);
	mpath_path_set(&m, 1, true, 20);
	memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < 9; i++)
		counts[send(&m, 4096)]++;
	assert_int_equal(counts[1], 3);
}

static void test_queue_length(void **state)
{
	(void)state;
	struct mpath_map m = map_with(MPATH_MULTIBUS, MPATH_QUEUE_LENGTH, 2);
	/* equal queues take turns; then the shorter queue wins, whatever the sizes */
	assert_int_equal(send(&m, 1 << 20), 0);
	assert_int_equal(send(&m, 512), 1);
	assert_int_equal(send(&m, 512), 0);
	assert_int_equal(send(&m, 512), 1);
	mpath_done(&m, 1, 512);
	mpath_done(&m, 1, 512);
	assert_int_equal(m.path[1].in_flight, 0);
	assert_int_equal(send(&m, 512), 1);
	assert_int_equal(send(&m, 512), 1);
	assert_int_equal(send(&m, 512), 0);
}

static void test_service_time(void **state)
{
	(void)state;
	struct mpath_map m = map_with(MPATH_MULTIBUS, MPATH_SERVICE_TIME, 2);
	/* in-flight bytes, not commands: one large command weighs as much as many small ones */
	assert_int_equal(send(&m, 1 << 20), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(send(&m, 65536), 1);   /* 512 KiB on path 1 < 1 MiB on path 0 */
	mpath_done(&m, 0, 1 << 20);
	assert_int_equal(send(&m, 65536), 0);
	/* relative throughput: a path twice as fast carries twice the bytes */
	struct mpath_policy p;
	mpath_policy_defaults(&p);
	struct mpath_map w;
	mpath_map_init(&w, &p);
	assert_int_equal(mpath_map_add_path(&w, 1, 0), 0);
	assert_int_equal(mpath_map_add_path(&w, 2, 0), 1);
	size_t counts[2] = { 0 };
	for (int i = 0; i < 300; i++)
		counts[send(&w, 4096)]++;
	assert_int_equal(counts[0], 100);
	assert_int_equal(counts[1], 200);
}

static void test_failover_order_and_failback(void **state)
{
	(void)state;
	struct mpath_map m = map_with(MPATH_FAILOVER, MPATH_ROUND_ROBIN, 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(send(&m, 4096), 0);    /* everything on the first path */
	mpath_path_set(&m, 0, false, 1000);
	assert_int_equal(send(&m, 4096), 1);
	mpath_path_set(&m, 2, false, 1000);
	mpath_path_set(&m, 2, true, 1500);          /* a later path's return changes nothing */
	assert_int_equal(send(&m, 4096), 1);
	mpath_path_set(&m, 0, true, 2000);          /* failback immediate */
	assert_int_equal(send(&m, 4096), 0);

	/* manual: stays on the path it failed over to until told */
	m.pol.failback = MPATH_FAILBACK_MANUAL;
	mpath_path_set(&m, 0, false, 3000);
	mpath_path_set(&m, 0, true, 3100);
	assert_false(mpath_tick(&m, 999999));
	assert_int_equal(send(&m, 4096), 1);
	mpath_failback_now(&m);
	assert_int_equal(send(&m, 4096), 0);

	/* N seconds: back to the first path once it has been up that long */
	m.pol.failback = 30;
	mpath_path_set(&m, 0, false, 4000);
	mpath_path_set(&m, 0, true, 5000);
	mpath_tick(&m, 5000 + 29999);
	assert_int_equal(send(&m, 4096), 1);
	mpath_tick(&m, 5000 + 30000);
	assert_int_equal(send(&m, 4096), 0);
}

/* Failback through the recovery's session states (what swiscsid feeds in): a session leaving
 * LOGGED_IN fails its path over at once; back, the map returns to it as failback says. Under
 * failback N a path that fails again before its N seconds never becomes active, and its next
 * return starts the count again. */
/* A session back in LOGGED_IN does not bring its path back by itself: the checker's TEST UNIT
 * READY does (mpath_path_set), and failback counts from then. */
static void back_after_tur(struct mpath_map *m, size_t i, uint64_t now)
{
	mpath_path_from_session(m, i, SWI_STATE_LOGGED_IN, now);
	assert_false(m->path[i].up);
	mpath_path_set(m, i, true, now);
}

static void test_failback_through_session_states(void **state)
{
	(void)state;
	struct mpath_map m = map_with(MPATH_FAILOVER, MPATH_ROUND_ROBIN, 2);
	mpath_path_from_session(&m, 0, SWI_STATE_TRANSPORT_WAIT, 1000);
	assert_int_equal(send(&m, 512), 1);
	mpath_path_from_session(&m, 0, SWI_STATE_REOPEN, 1500);   /* an attempt: still out */
	assert_int_equal(send(&m, 512), 1);
	back_after_tur(&m, 0, 2000);
	assert_int_equal(send(&m, 512), 0);                        /* immediate */

	m.pol.failback = 10;
	mpath_path_from_session(&m, 0, SWI_STATE_TRANSPORT_WAIT, 3000);
	back_after_tur(&m, 0, 4000);
	mpath_tick(&m, 4000 + 9000);
	mpath_path_from_session(&m, 0, SWI_STATE_TRANSPORT_WAIT, 4000 + 9500);
	mpath_tick(&m, 4000 + 10000);                              /* down again: not chosen */
	assert_int_equal(send(&m, 512), 1);
	back_after_tur(&m, 0, 20000);
	mpath_tick(&m, 20000 + 9999);                              /* counted from this return */
	assert_int_equal(send(&m, 512), 1);
	mpath_tick(&m, 20000 + 10000);
	assert_int_equal(send(&m, 512), 0);
	/* the only path left is used whatever the policy */
	m.pol.failback = MPATH_FAILBACK_MANUAL;
	mpath_path_from_session(&m, 1, SWI_STATE_FAILED, 40000);
	mpath_path_from_session(&m, 0, SWI_STATE_TRANSPORT_WAIT, 40000);
	back_after_tur(&m, 1, 41000);
	assert_int_equal(send(&m, 512), 1);
}

static void test_no_path_retry(void **state)
{
	(void)state;
	size_t path;
	struct mpath_map m = map_with(MPATH_MULTIBUS, MPATH_ROUND_ROBIN, 2);
	m.pol.no_path_retry = MPATH_NO_PATH_RETRY_FAIL;
	mpath_path_set(&m, 0, false, 100);
	assert_int_equal(mpath_choose(&m, 512, 100, &path), MPATH_SEND);
	mpath_path_set(&m, 1, false, 200);
	assert_int_equal(mpath_choose(&m, 512, 200, &path), MPATH_FAIL);
	assert_true(mpath_tick(&m, 200));

	m.pol.no_path_retry = MPATH_NO_PATH_RETRY_QUEUE;
	assert_int_equal(mpath_choose(&m, 512, 1u << 30, &path), MPATH_QUEUE);
	assert_false(mpath_tick(&m, 1u << 30));
	mpath_path_set(&m, 1, true, 300);
	assert_int_equal(mpath_choose(&m, 512, 300, &path), MPATH_SEND);
	assert_int_equal(path, 1);

	/* N: queue for N path checker rounds after the last path failed, then fail; time alone
	 * spends none of them */
	m.pol.no_path_retry = 3;
	m.pol.checker_interval = 5;
	mpath_retry_round(&m);                      /* a round with a path up counts nothing */
	mpath_path_set(&m, 1, false, 10000);
	assert_false(mpath_tick(&m, 10000 + 999999));
	for (int round = 1; round < 3; round++) {
		mpath_retry_round(&m);
		assert_int_equal(mpath_choose(&m, 512, 0, &path), MPATH_QUEUE);
		assert_false(mpath_tick(&m, 0));
		assert_true(mpath_queueing(&m, 0));
	}
	mpath_retry_round(&m);
	assert_true(mpath_tick(&m, 0));
	assert_false(mpath_queueing(&m, 0));
	assert_int_equal(mpath_choose(&m, 512, 0, &path), MPATH_FAIL);
	/* a path returning ends it; the next outage counts from its own start */
	mpath_path_set(&m, 0, true, 40000);
	mpath_retry_round(&m);
	mpath_path_set(&m, 0, false, 50000);
	assert_int_equal(mpath_choose(&m, 512, 50001, &path), MPATH_QUEUE);
	mpath_retry_round(&m);
	mpath_retry_round(&m);
	assert_int_equal(mpath_choose(&m, 512, 50001, &path), MPATH_QUEUE);

	/* a map without paths queues as an all-failed one does */
	struct mpath_map e = map_with(MPATH_MULTIBUS, MPATH_ROUND_ROBIN, 0);
	assert_int_equal(mpath_choose(&e, 512, 0, &path), MPATH_QUEUE);
}

static void test_remove_path(void **state)
{
	(void)state;
	struct mpath_map m = map_with(MPATH_FAILOVER, MPATH_ROUND_ROBIN, 3);
	mpath_path_set(&m, 0, false, 0);
	assert_int_equal(send(&m, 1), 1);
	mpath_map_remove_path(&m, 0, 0);        /* the active path moves down with its index */
	assert_int_equal(m.npaths, 2);
	assert_int_equal(send(&m, 1), 0);
	mpath_map_remove_path(&m, 0, 0);        /* the active path goes: the next one takes over */
	assert_int_equal(send(&m, 1), 0);
	mpath_map_remove_path(&m, 0, 7);
	size_t path;
	assert_int_equal(mpath_choose(&m, 1, 7, &path), MPATH_QUEUE);
}

static void test_session_states(void **state)
{
	(void)state;
	struct mpath_map m = map_with(MPATH_MULTIBUS, MPATH_ROUND_ROBIN, 2);
	static const enum swi_state out[] = { SWI_STATE_TRANSPORT_WAIT, SWI_STATE_REOPEN,
					      SWI_STATE_LOGOUT_REQUESTED, SWI_STATE_IN_LOGOUT,
					      SWI_STATE_FAILED, SWI_STATE_FREE };
	for (size_t k = 0; k < sizeof(out) / sizeof(out[0]); k++) {
		mpath_path_from_session(&m, 0, out[k], 0);
		assert_false(m.path[0].up);
		for (int i = 0; i < 3; i++)
			assert_int_equal(send(&m, 512), 1);
		/* logged in again: still out, until the path checker's TUR puts it back */
		mpath_path_from_session(&m, 0, SWI_STATE_LOGGED_IN, 0);
		assert_false(m.path[0].up);
		mpath_path_set(&m, 0, true, 0);
	}
}

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(mpath_classify(-1, 0, 0), MPATH_PATH_ERROR);
	assert_int_equal(mpath_classify(0, 0x00, 0), MPATH_OK);
	assert_int_equal(mpath_classify(0, 0x08, 0), MPATH_OK);          /* BUSY: resent */
	assert_int_equal(mpath_classify(0, 0x18, 0), MPATH_LUN_ERROR);   /* reservation conflict */
	assert_int_equal(mpath_classify(0, 0x02, 0x6), MPATH_OK);        /* unit attention */
	assert_int_equal(mpath_classify(0, 0x02, 0x3), MPATH_LUN_ERROR); /* medium error */
	assert_int_equal(mpath_classify(0, 0x02, 0x5), MPATH_LUN_ERROR); /* illegal request */
	assert_int_equal(mpath_classify(0, 0x02, 0x7), MPATH_LUN_ERROR); /* data protect */
	assert_int_equal(mpath_classify(0, 0x02, 0x2), MPATH_PATH_ERROR); /* not ready */
	assert_int_equal(mpath_classify(0, 0x02, 0xb), MPATH_PATH_ERROR); /* aborted command */
	assert_int_equal(mpath_classify(0, 0x40, 0), MPATH_PATH_ERROR);  /* task aborted */
}

static void test_policy_names(void **state)
{
	(void)state;
	struct mpath_policy p;
	char err[128], buf[16];
	mpath_policy_defaults(&p);
	assert_int_equal(mpath_parse_grouping("failover", &p, err, sizeof(err)), 0);
	assert_string_equal(mpath_grouping_name(p.grouping), "failover");
	assert_int_equal(mpath_parse_grouping("group_by_prio", &p, err, sizeof(err)), -1);
	assert_string_equal(err, "takes multibus or failover, not \"group_by_prio\"");
	assert_int_equal(mpath_parse_selector("round-robin 0", &p, err, sizeof(err)), 0);
	assert_string_equal(mpath_selector_name(p.selector), "round-robin 0");
	assert_int_equal(mpath_parse_selector("queue-length", &p, err, sizeof(err)), 0);
	assert_int_equal(p.selector, MPATH_QUEUE_LENGTH);
	assert_int_equal(mpath_parse_selector("round-robin 1", &p, err, sizeof(err)), -1);
	assert_int_equal(mpath_parse_no_path_retry("queue", &p, err, sizeof(err)), 0);
	assert_string_equal(mpath_no_path_retry_text(p.no_path_retry, buf, sizeof(buf)), "queue");
	assert_int_equal(mpath_parse_no_path_retry("7", &p, err, sizeof(err)), 0);
	assert_string_equal(mpath_no_path_retry_text(p.no_path_retry, buf, sizeof(buf)), "7");
	assert_int_equal(mpath_parse_no_path_retry("0", &p, err, sizeof(err)), -1);
	assert_int_equal(mpath_parse_no_path_retry("-1", &p, err, sizeof(err)), -1);
	assert_int_equal(mpath_parse_no_path_retry("12x", &p, err, sizeof(err)), -1);
	assert_int_equal(mpath_parse_failback("manual", &p, err, sizeof(err)), 0);
	assert_string_equal(mpath_failback_text(p.failback, buf, sizeof(buf)), "manual");
	assert_int_equal(mpath_parse_failback("30", &p, err, sizeof(err)), 0);
	assert_int_equal(p.failback, 30);
	assert_int_equal(mpath_parse_failback("soon", &p, err, sizeof(err)), -1);
	assert_int_equal(mpath_parse_checker_interval("3600", &p, err, sizeof(err)), 0);
	assert_int_equal(mpath_parse_checker_interval("3601", &p, err, sizeof(err)), -1);
	assert_int_equal(mpath_parse_checker_interval("0", &p, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_queue_length), cmocka_unit_test(test_service_time),
		cmocka_unit_test(test_failover_order_and_failback),
		cmocka_unit_test(test_failback_through_session_states),
		cmocka_unit_test(test_no_path_retry),
		cmocka_unit_test(test_remove_path), cmocka_unit_test(test_session_states),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_policy_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
