/* Loop devices over LUN files, attached and detached by worker threads.
 *
 * Why threads: the LUN files live on swiscsid's own FUSE mount, and opening one, configuring a
 * loop device over it or closing that device all wait for FUSE requests that only the event
 * loop's thread answers; so does resizing one (LOOP_SET_CAPACITY reads the file's size). Doing
 * them on that thread would deadlock, so each runs on a short-lived thread and its completion
 * comes back to the loop through a pipe. */
#ifndef SWISCSID_LOOPDEV_H
#define SWISCSID_LOOPDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct loopdev_pool;

/* Blocking forms (for the worker threads, and for callers off the FUSE loop). attach: a free
 * loop device over path through /dev/loop-control and LOOP_CONFIGURE, with direct I/O when
 * asked and the kernel accepts it (else buffered; *direct_out says which). 0 and the device
 * name in dev, or -1 with a sentence in err. */
int loopdev_attach(const char *path, bool read_only, bool direct, uint32_t block_size,
		   char *dev, size_t devlen, bool *direct_out, char *err, size_t errlen);
int loopdev_detach(const char *dev, char *err, size_t errlen);
/* Whether the kernel still has a file bound to dev ("/dev/loopN"), as losetup -a lists it: its
 * sysfs loop/backing_file. A detach of a device open elsewhere only takes effect at its last
 * close. Reads sysfs alone, never the device: safe on the FUSE loop's thread. */
bool loopdev_bound(const char *dev);

/* After the file under dev changed size (its FUSE attributes invalidated): a stat of path makes
 * the kernel ask for the file's new size, then LOOP_SET_CAPACITY takes it. 0 once the device
 * is bytes long, else -1 with a sentence in err. */
int loopdev_resize(const char *dev, const char *path, uint64_t bytes, char *err, size_t errlen);

/* status 0 or -1 (message set); dev is the device attached (attach only). */
typedef void (*loopdev_fn)(void *arg, int status, const char *dev, bool direct, const char *message);

/* Another blocking call that may wait for FUSE requests on swiscsid's own mount (dropping a
 * file's cached pages), on a worker thread like the jobs above: fn's 0, or -1 with a sentence
 * in err, is done's status (dev ""). */
typedef int (*loopdev_call_fn)(void *ctx, char *err, size_t errlen);

struct loopdev_pool *loopdev_pool_new(struct evloop *loop);
/* Only when loopdev_pending is 0. */
void loopdev_pool_free(struct loopdev_pool *p);
unsigned loopdev_pending(const struct loopdev_pool *p);
int loopdev_attach_async(struct loopdev_pool *p, const char *path, bool read_only, bool direct,
			 uint32_t block_size, loopdev_fn done, void *arg);
int loopdev_detach_async(struct loopdev_pool *p, const char *dev, loopdev_fn done, void *arg);
/* dev is the device resized (done's dev). */
int loopdev_resize_async(struct loopdev_pool *p, const char *dev, const char *path, uint64_t bytes,
			 loopdev_fn done, void *arg);
int loopdev_call_async(struct loopdev_pool *p, loopdev_call_fn fn, void *ctx, loopdev_fn done,
		       void *arg);

#endif
