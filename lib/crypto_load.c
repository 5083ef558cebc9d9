/* Loads libcrypto with dlopen the first time CHAP needs it (see crypto_load.h). */
#include <dlfcn.h>
#include <openssl/opensslv.h>
#include <pthread.h>
#include <stdio.h>

#include "crypto_load.h"

/* The soname of the ABI the headers describe: OpenSSL 3 keeps it across 3.x releases. */
_Static_assert(OPENSSL_VERSION_MAJOR == 3, "crypto_load.c names libcrypto.so.3");
#define LIBCRYPTO_SONAME "libcrypto.so.3"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct swi_crypto fns;
static const struct swi_crypto *loaded;
static char error[256] = "libcrypto was not loaded";

/* Assigns through void * as POSIX's dlsym requires; the types come from struct swi_crypto. */
static int bind_fn(void *lib, void *slot, const char *name)
{
	void *fn = dlsym(lib, name);
	if (!fn) {
		snprintf(error, sizeof(error), "%s lacks %s", LIBCRYPTO_SONAME, name);
		return -1;
	}
	*(void **)slot = fn;
	return 0;
}

static void load(void)
{
	/* never closed: OpenSSL keeps global state (it is marked NODELETE anyway) */
	void *lib = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(error, sizeof(error), "cannot load %s: %s", LIBCRYPTO_SONAME, dlerror());
		return;
	}
	if (bind_fn(lib, &fns.get_digestbyname, "EVP_get_digestbyname") < 0 ||
	    bind_fn(lib, &fns.md_ctx_new, "EVP_MD_CTX_new") < 0 ||
	    bind_fn(lib, &fns.md_ctx_free, "EVP_MD_CTX_free") < 0 ||
	    bind_fn(lib, &fns.digest_init, "EVP_DigestInit_ex") < 0 ||
	    bind_fn(lib, &fns.digest_update, "EVP_DigestUpdate") < 0 ||
	    bind_fn(lib, &fns.digest_final, "EVP_DigestFinal_ex") < 0 ||
	    bind_fn(lib, &fns.decode_block, "EVP_DecodeBlock") < 0 ||
	    bind_fn(lib, &fns.memcmp_const, "CRYPTO_memcmp") < 0 ||
	    bind_fn(lib, &fns.rand_bytes, "RAND_bytes") < 0)
		return;
	loaded = &fns;
}

const struct swi_crypto *swi_crypto(void)
{
	pthread_once(&once, load);
	return loaded;
}

const char *swi_crypto_error(void)
{
	return error;
}
