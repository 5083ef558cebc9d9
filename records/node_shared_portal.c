/* Records of an unknown tpgt bound to more than one iface: node_shared_portal.h says why. */
#include "node_shared_portal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "db_paths.h"
#include "names.h"

static void shared_dir(const struct node_ref *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s/nodes/%s/%s,%d,-1", db_root(), n->target, n->address, n->port);
}

static void old_style_file(const struct node_ref *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s/nodes/%s/%s,%d", db_root(), n->target, n->address, n->port);
}

/* Whether the old-style file of n's portal exists and is bound to n's iface. */
static bool old_style_holds(const struct node_ref *n)
{
	char file[8800];
	struct stat st;
	old_style_file(n, file, sizeof(file));
	if (lstat(file, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	char *its_iface = node_old_style_iface(file);
	bool holds = its_iface && strcmp(its_iface, n->iface) == 0;
	free(its_iface);
	return holds;
}

bool node_in_shared_portal(const struct node_ref *n)
{
	char dir[4400], path[8800];
	struct stat st;
	char err[256];
	if (n->tpgt >= 0 || !path_component_ok("iface name", n->iface, err, sizeof(err)))
		return false;     /* an iface name that is no path component names no file here */
	shared_dir(n, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, n->iface);
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && !old_style_holds(n);
}

void node_shared_portal_drop_copy(const struct node_ref *n)
{
	char dir[4400], path[8800], err[256];
	if (n->tpgt >= 0 || !path_component_ok("iface name", n->iface, err, sizeof(err)))
		return;
	shared_dir(n, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, n->iface);
	if (unlink(path) == 0)
		fsync_dir(dir);
	rmdir(dir);   /* fails, as it should, while other ifaces' records remain */
}

/* Moves the old-style file (bound to its_iface) into the shared directory dir. */
static int move_old_style(const char *file, const char *dir, const char *its_iface, char *err,
			  size_t errlen)
{
	char moved[8800], parent[4400];
	if (!path_component_ok("iface name", its_iface, err, errlen))
		return -1;
	snprintf(moved, sizeof(moved), "%s/%s", dir, its_iface);
	snprintf(parent, sizeof(parent), "%s", dir);
	*strrchr(parent, '/') = '\0';
	if (mkdir_p(dir, 0700) < 0 || rename(file, moved) < 0 || fsync_dir(dir) < 0 ||
	    fsync_dir(parent) < 0) {
		snprintf(err, errlen, "Could not move %s to %s: %s", file, moved, strerror(errno));
		return -1;
	}
	return 0;
}

int node_shared_portal_place(const struct node_ref *n, char *dir, size_t dirlen, char *name,
			     size_t namelen, char *err, size_t errlen)
{
	char shared[4400], file[8800];
	struct stat st;
	shared_dir(n, shared, sizeof(shared));
	old_style_file(n, file, sizeof(file));
	bool have_shared = lstat(shared, &st) == 0 && S_ISDIR(st.st_mode);
	if (have_shared && old_style_holds(n))
		have_shared = false;   /* the old-style file is this record: write it in place */
	if (!have_shared && lstat(file, &st) == 0 && S_ISREG(st.st_mode)) {
		char *its_iface = node_old_style_iface(file);
		if (!its_iface) {
			snprintf(err, errlen, "Could not read %s: %s", file, strerror(errno));
			return -1;
		}
		int rc = 0;
		if (strcmp(its_iface, n->iface) != 0) {   /* a second binding: keep the first */
			rc = move_old_style(file, shared, its_iface, err, errlen);
			have_shared = rc == 0;
		}
		free(its_iface);
		if (rc < 0)
			return -1;
	}
	if (!have_shared) {     /* one binding: the old-style file, as open-iscsi writes it */
		snprintf(dir, dirlen, "%s/nodes/%s", db_root(), n->target);
		snprintf(name, namelen, "%s,%d", n->address, n->port);
		return 0;
	}
	if (!path_component_ok("iface name", n->iface, err, errlen))
		return -1;
	snprintf(dir, dirlen, "%s", shared);
	snprintf(name, namelen, "%s", n->iface);
	return 0;
}
