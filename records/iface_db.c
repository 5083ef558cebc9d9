/* Reading, listing and writing iface records. */
#include "iface_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "db_paths.h"
#include "dir_each.h"
#include "iface_schema.h"
#include "names.h"
#include "record_file.h"

static void ifaces_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/ifaces", db_root());
}

/* A name that would leave ifaces/ (or name the directory itself) is no iface. */
static bool name_is_file_name(const char *name)
{
	char err[512];
	return path_component_ok("iface name", name, err, sizeof(err));
}

bool iface_is_builtin(const char *name)
{
	return strcmp(name, "default") == 0 || strcmp(name, "iser") == 0;
}

bool iface_is_sample(const char *name)
{
	return strcmp(name, "iface.example") == 0;
}

static int builtin(const char *name, struct record *out)
{
	if (record_init(out, &iface_schema) < 0)
		return -1;
	if (record_set(out, "iface.iscsi_ifacename", name) < 0 ||
	    record_set(out, "iface.transport_name", strcmp(name, "iser") == 0 ? "iser" : "tcp") < 0) {
		record_free(out);
		return -1;
	}
	return 0;
}

/* A record read from a file must name a transport; its file name is its name. */
static int check_loaded(struct record *r, const char *name, const char *path,
			record_warn_fn warn, void *warn_ctx, char *err, size_t errlen)
{
	if (!r->values[IFACE_F_TRANSPORT][0]) {
		snprintf(err, errlen,
			 "%s is not a valid iSCSI interface configuration file: iface.transport_name is missing",
			 path);
		errno = EINVAL;
		return -1;
	}
	const char *inner = r->values[IFACE_F_NAME];
	if (inner[0] && strcmp(inner, name) != 0 && warn) {
		char msg[1024];
		snprintf(msg, sizeof(msg),
			 "%s: iface.iscsi_ifacename is '%s' but the file is named '%s'; using '%s'",
			 path, inner, name, name);
		warn(warn_ctx, msg);
	}
	return record_set(r, "iface.iscsi_ifacename", name);
}

int iface_load(const char *name, struct record *out, record_warn_fn warn, void *warn_ctx,
	       char *err, size_t errlen)
{
	if (iface_is_builtin(name))
		return builtin(name, out);
	char dir[4096], path[4400];
	/* open-iscsi's sample is no record, whatever the file holds */
	if (!name_is_file_name(name) || iface_is_sample(name)) {
		snprintf(err, errlen, "No iface named '%s'", name);
		errno = ENOENT;
		return -1;
	}
	ifaces_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (record_read_file(path, &iface_schema, out, warn, warn_ctx, err, errlen) < 0)
		return -1;
	int rc = check_loaded(out, name, path, warn, warn_ctx, err, errlen);
	if (rc < 0) {
		record_free(out);
		errno = EINVAL;
	}
	return rc;
}

static int by_name(const void *a, const void *b)
{
	const struct record *ra = a, *rb = b;
	return strcmp(ra->values[IFACE_F_NAME], rb->values[IFACE_F_NAME]);
}

static int rank(const char *name)
{
	if (strcmp(name, "default") == 0)
		return 0;
	if (strcmp(name, "iser") == 0)
		return 1;
	return 2;
}

/* Listing order: default, iser, then every other iface by name, bytewise. */
static int listing_order(const void *a, const void *b)
{
	const struct record *ra = a, *rb = b;
	int d = rank(ra->values[IFACE_F_NAME]) - rank(rb->values[IFACE_F_NAME]);
	return d ? d : by_name(a, b);
}

/* Takes r into s, unsorted: a bulk load sorts once at the end, not once per iface. */
static int append(struct iface_set *s, struct record *r)
{
	struct record *grown = realloc(s->v, (s->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	s->v = grown;
	s->v[s->n++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

static void sort_set(struct iface_set *s)
{
	qsort(s->v, s->n, sizeof(*s->v), listing_order);
}

int iface_set_add(struct iface_set *s, struct record *r)
{
	if (append(s, r) < 0)
		return -1;
	sort_set(s);
	return 0;
}

const struct record *iface_set_find(const struct iface_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].values[IFACE_F_NAME], name) == 0)
			return &s->v[i];
	return NULL;
}

void iface_set_free(struct iface_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		record_free(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void report(record_warn_fn warn, void *ctx, const char *msg)
{
	if (warn)
		warn(ctx, msg);
}

struct iface_walk {
	struct iface_set *out;
	record_warn_fn warn;
	void *warn_ctx;
	unsigned *nbad;
};

static int load_one_file(const char *name, void *ctx)
{
	struct iface_walk *w = ctx;
	char err[1024];
	struct record r;
	/* open-iscsi's sample is no record (dir_each keeps our dot-named temp files and lock away) */
	if (iface_is_sample(name))
		return 0;
	if (iface_is_builtin(name)) {
		char dir[4096];
		ifaces_dir(dir, sizeof(dir));
		snprintf(err, sizeof(err),
			 "%s/%s: '%s' is a built-in iface; the file is ignored", dir, name, name);
		report(w->warn, w->warn_ctx, err);
		return 0;
	}
	if (iface_load(name, &r, w->warn, w->warn_ctx, err, sizeof(err)) < 0) {
		if (errno == ENOMEM)
			return -1;
		report(w->warn, w->warn_ctx, err);
		(*w->nbad)++;
		return 0;
	}
	if (append(w->out, &r) < 0) {
		record_free(&r);
		return -1;
	}
	return 0;
}

int iface_load_all(struct iface_set *out, record_warn_fn warn, void *warn_ctx, unsigned *nbad)
{
	out->v = NULL;
	out->n = 0;
	*nbad = 0;
	struct record r;
	if (builtin("default", &r) < 0 || iface_set_add(out, &r) < 0 ||
	    builtin("iser", &r) < 0 || iface_set_add(out, &r) < 0)
		goto oom;
	char dir[4096];
	ifaces_dir(dir, sizeof(dir));
	/* no ifaces directory: only the built-ins */
	struct iface_walk w = { out, warn, warn_ctx, nbad };
	if (dir_each(dir, load_one_file, &w) < 0)
		goto oom;
	sort_set(out);
	return 0;
oom:
	iface_set_free(out);
	errno = ENOMEM;
	return -1;
}

int iface_store(const struct record *r, char *err, size_t errlen)
{
	if (!path_component_ok("iface name", r->values[IFACE_F_NAME], err, errlen))
		return -1;
	char dir[4096];
	ifaces_dir(dir, sizeof(dir));
	return record_write_file(dir, r->values[IFACE_F_NAME], r, err, errlen);
}

int iface_remove(const char *name, char *err, size_t errlen)
{
	char dir[4096], path[4400];
	/* open-iscsi's sample is no record, whatever the file holds */
	if (!name_is_file_name(name) || iface_is_sample(name)) {
		snprintf(err, errlen, "No iface named '%s'", name);
		errno = ENOENT;
		return -1;
	}
	ifaces_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) < 0) {
		int e = errno;
		snprintf(err, errlen, "Could not delete %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	fsync_dir(dir); /* the file is gone either way; a crash may only bring it back */
	return 0;
}

bool iface_file_exists(const char *name)
{
	char dir[4096], path[4400];
	struct stat st;
	if (!name_is_file_name(name))
		return false;
	ifaces_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}
