/* Node and discovery record schemas. The node file order (open-iscsi's writer) puts the iface
 * section in its own order -- hwaddress, ipaddress, name, netdev, gateway, subnet_mask,
 * prefix_len, ... -- while `-o show` prints it in the iface record's order; both orders come
 * from one table built here from the iface schema, so a new iface setting appears in node
 * records by itself. */
#include "node_schema.h"

#include <stdlib.h>
#include <string.h>

#include "iface_schema.h"

#define STR(k, chk, fl) { .key = k, .type = FT_STR, .maxlen = 255, .check = chk, .flags = fl }
#define STRD(k, chk, d) { .key = k, .type = FT_STR, .maxlen = 255, .check = chk, .def = d }
#define INT(k, d) { .key = k, .type = FT_INT, .def = d }
#define INTRO(k, d) { .key = k, .type = FT_INT, .def = d, .flags = FF_READONLY }

static const struct field_def node_head[] = {
	STR("node.name", FC_IQN, FF_READONLY),
	{ .key = "node.tpgt", .type = FT_INT, .def = "-1", .flags = FF_READONLY },
	STRD("node.startup", FC_STARTUP, "manual"),
	STRD("node.leading_login", FC_YESNO, "No"),
};

static const struct field_def node_tail[] = {
	STR("node.discovery_address", FC_NONE, FF_READONLY),
	INTRO("node.discovery_port", "0"),
	{ .key = "node.discovery_type", .type = FT_STR, .maxlen = 31, .check = FC_DISCOVERY_TYPE,
	  .flags = FF_READONLY, .def = "static" },
	INT("node.session.initial_cmdsn", "0"),
	INT("node.session.initial_login_retry_max", "4"),
	INT("node.session.xmit_thread_priority", "-20"),
	INT("node.session.cmds_max", "128"),
	INT("node.session.queue_depth", "32"),
	INT("node.session.nr_sessions", "1"),
	STRD("node.session.auth.authmethod", FC_AUTHMETHOD, "None"),
	STR("node.session.auth.username", FC_NONE, 0),
	STR("node.session.auth.password", FC_NONE, FF_SECRET),
	STR("node.session.auth.username_in", FC_NONE, 0),
	STR("node.session.auth.password_in", FC_NONE, FF_SECRET),
	STRD("node.session.auth.chap_algs", FC_CHAP_ALGS, "MD5"),
	INT("node.session.timeo.replacement_timeout", "120"),
	INT("node.session.err_timeo.abort_timeout", "15"),
	INT("node.session.err_timeo.lu_reset_timeout", "30"),
	INT("node.session.err_timeo.tgt_reset_timeout", "30"),
	INT("node.session.err_timeo.host_reset_timeout", "60"),
	STRD("node.session.iscsi.FastAbort", FC_YESNO, "Yes"),
	STRD("node.session.iscsi.InitialR2T", FC_YESNO, "No"),
	STRD("node.session.iscsi.ImmediateData", FC_YESNO, "Yes"),
	INT("node.session.iscsi.FirstBurstLength", "262144"),
	INT("node.session.iscsi.MaxBurstLength", "16776192"),
	INT("node.session.iscsi.DefaultTime2Retain", "0"),
	INT("node.session.iscsi.DefaultTime2Wait", "2"),
	INT("node.session.iscsi.MaxConnections", "1"),
	INT("node.session.iscsi.MaxOutstandingR2T", "1"),
	INT("node.session.iscsi.ERL", "0"),
	STRD("node.session.scan", FC_SCAN, "auto"),
	INT("node.session.reopen_max", "0"),
	STR("node.conn[0].address", FC_NONE, FF_READONLY),
	INTRO("node.conn[0].port", "3260"),
	STRD("node.conn[0].startup", FC_STARTUP, "manual"),
	INT("node.conn[0].tcp.window_size", "524288"),
	INT("node.conn[0].tcp.type_of_service", "0"),
	INT("node.conn[0].timeo.logout_timeout", "15"),
	INT("node.conn[0].timeo.login_timeout", "30"),
	INT("node.conn[0].timeo.auth_timeout", "45"),
	INT("node.conn[0].timeo.noop_out_interval", "5"),
	INT("node.conn[0].timeo.noop_out_timeout", "5"),
	INT("node.conn[0].iscsi.MaxXmitDataSegmentLength", "0"),
	INT("node.conn[0].iscsi.MaxRecvDataSegmentLength", "262144"),
	STRD("node.conn[0].iscsi.HeaderDigest", FC_DIGEST, "None"),
	STRD("node.conn[0].iscsi.DataDigest", FC_DIGEST, "None"),
	STRD("node.conn[0].iscsi.IFMarker", FC_YESNO, "No"),
	STRD("node.conn[0].iscsi.OFMarker", FC_YESNO, "No"),
};

/* The iface keys open-iscsi's node writer puts first; the rest follow in iface order. */
static const char *const iface_file_first[] = {
	"iface.hwaddress", "iface.ipaddress", "iface.iscsi_ifacename", "iface.net_ifacename",
	"iface.gateway", "iface.subnet_mask", "iface.prefix_len", "iface.transport_name",
	"iface.initiatorname", "iface.state", "iface.vlan_id", "iface.vlan_priority",
	"iface.vlan_state", "iface.iface_num", "iface.mtu", "iface.port",
};

#define NHEAD (sizeof(node_head) / sizeof(node_head[0]))
#define NTAIL (sizeof(node_tail) / sizeof(node_tail[0]))
#define NFIRST (sizeof(iface_file_first) / sizeof(iface_file_first[0]))

static struct field_def *node_fields;
static unsigned *node_show;
static struct schema node;

static enum field_group node_active_group(const struct record *r)
{
	return iface_ip_group(record_get(r, "iface.iscsi_ifacename"),
			      record_get(r, "iface.ipaddress"));
}

static bool listed_first(const char *key)
{
	for (size_t i = 0; i < NFIRST; i++)
		if (strcmp(iface_file_first[i], key) == 0)
			return true;
	return false;
}

static int build(void)
{
	size_t ni = iface_schema.nfields, n = NHEAD + ni + NTAIL;
	node_fields = calloc(n, sizeof(*node_fields));
	node_show = calloc(n, sizeof(*node_show));
	if (!node_fields || !node_show) {
		free(node_fields);
		free(node_show);
		node_fields = NULL;
		node_show = NULL;
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < NHEAD; i++)
		node_fields[k++] = node_head[i];
	for (size_t i = 0; i < NFIRST; i++)
		node_fields[k++] = iface_schema.fields[schema_find(&iface_schema, iface_file_first[i])];
	for (size_t i = 0; i < ni; i++)
		if (!listed_first(iface_schema.fields[i].key))
			node_fields[k++] = iface_schema.fields[i];
	for (size_t i = 0; i < NTAIL; i++)
		node_fields[k++] = node_tail[i];
	node = (struct schema){ .kind = "node", .fields = node_fields, .nfields = n,
				.show_order = node_show, .active_group = node_active_group };
	/* show: head, iface section in iface order, tail */
	k = 0;
	for (size_t i = 0; i < NHEAD; i++)
		node_show[k++] = (unsigned)i;
	for (size_t i = 0; i < ni; i++)
		node_show[k++] = (unsigned)schema_find(&node, iface_schema.fields[i].key);
	for (size_t i = 0; i < NTAIL; i++)
		node_show[k++] = (unsigned)(NHEAD + ni + i);
	return 0;
}

const struct schema *node_schema(void)
{
	if (!node_fields && build() < 0)
		return NULL;
	return &node;
}

int node_set_iface(struct record *n, const struct record *iface)
{
	for (size_t i = 0; i < iface->schema->nfields; i++)
		if (record_set(n, iface->schema->fields[i].key, iface->values[i]) < 0)
			return -1;
	return 0;
}

static const struct field_def discovery_fields[] = {
	{ .key = "discovery.startup", .type = FT_STR, .maxlen = 31, .check = FC_DSTARTUP,
	  .def = "manual" },
	{ .key = "discovery.type", .type = FT_STR, .maxlen = 31, .check = FC_DISCOVERY_KIND,
	  .flags = FF_READONLY, .def = "sendtargets" },
	STR("discovery.sendtargets.address", FC_NONE, FF_READONLY),
	INTRO("discovery.sendtargets.port", "3260"),
	STRD("discovery.sendtargets.auth.authmethod", FC_AUTHMETHOD, "None"),
	STR("discovery.sendtargets.auth.username", FC_NONE, 0),
	STR("discovery.sendtargets.auth.password", FC_NONE, FF_SECRET),
	STR("discovery.sendtargets.auth.username_in", FC_NONE, 0),
	STR("discovery.sendtargets.auth.password_in", FC_NONE, FF_SECRET),
	STRD("node.session.auth.chap_algs", FC_CHAP_ALGS, "MD5"),
	INT("discovery.sendtargets.timeo.login_timeout", "15"),
	STRD("discovery.sendtargets.use_discoveryd", FC_YESNO, "No"),
	INT("discovery.sendtargets.discoveryd_poll_inval", "30"),
	INT("discovery.sendtargets.reopen_max", "5"),
	INT("discovery.sendtargets.timeo.auth_timeout", "45"),
	INT("discovery.sendtargets.timeo.active_timeout", "30"),
	INT("discovery.sendtargets.iscsi.MaxRecvDataSegmentLength", "32768"),
};

const struct schema discovery_schema = {
	.kind = "discovery",
	.fields = discovery_fields,
	.nfields = sizeof(discovery_fields) / sizeof(discovery_fields[0]),
};
