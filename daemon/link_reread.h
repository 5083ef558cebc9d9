/* When the link watch reads the link table again (link_watch.h), decided apart from its
 * sockets and timers so the policy is unit-tested (tests/unit/test-link-table.c).
 *
 * An overflow of the event socket gets at most two reads at once: a second one when events
 * were lost again while the first ran (or the table changed while it was dumped), or, after a
 * pause, when the first failed. Events lost again during the second read start the whole over
 * after a pause, as for a new overflow: a storm of events costs at most two dumps a pause, and
 * its last overflow is still followed by a read. A second failure gives up (the sessions'
 * keepalives still notice a dead device, only later). */
#ifndef SWISCSID_LINK_REREAD_H
#define SWISCSID_LINK_REREAD_H

#include <stdbool.h>

enum link_reread_next {
	LINK_REREAD_DONE,      /* read whole, nothing lost meanwhile */
	LINK_REREAD_AT_ONCE,   /* once more now, still the same overflow's */
	LINK_REREAD_RETRY,     /* the read failed: once more after the pause, the same overflow's */
	LINK_REREAD_ANEW,      /* after the pause, as for a new overflow (its reads count from 0) */
	LINK_REREAD_GIVE_UP,   /* the second read failed too */
};

/* reads: the overflow's reads so far, the one that just ended included (1 or 2); failed: it
 * did not get the whole table; again: events were lost again while it ran, or the table it got
 * changed while it was dumped. */
enum link_reread_next link_reread_next(unsigned reads, bool failed, bool again);

#endif
