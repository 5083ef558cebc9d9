/* SCSI tasks: the table indexed by ITT, the command window, and the Data-In/R2T/Data-Out and
 * response handling. */
#ifndef SWISCSI_TASK_H
#define SWISCSI_TASK_H

#include <stdint.h>

#include "pdu.h"
#include "swiscsi/swiscsi.h"

struct swi_session;

enum { TASK_SLOTS = 1024 };
/* R2Ts of one task whose Data-Out we still track as unsent (MaxOutstandingR2T beyond this is
 * not checked; the total a task's R2Ts may ask for is, whatever the count). */
enum { R2T_TRACK = 8 };
/* ITT classes (the top two bits) keep every kind of request apart: a task's ITT never meets a
 * keepalive's or a task management request's, and none is the reserved 0xffffffff. */
#define ITT_TASK 0x00000000u
#define ITT_NOP 0x40000000u
#define ITT_TMF 0x80000000u
#define ITT_OTHER 0xc0000000u   /* login, text, logout */
#define ITT_SERIAL 0x3fffffffu  /* the bits below the class */

struct task {
	bool used, queued;
	uint32_t itt;
	uint8_t lun[8];
	uint8_t cdb[16];
	enum swi_dir dir;
	uint8_t *buf;
	uint32_t len;
	uint32_t received;         /* Data-In bytes, all in order: the next offset expected */
	uint32_t next_datasn;
	uint32_t unsolicited;      /* write bytes sent without R2T (immediate and unsolicited) */
	uint32_t r2t_asked;        /* bytes R2Ts have asked for so far */
	uint32_t next_r2tsn;
	uint32_t last_seq;         /* transport seq of its last queued PDU */
	uint32_t r2t_seq[R2T_TRACK]; /* seq of each recent R2T's final Data-Out, a ring */
	uint32_t cmdsn;
	long long deadline_ms;     /* when the command times out */
	uint32_t tmf_itt;          /* ITT of our task management request for it, 0 when none */
	uint8_t tmf;               /* which: 0, ABORT TASK (1), then LUN RESET (5) */
	bool counted;              /* a sent read: its data is in task_table.read_expected */
	uint8_t retries;           /* times re-sent after BUSY, TASK SET FULL, UNIT ATTENTION */
	uint8_t holds;             /* times held by a lost connection */
	bool failfast;             /* SWI_CMD_FAILFAST_TRANSPORT: fails, not held, on a loss */
	long long not_before_ms;   /* a queued retry waits until then */
	swi_scsi_fn done;
	void *arg;
	struct swi_scsi_result res;
	struct task *next_queued;
};

struct task_table {
	struct task *slots;        /* TASK_SLOTS, allocated at first use */
	uint32_t free_hint;
	uint32_t generation;
	unsigned inflight;
	uint64_t read_expected;    /* Data-In bytes the sent reads still wait for */
	struct task *queue_head, *queue_tail; /* waiting for the command window */
	struct task *submitting;   /* the task swi_scsi_async_ex is sending now: a failure
				    * during its send refuses it there (-1) rather than calling
				    * back as well */
};

void task_table_free(struct swi_session *s);
/* Data-In bytes that in-flight reads still wait for: a lower bound of what the target will
 * send (less only if a read ends early, with an error or an underflow). */
uint64_t task_read_expected(const struct swi_session *s);
/* Fails every task (session failure or free): callbacks run with status -1. */
void task_fail_all(struct swi_session *s);
/* Connection lost (recovery): every sent command goes back to the front of the queue, in CmdSN
 * order, with a new ITT and its transfer state reset; nothing is copied, no callback runs.
 * Fail-fast commands, sent or queued, fail instead (status -1, SWI_ERR_TRANS), in CmdSN order,
 * after the queue is whole again (their callbacks may submit). */
void task_hold_all(struct swi_session *s);
/* Gives every queued command a fresh deadline (after a reinstatement). */
void task_rearm_deadlines(struct swi_session *s, long long now);
/* Commands sent and not yet answered (in flight less queued). */
unsigned task_sent_count(const struct swi_session *s);
/* When the queue's first command may go (a retry's delay), 0 if now or nothing queued. */
long long task_queue_due(const struct swi_session *s);
/* Fails the commands still waiting for the command window (they never reached the target). */
void task_fail_queued(struct swi_session *s, const char *why);
/* The buffer position where a Data-In's data must land, or NULL (bounds violation: the PDU is
 * then refused by task_on_data_in). */
uint8_t *task_data_in_dest(struct swi_session *s, const struct bhs *h);
int task_on_data_in(struct swi_session *s, const struct bhs *h, const uint8_t *data);
int task_on_response(struct swi_session *s, const struct bhs *h, const uint8_t *data);
int task_on_r2t(struct swi_session *s, const struct bhs *h);
/* The command window may have opened: send queued commands. */
int task_kick(struct swi_session *s);
/* Aborts commands past their deadline (ABORT TASK); fails the session when an abort itself goes
 * unanswered. Returns the next time (ms) it needs to look again, or 0 for none. */
long long task_check_timeouts(struct swi_session *s, long long now);
int task_on_tmf_response(struct swi_session *s, const struct bhs *h);

#endif
