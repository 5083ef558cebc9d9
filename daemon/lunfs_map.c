/* Where multipath meets the LUN filesystem: a session's LUN file as one path of a map, and the
 * map's own file under by-id/ whose I/O the dispatcher (mpath_io) spreads over the paths, with
 * its loop device. */
#include "lunfs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlog.h"
#include "loopdev.h"
#include "swiscsi/swiscsi.h"

struct lunfs_lun *lunfs_path_get(struct lunfs_session *ls, uint64_t lun)
{
	for (struct lunfs_lun *l = ls ? ls->luns : NULL; l; l = l->next)
		if (l->info.lun == lun) {
			l->refs++;
			return l;
		}
	return NULL;
}

void lunfs_path_put(struct lunfs_lun *path)
{
	if (path)
		lun_unref(path);
}

bool lunfs_path_current(const struct lunfs_lun *path)
{
	return path && path->ls;
}

const struct lun_info *lunfs_path_info(const struct lunfs_lun *path)
{
	return path ? &path->info : NULL;
}

/* A removed LUN's session is gone (or going): the dispatcher takes the path out. */
static bool serving(const struct lunfs_lun *path)
{
	return path && path->ls && !path->ls->detaching && path->ls->io;
}

int lunfs_path_rw(struct lunfs_lun *path, bool write, void *buf, uint64_t lba, uint32_t blocks,
		  lun_io_fn done, void *arg)
{
	if (!serving(path))
		return -1;
	return lun_rw_failfast(path->ls->io, &path->info, write, buf, lba, blocks, done, arg);
}

int lunfs_path_sync(struct lunfs_lun *path, lun_io_fn done, void *arg)
{
	if (!serving(path))
		return -1;
	return lun_sync_failfast(path->ls->io, &path->info, done, arg);
}

/* ---- the by-id file's loop device ----
 * One job (attach or detach) at a time, each holding a reference on the file so that it
 * outlives its removal until the job's answer; a detach asked for during the attach runs
 * after it, and a removed file's device always goes. */

struct byid_waiter {
	void (*done)(void *arg);
	void *arg;
	struct byid_waiter *next;
};

struct loop_job {
	struct lunfs *fs;
	struct lunfs_lun *f;
};

static void byid_path(const struct lunfs *fs, const struct lunfs_lun *f, char *out, size_t len)
{
	snprintf(out, len, "%s/by-id/%s", fs->dir, f->name);
}

static struct loop_job *job_new(struct lunfs *fs, struct lunfs_lun *f)
{
	struct loop_job *j = malloc(sizeof(*j));
	if (j) {
		*j = (struct loop_job){ .fs = fs, .f = f };
		f->refs++;
		f->loop_job = true;
		fs->byid_jobs++;
	}
	return j;
}

static void tell(struct byid_waiter **list)
{
	struct byid_waiter *w = *list;
	*list = NULL;
	while (w) {
		struct byid_waiter *next = w->next;
		w->done(w->arg);
		free(w);
		w = next;
	}
}

static void job_gone(struct lunfs *fs)
{
	if (--fs->byid_jobs == 0)
		tell(&fs->byid_idle);
}

/* A job that could not start: its reference goes, the file stays the caller's to free. */
static void job_cancel(struct loop_job *j)
{
	j->f->refs--;
	j->f->loop_job = false;
	j->fs->byid_jobs--;   /* the caller goes on: its waiters are told by it */
	free(j);
}

/* The job's answer is in and acted on: its reference goes (freeing a removed file). */
static void job_end(struct loop_job *j)
{
	struct lunfs *fs = j->fs;
	lun_unref(j->f);
	free(j);
	job_gone(fs);
}

static void tell_waiters(struct lunfs_lun *f)
{
	tell(&f->loop_waiters);
}

static void loop_settle(struct lunfs *fs, struct lunfs_lun *f);

static void byid_resized(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	(void)direct;
	struct loop_job *j = arg;
	struct lunfs_lun *f = j->f;
	if (status < 0)   /* the file has the new size; the device keeps its old one */
		dlog(LOG_WARNING, "by-id/%s: %s", f->name, msg);
	else
		dlog(LOG_INFO, "by-id/%s: %s resized", f->name, dev);
	f->loop_job = false;
	loop_settle(j->fs, f);   /* another resize asked for meanwhile, or a detach */
	job_end(j);
}

/* The device takes the file's size: one job like the others (an attach running when the size
 * changed may have read either size, so its end resizes too). */
static bool resize_loop(struct lunfs *fs, struct lunfs_lun *f)
{
	char path[1024];
	byid_path(fs, f, path, sizeof(path));
	f->loop_resize = false;
	struct loop_job *j = job_new(fs, f);
	if (j && loopdev_resize_async(fs->loops, f->loop, path, f->info.blocks * f->info.block_size,
				      byid_resized, j) == 0)
		return true;
	if (j)
		job_cancel(j);
	dlog(LOG_WARNING, "by-id/%s: %s keeps its old size: cannot start a worker thread", f->name,
	     f->loop);
	return false;
}

static void byid_detached(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	(void)dev;
	(void)direct;
	struct loop_job *j = arg;
	struct lunfs_lun *f = j->f;
	snprintf(f->loop_failure, sizeof(f->loop_failure), "%s", status < 0 ? msg : "");
	if (status < 0)
		dlog(LOG_WARNING, "by-id/%s: %s", f->name, msg);
	else
		dlog(LOG_INFO, "by-id/%s: %s detached", f->name, f->loop);
	f->loop[0] = '\0';   /* even when it failed: the kernel clears it at its last close */
	f->loop_direct = false;
	f->loop_job = false;
	loop_settle(j->fs, f);
	job_end(j);
}

/* No job runs: the device goes if unwanted (or the map went), else the waiters hear that the
 * device is as it will stay (attached, or gone, or never there). */
static void loop_settle(struct lunfs *fs, struct lunfs_lun *f)
{
	if (f->loop_job)
		return;
	if (f->loop[0] && (f->loop_unwanted || !f->mio)) {
		struct loop_job *j = job_new(fs, f);
		if (j && loopdev_detach_async(fs->loops, f->loop, byid_detached, j) == 0)
			return;
		if (j)
			job_cancel(j);
		dlog(LOG_WARNING, "by-id/%s: cannot start a worker thread to detach %s", f->name,
		     f->loop);
		snprintf(f->loop_failure, sizeof(f->loop_failure),
			 "cannot start a worker thread to detach it");
		f->loop[0] = '\0';
	}
	if (f->loop[0] && f->loop_resize && resize_loop(fs, f))
		return;
	tell_waiters(f);
}

static void byid_attached(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	struct loop_job *j = arg;
	struct lunfs_lun *f = j->f;
	if (status == 0) {
		snprintf(f->loop, sizeof(f->loop), "%s", dev);
		f->loop_direct = direct;
		dlog(LOG_INFO, "by-id/%s: %s attached (%s I/O)", f->name, dev,
		     direct ? "direct" : "buffered");
	} else if (f->mio) {
		/* the map still serves its file; a machine without loop devices still gets it */
		dlog(LOG_WARNING, "by-id/%s: no loop device: %s", f->name, msg);
	}
	f->loop_job = false;
	loop_settle(j->fs, f);   /* a detach it starts holds its own reference */
	job_end(j);
}

static void attach_loop(struct lunfs *fs, struct lunfs_lun *f)
{
	char path[1024];
	byid_path(fs, f, path, sizeof(path));
	struct loop_job *j = job_new(fs, f);
	if (!j || loopdev_attach_async(fs->loops, path, f->info.read_only, fs->cfg.loop_direct_io,
				       f->info.block_size, byid_attached, j) < 0) {
		if (j)
			job_cancel(j);
		dlog(LOG_WARNING, "by-id/%s: no loop device: cannot start a worker thread", f->name);
	}
}

bool lunfs_byid_in_use(const struct lunfs_lun *file)
{
	if (!file)
		return false;
	if (file->loop_job || file->refs > (file->loop[0] ? 1u : 0u))
		return true;   /* a device coming or going, or the file open (the device's aside) */
	if (!file->loop[0])
		return false;
	/* the device itself open (mounted, a process): the kernel refuses an exclusive open. A
	 * block device open, not the file's: the loop thread does not wait for FUSE here. */
	int fd = open(file->loop, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0)
		close(fd);
	return fd < 0 && errno == EBUSY;
}

const char *lunfs_byid_loop(const struct lunfs_lun *file)
{
	return file ? file->loop : "";
}

void lunfs_byid_settled(struct lunfs *fs, struct lunfs_lun *file, void (*done)(void *arg),
			void *arg)
{
	struct byid_waiter *w = malloc(sizeof(*w));
	if (!w) {
		done(arg);   /* out of memory: nobody to wait for */
		return;
	}
	*w = (struct byid_waiter){ .done = done, .arg = arg, .next = file->loop_waiters };
	file->loop_waiters = w;
	loop_settle(fs, file);
}

void lunfs_byid_detach_loop(struct lunfs *fs, struct lunfs_lun *file, void (*done)(void *arg),
			    void *arg)
{
	file->loop_unwanted = true;
	if (done)
		lunfs_byid_settled(fs, file, done, arg);
	else
		loop_settle(fs, file);
}

/* ---- swiscsi-multipath -f: the device gone from the kernel, within a bound ----
 * The detach job's answer, then (the device open elsewhere: the kernel clears it at its last
 * close) sysfs looked at every RELEASE_POLL_MS until the device is gone or the bound. The
 * bound also runs while the job does: a detach stuck in the kernel is answered at the bound,
 * and the job's own answer, later, only frees what is left. */

enum { RELEASE_POLL_MS = 20 };

struct loop_release {
	struct lunfs *fs;
	char dev[32];
	unsigned bound_ms;
	uint64_t deadline;
	struct ev_timer timer;
	struct lunfs_lun *f;        /* until settled (the waiter is the file's, told while it is) */
	bool settled, answered;     /* the job's answer is in; done ran */
	lunfs_released_fn done;
	void *arg;
	struct loop_release *next, **prev;   /* in fs->releases */
};

static void release_end(struct loop_release *r)
{
	if (r->settled && r->answered) {
		ev_timer_stop(r->fs->loop, &r->timer);
		if (r->next)
			r->next->prev = r->prev;
		*r->prev = r->next;
		free(r);
	}
}

static void release_answer(struct loop_release *r, const char *why)
{
	if (r->answered)
		return;
	r->answered = true;
	ev_timer_stop(r->fs->loop, &r->timer);
	r->done(r->arg, r->dev, why);
}

/* Gone, or still bound and the bound is up, or look again later. */
static void release_check(struct loop_release *r)
{
	char why[96];
	if (!r->dev[0] || !loopdev_bound(r->dev)) {
		release_answer(r, NULL);
		return;
	}
	if (ev_now_ms() >= r->deadline) {
		snprintf(why, sizeof(why), "still attached after %u ms (open elsewhere?)",
			 r->bound_ms);
		release_answer(r, why);
		return;
	}
	ev_timer_start(r->fs->loop, &r->timer, RELEASE_POLL_MS);
}

static void release_tick(struct ev_timer *tm, void *arg)
{
	(void)tm;
	struct loop_release *r = arg;
	if (r->settled) {
		release_check(r);
		return;
	}
	char why[96];   /* the job is still running: stuck in the kernel */
	snprintf(why, sizeof(why), "not detached within %u ms", r->bound_ms);
	release_answer(r, why);
}

/* The job's answer (a waiter of the file: told while the file is there, not after). */
static void release_settled(void *arg)
{
	struct loop_release *r = arg;
	r->settled = true;
	if (!r->answered) {
		if (r->f->loop_failure[0])
			release_answer(r, r->f->loop_failure);
		else
			release_check(r);
	}
	r->f = NULL;
	release_end(r);
}

int lunfs_byid_release_loop(struct lunfs *fs, struct lunfs_lun *file, unsigned bound_ms,
			    lunfs_released_fn done, void *arg)
{
	struct loop_release *r = malloc(sizeof(*r));
	if (!r)
		return -1;
	*r = (struct loop_release){ .fs = fs, .f = file, .bound_ms = bound_ms,
				    .deadline = ev_now_ms() + bound_ms, .done = done, .arg = arg };
	snprintf(r->dev, sizeof(r->dev), "%s", file->loop);
	r->next = fs->releases;
	r->prev = &fs->releases;
	if (fs->releases)
		fs->releases->prev = &r->next;
	fs->releases = r;
	ev_timer_init(&r->timer, release_tick, r);
	ev_timer_start(fs->loop, &r->timer, bound_ms);
	file->loop_failure[0] = '\0';   /* an earlier detach's is not this one's */
	lunfs_byid_detach_loop(fs, file, release_settled, r);
	return 0;
}

void byid_end_releases(struct lunfs *fs)
{
	/* a job's answer still to come frees its own (with the memory a stop past its deadline
	 * leaves) */
	for (struct loop_release *r = fs->releases, *next; r; r = next) {
		next = r->next;
		release_answer(r, "swiscsid is stopping");
		release_end(r);
	}
}

void lunfs_byid_idle(struct lunfs *fs, void (*done)(void *arg), void *arg)
{
	struct byid_waiter *w = fs->byid_jobs ? malloc(sizeof(*w)) : NULL;
	if (!w) {
		done(arg);
		return;
	}
	*w = (struct byid_waiter){ .done = done, .arg = arg, .next = fs->byid_idle };
	fs->byid_idle = w;
}

void byid_detach_all_loops(struct lunfs *fs)
{
	for (size_t i = 0; i < fs->nentries; i++)
		if (fs->entries[i].parent == INO_BY_ID && fs->entries[i].lun)
			lunfs_byid_detach_loop(fs, fs->entries[i].lun, NULL, NULL);
}

/* ---- the by-id file ---- */

/* A TUR in flight: it holds a reference on its path, so that the handle the checker knows the
 * path by stays this path's until the answer is in. */
struct tur_wait {
	struct lunfs_lun *path;
	void (*done)(void *arg, bool good);
	void *arg;
};

static bool logged_in(const struct lunfs_lun *path)
{
	return serving(path) && swi_session_state(path->ls->s) == SWI_STATE_LOGGED_IN;
}

static void tur_done(void *arg, enum mpath_outcome outcome, int err)
{
	(void)outcome;   /* any answer but GOOD fails the path, a LUN's NOT READY too */
	struct tur_wait *w = arg;
	bool good = err == 0 && logged_in(w->path);
	w->done(w->arg, good);
	lun_unref(w->path);
	free(w);
}

int lunfs_path_tur(struct lunfs_lun *path, void (*done)(void *arg, bool good), void *arg)
{
	/* a recovering session holds new commands until it is back: no TUR waits through that,
	 * its return asks for one */
	if (!logged_in(path))
		return -1;
	struct tur_wait *w = malloc(sizeof(*w));
	if (!w)
		return -1;
	*w = (struct tur_wait){ .path = path, .done = done, .arg = arg };
	path->refs++;
	if (lun_tur(path->ls->io, &path->info, tur_done, w) < 0) {
		free(w);
		lun_unref(path);
		return -1;
	}
	return 0;
}

struct lunfs_lun *lunfs_byid_add(struct lunfs *fs, const struct lun_info *info, struct mpath_io *io)
{
	struct lunfs_lun *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	*f = (struct lunfs_lun){ .ino = fs->next_ino++, .info = *info, .mio = io };
	snprintf(f->name, sizeof(f->name), "%s", info->id.name);
	if (tree_link(fs, INO_BY_ID, f) < 0) {
		free(f);
		return NULL;
	}
	dlog(LOG_INFO, "%s/by-id/%s: created", fs->dir, f->name);
	if (fs->cfg.loop_devices)
		attach_loop(fs, f);
	return f;
}

void lunfs_byid_resize(struct lunfs *fs, struct lunfs_lun *file, uint64_t blocks)
{
	if (!file || file->info.blocks == blocks)
		return;
	file->info.blocks = blocks;
	ops_size_changed(fs, file);
	file->loop_resize = true;
	loop_settle(fs, file);
}

static void byid_pages_dropped(void *arg)
{
	job_gone(arg);
}

void lunfs_byid_remove(struct lunfs *fs, struct lunfs_lun *file)
{
	if (!file)
		return;
	tree_unlink_lun(fs, file);
	file->mio = NULL;
	dlog(LOG_INFO, "%s/by-id/%s: removed", fs->dir, file->name);
	/* an open one fails every read from here on, cached or not (a rescan's reply waits) */
	fs->byid_jobs++;
	if (ops_drop_pages(fs, file, byid_pages_dropped, fs) < 0)
		fs->byid_jobs--;
	loop_settle(fs, file);   /* a device still attached goes, holding the file meanwhile */
	lun_retire(fs, file);
}
