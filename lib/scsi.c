/* SCSI apart from iSCSI: CDB builders (SBC-3/SPC-4 layouts) and sense decoding into text. */
#include <stdio.h>
#include <string.h>

#include "swiscsi/swiscsi.h"

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

enum {
	TEST_UNIT_READY = 0x00,
	INQUIRY = 0x12,
	READ_CAPACITY_10 = 0x25,
	READ_10 = 0x28,
	WRITE_10 = 0x2a,
	SYNCHRONIZE_CACHE_10 = 0x35,
	READ_16 = 0x88,
	WRITE_16 = 0x8a,
	SYNCHRONIZE_CACHE_16 = 0x91,
	SERVICE_ACTION_IN_16 = 0x9e,
	SAI_READ_CAPACITY_16 = 0x10,
	REPORT_LUNS = 0xa0,
};

size_t swi_cdb_test_unit_ready(uint8_t cdb[16])
{
	memset(cdb, 0, 16);
	cdb[0] = TEST_UNIT_READY;
	return 6;
}

size_t swi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc_len)
{
	memset(cdb, 0, 16);
	cdb[0] = INQUIRY;
	cdb[1] = evpd ? 1 : 0;
	cdb[2] = evpd ? page : 0;
	put16(cdb + 3, alloc_len);
	return 6;
}

size_t swi_cdb_report_luns(uint8_t cdb[16], uint32_t alloc_len)
{
	memset(cdb, 0, 16);
	cdb[0] = REPORT_LUNS;
	put32(cdb + 6, alloc_len);
	return 12;
}

size_t swi_cdb_read_capacity10(uint8_t cdb[16])
{
	memset(cdb, 0, 16);
	cdb[0] = READ_CAPACITY_10;
	return 10;
}

size_t swi_cdb_read_capacity16(uint8_t cdb[16], uint32_t alloc_len)
{
	memset(cdb, 0, 16);
	cdb[0] = SERVICE_ACTION_IN_16;
	cdb[1] = SAI_READ_CAPACITY_16;
	put32(cdb + 10, alloc_len);
	return 16;
}

size_t swi_cdb_rw(uint8_t cdb[16], bool write, uint64_t lba, uint32_t blocks, bool use16)
{
	memset(cdb, 0, 16);
	if (!use16 && lba <= 0xffffffffu && blocks <= 0xffff) {
		cdb[0] = write ? WRITE_10 : READ_10;
		put32(cdb + 2, (uint32_t)lba);
		put16(cdb + 7, blocks);
		return 10;
	}
	cdb[0] = write ? WRITE_16 : READ_16;
	put64(cdb + 2, lba);
	put32(cdb + 10, blocks);
	return 16;
}

size_t swi_cdb_sync_cache(uint8_t cdb[16], bool use16)
{
	memset(cdb, 0, 16);
	cdb[0] = use16 ? SYNCHRONIZE_CACHE_16 : SYNCHRONIZE_CACHE_10;
	return use16 ? 16 : 10;
}

static const char *const sense_keys[16] = {
	"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR", "HARDWARE ERROR",
	"ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT", "BLANK CHECK", "VENDOR SPECIFIC",
	"COPY ABORTED", "ABORTED COMMAND", "RESERVED", "VOLUME OVERFLOW", "MISCOMPARE", "COMPLETED",
};

/* The additional sense codes administrators meet most (SPC-4 Annex D). */
static const struct {
	uint8_t asc, ascq;
	const char *text;
} ascs[] = {
	{ 0x04, 0x00, "LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE" },
	{ 0x04, 0x01, "LOGICAL UNIT IS IN PROCESS OF BECOMING READY" },
	{ 0x04, 0x02, "LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED" },
	{ 0x11, 0x00, "UNRECOVERED READ ERROR" },
	{ 0x1a, 0x00, "PARAMETER LIST LENGTH ERROR" },
	{ 0x20, 0x00, "INVALID COMMAND OPERATION CODE" },
	{ 0x21, 0x00, "LOGICAL BLOCK ADDRESS OUT OF RANGE" },
	{ 0x24, 0x00, "INVALID FIELD IN CDB" },
	{ 0x25, 0x00, "LOGICAL UNIT NOT SUPPORTED" },
	{ 0x26, 0x00, "INVALID FIELD IN PARAMETER LIST" },
	{ 0x27, 0x00, "WRITE PROTECTED" },
	{ 0x28, 0x00, "NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED" },
	{ 0x29, 0x00, "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED" },
	{ 0x2a, 0x01, "MODE PARAMETERS CHANGED" },
	{ 0x2a, 0x09, "CAPACITY DATA HAS CHANGED" },
	{ 0x3a, 0x00, "MEDIUM NOT PRESENT" },
	{ 0x3f, 0x0e, "REPORTED LUNS DATA HAS CHANGED" },
	{ 0x44, 0x00, "INTERNAL TARGET FAILURE" },
};

const char *swi_sense_text(const struct swi_scsi_result *r, char *buf, size_t len)
{
	if (r->sense_len < 3) {
		snprintf(buf, len, "no sense data");
		return buf;
	}
	const uint8_t *s = r->sense;
	uint8_t code = s[0] & 0x7f, key, asc = 0, ascq = 0;
	if (code == 0x72 || code == 0x73) { /* descriptor format */
		key = s[1] & 0x0f;
		asc = s[2];
		ascq = r->sense_len > 3 ? s[3] : 0;
	} else { /* fixed format */
		key = s[2] & 0x0f;
		if (r->sense_len > 13) {
			asc = s[12];
			ascq = s[13];
		}
	}
	const char *text = NULL;
	for (size_t i = 0; i < sizeof(ascs) / sizeof(ascs[0]); i++)
		if (ascs[i].asc == asc && ascs[i].ascq == ascq)
			text = ascs[i].text;
	snprintf(buf, len, "%s: %s (asc 0x%02x, ascq 0x%02x)", sense_keys[key],
		 text ? text : "additional sense code not known here", asc, ascq);
	return buf;
}

const char *swi_status_text(const struct swi_scsi_result *r, char *buf, size_t len)
{
	switch (r->status) {
	case 0x00:
		snprintf(buf, len, "GOOD");
		break;
	case 0x02: {
		char sense[200];
		snprintf(buf, len, "CHECK CONDITION, %s", swi_sense_text(r, sense, sizeof(sense)));
		break;
	}
	case 0x08:
		snprintf(buf, len, "BUSY");
		break;
	case 0x18:
		snprintf(buf, len, "RESERVATION CONFLICT");
		break;
	case 0x28:
		snprintf(buf, len, "TASK SET FULL");
		break;
	default:
		snprintf(buf, len, "SCSI status 0x%02x", r->status);
	}
	return buf;
}
