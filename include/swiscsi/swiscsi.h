/* libswiscsi: a userspace iSCSI initiator (RFC 7143).
 *
 * A session is one connection to one portal. Everything is non-blocking: the application may
 * own the event loop (swi_fd, swi_events, swi_service) or use the synchronous calls, which run a
 * private poll loop until the operation completes or its timeout passes.
 *
 * Errors: calls return -1 (or NULL) and the session keeps a message, swi_error(), that starts
 * with the operation that failed, and a class, swi_error_class(), whose values are iscsiadm's
 * exit codes. The library never prints, exits or aborts on anything a target sends.
 *
 * Ownership: strings passed in are copied; returned lists are owned by the caller and freed
 * with the matching *_free call. Completion callbacks run exactly once, also when the session
 * fails or is freed. */
#ifndef SWISCSI_H
#define SWISCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error classes: iscsiadm's exit codes for the same failures. */
enum swi_error_class {
	SWI_OK = 0,
	SWI_ERR = 1,                /* generic */
	SWI_ERR_NOMEM = 3,
	SWI_ERR_TRANS = 4,          /* connection refused, reset, unreachable */
	SWI_ERR_LOGIN = 5,          /* login failed */
	SWI_ERR_INVAL = 7,          /* bad argument */
	SWI_ERR_TIMEOUT = 8,        /* connect or operation timed out */
	SWI_ERR_INTERNAL = 9,
	SWI_ERR_PDU_TIMEOUT = 11,
	SWI_ERR_FATAL_LOGIN = 19,   /* login refused for good (target not found, removed, ...) */
	SWI_ERR_NO_OBJS = 21,
	SWI_ERR_AUTH = 24,          /* authentication failed */
};

struct swi_session;

struct swi_options {
	const char *initiator_name;   /* required */
	const char *initiator_alias;  /* optional */
	const char *target_name;      /* NULL: a discovery session */
	const char *portal;           /* "host", "host:port", "[v6addr]:port"; port 3260 */
	/* where connections come from: a device (SO_BINDTODEVICE) and/or a source address */
	const char *bind_ifname;
	const char *bind_source;
	/* CHAP: user/secret authenticate us to the target; target_user/target_secret make it
	 * mutual. chap_algs is a preference list of MD5, SHA1, SHA256, SHA3-256 (default
	 * "SHA3-256,SHA256,SHA1,MD5"). */
	const char *chap_user, *chap_secret;
	const char *chap_target_user, *chap_target_secret;
	const char *chap_algs;
	/* "None", "CRC32C", or a preference list such as "CRC32C,None" (default "None") */
	const char *header_digest, *data_digest;
	/* our operational offers; 0 = the library's choice */
	uint32_t max_recv_data_segment_length;
	uint32_t max_burst_length;
	uint32_t first_burst_length;  /* at most max_burst_length, or swi_session_new refuses */
	int initial_r2t;      /* -1 library's choice, 0 No, 1 Yes */
	int immediate_data;   /* -1, 0, 1 */
	uint32_t max_outstanding_r2t;
	int timeout_ms;       /* login, text, logout and each SCSI command; 0 = 15000. A command
			       * past it is aborted (ABORT TASK) and completes with an error. */
	int noop_interval_ms; /* NOP-Out keepalive after this much silence; 0 = 5000, -1 = off */
	int noop_timeout_ms;  /* a keepalive unanswered this long fails the session; 0 = 5000 */
	/* how long a stuck command's ABORT TASK, then its LUN RESET, may take before the next
	 * step (the LUN reset, then session recovery); 0 = timeout_ms */
	int abort_timeout_ms, lu_reset_timeout_ms;
	/* ERL 0 session recovery (RFC 7143 §6.3.5, §7.1). 0: a lost connection (socket error,
	 * unanswered keepalive, protocol violation, stuck command past its LUN reset, Async event
	 * 2/3) fails the session and every command at once. > 0: once a normal session has logged
	 * in, a lost connection holds every command (no callback runs), reconnects through the same
	 * binding after DefaultTime2Wait (then a bounded back-off), logs in with the same ISID and
	 * TSIH 0 (reinstatement) and re-issues the held commands in their original order; only
	 * when this many ms have passed since the loss without success do the held and new
	 * commands fail (status -1, SWI_ERR_TRANS), while attempts go on in the background. A
	 * target's logout request (Async event 1) or renegotiation (event 4) becomes a pause:
	 * logout, login, continue. */
	int replacement_timeout_ms;
	/* BUSY, TASK SET FULL and UNIT ATTENTION for power on/reset (ASC 29h) are re-sent this many
	 * times, scsi_retry_delay_ms apart (0 = 250), before the result goes to the caller; 0 =
	 * never (every result goes to the caller). */
	int scsi_retries;
	int scsi_retry_delay_ms;
};

/* A new session with a copy of opts; nothing is sent yet. NULL on bad options (message in
 * *err if err is not NULL, a static string) or out of memory. */
struct swi_session *swi_session_new(const struct swi_options *opts, const char **err);
/* Closes the connection without logout; pending callbacks run with an error. */
void swi_session_free(struct swi_session *s);
/* Ends the session now, without a logout, for a caller that cannot wait any longer (a
 * shutdown's deadline): recovery stops, a pending login or logout completes with -1, every
 * command (held ones too) fails with -1 (why in swi_error), and swi_service returns -1 from
 * now on. The session stays allocated until swi_session_free. */
void swi_session_abort(struct swi_session *s, const char *why);
/* Treats the connection as lost now, as a socket error would (why becomes swi_error), for a
 * caller that knows before the socket does (the network device it is bound to went down): with
 * recovery on, fail-fast commands fail at once, the others are held and ERL 0 recovery
 * reconnects; without, the session fails. Returns 1 when a connection was dropped, 0 when the
 * session had none to drop (already failed, or recovering between attempts). */
int swi_session_drop(struct swi_session *s, const char *why);

const char *swi_error(const struct swi_session *s);
int swi_error_class(const struct swi_session *s);

/* Event loop integration: the descriptor, the poll events it wants now, and the call that
 * handles what poll returned (0 while the session is healthy or recovering its connection,
 * -1 once it failed). The descriptor is -1 while a recovering session waits to reconnect and a
 * new one for each attempt: take it again after each swi_service. */
int swi_fd(const struct swi_session *s);
short swi_events(const struct swi_session *s);
int swi_service(struct swi_session *s, short revents);
/* Milliseconds until the session's next timer expires (-1: none); call swi_service with 0
 * then. */
int swi_timeout_ms(const struct swi_session *s);
/* Batched sends, for event loops that submit many commands per turn: with batching on, the
 * first command submitted outside swi_service after a swi_flush is written at once (the target
 * starts on it), the later ones are queued, and the next swi_flush writes them in one system
 * call (loopback TCP runs the receiver's side of each send on the sender's CPU, so two sends
 * per turn instead of one per command save most of that work). Call swi_flush before each
 * wait, before taking swi_events; what it could not write (a full socket buffer) swi_events
 * asks POLLOUT for. Off by default: each command is written when submitted.
 * swi_flush runs no callback: 0, or -1 when the write failed, and then swi_service (at once,
 * revents 0 will do) handles the failure as it handles any other, recovery included. */
void swi_set_batching(struct swi_session *s, bool on);
int swi_flush(struct swi_session *s);

typedef void (*swi_done_fn)(struct swi_session *s, int status, void *arg);

/* ---- session state and recovery ----
 * While a lost connection is being recovered, swi_fd() is -1 between attempts and a new
 * descriptor for each attempt: look it up again after every swi_service() (an event loop
 * re-registers it when it changed). swi_service() returns 0 throughout a recovery. */
enum swi_state {
	SWI_STATE_FREE,             /* not logged in: new, logged out */
	SWI_STATE_IN_LOGIN,         /* the caller's login in progress */
	SWI_STATE_LOGGED_IN,
	SWI_STATE_IN_LOGOUT,        /* the caller's logout in progress */
	SWI_STATE_LOGOUT_REQUESTED, /* the target asked for a logout (or renegotiation): new
				     * commands wait while the library logs out and in again */
	SWI_STATE_TRANSPORT_WAIT,   /* the connection is lost: commands held, reconnect pending */
	SWI_STATE_REOPEN,           /* reconnecting and logging in again (reinstatement) */
	SWI_STATE_FAILED,           /* failed for good (recovery off, or freed) */
};
enum swi_state swi_session_state(const struct swi_session *s);
/* iscsiadm's words for a state: "iSCSI Session State" (LOGGED_IN, FAILED, FREE), "Internal
 * iscsid Session State" (NO CHANGE, REOPEN, CLEANUP) and "iSCSI Connection State" (FREE,
 * TRANSPORT WAIT, IN LOGIN, LOGGED IN, IN LOGOUT, LOGOUT REQUESTED). */
const char *swi_state_session_name(enum swi_state st);
const char *swi_state_internal_name(enum swi_state st);
const char *swi_state_conn_name(enum swi_state st);
/* Called at every step of a recovery (loss, each attempt, success, replacement timeout
 * expiry, a target's logout request) with the state then and a sentence saying why. It may
 * submit commands; it must not free the session. */
typedef void (*swi_state_fn)(struct swi_session *s, enum swi_state st, const char *cause,
			     void *arg);
void swi_session_on_state(struct swi_session *s, swi_state_fn fn, void *arg);
/* Connects and logs in (security, then operational negotiation). status 0 or -1. */
int swi_login_async(struct swi_session *s, swi_done_fn done, void *arg);
int swi_logout_async(struct swi_session *s, swi_done_fn done, void *arg);

/* A target found by SendTargets, with its portals ("addr:port,tpgt"). Names and portals are
 * the target's bytes as sent, control characters included: validate them before they become
 * paths or reach a terminal (swiscsiadm screens each entry and skips the bad ones). */
struct swi_target {
	char *name;
	char **portals;
	size_t nportals;
};
struct swi_target_list {
	struct swi_target *v;
	size_t n;
};
void swi_target_list_free(struct swi_target_list *l);

/* SendTargets=All on a logged-in discovery session. On status 0, *out holds the result. */
int swi_sendtargets_async(struct swi_session *s, struct swi_target_list *out, swi_done_fn done,
			  void *arg);

/* Negotiated values, after login. */
struct swi_negotiated {
	bool header_digest, data_digest;
	uint32_t max_recv_data_segment_length, max_xmit_data_segment_length;
	uint32_t max_burst_length, first_burst_length, max_outstanding_r2t;
	bool initial_r2t, immediate_data;
	uint16_t tsih;
	char chap_alg[16];        /* "" without CHAP */
	char local_address[64];   /* the address our side of the connection uses */
};
int swi_negotiated(const struct swi_session *s, struct swi_negotiated *out);
/* The MaxBurstLength of the session's latest login (0 before the first). A recovery's re-login
 * may negotiate another: a field read, cheap enough to ask per command (swi_negotiated also
 * asks the socket for its address). */
uint32_t swi_max_burst_length(const struct swi_session *s);

/* The session's ISID (RFC 7143 §11.12.5). A new session has a random one; a caller that logs
 * the same node in again (a daemon restarting, a reconnect) sets the one it used before, so
 * the target sees the same initiator port. Only before login: 0, or -1 (logged in already,
 * or the ISID's type bits are the reserved 0xc0). */
int swi_session_set_isid(struct swi_session *s, const uint8_t isid[6]);
void swi_session_isid(const struct swi_session *s, uint8_t isid[6]);

/* What the session moved, since it was created (all connections), and how its recoveries
 * went. */
struct swi_stats {
	uint64_t pdus_tx, pdus_rx;
	uint64_t bytes_tx, bytes_rx;     /* data segment bytes */
	uint64_t commands;               /* SCSI commands completed */
	uint64_t command_errors;         /* of them: no answer, or a status other than GOOD */
	uint64_t timeouts;               /* of them: timed out (aborted or their LUN reset) */
	uint64_t digest_errors;          /* header or data digest mismatches */
	/* ERL 0 recovery (replacement_timeout_ms > 0) */
	uint64_t losses;                 /* connections lost in full feature phase */
	uint64_t attempts;               /* reconnect attempts */
	uint64_t recoveries;             /* attempts that reached full feature phase again */
	uint64_t expiries;               /* replacement timeouts that failed held commands */
	uint64_t target_logouts;         /* logouts the target asked for (Async event 1 or 4) */
	uint64_t scsi_retries;           /* commands re-sent after BUSY, TASK SET FULL, UNIT ATTENTION */
};
void swi_session_stats(const struct swi_session *s, struct swi_stats *out);

/* Synchronous forms: the async call plus a poll loop, bounded by the session's timeout. */
int swi_login(struct swi_session *s);
int swi_logout(struct swi_session *s);
int swi_sendtargets(struct swi_session *s, struct swi_target_list *out);

/* ---- SCSI commands (full feature phase of a normal session) ---- */

enum swi_dir { SWI_DIR_NONE, SWI_DIR_READ, SWI_DIR_WRITE };

struct swi_scsi_result {
	uint8_t status;            /* SCSI status: 0 GOOD, 2 CHECK CONDITION, 8 BUSY, ... */
	uint8_t sense[96];
	size_t sense_len;
	uint32_t residual;         /* bytes not transferred (underflow) or not wanted (overflow) */
	bool underflow, overflow;
	uint32_t transferred;      /* bytes of data actually moved */
};

/* status is 0 when the target answered (look at r->status), -1 when the command failed
 * without an answer (session failed, timed out: swi_error says why). */
typedef void (*swi_scsi_fn)(struct swi_session *s, int status, const struct swi_scsi_result *r,
			    void *arg);

/* Sends cdb (up to 16 bytes) to lun. For reads, data lands directly in buf (len bytes); for
 * writes, it is sent from buf, which must stay valid until the callback. Commands beyond the
 * target's command window wait in a queue. 0, or -1 (not logged in, bad arguments). */
int swi_scsi_async(struct swi_session *s, uint64_t lun, const uint8_t *cdb, size_t cdb_len,
		   enum swi_dir dir, void *buf, uint32_t len, swi_scsi_fn done, void *arg);
/* Flags of swi_scsi_async_ex. */
enum {
	/* Fail fast on transport loss, for multipath (Linux's REQ_FAILFAST_TRANSPORT): with ERL 0
	 * recovery on, a lost connection completes such a command at once (status -1,
	 * SWI_ERR_TRANS) instead of holding it for the reconnect, whether it was sent or still
	 * waiting for the command window; and while the connection is being recovered
	 * (TRANSPORT_WAIT, REOPEN) such a command is refused at once (-1, SWI_ERR_TRANS, no
	 * callback). Its callback never runs inside the swi_scsi_async_ex call that submits it.
	 * Commands without the flag keep the hold-and-reissue semantics. */
	SWI_CMD_FAILFAST_TRANSPORT = 1u << 0,
};
/* swi_scsi_async with flags (SWI_CMD_*; an unknown one is refused, SWI_ERR_INVAL). */
int swi_scsi_async_ex(struct swi_session *s, uint64_t lun, const uint8_t *cdb, size_t cdb_len,
		      enum swi_dir dir, void *buf, uint32_t len, unsigned flags, swi_scsi_fn done,
		      void *arg);
/* Synchronous form. Returns 0 when the target answered (check r->status), else -1. */
int swi_scsi(struct swi_session *s, uint64_t lun, const uint8_t *cdb, size_t cdb_len,
	     enum swi_dir dir, void *buf, uint32_t len, struct swi_scsi_result *r);
/* Commands submitted and not yet completed. */
unsigned swi_inflight(const struct swi_session *s);

/* Sense data as a sentence ("NOT READY: MEDIUM NOT PRESENT (asc 0x3a, ascq 0x00)"). */
const char *swi_sense_text(const struct swi_scsi_result *r, char *buf, size_t len);
/* A non-GOOD result as a sentence naming the status and, for CHECK CONDITION, the sense. */
const char *swi_status_text(const struct swi_scsi_result *r, char *buf, size_t len);
/* Walks the designators of VPD page 0x83 (page: the n bytes the target returned): the first
 * with prev NULL, else the one after prev; NULL at the end or at a designator cut short.
 * A designator is its 4-byte header (d[1] & 0x0f type, d[1] >> 4 & 3 association, d[3]
 * length) and d[3] bytes of value. */
const uint8_t *swi_vpd83_next(const uint8_t *page, size_t n, const uint8_t *prev);

/* CDB builders: each fills cdb (16 bytes) and returns the CDB length. */
size_t swi_cdb_test_unit_ready(uint8_t cdb[16]);
size_t swi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc_len);
size_t swi_cdb_report_luns(uint8_t cdb[16], uint32_t alloc_len);
size_t swi_cdb_read_capacity10(uint8_t cdb[16]);
size_t swi_cdb_read_capacity16(uint8_t cdb[16], uint32_t alloc_len);
/* READ/WRITE 10 when lba and blocks fit (and use16 is false), else READ/WRITE 16. */
size_t swi_cdb_rw(uint8_t cdb[16], bool write, uint64_t lba, uint32_t blocks, bool use16);
size_t swi_cdb_sync_cache(uint8_t cdb[16], bool use16);

/* A target named by a libiscsi-style URL:
 *   iscsi://[user[%secret]@]host[:port][/target-iqn[/lun]][?arg[&arg]...]
 * with IPv6 hosts in brackets and libiscsi's argument names: header_digest=, data_digest=
 * (crc32c, none, or an ordered list such as crc32c,none), auth= (CHAP algorithm list),
 * target_user=, target_password= (mutual CHAP). Percent-escapes are decoded. */
struct swi_url {
	char *user, *secret;
	char *portal;              /* "host:port" ("[v6]:port") */
	char *target;              /* NULL when the URL names only a portal */
	int lun;                   /* -1 when absent */
	char *header_digest, *data_digest; /* in swi_options form ("CRC32C,None"), or NULL */
	char *chap_algs;
	char *target_user, *target_secret;
};
/* 0, or -1 with a sentence naming the faulty part in err. */
int swi_url_parse(const char *url, struct swi_url *out, char *err, size_t errlen);
void swi_url_free(struct swi_url *u);

#ifdef __cplusplus
}
#endif
#endif
