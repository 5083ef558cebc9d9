/* Where sessions meet multipath: each LUN with an identity is a path of the map of that
 * identity, from the moment its files are made until they go; the maps' listing and -f. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dlog.h"
#include "mpath_checker.h"
#include "mpath_io.h"
#include "session_table.h"

/* The checker's clock: its intervals and failback N are whole seconds, so it looks every
 * second, as multipathd's checker loop does. */
enum { TICK_MS = 1000 };

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* How the dispatcher runs a command on a path: the path's LUN file (lunfs_map.c). */
static int path_submit(void *ctx, void *handle, bool write, void *buf, uint64_t lba,
		       uint32_t blocks, mpath_io_path_fn done, void *arg)
{
	(void)ctx;
	return lunfs_path_rw(handle, write, buf, lba, blocks, done, arg);
}

static int path_sync(void *ctx, void *handle, mpath_io_path_fn done, void *arg)
{
	(void)ctx;
	return lunfs_path_sync(handle, done, arg);
}

static uint64_t ops_now(void *ctx)
{
	(void)ctx;
	return now_ms();
}

/* An error the application sees: one line a command, as the kernel logs a failed request. */
static void path_none(void *ctx, const struct mpath_lun *m, bool write, bool sync, uint64_t lba,
		      uint32_t blocks)
{
	(void)ctx;
	if (sync)
		dlog(LOG_ERR, "multipath map %s: SYNCHRONIZE CACHE failed: no path left (EIO)",
		     m->info.id.name);
	else
		dlog(LOG_ERR, "multipath map %s: %s of %" PRIu32 " blocks at LBA %" PRIu64
		     " failed: no path left (EIO)", m->info.id.name, write ? "WRITE" : "READ", blocks,
		     lba);
}

static const struct mpath_io_ops path_ops = { .submit = path_submit, .sync = path_sync,
					      .now_ms = ops_now, .no_path = path_none };

/* ---- what became of a failed path's commands: told once per failure event ---- */

static unsigned bounced_total(const struct mpath_bounced *b)
{
	return b->moved + b->held + b->failed;
}

/* ": 31 commands re-issued on other paths, 1 command held for want of a path" (or "" when
 * none), and the counts cleared: the next failure event starts from 0. */
static const char *take_bounced(struct mpath_route *r, char *out, size_t len)
{
	struct mpath_bounced *b = &r->bounced;
	const struct { unsigned n; const char *what; } part[] = {
		{ b->moved, "re-issued on other paths" },
		{ b->held, "held for want of a path" },
		{ b->failed, "failed: no path left" },
	};
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++)
		if (part[i].n && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s %u command%s %s",
						 used ? "," : ":", part[i].n, part[i].n == 1 ? "" : "s",
						 part[i].what);
	*b = (struct mpath_bounced){ 0 };
	return out;
}

/* Every second: a path whose commands failed without its session going down (a command's
 * timeout, a port that cannot serve the LUN) is told here, once its count stopped growing for
 * a tick, so that one burst is one line. A session going down tells its own at once. */
static void tell_bounced(struct mpath_maps *ms)
{
	for (size_t k = 0; k < ms->n; k++)
		for (size_t i = 0; i < ms->map[k]->sel.npaths; i++) {
			struct mpath_route *r = &ms->map[k]->route[i];
			unsigned total = bounced_total(&r->bounced);
			if (total == 0 || total != r->bounced.seen) {
				r->bounced.seen = total;
				continue;
			}
			char text[160];
			dlog(LOG_WARNING, "multipath map %s: path %zu (session %u, iface %s) failed%s",
			     ms->map[k]->info.id.name, i + 1, r->sid, r->iface,
			     take_bounced(r, text, sizeof(text)));
		}
}

/* How the checker sends its TUR: on the path's LUN file's session (lunfs_map.c). */
static int path_tur(void *ctx, void *handle, mpath_checker_fn done, void *arg)
{
	(void)ctx;
	return lunfs_path_tur(handle, done, arg);
}

static void path_checked(void *ctx, struct mpath_lun *m, size_t i)
{
	(void)ctx;
	struct mpath_route *r = &m->route[i];
	bool up = m->sel.path[i].up;
	char text[160] = "";
	dlog(up ? LOG_INFO : LOG_WARNING, "multipath map %s: path %zu (session %u, iface %s) %s%s",
	     m->info.id.name, i + 1, r->sid, r->iface,
	     up ? "reinstated: TEST UNIT READY succeeded" : "failed: TEST UNIT READY did not succeed",
	     up ? "" : take_bounced(r, text, sizeof(text)));
	if (up && m->io)
		mpath_io_kick(m->io);   /* commands held for want of a path go out on it */
}

static void round_ran(void *ctx, struct mpath_lun *m)
{
	(void)ctx;
	if (m->io)
		mpath_io_kick(m->io);   /* held ones fail here once no_path_retry ran out */
}

static const struct mpath_checker_ops checker_ops = { .tur = path_tur, .changed = path_checked,
						      .round = round_ran, .now_ms = ops_now };

/* A new map's dispatcher and by-id file (a map without them still lists). */
static void map_open(struct sessions *t, struct mpath_lun *m)
{
	if (!(m->io = mpath_io_new(m, &path_ops, NULL)))
		return;
	if (t->fs && !(m->file = lunfs_byid_add(t->fs, &m->info, m->io)))
		dlog(LOG_WARNING, "multipath map %s: cannot make its by-id file", m->info.id.name);
}

/* mpath_maps' dropping hook: held commands fail, the file goes; the map stays (leaked, logged)
 * only when commands are still in flight on it, which a map without paths should not have. */
static bool map_closing(struct mpath_lun *m, void *arg)
{
	struct sessions *t = arg;
	for (size_t i = 0; i < m->sel.npaths; i++)
		lunfs_path_put(m->route[i].handle);
	if (t->fs)
		lunfs_byid_remove(t->fs, m->file);
	m->file = NULL;
	if (!m->io)
		return false;
	mpath_io_fail_held(m->io);
	if (mpath_io_busy(m->io)) {
		dlog(LOG_ERR, "multipath map %s goes with %u commands in flight: kept", m->info.id.name,
		     mpath_io_busy(m->io));
		return true;
	}
	mpath_io_free(m->io);
	return false;
}

static void tick(struct ev_timer *tm, void *arg)
{
	struct sessions *t = arg;
	tell_bounced(&t->maps);
	mpath_checker_tick(t->checker);
	ev_timer_start(t->loop, tm, TICK_MS);
}

void sessions_mpath_start(struct sessions *t)
{
	t->maps.dropping = map_closing;
	t->maps.dropping_arg = t;
	ev_timer_init(&t->mpath_kick, tick, t);
	if (!(t->checker = mpath_checker_new(&t->maps, &checker_ops, NULL))) {
		/* without it failed paths would never come back: say so loudly */
		dlog(LOG_ERR, "multipath: out of memory for the path checker; failed paths stay failed");
		return;
	}
	ev_timer_start(t->loop, &t->mpath_kick, TICK_MS);
}

void sessions_mpath_stop(struct sessions *t)
{
	ev_timer_stop(t->loop, &t->mpath_kick);
	mpath_checker_free(t->checker);
	t->checker = NULL;
}

/* The session's LUNs as lunfs lists them (malloc'd, *n of them), or NULL. */
static struct lunfs_device *devices(const struct dsession *ds, size_t *n)
{
	*n = 0;
	if (!ds->ls)
		return NULL;
	struct lunfs_device *d = calloc(CTL_MAX_DEVICES, sizeof(*d));
	if (d) {
		*n = lunfs_session_devices(ds->ls, d, CTL_MAX_DEVICES);
		*n = *n > CTL_MAX_DEVICES ? CTL_MAX_DEVICES : *n;
	}
	return d;
}

static void join_one(struct dsession *ds, const struct lunfs_device *d, const struct mpath_policy *pol)
{
	struct lun_info info = { .lun = d->lun, .blocks = d->blocks, .block_size = d->block_size,
				 .read_only = d->read_only, .has_id = d->has_id, .id = d->id };
	CTL_SET(info.vendor, d->vendor);
	CTL_SET(info.product, d->product);
	struct mpath_route r = { .sid = ds->sid, .lun = d->lun, .port = ds->node.port };
	CTL_SET(r.iface, ds->node.iface);
	CTL_SET(r.address, ds->node.address);
	CTL_SET(r.target, ds->node.target);
	r.handle = lunfs_path_get(ds->ls, d->lun);
	struct mpath_lun *m = mpath_maps_find(&ds->t->maps, d->id.name);
	size_t path;
	if (m && m->info.block_size != d->block_size) {
		/* the map's offsets are blocks of its own size: this path would mean other bytes */
		lunfs_path_put(r.handle);
		dlog(LOG_WARNING, "session %u: LUN %" PRIu64 " is no path of multipath map %s: its "
				  "block size is %u bytes, the map's %u", ds->sid, d->lun, d->id.name,
		     d->block_size, m->info.block_size);
		return;
	}
	if (mpath_maps_add(&ds->t->maps, &info, &r, pol, now_ms(), &m, &path) < 0) {
		lunfs_path_put(r.handle);
		dlog(LOG_WARNING, "session %u: LUN %" PRIu64 " is in no multipath map (%s)", ds->sid,
		     d->lun, d->has_id ? "out of memory or paths" : "it has no identity");
		return;
	}
	dlog(LOG_INFO, "session %u: LUN %" PRIu64 " is path %zu of multipath map %s", ds->sid,
	     d->lun, path + 1, d->id.name);
	if (path == 0)
		map_open(ds->t, m);
	else if (m->io)
		mpath_io_kick(m->io);   /* commands held for want of a path go out on this one */
}

/* Whether session sid's LUN lun is a path of some map already. */
static bool is_path(const struct mpath_maps *ms, uint32_t sid, uint64_t lun)
{
	for (size_t k = 0; k < ms->n; k++)
		for (size_t i = 0; i < ms->map[k]->sel.npaths; i++)
			if (ms->map[k]->route[i].sid == sid && ms->map[k]->route[i].lun == lun)
				return true;
	return false;
}

/* A map takes its LUN's new capacity once every path's last probe agrees on it, as
 * multipathd's resize refuses while its paths' sizes differ: a grown LUN is seen on one
 * session's path first (its rescan), the map grows with the last one's. Until then the map
 * keeps its size, and a command beyond a smaller path's end goes on another path. */
static void follow_path_sizes(struct sessions *t, struct mpath_lun *m)
{
	uint64_t blocks = 0;
	bool differ = false;
	char sizes[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < m->sel.npaths; i++) {
		const struct lun_info *p = lunfs_path_info(m->route[i].handle);
		if (!p)
			continue;
		differ |= blocks && p->blocks != blocks;
		blocks = p->blocks;
		int n = snprintf(sizes + used, sizeof(sizes) - used,
				 "%spath %zu (session %u) %" PRIu64 " bytes", used ? ", " : "", i + 1,
				 m->route[i].sid, p->blocks * p->block_size);
		if (n > 0 && (size_t)n < sizeof(sizes) - used)
			used += (size_t)n;
	}
	uint64_t bs = m->info.block_size;
	if (differ) {
		dlog(LOG_WARNING, "multipath map %s: its paths disagree on the LUN's capacity (%s): "
				  "it stays %" PRIu64 " bytes until they agree", m->info.id.name,
		     sizes, m->info.blocks * bs);
		return;
	}
	if (!blocks || blocks == m->info.blocks)
		return;
	dlog(LOG_INFO, "multipath map %s: capacity changed from %" PRIu64 " to %" PRIu64 " bytes",
	     m->info.id.name, m->info.blocks * bs, blocks * bs);
	m->info.blocks = blocks;
	if (t->fs)
		lunfs_byid_resize(t->fs, m->file, blocks);
}

static void follow_sizes(struct sessions *t)
{
	for (size_t k = 0; k < t->maps.n; k++)
		follow_path_sizes(t, t->maps.map[k]);
}

void session_mpath_join(struct dsession *ds)
{
	struct mpath_policy pol;
	if (ds->t->cfg)
		config_target_policy(ds->t->cfg, ds->node.target, &pol);
	else
		mpath_policy_defaults(&pol);
	size_t n;
	struct lunfs_device *d = devices(ds, &n);
	for (size_t i = 0; i < n; i++)
		if (d[i].has_id && !is_path(&ds->t->maps, ds->sid, d[i].lun))
			join_one(ds, &d[i], &pol);
	free(d);
	follow_sizes(ds->t);   /* after a rescan: the LUNs kept may have a new size */
}

void session_mpath_leave(struct dsession *ds)
{
	struct mpath_maps *ms = &ds->t->maps;
	for (size_t k = 0; k < ms->n; k++)
		for (size_t i = 0; i < ms->map[k]->sel.npaths; i++)
			if (ms->map[k]->route[i].sid == ds->sid) {
				lunfs_path_put(ms->map[k]->route[i].handle);
				ms->map[k]->route[i].handle = NULL;
			}
	mpath_maps_remove_session(&ds->t->maps, ds->sid, now_ms());
	follow_sizes(ds->t);   /* the paths left may agree now */
}

/* A path stays across a rescan when its LUN file is still the session's and the LUN there
 * still has the map's identity. */
static bool still_there(const struct mpath_lun *m, const struct mpath_route *r,
			const struct lunfs_device *d, size_t n)
{
	if (!lunfs_path_current(r->handle))
		return false;
	for (size_t i = 0; i < n; i++)
		if (d[i].lun == r->lun)
			return d[i].has_id && strcmp(d[i].id.name, m->info.id.name) == 0;
	return false;
}

/* Whether the LUN of r is still listed, with another identity than m's: another disk. */
static bool another_disk(const struct mpath_lun *m, const struct mpath_route *r,
			 const struct lunfs_device *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i].lun == r->lun)
			return !d[i].has_id || strcmp(d[i].id.name, m->info.id.name) != 0;
	return false;
}

/* A LUN number of a target that one session found naming another disk, and the map it left */
struct disk_swap {
	char map[sizeof(((struct mpath_lun *)0)->info.id.name)];
	char target[sizeof(((struct mpath_route *)0)->target)];
	uint64_t lun;
};

/* A logical unit is its target's and LUN number's, whichever session reaches it: the map's other
 * paths to that LUN of that target reach the new disk too. They leave the map at once rather
 * than serve the new disk as the old one until their sessions rescan, and those sessions
 * rescan now (a target that shows each initiator its own LUNs has them join again). */
static void swap_everywhere(struct dsession *ds, const struct disk_swap *sw)
{
	struct mpath_maps *ms = &ds->t->maps;
	struct mpath_lun *m;
	while ((m = mpath_maps_find(ms, sw->map))) {
		size_t i = 0;
		while (i < m->sel.npaths && (m->route[i].lun != sw->lun ||
					     strcmp(m->route[i].target, sw->target) != 0))
			i++;
		if (i == m->sel.npaths)
			return;
		struct mpath_route *r = &m->route[i];
		uint32_t sid = r->sid;
		dlog(LOG_WARNING, "session %u: LUN %" PRIu64 " leaves multipath map %s: session %u found "
				  "another disk under that LUN; rescanning", sid, sw->lun, sw->map,
		     ds->sid);
		lunfs_path_put(r->handle);
		r->handle = NULL;
		mpath_maps_remove(ms, sid, sw->lun, now_ms());   /* m may have gone */
		struct dsession *other = session_table_find_sid(ds->t, sid);
		if (other && other->state == DS_READY && other->ls &&
		    lunfs_rescan_session(other->ls, NULL, NULL) < 0)
			dlog(LOG_WARNING, "session %u: cannot rescan it: it is detaching", sid);
	}
}

enum { MAX_SWAPS = 8 };   /* per rescan; more wait for their sessions' own rescans */

void session_mpath_rescanned(struct dsession *ds)
{
	struct mpath_maps *ms = &ds->t->maps;
	size_t n, nswaps = 0;
	struct disk_swap swaps[MAX_SWAPS];
	struct lunfs_device *d = devices(ds, &n);
	if (!d && ds->ls)
		return;   /* out of memory: leave the paths as they are rather than drop them all */
	for (size_t k = ms->n; k-- > 0;) {
		struct mpath_lun *m = ms->map[k];
		for (size_t i = m->sel.npaths; i-- > 0;) {
			struct mpath_route *r = &m->route[i];
			if (r->sid != ds->sid || still_there(m, r, d, n))
				continue;
			dlog(LOG_INFO, "session %u: LUN %" PRIu64 " leaves multipath map %s", ds->sid,
			     r->lun, m->info.id.name);
			if (another_disk(m, r, d, n) && nswaps < MAX_SWAPS) {
				struct disk_swap *sw = &swaps[nswaps++];
				CTL_SET(sw->map, m->info.id.name);
				CTL_SET(sw->target, r->target);
				sw->lun = r->lun;
			}
			lunfs_path_put(r->handle);
			r->handle = NULL;
			bool last = m->sel.npaths == 1;
			mpath_maps_remove(ms, ds->sid, r->lun, now_ms());
			if (last)
				break;   /* the map went */
		}
	}
	free(d);
	for (size_t i = 0; i < nswaps; i++)
		swap_everywhere(ds, &swaps[i]);
	session_mpath_join(ds);   /* the new LUNs (and those of a new identity) join */
}

/* ---- the by-id loop devices of a session's maps: waited for after login, detached first at
 * logout ---- */

struct loops_wait {
	struct dsession *ds;
	void (*then)(struct dsession *ds);
	unsigned pending;
};

static void loop_settled(void *arg)
{
	struct loops_wait *w = arg;
	if (--w->pending)
		return;
	struct dsession *ds = w->ds;
	void (*then)(struct dsession *) = w->then;
	free(w);
	then(ds);
}

static bool has_path_of(const struct mpath_lun *m, uint32_t sid)
{
	for (size_t i = 0; i < m->sel.npaths; i++)
		if (m->route[i].sid == sid)
			return true;
	return false;
}

static bool only_paths_of(const struct mpath_lun *m, uint32_t sid)
{
	for (size_t i = 0; i < m->sel.npaths; i++)
		if (m->route[i].sid != sid)
			return false;
	return m->sel.npaths > 0;
}

/* release: detach the devices of the maps whose every path is ds's; else wait until those of
 * the maps ds is a path of are attached. */
static void loops_of(struct dsession *ds, bool release, void (*then)(struct dsession *ds))
{
	struct loops_wait *w = malloc(sizeof(*w));
	if (!w || !ds->t->fs) {
		free(w);
		then(ds);
		return;
	}
	*w = (struct loops_wait){ .ds = ds, .then = then, .pending = 1 };
	const struct mpath_maps *ms = &ds->t->maps;
	for (size_t k = 0; k < ms->n; k++) {
		struct mpath_lun *m = ms->map[k];
		if (!m->file || !(release ? only_paths_of(m, ds->sid) : has_path_of(m, ds->sid)))
			continue;
		w->pending++;
		if (release)
			lunfs_byid_detach_loop(ds->t->fs, m->file, loop_settled, w);
		else
			lunfs_byid_settled(ds->t->fs, m->file, loop_settled, w);
	}
	loop_settled(w);
}

void session_mpath_loops_ready(struct dsession *ds, void (*then)(struct dsession *ds))
{
	loops_of(ds, false, then);
}

void session_mpath_release(struct dsession *ds, void (*then)(struct dsession *ds))
{
	loops_of(ds, true, then);
}

/* Each recovery step (and a failure) moves the session's paths: out at once when it leaves
 * LOGGED_IN (its fail-fast commands come back as path errors and go elsewhere), in again when
 * it is reinstated, and then the commands held for want of a path go out at once rather than
 * at the next tick. */
void session_mpath_state(struct dsession *ds, enum swi_state st)
{
	struct mpath_maps *ms = &ds->t->maps;
	for (size_t k = 0; k < ms->n; k++)
		for (size_t i = 0; i < ms->map[k]->sel.npaths; i++) {
			struct mpath_route *r = &ms->map[k]->route[i];
			if (r->sid != ds->sid)
				continue;
			bool down = st != SWI_STATE_LOGGED_IN;
			mpath_path_from_session(&ms->map[k]->sel, i, st, now_ms());
			/* once per outage (its commands' path errors may have taken it out already):
			 * the failure event, with what became of the commands the lost connection
			 * failed (libswiscsi fails them before it reports the loss) */
			char text[160] = "";
			if (down && !r->session_down)
				dlog(LOG_WARNING, "multipath map %s: path %zu (session %u, iface %s) is "
				     "down%s", ms->map[k]->info.id.name, i + 1, ds->sid, r->iface,
				     take_bounced(r, text, sizeof(text)));
			else if (!down && r->session_down)
				dlog(LOG_INFO, "multipath map %s: path %zu (session %u, iface %s) is back "
				     "(in use once a TEST UNIT READY succeeds)", ms->map[k]->info.id.name,
				     i + 1, ds->sid, r->iface);
			r->session_down = down;
			if (!down && ds->t->checker)
				mpath_checker_check(ds->t->checker, r->handle);   /* back after a TUR */
		}
}

void session_mpath_device(const struct dsession *ds, struct ctl_device *c)
{
	const struct mpath_maps *ms = &ds->t->maps;
	for (size_t k = 0; k < ms->n; k++) {
		const struct mpath_lun *m = ms->map[k];
		for (size_t i = 0; i < m->sel.npaths; i++) {
			if (m->route[i].sid != ds->sid || m->route[i].lun != c->lun)
				continue;
			CTL_SET(c->mpath, m->info.id.name);
			CTL_SET(c->mpath_loop, lunfs_byid_loop(m->file));
			c->path_up = m->sel.path[i].up && ds->state == DS_READY;
			return;
		}
	}
}

uint32_t sessions_mpath_describe(const struct sessions *t, const char *name, struct ctl_buf *b)
{
	for (size_t k = 0; k < t->maps.n; k++)   /* the by-id file's device, attached by now? */
		CTL_SET(t->maps.map[k]->loop, lunfs_byid_loop(t->maps.map[k]->file));
	return mpath_maps_describe(&t->maps, name, now_ms(), b);
}

/* ---- swiscsi-multipath -f: the loop device first, gone from the kernel, then the map ----
 * In that order so that what the device still writes back reaches the LUN through the map,
 * and so that the reply means what a script after it expects: losetup -a no longer lists the
 * device, and it may be reused. A device that does not go leaves the map in place. */

/* What a shutdown gives detaches and logouts (main.c's LOGOUT_MS). */
enum { FLUSH_DETACH_MS = 5000 };

struct flush_wait {
	struct waiter w;       /* first: sessions_forget_waiter clears w.done */
	struct sessions *t;
	char name[sizeof(((struct ctl_mpath_req *)0)->map)];
	bool in_call, ended;   /* the answer may come before lunfs_byid_release_loop returns */
};

/* The map goes now: 0 (or it went meanwhile, as -f asked), else why not, in msg. */
static int drop_now(struct sessions *t, const char *name, char *msg, size_t len)
{
	switch (mpath_maps_flush(&t->maps, name)) {
	case -2:
		snprintf(msg, len, "%s: map in use", name);
		return 1;
	case -1:   /* its last path left while its device went: gone all the same */
	case 0:
		dlog(LOG_INFO, "multipath map %s dropped", name);
		return 0;
	}
	return 0;
}

static void device_released(void *arg, const char *dev, const char *why)
{
	struct flush_wait *fw = arg;
	char msg[320];
	int status;
	if (why) {
		snprintf(msg, sizeof(msg), "%s: loop device %s not detached: %s; the map stays",
			 fw->name, dev, why);
		dlog(LOG_WARNING, "multipath map %s: -f: loop device %s not detached: %s; the map "
		     "stays", fw->name, dev, why);
		status = 1;
	} else {
		status = drop_now(fw->t, fw->name, msg, sizeof(msg));
	}
	if (fw->w.done)
		fw->w.done(fw->w.arg, status, 0, status ? msg : "");
	if (fw->in_call)
		fw->ended = true;
	else
		free(fw);
}

void *sessions_mpath_flush(struct sessions *t, const char *name, sessions_done_fn done,
			   void *arg)
{
	char msg[320];
	struct mpath_lun *m = mpath_maps_find(&t->maps, name);
	if (!m) {
		snprintf(msg, sizeof(msg), "%s: no such multipath map", name);
		done(arg, 1, 0, msg);
		return NULL;
	}
	if (lunfs_byid_in_use(m->file) || mpath_maps_busy(m)) {
		snprintf(msg, sizeof(msg), "%s: map in use", name);   /* multipath -f leaves it too */
		done(arg, 1, 0, msg);
		return NULL;
	}
	struct flush_wait *fw = t->fs && m->file ? calloc(1, sizeof(*fw)) : NULL;
	if (fw) {
		*fw = (struct flush_wait){ .w = { .done = done, .arg = arg }, .t = t, .in_call = true };
		CTL_SET(fw->name, name);
		if (lunfs_byid_release_loop(t->fs, m->file, FLUSH_DETACH_MS, device_released, fw) == 0) {
			fw->in_call = false;
			if (!fw->ended)
				return &fw->w;
			free(fw);
			return NULL;
		}
		free(fw);
	}
	if (t->fs && m->file) {
		snprintf(msg, sizeof(msg), "%s: out of memory", name);
		done(arg, 1, 0, msg);
		return NULL;
	}
	int status = drop_now(t, name, msg, sizeof(msg));   /* no file: no device */
	done(arg, status, 0, status ? msg : "");
	return NULL;
}
