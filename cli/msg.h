/* How swiscsiadm talks to people: results on stdout without prefix, problems on stderr as
 * "swiscsiadm: <message>" (iscsiadm's shape). */
#ifndef SWISCSI_MSG_H
#define SWISCSI_MSG_H

void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* record_warn_fn for the record library: prints msg as a problem line. */
void msg_warn_cb(void *ctx, const char *msg);

#endif
