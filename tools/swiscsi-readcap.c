/* swiscsi-readcap iscsi://host[:port]/target/lun: the LUN's size. */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool_common.h"
#include "tool_scsi.h"

static const char USAGE[] = "swiscsi-readcap [-h] [-n] [-i initiator-name] iscsi://host[:port]/target/lun";

int main(int argc, char **argv)
{
	const char *name = NULL;
	bool show_negotiated = false;
	int c;
	while ((c = tool_option(argc, argv, "i:nh", NULL, USAGE)) != -1) {
		if (c == 'i')
			name = optarg;
		else if (c == 'n')
			show_negotiated = true;
	}
	if (optind != argc - 1)
		tool_usage(USAGE);
	struct tool_ctx t;
	tool_init(&t, "swiscsi-readcap", argv[optind], name);
	tool_need_lun(&t);
	struct swi_session *s = tool_session(&t, 0);
	if (swi_login(s) < 0)
		tool_fail(&t, s);
	struct swi_negotiated n;
	if (show_negotiated && swi_negotiated(s, &n) == 0)
		printf("HeaderDigest: %s\nDataDigest: %s\nMaxRecvDataSegmentLength: %u\n"
		       "MaxXmitDataSegmentLength: %u\nFirstBurstLength: %u\nMaxBurstLength: %u\n"
		       "ImmediateData: %s\nInitialR2T: %s\nMaxOutstandingR2T: %u\nCHAP: %s\n",
		       n.header_digest ? "CRC32C" : "None", n.data_digest ? "CRC32C" : "None",
		       n.max_recv_data_segment_length, n.max_xmit_data_segment_length,
		       n.first_burst_length, n.max_burst_length, n.immediate_data ? "Yes" : "No",
		       n.initial_r2t ? "Yes" : "No", n.max_outstanding_r2t,
		       n.chap_alg[0] ? n.chap_alg : "None");
	struct lun_info info;
	int rc = tool_read_capacity(s, (uint64_t)t.url.lun, &info);
	if (rc == 0)
		printf("Blocks: %" PRIu64 "\nBlock size: %u\nBytes: %" PRIu64 "\n", info.blocks,
		       info.block_size, info.blocks * info.block_size);
	swi_logout(s);
	swi_session_free(s);
	tool_done(&t);
	return rc == 0 ? 0 : SWI_ERR;
}
