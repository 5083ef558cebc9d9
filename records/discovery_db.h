/* SendTargets discovery records: send_targets/ADDR,PORT/st_config, beside the links to the node
 * records that discovery made. The caller holds the database lock for every change. */
#ifndef SWISCSI_DISCOVERY_DB_H
#define SWISCSI_DISCOVERY_DB_H

#include <stddef.h>

#include "node_index.h"
#include "record.h"

/* "send_targets/ADDR,PORT", relative to the database (the node_store link_dir). */
void discovery_link_dir(const char *address, int port, char *buf, size_t len);

int discovery_load(const char *address, int port, struct record *out, record_warn_fn warn,
		   void *warn_ctx, char *err, size_t errlen);
int discovery_store(const struct record *r, char *err, size_t errlen);

/* Deletes st_config, every node record a link of the directory names, and the directory. */
int discovery_delete(const char *address, int port, record_warn_fn warn, void *warn_ctx);
/* The same for any discovery directory rel ("isns/ADDR,PORT") whose record file is config. */
int discovery_delete_in(const char *rel, const char *config, record_warn_fn warn, void *warn_ctx);

struct discovery_ref {
	char *address;
	int port;
};
struct discovery_list {
	struct discovery_ref *v;
	size_t n;
};
/* The node records a link directory ("send_targets/ADDR,PORT" or "static") names, sorted. 0 or
 * -1 (out of memory). */
int link_dir_nodes(const char *rel_dir, struct node_index *out);

/* Every SendTargets discovery record, sorted by directory name. 0 or -1 (out of memory). */
int discovery_list_load(struct discovery_list *out);
/* The same for the ADDR,PORT directories of another kind ("isns": open-iscsi's iSNS records). */
int discovery_list_load_in(const char *subdir, struct discovery_list *out);
void discovery_list_free(struct discovery_list *l);

#endif
