/*
 * Byte for byte with OpenSSL.  For each suite a real libssl client and
 * server shake hands in memory (tests/lib/sslpair); the client's record
 * keys and next sequence number go into TCP_TXTLS_ENABLE, the explicit
 * nonces/IVs libssl chose are queued for KTLS, and the plaintext of each
 * record libssl wrote (application data, a TLS 1.0 empty fragment if
 * libssl sends one, and the close_notify alert) is sent through uktls
 * with the same boundaries and types.  The records must be the same
 * bytes, and libssl's server must read uktls's records.
 *
 * AES-128-CBC with HMAC-SHA384 exists in FreeBSD's table but not in
 * libssl; that suite is compared with the model's records instead (the
 * model itself is checked against libssl and RFC vectors elsewhere).
 */
#include "ktls_fixture.h"
#include "sslpair.h"

/* The explicit nonce (GCM 1.2) or IV (CBC 1.1+) length of a suite. */
static size_t
explicit_len(const struct tlsm_suite *s)
{

	if (s->cipher == TLSM_GCM && s->version == TLSM_V12)
		return (8);
	if (s->cipher == TLSM_CBC && s->version != TLSM_V10)
		return (16);
	return (0);
}

/* One record libssl (or the model) wrote: its plaintext and type. */
struct rec {
	size_t	off, len;	/* in the plaintext buffer */
	uint8_t	type;
};

/*
 * Open the records in wire with a copy of st from seq on, queue their
 * explicit values for KTLS, and list them.
 */
static size_t
list_records(const struct tlsm_suite *s, const struct tlsm_state *st0,
    uint64_t seq, const uint8_t *wire, size_t len, struct kfx_buf *plain,
    struct rec *recs, size_t max)
{
	struct tlsm_state st;
	uint8_t out[KFX_MAXREC + 256];
	size_t n, off, reclen, outlen, xlen;
	uint8_t type;

	st = *st0;
	xlen = explicit_len(s);
	for (n = 0, off = 0; off < len; off += reclen, n++) {
		ck_assert_uint_lt(n, max);
		ck_assert_int_eq(tlsm_next_record(&st, wire + off, len - off,
		    &reclen, NULL), 0);
		ck_assert_int_eq(tlsm_open(&st, seq + n, wire + off, reclen,
		    &type, out, sizeof(out), &outlen), 0);
		if (xlen != 0)
			ck_assert_int_eq(uk_test_ktls_push_explicit(wire + off +
			    TLSM_HDR_LEN, xlen), 0);
		recs[n].off = plain->len;
		recs[n].len = outlen;
		recs[n].type = type;
		kfx_buf_add(plain, out, outlen);
	}
	return (n);
}

/* Send the records' plaintexts through uktls with the same boundaries. */
static void
send_records(struct kfx_conn *c, const struct kfx_buf *plain,
    const struct rec *recs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (recs[i].type == TLS_RLTYPE_APP)
			ck_assert_int_eq(uk_write(c->s, plain->p + recs[i].off,
			    recs[i].len), (ssize_t)recs[i].len);
		else
			ck_assert_int_eq(kfx_send_type(c->s,
			    plain->p + recs[i].off, recs[i].len, recs[i].type),
			    (ssize_t)recs[i].len);
		/* One write, one record: drain so none are merged. */
		kfx_drain(c);
	}
}

static size_t
first_diff(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t k;

	for (k = 0; k < alen && k < blen && a[k] == b[k]; k++)
		;
	return (k);
}

static const size_t msg_lens[] = { 1000, 20000, 1, 16384 };

START_TEST(test_openssl_same_bytes)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct sslpair_dir c2s, s2c;
	struct kfx_buf plain, sent;
	struct kfx_conn c;
	struct sslpair p;
	struct rec recs[64];
	uint8_t *ossl, *got, buf[20000];
	size_t i, n, olen, total;
	long rd;
	int nalerts;

	if (sslpair_cipher_name(s) == NULL)
		return;		/* test_model_same_bytes */
	ck_assert_int_eq(sslpair_init(&p, s), 0);
	ck_assert_int_eq(sslpair_handshake(&p), 0);
	ck_assert_int_eq(sslpair_keys(&p, &c2s, &s2c), 0);

	memset(&sent, 0, sizeof(sent));
	for (i = 0; i < sizeof(msg_lens) / sizeof(msg_lens[0]); i++) {
		uktest_fill(buf, msg_lens[i], 60 + (uint32_t)i, 0);
		ck_assert_int_eq(sslpair_write(&p, SSLPAIR_CLIENT, buf,
		    msg_lens[i]), 0);
		kfx_buf_add(&sent, buf, msg_lens[i]);
	}
	/* close_notify: an alert record. */
	ck_assert_int_ge(SSL_shutdown(p.ssl[SSLPAIR_CLIENT]), 0);
	ossl = sslpair_take(&p, SSLPAIR_CLIENT, &olen);
	ck_assert_ptr_nonnull(ossl);

	memset(&plain, 0, sizeof(plain));
	n = list_records(s, &c2s.st, c2s.seq, ossl, olen, &plain, recs, 64);
	ck_assert_uint_ge(n, 5);
	for (i = 0, nalerts = 0; i < n; i++)
		nalerts += recs[i].type == TLS_RLTYPE_ALERT;
	ck_assert_int_eq(nalerts, 1);

	kfx_open_state(&c, s, &c2s.st, c2s.seq);
	send_records(&c, &plain, recs, n);
	ck_assert_msg(c.wire.len == olen && memcmp(c.wire.p, ossl, olen) == 0,
	    "%s: uktls wrote %zu bytes, libssl %zu; first difference at %zu",
	    s->name, c.wire.len, olen, first_diff(c.wire.p, c.wire.len, ossl,
	    olen));

	/* libssl's server reads what uktls sent. */
	total = sent.len;
	got = malloc(total);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(sslpair_feed(&p, SSLPAIR_SERVER, c.wire.p,
	    c.wire.len), 0);
	rd = sslpair_read(&p, SSLPAIR_SERVER, got, total, NULL);
	ck_assert_int_eq(rd, (long)total);
	ck_assert_mem_eq(got, sent.p, total);
	free(got);

	kfx_close(&c);
	free(ossl);
	kfx_buf_free(&plain);
	kfx_buf_free(&sent);
	sslpair_free(&p);
}
END_TEST

/* The suite libssl lacks: records the model seals with the same IVs. */
START_TEST(test_model_same_bytes)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_seal_opts opts;
	struct tlsm_state st, sealer;
	struct kfx_buf plain, wire;
	struct kfx_conn c;
	struct rec recs[8];
	uint8_t buf[20000], iv[16], out[KFX_MAXREC + 256];
	size_t i, n, outlen;
	uint64_t seq = 77;

	if (sslpair_cipher_name(s) != NULL)
		return;
	kfx_state(s, 61, &st);
	sealer = st;
	memset(&plain, 0, sizeof(plain));
	memset(&wire, 0, sizeof(wire));
	for (i = 0, n = 0; i < sizeof(msg_lens) / sizeof(msg_lens[0]); i++) {
		size_t left = msg_lens[i], chunk;

		uktest_fill(buf, msg_lens[i], 62 + (uint32_t)i, 0);
		for (size_t off = 0; left > 0; off += chunk, left -= chunk) {
			chunk = left > KFX_MAXREC ? KFX_MAXREC : left;
			uktest_fill(iv, sizeof(iv), 63, n);
			memset(&opts, 0, sizeof(opts));
			opts.explicit_iv = iv;
			ck_assert_int_eq(tlsm_seal(&sealer, seq + n,
			    TLS_RLTYPE_APP, buf + off, chunk, &opts, out,
			    sizeof(out), &outlen), 0);
			kfx_buf_add(&wire, out, outlen);
			ck_assert_int_eq(uk_test_ktls_push_explicit(iv, 16), 0);
			recs[n].off = plain.len;
			recs[n].len = chunk;
			recs[n].type = TLS_RLTYPE_APP;
			kfx_buf_add(&plain, buf + off, chunk);
			n++;
		}
	}
	kfx_open_state(&c, s, &st, seq);
	send_records(&c, &plain, recs, n);
	ck_assert_uint_eq(c.wire.len, wire.len);
	ck_assert_mem_eq(c.wire.p, wire.p, wire.len);
	kfx_close(&c);
	kfx_buf_free(&plain);
	kfx_buf_free(&wire);
}
END_TEST

static Suite *
ktls_openssl_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_openssl");
	tc = kfx_tcase("openssl");
	tcase_add_loop_test(tc, test_openssl_same_bytes, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_model_same_bytes, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{
	int rv;

	if (sslpair_global_init() != 0)
		return (EXIT_FAILURE);
	rv = uktest_run(ktls_openssl_suite());
	sslpair_global_free();
	return (rv);
}
