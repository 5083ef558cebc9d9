/* The synchronous calls: the asynchronous one, then a poll loop until it completes. The error
 * is the one the failing layer recorded, untouched. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "session.h"

struct waiter {
	bool done;
	int status;
};

static void wake(struct swi_session *s, int status, void *arg)
{
	(void)s;
	struct waiter *w = arg;
	w->done = true;
	w->status = status;
}

static int run(struct swi_session *s, struct waiter *w)
{
	while (!w->done) {
		struct pollfd p = { .fd = swi_fd(s), .events = swi_events(s) };
		int n = poll(&p, p.fd >= 0 ? 1 : 0, swi_timeout_ms(s));
		if (n < 0 && errno != EINTR)
			return session_fail(s, SWI_ERR_INTERNAL, "poll: %m");
		swi_service(s, n > 0 ? p.revents : 0);
	}
	return w->status;
}

int swi_login(struct swi_session *s)
{
	struct waiter w = { 0 };
	if (swi_login_async(s, wake, &w) < 0 && !w.done)
		return -1;
	return run(s, &w);
}

int swi_logout(struct swi_session *s)
{
	struct waiter w = { 0 };
	if (swi_logout_async(s, wake, &w) < 0 && !w.done)
		return -1;
	return run(s, &w);
}

int swi_sendtargets(struct swi_session *s, struct swi_target_list *out)
{
	struct waiter w = { 0 };
	if (swi_sendtargets_async(s, out, wake, &w) < 0 && !w.done)
		return -1;
	return run(s, &w);
}

struct scsi_waiter {
	struct waiter w;
	struct swi_scsi_result *r;
};

static void scsi_wake(struct swi_session *s, int status, const struct swi_scsi_result *r, void *arg)
{
	struct scsi_waiter *sw = arg;
	if (r)
		*sw->r = *r;
	wake(s, status, &sw->w);
}

int swi_scsi(struct swi_session *s, uint64_t lun, const uint8_t *cdb, size_t cdb_len,
	     enum swi_dir dir, void *buf, uint32_t len, struct swi_scsi_result *r)
{
	struct scsi_waiter sw = { .r = r };
	memset(r, 0, sizeof(*r));
	if (swi_scsi_async(s, lun, cdb, cdb_len, dir, buf, len, scsi_wake, &sw) < 0)
		return -1;
	return run(s, &sw.w); /* the command's own deadline (abort on expiry) bounds the wait */
}
