/* libcrypto, loaded on first use: the CHAP code is the only user of OpenSSL, and mapping
 * and relocating libcrypto at every start-up (its ~20,000 relocations are bound at load
 * time) is most of what a swiscsiadm that only lists records spends. */
#ifndef SWISCSI_CRYPTO_LOAD_H
#define SWISCSI_CRYPTO_LOAD_H

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* The functions we call, typed from OpenSSL's own headers. */
struct swi_crypto {
	__typeof__(EVP_get_digestbyname) *get_digestbyname;
	__typeof__(EVP_MD_CTX_new) *md_ctx_new;
	__typeof__(EVP_MD_CTX_free) *md_ctx_free;
	__typeof__(EVP_DigestInit_ex) *digest_init;
	__typeof__(EVP_DigestUpdate) *digest_update;
	__typeof__(EVP_DigestFinal_ex) *digest_final;
	__typeof__(EVP_DecodeBlock) *decode_block;
	__typeof__(CRYPTO_memcmp) *memcmp_const;
	__typeof__(RAND_bytes) *rand_bytes;
};

/* libcrypto's functions, loaded once (thread-safe); NULL when it cannot be loaded, and then
 * swi_crypto_error() says why. */
const struct swi_crypto *swi_crypto(void);
const char *swi_crypto_error(void);

#endif
