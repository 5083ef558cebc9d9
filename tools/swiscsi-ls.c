/* swiscsi-ls iscsi://host[:port]: the targets a portal offers (SendTargets) and their portals. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool_common.h"

static void usage(void)
{
	fputs("usage: swiscsi-ls [-i initiator-name] iscsi://[user[%secret]@]host[:port]\n", stderr);
	exit(SWI_ERR_INVAL);
}

int main(int argc, char **argv)
{
	const char *name = NULL;
	int c;
	while ((c = getopt(argc, argv, "i:h")) != -1) {
		if (c == 'i')
			name = optarg;
		else
			usage();
	}
	if (optind != argc - 1)
		usage();
	struct tool_ctx t;
	tool_init(&t, "swiscsi-ls", argv[optind], name);
	struct swi_session *s = tool_session(&t, 1);
	struct swi_target_list list;
	if (swi_login(s) < 0 || swi_sendtargets(s, &list) < 0)
		tool_fail(&t, s);
	for (size_t i = 0; i < list.n; i++) {
		for (size_t j = 0; j < list.v[i].nportals; j++)
			printf("Target:%s Portal:%s\n", list.v[i].name, list.v[i].portals[j]);
		if (!list.v[i].nportals)
			printf("Target:%s\n", list.v[i].name);
	}
	size_t found = list.n;
	swi_target_list_free(&list);
	if (swi_logout(s) < 0)
		tool_fail(&t, s);
	swi_session_free(s);
	tool_done(&t);
	return found ? 0 : SWI_ERR_NO_OBJS;
}
