/* Portals as iscsiadm prints them in node and discovery listings. */
#ifndef SWISCSI_PORTAL_TEXT_H
#define SWISCSI_PORTAL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "node_index.h"

/* "ADDR:PORT[,TPGT]", the address in brackets unless it has a dot: iscsiadm's rule, which
 * brackets IPv6 addresses and also host names without a domain ("[localhost]:3260,1"). The
 * tpgt is printed signed (-1 for an old-style record). */
void portal_text(const char *address, int port, int tpgt, bool with_tpgt, char *buf,
		 size_t len);

/* portal_text of a node record's portal, with its tpgt. */
void node_portal_display(const struct node_ref *n, char *buf, size_t len);

#endif
