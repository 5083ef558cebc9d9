/* Reads, writes and cache flushes as pieces of at most MaxBurstLength (the session's current
 * login's: a recovery's re-login may negotiate another), all submitted at once (up to a cap
 * per session; the rest wait in the session's queue and go out as pieces complete). A request
 * completes when its last piece does, with the first error seen.
 *
 * Transient conditions are libswiscsi's to retry (BUSY, TASK SET FULL, a power-on/reset unit
 * attention: the session's scsi_retries, a delay apart): what comes back of those is final here.
 * Any other unit attention is news it passes on (REPORTED LUNS DATA HAS CHANGED, CAPACITY DATA
 * HAS CHANGED, ...): the command was not run and each attention is reported once, so the piece
 * is sent again, a few times at most for attentions queued one behind another. */
#include "lun_io.h"
#include "lun_sense.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "dlog.h"
#include "swiscsi/swiscsi.h"

/* Below libswiscsi's 1024 task slots, leaving room for probes and rescans. */
enum { MAX_INFLIGHT = 768, MAX_NEWS_RESENDS = 4, DEFAULT_BURST = 262144 };
enum { ASC_POWER_ON_RESET = 0x29 };   /* libswiscsi retries this attention itself */

enum req_kind { REQ_READ, REQ_WRITE, REQ_SYNC, REQ_TUR };

struct lun_req {
	struct lun_io *q;
	enum req_kind kind;
	uint64_t lun;
	uint32_t block_size;
	uint8_t *buf;
	uint64_t lba;
	uint32_t blocks, next_block;   /* next_block: where the next unsubmitted piece starts */
	unsigned swi_flags;            /* SWI_CMD_FAILFAST_TRANSPORT for a multipath path's */
	unsigned pending;              /* pieces in flight */
	bool submitted_all;
	int err;
	enum mpath_outcome outcome;    /* the worst of its pieces' (path error over LUN error) */
	char failure[320];             /* the first failure's log line, logged as the request ends */
	lun_io_fn done;
	void *arg;
	struct lun_req *next_waiting;
};

struct piece {
	struct lun_req *req;
	uint32_t first, blocks;        /* relative to req->lba */
	unsigned resends;              /* after unit attentions that were news */
};

struct lun_io {
	struct swi_session *s;
	unsigned inflight, requests;
	struct lun_req *wait_head, *wait_tail;
	void (*on_luns_changed)(void *arg);
	void *arg;
	void (*idle_fn)(void *arg);
	void *idle_arg;
};

struct lun_io *lun_io_new(struct swi_session *s, void (*on_luns_changed)(void *arg), void *arg)
{
	struct lun_io *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->s = s;
	q->on_luns_changed = on_luns_changed;
	q->arg = arg;
	return q;
}

void lun_io_free(struct lun_io *q)
{
	free(q);
}

unsigned lun_io_busy(const struct lun_io *q)
{
	return q->requests;
}

static void check_idle(struct lun_io *q)
{
	void (*fn)(void *) = q->idle_fn;
	if (q->requests || !fn)
		return;
	q->idle_fn = NULL;
	fn(q->idle_arg);
}

void lun_io_when_idle(struct lun_io *q, void (*fn)(void *arg), void *arg)
{
	q->idle_fn = fn;
	q->idle_arg = arg;
	check_idle(q);
}

static const char *kind_name(enum req_kind k)
{
	return k == REQ_READ ? "READ" : k == REQ_WRITE ? "WRITE" :
	       k == REQ_SYNC ? "SYNCHRONIZE CACHE" : "TEST UNIT READY";
}

static int send_piece(struct piece *p);

/* A failure the application will see is an error in the log. A multipath path's path error is
 * not one: the map takes the request to another path (or holds it, or fails it and says so),
 * and logs the path's failure once for all its requests (session_mpath.c). */
static void log_failure(const struct lun_req *r)
{
	if (!r->failure[0])
		return;
	if ((r->swi_flags & SWI_CMD_FAILFAST_TRANSPORT) && r->outcome == MPATH_PATH_ERROR)
		return;
	dlog(LOG_ERR, "%s", r->failure);
}

static void finish_request(struct lun_req *r)
{
	struct lun_io *q = r->q;
	log_failure(r);
	q->requests--;
	r->done(r->arg, r->outcome, r->err);
	free(r);
	check_idle(q);
}

static void pump(struct lun_io *q);

/* Notes what went wrong (the first failure of a request), with the target's own words: for the
 * log once the request ends and its outcome is known (log_failure). */
static void note_failure(struct lun_req *r, const struct piece *p, int status,
			 const struct swi_scsi_result *res, enum mpath_outcome outcome, int err)
{
	char text[256];
	if (outcome == MPATH_PATH_ERROR || r->outcome == MPATH_OK)
		r->outcome = outcome;
	if (r->err)
		return;
	r->err = err;
	if (r->kind == REQ_TUR) {   /* the path checker's, which fails the path: no blocks */
		dlog(LOG_WARNING, "LUN %" PRIu64 ": TEST UNIT READY failed: %s", r->lun,
		     status < 0 ? swi_error(r->q->s) : swi_status_text(res, text, sizeof(text)));
		return;
	}
	snprintf(r->failure, sizeof(r->failure),
		 "LUN %" PRIu64 ": %s of %" PRIu32 " blocks at LBA %" PRIu64 " failed: %s", r->lun,
		 kind_name(r->kind), p->blocks, r->lba + p->first,
		 status < 0 ? swi_error(r->q->s) : swi_status_text(res, text, sizeof(text)));
}

static void piece_done(struct swi_session *s, int status, const struct swi_scsi_result *res,
		       void *arg)
{
	(void)s;
	struct piece *p = arg;
	struct lun_req *r = p->req;
	struct lun_io *q = r->q;
	q->inflight--;
	int err = status < 0 ? -EIO : lun_errno(res);
	bool news = false;
	if (status == 0 && res->status == 0x02) {
		struct lun_sense k;
		lun_sense_decode(res, &k);
		if ((lun_sense_luns_changed(&k) || lun_sense_capacity_changed(&k)) &&
		    q->on_luns_changed)
			q->on_luns_changed(q->arg);
		news = k.key == SK_UNIT_ATTENTION && k.asc != ASC_POWER_ON_RESET;
	}
	if (err == -EAGAIN && news && ++p->resends <= MAX_NEWS_RESENDS) {
		if (send_piece(p) == 0) {
			pump(q);
			return;
		}
		/* the session refused the resend (a fail-fast piece after a loss): the path's fault */
		note_failure(r, p, -1, NULL, MPATH_PATH_ERROR, -EIO);
	} else if (err)
		note_failure(r, p, status, res, lun_outcome(status, res),
			     err == -EAGAIN ? -EBUSY : err);
	free(p);
	r->pending--;
	if (r->pending == 0 && r->submitted_all)
		finish_request(r);
	pump(q);
}

static int send_piece(struct piece *p)
{
	struct lun_req *r = p->req;
	uint8_t cdb[16];
	size_t len;
	enum swi_dir dir = SWI_DIR_NONE;
	uint32_t bytes = 0;
	uint8_t *buf = NULL;
	if (r->kind == REQ_SYNC) {
		len = swi_cdb_sync_cache(cdb, false);
	} else if (r->kind == REQ_TUR) {
		len = swi_cdb_test_unit_ready(cdb);
	} else {
		len = swi_cdb_rw(cdb, r->kind == REQ_WRITE, r->lba + p->first, p->blocks, true);
		dir = r->kind == REQ_WRITE ? SWI_DIR_WRITE : SWI_DIR_READ;
		bytes = p->blocks * r->block_size;
		buf = r->buf + (size_t)p->first * r->block_size;
	}
	if (swi_scsi_async_ex(r->q->s, r->lun, cdb, len, dir, buf, bytes, r->swi_flags, piece_done,
			      p) < 0)
		return -1;
	r->q->inflight++;
	return 0;
}

/* Submits pieces of r until it is all out or the session's cap is reached: 1 when all out, 0
 * when r must wait, -1 when the session refused (r->err set). */
static int submit_more(struct lun_req *r)
{
	struct lun_io *q = r->q;
	uint32_t burst = swi_max_burst_length(q->s);
	uint32_t per = (burst ? burst : DEFAULT_BURST) / r->block_size;
	if (per == 0)
		per = 1;
	while (!r->submitted_all) {
		if (q->inflight >= MAX_INFLIGHT)
			return 0;
		struct piece *p = calloc(1, sizeof(*p));
		if (!p) {
			r->err = r->err ? r->err : -ENOMEM;
			r->outcome = MPATH_PATH_ERROR;   /* this daemon's shortage, not the LUN's */
			r->submitted_all = true;
			return -1;
		}
		p->req = r;
		p->first = r->next_block;
		p->blocks = r->blocks - r->next_block < per ? r->blocks - r->next_block : per;
		if (send_piece(p) < 0) {
			note_failure(r, p, -1, NULL, MPATH_PATH_ERROR, -EIO);
			free(p);
			r->submitted_all = true;
			return -1;
		}
		r->pending++;
		r->next_block += p->blocks;
		r->submitted_all = r->next_block >= r->blocks;
	}
	return 1;
}

/* Lets waiting requests go on, oldest first, while the cap allows. */
static void pump(struct lun_io *q)
{
	while (q->wait_head && q->inflight < MAX_INFLIGHT) {
		struct lun_req *r = q->wait_head;
		if (submit_more(r) == 0)
			return;
		q->wait_head = r->next_waiting;
		if (!q->wait_head)
			q->wait_tail = NULL;
		if (r->pending == 0)
			finish_request(r);
	}
}

static int start(struct lun_io *q, enum req_kind kind, const struct lun_info *l, void *buf,
		 uint64_t lba, uint32_t blocks, unsigned swi_flags, lun_io_fn done, void *arg)
{
	struct lun_req *r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	*r = (struct lun_req){ .q = q, .kind = kind, .lun = l->lun, .block_size = l->block_size,
			       .buf = buf, .lba = lba,
			       .blocks = kind == REQ_SYNC || kind == REQ_TUR ? 1 : blocks,
			       .swi_flags = swi_flags, .done = done, .arg = arg };
	q->requests++;
	if (q->wait_head) {            /* keep the order: behind those already waiting */
		q->wait_tail->next_waiting = r;
		q->wait_tail = r;
		return 0;
	}
	int rc = submit_more(r);
	if (rc == 0) {
		q->wait_head = q->wait_tail = r;
		return 0;
	}
	if (rc < 0 && r->pending == 0) {   /* nothing went out: fail now, no callback */
		log_failure(r);
		q->requests--;
		free(r);
		errno = EIO;
		return -1;
	}
	return 0;
}

static int rw(struct lun_io *q, const struct lun_info *l, bool write, void *buf, uint64_t lba,
	      uint32_t blocks, unsigned swi_flags, lun_io_fn done, void *arg)
{
	if (blocks == 0 || lba + blocks > l->blocks) {
		errno = EINVAL;
		return -1;
	}
	return start(q, write ? REQ_WRITE : REQ_READ, l, buf, lba, blocks, swi_flags, done, arg);
}

int lun_rw(struct lun_io *q, const struct lun_info *l, bool write, void *buf, uint64_t lba,
	   uint32_t blocks, lun_io_fn done, void *arg)
{
	return rw(q, l, write, buf, lba, blocks, 0, done, arg);
}

int lun_sync(struct lun_io *q, const struct lun_info *l, lun_io_fn done, void *arg)
{
	return start(q, REQ_SYNC, l, NULL, 0, 1, 0, done, arg);
}

int lun_rw_failfast(struct lun_io *q, const struct lun_info *l, bool write, void *buf,
		    uint64_t lba, uint32_t blocks, lun_io_fn done, void *arg)
{
	return rw(q, l, write, buf, lba, blocks, SWI_CMD_FAILFAST_TRANSPORT, done, arg);
}

int lun_sync_failfast(struct lun_io *q, const struct lun_info *l, lun_io_fn done, void *arg)
{
	return start(q, REQ_SYNC, l, NULL, 0, 1, SWI_CMD_FAILFAST_TRANSPORT, done, arg);
}

int lun_tur(struct lun_io *q, const struct lun_info *l, lun_io_fn done, void *arg)
{
	/* the checker's verdict on a connection that drops under it is "failed", at once */
	return start(q, REQ_TUR, l, NULL, 0, 1, SWI_CMD_FAILFAST_TRANSPORT, done, arg);
}
