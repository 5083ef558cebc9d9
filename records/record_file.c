#include "record_file.h"

#include <errno.h>
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

int record_write_file(const char *dir, const char *name, const struct record *r, char *err,
		      size_t errlen)
{
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
