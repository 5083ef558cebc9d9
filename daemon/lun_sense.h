/* Sense data decoded once: the key and additional sense code from fixed or descriptor format. */
#ifndef SWISCSID_LUN_SENSE_H
#define SWISCSID_LUN_SENSE_H

#include <stdint.h>

struct swi_scsi_result;

enum lun_sense_key {
	SK_NO_SENSE = 0x0, SK_RECOVERED = 0x1, SK_NOT_READY = 0x2, SK_MEDIUM = 0x3,
	SK_HARDWARE = 0x4, SK_ILLEGAL_REQUEST = 0x5, SK_UNIT_ATTENTION = 0x6,
	SK_DATA_PROTECT = 0x7, SK_ABORTED = 0xb, SK_VOLUME_OVERFLOW = 0xd, SK_MISCOMPARE = 0xe,
};

struct lun_sense {
	uint8_t key, asc, ascq;
};

/* All zero when there is no sense data. */
void lun_sense_decode(const struct swi_scsi_result *r, struct lun_sense *out);

/* REPORTED LUNS DATA HAS CHANGED: a unit attention asking for a rescan. */
static inline int lun_sense_luns_changed(const struct lun_sense *k)
{
	return k->key == SK_UNIT_ATTENTION && k->asc == 0x3f && k->ascq == 0x0e;
}

/* CAPACITY DATA HAS CHANGED: a LUN was resized on the target; a rescan reads its new size. */
static inline int lun_sense_capacity_changed(const struct lun_sense *k)
{
	return k->key == SK_UNIT_ATTENTION && k->asc == 0x2a && k->ascq == 0x09;
}

#endif
