#include "record_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

int record_read_file(const char *path, const struct schema *s, struct record *r,
		     record_warn_fn warn, void *warn_ctx, char *err, size_t errlen)
{
	char *text;
	size_t len;
	if (file_read_all(path, RECORD_FILE_MAX, &text, &len, err, errlen) < 0)
		return -1;
	if (record_init(r, s) < 0) {
		free(text);
		snprintf(err, errlen, "Out of memory");
		errno = ENOMEM;
		return -1;
	}
	int rc = record_parse(r, text, len, path, warn, warn_ctx, err, errlen);
	free(text);
	if (rc < 0) {
		record_free(r);
		errno = EINVAL;
	}
	return rc;
}

/* A control character in a value would end its line and start another: refused on every
 * write, whoever set the value. The tab is the one the reader accepts, so it stays. */
static bool text_is_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return false;
	return true;
}

static int check_values(const struct record *r, char *err, size_t errlen)
{
	for (size_t i = 0; i < r->schema->nfields; i++)
		if (!text_is_clean(r->values[i])) {
			snprintf(err, errlen, "the value for %s contains a control character",
				 r->schema->fields[i].key);
			return -1;
		}
	for (size_t i = 0; i < r->nextra; i++)
		if (!text_is_clean(r->extra[i].key) || !text_is_clean(r->extra[i].value)) {
			snprintf(err, errlen, "the value for %s contains a control character",
				 r->extra[i].key);
			return -1;
		}
	return 0;
}

int record_write_file(const char *dir, const char *name, const struct record *r, char *err,
		      size_t errlen)
{
	if (check_values(r, err, errlen) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (mkdir_p(dir, 0700) < 0) {
		snprintf(err, errlen, "Could not create %s: %s", dir, strerror(errno));
		return -1;
	}
	size_t len;
	char *text = record_format(r, RS_FILE, &len);
	if (!text) {
		snprintf(err, errlen, "Out of memory");
		return -1;
	}
	int rc = file_write_atomic(dir, name, text, len, 0600, err, errlen);
	free(text);
	return rc;
}
