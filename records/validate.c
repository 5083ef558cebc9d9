/* Value checks behind `-o new -n/-v` and `-o update`. */
#include "validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iface_schema.h"
#include "names.h"

static bool parse_long(const char *text, long long *out)
{
	if (!text[0])
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool value_is_number(const struct field_def *f, const char *text)
{
	long long v;
	if (!parse_long(text, &v))
		return false;
	switch (f->type) {
	case FT_U8:
		return v >= 0 && v <= UINT8_MAX;
	case FT_U16:
		return v >= 0 && v <= UINT16_MAX;
	case FT_U32:
		return v >= 0 && v <= UINT32_MAX;
	case FT_INT:
		return v >= INT32_MIN && v <= INT32_MAX;
	case FT_STR:
		return false;
	}
	return false;
}

static const char *type_range(enum field_type t)
{
	switch (t) {
	case FT_U8:
		return "a whole number from 0 to 255";
	case FT_U16:
		return "a whole number from 0 to 65535";
	case FT_U32:
		return "a whole number from 0 to 4294967295";
	case FT_INT:
		return "a whole number from -2147483648 to 2147483647";
	case FT_STR:
		break;
	}
	return "text";
}

bool mac_normalize(const char *text, char out[18])
{
	if (strlen(text) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		char c = text[i];
		if (i % 3 == 2) {
			if (c != ':' && c != '-')
				return false;
			out[i] = ':';
		} else {
			if (!isxdigit((unsigned char)c))
				return false;
			out[i] = (char)tolower((unsigned char)c);
		}
	}
	out[17] = '\0';
	return true;
}

static bool is_ip(const char *v, int family)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(family, v, buf) == 1;
}

static bool netdev_name_ok(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 15 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return false;
	for (const char *p = v; *p; p++)
		if (*p == '/' || !isgraph((unsigned char)*p))
			return false;
	return true;
}

/* Whether v is one of the NULL-terminated words (exact case, as open-iscsi compares). */
static bool one_of(const char *v, ...)
{
	va_list ap;
	va_start(ap, v);
	bool found = false;
	for (const char *w; !found && (w = va_arg(ap, const char *));)
		found = strcmp(v, w) == 0;
	va_end(ap);
	return found;
}

static bool chap_algs_ok(const char *v)
{
	char buf[128];
	if (strlen(v) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", v);
	char *save = NULL;
	int n = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), n++)
		if (!one_of(t, "MD5", "SHA1", "SHA256", "SHA3-256", NULL))
			return false;
	return n > 0 && v[strlen(v) - 1] != ',';
}

static bool check_kind(const struct field_def *f, const char *v, const char **what)
{
	switch (f->check) {
	case FC_NONE:
		*what = "printable text";
		return true;
	case FC_MAC: {
		char mac[18];
		*what = "a MAC address (xx:xx:xx:xx:xx:xx)";
		return mac_normalize(v, mac);
	}
	case FC_IPADDR:
		*what = "an IPv4 or IPv6 address";
		return is_ip(v, AF_INET) || is_ip(v, AF_INET6);
	case FC_IPV4:
		*what = "an IPv4 address";
		return is_ip(v, AF_INET);
	case FC_IPV6:
		*what = "an IPv6 address";
		return is_ip(v, AF_INET6);
	case FC_TRANSPORT:
		*what = "an iSCSI transport (tcp, iser, cxgb3i, cxgb4i, bnx2i, be2iscsi, qla4xxx, qedi, ocs)";
		return transport_lookup(v) != NULL;
	case FC_NETDEV:
		*what = "a network device name (1 to 15 characters, no '/' or white space)";
		return netdev_name_ok(v);
	case FC_ENABLE:
		*what = "'enable' or 'disable'";
		return strcmp(v, "enable") == 0 || strcmp(v, "disable") == 0;
	case FC_BOOTPROTO:
		*what = "'dhcp' or 'static'";
		return strcmp(v, "dhcp") == 0 || strcmp(v, "static") == 0;
	case FC_IPV6_AUTOCFG:
		*what = "'nd' or 'dhcpv6'";
		return strcmp(v, "nd") == 0 || strcmp(v, "dhcpv6") == 0;
	case FC_AUTO:
		*what = "'auto'";
		return strcmp(v, "auto") == 0;
	case FC_IQN:
		*what = "an iSCSI name (iqn., eui. or naa.)";
		return iscsi_name_is_valid(v, NULL, 0);
	case FC_STARTUP:
		*what = "'manual', 'automatic' or 'onboot'";
		return one_of(v, "manual", "automatic", "onboot", NULL);
	case FC_DSTARTUP:
		*what = "'manual' or 'automatic'";
		return one_of(v, "manual", "automatic", NULL);
	case FC_YESNO:
		*what = "'Yes' or 'No'";
		return one_of(v, "Yes", "No", NULL);
	case FC_AUTHMETHOD:
		*what = "'None' or 'CHAP'";
		return one_of(v, "None", "CHAP", NULL);
	case FC_CHAP_ALGS:
		*what = "a comma-separated list of MD5, SHA1, SHA256 and SHA3-256";
		return chap_algs_ok(v);
	case FC_DIGEST:
		*what = "'None', 'CRC32C', 'CRC32C,None' or 'None,CRC32C'";
		return one_of(v, "None", "CRC32C", "CRC32C,None", "None,CRC32C", NULL);
	case FC_DISCOVERY_TYPE:
		*what = "send_targets, isns, offload_send_targets, slp, static or fw";
		return one_of(v, "send_targets", "isns", "offload_send_targets", "slp", "static",
			      "fw", NULL);
	case FC_DISCOVERY_KIND:
		*what = "sendtargets, isns, offload_send_targets, slp, static or fw";
		return one_of(v, "sendtargets", "isns", "offload_send_targets", "slp", "static",
			      "fw", NULL);
	case FC_SCAN:
		*what = "'manual' or 'auto'";
		return one_of(v, "manual", "auto", NULL);
	}
	*what = "a valid value";
	return false;
}

bool value_is_valid(const struct field_def *f, const char *value, char *err, size_t errlen)
{
	for (const char *p = value; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "the value for %s contains a control character", f->key);
			return false;
		}
	}
	if (f->type != FT_STR) {
		if (value_is_number(f, value))
			return true;
		snprintf(err, errlen, "'%s' is not a valid value for %s: it must be %s", value,
			 f->key, type_range(f->type));
		return false;
	}
	if (!value[0])
		return true;
	if (f->maxlen && strlen(value) > f->maxlen) {
		snprintf(err, errlen, "the value for %s is longer than %u characters", f->key,
			 f->maxlen);
		return false;
	}
	const char *what;
	if (check_kind(f, value, &what))
		return true;
	snprintf(err, errlen, "'%s' is not a valid value for %s: it must be %s", value, f->key,
		 what);
	return false;
}

bool iface_name_is_valid(const char *name, char *err, size_t errlen)
{
	char shown[128];
	name_printable(name, shown, sizeof(shown));
	size_t n = strlen(name);
	if (n < 1 || n > 64) {
		snprintf(err, errlen, "Invalid iface name %s. Must be from 1 to 64 characters.", shown);
		return false;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(err, errlen, "Invalid iface name %s: it names a directory.", name);
		return false;
	}
	for (const char *p = name; *p; p++) {
		if (*p == '/' || !isgraph((unsigned char)*p)) {
			snprintf(err, errlen,
				 "Invalid iface name '%s': it may not contain '/', white space or control characters.",
				 shown);
			return false;
		}
	}
	return true;
}
