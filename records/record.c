/* Record memory: value slots per schema field and the unknown keys kept beside them. */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int schema_find(const struct schema *s, const char *key)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

static const char *field_default(const struct field_def *f)
{
	if (f->def)
		return f->def;
	return f->type == FT_STR ? "" : "0";
}

int record_init(struct record *r, const struct schema *s)
{
	memset(r, 0, sizeof(*r));
	r->schema = s;
	r->values = calloc(s->nfields, sizeof(*r->values));
	if (!r->values)
		return -1;
	for (size_t i = 0; i < s->nfields; i++) {
		r->values[i] = strdup(field_default(&s->fields[i]));
		if (!r->values[i]) {
			record_free(r);
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

void record_free(struct record *r)
{
	if (r->values) {
		for (size_t i = 0; i < r->schema->nfields; i++)
			free(r->values[i]);
		free(r->values);
	}
	record_drop_extras(r);
	memset(r, 0, sizeof(*r));
}

void record_drop_extras(struct record *r)
{
	for (size_t i = 0; i < r->nextra; i++) {
		free(r->extra[i].key);
		free(r->extra[i].value);
	}
	free(r->extra);
	r->extra = NULL;
	r->nextra = 0;
}

int record_copy(struct record *dst, const struct record *src)
{
	if (record_init(dst, src->schema) < 0)
		return -1;
	for (size_t i = 0; i < src->schema->nfields; i++)
		if (record_set(dst, src->schema->fields[i].key, src->values[i]) < 0)
			goto fail;
	for (size_t i = 0; i < src->nextra; i++)
		if (record_set_extra_at(dst, src->extra[i].key, src->extra[i].value,
					src->extra[i].after) < 0)
			goto fail;
	return 0;
fail:
	record_free(dst);
	return -1;
}

const char *record_get(const struct record *r, const char *key)
{
	int i = schema_find(r->schema, key);
	return i < 0 ? NULL : r->values[i];
}

int record_set(struct record *r, const char *key, const char *value)
{
	int i = schema_find(r->schema, key);
	if (i < 0) {
		errno = ENOENT;
		return -1;
	}
	char *copy = strdup(value);
	if (!copy)
		return -1;
	free(r->values[i]);
	r->values[i] = copy;
	return 0;
}

int record_set_extra(struct record *r, const char *key, const char *value)
{
	return record_set_extra_at(r, key, value, (long)r->schema->nfields - 1);
}

int record_set_extra_at(struct record *r, const char *key, const char *value, long after)
{
	char *v = strdup(value);
	if (!v)
		return -1;
	for (size_t i = 0; i < r->nextra; i++) {
		if (strcmp(r->extra[i].key, key) == 0) {
			free(r->extra[i].value);
			r->extra[i].value = v;
			return 0;
		}
	}
	char *k = strdup(key);
	struct extra_kv *grown = realloc(r->extra, (r->nextra + 1) * sizeof(*grown));
	if (!k || !grown) {
		free(k);
		free(v);
		if (grown)
			r->extra = grown;
		errno = ENOMEM;
		return -1;
	}
	r->extra = grown;
	r->extra[r->nextra].key = k;
	r->extra[r->nextra].value = v;
	r->extra[r->nextra].after = after;
	r->nextra++;
	return 0;
}

bool record_field_active(const struct record *r, size_t i)
{
	enum field_group g = r->schema->fields[i].group;
	if (g == FG_ANY || !r->schema->active_group)
		return true;
	return g == r->schema->active_group(r);
}
