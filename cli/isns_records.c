#include "isns_records.h"

#include <stdio.h>

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

int isns_show(const struct portal *p)
{
	char path[4400], err[1024];
	struct record r;
	snprintf(path, sizeof(path), "%s/isns/%s,%d/isns_config", db_root(), p->address, p->port);
	if (record_read_file(path, &isns_schema, &r, msg_warn_cb, NULL, err, sizeof(err)) < 0) {
		msg_error("Discovery record [%s,%d] not found.", p->address, p->port);
		return EXIT_IDBM;
	}
	int rc = msg_print_record(&r, RS_SHOW);
	record_free(&r);
	return rc;
}

int isns_not_implemented(void)
{
	msg_error("iSNS discovery is not implemented in swiscsiadm %s: its records are listed "
		  "(-m discovery) and shown (-o show) only; use -t sendtargets", SWISCSI_VERSION);
	return EXIT_OP_NOT_SUPP;
}
