/* The LUN filesystem's insides, shared by lunfs.c (mount, sessions), lunfs_tree.c (names and
 * inodes) and lunfs_ops.c (the FUSE operations). Not for the session side: see lunfs.h. */
#ifndef SWISCSID_LUNFS_INT_H
#define SWISCSID_LUNFS_INT_H

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <stdbool.h>

#include "evloop.h"
#include "lun_io.h"
#include "lunfs.h"

struct loopdev_pool;
struct lunfs_bufs;

/* One LUN file. Its two names (by-iface/... and by-path/...) are hard links to one inode, so
 * the kernel keeps one page cache for both. Freed when removed and no longer referenced by an
 * open file or an I/O in flight. */
struct lunfs_lun {
	fuse_ino_t ino;
	struct lunfs_session *ls;   /* NULL once removed: I/O then fails with EIO */
	struct mpath_io *mio;       /* a by-id file: I/O through its map's dispatcher; NULL once
				     * the map went (ls is NULL for these) */
	struct lun_info info;
	char name[256];             /* ip-<addr>:<port>-iscsi-<target>-lun-<n> */
	char loop[32];              /* "/dev/loopN" or "" */
	bool loop_direct;
	unsigned refs;              /* open files + requests in flight (+ a by-id loop job) */
	unsigned nlink;
	/* a by-id file's loop device (lunfs_map.c): one attach or detach job at a time */
	bool loop_job;
	bool loop_unwanted;         /* detach it as soon as no job runs */
	char loop_failure[192];     /* why its last detach failed ("" when it did not) */
	bool loop_resize;           /* the map's size changed: resize it as soon as no job runs */
	struct byid_waiter *loop_waiters;   /* told when it has gone */
	struct lunfs_lun *next;     /* in the session's list */
	/* removed while still referenced: in lunfs.gone until the last reference goes, so that
	 * one the kernel never releases (an open file at shutdown) is freed with the filesystem */
	struct lunfs_lun *gone_next, **gone_prev;
};

/* A directory entry: parent inode + name -> inode. */
struct lunfs_entry {
	fuse_ino_t parent, ino;
	char *name;
	bool dir;
	struct lunfs_lun *lun;      /* files only */
};

enum lunfs_op_kind { OP_ATTACH, OP_RESCAN, OP_DETACH };

/* One multi-step operation on a session (attach, rescan, detach): done when pending is 0.
 * done is its requester's; a detach's is the failed attach it cleans up after, if any (the
 * detach's own requester is lunfs_session.detach_done). */
struct lunfs_op {
	enum lunfs_op_kind kind;
	lunfs_done_fn done;
	void *arg;
	unsigned pending;
	int status;
	char message[300];
};

struct lunfs_session {
	struct lunfs *fs;
	struct swi_session *s;
	char *iface, *address, *target;
	int port;
	unsigned instance;
	struct lun_io *io;
	struct lunfs_lun *luns;
	struct lunfs_op op;
	bool busy, attached, detaching;
	/* asked for while busy: run when the current operation ends (a detach first; a waiting
	 * rescan that a detach overtakes fails, its requester told so) */
	bool rescan_wanted, detach_wanted;
	lunfs_done_fn rescan_done;  /* the waiting rescan's requester (NULL: none, or lunfs's own) */
	void *rescan_arg;
	lunfs_done_fn detach_done;  /* the detach's requester, waiting or running (NULL: none) */
	void *detach_arg;
	void (*rescanned)(void *arg);   /* lunfs_session_on_rescan's */
	void *rescanned_arg;
	struct ev_timer rescan_timer, free_timer;
	struct lunfs_session *next;
};

enum { INO_ROOT = 1, INO_BY_IFACE = 2, INO_BY_PATH = 3, INO_BY_ID = 4, INO_FIRST_FREE = 5 };

struct lunfs {
	struct evloop *loop;
	struct lunfs_config cfg;
	char *dir;
	struct fuse_session *se;
	struct ev_io *w;
	struct fuse_buf buf;
	struct loopdev_pool *loops;
	struct lunfs_bufs *bufs;     /* bounce buffers kept for reuse */
	struct lunfs_entry *entries;
	size_t nentries, entries_cap;
	fuse_ino_t next_ino;
	struct lunfs_session *sessions;
	unsigned byid_jobs;          /* by-id loop device jobs running (lunfs_map.c) */
	struct lunfs_lun *gone;      /* files removed but still referenced (lun_retire) */
	struct byid_waiter *byid_idle;   /* told when none runs */
	struct loop_release *releases;   /* -f's waits for a device to go (lunfs_map.c) */
	bool mounted;
	time_t born;                /* every inode's times: when the filesystem was mounted */
	void (*after_requests)(void *arg);   /* lunfs_after_requests */
	void *after_arg;
};

/* ---- lunfs_tree.c ---- */
const struct lunfs_entry *tree_lookup(const struct lunfs *fs, fuse_ino_t parent, const char *name);
const struct lunfs_entry *tree_find_ino(const struct lunfs *fs, fuse_ino_t ino);
/* The directory named name under parent, made when missing. 0 when out of memory. */
fuse_ino_t tree_dir(struct lunfs *fs, fuse_ino_t parent, const char *name);
/* Links the LUN under parent (its name). -1 when the name is taken or memory runs out. */
int tree_link(struct lunfs *fs, fuse_ino_t parent, struct lunfs_lun *l);
/* Removes every name of l, and directories left empty under by-iface. */
void tree_unlink_lun(struct lunfs *fs, struct lunfs_lun *l);
void tree_free(struct lunfs *fs);
void tree_attr(const struct lunfs *fs, fuse_ino_t ino, const struct lunfs_lun *l, struct stat *st);
void lun_unref(struct lunfs_lun *l);
/* A file just removed (no name, no session or map): freed now when nothing refers to it, else
 * with its last reference, or with the filesystem (tree_free) when that never comes. */
void lun_retire(struct lunfs *fs, struct lunfs_lun *l);
/* The LUN file still serves I/O: its session's, or its map's. */
bool lun_live(const struct lunfs_lun *l);

/* ---- lunfs_map.c ---- */
/* Every by-id file's loop device detaches (shutdown), before the sessions' paths go. */
void byid_detach_all_loops(struct lunfs *fs);
/* The end of the loop: every -f still waiting for its device hears that the daemon stops. */
void byid_end_releases(struct lunfs *fs);

/* ---- lunfs_ops.c ---- */
extern const struct fuse_lowlevel_ops lunfs_ops;
/* l's size changed: the kernel drops the attributes it holds of l's inode (a stat, a read past
 * the old end or the loop driver asks again) rather than serve them until they time out. */
void ops_size_changed(struct lunfs *fs, const struct lunfs_lun *l);
/* l was cut off: the pages the kernel holds of it go, on a worker thread, then done runs (on
 * the loop). -1 when no job started (no FUSE session, or no thread): done does not run. */
int ops_drop_pages(struct lunfs *fs, const struct lunfs_lun *l, void (*done)(void *arg), void *arg);

/* Detaches loop devices backed by files under dir and a dead FUSE mount at dir. */
void lunfs_clear_stale(const char *dir);

#endif
