/* The designator walk of VPD page 0x83 (SPC-4 7.8.6): each designator is a 4-byte header
 * whose last byte is the length of the value that follows. */
#include "swiscsi/swiscsi.h"

const uint8_t *swi_vpd83_next(const uint8_t *page, size_t n, const uint8_t *prev)
{
	if (!page || n < 4 || page[1] != 0x83)
		return NULL;
	size_t end = 4 + ((size_t)page[2] << 8 | page[3]);
	if (end > n)
		end = n;               /* the page length may promise more than was returned */
	size_t off = prev ? (size_t)(prev - page) + 4 + prev[3] : 4;
	if (off + 4 > end || off + 4 + page[off + 3] > end)
		return NULL;           /* the end, or a designator cut short: nothing to trust past it */
	return page + off;
}
