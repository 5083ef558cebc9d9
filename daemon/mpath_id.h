/* A LUN's identity, from which multipath groups the paths to it: the device identification VPD
 * page (0x83) designator that names the logical unit, else the unit serial number page (0x80)
 * with the vendor and product. Names follow udev's /dev/disk/by-id so scripts carry over:
 * wwn-0x<naa> for an NAA designator, scsi-<serial> otherwise. Pure byte parsing. */
#ifndef SWISCSID_MPATH_ID_H
#define SWISCSID_MPATH_ID_H

#include <stddef.h>
#include <stdint.h>

enum { MPATH_ID_MAX = 256 };

struct mpath_id {
	/* multipath-tools' WWID: the designator type digit and the value (3<naa hex>,
	 * 2<eui-64 hex>, 8<scsi name>, S<vendor>_<product>_<serial>), as scsi_id prints it */
	char wwid[MPATH_ID_MAX];
	/* the by-id file name: wwn-0x<naa hex> or scsi-<wwid> */
	char name[MPATH_ID_MAX + 8];
};

/* p83/n83 and p80/n80 are the pages as received (NULL or 0 when the target has none; a short
 * or inconsistent page is treated as absent), vendor and product the standard INQUIRY's
 * fields (trailing blanks trimmed or not). 0, or -1 when neither page identifies the LUN. */
int mpath_id_from_vpd(const uint8_t *p83, size_t n83, const uint8_t *p80, size_t n80,
		      const char *vendor, const char *product, struct mpath_id *out);

#endif
