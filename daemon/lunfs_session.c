/* A session's LUN files: attach, rescan and detach, each a sequence of SCSI probes and loop
 * device jobs. One such operation runs at a time per session; a rescan or a detach asked for
 * meanwhile runs when the current one ends. Every request with a callback hears exactly once:
 * a waiting rescan that a detach overtakes fails, and a detach asked for while an attach is
 * failing completes when the failed attach's leftovers are gone. */
#include "lunfs_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "loopdev.h"

static void run_deferred(struct lunfs_session *ls);

/* pending starts at 1: the caller's own reference, dropped with op_put when it has started
 * everything the operation needs. */
static void op_begin(struct lunfs_session *ls, enum lunfs_op_kind kind, lunfs_done_fn done,
		     void *arg)
{
	ls->busy = true;
	ls->op = (struct lunfs_op){ .kind = kind, .done = done, .arg = arg, .pending = 1 };
}

static void op_fail(struct lunfs_session *ls, const char *message)
{
	if (ls->op.status == 0)
		snprintf(ls->op.message, sizeof(ls->op.message), "%s", message);
	ls->op.status = -1;
}

static void op_finish(struct lunfs_session *ls);

/* Drops one reference of the current operation; the last one finishes it. */
static void op_put(struct lunfs_session *ls)
{
	if (--ls->op.pending == 0)
		op_finish(ls);
}

static void file_path(const struct lunfs_session *ls, const struct lunfs_lun *l, char *out,
		      size_t len)
{
	snprintf(out, len, "%s/by-iface/%s/%s", ls->fs->dir, ls->iface, l->name);
}

static void loop_attached(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	struct lunfs_lun *l = arg;
	struct lunfs_session *ls = l->ls;
	if (status == 0) {
		snprintf(l->loop, sizeof(l->loop), "%s", dev);
		l->loop_direct = direct;
		dlog(LOG_INFO, "%s: %s attached (%s I/O)", l->name, dev, direct ? "direct" : "buffered");
	} else {
		/* the file still serves; a machine without loop devices still gets its disks */
		dlog(LOG_WARNING, "%s: no loop device: %s", l->name, msg);
	}
	op_put(ls);
}

static void add_lun(struct lunfs_session *ls, const struct lun_info *info)
{
	struct lunfs *fs = ls->fs;
	struct lunfs_lun *l = calloc(1, sizeof(*l));
	if (!l) {
		op_fail(ls, "out of memory");
		return;
	}
	*l = (struct lunfs_lun){ .ino = fs->next_ino++, .ls = ls, .info = *info, .refs = 0 };
	bool v6 = strchr(ls->address, ':') != NULL;   /* in brackets, as udev names it */
	int n = snprintf(l->name, sizeof(l->name), "ip-%s%s%s:%d-iscsi-%s-lun-%" PRIu64, v6 ? "[" : "",
			 ls->address, v6 ? "]" : "", ls->port, ls->target, info->lun);
	if (ls->instance && n > 0 && n < (int)sizeof(l->name))
		n += snprintf(l->name + n, sizeof(l->name) - (size_t)n, "-session-%u", ls->instance + 1);
	fuse_ino_t dir = tree_dir(fs, INO_BY_IFACE, ls->iface);   /* gone with its last file */
	if (n >= (int)sizeof(l->name) || !dir || tree_link(fs, dir, l) < 0) {
		op_fail(ls, n >= (int)sizeof(l->name) ? "LUN file name longer than 255 bytes"
						      : "LUN file name already in use");
		tree_unlink_lun(fs, l);
		free(l);
		return;
	}
	/* by-path is udev's name: the first session to a portal and target keeps it */
	tree_link(fs, INO_BY_PATH, l);
	l->next = ls->luns;
	ls->luns = l;
	dlog(LOG_INFO, "%s: %s %s, %" PRIu64 " blocks of %u bytes%s, %s", l->name, info->vendor,
		info->product, info->blocks, info->block_size, info->read_only ? ", read-only" : "",
		info->has_id ? info->id.name : "no identity (VPD 0x83/0x80)");
	if (!fs->cfg.loop_devices)
		return;
	char path[1024];
	file_path(ls, l, path, sizeof(path));
	ls->op.pending++;
	if (loopdev_attach_async(fs->loops, path, info->read_only, fs->cfg.loop_direct_io,
				 info->block_size, loop_attached, l) < 0) {
		ls->op.pending--;
		dlog(LOG_WARNING, "%s: no loop device: cannot start a worker thread", l->name);
	}
}

/* The LUN leaves its session: no name, I/O fails with EIO, memory freed with its last user. */
static void drop_lun(struct lunfs_session *ls, struct lunfs_lun *l)
{
	for (struct lunfs_lun **pp = &ls->luns; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	tree_unlink_lun(ls->fs, l);
	l->ls = NULL;
	dlog(LOG_INFO, "%s: removed", l->name);
	lun_retire(ls->fs, l);
}

static void loop_detached(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	(void)dev;
	(void)direct;
	struct lunfs_lun *l = arg;
	struct lunfs_session *ls = l->ls;
	if (status < 0)
		dlog(LOG_WARNING, "%s: %s", l->name, msg);
	drop_lun(ls, l);
	op_put(ls);
}

/* Removes a LUN, its loop device first (the device flushes through the file as it goes). */
static void remove_lun(struct lunfs_session *ls, struct lunfs_lun *l)
{
	if (!l->loop[0]) {
		drop_lun(ls, l);
		return;
	}
	ls->op.pending++;
	if (loopdev_detach_async(ls->fs->loops, l->loop, loop_detached, l) < 0) {
		ls->op.pending--;
		dlog(LOG_WARNING, "%s: cannot start a worker thread to detach %s", l->name, l->loop);
		drop_lun(ls, l);
	}
}

static struct lunfs_lun *find_lun(struct lunfs_session *ls, uint64_t lun)
{
	for (struct lunfs_lun *l = ls->luns; l; l = l->next)
		if (l->info.lun == lun)
			return l;
	return NULL;
}

static void loop_resized(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	(void)direct;
	struct lunfs_lun *l = arg;
	if (status < 0)   /* the file has the new size; the device keeps its old one */
		dlog(LOG_WARNING, "%s: %s", l->name, msg);
	else
		dlog(LOG_INFO, "%s: %s resized", l->name, dev);
	op_put(l->ls);   /* the rescan holds l until this answer: no remove_lun meanwhile */
}

static uint64_t lun_bytes(const struct lun_info *info)
{
	return info->blocks * info->block_size;
}

/* A LUN number that names another disk now: the old disk's file is cut off at once (no name,
 * I/O fails with EIO, as for a LUN that went), before its loop device goes, so that nothing the
 * device still writes back reaches the new disk; the new disk gets a file and a device of its
 * own in the same rescan (the name is free at once). */
struct loop_goes {
	struct lunfs_session *ls;
	struct lunfs_lun *l;      /* a reference: the device's last close may release the file */
};

static void old_loop_detached(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	(void)direct;
	struct loop_goes *g = arg;
	if (status < 0)
		dlog(LOG_WARNING, "%s: %s", g->l->name, msg);
	else
		dlog(LOG_INFO, "%s: %s of the old disk detached", g->l->name, dev);
	lun_unref(g->l);
	op_put(g->ls);
	free(g);
}

/* 0, or -1 when no worker thread could start. */
static int detach_old_loop(struct lunfs_session *ls, struct lunfs_lun *l, const char *dev)
{
	struct loop_goes *g = malloc(sizeof(*g));
	if (!g)
		return -1;
	*g = (struct loop_goes){ .ls = ls, .l = l };
	l->refs++;
	ls->op.pending++;
	if (loopdev_detach_async(ls->fs->loops, dev, old_loop_detached, g) == 0)
		return 0;
	ls->op.pending--;
	l->refs--;
	free(g);
	return -1;
}

static void old_pages_dropped(void *arg)
{
	op_put(arg);
}

static void replace_lun(struct lunfs_session *ls, struct lunfs_lun *l, const struct lun_info *now)
{
	/* the job's answer comes through the loop, after drop_lun: its reference keeps l */
	if (l->loop[0] && detach_old_loop(ls, l, l->loop) < 0)   /* it fails every I/O anyway */
		dlog(LOG_WARNING, "%s: cannot start a worker thread to detach %s", l->name, l->loop);
	ls->op.pending++;
	if (ops_drop_pages(ls->fs, l, old_pages_dropped, ls) < 0)
		ls->op.pending--;
	drop_lun(ls, l);
	add_lun(ls, now);
}

/* Whether the disk under the LUN number is another one: its identity (VPD 0x83, else 0x80)
 * differs, or it gained or lost one. One without an identity either time cannot tell: kept. */
static bool identity_changed(const struct lun_info *was, const struct lun_info *now)
{
	if (was->has_id != now->has_id)
		return true;
	return was->has_id && strcmp(was->id.wwid, now->id.wwid) != 0;
}

/* A LUN still listed takes what the probe read now: write protection and capacity (an online
 * resize on the target). Its file's size changes at once (the kernel told), its loop device's
 * on a worker thread, before the rescan ends. A LUN whose identity or block size changed is
 * another LUN: every offset its file and device were used with means other bytes now (another
 * disk's, or the same disk's elsewhere), so it is replaced. */
static void keep_lun(struct lunfs_session *ls, struct lunfs_lun *l, const struct lun_info *now)
{
	uint64_t was = lun_bytes(&l->info), is = lun_bytes(now);
	if (identity_changed(&l->info, now)) {
		dlog(LOG_WARNING, "%s: lun %" PRIu64 ": another disk (identity %s, was %s): the old "
				  "one's file, loop device and multipath path go, the new one gets its "
				  "own (%s)", ls->target, now->lun,
		     now->has_id ? now->id.name : "none", l->info.has_id ? l->info.id.name : "none",
		     l->name);
		replace_lun(ls, l, now);
		return;
	}
	if (now->block_size != l->info.block_size) {
		dlog(LOG_WARNING, "%s: block size changed from %u to %u bytes: its file goes and comes "
				  "back as a new LUN's", l->name, l->info.block_size, now->block_size);
		replace_lun(ls, l, now);
		return;
	}
	l->info = *now;
	if (was == is)
		return;
	dlog(LOG_INFO, "%s: lun %" PRIu64 ": capacity changed from %" PRIu64 " to %" PRIu64
		" bytes (%s)", ls->target, now->lun, was, is, l->name);
	ops_size_changed(ls->fs, l);
	if (!l->loop[0])
		return;
	char path[1024];
	file_path(ls, l, path, sizeof(path));
	ls->op.pending++;
	if (loopdev_resize_async(ls->fs->loops, l->loop, path, is, loop_resized, l) < 0) {
		ls->op.pending--;
		dlog(LOG_WARNING, "%s: %s keeps its old size: cannot start a worker thread", l->name,
		     l->loop);
	}
}

/* Makes the files match the LUN list: new ones appear, missing ones go, sizes update. */
static void apply_luns(struct lunfs_session *ls, const struct lun_info *luns, size_t n)
{
	for (struct lunfs_lun *l = ls->luns, *next; l; l = next) {
		next = l->next;
		bool listed = false;
		for (size_t i = 0; i < n && !listed; i++)
			listed = luns[i].lun == l->info.lun;
		if (!listed)
			remove_lun(ls, l);
	}
	for (size_t i = 0; i < n; i++) {
		struct lunfs_lun *l = find_lun(ls, luns[i].lun);
		if (l)
			keep_lun(ls, l, &luns[i]);
		else
			add_lun(ls, &luns[i]);
	}
}

static void probed(void *arg, int status, const struct lun_info *luns, size_t n, const char *msg)
{
	struct lunfs_session *ls = arg;
	if (status < 0)
		op_fail(ls, msg);
	else
		apply_luns(ls, luns, n);
	op_put(ls);
}

static void free_session(struct lunfs_session *ls)
{
	struct lunfs *fs = ls->fs;
	for (struct lunfs_session **pp = &fs->sessions; *pp; pp = &(*pp)->next)
		if (*pp == ls) {
			*pp = ls->next;
			break;
		}
	ev_timer_stop(fs->loop, &ls->rescan_timer);
	ev_timer_stop(fs->loop, &ls->free_timer);
	if (ls->io)
		lun_io_free(ls->io);
	free(ls->iface);
	free(ls->address);
	free(ls->target);
	free(ls);
}

/* The detached session's last I/O completed: a timer takes it from there, so lun_io is not
 * freed inside its own completion. */
static void detach_idle(void *arg)
{
	struct lunfs_session *ls = arg;
	ev_timer_start(ls->fs->loop, &ls->free_timer, 0);
}

/* The session is freed first: neither callback may touch it. A failed attach's requester
 * hears its failure, then the detach's requester that the files are gone. */
static void detach_finished(struct ev_timer *t, void *arg)
{
	(void)t;
	struct lunfs_session *ls = arg;
	struct lunfs_op op = ls->op;
	lunfs_done_fn detach_done = ls->detach_done;
	void *detach_arg = ls->detach_arg;
	free_session(ls);
	if (op.done)
		op.done(op.arg, op.status, op.status ? op.message : NULL);
	if (detach_done)
		detach_done(detach_arg, 0, NULL);
}

/* A waiting rescan that will never run: its requester hears it failed. */
static void drop_waiting_rescan(struct lunfs_session *ls)
{
	lunfs_done_fn done = ls->rescan_done;
	void *arg = ls->rescan_arg;
	ls->rescan_wanted = false;
	ls->rescan_done = NULL;
	ls->rescan_arg = NULL;
	if (done)
		done(arg, -1, "the session's LUN files were detached before the rescan could run");
}

/* attach_done and attach_message: the failed attach this detach cleans up after (NULL for a
 * detach someone asked for); the detach's own requester is ls->detach_done either way. */
static void start_detach(struct lunfs_session *ls, lunfs_done_fn attach_done, void *attach_arg,
			 const char *attach_message)
{
	op_begin(ls, OP_DETACH, attach_done, attach_arg);
	if (attach_message)
		op_fail(ls, attach_message);
	ls->detaching = true;        /* from here on rescans are refused, detaches merged */
	ls->detach_wanted = false;
	drop_waiting_rescan(ls);
	for (struct lunfs_lun *l = ls->luns, *next; l; l = next) {
		next = l->next;
		remove_lun(ls, l);
	}
	op_put(ls);
}

static void start_rescan(struct lunfs_session *ls, lunfs_done_fn done, void *arg)
{
	op_begin(ls, OP_RESCAN, done, arg);
	if (lun_probe_async(ls->s, probed, ls) < 0)
		op_fail(ls, "REPORT LUNS: the session refused the command");
	else
		ls->op.pending++;
	op_put(ls);
}

static void op_finish(struct lunfs_session *ls)
{
	struct lunfs_op op = ls->op;
	switch (op.kind) {
	case OP_ATTACH:
		if (op.status < 0) {      /* nothing of a failed attach stays behind */
			start_detach(ls, op.done, op.arg, op.message);
			return;
		}
		ls->attached = true;
		break;
	case OP_RESCAN:
		if (ls->rescanned)
			ls->rescanned(ls->rescanned_arg);
		break;
	case OP_DETACH:
		lun_io_when_idle(ls->io, detach_idle, ls);
		return;
	}
	ls->busy = false;
	if (op.done)
		op.done(op.arg, op.status, op.status ? op.message : NULL);
	run_deferred(ls);
}

static void run_deferred(struct lunfs_session *ls)
{
	if (ls->busy)
		return;
	if (ls->detach_wanted) {
		start_detach(ls, NULL, NULL, NULL);
	} else if (ls->rescan_wanted) {
		lunfs_done_fn done = ls->rescan_done;
		void *arg = ls->rescan_arg;
		ls->rescan_wanted = false;
		ls->rescan_done = NULL;
		ls->rescan_arg = NULL;
		start_rescan(ls, done, arg);
	}
}

/* REPORTED LUNS DATA HAS CHANGED or CAPACITY DATA HAS CHANGED, seen in a completion: rescan
 * from the loop, not from there. */
static void luns_changed(void *arg)
{
	struct lunfs_session *ls = arg;
	if (!ev_timer_running(&ls->rescan_timer))
		ev_timer_start(ls->fs->loop, &ls->rescan_timer, 0);
}

static void rescan_due(struct ev_timer *t, void *arg)
{
	(void)t;
	struct lunfs_session *ls = arg;
	dlog(LOG_INFO, "%s: the target reports changed LUNs: rescanning", ls->target);
	lunfs_rescan_session(ls, NULL, NULL);
}

int lunfs_attach_session(struct lunfs *fs, struct swi_session *s, const struct lunfs_session_id *id,
			 lunfs_done_fn done, void *arg, struct lunfs_session **out)
{
	struct lunfs_session *ls = calloc(1, sizeof(*ls));
	if (!ls)
		return -1;
	ls->fs = fs;
	ls->s = s;
	ls->port = id->port;
	ls->instance = id->instance;
	ls->iface = strdup(id->iface ? id->iface : "default");
	ls->address = strdup(id->address);
	ls->target = strdup(id->target);
	ev_timer_init(&ls->rescan_timer, rescan_due, ls);
	ev_timer_init(&ls->free_timer, detach_finished, ls);
	ls->next = fs->sessions;
	fs->sessions = ls;
	if (!ls->iface || !ls->address || !ls->target ||
	    !(ls->io = lun_io_new(s, luns_changed, ls)) ||
	    lun_probe_async(s, probed, ls) < 0) {
		free_session(ls);
		return -1;
	}
	op_begin(ls, OP_ATTACH, done, arg);
	ls->op.pending++;         /* the probe's */
	*out = ls;
	op_put(ls);
	return 0;
}

int lunfs_rescan_session(struct lunfs_session *ls, lunfs_done_fn done, void *arg)
{
	if (ls->detaching || ls->detach_wanted)
		return -1;
	if (ls->busy) {
		if (ls->rescan_wanted && ls->rescan_done && done)
			return -1;        /* one requester of a waiting rescan: it hears of it */
		ls->rescan_wanted = true;   /* one without a callback joins the waiting one */
		if (done) {
			ls->rescan_done = done;
			ls->rescan_arg = arg;
		}
		return 0;
	}
	start_rescan(ls, done, arg);
	return 0;
}

void lunfs_session_on_rescan(struct lunfs_session *ls, void (*fn)(void *arg), void *arg)
{
	ls->rescanned = fn;
	ls->rescanned_arg = arg;
}

int lunfs_detach_session(struct lunfs_session *ls, lunfs_done_fn done, void *arg)
{
	if (done && ls->detach_done)
		return -1;                /* one requester hears of the detach */
	if (done) {
		ls->detach_done = done;
		ls->detach_arg = arg;
	}
	if (ls->detaching || ls->detach_wanted)
		return 0;                 /* joins the detach already coming */
	if (ls->busy) {
		ls->detach_wanted = true; /* a waiting rescan fails when the detach starts */
		return 0;
	}
	start_detach(ls, NULL, NULL, NULL);
	return 0;
}

size_t lunfs_session_devices(const struct lunfs_session *ls, struct lunfs_device *out, size_t max)
{
	size_t n = 0;
	for (const struct lunfs_lun *l = ls->luns; l; l = l->next, n++) {
		if (n >= max)
			continue;
		struct lunfs_device *d = &out[n];
		*d = (struct lunfs_device){ .lun = l->info.lun, .blocks = l->info.blocks,
					    .block_size = l->info.block_size,
					    .read_only = l->info.read_only,
					    .has_id = l->info.has_id, .id = l->info.id };
		file_path(ls, l, d->file, sizeof(d->file));
		snprintf(d->loop, sizeof(d->loop), "%s", l->loop);
		snprintf(d->vendor, sizeof(d->vendor), "%s", l->info.vendor);
		snprintf(d->product, sizeof(d->product), "%s", l->info.product);
	}
	return n;
}
