/* Where the database, the initiator name and sysfs are: every path can be moved by the
 * environment so that tests never touch the machine's own. */
#ifndef SWISCSI_DB_PATHS_H
#define SWISCSI_DB_PATHS_H

/* $SWISCSI_DB, else /var/lib/iscsi (the Red Hat layout). */
const char *db_root(void);
/* $SWISCSI_INITIATORNAME_FILE, else /etc/iscsi/initiatorname.iscsi. */
const char *initiatorname_file(void);
/* $SWISCSI_SYSFS, else /sys. */
const char *sysfs_root(void);
/* $SWISCSI_CONF, else /etc/iscsi/iscsid.conf (open-iscsi's own file is valid input). */
const char *iscsid_conf_file(void);

#endif
