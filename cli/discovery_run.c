#include "discovery_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "db_paths.h"
#include "exit_codes.h"
#include "iface_schema.h"
#include "initiator_name.h"
#include "msg.h"
#include "node_index.h"

static const char *nonempty(const char *v)
{
	return v && v[0] ? v : NULL;
}

/* Which device and source address the connection uses: the same rules as the ping preflight,
 * so that a binding that pinged through eth1 also discovers through eth1. */
static int resolve_binding(const struct netdev_list *devs, const struct record *iface,
			   struct net_binding *b)
{
	char err[512];
	int rc = net_binding_resolve(devs, iface->values[IFACE_F_NETDEV],
				     iface->values[IFACE_F_HWADDRESS],
				     iface->values[IFACE_F_IPADDRESS], b, err, sizeof(err));
	if (rc < 0) {
		msg_error("iface %s: %s", iface->values[IFACE_F_NAME], err);
		return EXIT_TRANS;
	}
	return EXIT_OK;
}

static int initiator(const struct record *iface, char *out, size_t len)
{
	if (iface->values[IFACE_F_INITIATORNAME][0]) {
		snprintf(out, len, "%s", iface->values[IFACE_F_INITIATORNAME]);
		return EXIT_OK;
	}
	char err[512];
	if (initiator_name_read(initiatorname_file(), out, len, err, sizeof(err)) < 0) {
		msg_error("Cannot perform discovery. Initiatorname required. (%s)", err);
		return 20;   /* iscsiadm's ISCSI_ERR_ISCSID_NOTCONN, its code for this case */
	}
	return EXIT_OK;
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

/* Which device holds our side's address: without a binding, where the routing table sent
 * the connection. */
static void device_of(const struct netdev_list *devs, const char *address, char *dev, size_t len)
{
	const struct netdev *d = netdev_by_address(devs, address);
	if (d)
		snprintf(dev, len, "%.*s", (int)strcspn(d->name, ":"), d->name);
	else
		snprintf(dev, len, "?");
}

static int run_session(struct swi_options *opt, const char *iface_name, const char *portal,
		       const struct netdev_list *devs, struct discovery_outcome *out)
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
			device_of(devs, out->local_address, out->used_dev,
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
	const char *transport = iface->values[IFACE_F_TRANSPORT];
	if (strcmp(transport, "tcp") != 0) {
		const struct transport_info *t = transport_lookup(transport);
		msg_error("iface %s uses the %s transport, which needs the kernel driver %s; swiscsi "
			  "connects through software (tcp) ifaces only. Dropping interface %s.",
			  name, transport, t && t->module ? t->module : transport, name);
		return EXIT_TRANS_NOT_FOUND;
	}
	/* one look at the devices serves the binding and, after the login, naming the one used */
	struct netdev_list devs;
	if (netdev_list_load(&devs) < 0) {
		msg_error("cannot list the network devices: %s", strerror(errno));
		return EXIT_ERR;
	}
	struct net_binding b;
	char iname[256], portal[300];
	int rc = resolve_binding(&devs, iface, &b);
	if (rc == EXIT_OK)
		rc = initiator(iface, iname, sizeof(iname));
	if (rc != EXIT_OK) {
		netdev_list_free(&devs);
		return rc;
	}
	portal_format(address, port, 0, false, portal, sizeof(portal));
	struct swi_options opt = {
		.initiator_name = iname,
		.portal = portal,
		.bind_ifname = nonempty(b.dev),
		.bind_source = nonempty(b.source),
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
	rc = run_session(&opt, name, portal, &devs, out);
	netdev_list_free(&devs);
	return rc;
}
