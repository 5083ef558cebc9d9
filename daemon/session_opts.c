#include "session_opts.h"

#include <stdlib.h>
#include <string.h>

static const char *nonempty(const char *v)
{
	return v && v[0] ? v : NULL;
}

static int yes_no(const char *v)
{
	if (!v || !v[0])
		return -1;
	return strcmp(v, "Yes") == 0 ? 1 : 0;
}

static uint32_t u32(const struct record *r, const char *key)
{
	const char *v = record_get(r, key);
	return v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

/* seconds in the record, milliseconds in libswiscsi; 0 s means off for the keepalive */
static int ms(const struct record *r, const char *key, int when_zero)
{
	long s = (long)u32(r, key);
	return s > 0 ? (int)(s > 86400 ? 86400000 : s * 1000) : when_zero;
}

void session_iface_spec(const struct record *node, struct iface_conn_spec *spec)
{
	*spec = (struct iface_conn_spec){
		.name = record_get(node, "iface.iscsi_ifacename"),
		.transport = record_get(node, "iface.transport_name"),
		.netdev = record_get(node, "iface.net_ifacename"),
		.hwaddress = record_get(node, "iface.hwaddress"),
		.ipaddress = record_get(node, "iface.ipaddress"),
		.initiatorname = record_get(node, "iface.initiatorname"),
	};
}

void session_opts_from_record(const struct record *n, const struct iface_conn *conn,
			      const char *portal, struct swi_options *o)
{
	*o = (struct swi_options){
		.initiator_name = conn->initiator,
		.target_name = record_get(n, "node.name"),
		.portal = portal,
		.bind_ifname = iface_conn_bind_dev(conn),
		.bind_source = iface_conn_bind_source(conn),
		.header_digest = nonempty(record_get(n, "node.conn[0].iscsi.HeaderDigest")),
		.data_digest = nonempty(record_get(n, "node.conn[0].iscsi.DataDigest")),
		.max_recv_data_segment_length = u32(n, "node.conn[0].iscsi.MaxRecvDataSegmentLength"),
		.max_burst_length = u32(n, "node.session.iscsi.MaxBurstLength"),
		.first_burst_length = u32(n, "node.session.iscsi.FirstBurstLength"),
		.initial_r2t = yes_no(record_get(n, "node.session.iscsi.InitialR2T")),
		.immediate_data = yes_no(record_get(n, "node.session.iscsi.ImmediateData")),
		.max_outstanding_r2t = u32(n, "node.session.iscsi.MaxOutstandingR2T"),
		.timeout_ms = ms(n, "node.conn[0].timeo.login_timeout", 0),
		.noop_interval_ms = ms(n, "node.conn[0].timeo.noop_out_interval", -1),
		.noop_timeout_ms = ms(n, "node.conn[0].timeo.noop_out_timeout", 0),
		/* 0 s: no recovery, a lost connection fails every command at once */
		.replacement_timeout_ms = ms(n, "node.session.timeo.replacement_timeout", 0),
		/* a stuck command: ABORT TASK, LUN RESET, then session recovery (the library has no
		 * target or host reset step: tgt_reset_timeout and host_reset_timeout go unused) */
		.abort_timeout_ms = ms(n, "node.session.err_timeo.abort_timeout", 0),
		.lu_reset_timeout_ms = ms(n, "node.session.err_timeo.lu_reset_timeout", 0),
		.scsi_retries = SESSION_SCSI_RETRIES,
	};
	const char *method = record_get(n, "node.session.auth.authmethod");
	if (method && strcmp(method, "CHAP") == 0) {
		o->chap_user = nonempty(record_get(n, "node.session.auth.username"));
		o->chap_secret = nonempty(record_get(n, "node.session.auth.password"));
		o->chap_target_user = nonempty(record_get(n, "node.session.auth.username_in"));
		o->chap_target_secret = nonempty(record_get(n, "node.session.auth.password_in"));
		o->chap_algs = nonempty(record_get(n, "node.session.auth.chap_algs"));
	}
}

/* FNV-1a over the identity, a field separator between the parts */
static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

void session_isid(const char *target, const char *address, int port, int tpgt, const char *iface,
		  unsigned index, uint8_t isid[6])
{
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv(h, target, strlen(target));
	h = fnv(h, address, strlen(address));
	h = fnv(h, &port, sizeof(port));
	h = fnv(h, &tpgt, sizeof(tpgt));
	h = fnv(h, iface, strlen(iface));
	/* type 10b ("random", RFC 7143 §11.12.5): ours is derived, but just as unique; the
	 * qualifier (last byte) tells a record's sessions apart */
	isid[0] = 0x80;
	for (int i = 1; i < 5; i++)
		isid[i] = (uint8_t)(h >> (8 * i));
	isid[5] = (uint8_t)((h >> 40) + index);
}
