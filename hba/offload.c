/* Builds iface records for offload HBA ports from sysfs, the way open-iscsi 2.1.8 fills them,
 * except where Red Hat's documentation of iface binding names and shows them differently. */
#include "offload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iface_schema.h"
#include "sysfs.h"
#include "validate.h"

/* Kernel iface object attribute -> iface setting. Attributes a driver does not expose keep the
 * setting's default. (open-iscsi never stores dhcp_alt_client_id_en, so neither do we: its
 * listing of the same hardware must match ours.) */
static const struct { const char *attr, *key; } kobj_map[] = {
	{ "enabled", "iface.state" },
	{ "vlan_id", "iface.vlan_id" },
	{ "vlan_priority", "iface.vlan_priority" },
	{ "vlan_enabled", "iface.vlan_state" },
	{ "mtu", "iface.mtu" },
	{ "port", "iface.port" },
	{ "bootproto", "iface.bootproto" },
	{ "subnet", "iface.subnet_mask" },
	{ "gateway", "iface.gateway" },
	{ "dhcp_alt_client_id", "iface.dhcp_alt_client_id" },
	{ "dhcp_dns_address_en", "iface.dhcp_dns" },
	{ "dhcp_learn_iqn_en", "iface.dhcp_learn_iqn" },
	{ "dhcp_req_vendor_id_en", "iface.dhcp_req_vendor_id_state" },
	{ "dhcp_use_vendor_id_en", "iface.dhcp_vendor_id_state" },
	{ "dhcp_vendor_id", "iface.dhcp_vendor_id" },
	{ "dhcp_slp_da_info_en", "iface.dhcp_slp_da" },
	{ "fragment_disable", "iface.fragmentation" },
	{ "grat_arp_en", "iface.gratuitous_arp" },
	{ "incoming_forwarding_en", "iface.incoming_forwarding" },
	{ "tos_en", "iface.tos_state" },
	{ "tos", "iface.tos" },
	{ "ttl", "iface.ttl" },
	{ "ipaddr_autocfg", "iface.ipv6_autocfg" },
	{ "link_local_autocfg", "iface.linklocal_autocfg" },
	{ "router_state", "iface.router_autocfg" },
	{ "link_local_addr", "iface.ipv6_linklocal" },
	{ "router_addr", "iface.ipv6_router" },
	{ "dup_addr_detect_cnt", "iface.dup_addr_detect_cnt" },
	{ "flow_label", "iface.flow_label" },
	{ "grat_neighbor_adv_en", "iface.gratuitous_neighbor_adv" },
	{ "hop_limit", "iface.hop_limit" },
	{ "mld_en", "iface.mld" },
	{ "nd_reachable_tmo", "iface.nd_reachable_tmo" },
	{ "nd_rexmit_time", "iface.nd_rexmit_time" },
	{ "nd_stale_tmo", "iface.nd_stale_tmo" },
	{ "router_adv_link_mtu", "iface.router_adv_link_mtu" },
	{ "traffic_class", "iface.traffic_class" },
	{ "delayed_ack_en", "iface.delayed_ack" },
	{ "tcp_nagle_disable", "iface.tcp_nagle" },
	{ "tcp_wsf_disable", "iface.tcp_wsf_state" },
	{ "tcp_wsf", "iface.tcp_wsf" },
	{ "tcp_timer_scale", "iface.tcp_timer_scale" },
	{ "tcp_timestamp_en", "iface.tcp_timestamp" },
	{ "redirect_en", "iface.redirect" },
	{ "def_taskmgmt_tmo", "iface.def_task_mgmt_timeout" },
	{ "header_digest", "iface.header_digest" },
	{ "data_digest", "iface.data_digest" },
	{ "immediate_data", "iface.immediate_data" },
	{ "initial_r2t", "iface.initial_r2t" },
	{ "data_seq_in_order", "iface.data_seq_inorder" },
	{ "data_pdu_in_order", "iface.data_pdu_inorder" },
	{ "erl", "iface.erl" },
	{ "max_recv_dlength", "iface.max_receive_data_len" },
	{ "first_burst_len", "iface.first_burst_len" },
	{ "max_outstanding_r2t", "iface.max_outstanding_r2t" },
	{ "max_burst_len", "iface.max_burst_len" },
	{ "chap_auth", "iface.chap_auth" },
	{ "bidi_chap", "iface.bidi_chap" },
	{ "strict_login_comp_en", "iface.strict_login_compliance" },
	{ "discovery_auth_optional", "iface.discovery_auth" },
	{ "discovery_logout", "iface.discovery_logout" },
};

struct host {
	unsigned no;
	char transport[64];
	char hwaddress[64];
	char netdev[64];
	char ipaddress[128];
	char initiatorname[256];
};

static void warnf(record_warn_fn warn, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warnf(record_warn_fn warn, void *ctx, const char *fmt, ...)
{
	if (!warn)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(ctx, msg);
}

/* Fills h from class/iscsi_host/hostN and class/scsi_host/hostN. 1 when the host is not an
 * offload port (software transport) or lacks what naming needs; 0 when usable. */
static int read_host(const char *entry, struct host *h, record_warn_fn warn, void *ctx)
{
	char rel[512], dir[8192], proc[64];
	memset(h, 0, sizeof(*h));
	if (sscanf(entry, "host%u", &h->no) != 1)
		return 1;
	snprintf(rel, sizeof(rel), "class/scsi_host/%s", entry);
	if (sysfs_dir(rel, dir, sizeof(dir)) < 0 || sysfs_attr(dir, "proc_name", proc, sizeof(proc)) != 0) {
		warnf(warn, ctx, "offload iSCSI host %u: no scsi_host proc_name; skipped", h->no);
		return 1;
	}
	const char *t = strncmp(proc, "iscsi_", 6) == 0 ? proc + 6 : proc;
	snprintf(h->transport, sizeof(h->transport), "%s", t);
	if (strcmp(h->transport, "tcp") == 0 || strcmp(h->transport, "iser") == 0)
		return 1;
	snprintf(rel, sizeof(rel), "class/iscsi_host/%s", entry);
	if (sysfs_dir(rel, dir, sizeof(dir)) < 0)
		return 1;
	char mac[18];
	if (sysfs_attr(dir, "hwaddress", h->hwaddress, sizeof(h->hwaddress)) != 0) {
		warnf(warn, ctx,
		      "Invalid offload iSCSI host %u. Missing hwaddress. Try upgrading %s driver.",
		      h->no, h->transport);
		return 1;
	}
	if (mac_normalize(h->hwaddress, mac))
		memcpy(h->hwaddress, mac, sizeof(mac));
	sysfs_attr(dir, "netdev", h->netdev, sizeof(h->netdev));
	sysfs_attr(dir, "ipaddress", h->ipaddress, sizeof(h->ipaddress));
	sysfs_attr(dir, "initiatorname", h->initiatorname, sizeof(h->initiatorname));
	return 0;
}

static int set_all(struct record *r, const char *const *kv)
{
	for (; kv[0]; kv += 2)
		if (record_set(r, kv[0], kv[1]) < 0)
			return -1;
	return 0;
}

/* A port without kernel iface objects: Red Hat's TRANSPORT.MAC with nothing but its identity. */
static int port_record(const struct host *h, struct record *r)
{
	char name[160];
	snprintf(name, sizeof(name), "%s.%s", h->transport, h->hwaddress);
	if (record_init(r, &iface_schema) < 0)
		return -1;
	const char *kv[] = { "iface.iscsi_ifacename", name, "iface.hwaddress", h->hwaddress,
			     "iface.transport_name", h->transport, "iface.initiatorname",
			     h->initiatorname, NULL };
	if (set_all(r, kv) < 0) {
		record_free(r);
		return -1;
	}
	return 0;
}

/* One kernel iface object (ipv4-iface-H-N / ipv6-iface-H-N) of a port. */
static int kobj_record(const struct host *h, const char *kobj, int v6, unsigned num,
		       struct record *r)
{
	char rel[512], dir[8192], name[200], val[512], numtxt[16];
	snprintf(rel, sizeof(rel), "class/iscsi_iface/%s", kobj);
	if (sysfs_dir(rel, dir, sizeof(dir)) < 0)
		return 1;
	snprintf(name, sizeof(name), "%s.%s.%s.%u", h->transport, h->hwaddress, v6 ? "ipv6" : "ipv4",
		 num);
	snprintf(numtxt, sizeof(numtxt), "%u", num);
	char ip[128];
	if (sysfs_attr(dir, "ipaddress", ip, sizeof(ip)) != 0)
		snprintf(ip, sizeof(ip), "default");
	if (record_init(r, &iface_schema) < 0)
		return -1;
	/* Drivers that hide the VLAN attributes while VLAN is off report "no VLAN" this way. */
	const char *kv[] = { "iface.iscsi_ifacename", name, "iface.hwaddress", h->hwaddress,
			     "iface.transport_name", h->transport, "iface.initiatorname",
			     h->initiatorname, "iface.net_ifacename", h->netdev[0] ? h->netdev : "default",
			     "iface.ipaddress", ip, "iface.iface_num", numtxt,
			     "iface.vlan_id", "65535", "iface.vlan_priority", "255", NULL };
	if (set_all(r, kv) < 0)
		goto oom;
	for (size_t i = 0; i < sizeof(kobj_map) / sizeof(kobj_map[0]); i++) {
		if (sysfs_attr(dir, kobj_map[i].attr, val, sizeof(val)) != 0)
			continue;
		int fi = schema_find(&iface_schema, kobj_map[i].key);
		if (iface_schema.fields[fi].type != FT_STR && !value_is_number(&iface_schema.fields[fi], val))
			continue;
		if (record_set(r, kobj_map[i].key, val) < 0)
			goto oom;
	}
	return 0;
oom:
	record_free(r);
	return -1;
}

static int add(struct iface_set *out, struct record *r)
{
	if (iface_set_add(out, r) < 0) {
		record_free(r);
		return -1;
	}
	return 0;
}

static int detect_host(struct iface_set *out, const struct host *h, char **kobjs, int nk)
{
	int found = 0;
	for (int i = 0; i < nk; i++) {
		unsigned hn, num;
		int v;
		char tail;
		if (sscanf(kobjs[i], "ipv%d-iface-%u-%u%c", &v, &hn, &num, &tail) != 3 ||
		    hn != h->no || (v != 4 && v != 6))
			continue;
		struct record r;
		int rc = kobj_record(h, kobjs[i], v == 6, num, &r);
		if (rc < 0 || (rc == 0 && add(out, &r) < 0))
			return -1;
		found += rc == 0;
	}
	if (found)
		return 0;
	struct record r;
	if (port_record(h, &r) < 0 || add(out, &r) < 0)
		return -1;
	return 0;
}

int offload_detect(struct iface_set *out, record_warn_fn warn, void *warn_ctx)
{
	char **hosts = NULL, **kobjs = NULL;
	int nh = sysfs_names("class/iscsi_host", &hosts);
	int nk = sysfs_names("class/iscsi_iface", &kobjs);
	int rc = 0;
	for (int i = 0; rc == 0 && i < nh; i++) {
		struct host h;
		if (read_host(hosts[i], &h, warn, warn_ctx) == 0)
			rc = detect_host(out, &h, kobjs, nk > 0 ? nk : 0);
	}
	if (nh > 0)
		sysfs_names_free(hosts, nh);
	if (nk > 0)
		sysfs_names_free(kobjs, nk);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}
