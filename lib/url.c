/* iscsi:// URLs, as libiscsi names targets, so commands written for its tools carry over. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiscsi/swiscsi.h"

static int hex(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

/* A decoded copy of s[0..n), or NULL on a bad escape or out of memory. */
static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			*o++ = (char)(hex(s[i + 1]) << 4 | hex(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* "crc32c", "none", "crc32c,none" ... into swi_options' spelling. */
static char *digest_list(const char *v)
{
	char out[64] = "", copy[64];
	snprintf(copy, sizeof(copy), "%s", v);
	for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const char *name = strcasecmp(t, "crc32c") == 0 ? "CRC32C"
				   : strcasecmp(t, "none") == 0 ? "None" : NULL;
		if (!name)
			return NULL;
		size_t used = strlen(out);
		snprintf(out + used, sizeof(out) - used, "%s%s", used ? "," : "", name);
	}
	return out[0] ? strdup(out) : NULL;
}

static int set_arg(struct swi_url *u, const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	if (!eq) {
		snprintf(err, errlen, "URL argument '%s' has no '='", arg);
		return -1;
	}
	size_t klen = (size_t)(eq - arg);
	const char *v = eq + 1;
	char **slot = NULL;
	char *value = NULL;
	if (klen == 13 && strncmp(arg, "header_digest", klen) == 0) {
		slot = &u->header_digest;
		value = digest_list(v);
	} else if (klen == 11 && strncmp(arg, "data_digest", klen) == 0) {
		slot = &u->data_digest;
		value = digest_list(v);
	} else if (klen == 4 && strncmp(arg, "auth", klen) == 0) {
		slot = &u->chap_algs;
		value = decode(v, strlen(v));
	} else if (klen == 11 && strncmp(arg, "target_user", klen) == 0) {
		slot = &u->target_user;
		value = decode(v, strlen(v));
	} else if (klen == 15 && strncmp(arg, "target_password", klen) == 0) {
		slot = &u->target_secret;
		value = decode(v, strlen(v));
	} else {
		snprintf(err, errlen, "unknown URL argument '%.*s'", (int)klen, arg);
		return -1;
	}
	if (!value) {
		snprintf(err, errlen, "invalid value for URL argument '%.*s'", (int)klen, arg);
		return -1;
	}
	free(*slot);
	*slot = value;
	return 0;
}

static int parse_args(struct swi_url *u, const char *q, char *err, size_t errlen)
{
	char *copy = strdup(q);
	if (!copy)
		return -1;
	int rc = 0;
	for (char *save, *a = strtok_r(copy, "&", &save); a && rc == 0; a = strtok_r(NULL, "&", &save))
		rc = set_arg(u, a, err, errlen);
	free(copy);
	return rc;
}

static int parse_userinfo(struct swi_url *u, const char *s, size_t n)
{
	const char *pct = memchr(s, '%', n);
	/* libiscsi separates user and secret with '%': the first one that is not an escape */
	while (pct && pct + 2 < s + n && isxdigit((unsigned char)pct[1]) && isxdigit((unsigned char)pct[2]))
		pct = memchr(pct + 1, '%', n - (size_t)(pct + 1 - s));
	u->user = decode(s, pct ? (size_t)(pct - s) : n);
	if (pct)
		u->secret = decode(pct + 1, n - (size_t)(pct + 1 - s));
	return u->user && (!pct || u->secret) ? 0 : -1;
}

static int parse_path(struct swi_url *u, const char *p, char *err, size_t errlen)
{
	if (!*p)
		return 0;
	const char *slash = strchr(p, '/');
	u->target = decode(p, slash ? (size_t)(slash - p) : strlen(p));
	if (!u->target)
		return -1;
	if (slash && slash[1]) {
		char *end;
		long lun = strtol(slash + 1, &end, 10);
		if (*end || lun < 0 || lun > 16383) {
			snprintf(err, errlen, "the LUN '%s' is not a number from 0 to 16383", slash + 1);
			return -1;
		}
		u->lun = (int)lun;
	}
	return 0;
}

int swi_url_parse(const char *url, struct swi_url *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	u->lun = -1;
	if (strncmp(url, "iscsi://", 8) != 0) {
		snprintf(err, errlen, "'%s' is not an iscsi:// URL", url);
		return -1;
	}
	const char *p = url + 8;
	const char *q = strchr(p, '?');
	size_t main_len = q ? (size_t)(q - p) : strlen(p);
	const char *path = memchr(p, '/', main_len);
	size_t auth_len = path ? (size_t)(path - p) : main_len;
	const char *at = NULL;
	for (const char *c = p; c < p + auth_len; c++)
		if (*c == '@')
			at = c;
	int rc = 0;
	if (at)
		rc = parse_userinfo(u, p, (size_t)(at - p));
	const char *host = at ? at + 1 : p;
	size_t hlen = (size_t)(p + auth_len - host);
	if (rc == 0 && hlen == 0) {
		snprintf(err, errlen, "the URL '%s' names no host", url);
		rc = -1;
	}
	if (rc == 0 && !(u->portal = strndup(host, hlen)))
		rc = -1;
	if (rc == 0 && path) {
		char *pathcopy = strndup(path + 1, main_len - auth_len - 1);
		rc = pathcopy ? parse_path(u, pathcopy, err, errlen) : -1;
		free(pathcopy);
	}
	if (rc == 0 && q)
		rc = parse_args(u, q + 1, err, errlen);
	if (rc < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot parse '%s'", url);
		swi_url_free(u);
	}
	return rc;
}

void swi_url_free(struct swi_url *u)
{
	if (u->secret)
		memset(u->secret, 0, strlen(u->secret));
	if (u->target_secret)
		memset(u->target_secret, 0, strlen(u->target_secret));
	free(u->user);
	free(u->secret);
	free(u->portal);
	free(u->target);
	free(u->header_digest);
	free(u->data_digest);
	free(u->chap_algs);
	free(u->target_user);
	free(u->target_secret);
	memset(u, 0, sizeof(*u));
	u->lun = -1;
}
