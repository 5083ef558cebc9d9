/* CRC32C through ISA-L's crc32_iscsi (SSE4.2/PCLMUL where the CPU has them). */
#include "digest.h"

#include <isa-l/crc.h>
#include <limits.h>

uint32_t digest_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len) {
		/* crc32_iscsi takes an int length */
		int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
		crc = crc32_iscsi((unsigned char *)p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return crc;
}

void digest_put(uint8_t out[4], uint32_t value)
{
	out[0] = (uint8_t)value;
	out[1] = (uint8_t)(value >> 8);
	out[2] = (uint8_t)(value >> 16);
	out[3] = (uint8_t)(value >> 24);
}

uint32_t digest_get(const uint8_t in[4])
{
	return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
	       (uint32_t)in[3] << 24;
}
