/* initiatorname.iscsi: "InitiatorName=iqn..." lines, comments with '#'. */
#include "initiator_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"

int initiator_name_read(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	char *text;
	size_t len;
	if (file_read_all(path, 65536, &text, &len, err, errlen) < 0)
		return -1;
	int rc = -1;
	for (char *save, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *key = strstr(line, "InitiatorName");
		char *hash = strchr(line, '#');
		if (!key || (hash && hash < key))
			continue;
		char *eq = strchr(key, '=');
		if (!eq)
			continue;
		char *v = eq + 1;
		v += strspn(v, " \t");
		v[strcspn(v, " \t\r")] = '\0';
		if (*v) {
			snprintf(out, outlen, "%s", v);
			rc = 0;
			break;
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "%s has no InitiatorName= line", path);
	free(text);
	return rc;
}
