#include "isns_records.h"

#include <stdio.h>
#include <unistd.h>

#include "atomic_file.h"
#include "cli_lock.h"
#include "db_paths.h"
#include "exit_codes.h"
#include "msg.h"
#include "record_file.h"

/* The keys open-iscsi 2.1.8 writes in isns_config (the iSNS server's address is kept under
 * the sendtargets names there too). */
static const struct field_def isns_fields[] = {
	{ .key = "discovery.startup", .type = FT_STR, .maxlen = 31, .def = "manual" },
	{ .key = "discovery.type", .type = FT_STR, .maxlen = 31, .def = "isns" },
	{ .key = "discovery.sendtargets.address", .type = FT_STR, .maxlen = 63 },
	{ .key = "discovery.sendtargets.port", .type = FT_INT, .def = "3205" },
	{ .key = "discovery.isns.use_discoveryd", .type = FT_STR, .maxlen = 7, .def = "No" },
	{ .key = "discovery.isns.discoveryd_poll_inval", .type = FT_INT, .def = "-1" },
};

static const struct schema isns_schema = {
	.kind = "isns discovery",
	.fields = isns_fields,
	.nfields = sizeof(isns_fields) / sizeof(isns_fields[0]),
};

int isns_list_load(struct discovery_list *out)
{
	return discovery_list_load_in("isns", out);
}

static void isns_dir(const struct portal *p, char *buf, size_t len)
{
	snprintf(buf, len, "isns/%s,%d", p->address, p->port);
}

/* The stored record of p, or iscsiadm's "not found" (6). */
static int load(const struct portal *p, struct record *r)
{
	char rel[400], path[4800], err[1024];
	isns_dir(p, rel, sizeof(rel));
	snprintf(path, sizeof(path), "%s/%s/isns_config", db_root(), rel);
	if (record_read_file(path, &isns_schema, r, msg_warn_cb, NULL, err, sizeof(err)) == 0)
		return EXIT_OK;
	msg_error("Discovery record [%s,%d] not found.", p->address, p->port);
	return EXIT_IDBM;
}

int isns_show(const struct portal *p)
{
	struct record r;
	int rc = load(p, &r);
	if (rc != EXIT_OK)
		return rc;
	rc = msg_print_record(&r, RS_SHOW);
	record_free(&r);
	return rc;
}

/* Writes a record from the defaults, unless one exists (which is kept as it is). */
static int store_new(const struct portal *p, const char *dir)
{
	char path[4800], port[16], err[1024];
	snprintf(path, sizeof(path), "%s/isns_config", dir);
	if (access(path, F_OK) == 0)
		return EXIT_OK;
	struct record r;
	snprintf(port, sizeof(port), "%d", p->port);
	if (record_init(&r, &isns_schema) < 0)
		return EXIT_NOMEM;
	int rc = EXIT_OK;
	if (record_set(&r, "discovery.sendtargets.address", p->address) < 0 ||
	    record_set(&r, "discovery.sendtargets.port", port) < 0) {
		rc = EXIT_NOMEM;
	} else if (record_write_file(dir, "isns_config", &r, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		rc = EXIT_IDBM;
	}
	record_free(&r);
	return rc;
}

int isns_new(const struct portal *p)
{
	char rel[400], dir[4800];
	isns_dir(p, rel, sizeof(rel));
	snprintf(dir, sizeof(dir), "%s/%s", db_root(), rel);
	int lock = cli_lock();
	if (lock < 0)
		return EXIT_IDBM;
	int rc = store_new(p, dir);
	db_unlock(lock);
	if (rc == EXIT_OK)
		printf("New discovery record for [%s,%d] added.\n", p->address, p->port);
	return rc;
}

int isns_delete(const struct portal *p)
{
	struct record r;
	int rc = load(p, &r);
	if (rc != EXIT_OK)
		return rc;
	record_free(&r);
	char rel[400];
	isns_dir(p, rel, sizeof(rel));
	int lock = cli_lock();
	if (lock < 0)
		return EXIT_IDBM;
	if (discovery_delete_in(rel, "isns_config", msg_warn_cb, NULL) < 0)
		rc = EXIT_IDBM;
	db_unlock(lock);
	return rc;
}

int isns_not_implemented(void)
{
	msg_error("iSNS discovery is not implemented in swiscsiadm %s: its records can only be "
		  "listed, shown, created and deleted; use -t sendtargets", SWISCSI_VERSION);
	return EXIT_OP_NOT_SUPP;
}
