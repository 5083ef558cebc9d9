/* The daemon's log (dlog.h): one line a message. In the foreground the level goes with it:
 * as journald's "<N>" prefix when stderr is the journal (the systemd unit: the journal keeps the
 * level and strips the prefix), else as a word a person reads, "swiscsid: error: ..." and
 * "swiscsid: warning: ...", nothing before the less urgent ones. */
#include "dlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static bool to_stderr = true;
static bool to_journal;

/* systemd sets JOURNAL_STREAM to "device:inode" of the stream it connected stderr to; a
 * stderr redirected since (by a wrapper, a test) is not the journal. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void dlog_init(bool foreground)
{
	to_stderr = foreground;
	to_journal = foreground && stderr_is_journal();
	if (!foreground)
		openlog("swiscsid", LOG_PID, LOG_DAEMON);
}

static const char *level_word(int priority)
{
	int level = LOG_PRI(priority);
	return level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "";
}

void dlog(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (to_stderr) {
		if (to_journal)
			fprintf(stderr, "<%d>swiscsid: ", LOG_PRI(priority));
		else
			fprintf(stderr, "swiscsid: %s", level_word(priority));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(priority, fmt, ap);
	}
	va_end(ap);
}
