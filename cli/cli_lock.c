#include "cli_lock.h"

#include "atomic_file.h"
#include "db_paths.h"
#include "msg.h"

int cli_lock(void)
{
	char err[1024];
	int fd = db_lock(db_root(), err, sizeof(err));
	if (fd < 0)
		msg_error("%s", err);
	return fd;
}
