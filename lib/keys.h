/* iSCSI text keys (RFC 7143 §6, §13): the key=value\0 data segment of Login and Text PDUs, and
 * one table of the operational keys with their negotiation rules. */
#ifndef SWISCSI_KEYS_H
#define SWISCSI_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_NAME_MAX 63     /* RFC 7143 §6.1: key names up to 63 bytes */
#define KEY_VALUE_MAX 8192  /* longest value we accept from a target */

struct text_pair {
	char *key;
	char *value;
};

struct text_list {
	struct text_pair *v;
	size_t n;
};

/* Splits a data segment into pairs. Trailing NULs (padding) are ignored; an unterminated last
 * pair is accepted only if final is true (a continued segment must be joined first). Returns 0,
 * or -1 with a reason in err: a pair without '=', an empty or over-long key, an over-long value,
 * a control character. */
int text_parse(const uint8_t *data, size_t len, struct text_list *out, char *err, size_t errlen);
/* text_parse, but control characters in values are kept (keys must still be clean): for a
 * SendTargets answer, whose values are screened entry by entry by the caller so that one bad
 * entry does not cost the good ones. */
int text_parse_any_value(const uint8_t *data, size_t len, struct text_list *out, char *err,
			 size_t errlen);
void text_list_free(struct text_list *l);
const char *text_find(const struct text_list *l, const char *key);
/* Whether a key occurs more than once in l: 1 with *dup naming it, 0, or -1 when out of
 * memory (the caller cannot tell, so it refuses). A negotiation key
 * "MUST NOT be sent more than once" (RFC 7143 §6.2); SendTargets answers repeat keys by design,
 * so the caller decides where this applies. */
int text_duplicate(const struct text_list *l, const char **dup);

/* A growing text segment to send. */
struct text_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed;   /* out of memory: the segment is unusable */
};
void text_add(struct text_buf *b, const char *key, const char *value);
void text_addu(struct text_buf *b, const char *key, uint32_t value);
/* Appends raw bytes (a received segment to be joined with its continuation). False when out of
 * memory (b->failed is then set). */
bool text_add_raw(struct text_buf *b, const uint8_t *data, size_t len);
/* Appends a received segment to the text gathered so far, refusing to grow past cap bytes: a
 * peer that sends Continue PDUs without end must not make us allocate without end. */
enum text_gather { TEXT_GATHERED, TEXT_NOMEM, TEXT_TOO_LONG };
enum text_gather text_gather(struct text_buf *b, const uint8_t *data, size_t len, size_t cap);
void text_buf_free(struct text_buf *b);

/* The parameters a session runs with once login has negotiated them. */
struct iscsi_params {
	bool header_digest;
	bool data_digest;
	uint32_t max_recv_dsl;   /* what we declared: the longest data segment we accept */
	uint32_t max_xmit_dsl;   /* what the target declared: the longest we may send */
	uint32_t max_burst;
	uint32_t first_burst;
	bool initial_r2t;
	bool immediate_data;
	bool data_pdu_in_order;
	bool data_seq_in_order;
	uint32_t max_outstanding_r2t;
	uint32_t erl;
	uint32_t time2wait;
	uint32_t time2retain;
	uint32_t max_connections;
};

/* RFC 7143's defaults (§13), i.e. what holds for a key nobody negotiated. */
void params_rfc_defaults(struct iscsi_params *p);

/* Adds our offer for every operational key to b, from want (our preferred values; digests as
 * "CRC32C,None" style preference lists in hdr_digest/data_digest). */
void params_offer(struct text_buf *b, const struct iscsi_params *want, const char *hdr_digest,
		  const char *data_digest);

/* Applies the target's answers to the offer in want, producing the session's values in out.
 * Returns 0, or -1 with err naming the key and value when an answer breaks its negotiation rule
 * (a value outside the range, a list choice we did not offer, a boolean that is not Yes/No,
 * a result the rule cannot produce, a FirstBurstLength above MaxBurstLength where it matters,
 * RFC 7143 §13.14). Keys the target did not answer keep the RFC default
 * (for declarative keys: the RFC default of the target's side). */
int params_apply(const struct text_list *answers, const struct iscsi_params *want,
		 const char *hdr_digest, const char *data_digest, struct iscsi_params *out,
		 char *err, size_t errlen);

#endif
