/* swiscsid.conf's parser: defaults, every key, and each kind of mistake with its line number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static void test_defaults(void **state)
{
	(void)state;
	struct swiscsid_config c;
	char err[256] = "";
	assert_int_equal(config_parse("", "t", &c, err, sizeof(err)), 0);
	assert_int_equal(c.lunfs.loop_devices, 1);
	assert_int_equal(c.lunfs.loop_direct_io, 1);
	assert_int_equal(c.lunfs.file_mode, 0600);
	assert_int_equal(c.lunfs.fuse_direct_io, 0);
}

static void test_every_key(void **state)
{
	(void)state;
	struct swiscsid_config c;
	char err[256] = "";
	const char *text = "# swiscsid settings\n"
			   "\n"
			   "[global]\n"
			   "  loop_devices = no   \n"
			   "loop_direct_io=off\n"
			   "; another comment\n"
			   "file_mode = 0640\n"
			   "fuse_direct_io = yes\n"
			   "[target iqn.2026-12.example:disk]\n";
	assert_int_equal(config_parse(text, "t", &c, err, sizeof(err)), 0);
	assert_int_equal(c.lunfs.loop_devices, 0);
	assert_int_equal(c.lunfs.loop_direct_io, 0);
	assert_int_equal(c.lunfs.file_mode, 0640);
	assert_int_equal(c.lunfs.fuse_direct_io, 1);
}

struct bad {
	const char *text, *message;
};

static void test_mistakes(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{ "loop_devices = no\n", "t:1: loop_devices is outside any section" },
		{ "[global]\nloop_devices = maybe\n", "t:2: loop_devices takes yes or no, not \"maybe\"" },
		{ "[global]\n\nfile_mode = 0800\n", "t:3: file_mode takes an octal mode from 0 to 0777" },
		{ "[global]\nfile_mode = 01777\n", "t:2: file_mode takes an octal mode" },
		{ "[global]\nfile_mode =\n", "t:2: file_mode takes an octal mode" },
		{ "[global]\nloop_devics = no\n", "t:2: unknown key loop_devics in [global]" },
		{ "[global]\nloop_devices = no\nloop_devices = yes\n", "t:3: loop_devices is set twice" },
		{ "[global]\n[global]\n", "t:2: [global] appears twice" },
		{ "[nonsense]\n", "t:1: unknown section [nonsense]" },
		{ "[global] x\n", "t:1: a section header is [name] alone on its line" },
		{ "[global\n", "t:1: a section header is [name] alone on its line" },
		{ "[target]\n", "t:1: [target] needs a target name" },
		{ "[target iqn.x]\npolicy = a\n", "t:2: unknown key policy in a [target] section" },
		{ "[global]\njust words\n", "t:2: expected key = value" },
		{ "[global]\npath_selector = fastest\n",
		  "t:2: path_selector takes round-robin, queue-length or service-time, not \"fastest\"" },
		{ "[target iqn.x]\n\nno_path_retry = never\n", "t:3: no_path_retry takes fail, queue or a number" },
		{ "[target iqn.x]\nfailback = 0\n", "t:2: failback takes immediate, manual or a number" },
		{ "[global]\npolling_interval = 5s\n", "t:2: polling_interval takes a number of seconds" },
		{ "[target iqn.x]\nfailback = manual\nfailback = manual\n", "t:3: failback is set twice" },
		{ "[target iqn.x]\n[target iqn.y]\n[target iqn.x]\n", "t:3: [target iqn.x] appears twice" },
		{ "[target iqn.x]\nloop_devices = no\n", "t:2: unknown key loop_devices in a [target] section" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct swiscsid_config c;
		char err[256] = "";
		assert_int_equal(config_parse(cases[i].text, "t", &c, err, sizeof(err)), -1);
		if (strncmp(err, cases[i].message, strlen(cases[i].message)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].message);
		/* a refused file leaves the defaults, never half of it */
		assert_int_equal(c.lunfs.loop_devices, 1);
	}
}

static void test_multipath_policies(void **state)
{
	(void)state;
	struct swiscsid_config c;
	struct mpath_policy p;
	char err[256] = "";
	/* the defaults, for a target no section names */
	assert_int_equal(config_parse("", "t", &c, err, sizeof(err)), 0);
	config_target_policy(&c, "iqn.any", &p);
	assert_int_equal(p.grouping, MPATH_MULTIBUS);
	assert_int_equal(p.selector, MPATH_SERVICE_TIME);
	assert_int_equal(p.no_path_retry, 12);
	assert_int_equal(p.failback, MPATH_FAILBACK_IMMEDIATE);
	assert_int_equal(p.checker_interval, 5);
	/* a target section sets only what it names, over [global] wherever [global] is */
	const char *text = "[target iqn.2026-12.example:a]\n"
			   "path_grouping_policy = failover\n"
			   "failback = 30\n"
			   "[global]\n"
			   "path_selector = round-robin 0\n"
			   "no_path_retry = queue\n"
			   "polling_interval = 2\n"
			   "[target iqn.2026-12.example:b]\n"
			   "no_path_retry = fail\n"
			   "path_selector = queue-length\n";
	assert_int_equal(config_parse(text, "t", &c, err, sizeof(err)), 0);
	config_target_policy(&c, "iqn.2026-12.example:a", &p);
	assert_int_equal(p.grouping, MPATH_FAILOVER);
	assert_int_equal(p.failback, 30);
	assert_int_equal(p.selector, MPATH_ROUND_ROBIN);
	assert_int_equal(p.no_path_retry, MPATH_NO_PATH_RETRY_QUEUE);
	assert_int_equal(p.checker_interval, 2);
	config_target_policy(&c, "iqn.2026-12.example:b", &p);
	assert_int_equal(p.grouping, MPATH_MULTIBUS);
	assert_int_equal(p.selector, MPATH_QUEUE_LENGTH);
	assert_int_equal(p.no_path_retry, MPATH_NO_PATH_RETRY_FAIL);
	assert_int_equal(p.failback, MPATH_FAILBACK_IMMEDIATE);
	config_target_policy(&c, "iqn.2026-12.example:c", &p);
	assert_int_equal(p.selector, MPATH_ROUND_ROBIN);
	assert_int_equal(p.no_path_retry, MPATH_NO_PATH_RETRY_QUEUE);
}

static void test_long_line(void **state)
{
	(void)state;
	char text[2100];
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text, "[global]\n", 9);
	struct swiscsid_config c;
	char err[256] = "";
	assert_int_equal(config_parse(text, "t", &c, err, sizeof(err)), -1);
	assert_string_equal(err, "t:2: line longer than 1023 bytes");
}

static void test_load(void **state)
{
	(void)state;
	char path[] = "/tmp/test-daemon-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "[global]\nfile_mode = 0644\n";
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	struct swiscsid_config c;
	char err[256] = "";
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.lunfs.file_mode, 0644);
	unlink(path);
	/* a missing file is the defaults */
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.lunfs.file_mode, 0600);
	setenv("SWISCSI_DAEMON_CONF", path, 1);
	assert_string_equal(config_path(), path);
	unsetenv("SWISCSI_DAEMON_CONF");
	assert_string_equal(config_path(), "/etc/swiscsi/swiscsid.conf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults), cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_multipath_policies),
		cmocka_unit_test(test_mistakes), cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
