/* Screening of SendTargets answers before anything is recorded (discovery_screen.h). */
#include "discovery_screen.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "names.h"
#include "portal.h"

static void report(const char *from, const char *key, const char *value, const char *why)
{
	char shown[300];
	name_printable(value, shown, sizeof(shown));
	msg_error("SendTargets answer from %s: %s=%s skipped: %s", from, key, shown, why);
}

/* Keeps the addresses of t that are portals; false when t gave some and none was. */
static bool screen_portals(struct swi_target *t, const char *from)
{
	size_t kept = 0, given = t->nportals;
	for (size_t k = 0; k < given; k++) {
		struct portal p;
		if (portal_parse(t->portals[k], 3260, &p)) {
			t->portals[kept++] = t->portals[k];
			continue;
		}
		report(from, "TargetAddress", t->portals[k],
		       "not ADDRESS[:PORT],TPGT with an IP address or host name");
		free(t->portals[k]);
	}
	t->nportals = kept;
	return kept || !given;
}

static void target_free(struct swi_target *t)
{
	for (size_t k = 0; k < t->nportals; k++)
		free(t->portals[k]);
	free(t->portals);
	free(t->name);
}

void discovery_screen(struct swi_target_list *l, const char *from)
{
	size_t kept = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct swi_target *t = &l->v[i];
		char err[512];
		bool ok = iscsi_name_is_valid(t->name, err, sizeof(err));
		if (!ok)
			report(from, "TargetName", t->name, err);
		else if (!(ok = screen_portals(t, from)))
			report(from, "TargetName", t->name, "none of its TargetAddress values is usable");
		if (ok)
			l->v[kept++] = *t;
		else
			target_free(t);
	}
	l->n = kept;
}
