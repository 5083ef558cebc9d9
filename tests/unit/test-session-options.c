/* What swi_session_new refuses in the caller's options before anything is offered to a
 * target (lib/session.c check_options). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "session.h"

static const char *refusal(uint32_t first_burst, uint32_t max_burst)
{
	struct swi_options o = { .initiator_name = "iqn.2026-11.org.swiscsi:unit",
				 .portal = "127.0.0.1", .first_burst_length = first_burst,
				 .max_burst_length = max_burst };
	const char *err = NULL;
	struct swi_session *s = swi_session_new(&o, &err);
	swi_session_free(s);
	return s ? NULL : err;
}

/* RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength. */
static void test_first_burst_above_max_burst(void **state)
{
	(void)state;
	const char *err = refusal(65536, 4096);
	assert_non_null(err);
	assert_non_null(strstr(err, "first_burst_length is above max_burst_length"));
	assert_non_null(refusal(16776193, 0)); /* above the default MaxBurstLength */
	assert_null(refusal(4096, 4096));
	assert_null(refusal(65536, 0));
	assert_null(refusal(0, 0));
}

/* Our own default FirstBurstLength (256 KiB) follows a smaller MaxBurstLength down. */
static void test_default_first_burst_follows_max_burst(void **state)
{
	(void)state;
	struct swi_options o = { .initiator_name = "iqn.2026-11.org.swiscsi:unit",
				 .portal = "127.0.0.1", .max_burst_length = 8192 };
	struct swi_session *s = swi_session_new(&o, NULL);
	assert_non_null(s);
	assert_int_equal(s->want.first_burst, 8192);
	assert_int_equal(s->want.max_burst, 8192);
	swi_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_burst_above_max_burst),
		cmocka_unit_test(test_default_first_burst_follows_max_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
