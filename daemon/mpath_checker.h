/* The path checker, after multipathd's "tur" checker: every polling_interval (the map's
 * checker_interval) each path of each map gets a TEST UNIT READY on its session. A path whose
 * TUR is not answered GOOD is failed; a failed path is reinstated only when a TUR on it
 * succeeds (its session logged in again asks for one at once). Each round of a map without a
 * working path spends one of no_path_retry's N retries.
 *
 * Why any answer but GOOD fails the path, a LUN-level one (NOT READY, ...) included: the TUR
 * asks "can this path serve I/O to the LUN now", and a port that says NOT READY (becoming
 * ready, in standby, offline) cannot. A medium error on a READ is a different matter: it is
 * an answer about some blocks, the same on every path, and mpath_io returns it once. When
 * every path says NOT READY, every path is failed and the map holds commands as
 * no_path_retry says until one answers GOOD, which is what queueing is for. Unit attentions
 * say nothing about the path: the TUR is sent again (the caller's TUR does that).
 *
 * How a TUR goes out is the caller's (a session's LUN in the daemon, a script in the unit
 * test); time comes from the caller's clock. */
#ifndef SWISCSID_MPATH_CHECKER_H
#define SWISCSID_MPATH_CHECKER_H

#include <stdbool.h>
#include <stdint.h>

#include "mpath_maps.h"

/* A TUR's verdict: true when it was answered GOOD on a session that is logged in. */
typedef void (*mpath_checker_fn)(void *arg, bool good);

struct mpath_checker_ops {
	/* TEST UNIT READY on the path whose route handle is given: done exactly once, later.
	 * -1: cannot be sent now (the session is not logged in, or going): the path is failed. */
	int (*tur)(void *ctx, void *handle, mpath_checker_fn done, void *arg);
	/* The checker changed path i of map m (m->sel.path[i].up says to what): held commands
	 * may go out on it (mpath_io_kick), and the change is worth a log line. */
	void (*changed)(void *ctx, struct mpath_lun *m, size_t i);
	/* A round of map m ran: held commands go out, or fail when no_path_retry ran out. */
	void (*round)(void *ctx, struct mpath_lun *m);
	uint64_t (*now_ms)(void *ctx);
};

struct mpath_checker;
/* The maps and ops outlive the checker. */
struct mpath_checker *mpath_checker_new(struct mpath_maps *ms, const struct mpath_checker_ops *ops,
					void *ctx);
/* TURs still out keep running; their verdicts are dropped. */
void mpath_checker_free(struct mpath_checker *c);
/* Runs the rounds that are due. Call about every second (the intervals are whole seconds). */
void mpath_checker_tick(struct mpath_checker *c);
/* A TUR on the path with this route handle now, outside the rounds (its session logged in
 * again); nothing when one is already out on it. */
void mpath_checker_check(struct mpath_checker *c, void *handle);
/* TURs sent and not yet answered. */
unsigned mpath_checker_pending(const struct mpath_checker *c);

#endif
