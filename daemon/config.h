/* swiscsi's own configuration file: settings that are no node record's business (iscsiadm
 * rejects unknown node keys). ini-style sections, parsed strictly:
 *
 *   # comment
 *   [global]
 *   loop_devices = yes
 *   loop_direct_io = yes
 *   file_mode = 0600
 *   fuse_direct_io = no
 *
 *   path_grouping_policy = multibus       (multipath's policy for every target...)
 *   path_selector = service-time
 *   no_path_retry = 12
 *   failback = immediate
 *   polling_interval = 5
 *
 *   [target iqn.2026-01.example:disk]     (...and for one target: the keys it sets win)
 *   path_grouping_policy = failover
 *
 * Documented in docs/swiscsid.conf.5. */
#ifndef SWISCSID_CONFIG_H
#define SWISCSID_CONFIG_H

#include <stddef.h>

#include "lunfs.h"
#include "mpath_policy.h"

#define SWISCSID_CONF_DEFAULT "/etc/swiscsi/swiscsid.conf"

enum { CONFIG_MAX_TARGETS = 128, CONFIG_TARGET_NAME = 224 /* iSCSI names: 223 bytes */ };

/* One [target NAME] section: the multipath keys it sets (a bit per key), over [global]'s. */
struct config_target {
	char name[CONFIG_TARGET_NAME];
	unsigned set;
	struct mpath_policy mpath;
};

struct swiscsid_config {
	struct lunfs_config lunfs;
	struct mpath_policy mpath;          /* [global]'s, else the defaults */
	struct config_target targets[CONFIG_MAX_TARGETS];
	size_t ntargets;
};

void config_defaults(struct swiscsid_config *c);
/* $SWISCSI_DAEMON_CONF, else SWISCSID_CONF_DEFAULT. */
const char *config_path(void);
/* Parses text (name is used in messages). 0, or -1 with "name:line: what is wrong" in err; on
 * -1 *c holds the defaults. */
int config_parse(const char *text, const char *name, struct swiscsid_config *c, char *err,
		 size_t errlen);
/* The multipath policy for a target: [global]'s, with what its [target] section sets. */
void config_target_policy(const struct swiscsid_config *c, const char *target,
			  struct mpath_policy *out);
/* Reads and parses path; a file that does not exist means the defaults. */
int config_load(const char *path, struct swiscsid_config *c, char *err, size_t errlen);

#endif
