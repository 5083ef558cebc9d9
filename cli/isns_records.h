/* iSNS discovery records open-iscsi wrote (isns/ADDR,PORT/isns_config): swiscsiadm lists,
 * shows, creates and deletes them so that nothing on disk is out of reach, but runs no iSNS
 * discovery. */
#ifndef SWISCSI_ISNS_RECORDS_H
#define SWISCSI_ISNS_RECORDS_H

#include <stdbool.h>

#include "discovery_db.h"
#include "portal.h"

#define ISNS_DEFAULT_PORT 3205

/* Every iSNS record, sorted by directory name. 0 or -1 (out of memory). */
int isns_list_load(struct discovery_list *out);

/* Prints the record of p as -o show does; "Discovery record [A,P] not found." (6) when there
 * is none. Exit code. */
int isns_show(const struct portal *p);

/* -o new: "New discovery record for [A,P] added." (an existing record is kept as it is);
 * -o delete: the record and the node records linked from its directory. Exit codes. */
int isns_new(const struct portal *p);
int isns_delete(const struct portal *p);

/* What -t isns answers to an operation other than show: that swiscsiadm cannot run iSNS
 * discovery (27). */
int isns_not_implemented(void);

#endif
