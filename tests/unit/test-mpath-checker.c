/* The path checker against scripted TURs and a fake clock: a round every checker interval with
 * one TUR per path, a path failed by a TUR that does not succeed and reinstated only by one
 * that does, one TUR at a time per path, answers that find their path moved or gone, and
 * no_path_retry N counted in rounds from the moment the last path failed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "mpath_checker.h"

enum { MAXQ = 16 };

struct tur {
	void *handle;
	mpath_checker_fn done;
	void *arg;
};

struct script {
	uint64_t now;
	struct tur q[MAXQ];
	size_t n;
	unsigned sent;
	void *refuse;              /* the handle whose TUR cannot be sent */
	unsigned changes, rounds;
	bool gave_up;              /* the last round found no_path_retry run out */
};

static int tur(void *ctx, void *handle, mpath_checker_fn done, void *arg)
{
	struct script *s = ctx;
	if (handle == s->refuse)
		return -1;
	assert_true(s->n < MAXQ);
	s->q[s->n++] = (struct tur){ handle, done, arg };
	s->sent++;
	return 0;
}

static void changed(void *ctx, struct mpath_lun *m, size_t i)
{
	(void)m;
	(void)i;
	((struct script *)ctx)->changes++;
}

static void round_ran(void *ctx, struct mpath_lun *m)
{
	struct script *s = ctx;
	s->rounds++;
	s->gave_up = mpath_tick(&m->sel, s->now);
}

static uint64_t now_ms(void *ctx)
{
	return ((struct script *)ctx)->now;
}

static const struct mpath_checker_ops ops = { .tur = tur, .changed = changed,
					      .round = round_ran, .now_ms = now_ms };

/* The TUR out on handle is answered. */
static void answer(struct script *s, void *handle, bool good)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->q[i].handle == handle) {
			struct tur t = s->q[i];
			memmove(&s->q[i], &s->q[i + 1], (--s->n - i) * sizeof(s->q[0]));
			t.done(t.arg, good);
			return;
		}
	fail_msg("no TUR out on that path");
}

/* After the checker went: the TURs still out are answered (their probes are freed then). */
static void drain(struct script *s)
{
	while (s->n)
		answer(s, s->q[0].handle, true);
}

static void at(struct script *s, struct mpath_checker *c, uint64_t t)
{
	s->now = t;
	mpath_checker_tick(c);
}

#define H(n) ((void *)(uintptr_t)(0x100 + (n)))

/* A map of two paths (handles H(0), H(1)), checked every 5 s. */
static struct mpath_lun *two_paths(struct mpath_maps *ms, int no_path_retry)
{
	struct mpath_policy pol;
	mpath_policy_defaults(&pol);
	pol.no_path_retry = no_path_retry;
	struct lun_info info = { .lun = 1, .blocks = 2048, .block_size = 512, .has_id = true };
	snprintf(info.id.name, sizeof(info.id.name), "wwn-0x6001405f00000001");
	struct mpath_lun *m = NULL;
	for (uint32_t i = 0; i < 2; i++) {
		struct mpath_route r = { .sid = i + 1, .lun = 1, .handle = H(i) };
		size_t path;
		assert_int_equal(mpath_maps_add(ms, &info, &r, &pol, 0, &m, &path), 0);
		assert_int_equal(path, i);
	}
	return m;
}

static void test_rounds_fail_and_reinstate(void **state)
{
	(void)state;
	struct mpath_maps ms = { 0 };
	struct mpath_lun *m = two_paths(&ms, 12);
	struct script s = { 0 };
	struct mpath_checker *c = mpath_checker_new(&ms, &ops, &s);
	at(&s, c, 1000);                    /* a new map: the first round an interval away */
	at(&s, c, 5999);
	assert_int_equal(s.sent, 0);
	at(&s, c, 6000);
	assert_int_equal(s.sent, 2);        /* one TUR per path */
	assert_int_equal(s.rounds, 1);
	answer(&s, H(0), true);             /* GOOD on a working path: nothing changes */
	assert_int_equal(s.changes, 0);
	answer(&s, H(1), false);            /* no answer, NOT READY, ...: failed */
	assert_false(m->sel.path[1].up);
	assert_true(m->sel.path[0].up);
	assert_int_equal(s.changes, 1);

	/* its session logged in again: a TUR at once, and only its success reinstates */
	mpath_checker_check(c, H(1));
	assert_int_equal(s.sent, 3);
	assert_false(m->sel.path[1].up);
	/* no second TUR on a path while one is out, in a round or asked for */
	mpath_checker_check(c, H(1));
	at(&s, c, 11000);
	assert_int_equal(s.sent, 4);        /* path 1's TUR still out: only path 0 got one */
	assert_int_equal(mpath_checker_pending(c), 2);
	answer(&s, H(1), true);
	assert_true(m->sel.path[1].up);
	assert_int_equal(s.changes, 2);
	answer(&s, H(0), true);
	assert_int_equal(mpath_checker_pending(c), 0);

	/* a TUR that cannot be sent (the session is not logged in) fails the path at once */
	s.refuse = H(0);
	at(&s, c, 16000);
	assert_false(m->sel.path[0].up);
	assert_int_equal(s.changes, 3);
	answer(&s, H(1), true);
	s.refuse = NULL;

	/* a stalled daemon: one round when it comes back, then the interval again */
	unsigned rounds = s.rounds;
	at(&s, c, 60000);
	assert_int_equal(s.rounds, rounds + 1);
	at(&s, c, 64999);
	assert_int_equal(s.rounds, rounds + 1);
	at(&s, c, 65000);
	assert_int_equal(s.rounds, rounds + 2);
	mpath_checker_free(c);
	drain(&s);
	mpath_maps_free(&ms);
}

static void test_answers_follow_their_path(void **state)
{
	(void)state;
	struct mpath_maps ms = { 0 };
	struct mpath_lun *m = two_paths(&ms, 12);
	struct script s = { 0 };
	struct mpath_checker *c = mpath_checker_new(&ms, &ops, &s);
	at(&s, c, 0);
	at(&s, c, 5000);
	assert_int_equal(s.sent, 2);
	/* path 1 (session 1) leaves while its TUR is out: path 2 is now index 0 */
	mpath_maps_remove(&ms, 1, 1, 5000);
	assert_int_equal(m->sel.npaths, 1);
	answer(&s, H(1), false);            /* the answer finds its path at its new index */
	assert_false(m->sel.path[0].up);
	answer(&s, H(0), false);            /* the path left: the answer is dropped */
	assert_int_equal(s.changes, 1);

	/* the checker goes with a TUR out: its answer later is dropped too */
	mpath_checker_check(c, H(1));
	mpath_checker_free(c);
	answer(&s, H(1), true);
	assert_false(m->sel.path[0].up);
	mpath_maps_free(&ms);
}

static void test_no_path_retry_counts_rounds(void **state)
{
	(void)state;
	struct mpath_maps ms = { 0 };
	struct mpath_lun *m = two_paths(&ms, 2);
	struct script s = { 0 };
	struct mpath_checker *c = mpath_checker_new(&ms, &ops, &s);
	at(&s, c, 0);                       /* rounds due at 5000, 10000, ... */
	/* both paths fail at 7300: the rounds restart from then, so that 2 retries are two whole
	 * intervals of queueing */
	mpath_path_set(&m->sel, 0, false, 7300);
	mpath_path_set(&m->sel, 1, false, 7300);
	at(&s, c, 8000);
	at(&s, c, 10000);
	assert_int_equal(s.rounds, 0);
	at(&s, c, 12300);
	assert_int_equal(s.rounds, 1);
	assert_false(s.gave_up);
	assert_true(mpath_queueing(&m->sel, s.now));
	answer(&s, H(0), false);
	answer(&s, H(1), false);
	at(&s, c, 17299);
	assert_int_equal(s.rounds, 1);
	at(&s, c, 17300);
	assert_int_equal(s.rounds, 2);
	assert_true(s.gave_up);             /* held commands fail now, new ones at once */
	assert_false(mpath_queueing(&m->sel, s.now));
	/* a TUR that succeeds ends the outage: the next one counts afresh */
	answer(&s, H(1), true);
	assert_true(m->sel.path[1].up);
	assert_true(mpath_queueing(&m->sel, s.now));
	answer(&s, H(0), false);
	at(&s, c, 18000);
	mpath_path_set(&m->sel, 1, false, 18500);
	at(&s, c, 19000);
	unsigned rounds = s.rounds;
	at(&s, c, 22300);                   /* the old phase's round does not come */
	assert_int_equal(s.rounds, rounds);
	at(&s, c, 23500);
	assert_int_equal(s.rounds, rounds + 1);
	assert_false(s.gave_up);
	assert_true(mpath_queueing(&m->sel, s.now));
	/* back and out again between two ticks: the rounds follow the new outage too */
	answer(&s, H(0), true);
	answer(&s, H(1), false);
	mpath_path_set(&m->sel, 0, false, 24000);
	at(&s, c, 25000);
	at(&s, c, 28500);
	assert_int_equal(s.rounds, rounds + 1);
	at(&s, c, 29000);
	assert_int_equal(s.rounds, rounds + 2);
	assert_false(s.gave_up);
	mpath_checker_free(c);
	drain(&s);
	mpath_maps_free(&ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds_fail_and_reinstate),
		cmocka_unit_test(test_answers_follow_their_path),
		cmocka_unit_test(test_no_path_retry_counts_rounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
