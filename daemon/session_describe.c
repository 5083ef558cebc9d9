/* What -m session shows, as data: one ctl_session per session, the CLI formats it. */
#include <stdlib.h>
#include <string.h>

#include "session_table.h"

static int32_t seconds(const struct record *r, const char *key)
{
	const char *v = r ? record_get(r, key) : NULL;
	return v && v[0] ? (int32_t)atoi(v) : -1;
}

/* iscsiadm's three states. A listed session is logged in, recovering (the library's state
 * says which step), failed for good (recovery off) or logging out. */
static void describe_state(const struct dsession *ds, struct ctl_session *c)
{
	const char *conn = "FREE", *sess = "FREE", *internal = "NO CHANGE";
	if (ds->state == DS_READY && ds->s) {
		enum swi_state st = swi_session_state(ds->s);
		conn = swi_state_conn_name(st);
		sess = swi_state_session_name(st);
		internal = swi_state_internal_name(st);
	} else if (ds->state == DS_FAILED) {
		conn = "TRANSPORT WAIT";
		sess = "FAILED";
	} else if (ds->state == DS_LOGOUT) {
		conn = "IN LOGOUT";
		sess = "LOGGED_IN";
	}
	CTL_SET(c->conn_state, conn);
	CTL_SET(c->session_state, sess);
	CTL_SET(c->internal_state, internal);
}

static void describe_counters(const struct swi_session *s, struct ctl_counters *c)
{
	struct swi_stats st;
	swi_session_stats(s, &st);
	*c = (struct ctl_counters){
		.pdus_tx = st.pdus_tx, .pdus_rx = st.pdus_rx,
		.bytes_tx = st.bytes_tx, .bytes_rx = st.bytes_rx,
		.commands = st.commands, .errors = st.command_errors,
		.digest_errors = st.digest_errors, .timeouts = st.timeouts,
		.losses = st.losses, .attempts = st.attempts, .recoveries = st.recoveries,
		.expiries = st.expiries, .target_logouts = st.target_logouts,
		.scsi_retries = st.scsi_retries,
	};
}

static void describe_chap(const struct dsession *ds, bool secrets, struct ctl_session *c)
{
	const struct record *r = &ds->rec;
	CTL_SET(c->username, record_get(r, "node.session.auth.username"));
	CTL_SET(c->username_in, record_get(r, "node.session.auth.username_in"));
	c->secrets_included = secrets;
	if (secrets) {
		CTL_SET(c->password, record_get(r, "node.session.auth.password"));
		CTL_SET(c->password_in, record_get(r, "node.session.auth.password_in"));
	}
}

static void describe_negotiated(const struct swi_negotiated *n, struct ctl_session *c)
{
	c->header_digest = n->header_digest;
	c->data_digest = n->data_digest;
	c->max_recv_dsl = n->max_recv_data_segment_length;
	c->max_xmit_dsl = n->max_xmit_data_segment_length;
	c->first_burst = n->first_burst_length;
	c->max_burst = n->max_burst_length;
	c->max_outstanding_r2t = n->max_outstanding_r2t;
	c->immediate_data = n->immediate_data;
	c->initial_r2t = n->initial_r2t;
	c->tsih = n->tsih;
}

static void describe(const struct dsession *ds, bool secrets, struct ctl_session *c)
{
	memset(c, 0, sizeof(*c));
	const struct record *r = &ds->rec;
	c->sid = ds->sid;
	c->node = ds->node;
	c->tpgt = ds->node.tpgt;
	CTL_SET(c->current_address, ds->node.address);
	c->current_port = ds->node.port;
	CTL_SET(c->transport, "tcp");
	CTL_SET(c->initiator_name, ds->conn.initiator);
	CTL_SET(c->iface_ipaddress, ds->local_addr);
	CTL_SET(c->iface_hwaddress, ds->hwaddr);
	CTL_SET(c->iface_netdev, ds->netdev);
	describe_state(ds, c);
	CTL_SET(c->startup, record_get(r, "node.startup"));
	c->recovery_tmo = seconds(r, "node.session.timeo.replacement_timeout");
	c->tgt_reset_tmo = seconds(r, "node.session.err_timeo.tgt_reset_timeout");
	c->lu_reset_tmo = seconds(r, "node.session.err_timeo.lu_reset_timeout");
	c->abort_tmo = seconds(r, "node.session.err_timeo.abort_timeout");
	describe_chap(ds, secrets, c);
	describe_negotiated(&ds->neg, c);
	if (ds->s) {
		swi_session_isid(ds->s, c->isid);
		describe_counters(ds->s, &c->counters);
	}
}

/* The session's LUN files and loop devices, one ctl_device each after its ctl_session. */
static uint32_t append_devices(const struct dsession *ds, struct ctl_buf *b)
{
	if (!ds->ls)
		return 0;
	struct lunfs_device *d = calloc(CTL_MAX_DEVICES, sizeof(*d));
	if (!d) {
		b->failed = 1;
		return 0;
	}
	size_t n = lunfs_session_devices(ds->ls, d, CTL_MAX_DEVICES);
	if (n > CTL_MAX_DEVICES)
		n = CTL_MAX_DEVICES;   /* the protocol's bound; the files are all there */
	for (size_t i = 0; i < n; i++) {
		struct ctl_device c = { .lun = d[i].lun, .blocks = d[i].blocks,
					.block_size = d[i].block_size, .read_only = d[i].read_only };
		CTL_SET(c.file, d[i].file);
		CTL_SET(c.loop, d[i].loop);
		CTL_SET(c.vendor, d[i].vendor);
		CTL_SET(c.product, d[i].product);
		session_mpath_device(ds, &c);
		ctl_buf_append(b, &c, sizeof(c));
	}
	free(d);
	return (uint32_t)n;
}

uint32_t sessions_describe(const struct sessions *t, uint32_t sid, bool secrets,
			   struct ctl_buf *b)
{
	uint32_t n = 0;
	for (const struct dsession *ds = t->head; ds; ds = ds->next) {
		if (ds->state == DS_DEAD || ds->state == DS_LOGIN || (sid && ds->sid != sid))
			continue;
		struct ctl_session c;
		describe(ds, secrets, &c);
		size_t at = b->len;
		ctl_buf_append(b, &c, sizeof(c));
		explicit_bzero(&c, sizeof(c));
		uint32_t ndev = append_devices(ds, b);
		if (!b->failed)
			((struct ctl_session *)(b->p + at))->ndevices = ndev;
		n++;
	}
	return n;
}
