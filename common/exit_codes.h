/* iscsiadm's exit codes (open-iscsi's ISCSI_ERR_*), which swiscsiadm returns for the same
 * situations so that scripts written for iscsiadm keep working. */
#ifndef SWISCSI_EXIT_CODES_H
#define SWISCSI_EXIT_CODES_H

enum exit_code {
	EXIT_OK = 0,
	EXIT_ERR = 1,
	EXIT_SESS_NOT_FOUND = 2,
	EXIT_NOMEM = 3,
	EXIT_TRANS = 4,
	EXIT_LOGIN = 5,
	EXIT_IDBM = 6,
	EXIT_INVAL = 7,
	EXIT_TRANS_TIMEOUT = 8,
	EXIT_INTERNAL = 9,
	EXIT_PDU_TIMEOUT = 11,   /* also what discovery answers when reopen_max is exhausted */
	EXIT_TRANS_NOT_FOUND = 12,
	EXIT_ACCESS = 13,
	EXIT_SESS_EXISTS = 15,
	EXIT_INVALID_MGMT_REQ = 16,
	EXIT_ISCSID_NOTCONN = 20,
	EXIT_NO_OBJS_FOUND = 21,
	EXIT_SYSFS_LOOKUP = 22,
	EXIT_HOST_NOT_FOUND = 23,
	EXIT_LOGIN_AUTH_FAILED = 24,
	EXIT_OP_NOT_SUPP = 27,
	EXIT_BUSY = 28,
};

/* The raw EINVAL iscsiadm leaks for `-m iface -o new` without -I. */
#define EXIT_RAW_EINVAL 22

#endif
