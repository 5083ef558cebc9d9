/* swiscsi-multipath -ll: a map as multipath-tools' multipath -ll lays it out, with a session's
 * LUN (SID:0:0:LUN, its iface and portal) where multipath shows a SCSI device. */
#ifndef SWISCSI_MPATH_PRINT_H
#define SWISCSI_MPATH_PRINT_H

#include <stddef.h>
#include <stdio.h>

#include "ctl_proto.h"

void mpath_print_map(FILE *f, const struct ctl_mpath *m, const struct ctl_mpath_path *const *paths,
		     size_t npaths);
/* multipath's size: KiB, MiB, ... with one decimal below 10 ("16M", "1.0G") */
void mpath_print_size(char *buf, size_t len, unsigned long long bytes);

#endif
