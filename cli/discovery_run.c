#include "discovery_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int run_session(struct swi_options *opt, const char *iface_name, const char *portal,
		       const struct iface_conn *conn, struct discovery_outcome *out)
{
	const char *err = NULL;
	struct swi_session *s = swi_session_new(opt, &err);
	if (!s) {
		msg_error("iface %s: %s", iface_name, err ? err : "out of memory");
		return err ? EXIT_INVAL : EXIT_NOMEM;
	}
	int rc = EXIT_OK;
	if (swi_login(s) < 0 || swi_sendtargets(s, &out->targets) < 0) {
		msg_error("Could not perform SendTargets discovery of %s through iface %s: %s", portal,
			  iface_name, swi_error(s));
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
	int rc = run_session(&opt, name, portal, &conn, out);
	iface_conn_free(&conn);
	return rc;
}
