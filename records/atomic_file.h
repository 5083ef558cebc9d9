/* Crash-safe file updates and the database lock. */
#ifndef SWISCSI_ATOMIC_FILE_H
#define SWISCSI_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Takes the database lock: flock() on DBROOT/.swiscsi.lock (created 0600, DBROOT created 0700
 * when missing). The lock dies with its holder, so a crash never leaves the database locked.
 * Blocks until the lock is free. Nests within one process (the lock is released by the
 * db_unlock matching the first db_lock). Returns the fd to pass to db_unlock, or -1 with err
 * set. Not for use from several threads at once. */
int db_lock(const char *root, char *err, size_t errlen);
void db_unlock(int fd);

/* Creates dir and its missing parents with mode (umask permitting), each new directory synced
 * into its parent. 0 or -1 with errno. */
int mkdir_p(const char *dir, mode_t mode);

/* fsync() of a directory, so that entries created or renamed in it survive a crash. */
int fsync_dir(const char *dir);

/* Replaces dir/name with data: a temp file in dir, written, fsync'd, renamed over name, then dir
 * fsync'd. Readers see the old or the new file, never a torn one. 0 or -1 with err set. */
int file_write_atomic(const char *dir, const char *name, const char *data, size_t len,
		      mode_t mode, char *err, size_t errlen);

/* Reads a whole regular file of at most max bytes into a malloc'd, NUL-terminated buffer.
 * Returns 0, or -1 with errno (ENOENT when missing, EFBIG when larger than max) and err set. */
int file_read_all(const char *path, size_t max, char **out, size_t *lenp, char *err,
		  size_t errlen);

#endif
