/*
 * The software TLS crypto backend (src/crypto) against the model, for
 * all 16 suites: records encrypted from payload split at every place,
 * in place and into separate slices, must be byte-identical to the
 * model's; they must decrypt from any split; TLS 1.0 chains; the
 * counters are exact; create validates its parameters.
 *
 * Tampering, bad lengths and CBC padding are in test_crypto_tamper.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_fixture.h"

#define	SMALL	37	/* a record with a few CBC blocks */

static uint8_t *
payload(size_t len, uint32_t stream)
{
	uint8_t *p;

	p = malloc(len + 1);
	ck_assert_ptr_nonnull(p);
	uktest_fill(p, len, stream, 0);
	return (p);
}

/* ---- create / destroy ------------------------------------------------ */

START_TEST(test_create_all_suites)
{
	struct ct_suite cs;
	struct khost_crypto *c;
	int i;

	for (i = 0; i < TLSM_NSUITES; i++) {
		ct_keys(&cs, i);
		ck_assert_int_eq(khost_crypto_create(&cs.keys, KTLS_TX, &c), 0);
		khost_crypto_destroy(c);
		ck_assert_int_eq(khost_crypto_create(&cs.keys, KTLS_RX, &c), 0);
		khost_crypto_destroy(c);
	}
	khost_crypto_destroy(NULL);
}
END_TEST

/* Create suite i after mutate() changed its keys; the error it gives. */
static int
create_with(int i, void (*mutate)(struct ct_suite *), int direction)
{
	struct ct_suite cs;
	struct khost_crypto *c;
	int error;

	ct_keys(&cs, i);
	if (mutate != NULL)
		mutate(&cs);
	c = NULL;
	error = khost_crypto_create(&cs.keys, direction, &c);
	if (error == 0)
		khost_crypto_destroy(c);
	else
		ck_assert_ptr_null(c);
	return (error);
}

static int gcm12, gcm13, chacha12, chacha13, cbc10, cbc11, cbc12_256;

static void
find_suites(void)
{
	int i;

	gcm12 = gcm13 = chacha12 = chacha13 = cbc10 = cbc11 = cbc12_256 = -1;
	for (i = 0; i < TLSM_NSUITES; i++) {
		const struct tlsm_suite *s = &tlsm_suites[i];

		if (s->cipher == TLSM_GCM && s->key_len == 16) {
			if (s->version == TLSM_V12)
				gcm12 = i;
			else
				gcm13 = i;
		} else if (s->cipher == TLSM_CHACHA) {
			if (s->version == TLSM_V12)
				chacha12 = i;
			else
				chacha13 = i;
		} else if (s->cipher == TLSM_CBC && s->key_len == 16) {
			if (s->version == TLSM_V10)
				cbc10 = i;
			else if (s->version == TLSM_V11)
				cbc11 = i;
			else if (s->mac == TLSM_MAC_SHA256)
				cbc12_256 = i;
		}
	}
	ck_assert(gcm12 >= 0 && gcm13 >= 0 && chacha12 >= 0 &&
	    chacha13 >= 0 && cbc10 >= 0 && cbc11 >= 0 && cbc12_256 >= 0);
}

static void m_vmajor(struct ct_suite *cs) { cs->keys.tls_vmajor = 2; }
static void m_vminor0(struct ct_suite *cs) { cs->keys.tls_vminor = 0; }
static void m_vminor5(struct ct_suite *cs) { cs->keys.tls_vminor = 5; }
static void m_tls10(struct ct_suite *cs) { cs->keys.tls_vminor = 1; }
static void m_tls11(struct ct_suite *cs) { cs->keys.tls_vminor = 2; }
static void m_tls13(struct ct_suite *cs) { cs->keys.tls_vminor = 4; }
static void m_key24(struct ct_suite *cs) { cs->keys.cipher_key_len = 24; }
static void m_key16(struct ct_suite *cs) { cs->keys.cipher_key_len = 16; }
static void m_key0(struct ct_suite *cs) { cs->keys.cipher_key_len = 0; }
static void m_keynull(struct ct_suite *cs) { cs->keys.cipher_key = NULL; }
static void m_iv12(struct ct_suite *cs) { cs->keys.iv_len = 12; }
static void m_iv4(struct ct_suite *cs) { cs->keys.iv_len = 4; }
static void m_iv0(struct ct_suite *cs) { cs->keys.iv_len = 0; }
static void m_iv16(struct ct_suite *cs) { cs->keys.iv_len = 16; }
static void m_iv17(struct ct_suite *cs) { cs->keys.iv_len = 17; }
static void m_ivneg(struct ct_suite *cs) { cs->keys.iv_len = -1; }
static void m_ivnull(struct ct_suite *cs) { cs->keys.iv = NULL; }
static void m_auth0(struct ct_suite *cs) { cs->keys.auth_algorithm = 0; }
static void m_authsha1(struct ct_suite *cs)
{
	cs->keys.auth_algorithm = CRYPTO_SHA1_HMAC;
	cs->keys.auth_key = cs->mackey;
	cs->keys.auth_key_len = 20;
}
static void m_authkeylen0(struct ct_suite *cs) { cs->keys.auth_key_len = 0; }
static void m_authkeylen1(struct ct_suite *cs) { cs->keys.auth_key_len = 1; }
static void m_authkeybig(struct ct_suite *cs)
{
	cs->keys.auth_key_len = TLS_MAX_PARAM_SIZE + 1;
}
static void m_authkeynull(struct ct_suite *cs) { cs->keys.auth_key = NULL; }
static void m_authkeyonly(struct ct_suite *cs)
{
	cs->keys.auth_key = cs->mackey;
	cs->keys.auth_key_len = 20;
}
static void m_icm(struct ct_suite *cs)
{
	cs->keys.cipher_algorithm = CRYPTO_AES_ICM;
}
static void m_cipher999(struct ct_suite *cs)
{
	cs->keys.cipher_algorithm = 999;
}
static void m_auth999(struct ct_suite *cs) { cs->keys.auth_algorithm = 999; }

START_TEST(test_create_einval)
{
	struct ct_suite cs;
	struct khost_crypto *c;

	find_suites();
	ct_keys(&cs, gcm13);
	ck_assert_int_eq(khost_crypto_create(NULL, KTLS_TX, &c), KE_EINVAL);
	ck_assert_int_eq(khost_crypto_create(&cs.keys, KTLS_TX, NULL),
	    KE_EINVAL);
	ck_assert_int_eq(create_with(gcm13, NULL, 0), KE_EINVAL);
	ck_assert_int_eq(create_with(gcm13, NULL, 3), KE_EINVAL);

	/* Versions. */
	ck_assert_int_eq(create_with(gcm13, m_vmajor, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(gcm13, m_vminor0, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(gcm13, m_vminor5, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(gcm12, m_tls11, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(chacha12, m_tls10, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_tls13, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc12_256, m_tls11, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc12_256, m_tls10, KTLS_TX), KE_EINVAL);

	/* Key lengths. */
	ck_assert_int_eq(create_with(gcm12, m_key24, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(gcm13, m_key0, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(chacha13, m_key16, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_key24, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_keynull, KTLS_TX), KE_EINVAL);

	/* IV lengths. */
	ck_assert_int_eq(create_with(gcm12, m_iv12, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(gcm13, m_iv4, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(chacha12, m_iv4, KTLS_RX), KE_EINVAL);
	ck_assert_int_eq(create_with(chacha13, m_ivnull, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc10, m_iv0, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc10, m_iv12, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_iv17, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_ivneg, KTLS_TX), KE_EINVAL);

	/* MACs: required for CBC, refused for the AEADs. */
	ck_assert_int_eq(create_with(cbc11, m_auth0, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_authkeylen0, KTLS_TX),
	    KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_authkeybig, KTLS_TX),
	    KE_EINVAL);
	ck_assert_int_eq(create_with(cbc11, m_authkeynull, KTLS_TX),
	    KE_EINVAL);
	ck_assert_int_eq(create_with(gcm13, m_authsha1, KTLS_TX), KE_EINVAL);
	ck_assert_int_eq(create_with(chacha12, m_authkeyonly, KTLS_TX),
	    KE_EINVAL);
}
END_TEST

START_TEST(test_create_enotsup)
{

	find_suites();
	ck_assert_int_eq(create_with(gcm13, m_icm, KTLS_TX), KE_EOPNOTSUPP);
	ck_assert_int_eq(create_with(gcm13, m_cipher999, KTLS_RX),
	    KE_EOPNOTSUPP);
	ck_assert_int_eq(create_with(cbc11, m_auth999, KTLS_TX),
	    KE_EOPNOTSUPP);
}
END_TEST

/* CBC 1.1+ ignores the key block IV, and any HMAC key length works. */
START_TEST(test_create_cbc_ignored_iv)
{
	struct ct_suite a, b;
	uint8_t *pt, reca[256], recb[256];
	size_t lens[1], la, lb;

	find_suites();
	ck_assert_int_eq(create_with(cbc11, m_iv16, KTLS_TX), 0);
	ck_assert_int_eq(create_with(cbc11, m_iv0, KTLS_RX), 0);
	ck_assert_int_eq(create_with(cbc11, m_authkeylen1, KTLS_TX), 0);

	/* Two sessions that differ only in the ignored IV agree. */
	pt = payload(50, 1);
	lens[0] = 50;
	ct_setup(&a, cbc11);
	ct_setup(&b, cbc11);
	khost_crypto_destroy(b.tx);
	b.keys.iv_len = 16;
	memset(b.iv, 0x5c, sizeof(b.iv));
	ck_assert_int_eq(khost_crypto_create(&b.keys, KTLS_TX, &b.tx), 0);
	la = ct_seal_check(&a, 3, TLS_RLTYPE_APP, pt, 50, lens, 1, NULL, 0,
	    ct_trllen(&a, 50), reca);
	lb = ct_seal_check(&b, 3, TLS_RLTYPE_APP, pt, 50, lens, 1, NULL, 0,
	    ct_trllen(&b, 50), recb);
	ck_assert_uint_eq(la, lb);
	ck_assert(memcmp(reca, recb, la) == 0);
	ct_teardown(&a);
	ct_teardown(&b);
	free(pt);
}
END_TEST

/* ---- encryption against the model ------------------------------------ */

/*
 * Every split of a small record into 2 and 3 slices (empty ones
 * included), in place and into separate slices cut elsewhere.
 */
START_TEST(test_encrypt_every_split)
{
	struct ct_suite cs;
	uint8_t *pt;
	size_t src[3], dst[3], a, b;
	uint64_t seq;
	int trl;

	ct_setup(&cs, _i);
	pt = payload(SMALL, 10 + _i);
	trl = ct_trllen(&cs, SMALL);
	seq = 1000;
	for (a = 0; a <= SMALL; a++) {
		src[0] = a;
		src[1] = SMALL - a;
		dst[0] = SMALL - a;
		dst[1] = a;
		ct_seal_check(&cs, seq++, TLS_RLTYPE_APP, pt, SMALL, src, 2,
		    NULL, 0, trl, NULL);
		ct_seal_check(&cs, seq++, TLS_RLTYPE_HANDSHAKE, pt, SMALL, src,
		    2, dst, 2, trl, NULL);
	}
	for (a = 0; a <= SMALL; a++) {
		for (b = a; b <= SMALL; b++) {
			src[0] = a;
			src[1] = b - a;
			src[2] = SMALL - b;
			dst[0] = (SMALL - b);
			dst[1] = b - a;
			dst[2] = a;
			ct_seal_check(&cs, seq++, TLS_RLTYPE_APP, pt, SMALL,
			    src, 3, NULL, 0, trl, NULL);
			ct_seal_check(&cs, seq++, TLS_RLTYPE_APP, pt, SMALL,
			    src, 3, dst, 3, trl, NULL);
		}
	}
	ct_teardown(&cs);
	free(pt);
}
END_TEST

/* Page-sized slices from an odd first offset, empty slices in between. */
START_TEST(test_encrypt_pages)
{
	static const size_t sizes[] = { 16384, 16383, 12289, 4096, 4095 };
	struct ct_suite cs;
	uint8_t *pt;
	size_t src[CT_MAXSEG], dst[CT_MAXSEG], plen, left, n;
	int nsrc, ndst, k;

	ct_setup(&cs, _i);
	for (k = 0; k < (int)(sizeof(sizes) / sizeof(sizes[0])); k++) {
		plen = sizes[k];
		pt = payload(plen, 20 + k);
		/* Source: first page from offset 1001, an empty slice after
		 * each page. */
		nsrc = 0;
		left = plen;
		n = 4096 - 1001;
		while (left > 0) {
			if (n > left)
				n = left;
			src[nsrc++] = n;
			src[nsrc++] = 0;
			left -= n;
			n = 4096;
		}
		/* Destination: first page from offset 333. */
		ndst = 0;
		left = plen;
		n = 4096 - 333;
		while (left > 0) {
			if (n > left)
				n = left;
			dst[ndst++] = n;
			left -= n;
			n = 4096;
		}
		ct_seal_check(&cs, 7 + k, TLS_RLTYPE_APP, pt, plen, src, nsrc,
		    NULL, 0, ct_trllen(&cs, plen), NULL);
		ct_seal_check(&cs, 70 + k, TLS_RLTYPE_APP, pt, plen, src, nsrc,
		    dst, ndst, ct_trllen(&cs, plen), NULL);
		free(pt);
	}
	ct_teardown(&cs);
}
END_TEST

/* Many tiny slices: 1, 2, 3... bytes, and single bytes. */
START_TEST(test_encrypt_tiny_slices)
{
	struct ct_suite cs;
	uint8_t *pt;
	size_t src[CT_MAXSEG], dst[CT_MAXSEG], plen, left, n;
	int nsrc, ndst;

	ct_setup(&cs, _i);
	plen = 60;
	pt = payload(plen, 30);
	nsrc = 0;
	for (left = plen, n = 1; left > 0; n++) {
		if (n > left)
			n = left;
		src[nsrc++] = n;
		left -= n;
	}
	ndst = 0;
	for (left = plen; left > 0; left--)
		dst[ndst++] = 1;
	ck_assert_int_le(ndst, CT_MAXSEG);
	ct_seal_check(&cs, 1, TLS_RLTYPE_APP, pt, plen, src, nsrc, NULL, 0,
	    ct_trllen(&cs, plen), NULL);
	ct_seal_check(&cs, 2, TLS_RLTYPE_APP, pt, plen, src, nsrc, dst, ndst,
	    ct_trllen(&cs, plen), NULL);
	ct_seal_check(&cs, 3, TLS_RLTYPE_APP, pt, plen, dst, ndst, src, nsrc,
	    ct_trllen(&cs, plen), NULL);
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/* Empty records: no slices at all, or only empty ones. */
START_TEST(test_encrypt_empty)
{
	struct ct_suite cs;
	uint8_t none[1], rec0[256], rec1[256];
	size_t zero[3] = { 0, 0, 0 }, lens[3], len0, len1;
	int trl;

	ct_setup(&cs, _i);
	trl = ct_trllen(&cs, 0);
	len0 = ct_seal_check(&cs, 0, TLS_RLTYPE_ALERT, none, 0, NULL, 0,
	    NULL, 0, trl, rec0);
	len1 = ct_seal_check(&cs, 1, TLS_RLTYPE_APP, none, 0, zero, 3, zero,
	    2, trl, rec1);
	ck_assert_uint_eq(len0, (size_t)cs.hdrlen + (size_t)trl);
	ck_assert_int_eq(ct_open1(&cs, 0, rec0, len0, TLS_RLTYPE_ALERT, none,
	    0), 0);
	lens[0] = 0;
	lens[1] = len1 - (size_t)cs.hdrlen;
	lens[2] = 0;
	ck_assert_int_eq(ct_open(&cs, 1, rec1, len1, lens, 3, TLS_RLTYPE_APP,
	    none, 0), 0);
	ct_teardown(&cs);
}
END_TEST

/* Record types: 1.2 takes the header's, 1.3 puts record_type inside. */
START_TEST(test_encrypt_types)
{
	static const uint8_t types[] = { 20, 21, 22, 23, 0x7f };
	struct ct_suite cs;
	uint8_t *pt, rec[256];
	size_t lens[2], len;
	int k;

	ct_setup(&cs, _i);
	pt = payload(20, 40);
	lens[0] = 7;
	lens[1] = 13;
	for (k = 0; k < 5; k++) {
		len = ct_seal_check(&cs, 50 + k, types[k], pt, 20, lens, 2,
		    NULL, 0, ct_trllen(&cs, 20), rec);
		if (cs.tls13)
			ck_assert_int_eq(rec[0], TLS_RLTYPE_APP);
		else
			ck_assert_int_eq(rec[0], types[k]);
		ck_assert_int_eq(ct_open1(&cs, 50 + k, rec, len, types[k], pt,
		    20), 0);
	}
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/*
 * Longer trailers than the minimum: CBC with extra padding blocks (up to
 * 255 bytes of padding), TLS 1.3 with zero padding after the type.
 */
START_TEST(test_encrypt_long_trailer)
{
	struct ct_suite cs;
	uint8_t *pt, rec[1024];
	size_t lens[2], len, plen;
	int trl, extra;

	ct_setup(&cs, _i);
	if (!cs.cbc && !cs.tls13) {
		ct_teardown(&cs);
		return;
	}
	plen = 29;
	pt = payload(plen, 41);
	lens[0] = 11;
	lens[1] = plen - 11;
	for (extra = 0; extra <= 256; extra += 16) {
		trl = ct_trllen(&cs, plen) + extra;
		if (cs.cbc && trl - cs.maclen > 256)
			break;
		len = ct_seal_check(&cs, 9 + extra, TLS_RLTYPE_APP, pt, plen,
		    lens, 2, NULL, 0, trl, rec);
		ck_assert_int_eq(ct_open1(&cs, 9 + extra, rec, len,
		    TLS_RLTYPE_APP, pt, plen), 0);
	}
	if (cs.tls13) {
		/* Unaligned zero padding, too. */
		len = ct_seal_check(&cs, 500, TLS_RLTYPE_APP, pt, plen, lens,
		    2, NULL, 0, 17 + 5, rec);
		ck_assert_int_eq(ct_open1(&cs, 500, rec, len, TLS_RLTYPE_APP,
		    pt, plen), 0);
	}
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/* ---- decryption ------------------------------------------------------ */

/* The body of a record split everywhere into 2 and 3 slices. */
START_TEST(test_decrypt_every_split)
{
	struct ct_suite cs;
	uint8_t *pt, rec[512];
	size_t lens[3], len, body, a, b;
	uint64_t seq;

	seq = 77;
	ct_setup(&cs, _i);
	pt = payload(SMALL, 50 + _i);
	lens[0] = SMALL;
	len = ct_seal_check(&cs, seq, TLS_RLTYPE_APP, pt, SMALL, lens, 1,
	    NULL, 0, ct_trllen(&cs, SMALL), rec);
	body = len - (size_t)cs.hdrlen;
	for (a = 0; a <= body; a++) {
		lens[0] = a;
		lens[1] = body - a;
		if (cs.tls10)
			ct_rx_reset(&cs);
		ck_assert_int_eq(ct_open(&cs, seq, rec, len, lens, 2,
		    TLS_RLTYPE_APP, pt, SMALL), 0);
	}
	for (a = 0; a <= body; a++) {
		for (b = a; b <= body; b++) {
			lens[0] = a;
			lens[1] = b - a;
			lens[2] = body - b;
			if (cs.tls10)
				ct_rx_reset(&cs);
			ck_assert_int_eq(ct_open(&cs, seq, rec, len, lens, 3,
			    TLS_RLTYPE_APP, pt, SMALL), 0);
		}
	}
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/* Records the model sealed (not the backend) open, in page slices. */
START_TEST(test_decrypt_model_records)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 255, 4096, 16384 };
	struct ct_suite cs;
	uint8_t *pt, *rec, hdr[32];
	size_t lens[CT_MAXSEG], len, body, left, n, plen;
	int k, nl;

	ct_setup(&cs, _i);
	rec = malloc(CT_MAXREC);
	ck_assert_ptr_nonnull(rec);
	for (k = 0; k < (int)(sizeof(sizes) / sizeof(sizes[0])); k++) {
		plen = sizes[k];
		pt = payload(plen, 60 + k);
		ct_frame(&cs, TLS_RLTYPE_APP, plen, ct_trllen(&cs, plen), k,
		    hdr);
		len = ct_model_seal(&cs, k, TLS_RLTYPE_APP, pt, plen, hdr,
		    ct_trllen(&cs, plen), rec);
		body = len - (size_t)cs.hdrlen;
		nl = 0;
		left = body;
		n = 4096 - 555;
		while (left > 0) {
			if (n > left)
				n = left;
			lens[nl++] = n;
			left -= n;
			n = 4096;
		}
		ck_assert_int_eq(ct_open(&cs, k, rec, len, lens, nl,
		    TLS_RLTYPE_APP, pt, plen), 0);
		free(pt);
	}
	free(rec);
	ct_teardown(&cs);
}
END_TEST

/* ---- TLS 1.0: the IV chains from record to record --------------------- */

START_TEST(test_tls10_chain)
{
	static const size_t sizes[] = { 0, 1, 100, 4000, 16384, 31, 5000 };
	struct ct_suite cs;
	uint8_t *pt[7], *rec[7];
	size_t len[7], lens[CT_MAXSEG], left, n;
	int k, nl, i;

	for (i = 0; i < TLSM_NSUITES; i++) {
		if (tlsm_suites[i].version != TLSM_V10)
			continue;
		ct_setup(&cs, i);
		for (k = 0; k < 7; k++) {
			pt[k] = payload(sizes[k], 70 + k);
			rec[k] = malloc(CT_MAXREC);
			ck_assert_ptr_nonnull(rec[k]);
			nl = 0;
			left = sizes[k];
			n = 4096 - 1001;
			while (left > 0) {
				if (n > left)
					n = left;
				lens[nl++] = n;
				left -= n;
				n = 4096;
			}
			/* The model's state chains alongside. */
			len[k] = ct_seal_check(&cs, k, TLS_RLTYPE_APP, pt[k],
			    sizes[k], lens, nl, NULL, 0,
			    ct_trllen(&cs, sizes[k]), rec[k]);
		}
		/* Out of order, a record does not open... */
		ck_assert_int_eq(ct_open1(&cs, 1, rec[1], len[1],
		    TLS_RLTYPE_APP, pt[1], sizes[1]), KE_EBADMSG);
		/* ...and the failure did not move the chain: in order, all
		 * open. */
		for (k = 0; k < 7; k++)
			ck_assert_int_eq(ct_open1(&cs, k, rec[k], len[k],
			    TLS_RLTYPE_APP, pt[k], sizes[k]), 0);
		for (k = 0; k < 7; k++) {
			free(pt[k]);
			free(rec[k]);
		}
		ct_teardown(&cs);
	}
}
END_TEST

/* ---- counters --------------------------------------------------------- */

START_TEST(test_crypto_bytes)
{
	struct ct_suite cs;
	uint8_t *pt, rec[512], bad[512];
	size_t lens[2], len;
	int64_t before, mid;

	ct_setup(&cs, _i);
	pt = payload(100, 80);
	lens[0] = 60;
	lens[1] = 40;
	before = ct_crypto_bytes();
	len = ct_seal_check(&cs, 5, TLS_RLTYPE_APP, pt, 100, lens, 2, NULL, 0,
	    ct_trllen(&cs, 100), rec);
	ck_assert_int_eq(ct_crypto_bytes() - before, 100);
	ct_seal_check(&cs, 6, TLS_RLTYPE_APP, pt, 100, lens, 2, lens, 2,
	    ct_trllen(&cs, 100), NULL);
	ck_assert_int_eq(ct_crypto_bytes() - before, 200);

	/* A record that fails adds nothing; one that opens adds its
	 * plaintext (not tag, MAC, padding or inner type). */
	memcpy(bad, rec, len);
	bad[len - 1] ^= 0x10;
	mid = ct_crypto_bytes();
	ck_assert_int_eq(ct_open1(&cs, 5, bad, len, TLS_RLTYPE_APP, pt, 100),
	    KE_EBADMSG);
	ck_assert_int_eq(ct_crypto_bytes(), mid);
	ck_assert_int_eq(ct_open1(&cs, 5, rec, len, TLS_RLTYPE_APP, pt, 100),
	    0);
	ck_assert_int_eq(ct_crypto_bytes() - mid, 100);
	/* Nothing is copied. */
	ck_assert_int_eq(khost_counter_get(KC_COPY_BYTES), 0);
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/* ---- caller errors ---------------------------------------------------- */

START_TEST(test_encrypt_bad_framing)
{
	struct ct_suite cs;
	struct khost_iov src[1], dst[1];
	uint8_t pt[64], out[64], hdr[32], trailer[320], type;
	int64_t before;
	int trl, tlen;

	ct_setup(&cs, _i);
	uktest_fill(pt, sizeof(pt), 90, 0);
	src[0].iov_base = pt;
	src[0].iov_len = 40;
	dst[0].iov_base = out;
	dst[0].iov_len = 40;
	trl = ct_trllen(&cs, 40);
	ct_frame(&cs, TLS_RLTYPE_APP, 40, trl, 1, hdr);
	before = ct_crypto_bytes();

	/* Header length field that disagrees. */
	hdr[4] ^= 1;
	ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr, cs.hdrlen, 1, 23,
	    src, 1, dst, 1, trailer, trl), KE_EIO);
	hdr[4] ^= 1;
	/* Wrong header length for the suite. */
	ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr, cs.hdrlen + 1, 1,
	    23, src, 1, dst, 1, trailer, trl), KE_EIO);
	/* Destination of another length. */
	dst[0].iov_len = 39;
	ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr, cs.hdrlen, 1, 23,
	    src, 1, dst, 1, trailer, trl), KE_EIO);
	dst[0].iov_len = 40;
	/* Trailer not what the suite needs (header adjusted to agree). */
	ct_frame(&cs, TLS_RLTYPE_APP, 40, trl - 1, 1, hdr);
	ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr, cs.hdrlen, 1, 23,
	    src, 1, dst, 1, trailer, trl - 1), KE_EIO);
	if (!cs.cbc) {
		ct_frame(&cs, TLS_RLTYPE_APP, 40, 15, 1, hdr);
		ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr, cs.hdrlen,
		    1, 23, src, 1, dst, 1, trailer, 15), KE_EIO);
		if (!cs.tls13) {
			ct_frame(&cs, TLS_RLTYPE_APP, 40, 17, 1, hdr);
			ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr,
			    cs.hdrlen, 1, 23, src, 1, dst, 1, trailer, 17),
			    KE_EIO);
		}
	} else {
		/* MAC + 256 bytes of padding is one too many. */
		trl = ct_trllen(&cs, 40);
		while (trl - cs.maclen <= 256)
			trl += 16;
		ct_frame(&cs, TLS_RLTYPE_APP, 40, trl, 1, hdr);
		ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr, cs.hdrlen,
		    1, 23, src, 1, dst, 1, trailer, trl), KE_EIO);
		/* Not whole blocks. */
		trl = ct_trllen(&cs, 40) + 1;
		ct_frame(&cs, TLS_RLTYPE_APP, 40, trl, 1, hdr);
		ck_assert_int_eq(khost_crypto_encrypt(cs.tx, hdr, cs.hdrlen,
		    1, 23, src, 1, dst, 1, trailer, trl), KE_EIO);
	}
	/* The wrong direction. */
	trl = ct_trllen(&cs, 40);
	ct_frame(&cs, TLS_RLTYPE_APP, 40, trl, 1, hdr);
	ck_assert_int_eq(khost_crypto_encrypt(cs.rx, hdr, cs.hdrlen, 1, 23,
	    src, 1, dst, 1, trailer, trl), KE_EIO);
	ck_assert_int_eq(khost_crypto_decrypt(cs.tx, hdr, cs.hdrlen, 1, src,
	    1, &tlen, &type), KE_EINVAL);
	ck_assert_int_eq(ct_crypto_bytes(), before);
	ct_teardown(&cs);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("crypto");

	tc = uktest_tcase("create");
	tcase_add_test(tc, test_create_all_suites);
	tcase_add_test(tc, test_create_einval);
	tcase_add_test(tc, test_create_enotsup);
	tcase_add_test(tc, test_create_cbc_ignored_iv);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("encrypt");
	tcase_add_loop_test(tc, test_encrypt_every_split, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_encrypt_pages, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_encrypt_tiny_slices, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_encrypt_empty, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_encrypt_types, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_encrypt_long_trailer, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_encrypt_bad_framing, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("decrypt");
	tcase_add_loop_test(tc, test_decrypt_every_split, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_decrypt_model_records, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_tls10_chain);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("counters");
	tcase_add_loop_test(tc, test_crypto_bytes, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(crypto_suite()));
}
