/* Shared plumbing of the swiscsi-* tools. */
#include "tool_common.h"

#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_paths.h"
#include "initiator_name.h"

#define DEFAULT_INITIATOR "iqn.2026-11.org.swiscsi:tools"

void tool_init(struct tool_ctx *t, const char *prog, const char *url, const char *name)
{
	char err[512] = "";
	memset(t, 0, sizeof(*t));
	t->prog = prog;
	if (swi_url_parse(url, &t->url, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit(SWI_ERR_INVAL);
	}
	if (name) {
		snprintf(t->initiator, sizeof(t->initiator), "%s", name);
	} else if (initiator_name_read(initiatorname_file(), t->initiator, sizeof(t->initiator), err,
				       sizeof(err)) < 0) {
		snprintf(t->initiator, sizeof(t->initiator), "%s", DEFAULT_INITIATOR);
	}
}

/* A number from the environment, or fallback when unset or empty. */
static int env_int(const char *name, int fallback)
{
	const char *v = getenv(name);
	return v && v[0] ? atoi(v) : fallback;
}

/* Secrets from the environment keep them out of `ps`; the URL wins when it has them. */
static const char *pick(const char *from_url, const char *env)
{
	const char *v = getenv(env);
	return from_url ? from_url : (v && v[0] ? v : NULL);
}

/* Each step of a recovery goes to stderr: an outage the copy rides through is still news. */
static void say_state(struct swi_session *s, enum swi_state st, const char *cause, void *arg)
{
	(void)s;
	const struct tool_ctx *t = arg;
	fprintf(stderr, "%s: %s (connection %s)\n", t->prog, cause, swi_state_conn_name(st));
}

struct swi_session *tool_session(struct tool_ctx *t, int for_discovery)
{
	struct swi_options o = {
		.initiator_name = t->initiator,
		.portal = t->url.portal,
		.target_name = for_discovery ? NULL : t->url.target,
		.chap_user = pick(t->url.user, "SWISCSI_CHAP_USERNAME"),
		.chap_secret = pick(t->url.secret, "SWISCSI_CHAP_PASSWORD"),
		.chap_target_user = pick(t->url.target_user, "SWISCSI_CHAP_TARGET_USERNAME"),
		.chap_target_secret = pick(t->url.target_secret, "SWISCSI_CHAP_TARGET_PASSWORD"),
		.chap_algs = t->url.chap_algs,
		.header_digest = t->url.header_digest,
		.data_digest = t->url.data_digest,
		.initial_r2t = -1,
		.immediate_data = -1,
		/* a shorter bound for scripts and tests that must not wait the default 15 s */
		.timeout_ms = env_int("SWISCSI_TIMEOUT_MS", 0),
		.noop_interval_ms = env_int("SWISCSI_NOOP_INTERVAL_MS", 0),
		.noop_timeout_ms = env_int("SWISCSI_NOOP_TIMEOUT_MS", 0),
		/* ride through a target restart, a path flap or a target's logout request the way
		 * open-iscsi does (node.session.timeo.replacement_timeout = 120); 0 turns it off */
		.replacement_timeout_ms = env_int("SWISCSI_REPLACEMENT_TIMEOUT_MS", 120000),
		.scsi_retries = env_int("SWISCSI_SCSI_RETRIES", 8),
		.scsi_retry_delay_ms = env_int("SWISCSI_SCSI_RETRY_DELAY_MS", 0),
	};
	const char *err = NULL;
	struct swi_session *s = swi_session_new(&o, &err);
	if (!s) {
		fprintf(stderr, "%s: %s\n", t->prog, err ? err : "out of memory");
		tool_done(t);
		exit(err ? SWI_ERR_INVAL : SWI_ERR_NOMEM);
	}
	swi_session_on_state(s, say_state, t);
	return s;
}

_Noreturn void tool_fail(struct tool_ctx *t, struct swi_session *s)
{
	fprintf(stderr, "%s: %s\n", t->prog, swi_error(s));
	int code = swi_error_class(s);
	swi_session_free(s);
	tool_done(t);
	exit(code ? code : SWI_ERR);
}

void tool_done(struct tool_ctx *t)
{
	swi_url_free(&t->url);
}

void tool_need_lun(struct tool_ctx *t)
{
	if (t->url.target && t->url.lun >= 0)
		return;
	fprintf(stderr, "%s: the URL must name a target and a LUN: iscsi://host[:port]/target/lun\n",
		t->prog);
	tool_done(t);
	exit(SWI_ERR_INVAL);
}

int tool_wait(struct swi_session *s)
{
	struct pollfd p = { .fd = swi_fd(s), .events = swi_events(s) };
	int timeout = swi_timeout_ms(s);
	/* no timer pending: the socket alone can move things; wake now and then all the same */
	int n = poll(&p, 1, timeout < 0 ? 1000 : timeout);
	return swi_service(s, n > 0 ? p.revents : 0);
}

void tool_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(SWI_ERR_INVAL);
}

int tool_option(int argc, char **argv, const char *opts, const struct option *longs,
		const char *usage)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	int c = getopt_long(argc, argv, opts, longs ? longs : none, NULL);
	if (c == 'h' || c == '?' || c == ':')  /* getopt has named a bad option on stderr */
		tool_usage(usage);
	return c;
}
