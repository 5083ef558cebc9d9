/* Rules for names that become record paths; see names.h for the decisions. */
#include "names.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

void name_printable(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	if (!outlen)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < outlen; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

bool path_component_ok(const char *what, const char *s, char *err, size_t errlen)
{
	char shown[128];
	name_printable(s, shown, sizeof(shown));
	const char *why = NULL;
	if (!s[0])
		why = "it is empty";
	else if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		why = "it names a directory";
	else if (strlen(s) > PATH_COMPONENT_MAX)
		why = "it is longer than 255 bytes";
	else if (strchr(s, '/'))
		why = "it contains '/'";
	for (const char *p = s; !why && *p; p++)
		if (is_control((unsigned char)*p))
			why = "it contains a control character";
	if (why)
		snprintf(err, errlen, "invalid %s '%s': %s", what, shown, why);
	return !why;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[n] == '\0';
}

static bool iscsi_name_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_';
}

/* NULL when the form is right, else why not. */
static const char *iscsi_name_problem(const char *name)
{
	size_t n = strlen(name);
	if (n > ISCSI_NAME_MAX)
		return "it is longer than 223 bytes";
	for (const char *p = name; *p; p++)
		if (!iscsi_name_char((unsigned char)*p))
			return "it may hold only letters, digits, '-', '.', ':' and '_'";
	if (strncmp(name, "eui.", 4) == 0)
		return all_hex(name + 4, 16) ? NULL : "an eui. name is 16 hex digits after 'eui.'";
	if (strncmp(name, "naa.", 4) == 0)
		return all_hex(name + 4, 16) || all_hex(name + 4, 32)
			       ? NULL
			       : "a naa. name is 16 or 32 hex digits after 'naa.'";
	if (strncmp(name, "iqn.", 4) == 0)
		return name[4] ? NULL : "an iqn. name needs a date and naming authority";
	return "it must start with iqn., eui. or naa.";
}

bool iscsi_name_is_valid(const char *name, char *err, size_t errlen)
{
	const char *why = iscsi_name_problem(name);
	if (why) {
		char shown[128];
		name_printable(name, shown, sizeof(shown));
		snprintf(err, errlen, "invalid iSCSI name '%s': %s", shown, why);
	}
	return !why;
}

static bool host_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253)
		return false;
	for (const char *p = s;; p++) {
		if (*p == '.' || !*p) {
			/* labels are 1..63 bytes and do not start or end with '-' */
			if (label == 0 || label > 63 || p[-1] == '-' || p[-(long)label] == '-')
				return false;
			if (!*p)
				return true;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
		label++;
	}
}

/* fe80::1%eth0: an IPv6 literal with the zone (a network device name) getaddrinfo accepts. */
static bool ipv6_with_zone_ok(const char *s)
{
	const char *pct = strchr(s, '%');
	char ip[INET6_ADDRSTRLEN];
	unsigned char buf[sizeof(struct in6_addr)];
	if (!pct || (size_t)(pct - s) >= sizeof(ip))
		return false;
	memcpy(ip, s, (size_t)(pct - s));
	ip[pct - s] = '\0';
	size_t zlen = strlen(pct + 1);
	if (inet_pton(AF_INET6, ip, buf) != 1 || zlen < 1 || zlen > 15)
		return false;
	for (const char *p = pct + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return strcmp(pct + 1, ".") != 0 && strcmp(pct + 1, "..") != 0;
}

bool portal_address_is_valid(const char *addr, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1 ||
	    ipv6_with_zone_ok(addr) || host_name_ok(addr))
		return true;
	char shown[128];
	name_printable(addr, shown, sizeof(shown));
	snprintf(err, errlen, "invalid portal address '%s': it must be an IP address or a host name",
		 shown);
	return false;
}
