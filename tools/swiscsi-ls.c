/* swiscsi-ls iscsi://host[:port]: the targets a portal offers (SendTargets), their portals, and
 * each target's LUNs with type and size. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tool_common.h"
#include "tool_scsi.h"

static const char USAGE[] = "swiscsi-ls [-h] [-i initiator-name] iscsi://[user[%secret]@]host[:port]";

static void print_size(uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	printf(" Size:%" PRIu64 " (%.1f %s)", bytes, v, units[u]);
}

/* Logs in to one target through the URL's portal and lists its LUNs. */
static int list_luns(struct tool_ctx *t, const char *target)
{
	free(t->url.target);
	t->url.target = strdup(target);
	struct swi_session *s = tool_session(t, 0);
	if (swi_login(s) < 0) {
		char shown[1200]; /* the error names the target as it sent its name */
		name_printable(swi_error(s), shown, sizeof(shown));
		fprintf(stderr, "swiscsi-ls: %s\n", shown);
		int code = swi_error_class(s);
		swi_session_free(s);
		return code ? code : SWI_ERR;
	}
	uint64_t luns[256];
	size_t n = 0;
	int rc = tool_report_luns(s, luns, 256, &n) < 0 ? SWI_ERR : 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct lun_info info = { 0 };
		if (tool_inquiry(s, luns[i], &info) < 0) {
			rc = SWI_ERR;
			break;
		}
		printf("\tLun:%" PRIu64 " Type:%s Vendor:%s Product:%s", luns[i],
		       tool_type_name(info.type), info.vendor, info.product);
		if ((info.type == 0x00 || info.type == 0x0e) && tool_read_capacity(s, luns[i], &info) == 0)
			print_size(info.blocks * info.block_size);
		putchar('\n');
	}
	swi_logout(s);
	swi_session_free(s);
	return rc;
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	int c;
	while ((c = tool_option(argc, argv, "i:h", NULL, USAGE)) != -1)
		if (c == 'i')
			name = optarg;
	if (optind != argc - 1)
		tool_usage(USAGE);
	struct tool_ctx t;
	tool_init(&t, "swiscsi-ls", argv[optind], name);
	struct swi_session *s = tool_session(&t, 1);
	struct swi_target_list list;
	if (swi_login(s) < 0 || swi_sendtargets(s, &list) < 0)
		tool_fail(&t, s);
	swi_logout(s);
	swi_session_free(s);
	int rc = list.n ? 0 : SWI_ERR_NO_OBJS;
	for (size_t i = 0; i < list.n; i++) {
		/* the target's own bytes: escaped, so that no control character reaches a terminal */
		char shown[1200], portal[1200];
		name_printable(list.v[i].name, shown, sizeof(shown));
		for (size_t j = 0; j < list.v[i].nportals; j++) {
			name_printable(list.v[i].portals[j], portal, sizeof(portal));
			printf("Target:%s Portal:%s\n", shown, portal);
		}
		if (!list.v[i].nportals)
			printf("Target:%s\n", shown);
		int lrc = list_luns(&t, list.v[i].name);
		if (lrc && !rc)
			rc = lrc;
	}
	swi_target_list_free(&list);
	tool_done(&t);
	return rc;
}
