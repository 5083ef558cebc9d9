/* Value checks: what `-o new/update -n KEY -v VALUE` accepts and refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "iface_schema.h"
#include "validate.h"

static const struct field_def *field(const char *key)
{
	int i = schema_find(&iface_schema, key);
	assert_true(i >= 0);
	return &iface_schema.fields[i];
}

static bool ok(const char *key, const char *value)
{
	char err[512];
	return value_is_valid(field(key), value, err, sizeof(err));
}

static void test_mac(void **state)
{
	(void)state;
	assert_true(ok("iface.hwaddress", "00:0E:1e:aa:bb:cc"));
	assert_true(ok("iface.hwaddress", ""));
	assert_false(ok("iface.hwaddress", "00:0e:1e:aa:bb"));
	assert_false(ok("iface.hwaddress", "00:0e:1e:aa:bb:cg"));
	assert_false(ok("iface.hwaddress", "000e1eaabbcc"));
	char mac[18];
	assert_true(mac_normalize("00-0E-1E-AA-BB-CC", mac));
	assert_string_equal(mac, "00:0e:1e:aa:bb:cc");
}

static void test_ip(void **state)
{
	(void)state;
	assert_true(ok("iface.ipaddress", "192.0.2.1"));
	assert_true(ok("iface.ipaddress", "2001:db8::1"));
	assert_false(ok("iface.ipaddress", "192.0.2.256"));
	assert_false(ok("iface.ipaddress", "host.example"));
	assert_true(ok("iface.subnet_mask", "255.255.255.0"));
	assert_false(ok("iface.subnet_mask", "fd00::1"));
	assert_true(ok("iface.ipv6_router", "fe80::1"));
}

static void test_numbers(void **state)
{
	(void)state;
	assert_true(ok("iface.vlan_id", "4095"));
	assert_true(ok("iface.vlan_id", "65535"));
	assert_false(ok("iface.vlan_id", "65536"));
	assert_false(ok("iface.vlan_id", "-1"));
	assert_false(ok("iface.vlan_id", "1x"));
	assert_false(ok("iface.vlan_id", ""));
	assert_true(ok("iface.tos", "255"));
	assert_false(ok("iface.tos", "256"));
	assert_true(ok("iface.iface_num", "-3"));
	assert_true(ok("iface.flow_label", "4294967295"));
	assert_false(ok("iface.flow_label", "4294967296"));
	char err[512];
	value_is_valid(field("iface.mtu"), "big", err, sizeof(err));
	assert_string_equal(err, "'big' is not a valid value for iface.mtu: it must be a whole number from 0 to 65535");
}

static void test_enums_and_names(void **state)
{
	(void)state;
	assert_true(ok("iface.state", "enable"));
	assert_false(ok("iface.state", "Enable"));
	assert_true(ok("iface.bootproto", "dhcp"));
	assert_false(ok("iface.bootproto", "bootp"));
	assert_true(ok("iface.transport_name", "cxgb4i"));
	assert_true(ok("iface.transport_name", "qedi"));
	assert_false(ok("iface.transport_name", "nvme"));
	assert_true(ok("iface.net_ifacename", "eth0.100"));
	assert_true(ok("iface.net_ifacename", "eth0:1"));
	assert_false(ok("iface.net_ifacename", "averyverylongname0"));
	assert_false(ok("iface.net_ifacename", "a/b"));
	assert_true(ok("iface.initiatorname", "iqn.2026-11.org.example:host1"));
	assert_false(ok("iface.initiatorname", "host1"));
}

/* No value can carry a newline (or any control character) into a record file. */
static void test_no_smuggling(void **state)
{
	(void)state;
	assert_false(ok("iface.dhcp_vendor_id", "x\niface.transport_name = qla4xxx"));
	assert_false(ok("iface.dhcp_vendor_id", "x\r"));
	assert_false(ok("iface.initiatorname", "iqn.2026-11.a:b\n"));
	assert_true(ok("iface.dhcp_vendor_id", "vendor id"));
}

static void test_iface_names(void **state)
{
	(void)state;
	char err[256];
	assert_true(iface_name_is_valid("iface0", err, sizeof(err)));
	char n64[65], n65[66];
	memset(n64, 'a', 64);
	n64[64] = '\0';
	memset(n65, 'a', 65);
	n65[65] = '\0';
	assert_true(iface_name_is_valid(n64, err, sizeof(err)));
	assert_false(iface_name_is_valid(n65, err, sizeof(err)));
	assert_non_null(strstr(err, "Must be from 1 to 64 characters."));
	assert_false(iface_name_is_valid("", err, sizeof(err)));
	assert_false(iface_name_is_valid("a/b", err, sizeof(err)));
	assert_false(iface_name_is_valid("has space", err, sizeof(err)));
	assert_false(iface_name_is_valid("..", err, sizeof(err)));
	assert_false(iface_name_is_valid("tab\there", err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_enums_and_names),
		cmocka_unit_test(test_no_smuggling),
		cmocka_unit_test(test_iface_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
