/* swiscsi-inq [-e 1 -c PAGE] [-x] iscsi://host[:port]/target/lun: standard INQUIRY data, or a
 * vital product data page (0x00 supported pages, 0x80 unit serial number, 0x83 device
 * identification; others in hex; -x: the bytes as they came, for test fixtures). Options as
 * libiscsi's iscsi-inq takes them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_common.h"
#include "tool_scsi.h"

static void hexdump(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x%s", p[i], (i + 1) % 16 == 0 || i + 1 == n ? "\n" : " ");
}

/* SCSI pads ASCII fields with spaces on either side. */
static void trimmed(char *out, size_t outlen, const uint8_t *in, size_t n)
{
	while (n && in[0] == ' ') {
		in++;
		n--;
	}
	while (n && in[n - 1] == ' ')
		n--;
	snprintf(out, outlen, "%.*s", (int)n, (const char *)in);
}

static void standard(const uint8_t *b, size_t n)
{
	char vendor[9], product[17], rev[5];
	trimmed(vendor, sizeof(vendor), b + 8, 8);
	trimmed(product, sizeof(product), b + 16, 16);
	trimmed(rev, sizeof(rev), b + 32, 4);
	printf("Peripheral qualifier: %u\n", b[0] >> 5);
	printf("Peripheral device type: %s (0x%02x)\n", tool_type_name(b[0] & 0x1f), b[0] & 0x1f);
	printf("Removable: %s\n", b[1] & 0x80 ? "yes" : "no");
	printf("Version: 0x%02x\n", b[2]);
	printf("Vendor: %s\nProduct: %s\nRevision: %s\n", vendor, product, rev);
	(void)n;
}

static const char *designator_type(uint8_t t)
{
	static const char *const names[] = { "vendor specific", "T10 vendor ID", "EUI-64", "NAA",
					     "relative target port", "target port group",
					     "logical unit group", "MD5 logical unit", "SCSI name" };
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "reserved";
}

static void device_identification(const uint8_t *b, size_t n)
{
	static const char *const assoc[] = { "logical unit", "target port", "target device", "reserved" };
	size_t end = 4 + ((size_t)b[2] << 8 | b[3]);
	if (end > n)
		end = n;
	for (size_t off = 4; off + 4 <= end;) {
		const uint8_t *d = b + off;
		size_t len = d[3];
		if (off + 4 + len > end)
			break;
		printf("Designator: %s, associated with the %s: ", designator_type(d[1] & 0x0f),
		       assoc[(d[1] >> 4) & 3]);
		if ((d[0] & 0x0f) == 2 || (d[0] & 0x0f) == 3) /* ASCII or UTF-8 */
			printf("%.*s\n", (int)len, (const char *)d + 4);
		else
			hexdump(d + 4, len ? len : 1);
		off += 4 + len;
	}
}

static int vpd(uint8_t page, const uint8_t *b, size_t n)
{
	if (n < 4) {
		fprintf(stderr, "swiscsi-inq: VPD page 0x%02x: the target sent %zu bytes, less than the 4-byte header\n",
			page, n);
		return SWI_ERR;
	}
	size_t len = 4 + ((size_t)b[2] << 8 | b[3]);
	if (len > n)
		len = n;
	printf("VPD page 0x%02x\n", page);
	switch (page) {
	case 0x00:
		for (size_t i = 4; i < len; i++)
			printf("Supported page: 0x%02x\n", b[i]);
		break;
	case 0x80: {
		char serial[256];
		trimmed(serial, sizeof(serial), b + 4, len - 4);
		printf("Unit serial number: %s\n", serial);
		break;
	}
	case 0x83:
		device_identification(b, len);
		break;
	default:
		hexdump(b, len);
	}
	return 0;
}

static const char USAGE[] = "swiscsi-inq [-h] [-i initiator-name] [-e 1 -c PAGE] [-x] iscsi://host[:port]/target/lun";

int main(int argc, char **argv)
{
	const char *name = NULL;
	int evpd = 0, page = 0, raw = 0, c;
	while ((c = tool_option(argc, argv, "i:e:c:xh", NULL, USAGE)) != -1) {
		if (c == 'i')
			name = optarg;
		else if (c == 'e')
			evpd = atoi(optarg);
		else if (c == 'c')
			page = (int)strtol(optarg, NULL, 0);
		else if (c == 'x')
			raw = 1;
	}
	if (optind != argc - 1 || page < 0 || page > 255)
		tool_usage(USAGE);
	struct tool_ctx t;
	tool_init(&t, "swiscsi-inq", argv[optind], name);
	tool_need_lun(&t);
	struct swi_session *s = tool_session(&t, 0);
	if (swi_login(s) < 0)
		tool_fail(&t, s);
	uint8_t cdb[16], buf[1024] = { 0 };
	struct swi_scsi_result r;
	size_t len = swi_cdb_inquiry(cdb, evpd != 0, (uint8_t)page, sizeof(buf));
	int rc = 0;
	if (swi_scsi(s, (uint64_t)t.url.lun, cdb, len, SWI_DIR_READ, buf, sizeof(buf), &r) < 0) {
		fprintf(stderr, "swiscsi-inq: %s\n", swi_error(s));
		rc = swi_error_class(s);
	} else if (r.status != 0) {
		char text[256];
		fprintf(stderr, "swiscsi-inq: INQUIRY: %s\n", swi_status_text(&r, text, sizeof(text)));
		rc = SWI_ERR;
	} else if (raw) {
		hexdump(buf, r.transferred < sizeof(buf) ? r.transferred : sizeof(buf));
	} else if (evpd) {
		/* what arrived, and never past our buffer whatever the target claims */
		rc = vpd((uint8_t)page, buf, r.transferred < sizeof(buf) ? r.transferred : sizeof(buf));
	} else {
		standard(buf, r.transferred < sizeof(buf) ? r.transferred : sizeof(buf));
	}
	swi_logout(s);
	swi_session_free(s);
	tool_done(&t);
	return rc;
}
