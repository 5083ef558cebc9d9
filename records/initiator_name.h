/* The default initiator name, from initiatorname.iscsi (open-iscsi's file and format). */
#ifndef SWISCSI_INITIATOR_NAME_H
#define SWISCSI_INITIATOR_NAME_H

#include <stddef.h>

/* Reads InitiatorName= from path (the first line that has it before any '#'). 0, or -1 when
 * the file is missing or has no name (err says which). */
int initiator_name_read(const char *path, char *out, size_t outlen, char *err, size_t errlen);

#endif
