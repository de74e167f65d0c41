/*
 * Internals of the software TLS record crypto backend (src/crypto), the
 * analogue of FreeBSD's sys/opencrypto/ktls_ocf.c on OpenSSL 3.  The
 * interface is the "software TLS record crypto" section of sys/khost.h;
 * the design note is at the top of ktls_ossl.c.
 *
 * Host world only: this header is seen by src/crypto and nothing else.
 */
#ifndef UK_KTLS_OSSL_H
#define UK_KTLS_OSSL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sys/khost.h"

#define	KO_TAG_LEN	16	/* GCM and Poly1305 tags */
#define	KO_BLOCK_LEN	16	/* AES block */
#define	KO_NONCE_LEN	12	/* AEAD nonce: GCM and ChaCha20-Poly1305 */
#define	KO_MAX_MAC_LEN	48	/* HMAC-SHA384 */
#define	KO_MAX_PAD	256	/* CBC padding incl. its length byte */
#define	KO_MAX_KEY_LEN	32

struct khost_crypto;

/*
 * One record to encrypt, as khost_crypto_encrypt() received it, plus the
 * payload length (the sum of the src lengths, equal to that of dst).
 */
struct ko_rec {
	const uint8_t		*hdr;
	int			 hdrlen;
	uint64_t		 seqno;
	uint8_t			 record_type;
	const struct khost_iov	*src;
	int			 nsrc;
	const struct khost_iov	*dst;
	int			 ndst;
	uint8_t			*trailer;
	int			 trllen;
	size_t			 plen;
};

/*
 * One record to decrypt in place: header (with explicit nonce/IV), the
 * body (ciphertext and trailer) and its total length.
 */
struct ko_rxrec {
	const uint8_t		*hdr;
	int			 hdrlen;
	uint64_t		 seqno;
	const struct khost_iov	*iov;
	int			 niov;
	size_t			 bodylen;
};

/*
 * The operations of one class of suites (BearSSL's record "classes").
 * Both run with the session locked and the lengths that do not depend on
 * the class already checked (header length, header vs. iov lengths).
 * encrypt returns 0 or EIO; decrypt returns 0, EBADMSG, EMSGSIZE or EIO,
 * and on success sets *trailer_len and *record_type.
 */
struct ko_ops {
	const char	*ko_name;
	int		(*ko_encrypt)(struct khost_crypto *,
			    const struct ko_rec *);
	int		(*ko_decrypt)(struct khost_crypto *,
			    const struct ko_rxrec *, int *, uint8_t *);
};

/* One row of the suite table: what a (cipher, key, MAC, version) means. */
struct ko_suite {
	int		 ks_cipher;	/* CRYPTO_* cipher id */
	int		 ks_keylen;	/* bytes */
	int		 ks_auth;	/* CRYPTO_*_HMAC or 0 */
	int		 ks_vminor;	/* TLS_MINOR_VER_* */
	const char	*ks_evp_cipher;	/* OpenSSL cipher name */
	const char	*ks_evp_digest;	/* OpenSSL digest (CBC) or NULL */
	int		 ks_maclen;	/* HMAC output bytes (CBC) or 0 */
	int		 ks_ivlen;	/* iv_len; -1: any 0..16, ignored */
	int		 ks_hdrlen;	/* 5, 13 (GCM 1.2) or 21 (CBC 1.1+) */
	int		 ks_implicit_iv; /* TLS 1.0 CBC: chained IV */
	int		 ks_chacha12;	/* ChaCha 1.2: nonce = iv ^ seq */
	const struct ko_ops *ks_ops;
};

/* Per session and direction.  Opaque outside src/crypto. */
struct khost_crypto {
	const struct ko_suite	*kc_suite;
	int			 kc_direction;	/* KTLS_TX or KTLS_RX */
	pthread_mutex_t		 kc_lock;	/* one record at a time */
	EVP_CIPHER		*kc_cipher;
	EVP_CIPHER_CTX		*kc_cctx;	/* keyed once, re-IV'd */
	EVP_MAC			*kc_mac;
	EVP_MAC_CTX		*kc_mctx;	/* HMAC (CBC only) */
	uint8_t			 kc_key[KO_MAX_KEY_LEN];
	int			 kc_keylen;
	uint8_t			*kc_authkey;	/* malloc'd copy */
	size_t			 kc_authkeylen;
	uint8_t			 kc_iv[KO_BLOCK_LEN];	/* salt or IV */
	int			 kc_ivlen;
	uint8_t			 kc_chain[KO_BLOCK_LEN]; /* TLS 1.0 next IV */
};

extern const struct ko_ops ko_tls12_aead_ops;
extern const struct ko_ops ko_tls13_aead_ops;
extern const struct ko_ops ko_cbc_ops;

/* ---- scatter/gather cursors (ktls_ossl_iov.c) ---------------------- */

/*
 * A cursor over a byte stream made of an iov array followed by an
 * optional extra segment (the part of the record that lives in the
 * trailer buffer), limited to resid bytes.
 */
struct ko_cur {
	const struct khost_iov	*kr_iov;
	int			 kr_niov;
	int			 kr_idx;	/* kr_niov: in the extra */
	size_t			 kr_off;	/* offset in the segment */
	uint8_t			*kr_extra;
	size_t			 kr_extralen;
	size_t			 kr_resid;	/* bytes left in the stream */
};

size_t	ko_iov_total(const struct khost_iov *iov, int niov);
void	ko_cur_init(struct ko_cur *cur, const struct khost_iov *iov,
	    int niov, uint8_t *extra, size_t extralen, size_t limit);
size_t	ko_cur_span(struct ko_cur *cur, uint8_t **pp);
void	ko_cur_advance(struct ko_cur *cur, size_t n);
void	ko_cur_read(struct ko_cur *cur, void *buf, size_t n);
void	ko_cur_write(struct ko_cur *cur, const void *buf, size_t n);
void	ko_iov_read_at(const struct khost_iov *iov, int niov, size_t off,
	    void *buf, size_t n);
void	ko_iov_zero(const struct khost_iov *iov, int niov, size_t n);
int	ko_iov_last_nonzero(const struct khost_iov *iov, int niov, size_t n,
	    size_t *posp, uint8_t *bytep);

/* ---- shared steps (ktls_ossl.c) ------------------------------------ */

int	ko_cipher_stream(EVP_CIPHER_CTX *ctx, struct ko_cur *in,
	    struct ko_cur *out, size_t n, size_t blk);
int	ko_cipher_reiv(struct khost_crypto *c, const uint8_t *iv);

static inline void
ko_be64enc(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline void
ko_be16enc(uint8_t *p, uint16_t v)
{

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
ko_be16dec(const uint8_t *p)
{

	return ((uint16_t)(p[0] << 8 | p[1]));
}

/*
 * The 13 bytes TLS 1.0-1.2 authenticate besides the payload (RFC 5246
 * 6.2.3.1 and 6.2.3.3): sequence number, type, version, plaintext length.
 */
static inline void
ko_tls12_ad(uint8_t ad[13], uint64_t seqno, const uint8_t *hdr, size_t plen)
{

	ko_be64enc(ad, seqno);
	ad[8] = hdr[0];
	ad[9] = hdr[1];
	ad[10] = hdr[2];
	ko_be16enc(ad + 11, (uint16_t)plen);
}

#endif /* !UK_KTLS_OSSL_H */
