/* swiscsid's one event loop: epoll over descriptors, one-shot timers on a binary heap, and
 * prepare hooks run before every wait.
 *
 * Everything the daemon does — every session, the control socket, the LUN filesystem, signals —
 * runs from this loop in one thread. libswiscsi sessions fit it through a prepare hook: before
 * each wait the hook sets the session's wanted events (ev_io_set with swi_events) and its
 * deadline (ev_timer_start with swi_timeout_ms), and the callbacks call swi_service.
 *
 * Ownership: an ev_io is allocated by ev_io_add and released by ev_io_del, which may be called
 * from any callback, its own included (the memory is reclaimed after the current dispatch
 * round, so an event already fetched for it is dropped, never delivered to freed memory). Timers
 * and prepare hooks are embedded in the caller's structures: the caller owns their memory and
 * must stop them before freeing it. The loop never closes descriptors it did not open. */
#ifndef SWISCSID_EVLOOP_H
#define SWISCSID_EVLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct ev_io;

typedef void (*ev_io_fn)(struct ev_io *w, uint32_t revents, void *arg);

struct ev_timer;
typedef void (*ev_timer_fn)(struct ev_timer *t, void *arg);
struct ev_timer {
	uint64_t due_ms;      /* on ev_now_ms()'s clock */
	size_t heap_index;    /* position in the loop's heap; SIZE_MAX when not running */
	ev_timer_fn fn;
	void *arg;
};

struct ev_prepare;
typedef void (*ev_prepare_fn)(struct ev_prepare *p, void *arg);
struct ev_prepare {
	struct ev_prepare *next, *prev;
	ev_prepare_fn fn;
	void *arg;
	bool linked;
};

/* NULL with errno set when epoll cannot be had. */
struct evloop *evloop_new(void);
/* Frees the loop and every ev_io still registered (their descriptors stay open). Timers and
 * prepare hooks still registered are simply forgotten. */
void evloop_free(struct evloop *l);

/* Runs until evloop_stop: 0, or -1 with errno when epoll_wait fails for a reason other
 * than EINTR. */
int evloop_run(struct evloop *l);
/* One round: prepare hooks, a wait of at most max_wait_ms (-1: until something happens),
 * due timers, ready descriptors. Returns the number of callbacks run, or -1. */
int evloop_run_once(struct evloop *l, int max_wait_ms);
/* Makes evloop_run return after the current round. Callable from any callback. */
void evloop_stop(struct evloop *l);
bool evloop_stopped(const struct evloop *l);

/* Monotonic milliseconds. */
uint64_t ev_now_ms(void);

/* EPOLLIN / EPOLLOUT (and EPOLLPRI); EPOLLERR and EPOLLHUP are always reported. NULL with errno
 * when epoll refuses the descriptor or memory runs out. */
struct ev_io *ev_io_add(struct evloop *l, int fd, uint32_t events, ev_io_fn fn, void *arg);
/* Changes the wanted events; a system call only when they differ from the current ones. */
int ev_io_set(struct ev_io *w, uint32_t events);
/* Re-points the watcher at another descriptor (a session that reconnected). */
int ev_io_set_fd(struct ev_io *w, int fd, uint32_t events);
int ev_io_fd(const struct ev_io *w);
void ev_io_del(struct ev_io *w);

void ev_timer_init(struct ev_timer *t, ev_timer_fn fn, void *arg);
/* (Re)starts t to fire once, ms from now (ms < 0 stops it). */
void ev_timer_start(struct evloop *l, struct ev_timer *t, int64_t ms);
void ev_timer_stop(struct evloop *l, struct ev_timer *t);
bool ev_timer_running(const struct ev_timer *t);

void ev_prepare_add(struct evloop *l, struct ev_prepare *p, ev_prepare_fn fn, void *arg);
void ev_prepare_del(struct evloop *l, struct ev_prepare *p);

#endif
