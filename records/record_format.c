/* Writer of open-iscsi's record text format, for files and for people. */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Unknown keys are files' business only: a listing shows what swiscsi understands. */
static void put_extras(FILE *f, const struct record *r, enum record_style style, long after)
{
	if (style != RS_FILE)
		return;
	for (size_t i = 0; i < r->nextra; i++)
		if (r->extra[i].after == after)
			fprintf(f, "%s = %s\n", r->extra[i].key, r->extra[i].value);
}

char *record_format(const struct record *r, enum record_style style, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "# BEGIN RECORD %s\n", RECORD_VERSION_TOKEN);
	put_extras(f, r, style, -1);
	const unsigned *order = style == RS_FILE ? NULL : r->schema->show_order;
	for (size_t k = 0; k < r->schema->nfields; k++) {
		size_t i = order ? order[k] : k;
		const struct field_def *fd = &r->schema->fields[i];
		if (k)
			put_extras(f, r, style, (long)k - 1);
		if (!record_field_active(r, i))
			continue;
		const char *v = r->values[i];
		if (fd->type == FT_STR && !v[0]) {
			if (style == RS_FILE)
				continue;
			v = "<empty>";
		} else if (style == RS_SHOW && (fd->flags & FF_SECRET)) {
			v = "********";
		}
		fprintf(f, "%s = %s\n", fd->key, v);
	}
	if (r->schema->nfields)
		put_extras(f, r, style, (long)r->schema->nfields - 1);
	fputs("# END RECORD\n", f);
	if (fclose(f) != 0) {
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	if (lenp)
		*lenp = len;
	return buf;
}
