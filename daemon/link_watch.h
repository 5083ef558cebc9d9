/* The network devices' link events (rtnetlink, RTMGRP_LINK) in the daemon's loop: a device
 * that is deleted, set down (IFF_UP cleared) or loses its link (IFF_RUNNING cleared: no
 * carrier, operstate not up) is reported at once, so the sessions bound to it can drop their
 * connection instead of waiting for their keepalive to notice (noop_out_interval + timeout).
 * A device coming back needs nothing here: recovery's reconnect attempts keep running.
 *
 * Every event that shows a device down is reported, repeats included (a down device's other
 * changes); the receiver's reaction must be harmless when nothing is left to drop. */
#ifndef SWISCSID_LINK_WATCH_H
#define SWISCSID_LINK_WATCH_H

#include "evloop.h"

struct link_watch;

/* name: the device's name ("" when the event carried none); why: "went down", "lost its
 * link" or "was deleted". */
typedef void (*link_down_fn)(unsigned ifindex, const char *name, const char *why, void *arg);

/* NULL with errno set when the netlink socket cannot be had. */
struct link_watch *link_watch_start(struct evloop *l, link_down_fn fn, void *arg);
void link_watch_stop(struct link_watch *w);

#endif
