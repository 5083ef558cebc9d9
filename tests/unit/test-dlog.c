/* The daemon's foreground log lines: the level as a word a person reads on a terminal or in a
 * file, and as journald's <N> prefix when stderr is the journal's stream (JOURNAL_STREAM names
 * stderr's device and inode), not when stderr was redirected since. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlog.h"

/* What dlog writes for three lines, after dlog_init with JOURNAL_STREAM as journal says: "self"
 * for stderr's own device and inode, "other" for another file's, NULL for none. */
static void logged(const char *journal, char *out, size_t len)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(f), 2), 2);
	struct stat st;
	char js[64];
	if (journal && strcmp(journal, "self") == 0) {
		assert_int_equal(fstat(2, &st), 0);
		snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", js, 1);
	} else if (journal) {
		assert_int_equal(stat("/", &st), 0);
		snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", js, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	dlog_init(true);
	dlog(LOG_ERR, "LUN %d: gone", 1);
	dlog(LOG_WARNING, "path %d down", 2);
	dlog(LOG_INFO, "map %s dropped", "m");
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	rewind(f);
	size_t n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void test_words_on_a_terminal_or_in_a_file(void **state)
{
	(void)state;
	char out[512];
	logged(NULL, out, sizeof(out));
	assert_string_equal(out, "swiscsid: error: LUN 1: gone\n"
				 "swiscsid: warning: path 2 down\n"
				 "swiscsid: map m dropped\n");
	logged("other", out, sizeof(out));   /* stderr redirected away from the journal */
	assert_string_equal(out, "swiscsid: error: LUN 1: gone\n"
				 "swiscsid: warning: path 2 down\n"
				 "swiscsid: map m dropped\n");
}

static void test_the_journals_prefix_when_stderr_is_the_journal(void **state)
{
	(void)state;
	char out[512];
	logged("self", out, sizeof(out));
	assert_string_equal(out, "<3>swiscsid: LUN 1: gone\n"
				 "<4>swiscsid: path 2 down\n"
				 "<6>swiscsid: map m dropped\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_on_a_terminal_or_in_a_file),
		cmocka_unit_test(test_the_journals_prefix_when_stderr_is_the_journal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
