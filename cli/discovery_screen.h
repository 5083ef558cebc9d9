/* The CLI's gate between a SendTargets answer and the record database: the library reports
 * what the target said, faithfully; only names that may become paths get through here. */
#ifndef SWISCSI_DISCOVERY_SCREEN_H
#define SWISCSI_DISCOVERY_SCREEN_H

#include <swiscsi/swiscsi.h>

/* Drops from l every target whose TargetName is no iSCSI name and every TargetAddress that is
 * no portal (names.h, portal.h), reporting each on stderr with its key and value; a target
 * left without any of the addresses it gave goes too. from names the discovery portal. */
void discovery_screen(struct swi_target_list *l, const char *from);

#endif
