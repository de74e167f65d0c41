/*
 * sslpair: an OpenSSL 3 client and server joined by memory BIOs, for
 * checking model/ (and through it src/) against a real TLS stack.
 *
 *        client SSL                                   server SSL
 *   SSL_write -> c_out ==[sslpair_take(p, CLIENT)]==> s_in -> SSL_read
 *   SSL_read  <- c_in  <==[sslpair_feed(p, CLIENT)]== s_out <- SSL_write
 *
 * During sslpair_handshake() the pair moves the bytes itself and keeps a
 * copy of every encrypted handshake record (the Finished of TLS 1.2, the
 * encrypted flights of TLS 1.3).  After it, nothing moves unless the test
 * moves it: sslpair_take() returns what one side wrote (whole records),
 * the test looks at them, and sslpair_feed() gives bytes (the same ones or
 * its own) to the other side.
 *
 * Settings: exactly the suite's protocol version and cipher; TLS 1.0/1.1
 * at @SECLEVEL=0; no encrypt-then-MAC (FreeBSD KTLS does MAC-then-encrypt);
 * no TLS 1.3 tickets; the RSA-2048 self-signed certificate of
 * uk_ssl_identity() (<uktls/ssl.h>), made at run time (call
 * sslpair_global_init() once, e.g. before Check forks).
 *
 * sslpair_keys() derives both directions' record keys from the key log the
 * pair captured (through model/tls_keys) and checks them by opening the
 * encrypted handshake records with them; it returns the sequence number of
 * the first application record in each direction.
 */
#ifndef UKTEST_SSLPAIR_H
#define UKTEST_SSLPAIR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "tls_keys.h"
#include "tls_record.h"

enum sslpair_side {
	SSLPAIR_CLIENT,
	SSLPAIR_SERVER,
};

/* The encrypted records one side sent during the handshake. */
struct sslpair_records {
	uint8_t	*buf;
	size_t	 len, cap;
	size_t	 count;
};

struct sslpair {
	const struct tlsm_suite *suite;
	SSL_CTX	*cctx, *sctx;
	SSL	*ssl[2];		/* by enum sslpair_side */
	BIO	*in[2], *out[2];	/* read / write BIO of each side */
	char	*keylog;		/* NSS key log lines, both sides */
	size_t	 keylog_len, keylog_cap;
	struct sslpair_records hs[2];	/* sent by each side */
	int	 ccs_seen[2];
};

/* One direction's record state after the handshake. */
struct sslpair_dir {
	struct tlsm_state st;
	uint64_t	seq;		/* of the next record */
};

/* Make the certificate (idempotent); 0 or -1.  _free forgets it. */
int	sslpair_global_init(void);
void	sslpair_global_free(void);

/*
 * The OpenSSL name of the cipher suite for a model suite (a TLS 1.3
 * ciphersuite name or a TLS 1.2 cipher list name), or NULL if libssl
 * offers no such suite (AES-128-CBC with HMAC-SHA384 exists only in
 * FreeBSD's table).
 */
const char *sslpair_cipher_name(const struct tlsm_suite *s);

/* 0, or -1 with the reason on stderr. */
int	sslpair_init(struct sslpair *p, const struct tlsm_suite *s);
int	sslpair_handshake(struct sslpair *p);
int	sslpair_keys(struct sslpair *p, struct sslpair_dir *c2s,
	    struct sslpair_dir *s2c);
void	sslpair_free(struct sslpair *p);

/* SSL_write all of buf on one side; 0 or -1. */
int	sslpair_write(struct sslpair *p, enum sslpair_side from,
	    const void *buf, size_t len);
/*
 * Everything `from` has written and nobody has taken yet, in a malloc'd
 * buffer (*len may be 0; free it).
 */
uint8_t *sslpair_take(struct sslpair *p, enum sslpair_side from, size_t *len);
/* Give bytes to `to`'s read side; 0 or -1. */
int	sslpair_feed(struct sslpair *p, enum sslpair_side to, const void *buf,
	    size_t len);
/*
 * SSL_read on `at` until len bytes came or it wants more input; returns
 * the byte count, or -1 on a TLS error (the SSL_get_error code in *err if
 * err is not NULL).
 */
long	sslpair_read(struct sslpair *p, enum sslpair_side at, void *buf,
	    size_t len, int *err);

#endif /* UKTEST_SSLPAIR_H */
