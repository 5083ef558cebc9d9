/* The LUN filesystem: every LUN of every logged-in session as a file under one FUSE mount,
 * served from the daemon's event loop, each file optionally attached to a loop device.
 *
 * This is the whole contract between the session side of swiscsid (sessions.c: login, logout,
 * listing) and the LUN side (lunfs*.c, lun*.c, loopdev.c). The session side calls, in order:
 *   lunfs_start                once at start-up (mounts $SWISCSI_RUNDIR/disks)
 *   lunfs_attach_session       after a session reached full feature phase
 *   lunfs_session_devices      to list a session's LUN files and loop devices (-m session -P 3)
 *   lunfs_session_on_rescan    to hear of every rescan (-R or the target's unit attention)
 *   lunfs_rescan_session       for -m session -r SID -R
 *   lunfs_detach_session       before logging the session out
 *   lunfs_stop                 at shutdown (detaches loop devices, unmounts)
 * Everything runs on the loop's thread; completion callbacks run exactly once. */
#ifndef SWISCSID_LUNFS_H
#define SWISCSID_LUNFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evloop.h"
#include "lun_io.h"
#include "mpath_id.h"

struct swi_session;
struct lunfs;
struct lunfs_session;

/* Settings from swiscsi's own configuration file (not node records). */
struct lunfs_config {
	int loop_devices;   /* attach each LUN file to a loop device (default 1) */
	int loop_direct_io; /* open the loop device with direct I/O where the kernel allows (1) */
	unsigned file_mode; /* LUN file permissions (default 0600, owner root) */
	int fuse_direct_io; /* open LUN files with FOPEN_DIRECT_IO, bypassing the page cache (0) */
};

/* Mounts the filesystem at dir (created if missing). NULL with a sentence in err. */
struct lunfs *lunfs_start(struct evloop *loop, const char *dir, const struct lunfs_config *cfg,
			  char *err, size_t errlen);
/* Detaches every loop device, unmounts, frees. Sessions still attached are detached first.
 * Waits for that (serving FUSE and the loop meanwhile) until deadline_ms (ev_now_ms's clock)
 * at most: then it unmounts with work pending and leaves the memory to the process's exit. */
void lunfs_stop(struct lunfs *fs, uint64_t deadline_ms);
/* fn runs after each wake-up's batch of FUSE requests has been handled: the sessions send the
 * commands those requests queued there, together (libswiscsi batches them, see swi_flush),
 * rather than after everything else the loop turn handles. */
void lunfs_after_requests(struct lunfs *fs, void (*fn)(void *arg), void *arg);

/* Where a session's files are named from: by-iface/<iface>/ip-<addr>:<port>-iscsi-<target>-lun-<n>
 * and by-path/ip-<addr>:<port>-iscsi-<target>-lun-<n> (an IPv6 address in brackets). A record's
 * further sessions (node.session.nr_sessions > 1, instance k > 0) add "-session-<k+1>". */
struct lunfs_session_id {
	const char *iface;
	const char *address;
	int port;
	const char *target;
	unsigned instance;
};

typedef void (*lunfs_done_fn)(void *arg, int status, const char *message);

/* Finds the session's LUNs (REPORT LUNS, INQUIRY, READ CAPACITY), creates their files and loop
 * devices, then calls done (status 0, or -1 with a message; on -1 nothing is left behind and
 * *out is already freed: do not detach it). A loop device that cannot be attached is logged
 * and the file served without one (status 0). Returns -1 (done never called) when the probe
 * cannot even be sent. *out is valid from the return of this call until lunfs_detach_session's
 * done. The session's I/O must keep being serviced (its ev_io and timer) until then. */
int lunfs_attach_session(struct lunfs *fs, struct swi_session *s, const struct lunfs_session_id *id,
			 lunfs_done_fn done, void *arg, struct lunfs_session **out);
/* Re-reads the LUN list: files appear and disappear to match, and those kept take the LUN's
 * capacity now (their loop devices too, before done); one whose identity or block size changed
 * is another disk: its file is cut off and the new one's made in the same listing. While
 * another operation of the session runs, the rescan waits for it (one waiting rescan at most:
 * -1 for a second one with a callback; one without joins it); a detach asked for meanwhile goes
 * first and the waiting rescan's done gets -1. -1 (done never called) once a detach is asked
 * for. Also started by the LUN side itself on a REPORTED LUNS DATA HAS CHANGED or CAPACITY DATA
 * HAS CHANGED unit attention. */
int lunfs_rescan_session(struct lunfs_session *ls, lunfs_done_fn done, void *arg);
/* fn(arg) is called as each rescan of the session ends (asked for or started by the target,
 * whatever its outcome), before the rescan's own done: the LUN files now are the list's. */
void lunfs_session_on_rescan(struct lunfs_session *ls, void (*fn)(void *arg), void *arg);
/* Removes the session's files and loop devices; I/O already submitted completes first (done is
 * called then, status 0), new I/O on open files fails with EIO. After done, the session may be
 * logged out. Asked for while another operation runs, the detach waits for it (a waiting rescan
 * then fails, its requester told so); asked for while an attach is failing, done runs after the
 * attach's own (failed) done, once nothing of the session is left. A detach without a callback
 * joins one already coming; -1 (done never called) for a second one with a callback. */
int lunfs_detach_session(struct lunfs_session *ls, lunfs_done_fn done, void *arg);

struct lunfs_device {
	uint64_t lun;
	char file[512];      /* absolute path of the LUN file */
	char loop[32];       /* "/dev/loopN", or "" when not attached */
	uint64_t blocks;
	uint32_t block_size;
	char vendor[9], product[17];
	int read_only;
	bool has_id;         /* id: from VPD 0x83/0x80, what multipath groups paths by */
	struct mpath_id id;
};
/* Copies up to max entries; returns how many devices the session has. */
size_t lunfs_session_devices(const struct lunfs_session *ls, struct lunfs_device *out, size_t max);

/* Multipath (lunfs_map.c). A path is a session's LUN file, held by a reference so commands in
 * flight on it outlive its removal; once it is removed, new commands on it are refused (-1).
 * Its commands fail fast on a lost connection (lun_rw_failfast): the dispatcher re-issues them
 * on another path instead of waiting for the session's reconnect. */
struct lunfs_lun;
struct mpath_io;
struct lunfs_lun *lunfs_path_get(struct lunfs_session *ls, uint64_t lun);
void lunfs_path_put(struct lunfs_lun *path);
int lunfs_path_rw(struct lunfs_lun *path, bool write, void *buf, uint64_t lba, uint32_t blocks,
		  lun_io_fn done, void *arg);
int lunfs_path_sync(struct lunfs_lun *path, lun_io_fn done, void *arg);
/* The path is still its session's LUN file (a rescan did not remove it). */
bool lunfs_path_current(const struct lunfs_lun *path);
/* What the path's last probe read of its LUN (its capacity, after a rescan, is the LUN's now). */
const struct lun_info *lunfs_path_info(const struct lunfs_lun *path);
/* The path checker's TEST UNIT READY on the path: done(arg, good) once, later; good only for
 * GOOD on a session still logged in when the answer came. -1 when the session is not logged
 * in (recovering, logging out, failed) or the path was removed: nothing is sent. */
int lunfs_path_tur(struct lunfs_lun *path, void (*done)(void *arg, bool good), void *arg);
/* The map's file by-id/<info->id.name>, of the LUN's size, whose reads, writes and fsync go
 * through the dispatcher io; NULL when the name is taken or memory runs out. With
 * loop_devices on, a loop device is attached over it (on a worker thread, as for the LUN
 * files; lunfs_byid_loop says which once it is there). */
struct lunfs_lun *lunfs_byid_add(struct lunfs *fs, const struct lun_info *info, struct mpath_io *io);
/* The by-id file is open, or its loop device is (mounted, say), or that device is coming or
 * going: a map that swiscsi-multipath -f must not drop. */
bool lunfs_byid_in_use(const struct lunfs_lun *file);
/* The by-id file's loop device ("/dev/loopN"), or "" while it has none. */
const char *lunfs_byid_loop(const struct lunfs_lun *file);
/* Calls done once no loop device job of the by-id file runs: its device is attached (or
 * could not be), or gone; maybe before this returns. */
void lunfs_byid_settled(struct lunfs *fs, struct lunfs_lun *file, void (*done)(void *arg),
			void *arg);
/* Calls done once no by-id file's loop device job runs at all (maybe before this returns):
 * after a rescan, the maps that came and went have their devices attached or gone. */
void lunfs_byid_idle(struct lunfs *fs, void (*done)(void *arg), void *arg);
/* Detaches the by-id file's loop device for good, then calls done (maybe before this returns:
 * at once when it has none). For the map's last paths to go after it, so that what the
 * device still flushes reaches the LUN. */
void lunfs_byid_detach_loop(struct lunfs *fs, struct lunfs_lun *file, void (*done)(void *arg),
			    void *arg);
/* swiscsi-multipath -f's: the by-id file's loop device detached for good and gone from the
 * kernel (what losetup -a lists) within bound_ms, before the map goes. done(arg, dev, why)
 * once, maybe before this returns: why NULL when it is gone (dev "" when there was none), else
 * what is wrong (the detach failed, or the device is still bound at the bound: open
 * elsewhere, the kernel detaches it at its last close). -1 (nothing started) out of memory. */
typedef void (*lunfs_released_fn)(void *arg, const char *dev, const char *why);
int lunfs_byid_release_loop(struct lunfs *fs, struct lunfs_lun *file, unsigned bound_ms,
			    lunfs_released_fn done, void *arg);

/* The map's size changed to blocks (of its block size): the file's at once, the kernel told,
 * and its loop device's on a worker thread (lunfs_byid_idle waits for that too). */
void lunfs_byid_resize(struct lunfs *fs, struct lunfs_lun *file, uint64_t blocks);
/* The name goes; open files get EIO; the dispatcher is no longer used once this returns; a
 * loop device still attached is detached (on a worker thread, lunfs_stop waits for it). */
void lunfs_byid_remove(struct lunfs *fs, struct lunfs_lun *file);

#endif
