/* Login response status text and error class. */
#ifndef SWISCSI_LOGIN_STATUS_H
#define SWISCSI_LOGIN_STATUS_H

#include <stdint.h>

#include "swiscsi/swiscsi.h"

/* Text for a non-zero status; *err_class gets the swi_error_class it maps to. */
const char *login_status_text(uint8_t cls, uint8_t detail, int *err_class);

#endif
