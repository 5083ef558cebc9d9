/* One SendTargets discovery through one iface: the connection bound as the iface says, the
 * discovery record's CHAP and limits, and the iface's initiator name (or the default one). */
#ifndef SWISCSI_DISCOVERY_RUN_H
#define SWISCSI_DISCOVERY_RUN_H

#include <swiscsi/swiscsi.h>

#include "record.h"

struct discovery_outcome {
	struct swi_target_list targets;
	char local_address[64];    /* our address on the connection */
	char used_dev[16];         /* the device that holds it: the one the traffic used */
};

/* Returns an exit code; on 0, out->targets holds the answer (free with
 * swi_target_list_free). Problems are printed, naming the iface. */
int discovery_run(const struct record *iface, const struct record *st_config, const char *address,
		  int port, struct discovery_outcome *out);

#endif
