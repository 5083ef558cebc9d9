/* Writer of open-iscsi's record text format, for files and for people. */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *record_format(const struct record *r, enum record_style style, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "# BEGIN RECORD %s\n", RECORD_VERSION_TOKEN);
	for (size_t i = 0; i < r->schema->nfields; i++) {
		const struct field_def *fd = &r->schema->fields[i];
		if (!record_field_active(r, i))
			continue;
		const char *v = r->values[i];
		if (fd->type == FT_STR && !v[0]) {
			if (style == RS_FILE)
				continue;
			v = "<empty>";
		}
		fprintf(f, "%s = %s\n", fd->key, v);
	}
	/* Unknown keys are files' business only: a listing shows what swiscsi understands. */
	if (style == RS_FILE)
		for (size_t i = 0; i < r->nextra; i++)
			fprintf(f, "%s = %s\n", r->extra[i].key, r->extra[i].value);
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
