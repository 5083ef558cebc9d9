/* Defence in depth in the record paths: whatever a caller passes, node records are written
 * inside the database, and no value can add a line to a record file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discovery_db.h"
#include "node_db.h"
#include "node_index.h"
#include "node_schema.h"

static char top[256], db[300];

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/swiscsi-unit-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(db, sizeof(db), "%s/a/db", top);
	return setenv("SWISCSI_DB", db, 1);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static void make_record(struct record *r, const char *target, const char *address,
			const char *iface)
{
	assert_int_equal(record_init(r, node_schema()), 0);
	assert_int_equal(record_set(r, "node.name", target), 0);
	assert_int_equal(record_set(r, "node.conn[0].address", address), 0);
	assert_int_equal(record_set(r, "node.conn[0].port", "3260"), 0);
	assert_int_equal(record_set(r, "node.tpgt", "1"), 0);
	assert_int_equal(record_set(r, "iface.iscsi_ifacename", iface), 0);
}

static bool exists(const char *rel)
{
	char path[700];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	return lstat(path, &st) == 0;
}

static void refused(const char *target, const char *address, const char *iface,
		    const char *what)
{
	struct record r;
	char err[1024];
	make_record(&r, target, address, iface);
	assert_int_equal(node_store(&r, "static", err, sizeof(err)), -1);
	assert_non_null(strstr(err, what));
	record_free(&r);
}

static void test_unsafe_components_are_refused(void **state)
{
	(void)state;
	refused("..", "192.0.2.1", "default", "target name");
	refused("iqn.x/../../../../p", "192.0.2.1", "default", "target name");
	refused("iqn.x", "../../..", "default", "portal address");
	refused("iqn.x", "a/b", "default", "portal address");
	refused("iqn.x", "192.0.2.1", "..", "iface name");
	refused("iqn.x", "192.0.2.1", "../../../p", "iface name");
	/* where those would have landed: the database, its parent, the temp dir */
	assert_false(exists("a/db/192.0.2.1,3260,1"));
	assert_false(exists("a/db/nodes/iqn.x/192.0.2.1,3260,1/.."));
	assert_false(exists("p"));
	assert_false(exists("a/p"));
	assert_false(exists("a/db/static"));
	struct node_ref n = { .target = "..", .address = "192.0.2.1", .port = 3260, .tpgt = 1,
			      .iface = "default" };
	struct record r;
	char err[1024];
	assert_int_equal(node_load(&n, &r, NULL, NULL, err, sizeof(err)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(node_delete(&n, NULL, NULL), -1);
}

static void test_control_characters_never_reach_a_file(void **state)
{
	(void)state;
	struct record r;
	char err[1024];
	make_record(&r, "iqn.2026-11.test:x\nnode.startup = automatic", "192.0.2.1", "default");
	assert_int_equal(node_store(&r, "static", err, sizeof(err)), -1);
	record_free(&r);
	make_record(&r, "iqn.2026-11.test:x", "192.0.2.1", "default");
	assert_int_equal(record_set(&r, "node.session.auth.username", "u\nnode.startup = automatic"),
			 0);
	assert_int_equal(node_store(&r, "static", err, sizeof(err)), -1);
	assert_string_equal(err, "the value for node.session.auth.username contains a control character");
	assert_false(exists("a/db/nodes/iqn.2026-11.test:x/192.0.2.1,3260,1/default"));
	/* the same record, clean, is written with its link */
	assert_int_equal(record_set(&r, "node.session.auth.username", "u\tv"), 0);
	assert_int_equal(node_store(&r, "static", err, sizeof(err)), 0);
	assert_true(exists("a/db/nodes/iqn.2026-11.test:x/192.0.2.1,3260,1/default"));
	assert_true(exists("a/db/static/iqn.2026-11.test:x,192.0.2.1,3260,1,default"));
	record_free(&r);
}

/* send_targets/ADDR,PORT: the discovery address is one component too. */
static void test_discovery_addresses_stay_inside(void **state)
{
	(void)state;
	struct record r;
	char err[1024];
	assert_int_equal(record_init(&r, &discovery_schema), 0);
	assert_int_equal(record_set(&r, "discovery.sendtargets.address", "../../../p"), 0);
	assert_int_equal(record_set(&r, "discovery.sendtargets.port", "3260"), 0);
	assert_int_equal(discovery_store(&r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "discovery address"));
	record_free(&r);
	assert_int_equal(discovery_load("..", 3260, &r, NULL, NULL, err, sizeof(err)), -1);
	assert_int_equal(discovery_delete("../..", 3260, NULL, NULL), -1);
	assert_false(exists("p,3260"));
	assert_false(exists("a/db/send_targets"));
}

static void store_unknown_tpgt(const char *iface, const char *startup)
{
	struct record r;
	char err[1024];
	make_record(&r, "iqn.2026-11.test:u", "192.0.2.2", iface);
	assert_int_equal(record_set(&r, "node.tpgt", "-1"), 0);
	assert_int_equal(record_set(&r, "node.startup", startup), 0);
	assert_int_equal(node_store(&r, NULL, err, sizeof(err)), 0);
	record_free(&r);
}

static void copy_file(const char *from_rel, const char *to_rel)
{
	char from[700], to[700], cmd[1500];
	snprintf(from, sizeof(from), "%s/%s", top, from_rel);
	snprintf(to, sizeof(to), "%s/%s", top, to_rel);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

/* The old-style file ADDR,PORT and ADDR,PORT,-1/IFACE of the same iface are one record, the
 * file's: indexed once, written in place (the copy goes), deleted with its copy. */
static void test_old_style_file_shadows_its_copy(void **state)
{
	(void)state;
	const char *tdir = "a/db/nodes/iqn.2026-11.test:u";
	char flat[200], shared[200], copy[220];
	snprintf(flat, sizeof(flat), "%s/192.0.2.2,3260", tdir);
	snprintf(shared, sizeof(shared), "%s/192.0.2.2,3260,-1", tdir);
	snprintf(copy, sizeof(copy), "%s/nic1", shared);
	store_unknown_tpgt("nic1", "manual");
	store_unknown_tpgt("nic2", "manual");   /* a second binding: both move to ADDR,PORT,-1/ */
	assert_false(exists(flat));
	copy_file(copy, flat);                 /* what iscsiadm's tpgt -1 write leaves beside it */
	struct node_index ix;
	assert_int_equal(node_index_load(&ix, NULL, NULL), 0);
	assert_int_equal(ix.n, 2);
	assert_string_equal(ix.v[0].iface, "nic1");
	assert_string_equal(ix.v[1].iface, "nic2");
	node_index_free(&ix);
	store_unknown_tpgt("nic1", "automatic");
	assert_true(exists(flat));
	assert_false(exists(copy));
	char err[1024];
	struct record r;
	struct node_ref n = { .target = "iqn.2026-11.test:u", .address = "192.0.2.2", .port = 3260,
			      .tpgt = -1, .iface = "nic1" };
	assert_int_equal(node_load(&n, &r, NULL, NULL, err, sizeof(err)), 0);
	assert_string_equal(record_get(&r, "node.startup"), "automatic");
	record_free(&r);
	copy_file(flat, copy);
	assert_int_equal(node_delete(&n, NULL, NULL), 0);
	assert_false(exists(flat));
	assert_false(exists(copy));
	assert_true(exists(shared));           /* nic2's record stays */
	assert_int_equal(node_index_load(&ix, NULL, NULL), 0);
	assert_int_equal(ix.n, 1);
	assert_string_equal(ix.v[0].iface, "nic2");
	node_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unsafe_components_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_characters_never_reach_a_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_discovery_addresses_stay_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_style_file_shadows_its_copy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
