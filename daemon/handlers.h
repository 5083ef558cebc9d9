/* The dispatch table of the control socket; its context is the session table. */
#ifndef SWISCSID_HANDLERS_H
#define SWISCSID_HANDLERS_H

#include "control.h"

extern const struct control_handler daemon_handlers[];

#endif
