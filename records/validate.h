/* Checks of values a user asks to store, one per field_check kind. */
#ifndef SWISCSI_VALIDATE_H
#define SWISCSI_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "record.h"

/* Whether text is a decimal number within the field's type range. */
bool value_is_number(const struct field_def *f, const char *text);

/* Whether value may be stored in field f. On refusal, err says why in a sentence that names
 * the key and the value ("'x' is not a MAC address for iface.hwaddress ..."). Empty values are
 * accepted for strings (they clear the setting) and refused for numbers. */
bool value_is_valid(const struct field_def *f, const char *value, char *err, size_t errlen);

/* An iface name: 1..64 characters, no '/', no white space or control characters, not "." or
 * "..". */
bool iface_name_is_valid(const char *name, char *err, size_t errlen);

/* Canonical lower-case form of a MAC address into out (18 bytes); false if not a MAC. */
bool mac_normalize(const char *text, char out[18]);

#endif
