/* swiscsi-readcap iscsi://host[:port]/target/lun: the LUN's size. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool_common.h"
#include "tool_scsi.h"

int main(int argc, char **argv)
{
	const char *name = NULL;
	int c;
	while ((c = getopt(argc, argv, "i:")) != -1)
		if (c == 'i')
			name = optarg;
	if (optind != argc - 1) {
		fputs("usage: swiscsi-readcap [-i initiator-name] iscsi://host[:port]/target/lun\n", stderr);
		return SWI_ERR_INVAL;
	}
	struct tool_ctx t;
	tool_init(&t, "swiscsi-readcap", argv[optind], name);
	tool_need_lun(&t);
	struct swi_session *s = tool_session(&t, 0);
	if (swi_login(s) < 0)
		tool_fail(&t, s);
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
