/* Defaults for new node and discovery records from iscsid.conf, over open-iscsi's compiled-in
 * ones. */
#ifndef SWISCSI_ISCSID_CONF_H
#define SWISCSI_ISCSID_CONF_H

#include "record.h"

/* Initialises r with schema s, then applies the node.* or discovery.* settings of
 * iscsid_conf_file(). A missing file leaves the compiled-in defaults; a damaged one is reported
 * through warn and ignored. Keys the schema does not know (iscsid.*, the other record kind's)
 * are dropped. 0, or -1 (out of memory). */
int iscsid_conf_defaults(struct record *r, const struct schema *s, record_warn_fn warn,
			 void *warn_ctx);

#endif
