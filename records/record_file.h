/* A record as a file: read and parse one, or format and write one atomically. Shared by the
 * iface, node and discovery databases. */
#ifndef SWISCSI_RECORD_FILE_H
#define SWISCSI_RECORD_FILE_H

#include <stddef.h>

#include "record.h"

#define RECORD_FILE_MAX (1u << 20) /* a record file larger than this is not a record */

/* Reads path into r (initialised here with schema s; the caller frees it on success). Returns
 * 0, or -1 with errno (ENOENT, EINVAL for a damaged file, ENOMEM) and err naming the file. */
int record_read_file(const char *path, const struct schema *s, struct record *r,
		     record_warn_fn warn, void *warn_ctx, char *err, size_t errlen);

/* Creates dir (0700) when missing and replaces dir/name with r, mode 0600, atomically. The
 * caller holds the database lock. 0, or -1 with err set. */
int record_write_file(const char *dir, const char *name, const struct record *r, char *err,
		      size_t errlen);

#endif
