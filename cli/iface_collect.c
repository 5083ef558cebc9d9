/* The set of ifaces a command sees: the database plus the offload ports sysfs shows. Like
 * iscsiadm, a port found in sysfs gets its record written once, so that it can be updated and
 * bound like any other iface; unlike iscsiadm, an existing record is never rewritten. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "db_paths.h"
#include "exit_codes.h"
#include "iface_schema.h"
#include "modes.h"
#include "msg.h"
#include "offload.h"

/* Writes the records of detected ports that have none yet. A database that cannot be written
 * (read-only, not root) only means the ports are listed from memory this time. */
static void store_missing(const struct iface_set *detected)
{
	bool any = false;
	for (size_t i = 0; i < detected->n && !any; i++)
		any = !iface_file_exists(detected->v[i].values[IFACE_F_NAME]);
	if (!any)
		return;
	char err[1024];
	int lock = db_lock(db_root(), err, sizeof(err));
	if (lock < 0)
		return;
	for (size_t i = 0; i < detected->n; i++)
		if (!iface_file_exists(detected->v[i].values[IFACE_F_NAME]))
			iface_store(&detected->v[i], err, sizeof(err));
	db_unlock(lock);
}

static int detect(struct iface_set *detected)
{
	detected->v = NULL;
	detected->n = 0;
	if (offload_detect(detected, msg_warn_cb, NULL) < 0) {
		iface_set_free(detected);
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	store_missing(detected);
	return EXIT_OK;
}

int iface_collect(struct iface_set *out)
{
	struct iface_set detected;
	int rc = detect(&detected);
	if (rc != EXIT_OK)
		return rc;
	unsigned nbad;
	if (iface_load_all(out, msg_warn_cb, NULL, &nbad) < 0) {
		iface_set_free(&detected);
		msg_error("Out of memory");
		return EXIT_NOMEM;
	}
	for (size_t i = 0; i < detected.n; i++) {
		if (iface_set_find(out, detected.v[i].values[IFACE_F_NAME]))
			continue;
		if (iface_set_add(out, &detected.v[i]) < 0) {
			iface_set_free(&detected);
			iface_set_free(out);
			msg_error("Out of memory");
			return EXIT_NOMEM;
		}
	}
	iface_set_free(&detected);
	return EXIT_OK;
}

/* What is said when the iface does not exist: iscsiadm's usual words, its words in the
 * commands that talk to the HBA (-o apply, -C ping), or nothing (the caller has its own). */
enum missing_words { SAY_INFO, SAY_NUMBERED, SAY_NOTHING };

static void say_missing(const char *name, enum missing_words how)
{
	if (how == SAY_INFO)
		msg_error("Could not read iface info for %s.", name);
	else if (how == SAY_NUMBERED)
		msg_error("Could not read iface %s (%d).", name, EXIT_IDBM);
}

static int from_detected(const char *name, struct record *out, enum missing_words how)
{
	struct iface_set detected;
	int rc = detect(&detected);
	if (rc != EXIT_OK)
		return rc;
	rc = EXIT_IDBM;
	for (size_t i = 0; i < detected.n; i++) {
		if (strcmp(detected.v[i].values[IFACE_F_NAME], name) == 0) {
			*out = detected.v[i];
			memset(&detected.v[i], 0, sizeof(detected.v[i]));
			rc = EXIT_OK;
		}
	}
	for (size_t i = 0; i < detected.n; i++)
		if (detected.v[i].schema)
			record_free(&detected.v[i]);
	free(detected.v);
	if (rc != EXIT_OK)
		say_missing(name, how);
	return rc;
}

static int get(const char *name, struct record *out, enum missing_words how)
{
	char err[1024];
	if (iface_load(name, out, msg_warn_cb, NULL, err, sizeof(err)) == 0)
		return EXIT_OK;
	if (errno == ENOENT)
		return from_detected(name, out, how);
	msg_error("%s", err);
	msg_error("Could not read iface info for %s.", name);
	return errno == ENOMEM ? EXIT_NOMEM : EXIT_IDBM;
}

int iface_get(const char *name, struct record *out)
{
	return get(name, out, SAY_INFO);
}

int iface_get_quiet(const char *name, struct record *out)
{
	return get(name, out, SAY_NOTHING);
}

int iface_get_for_hba(const char *name, struct record *out)
{
	return get(name, out, SAY_NUMBERED);
}
