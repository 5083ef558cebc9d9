/* Paths of the files swiscsi reads and writes, with their environment overrides. */
#include "db_paths.h"

#include <stdlib.h>

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && v[0] ? v : fallback;
}

const char *db_root(void)
{
	return env_or("SWISCSI_DB", "/var/lib/iscsi");
}

const char *initiatorname_file(void)
{
	return env_or("SWISCSI_INITIATORNAME_FILE", "/etc/iscsi/initiatorname.iscsi");
}

const char *sysfs_root(void)
{
	return env_or("SWISCSI_SYSFS", "/sys");
}

const char *iscsid_conf_file(void)
{
	return env_or("SWISCSI_CONF", "/etc/iscsi/iscsid.conf");
}
