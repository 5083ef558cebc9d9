/* stderr output with swiscsiadm's prefix. */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>

void msg_error(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout); /* keep the order of stdout and stderr lines when both go to one place */
	fputs("swiscsiadm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void msg_warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	msg_error("%s", msg);
}
