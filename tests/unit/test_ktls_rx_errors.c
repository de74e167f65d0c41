/*
 * KTLS receive errors, with the errno FreeBSD gives (its ktls_test.c
 * receive cases), for each of the fourteen suites it receives.
 *
 * Each case is a good record A, the bad record, and a good record B, fed
 * in random pieces, then the peer's FIN.  A must always come out intact.
 * A header that cannot be right (bad_major, bad_minor, TLS 1.3 bad_type,
 * oversized_record, a short_header shorter than the explicit nonce/IV)
 * means the stream is lost: the connection is dropped and B never comes.
 * A record that does not open (bad_data, bad_mac, bad_padding, bad_iv,
 * small_record, non_block_size, a short_header that is a whole record)
 * is dropped alone: B still comes.  The reader gets A (and B), then the
 * error, then the end of the stream.  The model's verdict on the same
 * bytes (model/tls_stream) must agree.
 *
 * Then the records that must open: CBC padding_1..16, padding_16_extra
 * and padding_32_extra, TLS 1.3 short_padded and long_padded; and a TLS
 * 1.3 record of zeros only (no content type), which must not.
 */
#include <openssl/evp.h>

#include "ktls_rx_fixture.h"

#define	A_LEN	100
#define	B_LEN	333

typedef void bad_fn(struct rfx_conn *c);

/* The wire minor version of a suite (3 for TLS 1.3). */
static uint8_t
wire_minor(const struct tlsm_suite *s)
{

	return (s->version == TLSM_V13 ? 3 : (uint8_t)(s->version & 0xff));
}

static size_t
hdr_len(const struct rfx_conn *c)
{

	return (tlsm_header_len(&c->keys));
}

/* The shortest body (after the 5-byte header) a record can have. */
static size_t
min_body(const struct rfx_conn *c)
{
	size_t mac;

	if (c->suite->cipher == TLSM_CBC) {
		mac = tlsm_mac_len(c->suite->mac);
		return (hdr_len(c) - 5 + (mac + 1 + 15) / 16 * 16);
	}
	return (hdr_len(c) - 5 + 16 + (c->suite->version == TLSM_V13));
}

/* A record by hand: a header saying len, then len bytes of noise. */
static void
raw_record(struct rfx_conn *c, uint8_t type, size_t len)
{
	uint8_t *p;

	p = malloc(5 + len);
	ck_assert_ptr_nonnull(p);
	p[0] = type;
	p[1] = 3;
	p[2] = wire_minor(c->suite);
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
	uktest_fill(p + 5, len, 123, 0);
	kfx_buf_add(&c->wire, p, 5 + len);
	free(p);
	c->seq++;	/* the receiver uses up its sequence number */
}

/* Seal a good 64-byte application record; its offset in the wire. */
static size_t
seal64(struct rfx_conn *c, size_t *reclen)
{
	uint8_t buf[64];
	size_t start;

	uktest_fill(buf, sizeof(buf), 124, c->seq);
	start = c->wire.len;
	*reclen = rfx_seal(c, TLS_RLTYPE_APP, buf, sizeof(buf), NULL);
	return (start);
}

static void
bad_major(struct rfx_conn *c)
{
	size_t len, off;

	off = seal64(c, &len);
	c->wire.p[off + 1] = 2;
}

static void
bad_minor(struct rfx_conn *c)
{
	size_t len, off;

	off = seal64(c, &len);
	c->wire.p[off + 2] = c->suite->version == TLSM_V13 ? 4 :
	    wire_minor(c->suite) == 3 ? 2 : 3;
}

/* TLS 1.3 only: an outer type other than application data. */
static void
bad_type(struct rfx_conn *c)
{
	size_t len, off;

	off = seal64(c, &len);
	c->wire.p[off] = 24;
}

static void
small_record(struct rfx_conn *c)
{

	raw_record(c, TLS_RLTYPE_APP, min_body(c) - 1);
}

/* 2^15 bytes of plaintext: longer than any record may be. */
static void
oversized_record(struct rfx_conn *c)
{
	struct tlsm_seal_opts o;
	uint8_t *pt, *out;
	size_t outlen;

	pt = calloc(1, 32768);
	out = malloc(32768 + 1024);
	ck_assert(pt != NULL && out != NULL);
	memset(&o, 0, sizeof(o));
	o.oversize = 1;
	ck_assert_int_eq(tlsm_seal(&c->st, c->seq++, TLS_RLTYPE_APP, pt,
	    32768, &o, out, 32768 + 1024, &outlen), 0);
	kfx_buf_add(&c->wire, out, outlen);
	free(pt);
	free(out);
}

static void
short_header(struct rfx_conn *c)
{

	raw_record(c, TLS_RLTYPE_APP, 6);
}

/* A ciphertext byte in the middle. */
static void
bad_data(struct rfx_conn *c)
{
	size_t len, off;

	off = seal64(c, &len);
	c->wire.p[off + hdr_len(c) + 10] ^= 0x40;
}

/* AEAD: the tag; CBC: a MAC byte, re-encrypted (see cbc_rewrite()). */
static void cbc_rewrite(struct rfx_conn *c, size_t off, size_t len,
    void (*fn)(uint8_t *pt, size_t n, size_t maclen));

static void
flip_mac(uint8_t *pt, size_t n, size_t maclen)
{
	size_t pad;

	pad = (size_t)pt[n - 1] + 1;
	pt[n - pad - maclen + 3] ^= 0x01;
}

static void
bad_mac(struct rfx_conn *c)
{
	size_t len, off;

	off = seal64(c, &len);
	if (c->suite->cipher == TLSM_CBC)
		cbc_rewrite(c, off, len, flip_mac);
	else
		c->wire.p[off + len - 1] ^= 0x01;
}

/* CBC: a padding byte that disagrees with the padding length. */
static void
flip_pad(uint8_t *pt, size_t n, size_t maclen)
{

	(void)maclen;
	pt[n - 2] ^= 0x01;
}

static void
bad_padding(struct rfx_conn *c)
{
	struct tlsm_seal_opts o;
	uint8_t buf[64];
	size_t len, off, mac;

	/* 64 + MAC + 16 bytes of padding at least: pad 2.. */
	mac = tlsm_mac_len(c->suite->mac);
	memset(&o, 0, sizeof(o));
	o.cbc_pad = 16 - (64 + mac) % 16 + 16;
	uktest_fill(buf, sizeof(buf), 125, 0);
	off = c->wire.len;
	len = rfx_seal(c, TLS_RLTYPE_APP, buf, sizeof(buf), &o);
	cbc_rewrite(c, off, len, flip_pad);
}

/* CBC 1.1+ and GCM 1.2: the explicit IV / nonce. */
static void
bad_iv(struct rfx_conn *c)
{
	size_t len, off;

	off = seal64(c, &len);
	c->wire.p[off + 5 + 3] ^= 0x10;
}

/* CBC: a body that is not whole blocks. */
static void
non_block_size(struct rfx_conn *c)
{
	size_t body, len, off;
	uint8_t extra = 0x5a;

	off = seal64(c, &len);
	kfx_buf_add(&c->wire, &extra, 1);
	body = len - 5 + 1;
	c->wire.p[off + 3] = (uint8_t)(body >> 8);
	c->wire.p[off + 4] = (uint8_t)body;
}

/*
 * Decrypt a CBC 1.1+ record with its explicit IV, let fn change the
 * plaintext (content | MAC | padding), and encrypt it again with the same
 * IV: the record stays well formed but carries the fault fn made.
 */
static void
cbc_rewrite(struct rfx_conn *c, size_t off, size_t len,
    void (*fn)(uint8_t *pt, size_t n, size_t maclen))
{
	EVP_CIPHER_CTX *ctx;
	const EVP_CIPHER *ciph;
	uint8_t *ct, *pt, iv[16];
	size_t n;
	int outl;

	ck_assert(c->suite->cipher == TLSM_CBC &&
	    c->suite->version != TLSM_V10);
	ciph = c->suite->key_len == 16 ? EVP_aes_128_cbc() :
	    EVP_aes_256_cbc();
	memcpy(iv, c->wire.p + off + 5, 16);
	ct = c->wire.p + off + 21;
	n = len - 21;
	pt = malloc(n);
	ck_assert_ptr_nonnull(pt);
	ctx = EVP_CIPHER_CTX_new();
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(EVP_DecryptInit_ex(ctx, ciph, NULL, c->keys.key, iv),
	    1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	ck_assert_int_eq(EVP_DecryptUpdate(ctx, pt, &outl, ct, (int)n), 1);
	ck_assert_int_eq(outl, (int)n);
	fn(pt, n, tlsm_mac_len(c->suite->mac));
	ck_assert_int_eq(EVP_EncryptInit_ex(ctx, ciph, NULL, c->keys.key, iv),
	    1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	ck_assert_int_eq(EVP_EncryptUpdate(ctx, ct, &outl, pt, (int)n), 1);
	ck_assert_int_eq(outl, (int)n);
	EVP_CIPHER_CTX_free(ctx);
	free(pt);
}

/* TLS 1.3: a plaintext of zeros only (no content type). */
static void
all_zeros(struct rfx_conn *c)
{
	uint8_t zeros[32];

	memset(zeros, 0, sizeof(zeros));
	rfx_seal(c, 0, zeros, sizeof(zeros), NULL);
}

/*
 * A, the bad record, B; random pieces; FIN.  fatal: the connection is
 * dropped at the bad record.
 */
static void
run_case(int suite, bad_fn *fn, int want, int fatal, const char *what)
{
	const struct tlsm_suite *s = &tlsm_suites[suite];
	struct uk_ktls_stats st0, st1;
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t a[A_LEN], b[B_LEN];

	rfx_open(&c, s, 130 + (uint32_t)suite, 41);
	uktest_fill(a, sizeof(a), 131, 0);
	uktest_fill(b, sizeof(b), 132, 0);
	rfx_seal(&c, TLS_RLTYPE_APP, a, sizeof(a), NULL);
	fn(&c);
	rfx_seal(&c, TLS_RLTYPE_APP, b, sizeof(b), NULL);
	kfx_stats(&st0);
	g = rfx_seg(RFX_RANDOM, 37, 133 + (uint64_t)suite);
	rfx_finish(&c, &g, 1);
	kfx_stats(&st1);
	rfx_expect(&c, 1);

	ck_assert_msg(c.got.nrec == (fatal ? 1u : 2u), "%s %s: %zu records",
	    s->name, what, c.got.nrec);
	ck_assert_uint_eq(c.got.recs[0].len, sizeof(a));
	ck_assert_mem_eq(c.got.plain.p, a, sizeof(a));
	if (!fatal) {
		ck_assert_uint_eq(c.got.recs[1].len, sizeof(b));
		ck_assert_mem_eq(c.got.plain.p + c.got.recs[1].off, b,
		    sizeof(b));
	}
	ck_assert_msg(c.got.nerrors == 1 && c.got.errors[0] == want,
	    "%s %s: %d errors, first %s, wanted %s", s->name, what,
	    c.got.nerrors, c.got.nerrors > 0 ? strerror(c.got.errors[0]) :
	    "none", strerror(want));
	ck_assert(c.got.eof);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_int_eq(ri.so_error, 0);
	if (fatal)
		ck_assert_int_eq(st1.corrupted_records -
		    st0.corrupted_records, 1);
	else
		ck_assert_int_eq(st1.failed_crypto - st0.failed_crypto, 1);
	rfx_assert_empty(&c);
	rfx_close(&c);
}

#define	SUITE()								\
	const struct tlsm_suite *s = &tlsm_suites[_i];			\
	if (!rfx_suite_ok(s))						\
		return

START_TEST(test_bad_major)
{
	SUITE();
	run_case(_i, bad_major, EINVAL, 1, "bad_major");
}
END_TEST

START_TEST(test_bad_minor)
{
	SUITE();
	run_case(_i, bad_minor, EINVAL, 1, "bad_minor");
}
END_TEST

START_TEST(test_bad_type)
{
	SUITE();
	if (s->version != TLSM_V13)
		return;
	run_case(_i, bad_type, EINVAL, 1, "bad_type");
}
END_TEST

START_TEST(test_small_record)
{
	SUITE();
	run_case(_i, small_record, EMSGSIZE, 0, "small_record");
}
END_TEST

START_TEST(test_oversized_record)
{
	SUITE();
	run_case(_i, oversized_record, EMSGSIZE, 1, "oversized_record");
}
END_TEST

/*
 * A 6-byte record: shorter than the header and explicit nonce/IV of GCM
 * 1.2 and CBC 1.1+ (a header error), a whole but hopeless record for the
 * others.  EMSGSIZE either way.
 */
START_TEST(test_short_header)
{
	struct tlsm_state st;

	SUITE();
	kfx_state(s, 1, &st);
	run_case(_i, short_header, EMSGSIZE, 5 + 6 < tlsm_header_len(&st),
	    "short_header");
}
END_TEST

START_TEST(test_bad_data)
{
	SUITE();
	run_case(_i, bad_data, EBADMSG, 0, "bad_data");
}
END_TEST

START_TEST(test_bad_mac)
{
	SUITE();
	run_case(_i, bad_mac, EBADMSG, 0, "bad_mac");
}
END_TEST

START_TEST(test_bad_padding)
{
	SUITE();
	if (s->cipher != TLSM_CBC)
		return;
	run_case(_i, bad_padding, EBADMSG, 0, "bad_padding");
}
END_TEST

START_TEST(test_bad_iv)
{
	SUITE();
	if (!(s->cipher == TLSM_CBC ||
	    (s->cipher == TLSM_GCM && s->version == TLSM_V12)))
		return;
	run_case(_i, bad_iv, EBADMSG, 0, "bad_iv");
}
END_TEST

START_TEST(test_non_block_size)
{
	SUITE();
	if (s->cipher != TLSM_CBC)
		return;
	run_case(_i, non_block_size, EMSGSIZE, 0, "non_block_size");
}
END_TEST

START_TEST(test_all_zeros)
{
	SUITE();
	if (s->version != TLSM_V13)
		return;
	run_case(_i, all_zeros, EBADMSG, 0, "all_zeros");
}
END_TEST

/*
 * Half a record, then the FIN: EMSGSIZE once A is read, then the end.
 * Also with the FIN arriving while the worker still holds the socket,
 * and with only 3 bytes of a header.
 */
START_TEST(test_truncated_record)
{
	static const size_t keep[] = { 3, 5, 0 };
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t a[A_LEN];
	size_t i, len, off;

	SUITE();
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		rfx_open(&c, s, 140 + (uint32_t)_i, 9);
		uktest_fill(a, sizeof(a), 141, 0);
		rfx_seal(&c, TLS_RLTYPE_APP, a, sizeof(a), NULL);
		off = seal64(&c, &len);
		c.wire.len = off + (keep[i] != 0 ? keep[i] : len / 2);
		g = rfx_seg(RFX_WHOLE, 0, 0);
		rfx_feed(&c, &g, c.wire.len);
		if (i == 2) {
			/* The FIN before the worker ran. */
			ck_assert_int_eq(uk_test_rcv_eof(c.s), 0);
		}
		rfx_finish(&c, &g, 1);
		rfx_expect(&c, 1);
		ck_assert_uint_eq(c.got.nrec, 1);
		ck_assert_mem_eq(c.got.plain.p, a, sizeof(a));
		ck_assert_int_eq(c.got.nerrors, 1);
		ck_assert_int_eq(c.got.errors[0], EMSGSIZE);
		ck_assert(c.got.eof);
		/* The part-record stays; nothing is left to decrypt. */
		ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
		ck_assert_uint_eq(ri.tlscc, c.wire.len - off);
		ck_assert_int_eq(ri.running, 0);
		rfx_close(&c);
	}
}
END_TEST

/* Records that must open: CBC padding of every length, TLS 1.3 padding. */
START_TEST(test_padding_decrypts)
{
	struct tlsm_seal_opts o;
	struct rfx_conn c;
	struct rfx_seg g;
	uint8_t buf[16384];
	size_t k, len, mac, n;

	SUITE();
	rfx_open(&c, s, 150 + (uint32_t)_i, 77);
	n = 0;
	if (s->cipher == TLSM_CBC) {
		mac = tlsm_mac_len(s->mac);
		/* padding_1 .. padding_16: content sized for each. */
		for (k = 1; k <= 16; k++) {
			len = 64 + (16 - (64 + mac + k) % 16) % 16;
			memset(&o, 0, sizeof(o));
			o.cbc_pad = k;
			uktest_fill(buf, len, 151, k);
			rfx_seal(&c, TLS_RLTYPE_APP, buf, len, &o);
			n++;
		}
		/* padding_16_extra, padding_32_extra. */
		for (k = 16; k <= 32; k += 16) {
			memset(&o, 0, sizeof(o));
			o.cbc_pad = 16 - (64 + mac) % 16 + k;
			uktest_fill(buf, 64, 152, k);
			rfx_seal(&c, TLS_RLTYPE_APP, buf, 64, &o);
			n++;
		}
	} else if (s->version == TLSM_V13) {
		/* short_padded, a little more, long_padded (2^14 in all). */
		static const size_t pads[] = { 1, 100, 16384 - 64 };

		for (k = 0; k < sizeof(pads) / sizeof(pads[0]); k++) {
			memset(&o, 0, sizeof(o));
			o.tls13_pad = pads[k];
			uktest_fill(buf, 64, 153, k);
			rfx_seal(&c, TLS_RLTYPE_APP, buf, 64, &o);
			n++;
		}
		/* A padded handshake record keeps its inner type. */
		memset(&o, 0, sizeof(o));
		o.tls13_pad = 200;
		rfx_seal(&c, TLS_RLTYPE_HANDSHAKE, buf, 10, &o);
		n++;
	}
	g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
	rfx_finish(&c, &g, 1);
	rfx_expect(&c, 1);
	ck_assert_uint_eq(c.got.nrec, n);
	ck_assert_int_eq(c.got.nerrors, 0);
	if (s->version == TLSM_V13 && n > 0)
		ck_assert_uint_eq(c.got.recs[n - 1].type,
		    TLS_RLTYPE_HANDSHAKE);
	rfx_assert_empty(&c);
	rfx_close(&c);
}
END_TEST

static Suite *
ktls_rx_errors_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_rx_errors");
	tc = kfx_tcase("header");
	tcase_add_loop_test(tc, test_bad_major, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_bad_minor, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_bad_type, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_oversized_record, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_short_header, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	tc = kfx_tcase("record");
	tcase_add_loop_test(tc, test_small_record, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_bad_data, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_bad_mac, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_bad_padding, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_bad_iv, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_non_block_size, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_all_zeros, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	tc = kfx_tcase("stream");
	tcase_add_loop_test(tc, test_truncated_record, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_padding_decrypts, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_rx_errors_suite()));
}
