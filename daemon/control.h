/* The control socket: $SWISCSI_RUNDIR/swiscsid.sock, mode 0600. Each connection carries one
 * request and its reply. The peer's credentials (SO_PEERCRED) are checked before anything is
 * read: root or the daemon's own uid, anyone else gets a refusal and the connection closes.
 * Requests are decoded by ctl_decode_request; a malformed one gets an error reply. Started by
 * systemd through swiscsid.socket, the daemon serves the socket it was given instead. */
#ifndef SWISCSID_CONTROL_H
#define SWISCSID_CONTROL_H

#include <stdint.h>

#include "ctl_proto.h"
#include "evloop.h"

struct control;
struct ctl_client;

/* One request kind = one row: its handler replies now or later (control_reply), exactly
 * once. */
struct control_handler {
	uint16_t kind;
	const char *name;
	void (*handle)(struct ctl_client *c, const struct ctl_request *r, void *ctx);
};

/* Listens on path (an old socket there is replaced). NULL with err set. */
struct control *control_start(struct evloop *l, const char *path,
			      const struct control_handler *handlers, void *ctx, char *err,
			      size_t errlen);
void control_stop(struct control *c);

/* Sends b (consumed) as the reply and closes the connection after it. */
void control_reply(struct ctl_client *c, struct ctl_buf *b);
/* A reply that is just a status: status is an exit code, msg a sentence (may be NULL). */
void control_reply_status(struct ctl_client *c, int status, uint32_t sid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
uint16_t control_kind(const struct ctl_client *c);

/* Called when the peer goes away before its reply: whoever holds c for a later reply must drop
 * it then. One watcher per client. */
void control_on_gone(struct ctl_client *c, void (*fn)(void *arg), void *arg);

#endif
