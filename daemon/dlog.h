/* swiscsid's one log, for the session side and the LUN side alike: stderr in the foreground
 * (and before dlog_init), syslog (daemon facility) once daemonised. CHAP secrets never reach
 * it: nothing logs a record's values wholesale. */
#ifndef SWISCSID_DLOG_H
#define SWISCSID_DLOG_H

#include <stdbool.h>
#include <syslog.h>

void dlog_init(bool foreground);
void dlog(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
