/* CHAP digests through OpenSSL's libcrypto: MD5 (CHAP_A=5), SHA1 (6), SHA-256 (7) and
 * SHA3-256 (8), the algorithm numbers open-iscsi and the IANA registry use. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_load.h"
#include "session.h"

static const struct {
	int alg;
	const char *name;     /* as users write it (libiscsi's and open-iscsi's spelling) */
	const char *evp;
	size_t len;
} algs[] = {
	{ 5, "MD5", "MD5", 16 },
	{ 6, "SHA1", "SHA1", 20 },
	{ 7, "SHA256", "SHA256", 32 },
	{ 8, "SHA3-256", "SHA3-256", 32 },
};

int chap_alg_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcasecmp(algs[i].name, name) == 0 ||
		    (strcasecmp(name, "SHA-256") == 0 && algs[i].alg == 7) ||
		    (strcasecmp(name, "SHA-1") == 0 && algs[i].alg == 6))
			return algs[i].alg;
	return -1;
}

const char *chap_alg_name(int alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].name;
	return "?";
}

size_t chap_digest_len(int alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].len;
	return 0;
}

static const char *evp_name(int alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].alg == alg)
			return algs[i].evp;
	return NULL;
}

int chap_response(int alg, uint8_t id, const char *secret, const uint8_t *challenge,
		  size_t clen, char *out, size_t outlen)
{
	const struct swi_crypto *c = swi_crypto();
	const char *name = evp_name(alg);
	const EVP_MD *md = c && name ? c->get_digestbyname(name) : NULL;
	if (!md)
		return -1;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = c->md_ctx_new();
	int ok = ctx && c->digest_init(ctx, md, NULL) && c->digest_update(ctx, &id, 1) &&
		 c->digest_update(ctx, secret, strlen(secret)) &&
		 c->digest_update(ctx, challenge, clen) && c->digest_final(ctx, digest, &dlen);
	c->md_ctx_free(ctx);
	if (!ok || outlen < 2 * dlen + 3)
		return -1;
	strcpy(out, "0x");
	for (unsigned i = 0; i < dlen; i++)
		sprintf(out + 2 + 2 * i, "%02x", digest[i]);
	explicit_bzero(digest, sizeof(digest));
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Base64 of n characters into out (room for n / 4 * 3 bytes: EVP_DecodeBlock writes whole
 * 3-byte groups, the padding included). Returns the length without the padding, or -1. */
static int decode_base64(const char *b64, size_t n, uint8_t *out)
{
	if (n == 0 || n % 4 || n > INT_MAX)
		return -1;
	const struct swi_crypto *c = swi_crypto();
	int len = c ? c->decode_block(out, (const unsigned char *)b64, (int)n) : -1;
	if (len < 0)
		return -1;
	len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
	return len;
}

/* Hex digits into out (room for (n + 1) / 2 bytes); an odd count: the first digit stands
 * alone. Returns the length or -1. */
static int decode_hex(const char *p, size_t n, uint8_t *out)
{
	if (n == 0 || n > INT_MAX)
		return -1;
	size_t k = 0;
	if (n % 2) {
		int v = hexval(*p++);
		if (v < 0)
			return -1;
		out[k++] = (uint8_t)v;
	}
	for (; *p; p += 2) {
		int hi = hexval(p[0]), lo = hexval(p[1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[k++] = (uint8_t)(hi << 4 | lo);
	}
	return (int)k;
}

/* The value is decoded into a scratch buffer sized from the text, and only then measured
 * against outlen: nothing is ever written past out, whatever the peer sent. */
int chap_decode(const char *text, uint8_t *out, size_t outlen)
{
	bool b64 = text[0] == '0' && (text[1] == 'b' || text[1] == 'B');
	if (!b64 && (text[0] != '0' || (text[1] != 'x' && text[1] != 'X')))
		return -1;
	size_t n = strlen(text + 2);
	size_t room = b64 ? n / 4 * 3 : (n + 1) / 2;
	uint8_t *scratch = malloc(room ? room : 1);
	if (!scratch)
		return -1;
	int len = b64 ? decode_base64(text + 2, n, scratch) : decode_hex(text + 2, n, scratch);
	if (len > 0 && (size_t)len <= outlen)
		memcpy(out, scratch, (size_t)len);
	else
		len = -1;
	explicit_bzero(scratch, room ? room : 1);
	free(scratch);
	return len;
}
