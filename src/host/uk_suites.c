/*
 * The table of suites FreeBSD KTLS supports (reference section 2).
 */
#include <string.h>

#include <uktls/suites.h>

#define	GCM	CRYPTO_AES_NIST_GCM_16
#define	CBC	CRYPTO_AES_CBC
#define	CHACHA	CRYPTO_CHACHA20_POLY1305
#define	SHA1	CRYPTO_SHA1_HMAC
#define	SHA256	CRYPTO_SHA2_256_HMAC
#define	SHA384	CRYPTO_SHA2_384_HMAC
#define	V10	TLS_MINOR_VER_ZERO
#define	V11	TLS_MINOR_VER_ONE
#define	V12	TLS_MINOR_VER_TWO
#define	V13	TLS_MINOR_VER_THREE

static const struct uk_suite suites[] = {
	{ "aes128-gcm-1.2", GCM, 16, 0, 0, 4, V12, 1,
	    "ECDHE-RSA-AES128-GCM-SHA256" },
	{ "aes256-gcm-1.2", GCM, 32, 0, 0, 4, V12, 1,
	    "ECDHE-RSA-AES256-GCM-SHA384" },
	{ "aes128-gcm-1.3", GCM, 16, 0, 0, 12, V13, 1,
	    "TLS_AES_128_GCM_SHA256" },
	{ "aes256-gcm-1.3", GCM, 32, 0, 0, 12, V13, 1,
	    "TLS_AES_256_GCM_SHA384" },
	{ "chacha20-poly1305-1.2", CHACHA, 32, 0, 0, 12, V12, 1,
	    "ECDHE-RSA-CHACHA20-POLY1305" },
	{ "chacha20-poly1305-1.3", CHACHA, 32, 0, 0, 12, V13, 1,
	    "TLS_CHACHA20_POLY1305_SHA256" },
	{ "aes128-cbc-sha1-1.0", CBC, 16, SHA1, 20, 16, V10, 0,
	    "ECDHE-RSA-AES128-SHA" },
	{ "aes256-cbc-sha1-1.0", CBC, 32, SHA1, 20, 16, V10, 0,
	    "ECDHE-RSA-AES256-SHA" },
	{ "aes128-cbc-sha1-1.1", CBC, 16, SHA1, 20, 0, V11, 1,
	    "ECDHE-RSA-AES128-SHA" },
	{ "aes256-cbc-sha1-1.1", CBC, 32, SHA1, 20, 0, V11, 1,
	    "ECDHE-RSA-AES256-SHA" },
	{ "aes128-cbc-sha1-1.2", CBC, 16, SHA1, 20, 0, V12, 1,
	    "ECDHE-RSA-AES128-SHA" },
	{ "aes256-cbc-sha1-1.2", CBC, 32, SHA1, 20, 0, V12, 1,
	    "ECDHE-RSA-AES256-SHA" },
	{ "aes128-cbc-sha256-1.2", CBC, 16, SHA256, 32, 0, V12, 1,
	    "ECDHE-RSA-AES128-SHA256" },
	{ "aes256-cbc-sha256-1.2", CBC, 32, SHA256, 32, 0, V12, 1,
	    "DHE-RSA-AES256-SHA256" },
	{ "aes128-cbc-sha384-1.2", CBC, 16, SHA384, 48, 0, V12, 1,
	    NULL },
	{ "aes256-cbc-sha384-1.2", CBC, 32, SHA384, 48, 0, V12, 1,
	    "ECDHE-RSA-AES256-SHA384" },
};

size_t
uk_nsuites(void)
{

	return (sizeof(suites) / sizeof(suites[0]));
}

const struct uk_suite *
uk_suite_at(size_t i)
{

	return (i < uk_nsuites() ? &suites[i] : NULL);
}

const struct uk_suite *
uk_suite_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < uk_nsuites(); i++)
		if (strcmp(suites[i].name, name) == 0)
			return (&suites[i]);
	return (NULL);
}

const char *
uk_suite_version(const struct uk_suite *s)
{

	switch (s->tls_vminor) {
	case V10:
		return ("1.0");
	case V11:
		return ("1.1");
	case V12:
		return ("1.2");
	default:
		return ("1.3");
	}
}
