/* The LUN filesystem's life: mounting, the FUSE descriptor in the event loop, and unmounting. */
#include "lunfs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dlog.h"
#include "loopdev.h"
#include "lunfs_buf.h"

enum { REQUESTS_PER_WAKEUP = 64 };

/* Reads requests until the device has none (it is non-blocking), a bounded number per wakeup
 * so the sessions' own descriptors get their turn; then the commands they queued go out. */
static void on_fuse(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)revents;
	struct lunfs *fs = arg;
	for (int i = 0; i < REQUESTS_PER_WAKEUP; i++) {
		int n = fuse_session_receive_buf(fs->se, &fs->buf);
		if (n == -EAGAIN || n == -EINTR)
			break;
		if (n <= 0 || fuse_session_exited(fs->se)) {
			dlog(LOG_ERR, "%s: the LUN filesystem was unmounted from outside", fs->dir);
			ev_io_del(w);
			fs->w = NULL;
			break;
		}
		fuse_session_process_buf(fs->se, &fs->buf);
	}
	if (fs->after_requests)
		fs->after_requests(fs->after_arg);
}

void lunfs_after_requests(struct lunfs *fs, void (*fn)(void *arg), void *arg)
{
	fs->after_requests = fn;
	fs->after_arg = arg;
}

/* What a daemon that died left at dir is cleared first (lunfs_stale.c). */
static int prepare_dir(const char *dir, char *err, size_t errlen)
{
	lunfs_clear_stale(dir);
	char path[4096];
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
fail:
	snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
	return -1;
}

static int mount_fuse(struct lunfs *fs, char *err, size_t errlen)
{
	char *argv[] = { "swiscsid", "-o",
			 "default_permissions,allow_other,fsname=swiscsi,subtype=swiscsi", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	fs->se = fuse_session_new(&args, &lunfs_ops, sizeof(lunfs_ops), fs);
	fuse_opt_free_args(&args);   /* parsing may have copied them */
	if (!fs->se) {
		snprintf(err, errlen, "cannot start a FUSE session (is /dev/fuse there?)");
		return -1;
	}
	if (fuse_session_mount(fs->se, fs->dir) != 0) {
		snprintf(err, errlen, "cannot mount the LUN filesystem at %s", fs->dir);
		return -1;
	}
	fs->mounted = true;
	int fd = fuse_session_fd(fs->se);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    !(fs->w = ev_io_add(fs->loop, fd, EPOLLIN, on_fuse, fs))) {
		snprintf(err, errlen, "cannot watch the FUSE device: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void release(struct lunfs *fs)
{
	if (fs->w)
		ev_io_del(fs->w);
	if (fs->se) {
		if (fs->mounted)
			fuse_session_unmount(fs->se);
		fuse_session_destroy(fs->se);
	}
	if (fs->loops)
		loopdev_pool_free(fs->loops);
	tree_free(fs);
	lunfs_bufs_free(fs->bufs);
	free(fs->buf.mem);
	free(fs->dir);
	free(fs);
}

struct lunfs *lunfs_start(struct evloop *loop, const char *dir, const struct lunfs_config *cfg,
			  char *err, size_t errlen)
{
	struct lunfs *fs = calloc(1, sizeof(*fs));
	if (!fs || !(fs->dir = strdup(dir))) {
		free(fs);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fs->loop = loop;
	fs->cfg = *cfg;
	fs->born = time(NULL);
	if (!(fs->bufs = lunfs_bufs_new())) {
		snprintf(err, errlen, "out of memory");
		release(fs);
		return NULL;
	}
	fs->next_ino = INO_BY_IFACE;
	if (tree_dir(fs, INO_ROOT, "by-iface") != INO_BY_IFACE ||
	    tree_dir(fs, INO_ROOT, "by-path") != INO_BY_PATH ||
	    tree_dir(fs, INO_ROOT, "by-id") != INO_BY_ID) {
		snprintf(err, errlen, "out of memory");
		release(fs);
		return NULL;
	}
	if (prepare_dir(dir, err, errlen) < 0 || mount_fuse(fs, err, errlen) < 0) {
		release(fs);
		return NULL;
	}
	if (!(fs->loops = loopdev_pool_new(loop))) {
		snprintf(err, errlen, "cannot make the loop devices' completion pipe: %s", strerror(errno));
		release(fs);
		return NULL;
	}
	return fs;
}

void lunfs_stop(struct lunfs *fs, uint64_t deadline)
{
	if (!fs)
		return;
	byid_detach_all_loops(fs);   /* first: their paths are the sessions' files */
	for (struct lunfs_session *ls = fs->sessions, *next; ls; ls = next) {
		next = ls->next;
		(void)lunfs_detach_session(ls, NULL, NULL);   /* joins one under way */
	}
	/* the loop keeps serving FUSE and the sessions while loop devices detach and I/O drains */
	uint64_t started = ev_now_ms();
	while ((fs->sessions || loopdev_pending(fs->loops)) && ev_now_ms() < deadline) {
		uint64_t left = deadline - ev_now_ms();
		if (evloop_run_once(fs->loop, left < 100 ? (int)left : 100) < 0)
			break;
	}
	byid_end_releases(fs);
	if (!fs->sessions && !loopdev_pending(fs->loops)) {
		release(fs);
		return;
	}
	/* completions still to come would find fs freed: unmount, and leave the memory */
	dlog(LOG_WARNING, "%s: unmounting with work still pending after %llu ms", fs->dir,
		(unsigned long long)(ev_now_ms() - started));
	if (fs->w)
		ev_io_del(fs->w);
	fs->w = NULL;
	fuse_session_unmount(fs->se);
}
