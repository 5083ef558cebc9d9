/* swiscsid's one logging call: stderr in the foreground, syslog once daemonised. */
#ifndef SWISCSID_LOG_H
#define SWISCSID_LOG_H

#include <syslog.h>

/* Switches to syslog (ident "swiscsid", facility daemon). Before this, messages go to stderr. */
void log_use_syslog(void);
/* prio is a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, ...). */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
