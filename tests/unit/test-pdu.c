/* The BHS codec (lib/pdu.c): byte offsets both ways, the checks on incoming headers, padding
 * and serial number arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pdu.h"

static void test_login_request_bytes(void **state)
{
	(void)state;
	struct bhs h = { .opcode = OP_LOGIN_REQ, .immediate = true, .flags = 0x87,
			 .data_len = 0x012345, .itt = 0xa1b2c3d4, .w24 = 7, .w28 = 0xfffffffe };
	memcpy(h.lun_or_isid, "\x80\x01\x02\x03\x00\x00\x12\x34", 8);
	uint8_t w[ISCSI_BHS_LEN];
	bhs_encode(&h, w);
	assert_int_equal(w[0], 0x43);
	assert_int_equal(w[1], 0x87);
	assert_memory_equal(w + 5, "\x01\x23\x45", 3);
	assert_memory_equal(w + 8, "\x80\x01\x02\x03\x00\x00\x12\x34", 8);
	assert_memory_equal(w + 16, "\xa1\xb2\xc3\xd4", 4);
	assert_memory_equal(w + 24, "\x00\x00\x00\x07", 4);
	assert_memory_equal(w + 28, "\xff\xff\xff\xfe", 4);
	struct bhs back;
	bhs_decode(w, &back);
	assert_int_equal(back.opcode, OP_LOGIN_REQ);
	assert_true(back.immediate);
	assert_int_equal(back.data_len, 0x012345);
	assert_int_equal(back.itt, 0xa1b2c3d4);
	assert_int_equal(LOGIN_CSG(&back), 1);
	assert_int_equal(LOGIN_NSG(&back), 3);
}

static void test_scsi_command_carries_the_cdb(void **state)
{
	(void)state;
	struct bhs h = { .opcode = OP_SCSI_CMD, .flags = 0xc1, .w20 = 4096 };
	for (int i = 0; i < 16; i++)
		h.cdb[i] = (uint8_t)(0xf0 + i);
	uint8_t w[ISCSI_BHS_LEN];
	bhs_encode(&h, w);
	assert_int_equal(w[0], 0x01);
	assert_memory_equal(w + 32, h.cdb, 16);
	assert_memory_equal(w + 20, "\x00\x00\x10\x00", 4);
}

static void test_response_fields(void **state)
{
	(void)state;
	uint8_t w[ISCSI_BHS_LEN] = { 0 };
	w[0] = 0xe3; /* reserved bits above the opcode are masked */
	w[36] = 0x02;
	w[37] = 0x01;
	w[2] = 0x00;
	w[3] = 0x01;
	struct bhs h;
	bhs_decode(w, &h);
	assert_int_equal(h.opcode, OP_LOGIN_RSP);
	assert_int_equal(LOGIN_STATUS_CLASS(&h), 2);
	assert_int_equal(LOGIN_STATUS_DETAIL(&h), 1);
	assert_int_equal(h.b3, 1);
}

static const char *check(uint8_t op, uint8_t flags, uint32_t data_len, uint32_t w44)
{
	struct bhs h = { .opcode = op, .flags = flags, .data_len = data_len, .w44 = w44 };
	return bhs_check_incoming(&h, 8192);
}

static void test_incoming_checks(void **state)
{
	(void)state;
	assert_null(check(OP_LOGIN_RSP, 0x80, 8192, 0));
	assert_non_null(check(OP_LOGIN_RSP, 0x80, 8193, 0));
	assert_non_null(check(OP_LOGIN_REQ, 0, 0, 0));          /* an initiator opcode */
	assert_non_null(check(0x1c, 0, 0, 0));
	assert_null(check(OP_R2T, 0x80, 0, 512));
	assert_non_null(check(OP_R2T, 0x80, 4, 512));
	assert_non_null(check(OP_R2T, 0x80, 0, 0));
	assert_non_null(check(OP_DATA_IN, DATAIN_F_STATUS, 0, 0));
	assert_null(check(OP_DATA_IN, DATAIN_F_STATUS | BHS_F_FINAL, 0, 0));
	assert_non_null(check(OP_LOGOUT_RSP, 0x80, 4, 0));
	assert_non_null(check(OP_TMF_RSP, 0x80, 4, 0));
	assert_non_null(check(OP_REJECT, 0x80, ISCSI_BHS_LEN - 1, 0));
	assert_null(check(OP_REJECT, 0x80, ISCSI_BHS_LEN, 0));
	assert_string_equal(opcode_name(OP_TEXT_RSP), "Text Response");
	assert_string_equal(opcode_name(0x1c), "unknown opcode");
}

static void test_padding_and_serial_numbers(void **state)
{
	(void)state;
	assert_int_equal(pdu_pad(0), 0);
	assert_int_equal(pdu_pad(1), 3);
	assert_int_equal(pdu_pad(4), 0);
	assert_int_equal(pdu_pad(7), 1);
	assert_true(sn_lt(0xfffffffe, 1)); /* across the wrap */
	assert_false(sn_lt(1, 0xfffffffe));
	assert_false(sn_lt(5, 5));
	assert_true(sn_le(5, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_request_bytes),
		cmocka_unit_test(test_scsi_command_carries_the_cdb),
		cmocka_unit_test(test_response_fields),
		cmocka_unit_test(test_incoming_checks),
		cmocka_unit_test(test_padding_and_serial_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
