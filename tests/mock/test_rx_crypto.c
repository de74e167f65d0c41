/*
 * How the KTLS receive path calls the crypto backend, and what a reader
 * sees when the backend fails (docs/receive.md).
 *
 * MOCK_WRAP: khost_crypto_create khost_crypto_destroy khost_crypto_decrypt
 *
 * Records are sealed by the model and handed to a receive socket as TCP
 * would (uk_test_rcvbuf_inject()).  With mk.strict_decrypt set, every
 * decrypt call is checked against cmocka expectations (sequence number,
 * header bytes, length of the rest of the record) and answered by
 * will_return(): MFX_PASS decrypts for real, anything else is the error.
 */
#include "mock_session.h"

int	__real_khost_crypto_decrypt(struct khost_crypto *, const uint8_t *,
	    int, uint64_t, const struct khost_iov *, int, int *, uint8_t *);

int	__wrap_khost_crypto_decrypt(struct khost_crypto *, const uint8_t *,
	    int, uint64_t, const struct khost_iov *, int, int *, uint8_t *);

static struct {
	bool	strict_decrypt;
	int	decrypts;
} mk;

int
__wrap_khost_crypto_decrypt(struct khost_crypto *c, const uint8_t *hdr,
    int hdrlen, uint64_t seqno, const struct khost_iov *iov, int niov,
    int *trailer_len, uint8_t *record_type)
{
	size_t bodylen;
	int rv;

	mk.decrypts++;
	if (mk.strict_decrypt) {
		bodylen = mfx_iov_len(iov, niov);
		check_expected(seqno);
		check_expected(hdrlen);
		check_expected(hdr);
		check_expected(bodylen);
		rv = mock_type(int);
		if (rv != MFX_PASS)
			return (rv);
	}
	return (__real_khost_crypto_decrypt(c, hdr, hdrlen, seqno, iov, niov,
	    trailer_len, record_type));
}

static int
setup(void **state)
{

	mfx_setup(state);
	memset(&mk, 0, sizeof(mk));
	memset(&mks, 0, sizeof(mks));
	return (0);
}

static int
teardown(void **state)
{

	mfx_teardown(state);
	mks_assert_balanced();
	return (0);
}

/* The wire: sealed records and where each starts. */
static struct {
	uint8_t	 buf[200000];
	size_t	 len;
	size_t	 off[16], reclen[16];
	size_t	 plen[16];
	int	 n;
} w;

static uint8_t plain[100000], got[100000];

static void
seal(struct tlsm_state *st, uint64_t seq, const uint8_t *p, size_t len)
{
	size_t outlen;

	assert_true(w.n < 16);
	assert_int_equal(tlsm_seal(st, seq, TLSM_CT_APP, p, len, NULL,
	    w.buf + w.len, sizeof(w.buf) - w.len, &outlen), 0);
	w.off[w.n] = w.len;
	w.reclen[w.n] = outlen;
	w.plen[w.n] = len;
	w.len += outlen;
	w.n++;
}

/* Record i reaches the backend as seq, its header, and the rest. */
static void
expect_decrypt(int i, uint64_t seq, int hdrlen, int answer)
{

	expect_value(__wrap_khost_crypto_decrypt, seqno, seq);
	expect_value(__wrap_khost_crypto_decrypt, hdrlen, hdrlen);
	expect_memory(__wrap_khost_crypto_decrypt, hdr, w.buf + w.off[i],
	    hdrlen);
	expect_value(__wrap_khost_crypto_decrypt, bodylen,
	    w.reclen[i] - (size_t)hdrlen);
	will_return(__wrap_khost_crypto_decrypt, answer);
}

/* What one recvmsg() gave. */
struct rd {
	ssize_t	 n;		/* -1: an error */
	int	 err;
	size_t	 off;		/* of its plaintext in got[] */
};

/* Read until EAGAIN; the results in order. */
static int
read_all(int so, struct rd *r, int max)
{
	struct tls_get_record tgr;
	size_t ctllen, off;
	int flags, n;

	off = 0;
	for (n = 0; n < max; n++) {
		r[n].off = off;
		r[n].n = rfx_recvmsg(so, got + off, sizeof(got) - off,
		    MSG_DONTWAIT, CMSG_SPACE(sizeof(tgr)), &tgr, &flags,
		    &ctllen);
		r[n].err = r[n].n < 0 ? errno : 0;
		if (r[n].n < 0 && r[n].err == EAGAIN)
			return (n);
		if (r[n].n >= 0) {
			/* One whole record per read, with its message. */
			assert_int_equal(ctllen, CMSG_SPACE(sizeof(tgr)));
			assert_int_equal(flags & (MSG_EOR | MSG_CTRUNC),
			    MSG_EOR);
			assert_int_equal(tgr.tls_type, TLSM_CT_APP);
			assert_int_equal(ntohs(tgr.tls_length), r[n].n);
			off += (size_t)r[n].n;
		}
	}
	fail_msg("more than %d reads", max);
	return (max);
}

static int
hdr_len(const struct tlsm_suite *s)
{

	if (s->cipher == TLSM_GCM && s->version == TLSM_V12)
		return (13);
	if (s->cipher == TLSM_CBC)
		return (21);
	return (5);
}

static int
open_rx(const struct tlsm_suite *s, const struct tlsm_state *st,
    uint64_t seq)
{
	int so;

	so = mfx_open(TCP_RXTLS_ENABLE, st, seq);
	assert_int_equal(mfx_mode(so, TCP_RXTLS_MODE), TCP_TLS_MODE_SW);
	assert_int_equal(uk_setsockopt(so, SOL_SOCKET, SO_RCVBUF,
	    &(int){ 262144 }, sizeof(int)), 0);
	(void)s;
	return (so);
}

/*
 * Records of 100, 5000, 0 and 16384 bytes from sequence number 3: none is
 * decrypted before the worker runs, then exactly one in-place decrypt
 * per record, in order, with its own sequence number, its header and
 * explicit nonce/IV gathered, and the rest of the record as the body.
 */
static void
rx_family(const char *name)
{
	static const size_t sizes[] = { 100, 5000, 0, 16384 };
	const struct tlsm_suite *s = mfx_suite(name);
	struct tlsm_state st, sender;
	struct rd r[8];
	size_t off;
	int i, n, so;

	memset(&mk, 0, sizeof(mk));
	memset(&mks, 0, sizeof(mks));
	memset(&w, 0, sizeof(w));
	mfx_keys(s, 20, &st);
	sender = st;
	uktest_fill(plain, sizeof(plain), 20, 0);
	for (i = 0, off = 0; i < 4; off += sizes[i], i++)
		seal(&sender, 3 + (uint64_t)i, plain + off, sizes[i]);

	so = open_rx(s, &st, 3);
	assert_int_equal(mks.created, 1);
	assert_int_equal(uk_test_rcvbuf_inject(so, w.buf, w.len),
	    (ssize_t)w.len);
	assert_int_equal(mk.decrypts, 0);
	mk.strict_decrypt = true;
	for (i = 0; i < 4; i++)
		expect_decrypt(i, 3 + (uint64_t)i, hdr_len(s), MFX_PASS);
	uk_run();
	assert_int_equal(mk.decrypts, 4);

	n = read_all(so, r, 8);
	assert_int_equal(n, 4);
	for (i = 0, off = 0; i < 4; off += sizes[i], i++) {
		assert_int_equal(r[i].n, sizes[i]);
		assert_memory_equal(got + r[i].off, plain + off, sizes[i]);
	}
	assert_int_equal(uk_close(so), 0);
	uk_run();
	assert_int_equal(mks.destroys, 1);
}

static void
test_rx_gcm12(void **state)
{

	(void)state;
	rx_family("aes128_gcm_1_2");
}

static void
test_rx_gcm13(void **state)
{

	(void)state;
	rx_family("aes256_gcm_1_3");
}

static void
test_rx_chacha(void **state)
{

	(void)state;
	rx_family("chacha20_poly1305_1_2");
	rx_family("chacha20_poly1305_1_3");
}

static void
test_rx_cbc(void **state)
{

	(void)state;
	rx_family("aes128_cbc_1_1_sha1");
	rx_family("aes256_cbc_1_2_sha384");
}

/*
 * TLS 1.0 is not received in software: EPROTONOSUPPORT, and the backend
 * is never asked for a context (strict create with nothing expected).
 */
static void
test_rx_tls10_no_backend(void **state)
{
	struct tlsm_state st;
	int so;

	(void)state;
	mfx_keys(mfx_suite("aes128_cbc_1_0_sha1"), 21, &st);
	mks.strict = true;
	so = uk_socket(AF_INET, SOCK_STREAM, 0);
	assert_true(so >= 0);
	assert_int_equal(mfx_enable(so, TCP_RXTLS_ENABLE, &st, 0),
	    EPROTONOSUPPORT);
	assert_int_equal(mks.creates, 0);
	assert_int_equal(mfx_mode(so, TCP_RXTLS_MODE), TCP_TLS_MODE_NONE);
	assert_int_equal(uk_close(so), 0);
}

/*
 * The backend cannot make the receive context: the enable fails with
 * its errno and leaves no session; the data TCP queued stays plain
 * stream data; a second enable works and takes that data as records.
 */
static void
test_rx_create_fails(void **state)
{
	const struct tlsm_suite *s = mfx_suite("aes128_gcm_1_3");
	struct tlsm_state st, sender;
	struct rd r[4];
	int so;

	(void)state;
	memset(&w, 0, sizeof(w));
	mfx_keys(s, 22, &st);
	sender = st;
	uktest_fill(plain, 500, 22, 0);
	seal(&sender, 0, plain, 500);
	so = uk_socket(AF_INET, SOCK_STREAM, 0);
	assert_true(so >= 0);
	assert_int_equal(uk_test_rcvbuf_inject(so, w.buf, w.len),
	    (ssize_t)w.len);

	mks.strict = true;
	expect_create(&st, KTLS_RX, KE_ENOMEM);
	assert_int_equal(mfx_enable(so, TCP_RXTLS_ENABLE, &st, 0), ENOMEM);
	assert_int_equal(mfx_mode(so, TCP_RXTLS_MODE), TCP_TLS_MODE_NONE);
	mfx_assert_no_sessions();
	assert_int_equal(mks.created, 0);

	expect_create(&st, KTLS_RX, MFX_PASS);
	assert_int_equal(mfx_enable(so, TCP_RXTLS_ENABLE, &st, 0), 0);
	uk_run();
	assert_int_equal(read_all(so, r, 4), 1);
	assert_int_equal(r[0].n, 500);
	assert_memory_equal(got, plain, 500);
	assert_int_equal(uk_close(so), 0);
}

/*
 * The kth of five records fails in the backend with `error`.  What a
 * reader gets: the records before it, the error (EMSGSIZE stays
 * EMSGSIZE; anything else, a hard failure such as EIO or ENOMEM
 * included, is reported as EBADMSG, as FreeBSD's ktls_decrypt() does),
 * and the records after it, decrypted with their own sequence numbers:
 * only that record is dropped, not the connection.
 */
static void
decrypt_fails(const char *name, int k, int error, int host_error)
{
	const struct tlsm_suite *s = mfx_suite(name);
	struct tlsm_state st, sender;
	struct rd r[8];
	int i, j, n, nerr, so;

	memset(&mk, 0, sizeof(mk));
	memset(&mks, 0, sizeof(mks));
	memset(&w, 0, sizeof(w));
	mfx_keys(s, 23, &st);
	sender = st;
	uktest_fill(plain, 5000, 23, (uint64_t)k);
	for (i = 0; i < 5; i++)
		seal(&sender, 10 + (uint64_t)i, plain + i * 1000, 1000);
	so = open_rx(s, &st, 10);
	assert_int_equal(uk_test_rcvbuf_inject(so, w.buf, w.len),
	    (ssize_t)w.len);
	mk.strict_decrypt = true;
	for (i = 0; i < 5; i++)
		expect_decrypt(i, 10 + (uint64_t)i, hdr_len(s),
		    i == k - 1 ? error : MFX_PASS);
	uk_run();
	assert_int_equal(mk.decrypts, 5);

	n = read_all(so, r, 8);
	assert_int_equal(n, 5);
	/* j: the next record expected, skipping the dropped one. */
	for (i = 0, j = 0, nerr = 0; i < n; i++) {
		if (j == k - 1)
			j++;
		if (r[i].n < 0) {
			assert_int_equal(r[i].err, host_error);
			/* Not before the records that came before it. */
			assert_true(j >= k);
			nerr++;
			continue;
		}
		assert_int_equal(r[i].n, 1000);
		assert_memory_equal(got + r[i].off, plain + j * 1000, 1000);
		j++;
	}
	assert_int_equal(nerr, 1);
	/*
	 * All five were decrypted before the first read, so the error comes
	 * last: soreceive() reports so_error only when sb_mb is empty.
	 */
	assert_true(r[n - 1].n < 0);
	assert_int_equal(j, 5);

	/* The connection is still there: one more record comes through. */
	mk.strict_decrypt = false;
	memset(&w, 0, sizeof(w));
	seal(&sender, 15, plain, 10);
	assert_int_equal(uk_test_rcvbuf_inject(so, w.buf, w.len),
	    (ssize_t)w.len);
	uk_run();
	assert_int_equal(read_all(so, r, 8), 1);
	assert_int_equal(r[0].n, 10);
	assert_int_equal(mk.decrypts, 6);
	assert_int_equal(uk_close(so), 0);
	mfx_assert_no_leaks();
	assert_int_equal(mks.created, mks.destroys);
}

static void
test_decrypt_fails_hard(void **state)
{
	int k;

	(void)state;
	for (k = 1; k <= 5; k++)
		decrypt_fails("aes128_gcm_1_2", k, KE_EIO, EBADMSG);
	decrypt_fails("chacha20_poly1305_1_3", 3, KE_ENOMEM, EBADMSG);
	decrypt_fails("aes128_cbc_1_2_sha256", 2, KE_EIO, EBADMSG);
}

static void
test_decrypt_fails_auth(void **state)
{

	(void)state;
	decrypt_fails("aes256_gcm_1_3", 2, KE_EBADMSG, EBADMSG);
	decrypt_fails("aes128_cbc_1_1_sha1", 4, KE_EMSGSIZE, EMSGSIZE);
}

/* The wrap is in the path: a context and a record reach the wrappers. */
static void
test_seam_is_wrapped(void **state)
{

	(void)state;
	rx_family("aes128_gcm_1_3");
	assert_int_equal(mks.creates, 1);
	assert_int_equal(mk.decrypts, 4);
	assert_int_equal(mks.destroys, 1);
}

#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seam_is_wrapped),
		T(test_rx_gcm12),
		T(test_rx_gcm13),
		T(test_rx_chacha),
		T(test_rx_cbc),
		T(test_rx_tls10_no_backend),
		T(test_rx_create_fails),
		T(test_decrypt_fails_hard),
		T(test_decrypt_fails_auth),
	};

	return (cmocka_run_group_tests_name("mock/rx_crypto", tests, NULL,
	    NULL));
}
