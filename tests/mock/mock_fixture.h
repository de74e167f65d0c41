/*
 * Shared scaffolding of the mock tests (cmocka, the linker's --wrap).
 *
 * A mock test program wraps some khost_* functions of the seam
 * (src/sys/khost.h): the kernel world's calls go to __wrap_<name> in the
 * test, which checks them against cmocka expectations and passes them on
 * to __real_<name> or makes them fail.  The symbols a program wraps are
 * listed on "MOCK_WRAP:" lines in its source; tests/CMakeLists.txt turns
 * those lines into -Wl,--wrap options.
 *
 * The transmit and receive helpers of tests/unit are written for Check;
 * only the ones that never assert (kfx_enable_of, kfx_iv_len,
 * rfx_recvmsg) are used here.  Check's fail() clashes with cmocka's, so
 * it is undefined before cmocka.h comes in.
 *
 *   mfx_setup/mfx_teardown  uk_reset() before each test; after it, no
 *                           mbuf, page, session or allocation alive
 *   mfx_keys()              a model key state for a suite
 *   mfx_open()              a sink socket with a TX or RX session
 *   mfx_take()              every ready byte of a send buffer
 *   mfx_open_records()      open a byte stream record by record with the
 *                           model; the plaintext and the record count
 */
#ifndef UKTEST_MOCK_FIXTURE_H
#define UKTEST_MOCK_FIXTURE_H

#include "ktls_rx_fixture.h"

#undef fail
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sys/errno.h"
#include "sys/khost.h"

/* A mock's answer meaning "call the real function". */
#define	MFX_PASS	(-1)

static inline void
mfx_assert_no_leaks(void)
{
	struct uk_counters c;

	uk_run();
	uk_counters(&c);
	assert_int_equal(c.mbufs, 0);
	assert_int_equal(c.clusters, 0);
	assert_int_equal(c.extpg, 0);
	assert_int_equal(c.pages, 0);
	assert_int_equal(c.sessions, 0);
	assert_int_equal(c.mallocs, 0);
}

static inline int
mfx_setup(void **state)
{

	(void)state;
	uk_reset(UKTEST_SEED);
	return (0);
}

static inline int
mfx_teardown(void **state)
{

	(void)state;
	mfx_assert_no_leaks();
	return (0);
}

static inline const struct tlsm_suite *
mfx_suite(const char *name)
{
	const struct tlsm_suite *s;

	s = tlsm_suite_find(name);
	assert_non_null(s);
	return (s);
}

/* Keys for a suite from the deterministic pattern `stream`. */
static inline void
mfx_keys(const struct tlsm_suite *s, uint32_t stream, struct tlsm_state *st)
{
	uint8_t key[32], iv[16], mac[48];

	uktest_fill(key, sizeof(key), stream, 0);
	uktest_fill(iv, sizeof(iv), stream, 100);
	uktest_fill(mac, sizeof(mac), stream, 200);
	assert_int_equal(tlsm_init(st, s->version, s->cipher, s->mac, key,
	    s->key_len, iv, kfx_iv_len(s), mac, tlsm_mac_len(s->mac)), 0);
}

/*
 * setsockopt(opt) with st's keys at sequence number seq on socket s:
 * 0 or the host errno.
 */
static inline int
mfx_enable(int s, int opt, const struct tlsm_state *st, uint64_t seq)
{
	struct tls_enable en;

	kfx_enable_of(st, seq, &en);
	if (uk_setsockopt(s, IPPROTO_TCP, opt, &en, sizeof(en)) == 0)
		return (0);
	return (errno);
}

/* A sink socket with a session of `opt` (TCP_TXTLS/RXTLS_ENABLE). */
static inline int
mfx_open(int opt, const struct tlsm_state *st, uint64_t seq)
{
	int s;

	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(mfx_enable(s, opt, st, seq), 0);
	return (s);
}

static inline int
mfx_mode(int s, int opt)
{
	socklen_t len;
	int mode;

	len = sizeof(mode);
	assert_int_equal(uk_getsockopt(s, IPPROTO_TCP, opt, &mode, &len), 0);
	return (mode);
}

static inline int
mfx_so_error(int s)
{
	socklen_t len;
	int v;

	len = sizeof(v);
	assert_int_equal(uk_getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	return (v);
}

static inline void
mfx_set_sndbuf(int s, int size)
{

	assert_int_equal(uk_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size,
	    sizeof(size)), 0);
}

/* Only KTLS sessions: the socket's own allocations may still be alive. */
static inline void
mfx_assert_no_sessions(void)
{
	struct uk_counters c;

	uk_run();
	uk_counters(&c);
	assert_int_equal(c.sessions, 0);
}

static inline void
mfx_tunable(const char *name, int v)
{

	assert_int_equal(uk_sysctl_int(name, NULL, &v), 0);
}

/* Take every ready byte of s's send buffer into buf; the count. */
static inline size_t
mfx_take(int s, uint8_t *buf, size_t cap)
{
	size_t len;
	ssize_t n;

	len = 0;
	while ((n = uk_test_sndbuf_take(s, buf + len, cap - len)) > 0)
		len += (size_t)n;
	assert_int_equal(n, 0);
	return (len);
}

/*
 * Open wire[0..len) as records seq, seq + 1, ... with st (advanced, for
 * TLS 1.0's chained IV): every record must open and be of `type`; the
 * plaintext goes to plain.  Returns the number of records.
 */
static inline int
mfx_open_records(struct tlsm_state *st, uint64_t seq, uint8_t type,
    const uint8_t *wire, size_t len, uint8_t *plain, size_t plaincap,
    size_t *plainlen)
{
	size_t off, reclen, outlen;
	uint8_t rtype;
	int n;

	*plainlen = 0;
	for (off = 0, n = 0; off < len; off += reclen, n++) {
		assert_int_equal(tlsm_next_record(st, wire + off, len - off,
		    &reclen, NULL), 0);
		assert_int_equal(tlsm_open(st, seq + (uint64_t)n, wire + off,
		    reclen, &rtype, plain + *plainlen, plaincap - *plainlen,
		    &outlen), 0);
		assert_int_equal(rtype, type);
		*plainlen += outlen;
	}
	return (n);
}

/* Bytes in an iovec array. */
static inline size_t
mfx_iov_len(const struct khost_iov *iov, int n)
{
	size_t len;
	int i;

	for (len = 0, i = 0; i < n; i++)
		len += iov[i].iov_len;
	return (len);
}

#endif /* UKTEST_MOCK_FIXTURE_H */
