/* swiscsiadm: iscsiadm-compatible administration of a userspace iSCSI initiator.
 * Parses the command line once and hands it to the handler of its mode. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "exit_codes.h"
#include "modes.h"
#include "discovery_modes.h"
#include "msg.h"
#include "no_session.h"
#include "node_modes.h"
#include "options.h"
#include "session_ops.h"

static const struct {
	const char *name;
	int (*run)(const struct cli_opts *o);
} modes[] = {
	{ "iface", mode_iface },
	{ "discovery", mode_discovery },
	{ "discoverydb", mode_discoverydb },
	{ "node", mode_node },
	{ "session", mode_session },
	{ "host", mode_host },
	{ "fw", mode_fw },
};

int main(int argc, char **argv)
{
	/* Records hold CHAP secrets: files 0600 and directories 0700, as iscsiadm makes them. */
	umask(077);
	struct cli_opts o;
	if (options_parse(argc, argv, &o) < 0)
		return EXIT_INVAL;
	if (!o.mode) {
		if (o.version) {
			printf("swiscsiadm version %s\n", SWISCSI_VERSION);
			return EXIT_OK;
		}
		if (o.help) {
			options_usage();
			return EXIT_OK;
		}
		/* iscsiadm 2.1.8 says only this */
		msg_try_help();
		return EXIT_INVAL;
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, o.mode) == 0)
			return modes[i].run(&o);
	/* iscsiadm's words for every mode it does not know, its internal number for "none"
	 * included, so that a script matching them keeps working */
	msg_error("mode -1 is not yet supported");
	return EXIT_INVAL;
}
