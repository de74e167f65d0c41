/*
 * Helpers shared by the tests of the software TLS crypto backend
 * (test_crypto*.c): the 16 suites set up for both src/crypto and the
 * model, header framing as ktls_frame does it, scatter/gather layouts
 * with canaries between the slices, and the model cross-check.
 *
 * The oracle is the flat-buffer model (model/tls_record.h): every record
 * the backend writes must be byte-identical to the model's, given the
 * same sequence number and explicit nonce or IV.
 */
#ifndef CRYPTO_FIXTURE_H
#define CRYPTO_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/ktls.h>

#include "sys/errno.h"
#include "sys/khost.h"
#include "tls_keys.h"
#include "tls_record.h"
#include "uktest.h"

#define	CT_CANARY	0xA7
#define	CT_GAP		7	/* canary bytes around every slice */
#define	CT_MAXSEG	64
#define	CT_MAXREC	(16384 + 2048)

struct ct_suite {
	const struct tlsm_suite	*ms;
	struct khost_tls_keys	 keys;
	uint8_t			 key[32];
	uint8_t			 iv[16];
	uint8_t			 mackey[48];
	int			 maclen;
	int			 hdrlen;
	int			 vminor;
	int			 cbc, tls10, tls13, gcm12;
	struct tlsm_state	 st;	/* model, transmit side */
	struct khost_crypto	*tx;
	struct khost_crypto	*rx;
};

/* Slices laid out in an arena, each between canary bytes. */
struct ct_layout {
	uint8_t			*arena;
	size_t			 arenalen;
	struct khost_iov	 iov[CT_MAXSEG];
	int			 niov;
	size_t			 total;
};

static inline int
ct_cipher_id(enum tlsm_cipher c)
{

	switch (c) {
	case TLSM_GCM:
		return (CRYPTO_AES_NIST_GCM_16);
	case TLSM_CBC:
		return (CRYPTO_AES_CBC);
	default:
		return (CRYPTO_CHACHA20_POLY1305);
	}
}

static inline int
ct_auth_id(enum tlsm_mac m)
{

	switch (m) {
	case TLSM_MAC_SHA1:
		return (CRYPTO_SHA1_HMAC);
	case TLSM_MAC_SHA256:
		return (CRYPTO_SHA2_256_HMAC);
	case TLSM_MAC_SHA384:
		return (CRYPTO_SHA2_384_HMAC);
	default:
		return (0);
	}
}

/* Fill keys for the suite only (no contexts). */
static inline void
ct_keys(struct ct_suite *cs, int i)
{
	const struct tlsm_suite *ms;
	int ivlen;

	memset(cs, 0, sizeof(*cs));
	ms = &tlsm_suites[i];
	cs->ms = ms;
	uktest_fill(cs->key, sizeof(cs->key), 100 + i, 0);
	uktest_fill(cs->iv, sizeof(cs->iv), 200 + i, 0);
	uktest_fill(cs->mackey, sizeof(cs->mackey), 300 + i, 0);
	cs->maclen = (int)tlsm_mac_len(ms->mac);
	cs->vminor = ms->version & 0xff;
	cs->cbc = ms->cipher == TLSM_CBC;
	cs->tls10 = ms->version == TLSM_V10;
	cs->tls13 = ms->version == TLSM_V13;
	cs->gcm12 = ms->cipher == TLSM_GCM && ms->version == TLSM_V12;
	cs->hdrlen = 5 + (cs->gcm12 ? 8 : (cs->cbc && !cs->tls10) ? 16 : 0);
	if (cs->gcm12)
		ivlen = TLS_AEAD_GCM_LEN;
	else if (!cs->cbc)
		ivlen = 12;
	else if (cs->tls10)
		ivlen = 16;
	else
		ivlen = 0;
	cs->keys.cipher_algorithm = ct_cipher_id(ms->cipher);
	cs->keys.auth_algorithm = ct_auth_id(ms->mac);
	cs->keys.cipher_key = cs->key;
	cs->keys.cipher_key_len = (int)ms->key_len;
	cs->keys.auth_key = cs->cbc ? cs->mackey : NULL;
	cs->keys.auth_key_len = cs->maclen;
	cs->keys.iv = cs->iv;
	cs->keys.iv_len = ivlen;
	cs->keys.tls_vmajor = TLS_MAJOR_VER_ONE;
	cs->keys.tls_vminor = (uint8_t)cs->vminor;
}

/* Keys, model state and both contexts of suite i. */
static inline void
ct_setup(struct ct_suite *cs, int i)
{
	int error;

	ct_keys(cs, i);
	error = tlsm_init(&cs->st, cs->ms->version, cs->ms->cipher,
	    cs->ms->mac, cs->key, cs->ms->key_len, cs->iv,
	    (size_t)cs->keys.iv_len, cs->mackey, (size_t)cs->maclen);
	ck_assert_int_eq(error, 0);
	ck_assert_int_eq(khost_crypto_create(&cs->keys, KTLS_TX, &cs->tx), 0);
	ck_assert_int_eq(khost_crypto_create(&cs->keys, KTLS_RX, &cs->rx), 0);
}

static inline void
ct_teardown(struct ct_suite *cs)
{

	khost_crypto_destroy(cs->tx);
	khost_crypto_destroy(cs->rx);
	cs->tx = cs->rx = NULL;
}

/* A fresh receive context (TLS 1.0 chains its IV from the start). */
static inline void
ct_rx_reset(struct ct_suite *cs)
{

	khost_crypto_destroy(cs->rx);
	ck_assert_int_eq(khost_crypto_create(&cs->keys, KTLS_RX, &cs->rx), 0);
}

/* The trailer ktls_frame gives a record of plen bytes: minimal. */
static inline int
ct_trllen(const struct ct_suite *cs, size_t plen)
{

	if (cs->cbc)
		return (cs->maclen + 16 - (int)((plen + cs->maclen) % 16));
	return (cs->tls13 ? 17 : 16);
}

/*
 * Write the header as ktls_frame would: type, version, length, then the
 * explicit nonce (GCM 1.2, deliberately not the sequence number, so a
 * backend that used the sequence would be caught) or the explicit IV.
 */
static inline void
ct_frame(const struct ct_suite *cs, uint8_t type, size_t plen, int trllen,
    uint64_t seq, uint8_t *hdr)
{
	size_t len;

	len = (size_t)cs->hdrlen - 5 + plen + (size_t)trllen;
	hdr[0] = cs->tls13 ? TLS_RLTYPE_APP : type;
	hdr[1] = TLS_MAJOR_VER_ONE;
	hdr[2] = cs->tls13 ? TLS_MINOR_VER_TWO : (uint8_t)cs->vminor;
	hdr[3] = (uint8_t)(len >> 8);
	hdr[4] = (uint8_t)len;
	if (cs->gcm12)
		tlsm_be64enc(hdr + 5, seq * 0x0101010101010101ULL + 0x5a);
	else if (cs->hdrlen > 5)
		uktest_fill(hdr + 5, 16, 77, seq * 16);
}

/*
 * Lay out slices of the given lengths in a fresh arena, with canaries
 * around each.  Slice k starts at arena offset off0 + ..., so a first
 * offset like 1001 puts the slices at page-like odd places.
 */
static inline void
ct_layout(struct ct_layout *l, const size_t *lens, int n, size_t off0)
{
	size_t need, off;
	int k;

	ck_assert_int_le(n, CT_MAXSEG);
	need = off0 + CT_GAP;
	for (k = 0; k < n; k++)
		need += lens[k] + CT_GAP;
	l->arena = aligned_alloc(4096, (need + 4095) / 4096 * 4096);
	ck_assert_ptr_nonnull(l->arena);
	l->arenalen = need;
	memset(l->arena, CT_CANARY, need);
	off = off0;
	l->total = 0;
	for (k = 0; k < n; k++) {
		l->iov[k].iov_base = l->arena + off;
		l->iov[k].iov_len = lens[k];
		off += lens[k] + CT_GAP;
		l->total += lens[k];
	}
	l->niov = n;
}

/* Scatter a flat buffer into the layout's slices. */
static inline void
ct_scatter(struct ct_layout *l, const uint8_t *buf)
{
	int k;

	for (k = 0; k < l->niov; k++) {
		memcpy(l->iov[k].iov_base, buf, l->iov[k].iov_len);
		buf += l->iov[k].iov_len;
	}
}

static inline void
ct_gather(const struct ct_layout *l, uint8_t *buf)
{
	int k;

	for (k = 0; k < l->niov; k++) {
		memcpy(buf, l->iov[k].iov_base, l->iov[k].iov_len);
		buf += l->iov[k].iov_len;
	}
}

/* Every byte outside the slices is still a canary. */
static inline void
ct_check_canaries(const struct ct_layout *l)
{
	size_t off, end;
	int k;

	off = 0;
	for (k = 0; k <= l->niov; k++) {
		end = k < l->niov ?
		    (size_t)((uint8_t *)l->iov[k].iov_base - l->arena) :
		    l->arenalen;
		for (; off < end; off++)
			if (l->arena[off] != CT_CANARY)
				ck_abort_msg("canary at arena offset %zu "
				    "overwritten", off);
		if (k < l->niov)
			off = end + l->iov[k].iov_len;
	}
}

static inline void
ct_free(struct ct_layout *l)
{

	free(l->arena);
	l->arena = NULL;
}

/*
 * Seal plen bytes with the model, with the explicit nonce/IV of hdr and
 * padding as the trailer length implies.  Returns the record length.
 */
static inline size_t
ct_model_seal(struct ct_suite *cs, uint64_t seq, uint8_t type,
    const uint8_t *pt, size_t plen, const uint8_t *hdr, int trllen,
    uint8_t *out)
{
	struct tlsm_seal_opts o;
	size_t outlen;
	int error;

	memset(&o, 0, sizeof(o));
	if (cs->hdrlen > 5)
		o.explicit_iv = hdr + 5;
	if (cs->cbc)
		o.cbc_pad = (size_t)(trllen - cs->maclen);
	else if (cs->tls13)
		o.tls13_pad = (size_t)(trllen - 17);
	error = tlsm_seal(&cs->st, seq, type, pt, plen, &o, out, CT_MAXREC,
	    &outlen);
	ck_assert_int_eq(error, 0);
	return (outlen);
}

/*
 * Encrypt plen bytes laid out as src_lens (dst_lens NULL: in place, else
 * into separate slices laid out as dst_lens at another odd offset) and
 * check the record against the model.  The record is left in rec (when
 * not NULL) and its length returned.
 */
static inline size_t
ct_seal_check(struct ct_suite *cs, uint64_t seq, uint8_t type,
    const uint8_t *pt, size_t plen, const size_t *src_lens, int nsrc,
    const size_t *dst_lens, int ndst, int trllen, uint8_t *rec)
{
	struct ct_layout src, dst;
	uint8_t hdr[32], *trailer, *got, *want, *chk;
	size_t reclen, wantlen;
	int error;

	got = malloc(CT_MAXREC);
	want = malloc(CT_MAXREC);
	chk = malloc(CT_MAXREC);
	trailer = malloc((size_t)trllen + CT_GAP);
	ck_assert(got != NULL && want != NULL && chk != NULL &&
	    trailer != NULL);
	memset(trailer, CT_CANARY, (size_t)trllen + CT_GAP);

	ct_frame(cs, type, plen, trllen, seq, hdr);
	ct_layout(&src, src_lens, nsrc, 1001);
	ck_assert_uint_eq(src.total, plen);
	ct_scatter(&src, pt);
	if (dst_lens != NULL) {
		ct_layout(&dst, dst_lens, ndst, 333);
		ck_assert_uint_eq(dst.total, plen);
	}
	error = khost_crypto_encrypt(cs->tx, hdr, cs->hdrlen, seq, type,
	    src.iov, src.niov, dst_lens != NULL ? dst.iov : src.iov,
	    dst_lens != NULL ? dst.niov : src.niov, trailer, trllen);
	ck_assert_int_eq(error, 0);

	memcpy(got, hdr, (size_t)cs->hdrlen);
	ct_gather(dst_lens != NULL ? &dst : &src, got + cs->hdrlen);
	memcpy(got + cs->hdrlen + plen, trailer, (size_t)trllen);
	reclen = (size_t)cs->hdrlen + plen + (size_t)trllen;
	for (int k = 0; k < CT_GAP; k++)
		if (trailer[trllen + k] != CT_CANARY)
			ck_abort_msg("wrote past the trailer");

	wantlen = ct_model_seal(cs, seq, type, pt, plen, hdr, trllen, want);
	ck_assert_uint_eq(reclen, wantlen);
	ck_assert_msg(memcmp(got, want, reclen) == 0,
	    "%s: record of %zu bytes in %d slices (%s) differs from the model",
	    cs->ms->name, plen, nsrc,
	    dst_lens != NULL ? "separate" : "in place");

	ct_check_canaries(&src);
	if (dst_lens != NULL) {
		/* Separate output leaves the plaintext alone. */
		ct_gather(&src, chk);
		ck_assert(memcmp(chk, pt, plen) == 0);
		ct_check_canaries(&dst);
		ct_free(&dst);
	}
	ct_free(&src);
	if (rec != NULL)
		memcpy(rec, got, reclen);
	free(got);
	free(want);
	free(chk);
	free(trailer);
	return (reclen);
}

/*
 * Decrypt a record whose body is laid out as lens; returns the error and,
 * on success, checks the content, type and trailer length.
 */
static inline int
ct_open(struct ct_suite *cs, uint64_t seq, const uint8_t *rec,
    size_t reclen, const size_t *lens, int n, uint8_t want_type,
    const uint8_t *want_pt, size_t want_plen)
{
	struct ct_layout body;
	uint8_t *flat, type;
	int error, tlen;

	ct_layout(&body, lens, n, 2047);
	ck_assert_uint_eq(body.total, reclen - (size_t)cs->hdrlen);
	ct_scatter(&body, rec + cs->hdrlen);
	tlen = -1;
	type = 0;
	error = khost_crypto_decrypt(cs->rx, rec, cs->hdrlen, seq, body.iov,
	    body.niov, &tlen, &type);
	if (error == 0) {
		ck_assert_int_eq(tlen, (int)(body.total - want_plen));
		ck_assert_int_eq(type, want_type);
		flat = malloc(body.total + 1);
		ck_assert_ptr_nonnull(flat);
		ct_gather(&body, flat);
		ck_assert(memcmp(flat, want_pt, want_plen) == 0);
		free(flat);
	}
	ct_check_canaries(&body);
	ct_free(&body);
	return (error);
}

/* Decrypt a record as one slice. */
static inline int
ct_open1(struct ct_suite *cs, uint64_t seq, const uint8_t *rec,
    size_t reclen, uint8_t want_type, const uint8_t *want_pt,
    size_t want_plen)
{
	size_t len;

	len = reclen - (size_t)cs->hdrlen;
	return (ct_open(cs, seq, rec, reclen, &len, 1, want_type, want_pt,
	    want_plen));
}

static inline int64_t
ct_crypto_bytes(void)
{

	return (khost_counter_get(KC_CRYPTO_BYTES));
}

#endif /* CRYPTO_FIXTURE_H */
