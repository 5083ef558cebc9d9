/* SCSI queries the tools share: REPORT LUNS, INQUIRY, READ CAPACITY. Each returns 0, or -1
 * after printing why (transport failure or a non-GOOD status). */
#ifndef SWISCSI_TOOL_SCSI_H
#define SWISCSI_TOOL_SCSI_H

#include <stdint.h>

#include "swiscsi/swiscsi.h"

struct lun_info {
	uint8_t type;              /* peripheral device type */
	char vendor[9], product[17], revision[5];
	uint64_t blocks;
	uint32_t block_size;
};

int tool_report_luns(struct swi_session *s, uint64_t *luns, size_t max, size_t *n);
int tool_inquiry(struct swi_session *s, uint64_t lun, struct lun_info *info);
int tool_read_capacity(struct swi_session *s, uint64_t lun, struct lun_info *info);
const char *tool_type_name(uint8_t type);

#endif
