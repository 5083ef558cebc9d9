/* stderr output with swiscsiadm's prefix. */
#include "msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "exit_codes.h"

const char *msg_program = "swiscsiadm";

void msg_error(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout); /* keep the order of stdout and stderr lines when both go to one place */
	fprintf(stderr, "%s: ", msg_program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void msg_try_help(void)
{
	fflush(stdout);
	fprintf(stderr, "Try `%s --help' for more information.\n", msg_program);
}

void msg_warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	msg_error("%s", msg);
}

int msg_print_record(const struct record *r, enum record_style style)
{
	char *text = record_format(r, style, NULL);
	if (!text) {
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	fputs(text, stdout);
	free(text);
	return EXIT_OK;
}
