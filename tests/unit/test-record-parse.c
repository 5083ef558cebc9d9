/* The record reader: tolerant where open-iscsi's readers disagree, strict where a file cannot be
 * a record. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "iface_schema.h"
#include "record.h"

struct warnings {
	int n;
	char last[1024];
};

static void collect(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

static int parse(struct record *r, const char *text, struct warnings *w, char *err)
{
	assert_int_equal(record_init(r, &iface_schema), 0);
	return record_parse(r, text, strlen(text), "ifaces/x", collect, w, err, 512);
}

static void test_open_iscsi_file(void **state)
{
	(void)state;
	struct record r;
	struct warnings w = { 0 };
	char err[512];
	const char *text = "# BEGIN RECORD 2.1.8\n"
			   "iface.iscsi_ifacename = iface0\n"
			   "iface.net_ifacename = eth1\n"
			   "iface.prefix_len = 0\n"
			   "iface.transport_name = tcp\n"
			   "iface.vlan_id = 0\n"
			   "# END RECORD\n";
	assert_int_equal(parse(&r, text, &w, err), 0);
	assert_string_equal(record_get(&r, "iface.net_ifacename"), "eth1");
	assert_string_equal(record_get(&r, "iface.transport_name"), "tcp");
	assert_string_equal(record_get(&r, "iface.hwaddress"), "");
	assert_int_equal(w.n, 0);
	record_free(&r);
}

static void test_tolerant_syntax(void **state)
{
	(void)state;
	struct record r;
	struct warnings w = { 0 };
	char err[512];
	/* no spaces around '=', tabs, CRLF, <empty>, a value with inner spaces */
	const char *text = "iface.net_ifacename=eth2\r\n"
			   "\tiface.initiatorname =\tiqn.2026-11.x:y  \n"
			   "iface.hwaddress = <empty>\n"
			   "iface.dhcp_vendor_id = some vendor id\n";
	assert_int_equal(parse(&r, text, &w, err), 0);
	assert_string_equal(record_get(&r, "iface.net_ifacename"), "eth2");
	assert_string_equal(record_get(&r, "iface.initiatorname"), "iqn.2026-11.x:y");
	assert_string_equal(record_get(&r, "iface.hwaddress"), "");
	assert_string_equal(record_get(&r, "iface.dhcp_vendor_id"), "some vendor id");
	record_free(&r);
}

static void test_unknown_keys_kept(void **state)
{
	(void)state;
	struct record r;
	struct warnings w = { 0 };
	char err[512];
	const char *text = "iface.transport_name = tcp\n"
			   "iface.future_setting = 42\n"
			   "node.session.sess_reopen_log_freq = 1\n";
	assert_int_equal(parse(&r, text, &w, err), 0);
	assert_int_equal(r.nextra, 2);
	assert_string_equal(r.extra[0].key, "iface.future_setting");
	assert_string_equal(r.extra[0].value, "42");
	char *out = record_format(&r, RS_FILE, NULL);
	assert_non_null(strstr(out, "iface.future_setting = 42\n"));
	assert_non_null(strstr(out, "node.session.sess_reopen_log_freq = 1\n"));
	free(out);
	out = record_format(&r, RS_SHOW, NULL);
	assert_null(strstr(out, "future_setting"));
	free(out);
	record_free(&r);
}

static void test_duplicate_key_last_wins(void **state)
{
	(void)state;
	struct record r;
	struct warnings w = { 0 };
	char err[512];
	assert_int_equal(parse(&r, "iface.mtu = 1500\niface.mtu = 9000\n", &w, err), 0);
	assert_string_equal(record_get(&r, "iface.mtu"), "9000");
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.last, "ifaces/x:2:"));
	assert_non_null(strstr(w.last, "duplicate key iface.mtu"));
	record_free(&r);
}

static void test_bad_number_uses_default(void **state)
{
	(void)state;
	struct record r;
	struct warnings w = { 0 };
	char err[512];
	assert_int_equal(parse(&r, "iface.mtu = abc\niface.vlan_id = 70000\n", &w, err), 0);
	assert_string_equal(record_get(&r, "iface.mtu"), "0");
	assert_string_equal(record_get(&r, "iface.vlan_id"), "0");
	assert_int_equal(w.n, 2);
	assert_non_null(strstr(w.last, "ifaces/x:2: iface.vlan_id: '70000'"));
	record_free(&r);
}

static void expect_refused(const char *text, size_t len, const char *where, const char *why)
{
	struct record r;
	char err[512];
	assert_int_equal(record_init(&r, &iface_schema), 0);
	assert_int_equal(record_parse(&r, text, len, "ifaces/x", NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, where));
	assert_non_null(strstr(err, why));
	record_free(&r);
}

static void test_truncated(void **state)
{
	(void)state;
	/* cut after a whole line: only the missing END RECORD shows it */
	const char *t = "# BEGIN RECORD 2.1.8\niface.iscsi_ifacename = a\niface.transport_name = t";
	expect_refused(t, strlen(t), "ifaces/x:", "truncated record");
	/* cut inside a key: that line is not a record line */
	const char *t2 = "# BEGIN RECORD 2.1.8\niface.iscsi_ifacename = a\niface.transport_na";
	expect_refused(t2, strlen(t2), "ifaces/x:3:", "neither a comment nor");
}

static void test_nul_byte(void **state)
{
	(void)state;
	const char t[] = "iface.transport_name = tcp\niface.mtu = 1\0" "500\n";
	expect_refused(t, sizeof(t) - 1, "ifaces/x:2:", "NUL byte");
}

static void test_huge_line(void **state)
{
	(void)state;
	size_t n = RECORD_MAX_LINE + 100;
	char *t = malloc(n + 128); /* the prefix, the long value and a newline */
	strcpy(t, "iface.transport_name = tcp\niface.initiatorname = ");
	size_t used = strlen(t);
	memset(t + used, 'a', n);
	t[used + n] = '\n';
	expect_refused(t, used + n + 1, "ifaces/x:2:", "longer than");
	free(t);
}

static void test_garbage_line(void **state)
{
	(void)state;
	const char *t = "iface.transport_name = tcp\nthis is not a record\n";
	expect_refused(t, strlen(t), "ifaces/x:2:", "neither a comment nor");
	const char *t2 = " = value\n";
	expect_refused(t2, strlen(t2), "ifaces/x:1:", "no key");
	const char *t3 = "iface.initiatorname = a\033[2Jb\n";
	expect_refused(t3, strlen(t3), "ifaces/x:1:", "control character");
}

static void test_ip_group_by_address_or_name(void **state)
{
	(void)state;
	struct record r;
	struct warnings w = { 0 };
	char err[512];
	/* IPv6 address in an iface whose name lacks "ipv6": IPv6 keys are active */
	assert_int_equal(parse(&r, "iface.iscsi_ifacename = v6test\niface.ipaddress = fd00::5\n"
				   "iface.dup_addr_detect_cnt = 3\niface.bootproto = static\n",
			       &w, err),
			 0);
	assert_string_equal(record_get(&r, "iface.dup_addr_detect_cnt"), "3");
	/* the IPv4-only key is kept for the file but is not a setting of this iface */
	assert_string_equal(record_get(&r, "iface.bootproto"), "");
	assert_int_equal(r.nextra, 1);
	assert_string_equal(r.extra[0].key, "iface.bootproto");
	char *show = record_format(&r, RS_SHOW, NULL);
	assert_null(strstr(show, "bootproto"));
	assert_non_null(strstr(show, "iface.ipv6_autocfg = <empty>"));
	free(show);
	record_free(&r);
	assert_int_equal(iface_ip_group("qla.ipv6.0", ""), FG_IPV6);
	assert_int_equal(iface_ip_group("qla.ipv4.0", "default"), FG_IPV4);
	assert_int_equal(iface_ip_group("x", "192.0.2.1"), FG_IPV4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_iscsi_file),
		cmocka_unit_test(test_tolerant_syntax),
		cmocka_unit_test(test_unknown_keys_kept),
		cmocka_unit_test(test_duplicate_key_last_wins),
		cmocka_unit_test(test_bad_number_uses_default),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_garbage_line),
		cmocka_unit_test(test_ip_group_by_address_or_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
