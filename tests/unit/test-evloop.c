/* swiscsid's event loop: timer order, stop and restart, readiness, deletion from callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "evloop.h"

struct log {
	int order[8];
	int n;
};

struct tagged {
	struct ev_timer t;
	struct log *log;
	int tag;
};

static void note(struct ev_timer *t, void *arg)
{
	(void)t;
	struct tagged *x = arg;
	x->log->order[x->log->n++] = x->tag;
}

static void run_until(struct evloop *l, struct log *log, int n)
{
	uint64_t deadline = ev_now_ms() + 5000;
	while (log->n < n && ev_now_ms() < deadline)
		assert_true(evloop_run_once(l, 100) >= 0);
}

static void test_timers_fire_in_due_order(void **state)
{
	(void)state;
	struct evloop *l = evloop_new();
	struct log log = { 0 };
	struct tagged a = { .log = &log, .tag = 1 }, b = { .log = &log, .tag = 2 },
		      c = { .log = &log, .tag = 3 }, d = { .log = &log, .tag = 4 };
	struct tagged *all[] = { &a, &b, &c, &d };
	for (int i = 0; i < 4; i++)
		ev_timer_init(&all[i]->t, note, all[i]);
	ev_timer_start(l, &c.t, 30);
	ev_timer_start(l, &a.t, 10);
	ev_timer_start(l, &d.t, 5);
	ev_timer_start(l, &b.t, 20);
	ev_timer_start(l, &d.t, 40);   /* restarting moves it */
	ev_timer_stop(l, &b.t);        /* a stopped timer never fires */
	assert_false(ev_timer_running(&b.t));
	run_until(l, &log, 3);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.order[0], 1);
	assert_int_equal(log.order[1], 3);
	assert_int_equal(log.order[2], 4);
	assert_int_equal(evloop_run_once(l, 30), 0);
	assert_int_equal(log.n, 3);
	evloop_free(l);
}

struct pipe_side {
	int fds[2];
	struct ev_io *w;
	struct pipe_side *victim;
	int calls;
};

static void on_readable(struct ev_io *w, uint32_t revents, void *arg)
{
	struct pipe_side *p = arg;
	assert_ptr_equal(w, p->w);
	assert_true(revents & EPOLLIN);
	p->calls++;
	if (p->victim) {          /* deletes another watcher whose event may be in this batch */
		ev_io_del(p->victim->w);
		p->victim->w = NULL;
	}
	ev_io_del(w);             /* and itself */
	p->w = NULL;
}

static void test_deleting_a_ready_watcher_drops_its_event(void **state)
{
	(void)state;
	struct evloop *l = evloop_new();
	struct pipe_side x = { 0 }, y = { 0 };
	assert_int_equal(pipe(x.fds), 0);
	assert_int_equal(pipe(y.fds), 0);
	x.w = ev_io_add(l, x.fds[0], EPOLLIN, on_readable, &x);
	y.w = ev_io_add(l, y.fds[0], EPOLLIN, on_readable, &y);
	x.victim = &y;
	y.victim = &x;
	assert_int_equal(write(x.fds[1], "a", 1), 1);
	assert_int_equal(write(y.fds[1], "b", 1), 1);
	assert_int_equal(evloop_run_once(l, 1000), 1); /* whichever ran first removed the other */
	assert_int_equal(x.calls + y.calls, 1);
	assert_int_equal(evloop_run_once(l, 20), 0);
	for (int i = 0; i < 2; i++) {
		close(x.fds[i]);
		close(y.fds[i]);
	}
	evloop_free(l);
}

static void on_writable_once(struct ev_io *w, uint32_t revents, void *arg)
{
	int *calls = arg;
	assert_true(revents & EPOLLOUT);
	(*calls)++;
	assert_int_equal(ev_io_set(w, 0), 0); /* no longer interested: no more callbacks */
}

static void test_changing_wanted_events(void **state)
{
	(void)state;
	struct evloop *l = evloop_new();
	int fds[2], calls = 0;
	assert_int_equal(pipe(fds), 0);
	struct ev_io *w = ev_io_add(l, fds[1], EPOLLOUT, on_writable_once, &calls);
	assert_non_null(w);
	assert_int_equal(evloop_run_once(l, 1000), 1);
	assert_int_equal(evloop_run_once(l, 20), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(ev_io_set(w, EPOLLOUT), 0);
	assert_int_equal(evloop_run_once(l, 1000), 1);
	assert_int_equal(calls, 2);
	close(fds[0]);
	close(fds[1]);
	evloop_free(l); /* frees the still-registered watcher */
}

struct hook {
	struct ev_prepare p;
	struct evloop *l;
	struct hook *other;
	int runs;
};

static void on_prepare(struct ev_prepare *p, void *arg)
{
	struct hook *h = arg;
	assert_ptr_equal(p, &h->p);
	h->runs++;
	if (h->other)              /* removing the hook that would run next is safe */
		ev_prepare_del(h->l, &h->other->p);
}

static void test_prepare_hooks_may_remove_each_other(void **state)
{
	(void)state;
	struct evloop *l = evloop_new();
	struct hook a = { .l = l }, b = { .l = l };
	ev_prepare_add(l, &a.p, on_prepare, &a);
	ev_prepare_add(l, &b.p, on_prepare, &b);  /* runs first: hooks run newest first */
	b.other = &a;
	evloop_run_once(l, 0);
	assert_int_equal(b.runs, 1);
	assert_int_equal(a.runs, 0);
	evloop_run_once(l, 0);
	assert_int_equal(b.runs, 2);
	ev_prepare_del(l, &b.p);
	evloop_run_once(l, 0);
	assert_int_equal(b.runs, 2);
	evloop_free(l);
}

struct stopper {
	struct ev_timer t;
	struct evloop *l;
};

static void stop_loop(struct ev_timer *t, void *arg)
{
	(void)t;
	struct stopper *s = arg;
	evloop_stop(s->l);
}

static void test_run_returns_after_stop(void **state)
{
	(void)state;
	struct evloop *l = evloop_new();
	struct stopper s = { .l = l };
	ev_timer_init(&s.t, stop_loop, &s);
	ev_timer_start(l, &s.t, 10);
	assert_int_equal(evloop_run(l), 0);
	assert_true(evloop_stopped(l));
	evloop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_due_order),
		cmocka_unit_test(test_deleting_a_ready_watcher_drops_its_event),
		cmocka_unit_test(test_changing_wanted_events),
		cmocka_unit_test(test_prepare_hooks_may_remove_each_other),
		cmocka_unit_test(test_run_returns_after_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
