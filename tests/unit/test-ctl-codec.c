/* The control protocol's codec: well-formed requests and replies round-trip; every malformed
 * one (bad magic, version, kind, size, unterminated strings, lying counts) is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

static uint64_t buf_store[1024];

static size_t login_message(void)
{
	struct ctl_login_req r;
	memset(&r, 0, sizeof(r));
	CTL_SET(r.node.target, "iqn.2026-12.test:disk");
	CTL_SET(r.node.address, "127.0.0.1");
	CTL_SET(r.node.iface, "default");
	r.node.port = 3260;
	r.node.tpgt = 1;
	return ctl_encode(buf_store, CTL_LOGIN, &r, sizeof(r));
}

static void login_round_trip(void **state)
{
	(void)state;
	size_t len = login_message();
	struct ctl_request req;
	char err[256];
	assert_int_equal(ctl_decode_request(buf_store, len, &req, err, sizeof(err)), 0);
	assert_int_equal(req.kind, CTL_LOGIN);
	assert_string_equal(req.u.login.node.target, "iqn.2026-12.test:disk");
	assert_int_equal(req.u.login.node.port, 3260);
}

static void refuses(size_t len, const char *why)
{
	struct ctl_request req;
	char err[256] = "";
	assert_int_equal(ctl_decode_request(buf_store, len, &req, err, sizeof(err)), -1);
	assert_non_null(strstr(err, why));
}

static void malformed_requests(void **state)
{
	(void)state;
	struct ctl_header *h = (struct ctl_header *)buf_store;
	char *payload = (char *)(h + 1);
	size_t len = login_message();
	refuses(len - 1, "payload bytes");
	refuses(3, "shorter than its header");
	h->magic ^= 1;
	refuses(len, "bad magic");
	len = login_message();
	h->version = 99;
	refuses(len, "version 99");
	len = login_message();
	h->kind = 77;
	refuses(len, "unknown control request kind 77");
	len = login_message();
	h->length = CTL_MAX_REQUEST + 1;
	refuses(len, "more than the");
	/* an unterminated target name */
	len = login_message();
	memset(payload, 'x', sizeof(((struct ctl_node *)0)->target));
	refuses(len, "malformed node");
	len = login_message();
	((struct ctl_login_req *)payload)->node.port = 70000;
	refuses(len, "malformed node");
	struct ctl_list_req l = { .flags = 0x80 };
	len = ctl_encode(buf_store, CTL_LIST, &l, sizeof(l));
	refuses(len, "unknown flags");
}

/* A finished reply copied to buf_store (and freed); its length. */
static size_t stored(struct ctl_buf *b)
{
	assert_int_equal(ctl_buf_finish(b), 0);
	assert_true(b->len <= sizeof(buf_store));
	memcpy(buf_store, b->p, b->len);
	size_t len = b->len;
	ctl_buf_free(b);
	return len;
}

static size_t list_reply(uint32_t ndev)
{
	struct ctl_buf b = { 0 };
	struct ctl_status st = { .status = 0 };
	ctl_buf_begin(&b, CTL_LIST, &st);
	struct ctl_session s;
	memset(&s, 0, sizeof(s));
	s.sid = 7;
	CTL_SET(s.node.target, "iqn.t");
	CTL_SET(s.node.address, "::1");
	CTL_SET(s.node.iface, "eth1");
	s.node.port = 3260;
	s.ndevices = ndev;
	ctl_buf_append(&b, &s, sizeof(s));
	for (uint32_t i = 0; i < ndev; i++) {
		struct ctl_device d;
		memset(&d, 0, sizeof(d));
		d.lun = i;
		CTL_SET(d.file, "/run/x");
		ctl_buf_append(&b, &d, sizeof(d));
	}
	ctl_buf_status(&b)->nsessions = 1;
	return stored(&b);
}

static void list_reply_round_trip(void **state)
{
	(void)state;
	size_t len = list_reply(2);
	struct ctl_reply r;
	char err[256];
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_LIST, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nsessions, 1);
	assert_int_equal(r.sessions[0]->sid, 7);
	assert_int_equal(r.sessions[0]->ndevices, 2);
	assert_int_equal(r.devices[r.first_device[0] + 1]->lun, 1);
	ctl_reply_free(&r);
}

static void malformed_replies(void **state)
{
	(void)state;
	struct ctl_reply r;
	char err[256];
	size_t len = list_reply(1);
	/* a reply to another kind of request */
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_LOGIN, &r, err, sizeof(err)), -1);
	/* a device count larger than what follows */
	struct ctl_session *s = (struct ctl_session *)((char *)buf_store + sizeof(struct ctl_header) +
						       sizeof(struct ctl_status));
	s->ndevices = 2;
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_LIST, &r, err, sizeof(err)), -1);
	/* a session count larger than what follows */
	len = list_reply(0);
	struct ctl_status *st = (struct ctl_status *)((char *)buf_store + sizeof(struct ctl_header));
	st->nsessions = 1000;
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_LIST, &r, err, sizeof(err)), -1);
	/* an unterminated string inside a session */
	len = list_reply(0);
	memset(s->conn_state, 'x', sizeof(s->conn_state));
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_LIST, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "malformed session list"));
}

static size_t mpath_reply(uint32_t npaths)
{
	struct ctl_buf b = { 0 };
	struct ctl_status st = { .status = 0 };
	ctl_buf_begin(&b, CTL_MPATH_LIST, &st);
	struct ctl_mpath m;
	memset(&m, 0, sizeof(m));
	CTL_SET(m.name, "wwn-0x60000000000000000e00000000010001");
	CTL_SET(m.wwid, "360000000000000000e00000000010001");
	m.npaths = npaths;
	ctl_buf_append(&b, &m, sizeof(m));
	for (uint32_t i = 0; i < npaths; i++) {
		struct ctl_mpath_path p;
		memset(&p, 0, sizeof(p));
		p.sid = i + 1;
		CTL_SET(p.iface, "nic1");
		ctl_buf_append(&b, &p, sizeof(p));
	}
	ctl_buf_status(&b)->nmaps = 1;
	return stored(&b);
}

static void mpath_messages(void **state)
{
	(void)state;
	struct ctl_reply r;
	struct ctl_request req;
	char err[256];
	size_t len = mpath_reply(2);
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_MPATH_LIST, &r, err, sizeof(err)), 0);
	assert_int_equal(r.nmaps, 1);
	assert_string_equal(r.maps[0]->wwid, "360000000000000000e00000000010001");
	assert_int_equal(r.paths[r.first_path[0] + 1]->sid, 2);
	ctl_reply_free(&r);
	/* a path count larger than what follows; an unterminated path string */
	struct ctl_mpath *m = (struct ctl_mpath *)((char *)buf_store + sizeof(struct ctl_header) +
						   sizeof(struct ctl_status));
	m->npaths = 3;
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_MPATH_LIST, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "malformed multipath map list"));
	len = mpath_reply(1);
	memset((char *)(m + 1) + offsetof(struct ctl_mpath_path, iface), 'x', 64);
	assert_int_equal(ctl_decode_reply(buf_store, len, CTL_MPATH_LIST, &r, err, sizeof(err)), -1);
	/* requests: a map name must end inside its array, and a flush must name one */
	struct ctl_mpath_req q;
	memset(&q, 0, sizeof(q));
	len = ctl_encode(buf_store, CTL_MPATH_LIST, &q, sizeof(q));
	assert_int_equal(ctl_decode_request(buf_store, len, &req, err, sizeof(err)), 0);
	len = ctl_encode(buf_store, CTL_MPATH_FLUSH, &q, sizeof(q));
	refuses(len, "malformed map name");
	memset(q.map, 'x', sizeof(q.map));
	len = ctl_encode(buf_store, CTL_MPATH_LIST, &q, sizeof(q));
	refuses(len, "malformed map name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(login_round_trip),
		cmocka_unit_test(malformed_requests),
		cmocka_unit_test(list_reply_round_trip),
		cmocka_unit_test(malformed_replies),
		cmocka_unit_test(mpath_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
