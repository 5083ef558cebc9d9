/* Text segments and the negotiation of operational keys, driven by one table. */
#include "keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether start[from..n) holds a byte below 0x20 or DEL. */
static bool has_control(const uint8_t *start, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++)
		if (start[i] < 0x20 || start[i] == 0x7f)
			return true;
	return false;
}

static int parse(const uint8_t *data, size_t len, bool controls_in_values, struct text_list *out,
		 char *err, size_t errlen)
{
	out->v = NULL;
	out->n = 0;
	while (len && data[len - 1] == '\0' && (len < 2 || data[len - 2] == '\0'))
		len--; /* padding NULs beyond the terminator of the last pair */
	size_t pos = 0, cap = 0;
	while (pos < len) {
		const uint8_t *start = data + pos;
		const uint8_t *nul = memchr(start, '\0', len - pos);
		size_t n = nul ? (size_t)(nul - start) : len - pos;
		pos += n + 1;
		if (n == 0)
			continue;
		const uint8_t *eq = memchr(start, '=', n);
		size_t klen = eq ? (size_t)(eq - start) : 0;
		if (!eq || klen == 0 || klen > KEY_NAME_MAX) {
			snprintf(err, errlen, "malformed text pair '%.*s'", (int)(n > 80 ? 80 : n), start);
			goto fail;
		}
		if (n - klen - 1 > KEY_VALUE_MAX) {
			snprintf(err, errlen, "the value of %.*s is longer than %d bytes", (int)klen,
				 start, KEY_VALUE_MAX);
			goto fail;
		}
		if (has_control(start, 0, klen) ||
		    (!controls_in_values && has_control(start, klen + 1, n))) {
			snprintf(err, errlen, "text pair for %.*s holds a control character",
				 (int)klen, start);
			goto fail;
		}
		if (out->n == cap) {
			/* doubling: a 1 MiB SendTargets answer can hold 300 000 pairs */
			cap = cap ? 2 * cap : 16;
			struct text_pair *grown = realloc(out->v, cap * sizeof(*grown));
			if (!grown)
				goto oom;
			out->v = grown;
		}
		out->v[out->n].key = strndup((const char *)start, klen);
		out->v[out->n].value = strndup((const char *)eq + 1, n - klen - 1);
		out->n++;
		if (!out->v[out->n - 1].key || !out->v[out->n - 1].value)
			goto oom;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	text_list_free(out);
	return -1;
}

int text_parse(const uint8_t *data, size_t len, struct text_list *out, char *err, size_t errlen)
{
	return parse(data, len, false, out, err, errlen);
}

int text_parse_any_value(const uint8_t *data, size_t len, struct text_list *out, char *err,
			 size_t errlen)
{
	return parse(data, len, true, out, err, errlen);
}

void text_list_free(struct text_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].value);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *text_find(const struct text_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].value;
	return NULL;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int text_duplicate(const struct text_list *l, const char **dup)
{
	*dup = NULL;
	if (l->n < 2)
		return 0;
	/* sorted, so that a response of thousands of pairs costs n log n, not n squared */
	const char **names = malloc(l->n * sizeof(*names));
	if (!names)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		names[i] = l->v[i].key;
	qsort(names, l->n, sizeof(*names), by_key);
	for (size_t i = 1; i < l->n && !*dup; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			*dup = names[i];
	free(names);
	return *dup != NULL;
}

static bool reserve(struct text_buf *b, size_t need)
{
	if (b->failed)
		return false;
	if (b->len + need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap * 2 : 512;
	while (cap < b->len + need)
		cap *= 2;
	uint8_t *grown = realloc(b->data, cap);
	if (!grown) {
		b->failed = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void text_add(struct text_buf *b, const char *key, const char *value)
{
	size_t need = strlen(key) + 1 + strlen(value) + 1;
	if (reserve(b, need))
		b->len += (size_t)sprintf((char *)b->data + b->len, "%s=%s", key, value) + 1;
}

bool text_add_raw(struct text_buf *b, const uint8_t *data, size_t len)
{
	if (!len)
		return !b->failed;
	if (!reserve(b, len))
		return false;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return true;
}

enum text_gather text_gather(struct text_buf *b, const uint8_t *data, size_t len, size_t cap)
{
	if (len > cap || b->len > cap - len)
		return TEXT_TOO_LONG;
	return text_add_raw(b, data, len) ? TEXT_GATHERED : TEXT_NOMEM;
}

void text_addu(struct text_buf *b, const char *key, uint32_t value)
{
	char v[16];
	snprintf(v, sizeof(v), "%u", value);
	text_add(b, key, v);
}

void text_buf_free(struct text_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* How a key's result is reached (RFC 7143 §6.2). */
enum rule {
	R_MIN,         /* numerical: the lower of offer and answer */
	R_MAX,
	R_OR,          /* boolean: Yes if either says Yes */
	R_AND,         /* boolean: Yes only if both say Yes */
	R_DECLARE_TGT, /* declarative: the target states its own value */
};

struct key_def {
	const char *name;
	enum rule rule;
	uint32_t lo, hi;                 /* numeric range */
	size_t offset;                   /* in struct iscsi_params */
	bool boolean;
	uint32_t rfc_default;
};

#define P(field) offsetof(struct iscsi_params, field)
static const struct key_def keys[] = {
	{ "MaxConnections", R_MIN, 1, 65535, P(max_connections), false, 1 },
	{ "InitialR2T", R_OR, 0, 1, P(initial_r2t), true, 1 },
	{ "ImmediateData", R_AND, 0, 1, P(immediate_data), true, 1 },
	{ "MaxRecvDataSegmentLength", R_DECLARE_TGT, 512, 16777215, P(max_xmit_dsl), false, 8192 },
	{ "MaxBurstLength", R_MIN, 512, 16777215, P(max_burst), false, 262144 },
	{ "FirstBurstLength", R_MIN, 512, 16777215, P(first_burst), false, 65536 },
	{ "DefaultTime2Wait", R_MAX, 0, 3600, P(time2wait), false, 2 },
	{ "DefaultTime2Retain", R_MIN, 0, 3600, P(time2retain), false, 20 },
	{ "MaxOutstandingR2T", R_MIN, 1, 65535, P(max_outstanding_r2t), false, 1 },
	{ "DataPDUInOrder", R_OR, 0, 1, P(data_pdu_in_order), true, 1 },
	{ "DataSequenceInOrder", R_OR, 0, 1, P(data_seq_in_order), true, 1 },
	{ "ErrorRecoveryLevel", R_MIN, 0, 2, P(erl), false, 0 },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static uint32_t get(const struct iscsi_params *p, const struct key_def *k)
{
	const char *base = (const char *)p + k->offset;
	if (k->boolean)
		return *(const bool *)base;
	return *(const uint32_t *)base;
}

static void put(struct iscsi_params *p, const struct key_def *k, uint32_t v)
{
	char *base = (char *)p + k->offset;
	if (k->boolean)
		*(bool *)base = v != 0;
	else
		*(uint32_t *)base = v;
}

void params_rfc_defaults(struct iscsi_params *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < NKEYS; i++)
		put(p, &keys[i], keys[i].rfc_default);
	p->max_recv_dsl = 8192;
}

void params_offer(struct text_buf *b, const struct iscsi_params *want, const char *hdr_digest,
		  const char *data_digest)
{
	text_add(b, "HeaderDigest", hdr_digest);
	text_add(b, "DataDigest", data_digest);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		if (k->rule == R_DECLARE_TGT) {
			text_addu(b, k->name, want->max_recv_dsl); /* we declare ours */
			continue;
		}
		uint32_t v = get(want, k);
		if (k->boolean)
			text_add(b, k->name, v ? "Yes" : "No");
		else
			text_addu(b, k->name, v);
	}
}

static int parse_value(const struct key_def *k, const char *s, uint32_t *v, char *err,
		       size_t errlen)
{
	if (k->boolean) {
		if (strcmp(s, "Yes") == 0 || strcmp(s, "No") == 0) {
			*v = s[0] == 'Y';
			return 0;
		}
	} else {
		char *end;
		errno = 0;
		unsigned long n = strtoul(s, &end, 10);
		if (!errno && *s && !*end && n >= k->lo && n <= k->hi) {
			*v = (uint32_t)n;
			return 0;
		}
	}
	snprintf(err, errlen, "the target answered %s=%s, which is not a valid value", k->name, s);
	return -1;
}

/* Whether the target's answer is one the rule can give for our offer. */
static bool answer_fits(const struct key_def *k, uint32_t offer, uint32_t answer)
{
	switch (k->rule) {
	case R_MIN:
		return answer <= offer;
	case R_MAX:
		return answer >= offer;
	case R_OR:
		return offer ? answer : true;
	case R_AND:
		return offer ? true : !answer;
	case R_DECLARE_TGT:
		return true;
	}
	return false;
}

/* A digest answer must be one of the values we offered. */
static int digest_answer(const char *key, const char *offered, const char *answer, bool *on,
			 char *err, size_t errlen)
{
	if (!answer) {
		*on = false;
		return 0;
	}
	char copy[64];
	snprintf(copy, sizeof(copy), "%s", offered);
	for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, answer) == 0) {
			*on = strcmp(answer, "CRC32C") == 0;
			return 0;
		}
	}
	snprintf(err, errlen, "the target chose %s=%s, which we did not offer (%s)", key, answer,
		 offered);
	return -1;
}

int params_apply(const struct text_list *answers, const struct iscsi_params *want,
		 const char *hdr_digest, const char *data_digest, struct iscsi_params *out,
		 char *err, size_t errlen)
{
	params_rfc_defaults(out);
	out->max_recv_dsl = want->max_recv_dsl;
	if (digest_answer("HeaderDigest", hdr_digest, text_find(answers, "HeaderDigest"),
			  &out->header_digest, err, errlen) < 0 ||
	    digest_answer("DataDigest", data_digest, text_find(answers, "DataDigest"),
			  &out->data_digest, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_def *k = &keys[i];
		const char *s = text_find(answers, k->name);
		uint32_t v;
		if (!s || strcmp(s, "Irrelevant") == 0 || strcmp(s, "NotUnderstood") == 0)
			continue;
		if (parse_value(k, s, &v, err, errlen) < 0)
			return -1;
		if (!answer_fits(k, get(want, k), v)) {
			snprintf(err, errlen,
				 "the target answered %s=%s, which its negotiation rule cannot give for our offer",
				 k->name, s);
			return -1;
		}
		put(out, k, v);
	}
	/* irrelevant when every byte is solicited (InitialR2T=Yes, ImmediateData=No) */
	bool unsolicited = !out->initial_r2t || out->immediate_data;
	if (unsolicited && out->first_burst > out->max_burst) {
		snprintf(err, errlen,
			 "the target's answers give FirstBurstLength=%u above MaxBurstLength=%u, which RFC 7143 forbids",
			 out->first_burst, out->max_burst);
		return -1;
	}
	return 0;
}
