/* The control protocol between swiscsiadm and swiscsid: the one contract between the two
 * processes, over the unix socket $SWISCSI_RUNDIR/swiscsid.sock.
 *
 * Every message is a header followed by a payload of header.length bytes. A request's payload
 * is one fixed-size structure per kind; a reply's payload is a ctl_status followed, for
 * CTL_LIST, by the sessions (each ctl_session followed by its ndevices ctl_device entries),
 * for CTL_MPATH_LIST by the multipath maps (each ctl_mpath followed by its npaths
 * ctl_mpath_path entries).
 * Both sides are built from this one header, so the structures travel as they are in memory
 * (fixed-width fields, char arrays); the version number changes whenever a layout does.
 *
 * Everything the daemon receives goes through ctl_decode_request, which checks the magic, the
 * version, the kind, the exact payload size and that every string is NUL-terminated inside its
 * array. The CLI checks replies with ctl_decode_reply the same way. The daemon sends data; the
 * CLI formats it. */
#ifndef SWISCSI_CTL_PROTO_H
#define SWISCSI_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_MAGIC 0x53574943u /* "SWIC" */
#define CTL_VERSION 4
#define CTL_SOCKET_NAME "swiscsid.sock"
#define CTL_PIDFILE_NAME "swiscsid.pid"
/* Requests are small; a reply lists every session, each with its devices. */
#define CTL_MAX_REQUEST 4096u
#define CTL_MAX_REPLY (16u << 20)
#define CTL_MAX_DEVICES 256u

enum ctl_kind {
	CTL_PING = 1,      /* is the daemon there? empty payload */
	CTL_LOGIN = 2,     /* ctl_login_req */
	CTL_LOGOUT = 3,    /* ctl_logout_req */
	CTL_LIST = 4,      /* ctl_list_req */
	CTL_RESCAN = 5,    /* ctl_rescan_req: REPORT LUNS again, files follow */
	CTL_MPATH_LIST = 6,  /* ctl_mpath_req: the multipath maps (map "" = all) */
	CTL_MPATH_FLUSH = 7, /* ctl_mpath_req: drop one map */
	CTL_KIND_MAX = 8,
	CTL_REPLY = 0x8000, /* or-ed into a reply's kind */
};

struct ctl_header {
	uint32_t magic;
	uint16_t version;
	uint16_t kind;
	uint32_t length;    /* payload bytes after the header */
	uint32_t reserved;  /* 0 */
};

/* Which node record: as it is named on disk (address without brackets). */
struct ctl_node {
	char target[224];   /* iSCSI names are at most 223 bytes */
	char address[64];
	int32_t port;
	int32_t tpgt;
	char iface[64];
};

struct ctl_login_req {
	struct ctl_node node;
};

struct ctl_logout_req {
	uint32_t sid;
};

struct ctl_rescan_req {
	uint32_t sid;
};

#define CTL_LIST_SECRETS 1u  /* include CHAP secrets (-S); masked otherwise */
struct ctl_list_req {
	uint32_t sid;        /* 0: every session */
	uint32_t flags;
};

/* Every reply starts with this: status is an iscsiadm exit code, message a sentence for
 * stderr when status is not 0 ("" otherwise). */
struct ctl_status {
	int32_t status;
	uint32_t sid;          /* CTL_LOGIN: the new session */
	uint32_t nsessions;    /* CTL_LIST: how many ctl_session follow */
	uint32_t nmaps;        /* CTL_MPATH_LIST: how many ctl_mpath follow */
	char message[512];
};

struct ctl_device {
	uint64_t lun;
	uint64_t blocks;
	uint32_t block_size;
	int32_t read_only;
	char file[512];
	char loop[32];
	char vendor[9];
	char product[17];
	char pad[6];
	char mpath[264];        /* the multipath map the LUN is a path of ("" none) */
	int32_t path_up;        /* with mpath: the path works (else failed) */
	uint32_t reserved;
	char mpath_loop[32];    /* with mpath: the map's by-id loop device ("" none) */
};

struct ctl_counters {
	uint64_t pdus_tx, pdus_rx;
	uint64_t bytes_tx, bytes_rx;
	uint64_t commands, errors, digest_errors, timeouts;
	/* ERL 0 recovery: connections lost, reconnect attempts, reinstatements, replacement
	 * timeouts that failed commands, logouts the target asked for, SCSI commands re-sent */
	uint64_t losses, attempts, recoveries, expiries, target_logouts, scsi_retries;
};

struct ctl_session {
	uint32_t sid;
	int32_t tpgt;
	struct ctl_node node;          /* the record: target, persistent address and port, iface */
	char current_address[64];      /* where the connection went */
	int32_t current_port;
	char transport[16];
	char initiator_name[224];
	char iface_ipaddress[64];      /* our side of the connection */
	char iface_hwaddress[32];
	char iface_netdev[32];         /* the device the connection is bound to or uses */
	char conn_state[32];           /* "LOGGED IN", ... */
	char session_state[32];        /* "LOGGED_IN", "FAILED" */
	char internal_state[16];       /* "NO CHANGE", "REOPEN" (reconnecting) */
	char startup[16];              /* the record's node.startup */
	/* timeouts (s) */
	int32_t recovery_tmo, tgt_reset_tmo, lu_reset_tmo, abort_tmo;
	/* CHAP: secrets are "" unless CTL_LIST_SECRETS was asked for and the daemon allows it */
	char username[256], password[256], username_in[256], password_in[256];
	int32_t secrets_included;
	/* negotiated values */
	int32_t header_digest, data_digest;   /* 0 None, 1 CRC32C */
	uint32_t max_recv_dsl, max_xmit_dsl, first_burst, max_burst, max_outstanding_r2t;
	int32_t immediate_data, initial_r2t;
	uint8_t isid[6];
	uint16_t tsih;
	struct ctl_counters counters;
	uint32_t ndevices;             /* ctl_device entries that follow this session */
	uint32_t reserved;
};

/* A multipath map by its name (the by-id file name, "wwn-0x...") or its WWID. */
struct ctl_mpath_req {
	char map[256];
};

#define CTL_MAX_PATHS 64u
/* One multipath map: a LUN and the paths to it, with its policy as multipath -ll shows it. */
struct ctl_mpath {
	char name[264];                /* the by-id file name */
	char wwid[256];
	char vendor[9];
	char product[17];
	char pad[6];
	uint64_t blocks;
	uint32_t block_size;
	int32_t read_only;
	char loop[32];                 /* "" without a loop device */
	char grouping[16];             /* "multibus", "failover" */
	char selector[32];             /* "service-time 0" */
	int32_t queue_if_no_path;      /* no_path_retry queues (queue, or N not yet run out) */
	uint32_t npaths;               /* ctl_mpath_path entries that follow */
};

/* One path of a map: a session's LUN. */
struct ctl_mpath_path {
	uint32_t sid;
	uint32_t group;                /* failover: one group per path; multibus: all 0 */
	uint64_t lun;
	char iface[64];
	char address[64];              /* the portal the session is connected to */
	int32_t port;
	int32_t up;                    /* the path works (else failed) */
	int32_t group_active;          /* its group is the one carrying I/O */
	uint32_t in_flight;
};

/* The request the daemon got, checked. */
struct ctl_request {
	uint16_t kind;
	union {
		struct ctl_login_req login;
		struct ctl_logout_req logout;
		struct ctl_list_req list;
		struct ctl_rescan_req rescan;
		struct ctl_mpath_req mpath;
	} u;
};

/* Checks a header's fixed parts: 0, or -1 with the problem in err. max bounds length. */
int ctl_check_header(const struct ctl_header *h, uint32_t max, char *err, size_t errlen);

/* Decodes a whole request (header + payload, len bytes): 0, or -1 with a sentence in err that
 * the daemon sends back. Never reads outside buf. */
int ctl_decode_request(const void *buf, size_t len, struct ctl_request *out, char *err,
		       size_t errlen);

/* Writes a request of kind with payload into buf (at least sizeof(header) + plen bytes).
 * Returns the message length. */
size_t ctl_encode(void *buf, uint16_t kind, const void *payload, uint32_t plen);

/* A reply under construction (the daemon's side): a header, then appended pieces. */
struct ctl_buf {
	char *p;
	size_t len, cap;
	int failed;   /* out of memory at some point: the reply is dropped */
};
/* Starts a reply to kind with status st (copied). */
void ctl_buf_begin(struct ctl_buf *b, uint16_t kind, const struct ctl_status *st);
void ctl_buf_append(struct ctl_buf *b, const void *data, size_t len);
/* The status at the start of the reply (NULL when memory ran out), to fill in counts. */
struct ctl_status *ctl_buf_status(struct ctl_buf *b);
/* Fixes the header's length; 0, or -1 when memory ran out or the reply is too long. */
int ctl_buf_finish(struct ctl_buf *b);
void ctl_buf_free(struct ctl_buf *b);

/* A decoded reply: pointers into the caller's buffer. */
struct ctl_reply {
	const struct ctl_status *status;
	const struct ctl_session **sessions;   /* nsessions of them (malloc'd array) */
	const struct ctl_device **devices;     /* devices of session i: devices[first[i]..] */
	size_t *first_device;
	size_t nsessions;
	const struct ctl_mpath **maps;         /* CTL_MPATH_LIST: nmaps of them */
	const struct ctl_mpath_path **paths;   /* paths of map i: paths[first_path[i]..] */
	size_t *first_path;
	size_t nmaps;
};
/* Decodes a reply for a request of kind (or the bare status the daemon sends when it refuses a
 * peer before reading its request): every length and string checked. 0, or -1 with err.
 * On 0, free with ctl_reply_free (the buffer stays the caller's). */
int ctl_decode_reply(const void *buf, size_t len, uint16_t kind, struct ctl_reply *out, char *err,
		     size_t errlen);
void ctl_reply_free(struct ctl_reply *r);

/* Whether every char array field of a session/device/node ends in a NUL. */
int ctl_node_valid(const struct ctl_node *n);

/* Copies src into a fixed array, truncating; dst always ends in a NUL. */
void ctl_strcpy(char *dst, size_t dstlen, const char *src);
#define CTL_SET(field, src) ctl_strcpy((field), sizeof(field), (src))

#endif
