/* The daemon's multipath maps: every session's LUNs grouped by identity (mpath_id), one map per
 * LUN with its paths, its policy and its path choice (mpath_select). Bookkeeping only: the
 * caller adds a path when a session's probe finds a LUN, removes it when the LUN or session
 * goes, and serves the by-id file from the map. */
#ifndef SWISCSID_MPATH_MAPS_H
#define SWISCSID_MPATH_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"
#include "lun_io.h"
#include "mpath_select.h"

/* What became of the commands a path failed (a path error, or refused at once): counted by the
 * dispatcher (mpath_io) as they leave the path, reported and cleared by the caller, once per
 * failure event rather than once per command. */
struct mpath_bounced {
	unsigned moved;            /* re-issued on another path */
	unsigned held;             /* held for want of a path (no_path_retry queue or N) */
	unsigned failed;           /* failed with EIO: no path left (no_path_retry fail) */
	unsigned seen;             /* the caller's: the total when it last looked */
};

/* Where a path goes: a session's LUN. */
struct mpath_route {
	uint32_t sid;
	uint64_t lun;              /* the LUN number on this path's target */
	char iface[64];
	char address[64];
	int32_t port;
	char target[224];
	void *handle;              /* the caller's, for I/O on this path */
	bool session_down;         /* the caller's: its session is out of LOGGED_IN (logged once) */
	struct mpath_bounced bounced;   /* its commands that left it on a path error, not yet logged */
};

struct mpath_lun {
	struct lun_info info;      /* the first path's: identity, vendor, product, size */
	struct mpath_route route[MPATH_MAX_PATHS];
	struct mpath_map sel;      /* indexes match route[] */
	char loop[32];             /* the by-id file's loop device, "" without */
	struct mpath_io *io;       /* the caller's: the map's dispatcher */
	void *file;                /* the caller's: the by-id file */
	uint64_t next_check_ms;    /* the path checker's next round (0: not planned yet) */
	bool check_outage;         /* the checker saw the outage that began at check_outage_ms */
	uint64_t check_outage_ms;  /* (its rounds count from then) */
};

struct mpath_maps {
	struct mpath_lun **map;
	size_t n;
	/* Called as a map goes (its last path left, or -f), before it is freed: the caller's
	 * chance to end its dispatcher and file. true: the caller took the map and frees it
	 * later (commands still in flight on it). NULL: nothing to do. */
	bool (*dropping)(struct mpath_lun *m, void *arg);
	void *dropping_arg;
};

/* A LUN with identity info->id found on a route (r->lun is info->lun): added to its map (made with policy when it
 * is the first path). 0 with the map and path index, or -1: no identity, out of memory, the
 * map full, or the route already there. */
int mpath_maps_add(struct mpath_maps *ms, const struct lun_info *info, const struct mpath_route *r,
		   const struct mpath_policy *policy, uint64_t now_ms, struct mpath_lun **map,
		   size_t *path);
/* The path of session sid to LUN lun leaves its map; a map left without paths goes. */
void mpath_maps_remove(struct mpath_maps *ms, uint32_t sid, uint64_t lun, uint64_t now_ms);
/* Every path of session sid leaves its map (the session goes, or its LUNs are listed anew). */
void mpath_maps_remove_session(struct mpath_maps *ms, uint32_t sid, uint64_t now_ms);
/* The map named name (its by-id name) or with that WWID, or NULL. */
struct mpath_lun *mpath_maps_find(const struct mpath_maps *ms, const char *name);
/* Commands in flight on the map's paths: a map -f leaves alone. */
bool mpath_maps_busy(const struct mpath_lun *m);
/* -f: 0 dropped, -1 no such map, -2 in use (commands in flight). */
int mpath_maps_flush(struct mpath_maps *ms, const char *name);
/* Appends every map (or only the one named, "" for all) with its paths to a CTL_MPATH_LIST
 * reply; the number of maps. */
uint32_t mpath_maps_describe(const struct mpath_maps *ms, const char *name, uint64_t now_ms,
			     struct ctl_buf *b);
void mpath_maps_free(struct mpath_maps *ms);

#endif
