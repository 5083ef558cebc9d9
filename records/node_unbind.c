/* Unbinding: node record files and the discovery links that name them. */
#include "node_unbind.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_paths.h"
#include "node_index.h"

static void report(record_warn_fn warn, void *ctx, const char *path)
{
	if (!warn)
		return;
	char msg[4400];
	snprintf(msg, sizeof(msg), "Could not remove %s: %s", path, strerror(errno));
	warn(ctx, msg);
}

/* Links are named TARGET,ADDRESS,PORT,TPGT,IFACE in every discovery directory. */
static void remove_links(const char *kind_dir, const char *link)
{
	char root[4400];
	snprintf(root, sizeof(root), "%s/%s", db_root(), kind_dir);
	char path[8800];
	snprintf(path, sizeof(path), "%s/%s", root, link); /* static/ keeps them flat */
	unlink(path);
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", root, e->d_name, link);
		unlink(path);
	}
	closedir(d);
}

static int unbind_one(const struct node_ref *n, record_warn_fn warn, void *ctx)
{
	char tdir[4400], pdir[8800], file[9000];
	snprintf(tdir, sizeof(tdir), "%s/nodes/%s", db_root(), n->target);
	if (n->tpgt < 0) {
		snprintf(file, sizeof(file), "%s/%s,%d", tdir, n->address, n->port);
	} else {
		snprintf(pdir, sizeof(pdir), "%s/%s,%d,%d", tdir, n->address, n->port, n->tpgt);
		snprintf(file, sizeof(file), "%s/%s", pdir, n->iface);
	}
	if (unlink(file) < 0 && errno != ENOENT) {
		report(warn, ctx, file);
		return -1;
	}
	if (n->tpgt >= 0) {
		char link[8800];
		snprintf(link, sizeof(link), "%s,%s,%d,%d,%s", n->target, n->address, n->port,
			 n->tpgt, n->iface);
		remove_links("send_targets", link);
		remove_links("static", link);
		remove_links("isns", link);
		rmdir(pdir); /* fails, as it should, while other ifaces' records remain */
	}
	rmdir(tdir);
	return 0;
}

int node_unbind_iface(const char *iface, record_warn_fn warn, void *warn_ctx)
{
	struct node_index ix;
	if (node_index_load(&ix, warn, warn_ctx) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ix.n; i++)
		if (strcmp(ix.v[i].iface, iface) == 0 && unbind_one(&ix.v[i], warn, warn_ctx) < 0)
			rc = -1;
	node_index_free(&ix);
	return rc;
}
