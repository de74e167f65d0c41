/*
 * model/tls_keys.h: the sixteen suites, key derivation and NSS key logs.
 *
 * From a key log line to a struct tlsm_state:
 *
 *   TLS 1.0-1.2: CLIENT_RANDOM <client random> <master secret>
 *       key_block = PRF(master, "key expansion", server_random |
 *       client_random), cut into MAC keys, keys and IVs (RFC 5246 §6.3).
 *   TLS 1.3: CLIENT_TRAFFIC_SECRET_0 <client random> <secret> (and the
 *       server's, and the handshake ones)
 *       key = HKDF-Expand-Label(secret, "key", "", key_length)
 *       iv  = HKDF-Expand-Label(secret, "iv", "", 12)  (RFC 8446 §7.3)
 *
 * Errors are <errno.h> values: EINVAL for bad input, EIO when libcrypto
 * fails, ENOMEM.
 */
#ifndef UKTLS_MODEL_TLS_KEYS_H
#define UKTLS_MODEL_TLS_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "tls_record.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A record-protection suite as FreeBSD KTLS sees it, plus the hash of the
 * PRF (TLS 1.0-1.2) or of HKDF (TLS 1.3) that derives its keys.
 */
struct tlsm_suite {
	const char	*name;		/* as FreeBSD's ktls_test.c names it */
	uint16_t	 version;
	enum tlsm_cipher cipher;
	size_t		 key_len;
	enum tlsm_mac	 mac;
	const char	*kdf_digest;	/* "MD5-SHA1", "SHA256", "SHA384" */
};

#define	TLSM_NSUITES	16
extern const struct tlsm_suite tlsm_suites[TLSM_NSUITES];

/* The suite called name, or NULL. */
const struct tlsm_suite *tlsm_suite_find(const char *name);

/*
 * The TLS PRF: P_hash of RFC 5246 §5 for TLS 1.2 (digest "SHA256" or
 * "SHA384"), the MD5/SHA-1 split PRF of RFC 2246 §5 for TLS 1.0 and 1.1
 * (digest "MD5-SHA1").  out = PRF(secret, label, seed)[0..outlen).
 */
int	tlsm_prf(const char *digest, const uint8_t *secret, size_t secret_len,
	    const char *label, const uint8_t *seed, size_t seed_len,
	    uint8_t *out, size_t out_len);

/* RFC 5246 §6.3 key block, cut up; lengths 0 where the suite has none. */
struct tlsm_key_block {
	uint8_t	client_mac[48], server_mac[48];
	uint8_t	client_key[32], server_key[32];
	uint8_t	client_iv[16], server_iv[16];
	size_t	mac_len, key_len, iv_len;
};

int	tlsm_key_block(const struct tlsm_suite *s, const uint8_t master[48],
	    const uint8_t client_random[32], const uint8_t server_random[32],
	    struct tlsm_key_block *kb);

/* TLS 1.0-1.2: the write states of the client and of the server. */
int	tlsm_tls12_states(const struct tlsm_suite *s, const uint8_t master[48],
	    const uint8_t client_random[32], const uint8_t server_random[32],
	    struct tlsm_state *client_write, struct tlsm_state *server_write);

/*
 * RFC 8446 §7.1 HKDF-Expand-Label(secret, label, context, length), with
 * "tls13 " prepended to label.
 */
int	tlsm_hkdf_expand_label(const char *digest, const uint8_t *secret,
	    size_t secret_len, const char *label, const uint8_t *context,
	    size_t context_len, uint8_t *out, size_t out_len);

/* TLS 1.3: the state that protects records under a traffic secret. */
int	tlsm_tls13_state(const struct tlsm_suite *s, const uint8_t *secret,
	    size_t secret_len, struct tlsm_state *st);

/*
 * NSS key log files (one "LABEL <client random hex> <secret hex>" per
 * line).  Entries are keyed by the client random; lines starting with #,
 * blank lines and labels not listed here are skipped.
 */
enum tlsm_kl_secret {
	TLSM_KL_CHTS,	/* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	TLSM_KL_SHTS,	/* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	TLSM_KL_CTS0,	/* CLIENT_TRAFFIC_SECRET_0 */
	TLSM_KL_STS0,	/* SERVER_TRAFFIC_SECRET_0 */
	TLSM_KL_NSECRETS
};

struct tlsm_keylog_entry {
	uint8_t	client_random[32];
	int	has_master;			/* CLIENT_RANDOM line seen */
	uint8_t	master[48];
	uint8_t	secret[TLSM_KL_NSECRETS][64];
	size_t	secret_len[TLSM_KL_NSECRETS];	/* 0: not in the log */
};

struct tlsm_keylog {
	struct tlsm_keylog_entry *ents;
	size_t	n, cap;
};

/*
 * Add the lines of text[0..len) to *kl (zero it before the first call).
 * A known label with malformed fields gives EINVAL and its 1-based line
 * number in *bad_line (may be NULL); the lines before it are kept.
 */
int	tlsm_keylog_parse(struct tlsm_keylog *kl, const char *text, size_t len,
	    size_t *bad_line);
/* The same for a file; also the errno of fopen/read. */
int	tlsm_keylog_load(struct tlsm_keylog *kl, const char *path,
	    size_t *bad_line);
const struct tlsm_keylog_entry *tlsm_keylog_find(const struct tlsm_keylog *kl,
	    const uint8_t client_random[32]);
void	tlsm_keylog_free(struct tlsm_keylog *kl);

/* Hex to bytes: exactly 2 * len hex digits; 0 or EINVAL. */
int	tlsm_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_MODEL_TLS_KEYS_H */
