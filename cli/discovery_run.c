#include "discovery_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_paths.h"
#include "exit_codes.h"
#include "iface_schema.h"
#include "iface_conn.h"
#include "msg.h"
#include "node_index.h"

static const char *nonempty(const char *v)
{
	return v && v[0] ? v : NULL;
}

static void chap_options(const struct record *st, struct swi_options *opt)
{
	if (strcmp(record_get(st, "discovery.sendtargets.auth.authmethod"), "CHAP") != 0)
		return;
	opt->chap_user = nonempty(record_get(st, "discovery.sendtargets.auth.username"));
	opt->chap_secret = nonempty(record_get(st, "discovery.sendtargets.auth.password"));
	opt->chap_target_user = nonempty(record_get(st, "discovery.sendtargets.auth.username_in"));
	opt->chap_target_secret = nonempty(record_get(st, "discovery.sendtargets.auth.password_in"));
	opt->chap_algs = nonempty(record_get(st, "node.session.auth.chap_algs"));
}

/* One connection, login and SendTargets. Returns an exit code; on failure the reason is in
 * why. */
static int run_session(struct swi_options *opt, const struct iface_conn *conn,
		       struct discovery_outcome *out, char *why, size_t len)
{
	const char *err = NULL;
	struct swi_session *s = swi_session_new(opt, &err);
	if (!s) {
		snprintf(why, len, "%s", err ? err : "out of memory");
		return err ? EXIT_INVAL : EXIT_NOMEM;
	}
	int rc = EXIT_OK;
	if (swi_login(s) < 0 || swi_sendtargets(s, &out->targets) < 0) {
		snprintf(why, len, "%s", swi_error(s));
		rc = swi_error_class(s) ? swi_error_class(s) : EXIT_ERR;
	} else {
		struct swi_negotiated neg;
		if (swi_negotiated(s, &neg) == 0) {
			snprintf(out->local_address, sizeof(out->local_address), "%s",
				 neg.local_address);
			iface_conn_device_of(conn, out->local_address, out->used_dev,
					     sizeof(out->used_dev));
		}
		swi_logout(s);   /* the answer is in; a failed logout loses nothing */
	}
	swi_session_free(s);
	return rc;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Attempts start at least a second apart, as iscsiadm's reopens do, so that reopen_max
 * bridges an outage of about that many seconds even when the refusal comes at once. */
static void pause_until(double t)
{
	double left = t - now_s();
	if (left <= 0)
		return;
	struct timespec ts = { .tv_sec = (time_t)left,
			       .tv_nsec = (long)((left - (double)(time_t)left) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Connecting failed (refused, unreachable, timed out): what discovery.sendtargets.reopen_max
 * retries. A login or SendTargets failure is the target's answer and is not retried. */
static bool connect_failed(int rc)
{
	return rc == EXIT_TRANS || rc == EXIT_TRANS_TIMEOUT;
}

/* Up to 1 + reopen_max attempts. After the last connect failure: iscsiadm's exit code for
 * it, 11. */
static int run_with_reopens(struct swi_options *opt, const char *iface_name, int reopen_max,
			    const struct iface_conn *conn, struct discovery_outcome *out)
{
	char why[512];
	int rc, attempt = 0;
	for (;; attempt++) {
		double started = now_s();
		rc = run_session(opt, conn, out, why, sizeof(why));
		if (!connect_failed(rc) || attempt >= reopen_max)
			break;
		msg_error("iface %s: %s", iface_name, why);
		pause_until(started + 1.0);
	}
	if (rc == EXIT_OK)
		return rc;
	msg_error("Could not perform SendTargets discovery of %s through iface %s: %s", opt->portal,
		  iface_name, why);
	if (!connect_failed(rc))
		return rc;
	msg_error("connection login retries (reopen_max) %d exceeded", reopen_max);
	return EXIT_PDU_TIMEOUT;
}

int discovery_run(const struct record *iface, const struct record *st_config, const char *address,
		  int port, struct discovery_outcome *out)
{
	memset(out, 0, sizeof(*out));
	const char *name = iface->values[IFACE_F_NAME];
	const struct iface_conn_spec spec = {
		.name = name,
		.transport = iface->values[IFACE_F_TRANSPORT],
		.netdev = iface->values[IFACE_F_NETDEV],
		.hwaddress = iface->values[IFACE_F_HWADDRESS],
		.ipaddress = iface->values[IFACE_F_IPADDRESS],
		.initiatorname = iface->values[IFACE_F_INITIATORNAME],
	};
	struct iface_conn conn;
	char err[1024], portal[300];
	switch (iface_conn_prepare(&spec, &conn, err, sizeof(err))) {
	case IFACE_CONN_OK:
		break;
	case IFACE_CONN_TRANSPORT:
		msg_error("%s", err);
		return EXIT_TRANS_NOT_FOUND;
	case IFACE_CONN_BINDING:
		msg_error("%s", err);
		return EXIT_TRANS;
	case IFACE_CONN_INITIATOR:
		msg_error("Cannot perform discovery. Initiatorname required. (%s)", err);
		return 20;   /* iscsiadm's ISCSI_ERR_ISCSID_NOTCONN, its code for this case */
	default:
		msg_error("%s", err);
		return EXIT_ERR;
	}
	portal_format(address, port, 0, false, portal, sizeof(portal));
	struct swi_options opt = {
		.initiator_name = conn.initiator,
		.portal = portal,
		.bind_ifname = iface_conn_bind_dev(&conn),
		.bind_source = iface_conn_bind_source(&conn),
		.timeout_ms = atoi(record_get(st_config, "discovery.sendtargets.timeo.login_timeout")) *
			      1000,
		.max_recv_data_segment_length = (uint32_t)strtoul(
			record_get(st_config, "discovery.sendtargets.iscsi.MaxRecvDataSegmentLength"),
			NULL, 10),
		.initial_r2t = -1,
		.immediate_data = -1,
		.noop_interval_ms = -1,
	};
	chap_options(st_config, &opt);
	int reopen_max = atoi(record_get(st_config, "discovery.sendtargets.reopen_max"));
	int rc = run_with_reopens(&opt, name, reopen_max < 0 ? 0 : reopen_max, &conn, out);
	iface_conn_free(&conn);
	return rc;
}
