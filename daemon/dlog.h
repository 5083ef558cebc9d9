/* swiscsid's one log, for the session side and the LUN side alike: stderr in the foreground
 * (and before dlog_init), with the level as a word ("swiscsid: error: ", "swiscsid: warning: ")
 * or, when stderr is the journal, as journald's "<N>" prefix; syslog (daemon facility) once
 * daemonised. LOG_ERR is for what an application or an administrator must act on (an I/O error
 * it sees, a session that failed), LOG_WARNING for what the daemon worked around. CHAP secrets
 * never reach it: nothing logs a record's values wholesale. */
#ifndef SWISCSID_DLOG_H
#define SWISCSID_DLOG_H

#include <stdbool.h>
#include <syslog.h>

void dlog_init(bool foreground);
void dlog(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
