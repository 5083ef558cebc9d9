/* A map's command dispatch against scripted paths: spread over the paths, re-issued on another
 * path after a path error, a LUN error returned once, held without paths and then sent or
 * failed as no_path_retry says, and a path that refuses at once taken out; what became of a
 * failed path's commands counted on it, and every EIO for want of a path told. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mpath_io.h"

enum { MAXQ = 64 };

/* What the paths were given, and not yet answered. */
struct sent {
	int path;
	mpath_io_path_fn done;
	void *arg;
};
struct script {
	uint64_t now;
	struct sent q[MAXQ];
	size_t n;
	unsigned per_path[2];
	bool refuse[2];
	int results[8], nresults;
	bool last_sync;            /* the last command a path took was a cache flush */
	unsigned no_path;          /* commands failed for want of a path, as the caller heard */
};

static int submit(void *ctx, void *handle, bool write, void *buf, uint64_t lba, uint32_t blocks,
		  mpath_io_path_fn done, void *arg)
{
	(void)write, (void)buf, (void)lba, (void)blocks;
	struct script *s = ctx;
	int path = (int)(intptr_t)handle;
	s->last_sync = false;
	if (s->refuse[path])
		return -1;
	assert_true(s->n < MAXQ);
	s->q[s->n++] = (struct sent){ .path = path, .done = done, .arg = arg };
	s->per_path[path]++;
	return 0;
}

static int sync_cache(void *ctx, void *handle, mpath_io_path_fn done, void *arg)
{
	struct script *s = ctx;
	int rc = submit(ctx, handle, false, NULL, 0, 0, done, arg);
	s->last_sync = rc == 0;
	return rc;
}

static uint64_t now_ms(void *ctx)
{
	return ((struct script *)ctx)->now;
}

static void no_path(void *ctx, const struct mpath_lun *map, bool write, bool sync, uint64_t lba,
		    uint32_t blocks)
{
	(void)map, (void)write, (void)sync, (void)lba, (void)blocks;
	((struct script *)ctx)->no_path++;
}

static const struct mpath_io_ops ops = { .submit = submit, .sync = sync_cache, .now_ms = now_ms,
					 .no_path = no_path };

static void assert_bounced(const struct mpath_lun *m, size_t path, unsigned moved, unsigned held,
			   unsigned failed)
{
	assert_int_equal(m->route[path].bounced.moved, moved);
	assert_int_equal(m->route[path].bounced.held, held);
	assert_int_equal(m->route[path].bounced.failed, failed);
}

/* The oldest command a path still has is answered. */
static void answer(struct script *s, enum mpath_outcome o, int err)
{
	assert_true(s->n > 0);
	struct sent x = s->q[0];
	memmove(s->q, s->q + 1, --s->n * sizeof(s->q[0]));
	x.done(x.arg, o, err);
}

static void done(void *arg, int err)
{
	struct script *s = arg;
	s->results[s->nresults++] = err;
}

static struct mpath_lun *map_of(struct mpath_lun *m, enum mpath_grouping g, int no_path_retry)
{
	struct mpath_policy p;
	mpath_policy_defaults(&p);
	p.grouping = g;
	p.selector = MPATH_ROUND_ROBIN;
	p.no_path_retry = no_path_retry;
	memset(m, 0, sizeof(*m));
	mpath_map_init(&m->sel, &p);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mpath_map_add_path(&m->sel, 1, 0), i);
		m->route[i].handle = (void *)(intptr_t)i;
	}
	return m;
}

static void test_spread_and_reissue(void **state)
{
	(void)state;
	static struct mpath_lun m;
	struct script s = { 0 };
	struct mpath_io *io = mpath_io_new(map_of(&m, MPATH_MULTIBUS, 12), &ops, &s);
	for (int i = 0; i < 4; i++)
		assert_int_equal(mpath_io_rw(io, false, NULL, 0, 8, 512, done, &s), 0);
	assert_int_equal(s.per_path[0], 2);
	assert_int_equal(s.per_path[1], 2);
	/* path 0 fails its command: out at once, the command goes again on path 1 */
	answer(&s, MPATH_PATH_ERROR, -EIO);
	assert_false(m.sel.path[0].up);
	assert_int_equal(s.per_path[1], 3);
	assert_int_equal(s.nresults, 0);         /* the application saw nothing */
	/* path 0's other command fails too: again on path 1 */
	answer(&s, MPATH_OK, 0);                 /* path 1's first */
	answer(&s, MPATH_PATH_ERROR, -EIO);      /* path 0's second */
	assert_int_equal(s.per_path[1], 4);
	/* both counted on the path that failed them, for one log line about it */
	assert_bounced(&m, 0, 2, 0, 0);
	assert_bounced(&m, 1, 0, 0, 0);
	while (s.n)
		answer(&s, MPATH_OK, 0);
	assert_int_equal(s.nresults, 4);
	assert_int_equal(s.no_path, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s.results[i], 0);
	assert_int_equal(mpath_io_busy(io), 0);
	assert_int_equal(m.sel.path[1].in_flight, 0);
	mpath_io_free(io);
}

static void test_lun_error_returned_once(void **state)
{
	(void)state;
	static struct mpath_lun m;
	struct script s = { 0 };
	struct mpath_io *io = mpath_io_new(map_of(&m, MPATH_MULTIBUS, 12), &ops, &s);
	assert_int_equal(mpath_io_rw(io, false, NULL, 0, 8, 512, done, &s), 0);
	answer(&s, MPATH_LUN_ERROR, -EIO);       /* a medium error */
	assert_int_equal(s.nresults, 1);
	assert_int_equal(s.results[0], -EIO);
	assert_int_equal(s.per_path[0] + s.per_path[1], 1);   /* never tried on the other path */
	assert_true(m.sel.path[0].up && m.sel.path[1].up);    /* and no path blamed */
	mpath_io_free(io);
}

static void test_held_without_paths(void **state)
{
	(void)state;
	static struct mpath_lun m;
	struct script s = { .refuse = { true, false } };
	/* no_path_retry 2: held, sent when a path returns, failed after 2 checker rounds without */
	struct mpath_io *io = mpath_io_new(map_of(&m, MPATH_FAILOVER, 2), &ops, &s);
	assert_int_equal(mpath_io_rw(io, true, NULL, 0, 8, 512, done, &s), 0);
	assert_false(m.sel.path[0].up);          /* refused at once: out, and sent on path 1 */
	assert_int_equal(s.per_path[1], 1);
	s.now = 1000;
	answer(&s, MPATH_PATH_ERROR, -EIO);      /* the last path fails: held */
	assert_int_equal(s.nresults, 0);
	assert_int_equal(mpath_io_busy(io), 1);
	assert_bounced(&m, 0, 1, 0, 0);          /* the refusal moved it to path 1 */
	assert_bounced(&m, 1, 0, 1, 0);          /* whose failure left it held */
	s.now = 5000;
	mpath_retry_round(&m.sel);
	mpath_io_kick(io);
	assert_int_equal(s.nresults, 0);
	mpath_path_set(&m.sel, 1, true, 6000);
	s.now = 6000;
	mpath_io_kick(io);
	assert_int_equal(s.per_path[1], 2);
	answer(&s, MPATH_OK, 0);
	assert_int_equal(s.nresults, 1);
	assert_int_equal(s.results[0], 0);

	s.now = 20000;
	mpath_path_set(&m.sel, 1, false, 20000);
	assert_int_equal(mpath_io_rw(io, false, NULL, 0, 8, 512, done, &s), 0);
	s.now = 99999;
	mpath_retry_round(&m.sel);
	mpath_io_kick(io);
	assert_int_equal(s.nresults, 1);         /* one round: still held, however late */
	mpath_retry_round(&m.sel);
	mpath_io_kick(io);
	assert_int_equal(s.nresults, 2);
	assert_int_equal(s.results[1], -EIO);
	/* ran out: new commands fail at once until a path returns */
	assert_int_equal(mpath_io_rw(io, false, NULL, 0, 8, 512, done, &s), 0);
	assert_int_equal(s.results[2], -EIO);
	assert_int_equal(mpath_io_busy(io), 0);
	assert_int_equal(s.no_path, 2);          /* each EIO the application saw, told */
	mpath_io_free(io);
}

/* fsync on the by-id file: one flush, on one path, again elsewhere when that path fails it. */
static void test_sync_reissued(void **state)
{
	(void)state;
	static struct mpath_lun m;
	struct script s = { 0 };
	struct mpath_io *io = mpath_io_new(map_of(&m, MPATH_FAILOVER, 0), &ops, &s);
	assert_int_equal(mpath_io_sync(io, done, &s), 0);
	assert_true(s.last_sync);
	assert_int_equal(s.per_path[0], 1);
	answer(&s, MPATH_PATH_ERROR, -EIO);
	assert_true(s.last_sync);
	assert_int_equal(s.per_path[1], 1);      /* the flush went again on the other path */
	assert_int_equal(s.nresults, 0);
	answer(&s, MPATH_LUN_ERROR, -EIO);       /* the LUN's own failure: returned, once */
	assert_int_equal(s.nresults, 1);
	assert_int_equal(s.results[0], -EIO);
	assert_int_equal(s.per_path[0] + s.per_path[1], 2);
	assert_int_equal(mpath_io_busy(io), 0);
	mpath_io_free(io);
}

/* A path leaves while the other's command is in flight: the answer is counted on the path
 * that carried it, now at index 0. */
static void test_answer_after_an_earlier_path_left(void **state)
{
	(void)state;
	static struct mpath_lun m;
	struct script s = { 0 };
	struct mpath_io *io = mpath_io_new(map_of(&m, MPATH_MULTIBUS, 12), &ops, &s);
	for (int i = 0; i < 2; i++)
		assert_int_equal(mpath_io_rw(io, false, NULL, 0, 8, 512, done, &s), 0);
	answer(&s, MPATH_OK, 0);                 /* path 0's: path 0 idle, it may leave */
	mpath_map_remove_path(&m.sel, 0, 0);
	m.route[0] = m.route[1];
	assert_int_equal(m.sel.path[0].in_flight, 1);
	answer(&s, MPATH_OK, 0);
	assert_int_equal(m.sel.path[0].in_flight, 0);
	assert_int_equal(s.nresults, 2);
	mpath_io_free(io);
}

/* The map goes with commands held for want of a path: they fail now, not at the next tick. */
static void test_held_fail_when_the_map_goes(void **state)
{
	(void)state;
	static struct mpath_lun m;
	struct script s = { .refuse = { true, true } };
	struct mpath_io *io = mpath_io_new(map_of(&m, MPATH_FAILOVER, MPATH_NO_PATH_RETRY_QUEUE), &ops, &s);
	assert_int_equal(mpath_io_rw(io, true, NULL, 0, 8, 512, done, &s), 0);
	assert_int_equal(mpath_io_sync(io, done, &s), 0);
	assert_int_equal(s.nresults, 0);
	assert_int_equal(mpath_io_busy(io), 2);
	assert_bounced(&m, 0, 1, 0, 0);          /* refused, on to path 1 */
	assert_bounced(&m, 1, 0, 1, 0);          /* refused too: held */
	mpath_io_fail_held(io);
	assert_int_equal(s.no_path, 2);
	assert_int_equal(s.nresults, 2);
	assert_int_equal(s.results[0], -EIO);
	assert_int_equal(s.results[1], -EIO);
	assert_int_equal(mpath_io_busy(io), 0);
	mpath_io_free(io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread_and_reissue),
		cmocka_unit_test(test_lun_error_returned_once),
		cmocka_unit_test(test_held_without_paths),
		cmocka_unit_test(test_sync_reissued),
		cmocka_unit_test(test_answer_after_an_earlier_path_left),
		cmocka_unit_test(test_held_fail_when_the_map_goes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
