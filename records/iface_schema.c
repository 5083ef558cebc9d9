/* The iface record: every setting open-iscsi 2.1.8 shows, in its order. The six settings of
 * Red Hat's iface table come first (with 2.1.8's prefix_len between ipaddress and hwaddress).
 * Adding a setting is one row here. */
#include "iface_schema.h"

#include <arpa/inet.h>
#include <string.h>

#define S(k, len, chk, fl) { .key = k, .type = FT_STR, .group = FG_ANY, .maxlen = len, .check = chk, .flags = fl }
#define S4(k, chk, fl) { .key = k, .type = FT_STR, .group = FG_IPV4, .maxlen = 79, .check = chk, .flags = fl }
#define S6(k, chk) { .key = k, .type = FT_STR, .group = FG_IPV6, .maxlen = 79, .check = chk }
#define N(k, t, fl) { .key = k, .type = t, .group = FG_ANY, .flags = fl }
#define N4(k, t) { .key = k, .type = t, .group = FG_IPV4 }
#define N6(k, t) { .key = k, .type = t, .group = FG_IPV6 }
#define EN(k) S(k, 79, FC_ENABLE, 0)
#define EN4(k) S4(k, FC_ENABLE, 0)
#define EN6(k) S6(k, FC_ENABLE)

static const struct field_def iface_fields[] = {
	S("iface.iscsi_ifacename", 64, FC_NONE, FF_READONLY),
	S("iface.net_ifacename", 15, FC_NETDEV, FF_BINDING),
	S("iface.ipaddress", 79, FC_IPADDR, FF_BINDING | FF_FIRMWARE),
	N("iface.prefix_len", FT_U8, FF_FIRMWARE),
	S("iface.hwaddress", 17, FC_MAC, FF_BINDING),
	S("iface.transport_name", 15, FC_TRANSPORT, 0),
	S("iface.initiatorname", 223, FC_IQN, 0),
	EN("iface.state"),
	N("iface.vlan_id", FT_U16, FF_FIRMWARE),
	N("iface.vlan_priority", FT_U8, FF_FIRMWARE),
	S("iface.vlan_state", 79, FC_ENABLE, FF_FIRMWARE),
	N("iface.iface_num", FT_INT, 0),
	N("iface.mtu", FT_U16, 0),
	N("iface.port", FT_U16, 0),
	S4("iface.bootproto", FC_BOOTPROTO, FF_FIRMWARE),
	S4("iface.subnet_mask", FC_IPV4, FF_FIRMWARE),
	S4("iface.gateway", FC_IPV4, FF_FIRMWARE),
	EN4("iface.dhcp_alt_client_id_state"),
	S4("iface.dhcp_alt_client_id", FC_NONE, 0),
	EN4("iface.dhcp_dns"),
	EN4("iface.dhcp_learn_iqn"),
	EN4("iface.dhcp_req_vendor_id_state"),
	EN4("iface.dhcp_vendor_id_state"),
	S4("iface.dhcp_vendor_id", FC_NONE, 0),
	EN4("iface.dhcp_slp_da"),
	EN4("iface.fragmentation"),
	EN4("iface.gratuitous_arp"),
	EN4("iface.incoming_forwarding"),
	EN4("iface.tos_state"),
	N4("iface.tos", FT_U8),
	N4("iface.ttl", FT_U8),
	S6("iface.ipv6_autocfg", FC_IPV6_AUTOCFG),
	S6("iface.linklocal_autocfg", FC_AUTO),
	S6("iface.router_autocfg", FC_AUTO),
	S6("iface.ipv6_linklocal", FC_IPV6),
	S6("iface.ipv6_router", FC_IPV6),
	N6("iface.dup_addr_detect_cnt", FT_U8),
	N6("iface.flow_label", FT_U32),
	EN6("iface.gratuitous_neighbor_adv"),
	N6("iface.hop_limit", FT_U8),
	EN6("iface.mld"),
	N6("iface.nd_reachable_tmo", FT_U32),
	N6("iface.nd_rexmit_time", FT_U32),
	N6("iface.nd_stale_tmo", FT_U32),
	N6("iface.router_adv_link_mtu", FT_U32),
	N6("iface.traffic_class", FT_U8),
	EN("iface.delayed_ack"),
	EN("iface.tcp_nagle"),
	EN("iface.tcp_wsf_state"),
	N("iface.tcp_wsf", FT_U8, 0),
	N("iface.tcp_timer_scale", FT_U8, 0),
	EN("iface.tcp_timestamp"),
	EN("iface.redirect"),
	N("iface.def_task_mgmt_timeout", FT_U16, 0),
	EN("iface.header_digest"),
	EN("iface.data_digest"),
	EN("iface.immediate_data"),
	EN("iface.initial_r2t"),
	EN("iface.data_seq_inorder"),
	EN("iface.data_pdu_inorder"),
	N("iface.erl", FT_U8, 0),
	N("iface.max_receive_data_len", FT_U32, 0),
	N("iface.first_burst_len", FT_U32, 0),
	N("iface.max_outstanding_r2t", FT_U16, 0),
	N("iface.max_burst_len", FT_U32, 0),
	EN("iface.chap_auth"),
	EN("iface.bidi_chap"),
	EN("iface.strict_login_compliance"),
	EN("iface.discovery_auth"),
	EN("iface.discovery_logout"),
};

/* The IP family comes from the address when there is one, else from the name: open-iscsi's
 * writer looks at the address and its reader at the name, so an IPv6 iface whose name lacks
 * "ipv6" broke its listings. Deciding by either keeps both kinds of file readable. */
enum field_group iface_ip_group(const char *name, const char *ipaddress)
{
	struct in6_addr a6;
	struct in_addr a4;
	if (ipaddress && ipaddress[0] && strcmp(ipaddress, "default") != 0) {
		if (inet_pton(AF_INET6, ipaddress, &a6) == 1)
			return FG_IPV6;
		if (inet_pton(AF_INET, ipaddress, &a4) == 1)
			return FG_IPV4;
	}
	return name && strstr(name, "ipv6") ? FG_IPV6 : FG_IPV4;
}

static enum field_group iface_active_group(const struct record *r)
{
	return iface_ip_group(r->values[IFACE_F_NAME], r->values[IFACE_F_IPADDRESS]);
}

const struct schema iface_schema = {
	.kind = "iface",
	.fields = iface_fields,
	.nfields = sizeof(iface_fields) / sizeof(iface_fields[0]),
	.active_group = iface_active_group,
};

static const struct transport_info transports[] = {
	{ "tcp", false, NULL },
	{ "iser", false, "ib_iser" },
	{ "cxgb3i", true, "cxgb3i" },
	{ "cxgb4i", true, "cxgb4i" },
	{ "bnx2i", true, "bnx2i" },
	{ "be2iscsi", true, "be2iscsi" },
	{ "qla4xxx", true, "qla4xxx" },
	{ "qedi", true, "qedi" },
	{ "ocs", true, "ocs" },
};

const struct transport_info *transport_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++)
		if (strcmp(transports[i].name, name) == 0)
			return &transports[i];
	return NULL;
}

bool transport_is_offload(const char *name)
{
	const struct transport_info *t = transport_lookup(name);
	/* A transport we do not know is not ours to drive: treat it like an offload one. */
	return !t || t->offload;
}
