/*
 * How the KTLS transmit path calls the crypto backend, and what it does
 * when the backend fails (docs/transmit.md).
 *
 * MOCK_WRAP: khost_crypto_create khost_crypto_destroy khost_crypto_encrypt
 * MOCK_WRAP: khost_page_alloc khost_work_enqueue
 *
 * The wrappers always count and pass through; a test that sets
 * mk.strict_encrypt (mks.strict for create) makes every call also check
 * cmocka expectations (expect_*) and take its answer from will_return():
 * MFX_PASS calls the real backend, anything else is returned as the
 * error.  A call nobody expected fails the test (no mock value queued),
 * and so does an expectation left over at the end (the call never came,
 * for example because the wrap was bypassed).
 */
#include "mock_session.h"

int	__real_khost_crypto_encrypt(struct khost_crypto *, const uint8_t *,
	    int, uint64_t, uint8_t, const struct khost_iov *, int,
	    const struct khost_iov *, int, uint8_t *, int);
uint64_t __real_khost_page_alloc(int);
void	__real_khost_work_enqueue(struct khost_work *);

int	__wrap_khost_crypto_encrypt(struct khost_crypto *, const uint8_t *,
	    int, uint64_t, uint8_t, const struct khost_iov *, int,
	    const struct khost_iov *, int, uint8_t *, int);
uint64_t __wrap_khost_page_alloc(int);
void	__wrap_khost_work_enqueue(struct khost_work *);

static struct {
	bool	strict_encrypt;
	int	encrypts, enqueues;
	bool	watch_pages;		/* count page allocations */
	int	page_allocs, page_allocs_nowait;
	uint64_t order[64];		/* seqnos in encryption order */
	int	norder;
} mk;

int
__wrap_khost_crypto_encrypt(struct khost_crypto *c, const uint8_t *hdr,
    int hdrlen, uint64_t seqno, uint8_t record_type,
    const struct khost_iov *src, int nsrc, const struct khost_iov *dst,
    int ndst, uint8_t *trailer, int trllen)
{
	size_t plen;
	int i, inplace, rv;

	mk.encrypts++;
	if (mk.norder < (int)(sizeof(mk.order) / sizeof(mk.order[0])))
		mk.order[mk.norder++] = seqno;
	if (mk.strict_encrypt) {
		plen = mfx_iov_len(src, nsrc);
		assert_int_equal(nsrc, ndst);
		assert_int_equal(mfx_iov_len(dst, ndst), plen);
		inplace = 1;
		for (i = 0; i < nsrc; i++)
			if (src[i].iov_base != dst[i].iov_base)
				inplace = 0;
		/* The header as framed says how long the record is. */
		assert_int_equal((hdr[3] << 8 | hdr[4]),
		    hdrlen - TLSM_HDR_LEN + (int)plen + trllen);
		check_expected(seqno);
		check_expected(hdrlen);
		check_expected(trllen);
		check_expected(record_type);
		check_expected(plen);
		check_expected(inplace);
		rv = mock_type(int);
		if (rv != MFX_PASS)
			return (rv);
	}
	return (__real_khost_crypto_encrypt(c, hdr, hdrlen, seqno,
	    record_type, src, nsrc, dst, ndst, trailer, trllen));
}

uint64_t
__wrap_khost_page_alloc(int flags)
{

	if (mk.watch_pages) {
		mk.page_allocs++;
		if ((flags & KH_NOWAIT) != 0)
			mk.page_allocs_nowait++;
	}
	return (__real_khost_page_alloc(flags));
}

void
__wrap_khost_work_enqueue(struct khost_work *w)
{

	mk.enqueues++;
	__real_khost_work_enqueue(w);
}

static int
setup(void **state)
{

	mfx_setup(state);
	memset(&mk, 0, sizeof(mk));
	memset(&mks, 0, sizeof(mks));
	return (0);
}

/* No leaks, and every backend context made was destroyed. */
static int
teardown(void **state)
{

	mfx_teardown(state);
	mks_assert_balanced();
	return (0);
}

/* What the framing gives a record of plen bytes (docs/transmit.md). */
static int
hdr_len(const struct tlsm_suite *s)
{

	if (s->cipher == TLSM_GCM && s->version == TLSM_V12)
		return (13);		/* header + explicit nonce */
	if (s->cipher == TLSM_CBC && s->version != TLSM_V10)
		return (21);		/* header + explicit IV */
	return (5);
}

static int
trl_len(const struct tlsm_suite *s, int plen)
{
	int mac;

	if (s->cipher != TLSM_CBC)
		return (s->version == TLSM_V13 ? 17 : 16);
	/* MAC, then minimal padding (1..16 bytes) to whole blocks. */
	mac = (int)tlsm_mac_len(s->mac);
	return (mac + 16 - (plen + mac) % 16);
}

static void
expect_encrypt(const struct tlsm_suite *s, uint64_t seq, uint8_t type,
    int plen, int inplace, int answer)
{

	expect_value(__wrap_khost_crypto_encrypt, seqno, seq);
	expect_value(__wrap_khost_crypto_encrypt, hdrlen, hdr_len(s));
	expect_value(__wrap_khost_crypto_encrypt, trllen, trl_len(s, plen));
	expect_value(__wrap_khost_crypto_encrypt, record_type, type);
	expect_value(__wrap_khost_crypto_encrypt, plen, plen);
	expect_value(__wrap_khost_crypto_encrypt, inplace, inplace);
	will_return(__wrap_khost_crypto_encrypt, answer);
}

static uint8_t plain[300000], wire[300000], opened[300000];

/*
 * write(40000) at sequence number 7: three records of 16384, 16384 and
 * 7232 bytes, nothing encrypted until the worker runs, then exactly one
 * in-place encrypt call per record in sequence order.  The records the
 * real backend produced open with the model.
 */
static void
write_family(const char *name)
{
	const struct tlsm_suite *s = mfx_suite(name);
	struct uk_ktls_stats t, t0;
	struct tlsm_state st;
	size_t len, plainlen;
	int so;

	memset(&mk, 0, sizeof(mk));
	memset(&mks, 0, sizeof(mks));
	mfx_keys(s, 1, &st);
	mks.strict = true;
	expect_create(&st, KTLS_TX, MFX_PASS);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 7);
	mfx_set_sndbuf(so, 65536);
	assert_int_equal(mks.created, 1);
	uktest_fill(plain, 40000, 1, 0);
	assert_int_equal(uk_write(so, plain, 40000), 40000);
	assert_int_equal(mk.encrypts, 0);
	assert_int_equal(uk_ktls_stats(&t0), 0);

	mk.strict_encrypt = true;
	expect_encrypt(s, 7, TLSM_CT_APP, 16384, 1, MFX_PASS);
	expect_encrypt(s, 8, TLSM_CT_APP, 16384, 1, MFX_PASS);
	expect_encrypt(s, 9, TLSM_CT_APP, 7232, 1, MFX_PASS);
	assert_int_equal(uk_test_sndbuf_wait(so), 0);
	assert_int_equal(mk.encrypts, 3);
	assert_int_equal(uk_ktls_stats(&t), 0);
	assert_int_equal(t.inplace - t0.inplace, 3);
	assert_int_equal(t.separate_output - t0.separate_output, 0);

	len = mfx_take(so, wire, sizeof(wire));
	assert_int_equal(mfx_open_records(&st, 7, TLSM_CT_APP, wire, len,
	    opened, sizeof(opened), &plainlen), 3);
	assert_int_equal(plainlen, 40000);
	assert_memory_equal(opened, plain, 40000);
	assert_int_equal(uk_close(so), 0);
	uk_run();
	assert_int_equal(mks.destroys, 1);
}

static void
test_write_gcm12(void **state)
{

	(void)state;
	write_family("aes128_gcm_1_2");
}

static void
test_write_gcm13(void **state)
{

	(void)state;
	write_family("aes128_gcm_1_3");
}

static void
test_write_chacha(void **state)
{

	(void)state;
	write_family("chacha20_poly1305_1_2");
}

static void
test_write_cbc11(void **state)
{

	(void)state;
	write_family("aes128_cbc_1_1_sha1");
	write_family("aes256_cbc_1_2_sha384");
}

static void
test_write_cbc10(void **state)
{

	(void)state;
	write_family("aes128_cbc_1_0_sha1");
}

/* A control record: its type reaches the backend (TLS_SET_RECORD_TYPE). */
static void
test_control_record_type(void **state)
{
	const struct tlsm_suite *s = mfx_suite("aes128_gcm_1_3");
	struct tlsm_state st;
	size_t len, plainlen;
	int so;

	(void)state;
	mfx_keys(s, 2, &st);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 0);
	uktest_fill(plain, 100, 2, 0);
	assert_int_equal(kfx_send_type(so, plain, 100, TLSM_CT_ALERT), 100);
	mk.strict_encrypt = true;
	expect_encrypt(s, 0, TLSM_CT_ALERT, 100, 1, MFX_PASS);
	assert_int_equal(uk_test_sndbuf_wait(so), 0);
	len = mfx_take(so, wire, sizeof(wire));
	assert_int_equal(mfx_open_records(&st, 0, TLSM_CT_ALERT, wire, len,
	    opened, sizeof(opened), &plainlen), 1);
	assert_memory_equal(opened, plain, 100);
	assert_int_equal(uk_close(so), 0);
}

/*
 * sendfile(offset 1000, 40000 bytes): records of 15384, 16384 and 8232
 * bytes, each encrypted into new pages (separate output): one page
 * allocation per page of the record, asked for without KH_NOWAIT (a
 * waiting allocation, which khost.h says never fails), so there is no
 * allocation failure to inject on this path.
 */
static void
sendfile_family(const char *name)
{
	const struct tlsm_suite *s = mfx_suite(name);
	struct uk_ktls_stats t, t0;
	struct tlsm_state st;
	size_t len, plainlen;
	off_t sbytes;
	int fd, so;

	memset(&mk, 0, sizeof(mk));
	memset(&mks, 0, sizeof(mks));
	mfx_keys(s, 3, &st);
	uktest_fill(plain, 50000, 3, 0);
	fd = uk_file_create(plain, 50000);
	assert_true(fd >= 0);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 0);
	mfx_set_sndbuf(so, 262144);
	assert_int_equal(uk_sendfile(fd, so, 1000, 40000, NULL, &sbytes, 0),
	    0);
	assert_int_equal(sbytes, 40000);

	mk.strict_encrypt = true;
	expect_encrypt(s, 0, TLSM_CT_APP, 15384, 0, MFX_PASS);
	expect_encrypt(s, 1, TLSM_CT_APP, 16384, 0, MFX_PASS);
	expect_encrypt(s, 2, TLSM_CT_APP, 8232, 0, MFX_PASS);
	assert_int_equal(uk_ktls_stats(&t0), 0);
	mk.watch_pages = true;
	assert_int_equal(uk_test_sndbuf_wait(so), 0);
	mk.watch_pages = false;
	assert_int_equal(mk.page_allocs, 4 + 4 + 3);
	assert_int_equal(mk.page_allocs_nowait, 0);
	assert_int_equal(uk_ktls_stats(&t), 0);
	assert_int_equal(t.separate_output - t0.separate_output, 3);
	assert_int_equal(t.inplace - t0.inplace, 0);

	len = mfx_take(so, wire, sizeof(wire));
	assert_int_equal(mfx_open_records(&st, 0, TLSM_CT_APP, wire, len,
	    opened, sizeof(opened), &plainlen), 3);
	assert_int_equal(plainlen, 40000);
	assert_memory_equal(opened, plain + 1000, 40000);
	assert_int_equal(uk_close(so), 0);
	assert_int_equal(uk_file_destroy(fd), 0);
}

static void
test_sendfile_separate_output(void **state)
{

	(void)state;
	sendfile_family("aes128_gcm_1_2");
	sendfile_family("chacha20_poly1305_1_3");
	sendfile_family("aes128_cbc_1_0_sha1");
}

/*
 * The backend cannot make the session: the enable fails with its errno,
 * the socket is left without a session (plaintext goes out as written),
 * nothing leaks, and a later enable works.
 */
static void
test_create_fails(void **state)
{
	static const int errs[] = { KE_ENOMEM, KE_EOPNOTSUPP, KE_EINVAL };
	static const int host_errs[] = { ENOMEM, ENOTSUP, EINVAL };
	const struct tlsm_suite *s = mfx_suite("aes256_gcm_1_2");
	struct uk_ktls_stats t;
	struct tlsm_state st;
	uint8_t buf[16];
	unsigned i;
	int so;

	(void)state;
	mfx_keys(s, 4, &st);
	mks.strict = true;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		so = uk_socket(AF_INET, SOCK_STREAM, 0);
		assert_true(so >= 0);
		expect_create(&st, KTLS_TX, errs[i]);
		assert_int_equal(mfx_enable(so, TCP_TXTLS_ENABLE, &st, 0),
		    host_errs[i]);
		assert_int_equal(mfx_mode(so, TCP_TXTLS_MODE),
		    TCP_TLS_MODE_NONE);
		assert_int_equal(uk_ktls_stats(&t), 0);
		assert_int_equal(t.active, 0);
		mfx_assert_no_sessions();

		assert_int_equal(uk_write(so, "plain", 5), 5);
		assert_int_equal(mfx_take(so, buf, sizeof(buf)), 5);
		assert_memory_equal(buf, "plain", 5);
		assert_int_equal(mk.encrypts, 0);

		expect_create(&st, KTLS_TX, MFX_PASS);
		assert_int_equal(mfx_enable(so, TCP_TXTLS_ENABLE, &st, 0), 0);
		assert_int_equal(mfx_mode(so, TCP_TXTLS_MODE),
		    TCP_TLS_MODE_SW);
		assert_int_equal(uk_close(so), 0);
	}
	/* The failed creates made nothing for destroy to undo. */
	uk_run();
	assert_int_equal(mks.created, 3);
	assert_int_equal(mks.destroys, 3);
}

/* After a failure: dropped, empty, EPIPE on write, EIO pending once. */
static void
expect_dropped(int so)
{
	struct uk_test_sbinfo info;
	uint8_t buf[16];

	assert_int_equal(uk_test_sndbuf_info(so, &info), 0);
	assert_int_equal(info.connected, 0);
	assert_int_equal(info.ccc, 0);
	assert_int_equal(info.so_error, EIO);
	assert_int_equal(uk_test_sndbuf_take(so, buf, sizeof(buf)), 0);
	errno = 0;
	assert_int_equal(uk_write(so, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(mfx_so_error(so), EIO);
	assert_int_equal(mfx_so_error(so), 0);
}

/*
 * The kth of five one-record writes fails in the backend (any error: the
 * kernel reports EIO).  The records before it went out intact; the
 * connection is dropped with EIO; no encrypt call follows the failure.
 */
static void
test_encrypt_fails_kth(void **state)
{
	const struct tlsm_suite *s = mfx_suite("aes128_gcm_1_2");
	struct tlsm_state st, vst;
	size_t len, plainlen;
	int i, k, so;

	(void)state;
	mfx_keys(s, 5, &st);
	for (k = 1; k <= 4; k++) {
		memset(&mk, 0, sizeof(mk));
	memset(&mks, 0, sizeof(mks));
		vst = st;
		so = mfx_open(TCP_TXTLS_ENABLE, &st, 100);
		mk.strict_encrypt = true;
		for (i = 1; i <= 5; i++) {
			uktest_fill(plain, 1000, 5, (uint64_t)i * 1000);
			assert_int_equal(uk_write(so, plain, 1000), 1000);
			if (i == k) {
				expect_encrypt(s, 100 + i - 1, TLSM_CT_APP,
				    1000, 1, KE_ENOMEM);
				uk_run();
				expect_dropped(so);
				break;
			}
			expect_encrypt(s, 100 + i - 1, TLSM_CT_APP, 1000, 1,
			    MFX_PASS);
			assert_int_equal(uk_test_sndbuf_wait(so), 0);
			len = mfx_take(so, wire, sizeof(wire));
			assert_int_equal(mfx_open_records(&vst, 100 + i - 1,
			    TLSM_CT_APP, wire, len, opened, sizeof(opened),
			    &plainlen), 1);
			assert_int_equal(plainlen, 1000);
			assert_memory_equal(opened, plain, 1000);
		}
		assert_int_equal(mk.encrypts, k);
		assert_int_equal(uk_close(so), 0);
		mfx_assert_no_leaks();
		assert_int_equal(mks.created, mks.destroys);
	}
}

/*
 * The second record of a three-record write fails: the third is never
 * passed to the backend, nothing of the batch is sent (the first record,
 * encrypted, goes down with it), and nothing leaks.
 */
static void
test_encrypt_fails_in_batch(void **state)
{
	const struct tlsm_suite *s = mfx_suite("chacha20_poly1305_1_3");
	struct tlsm_state st;
	int so;

	(void)state;
	mfx_keys(s, 6, &st);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 0);
	mfx_set_sndbuf(so, 65536);
	uktest_fill(plain, 40000, 6, 0);
	assert_int_equal(uk_write(so, plain, 40000), 40000);
	mk.strict_encrypt = true;
	expect_encrypt(s, 0, TLSM_CT_APP, 16384, 1, MFX_PASS);
	expect_encrypt(s, 1, TLSM_CT_APP, 16384, 1, KE_EIO);
	uk_run();
	assert_int_equal(mk.encrypts, 2);
	expect_dropped(so);
	assert_int_equal(uk_close(so), 0);
}

/*
 * sendfile whose second record fails: the new pages of the failed record
 * are given back, the file's pages are released, the later record is
 * not encrypted.
 */
static void
test_encrypt_fails_sendfile(void **state)
{
	const struct tlsm_suite *s = mfx_suite("aes256_gcm_1_3");
	struct tlsm_state st;
	off_t sbytes;
	int fd, so;

	(void)state;
	mfx_keys(s, 7, &st);
	uktest_fill(plain, 40000, 7, 0);
	fd = uk_file_create(plain, 40000);
	assert_true(fd >= 0);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 0);
	mfx_set_sndbuf(so, 262144);
	assert_int_equal(uk_sendfile(fd, so, 0, 40000, NULL, &sbytes, 0), 0);
	mk.strict_encrypt = true;
	expect_encrypt(s, 0, TLSM_CT_APP, 16384, 0, MFX_PASS);
	expect_encrypt(s, 1, TLSM_CT_APP, 16384, 0, KE_EIO);
	mk.watch_pages = true;
	uk_run();
	assert_int_equal(mk.page_allocs, 8);
	assert_int_equal(mk.encrypts, 2);
	expect_dropped(so);
	assert_int_equal(uk_close(so), 0);
	assert_int_equal(uk_file_destroy(fd), 0);
}

/*
 * sendfile with one record per I/O and the I/Os completing last first.
 * TLS 1.0 chains its IV, so the backend must still see the records in
 * sequence order (the early batches wait in pending_records); GCM has no
 * such need and its batches are encrypted in the order they were queued,
 * last first.  Both streams open with the model.
 */
static void
reverse_io(const char *name, bool in_order)
{
	const struct tlsm_suite *s = mfx_suite(name);
	struct uk_ktls_stats t;
	struct tlsm_state st;
	size_t len, plainlen;
	off_t sbytes;
	int fd, i, so;

	mfx_keys(s, 8, &st);
	uktest_fill(plain, 100000, 8, 0);
	fd = uk_file_create(plain, 100000);
	assert_true(fd >= 0);
	mfx_tunable("kern.ipc.sendfile.io_mbufs", 1);
	mfx_tunable("kern.ipc.sendfile.reverse_io", 1);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 0);
	mfx_set_sndbuf(so, 262144);
	assert_int_equal(uk_sendfile(fd, so, 0, 100000, NULL, &sbytes, 0), 0);
	assert_int_equal(sbytes, 100000);

	/* 100000 bytes: six records of 16384 and one of 1696. */
	mk.strict_encrypt = true;
	for (i = 0; i < 7; i++) {
		int seq = in_order ? i : 6 - i;

		expect_encrypt(s, (uint64_t)seq, TLSM_CT_APP,
		    seq == 6 ? 1696 : 16384, 0, MFX_PASS);
	}
	assert_int_equal(uk_test_sndbuf_wait(so), 0);
	assert_int_equal(mk.norder, 7);
	assert_int_equal(uk_ktls_stats(&t), 0);
	assert_int_equal(t.sw_tx_pending, 0);

	len = mfx_take(so, wire, sizeof(wire));
	assert_int_equal(mfx_open_records(&st, 0, TLSM_CT_APP, wire, len,
	    opened, sizeof(opened), &plainlen), 7);
	assert_int_equal(plainlen, 100000);
	assert_memory_equal(opened, plain, 100000);
	assert_int_equal(uk_close(so), 0);
	assert_int_equal(uk_file_destroy(fd), 0);
}

static void
test_tls10_order_reverse_io(void **state)
{

	(void)state;
	reverse_io("aes128_cbc_1_0_sha1", true);
}

static void
test_gcm_order_reverse_io(void **state)
{

	(void)state;
	reverse_io("aes128_gcm_1_2", false);
}

/*
 * A session's queue schedules its work item at most once at a time:
 * three writes before the worker runs make one enqueue, and the worker
 * encrypts all three batches in one go.
 */
static void
test_one_work_item(void **state)
{
	const struct tlsm_suite *s = mfx_suite("aes128_gcm_1_2");
	struct tlsm_state st;
	int before, i, so;

	(void)state;
	mfx_keys(s, 9, &st);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 0);
	before = mk.enqueues;
	for (i = 0; i < 3; i++)
		assert_int_equal(uk_write(so, "abc", 3), 3);
	assert_int_equal(mk.enqueues - before, 1);
	assert_int_equal(uk_run_one(), 1);
	assert_int_equal(mk.encrypts, 3);
	assert_int_equal(uk_write(so, "def", 3), 3);
	assert_int_equal(mk.enqueues - before, 2);
	uk_run();
	assert_int_equal(mk.encrypts, 4);
	assert_int_equal(uk_close(so), 0);
}

/*
 * The wrap is in the path: a session and a record reach the wrappers.
 * (If the link bypassed them, the counts stay 0 and this fails.)
 */
static void
test_seam_is_wrapped(void **state)
{
	const struct tlsm_suite *s = mfx_suite("aes128_gcm_1_3");
	struct tlsm_state st;
	int so;

	(void)state;
	mfx_keys(s, 10, &st);
	so = mfx_open(TCP_TXTLS_ENABLE, &st, 0);
	assert_int_equal(mks.creates, 1);
	assert_int_equal(uk_write(so, "x", 1), 1);
	uk_run();
	assert_int_equal(mk.encrypts, 1);
	assert_true(mk.enqueues >= 1);
	assert_int_equal(uk_close(so), 0);
	uk_run();
	assert_int_equal(mks.destroys, 1);
}

#define	T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seam_is_wrapped),
		T(test_write_gcm12),
		T(test_write_gcm13),
		T(test_write_chacha),
		T(test_write_cbc11),
		T(test_write_cbc10),
		T(test_control_record_type),
		T(test_sendfile_separate_output),
		T(test_create_fails),
		T(test_encrypt_fails_kth),
		T(test_encrypt_fails_in_batch),
		T(test_encrypt_fails_sendfile),
		T(test_tls10_order_reverse_io),
		T(test_gcm_order_reverse_io),
		T(test_one_work_item),
	};

	return (cmocka_run_group_tests_name("mock/tx_crypto", tests, NULL,
	    NULL));
}
