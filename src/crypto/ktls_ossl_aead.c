/*
 * AEAD record protection: AES-GCM and ChaCha20-Poly1305 on TLS 1.2 and
 * TLS 1.3 (the ktls_ocf.c tls12_aead and tls13_aead operations).
 *
 *   TLS 1.2  nonce  GCM: salt[4] || explicit nonce[8] (from the header,
 *                   RFC 5288 3); ChaCha: iv[12] ^ BE64(seq) (RFC 7905 2)
 *            AAD    seq, type, version, plaintext length (RFC 5246 6.2.3.3)
 *            body   ciphertext || tag[16]
 *   TLS 1.3  nonce  iv[12] ^ BE64(seq) in the last 8 bytes (RFC 8446 5.3)
 *            AAD    the 5-byte outer header, length = whole body
 *            body   enc(content || type || zeros) || tag[16]
 *
 * On transmit the part of the plaintext after the payload (the TLS 1.3
 * inner type and any zero padding) sits at the start of the trailer and
 * the cursor carries on into it; the tag goes at the end of the trailer.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <uktls/ktls.h>

#include "sys/errno.h"

#include "ktls_ossl.h"

/* iv ^ BE64(seq) over the last 8 bytes: TLS 1.3 and ChaCha on TLS 1.2. */
static void
ko_xor_nonce(const struct khost_crypto *c, uint64_t seqno,
    uint8_t nonce[KO_NONCE_LEN])
{
	uint8_t seq[8];
	int i;

	memcpy(nonce, c->kc_iv, KO_NONCE_LEN);
	ko_be64enc(seq, seqno);
	for (i = 0; i < 8; i++)
		nonce[KO_NONCE_LEN - 8 + i] ^= seq[i];
}

static void
ko_tls12_nonce(const struct khost_crypto *c, const uint8_t *hdr,
    uint64_t seqno, uint8_t nonce[KO_NONCE_LEN])
{

	if (c->kc_suite->ks_chacha12) {
		ko_xor_nonce(c, seqno, nonce);
	} else {
		memcpy(nonce, c->kc_iv, TLS_AEAD_GCM_LEN);
		memcpy(nonce + TLS_AEAD_GCM_LEN, hdr + 5,
		    KO_NONCE_LEN - TLS_AEAD_GCM_LEN);
	}
}

/*
 * Seal the payload (then extralen bytes of the trailer) into the
 * destination and put the tag at tag.
 */
static int
ko_aead_seal(struct khost_crypto *c, const uint8_t *nonce,
    const uint8_t *aad, int aadlen, const struct ko_rec *rec, uint8_t *extra,
    size_t extralen, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx;
	struct ko_cur in, out;
	uint8_t fin[KO_BLOCK_LEN];
	size_t n;
	int outl;

	ctx = c->kc_cctx;
	n = rec->plen + extralen;
	if (ko_cipher_reiv(c, nonce) != 0 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, aad, aadlen) != 1)
		return (KE_EIO);
	ko_cur_init(&in, rec->src, rec->nsrc, extra, extralen, n);
	ko_cur_init(&out, rec->dst, rec->ndst, extra, extralen, n);
	if (ko_cipher_stream(ctx, &in, &out, n, 1) != 0)
		return (KE_EIO);
	if (EVP_CipherFinal_ex(ctx, fin, &outl) != 1 || outl != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, KO_TAG_LEN,
	    tag) != 1)
		return (KE_EIO);
	return (0);
}

/*
 * Open the first n bytes of the body in place; the tag follows them.
 * Returns 0, EBADMSG (the bytes are then zeroed) or EIO.
 */
static int
ko_aead_open(struct khost_crypto *c, const uint8_t *nonce,
    const uint8_t *aad, int aadlen, const struct ko_rxrec *rx, size_t n)
{
	EVP_CIPHER_CTX *ctx;
	struct ko_cur in, out;
	uint8_t tag[KO_TAG_LEN], fin[KO_BLOCK_LEN];
	int outl;

	ctx = c->kc_cctx;
	ko_iov_read_at(rx->iov, rx->niov, n, tag, KO_TAG_LEN);
	if (ko_cipher_reiv(c, nonce) != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, KO_TAG_LEN,
	    tag) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &outl, aad, aadlen) != 1)
		return (KE_EIO);
	ko_cur_init(&in, rx->iov, rx->niov, NULL, 0, n);
	ko_cur_init(&out, rx->iov, rx->niov, NULL, 0, n);
	if (ko_cipher_stream(ctx, &in, &out, n, 1) != 0)
		return (KE_EIO);
	if (EVP_CipherFinal_ex(ctx, fin, &outl) != 1) {
		ko_iov_zero(rx->iov, rx->niov, n);
		return (KE_EBADMSG);
	}
	return (0);
}

static int
ko_tls12_aead_encrypt(struct khost_crypto *c, const struct ko_rec *rec)
{
	uint8_t nonce[KO_NONCE_LEN], ad[13];

	if (rec->trllen != KO_TAG_LEN)
		return (KE_EIO);
	ko_tls12_nonce(c, rec->hdr, rec->seqno, nonce);
	ko_tls12_ad(ad, rec->seqno, rec->hdr, rec->plen);
	return (ko_aead_seal(c, nonce, ad, sizeof(ad), rec, NULL, 0,
	    rec->trailer));
}

static int
ko_tls12_aead_decrypt(struct khost_crypto *c, const struct ko_rxrec *rx,
    int *trailer_len, uint8_t *record_type)
{
	uint8_t nonce[KO_NONCE_LEN], ad[13];
	size_t n;
	int error;

	if (rx->bodylen < KO_TAG_LEN)
		return (KE_EMSGSIZE);
	n = rx->bodylen - KO_TAG_LEN;
	ko_tls12_nonce(c, rx->hdr, rx->seqno, nonce);
	ko_tls12_ad(ad, rx->seqno, rx->hdr, n);
	error = ko_aead_open(c, nonce, ad, sizeof(ad), rx, n);
	if (error != 0)
		return (error);
	*trailer_len = KO_TAG_LEN;
	*record_type = rx->hdr[0];
	return (0);
}

static int
ko_tls13_aead_encrypt(struct khost_crypto *c, const struct ko_rec *rec)
{
	uint8_t nonce[KO_NONCE_LEN];
	size_t extralen;

	/* Inner type, optional zero padding, tag. */
	if (rec->trllen < KO_TAG_LEN + 1)
		return (KE_EIO);
	extralen = (size_t)rec->trllen - KO_TAG_LEN;
	rec->trailer[0] = rec->record_type;
	memset(rec->trailer + 1, 0, extralen - 1);
	ko_xor_nonce(c, rec->seqno, nonce);
	return (ko_aead_seal(c, nonce, rec->hdr, 5, rec, rec->trailer,
	    extralen, rec->trailer + extralen));
}

static int
ko_tls13_aead_decrypt(struct khost_crypto *c, const struct ko_rxrec *rx,
    int *trailer_len, uint8_t *record_type)
{
	uint8_t nonce[KO_NONCE_LEN], type;
	size_t n, pos;
	int error;

	/* At least the inner type must be there (as ktls_ocf.c). */
	if (rx->bodylen < KO_TAG_LEN + 1)
		return (KE_EBADMSG);
	n = rx->bodylen - KO_TAG_LEN;
	ko_xor_nonce(c, rx->seqno, nonce);
	error = ko_aead_open(c, nonce, rx->hdr, 5, rx, n);
	if (error != 0)
		return (error);
	/* RFC 8446 5.4: the type is the last non-zero byte. */
	if (ko_iov_last_nonzero(rx->iov, rx->niov, n, &pos, &type) != 0)
		return (KE_EBADMSG);
	*trailer_len = (int)(rx->bodylen - pos);
	*record_type = type;
	return (0);
}

const struct ko_ops ko_tls12_aead_ops = {
	.ko_name = "tls12_aead",
	.ko_encrypt = ko_tls12_aead_encrypt,
	.ko_decrypt = ko_tls12_aead_decrypt,
};

const struct ko_ops ko_tls13_aead_ops = {
	.ko_name = "tls13_aead",
	.ko_encrypt = ko_tls13_aead_encrypt,
	.ko_decrypt = ko_tls13_aead_decrypt,
};
