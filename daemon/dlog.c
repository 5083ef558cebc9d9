/* The daemon's log (dlog.h): one line a message, "swiscsid: " then the text on stderr. */
#include "dlog.h"

#include <stdarg.h>
#include <stdio.h>

static bool to_stderr = true;

void dlog_init(bool foreground)
{
	to_stderr = foreground;
	if (!foreground)
		openlog("swiscsid", LOG_PID, LOG_DAEMON);
}

void dlog(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (to_stderr) {
		fputs("swiscsid: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(priority, fmt, ap);
	}
	va_end(ap);
}
