/*
 * ifnet TLS: the simulated TLS-offload NIC of the loopback interface
 * (src/dev/ktls_nic.c, docs/devices.md).
 *
 * Which mode TCP_TXTLS_ENABLE picks (kern.ipc.tls.ifnet.permitted, the
 * interface's txtls, the suite); TCP_TXTLS_MODE both ways on a live
 * session; the NIC's wire bytes against software mode's for the same
 * keys and explicit nonces, for write and sendfile; loss, reordering and
 * splitting, where the NIC must resync and re-read record prefixes; and
 * that ifnet mode costs the host no crypto pass.  The peer is a plain
 * socket whose bytes the model (model/tls_record.h) opens, or a KTLS
 * receive socket.
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
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "ktls_fixture.h"
#include "tcp_fixture.h"
#include "uktest.h"

/* tlsm_suites[0..3]: AES-128/256-GCM, TLS 1.2 and 1.3 (the NIC's). */
#define	IF_NGCM		4

static void
if_sysctl(const char *name, int v)
{

	ck_assert_int_eq(uk_sysctl_int(name, NULL, &v), 0);
}

/* FreeBSD's default permission, and a NIC that offers txtls. */
static void
if_setup(void)
{

	kfx_setup();
	if_sysctl("kern.ipc.tls.ifnet.permitted", 1);
	if_sysctl("net.link.lo.txtls", 1);
}

static void
if_teardown(void)
{

	if_sysctl("kern.ipc.tls.ifnet.permitted", 1);
	if_sysctl("net.link.lo.txtls", 0);
}

static int
if_mode(int s)
{
	socklen_t len;
	int mode;

	len = sizeof(mode);
	ck_assert_int_eq(uk_getsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    &len), 0);
	return (mode);
}

static int
if_set_mode(int s, int mode)
{

	return (uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    sizeof(mode)));
}

/* A TCP pair whose sv[0] has a transmit session for s at seq. */
static void
if_open(struct kfx_conn *c, int sv[2], const struct tlsm_suite *s,
    uint32_t stream, uint64_t seq)
{
	struct tls_enable en;

	memset(c, 0, sizeof(*c));
	tfx_pair(sv);
	c->s = sv[0];
	c->suite = s;
	c->seq0 = seq;
	kfx_state(s, stream, &c->st);
	kfx_enable_of(&c->st, seq, &en);
	ck_assert_msg(uk_setsockopt(sv[0], IPPROTO_TCP, TCP_TXTLS_ENABLE, &en,
	    sizeof(en)) == 0, "%s: TCP_TXTLS_ENABLE: %s", s->name,
	    strerror(errno));
}

/* Explicit nonces seq0..seq0+n-1 for TLS 1.2 GCM (the NIC's choice). */
static void
if_push_nonces(const struct tlsm_suite *s, uint64_t seq0, int n)
{
	uint8_t nonce[8];
	int i, j;

	if (s->version != TLSM_V12)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < 8; j++)
			nonce[j] = (uint8_t)((seq0 + (uint64_t)i) >>
			    (56 - 8 * j));
		ck_assert_int_eq(uk_test_ktls_push_explicit(nonce,
		    sizeof(nonce)), 0);
	}
}

/* End of stream on sv[0]; what sv[1] reads goes to c->wire. */
static void
if_drain(struct kfx_conn *c, int sv[2], struct tfx_sink *k)
{

	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	k->step = 0;
	while (!k->eof) {
		(void)uk_net_run();
		(void)tfx_sink_turn(k);
	}
	kfx_buf_add(&c->wire, k->buf, k->len);
}

/*
 * Enable: ifnet when permitted, the interface has txtls and the suite is
 * AES-GCM 1.2/1.3; software otherwise, and the gauges say which.
 */
START_TEST(test_ifnet_enable_choice)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats st0, st1;
	struct kfx_conn c;
	int gcm, permitted, txtls, want, sv[2];

	gcm = _i < IF_NGCM;
	for (permitted = 0; permitted <= 1; permitted++) {
		for (txtls = 0; txtls <= 1; txtls++) {
			if_sysctl("kern.ipc.tls.ifnet.permitted", permitted);
			if_sysctl("net.link.lo.txtls", txtls);
			kfx_stats(&st0);
			if_open(&c, sv, s, 10 + (uint32_t)_i, 0);
			want = permitted && txtls && gcm ? TCP_TLS_MODE_IFNET :
			    TCP_TLS_MODE_SW;
			ck_assert_int_eq(if_mode(sv[0]), want);
			kfx_stats(&st1);
			ck_assert_int_eq(st1.ifnet_tx - st0.ifnet_tx,
			    want == TCP_TLS_MODE_IFNET);
			ck_assert_int_eq(st1.sw_tx - st0.sw_tx,
			    want == TCP_TLS_MODE_SW);
			ck_assert_int_eq(st1.offload_total - st0.offload_total,
			    1);
			ck_assert_int_eq(st1.switch_failed, st0.switch_failed);
			tfx_finish(sv, 2);
			kfx_stats(&st1);
			ck_assert_int_eq(st1.ifnet_tx, st0.ifnet_tx);
			ck_assert_int_eq(st1.sw_tx, st0.sw_tx);
		}
	}
}
END_TEST

/*
 * TCP_TXTLS_MODE to ifnet: forced past permitted == 0, as FreeBSD;
 * refused with EOPNOTSUPP for suites the NIC cannot do and without
 * txtls, counted in switch_failed, the session staying in software.
 * The unit tests' sink socket never reaches the NIC (ENXIO).
 */
START_TEST(test_ifnet_mode_refused)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_ktls_stats st0, st1;
	struct kfx_conn c, k;
	int gcm, sv[2];

	gcm = _i < IF_NGCM;
	if_sysctl("kern.ipc.tls.ifnet.permitted", 0);
	if_open(&c, sv, s, 20 + (uint32_t)_i, 3);
	ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_SW);
	kfx_stats(&st0);
	if (gcm) {
		ck_assert_int_eq(if_set_mode(sv[0], TCP_TLS_MODE_IFNET), 0);
		ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_IFNET);
		kfx_stats(&st1);
		ck_assert_int_eq(st1.switch_to_ifnet - st0.switch_to_ifnet, 1);
		ck_assert_int_eq(st1.ifnet_tx - st0.ifnet_tx, 1);
		ck_assert_int_eq(st1.sw_tx - st0.sw_tx, -1);
		ck_assert_int_eq(st1.offload_total, st0.offload_total);
		/* The mode in use: nothing to do. */
		ck_assert_int_eq(if_set_mode(sv[0], TCP_TLS_MODE_IFNET), 0);
		ck_assert_int_eq(if_set_mode(sv[0], TCP_TLS_MODE_SW), 0);
		ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_SW);
		kfx_stats(&st0);
		ck_assert_int_eq(st0.switch_to_sw - st1.switch_to_sw, 1);
		/* No txtls on the interface: refused. */
		if_sysctl("net.link.lo.txtls", 0);
	}
	errno = 0;
	ck_assert_int_eq(if_set_mode(sv[0], TCP_TLS_MODE_IFNET), -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_SW);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.switch_failed - st0.switch_failed, 1);
	ck_assert_int_eq(st1.ifnet_tx, st0.ifnet_tx);
	ck_assert_int_eq(st1.sw_tx, st0.sw_tx);
	ck_assert_int_eq(st1.active, st0.active);
	tfx_finish(sv, 2);

	/* The sink: a session, but no interface under it. */
	if_sysctl("net.link.lo.txtls", 1);
	kfx_open(&k, s, 21, 0);
	errno = 0;
	ck_assert_int_eq(if_set_mode(k.s, TCP_TLS_MODE_IFNET), -1);
	ck_assert_int_eq(errno, ENXIO);
	ck_assert_int_eq(if_mode(k.s), TCP_TLS_MODE_SW);
	kfx_close(&k);
	(void)uk_run();
}
END_TEST

/*
 * One run: suite s, keys of stream 30, records from sequence number 5,
 * explicit nonces = sequence numbers; a write of 50000 bytes, or a
 * header write and sendfile of a 70000-byte file; the peer's raw bytes
 * into *wire.  The counters and statistics around the run come back too.
 */
struct if_run {
	struct kfx_buf	 wire;
	struct uk_counters k0, k1;
	struct uk_ktls_stats st0, st1;
	int		 mode;
};

#define	IF_WLEN		50000
#define	IF_FLEN		70000
#define	IF_HDR		"HTTP/1.1 200 OK\r\n\r\n"

static void
if_run(const struct tlsm_suite *s, int ifnet, int sendfile,
    const struct uk_net_config *conf, struct if_run *r)
{
	struct kfx_result res;
	struct tfx_sink k;
	struct kfx_conn c;
	uint8_t *data, *want;
	off_t sent;
	size_t hl, wlen;
	int fd, sv[2];

	memset(r, 0, sizeof(*r));
	if_sysctl("net.link.lo.txtls", ifnet);
	ck_assert_int_eq(uk_net_config(conf, NULL), 0);
	hl = strlen(IF_HDR);
	data = malloc(IF_FLEN);
	uktest_fill(data, IF_FLEN, 31, 0);
	fd = -1;
	if (sendfile) {
		fd = uk_file_create(data, IF_FLEN);
		ck_assert_int_ge(fd, 0);
	}
	uk_test_ktls_reset();
	if_push_nonces(s, 5, 12);
	if_open(&c, sv, s, 30, 5);
	/*
	 * Room for everything: record boundaries follow the writes alone,
	 * and the peer's window never shuts (a zero-window probe is a
	 * resend, which the NIC would rightly see out of order).
	 */
	kfx_set_sndbuf(sv[0], 1 << 20);
	ck_assert_int_eq(uk_setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF,
	    &(int){ 1 << 20 }, sizeof(int)), 0);
	r->mode = if_mode(sv[0]);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	k.step = 8000;
	uk_net_set_idle(tfx_sink_turn, &k);
	kfx_counters(&r->k0);
	kfx_stats(&r->st0);
	if (sendfile) {
		ck_assert_int_eq(uk_write(sv[0], IF_HDR, hl), (ssize_t)hl);
		ck_assert_int_eq(uk_sendfile(fd, sv[0], 0, 0, NULL, &sent, 0),
		    0);
		ck_assert_int_eq(sent, IF_FLEN);
		wlen = hl + IF_FLEN;
	} else {
		tfx_send_all(sv[0], 31, IF_WLEN, 20000);
		wlen = IF_WLEN;
	}
	if_drain(&c, sv, &k);
	kfx_counters(&r->k1);
	kfx_stats(&r->st1);

	want = malloc(wlen);
	if (sendfile) {
		memcpy(want, IF_HDR, hl);
		memcpy(want + hl, data, IF_FLEN);
	} else
		memcpy(want, data, wlen);
	kfx_expect(&c, want, wlen, &res);
	kfx_result_free(&res);
	r->wire = c.wire;
	tfx_sink_free(&k);
	if (fd >= 0)
		ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(want);
	free(data);
	tfx_finish(sv, 2);
}

/*
 * The NIC's bytes are software mode's: same keys, same sequence
 * numbers, same explicit nonces, same record boundaries.  _i: GCM suite
 * and write/sendfile.  Software encrypts every payload byte once on the
 * host; ifnet none (the NIC's work is counted apart).
 */
START_TEST(test_ifnet_wire_equals_sw)
{
	const struct tlsm_suite *s = &tlsm_suites[_i / 2];
	struct uk_net_config conf;
	struct if_run sw, nic;
	int64_t plen;
	int sf;

	sf = _i % 2;
	memset(&conf, 0, sizeof(conf));
	conf.seed = 40;
	if_run(s, 0, sf, &conf, &sw);
	if_run(s, 1, sf, &conf, &nic);
	ck_assert_int_eq(sw.mode, TCP_TLS_MODE_SW);
	ck_assert_int_eq(nic.mode, TCP_TLS_MODE_IFNET);
	ck_assert_uint_gt(sw.wire.len, 0);
	ck_assert_uint_eq(sw.wire.len, nic.wire.len);
	ck_assert_msg(memcmp(sw.wire.p, nic.wire.p, sw.wire.len) == 0,
	    "%s: ifnet bytes differ from software's", s->name);

	plen = sf ? (int64_t)(strlen(IF_HDR) + IF_FLEN) : IF_WLEN;
	ck_assert_int_eq(sw.k1.crypto_bytes - sw.k0.crypto_bytes, plen);
	ck_assert_int_eq(sw.st1.ifnet_records - sw.st0.ifnet_records, 0);
	ck_assert_int_eq(nic.k1.crypto_bytes - nic.k0.crypto_bytes, 0);
	ck_assert_int_eq(nic.st1.encrypt_records - nic.st0.encrypt_records,
	    0);
	ck_assert_int_eq(nic.st1.ifnet_crypto_bytes -
	    nic.st0.ifnet_crypto_bytes, plen);
	ck_assert_int_gt(nic.st1.ifnet_records - nic.st0.ifnet_records, 0);
	/* No loss: every segment is in order. */
	ck_assert_int_eq(nic.st1.ifnet_resyncs - nic.st0.ifnet_resyncs, 0);
	ck_assert_int_eq(nic.st1.ifnet_dump_bytes - nic.st0.ifnet_dump_bytes,
	    0);
	if (sf) {
		/*
		 * sendfile: the CPU copies the header write in and the
		 * reader's bytes out, never the file, in either mode.
		 */
		ck_assert_int_eq(nic.k1.copied_bytes - nic.k0.copied_bytes,
		    (int64_t)(strlen(IF_HDR) + nic.wire.len));
		ck_assert_int_eq(sw.k1.copied_bytes - sw.k0.copied_bytes,
		    (int64_t)(strlen(IF_HDR) + sw.wire.len));
	}
	kfx_buf_free(&sw.wire);
	kfx_buf_free(&nic.wire);
}
END_TEST

/*
 * Loss, reordering, duplication and splitting: retransmissions start
 * inside records, so the NIC resyncs and re-reads prefixes; every
 * record still opens, and the stream the peer reads is exactly the one
 * software mode gives (however differently the two runs were cut into
 * segments and lost).
 */
START_TEST(test_ifnet_faults)
{
	const struct tlsm_suite *s = &tlsm_suites[_i / 2];
	struct uk_net_config conf;
	struct if_run sw, nic;

	tfx_faults(&conf, 800 + (uint64_t)_i, 4.0, 4.0, 1.0, 30.0);
	if_run(s, 1, _i % 2, &conf, &nic);
	ck_assert_int_eq(nic.mode, TCP_TLS_MODE_IFNET);
	ck_assert_int_gt(nic.st1.ifnet_resyncs - nic.st0.ifnet_resyncs, 0);
	ck_assert_int_gt(nic.st1.ifnet_dump_bytes - nic.st0.ifnet_dump_bytes,
	    0);
	ck_assert_int_eq(nic.k1.crypto_bytes - nic.k0.crypto_bytes, 0);
	if_run(s, 0, _i % 2, &conf, &sw);
	ck_assert_uint_eq(sw.wire.len, nic.wire.len);
	ck_assert_int_eq(memcmp(sw.wire.p, nic.wire.p, sw.wire.len), 0);
	kfx_buf_free(&sw.wire);
	kfx_buf_free(&nic.wire);
}
END_TEST

/*
 * Switching both ways mid-stream, with records of the old mode still in
 * the send buffer (software ones not even encrypted yet: the queue has
 * not run).  Sequence numbers go on; every record opens in order.
 */
START_TEST(test_ifnet_switch_midstream)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_net_config conf;
	struct uk_ktls_stats st0, st1;
	struct kfx_result r;
	struct tfx_sink k;
	struct kfx_conn c;
	uint8_t *data;
	size_t part;
	int sv[2];

	part = 30000;
	tfx_faults(&conf, 900 + (uint64_t)_i, 2.0, 2.0, 0.0, 20.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	if_sysctl("kern.ipc.tls.ifnet.permitted", 0);
	if_open(&c, sv, s, 50, 100);
	ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_SW);
	kfx_set_sndbuf(sv[0], 1 << 20);
	data = malloc(3 * part);
	uktest_fill(data, 3 * part, 51, 0);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	k.step = 6000;
	uk_net_set_idle(tfx_sink_turn, &k);
	kfx_stats(&st0);

	ck_assert_int_eq(uk_write(sv[0], data, part), (ssize_t)part);
	ck_assert_int_eq(if_set_mode(sv[0], TCP_TLS_MODE_IFNET), 0);
	ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_IFNET);
	ck_assert_int_eq(uk_write(sv[0], data + part, part), (ssize_t)part);
	(void)uk_net_run();
	(void)tfx_sink_turn(&k);
	ck_assert_int_eq(if_set_mode(sv[0], TCP_TLS_MODE_SW), 0);
	ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_SW);
	ck_assert_int_eq(uk_write(sv[0], data + 2 * part, part),
	    (ssize_t)part);
	if_drain(&c, sv, &k);
	kfx_stats(&st1);

	kfx_expect(&c, data, 3 * part, &r);
	ck_assert_uint_eq(r.nrec, 3 * ((part + 16383) / 16384));
	ck_assert_int_eq(st1.switch_to_ifnet - st0.switch_to_ifnet, 1);
	ck_assert_int_eq(st1.switch_to_sw - st0.switch_to_sw, 1);
	ck_assert_int_eq(st1.switch_failed, st0.switch_failed);
	/* Software did the first and last thirds, the NIC the middle. */
	ck_assert_int_eq(st1.encrypt_records - st0.encrypt_records,
	    (int64_t)(2 * ((part + 16383) / 16384)));
	ck_assert_int_ge(st1.ifnet_records - st0.ifnet_records +
	    st1.ifnet_resyncs - st0.ifnet_resyncs,
	    (int64_t)((part + 16383) / 16384));
	ck_assert_int_eq(st1.ifnet_crypto_bytes - st0.ifnet_crypto_bytes >=
	    (int64_t)part, 1);
	kfx_result_free(&r);
	kfx_buf_free(&c.wire);
	tfx_sink_free(&k);
	free(data);
	tfx_finish(sv, 2);
	kfx_stats(&st1);
	ck_assert_int_eq(st1.ifnet_tx, st0.ifnet_tx);
	ck_assert_int_eq(st1.sw_tx, st0.sw_tx - 1);
}
END_TEST

/*
 * The peer is a KTLS receive socket: every record the NIC sent under
 * loss and reordering decrypts, the plaintext is the stream.
 */
START_TEST(test_ifnet_to_ktls_rx)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct uk_net_config conf;
	struct uk_ktls_stats st0, st1;
	struct tls_enable en;
	struct tfx_sink k;
	struct kfx_conn c;
	size_t len;
	int sv[2];

	len = 200000;
	tfx_faults(&conf, 950 + (uint64_t)_i, 3.0, 3.0, 1.0, 25.0);
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	if_open(&c, sv, s, 60, 7);
	ck_assert_int_eq(if_mode(sv[0]), TCP_TLS_MODE_IFNET);
	kfx_enable_of(&c.st, 7, &en);
	ck_assert_int_eq(uk_setsockopt(sv[1], IPPROTO_TCP, TCP_RXTLS_ENABLE,
	    &en, sizeof(en)), 0);
	kfx_stats(&st0);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	k.step = 10000;
	uk_net_set_idle(tfx_sink_turn, &k);
	tfx_send_all(sv[0], 61, len, 30000);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	k.step = 0;
	while (!k.eof) {
		(void)uk_net_run();
		(void)tfx_sink_turn(&k);
	}
	kfx_stats(&st1);
	ck_assert_uint_eq(k.len, len);
	tfx_check(k.buf, k.len, 61, 0);
	ck_assert_int_eq(st1.corrupted_records, st0.corrupted_records);
	ck_assert_int_ge(st1.decrypt_records - st0.decrypt_records,
	    (int64_t)((len + 16383) / 16384));
	ck_assert_int_gt(st1.ifnet_dump_bytes - st0.ifnet_dump_bytes, 0);
	tfx_sink_free(&k);
	tfx_finish(sv, 2);
}
END_TEST

static TCase *
if_tcase(const char *name)
{
	TCase *tc;

	tc = uktest_tcase(name);
	tcase_add_checked_fixture(tc, if_setup, if_teardown);
	return (tc);
}

static Suite *
ktls_ifnet_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ktls_ifnet");
	tc = if_tcase("mode");
	tcase_add_loop_test(tc, test_ifnet_enable_choice, 0, TLSM_NSUITES);
	tcase_add_loop_test(tc, test_ifnet_mode_refused, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);
	tc = if_tcase("wire");
	tcase_add_loop_test(tc, test_ifnet_wire_equals_sw, 0, 2 * IF_NGCM);
	tcase_add_loop_test(tc, test_ifnet_faults, 0, 2 * IF_NGCM);
	tcase_add_loop_test(tc, test_ifnet_switch_midstream, 0, IF_NGCM);
	tcase_add_loop_test(tc, test_ifnet_to_ktls_rx, 0, IF_NGCM);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(ktls_ifnet_suite()));
}
