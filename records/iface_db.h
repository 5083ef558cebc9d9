/* iface records in DBROOT/ifaces/, plus the built-in `default` and `iser`. */
#ifndef SWISCSI_IFACE_DB_H
#define SWISCSI_IFACE_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"


struct iface_set {
	struct record *v;
	size_t n;
};

bool iface_is_builtin(const char *name);
/* iface.example: open-iscsi's sample file, which no reader takes for an iface. */
bool iface_is_sample(const char *name);

/* Fills out (uninitialised) with iface name: a built-in, or DBROOT/ifaces/name.
 * Returns 0; or -1 with errno ENOENT (no such iface, iface.example included), EINVAL (the
 * file is not a valid record: err names file and line) or another errno, err set. */
int iface_load(const char *name, struct record *out, record_warn_fn warn, void *warn_ctx,
	       char *err, size_t errlen);

/* Every iface: `default`, `iser`, then the files of DBROOT/ifaces sorted by name (bytewise).
 * A file that cannot be read is reported through warn and skipped; *nbad counts them.
 * Returns 0 or -1 (out of memory). */
int iface_load_all(struct iface_set *out, record_warn_fn warn, void *warn_ctx, unsigned *nbad);
/* Adds r (moved: the set owns it from now on) keeping the listing order. */
int iface_set_add(struct iface_set *s, struct record *r);
const struct record *iface_set_find(const struct iface_set *s, const char *name);
void iface_set_free(struct iface_set *s);

/* Writes r to DBROOT/ifaces/<its name> atomically, mode 0600. The caller holds db_lock.
 * 0 or -1 with err set. */
int iface_store(const struct record *r, char *err, size_t errlen);
/* Removes DBROOT/ifaces/name. 0, or -1 with errno (ENOENT when there is none) and err set. */
int iface_remove(const char *name, char *err, size_t errlen);
/* Whether DBROOT/ifaces/name exists (any kind of file). */
bool iface_file_exists(const char *name);

#endif
