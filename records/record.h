/* A record of the database (iface, node, discovery) in open-iscsi's text format.
 *
 * One schema table per record kind drives parsing, printing, defaults and validation: a record
 * is one value slot per schema field plus the unknown keys it was read with, kept verbatim so
 * that writing it back loses nothing a newer (or older) tool put there. */
#ifndef SWISCSI_RECORD_H
#define SWISCSI_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum field_type {
	FT_STR,  /* free text; omitted from files when empty */
	FT_U8,   /* unsigned numbers: always written */
	FT_U16,
	FT_U32,
	FT_INT,  /* signed 32-bit */
};

/* Which IP family a field belongs to. Offload iface records carry either the IPv4 or the IPv6
 * group, never both (open-iscsi's readers reject the other family's keys). */
enum field_group { FG_ANY, FG_IPV4, FG_IPV6 };

/* What a value must look like when a user sets it. */
enum field_check {
	FC_NONE,
	FC_MAC,          /* xx:xx:xx:xx:xx:xx */
	FC_IPADDR,       /* IPv4 or IPv6 literal */
	FC_IPV4,
	FC_IPV6,
	FC_TRANSPORT,    /* a known iSCSI transport name */
	FC_NETDEV,       /* a Linux network device name */
	FC_ENABLE,       /* enable | disable */
	FC_BOOTPROTO,    /* dhcp | static */
	FC_IPV6_AUTOCFG, /* nd | dhcpv6 */
	FC_AUTO,         /* auto */
	FC_IQN,          /* iSCSI name: iqn., eui. or naa. */
	FC_STARTUP,      /* manual | automatic | onboot */
	FC_DSTARTUP,     /* manual | automatic (discovery records) */
	FC_YESNO,        /* Yes | No */
	FC_AUTHMETHOD,   /* None | CHAP */
	FC_CHAP_ALGS,    /* comma list of MD5, SHA1, SHA256, SHA3-256 */
	FC_DIGEST,       /* None | CRC32C | CRC32C,None | None,CRC32C */
	FC_DISCOVERY_TYPE, /* send_targets | isns | offload_send_targets | slp | static | fw */
	FC_DISCOVERY_KIND, /* sendtargets | isns | offload_send_targets | slp | static | fw */
	FC_SCAN,         /* manual | auto */
};

enum field_flag {
	FF_READONLY = 1 << 0, /* identifies the record: never updated in place */
	FF_FIRMWARE = 1 << 1, /* network setting an offload HBA's firmware may own */
	FF_BINDING = 1 << 2,  /* decides which NIC a software iface binds to */
	FF_SECRET = 1 << 3,   /* a CHAP secret: shown as ******** unless asked (-S) */
};

struct field_def {
	const char *key;
	enum field_type type;
	enum field_group group;
	unsigned maxlen;         /* longest accepted value (open-iscsi's buffer size less one) */
	enum field_check check;
	unsigned flags;
	const char *def;         /* default value; NULL means empty string or 0 */
};

struct record;

struct schema {
	const char *kind;                 /* "iface", "node", ... for messages */
	const struct field_def *fields;   /* in the order files are written */
	size_t nfields;
	/* The order `-o show` prints fields in, when it differs from the file order (node records
	 * show their iface section in the iface record's order); NULL: file order. */
	const unsigned *show_order;
	/* Which IP family group is active for this record (FG_IPV4 or FG_IPV6), or NULL when the
	 * kind has no groups. */
	enum field_group (*active_group)(const struct record *r);
};

struct extra_kv {
	char *key;
	char *value;
	long after;   /* schema index of the known key it followed in the file (-1: before all),
		       * so that writing the record back keeps it where it was */
};

struct record {
	const struct schema *schema;
	char **values;             /* one per field; never NULL after record_init */
	struct extra_kv *extra;    /* keys the schema does not know, in file order */
	size_t nextra;
};

/* Sets every field to its default. Returns 0, or -1 with errno ENOMEM. */
int record_init(struct record *r, const struct schema *s);
void record_free(struct record *r);
/* Deep copy; dst must not be initialised. */
int record_copy(struct record *dst, const struct record *src);

/* Index of key in the schema, or -1. */
int schema_find(const struct schema *s, const char *key);

/* The value of a known key ("" when empty); NULL for a key the schema does not know. The
 * pointer stays valid until the field is set again or the record is freed. */
const char *record_get(const struct record *r, const char *key);
/* Stores value (copied) without validation. Returns 0, -1 with errno ENOENT for an unknown
 * key or ENOMEM. */
int record_set(struct record *r, const char *key, const char *value);
/* Keeps an unknown key and its value, replacing an earlier value of the same key (which keeps
 * its place). record_set_extra_at places a new key after schema field `after` (-1: first);
 * record_set_extra places it last. */
int record_set_extra(struct record *r, const char *key, const char *value);
int record_set_extra_at(struct record *r, const char *key, const char *value, long after);
/* Forgets every unknown key. */
void record_drop_extras(struct record *r);

/* Whether field i is written/printed for this record (its IP family group is active). */
bool record_field_active(const struct record *r, size_t i);

/* --- parsing (record_parse.c) --- */

/* Problems found while reading are reported through this callback (may be NULL): warnings do
 * not stop parsing; the text names the file and line. */
typedef void (*record_warn_fn)(void *ctx, const char *msg);

/* Parses text in open-iscsi's record format into r (already initialised; fields not in the text
 * keep their values). Tolerant: accepts "key=value" and "key = value", treats "<empty>" as empty,
 * keeps unknown keys, warns about duplicate keys (the last one wins) and values longer than the
 * field allows. Refuses, with "path:line: reason" in err, text that is not a record: NUL bytes,
 * lines longer than RECORD_MAX_LINE, lines that are neither comment nor key/value, keys that are
 * not printable, and a record that has "# BEGIN RECORD" without "# END RECORD" (truncated).
 * Returns 0 or -1. */
#define RECORD_MAX_LINE 4096
int record_parse(struct record *r, const char *text, size_t len, const char *path,
		 record_warn_fn warn, void *warn_ctx, char *err, size_t errlen);

/* --- printing (record_format.c) --- */

enum record_style {
	RS_FILE, /* on-disk: empty strings omitted */
	RS_SHOW, /* for people: empty strings as <empty>, CHAP secrets as ******** */
	RS_SHOW_SECRETS, /* RS_SHOW with the secrets in clear (-S) */
};

/* The whole record between "# BEGIN RECORD <version>" and "# END RECORD". Returns a malloc'd,
 * NUL-terminated string (the caller frees it) or NULL with errno ENOMEM. */
char *record_format(const struct record *r, enum record_style style, size_t *lenp);

#define RECORD_VERSION_TOKEN "swiscsi-" SWISCSI_VERSION

#endif
