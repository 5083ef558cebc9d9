/* Finding a session's LUNs: REPORT LUNS, then for each LUN in turn the standard INQUIRY, VPD
 * page 0x83 (and 0x80 when 0x83 names nothing) for the identity multipath groups paths by, READ
 * CAPACITY 16 (READ CAPACITY 10 when 16 is refused) and MODE SENSE for the write-protect bit.
 * One command at a time: a probe is a handful of commands, and a unit attention (a target
 * greets a new nexus with one) is answered by resending the same command. */
#include "lun_io.h"
#include "lun_sense.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiscsi/swiscsi.h"

enum { MAX_LUNS = 256, MAX_RETRIES = 8 };

enum step { ST_REPORT_LUNS, ST_INQUIRY, ST_VPD83, ST_VPD80, ST_CAPACITY16, ST_CAPACITY10,
	    ST_MODE_SENSE };

struct probe {
	struct swi_session *s;
	enum step step;
	unsigned tries;
	uint64_t all[MAX_LUNS];      /* from REPORT LUNS */
	size_t nall, at;             /* at: the LUN being probed */
	struct lun_info luns[MAX_LUNS];
	size_t n;
	struct lun_info cur;
	uint8_t buf[8 + 8 * MAX_LUNS];
	lun_probe_fn done;
	void *arg;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void trimmed(char *out, const uint8_t *in, size_t n)
{
	memcpy(out, in, n);
	out[n] = '\0';
	for (size_t i = n; i > 0 && out[i - 1] == ' '; i--)
		out[i - 1] = '\0';
}

static void send_step(struct probe *p);

static void finish(struct probe *p, int status, const char *message)
{
	p->done(p->arg, status, p->luns, p->n, message);
	free(p);
}

static void fail(struct probe *p, const char *what, int status, const struct swi_scsi_result *r)
{
	char text[256], msg[400];
	snprintf(msg, sizeof(msg), "%s of LUN %" PRIu64 ": %s", what,
		 p->step == ST_REPORT_LUNS ? 0 : p->all[p->at],
		 status < 0 ? swi_error(p->s) : swi_status_text(r, text, sizeof(text)));
	finish(p, -1, msg);
}

static void parse_report_luns(struct probe *p, const struct swi_scsi_result *r)
{
	size_t listed = get32(p->buf) / 8, have = r->transferred >= 8 ? (r->transferred - 8) / 8 : 0;
	p->nall = 0;
	for (size_t i = 0; i < listed && i < have && p->nall < MAX_LUNS; i++) {
		const uint8_t *e = p->buf + 8 + 8 * i;
		/* peripheral (00b) and flat (01b) addressing: the LUN is in the first two bytes */
		p->all[p->nall++] = (uint64_t)(e[0] & 0x3f) << 8 | e[1];
	}
}

/* Moves to the next LUN, or finishes. */
static void next_lun(struct probe *p, bool keep)
{
	if (keep && p->n < MAX_LUNS)
		p->luns[p->n++] = p->cur;
	if (++p->at >= p->nall) {
		finish(p, 0, NULL);
		return;
	}
	p->step = ST_INQUIRY;
	send_step(p);
}

/* A VPD page arrived (n bytes): the identity from it, else the next page to ask, else none. */
static void identify(struct probe *p, size_t n)
{
	bool is83 = p->step == ST_VPD83;
	if (n > sizeof(p->buf))
		n = sizeof(p->buf);
	p->cur.has_id = mpath_id_from_vpd(is83 ? p->buf : NULL, is83 ? n : 0,
					  is83 ? NULL : p->buf, is83 ? 0 : n, p->cur.vendor,
					  p->cur.product, &p->cur.id) == 0;
	p->step = is83 && !p->cur.has_id ? ST_VPD80 : ST_CAPACITY16;
}

/* Advances the state machine after a GOOD answer. */
static void on_good(struct probe *p, const struct swi_scsi_result *r)
{
	switch (p->step) {
	case ST_REPORT_LUNS:
		parse_report_luns(p, r);
		if (p->nall == 0) {
			finish(p, 0, NULL);
			return;
		}
		p->at = 0;
		p->step = ST_INQUIRY;
		break;
	case ST_INQUIRY:
		p->cur = (struct lun_info){ .lun = p->all[p->at], .type = p->buf[0] & 0x1f };
		trimmed(p->cur.vendor, p->buf + 8, 8);
		trimmed(p->cur.product, p->buf + 16, 16);
		/* qualifier 000b and a direct-access (block) device, or nothing to serve */
		if ((p->buf[0] >> 5) != 0 || (p->cur.type != 0x00 && p->cur.type != 0x0e)) {
			next_lun(p, false);
			return;
		}
		p->step = ST_VPD83;
		break;
	case ST_VPD83:
	case ST_VPD80:
		identify(p, r->transferred);
		break;
	case ST_CAPACITY16:
		p->cur.blocks = ((uint64_t)get32(p->buf) << 32 | get32(p->buf + 4)) + 1;
		p->cur.block_size = get32(p->buf + 8);
		p->step = ST_MODE_SENSE;
		break;
	case ST_CAPACITY10:
		p->cur.blocks = (uint64_t)get32(p->buf) + 1;
		p->cur.block_size = get32(p->buf + 4);
		p->step = ST_MODE_SENSE;
		break;
	case ST_MODE_SENSE:
		p->cur.read_only = (p->buf[2] & 0x80) != 0;   /* device-specific parameter: WP */
		next_lun(p, p->cur.block_size != 0);
		return;
	}
	send_step(p);
}

static void step_done(struct swi_session *s, int status, const struct swi_scsi_result *r, void *arg)
{
	(void)s;
	struct probe *p = arg;
	static const char *const names[] = { "REPORT LUNS", "INQUIRY", "INQUIRY VPD 0x83",
					     "INQUIRY VPD 0x80", "READ CAPACITY 16",
					     "READ CAPACITY 10", "MODE SENSE" };
	if (status < 0) {
		fail(p, names[p->step], status, r);
		return;
	}
	int err = lun_errno(r);
	if (err == -EAGAIN && ++p->tries < MAX_RETRIES) {
		send_step(p);
		return;
	}
	p->tries = 0;
	if (err == 0) {
		on_good(p, r);
	} else if (p->step == ST_VPD83 || p->step == ST_VPD80) {
		/* a LUN without the page has no identity from it: one path of its own */
		p->step = p->step == ST_VPD83 ? ST_VPD80 : ST_CAPACITY16;
		send_step(p);
	} else if (p->step == ST_CAPACITY16) {    /* optional for small devices */
		p->step = ST_CAPACITY10;
		send_step(p);
	} else if (p->step == ST_MODE_SENSE) {    /* optional too: then it is writable */
		next_lun(p, p->cur.block_size != 0);
	} else {
		fail(p, names[p->step], status, r);
	}
}

static void send_step(struct probe *p)
{
	uint8_t cdb[16] = { 0 };
	size_t len = 0;
	uint32_t alloc = 255;
	uint64_t lun = p->step == ST_REPORT_LUNS ? 0 : p->all[p->at];
	memset(p->buf, 0, sizeof(p->buf));
	switch (p->step) {
	case ST_REPORT_LUNS:
		alloc = sizeof(p->buf);
		len = swi_cdb_report_luns(cdb, alloc);
		break;
	case ST_INQUIRY:
		alloc = 96;
		len = swi_cdb_inquiry(cdb, false, 0, alloc);
		break;
	case ST_VPD83:
	case ST_VPD80:
		alloc = 1024;
		len = swi_cdb_inquiry(cdb, true, p->step == ST_VPD83 ? 0x83 : 0x80, alloc);
		break;
	case ST_CAPACITY16:
		alloc = 32;
		len = swi_cdb_read_capacity16(cdb, alloc);
		break;
	case ST_CAPACITY10:
		alloc = 8;
		len = swi_cdb_read_capacity10(cdb);
		break;
	case ST_MODE_SENSE:
		/* MODE SENSE 6, all pages, no block descriptors: only the header's WP bit counts */
		cdb[0] = 0x1a;
		cdb[1] = 0x08;
		cdb[2] = 0x3f;
		cdb[4] = (uint8_t)alloc;
		len = 6;
		break;
	}
	if (swi_scsi_async(p->s, lun, cdb, len, SWI_DIR_READ, p->buf, alloc, step_done, p) < 0)
		fail(p, "probe", -1, NULL);
}

int lun_probe_async(struct swi_session *s, lun_probe_fn done, void *arg)
{
	struct probe *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->s = s;
	p->done = done;
	p->arg = arg;
	p->step = ST_REPORT_LUNS;
	uint8_t cdb[16];
	size_t len = swi_cdb_report_luns(cdb, sizeof(p->buf));
	if (swi_scsi_async(s, 0, cdb, len, SWI_DIR_READ, p->buf, sizeof(p->buf), step_done, p) < 0) {
		free(p);
		return -1;
	}
	return 0;
}
