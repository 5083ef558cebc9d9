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
 *   [target iqn.2026-01.example:disk]     (per-target sections: reserved, no keys yet)
 *
 * Documented in docs/swiscsid.conf.5. */
#ifndef SWISCSID_CONFIG_H
#define SWISCSID_CONFIG_H

#include <stddef.h>

#include "lunfs.h"

#define SWISCSID_CONF_DEFAULT "/etc/swiscsi/swiscsid.conf"

struct swiscsid_config {
	struct lunfs_config lunfs;
};

void config_defaults(struct swiscsid_config *c);
/* $SWISCSI_DAEMON_CONF, else SWISCSID_CONF_DEFAULT. */
const char *config_path(void);
/* Parses text (name is used in messages). 0, or -1 with "name:line: what is wrong" in err; on
 * -1 *c holds the defaults. */
int config_parse(const char *text, const char *name, struct swiscsid_config *c, char *err,
		 size_t errlen);
/* Reads and parses path; a file that does not exist means the defaults. */
int config_load(const char *path, struct swiscsid_config *c, char *err, size_t errlen);

#endif
