/* The -p argument, as iscsiadm reads it: "1.2.3.4", "1.2.3.4:3260", "1.2.3.4:3260,1",
 * "[fd00::1]:3260,1", "fd00::1" (two or more colons without brackets: all address), "host",
 * "host:port". */
#ifndef SWISCSI_PORTAL_H
#define SWISCSI_PORTAL_H

#include <stdbool.h>
#include <stddef.h>

struct portal {
	char address[256];    /* without brackets */
	int port;             /* default_port when not given */
	int tpgt;             /* -1 when not given */
	bool has_port, has_tpgt;
};

/* false when the text is not a portal (empty address, bad port or tpgt, an address that is
 * neither an IP literal nor a host name: names.h). */
bool portal_parse(const char *text, int default_port, struct portal *out);

#endif
