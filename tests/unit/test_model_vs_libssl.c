/*
 * model/ against libssl, suite by suite.
 *
 * For each FreeBSD suite that OpenSSL also offers: a real handshake over
 * memory BIOs, keys from the captured key log (model/tls_keys), then in
 * each direction:
 *   (a) libssl's records for writes of 1, 64, 16383, 16384 and 16385 bytes
 *       open in the model to the same type and bytes, in order;
 *   (b) the model re-seals each of them byte for byte, given the sequence
 *       number and the explicit nonce / IV read from the record;
 *   (c) libssl accepts records the model sealed with its own choices
 *       (other nonces and IVs, longer CBC padding, TLS 1.3 padding),
 *       and refuses one with a flipped bit.
 */
#include <stdlib.h>
#include <string.h>

#include "sslpair.h"
#include "tls_keys.h"
#include "tls_record.h"
#include "uktest.h"

static const size_t write_sizes[] = { 1, 64, 16383, 16384, 16385 };

static uint8_t *
xmalloc(size_t n)
{
	uint8_t *p;

	p = malloc(n);
	ck_assert_ptr_nonnull(p);
	return (p);
}

/* One direction: the sender, the receiver and the model's two states. */
struct dir {
	const struct tlsm_suite *s;
	struct sslpair	*p;
	enum sslpair_side from, to;
	struct tlsm_state open_st, seal_st;
	uint64_t	seq;
	/*
	 * The sender's own position: records the model slips in for (c)
	 * reach the receiver but were never written by the sender.
	 */
	struct tlsm_state sender_st;
	uint64_t	sender_seq;
	const char	*name;
};

/* (a) and (b) for one SSL_write of len bytes. */
static void
check_libssl_write(struct dir *d, const uint8_t *data, size_t len)
{
	struct tlsm_seal_opts o;
	uint8_t *wire, *got, *back, *reseal, type, prev_nonce[8];
	size_t off, reclen, gotlen, ptlen, rlen, nrec, nempty;
	int have_prev;

	ck_assert_int_eq(sslpair_write(d->p, d->from, data, len), 0);
	wire = sslpair_take(d->p, d->from, &off);
	ck_assert_ptr_nonnull(wire);
	ck_assert_uint_gt(off, len);
	got = xmalloc(len + TLSM_MAX_PLAINTEXT);
	reseal = xmalloc(TLSM_HDR_LEN + 65536);
	gotlen = 0;
	nrec = nempty = 0;
	have_prev = 0;
	for (size_t wl = off, at = 0; at < wl; at += reclen, d->seq++) {
		ck_assert_int_eq(tlsm_next_record(&d->open_st, wire + at,
		    wl - at, &reclen, NULL), 0);
		ck_assert_msg(tlsm_open(&d->open_st, d->seq, wire + at, reclen,
		    &type, got + gotlen, TLSM_MAX_PLAINTEXT, &ptlen) == 0,
		    "%s: record %zu (seq %llu) does not open", d->name, nrec,
		    (unsigned long long)d->seq);
		ck_assert_uint_eq(type, TLSM_CT_APP);
		ck_assert_uint_le(ptlen, TLSM_MAX_PLAINTEXT);
		ck_assert_uint_le(reclen, tlsm_header_len(&d->open_st) +
		    ptlen + tlsm_trailer_len(&d->open_st));

		memset(&o, 0, sizeof(o));
		if (tlsm_header_len(&d->seal_st) > TLSM_HDR_LEN)
			o.explicit_iv = wire + at + TLSM_HDR_LEN;
		ck_assert_int_eq(tlsm_seal(&d->seal_st, d->seq, type,
		    got + gotlen, ptlen, &o, reseal, TLSM_HDR_LEN + 65536,
		    &rlen), 0);
		ck_assert_uint_eq(rlen, reclen);
		ck_assert_msg(memcmp(reseal, wire + at, reclen) == 0,
		    "%s: record %zu re-sealed differs", d->name, nrec);

		/* OpenSSL's GCM nonce_explicit counts up by one. */
		if (d->s->cipher == TLSM_GCM && d->s->version == TLSM_V12) {
			if (have_prev)
				ck_assert_uint_eq(tlsm_be64dec(wire + at + 5),
				    tlsm_be64dec(prev_nonce) + 1);
			memcpy(prev_nonce, wire + at + 5, 8);
			have_prev = 1;
		}
		if (ptlen == 0)
			nempty++;
		gotlen += ptlen;
		nrec++;
	}
	ck_assert_uint_eq(gotlen, len);
	ck_assert_mem_eq(got, data, len);
	/* At least ceil(len / 2^14) records; TLS 1.0 adds empty ones. */
	ck_assert_uint_ge(nrec - nempty, (len + TLSM_MAX_PLAINTEXT - 1) /
	    TLSM_MAX_PLAINTEXT);
	if (d->s->version == TLSM_V10)
		ck_assert_uint_ge(nempty, 1);	/* BEAST countermeasure */
	else
		ck_assert_uint_eq(nempty, 0);

	/* The receiver takes libssl's own bytes. */
	ck_assert_int_eq(sslpair_feed(d->p, d->to, wire, off), 0);
	back = xmalloc(len);
	ck_assert_int_eq(sslpair_read(d->p, d->to, back, len, NULL),
	    (long)len);
	ck_assert_mem_eq(back, data, len);
	free(back);
	free(wire);
	free(got);
	free(reseal);
}

/* (c): the model's own records, fed to libssl. */
static void
check_model_records(struct dir *d, const uint8_t *data, size_t len,
    uint32_t salt)
{
	struct tlsm_seal_opts o;
	uint8_t *wire, *back, iv[16];
	size_t at, chunk, maclen, wl, rlen;

	wire = xmalloc(2 * len + 4096);
	wl = 0;
	maclen = tlsm_mac_len(d->s->mac);
	for (at = 0; at < len; at += chunk) {
		chunk = len - at < TLSM_MAX_PLAINTEXT ? len - at :
		    TLSM_MAX_PLAINTEXT;
		memset(&o, 0, sizeof(o));
		uktest_fill(iv, sizeof(iv), salt, at);
		o.explicit_iv = iv;
		if (d->s->cipher == TLSM_CBC) {
			/* Legal but not minimal: one or two blocks more. */
			o.cbc_pad = TLSM_CBC_BLOCK - (chunk + maclen) %
			    TLSM_CBC_BLOCK + TLSM_CBC_BLOCK *
			    (1 + at / TLSM_MAX_PLAINTEXT % 2);
		}
		if (d->s->version == TLSM_V13)
			o.tls13_pad = 1 + chunk % 200;
		ck_assert_int_eq(tlsm_seal(&d->seal_st, d->seq++, TLSM_CT_APP,
		    data + at, chunk, &o, wire + wl, 2 * len + 4096 - wl,
		    &rlen), 0);
		wl += rlen;
	}
	ck_assert_int_eq(sslpair_feed(d->p, d->to, wire, wl), 0);
	back = xmalloc(len + 1);
	ck_assert_int_eq(sslpair_read(d->p, d->to, back, len, NULL),
	    (long)len);
	ck_assert_mem_eq(back, data, len);
	free(back);
	free(wire);
	/* libssl's reader and the model's writer still agree on the seq. */
	d->open_st = d->seal_st;
}

static void
run_direction(struct dir *d)
{
	uint8_t *data;
	size_t i;

	data = xmalloc(TLSM_MAX_PLAINTEXT + 1);
	for (i = 0; i < sizeof(write_sizes) / sizeof(write_sizes[0]); i++) {
		uktest_fill(data, write_sizes[i], (uint32_t)(d->from * 10 + i),
		    0);
		check_libssl_write(d, data, write_sizes[i]);
	}
	d->sender_st = d->open_st;
	d->sender_seq = d->seq;
	for (i = 0; i < sizeof(write_sizes) / sizeof(write_sizes[0]); i++) {
		uktest_fill(data, write_sizes[i], (uint32_t)(d->from * 10 + i),
		    7);
		check_model_records(d, data, write_sizes[i],
		    (uint32_t)(100 + i));
	}
	free(data);
}

START_TEST(test_model_matches_libssl)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct sslpair p;
	struct sslpair_dir c2s, s2c;
	struct dir d[2];
	uint8_t *wire, pt[64], rec[256], back[64], type;
	size_t len, ptlen, reclen;
	int err, i;

	if (sslpair_cipher_name(s) == NULL) {
		/* The one FreeBSD suite no TLS library negotiates. */
		ck_assert_str_eq(s->name, "aes128_cbc_1_2_sha384");
		return;
	}
	ck_assert_int_eq(sslpair_init(&p, s), 0);
	ck_assert_int_eq(sslpair_handshake(&p), 0);
	ck_assert_int_eq(sslpair_keys(&p, &c2s, &s2c), 0);
	/* TLS 1.2-: the Finished was record 0; TLS 1.3: new keys at 0. */
	ck_assert_uint_eq(c2s.seq, s->version == TLSM_V13 ? 0 : 1);
	ck_assert_uint_eq(s2c.seq, s->version == TLSM_V13 ? 0 : 1);
	if (s->version == TLSM_V13) {
		ck_assert_uint_ge(p.hs[SSLPAIR_CLIENT].count, 1);
		ck_assert_uint_ge(p.hs[SSLPAIR_SERVER].count, 1);
	}

	for (i = 0; i < 2; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].s = s;
		d[i].p = &p;
		d[i].from = i == 0 ? SSLPAIR_CLIENT : SSLPAIR_SERVER;
		d[i].to = i == 0 ? SSLPAIR_SERVER : SSLPAIR_CLIENT;
		d[i].open_st = d[i].seal_st = i == 0 ? c2s.st : s2c.st;
		d[i].seq = i == 0 ? c2s.seq : s2c.seq;
		d[i].name = s->name;
		run_direction(&d[i]);
	}

	/* A close_notify alert: type 21, level warning, description 0. */
	ck_assert_int_eq(SSL_shutdown(p.ssl[SSLPAIR_CLIENT]), 0);
	wire = sslpair_take(&p, SSLPAIR_CLIENT, &len);
	ck_assert_ptr_nonnull(wire);
	ck_assert_int_eq(tlsm_next_record(&d[0].sender_st, wire, len, &reclen,
	    NULL), 0);
	ck_assert_uint_eq(reclen, len);
	ck_assert_int_eq(tlsm_open(&d[0].sender_st, d[0].sender_seq, wire, len,
	    &type, back, sizeof(back), &ptlen), 0);
	ck_assert_uint_eq(type, TLSM_CT_ALERT);
	ck_assert_uint_eq(ptlen, 2);
	ck_assert_uint_eq(back[0], 1);
	ck_assert_uint_eq(back[1], 0);
	free(wire);

	/* The tamper twin of (c): one flipped bit and libssl says no. */
	uktest_fill(pt, sizeof(pt), 77, 0);
	ck_assert_int_eq(tlsm_seal(&d[1].seal_st, d[1].seq, TLSM_CT_APP, pt,
	    sizeof(pt), NULL, rec, sizeof(rec), &reclen), 0);
	rec[reclen - 1] ^= 0x04;
	ck_assert_int_eq(sslpair_feed(&p, SSLPAIR_CLIENT, rec, reclen), 0);
	err = 0;
	ck_assert_int_eq(sslpair_read(&p, SSLPAIR_CLIENT, back, sizeof(pt),
	    &err), -1);
	ck_assert_int_eq(err, SSL_ERROR_SSL);
	sslpair_free(&p);
}
END_TEST

/* The same pair refuses a record sealed for the wrong sequence number. */
START_TEST(test_libssl_refuses_wrong_seq)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct sslpair p;
	struct sslpair_dir c2s, s2c;
	uint8_t pt[32], rec[256], back[32];
	size_t reclen;
	int err;

	if (sslpair_cipher_name(s) == NULL)
		return;
	ck_assert_int_eq(sslpair_init(&p, s), 0);
	ck_assert_int_eq(sslpair_handshake(&p), 0);
	ck_assert_int_eq(sslpair_keys(&p, &c2s, &s2c), 0);
	uktest_fill(pt, sizeof(pt), 5, 0);
	/* The right one is accepted... */
	ck_assert_int_eq(tlsm_seal(&c2s.st, c2s.seq, TLSM_CT_APP, pt,
	    sizeof(pt), NULL, rec, sizeof(rec), &reclen), 0);
	ck_assert_int_eq(sslpair_feed(&p, SSLPAIR_SERVER, rec, reclen), 0);
	ck_assert_int_eq(sslpair_read(&p, SSLPAIR_SERVER, back, sizeof(pt),
	    NULL), (long)sizeof(pt));
	ck_assert_mem_eq(back, pt, sizeof(pt));
	/* ...the next one, sealed as if it were the one after, is not. */
	ck_assert_int_eq(tlsm_seal(&c2s.st, c2s.seq + 2, TLSM_CT_APP, pt,
	    sizeof(pt), NULL, rec, sizeof(rec), &reclen), 0);
	ck_assert_int_eq(sslpair_feed(&p, SSLPAIR_SERVER, rec, reclen), 0);
	err = 0;
	ck_assert_int_eq(sslpair_read(&p, SSLPAIR_SERVER, back, sizeof(pt),
	    &err), -1);
	ck_assert_int_eq(err, SSL_ERROR_SSL);
	sslpair_free(&p);
}
END_TEST

static Suite *
model_vs_libssl_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("model_vs_libssl");
	tc = uktest_tcase("suites");
	tcase_add_loop_test(tc, test_model_matches_libssl, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_libssl_refuses_wrong_seq, 0,
	    TLSM_NSUITES);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	int rc;

	/* One RSA key for all the forked tests. */
	if (sslpair_global_init() != 0)
		return (EXIT_FAILURE);
	rc = uktest_run(model_vs_libssl_suite());
	sslpair_global_free();
	return (rc);
}
