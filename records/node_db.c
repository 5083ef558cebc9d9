#include "node_db.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "db_paths.h"
#include "dir_each.h"
#include "names.h"
#include "node_shared_portal.h"
#include "node_schema.h"
#include "record_file.h"

void node_file_path(const struct node_ref *n, char *buf, size_t len)
{
	if (n->tpgt < 0 && !node_in_shared_portal(n))
		snprintf(buf, len, "%s/nodes/%s/%s,%d", db_root(), n->target, n->address, n->port);
	else
		snprintf(buf, len, "%s/nodes/%s/%s,%d,%d/%s", db_root(), n->target, n->address,
			 n->port, n->tpgt, n->iface);
}

/* Defence in depth: whatever the callers checked, no name leaves its directory. The portal
 * directory's whole name must fit too. */
int node_ref_check(const struct node_ref *n, char *err, size_t errlen)
{
	char portal[PATH_COMPONENT_MAX + 64];
	snprintf(portal, sizeof(portal), "%s,%d,%d", n->address, n->port, n->tpgt);
	if (!path_component_ok("target name", n->target, err, errlen) ||
	    !path_component_ok("portal address", n->address, err, errlen) ||
	    !path_component_ok("portal directory name", portal, err, errlen))
		return -1;
	if (n->tpgt >= 0 && !path_component_ok("iface name", n->iface, err, errlen))
		return -1;
	return 0;
}

int node_load(const struct node_ref *n, struct record *out, record_warn_fn warn, void *warn_ctx,
	      char *err, size_t errlen)
{
	if (node_ref_check(n, err, errlen) < 0) {
		errno = EINVAL;
		return -1;
	}
	const struct schema *s = node_schema();
	if (!s) {
		snprintf(err, errlen, "Out of memory");
		errno = ENOMEM;
		return -1;
	}
	char path[8192];
	node_file_path(n, path, sizeof(path));
	return record_read_file(path, s, out, warn, warn_ctx, err, errlen);
}

void node_ref_of(const struct record *r, struct node_ref *n)
{
	n->target = (char *)record_get(r, "node.name");
	n->address = (char *)record_get(r, "node.conn[0].address");
	n->port = atoi(record_get(r, "node.conn[0].port"));
	n->tpgt = atoi(record_get(r, "node.tpgt"));
	n->iface = (char *)record_get(r, "iface.iscsi_ifacename");
}

static void link_name(const struct node_ref *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s,%s,%d,%d,%s", n->target, n->address, n->port, n->tpgt, n->iface);
}

/* An absolute symlink to the portal directory, as open-iscsi makes them. */
static int make_link(const struct node_ref *n, const char *link_dir, char *err, size_t errlen)
{
	char dir[4400], name[4400], path[9000], target[8800];
	snprintf(dir, sizeof(dir), "%s/%s", db_root(), link_dir);
	if (mkdir_p(dir, 0700) < 0) {
		snprintf(err, errlen, "Could not create %s: %s", dir, strerror(errno));
		return -1;
	}
	link_name(n, name, sizeof(name));
	if (!path_component_ok("link name", name, err, errlen))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(target, sizeof(target), "%s/nodes/%s/%s,%d,%d", db_root(), n->target, n->address,
		 n->port, n->tpgt);
	unlink(path);
	if (symlink(target, path) < 0) {
		snprintf(err, errlen, "Could not link %s: %s", path, strerror(errno));
		return -1;
	}
	if (fsync_dir(dir) < 0) { /* the link is how discovery finds the record again */
		snprintf(err, errlen, "Could not sync directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int node_store(const struct record *r, const char *link_dir, char *err, size_t errlen)
{
	struct node_ref n;
	node_ref_of(r, &n);
	if (node_ref_check(&n, err, errlen) < 0)
		return -1;
	char dir[8192], name[4400];
	bool old_style = false;
	if (n.tpgt < 0) {
		if (node_shared_portal_place(&n, dir, sizeof(dir), name, sizeof(name), err,
					     errlen) < 0)
			return -1;
		char tdir[4400];   /* the old-style file is in the target's own directory */
		snprintf(tdir, sizeof(tdir), "%s/nodes/%s", db_root(), n.target);
		old_style = strcmp(dir, tdir) == 0;
	} else {
		snprintf(dir, sizeof(dir), "%s/nodes/%s/%s,%d,%d", db_root(), n.target, n.address,
			 n.port, n.tpgt);
		snprintf(name, sizeof(name), "%s", n.iface);
	}
	if (record_write_file(dir, name, r, err, errlen) < 0)
		return -1;
	if (old_style)
		node_shared_portal_drop_copy(&n);   /* the file is the record now, not a copy */
	if (n.tpgt < 0 || !link_dir)
		return 0;
	return make_link(&n, link_dir, err, errlen);
}

static void report(record_warn_fn warn, void *ctx, const char *path)
{
	if (!warn)
		return;
	char msg[9200];
	snprintf(msg, sizeof(msg), "Could not remove %s: %s", path, strerror(errno));
	warn(ctx, msg);
}

struct link_removal {
	const char *root, *link;
};

static int remove_link_in(const char *subdir, void *ctx)
{
	const struct link_removal *lr = ctx;
	char path[8800];
	snprintf(path, sizeof(path), "%s/%s/%s", lr->root, subdir, lr->link);
	unlink(path);
	return 0;
}

/* Links are named TARGET,ADDRESS,PORT,TPGT,IFACE, in static/ itself and in each discovery
 * directory (ADDR,PORT) of send_targets/ and isns/. Only the discovery directories are
 * visited, never the links beside them: static/ holds one link per static record, so walking
 * it would make every delete cost as much as the whole database. */
static void remove_links(const char *kind_dir, const char *link, bool in_subdirs)
{
	char root[4400], path[8800];
	snprintf(root, sizeof(root), "%s/%s", db_root(), kind_dir);
	snprintf(path, sizeof(path), "%s/%s", root, link);
	unlink(path);
	if (in_subdirs)
		dir_each(root, remove_link_in, &(struct link_removal){ root, link });
}

int node_delete(const struct node_ref *n, record_warn_fn warn, void *warn_ctx)
{
	char file[8192];
	if (node_ref_check(n, file, sizeof(file)) < 0) {
		if (warn)
			warn(warn_ctx, file);
		return -1;
	}
	node_file_path(n, file, sizeof(file));
	if (unlink(file) < 0 && errno != ENOENT) {
		report(warn, warn_ctx, file);
		return -1;
	}
	if (n->tpgt < 0)   /* a copy the old-style file shadowed; the shared directory once empty */
		node_shared_portal_drop_copy(n);
	char tdir[4400];
	snprintf(tdir, sizeof(tdir), "%s/nodes/%s", db_root(), n->target);
	if (n->tpgt >= 0) {
		char link[4400], pdir[8800];
		link_name(n, link, sizeof(link));
		remove_links("send_targets", link, true);
		remove_links("static", link, false);
		remove_links("isns", link, true);
		snprintf(pdir, sizeof(pdir), "%s/%s,%d,%d", tdir, n->address, n->port, n->tpgt);
		rmdir(pdir); /* fails, as it should, while other ifaces' records remain */
	}
	rmdir(tdir);
	return 0;
}
