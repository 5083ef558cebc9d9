/* What may become a path of the record database: iSCSI names, portal addresses and the one
 * rule every path join applies (records/names.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "names.h"

static bool name_ok(const char *s)
{
	char err[512];
	return iscsi_name_is_valid(s, err, sizeof(err));
}

static bool component_ok(const char *s)
{
	char err[512];
	return path_component_ok("test", s, err, sizeof(err));
}

static bool address_ok(const char *s)
{
	char err[512];
	return portal_address_is_valid(s, err, sizeof(err));
}

static void test_iscsi_names_of_every_form(void **state)
{
	(void)state;
	assert_true(name_ok("iqn.2026-11.org.example:disk1"));
	assert_true(name_ok("iqn.1990-07.com.emulex:"));
	assert_true(name_ok("eui.02004567A425678D"));
	assert_true(name_ok("naa.52004567BA64678D"));
	assert_true(name_ok("naa.62004567BA64678D0123456789ABCDEF"));
	/* what real targets send beyond RFC 3722: upper case and '_' */
	assert_true(name_ok("iqn.2004-04.com.qnap:TS-439:iSCSI.disk_1.ABC123"));
	assert_false(name_ok("eui.02004567A425678"));      /* 15 digits */
	assert_false(name_ok("eui.02004567A425678DX"));
	assert_false(name_ok("naa.52004567BA64678D00"));   /* neither 16 nor 32 */
	assert_false(name_ok("iqn."));
	assert_false(name_ok("target1"));
	assert_false(name_ok("IQN.2026-11.org.example:x"));
	assert_false(name_ok(""));
}

static void test_iscsi_names_refuse_path_and_control_characters(void **state)
{
	(void)state;
	const char *bad[] = { "iqn.x/../../../../tmp/p", "iqn.x/y", "iqn.x\\y", "iqn.x y",
			      "iqn.x\ny", "iqn.x\ty", "iqn.x\x1b[2J", "iqn.x\x7f", "iqn.x,y",
			      "iqn.x\xc3\xa9", NULL };
	for (const char **b = bad; *b; b++)
		assert_false(name_ok(*b));
	char err[512];
	assert_false(iscsi_name_is_valid("iqn.x\ny", err, sizeof(err)));
	assert_non_null(strstr(err, "'iqn.x\\x0ay'"));   /* the value, shown safely */
}

static void test_iscsi_name_length_limit(void **state)
{
	(void)state;
	char name[300] = "iqn.2026-11.org.example:";
	size_t n = strlen(name);
	memset(name + n, 'a', ISCSI_NAME_MAX - n);
	name[ISCSI_NAME_MAX] = '\0';
	assert_true(name_ok(name));
	name[ISCSI_NAME_MAX] = 'a';
	name[ISCSI_NAME_MAX + 1] = '\0';
	assert_false(name_ok(name));
}

static void test_path_components(void **state)
{
	(void)state;
	assert_true(component_ok("iqn.2026-11.org.example:disk1"));
	assert_true(component_ok("192.0.2.1,3260,1"));
	assert_true(component_ok("...")); /* odd, but stays in its directory */
	const char *bad[] = { "", ".", "..", "a/b", "/", "../x", "a\nb", "a\x01", "a\x7f", NULL };
	for (const char **b = bad; *b; b++)
		assert_false(component_ok(*b));
	char longest[PATH_COMPONENT_MAX + 2];
	memset(longest, 'x', sizeof(longest));
	longest[PATH_COMPONENT_MAX] = '\0';
	assert_true(component_ok(longest));
	longest[PATH_COMPONENT_MAX] = 'x';
	longest[PATH_COMPONENT_MAX + 1] = '\0';
	assert_false(component_ok(longest));
	char err[512];
	assert_false(path_component_ok("target name", "..", err, sizeof(err)));
	assert_string_equal(err, "invalid target name '..': it names a directory");
}

static void test_portal_addresses(void **state)
{
	(void)state;
	const char *good[] = { "192.0.2.1", "2001:db8::1", "::1", "target.example", "localhost",
			       "my-target_1.example.org", "a", "fe80::1%eth0", "fe80::1%br-lan.10",
			       NULL };
	for (const char **g = good; *g; g++)
		assert_true(address_ok(*g));
	const char *bad[] = { "", ".", "..", "a..b", ".a", "a.", "-a", "a-", "a/b", "../x",
			      "a b", "a\nb", "a,b", "[::1]", "fe80::1%../x", "fe80::1%..",
			      "fe80::1%", "192.0.2.1%eth0", "fe80::1%eth0/x", NULL };
	for (const char **b = bad; *b; b++)
		assert_false(address_ok(*b));
	char label[70];
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_false(address_ok(label));    /* a label is at most 63 bytes */
	label[63] = '\0';
	assert_true(address_ok(label));
}

static void test_printable(void **state)
{
	(void)state;
	char out[32];
	name_printable("a\nb\\c", out, sizeof(out));
	assert_string_equal(out, "a\\x0ab\\x5cc");
	name_printable("0123456789", out, 8);   /* truncated, always terminated */
	assert_true(strlen(out) < 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iscsi_names_of_every_form),
		cmocka_unit_test(test_iscsi_names_refuse_path_and_control_characters),
		cmocka_unit_test(test_iscsi_name_length_limit),
		cmocka_unit_test(test_path_components),
		cmocka_unit_test(test_portal_addresses),
		cmocka_unit_test(test_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
