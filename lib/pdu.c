/* BHS encoding and decoding: the only place that knows byte offsets. */
#include "pdu.h"

#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Byte offsets of the BHS (RFC 7143 §11.2.1). */
enum {
	OFF_OPCODE = 0,
	OFF_FLAGS = 1,
	OFF_B2 = 2,
	OFF_B3 = 3,
	OFF_AHS_LEN = 4,
	OFF_DATA_LEN = 5, /* 3 bytes */
	OFF_LUN = 8,
	OFF_ITT = 16,
	OFF_W20 = 20,
	OFF_W24 = 24,
	OFF_W28 = 28,
	OFF_W32 = 32,
	OFF_W36 = 36,
	OFF_W40 = 40,
	OFF_W44 = 44,
	OFF_CDB = 32,
	IMMEDIATE_BIT = 0x40,
	OPCODE_MASK = 0x3f,
};

void bhs_encode(const struct bhs *h, uint8_t out[ISCSI_BHS_LEN])
{
	memset(out, 0, ISCSI_BHS_LEN);
	out[OFF_OPCODE] = (uint8_t)((h->opcode & OPCODE_MASK) | (h->immediate ? IMMEDIATE_BIT : 0));
	out[OFF_FLAGS] = h->flags;
	out[OFF_B2] = h->b2;
	out[OFF_B3] = h->b3;
	out[OFF_AHS_LEN] = h->ahs_len;
	out[OFF_DATA_LEN] = (uint8_t)(h->data_len >> 16);
	out[OFF_DATA_LEN + 1] = (uint8_t)(h->data_len >> 8);
	out[OFF_DATA_LEN + 2] = (uint8_t)h->data_len;
	memcpy(out + OFF_LUN, h->lun_or_isid, 8);
	put32(out + OFF_ITT, h->itt);
	put32(out + OFF_W20, h->w20);
	put32(out + OFF_W24, h->w24);
	put32(out + OFF_W28, h->w28);
	if (h->opcode == OP_SCSI_CMD) {
		memcpy(out + OFF_CDB, h->cdb, 16);
		return;
	}
	put32(out + OFF_W32, h->w32);
	put32(out + OFF_W36, h->w36);
	put32(out + OFF_W40, h->w40);
	put32(out + OFF_W44, h->w44);
}

void bhs_decode(const uint8_t in[ISCSI_BHS_LEN], struct bhs *h)
{
	memset(h, 0, sizeof(*h));
	h->opcode = in[OFF_OPCODE] & OPCODE_MASK;
	h->immediate = (in[OFF_OPCODE] & IMMEDIATE_BIT) != 0;
	h->flags = in[OFF_FLAGS];
	h->b2 = in[OFF_B2];
	h->b3 = in[OFF_B3];
	h->ahs_len = in[OFF_AHS_LEN];
	h->data_len = (uint32_t)in[OFF_DATA_LEN] << 16 | (uint32_t)in[OFF_DATA_LEN + 1] << 8 |
		      in[OFF_DATA_LEN + 2];
	memcpy(h->lun_or_isid, in + OFF_LUN, 8);
	h->itt = get32(in + OFF_ITT);
	h->w20 = get32(in + OFF_W20);
	h->w24 = get32(in + OFF_W24);
	h->w28 = get32(in + OFF_W28);
	h->w32 = get32(in + OFF_W32);
	h->w36 = get32(in + OFF_W36);
	h->w40 = get32(in + OFF_W40);
	h->w44 = get32(in + OFF_W44);
	memcpy(h->cdb, in + OFF_CDB, 16);
}

static const struct {
	uint8_t op;
	const char *name;
} names[] = {
	{ OP_NOP_OUT, "NOP-Out" },
	{ OP_SCSI_CMD, "SCSI Command" },
	{ OP_TMF_REQ, "Task Management Request" },
	{ OP_LOGIN_REQ, "Login Request" },
	{ OP_TEXT_REQ, "Text Request" },
	{ OP_DATA_OUT, "SCSI Data-Out" },
	{ OP_LOGOUT_REQ, "Logout Request" },
	{ OP_SNACK, "SNACK" },
	{ OP_NOP_IN, "NOP-In" },
	{ OP_SCSI_RSP, "SCSI Response" },
	{ OP_TMF_RSP, "Task Management Response" },
	{ OP_LOGIN_RSP, "Login Response" },
	{ OP_TEXT_RSP, "Text Response" },
	{ OP_DATA_IN, "SCSI Data-In" },
	{ OP_LOGOUT_RSP, "Logout Response" },
	{ OP_R2T, "Ready To Transfer" },
	{ OP_ASYNC, "Asynchronous Message" },
	{ OP_REJECT, "Reject" },
};

const char *opcode_name(uint8_t opcode)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].op == opcode)
			return names[i].name;
	return "unknown opcode";
}

static bool is_target_opcode(uint8_t op)
{
	switch (op) {
	case OP_NOP_IN:
	case OP_SCSI_RSP:
	case OP_TMF_RSP:
	case OP_LOGIN_RSP:
	case OP_TEXT_RSP:
	case OP_DATA_IN:
	case OP_LOGOUT_RSP:
	case OP_R2T:
	case OP_ASYNC:
	case OP_REJECT:
		return true;
	default:
		return false;
	}
}

const char *bhs_check_incoming(const struct bhs *h, uint32_t max_recv_data)
{
	if (!is_target_opcode(h->opcode))
		return "the opcode is not one a target may send";
	if (h->data_len > max_recv_data)
		return "the data segment is longer than our MaxRecvDataSegmentLength";
	switch (h->opcode) {
	case OP_R2T:
		if (h->data_len)
			return "an R2T carries no data segment";
		if (BHS_DESIRED_LEN(h) == 0)
			return "an R2T asks for zero bytes";
		break;
	case OP_DATA_IN:
		if ((h->flags & DATAIN_F_STATUS) && !(h->flags & BHS_F_FINAL))
			return "a Data-In with status must be the final one";
		break;
	case OP_LOGOUT_RSP:
	case OP_TMF_RSP:
		if (h->data_len)
			return "the PDU carries a data segment it may not have";
		break;
	case OP_REJECT:
		if (h->data_len < ISCSI_BHS_LEN)
			return "a Reject must carry the rejected header";
		break;
	default:
		break;
	}
	return NULL;
}
