#include "exit_codes.h"
#include "modes.h"
#include "msg.h"
int iface_ping(const struct cli_opts *o, const struct record *iface)
{
	(void)o; (void)iface;
	msg_error("ping: being written");
	return EXIT_OP_NOT_SUPP;
}
