/*
 * Field bug 12: TLS 1.3 padding.  The record's real type is the last
 * non-zero byte of the decrypted TLSInnerPlaintext (content | type |
 * zeros, RFC 8446 5.2); the receiver must scan back past any number of
 * zeros, wherever the segments (and so the mbufs) were cut, must keep
 * zeros that belong to the content, and must refuse a plaintext of zeros
 * only (no type) with EBADMSG.  FreeBSD sends no padding but receives it
 * (tls13_find_record_type() walks the record's mbufs).
 *
 * Scenario: the peer (a plain socket carrying records the model sealed)
 * sends TLS 1.3 records with 0 to 16284 bytes of padding, content that
 * ends in zeros, control records with padding, an empty record with
 * padding, records of zeros only, over a link with the smallest MSS or
 * random cuts, so that the zeros span many mbufs and a cut falls between
 * the type byte and the zeros.  The receive session's records must be
 * exactly what the model's stream oracle reads from the same bytes.
 *
 *   fb12_padding             the records above; the all-zero ones are
 *                            dropped with EBADMSG, the rest delivered
 *   fb12_padding_over_limit  content + type + padding one byte over
 *                            2^14 + 1: EMSGSIZE, the connection dropped
 *                            (FreeBSD's header check), the records
 *                            before it delivered
 */
#include "scenario.h"

static const char *const fb12_suites[] = { "aes128_gcm_1_3",
    "aes256_gcm_1_3", "chacha20_poly1305_1_3" };

struct fb12_rec {
	uint8_t		 type;		/* 0: a plaintext of zeros only */
	size_t		 len;
	size_t		 pad;
	size_t		 zeros;		/* content ends in this many zeros */
};

static const struct fb12_rec fb12_recs[] = {
	{ TLS_RLTYPE_APP, 100, 0, 0 },
	{ TLS_RLTYPE_APP, 100, 1, 0 },
	{ TLS_RLTYPE_APP, 100, 16, 0 },
	{ TLS_RLTYPE_APP, 100, 1447, 0 },
	{ TLS_RLTYPE_APP, 1, 4000, 0 },
	{ TLS_RLTYPE_APP, 50, 100, 10 },
	{ TLS_RLTYPE_APP, 3000, 2, 3000 },
	{ TLS_RLTYPE_ALERT, 2, 300, 0 },
	{ TLS_RLTYPE_HANDSHAKE, 200, 7, 1 },
	{ TLS_RLTYPE_APP, 0, 500, 0 },
	{ 0, 0, 1000, 0 },
	{ TLS_RLTYPE_APP, 100, 16284, 0 },
	{ TLS_RLTYPE_APP, 16384, 0, 0 },
	{ 0, 0, 0, 0 },
	{ TLS_RLTYPE_APP, 77, 33, 0 },
};
#define	FB12_NREC	(sizeof(fb12_recs) / sizeof(fb12_recs[0]))

static void
fb12_seal(struct rfx_conn *c, const struct fb12_rec *r, uint64_t i)
{
	struct tlsm_seal_opts o;
	uint8_t buf[16384];

	uktest_fill(buf, r->len, 1201, i << 16);
	memset(buf + r->len - r->zeros, 0, r->zeros);
	memset(&o, 0, sizeof(o));
	o.tls13_pad = r->pad;
	(void)rfx_seal(c, r->type, buf, r->len, &o);
}

/* Open, send every record with the reader as the idle hook, read all. */
static void
fb12_run(struct rfx_conn *c, int sv[2], const struct fb12_rec *recs,
    size_t n)
{
	struct sc_reader *rd;
	size_t i;

	rd = sc_reader_new(sv[1]);
	uk_net_set_idle(sc_reader_turn, rd);
	for (i = 0; i < n; i++) {
		fb12_seal(c, &recs[i], i);
		sc_push(c, sv[0], c->wire.len);
	}
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	sc_reader_finish(rd, &c->got);
}

/* _i = suite * 3 + link: MSS 64, MSS 100 with random cuts, default. */
START_TEST(fb12_padding)
{
	const struct tlsm_suite *s = sc_suite(fb12_suites[_i / 3]);
	struct uk_ktls_stats st0, st1;
	struct tlsm_state keys;
	struct rfx_conn c;
	size_t i, k;
	int sv[2];

	sc_net(12000 + (uint64_t)_i, 0.5, 2.0, 1.0, _i % 3 == 1 ? 100.0 : 0.0,
	    _i % 3 == 0 ? 64 : _i % 3 == 1 ? 100 : 0);
	keys = sc_keys(s, 1200 + (uint32_t)_i);
	sc_rx_open(&c, sv, s, &keys, 31);
	kfx_stats(&st0);
	fb12_run(&c, sv, fb12_recs, FB12_NREC);
	rfx_expect(&c, 1);

	/* Every record but the zeros-only ones, with its type and bytes. */
	for (i = 0, k = 0; i < FB12_NREC; i++) {
		if (fb12_recs[i].type == 0)
			continue;
		ck_assert_uint_lt(k, c.got.nrec);
		ck_assert_uint_eq(c.got.recs[k].type, fb12_recs[i].type);
		ck_assert_uint_eq(c.got.recs[k].len, fb12_recs[i].len);
		k++;
	}
	ck_assert_uint_eq(c.got.nrec, k);
	ck_assert_int_ge(c.got.nerrors, 1);
	ck_assert_int_eq(c.got.errors[0], EBADMSG);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.failed_crypto - st0.failed_crypto, 2);
	ck_assert_int_eq(st1.corrupted_records, st0.corrupted_records);
	sc_rx_end(&c, sv);
}
END_TEST

/*
 * The receiver drops the connection as soon as the bad header is in, so
 * the sender's writes may end with EPIPE or ECONNRESET: that is the
 * reset the drop sends.
 */
START_TEST(fb12_padding_over_limit)
{
	static const struct fb12_rec recs[] = {
		{ TLS_RLTYPE_APP, 100, 16284, 0 },
		{ TLS_RLTYPE_APP, 100, 16285, 0 },
		{ TLS_RLTYPE_APP, 100, 0, 0 },
	};
	const struct tlsm_suite *s = sc_suite(fb12_suites[_i]);
	struct uk_ktls_stats st0, st1;
	struct tlsm_state keys;
	struct sc_reader *rd;
	struct rfx_conn c;
	size_t i;
	ssize_t n;
	int sv[2];

	sc_net(12100 + (uint64_t)_i, 0.0, 0.0, 0.0, 50.0, 0);
	keys = sc_keys(s, 1210 + (uint32_t)_i);
	sc_rx_open(&c, sv, s, &keys, 41);
	kfx_stats(&st0);
	for (i = 0; i < 3; i++)
		fb12_seal(&c, &recs[i], i);
	rd = sc_reader_new(sv[1]);
	uk_net_set_idle(sc_reader_turn, rd);
	while (c.fed < c.wire.len) {
		n = uk_write(sv[0], c.wire.p + c.fed, c.wire.len - c.fed);
		if (n < 0) {
			ck_assert_msg(errno == EPIPE || errno == ECONNRESET,
			    "uk_write: %s", strerror(errno));
			break;
		}
		c.fed += (size_t)n;
	}
	sc_reader_finish(rd, &c.got);
	rfx_expect(&c, 1);
	ck_assert_uint_eq(c.got.nrec, 1);
	ck_assert_int_eq(c.got.nerrors, 1);
	ck_assert_int_eq(c.got.errors[0], EMSGSIZE);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.corrupted_records - st0.corrupted_records, 1);
	sc_rx_end(&c, sv);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb12_tls13_padding");
	SC_ADD(s, fb12_padding, 9);
	SC_ADD(s, fb12_padding_over_limit, 3);
	return (uktest_run(s));
}
