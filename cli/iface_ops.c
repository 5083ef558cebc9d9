/* `-m iface -o new | delete | update`: every change is validated in full first and written
 * atomically under the database lock, so a refused change leaves the file as it was. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "atomic_file.h"
#include "cli_lock.h"
#include "db_paths.h"
#include "exit_codes.h"
#include "iface_db.h"
#include "iface_schema.h"
#include "modes.h"
#include "msg.h"
#include "node_unbind.h"
#include "validate.h"

static bool is_set(const char *v)
{
	return v[0] && strcmp(v, "default") != 0;
}

/* iscsiadm's rule: an iface binds by MAC or by netdev name, and one kind of binding cannot be
 * turned into the other in place. */
static bool binding_switch_ok(const struct record *r, const char *key, const char *value)
{
	const char *hw = r->values[IFACE_F_HWADDRESS], *dev = r->values[IFACE_F_NETDEV];
	if (!value[0])
		return true;
	if (strcmp(key, "iface.net_ifacename") == 0 && is_set(hw)) {
		msg_error("Can not update interface binding from hwaddress to net_ifacename. You must delete the interface and create a new one");
		return false;
	}
	if (strcmp(key, "iface.hwaddress") == 0 && is_set(dev)) {
		msg_error("Can not update interface binding from net_ifacename to hwaddress. You must delete the interface and create a new one");
		return false;
	}
	return true;
}

/* Settings an HBA's firmware owns (be2iscsi takes its network setup from the adapter BIOS). */
static bool firmware_ok(const struct record *r, const struct field_def *f)
{
	if (!(f->flags & FF_FIRMWARE) || strcmp(r->values[IFACE_F_TRANSPORT], "be2iscsi") != 0)
		return true;
	msg_error("Cannot modify %s of %s: be2iscsi ports take their network settings from the adapter's firmware; set them with the adapter's BIOS utility or the vendor's tool.",
		  f->key, r->values[IFACE_F_NAME]);
	return false;
}

static int set_param(struct record *r, const char *key, const char *value)
{
	int i = schema_find(r->schema, key);
	if (i < 0) {
		msg_error("Cannot modify %s. Invalid param name.", key);
		return EXIT_INVAL;
	}
	const struct field_def *f = &r->schema->fields[i];
	if (f->flags & FF_READONLY) {
		msg_error("Can not update %s. Delete it, and then create a new one.", key);
		return EXIT_INVAL;
	}
	char err[512];
	if (!value_is_valid(f, value, err, sizeof(err))) {
		msg_error("%s", err);
		return EXIT_INVAL;
	}
	if (!binding_switch_ok(r, key, value) || !firmware_ok(r, f))
		return EXIT_INVAL;
	/* A MAC is stored as typed, as iscsiadm stores it (scripts grep for their own spelling);
	 * only the dash form is turned into the colon form every reader expects. Comparisons of
	 * MACs ignore case. */
	char mac[18];
	if (f->check == FC_MAC && strchr(value, '-') && strlen(value) < sizeof(mac)) {
		snprintf(mac, sizeof(mac), "%s", value);
		for (char *c = mac; *c; c++)
			if (*c == '-')
				*c = ':';
		value = mac;
	}
	if (record_set(r, key, value) < 0) {
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	return EXIT_OK;
}

static int set_params(struct record *r, const struct cli_opts *o)
{
	for (int i = 0; i < o->nparams; i++) {
		int rc = set_param(r, o->params[i].name, o->params[i].value);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

/* -I as it enters: a name that could leave ifaces/ is refused by name, before any lookup. */
static bool name_ok(const char *name)
{
	char err[512];
	if (iface_name_is_valid(name, err, sizeof(err)))
		return true;
	msg_error("%s", err);
	return false;
}

static int store(const struct record *r)
{
	char err[1024];
	if (iface_store(r, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return EXIT_IDBM;
	}
	return EXIT_OK;
}

static int locked(int (*fn)(const struct cli_opts *o, const char *name), const struct cli_opts *o)
{
	int lock = cli_lock();
	if (lock < 0)
		return EXIT_IDBM;
	int rc = fn(o, o->ifaces[0]);
	db_unlock(lock);
	return rc;
}

static int do_new(const struct cli_opts *o, const char *name)
{
	if (iface_file_exists(name)) {
		msg_error("Could not create new interface %s: it already exists (use -o update to change it, or -o delete first).",
			  name);
		return EXIT_INVAL;
	}
	struct record r;
	if (record_init(&r, &iface_schema) < 0 ||
	    record_set(&r, "iface.iscsi_ifacename", name) < 0 ||
	    record_set(&r, "iface.transport_name", "tcp") < 0) {
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	int rc = set_params(&r, o);
	if (rc == EXIT_OK)
		rc = store(&r);
	record_free(&r);
	if (rc != EXIT_OK) {
		msg_error("Could not create new interface %s.", name);
		return rc;
	}
	printf("%s updated.\n", name);   /* iscsiadm prints it with or without -n */
	printf("New interface %s added\n", name);
	return EXIT_OK;
}

int iface_op_new(const struct cli_opts *o)
{
	if (!o->nifaces) {
		msg_error("Could not add interface. No interface passed in.");
		return EXIT_RAW_EINVAL;
	}
	const char *name = o->ifaces[0];
	if (iface_is_builtin(name)) {
		msg_error("iface %s is a special interface and is not stored in %s/ifaces.", name,
			  db_root());
		msg_error("Could not create new interface %s.", name);
		return EXIT_INVAL;
	}
	if (!name_ok(name))
		return EXIT_INVAL;
	return locked(do_new, o);
}

static int do_update(const struct cli_opts *o, const char *name)
{
	struct record r;
	int rc = iface_get(name, &r);
	if (rc != EXIT_OK)
		return rc == EXIT_IDBM ? EXIT_INVAL : rc;
	rc = set_params(&r, o);
	if (rc == EXIT_OK)
		rc = store(&r);
	/* the node records bound to the iface carry a copy of its settings */
	if (rc == EXIT_OK && node_refresh_iface(&r, msg_warn_cb, NULL) < 0)
		rc = EXIT_IDBM;
	record_free(&r);
	if (rc != EXIT_OK) {
		msg_error("Could not update iface %s: invalid parameter", name);
		return rc;
	}
	printf("%s updated.\n", name);
	return EXIT_OK;
}

int iface_op_update(const struct cli_opts *o)
{
	if (!o->nifaces || !o->nparams) {
		msg_error("Update requires name, value, and iface.");
		return EXIT_INVAL;
	}
	if (iface_is_builtin(o->ifaces[0])) {
		msg_error("iface %s is a special interface and cannot be modified.", o->ifaces[0]);
		msg_error("Could not update iface %s: invalid parameter", o->ifaces[0]);
		return EXIT_INVAL;
	}
	if (!name_ok(o->ifaces[0]))
		return EXIT_INVAL;
	return locked(do_update, o);
}

static int do_delete(const struct cli_opts *o, const char *name)
{
	(void)o;
	char err[1024];
	if (!iface_file_exists(name)) {
		msg_error("Could not read iface info for %s.", name);
		msg_error("Could not delete iface %s: invalid parameter", name);
		return EXIT_INVAL;
	}
	if (node_unbind_iface(name, msg_warn_cb, NULL) < 0) {
		msg_error("Could not delete the node records bound to %s", name);
		return EXIT_IDBM;
	}
	if (iface_remove(name, err, sizeof(err)) < 0) {
		msg_error("%s", err);
		return EXIT_IDBM;
	}
	printf("%s unbound and deleted.\n", name);
	return EXIT_OK;
}

int iface_op_delete(const struct cli_opts *o)
{
	if (!o->nifaces) {
		msg_error("Could not delete interface. No interface passed in.");
		return EXIT_INVAL;
	}
	if (iface_is_builtin(o->ifaces[0])) {
		msg_error("iface %s is a special interface and cannot be deleted.", o->ifaces[0]);
		msg_error("Could not delete iface %s: invalid parameter", o->ifaces[0]);
		return EXIT_INVAL;
	}
	if (!name_ok(o->ifaces[0]))
		return EXIT_INVAL;
	return locked(do_delete, o);
}
