/* Encoding and checking of control messages (ctl_proto.h). Everything that crosses the socket
 * is checked here before anyone looks at it: sizes exact, strings terminated. */
#include "ctl_proto.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replies are walked in place: every piece must keep the 8-byte alignment of the buffer. */
_Static_assert(sizeof(struct ctl_header) % 8 == 0, "header alignment");
_Static_assert(sizeof(struct ctl_status) % 8 == 0, "status alignment");
_Static_assert(sizeof(struct ctl_session) % 8 == 0, "session alignment");
_Static_assert(sizeof(struct ctl_device) % 8 == 0, "device alignment");
_Static_assert(sizeof(struct ctl_mpath) % 8 == 0, "map alignment");
_Static_assert(sizeof(struct ctl_mpath_path) % 8 == 0, "path alignment");

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

void ctl_strcpy(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src ? src : "");
}

int ctl_check_header(const struct ctl_header *h, uint32_t max, char *err, size_t errlen)
{
	if (h->magic != CTL_MAGIC) {
		snprintf(err, errlen, "not a swiscsi control message (bad magic 0x%08x)", h->magic);
		return -1;
	}
	if (h->version != CTL_VERSION) {
		snprintf(err, errlen, "control protocol version %u, this side speaks %u",
			 h->version, CTL_VERSION);
		return -1;
	}
	if (h->length > max) {
		snprintf(err, errlen, "control message of %u bytes, more than the %u allowed",
			 h->length, max);
		return -1;
	}
	return 0;
}

int ctl_node_valid(const struct ctl_node *n)
{
	return TERMINATED(n->target) && TERMINATED(n->address) && TERMINATED(n->iface) &&
	       n->target[0] && n->address[0] && n->iface[0] && n->port > 0 && n->port <= 65535 &&
	       n->tpgt >= -1 && n->tpgt <= 65535;
}

static const uint32_t request_size[CTL_KIND_MAX] = {
	[CTL_PING] = 0,
	[CTL_LOGIN] = sizeof(struct ctl_login_req),
	[CTL_LOGOUT] = sizeof(struct ctl_logout_req),
	[CTL_LIST] = sizeof(struct ctl_list_req),
	[CTL_RESCAN] = sizeof(struct ctl_rescan_req),
	[CTL_MPATH_LIST] = sizeof(struct ctl_mpath_req),
	[CTL_MPATH_FLUSH] = sizeof(struct ctl_mpath_req),
};

int ctl_decode_request(const void *buf, size_t len, struct ctl_request *out, char *err,
		       size_t errlen)
{
	struct ctl_header h;
	memset(out, 0, sizeof(*out));
	if (len < sizeof(h)) {
		snprintf(err, errlen, "control message of %zu bytes, shorter than its header", len);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (ctl_check_header(&h, CTL_MAX_REQUEST, err, errlen) < 0)
		return -1;
	if (h.kind == 0 || h.kind >= CTL_KIND_MAX) {
		snprintf(err, errlen, "unknown control request kind %u", h.kind);
		return -1;
	}
	if (h.length != request_size[h.kind] || len != sizeof(h) + h.length) {
		snprintf(err, errlen, "control request kind %u with %zu payload bytes, expected %u",
			 h.kind, len - sizeof(h), request_size[h.kind]);
		return -1;
	}
	out->kind = h.kind;
	memcpy(&out->u, (const char *)buf + sizeof(h), h.length);
	if (h.kind == CTL_LOGIN && !ctl_node_valid(&out->u.login.node)) {
		snprintf(err, errlen, "login request with a malformed node (target, portal, iface)");
		return -1;
	}
	if ((h.kind == CTL_MPATH_LIST || h.kind == CTL_MPATH_FLUSH) &&
	    (!TERMINATED(out->u.mpath.map) || (h.kind == CTL_MPATH_FLUSH && !out->u.mpath.map[0]))) {
		snprintf(err, errlen, "multipath request with a malformed map name");
		return -1;
	}
	if (h.kind == CTL_LIST && (out->u.list.flags & ~CTL_LIST_SECRETS)) {
		snprintf(err, errlen, "list request with unknown flags 0x%x", out->u.list.flags);
		return -1;
	}
	return 0;
}

size_t ctl_encode(void *buf, uint16_t kind, const void *payload, uint32_t plen)
{
	struct ctl_header h = { .magic = CTL_MAGIC, .version = CTL_VERSION, .kind = kind,
				.length = plen };
	memcpy(buf, &h, sizeof(h));
	if (plen)
		memcpy((char *)buf + sizeof(h), payload, plen);
	return sizeof(h) + plen;
}

static bool session_valid(const struct ctl_session *s)
{
	return ctl_node_valid(&s->node) && TERMINATED(s->current_address) &&
	       TERMINATED(s->transport) && TERMINATED(s->initiator_name) &&
	       TERMINATED(s->iface_ipaddress) && TERMINATED(s->iface_hwaddress) &&
	       TERMINATED(s->iface_netdev) && TERMINATED(s->conn_state) &&
	       TERMINATED(s->session_state) && TERMINATED(s->internal_state) && TERMINATED(s->startup) &&
	       TERMINATED(s->username) && TERMINATED(s->password) &&
	       TERMINATED(s->username_in) && TERMINATED(s->password_in) &&
	       s->ndevices <= CTL_MAX_DEVICES;
}

static bool device_valid(const struct ctl_device *d)
{
	return TERMINATED(d->file) && TERMINATED(d->loop) && TERMINATED(d->vendor) &&
	       TERMINATED(d->product) && TERMINATED(d->mpath) &&
	       TERMINATED(d->mpath_loop);
}

static int walk_sessions(const char *p, size_t left, struct ctl_reply *r, char *err,
			 size_t errlen)
{
	size_t ndev = 0;
	for (size_t i = 0; i < r->nsessions; i++) {
		const struct ctl_session *s = (const struct ctl_session *)p;
		if (left < sizeof(*s) || !session_valid(s))
			goto bad;
		r->sessions[i] = s;
		r->first_device[i] = ndev;
		p += sizeof(*s);
		left -= sizeof(*s);
		if (left / sizeof(struct ctl_device) < s->ndevices)
			goto bad;
		void *grown = realloc(r->devices, (ndev + s->ndevices + 1) * sizeof(*r->devices));
		if (!grown) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->devices = grown;
		for (uint32_t k = 0; k < s->ndevices; k++) {
			const struct ctl_device *d = (const struct ctl_device *)p;
			if (!device_valid(d))
				goto bad;
			r->devices[ndev++] = d;
			p += sizeof(*d);
			left -= sizeof(*d);
		}
	}
	if (left == 0)
		return 0;
bad:
	snprintf(err, errlen, "malformed session list from swiscsid");
	return -1;
}

static bool map_valid(const struct ctl_mpath *m)
{
	return TERMINATED(m->name) && TERMINATED(m->wwid) && TERMINATED(m->vendor) &&
	       TERMINATED(m->product) && TERMINATED(m->loop) && TERMINATED(m->grouping) &&
	       TERMINATED(m->selector) && m->npaths <= CTL_MAX_PATHS;
}

static bool path_valid(const struct ctl_mpath_path *p)
{
	return TERMINATED(p->iface) && TERMINATED(p->address);
}

/* The maps of a CTL_MPATH_LIST reply, each followed by its paths. */
static int walk_maps(const char *p, size_t left, struct ctl_reply *r, char *err, size_t errlen)
{
	size_t npath = 0;
	for (size_t i = 0; i < r->nmaps; i++) {
		const struct ctl_mpath *m = (const struct ctl_mpath *)p;
		if (left < sizeof(*m) || !map_valid(m) ||
		    (left - sizeof(*m)) / sizeof(struct ctl_mpath_path) < m->npaths)
			goto bad;
		r->maps[i] = m;
		r->first_path[i] = npath;
		p += sizeof(*m);
		left -= sizeof(*m);
		void *grown = realloc(r->paths, (npath + m->npaths + 1) * sizeof(*r->paths));
		if (!grown) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->paths = grown;
		for (uint32_t k = 0; k < m->npaths; k++, p += sizeof(struct ctl_mpath_path)) {
			if (!path_valid((const struct ctl_mpath_path *)p))
				goto bad;
			r->paths[npath++] = (const struct ctl_mpath_path *)p;
		}
		left -= m->npaths * sizeof(struct ctl_mpath_path);
	}
	if (left == 0)
		return 0;
bad:
	snprintf(err, errlen, "malformed multipath map list from swiscsid");
	return -1;
}

/* What follows the status: sessions (CTL_LIST), maps (CTL_MPATH_LIST) or nothing. */
static int walk_body(const char *p, size_t left, uint16_t kind, bool refusal, struct ctl_reply *out,
		     char *err, size_t errlen)
{
	out->nsessions = kind == CTL_LIST && !refusal ? out->status->nsessions : 0;
	out->nmaps = kind == CTL_MPATH_LIST && !refusal ? out->status->nmaps : 0;
	if (out->nsessions > left / sizeof(struct ctl_session) ||
	    out->nmaps > left / sizeof(struct ctl_mpath)) {
		snprintf(err, errlen, "malformed %s list from swiscsid",
			 kind == CTL_LIST ? "session" : "multipath map");
		return -1;
	}
	out->sessions = calloc(out->nsessions + 1, sizeof(*out->sessions));
	out->first_device = calloc(out->nsessions + 1, sizeof(*out->first_device));
	out->maps = calloc(out->nmaps + 1, sizeof(*out->maps));
	out->first_path = calloc(out->nmaps + 1, sizeof(*out->first_path));
	if (!out->sessions || !out->first_device || !out->maps || !out->first_path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (kind == CTL_MPATH_LIST && !refusal)
		return walk_maps(p, left, out, err, errlen);
	return walk_sessions(p, left, out, err, errlen);
}

int ctl_decode_reply(const void *buf, size_t len, uint16_t kind, struct ctl_reply *out, char *err,
		     size_t errlen)
{
	struct ctl_header h;
	memset(out, 0, sizeof(*out));
	if (len < sizeof(h) + sizeof(struct ctl_status)) {
		snprintf(err, errlen, "short reply from swiscsid (%zu bytes)", len);
		return -1;
	}
	memcpy(&h, buf, sizeof(h));
	if (ctl_check_header(&h, CTL_MAX_REPLY, err, errlen) < 0)
		return -1;
	bool refusal = h.kind == CTL_REPLY && h.length == sizeof(struct ctl_status);
	if ((h.kind != (kind | CTL_REPLY) && !refusal) || len != sizeof(h) + h.length) {
		snprintf(err, errlen, "reply of kind 0x%x and %u bytes to a request of kind %u",
			 h.kind, h.length, kind);
		return -1;
	}
	const char *p = (const char *)buf + sizeof(h);
	out->status = (const struct ctl_status *)p;
	if (!TERMINATED(out->status->message)) {
		snprintf(err, errlen, "malformed status from swiscsid");
		return -1;
	}
	size_t left = h.length - sizeof(struct ctl_status);
	if (walk_body(p + sizeof(struct ctl_status), left, kind, refusal, out, err, errlen) < 0) {
		ctl_reply_free(out);
		return -1;
	}
	return 0;
}

void ctl_reply_free(struct ctl_reply *r)
{
	free(r->sessions);
	free(r->devices);
	free(r->first_device);
	free(r->maps);
	free(r->paths);
	free(r->first_path);
	memset(r, 0, sizeof(*r));
}

void ctl_buf_append(struct ctl_buf *b, const void *data, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

void ctl_buf_begin(struct ctl_buf *b, uint16_t kind, const struct ctl_status *st)
{
	struct ctl_header h = { .magic = CTL_MAGIC, .version = CTL_VERSION,
				.kind = (uint16_t)(kind | CTL_REPLY) };
	b->len = 0;
	b->failed = 0;
	ctl_buf_append(b, &h, sizeof(h));
	ctl_buf_append(b, st, sizeof(*st));
}

struct ctl_status *ctl_buf_status(struct ctl_buf *b)
{
	return b->failed ? NULL : (struct ctl_status *)(b->p + sizeof(struct ctl_header));
}

int ctl_buf_finish(struct ctl_buf *b)
{
	if (b->failed || b->len - sizeof(struct ctl_header) > CTL_MAX_REPLY)
		return -1;
	((struct ctl_header *)b->p)->length = (uint32_t)(b->len - sizeof(struct ctl_header));
	return 0;
}

void ctl_buf_free(struct ctl_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
