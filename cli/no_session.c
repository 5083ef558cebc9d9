#include "no_session.h"

#include <string.h>

#include "exit_codes.h"
#include "msg.h"
#include "session_ops.h"

int mode_host(const struct cli_opts *o)
{
	if (o->print_level > 4) {   /* checked before any host is looked for, as iscsiadm does */
		msg_error("Invalid info level %d. Try 0 - 4.", o->print_level);
		return EXIT_INVAL;
	}
	if (o->print_level == 4)   /* iscsiadm prints them before it looks for hosts */
		session_print_versions();
	msg_error("No iSCSI hosts.");
	return EXIT_NO_OBJS_FOUND;
}

int mode_fw(const struct cli_opts *o)
{
	(void)o;
	msg_error("Could not get list of targets from firmware. (swiscsiadm %s reads no boot "
		  "firmware table)", SWISCSI_VERSION);
	return EXIT_SYSFS_LOOKUP;
}

static bool one_of(const char *v, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(v, *names) == 0)
			return true;
	return false;
}

int login_options_check(const struct cli_opts *o)
{
	static const char *const loginall[] = { "all", "manual", "automatic", "onboot", NULL };
	static const char *const logoutall[] = { "all", "manual", "automatic", NULL };
	if (o->loginall && !one_of(o->loginall, loginall)) {
		msg_error("Invalid loginall option %s.", o->loginall);
		msg_try_help();
		return EXIT_INVAL;
	}
	if (o->logoutall && !one_of(o->logoutall, logoutall)) {
		msg_error("Invalid logoutall option %s.", o->logoutall);
		msg_try_help();
		return EXIT_INVAL;
	}
	/* only the two flags: iscsiadm takes -L with -u, or -l with -U, and looks for records */
	if (o->seen['l'] && o->seen['u']) {
		msg_error("Invalid parameters. Both login and logout passed in");
		return EXIT_INVAL;
	}
	return EXIT_OK;
}
