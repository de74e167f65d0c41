/*
 * libssl over the TCP shim with the KTLS hand-off (<uktls/ssl.h>), for
 * each of the 15 suites libssl negotiates: the hand-off table measured
 * for this libssl (docs/openssl.md), libssl's keys against the key log's
 * (they must agree) and the kernel's keys against model/tls_keys, then
 * application data, control records and a sendfile both ways, byte for
 * byte; the same with every direction from the key log; libssl's own
 * calls after the hand-off; alerts libssl acts on; the crypto-info
 * translation; errors.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/ssl.h>
#include <uktls/suites.h>
#include <uktls/uktls.h>

#include "host/uk_ssl_int.h"
#include "ssl_fixture.h"
#include "uktest.h"

static char keylog[64];

static void
sp_setup(void)
{
	int fd;

	snprintf(keylog, sizeof(keylog), "/tmp/uktls-ssl-XXXXXX");
	fd = mkstemp(keylog);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void
sp_teardown(void)
{

	unlink(keylog);
}

static const struct uk_suite *
sp_suite(int i)
{

	return (uk_suite_at((size_t)i));
}

START_TEST(test_ssl_pair_suite)
{
	const struct uk_suite *s = sp_suite(_i);
	struct uk_ssl_pair p;

	if (strcmp(s->name, SFX_NO_OPENSSL) == 0)
		return;
	sfx_open(&p, s->name, 0, keylog);
	sfx_check_modes(&p, s, 0);
	sfx_check_model(&p, s, keylog);
	sfx_talk(&p, s->name, 100000, 300000, NULL);
	sfx_close(&p);
}
END_TEST

START_TEST(test_ssl_pair_no_handoff)
{
	const struct uk_suite *s = sp_suite(_i);
	struct uk_ssl_pair p;

	if (strcmp(s->name, SFX_NO_OPENSSL) == 0)
		return;
	sfx_open(&p, s->name, 1, keylog);
	sfx_check_modes(&p, s, 1);
	sfx_check_model(&p, s, keylog);
	sfx_talk(&p, s->name, 40000, 70000, NULL);
	sfx_close(&p);
}
END_TEST

/*
 * What libssl did through the BIO: the offers (72) it made, the
 * Finished of TLS 1.2 sent as a one-shot handshake record (74) through
 * the kernel, and never 75 or 90 (zero-copy sendfile is 3.2's).
 */
START_TEST(test_ssl_pair_controls)
{
	const struct uk_suite *s = sp_suite(_i);
	struct sfx_expect x;
	struct uk_ssl_pair p;
	struct uk_bio *b;
	int i;

	if (strcmp(s->name, SFX_NO_OPENSSL) == 0)
		return;
	x = sfx_expect(s, 0);
	sfx_open(&p, s->name, 0, NULL);
	for (i = 0; i < 2; i++) {
		b = uk_bio_state(SSL_get_rbio(i == 0 ? p.client.ssl :
		    p.server.ssl));
		ck_assert_ptr_nonnull(b);
		ck_assert_uint_eq(b->n_set_ktls, (unsigned long)x.offers / 2);
		ck_assert_uint_eq(b->n_ctrl_msg,
		    x.tx == UK_SSL_KTLS_LIBSSL && !sfx_is_v13(s) ? 1 : 0);
		ck_assert_uint_eq(b->n_clear_ctrl_msg, 0);
		ck_assert_uint_eq(b->n_zerocopy, 0);
		ck_assert_int_eq(BIO_get_ktls_send(SSL_get_wbio(i == 0 ?
		    p.client.ssl : p.server.ssl)), x.tx == UK_SSL_KTLS_LIBSSL);
		ck_assert_int_eq(BIO_get_ktls_recv(SSL_get_rbio(i == 0 ?
		    p.client.ssl : p.server.ssl)), x.rx == UK_SSL_KTLS_LIBSSL);
	}
	sfx_close(&p);
}
END_TEST

/*
 * After the hand-off libssl's own calls work where libssl handed the
 * direction over; where the keys came from the key log the BIO refuses
 * libssl's records (they would be encrypted twice).
 */
START_TEST(test_ssl_pair_libssl_calls)
{
	struct uk_ssl_pair p;
	char buf[64];
	uint8_t type;
	int n;

	/* TLS 1.2 GCM: libssl has both directions. */
	sfx_open(&p, "aes128-gcm-1.2", 0, NULL);
	ck_assert_int_eq(SSL_write(p.client.ssl, "through libssl", 14), 14);
	(void)uk_net_run();
	n = SSL_read(p.server.ssl, buf, sizeof(buf));
	ck_assert_int_eq(n, 14);
	ck_assert_int_eq(memcmp(buf, "through libssl", 14), 0);
	/* SSL_write and uk_ssl_recv mix: one record each. */
	ck_assert_int_eq(SSL_write(p.server.ssl, "abc", 3), 3);
	ck_assert_int_eq(uk_ssl_recv(&p.client, buf, sizeof(buf), &type), 3);
	ck_assert_uint_eq(type, TLS_RLTYPE_APP);
	/*
	 * libssl's own SSL_sendfile() would call the host's sendfile on the
	 * BIO's descriptor; the BIO has none to give (SSL_get_wfd is -1).
	 */
	ck_assert_int_eq(SSL_get_wfd(p.server.ssl), -1);
	errno = 0;
	ck_assert_int_eq(SSL_sendfile(p.server.ssl, 0, 0, 10, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	ERR_clear_error();
	sfx_close(&p);

	/* TLS 1.2 CBC: the kernel has both, libssl neither. */
	sfx_open(&p, "aes128-cbc-sha256-1.2", 0, NULL);
	ck_assert_int_le(SSL_write(p.client.ssl, "x", 1), 0);
	ERR_clear_error();
	ck_assert_int_le(SSL_read(p.client.ssl, buf, sizeof(buf)), 0);
	ERR_clear_error();
	sfx_close(&p);
}
END_TEST

/*
 * Alerts reach libssl where it reads: a close_notify ends the stream
 * (and is still reported), a fatal alert ends the connection.  Where
 * the key log gave the keys, the same records come up as they are.
 */
START_TEST(test_ssl_pair_alerts)
{
	static const uint8_t close_notify[2] = { 1, 0 };
	static const uint8_t fatal[2] = { 2, 40 };
	struct uk_ssl_pair p;
	uint8_t buf[64], type;

	sfx_open(&p, "chacha20-poly1305-1.2", 0, NULL);
	ck_assert_int_eq(p.client.rx, UK_SSL_KTLS_LIBSSL);
	ck_assert_int_eq(uk_ssl_send(&p.server, TLS_RLTYPE_APP, "last", 4),
	    4);
	ck_assert_int_eq(uk_ssl_send(&p.server, TLS_RLTYPE_ALERT,
	    close_notify, 2), 2);
	ck_assert_int_eq(uk_ssl_recv(&p.client, buf, sizeof(buf), &type), 4);
	ck_assert_uint_eq(type, TLS_RLTYPE_APP);
	ck_assert_int_eq(uk_ssl_recv(&p.client, buf, sizeof(buf), &type), 2);
	ck_assert_uint_eq(type, TLS_RLTYPE_ALERT);
	ck_assert_int_eq(memcmp(buf, close_notify, 2), 0);
	ck_assert_int_ne(SSL_get_shutdown(p.client.ssl) &
	    SSL_RECEIVED_SHUTDOWN, 0);
	ck_assert_int_eq(uk_ssl_recv(&p.client, buf, sizeof(buf), &type), 0);
	ck_assert_uint_eq(type, 0);
	sfx_close(&p);

	sfx_open(&p, "aes256-gcm-1.2", 0, NULL);
	ck_assert_int_eq(uk_ssl_send(&p.client, TLS_RLTYPE_ALERT, fatal, 2),
	    2);
	ck_assert_int_eq(uk_ssl_recv(&p.server, buf, sizeof(buf), &type), 2);
	ck_assert_uint_eq(type, TLS_RLTYPE_ALERT);
	ck_assert_int_eq(memcmp(buf, fatal, 2), 0);
	/* libssl has given up on the connection. */
	ck_assert_int_eq(uk_ssl_send(&p.client, TLS_RLTYPE_APP, "late", 4),
	    4);
	errno = 0;
	ck_assert_int_eq(uk_ssl_recv(&p.server, buf, sizeof(buf), &type), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	sfx_close(&p);

	/* TLS 1.3: the server reads with the key log's keys. */
	sfx_open(&p, "aes256-gcm-1.3", 0, NULL);
	ck_assert_int_eq(p.server.rx, UK_SSL_KTLS_KEYLOG);
	ck_assert_int_eq(uk_ssl_send(&p.client, TLS_RLTYPE_ALERT, fatal, 2),
	    2);
	ck_assert_int_eq(uk_ssl_send(&p.client, TLS_RLTYPE_APP, "more", 4),
	    4);
	ck_assert_int_eq(uk_ssl_recv(&p.server, buf, sizeof(buf), &type), 2);
	ck_assert_uint_eq(type, TLS_RLTYPE_ALERT);
	ck_assert_int_eq(uk_ssl_recv(&p.server, buf, sizeof(buf), &type), 4);
	ck_assert_uint_eq(type, TLS_RLTYPE_APP);
	sfx_close(&p);
}
END_TEST

/* A short buffer reads a record in pieces, in every mode. */
START_TEST(test_ssl_pair_short_reads)
{
	static const char *const suites[] = { "aes128-gcm-1.2",
	    "aes128-gcm-1.3", "aes128-cbc-sha1-1.0" };
	static const uint8_t hs[6] = { 0xfe, 0, 0, 2, 0x42, 0x43 };
	struct uk_ssl_pair p;
	uint8_t want[3000], got[3000], type;
	size_t off;
	ssize_t n;
	size_t i;

	uktest_fill(want, sizeof(want), 77, 0);
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		sfx_open(&p, suites[i], 0, NULL);
		ck_assert_int_eq(uk_ssl_send(&p.server, TLS_RLTYPE_APP, want,
		    sizeof(want)), (ssize_t)sizeof(want));
		for (off = 0; off < sizeof(want); off += (size_t)n) {
			n = uk_ssl_recv(&p.client, got + off, 700, &type);
			ck_assert_int_gt(n, 0);
			ck_assert_uint_eq(type, TLS_RLTYPE_APP);
		}
		ck_assert_int_eq(memcmp(got, want, sizeof(want)), 0);
		if (p.client.rx != UK_SSL_KTLS_NONE) {
			ck_assert_int_eq(uk_ssl_send(&p.server,
			    TLS_RLTYPE_HANDSHAKE, hs, sizeof(hs)), 6);
			ck_assert_int_eq(uk_ssl_recv(&p.client, got, 4,
			    &type), 4);
			ck_assert_uint_eq(type, TLS_RLTYPE_HANDSHAKE);
			ck_assert_int_eq(uk_ssl_recv(&p.client, got + 4, 4,
			    &type), 2);
			ck_assert_uint_eq(type, TLS_RLTYPE_HANDSHAKE);
			ck_assert_int_eq(memcmp(got, hs, sizeof(hs)), 0);
		}
		sfx_close(&p);
	}
}
END_TEST

/* The idle hook of the blocking test: read the client as data comes. */
struct sp_reader {
	struct uk_ssl_end *e;
	uint8_t		*got;
	size_t		 len, cap;
	int		 bad;
};

static int
sp_reader_turn(void *arg)
{
	struct sp_reader *r = arg;
	uint8_t type;
	ssize_t n;
	int did;

	for (did = 0; r->len < r->cap; did = 1) {
		n = uk_ssl_recv(r->e, r->got + r->len, r->cap - r->len, &type);
		if (n < 0) {
			r->bad += errno != EAGAIN;
			break;
		}
		if (n == 0 || type != TLS_RLTYPE_APP) {
			r->bad++;
			break;
		}
		r->len += (size_t)n;
	}
	return (did);
}

/*
 * Blocking sends of megabytes in the deterministic mode, the client read
 * from the idle hook (as a single-threaded program would): SSL_write
 * through short socket writes, uk_send and uk_sendfile all finish.
 */
START_TEST(test_ssl_pair_blocking)
{
	static const char *const suites[] = { "aes256-gcm-1.2",
	    "chacha20-poly1305-1.3", "aes128-cbc-sha256-1.2" };
	const size_t app = 2 << 20, file = 3 << 20;
	struct sp_reader r;
	struct uk_ssl_pair p;
	uint8_t *data;
	size_t off;
	ssize_t n;
	int fd, i;

	data = malloc(app + file);
	ck_assert_ptr_nonnull(data);
	uktest_fill(data, app + file, 61, 0);
	fd = uk_file_create(data + app, file);
	ck_assert_int_ge(fd, 0);
	memset(&r, 0, sizeof(r));
	r.cap = app + file;
	r.got = malloc(r.cap);
	ck_assert_ptr_nonnull(r.got);
	sfx_open(&p, suites[_i], 0, NULL);
	r.e = &p.client;
	ck_assert_int_eq(uk_set_nonblock(p.client.s, 1), 0);
	uk_net_set_idle(sp_reader_turn, &r);
	for (off = 0; off < app; off += (size_t)n) {
		n = uk_ssl_send(&p.server, TLS_RLTYPE_APP, data + off,
		    app - off);
		ck_assert_msg(n > 0, "%s: uk_ssl_send at %zu: %s", suites[_i],
		    off, strerror(errno));
	}
	for (off = 0; off < file; off += (size_t)n) {
		n = uk_ssl_sendfile(&p.server, fd, (off_t)off, file - off, 0);
		ck_assert_msg(n > 0, "%s: uk_ssl_sendfile at %zu: %s",
		    suites[_i], off, strerror(errno));
	}
	for (i = 0; r.len < r.cap && i < 1000; i++) {
		(void)uk_net_run();
		(void)sp_reader_turn(&r);
	}
	uk_net_set_idle(NULL, NULL);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_uint_eq(r.len, app + file);
	ck_assert_int_eq(memcmp(r.got, data, app + file), 0);
	sfx_close(&p);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(r.got);
	free(data);
}
END_TEST

START_TEST(test_ssl_pair_errors)
{
	struct uk_ssl_pair_config cfg;
	struct uk_ssl_pair p;
	uint8_t big[16385];
	char msg[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.suite = "aes512-gcm-1.4";
	errno = 0;
	ck_assert_int_eq(uk_ssl_pair_open(&cfg, &p, msg, sizeof(msg)), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(msg, "aes512-gcm-1.4"));
	ck_assert_ptr_null(p.priv);

	cfg.suite = SFX_NO_OPENSSL;
	errno = 0;
	ck_assert_int_eq(uk_ssl_pair_open(&cfg, &p, msg, sizeof(msg)), -1);
	ck_assert_int_eq(errno, EPROTONOSUPPORT);
	ck_assert_ptr_nonnull(strstr(msg, "HMAC-SHA384"));
	ck_assert_ptr_null(p.priv);

	cfg.suite = "aes128-gcm-1.2";
	cfg.keylog_path = "/nonexistent/dir/keys.log";
	errno = 0;
	ck_assert_int_eq(uk_ssl_pair_open(&cfg, &p, msg, sizeof(msg)), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(msg, "/nonexistent/dir/keys.log"));

	/* The default suite. */
	ck_assert_int_eq(uk_ssl_pair_open(NULL, &p, msg, sizeof(msg)), 0);
	ck_assert_int_eq(SSL_version(p.client.ssl), TLS1_3_VERSION);
	ck_assert_str_eq(SSL_CIPHER_get_name(SSL_get_current_cipher(
	    p.client.ssl)), "TLS_AES_128_GCM_SHA256");
	memset(big, 0, sizeof(big));
	errno = 0;
	ck_assert_int_eq(uk_ssl_send(&p.client, TLS_RLTYPE_ALERT, big,
	    sizeof(big)), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	errno = 0;
	ck_assert_int_eq(uk_ssl_send(&p.client, 0, big, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_ssl_recv(NULL, big, 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Nothing to read yet, non-blocking. */
	ck_assert_int_eq(uk_set_nonblock(p.server.s, 1), 0);
	errno = 0;
	ck_assert_int_eq(uk_ssl_recv(&p.server, big, 1, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* No sendfile after close_notify. */
	ck_assert_int_ge(SSL_shutdown(p.client.ssl), 0);
	errno = 0;
	ck_assert_int_eq(uk_ssl_sendfile(&p.client, 0, 0, 1, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	sfx_close(&p);
	uk_ssl_pair_close(&p);		/* twice is harmless */
}
END_TEST

/*
 * The BIO's record parser, fed a stream of records cut at every size:
 * the count, the ChangeCipherSpec mark and the last ciphertext block
 * (TLS 1.0's next IV) come out the same.
 */
START_TEST(test_ssl_bio_parse)
{
	static const size_t body[4] = { 40, 1, 0, 37 };
	static const uint8_t type[4] = { 22, 20, 23, 22 };
	struct uk_bio_dir d;
	uint8_t wire[200];
	size_t chunk, end, i, len, n, off;

	for (len = 0, i = 0; i < 4; i++) {
		wire[len] = type[i];
		wire[len + 1] = 3;
		wire[len + 2] = 1;
		wire[len + 3] = 0;
		wire[len + 4] = (uint8_t)body[i];
		uktest_fill(wire + len + 5, body[i], 90 + (uint32_t)i, 0);
		len += 5 + body[i];
	}
	for (chunk = 1; chunk <= len; chunk++) {
		memset(&d, 0, sizeof(d));
		for (off = 0; off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			uk_bio_parse(&d, wire + off, n);
			end = off + n;
			ck_assert_int_eq(uk_bio_at_boundary(&d), end == 45 ||
			    end == 51 || end == 56 || end == len);
		}
		ck_assert_uint_eq(d.records, 4);
		ck_assert(d.ccs_seen);
		ck_assert_uint_eq(d.ccs_mark, 2);
		ck_assert_uint_eq(d.last_block_len, 16);
		ck_assert_int_eq(memcmp(d.last_block, wire + len - 16, 16), 0);
	}
	/* A record shorter than a block keeps what it has. */
	memset(&d, 0, sizeof(d));
	uk_bio_parse(&d, wire + 45, 6);
	ck_assert_uint_eq(d.records, 1);
	ck_assert_uint_eq(d.last_block_len, 1);
	ck_assert_uint_eq(d.last_block[0], wire[50]);
}
END_TEST

static void
sp_info_hdr(uint8_t *info, uint16_t version, uint16_t cipher_type)
{

	memcpy(info, &version, 2);
	memcpy(info + 2, &cipher_type, 2);
}

/* Linux crypto-info in, struct tls_enable's keys out. */
START_TEST(test_ssl_crypto_info)
{
	uint8_t info[64];
	struct uk_ssl_keys k, k2;
	uint16_t version, ctype;
	int i;

	/*
	 * AES-128-GCM, TLS 1.2: version and cipher type (host order), iv 8
	 * (dropped), key 16, salt 4, rec_seq 8.
	 */
	memset(info, 0, sizeof(info));
	sp_info_hdr(info, 0x0303, 51);
	for (i = 0; i < 8; i++)
		info[4 + i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < 16; i++)
		info[12 + i] = (uint8_t)i;
	for (i = 0; i < 4; i++)
		info[28 + i] = (uint8_t)(0xf0 + i);
	info[32 + 7] = 5;
	ck_assert_int_eq(uk_ssl_crypto_info_keys(info, &k, &version, &ctype),
	    0);
	ck_assert_uint_eq(version, 0x0303);
	ck_assert_uint_eq(ctype, 51);
	ck_assert_int_eq(k.cipher, CRYPTO_AES_NIST_GCM_16);
	ck_assert_uint_eq(k.key_len, 16);
	ck_assert_uint_eq(k.key[15], 15);
	ck_assert_uint_eq(k.iv_len, 4);
	ck_assert_uint_eq(k.iv[0], 0xf0);
	ck_assert_uint_eq(k.seq, 5);
	ck_assert_uint_eq(k.vminor, TLS_MINOR_VER_TWO);

	/* The same as TLS 1.3: salt | iv is the 12-byte IV. */
	sp_info_hdr(info, 0x0304, 51);
	ck_assert_int_eq(uk_ssl_crypto_info_keys(info, &k, &version, &ctype),
	    0);
	ck_assert_uint_eq(k.iv_len, 12);
	ck_assert_uint_eq(k.iv[3], 0xf3);
	ck_assert_uint_eq(k.iv[4], 0xa0);
	ck_assert_uint_eq(k.iv[11], 0xa7);
	ck_assert_uint_eq(k.vminor, TLS_MINOR_VER_THREE);

	/* AES-256-GCM: key 32, salt after it. */
	sp_info_hdr(info, 0x0304, 52);
	for (i = 0; i < 32; i++)
		info[12 + i] = (uint8_t)(0x40 + i);
	info[44] = 0x99;
	ck_assert_int_eq(uk_ssl_crypto_info_keys(info, &k, &version, &ctype),
	    0);
	ck_assert_uint_eq(k.key_len, 32);
	ck_assert_uint_eq(k.key[31], 0x5f);
	ck_assert_uint_eq(k.iv[0], 0x99);

	/* ChaCha20-Poly1305: iv 12, key 32, no salt. */
	sp_info_hdr(info, 0x0303, 54);
	ck_assert_int_eq(uk_ssl_crypto_info_keys(info, &k, &version, &ctype),
	    0);
	ck_assert_int_eq(k.cipher, CRYPTO_CHACHA20_POLY1305);
	ck_assert_uint_eq(k.iv_len, 12);
	ck_assert_uint_eq(k.iv[0], 0xa0);
	ck_assert_uint_eq(k.key[0], 0x44);	/* info[16] */

	/* AES-128-CCM, and TLS 1.1: FreeBSD has no such suite. */
	sp_info_hdr(info, 0x0303, 53);
	ck_assert_int_eq(uk_ssl_crypto_info_keys(info, &k, &version, &ctype),
	    EINVAL);
	sp_info_hdr(info, 0x0302, 51);
	ck_assert_int_eq(uk_ssl_crypto_info_keys(info, &k, &version, &ctype),
	    EINVAL);

	/* Agreement means every field. */
	sp_info_hdr(info, 0x0303, 51);
	ck_assert_int_eq(uk_ssl_crypto_info_keys(info, &k, &version, &ctype),
	    0);
	k2 = k;
	ck_assert(uk_ssl_keys_equal(&k, &k2));
	k2.seq++;
	ck_assert(!uk_ssl_keys_equal(&k, &k2));
	k2 = k;
	k2.iv[3] ^= 1;
	ck_assert(!uk_ssl_keys_equal(&k, &k2));
	k2 = k;
	k2.key[0] ^= 0x80;
	ck_assert(!uk_ssl_keys_equal(&k, &k2));
}
END_TEST

static Suite *
ssl_pair_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ssl_pair");
	tc = uktest_tcase("ssl_pair");
	tcase_add_checked_fixture(tc, sp_setup, sp_teardown);
	tcase_add_loop_test(tc, test_ssl_pair_suite, 0, (int)uk_nsuites());
	tcase_add_loop_test(tc, test_ssl_pair_no_handoff, 0,
	    (int)uk_nsuites());
	tcase_add_loop_test(tc, test_ssl_pair_controls, 0, (int)uk_nsuites());
	tcase_add_test(tc, test_ssl_pair_libssl_calls);
	tcase_add_test(tc, test_ssl_pair_alerts);
	tcase_add_test(tc, test_ssl_pair_short_reads);
	tcase_add_loop_test(tc, test_ssl_pair_blocking, 0, 3);
	tcase_add_test(tc, test_ssl_pair_errors);
	tcase_add_test(tc, test_ssl_crypto_info);
	tcase_add_test(tc, test_ssl_bio_parse);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (sfx_run(ssl_pair_suite()));
}
