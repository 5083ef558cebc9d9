/* What the swiscsi-* tools share: a session from a URL, secrets from the environment, the
 * initiator name, and iscsiadm-style exit codes. */
#ifndef SWISCSI_TOOL_COMMON_H
#define SWISCSI_TOOL_COMMON_H

#include "swiscsi/swiscsi.h"

struct tool_ctx {
	const char *prog;
	struct swi_url url;
	char initiator[256];
};

/* Parses url (exits 7 with a message when invalid) and picks the initiator name: the -i
 * option (name may be NULL), else the initiator name file, else a fixed default. */
void tool_init(struct tool_ctx *t, const char *prog, const char *url, const char *name);
/* A session to the URL's portal: a discovery session when for_discovery, else a normal one to
 * the URL's target. Secrets come from the URL or SWISCSI_CHAP_* variables. Exits on error. */
struct swi_session *tool_session(struct tool_ctx *t, int for_discovery);
/* Prints "<prog>: <swi_error>" and exits with the session's error class. */
_Noreturn void tool_fail(struct tool_ctx *t, struct swi_session *s);
void tool_done(struct tool_ctx *t);
/* Exits 7 unless the URL names a target and a LUN. */
void tool_need_lun(struct tool_ctx *t);

/* The next option, as getopt_long(3) with longs (may be NULL). -h, an unknown option and a
 * missing argument print "usage: <usage>" and exit 7, alike in every tool. */
struct option;
int tool_option(int argc, char **argv, const char *opts, const struct option *longs,
		const char *usage);
/* Prints "usage: <usage>" on stderr and exits 7 (a bad command line, as iscsiadm). */
_Noreturn void tool_usage(const char *usage);

/* Waits for the session's socket or its next timer (a command deadline, a keepalive), whichever
 * comes first, and lets the library handle it. Returns what swi_service returns. */
int tool_wait(struct swi_session *s);

#endif
