/* One multipath map's choice of path for each command: its paths' state and load, the
 * policy's grouping and selector, what to do with no path (queue or fail, and for how long)
 * and when to fail back. Pure logic: time comes in as milliseconds on any monotonic clock, and
 * nothing here sends or holds a command; the caller does what the verdict says. */
#ifndef SWISCSID_MPATH_SELECT_H
#define SWISCSID_MPATH_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpath_policy.h"
#include "swiscsi/swiscsi.h"

enum { MPATH_MAX_PATHS = 32 };

struct mpath_path {
	bool up;
	unsigned in_flight;            /* commands sent and not completed */
	uint64_t in_flight_bytes;
	unsigned relative_throughput;  /* service-time's weight, 1 .. 100 */
	uint64_t restored_ms;          /* when it last came back (failback N) */
};

struct mpath_map {
	struct mpath_policy pol;
	struct mpath_path path[MPATH_MAX_PATHS];
	size_t npaths;
	size_t active;        /* failover: the path every command goes to */
	size_t cursor;        /* where the next search starts: round-robin, and fair ties */
	bool all_down;
	uint64_t all_down_ms; /* since when no path works */
	unsigned retries;     /* path checker rounds run since then (no_path_retry N) */
};

enum mpath_verdict { MPATH_SEND, MPATH_QUEUE, MPATH_FAIL };

/* What a command's outcome says about the path it took. */
enum mpath_outcome {
	MPATH_OK,          /* done (or resent on the same path: unit attention, busy) */
	MPATH_PATH_ERROR,  /* the path failed it: take the path out, reissue elsewhere */
	MPATH_LUN_ERROR,   /* the LUN's own answer: return it, the same on every path */
};

void mpath_map_init(struct mpath_map *m, const struct mpath_policy *p);
/* A new path, up; its index, or -1 when the map has MPATH_MAX_PATHS. relative_throughput 0
 * means 1. Under failover, paths are used in the order they were added. */
int mpath_map_add_path(struct mpath_map *m, unsigned relative_throughput, uint64_t now_ms);
/* Paths still carrying commands must be idle first (the caller reissues them); the later
 * paths' indexes move down by one. */
void mpath_map_remove_path(struct mpath_map *m, size_t i, uint64_t now_ms);

/* The one place a path's state changes: its session failed or came back, or a command on it
 * failed with a path error. Idempotent. */
void mpath_path_set(struct mpath_map *m, size_t i, bool up, uint64_t now_ms);

/* The recovery's state callback (swi_session_on_state) as path state: while the session
 * reconnects, logs out or has failed, the path is out. A session logged in again does not put
 * its path back by itself: the path checker does, once a TEST UNIT READY on it succeeds. */
void mpath_path_from_session(struct mpath_map *m, size_t i, enum swi_state st, uint64_t now_ms);

/* For a command of bytes: MPATH_SEND with *path (the command is counted in flight on it),
 * MPATH_QUEUE (hold it, ask again when a path returns or at the next tick), or MPATH_FAIL. */
enum mpath_verdict mpath_choose(struct mpath_map *m, uint64_t bytes, uint64_t now_ms, size_t *path);
/* A command that mpath_choose sent on path i completed (whatever its outcome). */
void mpath_done(struct mpath_map *m, size_t i, uint64_t bytes);
/* Runs the timers: a delayed failback comes due. true when commands held for want of a path
 * must now fail (no_path_retry ran out). */
bool mpath_tick(struct mpath_map *m, uint64_t now_ms);
/* The path checker ran a round of the map: while no path works, one of no_path_retry's N
 * retries is spent (N rounds, one checker interval apart, after the last path failed). */
void mpath_retry_round(struct mpath_map *m);
/* failback manual's operator switch: back to the first working path (failover). */
void mpath_failback_now(struct mpath_map *m);
/* Whether commands without a path are held now (queue_if_no_path): no_path_retry queue, or N
 * not yet run out. */
bool mpath_queueing(const struct mpath_map *m, uint64_t now_ms);
/* The number of paths up. */
size_t mpath_paths_up(const struct mpath_map *m);

/* transport_status < 0 is the transport's failure (connection lost, session failed, command
 * timed out); else scsi_status and, for CHECK CONDITION, sense_key decide. */
enum mpath_outcome mpath_classify(int transport_status, uint8_t scsi_status, uint8_t sense_key);

#endif
