/* The session's state as the library's users see it, and iscsiadm's words for it. */
#include "session.h"

enum swi_state swi_session_state(const struct swi_session *s)
{
	if (s->rec.active)
		return s->x && !s->rec.drop && (s->state == SS_CONNECTING || s->state == SS_LOGIN)
			       ? SWI_STATE_REOPEN
			       : SWI_STATE_TRANSPORT_WAIT;
	if (s->rec.draining)
		return SWI_STATE_LOGOUT_REQUESTED;
	switch (s->state) {
	case SS_CONNECTING:
	case SS_LOGIN:
		return SWI_STATE_IN_LOGIN;
	case SS_FULL:
		return SWI_STATE_LOGGED_IN;
	case SS_LOGOUT:
		return SWI_STATE_IN_LOGOUT;
	case SS_FAILED:
		return SWI_STATE_FAILED;
	case SS_RECOVER:
		return SWI_STATE_TRANSPORT_WAIT;
	case SS_IDLE:
	case SS_CLOSED:
		break;
	}
	return SWI_STATE_FREE;
}

const char *swi_state_session_name(enum swi_state st)
{
	switch (st) {
	case SWI_STATE_LOGGED_IN:
	case SWI_STATE_IN_LOGOUT:
	case SWI_STATE_LOGOUT_REQUESTED:
		return "LOGGED_IN";
	case SWI_STATE_TRANSPORT_WAIT:
	case SWI_STATE_REOPEN:
	case SWI_STATE_FAILED:
		return "FAILED";
	case SWI_STATE_FREE:
	case SWI_STATE_IN_LOGIN:
		return "FREE";
	}
	return "Unknown";
}

const char *swi_state_internal_name(enum swi_state st)
{
	switch (st) {
	case SWI_STATE_TRANSPORT_WAIT:
	case SWI_STATE_REOPEN:
		return "REOPEN";
	case SWI_STATE_FAILED:
		return "CLEANUP";
	default:
		return "NO CHANGE";
	}
}

const char *swi_state_conn_name(enum swi_state st)
{
	switch (st) {
	case SWI_STATE_FREE:
	case SWI_STATE_FAILED:
		return "FREE";
	case SWI_STATE_IN_LOGIN:
	case SWI_STATE_REOPEN:
		return "IN LOGIN";
	case SWI_STATE_LOGGED_IN:
		return "LOGGED IN";
	case SWI_STATE_IN_LOGOUT:
		return "IN LOGOUT";
	case SWI_STATE_LOGOUT_REQUESTED:
		return "LOGOUT REQUESTED";
	case SWI_STATE_TRANSPORT_WAIT:
		return "TRANSPORT WAIT";
	}
	return "Unknown";
}
