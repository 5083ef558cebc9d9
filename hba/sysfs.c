/* sysfs access that works on the real /sys and on copied test trees alike. */
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_paths.h"

enum { MAX_HOPS = 40 };

/* Drops "." and resolves ".." lexically in an absolute path, in place. */
static void normalize(char *path)
{
	char *out = path, *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		char *seg = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/* If path is a link stub (a small regular file holding a relative path to a directory),
 * rewrites path to that directory and returns 1; 0 when it is not one. */
static int follow_stub(char *path, size_t len)
{
	char target[1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, target, sizeof(target) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	target[strcspn(target, "\n")] = '\0';
	if (target[0] == '/' || !strchr(target, '/'))
		return 0;
	char *slash = strrchr(path, '/');
	char joined[8192];
	snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - path), path, target);
	normalize(joined);
	struct stat st;
	if (stat(joined, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(path, len, "%s", joined);
	return 1;
}

int sysfs_dir(const char *rel, char *out, size_t len)
{
	char cur[8192];
	snprintf(cur, sizeof(cur), "%s", sysfs_root());
	const char *p = rel;
	int hops = 0;
	while (*p) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0)
			break;
		size_t used = strlen(cur);
		snprintf(cur + used, sizeof(cur) - used, "/%.*s", (int)n, p);
		p += n;
		struct stat st;
		if (stat(cur, &st) < 0)
			return -1;
		if (S_ISDIR(st.st_mode))
			continue;
		if (++hops > MAX_HOPS || !follow_stub(cur, sizeof(cur))) {
			errno = ENOTDIR;
			return -1;
		}
	}
	if ((size_t)snprintf(out, len, "%s", cur) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int sysfs_attr(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[8400];
	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (n == 0 || strcmp(buf, "(null)") == 0) {
		buf[0] = '\0';
		return 1;
	}
	return 0;
}

int sysfs_names(const char *rel, char ***names)
{
	char dir[8192];
	*names = NULL;
	if (sysfs_dir(rel, dir, sizeof(dir)) < 0)
		return errno == ENOENT ? 0 : -1;
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return -1;
	char **out = calloc((size_t)n + 1, sizeof(*out));
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (out && ents[i]->d_name[0] != '.')
			out[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	if (!out)
		return -1;
	if (!k) {
		free(out); /* an empty directory: nothing for the caller to free */
		return 0;
	}
	for (int i = 0; i < k; i++) {
		if (!out[i]) {
			sysfs_names_free(out, k);
			return -1;
		}
	}
	*names = out;
	return k;
}

void sysfs_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
