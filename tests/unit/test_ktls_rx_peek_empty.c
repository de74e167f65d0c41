/*
 * recv(MSG_PEEK) without a control buffer at an empty TLS record.  A
 * read without a control buffer skips empty records, so that 0 means
 * only the end of the stream (field bug 11); a peek must agree with the
 * read that follows it: it looks past empty records to the next data,
 * takes nothing, and returns 0 only at the end.
 */
#include "ktls_rx_fixture.h"

static const char *const pe_suites[] = { "aes128_gcm_1_2", "aes256_gcm_1_3",
    "aes128_cbc_1_2_sha256" };

static void
pe_open(struct rfx_conn *c, int i)
{
	const struct tlsm_suite *s;

	s = tlsm_suite_find(pe_suites[i]);
	ck_assert_ptr_nonnull(s);
	rfx_open(c, s, 1500 + (uint32_t)i, 11);
}

static void
pe_feed(struct rfx_conn *c)
{
	struct rfx_seg g;

	g = rfx_seg(RFX_WHOLE, 0, 0);
	rfx_feed(c, &g, c->wire.len);
	(void)uk_run();
}

/* Empty records, then data: the peek returns the data, takes nothing. */
START_TEST(test_peek_past_empty)
{
	struct tls_get_record tgr;
	struct uk_test_rcvinfo ri;
	struct rfx_conn c;
	uint8_t buf[100], got[100];
	size_t clen;
	ssize_t n;
	int flags;

	pe_open(&c, _i);
	uktest_fill(buf, sizeof(buf), 1501, 0);
	rfx_app(&c, buf, 0);
	rfx_app(&c, buf, 0);
	rfx_app(&c, buf, 30);
	pe_feed(&c);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_int_eq(ri.nrecords, 3);
	memset(got, 0, sizeof(got));
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK), 30);
	ck_assert_mem_eq(got, buf, 30);
	ck_assert_int_eq(uk_test_rcvbuf_info(c.s, &ri), 0);
	ck_assert_int_eq(ri.nrecords, 3);
	/* The empty records are still there for a reader that wants them. */
	n = rfx_recvmsg(c.s, got, sizeof(got), 0, 64, &tgr, &flags, &clen);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_ne(clen, 0);
	ck_assert_int_eq(flags & MSG_EOR, MSG_EOR);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 30);
	rfx_close(&c);
}
END_TEST

/* Only empty records: nothing to peek at yet; the end is 0. */
START_TEST(test_peek_only_empty)
{
	struct tls_get_record tgr;
	struct rfx_conn c;
	uint8_t buf[8], got[8];
	size_t clen;
	int flags;

	pe_open(&c, _i);
	rfx_app(&c, buf, 0);
	rfx_app(&c, buf, 0);
	pe_feed(&c);
	errno = 0;
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK |
	    MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* Blocking, with nobody to deliver more: as if a timeout expired. */
	errno = 0;
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(uk_test_rcv_eof(c.s), 0);
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK), 0);
	/* Nothing was taken. */
	ck_assert_int_eq(rfx_recvmsg(c.s, got, sizeof(got), 0, 64, &tgr,
	    &flags, &clen), 0);
	ck_assert_uint_ne(clen, 0);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 0);
	rfx_close(&c);
}
END_TEST

/* MSG_TLSAPPDATA: past an empty application record to an alert. */
START_TEST(test_peek_empty_then_alert)
{
	static const uint8_t alert[2] = { 1, 0 };
	struct rfx_conn c;
	uint8_t buf[8], got[8];

	pe_open(&c, _i);
	rfx_app(&c, buf, 0);
	(void)rfx_seal(&c, TLS_RLTYPE_ALERT, alert, sizeof(alert), NULL);
	pe_feed(&c);
	errno = 0;
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK |
	    MSG_TLSAPPDATA), -1);
	ck_assert_int_eq(errno, ENXIO);
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK), 2);
	ck_assert_mem_eq(got, alert, 2);
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), 2);
	rfx_close(&c);
}
END_TEST

/* An error after an empty record: the peek reports it, keeps it. */
START_TEST(test_peek_empty_then_error)
{
	struct rfx_conn c;
	uint8_t buf[8], got[8];

	pe_open(&c, _i);
	rfx_app(&c, buf, 0);
	rfx_app(&c, buf, 5);
	/* Flip the last byte (tag or padding) of the second record. */
	c.wire.p[c.wire.len - 1] ^= 1;
	pe_feed(&c);
	errno = 0;
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK |
	    MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EBADMSG);
	errno = 0;
	ck_assert_int_eq(uk_read(c.s, got, sizeof(got)), -1);
	ck_assert_int_eq(errno, EBADMSG);
	errno = 0;
	ck_assert_int_eq(uk_recv(c.s, got, sizeof(got), MSG_PEEK |
	    MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	rfx_close(&c);
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ktls_rx_peek_empty");
	tc = kfx_tcase("peek_empty");
	tcase_add_loop_test(tc, test_peek_past_empty, 0, 3);
	tcase_add_loop_test(tc, test_peek_only_empty, 0, 3);
	tcase_add_loop_test(tc, test_peek_empty_then_alert, 0, 3);
	tcase_add_loop_test(tc, test_peek_empty_then_error, 0, 3);
	suite_add_tcase(s, tc);
	return (uktest_run(s));
}
