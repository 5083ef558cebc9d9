/* The handlers behind `-m MODE` and the pieces of the iface mode. Each returns an exit code. */
#ifndef SWISCSI_MODES_H
#define SWISCSI_MODES_H

#include "iface_db.h"
#include "options.h"
#include "record.h"

int mode_iface(const struct cli_opts *o);

/* iface mode operations (iface_ops.c) */
int iface_op_new(const struct cli_opts *o);
int iface_op_delete(const struct cli_opts *o);
int iface_op_update(const struct cli_opts *o);
/* -o apply / applyall (iface_apply.c) */
int iface_op_apply(const struct cli_opts *o);
int iface_op_applyall(const struct cli_opts *o);
/* -C ping: the binding preflight (iface_ping.c). iface is the loaded record of -I. */
int iface_ping(const struct cli_opts *o, const struct record *iface);
/* -C ping's own options (-a, -b, -c, -i), which iscsiadm checks before it reads the iface:
 * 0, or 7 after iscsiadm's message. */
int iface_ping_check_options(const struct cli_opts *o);

/* Every iface, with the offload ports found in sysfs added to the database first (a port's
 * record is written once, never overwritten). Returns an exit code; out is filled on 0. */
int iface_collect(struct iface_set *out);
/* Loads one iface (creating a detected offload port's record when it has none yet). Prints
 * "Could not read iface info for NAME." or the parse error and returns its exit code (6) when
 * the iface cannot be had. */
int iface_get(const char *name, struct record *out);
/* iface_get without the message for an iface that does not exist (the caller has its own). */
int iface_get_quiet(const char *name, struct record *out);
/* iface_get for the commands iscsiadm sends to the HBA (-o apply, -C ping): there it says
 * "Could not read iface NAME (6)." for an iface that does not exist. */
int iface_get_for_hba(const char *name, struct record *out);

#endif
