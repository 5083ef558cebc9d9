/* CHAP digests through OpenSSL's libcrypto: MD5 (CHAP_A=5), SHA1 (6), SHA-256 (7) and
 * SHA3-256 (8), the algorithm numbers open-iscsi and the IANA registry use. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

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
	const char *name = evp_name(alg);
	const EVP_MD *md = name ? EVP_get_digestbyname(name) : NULL;
	if (!md)
		return -1;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, &id, 1) &&
		 EVP_DigestUpdate(ctx, secret, strlen(secret)) &&
		 EVP_DigestUpdate(ctx, challenge, clen) && EVP_DigestFinal_ex(ctx, digest, &dlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || outlen < 2 * dlen + 3)
		return -1;
	strcpy(out, "0x");
	for (unsigned i = 0; i < dlen; i++)
		sprintf(out + 2 + 2 * i, "%02x", digest[i]);
	OPENSSL_cleanse(digest, sizeof(digest));
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

int chap_decode(const char *text, uint8_t *out, size_t outlen)
{
	if ((text[0] == '0') && (text[1] == 'b' || text[1] == 'B')) {
		size_t n = strlen(text + 2);
		if (n % 4 || n / 4 * 3 > outlen + 2)
			return -1;
		int len = EVP_DecodeBlock(out, (const unsigned char *)text + 2, (int)n);
		if (len < 0)
			return -1;
		if (n >= 1 && text[2 + n - 1] == '=')
			len--;
		if (n >= 2 && text[2 + n - 2] == '=')
			len--;
		return len;
	}
	if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
		return -1;
	const char *p = text + 2;
	size_t n = strlen(p);
	if (n == 0 || (n + 1) / 2 > outlen)
		return -1;
	size_t k = 0;
	if (n % 2) { /* an odd number of digits: the first stands alone */
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
