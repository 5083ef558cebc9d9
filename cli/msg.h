/* How swiscsiadm talks to people: results on stdout without prefix, problems on stderr as
 * "swiscsiadm: <message>" (iscsiadm's shape). */
#ifndef SWISCSI_MSG_H
#define SWISCSI_MSG_H

#include "record.h"

/* The prefix of problem lines: "swiscsiadm" unless a program sharing this code sets its own. */
extern const char *msg_program;

void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The hint after a command line that cannot be run: "Try `swiscsiadm --help' for more
 * information." on stderr, without the prefix, as iscsiadm prints it. */
void msg_try_help(void);
/* Prints a record for people (-I, -o show) on stdout. Returns an exit code: 0, or 3 after
 * "Out of memory". */
int msg_print_record(const struct record *r, enum record_style style);
/* record_warn_fn for the record library: prints msg as a problem line. */
void msg_warn_cb(void *ctx, const char *msg);

#endif
