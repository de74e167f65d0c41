/*
 * The software TLS crypto backend refusing what it must refuse: every
 * bit of a record that is authenticated (header type and version, the
 * explicit nonce or IV, ciphertext, tag, MAC, padding) flipped in turn
 * gives EBADMSG; lengths that cannot be valid give EMSGSIZE; CBC padding
 * of every length opens and every wrong padding byte is caught; TLS 1.3
 * padding is stripped and a plaintext with no content type is refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto_fixture.h"

static uint8_t *
payload(size_t len, uint32_t stream)
{
	uint8_t *p;

	p = malloc(len + 1);
	ck_assert_ptr_nonnull(p);
	uktest_fill(p, len, stream, 0);
	return (p);
}

/* Every bit of the record except the length field, one at a time. */
START_TEST(test_tamper_every_bit)
{
	struct ct_suite cs;
	uint8_t *pt, rec[512], bad[512];
	size_t lens[3], len, j;
	int bit, error, plen;

	ct_setup(&cs, _i);
	for (plen = 0; plen <= 45; plen += 45) {
		pt = payload((size_t)plen, 5);
		lens[0] = (size_t)plen / 3;
		lens[1] = (size_t)plen / 3;
		lens[2] = (size_t)plen - 2 * ((size_t)plen / 3);
		if (cs.tls10) {
			ct_teardown(&cs);
			ct_setup(&cs, _i);
		}
		len = ct_seal_check(&cs, 9, TLS_RLTYPE_APP, pt, (size_t)plen,
		    lens, 3, NULL, 0, ct_trllen(&cs, (size_t)plen), rec);
		for (j = 0; j < len; j++) {
			if (j == 3 || j == 4)
				continue;
			for (bit = 0; bit < 8; bit++) {
				memcpy(bad, rec, len);
				bad[j] ^= (uint8_t)(1 << bit);
				error = ct_open1(&cs, 9, bad, len,
				    TLS_RLTYPE_APP, pt, (size_t)plen);
				if (error != KE_EBADMSG)
					ck_abort_msg("%s: byte %zu bit %d of "
					    "%zu: error %d", cs.ms->name, j,
					    bit, len, error);
			}
		}
		/* The wrong sequence number too. */
		ck_assert_int_eq(ct_open1(&cs, 10, rec, len, TLS_RLTYPE_APP,
		    pt, (size_t)plen), KE_EBADMSG);
		/* None of that moved the TLS 1.0 chain: the record opens. */
		ck_assert_int_eq(ct_open1(&cs, 9, rec, len, TLS_RLTYPE_APP,
		    pt, (size_t)plen), 0);
		free(pt);
	}
	ct_teardown(&cs);
}
END_TEST

/* A record that fails authentication leaves no plaintext behind. */
START_TEST(test_tamper_scrubs)
{
	struct ct_suite cs;
	struct ct_layout body;
	uint8_t *pt, rec[512], type;
	size_t lens[2], len, k;
	int tlen;

	ct_setup(&cs, _i);
	pt = payload(100, 6);
	lens[0] = 64;
	lens[1] = 36;
	len = ct_seal_check(&cs, 1, TLS_RLTYPE_APP, pt, 100, lens, 2, NULL, 0,
	    ct_trllen(&cs, 100), rec);
	rec[len - 1] ^= 1;
	lens[0] = 50;
	lens[1] = len - (size_t)cs.hdrlen - 50;
	ct_layout(&body, lens, 2, 100);
	ct_scatter(&body, rec + cs.hdrlen);
	ck_assert_int_eq(khost_crypto_decrypt(cs.rx, rec, cs.hdrlen, 1,
	    body.iov, body.niov, &tlen, &type), KE_EBADMSG);
	for (k = 0; k < 50; k++)
		if (((uint8_t *)body.iov[0].iov_base)[k] != 0)
			ck_abort_msg("byte %zu left after a failure", k);
	ct_check_canaries(&body);
	ct_free(&body);
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/* Header length, header length field and the iov must agree. */
START_TEST(test_bad_lengths_header)
{
	struct ct_suite cs;
	uint8_t *pt, rec[512], type;
	size_t len;
	int tlen;

	ct_setup(&cs, _i);
	pt = payload(40, 7);
	len = ct_seal_check(&cs, 2, TLS_RLTYPE_APP, pt, 40, (size_t[]){ 40 },
	    1, NULL, 0, ct_trllen(&cs, 40), rec);
	/* The length field says one more, one less. */
	rec[4]++;
	ck_assert_int_eq(ct_open1(&cs, 2, rec, len, TLS_RLTYPE_APP, pt, 40),
	    KE_EMSGSIZE);
	rec[4] -= 2;
	ck_assert_int_eq(ct_open1(&cs, 2, rec, len, TLS_RLTYPE_APP, pt, 40),
	    KE_EMSGSIZE);
	rec[4]++;
	/* A header length the suite does not have: caller error. */
	ck_assert_int_eq(khost_crypto_decrypt(cs.rx, rec, cs.hdrlen + 8, 2,
	    NULL, 0, &tlen, &type), KE_EINVAL);
	ck_assert_int_eq(ct_open1(&cs, 2, rec, len, TLS_RLTYPE_APP, pt, 40),
	    0);
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/* Open a record of hdrlen + body bytes of noise; the error. */
static int
open_noise(struct ct_suite *cs, size_t body)
{
	uint8_t *rec;
	size_t len, lens[2];
	int error;

	len = (size_t)cs->hdrlen + body;
	rec = malloc(len);
	ck_assert_ptr_nonnull(rec);
	uktest_fill(rec, len, 8, body);
	ct_frame(cs, TLS_RLTYPE_APP, body, 0, 0, rec);
	lens[0] = body / 2;
	lens[1] = body - body / 2;
	error = ct_open(cs, 0, rec, len, lens, 2, 0, rec, 0);
	free(rec);
	return (error);
}

START_TEST(test_bad_lengths_body)
{
	struct ct_suite cs;
	size_t b, minbody;

	ct_setup(&cs, _i);
	if (cs.cbc) {
		/* Not whole blocks. */
		for (b = 1; b < 200; b++)
			if (b % 16 != 0)
				ck_assert_int_eq(open_noise(&cs, b),
				    KE_EMSGSIZE);
		/* Whole blocks, but no room for MAC and a padding byte. */
		minbody = ((size_t)cs.maclen + 1 + 15) / 16 * 16;
		for (b = 0; b < minbody; b += 16)
			ck_assert_int_eq(open_noise(&cs, b), KE_EMSGSIZE);
		/* The smallest well-formed length is a MAC failure. */
		ck_assert_int_eq(open_noise(&cs, minbody), KE_EBADMSG);
	} else if (cs.tls13) {
		/* ktls_ocf.c: no room for the inner type is EBADMSG. */
		for (b = 0; b <= 16; b++)
			ck_assert_int_eq(open_noise(&cs, b), KE_EBADMSG);
		ck_assert_int_eq(open_noise(&cs, 17), KE_EBADMSG);
	} else {
		for (b = 0; b < 16; b++)
			ck_assert_int_eq(open_noise(&cs, b), KE_EMSGSIZE);
		ck_assert_int_eq(open_noise(&cs, 16), KE_EBADMSG);
		ck_assert_int_eq(open_noise(&cs, 100), KE_EBADMSG);
	}
	ct_teardown(&cs);
}
END_TEST

/* ---- CBC padding ------------------------------------------------------ */

/*
 * Every padding length the peer may choose opens (padding bytes counted
 * with the length byte: 1..16 and longer ones up to 256).
 */
START_TEST(test_cbc_every_padding)
{
	static const size_t pads[] = { 17, 20, 31, 32, 33, 40, 48, 100, 200,
	    255, 256 };
	struct ct_suite cs;
	uint8_t *pt, *rec, hdr[32];
	size_t lens[3], len, body, plen, pad;
	int k, npads;

	ct_setup(&cs, _i);
	if (!cs.cbc) {
		ct_teardown(&cs);
		return;
	}
	rec = malloc(CT_MAXREC);
	ck_assert_ptr_nonnull(rec);
	npads = 16 + (int)(sizeof(pads) / sizeof(pads[0]));
	for (k = 0; k < npads; k++) {
		pad = k < 16 ? (size_t)k + 1 : pads[k - 16];
		plen = 30;
		while ((plen + (size_t)cs.maclen + pad) % 16 != 0)
			plen++;
		pt = payload(plen, 9);
		ct_frame(&cs, TLS_RLTYPE_HANDSHAKE, plen,
		    cs.maclen + (int)pad, k, hdr);
		len = ct_model_seal(&cs, k, TLS_RLTYPE_HANDSHAKE, pt, plen,
		    hdr, cs.maclen + (int)pad, rec);
		body = len - (size_t)cs.hdrlen;
		/* Cut through the padding and the MAC. */
		lens[0] = plen - 3;
		lens[1] = body - plen - pad / 2;
		lens[2] = body - lens[0] - lens[1];
		ck_assert_int_eq(ct_open(&cs, k, rec, len, lens, 3,
		    TLS_RLTYPE_HANDSHAKE, pt, plen), 0);
		free(pt);
	}
	free(rec);
	ct_teardown(&cs);
}
END_TEST

/*
 * Build a CBC record by hand (not through the model or the backend):
 * content, a MAC (good, or with one byte flipped), then the padding
 * bytes given, encrypted with one-shot EVP.  For TLS 1.0 the IV is the
 * key block IV (a fresh receive context is expected).
 */
static size_t
cbc_craft(struct ct_suite *cs, uint64_t seq, const uint8_t *pt, size_t plen,
    int badmac, const uint8_t *padding, size_t padlen, uint8_t *rec)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *inner, ad[13], mac[48];
	unsigned int maclen;
	size_t body, len;
	int outl;

	body = plen + (size_t)cs->maclen + padlen;
	ck_assert_uint_eq(body % 16, 0);
	len = (size_t)cs->hdrlen + body;
	ct_frame(cs, TLS_RLTYPE_APP, plen, cs->maclen + (int)padlen, seq, rec);

	tlsm_be64enc(ad, seq);
	ad[8] = rec[0];
	ad[9] = rec[1];
	ad[10] = rec[2];
	ad[11] = (uint8_t)(plen >> 8);
	ad[12] = (uint8_t)plen;
	inner = malloc(body + 13);
	ck_assert_ptr_nonnull(inner);
	memcpy(inner, ad, 13);
	memcpy(inner + 13, pt, plen);
	ck_assert_ptr_nonnull(HMAC(EVP_get_digestbyname(
	    cs->maclen == 20 ? "SHA1" : cs->maclen == 32 ? "SHA256" :
	    "SHA384"), cs->mackey, cs->maclen, inner, 13 + plen, mac,
	    &maclen));
	ck_assert_uint_eq(maclen, (unsigned int)cs->maclen);
	if (badmac)
		mac[maclen / 2] ^= 0x04;
	memcpy(inner, pt, plen);
	memcpy(inner + plen, mac, maclen);
	memcpy(inner + plen + maclen, padding, padlen);

	ctx = EVP_CIPHER_CTX_new();
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_EncryptInit_ex(ctx, cs->ms->key_len == 16 ?
	    EVP_aes_128_cbc() : EVP_aes_256_cbc(), NULL, cs->key,
	    cs->tls10 ? cs->iv : rec + 5), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	ck_assert_int_eq(EVP_EncryptUpdate(ctx, rec + cs->hdrlen, &outl,
	    inner, (int)body), 1);
	ck_assert_int_eq(outl, (int)body);
	EVP_CIPHER_CTX_free(ctx);
	free(inner);
	return (len);
}

static int
cbc_try(struct ct_suite *cs, const uint8_t *pt, size_t plen, int badmac,
    const uint8_t *padding, size_t padlen)
{
	uint8_t *rec;
	size_t len, lens[2];
	int error;

	rec = malloc(CT_MAXREC);
	ck_assert_ptr_nonnull(rec);
	if (cs->tls10)
		ct_rx_reset(cs);
	len = cbc_craft(cs, 3, pt, plen, badmac, padding, padlen, rec);
	lens[0] = (len - (size_t)cs->hdrlen) / 2 + 1;
	lens[1] = len - (size_t)cs->hdrlen - lens[0];
	error = ct_open(cs, 3, rec, len, lens, 2, TLS_RLTYPE_APP, pt, plen);
	free(rec);
	return (error);
}

START_TEST(test_cbc_bad_padding)
{
	static const size_t padlens[] = { 1, 2, 6, 16, 17, 100, 256 };
	struct ct_suite cs;
	uint8_t *pt, padding[256];
	size_t plen, padlen, j;
	int k;

	ct_setup(&cs, _i);
	if (!cs.cbc) {
		ct_teardown(&cs);
		return;
	}
	for (k = 0; k < (int)(sizeof(padlens) / sizeof(padlens[0])); k++) {
		padlen = padlens[k];
		plen = 20;
		while ((plen + (size_t)cs.maclen + padlen) % 16 != 0)
			plen++;
		pt = payload(plen, 11);
		memset(padding, (int)(padlen - 1), padlen);

		/* The control: hand-made and well-formed, it opens. */
		ck_assert_int_eq(cbc_try(&cs, pt, plen, 0, padding, padlen),
		    0);
		/* A bad MAC behind good padding. */
		ck_assert_int_eq(cbc_try(&cs, pt, plen, 1, padding, padlen),
		    KE_EBADMSG);
		/* Each padding byte wrong in turn (the length byte too). */
		for (j = 0; j < padlen; j++) {
			padding[j] ^= 0x01;
			ck_assert_int_eq(cbc_try(&cs, pt, plen, 0, padding,
			    padlen), KE_EBADMSG);
			padding[j] ^= 0x01;
		}
		free(pt);
	}

	/* A padding length that reaches past the MAC into nothing. */
	plen = 0;
	while ((plen + (size_t)cs.maclen + 1) % 16 != 0)
		plen++;
	pt = payload(plen, 12);
	padding[0] = 0xff;
	ck_assert_int_eq(cbc_try(&cs, pt, plen, 0, padding, 1), KE_EBADMSG);
	/* ...or into the MAC (the MAC bytes are not all equal to it). */
	padding[0] = (uint8_t)(cs.maclen - 1);
	ck_assert_int_eq(cbc_try(&cs, pt, plen, 0, padding, 1), KE_EBADMSG);
	free(pt);
	ct_teardown(&cs);
}
END_TEST

/* ---- TLS 1.3: inner type and zero padding ---------------------------- */

static size_t
seal13(struct ct_suite *cs, uint64_t seq, uint8_t type, const uint8_t *pt,
    size_t plen, size_t pad, uint8_t *rec)
{
	uint8_t hdr[8];

	ct_frame(cs, type, plen, 17 + (int)pad, seq, hdr);
	return (ct_model_seal(cs, seq, type, pt, plen, hdr, 17 + (int)pad,
	    rec));
}

START_TEST(test_tls13_padding)
{
	static const size_t pads[] = { 0, 1, 2, 15, 16, 100, 1000, 4000 };
	struct ct_suite cs;
	uint8_t *pt, *rec;
	size_t lens[3], len, body;
	int k;

	ct_setup(&cs, _i);
	if (!cs.tls13) {
		ct_teardown(&cs);
		return;
	}
	rec = malloc(CT_MAXREC);
	ck_assert_ptr_nonnull(rec);
	/* Content that itself ends in zeros: they are content. */
	pt = payload(64, 13);
	memset(pt + 50, 0, 14);
	for (k = 0; k < (int)(sizeof(pads) / sizeof(pads[0])); k++) {
		len = seal13(&cs, k, TLS_RLTYPE_HANDSHAKE, pt, 64, pads[k],
		    rec);
		body = len - 5;
		/* The type byte alone in the middle slice. */
		lens[0] = 64;
		lens[1] = 1;
		lens[2] = body - 65;
		ck_assert_int_eq(ct_open(&cs, k, rec, len, lens, 3,
		    TLS_RLTYPE_HANDSHAKE, pt, 64), 0);
		/* Padding and tag split anywhere. */
		lens[0] = 64 + 1 + pads[k] / 2;
		lens[1] = body - lens[0] - 3;
		lens[2] = 3;
		ck_assert_int_eq(ct_open(&cs, k, rec, len, lens, 3,
		    TLS_RLTYPE_HANDSHAKE, pt, 64), 0);
	}
	free(pt);
	free(rec);
	ct_teardown(&cs);
}
END_TEST

/* All zeros inside: no content type, the record is refused. */
START_TEST(test_tls13_no_type)
{
	static const size_t sizes[] = { 0, 1, 31 };
	static const size_t pads[] = { 0, 7, 300 };
	struct ct_suite cs;
	uint8_t zeros[64], *rec;
	size_t len, lens[2];
	int k, p;

	ct_setup(&cs, _i);
	if (!cs.tls13) {
		ct_teardown(&cs);
		return;
	}
	rec = malloc(CT_MAXREC);
	ck_assert_ptr_nonnull(rec);
	memset(zeros, 0, sizeof(zeros));
	for (k = 0; k < 3; k++) {
		for (p = 0; p < 3; p++) {
			len = seal13(&cs, 3 * k + p, 0, zeros, sizes[k],
			    pads[p], rec);
			lens[0] = (len - 5) / 3;
			lens[1] = len - 5 - lens[0];
			ck_assert_int_eq(ct_open(&cs, 3 * k + p, rec, len, lens,
			    2, 0, zeros, 0), KE_EBADMSG);
		}
	}
	/* The smallest valid one: an empty record of type 23. */
	len = seal13(&cs, 50, TLS_RLTYPE_APP, zeros, 0, 0, rec);
	ck_assert_uint_eq(len, 5 + 17);
	ck_assert_int_eq(ct_open1(&cs, 50, rec, len, TLS_RLTYPE_APP, zeros,
	    0), 0);
	free(rec);
	ct_teardown(&cs);
}
END_TEST

static Suite *
tamper_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("crypto_tamper");

	tc = uktest_tcase("tamper");
	tcase_add_loop_test(tc, test_tamper_every_bit, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tamper_scrubs, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("lengths");
	tcase_add_loop_test(tc, test_bad_lengths_header, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_bad_lengths_body, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("cbc_padding");
	tcase_add_loop_test(tc, test_cbc_every_padding, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_cbc_bad_padding, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("tls13");
	tcase_add_loop_test(tc, test_tls13_padding, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tls13_no_type, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(tamper_suite()));
}
