#include "iface_conn.h"

#include <stdio.h>
#include <string.h>

#include "db_paths.h"
#include "iface_schema.h"
#include "initiator_name.h"

static const char *nonempty(const char *v)
{
	return v && v[0] ? v : NULL;
}

static enum iface_conn_failure check_transport(const struct iface_conn_spec *spec, char *err,
					       size_t errlen)
{
	const char *transport = spec->transport && spec->transport[0] ? spec->transport : "tcp";
	if (strcmp(transport, "tcp") == 0)
		return IFACE_CONN_OK;
	const struct transport_info *t = transport_lookup(transport);
	snprintf(err, errlen,
		 "iface %s uses the %s transport, which needs the kernel driver %s; swiscsi "
		 "connects through software (tcp) ifaces only. Dropping interface %s.",
		 spec->name, transport, t && t->module ? t->module : transport, spec->name);
	return IFACE_CONN_TRANSPORT;
}

enum iface_conn_failure iface_conn_prepare(const struct iface_conn_spec *spec,
					   struct iface_conn *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	enum iface_conn_failure f = check_transport(spec, err, errlen);
	if (f != IFACE_CONN_OK)
		return f;
	int e = netdev_list_load(&c->devs);
	if (e < 0) {
		snprintf(err, errlen, "cannot list the network devices: %s", strerror(-e));
		return IFACE_CONN_SYSTEM;
	}
	char why[512];
	if (net_binding_resolve(&c->devs, spec->netdev, spec->hwaddress, spec->ipaddress,
				&c->binding, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "iface %s: %s", spec->name, why);
		iface_conn_free(c);
		return IFACE_CONN_BINDING;
	}
	if (nonempty(spec->initiatorname)) {
		snprintf(c->initiator, sizeof(c->initiator), "%s", spec->initiatorname);
	} else if (initiator_name_read(initiatorname_file(), c->initiator, sizeof(c->initiator), err,
				       errlen) < 0) {
		iface_conn_free(c);
		return IFACE_CONN_INITIATOR;
	}
	return IFACE_CONN_OK;
}

void iface_conn_free(struct iface_conn *c)
{
	netdev_list_free(&c->devs);
	memset(c, 0, sizeof(*c));
}

void iface_conn_device_of(const struct iface_conn *c, const char *address, char *dev, size_t len)
{
	const struct netdev *d = netdev_by_address(&c->devs, address);
	if (d)
		snprintf(dev, len, "%.*s", (int)strcspn(d->name, ":"), d->name);
	else
		snprintf(dev, len, "?");
}

const char *iface_conn_bind_dev(const struct iface_conn *c)
{
	return nonempty(c->binding.dev);
}

const char *iface_conn_bind_source(const struct iface_conn *c)
{
	return nonempty(c->binding.source);
}
