/* LUN identity from VPD pages 0x83 and 0x80 (SPC-4 7.8.6, 7.8.16), ranked as udev's scsi_id
 * ranks them so that our by-id names are the ones the kernel initiator's disks get. */
#include "mpath_id.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { DESIG_EUI64 = 2, DESIG_NAA = 3, DESIG_SCSI_NAME = 8 };
enum { CODE_BINARY = 1, CODE_UTF8 = 3 };
enum { ASSOC_LUN = 0 };
enum { RANK_NONE = 100 };

/* Lower is better: NAA by its format (IEEE registered extended, registered, extended, then
 * locally assigned and the rest), then EUI-64, then a SCSI name string. */
static int rank(const uint8_t *d, size_t len)
{
	unsigned type = d[1] & 0x0f, code = d[0] & 0x0f;
	if (((d[1] >> 4) & 3) != ASSOC_LUN || len == 0)
		return RANK_NONE;
	if (type == DESIG_NAA && code == CODE_BINARY) {
		static const int by_format[16] = { [6] = 1, [5] = 2, [2] = 3, [3] = 4 };
		int r = by_format[d[4] >> 4];
		return r ? r : 5;
	}
	if (type == DESIG_EUI64 && code == CODE_BINARY)
		return 6;
	if (type == DESIG_SCSI_NAME && code == CODE_UTF8)
		return 7;
	return RANK_NONE;
}

static void hex(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	size_t at = 0;
	for (size_t i = 0; i < n && at + 3 <= outlen; i++)
		at += (size_t)snprintf(out + at, outlen - at, "%02x", p[i]);
}

/* udev's by-id names: runs of blanks become one '_' (none at either end), and what is not a
 * letter, digit or one of #+-.:=@_ becomes '_' too. */
static void udev_clean(char *out, size_t outlen, const char *in, size_t n)
{
	size_t at = 0;
	bool blank = false;
	for (size_t i = 0; i < n && in[i] && at + 2 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];
		if (isspace(c)) {
			blank = at > 0;
			continue;
		}
		if (blank)
			out[at++] = '_';
		blank = false;
		out[at++] = isalnum(c) || strchr("#+-.:=@_", c) ? (char)c : '_';
	}
	out[at] = '\0';
}

/* The best designator of the logical unit in page 0x83, or NULL. */
static const uint8_t *best_designator(const uint8_t *p, size_t n, int *best_rank)
{
	const uint8_t *best = NULL;
	*best_rank = RANK_NONE;
	if (!p || n < 4 || p[1] != 0x83)
		return NULL;
	size_t end = 4 + ((size_t)p[2] << 8 | p[3]);
	if (end > n)
		end = n;
	for (size_t off = 4; off + 4 <= end;) {
		const uint8_t *d = p + off;
		size_t len = d[3];
		if (off + 4 + len > end)
			break;
		int r = rank(d, len);
		if (r < *best_rank) {
			*best_rank = r;
			best = d;
		}
		off += 4 + len;
	}
	return best;
}

static int from_designator(const uint8_t *d, struct mpath_id *out)
{
	unsigned type = d[1] & 0x0f;
	size_t len = d[3];
	char value[MPATH_ID_MAX - 1];
	if (type == DESIG_SCSI_NAME)
		udev_clean(value, sizeof(value), (const char *)d + 4, len);
	else
		hex(value, sizeof(value), d + 4, len);
	if (!value[0])
		return -1;
	snprintf(out->wwid, sizeof(out->wwid), "%c%s", type == DESIG_NAA ? '3' :
		 type == DESIG_EUI64 ? '2' : '8', value);
	if (type == DESIG_NAA)
		snprintf(out->name, sizeof(out->name), "wwn-0x%s", value);
	else
		snprintf(out->name, sizeof(out->name), "scsi-%s", out->wwid);
	return 0;
}

/* "S" + vendor (8 columns) + product (16 columns) + serial, cleaned as udev cleans it. */
static int from_serial(const uint8_t *p, size_t n, const char *vendor, const char *product,
		       struct mpath_id *out)
{
	if (!p || n < 4 || p[1] != 0x80)
		return -1;
	size_t len = (size_t)p[2] << 8 | p[3];
	if (len > n - 4)
		len = n - 4;
	char raw[8 + 16 + 256 + 1];
	if (len > 256)
		len = 256;
	snprintf(raw, sizeof(raw), "%-8.8s%-16.16s%.*s", vendor ? vendor : "",
		 product ? product : "", (int)len, (const char *)p + 4);
	char serial[sizeof(raw)];
	udev_clean(serial, sizeof(serial), (const char *)p + 4, len);
	if (!serial[0])
		return -1;                /* a blank serial identifies nothing */
	char clean[sizeof(raw)];
	udev_clean(clean, sizeof(clean), raw, strlen(raw));
	/* a WWID longer than MPATH_ID_MAX is cut, as any name of ours is */
	snprintf(out->wwid, sizeof(out->wwid), "S%.*s", (int)sizeof(out->wwid) - 2, clean);
	snprintf(out->name, sizeof(out->name), "scsi-%s", out->wwid);
	return 0;
}

int mpath_id_from_vpd(const uint8_t *p83, size_t n83, const uint8_t *p80, size_t n80,
		      const char *vendor, const char *product, struct mpath_id *out)
{
	int r;
	const uint8_t *d = best_designator(p83, n83, &r);
	*out = (struct mpath_id){ 0 };
	if (d && from_designator(d, out) == 0)
		return 0;
	*out = (struct mpath_id){ 0 };
	return from_serial(p80, n80, vendor, product, out);
}
