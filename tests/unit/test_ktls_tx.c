/*
 * KTLS transmit through write(2) and sendmsg(2), for every suite: record
 * sizes, control records, empty records, CBC padding, random sizes under
 * a fixed seed, copy counters, and what the send buffer holds before and
 * after the workers run.  Every record is opened by the model with the
 * sequence number it must have.
 */
#include <stdio.h>

#include "ktls_fixture.h"

#define	MIB	(1024 * 1024)

static const size_t write_sizes[] = {
	1, 64, 16383, 16384, 16385, 65536, MIB,
};

static const struct tlsm_suite *
suite(int i)
{

	return (&tlsm_suites[i]);
}

static bool
is_tls10(const struct tlsm_suite *s)
{

	return (s->cipher == TLSM_CBC && s->version == TLSM_V10);
}

/* Writes of each size on a fresh socket, through short writes. */
START_TEST(test_tx_write_sizes)
{
	const struct tlsm_suite *s = suite(_i);
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t *buf;
	size_t i, j, n;

	buf = malloc(MIB);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < sizeof(write_sizes) / sizeof(write_sizes[0]); i++) {
		n = write_sizes[i];
		uktest_fill(buf, n, (uint32_t)i, 0);
		kfx_open(&c, s, 1, 1000 + i);
		kfx_write(&c, buf, n);
		kfx_drain(&c);
		kfx_expect(&c, buf, n, &r);
		/* Full records, then the rest. */
		ck_assert_uint_eq(r.nrec, (n + KFX_MAXREC - 1) / KFX_MAXREC);
		for (j = 0; j < r.nrec; j++) {
			ck_assert_uint_eq(r.types[j], TLS_RLTYPE_APP);
			if (j + 1 < r.nrec)
				ck_assert_uint_eq(r.lens[j], KFX_MAXREC);
		}
		kfx_result_free(&r);
		kfx_close(&c);
	}
	free(buf);
}
END_TEST

/*
 * A 1 MiB write into a buffer that holds it: one call, 64 records, all
 * not ready and nothing sendable until the workers run; then all ready,
 * encrypted in place (one copy in, one crypto pass per byte).
 */
START_TEST(test_tx_write_one_call)
{
	const struct tlsm_suite *s = suite(_i);
	struct uk_test_mdesc d[70];
	struct uk_test_sbinfo info;
	struct uk_counters k0, k1;
	struct uk_ktls_stats t0, t1;
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t *buf, tmp[16];
	int i, n;

	buf = malloc(MIB);
	ck_assert_ptr_nonnull(buf);
	uktest_fill(buf, MIB, 7, 0);
	kfx_open(&c, s, 2, 0);
	kfx_set_sndbuf(c.s, MIB + MIB / 2);
	kfx_counters(&k0);
	kfx_stats(&t0);
	ck_assert_int_eq(uk_write(c.s, buf, MIB), MIB);

	/* Before encryption: 64 framed, not-ready records. */
	n = uk_test_sndbuf_describe(c.s, d, 70);
	ck_assert_int_eq(n, 64);
	for (i = 0; i < n; i++) {
		ck_assert(d[i].extpg && d[i].notready && d[i].has_tls);
		ck_assert(d[i].anon);
		ck_assert_uint_eq(d[i].seqno, (uint64_t)i);
		ck_assert_int_eq(d[i].npgs, 4);
		ck_assert_int_eq(d[i].hdrlen, (int)tlsm_header_len(&c.st));
		ck_assert_int_eq(d[i].len, d[i].hdrlen + KFX_MAXREC +
		    d[i].trllen);
	}
	ck_assert_int_eq(uk_test_sndbuf_info(c.s, &info), 0);
	ck_assert_uint_eq(info.acc, 0);
	ck_assert_uint_gt(info.ccc, MIB);
	ck_assert_uint_eq(info.tls_seqno, 64);
	ck_assert_int_eq(uk_test_sndbuf_take(c.s, tmp, sizeof(tmp)), 0);

	kfx_drain(&c);
	kfx_counters(&k1);
	kfx_stats(&t1);
	ck_assert_int_eq(k1.copied_bytes - k0.copied_bytes, MIB);
	ck_assert_int_eq(k1.crypto_bytes - k0.crypto_bytes, MIB);
	ck_assert_int_eq(t1.encrypt_records - t0.encrypt_records, 64);
	ck_assert_int_eq(t1.inplace - t0.inplace, 64);
	ck_assert_int_eq(t1.separate_output - t0.separate_output, 0);
	kfx_expect(&c, buf, MIB, &r);
	ck_assert_uint_eq(r.nrec, 64);
	kfx_result_free(&r);
	kfx_close(&c);
	free(buf);
}
END_TEST

/* Encrypted records hold no session reference and are ready. */
START_TEST(test_tx_ready_after_run)
{
	const struct tlsm_suite *s = suite(_i);
	struct uk_test_mdesc d[8];
	struct uk_test_sbinfo info;
	struct kfx_conn c;
	uint8_t buf[40000];
	int i, n;

	uktest_fill(buf, sizeof(buf), 3, 0);
	kfx_open(&c, s, 3, 5);
	kfx_set_sndbuf(c.s, 65536);
	ck_assert_int_eq(uk_write(c.s, buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(uk_test_sndbuf_wait(c.s), 0);
	n = uk_test_sndbuf_describe(c.s, d, 8);
	ck_assert_int_eq(n, 3);
	for (i = 0; i < n; i++) {
		ck_assert(!d[i].notready && !d[i].blocked && !d[i].has_tls);
		ck_assert_uint_eq(d[i].seqno, 5 + (uint64_t)i);
	}
	ck_assert_int_eq(uk_test_sndbuf_info(c.s, &info), 0);
	ck_assert_uint_eq(info.acc, info.ccc);
	ck_assert_int_eq(info.nnotready, 0);
	kfx_close(&c);
}
END_TEST

/* Zero bytes: EINVAL, except TLS 1.0 CBC, which sends one empty record. */
START_TEST(test_tx_empty_write)
{
	const struct tlsm_suite *s = suite(_i);
	struct uk_test_sbinfo info;
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t one = 'x';

	kfx_open(&c, s, 4, 77);
	if (is_tls10(s)) {
		ck_assert_int_eq(uk_write(c.s, "", 0), 0);
		ck_assert_int_eq(uk_write(c.s, &one, 1), 1);
		kfx_drain(&c);
		kfx_expect(&c, &one, 1, &r);
		ck_assert_uint_eq(r.nrec, 2);
		ck_assert_uint_eq(r.lens[0], 0);
		ck_assert_uint_eq(r.lens[1], 1);
		kfx_result_free(&r);
	} else {
		errno = 0;
		ck_assert_int_eq(uk_write(c.s, "", 0), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_eq(uk_test_sndbuf_info(c.s, &info), 0);
		ck_assert_uint_eq(info.ccc, 0);
		ck_assert_uint_eq(info.tls_seqno, 77);
		/* The session is unharmed. */
		ck_assert_int_eq(uk_write(c.s, &one, 1), 1);
		kfx_drain(&c);
		kfx_expect(&c, &one, 1, &r);
		kfx_result_free(&r);
	}
	kfx_close(&c);
}
END_TEST

/*
 * A control record between data: TLS_SET_RECORD_TYPE sends one record
 * of that type (the inner type in TLS 1.3); data around it is APP.
 */
START_TEST(test_tx_control_record)
{
	const struct tlsm_suite *s = suite(_i);
	static const uint8_t types[] = { TLS_RLTYPE_APP, TLS_RLTYPE_HANDSHAKE,
	    TLS_RLTYPE_APP, TLS_RLTYPE_ALERT, TLS_RLTYPE_APP };
	static const size_t lens[] = { 100, 32, 20000, 2, 1 };
	struct kfx_buf want;
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t buf[20000];
	size_t i, rec;

	memset(&want, 0, sizeof(want));
	kfx_open(&c, s, 5, 1ULL << 40);
	for (i = 0; i < 5; i++) {
		uktest_fill(buf, lens[i], 10 + (uint32_t)i, 0);
		kfx_buf_add(&want, buf, lens[i]);
		if (types[i] == TLS_RLTYPE_APP)
			ck_assert_int_eq(uk_write(c.s, buf, lens[i]),
			    (ssize_t)lens[i]);
		else
			ck_assert_int_eq(kfx_send_type(c.s, buf, lens[i],
			    types[i]), (ssize_t)lens[i]);
		kfx_drain(&c);
	}
	kfx_expect(&c, want.p, want.len, &r);
	/* 100 | 32 (hs) | 16384 + 3616 | 2 (alert) | 1 */
	ck_assert_uint_eq(r.nrec, 6);
	for (i = 0, rec = 0; i < 5; i++) {
		ck_assert_uint_eq(r.types[rec], types[i]);
		rec += lens[i] > KFX_MAXREC ? 2 : 1;
	}
	ck_assert_uint_eq(r.types[3], TLS_RLTYPE_APP);
	kfx_result_free(&r);
	kfx_buf_free(&want);
	kfx_close(&c);
}
END_TEST

/*
 * A control record is atomic: larger than the buffer is EMSGSIZE; not
 * fitting now is EAGAIN, and nothing of it is sent.  A record type
 * larger than one record goes out as several records of that type.
 */
START_TEST(test_tx_control_atomic)
{
	const struct tlsm_suite *s = suite(_i);
	struct uk_test_sbinfo info;
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t *buf;
	size_t big = 40000;

	buf = malloc(70000);
	ck_assert_ptr_nonnull(buf);
	uktest_fill(buf, 70000, 6, 0);
	kfx_open(&c, s, 6, 9);
	/* sb_hiwat is 32768 by default. */
	errno = 0;
	ck_assert_int_eq(kfx_send_type(c.s, buf, 32769, 22), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	/* Fill part of the buffer; 30000 more do not fit. */
	ck_assert_int_eq(uk_write(c.s, buf, 10000), 10000);
	errno = 0;
	ck_assert_int_eq(kfx_send_type(c.s, buf, 30000, 22), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(uk_test_sndbuf_info(c.s, &info), 0);
	ck_assert_uint_eq(info.tls_seqno, 10);
	kfx_drain(&c);
	/* With room, 40000 bytes of one type: three records of it. */
	kfx_set_sndbuf(c.s, 65536);
	ck_assert_int_eq(kfx_send_type(c.s, buf, big, 22), (ssize_t)big);
	kfx_drain(&c);
	kfx_verify(&c, &r);
	ck_assert_uint_eq(r.nrec, 4);
	ck_assert_uint_eq(r.types[0], TLS_RLTYPE_APP);
	ck_assert_uint_eq(r.types[1], 22);
	ck_assert_uint_eq(r.types[2], 22);
	ck_assert_uint_eq(r.types[3], 22);
	ck_assert_uint_eq(r.plain.len, 10000 + big);
	ck_assert_mem_eq(r.plain.p + 10000, buf, big);
	kfx_result_free(&r);
	kfx_close(&c);
	free(buf);
}
END_TEST

/* Control messages TCP does not carry are refused; nothing is sent. */
START_TEST(test_tx_control_bad)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(4)];
	} cbuf;
	struct uk_test_sbinfo info;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	struct kfx_conn c;
	int plain;

	kfx_open(&c, &tlsm_suites[0], 7, 0);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)"data";
	iov.iov_len = 4;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;

	/* TLS_SET_RECORD_TYPE without its byte. */
	memset(&cbuf, 0, sizeof(cbuf));
	msg.msg_controllen = CMSG_SPACE(0);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_TCP;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(0);
	errno = 0;
	ck_assert_int_eq(uk_sendmsg(c.s, &msg, 0), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* Another IPPROTO_TCP type, and the same type at SOL_SOCKET. */
	memset(&cbuf, 0, sizeof(cbuf));
	msg.msg_controllen = CMSG_SPACE(1);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_TCP;
	cm->cmsg_type = TLS_GET_RECORD;
	cm->cmsg_len = CMSG_LEN(1);
	errno = 0;
	ck_assert_int_eq(uk_sendmsg(c.s, &msg, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	errno = 0;
	ck_assert_int_eq(uk_sendmsg(c.s, &msg, 0), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* A cmsg_len past the control buffer. */
	cm->cmsg_level = IPPROTO_TCP;
	cm->cmsg_len = CMSG_LEN(64);
	errno = 0;
	ck_assert_int_eq(uk_sendmsg(c.s, &msg, 0), -1);
	ck_assert_int_eq(errno, EINVAL);

	ck_assert_int_eq(uk_test_sndbuf_info(c.s, &info), 0);
	ck_assert_uint_eq(info.ccc, 0);
	ck_assert_uint_eq(info.tls_seqno, 0);
	kfx_close(&c);

	/* Without KTLS the record type means nothing to TCP. */
	plain = uk_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(plain, 0);
	errno = 0;
	ck_assert_int_eq(kfx_send_type(plain, "x", 1, 22), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_close(plain), 0);
}
END_TEST

/*
 * CBC: minimal padding of every length 1..16 (kfx_verify() requires the
 * exact minimal length; here every padding length must show up).
 */
START_TEST(test_tx_cbc_padding)
{
	const struct tlsm_suite *s = suite(_i);
	struct kfx_result r;
	struct kfx_conn c;
	size_t i, hdr, mac, pad, off;
	uint8_t buf[1100];
	bool seen[17];

	if (s->cipher != TLSM_CBC)
		return;
	memset(seen, 0, sizeof(seen));
	uktest_fill(buf, sizeof(buf), 8, 0);
	kfx_open(&c, s, 8, 3);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(uk_write(c.s, buf, 1000 + i), 1000 + i);
	kfx_drain(&c);
	kfx_verify(&c, &r);
	ck_assert_uint_eq(r.nrec, 16);
	hdr = tlsm_header_len(&c.st);
	mac = tlsm_mac_len(s->mac);
	for (i = 0, off = 0; i < 16; i++) {
		size_t reclen = tlsm_sealed_len(&c.st, r.lens[i], NULL);

		pad = reclen - hdr - r.lens[i] - mac;
		ck_assert(pad >= 1 && pad <= 16);
		seen[pad] = true;
		ck_assert_mem_eq(r.plain.p + off, buf, 1000 + i);
		off += r.lens[i];
	}
	for (i = 1; i <= 16; i++)
		ck_assert_msg(seen[i], "padding %zu never used", i);
	kfx_result_free(&r);
	kfx_close(&c);
}
END_TEST

/* xorshift64*: the test's own fixed-seed generator. */
static uint64_t
rnd(uint64_t *x)
{

	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (*x * 0x2545F4914F6CDD1DULL);
}

/*
 * Random write sizes and an occasional control record, under a fixed
 * seed: the plaintext comes out right, no record is larger than 2^14,
 * and each control record is where it was sent, with its type.
 */
struct ctl_sent {
	size_t	off, len;
	uint8_t	type;
};

START_TEST(test_tx_random_sizes)
{
	const struct tlsm_suite *s = suite(_i);
	struct ctl_sent ctl[200];
	struct kfx_buf want;
	struct kfx_result r;
	struct kfx_conn c;
	uint64_t x;
	uint8_t *buf, type;
	size_t i, n, nctl, k, off, piece;

	buf = malloc(50000);
	ck_assert_ptr_nonnull(buf);
	memset(&want, 0, sizeof(want));
	nctl = 0;
	x = 0x5eed0000ULL + (uint64_t)_i;
	kfx_open(&c, s, 9, rnd(&x) >> 16);
	for (i = 0; i < 120; i++) {
		n = rnd(&x) % 50000;
		if (n == 0 && !is_tls10(s))
			n = 1;
		uktest_fill(buf, n, 100 + (uint32_t)i, 0);
		if (rnd(&x) % 8 == 0 && n <= 32768) {
			type = rnd(&x) % 2 ? TLS_RLTYPE_HANDSHAKE :
			    TLS_RLTYPE_ALERT;
			if (kfx_send_type(c.s, buf, n, type) < 0) {
				ck_assert_int_eq(errno, EAGAIN);
				kfx_drain(&c);
				ck_assert_int_eq(kfx_send_type(c.s, buf, n,
				    type), (ssize_t)n);
			}
			ctl[nctl].off = want.len;
			ctl[nctl].len = n;
			ctl[nctl].type = type;
			nctl++;
		} else
			kfx_write(&c, buf, n);
		kfx_buf_add(&want, buf, n);
		if (rnd(&x) % 3 == 0)
			kfx_drain(&c);
	}
	kfx_drain(&c);
	kfx_expect(&c, want.p, want.len, &r);
	ck_assert_uint_gt(nctl, 0);
	/* Walk the records: control ones are the sends, split at 2^14. */
	for (i = 0, k = 0, off = 0, piece = 0; i < r.nrec; i++) {
		if (r.types[i] != TLS_RLTYPE_APP) {
			ck_assert_uint_lt(k, nctl);
			ck_assert_uint_eq(r.types[i], ctl[k].type);
			ck_assert_uint_eq(off, ctl[k].off + piece);
			piece += r.lens[i];
			if (piece == ctl[k].len) {
				k++;
				piece = 0;
			}
		} else
			ck_assert_uint_eq(piece, 0);
		off += r.lens[i];
	}
	ck_assert_uint_eq(k, nctl);
	kfx_result_free(&r);
	kfx_buf_free(&want);
	kfx_close(&c);
	free(buf);
}
END_TEST

/*
 * Explicit nonces and IVs as FreeBSD makes them: TLS 1.2 GCM counts up
 * from a random start, one per record; CBC 1.1+ draws a fresh random IV
 * per record.
 */
START_TEST(test_tx_explicit_values)
{
	const struct tlsm_suite *s = suite(_i);
	struct kfx_conn c;
	uint8_t buf[100];
	const uint8_t *p;
	uint64_t a, b;
	size_t reclen;
	int i;

	if (!((s->cipher == TLSM_GCM && s->version == TLSM_V12) ||
	    (s->cipher == TLSM_CBC && s->version != TLSM_V10)))
		return;
	uktest_fill(buf, sizeof(buf), 11, 0);
	kfx_open(&c, s, 11, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(uk_write(c.s, buf, sizeof(buf)), 100);
	kfx_drain(&c);
	reclen = c.wire.len / 3;
	p = c.wire.p;
	if (s->cipher == TLSM_GCM) {
		for (i = 0; i < 2; i++) {
			a = tlsm_be64dec(p + i * reclen + 5);
			b = tlsm_be64dec(p + (i + 1) * reclen + 5);
			ck_assert_uint_eq(b, a + 1);
		}
	} else {
		ck_assert(memcmp(p + 5, p + reclen + 5, 16) != 0);
		ck_assert(memcmp(p + reclen + 5, p + 2 * reclen + 5, 16) != 0);
	}
	kfx_close(&c);
}
END_TEST

/* A queued explicit value is used for the next record, then FreeBSD's. */
START_TEST(test_tx_forced_explicit)
{
	static const uint8_t iv[16] = "0123456789abcdef";
	const struct tlsm_suite *s = suite(_i);
	struct kfx_result r;
	struct kfx_conn c;
	size_t len;

	if (s->cipher == TLSM_GCM && s->version == TLSM_V12)
		len = 8;
	else if (s->cipher == TLSM_CBC && s->version != TLSM_V10)
		len = 16;
	else
		return;
	kfx_open(&c, s, 12, 0);
	ck_assert_int_eq(uk_test_ktls_push_explicit(iv, len), 0);
	ck_assert_int_eq(uk_write(c.s, "abc", 3), 3);
	ck_assert_int_eq(uk_write(c.s, "def", 3), 3);
	kfx_drain(&c);
	ck_assert_mem_eq(c.wire.p + 5, iv, len);
	ck_assert(memcmp(c.wire.p + c.wire.len / 2 + 5, iv, len) != 0);
	kfx_expect(&c, "abcdef", 6, &r);
	kfx_result_free(&r);
	/* A length that fits no suite, or nothing, is refused. */
	errno = 0;
	ck_assert_int_eq(uk_test_ktls_push_explicit(iv, 12), -1);
	ck_assert_int_eq(errno, EINVAL);
	kfx_close(&c);
}
END_TEST

/* Non-blocking: a full buffer is EAGAIN, a partly full one a short write. */
START_TEST(test_tx_nonblocking)
{
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t *buf;
	ssize_t n;
	int fl;

	buf = malloc(100000);
	ck_assert_ptr_nonnull(buf);
	uktest_fill(buf, 100000, 13, 0);
	kfx_open(&c, &tlsm_suites[_i], 13, 0);
	ck_assert_int_eq(uk_fcntl(c.s, F_SETFL, O_NONBLOCK), 0);
	fl = uk_fcntl(c.s, F_GETFL);
	ck_assert((fl & O_NONBLOCK) != 0);
	n = uk_write(c.s, buf, 100000);
	ck_assert_int_eq(n, 32768);
	errno = 0;
	ck_assert_int_eq(uk_write(c.s, buf + n, 100000 - (size_t)n), -1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = 0;
	ck_assert_int_eq(uk_send(c.s, buf + n, 10, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	kfx_drain(&c);
	ck_assert_int_eq(uk_set_nonblock(c.s, 0), 0);
	ck_assert_int_eq(uk_fcntl(c.s, F_GETFL) & O_NONBLOCK, 0);
	kfx_write(&c, buf + n, 100000 - (size_t)n);
	kfx_drain(&c);
	kfx_expect(&c, buf, 100000, &r);
	kfx_result_free(&r);
	kfx_close(&c);
	free(buf);
}
END_TEST

/*
 * A blocking write that cannot go on sends what fits and reports it; if
 * nothing fits it fails with EAGAIN (the sink never drains by itself).
 */
START_TEST(test_tx_blocking_short)
{
	struct kfx_conn c;
	uint8_t buf[50000];

	uktest_fill(buf, sizeof(buf), 14, 0);
	kfx_open(&c, &tlsm_suites[0], 14, 0);
	ck_assert_int_eq(uk_write(c.s, buf, sizeof(buf)), 32768);
	errno = 0;
	ck_assert_int_eq(uk_write(c.s, buf, 10), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* MSG_EOR has no meaning on a stream. */
	kfx_drain(&c);
	errno = 0;
	ck_assert_int_eq(uk_send(c.s, buf, 10, MSG_EOR), -1);
	ck_assert_int_eq(errno, EINVAL);
	kfx_close(&c);
}
END_TEST

/* The sequence numbers go on across calls, drains and control records. */
START_TEST(test_tx_sequence_continues)
{
	const struct tlsm_suite *s = suite(_i);
	struct uk_test_sbinfo info;
	struct kfx_result r;
	struct kfx_conn c;
	uint8_t buf[20000];
	uint64_t seq0 = 0xfffffffffffffff0ULL;

	uktest_fill(buf, sizeof(buf), 15, 0);
	kfx_open(&c, s, 15, seq0);
	ck_assert_int_eq(uk_write(c.s, buf, 20000), 20000);	/* 2 */
	kfx_drain(&c);
	ck_assert_int_eq(kfx_send_type(c.s, buf, 5, 22), 5);	/* 1 */
	ck_assert_int_eq(uk_write(c.s, buf, 10), 10);		/* 1 */
	ck_assert_int_eq(uk_test_sndbuf_info(c.s, &info), 0);
	ck_assert_uint_eq(info.tls_seqno, seq0 + 4);
	kfx_drain(&c);
	kfx_verify(&c, &r);
	ck_assert_uint_eq(r.nrec, 4);
	kfx_result_free(&r);
	kfx_close(&c);
}
END_TEST

/* Without KTLS a write is plain bytes, one copy, no crypto. */
START_TEST(test_tx_plain_socket)
{
	struct uk_counters k0, k1;
	uint8_t buf[5000], out[6000];
	ssize_t n;
	int s;

	uktest_fill(buf, sizeof(buf), 16, 0);
	s = uk_socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	ck_assert_int_ge(s, 0);
	kfx_counters(&k0);
	ck_assert_int_eq(uk_write(s, buf, sizeof(buf)), sizeof(buf));
	kfx_counters(&k1);
	ck_assert_int_eq(k1.copied_bytes - k0.copied_bytes, sizeof(buf));
	ck_assert_int_eq(k1.crypto_bytes - k0.crypto_bytes, 0);
	/* Empty writes are fine without KTLS. */
	ck_assert_int_eq(uk_write(s, buf, 0), 0);
	n = uk_test_sndbuf_take(s, out, sizeof(out));
	ck_assert_int_eq(n, sizeof(buf));
	ck_assert_mem_eq(out, buf, sizeof(buf));
	ck_assert_int_eq(uk_close(s), 0);
}
END_TEST

/*
 * For the documentation: the send buffer of a write and a control record
 * before and after the workers run (printed when UKTLS_DRAW is set).
 */
START_TEST(test_tx_draw)
{
	char before[4096], after[4096];
	struct kfx_conn c;
	uint8_t buf[40000];

	uktest_fill(buf, sizeof(buf), 17, 0);
	kfx_open(&c, &tlsm_suites[0], 17, 7);
	kfx_set_sndbuf(c.s, 65536);
	ck_assert_int_eq(uk_write(c.s, buf, 40000), 40000);
	ck_assert_int_eq(kfx_send_type(c.s, buf, 100, 21), 100);
	ck_assert_int_gt(uk_test_sndbuf_draw(c.s, before, sizeof(before)), 0);
	ck_assert_ptr_nonnull(strstr(before, "NOTREADY"));
	ck_assert_int_eq(uk_test_sndbuf_wait(c.s), 0);
	ck_assert_int_gt(uk_test_sndbuf_draw(c.s, after, sizeof(after)), 0);
	ck_assert_ptr_null(strstr(after, "NOTREADY"));
	ck_assert_ptr_nonnull(strstr(after, "encrypted"));
	if (getenv("UKTLS_DRAW") != NULL)
		printf("write 40000 + control record, before the workers:\n%s\n"
		    "after:\n%s", before, after);
	kfx_close(&c);
}
END_TEST

static Suite *
ktls_tx_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_tx");

	tc = kfx_tcase("write");
	tcase_add_loop_test(tc, test_tx_write_sizes, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_write_one_call, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_ready_after_run, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_empty_write, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_cbc_padding, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_random_sizes, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_sequence_continues, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_nonblocking, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_tx_blocking_short);
	tcase_add_test(tc, test_tx_plain_socket);
	suite_add_tcase(su, tc);

	tc = kfx_tcase("control");
	tcase_add_loop_test(tc, test_tx_control_record, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_control_atomic, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_tx_control_bad);
	suite_add_tcase(su, tc);

	tc = kfx_tcase("explicit");
	tcase_add_loop_test(tc, test_tx_explicit_values, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_tx_forced_explicit, 0, TLSM_NSUITES);
	tcase_add_test(tc, test_tx_draw);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_tx_suite()));
}
