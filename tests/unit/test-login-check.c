/* The checks every Login Response passes before the login acts on it (lib/login_check.c):
 * which header a target may send in which state, and the error class of each refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "session.h"

/* A session in the middle of a login. */
static struct swi_session *session(void)
{
	struct swi_options o = { .initiator_name = "iqn.2026-11.org.swiscsi:unit",
				 .portal = "127.0.0.1", .target_name = "iqn.2026-11.org.swiscsi:t" };
	struct swi_session *s = swi_session_new(&o, NULL);
	assert_non_null(s);
	s->state = SS_LOGIN;
	return s;
}

/* Where the login is (our CSG, and the transit and NSG of our last request), the response's
 * flags: 0 when accepted, else the error class it failed with. */
static int verdict(uint8_t csg, bool transit, uint8_t nsg, uint8_t flags)
{
	struct swi_session *s = session();
	s->lg.csg = csg;
	s->lg.transit = transit;
	s->lg.nsg = nsg;
	struct bhs h = { .opcode = OP_LOGIN_RSP, .flags = flags };
	memcpy(h.lun_or_isid, s->isid, 6);
	int rc = login_check_response(s, &h) == 0 ? 0 : s->err_class;
	swi_session_free(s);
	return rc;
}

#define RSP(csg, transit, nsg) ((uint8_t)((csg) << 2 | ((transit) ? LOGIN_F_TRANSIT | (nsg) : 0)))

static void test_honest_answers(void **state)
{
	(void)state;
	assert_int_equal(verdict(0, false, 1, RSP(0, false, 0)), 0);  /* CHAP under way */
	assert_int_equal(verdict(0, true, 1, RSP(0, false, 0)), 0);   /* the target wants more */
	assert_int_equal(verdict(0, true, 1, RSP(0, true, 1)), 0);
	assert_int_equal(verdict(1, true, 3, RSP(1, true, 3)), 0);
	assert_int_equal(verdict(1, true, 3, RSP(1, false, 0) | LOGIN_F_CONTINUE), 0);
}

static void test_stage_violations_are_authentication_errors(void **state)
{
	(void)state;
	assert_int_equal(verdict(0, true, 1, RSP(1, true, 3)), SWI_ERR_AUTH);  /* another stage */
	assert_int_equal(verdict(0, false, 1, RSP(0, true, 1)), SWI_ERR_AUTH); /* unasked transit */
	assert_int_equal(verdict(0, false, 1, RSP(0, true, 3)), SWI_ERR_AUTH);
	assert_int_equal(verdict(0, true, 1, RSP(0, true, 3)), SWI_ERR_AUTH);  /* past our NSG */
	assert_int_equal(verdict(1, true, 3, RSP(1, true, 2)), SWI_ERR_AUTH);  /* reserved stage */
	assert_int_equal(verdict(1, true, 3, RSP(3, true, 3)), SWI_ERR_AUTH);
	assert_int_equal(verdict(1, true, 3, RSP(0, false, 0)), SWI_ERR_AUTH); /* back to security */
}

static void test_header_errors_are_login_errors(void **state)
{
	(void)state;
	assert_int_equal(verdict(0, true, 1, RSP(0, true, 1) | LOGIN_F_CONTINUE), SWI_ERR_LOGIN);
	struct swi_session *s = session();
	struct bhs h = { .opcode = OP_LOGIN_RSP };
	memcpy(h.lun_or_isid, s->isid, 6);
	h.lun_or_isid[5] ^= 1;
	assert_int_equal(login_check_response(s, &h), -1);
	assert_int_equal(s->err_class, SWI_ERR_LOGIN);
	assert_non_null(strstr(s->err, "ISID"));
	swi_session_free(s);
	s = session();
	h.lun_or_isid[5] ^= 1;
	memcpy(h.lun_or_isid, s->isid, 6);
	h.b3 = 1; /* Version-active */
	assert_int_equal(login_check_response(s, &h), -1);
	assert_int_equal(s->err_class, SWI_ERR_LOGIN);
	swi_session_free(s);
}

static void test_refusals_pass_to_the_status_handling(void **state)
{
	(void)state;
	struct swi_session *s = session();
	struct bhs h = { .opcode = OP_LOGIN_RSP, .flags = RSP(3, true, 3), .w36 = 0x02010000 };
	assert_int_equal(login_check_response(s, &h), 0); /* all-zero ISID, as tgtd refuses */
	swi_session_free(s);
}

static void test_responses_are_bounded(void **state)
{
	(void)state;
	struct swi_session *s = session();
	struct bhs h = { .opcode = OP_LOGIN_RSP };
	memcpy(h.lun_or_isid, s->isid, 6);
	for (int i = 0; i < 256; i++)
		assert_int_equal(login_check_response(s, &h), 0);
	assert_int_equal(login_check_response(s, &h), -1);
	assert_int_equal(s->err_class, SWI_ERR_LOGIN);
	swi_session_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_answers),
		cmocka_unit_test(test_stage_violations_are_authentication_errors),
		cmocka_unit_test(test_header_errors_are_login_errors),
		cmocka_unit_test(test_refusals_pass_to_the_status_handling),
		cmocka_unit_test(test_responses_are_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
