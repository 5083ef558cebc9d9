/* What swiscsiadm answers, in iscsiadm's words, where the answer needs a session or an iSCSI
 * host that swiscsi does not have: kernel iSCSI hosts and boot firmware tables. */
#ifndef SWISCSI_NO_SESSION_H
#define SWISCSI_NO_SESSION_H

#include "options.h"

/* -m host: "No iSCSI hosts." (21); swiscsi has no kernel hosts, and its sessions will not
 * make any. */
int mode_host(const struct cli_opts *o);

/* -m fw (and -m discovery -t fw; o may be NULL): "Could not get list of targets from
 * firmware." (22): swiscsiadm reads no boot firmware tables (iBFT). */
int mode_fw(const struct cli_opts *o);

/* The checks iscsiadm makes on -l/-u/-L/-U before it looks for sessions: -l with -u, and the
 * -L/-U values. Prints iscsiadm's message and returns 7, else 0. */
int login_options_check(const struct cli_opts *o);

#endif
