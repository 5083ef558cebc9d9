/* Fuzzes the text-key parser and the negotiation of operational keys with arbitrary target
 * answers. */
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_list l;
	char err[256];
	if (text_parse(data, size, &l, err, sizeof(err)) < 0)
		return 0;
	struct iscsi_params want, out;
	params_rfc_defaults(&want);
	want.max_recv_dsl = 262144;
	want.initial_r2t = false;
	params_apply(&l, &want, "CRC32C,None", "None", &out, err, sizeof(err));
	text_list_free(&l);
	return 0;
}
