/* swiscsid.conf: one table of keys per section kind, one line parser, errors with line numbers. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LINE = 1024, MAX_FILE = 1 << 20 };

enum value_kind { V_BOOL, V_MODE };

struct key {
	const char *name;
	enum value_kind kind;
	size_t offset;          /* into struct swiscsid_config */
};

#define FIELD(f) offsetof(struct swiscsid_config, f)
static const struct key global_keys[] = {
	{ "loop_devices", V_BOOL, FIELD(lunfs.loop_devices) },
	{ "loop_direct_io", V_BOOL, FIELD(lunfs.loop_direct_io) },
	{ "file_mode", V_MODE, FIELD(lunfs.file_mode) },
	{ "fuse_direct_io", V_BOOL, FIELD(lunfs.fuse_direct_io) },
};
enum { NGLOBAL = sizeof(global_keys) / sizeof(global_keys[0]) };

/* multipath's keys, in [global] and in [target NAME] sections, with multipath.conf's names */
typedef int (*policy_parse_fn)(const char *v, struct mpath_policy *p, char *err, size_t errlen);
struct policy_key {
	const char *name;
	policy_parse_fn parse;
	size_t offset, size;    /* the field in struct mpath_policy */
};
#define POLICY(f) offsetof(struct mpath_policy, f), sizeof(((struct mpath_policy *)0)->f)
static const struct policy_key policy_keys[] = {
	{ "path_grouping_policy", mpath_parse_grouping, POLICY(grouping) },
	{ "path_selector", mpath_parse_selector, POLICY(selector) },
	{ "no_path_retry", mpath_parse_no_path_retry, POLICY(no_path_retry) },
	{ "failback", mpath_parse_failback, POLICY(failback) },
	{ "polling_interval", mpath_parse_checker_interval, POLICY(checker_interval) },
};
enum { NPOLICY = sizeof(policy_keys) / sizeof(policy_keys[0]) };

enum section { SEC_NONE, SEC_GLOBAL, SEC_TARGET };

struct parser {
	struct swiscsid_config *c;
	const char *name;
	unsigned line;
	enum section sec;
	bool seen[NGLOBAL];     /* a key given twice is a mistake, not an override */
	unsigned global_policy_set;
	struct config_target *target;   /* the [target] section being read */
	bool global_seen;
	char *err;
	size_t errlen;
};

void config_defaults(struct swiscsid_config *c)
{
	*c = (struct swiscsid_config){
		.lunfs = { .loop_devices = 1, .loop_direct_io = 1, .file_mode = 0600,
			   .fuse_direct_io = 0 },
	};
	mpath_policy_defaults(&c->mpath);
}

void config_target_policy(const struct swiscsid_config *c, const char *target,
			  struct mpath_policy *out)
{
	*out = c->mpath;
	for (size_t t = 0; t < c->ntargets; t++) {
		if (strcmp(c->targets[t].name, target) != 0)
			continue;
		for (size_t k = 0; k < NPOLICY; k++)
			if (c->targets[t].set & 1u << k)
				memcpy((char *)out + policy_keys[k].offset,
				       (const char *)&c->targets[t].mpath + policy_keys[k].offset,
				       policy_keys[k].size);
	}
}

const char *config_path(void)
{
	const char *p = getenv("SWISCSI_DAEMON_CONF");
	return p && *p ? p : SWISCSID_CONF_DEFAULT;
}

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, what);
	return -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int open_target(struct parser *p, const char *name)
{
	struct swiscsid_config *c = p->c;
	if (!*name)
		return fail(p, "[target] needs a target name: [target iqn....]");
	if (strlen(name) >= CONFIG_TARGET_NAME)
		return fail(p, "target name longer than %d bytes", CONFIG_TARGET_NAME - 1);
	for (size_t t = 0; t < c->ntargets; t++)
		if (strcmp(c->targets[t].name, name) == 0)
			return fail(p, "[target %s] appears twice", name);
	if (c->ntargets >= CONFIG_MAX_TARGETS)
		return fail(p, "more than %d [target] sections", CONFIG_MAX_TARGETS);
	p->target = &c->targets[c->ntargets++];
	snprintf(p->target->name, sizeof(p->target->name), "%s", name);
	mpath_policy_defaults(&p->target->mpath);
	p->sec = SEC_TARGET;
	return 0;
}

/* A multipath key into the section being read: 0, -1 with the mistake, 1 when key is none. */
static int set_policy(struct parser *p, const char *key, const char *value)
{
	for (size_t k = 0; k < NPOLICY; k++) {
		if (strcmp(key, policy_keys[k].name) != 0)
			continue;
		unsigned *set = p->sec == SEC_TARGET ? &p->target->set : &p->global_policy_set;
		struct mpath_policy *pol = p->sec == SEC_TARGET ? &p->target->mpath : &p->c->mpath;
		char why[160];
		if (*set & 1u << k)
			return fail(p, "%s is set twice", key);
		*set |= 1u << k;
		if (policy_keys[k].parse(value, pol, why, sizeof(why)) < 0)
			return fail(p, "%s %s", key, why);
		return 0;
	}
	return 1;
}

static int parse_section(struct parser *p, char *s)
{
	char *end = strchr(s, ']');
	if (!end || *trim(end + 1))
		return fail(p, "a section header is [name] alone on its line");
	*end = '\0';
	s = trim(s + 1);
	if (strcmp(s, "global") == 0) {
		if (p->global_seen)
			return fail(p, "[global] appears twice");
		p->global_seen = true;
		p->sec = SEC_GLOBAL;
		return 0;
	}
	if (strncmp(s, "target", 6) == 0 && (s[6] == '\0' || isspace((unsigned char)s[6])))
		return open_target(p, trim(s + 6));
	return fail(p, "unknown section [%s] (known: [global], [target NAME])", s);
}

static int set_value(struct parser *p, const struct key *k, const char *v)
{
	void *field = (char *)p->c + k->offset;
	if (k->kind == V_BOOL) {
		bool yes = !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1");
		bool no = !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0");
		if (!yes && !no)
			return fail(p, "%s takes yes or no, not \"%s\"", k->name, v);
		*(int *)field = yes;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long m = strtoul(v, &end, 8);
	if (!*v || *end || errno || m > 0777 || v[0] == '-')
		return fail(p, "%s takes an octal mode from 0 to 0777, not \"%s\"", k->name, v);
	*(unsigned *)field = (unsigned)m;
	return 0;
}

static int parse_assignment(struct parser *p, char *s)
{
	char *eq = strchr(s, '=');
	if (!eq)
		return fail(p, "expected key = value, a [section] or a # comment");
	*eq = '\0';
	char *key = trim(s), *value = trim(eq + 1);
	if (p->sec == SEC_NONE)
		return fail(p, "%s is outside any section (settings go under [global])", key);
	int rc = set_policy(p, key, value);
	if (rc <= 0)
		return rc;
	if (p->sec == SEC_TARGET)
		return fail(p, "unknown key %s in a [target] section (multipath's keys only)", key);
	for (size_t i = 0; i < NGLOBAL; i++) {
		if (strcmp(key, global_keys[i].name) != 0)
			continue;
		if (p->seen[i])
			return fail(p, "%s is set twice", key);
		p->seen[i] = true;
		return set_value(p, &global_keys[i], value);
	}
	return fail(p, "unknown key %s in [global]", key);
}

static int parse_line(struct parser *p, char *line)
{
	char *s = trim(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(p, s);
	return parse_assignment(p, s);
}

int config_parse(const char *text, const char *name, struct swiscsid_config *c, char *err,
		 size_t errlen)
{
	struct parser p = { .c = c, .name = name, .err = err, .errlen = errlen };
	config_defaults(c);
	for (const char *at = text; *at;) {
		const char *nl = strchr(at, '\n');
		size_t n = nl ? (size_t)(nl - at) : strlen(at);
		char line[MAX_LINE];
		p.line++;
		if (n >= sizeof(line)) {
			config_defaults(c);
			return fail(&p, "line longer than %d bytes", MAX_LINE - 1);
		}
		memcpy(line, at, n);
		line[n] = '\0';
		if (parse_line(&p, line) < 0) {
			config_defaults(c);
			return -1;
		}
		at += n + (nl ? 1 : 0);
	}
	return 0;
}

int config_load(const char *path, struct swiscsid_config *c, char *err, size_t errlen)
{
	config_defaults(c);
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = malloc(MAX_FILE + 1);
	size_t n = text ? fread(text, 1, MAX_FILE + 1, f) : 0;
	int rc = -1;
	if (!text)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (ferror(f))
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (n > MAX_FILE)
		snprintf(err, errlen, "%s: larger than %d bytes", path, MAX_FILE);
	else if (memchr(text, '\0', n))
		snprintf(err, errlen, "%s: contains a NUL byte", path);
	else {
		text[n] = '\0';
		rc = config_parse(text, path, c, err, errlen);
	}
	free(text);
	fclose(f);
	return rc;
}
