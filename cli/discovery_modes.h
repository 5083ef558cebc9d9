/* -m discovery and -m discoverydb (mode_discovery.c), and the discovery run itself
 * (discovery_perform.c). */
#ifndef SWISCSI_DISCOVERY_MODES_H
#define SWISCSI_DISCOVERY_MODES_H

#include "options.h"
#include "portal.h"
#include "record.h"

int mode_discovery(const struct cli_opts *o);
int mode_discoverydb(const struct cli_opts *o);

/* Which of the node records a discovery touches (-o, OR-ed; none given = new + update, which
 * keeps the settings users changed on existing records). */
enum discovery_ops {
	DOP_NEW = 1,
	DOP_UPDATE = 2,
	DOP_DELETE = 4,
	DOP_NONPERSISTENT = 8,
};

/* SendTargets discovery of p through the -I ifaces (or every software iface, or default), with
 * st_config's settings; prints the results at print level `level`. Exit code. */
int discovery_perform(const struct cli_opts *o, const struct portal *p, struct record *st_config,
		      unsigned ops, int level);

#endif
