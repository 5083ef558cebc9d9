#include "portal_text.h"

#include <stdio.h>
#include <string.h>

void portal_text(const char *address, int port, int tpgt, bool with_tpgt, char *buf,
		 size_t len)
{
	bool bracket = strchr(address, '.') == NULL;
	int n = snprintf(buf, len, "%s%s%s:%d", bracket ? "[" : "", address, bracket ? "]" : "",
			 port);
	if (with_tpgt && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ",%d", tpgt);
}

void node_portal_display(const struct node_ref *n, char *buf, size_t len)
{
	portal_text(n->address, n->port, n->tpgt, true, buf, len);
}
