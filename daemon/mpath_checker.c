/* Rounds of TEST UNIT READY over every map's paths, and what their answers do to the paths. */
#include "mpath_checker.h"

#include <stdlib.h>

/* A TUR out on one path. The path is found again by its route handle when the answer comes:
 * the path's index moves when an earlier path leaves, and the path may have left. */
struct probe {
	struct mpath_checker *c;   /* NULL once the checker went: the answer is dropped */
	void *handle;
	struct probe *next;
};

struct mpath_checker {
	struct mpath_maps *ms;
	const struct mpath_checker_ops *ops;
	void *ctx;
	struct probe *out;         /* TURs not yet answered */
};

struct mpath_checker *mpath_checker_new(struct mpath_maps *ms, const struct mpath_checker_ops *ops,
					void *ctx)
{
	struct mpath_checker *c = calloc(1, sizeof(*c));
	if (c)
		*c = (struct mpath_checker){ .ms = ms, .ops = ops, .ctx = ctx };
	return c;
}

void mpath_checker_free(struct mpath_checker *c)
{
	if (!c)
		return;
	for (struct probe *p = c->out; p; p = p->next)
		p->c = NULL;
	free(c);
}

unsigned mpath_checker_pending(const struct mpath_checker *c)
{
	unsigned n = 0;
	for (const struct probe *p = c->out; p; p = p->next)
		n++;
	return n;
}

static bool probing(const struct mpath_checker *c, const void *handle)
{
	for (const struct probe *p = c->out; p; p = p->next)
		if (p->handle == handle)
			return true;
	return false;
}

static void unlink_probe(struct probe *p)
{
	for (struct probe **at = &p->c->out; *at; at = &(*at)->next)
		if (*at == p) {
			*at = p->next;
			return;
		}
}

/* The verdict on the path with this handle, wherever it is now. */
static void judge(struct mpath_checker *c, const void *handle, bool good)
{
	for (size_t k = 0; k < c->ms->n; k++) {
		struct mpath_lun *m = c->ms->map[k];
		for (size_t i = 0; i < m->sel.npaths; i++) {
			if (m->route[i].handle != handle)
				continue;
			if (m->sel.path[i].up != good) {
				mpath_path_set(&m->sel, i, good, c->ops->now_ms(c->ctx));
				c->ops->changed(c->ctx, m, i);
			}
			return;
		}
	}
}

static void answered(void *arg, bool good)
{
	struct probe *p = arg;
	struct mpath_checker *c = p->c;
	if (c) {
		unlink_probe(p);
		judge(c, p->handle, good);
	}
	free(p);
}

static void send_tur(struct mpath_checker *c, void *handle)
{
	if (!handle || probing(c, handle))
		return;   /* the TUR already out decides; a second one would say nothing new */
	struct probe *p = calloc(1, sizeof(*p));
	if (!p)
		return;   /* the next round tries again */
	*p = (struct probe){ .c = c, .handle = handle, .next = c->out };
	c->out = p;
	if (c->ops->tur(c->ctx, handle, answered, p) < 0)
		answered(p, false);
}

void mpath_checker_check(struct mpath_checker *c, void *handle)
{
	send_tur(c, handle);
}

static void run_round(struct mpath_checker *c, struct mpath_lun *m)
{
	mpath_retry_round(&m->sel);
	for (size_t i = 0; i < m->sel.npaths; i++)
		send_tur(c, m->route[i].handle);
	c->ops->round(c->ctx, m);
}

void mpath_checker_tick(struct mpath_checker *c)
{
	uint64_t now = c->ops->now_ms(c->ctx);
	for (size_t k = 0; k < c->ms->n; k++) {
		struct mpath_lun *m = c->ms->map[k];
		uint64_t every = (uint64_t)m->sel.pol.checker_interval * 1000;
		mpath_tick(&m->sel, now);   /* a failback N seconds due, to the second */
		if (!m->sel.all_down) {
			m->check_outage = false;
		} else if (!m->check_outage || m->check_outage_ms != m->sel.all_down_ms) {
			/* the rounds restart from the moment the last path failed, so that
			 * no_path_retry N holds commands N whole intervals, as multipathd does */
			m->check_outage = true;
			m->check_outage_ms = m->sel.all_down_ms;
			m->next_check_ms = m->sel.all_down_ms + every;
		}
		if (m->next_check_ms == 0)
			m->next_check_ms = now + every;   /* a new map: its paths were just probed */
		if (now < m->next_check_ms)
			continue;
		/* the next one an interval on; after a stall, an interval from now, not a burst */
		m->next_check_ms += every;
		if (m->next_check_ms <= now)
			m->next_check_ms = now + every;
		run_round(c, m);
	}
}
