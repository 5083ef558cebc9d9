#include "portal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

static bool parse_number(const char *s, long max, int *out)
{
	char *end;
	if (!*s)
		return false;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > max)
		return false;
	*out = (int)v;
	return true;
}

bool portal_parse(const char *text, int default_port, struct portal *out)
{
	memset(out, 0, sizeof(*out));
	out->port = default_port;
	out->tpgt = -1;
	char buf[300];
	if (strlen(text) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", text);
	char *comma = strrchr(buf, ',');
	char *bracket_end = strrchr(buf, ']');
	if (comma && (!bracket_end || comma > bracket_end)) {
		*comma = '\0';
		if (!parse_number(comma + 1, 65535, &out->tpgt))
			return false;
		out->has_tpgt = true;
	}
	char *addr = buf, *port = NULL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close)
			return false;
		*close = '\0';
		addr = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return false;
	} else {
		char *first = strchr(buf, ':'), *last = strrchr(buf, ':');
		if (first && first == last) {   /* one colon: host:port */
			*first = '\0';
			port = first + 1;
		}
	}
	if (port) {
		if (!parse_number(port, 65535, &out->port))
			return false;
		out->has_port = true;
	}
	char err[512];
	if (!addr[0] || strlen(addr) >= sizeof(out->address) ||
	    !portal_address_is_valid(addr, err, sizeof(err)))
		return false;
	snprintf(out->address, sizeof(out->address), "%s", addr);
	return true;
}
