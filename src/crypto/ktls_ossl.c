/*
 * Software TLS record crypto on OpenSSL 3: the analogue of FreeBSD's
 * sys/opencrypto/ktls_ocf.c, behind the khost_crypto_* functions of
 * sys/khost.h.
 *
 * Design
 * ------
 * A session direction is a struct khost_crypto: a row of the suite table
 * below (cipher, key size, MAC, TLS version -> OpenSSL names, header
 * length, IV rules) and a class of operations, as BearSSL splits its
 * record layer into "classes" with a const table of functions:
 *
 *   ko_tls12_aead_ops  AES-GCM and ChaCha20-Poly1305 on TLS 1.2
 *                      (ktls_ossl_aead.c)
 *   ko_tls13_aead_ops  the same ciphers on TLS 1.3 (ktls_ossl_aead.c)
 *   ko_cbc_ops         AES-CBC with HMAC, MAC-then-encrypt, TLS 1.0-1.2
 *                      (ktls_ossl_cbc.c)
 *
 * The EVP cipher context is keyed once, at create, for the session's
 * direction; each record only sets a new IV/nonce (EVP_CipherInit_ex2 with
 * no key), so the key schedule is not redone per record.  The HMAC
 * context is re-initialised per record from the kept key copy.  A mutex
 * per session serialises records, so concurrent calls on one session are
 * safe too (the caller promises not to need it, except for the ordering
 * of TLS 1.0 records, which it guarantees itself); different sessions
 * share nothing.
 *
 * Records are never gathered.  A cursor (ktls_ossl_iov.c) walks the
 * payload slices and then the part of the cipher stream that lives in
 * the trailer buffer (CBC MAC and padding, TLS 1.3 inner type), and
 * ko_cipher_stream() feeds EVP contiguous runs straight from source to
 * destination.  CBC runs are cut to whole blocks so EVP never holds a
 * partial block back and output stays at the input's position; a block
 * that straddles two slices goes through a 16-byte bounce buffer.  That
 * is what makes in-place operation safe: the output never overtakes the
 * input.
 *
 * Decryption is in place.  OpenSSL decrypts before it can say whether
 * the tag is good, so a record that fails authentication has its bytes
 * zeroed: no unauthenticated plaintext is left for a careless caller.
 *
 * Counters: KC_CRYPTO_BYTES grows by the payload length of each record
 * encrypted, and by the plaintext length of each record decrypted
 * successfully (tags, MACs, padding and the TLS 1.3 inner type are not
 * payload).  Nothing is copied, so KC_COPY_BYTES is left alone.
 *
 * Errors (FreeBSD values):
 *   create   EINVAL    bad pointer, direction, version, key or IV
 *                      length, missing HMAC for CBC, HMAC for an AEAD,
 *                      or a cipher/MAC/version combination FreeBSD
 *                      does not accept
 *            ENOTSUP   an unknown cipher or MAC id, or the host's
 *                      libcrypto lacks the algorithm
 *            ENOMEM
 *   encrypt  EIO       anything (bad framing given, libcrypto failure)
 *   decrypt  EMSGSIZE  a length that cannot be valid (header vs. body,
 *                      AEAD body shorter than its tag, CBC body not
 *                      whole blocks or shorter than MAC + 1)
 *            EBADMSG   tag, MAC or padding wrong; TLS 1.3 with no
 *                      content type (including a body shorter than
 *                      tag + 1, as ktls_ocf.c does)
 *            EINVAL    caller error (wrong direction or header length)
 *            EIO       libcrypto failure
 *
 * Differences from ktls_ocf.c: CBC can decrypt (FreeBSD 14 can too, but
 * refuses TLS 1.0 for RX in ktls_create_session; this backend chains the
 * TLS 1.0 IV on receive as well, moving it on only when a record is
 * accepted); TLS 1.3 encryption accepts a trailer longer than 17 bytes
 * and fills the difference with zero padding.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <uktls/ktls.h>

#include "sys/errno.h"
#include "sys/khost.h"

#include "ktls_ossl.h"

/*
 * The sixteen suites (freebsd-ktls.md section 2).  ks_ivlen -1: the
 * key block IV is not used (CBC 1.1+ sends an explicit IV per record),
 * so any iv_len up to 16 is accepted and ignored.
 */
static const struct ko_suite ko_suites[] = {
	{ CRYPTO_AES_NIST_GCM_16, 16, 0, TLS_MINOR_VER_TWO, "AES-128-GCM",
	    NULL, 0, TLS_AEAD_GCM_LEN, 13, 0, 0, &ko_tls12_aead_ops },
	{ CRYPTO_AES_NIST_GCM_16, 32, 0, TLS_MINOR_VER_TWO, "AES-256-GCM",
	    NULL, 0, TLS_AEAD_GCM_LEN, 13, 0, 0, &ko_tls12_aead_ops },
	{ CRYPTO_AES_NIST_GCM_16, 16, 0, TLS_MINOR_VER_THREE, "AES-128-GCM",
	    NULL, 0, TLS_1_3_GCM_IV_LEN, 5, 0, 0, &ko_tls13_aead_ops },
	{ CRYPTO_AES_NIST_GCM_16, 32, 0, TLS_MINOR_VER_THREE, "AES-256-GCM",
	    NULL, 0, TLS_1_3_GCM_IV_LEN, 5, 0, 0, &ko_tls13_aead_ops },
	{ CRYPTO_CHACHA20_POLY1305, 32, 0, TLS_MINOR_VER_TWO,
	    "ChaCha20-Poly1305", NULL, 0, TLS_CHACHA20_IV_LEN, 5, 0, 1,
	    &ko_tls12_aead_ops },
	{ CRYPTO_CHACHA20_POLY1305, 32, 0, TLS_MINOR_VER_THREE,
	    "ChaCha20-Poly1305", NULL, 0, TLS_CHACHA20_IV_LEN, 5, 0, 0,
	    &ko_tls13_aead_ops },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ZERO,
	    "AES-128-CBC", "SHA1", SHA1_HASH_LEN, TLS_CBC_IMPLICIT_IV_LEN, 5,
	    1, 0, &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 32, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ZERO,
	    "AES-256-CBC", "SHA1", SHA1_HASH_LEN, TLS_CBC_IMPLICIT_IV_LEN, 5,
	    1, 0, &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ONE,
	    "AES-128-CBC", "SHA1", SHA1_HASH_LEN, -1, 21, 0, 0, &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 32, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ONE,
	    "AES-256-CBC", "SHA1", SHA1_HASH_LEN, -1, 21, 0, 0, &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_TWO,
	    "AES-128-CBC", "SHA1", SHA1_HASH_LEN, -1, 21, 0, 0, &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 32, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_TWO,
	    "AES-256-CBC", "SHA1", SHA1_HASH_LEN, -1, 21, 0, 0, &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_256_HMAC, TLS_MINOR_VER_TWO,
	    "AES-128-CBC", "SHA2-256", SHA2_256_HASH_LEN, -1, 21, 0, 0,
	    &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 32, CRYPTO_SHA2_256_HMAC, TLS_MINOR_VER_TWO,
	    "AES-256-CBC", "SHA2-256", SHA2_256_HASH_LEN, -1, 21, 0, 0,
	    &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 16, CRYPTO_SHA2_384_HMAC, TLS_MINOR_VER_TWO,
	    "AES-128-CBC", "SHA2-384", SHA2_384_HASH_LEN, -1, 21, 0, 0,
	    &ko_cbc_ops },
	{ CRYPTO_AES_CBC, 32, CRYPTO_SHA2_384_HMAC, TLS_MINOR_VER_TWO,
	    "AES-256-CBC", "SHA2-384", SHA2_384_HASH_LEN, -1, 21, 0, 0,
	    &ko_cbc_ops },
};

#define	KO_NSUITES	(sizeof(ko_suites) / sizeof(ko_suites[0]))

/* Validate the parameters and find the suite row; 0, EINVAL or ENOTSUP. */
static int
ko_lookup(const struct khost_tls_keys *k, const struct ko_suite **sp)
{
	const struct ko_suite *s;
	size_t i;

	switch (k->cipher_algorithm) {
	case CRYPTO_AES_NIST_GCM_16:
	case CRYPTO_CHACHA20_POLY1305:
		/* AEADs authenticate themselves. */
		if (k->auth_algorithm != 0 || k->auth_key_len != 0)
			return (KE_EINVAL);
		break;
	case CRYPTO_AES_CBC:
		switch (k->auth_algorithm) {
		case CRYPTO_SHA1_HMAC:
		case CRYPTO_SHA2_256_HMAC:
		case CRYPTO_SHA2_384_HMAC:
			break;
		case 0:
			return (KE_EINVAL);
		default:
			return (KE_EOPNOTSUPP);
		}
		if (k->auth_key == NULL || k->auth_key_len <= 0 ||
		    k->auth_key_len > TLS_MAX_PARAM_SIZE)
			return (KE_EINVAL);
		break;
	default:
		return (KE_EOPNOTSUPP);
	}
	if (k->tls_vmajor != TLS_MAJOR_VER_ONE || k->cipher_key == NULL)
		return (KE_EINVAL);

	for (i = 0; i < KO_NSUITES; i++) {
		s = &ko_suites[i];
		if (s->ks_cipher == k->cipher_algorithm &&
		    s->ks_keylen == k->cipher_key_len &&
		    s->ks_auth == k->auth_algorithm &&
		    s->ks_vminor == k->tls_vminor)
			break;
	}
	if (i == KO_NSUITES)
		return (KE_EINVAL);

	if (s->ks_ivlen >= 0) {
		if (k->iv_len != s->ks_ivlen || k->iv == NULL)
			return (KE_EINVAL);
	} else {
		if (k->iv_len < 0 || k->iv_len > TLS_CBC_IMPLICIT_IV_LEN ||
		    (k->iv_len > 0 && k->iv == NULL))
			return (KE_EINVAL);
	}
	*sp = s;
	return (0);
}

void
khost_crypto_destroy(struct khost_crypto *c)
{

	if (c == NULL)
		return;
	EVP_MAC_CTX_free(c->kc_mctx);
	EVP_MAC_free(c->kc_mac);
	EVP_CIPHER_CTX_free(c->kc_cctx);
	EVP_CIPHER_free(c->kc_cipher);
	if (c->kc_authkey != NULL) {
		OPENSSL_cleanse(c->kc_authkey, c->kc_authkeylen);
		free(c->kc_authkey);
	}
	pthread_mutex_destroy(&c->kc_lock);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* Key the cipher (and HMAC) contexts once for the session's direction. */
static int
ko_setup_evp(struct khost_crypto *c)
{
	const struct ko_suite *s;
	OSSL_PARAM params[2];

	s = c->kc_suite;
	c->kc_cipher = EVP_CIPHER_fetch(NULL, s->ks_evp_cipher, NULL);
	if (c->kc_cipher == NULL)
		return (KE_EOPNOTSUPP);
	c->kc_cctx = EVP_CIPHER_CTX_new();
	if (c->kc_cctx == NULL)
		return (KE_ENOMEM);
	if (EVP_CipherInit_ex2(c->kc_cctx, c->kc_cipher, c->kc_key, NULL,
	    c->kc_direction == KTLS_TX ? 1 : 0, NULL) != 1)
		return (KE_EOPNOTSUPP);
	if (s->ks_evp_digest == NULL)
		return (0);

	/* CBC: whole blocks only, padding is TLS's business. */
	EVP_CIPHER_CTX_set_padding(c->kc_cctx, 0);
	c->kc_mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (c->kc_mac == NULL)
		return (KE_EOPNOTSUPP);
	c->kc_mctx = EVP_MAC_CTX_new(c->kc_mac);
	if (c->kc_mctx == NULL)
		return (KE_ENOMEM);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)s->ks_evp_digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(c->kc_mctx, c->kc_authkey, c->kc_authkeylen,
	    params) != 1 || EVP_MAC_CTX_get_mac_size(c->kc_mctx) !=
	    (size_t)s->ks_maclen)
		return (KE_EOPNOTSUPP);
	return (0);
}

int
khost_crypto_create(const struct khost_tls_keys *keys, int direction,
    struct khost_crypto **cp)
{
	const struct ko_suite *s;
	struct khost_crypto *c;
	int error;

	if (keys == NULL || cp == NULL ||
	    (direction != KTLS_TX && direction != KTLS_RX))
		return (KE_EINVAL);
	error = ko_lookup(keys, &s);
	if (error != 0)
		return (error);

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return (KE_ENOMEM);
	if (pthread_mutex_init(&c->kc_lock, NULL) != 0) {
		free(c);
		return (KE_ENOMEM);
	}
	c->kc_suite = s;
	c->kc_direction = direction;
	memcpy(c->kc_key, keys->cipher_key, keys->cipher_key_len);
	c->kc_keylen = keys->cipher_key_len;
	/* CBC 1.1+ ignores the key block IV; keep nothing of it. */
	if (s->ks_ivlen > 0) {
		memcpy(c->kc_iv, keys->iv, s->ks_ivlen);
		c->kc_ivlen = s->ks_ivlen;
	}
	if (s->ks_implicit_iv)
		memcpy(c->kc_chain, keys->iv, KO_BLOCK_LEN);
	if (s->ks_auth != 0) {
		c->kc_authkey = malloc(keys->auth_key_len);
		if (c->kc_authkey == NULL) {
			khost_crypto_destroy(c);
			return (KE_ENOMEM);
		}
		memcpy(c->kc_authkey, keys->auth_key, keys->auth_key_len);
		c->kc_authkeylen = keys->auth_key_len;
	}

	error = ko_setup_evp(c);
	if (error != 0) {
		khost_crypto_destroy(c);
		return (error);
	}
	*cp = c;
	return (0);
}

/* Start a new record on the keyed context: only the IV changes. */
int
ko_cipher_reiv(struct khost_crypto *c, const uint8_t *iv)
{

	if (EVP_CipherInit_ex2(c->kc_cctx, NULL, NULL, iv, -1, NULL) != 1)
		return (KE_EIO);
	if (c->kc_suite->ks_evp_digest != NULL)
		EVP_CIPHER_CTX_set_padding(c->kc_cctx, 0);
	return (0);
}

/*
 * Pass n bytes of the stream at cursor in through the cipher to cursor
 * out (the two may describe the same memory: in place).  blk is 1 for
 * the AEAD stream ciphers and 16 for CBC; n is a multiple of it.  Runs
 * are cut to whole blocks so that EVP returns every byte it is given at
 * once and the output lands exactly where the input came from.
 */
int
ko_cipher_stream(EVP_CIPHER_CTX *ctx, struct ko_cur *in, struct ko_cur *out,
    size_t n, size_t blk)
{
	uint8_t bin[KO_BLOCK_LEN], bout[KO_BLOCK_LEN];
	uint8_t *ip, *op;
	size_t ilen, olen, len;
	int outl, error;

	error = 0;
	while (n > 0) {
		ilen = ko_cur_span(in, &ip);
		olen = ko_cur_span(out, &op);
		len = ilen < olen ? ilen : olen;
		if (len > n)
			len = n;
		if (len > INT_MAX / 2)
			len = INT_MAX / 2;
		len -= len % blk;
		if (len > 0) {
			if (EVP_CipherUpdate(ctx, op, &outl, ip,
			    (int)len) != 1 || (size_t)outl != len) {
				error = KE_EIO;
				break;
			}
			ko_cur_advance(in, len);
			ko_cur_advance(out, len);
			n -= len;
			continue;
		}
		/* A block straddles two slices, or the stream ran out. */
		if (ilen == 0 || olen == 0 || n < blk) {
			error = KE_EIO;
			break;
		}
		ko_cur_read(in, bin, blk);
		if (EVP_CipherUpdate(ctx, bout, &outl, bin, (int)blk) != 1 ||
		    (size_t)outl != blk) {
			error = KE_EIO;
			break;
		}
		ko_cur_write(out, bout, blk);
		n -= blk;
	}
	OPENSSL_cleanse(bin, sizeof(bin));
	OPENSSL_cleanse(bout, sizeof(bout));
	return (error);
}

int
khost_crypto_encrypt(struct khost_crypto *c, const uint8_t *hdr, int hdrlen,
    uint64_t seqno, uint8_t record_type, const struct khost_iov *src,
    int nsrc, const struct khost_iov *dst, int ndst, uint8_t *trailer,
    int trllen)
{
	struct ko_rec rec;
	int error;

	if (c == NULL || hdr == NULL || c->kc_direction != KTLS_TX ||
	    hdrlen != c->kc_suite->ks_hdrlen || nsrc < 0 || ndst < 0 ||
	    (nsrc > 0 && src == NULL) || (ndst > 0 && dst == NULL) ||
	    trailer == NULL || trllen <= 0)
		return (KE_EIO);
	rec.hdr = hdr;
	rec.hdrlen = hdrlen;
	rec.seqno = seqno;
	rec.record_type = record_type;
	rec.src = src;
	rec.nsrc = nsrc;
	rec.dst = dst;
	rec.ndst = ndst;
	rec.trailer = trailer;
	rec.trllen = trllen;
	rec.plen = ko_iov_total(src, nsrc);
	/* The framing must agree with itself: the header says it all. */
	if (ko_iov_total(dst, ndst) != rec.plen ||
	    (size_t)ko_be16dec(hdr + 3) !=
	    (size_t)hdrlen - 5 + rec.plen + (size_t)trllen)
		return (KE_EIO);

	pthread_mutex_lock(&c->kc_lock);
	error = c->kc_suite->ks_ops->ko_encrypt(c, &rec);
	pthread_mutex_unlock(&c->kc_lock);
	if (error == 0)
		khost_counter_add(KC_CRYPTO_BYTES, (int64_t)rec.plen);
	return (error);
}

int
khost_crypto_decrypt(struct khost_crypto *c, const uint8_t *hdr, int hdrlen,
    uint64_t seqno, const struct khost_iov *iov, int niov, int *trailer_len,
    uint8_t *record_type)
{
	struct ko_rxrec rx;
	uint8_t type;
	int error, tlen;

	if (c == NULL || hdr == NULL || trailer_len == NULL ||
	    record_type == NULL || c->kc_direction != KTLS_RX ||
	    hdrlen != c->kc_suite->ks_hdrlen || niov < 0 ||
	    (niov > 0 && iov == NULL))
		return (KE_EINVAL);
	rx.hdr = hdr;
	rx.hdrlen = hdrlen;
	rx.seqno = seqno;
	rx.iov = iov;
	rx.niov = niov;
	rx.bodylen = ko_iov_total(iov, niov);
	if ((size_t)ko_be16dec(hdr + 3) != (size_t)hdrlen - 5 + rx.bodylen)
		return (KE_EMSGSIZE);

	pthread_mutex_lock(&c->kc_lock);
	error = c->kc_suite->ks_ops->ko_decrypt(c, &rx, &tlen, &type);
	pthread_mutex_unlock(&c->kc_lock);
	if (error == 0) {
		*trailer_len = tlen;
		*record_type = type;
		khost_counter_add(KC_CRYPTO_BYTES,
		    (int64_t)(rx.bodylen - (size_t)tlen));
	}
	return (error);
}
