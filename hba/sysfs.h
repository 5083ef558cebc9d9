/* Reading sysfs under a movable root ($SWISCSI_SYSFS). */
#ifndef SWISCSI_SYSFS_H
#define SWISCSI_SYSFS_H

#include <stddef.h>

/* Puts the path of directory rel (e.g. "class/iscsi_host/host7") under the sysfs root in out;
 * symbolic links resolve as the kernel's do. 0, or -1 (errno; ENOTDIR when rel is no directory). */
int sysfs_dir(const char *rel, char *out, size_t len);

/* Reads attribute dir/attr, without trailing white space. A missing file, an empty one and the
 * kernel's "(null)" all give "" and return 1; a value gives 0; other errors -1. */
int sysfs_attr(const char *dir, const char *attr, char *buf, size_t len);

/* Sorted names of the entries of directory rel under the root (no dot entries). Returns the
 * count (0 when the directory is missing) and a malloc'd array the caller frees with
 * sysfs_names_free, or -1 on error. */
int sysfs_names(const char *rel, char ***names);
void sysfs_names_free(char **names, int n);

#endif
