#include "discovery_db.h"

#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_paths.h"
#include "dir_each.h"
#include "names.h"
#include "node_db.h"
#include "node_schema.h"
#include "record_file.h"

void discovery_link_dir(const char *address, int port, char *buf, size_t len)
{
	snprintf(buf, len, "send_targets/%s,%d", address, port);
}

int discovery_load(const char *address, int port, struct record *out, record_warn_fn warn,
		   void *warn_ctx, char *err, size_t errlen)
{
	char path[4400];
	if (!path_component_ok("discovery address", address, err, errlen)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/send_targets/%s,%d/st_config", db_root(), address, port);
	return record_read_file(path, &discovery_schema, out, warn, warn_ctx, err, errlen);
}

int discovery_store(const struct record *r, char *err, size_t errlen)
{
	char dir[4400];
	if (!path_component_ok("discovery address", record_get(r, "discovery.sendtargets.address"),
			       err, errlen))
		return -1;
	snprintf(dir, sizeof(dir), "%s/send_targets/%s,%s", db_root(),
		 record_get(r, "discovery.sendtargets.address"),
		 record_get(r, "discovery.sendtargets.port"));
	return record_write_file(dir, "st_config", r, err, errlen);
}

/* A link names its node record: TARGET,ADDR,PORT,TPGT,IFACE. The target name may hold commas
 * no more than the iface name may, so split from both ends: the iface after the last comma,
 * then tpgt, port, and the address (IPv6 holds no comma either). */
static int parse_link(char *name, struct node_ref *n)
{
	char *parts[3];
	for (int i = 0; i < 3; i++) {
		char *c = strrchr(name, ',');
		if (!c)
			return -1;
		*c = '\0';
		parts[i] = c + 1;
	}
	char *addr = strrchr(name, ',');
	if (!addr)
		return -1;
	*addr++ = '\0';
	n->iface = parts[0];
	n->tpgt = atoi(parts[1]);
	n->port = atoi(parts[2]);
	n->address = addr;
	n->target = name;
	return 0;
}

int discovery_delete(const char *address, int port, record_warn_fn warn, void *warn_ctx)
{
	char rel[4400], path[9000];
	if (!path_component_ok("discovery address", address, path, sizeof(path))) {
		if (warn)
			warn(warn_ctx, path);
		return -1;
	}
	discovery_link_dir(address, port, rel, sizeof(rel));
	return discovery_delete_in(rel, "st_config", warn, warn_ctx);
}

int discovery_delete_in(const char *rel, const char *config, record_warn_fn warn, void *warn_ctx)
{
	char dir[8800], path[9000];
	struct node_index ix;
	if (link_dir_nodes(rel, &ix) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ix.n; i++)
		if (node_delete(&ix.v[i], warn, warn_ctx) < 0)
			rc = -1;
	node_index_free(&ix);
	snprintf(dir, sizeof(dir), "%s/%s", db_root(), rel);
	snprintf(path, sizeof(path), "%s/%s", dir, config);
	unlink(path);
	if (rmdir(dir) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* send_targets/ADDR,PORT */
static int add_discovery(const char *name, void *ctx)
{
	struct discovery_list *out = ctx;
	const char *comma = strrchr(name, ',');
	if (!comma)
		return 0;
	struct discovery_ref *grown = realloc(out->v, (out->n + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	out->v = grown;
	if (!(grown[out->n].address = strndup(name, (size_t)(comma - name))))
		return -1;
	grown[out->n++].port = atoi(comma + 1);
	return 0;
}

int discovery_list_load(struct discovery_list *out)
{
	return discovery_list_load_in("send_targets", out);
}

int discovery_list_load_in(const char *subdir, struct discovery_list *out)
{
	out->v = NULL;
	out->n = 0;
	char dir[4400];
	snprintf(dir, sizeof(dir), "%s/%s", db_root(), subdir);
	int rc = dir_each(dir, add_discovery, out);
	if (rc < 0)
		discovery_list_free(out);
	return rc;
}

void discovery_list_free(struct discovery_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].address);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int add_link(const char *name, void *ctx)
{
	char copy[NAME_MAX + 1];
	struct node_ref ref;
	if (strcmp(name, "st_config") == 0)
		return 0;
	snprintf(copy, sizeof(copy), "%s", name); /* a directory entry's name always fits */
	if (parse_link(copy, &ref) < 0)
		return 0;
	return node_index_append(ctx, &ref);
}

int link_dir_nodes(const char *rel_dir, struct node_index *out)
{
	out->v = NULL;
	out->n = 0;
	char dir[4400];
	snprintf(dir, sizeof(dir), "%s/%s", db_root(), rel_dir);
	int rc = dir_each(dir, add_link, out);
	if (rc < 0)
		node_index_free(out);
	return rc;
}
