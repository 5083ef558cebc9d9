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
	if (!grown)
		return -1;
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
static char *old_style_iface(const char *path)
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

static int load_portal_dir(struct node_index *ix, const char *target, const char *dir,
			   const char *addr, int port, int tpgt)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return 0;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc == 0 && names[i]->d_name[0] != '.') {
			char *a = strdup(addr);
			rc = a ? push(ix, target, a, port, tpgt, names[i]->d_name) : -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int load_entry(struct node_index *ix, const char *target, const char *tdir,
		      const char *entry, record_warn_fn warn, void *ctx)
{
	char path[8192];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", tdir, entry);
	if (lstat(path, &st) < 0)
		return 0;
	char *addr;
	int port, tpgt;
	if (S_ISDIR(st.st_mode)) {
		int r = split_portal(entry, &addr, &port, &tpgt, 1);
		if (r != 0) {
			if (r > 0)
				warnf(warn, ctx, path, "not a portal directory (ADDRESS,PORT,TPGT)");
			return r < 0 ? -1 : 0;
		}
		int rc = load_portal_dir(ix, target, path, addr, port, tpgt);
		free(addr);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	int r = split_portal(entry, &addr, &port, &tpgt, 0);
	if (r != 0) {
		if (r > 0)
			warnf(warn, ctx, path, "not a node record (ADDRESS,PORT)");
		return r < 0 ? -1 : 0;
	}
	char *iface = old_style_iface(path);
	int rc = iface ? push(ix, target, addr, port, -1, iface) : (free(addr), 0);
	free(iface);
	return rc;
}

int node_index_load(struct node_index *out, record_warn_fn warn, void *warn_ctx)
{
	out->v = NULL;
	out->n = 0;
	char root[4096];
	snprintf(root, sizeof(root), "%s/nodes", db_root());
	struct dirent **targets;
	int nt = scandir(root, &targets, NULL, alphasort);
	if (nt < 0)
		return 0;
	int rc = 0;
	for (int i = 0; i < nt; i++) {
		const char *t = targets[i]->d_name;
		if (rc == 0 && t[0] != '.') {
			char tdir[4400];
			snprintf(tdir, sizeof(tdir), "%s/%s", root, t);
			struct dirent **entries;
			int ne = scandir(tdir, &entries, NULL, alphasort);
			for (int j = 0; j < ne; j++) {
				if (rc == 0 && entries[j]->d_name[0] != '.')
					rc = load_entry(out, t, tdir, entries[j]->d_name, warn,
							warn_ctx);
				free(entries[j]);
			}
			if (ne >= 0)
				free(entries);
		}
		free(targets[i]);
	}
	free(targets);
	if (rc < 0) {
		node_index_free(out);
		errno = ENOMEM;
	}
	return rc;
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
