#include "iscsid_conf.h"

#include <errno.h>
#include <stdio.h>

#include "db_paths.h"
#include "record_file.h"

int iscsid_conf_defaults(struct record *r, const struct schema *s, record_warn_fn warn,
			 void *warn_ctx)
{
	char err[1024];
	struct record conf;
	if (record_read_file(iscsid_conf_file(), s, &conf, warn, warn_ctx, err, sizeof(err)) < 0) {
		if (errno == ENOMEM)
			return -1;
		if (errno != ENOENT && warn) {
			char msg[1200];
			snprintf(msg, sizeof(msg), "%s; using the built-in defaults", err);
			warn(warn_ctx, msg);
		}
		return record_init(r, s);
	}
	record_drop_extras(&conf);
	*r = conf;
	return 0;
}
