/*
 * AES-CBC with HMAC, MAC-then-encrypt, on TLS 1.0, 1.1 and 1.2 (the
 * ktls_ocf.c tls_cbc operations; RFC 2246/4346/5246 6.2.3.2).
 *
 *   MAC     HMAC(seq, type, version, length, content)
 *   body    CBC(content || MAC || padding), padding = p + 1 bytes of
 *           value p, so that the body is whole blocks
 *   IV      TLS 1.1+: the explicit IV after the 5-byte header (random,
 *           written by the framing code); TLS 1.0: the last ciphertext
 *           block of the previous record, starting with the key block IV
 *
 * Transmit: the MAC is computed over the payload slices before anything
 * is overwritten (in place), written into the trailer with the padding,
 * and the cipher stream runs over payload then trailer.  The trailer is
 * MAC + padding >= 21 bytes, so the last block, which TLS 1.0 chains to
 * the next record, is always wholly inside it.
 *
 * Receive: decrypt the whole body in place, then check the padding over
 * a fixed window of up to 256 bytes (all of it, any length the peer
 * chose, not just minimal) and the MAC with CRYPTO_memcmp, and report a
 * bad pad and a bad MAC alike as EBADMSG after computing the MAC anyway,
 * so the time taken says little about which check failed.  The MAC's
 * own cost still depends on the content length (Lucky 13 remains, as in
 * FreeBSD); this is constant-time-ish, not constant-time.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <uktls/ktls.h>

#include "sys/errno.h"

#include "ktls_ossl.h"

/* HMAC of the record's pseudo-header and the first plen payload bytes. */
static int
ko_cbc_mac(struct khost_crypto *c, uint64_t seqno, const uint8_t *hdr,
    const struct khost_iov *iov, int niov, size_t plen, uint8_t *mac)
{
	struct ko_cur cur;
	uint8_t ad[13], *p;
	size_t len, outl;

	if (EVP_MAC_init(c->kc_mctx, c->kc_authkey, c->kc_authkeylen,
	    NULL) != 1)
		return (KE_EIO);
	ko_tls12_ad(ad, seqno, hdr, plen);
	if (EVP_MAC_update(c->kc_mctx, ad, sizeof(ad)) != 1)
		return (KE_EIO);
	ko_cur_init(&cur, iov, niov, NULL, 0, plen);
	while ((len = ko_cur_span(&cur, &p)) > 0) {
		if (EVP_MAC_update(c->kc_mctx, p, len) != 1)
			return (KE_EIO);
		ko_cur_advance(&cur, len);
	}
	if (cur.kr_resid != 0 ||
	    EVP_MAC_final(c->kc_mctx, mac, &outl, KO_MAX_MAC_LEN) != 1 ||
	    outl != (size_t)c->kc_suite->ks_maclen)
		return (KE_EIO);
	return (0);
}

static int
ko_cbc_encrypt(struct khost_crypto *c, const struct ko_rec *rec)
{
	struct ko_cur in, out;
	const uint8_t *iv;
	size_t maclen, trllen, n;
	int error, pad;

	maclen = (size_t)c->kc_suite->ks_maclen;
	trllen = (size_t)rec->trllen;
	n = rec->plen + trllen;
	if (trllen < maclen + 1 || trllen > maclen + KO_MAX_PAD ||
	    n % KO_BLOCK_LEN != 0)
		return (KE_EIO);

	/* MAC first: in place, encryption overwrites the payload. */
	error = ko_cbc_mac(c, rec->seqno, rec->hdr, rec->src, rec->nsrc,
	    rec->plen, rec->trailer);
	if (error != 0)
		return (error);
	pad = (int)(trllen - maclen - 1);
	memset(rec->trailer + maclen, pad, (size_t)pad + 1);

	iv = c->kc_suite->ks_implicit_iv ? c->kc_chain : rec->hdr + 5;
	if (ko_cipher_reiv(c, iv) != 0)
		return (KE_EIO);
	ko_cur_init(&in, rec->src, rec->nsrc, rec->trailer, trllen, n);
	ko_cur_init(&out, rec->dst, rec->ndst, rec->trailer, trllen, n);
	error = ko_cipher_stream(c->kc_cctx, &in, &out, n, KO_BLOCK_LEN);
	if (error != 0)
		return (error);
	if (c->kc_suite->ks_implicit_iv)
		memcpy(c->kc_chain, rec->trailer + trllen - KO_BLOCK_LEN,
		    KO_BLOCK_LEN);
	return (0);
}

static int
ko_cbc_decrypt(struct khost_crypto *c, const struct ko_rxrec *rx,
    int *trailer_len, uint8_t *record_type)
{
	struct ko_cur in, out;
	uint8_t tail[KO_MAX_MAC_LEN + KO_MAX_PAD], mac[KO_MAX_MAC_LEN];
	uint8_t next[KO_BLOCK_LEN], bad, inpad;
	const uint8_t *iv;
	size_t body, maclen, tl, plen, i;
	unsigned int pad;
	int error;

	body = rx->bodylen;
	maclen = (size_t)c->kc_suite->ks_maclen;
	if (body % KO_BLOCK_LEN != 0 || body < maclen + 1)
		return (KE_EMSGSIZE);

	if (c->kc_suite->ks_implicit_iv) {
		iv = c->kc_chain;
		/* The next record's IV, before decryption overwrites it. */
		ko_iov_read_at(rx->iov, rx->niov, body - KO_BLOCK_LEN, next,
		    KO_BLOCK_LEN);
	} else
		iv = rx->hdr + 5;
	if (ko_cipher_reiv(c, iv) != 0)
		return (KE_EIO);
	ko_cur_init(&in, rx->iov, rx->niov, NULL, 0, body);
	ko_cur_init(&out, rx->iov, rx->niov, NULL, 0, body);
	error = ko_cipher_stream(c->kc_cctx, &in, &out, body, KO_BLOCK_LEN);
	if (error != 0)
		return (error);

	/* MAC and padding are within the last maclen + 256 bytes. */
	tl = body < maclen + KO_MAX_PAD ? body : maclen + KO_MAX_PAD;
	ko_iov_read_at(rx->iov, rx->niov, body - tl, tail, tl);
	pad = tail[tl - 1];
	bad = 0;
	if (pad + 1 + maclen > body) {
		bad = 1;
		pad = 0;
	}
	/* Every byte within pad + 1 of the end must equal pad. */
	for (i = 0; i < tl - maclen; i++) {
		inpad = (uint8_t)(0U - (((unsigned int)i - pad - 1) >> 31));
		bad |= inpad & (tail[tl - 1 - i] ^ (uint8_t)pad);
	}
	plen = body - maclen - pad - 1;
	error = ko_cbc_mac(c, rx->seqno, rx->hdr, rx->iov, rx->niov, plen, mac);
	if (error != 0)
		return (error);
	bad |= (uint8_t)(CRYPTO_memcmp(mac, tail + tl - pad - 1 - maclen,
	    maclen) != 0);
	if (bad != 0) {
		ko_iov_zero(rx->iov, rx->niov, body);
		return (KE_EBADMSG);
	}
	if (c->kc_suite->ks_implicit_iv)
		memcpy(c->kc_chain, next, KO_BLOCK_LEN);
	*trailer_len = (int)(maclen + pad + 1);
	*record_type = rx->hdr[0];
	return (0);
}

const struct ko_ops ko_cbc_ops = {
	.ko_name = "tls_cbc",
	.ko_encrypt = ko_cbc_encrypt,
	.ko_decrypt = ko_cbc_decrypt,
};
