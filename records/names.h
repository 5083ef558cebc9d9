/* What may become a path component of the record database: iSCSI names (RFC 7143 §4.2.7,
 * RFC 3722), portal addresses (IP literals or host names) and the one check every path join
 * applies whatever the name's kind.
 *
 * Decisions where the RFCs leave room (summed up in swiscsiadm(8)):
 * - iSCSI names must start with "iqn.", "eui." or "naa." (the type designator in lower case,
 *   as every target we know sends it). eui. needs exactly 16 hex digits, naa. 16 or 32.
 *   The iqn. date and naming authority are not checked: open-iscsi does not check them and
 *   they decide nothing about where a record lands.
 * - Characters: RFC 3722 allows lower-case letters, digits, '-', '.', ':' and (after
 *   stringprep) non-ASCII. Real targets also send upper case and '_' (QNAP, Synology), so those
 *   pass too. Everything else ASCII is refused ('/', '\\', ',', white space, control
 *   characters, ...), and so is every non-ASCII byte: a UTF-8 C1 control would reach terminals
 *   and we have never seen a target use one.
 * - At most 223 bytes (RFC 7143 §4.2.7.1 / RFC 3720 §3.2.6.1). */
#ifndef SWISCSI_NAMES_H
#define SWISCSI_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define ISCSI_NAME_MAX 223
#define PATH_COMPONENT_MAX 255 /* NAME_MAX of every Linux file system we store on */

/* Whether s may be one component of a path: not empty, not "." or "..", no '/', no control
 * character (below 0x20, or 0x7f) and at most PATH_COMPONENT_MAX bytes. On refusal, err says
 * why, naming what (e.g. "target name") and the value. */
bool path_component_ok(const char *what, const char *s, char *err, size_t errlen);

/* Whether name is an iSCSI name by the rules above. */
bool iscsi_name_is_valid(const char *name, char *err, size_t errlen);

/* Whether addr (without brackets) is an IPv4 or IPv6 literal (IPv6 with a zone, fe80::1%eth0,
 * too) or a host name (RFC 1123 labels of letters, digits, '-' and, as resolvers accept it,
 * '_'; at most 253 bytes). */
bool portal_address_is_valid(const char *addr, char *err, size_t errlen);

/* s with every byte that is not printable ASCII written as \xNN, for messages that quote
 * hostile text. Truncated to fit out. */
void name_printable(const char *s, char *out, size_t outlen);

#endif
