#include "dir_order.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_paths.h"
#include "node_shared_portal.h"

/* A directory's entries with the place readdir gave each, sorted by name for lookups. */
struct entry {
	char *name;
	size_t rank;
};
struct listing {
	char path[5200];   /* the directory listed, "" for none yet */
	struct entry *v;
	size_t n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	*l = (struct listing){ 0 };
}

/* Lists dir into l unless l holds it already. An unreadable directory lists as empty. */
static int listing_load(struct listing *l, const char *dir)
{
	if (l->path[0] && strcmp(l->path, dir) == 0)
		return 0;
	listing_free(l);
	snprintf(l->path, sizeof(l->path), "%s", dir);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (l->n == cap) {
			struct entry *grown = realloc(l->v, (cap = cap ? 2 * cap : 16) * sizeof(*grown));
			if (!grown) {
				rc = -1;
				break;
			}
			l->v = grown;
		}
		if (!(l->v[l->n].name = strdup(e->d_name)))
			rc = -1;
		else
			l->v[l->n].rank = l->n, l->n++;
	}
	closedir(d);
	if (rc == 0)
		qsort(l->v, l->n, sizeof(*l->v), by_name);
	return rc;
}

/* Where name came in the walk; names that are not there come last, in their current order. */
static size_t rank_of(const struct listing *l, const char *name)
{
	struct entry key = { .name = (char *)name };
	const struct entry *e = l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), by_name) : NULL;
	return e ? e->rank : (size_t)-1;
}

struct ranked {
	size_t key[3];
	size_t was;   /* the sorted position, which keeps equal keys in their order */
};

static int by_rank(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	for (int i = 0; i < 3; i++)
		if (x->key[i] != y->key[i])
			return x->key[i] < y->key[i] ? -1 : 1;
	return x->was < y->was ? -1 : x->was > y->was;
}

/* Sorts the n elements of size `size` at v by the keys in r (filled by the caller). */
static int apply_order(void *v, size_t n, size_t size, struct ranked *r)
{
	qsort(r, n, sizeof(*r), by_rank);
	char *copy = malloc(n * size);
	if (!copy)
		return -1;
	memcpy(copy, v, n * size);
	for (size_t i = 0; i < n; i++)
		memcpy((char *)v + i * size, copy + r[i].was * size, size);
	free(copy);
	return 0;
}

int dir_order_discovery(struct discovery_list *l, const char *subdir)
{
	if (l->n < 2)
		return 0;
	struct ranked *r = calloc(l->n, sizeof(*r));
	struct listing top = { 0 };
	char dir[4400], name[400];
	snprintf(dir, sizeof(dir), "%s/%s", db_root(), subdir);
	int rc = r ? listing_load(&top, dir) : -1;
	for (size_t i = 0; rc == 0 && i < l->n; i++) {
		snprintf(name, sizeof(name), "%s,%d", l->v[i].address, l->v[i].port);
		r[i] = (struct ranked){ .key = { rank_of(&top, name) }, .was = i };
	}
	if (rc == 0)
		rc = apply_order(l->v, l->n, sizeof(l->v[0]), r);
	listing_free(&top);
	free(r);
	return rc;
}

/* The three ranks of one record; targets and portals come grouped, so each directory below
 * nodes/ is listed once. */
static int rank_node(const struct node_ref *n, struct listing *ls, struct ranked *out)
{
	char dir[5200], portal[400];
	bool in_dir = n->tpgt >= 0 || node_in_shared_portal(n);
	if (in_dir)
		snprintf(portal, sizeof(portal), "%s,%d,%d", n->address, n->port, n->tpgt);
	else
		snprintf(portal, sizeof(portal), "%s,%d", n->address, n->port);
	snprintf(dir, sizeof(dir), "%s/%s", ls[0].path, n->target);
	if (listing_load(&ls[1], dir) < 0)
		return -1;
	out->key[0] = rank_of(&ls[0], n->target);
	out->key[1] = rank_of(&ls[1], portal);
	out->key[2] = 0;
	if (!in_dir)   /* an old-style record is a file: no iface entries below it */
		return 0;
	snprintf(dir, sizeof(dir), "%s/%s/%s", ls[0].path, n->target, portal);
	if (listing_load(&ls[2], dir) < 0)
		return -1;
	out->key[2] = rank_of(&ls[2], n->iface);
	return 0;
}

int dir_order_nodes(struct node_index *ix)
{
	if (ix->n < 2)
		return 0;
	struct ranked *r = calloc(ix->n, sizeof(*r));
	struct listing ls[3] = { { .path = "" } };
	char nodes[4400];
	snprintf(nodes, sizeof(nodes), "%s/nodes", db_root());
	int rc = r ? listing_load(&ls[0], nodes) : -1;
	for (size_t i = 0; rc == 0 && i < ix->n; i++) {
		r[i].was = i;
		rc = rank_node(&ix->v[i], ls, &r[i]);
	}
	if (rc == 0)
		rc = apply_order(ix->v, ix->n, sizeof(ix->v[0]), r);
	for (int i = 0; i < 3; i++)
		listing_free(&ls[i]);
	free(r);
	return rc;
}
