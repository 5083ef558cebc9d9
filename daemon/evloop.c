/* The daemon's event loop: see evloop.h. */
#include "evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define EV_BATCH 64

struct ev_io {
	struct evloop *loop;
	int fd;
	uint32_t events;
	ev_io_fn fn;
	void *arg;
	bool dead;
	struct ev_io *next_dead;
};

struct evloop {
	int epfd;
	bool stop;
	struct ev_timer **heap;
	size_t nheap, capheap;
	struct ev_prepare *prepares;
	struct ev_prepare *prepare_cursor; /* the next hook to run while the hooks run */
	struct ev_io *dead;                /* deleted watchers, freed after the round */
	struct ev_io **all;                /* every live watcher, for evloop_free */
	size_t nall, capall;
};

uint64_t ev_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct evloop *evloop_new(void)
{
	struct evloop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int e = errno;
		free(l);
		errno = e;
		return NULL;
	}
	return l;
}

static void reap(struct evloop *l)
{
	while (l->dead) {
		struct ev_io *w = l->dead;
		l->dead = w->next_dead;
		free(w);
	}
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nall; i++)
		free(l->all[i]);
	reap(l);
	free(l->all);
	free(l->heap);
	close(l->epfd);
	free(l);
}

void evloop_stop(struct evloop *l)
{
	l->stop = true;
}

bool evloop_stopped(const struct evloop *l)
{
	return l->stop;
}

/* ---- descriptors ---- */

struct ev_io *ev_io_add(struct evloop *l, int fd, uint32_t events, ev_io_fn fn, void *arg)
{
	if (l->nall == l->capall) {
		size_t cap = l->capall ? l->capall * 2 : 16;
		struct ev_io **v = realloc(l->all, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->all = v;
		l->capall = cap;
	}
	struct ev_io *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	*w = (struct ev_io){ .loop = l, .fd = fd, .events = events, .fn = fn, .arg = arg };
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(w);
		errno = e;
		return NULL;
	}
	l->all[l->nall++] = w;
	return w;
}

int ev_io_set(struct ev_io *w, uint32_t events)
{
	if (w->dead || events == w->events)
		return 0;
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return -1;
	w->events = events;
	return 0;
}

int ev_io_set_fd(struct ev_io *w, int fd, uint32_t events)
{
	if (w->dead)
		return -1;
	if (fd == w->fd)
		return ev_io_set(w, events);
	/* the old descriptor may already be closed; then the kernel dropped it from the set */
	epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	struct epoll_event ev = { .events = events, .data.ptr = w };
	w->fd = fd;
	w->events = events;
	return epoll_ctl(w->loop->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int ev_io_fd(const struct ev_io *w)
{
	return w->fd;
}

void ev_io_del(struct ev_io *w)
{
	if (!w || w->dead)
		return;
	struct evloop *l = w->loop;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (size_t i = 0; i < l->nall; i++) {
		if (l->all[i] == w) {
			l->all[i] = l->all[--l->nall];
			break;
		}
	}
	w->dead = true;
	w->next_dead = l->dead;
	l->dead = w;
}

/* ---- timers: a binary min-heap on due_ms ---- */

static void heap_put(struct evloop *l, size_t i, struct ev_timer *t)
{
	l->heap[i] = t;
	t->heap_index = i;
}

static void sift_up(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (l->heap[parent]->due_ms <= t->due_ms)
			break;
		heap_put(l, i, l->heap[parent]);
		i = parent;
	}
	heap_put(l, i, t);
}

static void sift_down(struct evloop *l, size_t i)
{
	struct ev_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
			c++;
		if (t->due_ms <= l->heap[c]->due_ms)
			break;
		heap_put(l, i, l->heap[c]);
		i = c;
	}
	heap_put(l, i, t);
}

void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *arg)
{
	*t = (struct ev_timer){ .heap_index = SIZE_MAX, .fn = fn, .arg = arg };
}

bool ev_timer_running(const struct ev_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

void ev_timer_stop(struct evloop *l, struct ev_timer *t)
{
	if (!ev_timer_running(t))
		return;
	size_t i = t->heap_index;
	t->heap_index = SIZE_MAX;
	struct ev_timer *last = l->heap[--l->nheap];
	if (last == t)
		return;
	heap_put(l, i, last);
	sift_up(l, i);
	sift_down(l, last->heap_index);
}

void ev_timer_start(struct evloop *l, struct ev_timer *t, int64_t ms)
{
	ev_timer_stop(l, t);
	if (ms < 0)
		return;
	if (l->nheap == l->capheap) {
		size_t cap = l->capheap ? l->capheap * 2 : 16;
		struct ev_timer **v = realloc(l->heap, cap * sizeof(*v));
		if (!v)
			abort(); /* a timer that silently never fires would hang I/O forever */
		l->heap = v;
		l->capheap = cap;
	}
	t->due_ms = ev_now_ms() + (uint64_t)ms;
	heap_put(l, l->nheap++, t);
	sift_up(l, l->nheap - 1);
}

/* Runs the timers due by now; a timer restarted from its callback waits for the next round. */
static int run_timers(struct evloop *l)
{
	uint64_t now = ev_now_ms();
	int ran = 0;
	size_t budget = l->nheap;
	while (budget-- > 0 && l->nheap > 0 && l->heap[0]->due_ms <= now) {
		struct ev_timer *t = l->heap[0];
		ev_timer_stop(l, t);
		t->fn(t, t->arg);
		ran++;
	}
	return ran;
}

/* ---- prepare hooks ---- */

void ev_prepare_add(struct evloop *l, struct ev_prepare *p, ev_prepare_fn fn, void *arg)
{
	if (p->linked)
		return;
	*p = (struct ev_prepare){ .next = l->prepares, .fn = fn, .arg = arg, .linked = true };
	if (l->prepares)
		l->prepares->prev = p;
	l->prepares = p;
}

void ev_prepare_del(struct evloop *l, struct ev_prepare *p)
{
	if (!p->linked)
		return;
	if (l->prepare_cursor == p)
		l->prepare_cursor = p->next;
	if (p->prev)
		p->prev->next = p->next;
	else
		l->prepares = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->linked = false;
	p->next = p->prev = NULL;
}

static void run_prepares(struct evloop *l)
{
	l->prepare_cursor = l->prepares;
	while (l->prepare_cursor) {
		struct ev_prepare *p = l->prepare_cursor;
		l->prepare_cursor = p->next;
		p->fn(p, p->arg);
	}
}

/* ---- the loop ---- */

static int wait_ms(struct evloop *l, int max_wait_ms)
{
	if (l->stop)
		return 0;
	if (l->nheap == 0)
		return max_wait_ms;
	uint64_t now = ev_now_ms(), due = l->heap[0]->due_ms;
	int64_t left = due > now ? (int64_t)(due - now) : 0;
	if (max_wait_ms >= 0 && left > max_wait_ms)
		left = max_wait_ms;
	return left > 1000000000 ? 1000000000 : (int)left;
}

int evloop_run_once(struct evloop *l, int max_wait_ms)
{
	run_prepares(l);
	struct epoll_event evs[EV_BATCH];
	int n = epoll_wait(l->epfd, evs, EV_BATCH, wait_ms(l, max_wait_ms));
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	int ran = run_timers(l);
	for (int i = 0; i < n; i++) {
		struct ev_io *w = evs[i].data.ptr;
		if (w->dead)
			continue;
		w->fn(w, evs[i].events, w->arg);
		ran++;
	}
	reap(l);
	return ran;
}

int evloop_run(struct evloop *l)
{
	l->stop = false;
	while (!l->stop) {
		if (evloop_run_once(l, -1) < 0)
			return -1;
	}
	return 0;
}
