/*
 * Record keys from the key log, the way a capture tool derives them, for
 * the directions libssl does not hand over (and to check the ones it
 * does): OpenSSL's own KDFs, fed with what the NSS key log and the
 * public SSL API give.
 *
 *   TLS 1.0-1.2   key_block = PRF(master, "key expansion",
 *                                 server_random | client_random)
 *                 cut into client MAC key, server MAC key, client key,
 *                 server key, client IV, server IV (RFC 5246 6.3);
 *                 EVP_KDF "TLS1-PRF" with digest MD5-SHA1 (1.0, 1.1) or
 *                 the suite's PRF hash (1.2).
 *   TLS 1.3       key = HKDF-Expand-Label(secret, "key", "", key_len)
 *                 iv  = HKDF-Expand-Label(secret, "iv", "", 12)
 *                 (RFC 8446 7.3); EVP_KDF "TLS13-KDF", expand only, from
 *                 CLIENT_TRAFFIC_SECRET_0 or SERVER_TRAFFIC_SECRET_0.
 *
 * The IV struct tls_enable wants: the 4-byte salt for 1.2 GCM, the
 * 12-byte IV for ChaCha20-Poly1305 and 1.3, the 16-byte chaining IV for
 * 1.0 CBC (the caller replaces it once records have gone by), nothing
 * for CBC 1.1 and 1.2 (explicit IVs).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include <uktls/ktls.h>

#include "uk_ssl_int.h"

static int
ukk_fail(char *msg, size_t msglen, int error, const char *what)
{

	if (msg != NULL && msglen > 0)
		snprintf(msg, msglen, "%s", what);
	return (error);
}

static int
ukk_hexval(int c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Exactly 2 * len hex digits to bytes. */
static int
ukk_unhex(const char *h, size_t hlen, uint8_t *out, size_t len)
{
	size_t i;
	int hi, lo;

	if (hlen != 2 * len)
		return (-1);
	for (i = 0; i < len; i++) {
		hi = ukk_hexval((unsigned char)h[2 * i]);
		lo = ukk_hexval((unsigned char)h[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return (-1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (0);
}

/*
 * The secret of the line "label <client random> <secret>" in log; its
 * length in *slen (at most 64 bytes), or -1 if there is none.
 */
static int
ukk_find(const char *log, size_t len, const char *label,
    const uint8_t cr[32], uint8_t *secret, size_t *slen)
{
	const char *end, *f2, *f3, *line, *nl;
	uint8_t rnd[32];
	size_t llen;

	llen = strlen(label);
	for (line = log, end = log + len; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		f2 = line + llen + 1;
		if ((size_t)(nl - line) <= llen + 1 + 64 + 1 ||
		    memcmp(line, label, llen) != 0 || line[llen] != ' ')
			continue;
		f3 = f2 + 64;
		if (*f3 != ' ' || ukk_unhex(f2, 64, rnd, sizeof(rnd)) != 0 ||
		    memcmp(rnd, cr, sizeof(rnd)) != 0)
			continue;
		f3++;
		*slen = (size_t)(nl - f3) / 2;
		if (*slen == 0 || *slen > 64 ||
		    ukk_unhex(f3, (size_t)(nl - f3), secret, *slen) != 0)
			continue;
		return (0);
	}
	return (-1);
}

/* EVP_KDF "TLS1-PRF": out = PRF(secret, seed), seed holding the label. */
static int
ukk_tls1_prf(const char *digest, const uint8_t *secret, size_t slen,
    const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen)
{
	OSSL_PARAM params[4];
	EVP_KDF_CTX *ctx;
	EVP_KDF *kdf;
	int ok;

	kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return (-1);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
	    (void *)(uintptr_t)secret, slen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
	    (void *)(uintptr_t)seed, seedlen);
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);
	return (ok ? 0 : -1);
}

/* EVP_KDF "TLS13-KDF": HKDF-Expand-Label(secret, label, "", outlen). */
static int
ukk_expand_label(const char *digest, const uint8_t *secret, size_t slen,
    const char *label, uint8_t *out, size_t outlen)
{
	static const char prefix[] = "tls13 ";
	static unsigned char empty[1];
	OSSL_PARAM params[7];
	EVP_KDF_CTX *ctx;
	EVP_KDF *kdf;
	int mode, ok;

	kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return (-1);
	mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)digest, 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)secret, slen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX,
	    (void *)(uintptr_t)prefix, sizeof(prefix) - 1);
	params[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL,
	    (void *)(uintptr_t)label, strlen(label));
	params[5] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA,
	    empty, 0);
	params[6] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);
	return (ok ? 0 : -1);
}

/* The suite's record protection, from the negotiated cipher. */
static int
ukk_suite(const SSL_CIPHER *c, struct uk_ssl_keys *k, size_t *fixed_iv)
{

	switch (SSL_CIPHER_get_cipher_nid(c)) {
	case NID_aes_128_gcm:
		k->cipher = CRYPTO_AES_NIST_GCM_16;
		k->key_len = 16;
		*fixed_iv = 4;
		return (0);
	case NID_aes_256_gcm:
		k->cipher = CRYPTO_AES_NIST_GCM_16;
		k->key_len = 32;
		*fixed_iv = 4;
		return (0);
	case NID_chacha20_poly1305:
		k->cipher = CRYPTO_CHACHA20_POLY1305;
		k->key_len = 32;
		*fixed_iv = 12;
		return (0);
	case NID_aes_128_cbc:
		k->cipher = CRYPTO_AES_CBC;
		k->key_len = 16;
		*fixed_iv = 16;
		break;
	case NID_aes_256_cbc:
		k->cipher = CRYPTO_AES_CBC;
		k->key_len = 32;
		*fixed_iv = 16;
		break;
	default:
		return (-1);
	}
	switch (SSL_CIPHER_get_digest_nid(c)) {
	case NID_sha1:
		k->auth = CRYPTO_SHA1_HMAC;
		k->mac_len = SHA1_HASH_LEN;
		return (0);
	case NID_sha256:
		k->auth = CRYPTO_SHA2_256_HMAC;
		k->mac_len = SHA2_256_HASH_LEN;
		return (0);
	case NID_sha384:
		k->auth = CRYPTO_SHA2_384_HMAC;
		k->mac_len = SHA2_384_HASH_LEN;
		return (0);
	default:
		return (-1);
	}
}

int
uk_ssl_keylog_keys(SSL *ssl, const char *log, size_t len, int tx,
    struct uk_ssl_keys *k, char *msg, size_t msglen)
{
	uint8_t cr[32], sr[32], secret[64], seed[13 + 64], kb[2 * (48 + 32 +
	    16)];
	const SSL_CIPHER *c;
	const EVP_MD *md;
	const char *digest;
	size_t fixed_iv, off, slen;
	int client_write, version;

	memset(k, 0, sizeof(*k));
	version = SSL_version(ssl);
	c = SSL_get_current_cipher(ssl);
	if (c == NULL || version < TLS1_VERSION || version > TLS1_3_VERSION)
		return (ukk_fail(msg, msglen, EINVAL, "no TLS connection"));
	if (ukk_suite(c, k, &fixed_iv) != 0)
		return (ukk_fail(msg, msglen, EPROTONOSUPPORT,
		    "a cipher suite FreeBSD KTLS does not take"));
	k->vminor = (uint8_t)(version & 0xff);
	/* This end writes with the client's keys if it is the client. */
	client_write = (SSL_is_server(ssl) == 0) == (tx != 0);
	if (SSL_get_client_random(ssl, cr, sizeof(cr)) != sizeof(cr))
		return (ukk_fail(msg, msglen, EINVAL, "no client random"));
	/*
	 * The PRF and HKDF hash.  libssl reports MD5-SHA1 for the suites
	 * older than TLS 1.2 even when TLS 1.2 runs them; TLS 1.2 uses
	 * SHA-256 unless the suite names SHA-384 (RFC 5246 5).
	 */
	md = SSL_CIPHER_get_handshake_digest(c);
	if (version == TLS1_2_VERSION)
		digest = md != NULL && EVP_MD_get_type(md) == NID_sha384 ?
		    "SHA384" : "SHA256";
	else
		digest = md != NULL ? EVP_MD_get0_name(md) : NULL;

	if (version == TLS1_3_VERSION) {
		if (ukk_find(log, len, client_write ?
		    "CLIENT_TRAFFIC_SECRET_0" : "SERVER_TRAFFIC_SECRET_0", cr,
		    secret, &slen) != 0)
			return (ukk_fail(msg, msglen, ENOENT, client_write ?
			    "no CLIENT_TRAFFIC_SECRET_0 in the key log" :
			    "no SERVER_TRAFFIC_SECRET_0 in the key log"));
		if (digest == NULL || ukk_expand_label(digest, secret, slen,
		    "key", k->key, k->key_len) != 0 ||
		    ukk_expand_label(digest, secret, slen, "iv", k->iv,
		    12) != 0)
			return (ukk_fail(msg, msglen, EIO, "TLS13-KDF failed"));
		k->iv_len = 12;
		OPENSSL_cleanse(secret, sizeof(secret));
		return (0);
	}

	if (ukk_find(log, len, "CLIENT_RANDOM", cr, secret, &slen) != 0 ||
	    slen != 48)
		return (ukk_fail(msg, msglen, ENOENT,
		    "no CLIENT_RANDOM master secret in the key log"));
	if (SSL_get_server_random(ssl, sr, sizeof(sr)) != sizeof(sr))
		return (ukk_fail(msg, msglen, EINVAL, "no server random"));
	if (version < TLS1_2_VERSION)
		digest = "MD5-SHA1";
	memcpy(seed, "key expansion", 13);
	memcpy(seed + 13, sr, 32);
	memcpy(seed + 13 + 32, cr, 32);
	if (digest == NULL || ukk_tls1_prf(digest, secret, slen, seed,
	    sizeof(seed), kb, 2 * (k->mac_len + k->key_len + fixed_iv)) != 0) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return (ukk_fail(msg, msglen, EIO, "TLS1-PRF failed"));
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	off = client_write ? 0 : k->mac_len;
	memcpy(k->mac, kb + off, k->mac_len);
	off = 2 * k->mac_len + (client_write ? 0 : k->key_len);
	memcpy(k->key, kb + off, k->key_len);
	off = 2 * (k->mac_len + k->key_len) + (client_write ? 0 : fixed_iv);
	memcpy(k->iv, kb + off, fixed_iv);
	k->iv_len = fixed_iv;
	/* CBC 1.1 and 1.2 carry an explicit IV in every record. */
	if (k->cipher == CRYPTO_AES_CBC && version != TLS1_VERSION)
		k->iv_len = 0;
	OPENSSL_cleanse(kb, sizeof(kb));
	return (0);
}
