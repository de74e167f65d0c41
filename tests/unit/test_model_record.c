/*
 * model/: record protection, framing and key derivation.
 *
 * Known answers first (RFC 8448 §3 records and traffic keys, the TLS 1.2
 * PRF vector, CBC records built here step by step with other libcrypto
 * calls), then round trips and a tamper twin for every suite: every byte
 * of a record flipped must give the error class of its region.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tls_keys.h"
#include "tls_record.h"
#include "uktest.h"

#include "../vectors/rfc8448.h"
#include "../vectors/tls12_prf.h"

#define	BIG	(TLSM_HDR_LEN + 65536)

/* Hex with optional spaces to bytes; returns the byte count. */
static size_t
hex(const char *s, uint8_t *out, size_t cap)
{
	char digits[2 * 1024];
	size_t n;

	n = 0;
	for (; *s != '\0'; s++)
		if (*s != ' ') {
			ck_assert_uint_lt(n, sizeof(digits));
			digits[n++] = *s;
		}
	ck_assert_uint_eq(n % 2, 0);
	ck_assert_uint_le(n / 2, cap);
	ck_assert_int_eq(tlsm_unhex(digits, n, out, n / 2), 0);
	return (n / 2);
}

static size_t
suite_iv_len(const struct tlsm_suite *s)
{

	if (s->cipher == TLSM_GCM && s->version == TLSM_V12)
		return (4);
	if (s->cipher == TLSM_CBC)
		return (s->version == TLSM_V10 ? 16 : 0);
	return (12);
}

/* A state for suite s with keys drawn from stream. */
static void
make_state(const struct tlsm_suite *s, uint32_t stream, struct tlsm_state *st)
{
	uint8_t key[32], iv[16], mk[48];

	uktest_fill(key, sizeof(key), stream, 0);
	uktest_fill(iv, sizeof(iv), stream, 100);
	uktest_fill(mk, sizeof(mk), stream, 200);
	ck_assert_int_eq(tlsm_init(st, s->version, s->cipher, s->mac, key,
	    s->key_len, iv, suite_iv_len(s), mk, tlsm_mac_len(s->mac)), 0);
}

static uint8_t *
xmalloc(size_t n)
{
	uint8_t *p;

	p = malloc(n);
	ck_assert_ptr_nonnull(p);
	return (p);
}

/* ---- RFC 8448 §3 ------------------------------------------------------ */

static void
check_tls13_keys(const char *secret_hex, const char *key_hex,
    const char *iv_hex)
{
	struct tlsm_state st;
	uint8_t secret[32], key[16], iv[12];

	hex(secret_hex, secret, sizeof(secret));
	hex(key_hex, key, sizeof(key));
	hex(iv_hex, iv, sizeof(iv));
	ck_assert_int_eq(tlsm_tls13_state(tlsm_suite_find("aes128_gcm_1_3"),
	    secret, sizeof(secret), &st), 0);
	ck_assert_uint_eq(st.key_len, 16);
	ck_assert_mem_eq(st.key, key, 16);
	ck_assert_uint_eq(st.iv_len, 12);
	ck_assert_mem_eq(st.iv, iv, 12);
}

START_TEST(test_rfc8448_traffic_keys)
{

	check_tls13_keys(RFC8448_C_HS_SECRET, RFC8448_C_HS_KEY,
	    RFC8448_C_HS_IV);
	check_tls13_keys(RFC8448_S_HS_SECRET, RFC8448_S_HS_KEY,
	    RFC8448_S_HS_IV);
	check_tls13_keys(RFC8448_C_AP_SECRET, RFC8448_C_AP_KEY,
	    RFC8448_C_AP_IV);
	check_tls13_keys(RFC8448_S_AP_SECRET, RFC8448_S_AP_KEY,
	    RFC8448_S_AP_IV);
}
END_TEST

static void
rfc8448_state(const char *key_hex, const char *iv_hex, struct tlsm_state *st)
{
	uint8_t key[16], iv[12];

	hex(key_hex, key, sizeof(key));
	hex(iv_hex, iv, sizeof(iv));
	ck_assert_int_eq(tlsm_init(st, TLSM_V13, TLSM_GCM, TLSM_MAC_NONE, key,
	    16, iv, 12, NULL, 0), 0);
}

/* Seal gives the RFC's record byte for byte; open gives the input back. */
static void
check_rfc8448_record(const char *key_hex, const char *iv_hex, uint64_t seq,
    uint8_t type, const uint8_t *pt, size_t ptlen, const char *rec_hex)
{
	struct tlsm_state st;
	uint8_t want[512], got[512], back[512], otype;
	size_t wantlen, gotlen, backlen;

	rfc8448_state(key_hex, iv_hex, &st);
	wantlen = hex(rec_hex, want, sizeof(want));
	ck_assert_int_eq(tlsm_seal(&st, seq, type, pt, ptlen, NULL, got,
	    sizeof(got), &gotlen), 0);
	ck_assert_uint_eq(gotlen, wantlen);
	ck_assert_mem_eq(got, want, wantlen);
	ck_assert_int_eq(tlsm_open(&st, seq, want, wantlen, &otype, back,
	    sizeof(back), &backlen), 0);
	ck_assert_uint_eq(otype, type);
	ck_assert_uint_eq(backlen, ptlen);
	ck_assert_mem_eq(back, pt, ptlen);
	/* The same record under the neighbouring sequence numbers: refused. */
	ck_assert_int_eq(tlsm_open(&st, seq + 1, want, wantlen, &otype, back,
	    sizeof(back), &backlen), EBADMSG);
	if (seq > 0)
		ck_assert_int_eq(tlsm_open(&st, seq - 1, want, wantlen, &otype,
		    back, sizeof(back), &backlen), EBADMSG);
}

START_TEST(test_rfc8448_records)
{
	uint8_t app[RFC8448_APP_LEN], fin[64], alert[2];
	size_t finlen, i;

	for (i = 0; i < sizeof(app); i++)
		app[i] = (uint8_t)i;
	finlen = hex(RFC8448_C_FINISHED, fin, sizeof(fin));
	hex(RFC8448_CLOSE_NOTIFY, alert, sizeof(alert));

	check_rfc8448_record(RFC8448_C_HS_KEY, RFC8448_C_HS_IV, 0,
	    TLSM_CT_HANDSHAKE, fin, finlen, RFC8448_C_FINISHED_RECORD);
	check_rfc8448_record(RFC8448_C_AP_KEY, RFC8448_C_AP_IV, 0,
	    TLSM_CT_APP, app, sizeof(app), RFC8448_C_APP_RECORD);
	check_rfc8448_record(RFC8448_S_AP_KEY, RFC8448_S_AP_IV, 1,
	    TLSM_CT_APP, app, sizeof(app), RFC8448_S_APP_RECORD);
	check_rfc8448_record(RFC8448_C_AP_KEY, RFC8448_C_AP_IV, 1,
	    TLSM_CT_ALERT, alert, sizeof(alert), RFC8448_C_ALERT_RECORD);
	check_rfc8448_record(RFC8448_S_AP_KEY, RFC8448_S_AP_IV, 2,
	    TLSM_CT_ALERT, alert, sizeof(alert), RFC8448_S_ALERT_RECORD);
}
END_TEST

START_TEST(test_rfc8448_new_session_ticket)
{
	struct tlsm_state st;
	uint8_t rec[256], pt[256], type;
	size_t len, ptlen;

	rfc8448_state(RFC8448_S_AP_KEY, RFC8448_S_AP_IV, &st);
	len = hex(RFC8448_S_NST_RECORD, rec, sizeof(rec));
	ck_assert_int_eq(tlsm_open(&st, 0, rec, len, &type, pt, sizeof(pt),
	    &ptlen), 0);
	ck_assert_uint_eq(type, TLSM_CT_HANDSHAKE);
	ck_assert_uint_eq(ptlen, 4 + 0xc9);
	ck_assert_uint_eq(pt[0], 4);		/* new_session_ticket */
	ck_assert_uint_eq(pt[1], 0);
	ck_assert_uint_eq(pt[2], 0);
	ck_assert_uint_eq(pt[3], 0xc9);
	/* Under the client's keys it is garbage. */
	rfc8448_state(RFC8448_C_AP_KEY, RFC8448_C_AP_IV, &st);
	ck_assert_int_eq(tlsm_open(&st, 0, rec, len, &type, pt, sizeof(pt),
	    &ptlen), EBADMSG);
}
END_TEST

START_TEST(test_tls12_prf_vector)
{
	uint8_t secret[16], seed[16], want[100], got[100];

	hex(TLS12_PRF_SHA256_SECRET, secret, sizeof(secret));
	hex(TLS12_PRF_SHA256_SEED, seed, sizeof(seed));
	hex(TLS12_PRF_SHA256_OUT, want, sizeof(want));
	ck_assert_int_eq(tlsm_prf("SHA256", secret, sizeof(secret),
	    TLS12_PRF_SHA256_LABEL, seed, sizeof(seed), got, sizeof(got)), 0);
	ck_assert_mem_eq(got, want, sizeof(want));
	/* A different label or hash gives different bytes. */
	ck_assert_int_eq(tlsm_prf("SHA256", secret, sizeof(secret),
	    "test labem", seed, sizeof(seed), got, sizeof(got)), 0);
	ck_assert_int_ne(memcmp(got, want, sizeof(want)), 0);
	ck_assert_int_eq(tlsm_prf("MD5-SHA1", secret, sizeof(secret),
	    TLS12_PRF_SHA256_LABEL, seed, sizeof(seed), got, sizeof(got)), 0);
	ck_assert_int_ne(memcmp(got, want, sizeof(want)), 0);
}
END_TEST

/* The key block is the PRF output cut in RFC 5246 §6.3's order. */
START_TEST(test_key_block_layout)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_key_block kb;
	struct tlsm_state cw, sw;
	uint8_t master[48], cr[32], sr[32], seed[64], blk[256], *p;
	size_t total;

	uktest_fill(master, sizeof(master), 1, 0);
	uktest_fill(cr, sizeof(cr), 2, 0);
	uktest_fill(sr, sizeof(sr), 3, 0);
	if (s->version == TLSM_V13) {
		ck_assert_int_eq(tlsm_key_block(s, master, cr, sr, &kb),
		    EINVAL);
		return;
	}
	memcpy(seed, sr, 32);
	memcpy(seed + 32, cr, 32);
	ck_assert_int_eq(tlsm_key_block(s, master, cr, sr, &kb), 0);
	ck_assert_uint_eq(kb.mac_len, tlsm_mac_len(s->mac));
	ck_assert_uint_eq(kb.key_len, s->key_len);
	ck_assert_uint_eq(kb.iv_len, suite_iv_len(s));
	total = 2 * (kb.mac_len + kb.key_len + kb.iv_len);
	ck_assert_int_eq(tlsm_prf(s->kdf_digest, master, 48, "key expansion",
	    seed, sizeof(seed), blk, total), 0);
	p = blk;
	ck_assert_mem_eq(kb.client_mac, p, kb.mac_len);
	p += kb.mac_len;
	ck_assert_mem_eq(kb.server_mac, p, kb.mac_len);
	p += kb.mac_len;
	ck_assert_mem_eq(kb.client_key, p, kb.key_len);
	p += kb.key_len;
	ck_assert_mem_eq(kb.server_key, p, kb.key_len);
	p += kb.key_len;
	ck_assert_mem_eq(kb.client_iv, p, kb.iv_len);
	p += kb.iv_len;
	ck_assert_mem_eq(kb.server_iv, p, kb.iv_len);

	ck_assert_int_eq(tlsm_tls12_states(s, master, cr, sr, &cw, &sw), 0);
	ck_assert_mem_eq(cw.key, kb.client_key, kb.key_len);
	ck_assert_mem_eq(sw.key, kb.server_key, kb.key_len);
	ck_assert_mem_eq(cw.mac_key, kb.client_mac, kb.mac_len);
	ck_assert_uint_eq(cw.iv_len, kb.iv_len);
	ck_assert_mem_eq(sw.iv, kb.server_iv, kb.iv_len);
	/* Swapping the randoms changes every byte position's meaning. */
	ck_assert_int_eq(tlsm_key_block(s, master, sr, cr, &kb), 0);
	ck_assert_int_ne(memcmp(kb.client_key, cw.key, kb.key_len), 0);
}
END_TEST

/* ---- suite table and parameters ---------------------------------------- */

START_TEST(test_suite_sizes)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_state st;
	size_t maclen;

	make_state(s, 1, &st);
	maclen = tlsm_mac_len(s->mac);
	/* freebsd-ktls.md §2: header len, trailer len (max), block. */
	if (s->cipher == TLSM_GCM && s->version == TLSM_V12) {
		ck_assert_uint_eq(tlsm_header_len(&st), 13);
		ck_assert_uint_eq(tlsm_trailer_len(&st), 16);
	} else if (s->version == TLSM_V13) {
		ck_assert_uint_eq(tlsm_header_len(&st), 5);
		ck_assert_uint_eq(tlsm_trailer_len(&st), 17);
	} else if (s->cipher == TLSM_CHACHA) {
		ck_assert_uint_eq(tlsm_header_len(&st), 5);
		ck_assert_uint_eq(tlsm_trailer_len(&st), 16);
	} else if (s->version == TLSM_V10) {
		ck_assert_uint_eq(tlsm_header_len(&st), 5);
		ck_assert_uint_eq(tlsm_trailer_len(&st), 16 + maclen);
	} else {
		ck_assert_uint_eq(tlsm_header_len(&st), 21);
		ck_assert_uint_eq(tlsm_trailer_len(&st), 16 + maclen);
	}
	ck_assert_uint_eq(tlsm_block_len(&st), s->cipher == TLSM_CBC ? 16 : 1);
	ck_assert_ptr_eq(tlsm_suite_find(s->name), s);
}
END_TEST

START_TEST(test_init_rejects)
{
	static const struct {
		uint16_t v;
		enum tlsm_cipher c;
		enum tlsm_mac m;
	} bad[] = {
		/* The eleven invalid suites of FreeBSD's ktls_test.c. */
		{ TLSM_V10, TLSM_CBC, TLSM_MAC_SHA256 },
		{ TLSM_V10, TLSM_CBC, TLSM_MAC_SHA384 },
		{ TLSM_V10, TLSM_GCM, TLSM_MAC_NONE },
		{ TLSM_V11, TLSM_GCM, TLSM_MAC_NONE },
		{ TLSM_V10, TLSM_CHACHA, TLSM_MAC_NONE },
		{ TLSM_V11, TLSM_CHACHA, TLSM_MAC_NONE },
		{ TLSM_V11, TLSM_CBC, TLSM_MAC_SHA256 },
		{ TLSM_V11, TLSM_CBC, TLSM_MAC_SHA384 },
		{ TLSM_V13, TLSM_CBC, TLSM_MAC_SHA1 },
		{ TLSM_V13, TLSM_CBC, TLSM_MAC_SHA256 },
		{ TLSM_V13, TLSM_CBC, TLSM_MAC_SHA384 },
	};
	struct tlsm_state st;
	uint8_t k[48];
	size_t i;

	memset(k, 7, sizeof(k));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(tlsm_init(&st, bad[i].v, bad[i].c, bad[i].m,
		    k, 16, k, bad[i].c == TLSM_CBC ? 16 : 12, k,
		    tlsm_mac_len(bad[i].m)), EINVAL);
	/* Versions, key sizes, IV sizes, MAC keys, AEAD with a MAC. */
	ck_assert_int_eq(tlsm_init(&st, 0x0300, TLSM_CBC, TLSM_MAC_SHA1, k, 16,
	    k, 16, k, 20), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, 0x0305, TLSM_GCM, TLSM_MAC_NONE, k, 16,
	    k, 12, NULL, 0), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V12, TLSM_GCM, TLSM_MAC_NONE, k,
	    24, k, 4, NULL, 0), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V12, TLSM_GCM, TLSM_MAC_NONE, k,
	    16, k, 12, NULL, 0), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V13, TLSM_GCM, TLSM_MAC_NONE, k,
	    16, k, 4, NULL, 0), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V12, TLSM_GCM, TLSM_MAC_SHA1, k,
	    16, k, 4, k, 20), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V13, TLSM_CHACHA, TLSM_MAC_NONE,
	    k, 16, k, 12, NULL, 0), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V12, TLSM_CBC, TLSM_MAC_SHA256,
	    k, 16, NULL, 0, k, 20), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V12, TLSM_CBC, TLSM_MAC_NONE,
	    k, 16, NULL, 0, NULL, 0), EINVAL);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V10, TLSM_CBC, TLSM_MAC_SHA1,
	    k, 16, k, 12, k, 20), EINVAL);
	/* The good neighbours of those. */
	ck_assert_int_eq(tlsm_init(&st, TLSM_V12, TLSM_GCM, TLSM_MAC_NONE, k,
	    32, k, 4, NULL, 0), 0);
	ck_assert_int_eq(tlsm_init(&st, TLSM_V12, TLSM_CBC, TLSM_MAC_SHA256,
	    k, 16, NULL, 0, k, 32), 0);
	ck_assert_uint_eq(st.iv_len, 0);
}
END_TEST

/* ---- round trips ------------------------------------------------------- */

START_TEST(test_round_trip)
{
	static const size_t sizes[] = { 0, 1, 2, 15, 16, 17, 31, 32, 33, 100,
	    1000, 4095, 4096, 16383, 16384 };
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_state tx, rx;
	uint8_t *pt, *rec, *back, type;
	size_t i, reclen, backlen;
	uint64_t seq;

	make_state(s, 10 + (uint32_t)_i, &tx);
	rx = tx;
	pt = xmalloc(TLSM_MAX_PLAINTEXT);
	rec = xmalloc(BIG);
	back = xmalloc(BIG);
	seq = 0xfffffffffffffff0ULL;	/* the top of the sequence space */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++, seq++) {
		uktest_fill(pt, sizes[i], (uint32_t)i, 0);
		ck_assert_int_eq(tlsm_seal(&tx, seq, TLSM_CT_APP - (i % 3), pt,
		    sizes[i], NULL, rec, BIG, &reclen), 0);
		ck_assert_uint_eq(reclen, tlsm_sealed_len(&tx, sizes[i], NULL));
		ck_assert_uint_le(reclen, tlsm_header_len(&tx) + sizes[i] +
		    tlsm_trailer_len(&tx));
		ck_assert_uint_eq(rec[0], s->version == TLSM_V13 ? TLSM_CT_APP :
		    TLSM_CT_APP - (i % 3));
		ck_assert_uint_eq(rec[1], 3);
		ck_assert_uint_eq(rec[2], s->version == TLSM_V13 ? 3 :
		    (s->version & 0xff));
		ck_assert_uint_eq((size_t)rec[3] << 8 | rec[4], reclen - 5);
		ck_assert_int_eq(tlsm_open(&rx, seq, rec, reclen, &type, back,
		    BIG, &backlen), 0);
		ck_assert_uint_eq(type, TLSM_CT_APP - (i % 3));
		ck_assert_uint_eq(backlen, sizes[i]);
		if (sizes[i] > 0)
			ck_assert_mem_eq(back, pt, sizes[i]);
		/* The plaintext does not travel in the clear. */
		if (sizes[i] >= 16)
			ck_assert_ptr_null(memmem(rec, reclen, pt, 16));
	}
	free(pt);
	free(rec);
	free(back);
}
END_TEST

START_TEST(test_seal_buffer_and_size_limits)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_seal_opts o;
	struct tlsm_state st, rx;
	uint8_t *pt, *rec, *back, type;
	size_t reclen, need, backlen;

	make_state(s, 20, &st);
	rx = st;
	pt = xmalloc(TLSM_MAX_PLAINTEXT + 1);
	rec = xmalloc(BIG);
	back = xmalloc(BIG);
	uktest_fill(pt, TLSM_MAX_PLAINTEXT + 1, 3, 0);
	need = tlsm_sealed_len(&st, 100, NULL);
	ck_assert_uint_gt(need, 100);
	ck_assert_int_eq(tlsm_seal(&st, 0, TLSM_CT_APP, pt, 100, NULL, rec,
	    need - 1, &reclen), ENOBUFS);
	ck_assert_int_eq(tlsm_seal(&st, 0, TLSM_CT_APP, pt, 100, NULL, rec,
	    need, &reclen), 0);
	ck_assert_uint_eq(reclen, need);
	/* Too small an output buffer for open. */
	ck_assert_int_eq(tlsm_open(&rx, 0, rec, reclen, &type, back, 99,
	    &backlen), ENOBUFS);
	/* 2^14 + 1 only with the oversize option. */
	ck_assert_int_eq(tlsm_seal(&st, 1, TLSM_CT_APP, pt,
	    TLSM_MAX_PLAINTEXT + 1, NULL, rec, BIG, &reclen), EMSGSIZE);
	ck_assert_uint_eq(tlsm_sealed_len(&st, TLSM_MAX_PLAINTEXT + 1, NULL),
	    0);
	memset(&o, 0, sizeof(o));
	o.oversize = 1;
	ck_assert_int_eq(tlsm_seal(&st, 1, TLSM_CT_APP, pt,
	    TLSM_MAX_PLAINTEXT + 1, &o, rec, BIG, &reclen), 0);
	ck_assert_int_eq(tlsm_seal(&st, 1, TLSM_CT_APP, NULL, 1, NULL, rec,
	    BIG, &reclen), EINVAL);
	free(pt);
	free(rec);
	free(back);
}
END_TEST

/* ---- tamper twins -------------------------------------------------------- */

/* What flipping a bit of byte i of a sealed record must give. */
static int
tamper_expect(const struct tlsm_suite *s, size_t i)
{

	if (i == 0)	/* type: authenticated (1.2-), must be 23 (1.3) */
		return (s->version == TLSM_V13 ? EINVAL : EBADMSG);
	if (i == 1 || i == 2)
		return (EINVAL);
	if (i == 3 || i == 4)
		return (EMSGSIZE);
	return (EBADMSG);	/* nonce/IV, ciphertext, tag/MAC, padding */
}

START_TEST(test_tamper_every_byte)
{
	static const uint8_t flips[] = { 0x01, 0x80 };
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_state tx, rx, rx0;
	uint8_t pt[100], rec[512], bad[512], back[512], type;
	size_t f, i, reclen, backlen;

	make_state(s, 30, &tx);
	rx0 = tx;
	uktest_fill(pt, sizeof(pt), 4, 0);
	ck_assert_int_eq(tlsm_seal(&tx, 5, TLSM_CT_APP, pt, sizeof(pt), NULL,
	    rec, sizeof(rec), &reclen), 0);
	for (i = 0; i < reclen; i++)
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(bad, rec, reclen);
			bad[i] ^= flips[f];
			rx = rx0;
			ck_assert_msg(tlsm_open(&rx, 5, bad, reclen, &type,
			    back, sizeof(back), &backlen) ==
			    tamper_expect(s, i), "%s: byte %zu ^ %#x", s->name,
			    i, flips[f]);
			/* A refused record does not move the 1.0 IV. */
			ck_assert_mem_eq(rx.iv, rx0.iv, sizeof(rx.iv));
		}
	/* Untouched it opens, and then the 1.0 IV moves. */
	rx = rx0;
	ck_assert_int_eq(tlsm_open(&rx, 5, rec, reclen, &type, back,
	    sizeof(back), &backlen), 0);
	ck_assert_mem_eq(back, pt, sizeof(pt));
	if (s->version == TLSM_V10)
		ck_assert_mem_eq(rx.iv, rec + reclen - 16, 16);
	/* Wrong sequence number, wrong key. */
	rx = rx0;
	ck_assert_int_eq(tlsm_open(&rx, 6, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
	make_state(s, 31, &rx);
	ck_assert_int_eq(tlsm_open(&rx, 5, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
	/* A record one byte shorter or longer than its header says. */
	rx = rx0;
	ck_assert_int_eq(tlsm_open(&rx, 5, rec, reclen - 1, &type, back,
	    sizeof(back), &backlen), EMSGSIZE);
	rec[reclen] = 0;
	ck_assert_int_eq(tlsm_open(&rx, 5, rec, reclen + 1, &type, back,
	    sizeof(back), &backlen), EMSGSIZE);
	ck_assert_int_eq(tlsm_open(&rx, 5, rec, 4, &type, back,
	    sizeof(back), &backlen), EMSGSIZE);
}
END_TEST

/* Drop the last byte and fix the header: a consistent but cut record. */
START_TEST(test_truncated_consistent)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_state st, rx;
	uint8_t pt[64], rec[256], back[256], type;
	size_t reclen, backlen;

	make_state(s, 40, &st);
	rx = st;
	uktest_fill(pt, sizeof(pt), 5, 0);
	ck_assert_int_eq(tlsm_seal(&st, 0, TLSM_CT_APP, pt, sizeof(pt), NULL,
	    rec, sizeof(rec), &reclen), 0);
	reclen--;
	rec[3] = (uint8_t)((reclen - 5) >> 8);
	rec[4] = (uint8_t)(reclen - 5);
	/* CBC: not whole blocks (FreeBSD's non_block_size); AEAD: bad tag. */
	ck_assert_int_eq(tlsm_open(&rx, 0, rec, reclen, &type, back,
	    sizeof(back), &backlen), s->cipher == TLSM_CBC ? EMSGSIZE :
	    EBADMSG);
}
END_TEST

/*
 * The smallest record of each suite opens; one byte less is EMSGSIZE
 * (FreeBSD's small_record and short_header); 32768 bytes of plaintext is
 * EMSGSIZE (oversized_record).
 */
START_TEST(test_record_size_bounds)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_seal_opts o;
	struct tlsm_state st, rx;
	uint8_t *big, *pt, rec[256], back[256], type;
	size_t reclen, backlen, shortlen;

	make_state(s, 50, &st);
	rx = st;
	ck_assert_int_eq(tlsm_seal(&st, 0, TLSM_CT_APP, NULL, 0, NULL, rec,
	    sizeof(rec), &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 0, rec, reclen, &type, back,
	    sizeof(back), &backlen), 0);
	ck_assert_uint_eq(backlen, 0);
	for (shortlen = 5; shortlen < reclen; shortlen++) {
		rec[3] = (uint8_t)((shortlen - 5) >> 8);
		rec[4] = (uint8_t)(shortlen - 5);
		rx = st;
		ck_assert_msg(tlsm_open(&rx, 0, rec, shortlen, &type, back,
		    sizeof(back), &backlen) == EMSGSIZE, "%s: %zu", s->name,
		    shortlen);
	}

	pt = xmalloc(32768);
	big = xmalloc(BIG);
	memset(pt, 0x55, 32768);
	memset(&o, 0, sizeof(o));
	o.oversize = 1;
	rx = st;
	ck_assert_int_eq(tlsm_seal(&st, 1, TLSM_CT_APP, pt, 32768, &o, big,
	    BIG, &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 1, big, reclen, &type, pt, 32768,
	    &backlen), EMSGSIZE);
	/* The largest legal record opens. */
	rx = st;
	ck_assert_int_eq(tlsm_seal(&st, 2, TLSM_CT_APP, pt, TLSM_MAX_PLAINTEXT,
	    NULL, big, BIG, &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 2, big, reclen, &type, pt, 32768,
	    &backlen), 0);
	ck_assert_uint_eq(backlen, TLSM_MAX_PLAINTEXT);
	free(pt);
	free(big);
}
END_TEST

/* ---- CBC: padding, MAC-then-encrypt, TLS 1.0 chaining -------------------- */

static const EVP_CIPHER *
ref_cbc_cipher(size_t key_len)
{

	return (key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc());
}

static const EVP_MD *
ref_md(enum tlsm_mac mac)
{

	return (mac == TLSM_MAC_SHA1 ? EVP_sha1() : mac == TLSM_MAC_SHA256 ?
	    EVP_sha256() : EVP_sha384());
}

/*
 * A CBC record built here from RFC 5246 §6.2.3.1-2 with HMAC() and raw
 * AES-CBC, the padding given byte for byte (pad[0..padlen)).
 */
static size_t
ref_cbc_record(const struct tlsm_state *st, uint64_t seq, uint8_t type,
    const uint8_t *pt, size_t len, const uint8_t *pad, size_t padlen,
    const uint8_t iv[16], uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *in, macin[13 + 512];
	unsigned int maclen;
	size_t body, inlen, x;
	int n;

	ck_assert_uint_le(len, 512);
	tlsm_be64enc(macin, seq);
	macin[8] = type;
	macin[9] = 3;
	macin[10] = (uint8_t)st->version;
	macin[11] = (uint8_t)(len >> 8);
	macin[12] = (uint8_t)len;
	memcpy(macin + 13, pt, len);
	in = xmalloc(len + 48 + padlen);
	memcpy(in, pt, len);
	ck_assert_ptr_nonnull(HMAC(ref_md(st->mac), st->mac_key,
	    (int)st->mac_key_len, macin, 13 + len, in + len, &maclen));
	ck_assert_uint_eq(maclen, tlsm_mac_len(st->mac));
	memcpy(in + len + maclen, pad, padlen);
	inlen = len + maclen + padlen;
	ck_assert_uint_eq(inlen % 16, 0);
	x = st->version == TLSM_V10 ? 0 : 16;
	body = x + inlen;
	out[0] = type;
	out[1] = 3;
	out[2] = (uint8_t)st->version;
	out[3] = (uint8_t)(body >> 8);
	out[4] = (uint8_t)body;
	memcpy(out + 5, iv, x);
	ctx = EVP_CIPHER_CTX_new();
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_EncryptInit_ex(ctx, ref_cbc_cipher(st->key_len),
	    NULL, st->key, iv), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	ck_assert_int_eq(EVP_EncryptUpdate(ctx, out + 5 + x, &n, in,
	    (int)inlen), 1);
	ck_assert_int_eq((size_t)n, inlen);
	EVP_CIPHER_CTX_free(ctx);
	free(in);
	return (5 + body);
}

/*
 * Every padding length 1..16 (FreeBSD's padding_N), padding 16 and 32
 * bytes longer than needed (padding_16_extra / padding_32_extra) and the
 * 256-byte maximum: the model's record equals the one built by hand, and
 * opens.
 */
START_TEST(test_cbc_padding_lengths)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_seal_opts o;
	struct tlsm_state tx, rx;
	uint8_t pt[300], iv[16], pad[256], rec[1024], ref[1024], back[1024];
	uint8_t type;
	size_t extra, len, maclen, npad, reclen, reflen, backlen;

	if (s->cipher != TLSM_CBC)
		return;
	make_state(s, 60, &tx);
	rx = tx;
	maclen = tlsm_mac_len(s->mac);
	uktest_fill(pt, sizeof(pt), 6, 0);
	for (npad = 1; npad <= 16; npad++)
		for (extra = 0; extra <= 256; extra += 16) {
			if (npad + extra > 256)
				continue;
			/* A payload length whose minimal padding is npad. */
			len = 64 + (32 - (64 + maclen + npad) % 16) % 16;
			ck_assert_uint_eq((len + maclen + npad) % 16, 0);
			memset(&o, 0, sizeof(o));
			uktest_fill(iv, sizeof(iv), 7, npad + extra);
			if (s->version == TLSM_V10)
				memcpy(iv, tx.iv, 16);
			o.explicit_iv = iv;
			o.cbc_pad = extra == 0 ? 0 : npad + extra;
			ck_assert_int_eq(tlsm_seal(&tx, npad, TLSM_CT_APP, pt,
			    len, &o, rec, sizeof(rec), &reclen), 0);
			memset(pad, (int)(npad + extra - 1), npad + extra);
			reflen = ref_cbc_record(&tx, npad, TLSM_CT_APP, pt, len,
			    pad, npad + extra, iv, ref);
			ck_assert_uint_eq(reclen, reflen);
			ck_assert_mem_eq(rec, ref, reflen);
			ck_assert_int_eq(tlsm_open(&rx, npad, rec, reclen,
			    &type, back, sizeof(back), &backlen), 0);
			ck_assert_uint_eq(backlen, len);
			ck_assert_mem_eq(back, pt, len);
		}
	/* Illegal padding requests. */
	memset(&o, 0, sizeof(o));
	o.cbc_pad = 257;
	ck_assert_int_eq(tlsm_seal(&tx, 0, TLSM_CT_APP, pt, 16 - maclen % 16,
	    &o, rec, sizeof(rec), &reclen), EINVAL);
	o.cbc_pad = 15;		/* not filling a block */
	ck_assert_int_eq(tlsm_seal(&tx, 0, TLSM_CT_APP, pt, 16 - maclen % 16,
	    &o, rec, sizeof(rec), &reclen), EINVAL);
}
END_TEST

/* Every single wrong padding byte, a wrong length byte, a wrong MAC. */
START_TEST(test_cbc_bad_padding_and_mac)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_state tx, rx;
	uint8_t pt[64], iv[16], pad[48], rec[512], back[512], type;
	size_t i, len, maclen, npad, reclen, backlen;

	if (s->cipher != TLSM_CBC)
		return;
	make_state(s, 70, &tx);
	maclen = tlsm_mac_len(s->mac);
	uktest_fill(pt, sizeof(pt), 8, 0);
	memcpy(iv, tx.iv, 16);
	npad = 32 + (16 - (sizeof(pt) + maclen) % 16);	/* 2 extra blocks */
	len = sizeof(pt);
	for (i = 0; i < npad; i++) {
		memset(pad, (int)(npad - 1), npad);
		pad[i] ^= 0x01;
		reclen = ref_cbc_record(&tx, 3, TLSM_CT_APP, pt, len, pad,
		    npad, iv, rec);
		rx = tx;
		ck_assert_msg(tlsm_open(&rx, 3, rec, reclen, &type, back,
		    sizeof(back), &backlen) == EBADMSG, "%s: pad byte %zu",
		    s->name, i);
	}
	/* padding_length larger than the record holds. */
	memset(pad, 0xff, npad);
	reclen = ref_cbc_record(&tx, 3, TLSM_CT_APP, pt, len, pad, npad, iv,
	    rec);
	rx = tx;
	ck_assert_int_eq(tlsm_open(&rx, 3, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
	/* Right padding, MAC key of another session. */
	memset(pad, (int)(npad - 1), npad);
	rx = tx;
	rx.mac_key[0] ^= 1;
	reclen = ref_cbc_record(&rx, 3, TLSM_CT_APP, pt, len, pad, npad, iv,
	    rec);
	rx = tx;
	ck_assert_int_eq(tlsm_open(&rx, 3, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
	/* And with everything right it opens: the twins above are real. */
	reclen = ref_cbc_record(&tx, 3, TLSM_CT_APP, pt, len, pad, npad, iv,
	    rec);
	ck_assert_int_eq(tlsm_open(&rx, 3, rec, reclen, &type, back,
	    sizeof(back), &backlen), 0);
	ck_assert_uint_eq(backlen, len);
	/* Type and sequence number are under the MAC. */
	rx = tx;
	rec[0] = TLSM_CT_HANDSHAKE;
	ck_assert_int_eq(tlsm_open(&rx, 3, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
}
END_TEST

/* RFC 2246 §6.2.3.2: each TLS 1.0 record's IV is the last block before. */
START_TEST(test_tls10_iv_chaining)
{
	const struct tlsm_suite *s = tlsm_suite_find(_i == 0 ?
	    "aes128_cbc_1_0_sha1" : "aes256_cbc_1_0_sha1");
	struct tlsm_state tx, tx0, rx, rx0;
	uint8_t pt[3][40], rec[3][128], back[128], type;
	size_t i, reclen[3], backlen;

	make_state(s, 80, &tx);
	tx0 = tx;
	for (i = 0; i < 3; i++) {
		uktest_fill(pt[i], sizeof(pt[i]), 9, i * 40);
		ck_assert_int_eq(tlsm_seal(&tx, i, TLSM_CT_APP, pt[i],
		    i == 1 ? 0 : sizeof(pt[i]), NULL, rec[i], sizeof(rec[i]),
		    &reclen[i]), 0);
		ck_assert_mem_eq(tx.iv, rec[i] + reclen[i] - 16, 16);
	}
	/* Record 1 is an empty one, as OpenSSL sends before data. */
	ck_assert_uint_eq(reclen[1], 5 + 32);
	/* Same plaintext, same seq, but chained IV: different bytes. */
	rx = tx0;
	ck_assert_int_eq(tlsm_seal(&rx, 0, TLSM_CT_APP, pt[0], sizeof(pt[0]),
	    NULL, back, sizeof(back), &backlen), 0);
	ck_assert_mem_eq(back, rec[0], backlen);
	ck_assert_int_eq(tlsm_seal(&rx, 0, TLSM_CT_APP, pt[0], sizeof(pt[0]),
	    NULL, back, sizeof(back), &backlen), 0);
	ck_assert_int_ne(memcmp(back, rec[0], backlen), 0);

	rx0 = tx0;
	/* In order: all open. */
	rx = rx0;
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(tlsm_open(&rx, i, rec[i], reclen[i], &type,
		    back, sizeof(back), &backlen), 0);
		ck_assert_uint_eq(backlen, i == 1 ? 0 : sizeof(pt[i]));
		ck_assert_mem_eq(back, pt[i], backlen);
	}
	/* Skipping a record breaks the chain (the first block garbles). */
	rx = rx0;
	ck_assert_int_eq(tlsm_open(&rx, 0, rec[0], reclen[0], &type, back,
	    sizeof(back), &backlen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 2, rec[2], reclen[2], &type, back,
	    sizeof(back), &backlen), EBADMSG);
	/* With the IV moved by hand, it opens. */
	memcpy(rx.iv, rec[1] + reclen[1] - 16, 16);
	ck_assert_int_eq(tlsm_open(&rx, 2, rec[2], reclen[2], &type, back,
	    sizeof(back), &backlen), 0);
}
END_TEST

/* TLS 1.1+ CBC: the record IV is the caller's and is used as given. */
START_TEST(test_cbc_explicit_iv)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_seal_opts o;
	struct tlsm_state st, rx;
	uint8_t pt[32], iv[16], rec[256], rec2[256], back[256], type;
	size_t reclen, reclen2, backlen;

	if (s->cipher != TLSM_CBC || s->version == TLSM_V10)
		return;
	make_state(s, 90, &st);
	rx = st;
	uktest_fill(pt, sizeof(pt), 10, 0);
	uktest_fill(iv, sizeof(iv), 11, 0);
	memset(&o, 0, sizeof(o));
	o.explicit_iv = iv;
	ck_assert_int_eq(tlsm_seal(&st, 9, TLSM_CT_APP, pt, sizeof(pt), &o,
	    rec, sizeof(rec), &reclen), 0);
	ck_assert_mem_eq(rec + 5, iv, 16);
	ck_assert_int_eq(tlsm_seal(&st, 9, TLSM_CT_APP, pt, sizeof(pt), &o,
	    rec2, sizeof(rec2), &reclen2), 0);
	ck_assert_mem_eq(rec, rec2, reclen);
	/* Without one, a random IV: the records differ, both open. */
	ck_assert_int_eq(tlsm_seal(&st, 9, TLSM_CT_APP, pt, sizeof(pt), NULL,
	    rec2, sizeof(rec2), &reclen2), 0);
	ck_assert_uint_eq(reclen, reclen2);
	ck_assert_int_ne(memcmp(rec + 5, rec2 + 5, 16), 0);
	ck_assert_int_eq(tlsm_open(&rx, 9, rec2, reclen2, &type, back,
	    sizeof(back), &backlen), 0);
	ck_assert_mem_eq(back, pt, sizeof(pt));
	/* Only the first plaintext block depends on the IV (bad_iv). */
	rec[5] ^= 0x40;
	ck_assert_int_eq(tlsm_open(&rx, 9, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
}
END_TEST

/* ---- AEAD nonces --------------------------------------------------------- */

START_TEST(test_gcm12_explicit_nonce)
{
	const struct tlsm_suite *s = tlsm_suite_find(_i == 0 ?
	    "aes128_gcm_1_2" : "aes256_gcm_1_2");
	struct tlsm_seal_opts o;
	struct tlsm_state st, rx;
	uint8_t pt[20], nonce[8], rec[128], rec2[128], back[128], type;
	uint8_t seqbe[8];
	size_t reclen, reclen2, backlen;

	make_state(s, 100, &st);
	rx = st;
	uktest_fill(pt, sizeof(pt), 12, 0);
	/* Default: nonce_explicit = seq_num, as OpenSSL. */
	ck_assert_int_eq(tlsm_seal(&st, 0x0102030405060708ULL, TLSM_CT_APP,
	    pt, sizeof(pt), NULL, rec, sizeof(rec), &reclen), 0);
	tlsm_be64enc(seqbe, 0x0102030405060708ULL);
	ck_assert_mem_eq(rec + 5, seqbe, 8);
	/* FreeBSD-style counter: any value, taken from the record. */
	uktest_fill(nonce, sizeof(nonce), 13, 0);
	memset(&o, 0, sizeof(o));
	o.explicit_iv = nonce;
	ck_assert_int_eq(tlsm_seal(&st, 0x0102030405060708ULL, TLSM_CT_APP,
	    pt, sizeof(pt), &o, rec2, sizeof(rec2), &reclen2), 0);
	ck_assert_mem_eq(rec2 + 5, nonce, 8);
	ck_assert_int_ne(memcmp(rec + 13, rec2 + 13, sizeof(pt)), 0);
	ck_assert_int_eq(tlsm_open(&rx, 0x0102030405060708ULL, rec2, reclen2,
	    &type, back, sizeof(back), &backlen), 0);
	ck_assert_mem_eq(back, pt, sizeof(pt));
	/* The nonce is under the tag (FreeBSD's bad_iv for GCM). */
	rec2[5 + 7] ^= 1;
	ck_assert_int_eq(tlsm_open(&rx, 0x0102030405060708ULL, rec2, reclen2,
	    &type, back, sizeof(back), &backlen), EBADMSG);
}
END_TEST

/* ChaCha 1.2 and all of 1.3: nonce = iv XOR seq, no explicit part. */
START_TEST(test_xor_nonce_uses_seq)
{
	static const char *names[] = { "chacha20_poly1305_1_2",
	    "chacha20_poly1305_1_3", "aes128_gcm_1_3", "aes256_gcm_1_3" };
	const struct tlsm_suite *s = tlsm_suite_find(names[_i]);
	struct tlsm_state st, alt;
	uint8_t pt[16], a[64], b[64];
	size_t alen, blen;

	make_state(s, 110, &st);
	uktest_fill(pt, sizeof(pt), 14, 0);
	/*
	 * seq 1 under iv is seq 0 under iv ^ 1 in its last byte: the same
	 * keystream, so the same ciphertext.  The tag matches too in 1.3,
	 * whose additional data has no sequence number.
	 */
	alt = st;
	alt.iv[11] ^= 1;
	ck_assert_int_eq(tlsm_seal(&st, 1, TLSM_CT_APP, pt, sizeof(pt), NULL,
	    a, sizeof(a), &alen), 0);
	ck_assert_int_eq(tlsm_seal(&alt, 0, TLSM_CT_APP, pt, sizeof(pt), NULL,
	    b, sizeof(b), &blen), 0);
	ck_assert_uint_eq(alen, blen);
	ck_assert_uint_eq(alen, 5 + sizeof(pt) + 16 +
	    (s->version == TLSM_V13 ? 1 : 0));
	ck_assert_mem_eq(a, b, alen - 16);
	if (s->version == TLSM_V13)
		ck_assert_mem_eq(a, b, alen);
	else
		ck_assert_int_ne(memcmp(a + alen - 16, b + alen - 16, 16), 0);
	/* The top byte of the sequence number lands on iv[4]. */
	alt = st;
	alt.iv[4] ^= 0x80;
	ck_assert_int_eq(tlsm_seal(&st, 0x8000000000000000ULL, TLSM_CT_APP, pt,
	    sizeof(pt), NULL, a, sizeof(a), &alen), 0);
	ck_assert_int_eq(tlsm_seal(&alt, 0, TLSM_CT_APP, pt, sizeof(pt), NULL,
	    b, sizeof(b), &blen), 0);
	ck_assert_mem_eq(a, b, alen - 16);
}
END_TEST

/* ---- TLS 1.3 ------------------------------------------------------------- */

START_TEST(test_tls13_padding)
{
	static const size_t pads[] = { 0, 1, 2, 15, 255, 256, 257, 4000 };
	const struct tlsm_suite *s = tlsm_suite_find(_i == 0 ?
	    "aes256_gcm_1_3" : "chacha20_poly1305_1_3");
	struct tlsm_seal_opts o;
	struct tlsm_state st, rx;
	uint8_t *pt, *rec, *back, type;
	size_t i, len, reclen, backlen;

	make_state(s, 120, &st);
	rx = st;
	pt = xmalloc(TLSM_MAX_PLAINTEXT);
	rec = xmalloc(BIG);
	back = xmalloc(BIG);
	uktest_fill(pt, TLSM_MAX_PLAINTEXT, 15, 0);
	memset(&o, 0, sizeof(o));
	for (i = 0; i < sizeof(pads) / sizeof(pads[0]); i++) {
		o.tls13_pad = pads[i];
		len = 100 + i;
		ck_assert_int_eq(tlsm_seal(&st, i, TLSM_CT_HANDSHAKE, pt, len,
		    &o, rec, BIG, &reclen), 0);
		ck_assert_uint_eq(reclen, 5 + len + 1 + pads[i] + 16);
		ck_assert_int_eq(tlsm_open(&rx, i, rec, reclen, &type, back,
		    BIG, &backlen), 0);
		ck_assert_uint_eq(type, TLSM_CT_HANDSHAKE);
		ck_assert_uint_eq(backlen, len);
		ck_assert_mem_eq(back, pt, len);
	}
	/* Padding up to FreeBSD's bound (long_padded) opens; one more not. */
	o.tls13_pad = TLSM_MAX_PLAINTEXT - 10;
	ck_assert_int_eq(tlsm_seal(&st, 99, TLSM_CT_APP, pt, 10, &o, rec, BIG,
	    &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 99, rec, reclen, &type, back, BIG,
	    &backlen), 0);
	ck_assert_uint_eq(backlen, 10);
	ck_assert_uint_eq(type, TLSM_CT_APP);
	o.tls13_pad++;
	ck_assert_int_eq(tlsm_seal(&st, 99, TLSM_CT_APP, pt, 10, &o, rec, BIG,
	    &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 99, rec, reclen, &type, back, BIG,
	    &backlen), EMSGSIZE);
	free(pt);
	free(rec);
	free(back);
}
END_TEST

/* RFC 8446 §5.4: a plaintext of zeros only has no content type. */
START_TEST(test_tls13_all_zero_plaintext)
{
	const struct tlsm_suite *s = tlsm_suite_find(_i == 0 ?
	    "aes128_gcm_1_3" : "chacha20_poly1305_1_3");
	struct tlsm_seal_opts o;
	struct tlsm_state st, rx;
	uint8_t zeros[32], rec[128], back[128], type;
	size_t reclen, backlen;

	make_state(s, 130, &st);
	rx = st;
	memset(zeros, 0, sizeof(zeros));
	memset(&o, 0, sizeof(o));
	/* Type 0 and padding: the whole inner plaintext is zero. */
	o.tls13_pad = 7;
	ck_assert_int_eq(tlsm_seal(&st, 0, 0, NULL, 0, &o, rec, sizeof(rec),
	    &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 0, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
	ck_assert_int_eq(tlsm_seal(&st, 1, 0, zeros, sizeof(zeros), NULL, rec,
	    sizeof(rec), &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 1, rec, reclen, &type, back,
	    sizeof(back), &backlen), EBADMSG);
	/* Zero content with a real type: the type is found past the zeros. */
	ck_assert_int_eq(tlsm_seal(&st, 2, TLSM_CT_ALERT, zeros, sizeof(zeros),
	    &o, rec, sizeof(rec), &reclen), 0);
	ck_assert_int_eq(tlsm_open(&rx, 2, rec, reclen, &type, back,
	    sizeof(back), &backlen), 0);
	ck_assert_uint_eq(type, TLSM_CT_ALERT);
	ck_assert_uint_eq(backlen, sizeof(zeros));
	ck_assert_mem_eq(back, zeros, sizeof(zeros));
}
END_TEST

START_TEST(test_tls13_outer_header)
{
	const struct tlsm_suite *s = tlsm_suite_find("aes128_gcm_1_3");
	struct tlsm_state st, rx;
	uint8_t pt[8], rec[64], back[64], type;
	size_t reclen, backlen;

	make_state(s, 140, &st);
	rx = st;
	memset(pt, 'x', sizeof(pt));
	ck_assert_int_eq(tlsm_seal(&st, 0, TLSM_CT_ALERT, pt, sizeof(pt), NULL,
	    rec, sizeof(rec), &reclen), 0);
	ck_assert_uint_eq(rec[0], TLSM_CT_APP);
	ck_assert_uint_eq(rec[1], 3);
	ck_assert_uint_eq(rec[2], 3);
	rec[0] = 24;		/* FreeBSD's bad_type */
	ck_assert_int_eq(tlsm_open(&rx, 0, rec, reclen, &type, back,
	    sizeof(back), &backlen), EINVAL);
	rec[0] = TLSM_CT_APP;
	rec[2] = 4;		/* 3,4 is never on the wire */
	ck_assert_int_eq(tlsm_open(&rx, 0, rec, reclen, &type, back,
	    sizeof(back), &backlen), EINVAL);
}
END_TEST

/* ---- stream framing ------------------------------------------------------ */

START_TEST(test_next_record)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_state st;
	uint8_t *stream, pt[3000];
	size_t cut, lens[3], off, reclen, badoff, total, i, n;
	int error;

	make_state(s, 150, &st);
	stream = xmalloc(4 * BIG);
	uktest_fill(pt, sizeof(pt), 16, 0);
	total = 0;
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(tlsm_seal(&st, i, TLSM_CT_APP, pt,
		    i == 1 ? 0 : sizeof(pt) / (i + 1), NULL, stream + total,
		    BIG, &lens[i]), 0);
		total += lens[i];
	}
	/* Every prefix: whole records found, and the right "need". */
	for (cut = 0; cut <= total; cut++) {
		off = 0;
		for (i = 0; i < 3; i++) {
			error = tlsm_next_record(&st, stream + off, cut - off,
			    &reclen, &badoff);
			if (cut - off < 5) {
				ck_assert_int_eq(error, EAGAIN);
				ck_assert_uint_eq(reclen, 5);
				break;
			}
			ck_assert_uint_eq(reclen, lens[i]);
			if (cut - off < lens[i]) {
				ck_assert_int_eq(error, EAGAIN);
				break;
			}
			ck_assert_int_eq(error, 0);
			off += reclen;
		}
		ck_assert(i < 3 || cut == total);
	}
	/* Header errors with the offending offset. */
	n = lens[0];
	stream[1] = 2;
	ck_assert_int_eq(tlsm_next_record(&st, stream, n, &reclen, &badoff),
	    EINVAL);
	ck_assert_uint_eq(badoff, 1);
	stream[1] = 3;
	stream[2] ^= 0x10;
	ck_assert_int_eq(tlsm_next_record(&st, stream, n, &reclen, &badoff),
	    EINVAL);
	ck_assert_uint_eq(badoff, 2);
	stream[2] ^= 0x10;
	if (s->version == TLSM_V13) {
		stream[0] = TLSM_CT_HANDSHAKE;
		ck_assert_int_eq(tlsm_next_record(&st, stream, n, &reclen,
		    &badoff), EINVAL);
		ck_assert_uint_eq(badoff, 0);
		stream[0] = TLSM_CT_APP;
	}
	stream[3] = 0x80;	/* 32768 + ... */
	ck_assert_int_eq(tlsm_next_record(&st, stream, 5, &reclen, &badoff),
	    EMSGSIZE);
	ck_assert_uint_eq(badoff, 3);
	stream[3] = 0;
	stream[4] = (uint8_t)(tlsm_header_len(&st) - 5 - 1);
	ck_assert_int_eq(tlsm_next_record(&st, stream, 5, &reclen, NULL),
	    tlsm_header_len(&st) > 5 ? EMSGSIZE : EAGAIN);
	free(stream);
}
END_TEST

/* ---- key logs ------------------------------------------------------------ */

#define	CR1	"00010203040506070809101112131415"			\
		"16171819202122232425262728293031"
#define	CR2	"ffeeddccbbaa99887766554433221100"			\
		"ffeeddccbbaa99887766554433221100"
#define	MS	"2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a"			\
		"2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a"			\
		"2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a"
#define	S32	"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"			\
		"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
#define	S48	S32 "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"

START_TEST(test_keylog_parse)
{
	static const char text[] =
	    "# SSL/TLS secrets log file, generated by OpenSSL\n"
	    "RSA 0011223344556677 00112233445566778899\n"
	    "CLIENT_RANDOM " CR1 " " MS "\r\n"
	    "\n"
	    "   \t\n"
	    "SERVER_HANDSHAKE_TRAFFIC_SECRET " CR2 " " S48 "\n"
	    "EXPORTER_SECRET " CR2 " " S48 "\n"
	    "CLIENT_HANDSHAKE_TRAFFIC_SECRET " CR2 " " S48 "\n"
	    "CLIENT_TRAFFIC_SECRET_0 " CR2 " " S32 "\n"
	    "SOMETHING_NEW with four fields\n"
	    "SERVER_TRAFFIC_SECRET_0 " CR2 " " S32;	/* no final newline */
	struct tlsm_keylog kl;
	const struct tlsm_keylog_entry *e;
	uint8_t cr1[32], cr2[32], ms[48], s48[48];
	size_t bad;

	memset(&kl, 0, sizeof(kl));
	ck_assert_int_eq(tlsm_keylog_parse(&kl, text, strlen(text), &bad), 0);
	ck_assert_uint_eq(kl.n, 2);
	hex(CR1, cr1, sizeof(cr1));
	hex(CR2, cr2, sizeof(cr2));
	hex(MS, ms, sizeof(ms));
	hex(S48, s48, sizeof(s48));
	e = tlsm_keylog_find(&kl, cr1);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->has_master, 1);
	ck_assert_mem_eq(e->master, ms, 48);
	ck_assert_uint_eq(e->secret_len[TLSM_KL_CTS0], 0);
	e = tlsm_keylog_find(&kl, cr2);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->has_master, 0);
	ck_assert_uint_eq(e->secret_len[TLSM_KL_SHTS], 48);
	ck_assert_uint_eq(e->secret_len[TLSM_KL_CHTS], 48);
	ck_assert_uint_eq(e->secret_len[TLSM_KL_CTS0], 32);
	ck_assert_uint_eq(e->secret_len[TLSM_KL_STS0], 32);
	ck_assert_mem_eq(e->secret[TLSM_KL_SHTS], s48, 48);
	ck_assert_mem_eq(e->secret[TLSM_KL_STS0], s48, 32);
	cr1[0] ^= 1;
	ck_assert_ptr_null(tlsm_keylog_find(&kl, cr1));
	tlsm_keylog_free(&kl);
	ck_assert_uint_eq(kl.n, 0);
}
END_TEST

START_TEST(test_keylog_malformed)
{
	static const char *bad[] = {
	    "# ok\nCLIENT_RANDOM " CR1 "\n",			/* 2 fields */
	    "# ok\nCLIENT_RANDOM " CR1 " " S32 "\n",		/* not 48 */
	    "# ok\nCLIENT_RANDOM 00 " MS "\n",			/* short cr */
	    "# ok\nCLIENT_TRAFFIC_SECRET_0 " CR1 " a1a\n",	/* odd hex */
	    "# ok\nCLIENT_TRAFFIC_SECRET_0 " CR1 " zz\n",	/* not hex */
	    "# ok\nCLIENT_TRAFFIC_SECRET_0 " CR1 " " S32 " extra\n",
	};
	struct tlsm_keylog kl;
	size_t i, line;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&kl, 0, sizeof(kl));
		line = 0;
		ck_assert_int_eq(tlsm_keylog_parse(&kl, bad[i], strlen(bad[i]),
		    &line), EINVAL);
		ck_assert_uint_eq(line, 2);
		tlsm_keylog_free(&kl);
	}
	memset(&kl, 0, sizeof(kl));
	ck_assert_int_eq(tlsm_keylog_load(&kl, "/nonexistent/keylog", NULL),
	    ENOENT);
}
END_TEST

static Suite *
model_record_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("model_record");
	tc = uktest_tcase("kat");
	tcase_add_test(tc, test_rfc8448_traffic_keys);
	tcase_add_test(tc, test_rfc8448_records);
	tcase_add_test(tc, test_rfc8448_new_session_ticket);
	tcase_add_test(tc, test_tls12_prf_vector);
	tcase_add_loop_test(tc, test_key_block_layout, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("suites");
	tcase_add_loop_test(tc, test_suite_sizes, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_init_rejects);
	tcase_add_loop_test(tc, test_round_trip, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_seal_buffer_and_size_limits, 0,
	    TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("tamper");
	tcase_add_loop_test(tc, test_tamper_every_byte, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_truncated_consistent, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_record_size_bounds, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("cbc");
	tcase_add_loop_test(tc, test_cbc_padding_lengths, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_cbc_bad_padding_and_mac, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tls10_iv_chaining, 0, 2);
	tcase_add_loop_test(tc, test_cbc_explicit_iv, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("aead");
	tcase_add_loop_test(tc, test_gcm12_explicit_nonce, 0, 2);
	tcase_add_loop_test(tc, test_xor_nonce_uses_seq, 0, 4);
	tcase_add_loop_test(tc, test_tls13_padding, 0, 2);
	tcase_add_loop_test(tc, test_tls13_all_zero_plaintext, 0, 2);
	tcase_add_test(tc, test_tls13_outer_header);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("framing");
	tcase_add_loop_test(tc, test_next_record, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("keylog");
	tcase_add_test(tc, test_keylog_parse);
	tcase_add_test(tc, test_keylog_malformed);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(model_record_suite()));
}
