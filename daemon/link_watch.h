/* The network devices' link events (rtnetlink, RTMGRP_LINK) in the daemon's loop: a device
 * that is deleted, set down (IFF_UP cleared) or loses its link (IFF_RUNNING cleared: no
 * carrier, operstate not up) is reported at once, so the sessions bound to it can drop their
 * connection instead of waiting for their keepalive to notice (noop_out_interval + timeout).
 * A device coming back needs nothing here: recovery's reconnect attempts keep running.
 *
 * Every event that shows a device down is reported, repeats included (a down device's other
 * changes); the receiver's reaction must be harmless when nothing is left to drop.
 *
 * Events lost: when the kernel's queue for the socket overflows (a burst of events while the
 * daemon was busy or stopped), the events it dropped may have been a bound device going down.
 * The watch then re-reads the whole link table (an RTM_GETLINK dump on a socket of its own,
 * non-blocking, in the loop) and hands it to the receiver, which drops every session whose
 * device is down or missing from it; one warning line tells what was lost and found. Bounded:
 * at most LINK_TABLE_MAX devices (a larger table fails the re-read), a dump that does not end
 * within LINK_DUMP_TIMEOUT_MS fails. Events lost again while the table is read (or a table
 * that changed while it was dumped) re-read it once more at once; after that, and after a
 * failed re-read, the next one waits LINK_REREAD_PAUSE_MS (link_reread.h): a storm of events
 * costs at most two dumps a pause, and the last overflow is always followed by a re-read
 * unless a re-read and its retry both failed (then the keepalives notice, as before). */
#ifndef SWISCSID_LINK_WATCH_H
#define SWISCSID_LINK_WATCH_H

#include "evloop.h"
#include "link_table.h"

#define LINK_TABLE_MAX 65536
#define LINK_DUMP_TIMEOUT_MS 5000
#define LINK_REREAD_PAUSE_MS 1000

struct link_watch;

/* name: the device's name ("" when the event carried none); why: "went down", "lost its
 * link" or "was deleted". */
typedef void (*link_down_fn)(unsigned ifindex, const char *name, const char *why, void *arg);
/* The link table as re-read after lost events (link_table_find, link_flags_why with event
 * false; when now->interrupted a device missing from it may exist still). Returns how many
 * sessions' connections it dropped, for the warning line. */
typedef unsigned (*link_reread_fn)(const struct link_table *now, void *arg);

/* NULL with errno set when the netlink socket cannot be had. */
struct link_watch *link_watch_start(struct evloop *l, link_down_fn down, link_reread_fn reread,
				    void *arg);
void link_watch_stop(struct link_watch *w);

#endif
