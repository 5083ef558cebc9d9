/* Walks DBROOT/nodes to list node records without parsing every file. */
#include "node_index.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "db_paths.h"
#include "dir_each.h"
#include "iface_db.h"
#include "record_file.h"

static void warnf(record_warn_fn warn, void *ctx, const char *path, const char *why)
{
	if (!warn)
		return;
	char msg[4600];
	snprintf(msg, sizeof(msg), "%s: %s; skipped", path, why);
	warn(ctx, msg);
}

/* "ADDR,PORT[,TPGT]": the address may hold ':' (IPv6) but never ','. */
static int split_portal(const char *name, char **addr, int *port, int *tpgt, int want_tpgt)
{
	char *copy = strdup(name);
	if (!copy)
		return -1;
	char *last = strrchr(copy, ',');
	if (!last)
		goto bad;
	char *end;
	long t = -1;
	if (want_tpgt) {
		*last = '\0';
		t = strtol(last + 1, &end, 10);
		if (*end || last[1] == '\0')
			goto bad;
		last = strrchr(copy, ',');
		if (!last)
			goto bad;
	}
	*last = '\0';
	long p = strtol(last + 1, &end, 10);
	if (*end || last[1] == '\0' || p < 0 || p > 65535 || !copy[0])
		goto bad;
	*addr = copy;
	*port = (int)p;
	*tpgt = (int)t;
	return 0;
bad:
	free(copy);
	return 1;
}

static int push(struct node_index *ix, const char *target, char *addr, int port, int tpgt,
		const char *iface)
{
	struct node_ref *grown = realloc(ix->v, (ix->n + 1) * sizeof(*grown));
	if (!grown) {
		free(addr); /* it is ours either way */
		return -1;
	}
	ix->v = grown;
	struct node_ref *n = &ix->v[ix->n];
	n->target = strdup(target);
	n->iface = strdup(iface);
	n->address = addr;
	n->port = port;
	n->tpgt = tpgt;
	ix->n++;
	if (!n->target || !n->iface)
		return -1;
	return 0;
}

/* The iface an old-style record file is bound to: its iface.iscsi_ifacename line. */
char *node_old_style_iface(const char *path)
{
	char *text, err[512];
	size_t len;
	if (file_read_all(path, RECORD_FILE_MAX, &text, &len, err, sizeof(err)) < 0)
		return NULL;
	char *iface = NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *p = line + strspn(line, " \t");
		if (strncmp(p, "iface.iscsi_ifacename", 21) != 0)
			continue;
		p += 21;
		p += strspn(p, " \t=");
		p[strcspn(p, " \t\r")] = '\0';
		if (*p) {
			free(iface);
			iface = strdup(p);
		}
	}
	free(text);
	return iface ? iface : strdup("default");
}

/* Where a walk of nodes/ is: the index it fills, the directory whose entries it visits, and
 * the target that directory belongs to. */
struct node_walk {
	struct node_index *ix;
	record_warn_fn warn;
	void *warn_ctx;
	const char *dir, *target;
	const char *addr; /* in a portal directory ADDR,PORT,TPGT: its parts */
	int port, tpgt;
	/* in ADDR,PORT,-1: the iface of the old-style file ADDR,PORT beside it, whose record
	 * that iface's entry only copies (node_shared_portal.h) */
	const char *shadowed;
};

/* nodes/TARGET/ADDR,PORT,TPGT/IFACE */
static int add_iface_entry(const char *iface, void *ctx)
{
	struct node_walk *w = ctx;
	if (w->shadowed && strcmp(w->shadowed, iface) == 0)
		return 0;
	char *a = strdup(w->addr);
	return a ? push(w->ix, w->target, a, w->port, w->tpgt, iface) : -1;
}

/* What an entry of nodes/TARGET is: the directory says, or on file systems that do not, lstat. */
static bool entry_is(unsigned char type, const char *path, mode_t want)
{
	if (type != DT_UNKNOWN)
		return type == (want == S_IFDIR ? DT_DIR : DT_REG);
	struct stat st;
	return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == want;
}

/* nodes/TARGET/ENTRY: a portal directory, or an old-style record file ADDR,PORT */
static int load_entry(const char *entry, unsigned char type, void *ctx)
{
	struct node_walk *w = ctx;
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s", w->dir, entry);
	char *addr;
	int port, tpgt;
	if (entry_is(type, path, S_IFDIR)) {
		int r = split_portal(entry, &addr, &port, &tpgt, 1);
		if (r != 0) {
			if (r > 0)
				warnf(w->warn, w->warn_ctx, path, "not a portal directory (ADDRESS,PORT,TPGT)");
			return r < 0 ? -1 : 0;
		}
		struct node_walk in_portal = *w;
		in_portal.addr = addr;
		in_portal.port = port;
		in_portal.tpgt = tpgt;
		char *shadowed = NULL;
		if (tpgt == -1) {
			char file[8192];
			struct stat st;
			snprintf(file, sizeof(file), "%s/%s,%d", w->dir, addr, port);
			if (lstat(file, &st) == 0 && S_ISREG(st.st_mode))
				shadowed = node_old_style_iface(file);
		}
		in_portal.shadowed = shadowed;
		int rc = dir_each(path, add_iface_entry, &in_portal);
		free(shadowed);
		free(addr);
		return rc;
	}
	if (!entry_is(type, path, S_IFREG))
		return 0;
	int r = split_portal(entry, &addr, &port, &tpgt, 0);
	if (r != 0) {
		if (r > 0)
			warnf(w->warn, w->warn_ctx, path, "not a node record (ADDRESS,PORT)");
		return r < 0 ? -1 : 0;
	}
	char *iface = node_old_style_iface(path);
	int rc = iface ? push(w->ix, w->target, addr, port, -1, iface) : (free(addr), 0);
	free(iface);
	return rc;
}

/* nodes/TARGET */
static int load_target(const char *target, void *ctx)
{
	struct node_walk in_target = *(struct node_walk *)ctx;
	char tdir[4400];
	snprintf(tdir, sizeof(tdir), "%s/%s", in_target.dir, target);
	in_target.target = target;
	in_target.dir = tdir;
	return dir_each_typed(tdir, load_entry, &in_target);
}

/* Fills out from one target's directory (target set) or from all of nodes/. */
static int load(struct node_index *out, const char *target, record_warn_fn warn, void *warn_ctx)
{
	out->v = NULL;
	out->n = 0;
	char root[4096];
	snprintf(root, sizeof(root), "%s/nodes", db_root());
	struct node_walk w = { .ix = out, .warn = warn, .warn_ctx = warn_ctx, .dir = root };
	int rc = target ? load_target(target, &w) : dir_each(root, load_target, &w);
	if (rc < 0) {
		node_index_free(out);
		errno = ENOMEM;
	}
	return rc;
}

int node_index_load(struct node_index *out, record_warn_fn warn, void *warn_ctx)
{
	return load(out, NULL, warn, warn_ctx);
}

/* A name that is no visible directory entry (empty, holding '/', or starting with '.' as
 * ".", "..", and the temporary files of atomic writes do) names no record here, exactly as a
 * walk of nodes/ (dir_each skips "." names) would never have matched it. */
static bool is_entry_name(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/');
}

int node_index_load_target(struct node_index *out, const char *target, record_warn_fn warn,
			   void *warn_ctx)
{
	if (!is_entry_name(target)) {
		out->v = NULL;
		out->n = 0;
		return 0;
	}
	return load(out, target, warn, warn_ctx);
}

int node_index_append(struct node_index *ix, const struct node_ref *n)
{
	char *addr = strdup(n->address);
	return addr ? push(ix, n->target, addr, n->port, n->tpgt, n->iface) : -1;
}

void node_index_free(struct node_index *ix)
{
	for (size_t i = 0; i < ix->n; i++) {
		free(ix->v[i].target);
		free(ix->v[i].address);
		free(ix->v[i].iface);
	}
	free(ix->v);
	ix->v = NULL;
	ix->n = 0;
}

void portal_format(const char *address, int port, int tpgt, bool with_tpgt, char *buf,
		   size_t len)
{
	bool v6 = strchr(address, ':') != NULL;
	int n = snprintf(buf, len, "%s%s%s:%d", v6 ? "[" : "", address, v6 ? "]" : "", port);
	if (with_tpgt && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ",%d", tpgt);
}

void node_portal_text(const struct node_ref *n, char *buf, size_t len)
{
	portal_format(n->address, n->port, n->tpgt, true, buf, len);
}
