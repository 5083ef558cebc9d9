#include "rundir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_proto.h"

const char *rundir_path(void)
{
	const char *d = getenv("SWISCSI_RUNDIR");
	return d && d[0] ? d : "/run/swiscsi";
}

void rundir_file(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", rundir_path(), name);
}

void rundir_write_pid(int fd)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) == n)
		return;
}

int rundir_claim(char *err, size_t errlen)
{
	const char *dir = rundir_path();
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	char path[4096];
	rundir_file(CTL_PIDFILE_NAME, path, sizeof(path));
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen, "another swiscsid (pid %s) already runs on %s", pid[0] ? pid : "?",
			 dir);
		close(fd);
		return -1;
	}
	rundir_write_pid(fd);
	return fd;
}

void rundir_release(int fd)
{
	char path[4096];
	rundir_file(CTL_PIDFILE_NAME, path, sizeof(path));
	unlink(path);
	close(fd);
}
