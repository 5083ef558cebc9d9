/* CRC32C as iSCSI uses it (RFC 7143 §13.1, test vectors in RFC 3720 Appendix B.4), computed
 * with ISA-L. On the wire the 4 digest bytes are least significant first. */
#ifndef SWISCSI_DIGEST_H
#define SWISCSI_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_SEED 0xffffffffu

/* Continues a running CRC over len bytes (start with DIGEST_SEED). */
uint32_t digest_update(uint32_t crc, const void *buf, size_t len);
/* The value to send or compare, from a running CRC. */
static inline uint32_t digest_final(uint32_t crc)
{
	return ~crc;
}
void digest_put(uint8_t out[4], uint32_t value);
uint32_t digest_get(const uint8_t in[4]);

#endif
