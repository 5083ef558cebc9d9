/* Atomic replacement of record files and the flock-based database lock. */
#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Creates path (its parent exists); a new directory is synced into its parent, or a crash could
 * lose it together with the record written inside. */
static int mkdir_synced(char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : -1;
	char *slash = strrchr(path, '/');
	if (!slash)
		return fsync_dir(".");
	if (slash == path)
		return fsync_dir("/");
	*slash = '\0';
	int rc = fsync_dir(path);
	*slash = '/';
	return rc;
}

int mkdir_p(const char *dir, mode_t mode)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int rc = mkdir_synced(path, mode);
		*p = '/';
		if (rc < 0)
			return -1;
	}
	return mkdir_synced(path, mode);
}

/* The lock this process holds, and how many callers share it: a command that holds the lock
 * may call code that takes it again (an update reading an iface that detection must first
 * write), and flock() on a second descriptor of the same file would wait for ourselves. */
static int held_fd = -1;
static unsigned held_depth;

int db_lock(const char *root, char *err, size_t errlen)
{
	if (held_fd >= 0) {
		held_depth++;
		return held_fd;
	}
	char path[4096];
	if (mkdir_p(root, 0700) < 0) {
		snprintf(err, errlen, "Could not create database directory %s: %s", root,
			 strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/.swiscsi.lock", root);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "Could not open lock file %s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "Could not lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	held_fd = fd;
	held_depth = 1;
	return fd;
}

void db_unlock(int fd)
{
	if (fd < 0 || fd != held_fd || --held_depth)
		return;
	held_fd = -1;
	close(fd); /* closing the last descriptor releases the flock */
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int file_write_atomic(const char *dir, const char *name, const char *data, size_t len,
		      mode_t mode, char *err, size_t errlen)
{
	char tmp[4096], dst[4096];
	if (snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= (int)sizeof(dst) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmpXXXXXX", dir, name) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "Path too long: %s/%s", dir, name);
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "Could not create a file in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "Could not write %s: %s", dst, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, dst) < 0) {
		snprintf(err, errlen, "Could not write %s: %s", dst, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (fsync_dir(dir) < 0) {
		snprintf(err, errlen, "Could not sync directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int file_read_all(const char *path, size_t max, char **out, size_t *lenp, char *err,
		  size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "Could not open %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf) {
			snprintf(err, errlen, "Out of memory reading %s", path);
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			snprintf(err, errlen, "Could not read %s: %s", path, strerror(e));
			free(buf);
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			snprintf(err, errlen, "%s is larger than %zu bytes: not a record file", path,
				 max);
			free(buf);
			close(fd);
			errno = EFBIG;
			return -1;
		}
		if (len == cap) {
			cap *= 2;
			char *grown = realloc(buf, cap + 1);
			if (!grown)
				free(buf);
			buf = grown;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	if (lenp)
		*lenp = len;
	return 0;
}
