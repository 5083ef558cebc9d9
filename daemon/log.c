/* Messages of the daemon: one line each, to stderr or syslog. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static bool use_syslog;

void log_use_syslog(void)
{
	openlog("swiscsid", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = true;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		static const char *const level[] = { "emergency", "alert", "critical", "error",
						     "warning", "notice", "info", "debug" };
		fprintf(stderr, "swiscsid: %s: ", level[LOG_PRI(prio)]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
