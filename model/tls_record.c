/*
 * model/tls_record.c: TLS record protection on flat buffers.
 *
 * Design note.  Each record is handled whole, in three steps that mirror
 * the RFC text: lay out the record (lengths, padding), build the per-record
 * inputs (nonce, additional data or MAC header), run one libcrypto
 * operation.  Nothing is cached between calls except the TLS 1.0 chaining
 * IV, so a state can be copied freely and every call stands alone.  Speed
 * is not a goal; the reader should be able to check each line against the
 * RFC section cited above it.
 *
 * The length limits on receive are FreeBSD's (ktls_decrypt): a record may
 * be at most tls_hlen + 2^14 + tls_tlen bytes, where tls_tlen is the
 * largest trailer the suite produces with minimal padding.  That is
 * stricter than RFC 5246 (2^14 + 2048) and RFC 8446 (2^14 + 256), on
 * purpose: the model is the oracle for FreeBSD's behaviour.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "tls_record.h"

/* A piece of input to a cipher (TLS 1.3 encrypts content | type | zeros). */
struct tlsm_piece {
	const uint8_t	*p;
	size_t		 n;
};

static const uint8_t tlsm_zeros[256];

void
tlsm_be64enc(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
tlsm_be64dec(const uint8_t *p)
{
	uint64_t v;
	int i;

	v = 0;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

static void
tlsm_be16enc(uint8_t *p, size_t v)
{

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t
tlsm_be16dec(const uint8_t *p)
{

	return ((size_t)p[0] << 8 | p[1]);
}

size_t
tlsm_mac_len(enum tlsm_mac mac)
{

	switch (mac) {
	case TLSM_MAC_SHA1:
		return (20);
	case TLSM_MAC_SHA256:
		return (32);
	case TLSM_MAC_SHA384:
		return (48);
	default:
		return (0);
	}
}

static const char *
tlsm_mac_digest(enum tlsm_mac mac)
{

	switch (mac) {
	case TLSM_MAC_SHA1:
		return ("SHA1");
	case TLSM_MAC_SHA256:
		return ("SHA256");
	case TLSM_MAC_SHA384:
		return ("SHA384");
	default:
		return (NULL);
	}
}

/* The version bytes on the wire: TLS 1.3 says 3,3 (RFC 8446 §5.1). */
static uint8_t
tlsm_wire_minor(const struct tlsm_state *st)
{

	return (st->version == TLSM_V13 ? 3 : (uint8_t)(st->version & 0xff));
}

/*
 * Check a suite against FreeBSD's table (ktls_create_session): GCM on
 * 1.2/1.3, ChaCha (32-byte key) on 1.2/1.3, CBC on 1.0-1.2 with SHA1 and
 * on 1.2 only with SHA256/SHA384.
 */
int
tlsm_init(struct tlsm_state *st, uint16_t version, enum tlsm_cipher cipher,
    enum tlsm_mac mac, const uint8_t *key, size_t key_len, const uint8_t *iv,
    size_t iv_len, const uint8_t *mac_key, size_t mac_key_len)
{
	size_t want_iv;

	memset(st, 0, sizeof(*st));
	if (version < TLSM_V10 || version > TLSM_V13 || key == NULL)
		return (EINVAL);
	switch (cipher) {
	case TLSM_GCM:
	case TLSM_CHACHA:
		if (version < TLSM_V12 || mac != TLSM_MAC_NONE)
			return (EINVAL);
		if (cipher == TLSM_GCM && key_len != 16 && key_len != 32)
			return (EINVAL);
		if (cipher == TLSM_CHACHA && key_len != 32)
			return (EINVAL);
		/* RFC 5288 §3: 4-byte salt; RFC 7905 §2, 8446 §5.3: 12. */
		want_iv = (cipher == TLSM_GCM && version == TLSM_V12) ? 4 : 12;
		if (iv_len != want_iv || iv == NULL)
			return (EINVAL);
		break;
	case TLSM_CBC:
		if (version == TLSM_V13 || (key_len != 16 && key_len != 32))
			return (EINVAL);
		if (mac == TLSM_MAC_NONE ||
		    (mac != TLSM_MAC_SHA1 && version != TLSM_V12))
			return (EINVAL);
		if (mac_key == NULL || mac_key_len != tlsm_mac_len(mac))
			return (EINVAL);
		/* RFC 2246 §6.3: TLS 1.0 has an implicit, chained IV. */
		if (version == TLSM_V10) {
			if (iv == NULL || iv_len != TLSM_CBC_BLOCK)
				return (EINVAL);
		} else
			iv_len = 0;	/* 1.1+: per-record IV (RFC 4346) */
		memcpy(st->mac_key, mac_key, mac_key_len);
		st->mac_key_len = mac_key_len;
		break;
	default:
		return (EINVAL);
	}
	st->version = version;
	st->cipher = cipher;
	st->mac = mac;
	memcpy(st->key, key, key_len);
	st->key_len = key_len;
	if (iv_len > 0)
		memcpy(st->iv, iv, iv_len);
	st->iv_len = iv_len;
	return (0);
}

/* Bytes between the 5-byte header and the ciphertext. */
static size_t
tlsm_explicit_len(const struct tlsm_state *st)
{

	if (st->cipher == TLSM_GCM && st->version == TLSM_V12)
		return (8);		/* RFC 5288 §3 nonce_explicit */
	if (st->cipher == TLSM_CBC && st->version >= TLSM_V11)
		return (TLSM_CBC_BLOCK);	/* RFC 4346 §6.2.3.2 IV */
	return (0);
}

size_t
tlsm_header_len(const struct tlsm_state *st)
{

	return (TLSM_HDR_LEN + tlsm_explicit_len(st));
}

size_t
tlsm_trailer_len(const struct tlsm_state *st)
{

	if (st->cipher == TLSM_CBC)
		return (tlsm_mac_len(st->mac) + TLSM_CBC_BLOCK);
	if (st->version == TLSM_V13)
		return (TLSM_AEAD_TAG_LEN + 1);
	return (TLSM_AEAD_TAG_LEN);
}

size_t
tlsm_block_len(const struct tlsm_state *st)
{

	return (st->cipher == TLSM_CBC ? TLSM_CBC_BLOCK : 1);
}

static const EVP_CIPHER *
tlsm_evp_cipher(const struct tlsm_state *st)
{

	switch (st->cipher) {
	case TLSM_GCM:
		return (st->key_len == 16 ? EVP_aes_128_gcm() :
		    EVP_aes_256_gcm());
	case TLSM_CHACHA:
		return (EVP_chacha20_poly1305());
	case TLSM_CBC:
		return (st->key_len == 16 ? EVP_aes_128_cbc() :
		    EVP_aes_256_cbc());
	}
	return (NULL);
}

/*
 * The AEAD nonce.  RFC 5288 §3: salt[4] | nonce_explicit[8].  RFC 7905 §2
 * and RFC 8446 §5.3: the 64-bit sequence number, big-endian, left-padded
 * to 12 bytes and XORed with the IV.
 */
static void
tlsm_aead_nonce(const struct tlsm_state *st, uint64_t seq,
    const uint8_t *explicit, uint8_t nonce[12])
{
	uint8_t s[8];
	int i;

	if (st->cipher == TLSM_GCM && st->version == TLSM_V12) {
		memcpy(nonce, st->iv, 4);
		memcpy(nonce + 4, explicit, 8);
		return;
	}
	memcpy(nonce, st->iv, 12);
	tlsm_be64enc(s, seq);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= s[i];
}

/*
 * TLS 1.2 AEAD additional data, RFC 5246 §6.2.3.3: seq_num | type |
 * version | length, where length is that of the plaintext.  The CBC MAC
 * header (RFC 5246 §6.2.3.1) has the same 13 bytes.
 */
static void
tlsm_seq_header(const struct tlsm_state *st, uint64_t seq, uint8_t type,
    size_t len, uint8_t out[13])
{

	tlsm_be64enc(out, seq);
	out[8] = type;
	out[9] = 3;
	out[10] = tlsm_wire_minor(st);
	tlsm_be16enc(out + 11, len);
}

/* AEAD-Encrypt of the pieces, ciphertext to out, tag after it. */
static int
tlsm_aead_seal(const struct tlsm_state *st, const uint8_t nonce[12],
    const uint8_t *aad, size_t aadlen, const struct tlsm_piece *pc, int npc,
    uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int error, i, n;

	error = EIO;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return (EIO);
	if (EVP_EncryptInit_ex(ctx, tlsm_evp_cipher(st), NULL, st->key,
	    nonce) != 1)
		goto out;
	if (EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	for (i = 0; i < npc; i++) {
		if (pc[i].n == 0)
			continue;
		if (EVP_EncryptUpdate(ctx, out, &n, pc[i].p, (int)pc[i].n) != 1)
			goto out;
		out += n;
	}
	if (EVP_EncryptFinal_ex(ctx, out, &n) != 1)
		goto out;
	out += n;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TLSM_AEAD_TAG_LEN,
	    out) != 1)
		goto out;
	error = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return (error);
}

/* AEAD-Decrypt: ciphertext ct[0..len) followed by the tag; EBADMSG. */
static int
tlsm_aead_open(const struct tlsm_state *st, const uint8_t nonce[12],
    const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t len,
    uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t tag[TLSM_AEAD_TAG_LEN];
	int error, n;

	error = EIO;
	memcpy(tag, ct + len, sizeof(tag));
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return (EIO);
	if (EVP_DecryptInit_ex(ctx, tlsm_evp_cipher(st), NULL, st->key,
	    nonce) != 1)
		goto out;
	if (EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_DecryptUpdate(ctx, out, &n, ct, (int)len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, sizeof(tag),
	    tag) != 1)
		goto out;
	/* A bad tag is the only way Final fails once the rest worked. */
	error = EVP_DecryptFinal_ex(ctx, out + len, &n) == 1 ? 0 : EBADMSG;
out:
	EVP_CIPHER_CTX_free(ctx);
	return (error);
}

/*
 * The CBC MAC, RFC 5246 §6.2.3.1 (also RFC 2246 and 4346 §6.2.3.1):
 * HMAC(MAC_write_key, seq_num | type | version | length | content).
 */
static int
tlsm_cbc_mac(const struct tlsm_state *st, uint64_t seq, uint8_t type,
    const uint8_t *content, size_t len, uint8_t *mac)
{
	EVP_MAC *hmac;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	uint8_t hdr[13];
	size_t maclen;
	int error;

	error = EIO;
	ctx = NULL;
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac == NULL)
		return (EIO);
	ctx = EVP_MAC_CTX_new(hmac);
	if (ctx == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)tlsm_mac_digest(st->mac), 0);
	params[1] = OSSL_PARAM_construct_end();
	tlsm_seq_header(st, seq, type, len, hdr);
	if (EVP_MAC_init(ctx, st->mac_key, st->mac_key_len, params) != 1 ||
	    EVP_MAC_update(ctx, hdr, sizeof(hdr)) != 1 ||
	    (len > 0 && EVP_MAC_update(ctx, content, len) != 1) ||
	    EVP_MAC_final(ctx, mac, &maclen, tlsm_mac_len(st->mac)) != 1 ||
	    maclen != tlsm_mac_len(st->mac))
		goto out;
	error = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return (error);
}

/* AES-CBC without libcrypto's own padding, over the pieces. */
static int
tlsm_cbc_crypt(const struct tlsm_state *st, int enc, const uint8_t iv[16],
    const struct tlsm_piece *pc, int npc, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int error, i, n;

	error = EIO;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return (EIO);
	if (EVP_CipherInit_ex(ctx, tlsm_evp_cipher(st), NULL, st->key, iv,
	    enc) != 1 || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
		goto out;
	for (i = 0; i < npc; i++) {
		if (pc[i].n == 0)
			continue;
		if (EVP_CipherUpdate(ctx, out, &n, pc[i].p, (int)pc[i].n) != 1)
			goto out;
		out += n;
	}
	if (EVP_CipherFinal_ex(ctx, out, &n) != 1 || n != 0)
		goto out;
	error = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return (error);
}

/*
 * Lay out a record: the body length (everything after the 5-byte header)
 * and, for CBC, the padding length.  RFC 5246 §6.2.3.2: content + MAC +
 * padding (padding_length + 1 bytes) must fill whole blocks and
 * padding_length is at most 255.
 */
static int
tlsm_layout(const struct tlsm_state *st, size_t len,
    const struct tlsm_seal_opts *o, size_t *padp, size_t *bodyp)
{
	size_t body, maclen, pad;

	if (len > TLSM_MAX_PLAINTEXT && !o->oversize)
		return (EMSGSIZE);
	pad = 0;
	switch (st->cipher) {
	case TLSM_CBC:
		maclen = tlsm_mac_len(st->mac);
		pad = o->cbc_pad;
		if (pad == 0)
			pad = TLSM_CBC_BLOCK - (len + maclen) % TLSM_CBC_BLOCK;
		if (pad > 256 || (len + maclen + pad) % TLSM_CBC_BLOCK != 0)
			return (EINVAL);
		body = tlsm_explicit_len(st) + len + maclen + pad;
		break;
	default:
		body = tlsm_explicit_len(st) + len + TLSM_AEAD_TAG_LEN;
		if (st->version == TLSM_V13)
			body += 1 + o->tls13_pad;
		break;
	}
	if (body > 0xffff)
		return (EMSGSIZE);
	*padp = pad;
	*bodyp = body;
	return (0);
}

size_t
tlsm_sealed_len(const struct tlsm_state *st, size_t len,
    const struct tlsm_seal_opts *opts)
{
	struct tlsm_seal_opts none;
	size_t body, pad;

	memset(&none, 0, sizeof(none));
	if (tlsm_layout(st, len, opts != NULL ? opts : &none, &pad,
	    &body) != 0)
		return (0);
	return (TLSM_HDR_LEN + body);
}

/* RFC 5288 §3 (GCM 1.2) and RFC 7905 §2 (ChaCha 1.2): AEAD, TLS 1.2. */
static int
tlsm_seal_aead12(struct tlsm_state *st, uint64_t seq, uint8_t type,
    const uint8_t *pt, size_t len, const struct tlsm_seal_opts *o,
    uint8_t *body)
{
	struct tlsm_piece pc;
	uint8_t aad[13], nonce[12];
	size_t xlen;

	xlen = tlsm_explicit_len(st);
	if (xlen > 0) {
		/* OpenSSL's choice: nonce_explicit = seq_num. */
		if (o->explicit_iv != NULL)
			memcpy(body, o->explicit_iv, xlen);
		else
			tlsm_be64enc(body, seq);
	}
	tlsm_aead_nonce(st, seq, body, nonce);
	tlsm_seq_header(st, seq, type, len, aad);
	pc.p = pt;
	pc.n = len;
	return (tlsm_aead_seal(st, nonce, aad, sizeof(aad), &pc, 1,
	    body + xlen));
}

/*
 * RFC 8446 §5.2: TLSInnerPlaintext = content | type | zeros, encrypted
 * with the outer header as additional data.
 */
static int
tlsm_seal_tls13(struct tlsm_state *st, uint64_t seq, uint8_t type,
    const uint8_t *pt, size_t len, const struct tlsm_seal_opts *o,
    const uint8_t *hdr, uint8_t *body)
{
	struct tlsm_piece pc[2 + 256];
	uint8_t nonce[12];
	size_t left, n;
	int npc;

	npc = 0;
	pc[npc].p = pt;
	pc[npc++].n = len;
	pc[npc].p = &type;
	pc[npc++].n = 1;
	for (left = o->tls13_pad; left > 0; left -= n) {
		n = left < sizeof(tlsm_zeros) ? left : sizeof(tlsm_zeros);
		pc[npc].p = tlsm_zeros;
		pc[npc++].n = n;
	}
	tlsm_aead_nonce(st, seq, NULL, nonce);
	return (tlsm_aead_seal(st, nonce, hdr, TLSM_HDR_LEN, pc, npc, body));
}

/*
 * RFC 5246 §6.2.3.2 (RFC 4346 for 1.1, RFC 2246 §6.2.3.2 for 1.0):
 * MAC-then-encrypt.  1.1+ send the IV in front of the ciphertext; 1.0
 * uses the last ciphertext block of the previous record.
 */
static int
tlsm_seal_cbc(struct tlsm_state *st, uint64_t seq, uint8_t type,
    const uint8_t *pt, size_t len, size_t pad,
    const struct tlsm_seal_opts *o, uint8_t *body, size_t bodylen)
{
	struct tlsm_piece pc[3];
	uint8_t mac[48], padding[256], iv[TLSM_CBC_BLOCK];
	size_t xlen;
	int error;

	xlen = tlsm_explicit_len(st);
	if (xlen == 0)
		memcpy(iv, st->iv, sizeof(iv));
	else if (o->explicit_iv != NULL)
		memcpy(iv, o->explicit_iv, sizeof(iv));
	else if (RAND_bytes(iv, sizeof(iv)) != 1)
		return (EIO);
	memcpy(body, iv, xlen);
	error = tlsm_cbc_mac(st, seq, type, pt, len, mac);
	if (error != 0)
		return (error);
	/* Every padding byte, and the length byte, hold padding_length. */
	memset(padding, (int)(pad - 1), pad);
	pc[0].p = pt;
	pc[0].n = len;
	pc[1].p = mac;
	pc[1].n = tlsm_mac_len(st->mac);
	pc[2].p = padding;
	pc[2].n = pad;
	error = tlsm_cbc_crypt(st, 1, iv, pc, 3, body + xlen);
	if (error == 0 && st->version == TLSM_V10)
		memcpy(st->iv, body + bodylen - TLSM_CBC_BLOCK, TLSM_CBC_BLOCK);
	return (error);
}

int
tlsm_seal(struct tlsm_state *st, uint64_t seq, uint8_t type,
    const void *plaintext, size_t len, const struct tlsm_seal_opts *opts,
    void *out, size_t outcap, size_t *outlen)
{
	struct tlsm_seal_opts none;
	uint8_t *rec;
	size_t body, pad;
	int error;

	if (opts == NULL) {
		memset(&none, 0, sizeof(none));
		opts = &none;
	}
	if (plaintext == NULL && len > 0)
		return (EINVAL);
	error = tlsm_layout(st, len, opts, &pad, &body);
	if (error != 0)
		return (error);
	if (outcap < TLSM_HDR_LEN + body)
		return (ENOBUFS);

	/* RFC 5246 §6.2.1, RFC 8446 §5.1 (outer type and 3,3 for 1.3). */
	rec = out;
	rec[0] = st->version == TLSM_V13 ? TLSM_CT_APP : type;
	rec[1] = 3;
	rec[2] = tlsm_wire_minor(st);
	tlsm_be16enc(rec + 3, body);

	if (st->cipher == TLSM_CBC)
		error = tlsm_seal_cbc(st, seq, type, plaintext, len, pad,
		    opts, rec + TLSM_HDR_LEN, body);
	else if (st->version == TLSM_V13)
		error = tlsm_seal_tls13(st, seq, type, plaintext, len, opts,
		    rec, rec + TLSM_HDR_LEN);
	else
		error = tlsm_seal_aead12(st, seq, type, plaintext, len, opts,
		    rec + TLSM_HDR_LEN);
	if (error != 0)
		return (error);
	*outlen = TLSM_HDR_LEN + body;
	return (0);
}

/*
 * Header checks, in ktls_decrypt's order: major and minor version (3,3 on
 * the wire for TLS 1.3), TLS 1.3 outer type application_data (RFC 8446
 * §5.2), then tls_hlen <= length <= tls_hlen + 2^14 + tls_tlen.
 */
static int
tlsm_check_header(const struct tlsm_state *st, const uint8_t *hdr,
    size_t *bad_off)
{
	size_t len, off;
	int error;

	len = TLSM_HDR_LEN + tlsm_be16dec(hdr + 3);
	error = 0;
	off = 0;
	if (hdr[1] != 3) {
		error = EINVAL;
		off = 1;
	} else if (hdr[2] != tlsm_wire_minor(st)) {
		error = EINVAL;
		off = 2;
	} else if (st->version == TLSM_V13 && hdr[0] != TLSM_CT_APP) {
		error = EINVAL;
		off = 0;
	} else if (len < tlsm_header_len(st) || len > tlsm_header_len(st) +
	    TLSM_MAX_PLAINTEXT + tlsm_trailer_len(st)) {
		error = EMSGSIZE;
		off = 3;
	}
	if (error != 0 && bad_off != NULL)
		*bad_off = off;
	return (error);
}

int
tlsm_next_record(const struct tlsm_state *st, const void *buf, size_t len,
    size_t *reclen, size_t *bad_off)
{
	const uint8_t *p;
	size_t need;
	int error;

	p = buf;
	if (len < TLSM_HDR_LEN) {
		*reclen = TLSM_HDR_LEN;
		return (EAGAIN);
	}
	error = tlsm_check_header(st, p, bad_off);
	if (error != 0)
		return (error);
	need = TLSM_HDR_LEN + tlsm_be16dec(p + 3);
	*reclen = need;
	return (len < need ? EAGAIN : 0);
}

/* RFC 5288 §3, RFC 7905 §2: open a TLS 1.2 AEAD record. */
static int
tlsm_open_aead12(struct tlsm_state *st, uint64_t seq, const uint8_t *rec,
    size_t reclen, uint8_t *tmp, size_t *ptlen)
{
	const uint8_t *body;
	uint8_t aad[13], nonce[12];
	size_t ctlen, xlen;

	xlen = tlsm_explicit_len(st);
	body = rec + TLSM_HDR_LEN;
	if (reclen < TLSM_HDR_LEN + xlen + TLSM_AEAD_TAG_LEN)
		return (EMSGSIZE);
	ctlen = reclen - TLSM_HDR_LEN - xlen - TLSM_AEAD_TAG_LEN;
	tlsm_aead_nonce(st, seq, body, nonce);
	tlsm_seq_header(st, seq, rec[0], ctlen, aad);
	*ptlen = ctlen;
	return (tlsm_aead_open(st, nonce, aad, sizeof(aad), body + xlen, ctlen,
	    tmp));
}

/*
 * RFC 8446 §5.2 and §5.4: open, then find the content type as the last
 * non-zero byte; a plaintext of zeros only has none and is refused.
 */
static int
tlsm_open_tls13(struct tlsm_state *st, uint64_t seq, const uint8_t *rec,
    size_t reclen, uint8_t *tmp, size_t *ptlen, uint8_t *type)
{
	uint8_t nonce[12];
	size_t ctlen, i;
	int error;

	/* At least the inner type byte and the tag. */
	if (reclen < TLSM_HDR_LEN + 1 + TLSM_AEAD_TAG_LEN)
		return (EMSGSIZE);
	ctlen = reclen - TLSM_HDR_LEN - TLSM_AEAD_TAG_LEN;
	tlsm_aead_nonce(st, seq, NULL, nonce);
	error = tlsm_aead_open(st, nonce, rec, TLSM_HDR_LEN,
	    rec + TLSM_HDR_LEN, ctlen, tmp);
	if (error != 0)
		return (error);
	for (i = ctlen; i > 0 && tmp[i - 1] == 0; i--)
		;
	if (i == 0)
		return (EBADMSG);
	*type = tmp[i - 1];
	*ptlen = i - 1;
	return (0);
}

/*
 * RFC 5246 §6.2.3.2: decrypt, then check every padding byte and the MAC.
 * A bad padding and a bad MAC give the same error (RFC 5246 §7.2.2,
 * bad_record_mac for both).
 */
static int
tlsm_open_cbc(struct tlsm_state *st, uint64_t seq, const uint8_t *rec,
    size_t reclen, uint8_t *tmp, size_t *ptlen)
{
	struct tlsm_piece pc;
	uint8_t iv[TLSM_CBC_BLOCK], mac[48];
	size_t ctlen, i, len, maclen, pad, xlen;
	uint8_t bad;
	int error;

	xlen = tlsm_explicit_len(st);
	maclen = tlsm_mac_len(st->mac);
	ctlen = reclen - TLSM_HDR_LEN - xlen;
	/* Whole blocks, and room for the MAC and a padding_length byte. */
	if (ctlen % TLSM_CBC_BLOCK != 0 || ctlen < (maclen + 1 +
	    TLSM_CBC_BLOCK - 1) / TLSM_CBC_BLOCK * TLSM_CBC_BLOCK)
		return (EMSGSIZE);
	if (xlen > 0)
		memcpy(iv, rec + TLSM_HDR_LEN, sizeof(iv));
	else
		memcpy(iv, st->iv, sizeof(iv));
	pc.p = rec + TLSM_HDR_LEN + xlen;
	pc.n = ctlen;
	error = tlsm_cbc_crypt(st, 0, iv, &pc, 1, tmp);
	if (error != 0)
		return (error);

	pad = (size_t)tmp[ctlen - 1] + 1;
	if (pad + maclen > ctlen)
		return (EBADMSG);
	bad = 0;
	for (i = ctlen - pad; i < ctlen; i++)
		bad |= tmp[i] ^ tmp[ctlen - 1];
	len = ctlen - pad - maclen;
	error = tlsm_cbc_mac(st, seq, rec[0], tmp, len, mac);
	if (error != 0)
		return (error);
	if (bad != 0 || CRYPTO_memcmp(mac, tmp + len, maclen) != 0)
		return (EBADMSG);
	*ptlen = len;
	return (0);
}

int
tlsm_open(struct tlsm_state *st, uint64_t seq, const void *record,
    size_t reclen, uint8_t *type, void *out, size_t outcap, size_t *outlen)
{
	const uint8_t *rec;
	uint8_t *tmp;
	size_t ptlen;
	int error;

	rec = record;
	if (reclen < TLSM_HDR_LEN)
		return (EMSGSIZE);
	error = tlsm_check_header(st, rec, NULL);
	if (error != 0)
		return (error);
	/* The record must be exactly what its header announces. */
	if (reclen != TLSM_HDR_LEN + tlsm_be16dec(rec + 3))
		return (EMSGSIZE);

	tmp = malloc(reclen);
	if (tmp == NULL)
		return (ENOMEM);
	*type = rec[0];
	if (st->cipher == TLSM_CBC)
		error = tlsm_open_cbc(st, seq, rec, reclen, tmp, &ptlen);
	else if (st->version == TLSM_V13)
		error = tlsm_open_tls13(st, seq, rec, reclen, tmp, &ptlen,
		    type);
	else
		error = tlsm_open_aead12(st, seq, rec, reclen, tmp, &ptlen);
	if (error == 0) {
		if (ptlen > outcap)
			error = ENOBUFS;
		else {
			if (ptlen > 0)
				memcpy(out, tmp, ptlen);
			*outlen = ptlen;
			/* RFC 2246 §6.2.3.2: next IV = this last block. */
			if (st->cipher == TLSM_CBC && st->version == TLSM_V10)
				memcpy(st->iv, rec + reclen - TLSM_CBC_BLOCK,
				    TLSM_CBC_BLOCK);
		}
	}
	OPENSSL_cleanse(tmp, reclen);
	free(tmp);
	return (error);
}
