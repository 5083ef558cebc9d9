/* The control requests swiscsid answers: one row per kind (name, handler); ctl_decode_request
 * has decoded and checked each request before its handler sees it. */
#include "handlers.h"

#include <string.h>

#include "dlog.h"
#include "sessions.h"

/* A login or logout outcome goes back to the client that asked. */
static void reply_done(void *arg, int status, uint32_t sid, const char *message)
{
	struct ctl_client *c = arg;
	control_on_gone(c, NULL, NULL);
	control_reply_status(c, status, sid, "%s", message);
}

static void client_gone(void *handle)
{
	sessions_forget_waiter(handle);
}

static void handle_ping(struct ctl_client *c, const struct ctl_request *r, void *ctx)
{
	(void)r;
	(void)ctx;
	control_reply_status(c, 0, 0, NULL);
}

static void handle_login(struct ctl_client *c, const struct ctl_request *r, void *ctx)
{
	void *h = sessions_login(ctx, &r->u.login.node, reply_done, c);
	if (h)
		control_on_gone(c, client_gone, h);
}

static void handle_logout(struct ctl_client *c, const struct ctl_request *r, void *ctx)
{
	void *h = sessions_logout(ctx, r->u.logout.sid, reply_done, c);
	if (h)
		control_on_gone(c, client_gone, h);
}

static void handle_rescan(struct ctl_client *c, const struct ctl_request *r, void *ctx)
{
	void *h = sessions_rescan(ctx, r->u.rescan.sid, reply_done, c);
	if (h)
		control_on_gone(c, client_gone, h);
}

static void handle_list(struct ctl_client *c, const struct ctl_request *r, void *ctx)
{
	struct ctl_status st = { .status = 0 };
	struct ctl_buf b = { 0 };
	ctl_buf_begin(&b, CTL_LIST, &st);
	uint32_t n = sessions_describe(ctx, r->u.list.sid, r->u.list.flags & CTL_LIST_SECRETS, &b);
	struct ctl_status *out = ctl_buf_status(&b);
	if (out)
		out->nsessions = n;
	control_reply(c, &b);
}

/* swiscsi-multipath: the maps of the sessions' LUNs. */
static void handle_mpath_list(struct ctl_client *c, const struct ctl_request *r, void *ctx)
{
	struct ctl_status st = { .status = 0 };
	struct ctl_buf b = { 0 };
	ctl_buf_begin(&b, CTL_MPATH_LIST, &st);
	uint32_t n = sessions_mpath_describe(ctx, r->u.mpath.map, &b);
	if (r->u.mpath.map[0] && n == 0) {
		ctl_buf_free(&b);
		control_reply_status(c, 1, 0, "%s: no such multipath map", r->u.mpath.map);
		return;
	}
	struct ctl_status *out = ctl_buf_status(&b);
	if (out)
		out->nmaps = n;
	control_reply(c, &b);
}

/* -f: answered once the map's loop device is gone, then the map (session_mpath.c). */
static void handle_mpath_flush(struct ctl_client *c, const struct ctl_request *r, void *ctx)
{
	void *h = sessions_mpath_flush(ctx, r->u.mpath.map, reply_done, c);
	if (h)
		control_on_gone(c, client_gone, h);
}

const struct control_handler daemon_handlers[] = {
	{ CTL_PING, "ping", handle_ping },
	{ CTL_LOGIN, "login", handle_login },
	{ CTL_LOGOUT, "logout", handle_logout },
	{ CTL_LIST, "list", handle_list },
	{ CTL_RESCAN, "rescan", handle_rescan },
	{ CTL_MPATH_LIST, "multipath list", handle_mpath_list },
	{ CTL_MPATH_FLUSH, "multipath flush", handle_mpath_flush },
	{ 0, NULL, NULL },
};
