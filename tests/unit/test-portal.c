/* The -p argument in every form iscsiadm accepts, and the ones it does not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "portal.h"

static void accepts(const char *text, const char *addr, int port, int tpgt)
{
	struct portal p;
	assert_true(portal_parse(text, 3260, &p));
	assert_string_equal(p.address, addr);
	assert_int_equal(p.port, port);
	assert_int_equal(p.tpgt, tpgt);
}

static void test_forms(void **state)
{
	(void)state;
	accepts("192.0.2.1", "192.0.2.1", 3260, -1);
	accepts("192.0.2.1:3261", "192.0.2.1", 3261, -1);
	accepts("192.0.2.1:3261,4", "192.0.2.1", 3261, 4);
	accepts("192.0.2.1,4", "192.0.2.1", 3260, 4);
	accepts("[2001:db8::1]:3262,1", "2001:db8::1", 3262, 1);
	accepts("[2001:db8::1]", "2001:db8::1", 3260, -1);
	accepts("2001:db8::1", "2001:db8::1", 3260, -1);  /* bare IPv6: all address */
	accepts("target.example", "target.example", 3260, -1);
	accepts("target.example:3270", "target.example", 3270, -1);
}

static void test_refusals(void **state)
{
	(void)state;
	struct portal p;
	const char *bad[] = { "", ":3260", "192.0.2.1:", "192.0.2.1:65536", "192.0.2.1:x",
			      "192.0.2.1,", "192.0.2.1,x", "[2001:db8::1", "[2001:db8::1]x",
			      "[]:3260", NULL };
	for (const char **b = bad; *b; b++)
		assert_false(portal_parse(*b, 3260, &p));
}

/* The address becomes a directory name: only IP literals and host names get through. */
static void test_addresses_that_would_be_paths(void **state)
{
	(void)state;
	struct portal p;
	const char *bad[] = { "..", "..:3260,1", ".", "a/b", "../../tmp/p:3260,1", "[../x]:3260",
			      "x\n:3260", "a b", "host\x01", "[fe80::1/64]", NULL };
	for (const char **b = bad; *b; b++)
		assert_false(portal_parse(*b, 3260, &p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_addresses_that_would_be_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
