/* Atomic replacement and the database lock. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic_file.h"

static char dir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/swiscsi-unit-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int count_entries(const char *d)
{
	DIR *h = opendir(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(h)))
		n += e->d_name[0] != '.' || strncmp(e->d_name, ".rec", 4) == 0;
	closedir(h);
	return n;
}

static void test_write_replace_read(void **state)
{
	(void)state;
	char err[512], *text;
	size_t len;
	assert_int_equal(file_write_atomic(dir, "rec", "one\n", 4, 0600, err, sizeof(err)), 0);
	assert_int_equal(file_write_atomic(dir, "rec", "second\n", 7, 0600, err, sizeof(err)), 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/rec", dir);
	assert_int_equal(file_read_all(path, 100, &text, &len, err, sizeof(err)), 0);
	assert_string_equal(text, "second\n");
	assert_int_equal(len, 7);
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* no temp file is left behind */
	assert_int_equal(count_entries(dir), 1);
}

static void test_read_limits(void **state)
{
	(void)state;
	char err[512], *text, path[512];
	size_t len;
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(file_read_all(path, 100, &text, &len, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, path));
	char big[300];
	memset(big, 'x', sizeof(big));
	assert_int_equal(file_write_atomic(dir, "big", big, sizeof(big), 0600, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(file_read_all(path, 100, &text, &len, err, sizeof(err)), -1);
	assert_int_equal(errno, EFBIG);
	/* a directory is not a record */
	assert_int_equal(file_read_all(dir, 100, &text, &len, err, sizeof(err)), -1);
}

static void test_write_into_missing_dir_fails_cleanly(void **state)
{
	(void)state;
	char err[512], sub[512];
	snprintf(sub, sizeof(sub), "%s/nope", dir);
	assert_int_equal(file_write_atomic(sub, "rec", "x", 1, 0600, err, sizeof(err)), -1);
	assert_non_null(strstr(err, sub));
}

static void test_lock_is_exclusive(void **state)
{
	(void)state;
	char err[512], root[512], lockpath[600];
	snprintf(root, sizeof(root), "%s/db/deeper", dir);
	int fd = db_lock(root, err, sizeof(err));
	assert_true(fd >= 0);
	snprintf(lockpath, sizeof(lockpath), "%s/.swiscsi.lock", root);
	int other = open(lockpath, O_RDWR);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	db_unlock(fd);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	struct stat st;
	assert_int_equal(stat(root, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

/* A holder killed outright (no db_unlock, no exit handlers) leaves the lock free: a crashed
 * swiscsiadm never blocks the next one. */
static void test_lock_dies_with_holder(void **state)
{
	(void)state;
	char err[512], lockpath[600];
	int ready[2], hold[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* holds the lock until killed; should this test fail first, the end of `hold`
		 * (the parent gone) ends the child too */
		close(ready[0]);
		close(hold[1]);
		int rc = db_lock(dir, err, sizeof(err)) >= 0 ? 0 : 1;
		char c;
		(void)!write(ready[1], &rc, sizeof(rc));
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	int rc = -1;
	assert_int_equal(read(ready[0], &rc, sizeof(rc)), sizeof(rc));
	close(ready[0]);
	assert_int_equal(rc, 0);
	snprintf(lockpath, sizeof(lockpath), "%s/.swiscsi.lock", dir);
	int other = open(lockpath, O_RDWR);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);   /* the child holds it */
	assert_int_equal(errno, EWOULDBLOCK);
	assert_int_equal(kill(child, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	close(hold[1]);
}

/* Code that holds the lock may call code that takes it again: that must not wait for itself,
 * and the lock stays held until the outermost db_unlock. */
static void test_lock_nests_within_a_process(void **state)
{
	(void)state;
	char err[512], lockpath[600];
	int outer = db_lock(dir, err, sizeof(err));
	assert_true(outer >= 0);
	int inner = db_lock(dir, err, sizeof(err));
	assert_int_equal(inner, outer);
	snprintf(lockpath, sizeof(lockpath), "%s/.swiscsi.lock", dir);
	int other = open(lockpath, O_RDWR);
	assert_true(other >= 0);
	db_unlock(inner);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	db_unlock(outer);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_replace_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_into_missing_dir_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_is_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_dies_with_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_nests_within_a_process, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
