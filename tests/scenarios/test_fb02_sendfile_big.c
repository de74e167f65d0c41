/*
 * Field bug 2: zero-copy sendfile corrupted files larger than 128 KiB.
 *
 * Scenario: sendfile() of ranges above 128 KiB that start at offsets
 * that are not page aligned (1, 4095, 4097, one byte short of and past
 * a 5-page mbuf, 12345, ...), so the data crosses page boundaries, the
 * 5-page boundaries of plain unmapped mbufs and the 4-page boundaries of
 * KTLS records at every phase, with and without KTLS, with headers and
 * trailers (sf_hdtr) that shift the records, with the simulated I/O cut
 * into one completion per mbuf and completed last first, over a lossy,
 * reordering, splitting link.  The peer's bytes are compared with the
 * file byte for byte: directly without KTLS, through the model (every
 * record opened, sequence numbers contiguous) or a KTLS receive session
 * with it.
 *
 *   fb02_sendfile_shape        before anything moves: the mbufs the call
 *                              queued have the shape FreeBSD gives them
 *                              (first page partial, then page aligned; at
 *                              most 5 pages, or 4 and one record of at
 *                              most 16 KiB with KTLS), and cover the range
 *   fb02_sendfile_odd_offsets  the whole table, every suite, byte-exact
 */
#include "scenario.h"

#define	FB2_PAGE	4096
#define	FB2_FILE_LEN	(1024 * 1024 + 4097)

struct fb2_range {
	size_t		 off, len;	/* len 0: to the end of the file */
};

static const struct fb2_range fb2_ranges[] = {
	{ 1, 128 * 1024 + 1 },
	{ 4095, 128 * 1024 + 1 },
	{ 4097, 200001 },
	{ 5 * FB2_PAGE - 1, 262147 },
	{ 5 * FB2_PAGE + 1, 300000 },
	{ 12345, 0 },
	{ 4 * FB2_PAGE - 1, 9 * 16384 + 3 },
	{ 0, 128 * 1024 },
	{ 128 * 1024 - 1, 128 * 1024 + 2 },
};
#define	FB2_NRANGES	(sizeof(fb2_ranges) / sizeof(fb2_ranges[0]))

static uint8_t *
fb2_file(int *fd)
{
	uint8_t *file;

	file = malloc(FB2_FILE_LEN);
	ck_assert_ptr_nonnull(file);
	uktest_fill(file, FB2_FILE_LEN, 201, 0);
	*fd = uk_file_create(file, FB2_FILE_LEN);
	ck_assert_int_ge(*fd, 0);
	return (file);
}

static void
fb2_io(int io_mbufs, int reverse)
{

	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.io_mbufs", NULL,
	    &io_mbufs), 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.sendfile.reverse_io", NULL,
	    &reverse), 0);
}

/*
 * The queued mbufs of one sendfile call: _i picks plain (0), a TLS 1.2
 * GCM session (1) or a TLS 1.0 CBC one (2).
 */
START_TEST(fb02_sendfile_shape)
{
	static const char *names[] = { NULL, "aes128_gcm_1_2",
	    "aes256_cbc_1_0_sha1" };
	const struct tlsm_suite *s;
	struct uk_test_mdesc d[64];
	struct tlsm_state keys;
	struct tfx_sink k;
	const struct fb2_range *rg;
	uint8_t *file;
	size_t foff, len, payload, r;
	off_t sent;
	int fd, i, maxpg, n, sndbuf, sv[2];

	file = fb2_file(&fd);
	s = names[_i] != NULL ? sc_suite(names[_i]) : NULL;
	maxpg = s != NULL ? 4 : 5;
	for (r = 0; r < FB2_NRANGES; r++) {
		rg = &fb2_ranges[r];
		len = rg->len != 0 ? rg->len : FB2_FILE_LEN - rg->off;
		if (len > 600000)
			continue;
		tfx_pair(sv);
		if (s != NULL) {
			keys = sc_keys(s, 202);
			sc_enable(sv[0], TCP_TXTLS_ENABLE, &keys, 5);
		}
		sndbuf = 1 << 20;
		ck_assert_int_eq(uk_setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF,
		    &sndbuf, sizeof(sndbuf)), 0);
		ck_assert_int_eq(uk_sendfile(fd, sv[0], (off_t)rg->off,
		    rg->len, NULL, &sent, 0), 0);
		ck_assert_int_eq(sent, (off_t)len);

		/* Nothing has run: every mbuf is queued, not ready. */
		n = uk_test_sndbuf_describe(sv[0], d, 64);
		ck_assert_int_gt(n, 0);
		ck_assert_int_le(n, 64);
		foff = rg->off;
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(d[i].extpg, 1);
			ck_assert_int_eq(d[i].notready, 1);
			ck_assert_int_ge(d[i].npgs, 1);
			ck_assert_int_le(d[i].npgs, maxpg);
			ck_assert_int_eq(d[i].first_off,
			    (int)(foff % FB2_PAGE));
			if (i > 0)
				ck_assert_msg(foff % FB2_PAGE == 0, "range "
				    "%zu: mbuf %d starts at file offset %zu",
				    r, i, foff);
			payload = (size_t)(d[i].len - d[i].hdrlen -
			    d[i].trllen);
			ck_assert_uint_eq(payload, (size_t)(d[i].npgs - 1) *
			    FB2_PAGE + (size_t)d[i].last_len -
			    (size_t)d[i].first_off);
			if (s != NULL) {
				ck_assert_int_eq(d[i].has_tls, 1);
				ck_assert_uint_le(payload, KFX_MAXREC);
				ck_assert_uint_eq(d[i].seqno, 5 + (uint64_t)i);
				ck_assert_int_gt(d[i].hdrlen, 0);
			}
			foff += payload;
		}
		ck_assert_uint_eq(foff, rg->off + len);

		memset(&k, 0, sizeof(k));
		k.fd = sv[1];
		ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
		sc_sink_drain(&k);
		if (s != NULL) {
			ck_assert_uint_eq(sc_model_expect(s, &keys, 5, k.buf,
			    k.len, file + rg->off, len, NULL), (size_t)n);
		} else {
			ck_assert_uint_eq(k.len, len);
			ck_assert_int_eq(memcmp(k.buf, file + rg->off, len), 0);
		}
		tfx_sink_free(&k);
		tfx_finish(sv, 2);
	}
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	free(file);
}
END_TEST

/*
 * _i = suite * FB2_NRANGES + range, then FB2_NRANGES plain runs.  The
 * sendfile call blocks; the idle hook reads the peer meanwhile.
 */
START_TEST(fb02_sendfile_odd_offsets)
{
	static const char hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n";
	static const char trl[] = "\r\n0\r\n\r\n";
	const struct tlsm_suite *s;
	const struct fb2_range *rg;
	struct sc_reader *rd;
	struct uk_ktls_stats st0;
	struct tlsm_state keys;
	struct tfx_sink k;
	struct sf_hdtr h;
	struct iovec hv, tv;
	uint8_t *file, *want;
	size_t len, wlen;
	off_t sent;
	int fd, ri, si, sv[2];
	bool hdtr, rx;

	si = _i / (int)FB2_NRANGES;
	ri = _i % (int)FB2_NRANGES;
	s = si < TLSM_NSUITES ? &tlsm_suites[si] : NULL;
	rg = &fb2_ranges[ri];
	len = rg->len != 0 ? rg->len : FB2_FILE_LEN - rg->off;
	hdtr = _i % 3 == 1;
	rx = s != NULL && rfx_suite_ok(s) && _i % 2 == 1;
	fb2_io(_i % 4 == 0 ? 0 : _i % 4, _i % 5 < 2);
	file = fb2_file(&fd);

	sc_net(2000 + (uint64_t)_i, 1.0, 2.0, 1.0, 30.0, 0);
	tfx_pair(sv);
	if (s != NULL) {
		keys = sc_keys(s, 203 + (uint32_t)si);
		sc_enable(sv[0], TCP_TXTLS_ENABLE, &keys, 77);
		if (rx)
			sc_enable(sv[1], TCP_RXTLS_ENABLE, &keys, 77);
	}
	kfx_stats(&st0);
	rd = sc_reader_new(sv[1]);
	memset(&k, 0, sizeof(k));
	k.fd = sv[1];
	k.step = 7000;
	if (rx)
		uk_net_set_idle(sc_reader_turn, rd);
	else
		uk_net_set_idle(tfx_sink_turn, &k);

	wlen = len + (hdtr ? sizeof(hdr) - 1 + sizeof(trl) - 1 : 0);
	want = malloc(wlen);
	ck_assert_ptr_nonnull(want);
	if (hdtr) {
		memcpy(want, hdr, sizeof(hdr) - 1);
		memcpy(want + sizeof(hdr) - 1, file + rg->off, len);
		memcpy(want + sizeof(hdr) - 1 + len, trl, sizeof(trl) - 1);
		hv.iov_base = (void *)(uintptr_t)hdr;
		hv.iov_len = sizeof(hdr) - 1;
		tv.iov_base = (void *)(uintptr_t)trl;
		tv.iov_len = sizeof(trl) - 1;
		h.headers = &hv;
		h.hdr_cnt = 1;
		h.trailers = &tv;
		h.trl_cnt = 1;
	} else
		memcpy(want, file + rg->off, len);
	ck_assert_msg(uk_sendfile(fd, sv[0], (off_t)rg->off, rg->len,
	    hdtr ? &h : NULL, &sent, 0) == 0, "sendfile: %s", strerror(errno));
	ck_assert_int_eq(sent, (off_t)wlen);
	ck_assert_int_eq(uk_shutdown(sv[0], SHUT_WR), 0);
	uk_net_set_idle(NULL, NULL);

	if (rx) {
		sc_reader_drain(rd);
		ck_assert_int_eq(rd->bad, 0);
		ck_assert_int_eq(rd->got.nerrors, 0);
		ck_assert_uint_eq(rd->got.plain.len, wlen);
		ck_assert_msg(memcmp(rd->got.plain.p, want, wlen) == 0,
		    "%s: plaintext differs", s->name);
	} else {
		sc_sink_drain(&k);
		if (s != NULL) {
			(void)sc_model_expect(s, &keys, 77, k.buf, k.len, want,
			    wlen, NULL);
		} else {
			ck_assert_uint_eq(k.len, wlen);
			ck_assert_msg(memcmp(k.buf, want, wlen) == 0,
			    "plain sendfile: bytes differ");
		}
	}
	sc_assert_clean_stats(&st0);
	tfx_sink_free(&k);
	sc_reader_free(rd);
	free(want);
	free(file);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	tfx_finish(sv, 2);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb02_sendfile_big");
	SC_ADD(s, fb02_sendfile_shape, 3);
	SC_ADD(s, fb02_sendfile_odd_offsets,
	    (TLSM_NSUITES + 1) * (int)FB2_NRANGES);
	return (uktest_run(s));
}
