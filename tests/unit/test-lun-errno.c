/* What SCSI outcomes mean to applications: lun_errno over both sense formats and the statuses
 * that carry no sense. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "lun_io.h"
#include "lun_sense.h"
#include "swiscsi/swiscsi.h"

static struct swi_scsi_result fixed(uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct swi_scsi_result r = { .status = 0x02, .sense_len = 18 };
	r.sense[0] = 0x70;
	r.sense[2] = key;
	r.sense[7] = 10;
	r.sense[12] = asc;
	r.sense[13] = ascq;
	return r;
}

static struct swi_scsi_result descriptor(uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct swi_scsi_result r = { .status = 0x02, .sense_len = 8 };
	r.sense[0] = 0x72;
	r.sense[1] = key;
	r.sense[2] = asc;
	r.sense[3] = ascq;
	return r;
}

struct want {
	uint8_t key, asc, ascq;
	int err;
};

static void test_check_conditions(void **state)
{
	(void)state;
	static const struct want cases[] = {
		{ 0x01, 0x17, 0x00, 0 },            /* RECOVERED ERROR: the data is fine */
		{ 0x02, 0x04, 0x01, -EIO },         /* NOT READY, becoming ready */
		{ 0x02, 0x3a, 0x00, -ENOMEDIUM },   /* MEDIUM NOT PRESENT */
		{ 0x03, 0x11, 0x00, -EIO },         /* MEDIUM ERROR, unrecovered read error */
		{ 0x04, 0x44, 0x00, -EIO },         /* HARDWARE ERROR */
		{ 0x05, 0x20, 0x00, -EOPNOTSUPP },  /* INVALID COMMAND OPERATION CODE */
		{ 0x05, 0x21, 0x00, -EINVAL },      /* LBA OUT OF RANGE */
		{ 0x06, 0x29, 0x00, -EAGAIN },      /* UNIT ATTENTION: resend */
		{ 0x07, 0x27, 0x00, -EROFS },       /* WRITE PROTECTED */
		{ 0x07, 0x27, 0x07, -ENOSPC },      /* SPACE ALLOCATION FAILED WRITE PROTECT */
		{ 0x0b, 0x47, 0x00, -EIO },         /* ABORTED COMMAND */
		{ 0x0d, 0x00, 0x00, -ENOSPC },      /* VOLUME OVERFLOW */
		{ 0x0e, 0x1d, 0x00, -EILSEQ },      /* MISCOMPARE */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct swi_scsi_result f = fixed(cases[i].key, cases[i].asc, cases[i].ascq);
		struct swi_scsi_result d = descriptor(cases[i].key, cases[i].asc, cases[i].ascq);
		if (lun_errno(&f) != cases[i].err || lun_errno(&d) != cases[i].err)
			fail_msg("case %zu: fixed %d, descriptor %d, want %d", i, lun_errno(&f),
				 lun_errno(&d), cases[i].err);
	}
}

static void test_statuses(void **state)
{
	(void)state;
	struct swi_scsi_result r = { .status = 0x00 };
	assert_int_equal(lun_errno(&r), 0);
	r.status = 0x08;                         /* BUSY */
	assert_int_equal(lun_errno(&r), -EAGAIN);
	r.status = 0x28;                         /* TASK SET FULL */
	assert_int_equal(lun_errno(&r), -EAGAIN);
	r.status = 0x18;                         /* RESERVATION CONFLICT */
	assert_int_equal(lun_errno(&r), -EBADE);
	r.status = 0x02;                         /* CHECK CONDITION without sense data */
	assert_int_equal(lun_errno(&r), -EIO);
	r.status = 0x40;                         /* TASK ABORTED */
	assert_int_equal(lun_errno(&r), -EIO);
}

static void test_luns_changed(void **state)
{
	(void)state;
	struct swi_scsi_result r = fixed(0x06, 0x3f, 0x0e);
	struct lun_sense k;
	lun_sense_decode(&r, &k);
	assert_true(lun_sense_luns_changed(&k));
	r = descriptor(0x06, 0x3f, 0x0e);
	lun_sense_decode(&r, &k);
	assert_true(lun_sense_luns_changed(&k));
	r = fixed(0x06, 0x29, 0x00);
	lun_sense_decode(&r, &k);
	assert_false(lun_sense_luns_changed(&k));
	r.sense_len = 2;                         /* too short to say anything */
	lun_sense_decode(&r, &k);
	assert_int_equal(k.key, 0);
}

/* Whose fault a failure is, for multipath: the path's (go again elsewhere) or the LUN's (return
 * once), in both sense formats. */
static void test_outcomes(void **state)
{
	(void)state;
	static const struct { uint8_t key; enum mpath_outcome want; } cases[] = {
		{ 0x01, MPATH_OK },             /* RECOVERED ERROR */
		{ 0x02, MPATH_PATH_ERROR },     /* NOT READY: a standby port */
		{ 0x03, MPATH_LUN_ERROR },      /* MEDIUM ERROR */
		{ 0x04, MPATH_PATH_ERROR },     /* HARDWARE ERROR */
		{ 0x05, MPATH_LUN_ERROR },      /* ILLEGAL REQUEST */
		{ 0x06, MPATH_OK },             /* UNIT ATTENTION: resent on the same path */
		{ 0x07, MPATH_LUN_ERROR },      /* DATA PROTECT */
		{ 0x0b, MPATH_PATH_ERROR },     /* ABORTED COMMAND */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct swi_scsi_result f = fixed(cases[i].key, 0x11, 0);
		struct swi_scsi_result d = descriptor(cases[i].key, 0x11, 0);
		if (lun_outcome(0, &f) != cases[i].want || lun_outcome(0, &d) != cases[i].want)
			fail_msg("key 0x%x: fixed %d, descriptor %d, want %d", cases[i].key,
				 lun_outcome(0, &f), lun_outcome(0, &d), cases[i].want);
	}
	struct swi_scsi_result r = { .status = 0x00 };
	assert_int_equal(lun_outcome(0, &r), MPATH_OK);
	assert_int_equal(lun_outcome(-1, &r), MPATH_PATH_ERROR);   /* no answer at all */
	r.status = 0x02;                         /* CHECK CONDITION the target did not explain */
	assert_int_equal(lun_outcome(0, &r), MPATH_PATH_ERROR);
	r.status = 0x18;                         /* RESERVATION CONFLICT: the same on every path */
	assert_int_equal(lun_outcome(0, &r), MPATH_LUN_ERROR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_conditions), cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_luns_changed), cmocka_unit_test(test_outcomes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
