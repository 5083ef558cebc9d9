/* A map's reads and writes: each goes to the path the selector picks; a path error takes the
 * path out (mpath_path_set) and the command goes again on another path; an error of the LUN
 * itself is returned once; with no path the command is held or failed as no_path_retry says.
 * What became of the commands a path failed is counted in its route's bounced (mpath_maps.h),
 * for the caller to log once per failure event.
 * How a path runs a command is the caller's (lun_rw on the path's session in the daemon, a
 * script in the unit test). */
#ifndef SWISCSID_MPATH_IO_H
#define SWISCSID_MPATH_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "mpath_maps.h"

/* A path's answer to one command: what it says about the path, and the errno (0 or negative)
 * the application sees when it is final. */
typedef void (*mpath_io_path_fn)(void *arg, enum mpath_outcome outcome, int err);

struct mpath_io_ops {
	/* Runs the command on the path whose route handle is given; done exactly once, later.
	 * -1: refused at once (the path cannot take commands): treated as a path error. */
	int (*submit)(void *ctx, void *handle, bool write, void *buf, uint64_t lba, uint32_t blocks,
		      mpath_io_path_fn done, void *arg);
	/* SYNCHRONIZE CACHE on the path, the same way. */
	int (*sync)(void *ctx, void *handle, mpath_io_path_fn done, void *arg);
	uint64_t (*now_ms)(void *ctx);
	/* Optional: a command fails with EIO for want of a path (no path left, or no_path_retry
	 * ran out): an error the application sees, the caller's to log. */
	void (*no_path)(void *ctx, const struct mpath_lun *map, bool write, bool sync, uint64_t lba,
			uint32_t blocks);
};

struct mpath_io;
/* The map and ops outlive the dispatcher. */
struct mpath_io *mpath_io_new(struct mpath_lun *map, const struct mpath_io_ops *ops, void *ctx);
/* Only when nothing is in flight or held (mpath_io_busy is 0). */
void mpath_io_free(struct mpath_io *io);
/* Commands accepted and not yet completed, held ones included. */
unsigned mpath_io_busy(const struct mpath_io *io);

/* done(arg, err) runs exactly once, maybe before this returns (no_path_retry fail). */
typedef void (*mpath_io_fn)(void *arg, int err);
int mpath_io_rw(struct mpath_io *io, bool write, void *buf, uint64_t lba, uint32_t blocks,
		uint32_t block_size, mpath_io_fn done, void *arg);
/* The LUN's cache flushed through one path: the cache is the LUN's, so one path does it for
 * all, and writes the application saw complete are in it whichever path carried them. Re-issued,
 * held and failed like a read. */
int mpath_io_sync(struct mpath_io *io, mpath_io_fn done, void *arg);
/* After a path came back, and every checker interval: held commands go out again, or fail
 * with EIO when no_path_retry has run out. */
void mpath_io_kick(struct mpath_io *io);
/* The map goes: every held command fails with EIO now. */
void mpath_io_fail_held(struct mpath_io *io);

#endif
