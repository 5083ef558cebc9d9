/* The table's life: creation, the automatic logins at start-up, and freeing. */
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "node_db.h"
#include "session_table.h"

struct sessions *sessions_new(struct evloop *loop)
{
	struct sessions *t = calloc(1, sizeof(*t));
	if (t) {
		t->loop = loop;
		sessions_mpath_start(t);
	}
	return t;
}

/* After a batch of FUSE requests: the commands they queued leave at once, one send per
 * session, instead of waiting for the prepare hooks while the rest of the loop turn (say, a
 * socket's worth of Data-In) is handled. A failed write is left to the prepare hook, whose
 * swi_flush sees it again and hands it to swi_service. */
static void flush_all(void *arg)
{
	struct sessions *t = arg;
	for (struct dsession *ds = t->head; ds; ds = ds->next)
		if (ds->s && ds->state != DS_DEAD && ds->state != DS_FAILED)
			swi_flush(ds->s);
}

void sessions_set_lunfs(struct sessions *t, struct lunfs *fs)
{
	t->fs = fs;
	if (fs)
		lunfs_after_requests(fs, flush_all, t);
}

void sessions_set_config(struct sessions *t, const struct swiscsid_config *cfg)
{
	t->cfg = cfg;
}

void sessions_free(struct sessions *t)
{
	if (!t)
		return;
	sessions_mpath_stop(t);
	mpath_maps_free(&t->maps);
	while (t->head) {
		struct dsession *ds = t->head;
		session_table_unlink(ds);
		session_free(ds);
	}
	free(t);
}

static void warn(void *ctx, const char *msg)
{
	(void)ctx;
	dlog(LOG_WARNING, "%s", msg);
}

static void auto_done(void *arg, int status, uint32_t sid, const char *message)
{
	struct ctl_node *n = arg;
	if (status == 0)
		dlog(LOG_INFO, "automatic login of %s at %s,%d through iface %s: session %u",
		     n->target, n->address, n->port, n->iface, sid);
	else
		dlog(LOG_ERR, "automatic login of %s at %s,%d through iface %s failed (%d): %s",
		     n->target, n->address, n->port, n->iface, status, message);
	free(n);
}

static bool is_automatic(const struct node_ref *ref)
{
	struct record r;
	char err[512];
	if (node_load(ref, &r, warn, NULL, err, sizeof(err)) < 0) {
		dlog(LOG_WARNING, "%s", err);
		return false;
	}
	const char *startup = record_get(&r, "node.startup");
	bool yes = startup && strcmp(startup, "automatic") == 0;
	record_free(&r);
	return yes;
}

void sessions_login_automatic(struct sessions *t)
{
	struct node_index ix;
	if (node_index_load(&ix, warn, NULL) < 0) {
		dlog(LOG_ERR, "cannot list the node records: out of memory");
		return;
	}
	for (size_t i = 0; i < ix.n; i++) {
		if (!is_automatic(&ix.v[i]))
			continue;
		struct ctl_node *n = calloc(1, sizeof(*n));
		if (!n)
			break;
		CTL_SET(n->target, ix.v[i].target);
		CTL_SET(n->address, ix.v[i].address);
		CTL_SET(n->iface, ix.v[i].iface);
		n->port = ix.v[i].port;
		n->tpgt = ix.v[i].tpgt;
		sessions_login(t, n, auto_done, n);
	}
	node_index_free(&ix);
}
