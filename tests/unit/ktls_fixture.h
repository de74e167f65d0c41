/*
 * KTLS transmit tests: sockets with a session made from a model state,
 * writing everything through short writes, draining the send buffer (the
 * sink keeps what it would transmit) and opening every record with the
 * model (model/tls_record.h).
 *
 * Shared by tests/unit/test_ktls_*.c; everything is static so that a file
 * using part of it does not warn.
 *
 *   kfx_open()     socket + TCP_TXTLS_ENABLE from a model state
 *   kfx_write()    uk_write() all of it, draining whenever it is short
 *   kfx_drain()    wait for the workers, take every ready byte
 *   kfx_verify()   open each record with seq = first + i, check the
 *                  header, the exact (minimal) length, and collect the
 *                  plaintext and the record types
 */
#ifndef UKTEST_KTLS_FIXTURE_H
#define UKTEST_KTLS_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/socket.h>
#include <uktls/stats.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "tls_keys.h"
#include "tls_record.h"
#include "uktest.h"

#define	KFX_MAXREC	(TLS_MAX_MSG_SIZE_V10_2)

/* A growing byte buffer. */
struct kfx_buf {
	uint8_t	*p;
	size_t	 len, cap;
};

static inline void
kfx_buf_add(struct kfx_buf *b, const void *p, size_t len)
{

	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 4096;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	if (len != 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

static inline void
kfx_buf_free(struct kfx_buf *b)
{

	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* A socket with a transmit session, and what came out of it. */
struct kfx_conn {
	int		 s;
	const struct tlsm_suite *suite;
	struct tlsm_state st;		/* the keys (the verifier's copy) */
	uint64_t	 seq0;		/* first record's sequence number */
	struct kfx_buf	 wire;		/* records taken from the sink */
};

/* The IV length struct tls_enable takes for a suite. */
static inline size_t
kfx_iv_len(const struct tlsm_suite *s)
{

	switch (s->cipher) {
	case TLSM_GCM:
		return (s->version == TLSM_V13 ? 12 : 4);
	case TLSM_CHACHA:
		return (12);
	case TLSM_CBC:
		return (s->version == TLSM_V10 ? 16 : 0);
	}
	return (0);
}

/* Keys for a suite, from the deterministic pattern `stream`. */
static inline void
kfx_state(const struct tlsm_suite *s, uint32_t stream, struct tlsm_state *st)
{
	uint8_t key[32], iv[16], mac[48];

	uktest_fill(key, sizeof(key), stream, 0);
	uktest_fill(iv, sizeof(iv), stream, 100);
	uktest_fill(mac, sizeof(mac), stream, 200);
	ck_assert_int_eq(tlsm_init(st, s->version, s->cipher, s->mac, key,
	    s->key_len, iv, kfx_iv_len(s), mac, tlsm_mac_len(s->mac)), 0);
}

/* struct tls_enable for a model state (its buffers are used in place). */
static inline void
kfx_enable_of(const struct tlsm_state *st, uint64_t seq, struct tls_enable *en)
{
	int i;

	memset(en, 0, sizeof(*en));
	switch (st->cipher) {
	case TLSM_GCM:
		en->cipher_algorithm = CRYPTO_AES_NIST_GCM_16;
		break;
	case TLSM_CBC:
		en->cipher_algorithm = CRYPTO_AES_CBC;
		break;
	case TLSM_CHACHA:
		en->cipher_algorithm = CRYPTO_CHACHA20_POLY1305;
		break;
	}
	switch (st->mac) {
	case TLSM_MAC_NONE:
		break;
	case TLSM_MAC_SHA1:
		en->auth_algorithm = CRYPTO_SHA1_HMAC;
		break;
	case TLSM_MAC_SHA256:
		en->auth_algorithm = CRYPTO_SHA2_256_HMAC;
		break;
	case TLSM_MAC_SHA384:
		en->auth_algorithm = CRYPTO_SHA2_384_HMAC;
		break;
	}
	en->cipher_key = st->key;
	en->cipher_key_len = (int)st->key_len;
	en->iv = st->iv_len != 0 ? st->iv : NULL;
	en->iv_len = (int)st->iv_len;
	en->auth_key = st->mac_key_len != 0 ? st->mac_key : NULL;
	en->auth_key_len = (int)st->mac_key_len;
	en->tls_vmajor = TLS_MAJOR_VER_ONE;
	en->tls_vminor = (uint8_t)(st->version & 0xff);
	for (i = 0; i < 8; i++)
		en->rec_seq[i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* Open a sink socket and enable KTLS transmit with st at seq. */
static inline void
kfx_open_state(struct kfx_conn *c, const struct tlsm_suite *s,
    const struct tlsm_state *st, uint64_t seq)
{
	struct tls_enable en;
	socklen_t len;
	int mode;

	memset(c, 0, sizeof(*c));
	c->suite = s;
	c->st = *st;
	c->seq0 = seq;
	c->s = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(c->s, 0);
	kfx_enable_of(&c->st, seq, &en);
	ck_assert_msg(uk_setsockopt(c->s, IPPROTO_TCP, TCP_TXTLS_ENABLE, &en,
	    sizeof(en)) == 0, "%s: TCP_TXTLS_ENABLE: %s", s->name,
	    strerror(errno));
	len = sizeof(mode);
	ck_assert_int_eq(uk_getsockopt(c->s, IPPROTO_TCP, TCP_TXTLS_MODE,
	    &mode, &len), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_SW);
}

static inline void
kfx_open(struct kfx_conn *c, const struct tlsm_suite *s, uint32_t stream,
    uint64_t seq)
{
	struct tlsm_state st;

	kfx_state(s, stream, &st);
	kfx_open_state(c, s, &st, seq);
}

static inline void
kfx_close(struct kfx_conn *c)
{

	ck_assert_int_eq(uk_close(c->s), 0);
	kfx_buf_free(&c->wire);
}

static inline void
kfx_set_sndbuf(int s, int size)
{

	ck_assert_int_eq(uk_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size,
	    sizeof(size)), 0);
}

/* Let the workers finish, then take every ready byte. */
static inline void
kfx_drain(struct kfx_conn *c)
{
	uint8_t buf[65536];
	ssize_t n;

	ck_assert_int_eq(uk_test_sndbuf_wait(c->s), 0);
	while ((n = uk_test_sndbuf_take(c->s, buf, sizeof(buf))) > 0)
		kfx_buf_add(&c->wire, buf, (size_t)n);
	ck_assert_int_eq(n, 0);
}

/*
 * Write all of buf through short writes: whenever the send buffer is
 * full the records so far are encrypted and taken out.  Returns the
 * number of uk_write() calls.
 */
static inline int
kfx_write(struct kfx_conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t off;
	ssize_t n;
	int calls;

	off = 0;
	calls = 0;
	do {
		n = uk_write(c->s, p + off, len - off);
		calls++;
		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "%s: uk_write: %s",
			    c->suite->name, strerror(errno));
			n = 0;
		}
		off += (size_t)n;
		if (off < len || n == 0)
			kfx_drain(c);
		ck_assert_msg(calls < 100000, "no progress");
	} while (off < len);
	return (calls);
}

/* Send len bytes as one record of the given type (TLS_SET_RECORD_TYPE). */
static inline ssize_t
kfx_send_type(int s, const void *buf, size_t len, uint8_t type)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(1)];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_TCP;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = type;
	return (uk_sendmsg(s, &msg, 0));
}

/* What kfx_verify() found. */
struct kfx_result {
	struct kfx_buf	 plain;		/* all plaintext, in order */
	size_t		 nrec;
	uint8_t		*types;		/* per record (inner for TLS 1.3) */
	size_t		*lens;		/* plaintext bytes per record */
};

static inline void
kfx_result_free(struct kfx_result *r)
{

	kfx_buf_free(&r->plain);
	free(r->types);
	free(r->lens);
	memset(r, 0, sizeof(*r));
}

/*
 * Open every record of c->wire in order with the model: sequence number
 * seq0 + i, the header as FreeBSD writes it, at most 2^14 plaintext bytes
 * and exactly the length of a record with minimal CBC padding and no TLS
 * 1.3 padding.  TLS 1.0 CBC records open only if their IVs chain.
 */
static inline void
kfx_verify(struct kfx_conn *c, struct kfx_result *r)
{
	struct tlsm_state st;
	uint8_t *out, type;
	size_t off, reclen, outlen;
	int error;

	memset(r, 0, sizeof(*r));
	st = c->st;
	out = malloc(KFX_MAXREC + 256);
	ck_assert_ptr_nonnull(out);
	for (off = 0; off < c->wire.len; off += reclen) {
		error = tlsm_next_record(&st, c->wire.p + off,
		    c->wire.len - off, &reclen, NULL);
		ck_assert_msg(error == 0, "%s: record %zu at %zu: framing %d",
		    c->suite->name, r->nrec, off, error);
		ck_assert_uint_le(reclen, tlsm_header_len(&st) + KFX_MAXREC +
		    tlsm_trailer_len(&st));
		ck_assert_uint_eq(c->wire.p[off + 1], TLS_MAJOR_VER_ONE);
		if (st.version == TLSM_V13) {
			ck_assert_uint_eq(c->wire.p[off], TLS_RLTYPE_APP);
			ck_assert_uint_eq(c->wire.p[off + 2],
			    TLS_MINOR_VER_TWO);
		} else
			ck_assert_uint_eq(c->wire.p[off + 2],
			    st.version & 0xff);
		error = tlsm_open(&st, c->seq0 + r->nrec, c->wire.p + off,
		    reclen, &type, out, KFX_MAXREC + 256, &outlen);
		ck_assert_msg(error == 0, "%s: record %zu (seq %ju, %zu bytes) "
		    "does not open: %d", c->suite->name, r->nrec,
		    (uintmax_t)(c->seq0 + r->nrec), reclen, error);
		ck_assert_uint_eq(reclen, tlsm_sealed_len(&st, outlen, NULL));
		if (st.version != TLSM_V13)
			ck_assert_uint_eq(c->wire.p[off], type);
		kfx_buf_add(&r->plain, out, outlen);
		r->types = realloc(r->types, r->nrec + 1);
		r->lens = realloc(r->lens, (r->nrec + 1) * sizeof(*r->lens));
		ck_assert(r->types != NULL && r->lens != NULL);
		r->types[r->nrec] = type;
		r->lens[r->nrec] = outlen;
		r->nrec++;
	}
	free(out);
}

/* Verify and require the plaintext to be exactly want[0..len). */
static inline void
kfx_expect(struct kfx_conn *c, const void *want, size_t len,
    struct kfx_result *r)
{

	kfx_verify(c, r);
	ck_assert_msg(r->plain.len == len, "%s: %zu plaintext bytes, wanted "
	    "%zu", c->suite->name, r->plain.len, len);
	ck_assert_msg(len == 0 || memcmp(r->plain.p, want, len) == 0,
	    "%s: plaintext differs", c->suite->name);
}

/* Tunables and test hooks back to their defaults. */
static inline void
kfx_setup(void)
{
	static const char *zero[] = { "kern.ipc.sendfile.reverse_io",
	    "kern.ipc.sendfile.io_mbufs" };
	int one = 1, z = 0;
	size_t i;

	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", NULL, &one), 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL, &one),
	    0);
	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		ck_assert_int_eq(uk_sysctl_int(zero[i], NULL, &z), 0);
	uk_test_ktls_reset();
}

/* uktest_tcase() plus kfx_setup() before each test. */
static inline TCase *
kfx_tcase(const char *name)
{
	TCase *tc;

	tc = uktest_tcase(name);
	tcase_add_checked_fixture(tc, kfx_setup, NULL);
	return (tc);
}

static inline void
kfx_counters(struct uk_counters *k)
{

	uk_counters(k);
}

static inline void
kfx_stats(struct uk_ktls_stats *st)
{

	ck_assert_int_eq(uk_ktls_stats(st), 0);
}

#endif /* UKTEST_KTLS_FIXTURE_H */
