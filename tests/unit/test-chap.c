/* CHAP values (lib/chap.c): decoding hex and base64 at and past the limits without writing a
 * byte beyond the caller's buffer, and the responses of each algorithm. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

enum { LIMIT = 1024, CANARY = 16 };

/* The decoder's output buffer with guard bytes right after it: a write past LIMIT lands in
 * guard, where the test sees it (ASan cannot: such a write happens inside libcrypto). */
struct guarded {
	uint8_t buf[LIMIT];
	uint8_t guard[CANARY];
};

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

static char *as_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 3);
	assert_non_null(s);
	strcpy(s, "0x");
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 + 2 * i, "%02x", p[i]);
	return s;
}

static char *as_base64(const uint8_t *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 3);
	assert_non_null(s);
	strcpy(s, "0b");
	EVP_EncodeBlock((unsigned char *)s + 2, p, (int)n);
	return s;
}

/* Decodes n bytes encoded by enc into a LIMIT-byte buffer; checks the result and the guard. */
static void round_trip(char *(*enc)(const uint8_t *, size_t), size_t n)
{
	uint8_t *src = malloc(n);
	assert_non_null(src);
	fill(src, n);
	char *text = enc(src, n);
	struct guarded g;
	memset(&g, 0xa5, sizeof(g));
	int len = chap_decode(text, g.buf, sizeof(g.buf));
	if (n <= LIMIT) {
		assert_int_equal(len, (int)n);
		assert_memory_equal(g.buf, src, n);
	} else {
		assert_int_equal(len, -1);
	}
	for (size_t i = 0; i < CANARY; i++)
		assert_int_equal(g.guard[i], 0xa5);
	free(text);
	free(src);
}

static char *(*const encoders[])(const uint8_t *, size_t) = { as_hex, as_base64 };

static void test_limits_both_encodings(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 2, 3, 16, 1022, 1023, LIMIT, LIMIT + 1, LIMIT + 2, 4096 };
	for (size_t e = 0; e < 2; e++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			round_trip(encoders[e], sizes[i]);
}

/* A 1024-byte challenge in base64 is 342 groups: EVP_DecodeBlock writes 1026 bytes. */
static void test_base64_challenge_of_1024_bytes_stays_inside(void **state)
{
	(void)state;
	round_trip(as_base64, LIMIT);
}

static void test_small_buffers(void **state)
{
	(void)state;
	struct {
		uint8_t buf[2];
		uint8_t guard[CANARY];
	} g;
	memset(&g, 0xa5, sizeof(g));
	assert_int_equal(chap_decode("0x010203", g.buf, sizeof(g.buf)), -1);
	assert_int_equal(chap_decode("0bAAAA", g.buf, sizeof(g.buf)), -1); /* 3 bytes */
	assert_int_equal(chap_decode("0bAAA=", g.buf, sizeof(g.buf)), 2);
	for (size_t i = 0; i < CANARY; i++)
		assert_int_equal(g.guard[i], 0xa5);
}

static void test_forms(void **state)
{
	(void)state;
	uint8_t out[8];
	assert_int_equal(chap_decode("0x123", out, sizeof(out)), 2); /* odd: first digit alone */
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0x23);
	assert_int_equal(chap_decode("0XaBcD", out, sizeof(out)), 2);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(chap_decode("0bAQ==", out, sizeof(out)), 1);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(chap_decode("0BAQI=", out, sizeof(out)), 2);
	assert_int_equal(chap_decode("0bAQID", out, sizeof(out)), 3);
	static const char *const bad[] = { "", "0", "0x", "0b", "0bA", "0bAQ=", "0b!!!!", "0xzz",
					   "0x1g", "1x00", "0y00", "x00" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(chap_decode(bad[i], out, sizeof(out)), -1);
}

static void test_responses(void **state)
{
	(void)state;
	uint8_t challenge[16];
	for (int i = 0; i < 16; i++)
		challenge[i] = (uint8_t)i;
	char out[2 * 64 + 3];
	/* python3: hashlib.md5(bytes([1]) + b"secretsecret" + bytes(range(16))).hexdigest() */
	assert_int_equal(chap_response(5, 1, "secretsecret", challenge, 16, out, sizeof(out)), 0);
	assert_string_equal(out, "0x226dc576c33f04ff9c3a200ffe35f442");
	assert_int_equal(chap_response(7, 7, "secretsecret", challenge, 16, out, sizeof(out)), 0);
	assert_string_equal(out, "0xcf08f83eb6fac1778026846c2914297e19faa06ab011ae8fc9d51a3c10f20a49");
	assert_int_equal(chap_response(5, 1, "s", challenge, 16, out, 2 * 16 + 2), -1); /* no room */
	assert_int_equal(chap_response(9, 1, "s", challenge, 16, out, sizeof(out)), -1);
	assert_int_equal(chap_digest_len(6), 20);
	assert_int_equal(chap_alg_from_name("sha-256"), 7);
	assert_int_equal(chap_alg_from_name("SHA3-256"), 8);
	assert_int_equal(chap_alg_from_name("CRC32"), -1);
	assert_string_equal(chap_alg_name(5), "MD5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits_both_encodings),
		cmocka_unit_test(test_base64_challenge_of_1024_bytes_stays_inside),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_responses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
