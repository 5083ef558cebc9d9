/* The session object shared by the library's parts (login, text, logout, SCSI tasks). */
#ifndef SWISCSI_SESSION_H
#define SWISCSI_SESSION_H

#include <stdint.h>
#include <sys/socket.h>

#include "keys.h"
#include "pdu.h"
#include "task.h"
#include "swiscsi/swiscsi.h"
#include "transport.h"

enum session_state {
	SS_IDLE,       /* created, nothing sent */
	SS_CONNECTING,
	SS_LOGIN,
	SS_FULL,       /* full feature phase */
	SS_LOGOUT,
	SS_CLOSED,     /* logged out */
	SS_FAILED,
	SS_RECOVER,    /* connection lost, recovery on: commands held, reconnect pending */
};

/* ERL 0 recovery (recovery.c): what a session does between a lost connection and its
 * reinstatement, and what the target's logout request makes it do. */
struct recovery {
	bool armed;                /* a normal session logged in with replacement_timeout_ms > 0 */
	bool active;               /* connection lost: commands held until a login succeeds */
	bool drop;                 /* the transport is to be freed (never inside its callbacks) */
	bool expired;              /* replacement_timeout passed: held and new commands failed */
	bool draining;             /* the target asked for a logout: nothing new is sent */
	bool logging_out;          /* our Logout Request for it is out */
	long long lost_ms;         /* when the connection was lost */
	long long retry_ms;        /* the next reconnect attempt; 0 = none */
	long long logout_by_ms;    /* a requested logout is due */
	int backoff_ms;            /* the wait before the next attempt */
	struct sockaddr_storage portal_addr; /* the configured portal: reconnects go there, not to a
					      * temporary redirection */
	socklen_t portal_len;
	swi_state_fn cb;
	void *cb_arg;
};

enum pending_op { OP_NONE, OP_LOGIN, OP_TEXT, OP_LOGOUT };

struct login_progress {
	uint8_t csg, nsg;          /* stage we are in, stage we ask for */
	bool transit;              /* T bit of our request (a Continue acknowledgement aside) */
	unsigned responses;        /* Login Responses of this connection, bounded */
	int chap_step;             /* 0 none, 1 sent CHAP_A, 2 sent CHAP_R, 3 CHAP done */
	int chap_alg;              /* CHAP_A value chosen by the target */
	uint8_t chap_id;
	uint8_t our_challenge[32];
	size_t our_challenge_len;
	int redirects;
	unsigned alg_dropped;      /* bit per CHAP_A value dropped from our offer by a fallback */
	bool restart;              /* reconnect (redirect, CHAP fallback) once the PDU is handled */
	struct text_buf acc;       /* response text accumulated across Continue PDUs */
	struct text_buf op_answers;/* every answer of the operational stage, applied at transit */
};

struct swi_session {
	struct swi_options o;      /* strings point into strs */
	char *strs[16];
	size_t nstrs;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct xport_binding bind;
	struct xport *x;
	enum session_state state;
	uint8_t isid[6];
	uint16_t tsih;
	uint32_t cmdsn, expstatsn, maxcmdsn;
	uint32_t next_itt;
	struct iscsi_params want, neg;
	char hdig[32], ddig[32];
	struct login_progress lg;
	/* the one login/text/logout operation in progress */
	enum pending_op op;
	uint32_t op_itt;
	swi_done_fn done;
	void *done_arg;
	struct text_buf text_acc;
	struct swi_target_list *st_out;
	unsigned text_responses;  /* Text Responses of the current SendTargets so far */
	long long deadline_ms;     /* of the pending operation; 0 = none */
	struct task_table tasks;
	long long task_check_ms;   /* next look at command deadlines; 0 = none */
	long long last_rx_ms;      /* when the target last sent anything */
	uint32_t nop_itt;          /* our unanswered keepalive NOP-Out, 0 when none */
	long long nop_sent_ms;
	bool logout_requested;     /* the target asked for a logout: no new commands */
	bool batch_sends;          /* swi_set_batching: every transport of the session batches */
	struct recovery rec;
	char err[512];
	int err_class;
	struct swi_stats stats;    /* digest_errors is kept by the transport */
};

/* Records the first error of an operation (later ones keep the first, the real cause), fails
 * the session, and completes the pending operation with -1. Always returns -1. */
int session_fail(struct swi_session *s, int err_class, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Completes the pending operation with status (0 or -1): its callback runs once. */
void session_complete(struct swi_session *s, int status);
/* Starts an operation: sets the pending op, callback and deadline. */
void session_begin(struct swi_session *s, enum pending_op op, swi_done_fn done, void *arg);
/* A fresh ITT for login, text or logout (class ITT_OTHER). */
uint32_t session_new_itt(struct swi_session *s);
/* A fresh ITT of class cls (task.h): never the reserved tag, never one of another class. */
uint32_t session_class_itt(struct swi_session *s, uint32_t cls);
/* Queues a PDU; a failure to queue fails the session. */
int session_send(struct swi_session *s, const struct bhs *h, const void *data, bool copy);
long long session_now_ms(void);

/* Frees the connection, keeping its digest error count in the session's stats. */
void session_drop_transport(struct swi_session *s);
/* Creates the transport and starts connecting (login continues once connected). */
int session_open_transport(struct swi_session *s);

/* login.c */
/* Starts a login operation for a new session (TSIH 0, no redirection or CHAP fallback yet). */
void login_begin(struct swi_session *s, swi_done_fn done, void *arg);
int login_on_connected(struct swi_session *s);
int login_on_response(struct swi_session *s, const struct bhs *h, const uint8_t *data);
/* Sends a Login Request with the stage, transit bit and text of s->lg (b may be NULL). */
int login_send(struct swi_session *s, const struct text_buf *b);
int login_send_operational_offer(struct swi_session *s);
int login_enter_full_feature(struct swi_session *s, const struct bhs *h,
			     const struct text_list *keys);
/* login_check.c: checks a Login Response's header (ISID, version, C/T, CSG/NSG) against the
 * request it answers; 0, or the login failed. */
int login_check_response(struct swi_session *s, const struct bhs *h);
/* Adds a response's text to acc within the login text cap; 0, or the login failed. */
int login_gather(struct swi_session *s, struct text_buf *acc, const uint8_t *data, size_t len);
/* Fails the login when keys repeat a key; 0 otherwise. */
int login_check_unique(struct swi_session *s, const struct text_list *keys);
/* login_chap.c: one step of the CHAP exchange in the security stage. */
int login_chap_step(struct swi_session *s, const struct bhs *h, const struct text_list *keys);
/* How many algorithms the current offer holds (after lg.alg_dropped), and the first one. */
int login_chap_algs_left(const struct swi_session *s);
int login_chap_first_alg(const struct swi_session *s);

/* recovery.c */
/* True when a failure should be recovered from rather than fail the session. */
bool recovery_wanted(const struct swi_session *s);
/* The connection is lost (s->err says why): hold every command, schedule a reconnect. */
void recovery_lost(struct swi_session *s);
/* Frees a dropped transport and runs the recovery timers; called by swi_service. */
int recovery_service(struct swi_session *s, long long now);
/* The next time recovery needs swi_service, or 0. */
long long recovery_due(const struct swi_session *s);
/* An Async Message with recovery armed: event 1/4 drain and re-login, 2/3 recover. */
int recovery_on_async(struct swi_session *s, const struct bhs *h);
/* Whether a new command may be accepted now (0), or why not (SWI_ERR_* class set in err). */
int recovery_accepts(struct swi_session *s);
void recovery_notify(struct swi_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* discovery.c */
int text_on_response(struct swi_session *s, const struct bhs *h, const uint8_t *data);
/* logout (session.c): sends a Logout Request (close the session), no questions asked */
int session_logout(struct swi_session *s, swi_done_fn done, void *arg);
int logout_on_response(struct swi_session *s, const struct bhs *h);

/* chap.c: CHAP_A values and responses. */
int chap_alg_from_name(const char *name);          /* -1 when unknown */
const char *chap_alg_name(int alg);
/* digest of id || secret || challenge into out (hex "0x..." string). 0 or -1. */
int chap_response(int alg, uint8_t id, const char *secret, const uint8_t *challenge,
		  size_t clen, char *out, size_t outlen);
/* Decodes a CHAP binary value ("0x" hex or "0b" base64) into out. Returns the length (at
 * least 1), or -1 for a bad encoding, an empty value or one longer than outlen; never writes
 * past outlen bytes. */
int chap_decode(const char *text, uint8_t *out, size_t outlen);
size_t chap_digest_len(int alg);

#endif
