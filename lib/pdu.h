/* iSCSI PDUs (RFC 7143 §11): the 48-byte Basic Header Segment decoded once into host-order
 * fields with names, and encoded back from them. Nothing else in the library reads or writes
 * header bytes. */
#ifndef SWISCSI_PDU_H
#define SWISCSI_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISCSI_BHS_LEN 48
#define ISCSI_DIGEST_LEN 4
#define ISCSI_RESERVED_TAG 0xffffffffu

enum iscsi_opcode {
	/* initiator to target */
	OP_NOP_OUT = 0x00,
	OP_SCSI_CMD = 0x01,
	OP_TMF_REQ = 0x02,
	OP_LOGIN_REQ = 0x03,
	OP_TEXT_REQ = 0x04,
	OP_DATA_OUT = 0x05,
	OP_LOGOUT_REQ = 0x06,
	OP_SNACK = 0x10,
	/* target to initiator */
	OP_NOP_IN = 0x20,
	OP_SCSI_RSP = 0x21,
	OP_TMF_RSP = 0x22,
	OP_LOGIN_RSP = 0x23,
	OP_TEXT_RSP = 0x24,
	OP_DATA_IN = 0x25,
	OP_LOGOUT_RSP = 0x26,
	OP_R2T = 0x31,
	OP_ASYNC = 0x32,
	OP_REJECT = 0x3f,
};

/* Flag bits of byte 1, by PDU kind. */
enum {
	BHS_F_FINAL = 0x80,          /* most PDUs: final PDU of a sequence */
	LOGIN_F_TRANSIT = 0x80,
	LOGIN_F_CONTINUE = 0x40,
	TEXT_F_CONTINUE = 0x40,
	CMD_F_READ = 0x40,
	CMD_F_WRITE = 0x20,
	CMD_ATTR_SIMPLE = 0x01,
	DATAIN_F_ACK = 0x40,
	DATAIN_F_OVERFLOW = 0x04,
	DATAIN_F_UNDERFLOW = 0x02,
	DATAIN_F_STATUS = 0x01,
	RSP_F_BIDI_OVERFLOW = 0x10,
	RSP_F_BIDI_UNDERFLOW = 0x08,
	RSP_F_OVERFLOW = 0x04,
	RSP_F_UNDERFLOW = 0x02,
};

/* AsyncEvent codes of an Asynchronous Message (RFC 7143 §11.9.1). */
enum { ASYNC_LOGOUT_REQUEST = 1 };

/* Login stages (CSG/NSG). */
enum { STAGE_SECURITY = 0, STAGE_OPERATIONAL = 1, STAGE_FULL_FEATURE = 3 };

/* Every field any BHS kind carries, in host order. A kind uses the subset RFC 7143 gives it;
 * the rest stay zero. Names follow the RFC. */
struct bhs {
	uint8_t opcode;
	bool immediate;
	uint8_t flags;         /* byte 1 (for login: T, C, CSG, NSG; for TMF/logout: function) */
	uint8_t b2, b3;        /* bytes 2-3: versions, response, status, reject reason */
	uint8_t ahs_len;       /* TotalAHSLength, in 4-byte words */
	uint32_t data_len;     /* DataSegmentLength, 24 bits */
	uint8_t lun_or_isid[8];/* LUN, or ISID (6) + TSIH (2) for login */
	uint32_t itt;
	uint32_t w20;          /* TTT / CID / expected transfer length / SNACK tag */
	uint32_t w24;          /* CmdSN / StatSN */
	uint32_t w28;          /* ExpStatSN / ExpCmdSN */
	uint32_t w32;          /* MaxCmdSN / RefCmdSN */
	uint32_t w36;          /* DataSN / R2TSN / ExpDataSN / status class+detail */
	uint32_t w40;          /* buffer offset / bidi residual */
	uint32_t w44;          /* residual / desired length */
	uint8_t cdb[16];       /* SCSI command bytes 32-47 (overlaps w32..w44 on the wire) */
};

/* Named views of the generic fields for the PDU kinds the initiator handles. */
#define BHS_CMDSN(h) ((h)->w24)
#define BHS_STATSN(h) ((h)->w24)
#define BHS_EXPSTATSN(h) ((h)->w28)
#define BHS_EXPCMDSN(h) ((h)->w28)
#define BHS_MAXCMDSN(h) ((h)->w32)
#define BHS_TTT(h) ((h)->w20)
#define BHS_CID(h) ((h)->w20)
#define BHS_EDTL(h) ((h)->w20)
#define BHS_DATASN(h) ((h)->w36)
#define BHS_BUFFER_OFFSET(h) ((h)->w40)
#define BHS_RESIDUAL(h) ((h)->w44)
#define BHS_DESIRED_LEN(h) ((h)->w44)
#define LOGIN_STATUS_CLASS(h) ((uint8_t)((h)->w36 >> 24))
#define LOGIN_STATUS_DETAIL(h) ((uint8_t)((h)->w36 >> 16))
#define ASYNC_EVENT(h) ((uint8_t)((h)->w36 >> 24))
#define LOGIN_CSG(h) (((h)->flags >> 2) & 3)
#define LOGIN_NSG(h) ((h)->flags & 3)

void bhs_encode(const struct bhs *h, uint8_t out[ISCSI_BHS_LEN]);
void bhs_decode(const uint8_t in[ISCSI_BHS_LEN], struct bhs *h);

/* Checks a header received from a target: a target opcode, a data length within
 * max_recv_data (our MaxRecvDataSegmentLength; login and text responses are bounded the same
 * way), and the fields each kind must have. Returns NULL when acceptable, else a sentence that
 * says what is wrong. */
const char *bhs_check_incoming(const struct bhs *h, uint32_t max_recv_data);

/* Human name of an opcode ("Login Response"), for messages. */
const char *opcode_name(uint8_t opcode);

/* Padding after a data segment of len bytes (to a multiple of 4). */
static inline uint32_t pdu_pad(uint32_t len)
{
	return (4 - (len & 3)) & 3;
}

/* Serial number arithmetic (RFC 1982, 32 bits) for CmdSN/StatSN windows. */
static inline bool sn_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}
static inline bool sn_le(uint32_t a, uint32_t b)
{
	return a == b || sn_lt(a, b);
}

#endif
