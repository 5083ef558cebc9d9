/* The database lock as every swiscsiadm command takes it: a failure is reported once, here. */
#ifndef SWISCSI_CLI_LOCK_H
#define SWISCSI_CLI_LOCK_H

/* The lock's descriptor for db_unlock, or -1 after printing why it could not be taken. */
int cli_lock(void);

#endif
