#include "dir_each.h"

#include <dirent.h>
#include <stdlib.h>

int dir_each_typed(const char *dir, dir_typed_entry_fn fn, void *ctx)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return 0;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc >= 0 && ents[i]->d_name[0] != '.')
			rc = fn(ents[i]->d_name, ents[i]->d_type, ctx);
		free(ents[i]);
	}
	free(ents);
	return rc < 0 ? rc : 0;
}

struct untyped {
	dir_entry_fn fn;
	void *ctx;
};

static int drop_type(const char *name, unsigned char type, void *ctx)
{
	(void)type;
	const struct untyped *u = ctx;
	return u->fn(name, u->ctx);
}

int dir_each(const char *dir, dir_entry_fn fn, void *ctx)
{
	return dir_each_typed(dir, drop_type, &(struct untyped){ fn, ctx });
}
