#include "discovery_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* One connection, login and SendTargets. Returns an exit code; on failure the reason is in
 * why. */
static int run_session(struct swi_options *opt, const struct netdev_list *devs,
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
			device_of(devs, out->local_address, out->used_dev,
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
			    const struct netdev_list *devs, struct discovery_outcome *out)
{
	char why[512];
	int rc, attempt = 0;
	for (;; attempt++) {
		double started = now_s();
		rc = run_session(opt, devs, out, why, sizeof(why));
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
	int reopen_max = atoi(record_get(st_config, "discovery.sendtargets.reopen_max"));
	rc = run_with_reopens(&opt, name, reopen_max < 0 ? 0 : reopen_max, &devs, out);
	netdev_list_free(&devs);
	return rc;
}
