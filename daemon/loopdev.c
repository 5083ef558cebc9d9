/* Loop devices: LOOP_CTL_GET_FREE + LOOP_CONFIGURE to attach, LOOP_CLR_FD to detach,
 * LOOP_SET_CAPACITY to resize, each run on a worker thread whose result the event loop picks up
 * from a pipe (see loopdev.h). */
#include "loopdev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evloop.h"

enum { GET_FREE_TRIES = 16 };

/* Tries one free device; -1 with errno EBUSY when another process took it first. */
static int configure(int ctl, int backing, bool read_only, bool direct, uint32_t block_size,
		     char *dev, size_t devlen)
{
	int n = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (n < 0)
		return -1;
	snprintf(dev, devlen, "/dev/loop%d", n);
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct loop_config c = { .fd = (uint32_t)backing, .block_size = block_size };
	c.info.lo_flags = (read_only ? LO_FLAGS_READ_ONLY : 0) | (direct ? LO_FLAGS_DIRECT_IO : 0);
	int rc = ioctl(fd, LOOP_CONFIGURE, &c);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

/* Whether the kernel kept direct I/O on (it drops it silently when the file cannot do it). */
static bool uses_direct_io(const char *dev)
{
	struct loop_info64 info;
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	bool on = fd >= 0 && ioctl(fd, LOOP_GET_STATUS64, &info) == 0 &&
		  (info.lo_flags & LO_FLAGS_DIRECT_IO);
	if (fd >= 0)
		close(fd);
	return on;
}

static int open_backing(const char *path, bool read_only, bool direct)
{
	return open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0));
}

int loopdev_attach(const char *path, bool read_only, bool direct, uint32_t block_size,
		   char *dev, size_t devlen, bool *direct_out, char *err, size_t errlen)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		snprintf(err, errlen, "cannot open /dev/loop-control: %s", strerror(errno));
		return -1;
	}
	int backing = open_backing(path, read_only, direct);
	if (backing < 0 && direct && errno == EINVAL) {   /* no O_DIRECT here: buffered then */
		direct = false;
		backing = open_backing(path, read_only, false);
	}
	int rc = -1;
	if (backing < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		close(ctl);
		return -1;
	}
	for (int i = 0; i < GET_FREE_TRIES; i++) {
		rc = configure(ctl, backing, read_only, direct, block_size, dev, devlen);
		if (rc == 0 || errno != EBUSY)
			break;
	}
	if (rc < 0 && direct && errno == EINVAL) {      /* an older kernel refusing the flag */
		direct = false;
		rc = configure(ctl, backing, read_only, false, block_size, dev, devlen);
	}
	if (rc < 0)
		snprintf(err, errlen, "cannot attach a loop device to %s: %s", path, strerror(errno));
	else
		*direct_out = direct && uses_direct_io(dev);
	close(backing);   /* the loop device holds its own reference */
	close(ctl);
	return rc;
}

int loopdev_detach(const char *dev, char *err, size_t errlen)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", dev, strerror(errno));
		return -1;
	}
	/* while the device is still open elsewhere (mounted) the kernel detaches it on last close */
	int rc = ioctl(fd, LOOP_CLR_FD, 0);
	if (rc < 0 && errno != ENXIO)
		snprintf(err, errlen, "cannot detach %s: %s", dev, strerror(errno));
	close(fd);
	return rc < 0 && errno != ENXIO ? -1 : 0;
}

bool loopdev_bound(const char *dev)
{
	const char *name = strrchr(dev, '/');
	char path[96];
	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", name ? name + 1 : dev);
	return access(path, F_OK) == 0;
}

int loopdev_resize(const char *dev, const char *path, uint64_t bytes, char *err, size_t errlen)
{
	/* the loop driver takes the size from the file's attributes (cached ones on older
	 * kernels): this stat has FUSE ask the daemon, whose loop thread answers it */
	struct stat st;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", dev, strerror(errno));
		return -1;
	}
	uint64_t now = 0;
	int rc = ioctl(fd, LOOP_SET_CAPACITY, 0);
	if (rc < 0)
		snprintf(err, errlen, "cannot resize %s: %s", dev, strerror(errno));
	else if (ioctl(fd, BLKGETSIZE64, &now) < 0 || now != bytes) {
		snprintf(err, errlen, "%s is %" PRIu64 " bytes after LOOP_SET_CAPACITY, not %" PRIu64,
			 dev, now, bytes);
		rc = -1;
	}
	close(fd);
	return rc;
}

/* ---- worker threads ---- */

enum job_kind { JOB_ATTACH, JOB_DETACH, JOB_RESIZE, JOB_CALL };

struct job {
	enum job_kind kind;
	char path[512];
	bool read_only, direct;
	uint32_t block_size;
	uint64_t bytes;
	char dev[32];
	int status;
	char msg[256];
	loopdev_call_fn call;
	void *ctx;
	loopdev_fn done;
	void *arg;
	int pipe_fd;
};

struct loopdev_pool {
	int fds[2];
	struct ev_io *w;
	unsigned pending;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	switch (j->kind) {
	case JOB_ATTACH:
		j->status = loopdev_attach(j->path, j->read_only, j->direct, j->block_size, j->dev,
					   sizeof(j->dev), &j->direct, j->msg, sizeof(j->msg));
		break;
	case JOB_DETACH:
		j->status = loopdev_detach(j->dev, j->msg, sizeof(j->msg));
		break;
	case JOB_RESIZE:
		j->status = loopdev_resize(j->dev, j->path, j->bytes, j->msg, sizeof(j->msg));
		break;
	case JOB_CALL:
		j->status = j->call(j->ctx, j->msg, sizeof(j->msg));
		break;
	}
	/* a pointer is far below PIPE_BUF: the write is atomic */
	while (write(j->pipe_fd, &j, sizeof(j)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void on_done(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)w;
	(void)revents;
	struct loopdev_pool *p = arg;
	struct job *j;
	while (read(p->fds[0], &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		p->pending--;
		j->done(j->arg, j->status, j->dev, j->direct, j->msg);
		free(j);
	}
}

struct loopdev_pool *loopdev_pool_new(struct evloop *loop)
{
	struct loopdev_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (pipe2(p->fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(p);
		return NULL;
	}
	p->w = ev_io_add(loop, p->fds[0], 0x001 /* EPOLLIN */, on_done, p);
	if (!p->w) {
		close(p->fds[0]);
		close(p->fds[1]);
		free(p);
		return NULL;
	}
	return p;
}

void loopdev_pool_free(struct loopdev_pool *p)
{
	if (!p)
		return;
	ev_io_del(p->w);
	close(p->fds[0]);
	close(p->fds[1]);
	free(p);
}

unsigned loopdev_pending(const struct loopdev_pool *p)
{
	return p->pending;
}

static int start_job(struct loopdev_pool *p, struct job *j)
{
	pthread_t t;
	pthread_attr_t a;
	j->pipe_fd = p->fds[1];
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &a, run_job, j);
	pthread_attr_destroy(&a);
	if (rc != 0) {
		free(j);
		errno = rc;
		return -1;
	}
	p->pending++;
	return 0;
}

int loopdev_attach_async(struct loopdev_pool *p, const char *path, bool read_only, bool direct,
			 uint32_t block_size, loopdev_fn done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	*j = (struct job){ .kind = JOB_ATTACH, .read_only = read_only, .direct = direct,
			   .block_size = block_size, .done = done, .arg = arg };
	snprintf(j->path, sizeof(j->path), "%s", path);
	return start_job(p, j);
}

int loopdev_detach_async(struct loopdev_pool *p, const char *dev, loopdev_fn done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	*j = (struct job){ .kind = JOB_DETACH, .done = done, .arg = arg };
	snprintf(j->dev, sizeof(j->dev), "%s", dev);
	return start_job(p, j);
}

int loopdev_resize_async(struct loopdev_pool *p, const char *dev, const char *path, uint64_t bytes,
			 loopdev_fn done, void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	*j = (struct job){ .kind = JOB_RESIZE, .bytes = bytes, .done = done, .arg = arg };
	snprintf(j->dev, sizeof(j->dev), "%s", dev);
	snprintf(j->path, sizeof(j->path), "%s", path);
	return start_job(p, j);
}

int loopdev_call_async(struct loopdev_pool *p, loopdev_call_fn fn, void *ctx, loopdev_fn done,
		       void *arg)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	*j = (struct job){ .kind = JOB_CALL, .call = fn, .ctx = ctx, .done = done, .arg = arg };
	return start_job(p, j);
}
