/* The node records of an iface follow it: deleting the iface unbinds them (they go, with the
 * discovery links that name them), updating it rewrites their iface section. */
#include "node_unbind.h"

#include <string.h>

#include "node_db.h"
#include "node_index.h"
#include "node_schema.h"

int node_unbind_iface(const char *iface, record_warn_fn warn, void *warn_ctx)
{
	struct node_index ix;
	if (node_index_load(&ix, warn, warn_ctx) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ix.n; i++)
		if (strcmp(ix.v[i].iface, iface) == 0 && node_delete(&ix.v[i], warn, warn_ctx) < 0)
			rc = -1;
	node_index_free(&ix);
	return rc;
}

int node_refresh_iface(const struct record *iface, record_warn_fn warn, void *warn_ctx)
{
	const char *name = record_get(iface, "iface.iscsi_ifacename");
	struct node_index ix;
	if (node_index_load(&ix, warn, warn_ctx) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < ix.n; i++) {
		if (strcmp(ix.v[i].iface, name) != 0)
			continue;
		struct record r;
		char err[1024] = "Out of memory";
		if (node_load(&ix.v[i], &r, warn, warn_ctx, err, sizeof(err)) < 0) {
			if (warn)
				warn(warn_ctx, err);
			rc = -1;
			continue;
		}
		if (node_set_iface(&r, iface) < 0 || node_store(&r, NULL, err, sizeof(err)) < 0) {
			if (warn)
				warn(warn_ctx, err);
			rc = -1;
		}
		record_free(&r);
	}
	node_index_free(&ix);
	return rc;
}
