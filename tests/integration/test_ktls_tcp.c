/*
 * KTLS both ways over the TCP shim: each end has a transmit session and
 * a receive session (the other end's keys), the network loses, reorders,
 * duplicates and splits segments, and each end reads the other's
 * plaintext, byte for byte, through the receive path.  Then records one
 * way, read with recvmsg(): one record per call with MSG_EOR and its
 * TLS_GET_RECORD, application data and an alert.  Every suite; TLS 1.0
 * has no receive offload (EPROTONOSUPPORT, as FreeBSD).
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/stats.h>
#include <uktls/uktls.h>

#include "../unit/ktls_rx_fixture.h"
#include "../unit/tcp_fixture.h"
#include "uktest.h"

static void
kt_enable(int s, int name, const struct tlsm_state *st, uint64_t seq)
{
	struct tls_enable en;

	kfx_enable_of(st, seq, &en);
	ck_assert_msg(uk_setsockopt(s, IPPROTO_TCP, name, &en,
	    sizeof(en)) == 0, "%s: %s", name == TCP_TXTLS_ENABLE ?
	    "TCP_TXTLS_ENABLE" : "TCP_RXTLS_ENABLE", strerror(errno));
}

START_TEST(test_ktls_tcp_both_ways)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct tlsm_state k1, k2;
	struct uk_net_config conf;
	struct uk_ktls_stats st;
	struct tls_enable en;
	struct tfx_end a, b;
	int sv[2];

	tfx_faults(&conf, 1300 + (uint64_t)_i, 2.0, 2.0, 1.0, 30.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	tfx_pair(sv);
	kfx_state(s, 130 + (uint32_t)_i, &k1);
	kfx_state(s, 150 + (uint32_t)_i, &k2);
	if (!rfx_suite_ok(s)) {
		kfx_enable_of(&k1, 0, &en);
		errno = 0;
		ck_assert_int_eq(uk_setsockopt(sv[1], IPPROTO_TCP,
		    TCP_RXTLS_ENABLE, &en, sizeof(en)), -1);
		ck_assert_int_eq(errno, EPROTONOSUPPORT);
		tfx_finish(sv, 2);
		return;
	}
	kt_enable(sv[0], TCP_TXTLS_ENABLE, &k1, 3);
	kt_enable(sv[1], TCP_RXTLS_ENABLE, &k1, 3);
	kt_enable(sv[1], TCP_TXTLS_ENABLE, &k2, 1000);
	kt_enable(sv[0], TCP_RXTLS_ENABLE, &k2, 1000);
	tfx_end_init(&a, sv[0], 131, 1 << 20, 132, 512 << 10);
	tfx_end_init(&b, sv[1], 132, 512 << 10, 131, 1 << 20);
	tfx_pump(&a, &b);
	tfx_end_free(&a);
	tfx_end_free(&b);
	ck_assert_int_eq(uk_ktls_stats(&st), 0);
	ck_assert_uint_ge(st.encrypt_records, ((1 << 20) + (512 << 10)) /
	    16384);
	ck_assert_uint_eq(st.decrypt_records, st.encrypt_records);
	ck_assert_uint_eq(st.corrupted_records, 0);
	tfx_finish(sv, 2);
}
END_TEST

/* The idle hook: read records off the receiving end as they come. */
struct kt_reader {
	int		 fd;
	struct rfx_got	 got;
	uint8_t		 buf[RFX_RECBUF];
	int		 bad;		/* a read that broke the rules */
};

static int
kt_reader_turn(void *arg)
{
	struct kt_reader *r = arg;
	struct tls_get_record tgr;
	size_t ctllen;
	ssize_t n;
	int did, flags;

	did = 0;
	for (;;) {
		n = rfx_recvmsg(r->fd, r->buf, sizeof(r->buf), MSG_DONTWAIT,
		    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &ctllen);
		if (n < 0) {
			if (errno != EAGAIN)
				r->bad++;
			break;
		}
		if (n == 0 && ctllen == 0) {
			r->got.eof = 1;
			break;
		}
		if ((flags & (MSG_EOR | MSG_CTRUNC)) != MSG_EOR ||
		    ctllen != CMSG_SPACE(sizeof(tgr)) ||
		    ntohs(tgr.tls_length) != (size_t)n)
			r->bad++;
		rfx_got_add(&r->got, &tgr, r->buf, (size_t)n);
		did = 1;
	}
	return (did);
}

START_TEST(test_ktls_tcp_records)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_net_config conf;
	struct kt_reader *r;
	struct tlsm_state k;
	uint8_t *data, alert[2] = { 1, 0 };
	size_t i, len, off;
	int sv[2];

	if (!rfx_suite_ok(s))
		return;
	len = 300000;
	tfx_faults(&conf, 1400 + (uint64_t)_i, 3.0, 3.0, 2.0, 50.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	tfx_pair(sv);
	kfx_state(s, 140 + (uint32_t)_i, &k);
	kt_enable(sv[0], TCP_TXTLS_ENABLE, &k, 77);
	kt_enable(sv[1], TCP_RXTLS_ENABLE, &k, 77);
	r = calloc(1, sizeof(*r));
	r->fd = sv[1];
	uk_net_set_idle(kt_reader_turn, r);
	tfx_send_all(sv[0], 141, len, 50000);
	ck_assert_int_eq(kfx_send_type(sv[0], alert, sizeof(alert),
	    TLS_RLTYPE_ALERT), (ssize_t)sizeof(alert));
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	while (!r->got.eof) {
		(void)uk_net_run();
		(void)kt_reader_turn(r);
	}
	ck_assert_int_eq(r->bad, 0);
	ck_assert_uint_eq(r->got.plain.len, len + sizeof(alert));
	data = malloc(len);
	uktest_fill(data, len, 141, 0);
	ck_assert_int_eq(memcmp(r->got.plain.p, data, len), 0);
	ck_assert_int_eq(memcmp(r->got.plain.p + len, alert, sizeof(alert)),
	    0);
	ck_assert_uint_ge(r->got.nrec, len / 16384 + 2);
	for (i = 0, off = 0; i < r->got.nrec; i++) {
		ck_assert_uint_le(r->got.recs[i].len, 16384);
		ck_assert_uint_eq(r->got.recs[i].off, off);
		off += r->got.recs[i].len;
		ck_assert_uint_eq(r->got.recs[i].type, i + 1 < r->got.nrec ?
		    TLS_RLTYPE_APP : TLS_RLTYPE_ALERT);
		ck_assert_uint_eq(r->got.recs[i].vmajor, 3);
		ck_assert_uint_eq(r->got.recs[i].vminor,
		    s->version == TLSM_V13 ? 3 : (s->version & 0xff));
	}
	free(data);
	rfx_got_free(&r->got);
	free(r);
	tfx_finish(sv, 2);
}
END_TEST

static Suite *
ktls_tcp_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ktls_tcp");
	tc = kfx_tcase("ktls_tcp");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_ktls_tcp_both_ways, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_ktls_tcp_records, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(ktls_tcp_suite()));
}
