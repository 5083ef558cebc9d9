/* The record writer: open-iscsi's layout, and a round trip through the reader for every field
 * type. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "iface_schema.h"
#include "record.h"

/* What open-iscsi 2.1.8 writes for `-m iface -I iface0 -o new` (spec §2.2), minus the header. */
static const char fresh_iface0[] = "iface.iscsi_ifacename = iface0\n"
				   "iface.prefix_len = 0\n"
				   "iface.transport_name = tcp\n"
				   "iface.vlan_id = 0\n"
				   "iface.vlan_priority = 0\n"
				   "iface.iface_num = 0\n"
				   "iface.mtu = 0\n"
				   "iface.port = 0\n"
				   "iface.tos = 0\n"
				   "iface.ttl = 0\n"
				   "iface.tcp_wsf = 0\n"
				   "iface.tcp_timer_scale = 0\n"
				   "iface.def_task_mgmt_timeout = 0\n"
				   "iface.erl = 0\n"
				   "iface.max_receive_data_len = 0\n"
				   "iface.first_burst_len = 0\n"
				   "iface.max_outstanding_r2t = 0\n"
				   "iface.max_burst_len = 0\n"
				   "# END RECORD\n";

static void new_iface(struct record *r, const char *name)
{
	assert_int_equal(record_init(r, &iface_schema), 0);
	assert_int_equal(record_set(r, "iface.iscsi_ifacename", name), 0);
	assert_int_equal(record_set(r, "iface.transport_name", "tcp"), 0);
}

static void test_fresh_file_matches_open_iscsi(void **state)
{
	(void)state;
	struct record r;
	new_iface(&r, "iface0");
	size_t len;
	char *text = record_format(&r, RS_FILE, &len);
	assert_int_equal(len, strlen(text));
	const char *header = "# BEGIN RECORD " RECORD_VERSION_TOKEN "\n";
	assert_true(strncmp(text, header, strlen(header)) == 0);
	assert_string_equal(text + strlen(header), fresh_iface0);
	free(text);
	record_free(&r);
}

static void test_show_prints_empty(void **state)
{
	(void)state;
	struct record r;
	new_iface(&r, "iface0");
	char *text = record_format(&r, RS_SHOW, NULL);
	const char *body = strchr(text, '\n') + 1;
	const char *first = "iface.iscsi_ifacename = iface0\n"
			    "iface.net_ifacename = <empty>\n"
			    "iface.ipaddress = <empty>\n"
			    "iface.prefix_len = 0\n"
			    "iface.hwaddress = <empty>\n"
			    "iface.transport_name = tcp\n"
			    "iface.initiatorname = <empty>\n";
	assert_true(strncmp(body, first, strlen(first)) == 0);
	assert_non_null(strstr(text, "iface.bootproto = <empty>\n"));
	assert_null(strstr(text, "iface.ipv6_autocfg"));
	free(text);
	record_free(&r);
}

/* Every field set to a value of its type survives format -> parse unchanged. */
static void test_round_trip_every_field(void **state)
{
	(void)state;
	for (int group = 0; group < 2; group++) {
		struct record r, back;
		new_iface(&r, group ? "rt.ipv6.0" : "rt");
		for (size_t i = 1; i < iface_schema.nfields; i++) {
			const struct field_def *f = &iface_schema.fields[i];
			char v[64];
			if (f->type == FT_STR)
				snprintf(v, sizeof(v), "v%zu x", i);
			else if (f->type == FT_INT)
				snprintf(v, sizeof(v), "-%zu", i);
			else
				snprintf(v, sizeof(v), "%zu", i);
			assert_int_equal(record_set(&r, f->key, v), 0);
		}
		record_set(&r, "iface.ipaddress", group ? "2001:db8::7" : "192.0.2.7");
		size_t len;
		char *text = record_format(&r, RS_FILE, &len);
		char err[512];
		assert_int_equal(record_init(&back, &iface_schema), 0);
		assert_int_equal(record_parse(&back, text, len, "rt", NULL, NULL, err, sizeof(err)), 0);
		for (size_t i = 0; i < iface_schema.nfields; i++)
			if (record_field_active(&r, i))
				assert_string_equal(r.values[i], back.values[i]);
		assert_int_equal(back.nextra, 0);
		free(text);
		record_free(&r);
		record_free(&back);
	}
}

static void test_copy(void **state)
{
	(void)state;
	struct record r, c;
	new_iface(&r, "a");
	record_set_extra(&r, "x.y", "z");
	assert_int_equal(record_copy(&c, &r), 0);
	record_set(&r, "iface.mtu", "9000");
	assert_string_equal(record_get(&c, "iface.mtu"), "0");
	assert_string_equal(c.extra[0].value, "z");
	record_free(&r);
	record_free(&c);
}

/* Unknown keys are written back where they were: first, after a given known key, and last, and
 * a listing (RS_SHOW) leaves them out. */
static void test_unknown_keys_keep_their_place(void **state)
{
	(void)state;
	static const char file[] = "# BEGIN RECORD 9.9\n"
				   "zz.first = 1\n"
				   "iface.iscsi_ifacename = u\n"
				   "iface.transport_name = tcp\n"
				   "iface.mtu = 1500\n"
				   "zz.middle = 2\n"
				   "iface.port = 0\n"
				   "iface.max_burst_len = 0\n"
				   "zz.last = 3\n"
				   "# END RECORD\n";
	struct record r;
	char err[256];
	assert_int_equal(record_init(&r, &iface_schema), 0);
	assert_int_equal(record_parse(&r, file, strlen(file), "u", NULL, NULL, err, sizeof(err)), 0);
	char *text = record_format(&r, RS_FILE, NULL);
	const char *first = strstr(text, "zz.first = 1\n"), *middle = strstr(text, "zz.middle = 2\n");
	const char *last = strstr(text, "zz.last = 3\n");
	assert_non_null(first);
	assert_non_null(middle);
	assert_non_null(last);
	assert_ptr_equal(first, strchr(text, '\n') + 1);
	assert_ptr_equal(middle, strstr(text, "iface.mtu = 1500\n") + strlen("iface.mtu = 1500\n"));
	assert_ptr_equal(last + strlen("zz.last = 3\n"), strstr(text, "# END RECORD\n"));
	free(text);
	text = record_format(&r, RS_SHOW, NULL);
	assert_null(strstr(text, "zz."));
	free(text);
	record_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_file_matches_open_iscsi),
		cmocka_unit_test(test_show_prints_empty),
		cmocka_unit_test(test_round_trip_every_field),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_unknown_keys_keep_their_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
