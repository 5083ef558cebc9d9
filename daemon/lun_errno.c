/* What a SCSI outcome means to an application: an errno, chosen from the sense key and the
 * additional sense code (SPC-4 §4.5.6, SBC-3's thin-provisioning codes). */
#include "lun_io.h"
#include "lun_sense.h"

#include <errno.h>

#include "swiscsi/swiscsi.h"

enum {
	ST_GOOD = 0x00, ST_CHECK = 0x02, ST_BUSY = 0x08, ST_RESERVATION = 0x18, ST_TASK_SET_FULL = 0x28,
};

void lun_sense_decode(const struct swi_scsi_result *r, struct lun_sense *out)
{
	const uint8_t *s = r->sense;
	*out = (struct lun_sense){ 0 };
	if (r->sense_len < 3)
		return;
	if ((s[0] & 0x7f) >= 0x72) {             /* descriptor format */
		out->key = s[1] & 0x0f;
		out->asc = s[2];
		out->ascq = r->sense_len > 3 ? s[3] : 0;
	} else {                                 /* fixed format */
		out->key = s[2] & 0x0f;
		out->asc = r->sense_len > 12 ? s[12] : 0;
		out->ascq = r->sense_len > 13 ? s[13] : 0;
	}
}

static int check_condition_errno(const struct lun_sense *k)
{
	switch (k->key) {
	case SK_NO_SENSE:
	case SK_RECOVERED:
		return 0;
	case SK_NOT_READY:
		return k->asc == 0x3a ? -ENOMEDIUM : -EIO;
	case SK_ILLEGAL_REQUEST:
		return k->asc == 0x20 ? -EOPNOTSUPP : -EINVAL;
	case SK_UNIT_ATTENTION:
		return -EAGAIN;   /* the command was not run: the target only tells us something */
	case SK_DATA_PROTECT:
		/* 27/07: SPACE ALLOCATION FAILED WRITE PROTECT, a thin LUN out of space */
		return k->asc == 0x27 && k->ascq == 0x07 ? -ENOSPC : -EROFS;
	case SK_VOLUME_OVERFLOW:
		return -ENOSPC;
	case SK_MISCOMPARE:
		return -EILSEQ;
	default:                 /* medium, hardware, aborted command, ... */
		return -EIO;
	}
}

int lun_errno(const struct swi_scsi_result *r)
{
	switch (r->status) {
	case ST_GOOD:
		return 0;
	case ST_CHECK: {
		struct lun_sense k;
		if (r->sense_len < 3)
			return -EIO;      /* an error the target did not explain */
		lun_sense_decode(r, &k);
		return check_condition_errno(&k);
	}
	case ST_BUSY:
	case ST_TASK_SET_FULL:
		return -EAGAIN;
	case ST_RESERVATION:
		return -EBADE;   /* what the kernel's block layer returns for a reservation conflict */
	default:
		return -EIO;
	}
}

enum mpath_outcome lun_outcome(int status, const struct swi_scsi_result *r)
{
	struct lun_sense k;
	if (status < 0)
		return MPATH_PATH_ERROR;
	if (r->status == ST_CHECK && r->sense_len < 3)
		return MPATH_PATH_ERROR;   /* unexplained: another path may well do it */
	lun_sense_decode(r, &k);
	return mpath_classify(0, r->status, k.key);
}
