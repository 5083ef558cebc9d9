/* -m session's formats, iscsiadm's line for line (P 0 to 3, -s): the daemon sends the data,
 * this prints it. */
#include <stdio.h>
#include <string.h>

#include "node_index.h"
#include "session_ops.h"

static const char *or_empty(const char *v)
{
	return v && v[0] ? v : "<empty>";
}

static void portal_text(const char *address, int port, int tpgt, char *buf, size_t len)
{
	portal_format(address, port, tpgt, true, buf, len);
}

void session_print_flat(const struct ctl_reply *r)
{
	char portal[128];
	for (size_t i = 0; i < r->nsessions; i++) {
		const struct ctl_session *s = r->sessions[i];
		portal_text(s->node.address, s->node.port, s->tpgt, portal, sizeof(portal));
		printf("%s: [%u] %s %s (non-flash)\n", or_empty(s->transport), s->sid, portal,
		       s->node.target);
	}
}

static void print_iface(const struct ctl_session *s)
{
	const char *ip = s->iface_ipaddress;
	printf("\t\t**********\n\t\tInterface:\n\t\t**********\n");
	printf("\t\tIface Name: %s\n", s->node.iface);
	printf("\t\tIface Transport: %s\n", or_empty(s->transport));
	printf("\t\tIface Initiatorname: %s\n", or_empty(s->initiator_name));
	/* iscsiadm brackets any value without a dot: IPv6 addresses */
	if (ip[0] && !strchr(ip, '.'))
		printf("\t\tIface IPaddress: [%s]\n", ip);
	else
		printf("\t\tIface IPaddress: %s\n", or_empty(ip));
	printf("\t\tIface HWaddress: %s\n", or_empty(s->iface_hwaddress));
	printf("\t\tIface Netdev: %s\n", or_empty(s->iface_netdev));
	printf("\t\tSID: %u\n", s->sid);
	printf("\t\tiSCSI Connection State: %s\n", s->conn_state);
	printf("\t\tiSCSI Session State: %s\n", s->session_state);
	printf("\t\tInternal iscsid Session State: %s\n",
	       s->internal_state[0] ? s->internal_state : "NO CHANGE");
}

static void print_timeout(const char *label, int32_t v)
{
	if (v >= 0)
		printf("\t\t%s: %d\n", label, v);
	else
		printf("\t\t%s: <empty>\n", label);
}

static void print_secret(const char *label, const char *v, bool secrets)
{
	printf("\t\t%s: %s\n", label, secrets ? or_empty(v) : "********");
}

static void print_level2(const struct ctl_session *s, bool secrets)
{
	printf("\t\t*********\n\t\tTimeouts:\n\t\t*********\n");
	print_timeout("Recovery Timeout", s->recovery_tmo);
	print_timeout("Target Reset Timeout", s->tgt_reset_tmo);
	print_timeout("LUN Reset Timeout", s->lu_reset_tmo);
	print_timeout("Abort Timeout", s->abort_tmo);
	printf("\t\t*****\n\t\tCHAP:\n\t\t*****\n");
	bool clear = secrets && s->secrets_included;
	printf("\t\tusername: %s\n", or_empty(s->username));
	print_secret("password", s->password, clear);
	printf("\t\tusername_in: %s\n", or_empty(s->username_in));
	/* 2.1.8 labels this one "password:" under -S; we say what it is */
	print_secret("password_in", s->password_in, clear);
	printf("\t\t************************\n\t\tNegotiated iSCSI params:\n"
	       "\t\t************************\n");
	printf("\t\tHeaderDigest: %s\n", s->header_digest ? "CRC32C" : "None");
	printf("\t\tDataDigest: %s\n", s->data_digest ? "CRC32C" : "None");
	printf("\t\tMaxRecvDataSegmentLength: %u\n", s->max_recv_dsl);
	printf("\t\tMaxXmitDataSegmentLength: %u\n", s->max_xmit_dsl);
	printf("\t\tFirstBurstLength: %u\n", s->first_burst);
	printf("\t\tMaxBurstLength: %u\n", s->max_burst);
	printf("\t\tImmediateData: %s\n", s->immediate_data ? "Yes" : "No");
	printf("\t\tInitialR2T: %s\n", s->initial_r2t ? "Yes" : "No");
	printf("\t\tMaxOutstandingR2T: %u\n", s->max_outstanding_r2t);
}

/* No SCSI host exists in user space: the session stands in for it (host number = SID), and
 * each LUN shows its file and, when attached, its loop device as the disk, and the multipath
 * map it is a path of with the path's state and the map's own loop device. */
static void print_level3(const struct ctl_reply *r, size_t i)
{
	const struct ctl_session *s = r->sessions[i];
	printf("\t\t************************\n\t\tAttached SCSI devices:\n"
	       "\t\t************************\n");
	printf("\t\tHost Number: %u\tState: running\n", s->sid);
	for (uint32_t k = 0; k < s->ndevices; k++) {
		const struct ctl_device *d = r->devices[r->first_device[i] + k];
		const char *loop = strncmp(d->loop, "/dev/", 5) == 0 ? d->loop + 5 : d->loop;
		printf("\t\tscsi%u Channel 00 Id 0 Lun: %llu\n", s->sid, (unsigned long long)d->lun);
		if (loop[0])
			printf("\t\t\tAttached scsi disk %s\t\tState: running\n", loop);
		printf("\t\t\tLUN file: %s\n", d->file);
		if (d->mpath[0])      /* the words of swiscsi-multipath -ll for a path */
			printf("\t\t\tMultipath map: %s\tPath: %s\n", d->mpath,
			       d->path_up ? "active ready running" : "failed faulty running");
		const char *map_loop = strncmp(d->mpath_loop, "/dev/", 5) == 0 ? d->mpath_loop + 5
									 : d->mpath_loop;
		if (d->mpath[0] && map_loop[0])   /* the map's disk: its by-id file's loop device */
			printf("\t\t\tMultipath disk: %s\n", map_loop);
	}
}

void session_print_versions(void)
{
	/* iscsiadm's first line names the kernel's transport class: here the daemon is it */
	printf("iSCSI Transport Class version swiscsi-%s\nversion %s\n", SWISCSI_VERSION,
	       SWISCSI_VERSION);
}

void session_print_tree(const struct ctl_reply *r, int level, bool secrets)
{
	if (level >= 3)
		session_print_versions();
	const struct ctl_session *prev = NULL;
	char portal[128];
	for (size_t i = 0; i < r->nsessions; i++) {
		const struct ctl_session *s = r->sessions[i];
		bool same_target = prev && strcmp(prev->node.target, s->node.target) == 0;
		if (!same_target)
			printf("Target: %s (non-flash)\n", s->node.target);
		if (same_target && strcmp(prev->node.address, s->node.address) == 0 &&
		    prev->node.port == s->node.port && prev->tpgt == s->tpgt) {
			printf("\n");
		} else {
			portal_text(s->current_address, s->current_port, s->tpgt, portal,
				    sizeof(portal));
			printf("\tCurrent Portal: %s\n", portal);
			portal_text(s->node.address, s->node.port, s->tpgt, portal, sizeof(portal));
			printf("\tPersistent Portal: %s\n", portal);
		}
		print_iface(s);
		if (level >= 2)
			print_level2(s, secrets);
		if (level >= 3)
			print_level3(r, i);
		prev = s;
	}
}

/* What ERL 0 recovery did (the kernel has no such counters; the names say what they count) */
static void print_recovery(const struct ctl_counters *c)
{
	const struct { const char *name; uint64_t v; } rows[] = {
		{ "connection_losses", c->losses }, { "reconnect_attempts", c->attempts },
		{ "session_reinstatements", c->recoveries },
		{ "replacement_timeouts", c->expiries },
		{ "target_logout_requests", c->target_logouts },
		{ "scsi_retries", c->scsi_retries },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("\t%s: %llu\n", rows[i].name, (unsigned long long)rows[i].v);
}

/* iscsiadm's layout; libswiscsi counts PDUs in total, not per opcode. */
void session_print_stats_one(const struct ctl_session *s)
{
	const struct ctl_counters *c = &s->counters;
	printf("Stats for session [sid: %u, target: %s, portal: %s,%d]\n", s->sid,
	       s->node.target, s->node.address, s->node.port);
	printf("iSCSI SNMP:\n");
	printf("\ttxdata_octets: %llu\n", (unsigned long long)c->bytes_tx);
	printf("\trxdata_octets: %llu\n", (unsigned long long)c->bytes_rx);
	printf("\tscsicmd_pdus: %llu\n", (unsigned long long)c->commands);
	printf("\tdigest_err: %llu\n", (unsigned long long)c->digest_errors);
	printf("\ttimeout_err: %llu\n", (unsigned long long)c->timeouts);
	/* iscsiadm's own names above; what libswiscsi counts beyond them below, in the
	 * free-form section the kernel drivers use for theirs */
	printf("iSCSI Extended Stats:\n");
	printf("\ttx_pdus: %llu\n", (unsigned long long)c->pdus_tx);
	printf("\trx_pdus: %llu\n", (unsigned long long)c->pdus_rx);
	printf("\tcommand_errors: %llu\n", (unsigned long long)c->errors);
	print_recovery(c);
}

void session_print_stats(const struct ctl_reply *r)
{
	for (size_t i = 0; i < r->nsessions; i++)
		session_print_stats_one(r->sessions[i]);
}
