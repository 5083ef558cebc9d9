/* swiscsid's login options from a node record: every setting the record has reaches
 * swi_options (CHAP only with authmethod CHAP, digests as offered, Yes/No, seconds to ms, a
 * zero keepalive off, replacement_timeout as the recovery window), and the ISID is stable,
 * typed "random" and distinct per index. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "node_schema.h"
#include "record.h"
#include "session_opts.h"

static void set(struct record *r, const char *key, const char *value)
{
	assert_int_equal(record_set(r, key, value), 0);
}

static void record_to_options(void **state)
{
	(void)state;
	struct record r;
	assert_int_equal(record_init(&r, node_schema()), 0);
	set(&r, "node.name", "iqn.2026-12.test:disk");
	set(&r, "node.conn[0].iscsi.HeaderDigest", "CRC32C,None");
	set(&r, "node.conn[0].iscsi.MaxRecvDataSegmentLength", "65536");
	set(&r, "node.session.iscsi.MaxBurstLength", "524288");
	set(&r, "node.session.iscsi.FirstBurstLength", "131072");
	set(&r, "node.session.iscsi.InitialR2T", "Yes");
	set(&r, "node.session.iscsi.ImmediateData", "No");
	set(&r, "node.conn[0].timeo.login_timeout", "7");
	set(&r, "node.conn[0].timeo.noop_out_interval", "0");
	set(&r, "node.session.auth.username", "alice");
	set(&r, "node.session.auth.password", "alicesecret12");
	struct iface_conn conn;
	memset(&conn, 0, sizeof(conn));
	strcpy(conn.initiator, "iqn.2026-12.test:host");
	strcpy(conn.binding.dev, "eth1");
	struct swi_options o;
	session_opts_from_record(&r, &conn, "192.0.2.1:3260", &o);
	assert_string_equal(o.target_name, "iqn.2026-12.test:disk");
	assert_string_equal(o.initiator_name, "iqn.2026-12.test:host");
	assert_string_equal(o.bind_ifname, "eth1");
	assert_null(o.bind_source);
	assert_string_equal(o.header_digest, "CRC32C,None");
	assert_string_equal(o.data_digest, "None");
	assert_int_equal(o.max_recv_data_segment_length, 65536);
	assert_int_equal(o.max_burst_length, 524288);
	assert_int_equal(o.first_burst_length, 131072);
	assert_int_equal(o.initial_r2t, 1);
	assert_int_equal(o.immediate_data, 0);
	assert_int_equal(o.timeout_ms, 7000);
	assert_int_equal(o.noop_interval_ms, -1);
	assert_int_equal(o.noop_timeout_ms, 5000);
	/* the record's default replacement_timeout (120 s) turns recovery on; BUSY and friends
	 * are retried */
	assert_int_equal(o.replacement_timeout_ms, 120000);
	assert_int_equal(o.abort_timeout_ms, 15000);
	assert_int_equal(o.lu_reset_timeout_ms, 30000);
	assert_int_equal(o.scsi_retries, SESSION_SCSI_RETRIES);
	set(&r, "node.session.timeo.replacement_timeout", "5");
	set(&r, "node.session.err_timeo.abort_timeout", "2");
	set(&r, "node.session.err_timeo.lu_reset_timeout", "3");
	set(&r, "node.conn[0].timeo.noop_out_interval", "3");
	set(&r, "node.conn[0].timeo.noop_out_timeout", "2");
	session_opts_from_record(&r, &conn, "192.0.2.1:3260", &o);
	assert_int_equal(o.replacement_timeout_ms, 5000);
	assert_int_equal(o.abort_timeout_ms, 2000);
	assert_int_equal(o.lu_reset_timeout_ms, 3000);
	assert_int_equal(o.noop_interval_ms, 3000);
	assert_int_equal(o.noop_timeout_ms, 2000);
	/* 0 s: recovery off, as iscsiadm's 0 fails commands at once */
	set(&r, "node.session.timeo.replacement_timeout", "0");
	session_opts_from_record(&r, &conn, "192.0.2.1:3260", &o);
	assert_int_equal(o.replacement_timeout_ms, 0);
	/* authmethod None: the credentials stay unused */
	assert_null(o.chap_user);
	assert_null(o.chap_secret);
	set(&r, "node.session.auth.authmethod", "CHAP");
	set(&r, "node.session.auth.username_in", "disk");
	set(&r, "node.session.auth.password_in", "disksecret123");
	session_opts_from_record(&r, &conn, "192.0.2.1:3260", &o);
	assert_string_equal(o.chap_user, "alice");
	assert_string_equal(o.chap_secret, "alicesecret12");
	assert_string_equal(o.chap_target_user, "disk");
	assert_string_equal(o.chap_target_secret, "disksecret123");
	assert_string_equal(o.chap_algs, "MD5");
	record_free(&r);
}

static void stable_isid(void **state)
{
	(void)state;
	uint8_t a[6], b[6], c[6], d[6];
	session_isid("iqn.t", "192.0.2.1", 3260, 1, "eth1", 0, a);
	session_isid("iqn.t", "192.0.2.1", 3260, 1, "eth1", 0, b);
	session_isid("iqn.t", "192.0.2.1", 3260, 1, "eth1", 1, c);
	session_isid("iqn.t", "192.0.2.1", 3260, 1, "eth2", 0, d);
	assert_memory_equal(a, b, 6);
	assert_int_equal(a[0], 0x80);
	assert_memory_equal(a, c, 5);
	assert_int_not_equal(a[5], c[5]);
	assert_memory_not_equal(a, d, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(record_to_options),
		cmocka_unit_test(stable_isid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
