/* Login status classes and details (RFC 7143 §11.13.5) as readable text and error classes. */
#include "login_status.h"

#include <stdio.h>

static const struct {
	uint8_t cls, detail;
	int err;
	const char *text;
} statuses[] = {
	{ 1, 0x01, SWI_ERR_LOGIN, "target moved temporarily" },
	{ 1, 0x02, SWI_ERR_LOGIN, "target moved permanently" },
	{ 2, 0x00, SWI_ERR_FATAL_LOGIN, "initiator error" },
	{ 2, 0x01, SWI_ERR_AUTH, "authentication failure" },
	{ 2, 0x02, SWI_ERR_AUTH, "authorization failure: this initiator may not access the target" },
	{ 2, 0x03, SWI_ERR_FATAL_LOGIN, "target not found" },
	{ 2, 0x04, SWI_ERR_FATAL_LOGIN, "target removed" },
	{ 2, 0x05, SWI_ERR_FATAL_LOGIN, "unsupported iSCSI version" },
	{ 2, 0x06, SWI_ERR_LOGIN, "too many connections" },
	{ 2, 0x07, SWI_ERR_FATAL_LOGIN, "missing parameter" },
	{ 2, 0x08, SWI_ERR_FATAL_LOGIN, "cannot include this connection in the session" },
	{ 2, 0x09, SWI_ERR_FATAL_LOGIN, "session type not supported" },
	{ 2, 0x0a, SWI_ERR_FATAL_LOGIN, "session does not exist" },
	{ 2, 0x0b, SWI_ERR_FATAL_LOGIN, "invalid request during login" },
	{ 3, 0x00, SWI_ERR_LOGIN, "target error" },
	{ 3, 0x01, SWI_ERR_LOGIN, "service unavailable" },
	{ 3, 0x02, SWI_ERR_LOGIN, "out of resources" },
};

const char *login_status_text(uint8_t cls, uint8_t detail, int *err_class)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		if (statuses[i].cls == cls && statuses[i].detail == detail) {
			*err_class = statuses[i].err;
			return statuses[i].text;
		}
	}
	*err_class = cls == 2 ? SWI_ERR_FATAL_LOGIN : SWI_ERR_LOGIN;
	return cls == 1 ? "redirection" : cls == 2 ? "initiator error" : "target error";
}
