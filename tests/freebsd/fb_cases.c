/*
 * The case table: ktls_test.c's suite matrix, expanded in the order
 * FreeBSD registers its cases (ATF_TP_ADD_TCS), with FreeBSD's names.
 *
 *   transmit (235)  16 suites x {short, long, control}; 10 CBC suites x
 *                   padding_1..16; 16 x empty_fragment; 11 invalid
 *   receive (328)   2 TLS 1.0 unsupported; 14 suites x {short, long,
 *                   bad_data, bad_mac, truncated_record, bad_major,
 *                   bad_minor, small_record, oversized_record}; 8 CBC
 *                   1.1+ x {padding_1..16, padding_16_extra,
 *                   padding_32_extra, bad_padding, non_block_size}; 10
 *                   explicit-IV suites x {bad_iv, short_header}; 3 TLS
 *                   1.3 x {short_padded, long_padded, bad_type}; 11
 *                   invalid
 *   misc (2)        ktls_sendto_baddst, ktls_listening_socket
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb_fixture.h"

#define	FB_SHORT	64
#define	FB_LONG		(64 * 1024)
#define	FB_ALERT	0x21	/* ktls_test.c's "Alert" record type */

const struct fb_mode fb_modes[] = {
	{ "sw", "", TCP_TLS_MODE_SW },
};
const size_t fb_nmodes = sizeof(fb_modes) / sizeof(fb_modes[0]);

#define	CBC(n, k, a, m)	{ n, CRYPTO_AES_CBC, k, a, m }
#define	GCM(n, k, m)	{ n, CRYPTO_AES_NIST_GCM_16, k, 0, m }
#define	CHACHA(n, m)	{ n, CRYPTO_CHACHA20_POLY1305, 32, 0, m }

/* TLS_10_TESTS, then AES_CBC_NONZERO_TESTS: together AES_CBC_TESTS. */
static const struct fb_suite cbc_suites[] = {
	CBC("aes128_cbc_1_0_sha1", 16, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ZERO),
	CBC("aes256_cbc_1_0_sha1", 32, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ZERO),
	CBC("aes128_cbc_1_1_sha1", 16, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ONE),
	CBC("aes256_cbc_1_1_sha1", 32, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_ONE),
	CBC("aes128_cbc_1_2_sha1", 16, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_TWO),
	CBC("aes256_cbc_1_2_sha1", 32, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_TWO),
	CBC("aes128_cbc_1_2_sha256", 16, CRYPTO_SHA2_256_HMAC,
	    TLS_MINOR_VER_TWO),
	CBC("aes256_cbc_1_2_sha256", 32, CRYPTO_SHA2_256_HMAC,
	    TLS_MINOR_VER_TWO),
	CBC("aes128_cbc_1_2_sha384", 16, CRYPTO_SHA2_384_HMAC,
	    TLS_MINOR_VER_TWO),
	CBC("aes256_cbc_1_2_sha384", 32, CRYPTO_SHA2_384_HMAC,
	    TLS_MINOR_VER_TWO),
};
#define	CBC_10		(&cbc_suites[0])
#define	N_CBC_10	2
#define	CBC_NONZERO	(&cbc_suites[2])
#define	N_CBC_NONZERO	8
#define	N_CBC		10

/* AES_GCM_12_TESTS, then the two TLS 1.3 ones: AES_GCM_TESTS. */
static const struct fb_suite gcm_suites[] = {
	GCM("aes128_gcm_1_2", 16, TLS_MINOR_VER_TWO),
	GCM("aes256_gcm_1_2", 32, TLS_MINOR_VER_TWO),
	GCM("aes128_gcm_1_3", 16, TLS_MINOR_VER_THREE),
	GCM("aes256_gcm_1_3", 32, TLS_MINOR_VER_THREE),
};
#define	N_GCM_12	2
#define	N_GCM		4

/* CHACHA20_TESTS */
static const struct fb_suite chacha_suites[] = {
	CHACHA("chacha20_poly1305_1_2", TLS_MINOR_VER_TWO),
	CHACHA("chacha20_poly1305_1_3", TLS_MINOR_VER_THREE),
};
#define	N_CHACHA	2

/* TLS_13_TESTS */
static const struct fb_suite *const tls13_suites[] = {
	&gcm_suites[2], &gcm_suites[3], &chacha_suites[1],
};
#define	N_TLS13		3

/* INVALID_CIPHER_SUITES: refused with EINVAL both ways. */
static const struct fb_suite invalid_suites[] = {
	CBC("aes128_cbc_1_0_sha256", 16, CRYPTO_SHA2_256_HMAC,
	    TLS_MINOR_VER_ZERO),
	CBC("aes128_cbc_1_0_sha384", 16, CRYPTO_SHA2_384_HMAC,
	    TLS_MINOR_VER_ZERO),
	GCM("aes128_gcm_1_0", 16, TLS_MINOR_VER_ZERO),
	CHACHA("chacha20_poly1305_1_0", TLS_MINOR_VER_ZERO),
	CBC("aes128_cbc_1_1_sha256", 16, CRYPTO_SHA2_256_HMAC,
	    TLS_MINOR_VER_ONE),
	CBC("aes128_cbc_1_1_sha384", 16, CRYPTO_SHA2_384_HMAC,
	    TLS_MINOR_VER_ONE),
	GCM("aes128_gcm_1_1", 16, TLS_MINOR_VER_ONE),
	CHACHA("chacha20_poly1305_1_1", TLS_MINOR_VER_ONE),
	CBC("aes128_cbc_1_3_sha1", 16, CRYPTO_SHA1_HMAC, TLS_MINOR_VER_THREE),
	CBC("aes128_cbc_1_3_sha256", 16, CRYPTO_SHA2_256_HMAC,
	    TLS_MINOR_VER_THREE),
	CBC("aes128_cbc_1_3_sha384", 16, CRYPTO_SHA2_384_HMAC,
	    TLS_MINOR_VER_THREE),
};
#define	N_INVALID	11

#define	FB_MAXCASES	600

static struct fb_case cases[FB_MAXCASES];
static size_t ncases;

/*
 * One row, named "ktls_<dir>_<suite>_<what>", or "ktls_<what>" without a
 * suite.
 */
/* The table is built before any test runs: a mistake stops the program. */
#define	FB_TABLE_CHECK(cond) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fb_cases.c:%d: %s\n", __LINE__, #cond);	\
		abort();						\
	}								\
} while (0)

static struct fb_case *
fb_add(const char *dir, const struct fb_suite *s, const char *what,
    enum fb_kind kind)
{
	struct fb_case *c;
	int n;

	FB_TABLE_CHECK(ncases < FB_MAXCASES);
	c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	if (s == NULL)
		n = snprintf(c->name, sizeof(c->name), "ktls_%s", what);
	else
		n = snprintf(c->name, sizeof(c->name), "ktls_%s_%s_%s", dir,
		    s->name, what);
	FB_TABLE_CHECK(n > 0 && (size_t)n < sizeof(c->name));
	c->kind = kind;
	c->suite = s;
	return (c);
}

static void
fb_add_app(const char *dir, const struct fb_suite *s, const char *what,
    enum fb_kind kind, size_t len, size_t padding)
{
	struct fb_case *c;

	c = fb_add(dir, s, what, kind);
	c->len = len;
	c->padding = padding;
}

static void
fb_add_control(const struct fb_suite *s, const char *what, size_t len)
{
	struct fb_case *c;

	c = fb_add("transmit", s, what, FB_TX_CONTROL);
	c->len = len;
	c->type = FB_ALERT;
}

/*
 * padding_1 .. padding_16: records of 1..16 bytes, whose CBC padding
 * takes every length (control records sent, app data received).
 */
static void
fb_add_padding(const char *dir, const struct fb_suite *s, enum fb_kind kind)
{
	char what[16];
	size_t len;

	for (len = 1; len <= 16; len++) {
		snprintf(what, sizeof(what), "padding_%zu", len);
		if (kind == FB_TX_CONTROL)
			fb_add_control(s, what, len);
		else
			fb_add_app(dir, s, what, kind, len, 0);
	}
}

/* GEN_TRANSMIT_TESTS over a list of suites. */
static void
fb_transmit_tests(const struct fb_suite *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fb_add_app("transmit", &s[i], "short", FB_TX_APP, FB_SHORT, 0);
		fb_add_app("transmit", &s[i], "long", FB_TX_APP, FB_LONG, 0);
		fb_add_control(&s[i], "control", 32);
	}
}

/* GEN_TRANSMIT_PADDING_TESTS */
static void
fb_transmit_padding_tests(const struct fb_suite *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fb_add_padding("transmit", &s[i], FB_TX_CONTROL);
}

static void
fb_transmit_empty_tests(const struct fb_suite *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)fb_add("transmit", &s[i], "empty_fragment", FB_TX_EMPTY);
}

/* GEN_RECEIVE_TESTS */
static void
fb_receive_tests(const struct fb_suite *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fb_add_app("receive", &s[i], "short", FB_RX_APP, FB_SHORT, 0);
		fb_add_app("receive", &s[i], "long", FB_RX_APP, FB_LONG, 0);
		fb_add_app("receive", &s[i], "bad_data", FB_RX_BAD_DATA,
		    FB_SHORT, 0);
		fb_add_app("receive", &s[i], "bad_mac", FB_RX_BAD_MAC,
		    FB_SHORT, 0);
		fb_add_app("receive", &s[i], "truncated_record",
		    FB_RX_TRUNCATED, FB_SHORT, 0);
		fb_add_app("receive", &s[i], "bad_major", FB_RX_BAD_MAJOR,
		    FB_SHORT, 0);
		fb_add_app("receive", &s[i], "bad_minor", FB_RX_BAD_MINOR,
		    FB_SHORT, 0);
		(void)fb_add("receive", &s[i], "small_record", FB_RX_SMALL);
		(void)fb_add("receive", &s[i], "oversized_record",
		    FB_RX_OVERSIZED);
	}
}

/* GEN_RECEIVE_MTE_TESTS: CBC padding of every length, and bad ones. */
static void
fb_receive_mte_tests(const struct fb_suite *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fb_add_padding("receive", &s[i], FB_RX_APP);
		fb_add_app("receive", &s[i], "padding_16_extra", FB_RX_APP, 16,
		    16);
		fb_add_app("receive", &s[i], "padding_32_extra", FB_RX_APP, 16,
		    32);
		fb_add_app("receive", &s[i], "bad_padding", FB_RX_BAD_PADDING,
		    FB_SHORT, 0);
		(void)fb_add("receive", &s[i], "non_block_size",
		    FB_RX_NON_BLOCK);
	}
}

/* GEN_RECEIVE_EXPLICIT_IV_TESTS */
static void
fb_receive_explicit_iv_tests(const struct fb_suite *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fb_add_app("receive", &s[i], "bad_iv", FB_RX_BAD_IV, FB_SHORT,
		    0);
		(void)fb_add("receive", &s[i], "short_header",
		    FB_RX_SHORT_HEADER);
	}
}

/* GEN_RECEIVE_TLS13_TESTS */
static void
fb_receive_tls13_tests(void)
{
	size_t i;

	for (i = 0; i < N_TLS13; i++) {
		fb_add_app("receive", tls13_suites[i], "short_padded",
		    FB_RX_APP, FB_SHORT, 16);
		fb_add_app("receive", tls13_suites[i], "long_padded",
		    FB_RX_APP, FB_LONG, 15);
		fb_add_app("receive", tls13_suites[i], "bad_type",
		    FB_RX_BAD_TYPE, FB_SHORT, 0);
	}
}

/* ktls_<dir>_<what>_<suite>: a session the kernel must refuse. */
static void
fb_refused_tests(const char *dir, const char *what,
    const struct fb_suite *s, size_t n, enum fb_kind kind)
{
	struct fb_case *c;
	size_t i;
	int len;

	for (i = 0; i < n; i++) {
		c = fb_add(dir, &s[i], what, kind);
		len = snprintf(c->name, sizeof(c->name), "ktls_%s_%s_%s", dir,
		    what, s[i].name);
		FB_TABLE_CHECK(len > 0 && (size_t)len < sizeof(c->name));
	}
}

void
fb_cases_init(void)
{

	if (ncases != 0)
		return;

	/* Transmit tests */
	fb_transmit_tests(cbc_suites, N_CBC);
	fb_transmit_tests(gcm_suites, N_GCM);
	fb_transmit_tests(chacha_suites, N_CHACHA);
	fb_transmit_padding_tests(cbc_suites, N_CBC);
	fb_transmit_empty_tests(cbc_suites, N_CBC);
	fb_transmit_empty_tests(gcm_suites, N_GCM);
	fb_transmit_empty_tests(chacha_suites, N_CHACHA);
	fb_refused_tests("transmit", "invalid", invalid_suites, N_INVALID,
	    FB_TX_INVALID);

	/* Receive tests */
	fb_refused_tests("receive", "unsupported", CBC_10, N_CBC_10,
	    FB_RX_UNSUPPORTED);
	fb_receive_tests(CBC_NONZERO, N_CBC_NONZERO);
	fb_receive_tests(gcm_suites, N_GCM);
	fb_receive_tests(chacha_suites, N_CHACHA);
	fb_receive_mte_tests(CBC_NONZERO, N_CBC_NONZERO);
	fb_receive_explicit_iv_tests(CBC_NONZERO, N_CBC_NONZERO);
	fb_receive_explicit_iv_tests(gcm_suites, N_GCM_12);
	fb_receive_tls13_tests();
	fb_refused_tests("receive", "invalid", invalid_suites, N_INVALID,
	    FB_RX_INVALID);

	/* Miscellaneous */
	(void)fb_add("", NULL, "sendto_baddst", FB_SENDTO_BADDST);
	(void)fb_add("", NULL, "listening_socket", FB_LISTENING);
}

size_t
fb_ncases(void)
{

	fb_cases_init();
	return (ncases);
}

const struct fb_case *
fb_case_at(size_t i)
{

	fb_cases_init();
	FB_TABLE_CHECK(i < ncases);
	return (&cases[i]);
}

size_t
fb_ntests(void)
{

	return (fb_nmodes * fb_ncases());
}

void
fb_test_name(size_t i, char *buf, size_t len)
{
	const struct fb_mode *m;
	const struct fb_case *c;

	m = &fb_modes[i / fb_ncases()];
	c = fb_case_at(i % fb_ncases());
	if (m->prefix[0] == '\0')
		snprintf(buf, len, "%s", c->name);
	else
		snprintf(buf, len, "%s/%s", m->prefix, c->name);
}

long
fb_test_find(const char *name)
{
	char buf[128];
	size_t i;

	for (i = 0; i < fb_ntests(); i++) {
		fb_test_name(i, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return ((long)i);
	}
	return (-1);
}
