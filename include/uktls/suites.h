/*
 * The 16 cipher suite / version combinations FreeBSD KTLS supports, by
 * name, with the struct tls_enable parameters each one needs.
 */
#ifndef UKTLS_SUITES_H
#define UKTLS_SUITES_H

#include <stddef.h>

#include <uktls/ktls.h>

struct uk_suite {
	const char	*name;		/* e.g. "aes128-gcm-1.3" */
	int		 cipher_algorithm;	/* CRYPTO_* */
	int		 cipher_key_len;
	int		 auth_algorithm;	/* CRYPTO_*_HMAC or 0 */
	int		 auth_key_len;
	int		 iv_len;		/* for struct tls_enable */
	int		 tls_vminor;		/* TLS_MINOR_VER_* */
	int		 rx;			/* FreeBSD can receive it */
	const char	*openssl_name;	/* cipher (1.2-) or ciphersuite (1.3) */
};

/* Number of suites, and the i-th (0 <= i < uk_nsuites()). */
size_t	uk_nsuites(void);
const struct uk_suite *uk_suite_at(size_t i);
/* By name; NULL if there is none. */
const struct uk_suite *uk_suite_by_name(const char *name);
/* "1.0" .. "1.3" */
const char *uk_suite_version(const struct uk_suite *s);

#endif /* UKTLS_SUITES_H */
