/* Text keys and negotiation (lib/keys.c): splitting data segments, repeated keys, the cap on
 * gathered text, and every negotiation rule of the operational keys (RFC 7143 §6.2, §13). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

static int parse(const char *seg, size_t len, struct text_list *l)
{
	char err[256];
	return text_parse((const uint8_t *)seg, len, l, err, sizeof(err));
}

static void test_parse(void **state)
{
	(void)state;
	struct text_list l;
	static const char seg[] = "A=1\0B=\0C=x=y\0\0\0";
	assert_int_equal(parse(seg, sizeof(seg) - 1, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(text_find(&l, "A"), "1");
	assert_string_equal(text_find(&l, "B"), "");
	assert_string_equal(text_find(&l, "C"), "x=y");
	assert_null(text_find(&l, "D"));
	text_list_free(&l);
	static const char *const bad[] = { "novalue", "=1", "A=\x01", "A=\x7f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], strlen(bad[i]) + 1, &l), -1);
	char big[KEY_VALUE_MAX + 8];
	memset(big, 'v', sizeof(big));
	memcpy(big, "K=", 2);
	assert_int_equal(parse(big, KEY_VALUE_MAX + 2, &l), 0); /* a value of exactly the limit */
	text_list_free(&l);
	assert_int_equal(parse(big, KEY_VALUE_MAX + 3, &l), -1);
	char key[KEY_NAME_MAX + 3];
	memset(key, 'k', sizeof(key));
	key[KEY_NAME_MAX + 1] = '=';
	assert_int_equal(parse(key, KEY_NAME_MAX + 3, &l), -1); /* a 64-byte key */
}

/* SendTargets values keep their control characters for the caller to screen entry by entry;
 * a key with one is still malformed, and so is a pair without '='. */
static void test_parse_any_value(void **state)
{
	(void)state;
	struct text_list l;
	char err[256];
	static const char seg[] = "TargetName=iqn.x:a\nb\0TargetAddress=1.2.3.4\x1b,1\0";
	assert_int_equal(text_parse_any_value((const uint8_t *)seg, sizeof(seg) - 1, &l, err,
					      sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(text_find(&l, "TargetName"), "iqn.x:a\nb");
	assert_string_equal(text_find(&l, "TargetAddress"), "1.2.3.4\x1b,1");
	text_list_free(&l);
	assert_int_equal(parse(seg, sizeof(seg) - 1, &l), -1); /* text_parse refuses them */
	static const char *const bad[] = { "Target\x01Name=x", "novalue\x01" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(text_parse_any_value((const uint8_t *)bad[i], strlen(bad[i]) + 1, &l,
						      err, sizeof(err)), -1);
	assert_non_null(strstr(err, "malformed text pair"));
}

static void test_duplicates(void **state)
{
	(void)state;
	struct text_list l;
	const char *dup;
	static const char once[] = "A=1\0B=2\0";
	assert_int_equal(parse(once, sizeof(once) - 1, &l), 0);
	assert_int_equal(text_duplicate(&l, &dup), 0);
	assert_null(dup);
	text_list_free(&l);
	static const char twice[] = "B=1\0A=1\0B=2\0";
	assert_int_equal(parse(twice, sizeof(twice) - 1, &l), 0);
	assert_int_equal(text_duplicate(&l, &dup), 1);
	assert_string_equal(dup, "B");
	text_list_free(&l);
	/* thousands of pairs, the repeat last: found without a quadratic scan */
	struct text_buf b = { 0 };
	char k[16];
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "K%d", i);
		text_add(&b, k, "v");
	}
	text_add(&b, "K7", "again");
	assert_false(b.failed);
	assert_int_equal(parse((const char *)b.data, b.len, &l), 0);
	assert_int_equal(text_duplicate(&l, &dup), 1);
	assert_string_equal(dup, "K7");
	text_list_free(&l);
	text_buf_free(&b);
}

static void test_gather_cap(void **state)
{
	(void)state;
	struct text_buf b = { 0 };
	uint8_t chunk[100];
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(text_gather(&b, chunk, 60, 100), TEXT_GATHERED);
	assert_int_equal(text_gather(&b, chunk, 40, 100), TEXT_GATHERED); /* exactly the cap */
	assert_int_equal(text_gather(&b, chunk, 1, 100), TEXT_TOO_LONG);
	assert_int_equal(b.len, 100);
	assert_int_equal(text_gather(&b, NULL, 0, 100), TEXT_GATHERED);
	text_buf_free(&b);
	assert_int_equal(text_gather(&b, chunk, 100, 99), TEXT_TOO_LONG);
	assert_int_equal(b.len, 0);
	assert_true(text_add_raw(&b, chunk, 10));
	text_buf_free(&b);
}

struct neg {
	struct iscsi_params want, out;
	char err[256];
};

static void setup_want(struct neg *n)
{
	params_rfc_defaults(&n->want);
	n->want.max_recv_dsl = 262144;
	n->want.max_burst = 1048576;
	n->want.first_burst = 262144;
	n->want.initial_r2t = false;
	n->want.immediate_data = true;
	n->want.max_outstanding_r2t = 8;
	n->want.time2wait = 2;
}

/* Applies a target answer written as "K=V\0K=V\0" to the standard offer. */
static int apply(struct neg *n, const char *seg, size_t len)
{
	struct text_list l;
	setup_want(n);
	assert_int_equal(parse(seg, len, &l), 0);
	int rc = params_apply(&l, &n->want, "CRC32C,None", "None", &n->out, n->err, sizeof(n->err));
	text_list_free(&l);
	return rc;
}
#define APPLY(n, lit) apply(n, lit, sizeof(lit) - 1)

static void test_rules(void **state)
{
	(void)state;
	struct neg n;
	assert_int_equal(APPLY(&n, "MaxBurstLength=65536\0FirstBurstLength=4096\0"), 0);
	assert_int_equal(n.out.max_burst, 65536);
	assert_int_equal(n.out.first_burst, 4096);
	assert_int_equal(APPLY(&n, "MaxBurstLength=2097152\0"), -1); /* min: above our offer */
	assert_non_null(strstr(n.err, "MaxBurstLength=2097152"));
	assert_int_equal(APPLY(&n, "DefaultTime2Wait=1\0"), -1);   /* max: below our offer */
	assert_int_equal(APPLY(&n, "DefaultTime2Wait=5\0"), 0);
	assert_int_equal(APPLY(&n, "InitialR2T=Yes\0"), 0);        /* or */
	assert_true(n.out.initial_r2t);
	assert_int_equal(APPLY(&n, "ImmediateData=No\0"), 0);      /* and */
	assert_false(n.out.immediate_data);
	assert_int_equal(APPLY(&n, "InitialR2T=maybe\0"), -1);
	assert_int_equal(APPLY(&n, "MaxOutstandingR2T=0\0"), -1);  /* out of range */
	assert_int_equal(APPLY(&n, "MaxRecvDataSegmentLength=511\0"), -1);
	assert_int_equal(APPLY(&n, "MaxRecvDataSegmentLength=16777216\0"), -1);
	assert_int_equal(APPLY(&n, "MaxRecvDataSegmentLength=4096\0"), 0); /* declarative */
	assert_int_equal(n.out.max_xmit_dsl, 4096);
	assert_int_equal(n.out.max_recv_dsl, 262144);
	assert_int_equal(APPLY(&n, "ErrorRecoveryLevel=Irrelevant\0MaxConnections=NotUnderstood\0"), 0);
	assert_int_equal(n.out.erl, 0);
	assert_int_equal(APPLY(&n, "MaxBurstLength=-1\0"), -1);
	assert_int_equal(APPLY(&n, "MaxBurstLength=\0"), -1);
}

static void test_digests(void **state)
{
	(void)state;
	struct neg n;
	assert_int_equal(APPLY(&n, "HeaderDigest=CRC32C\0DataDigest=None\0"), 0);
	assert_true(n.out.header_digest);
	assert_false(n.out.data_digest);
	assert_int_equal(APPLY(&n, "DataDigest=CRC32C\0"), -1); /* we offered None only */
	assert_non_null(strstr(n.err, "DataDigest=CRC32C"));
	assert_int_equal(APPLY(&n, "HeaderDigest=CRC32\0"), -1);
	assert_int_equal(APPLY(&n, ""), 0);
	assert_false(n.out.header_digest);
}

static void test_unanswered_keys_keep_rfc_defaults(void **state)
{
	(void)state;
	struct neg n;
	assert_int_equal(APPLY(&n, "HeaderDigest=None\0"), 0);
	assert_int_equal(n.out.max_burst, 262144);
	assert_int_equal(n.out.first_burst, 65536);
	assert_int_equal(n.out.max_xmit_dsl, 8192);
	assert_true(n.out.initial_r2t);
	assert_int_equal(n.out.max_outstanding_r2t, 1);
}

/* RFC 7143 §13.14: FirstBurstLength MUST NOT exceed MaxBurstLength, where it means anything. */
static void test_first_burst_above_max_burst(void **state)
{
	(void)state;
	struct neg n;
	assert_int_equal(APPLY(&n, "MaxBurstLength=4096\0FirstBurstLength=65536\0"), -1);
	assert_non_null(strstr(n.err, "FirstBurstLength=65536 above MaxBurstLength=4096"));
	assert_int_equal(APPLY(&n, "MaxBurstLength=4096\0FirstBurstLength=4096\0"), 0);
	/* every byte solicited: FirstBurstLength is irrelevant */
	assert_int_equal(APPLY(&n, "MaxBurstLength=4096\0FirstBurstLength=65536\0InitialR2T=Yes\0"
				   "ImmediateData=No\0"), 0);
	assert_int_equal(APPLY(&n, "MaxBurstLength=4096\0FirstBurstLength=65536\0InitialR2T=Yes\0"), -1);
}

static void test_offer(void **state)
{
	(void)state;
	struct neg n;
	setup_want(&n);
	struct text_buf b = { 0 };
	params_offer(&b, &n.want, "CRC32C,None", "None");
	struct text_list l;
	assert_int_equal(parse((const char *)b.data, b.len, &l), 0);
	assert_string_equal(text_find(&l, "HeaderDigest"), "CRC32C,None");
	assert_string_equal(text_find(&l, "MaxRecvDataSegmentLength"), "262144");
	assert_string_equal(text_find(&l, "MaxBurstLength"), "1048576");
	assert_string_equal(text_find(&l, "InitialR2T"), "No");
	assert_string_equal(text_find(&l, "ImmediateData"), "Yes");
	const char *dup;
	assert_int_equal(text_duplicate(&l, &dup), 0);
	text_list_free(&l);
	text_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_any_value),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_gather_cap),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_unanswered_keys_keep_rfc_defaults),
		cmocka_unit_test(test_first_burst_above_max_burst),
		cmocka_unit_test(test_offer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
