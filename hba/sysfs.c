/* sysfs access under a movable root: the real /sys, or a test tree with the same symlinks. */
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

int sysfs_dir(const char *rel, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/%s", sysfs_root(), rel) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	struct stat st;
	if (stat(out, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
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
