/* Tolerant reader of open-iscsi's record text format.
 *
 * open-iscsi's own readers disagree with each other (one rejects "key=value", one aborts a whole
 * listing on an unknown key); this one accepts the superset and refuses only text that cannot
 * be a record, so a single damaged file is reported and skipped instead of hiding the others. */
#include "record.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

struct parse_state {
	struct record *r;
	const char *path;
	unsigned line;
	record_warn_fn warn;
	void *warn_ctx;
	char *err;
	size_t errlen;
	bool *seen;        /* per schema field: set by a line of this text */
	long last_known;   /* schema index of the last known key read, -1 before any */
	bool begin, end;
};

static void warnf(struct parse_state *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warnf(struct parse_state *ps, const char *fmt, ...)
{
	if (!ps->warn)
		return;
	char body[512], msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s:%u: %s", ps->path, ps->line, body);
	ps->warn(ps->warn_ctx, msg);
}

static int failf(struct parse_state *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int failf(struct parse_state *ps, const char *fmt, ...)
{
	char body[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (ps->line)
		snprintf(ps->err, ps->errlen, "%s:%u: %s", ps->path, ps->line, body);
	else
		snprintf(ps->err, ps->errlen, "%s: %s", ps->path, body);
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void note_marker(struct parse_state *ps, const char *s)
{
	if (strncmp(s, "# BEGIN RECORD", 14) == 0)
		ps->begin = true;
	else if (strncmp(s, "# END RECORD", 12) == 0)
		ps->end = true;
}

static int store_known(struct parse_state *ps, int idx, const char *key, const char *value)
{
	const struct field_def *f = &ps->r->schema->fields[idx];
	if (ps->seen[idx])
		warnf(ps, "duplicate key %s; the last value is used", key);
	ps->seen[idx] = true;
	ps->last_known = idx;
	if (f->type != FT_STR && value[0] && !value_is_number(f, value)) {
		warnf(ps, "%s: '%s' is not a valid number; the default is used", key, value);
		value = f->def ? f->def : "0";
	}
	if (f->type == FT_STR && f->maxlen && strlen(value) > f->maxlen)
		warnf(ps, "%s: value is longer than %u characters; open-iscsi would truncate it",
		      key, f->maxlen);
	return record_set(ps->r, key, value);
}

/* One line, already stripped of surrounding blanks and known to be non-empty. */
static int parse_line(struct parse_state *ps, char *s)
{
	if (s[0] == '#') {
		note_marker(ps, s);
		return 0;
	}
	char *k = s;
	while (*s && !is_blank(*s) && *s != '=')
		s++;
	size_t klen = (size_t)(s - k);
	while (is_blank(*s))
		s++;
	if (*s != '=')
		return failf(ps, "'%.*s' is neither a comment nor 'key = value'", (int)klen, k);
	if (klen == 0)
		return failf(ps, "a line has '=' but no key");
	for (size_t i = 0; i < klen; i++)
		if (!isgraph((unsigned char)k[i]))
			return failf(ps, "the key contains a non-printable character");
	k[klen] = '\0';
	s++;
	while (is_blank(*s))
		s++;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return failf(ps, "%s: the value contains a control character", k);
	const char *value = strcmp(s, "<empty>") == 0 ? "" : s;
	int idx = schema_find(ps->r->schema, k);
	int rc = idx >= 0 ? store_known(ps, idx, k, value)
			   : record_set_extra_at(ps->r, k, value, ps->last_known);
	if (rc < 0)
		return failf(ps, "out of memory");
	return 0;
}

/* Keys of the IP family group that is not active are kept as unknown keys: they are written back
 * untouched but never printed as if they applied. */
static int move_inactive_to_extra(struct record *r, const bool *seen)
{
	for (size_t i = 0; i < r->schema->nfields; i++) {
		if (!seen[i] || record_field_active(r, i))
			continue;
		const struct field_def *f = &r->schema->fields[i];
		if (record_set_extra_at(r, f->key, r->values[i], (long)i) < 0 ||
		    record_set(r, f->key, f->def ? f->def : (f->type == FT_STR ? "" : "0")) < 0)
			return -1;
	}
	return 0;
}

int record_parse(struct record *r, const char *text, size_t len, const char *path,
		 record_warn_fn warn, void *warn_ctx, char *err, size_t errlen)
{
	struct parse_state ps = { .r = r, .path = path, .warn = warn, .warn_ctx = warn_ctx,
				  .err = err, .errlen = errlen, .last_known = -1 };
	ps.seen = calloc(r->schema->nfields ? r->schema->nfields : 1, sizeof(bool));
	char *line = malloc(RECORD_MAX_LINE + 1);
	int rc = -1;
	if (!ps.seen || !line) {
		failf(&ps, "out of memory");
		goto out;
	}
	if (memchr(text, '\0', len)) {
		ps.line = 1;
		for (const char *p = text; *p; p++)
			ps.line += *p == '\n';
		failf(&ps, "contains a NUL byte: not a record file");
		goto out;
	}
	size_t pos = 0;
	while (pos < len) {
		ps.line++;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		if (n > RECORD_MAX_LINE) {
			failf(&ps, "line is longer than %d bytes", RECORD_MAX_LINE);
			goto out;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		char *s = line, *e = line + n;
		while (is_blank(*s))
			s++;
		while (e > s && is_blank(e[-1]))
			*--e = '\0';
		if (*s && parse_line(&ps, s) < 0)
			goto out;
	}
	if (ps.begin && !ps.end) {
		ps.line = 0;
		failf(&ps, "truncated record: '# BEGIN RECORD' without '# END RECORD'");
		goto out;
	}
	if (move_inactive_to_extra(r, ps.seen) < 0) {
		failf(&ps, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(line);
	free(ps.seen);
	return rc;
}
