#include "dir_each.h"

#include <dirent.h>
#include <stdlib.h>

int dir_each(const char *dir, dir_entry_fn fn, void *ctx)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return 0;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (rc >= 0 && ents[i]->d_name[0] != '.')
			rc = fn(ents[i]->d_name, ctx);
		free(ents[i]);
	}
	free(ents);
	return rc < 0 ? rc : 0;
}
