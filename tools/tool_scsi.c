/* REPORT LUNS, standard INQUIRY and READ CAPACITY (16, falling back to 10) for the tools. */
#include "tool_scsi.h"

#include <stdio.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int run(struct swi_session *s, uint64_t lun, const uint8_t *cdb, size_t cdb_len, void *buf,
	       uint32_t len, struct swi_scsi_result *r, const char *what)
{
	if (swi_scsi(s, lun, cdb, cdb_len, SWI_DIR_READ, buf, len, r) < 0) {
		fprintf(stderr, "%s: %s\n", what, swi_error(s));
		return -1;
	}
	if (r->status != 0) {
		char text[256];
		fprintf(stderr, "%s: %s\n", what, swi_status_text(r, text, sizeof(text)));
		return -1;
	}
	return 0;
}

int tool_report_luns(struct swi_session *s, uint64_t *luns, size_t max, size_t *n)
{
	uint8_t cdb[16], buf[8 + 8 * 256];
	struct swi_scsi_result r;
	size_t len = swi_cdb_report_luns(cdb, sizeof(buf));
	if (run(s, 0, cdb, len, buf, sizeof(buf), &r, "REPORT LUNS") < 0)
		return -1;
	uint32_t list = get32(buf) / 8;
	size_t got = r.transferred < sizeof(buf) ? r.transferred : sizeof(buf);
	size_t have = got < 8 ? 0 : (got - 8) / 8;
	*n = 0;
	for (size_t i = 0; i < list && i < have && *n < max; i++) {
		const uint8_t *e = buf + 8 + 8 * i;
		/* peripheral (00b) and flat (01b) addressing: the LUN is in the first two bytes */
		luns[(*n)++] = (uint64_t)(e[0] & 0x3f) << 8 | e[1];
	}
	return 0;
}

static void field(char *out, const uint8_t *in, size_t n)
{
	memcpy(out, in, n);
	out[n] = '\0';
	for (size_t i = n; i > 0 && out[i - 1] == ' '; i--)
		out[i - 1] = '\0';
}

int tool_inquiry(struct swi_session *s, uint64_t lun, struct lun_info *info)
{
	uint8_t cdb[16], buf[96] = { 0 };
	struct swi_scsi_result r;
	size_t len = swi_cdb_inquiry(cdb, false, 0, sizeof(buf));
	if (run(s, lun, cdb, len, buf, sizeof(buf), &r, "INQUIRY") < 0)
		return -1;
	info->type = buf[0] & 0x1f;
	field(info->vendor, buf + 8, 8);
	field(info->product, buf + 16, 16);
	field(info->revision, buf + 32, 4);
	return 0;
}

int tool_read_capacity(struct swi_session *s, uint64_t lun, struct lun_info *info)
{
	uint8_t cdb[16], buf[32] = { 0 };
	struct swi_scsi_result r;
	size_t len = swi_cdb_read_capacity16(cdb, sizeof(buf));
	if (swi_scsi(s, lun, cdb, len, SWI_DIR_READ, buf, sizeof(buf), &r) == 0 && r.status == 0 &&
	    r.transferred >= 12) {
		info->blocks = ((uint64_t)get32(buf) << 32 | get32(buf + 4)) + 1;
		info->block_size = get32(buf + 8);
		return 0;
	}
	/* READ CAPACITY 16 is optional for small devices: ask the 10-byte form */
	len = swi_cdb_read_capacity10(cdb);
	if (run(s, lun, cdb, len, buf, 8, &r, "READ CAPACITY") < 0)
		return -1;
	if (r.transferred < 8) {
		fprintf(stderr, "READ CAPACITY: the target sent %u of its 8 bytes\n", r.transferred);
		return -1;
	}
	info->blocks = (uint64_t)get32(buf) + 1;
	info->block_size = get32(buf + 4);
	return 0;
}

const char *tool_type_name(uint8_t type)
{
	static const char *const names[] = {
		[0x00] = "DIRECT_ACCESS", [0x01] = "SEQUENTIAL_ACCESS", [0x02] = "PRINTER",
		[0x03] = "PROCESSOR", [0x04] = "WRITE_ONCE", [0x05] = "MMC",
		[0x07] = "OPTICAL_MEMORY", [0x08] = "MEDIA_CHANGER",
		[0x0c] = "STORAGE_ARRAY_CONTROLLER", [0x0d] = "ENCLOSURE_SERVICES",
		[0x0e] = "SIMPLIFIED_DIRECT_ACCESS",
	};
	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "OTHER";
}
