/*
 * Unmapped (M_EXTPG) mbufs: a TLS header, up to five pool pages and a
 * trailer, with m_data an offset into their concatenation.
 *
 * mk_extpg() builds one of any shape (first page offset, last page
 * length, header and trailer lengths) over a reference buffer, so each
 * operation can be checked byte for byte against the reference: copy-out
 * across every piece boundary, m_adj moving the offset, m_apply seeing the
 * pieces through the direct map, m_copym and m_split sharing the pages,
 * m_uiotombuf(M_EXTPG) making one mbuf per record, m_mbuftouio, and
 * mb_free_notready.  Pages freed before their time would show: the host
 * fills freed pages with junk and ASan poisons them.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uktest.h"
#include "sys/khost.h"
#include "sys/mbuf.h"
#include "sys/uio.h"
#include "sys/ktls.h"

struct xshape {
	int	npgs;
	int	first_off;
	int	last_len;
	int	hdrlen;
	int	trllen;
};

static int64_t
cnt(enum khost_counter c)
{

	return (khost_counter_get(c));
}

static int64_t
copied(void)
{

	return (khost_counter_get(KC_COPY_BYTES));
}

static int
nmbufs(struct mbuf *m)
{
	int n;

	for (n = 0; m != NULL; m = m->m_next)
		n++;
	return (n);
}

static int
shape_pageslen(const struct xshape *x)
{

	if (x->npgs == 0)
		return (0);
	if (x->npgs == 1)
		return (x->last_len);
	return (PAGE_SIZE - x->first_off + (x->npgs - 2) * PAGE_SIZE +
	    x->last_len);
}

static int
shape_total(const struct xshape *x)
{

	return (x->hdrlen + shape_pageslen(x) + x->trllen);
}

/*
 * An unmapped mbuf of shape x whose bytes (header | pages | trailer) are
 * ref[0..shape_total(x)), filled from stream.  Written directly, so no
 * copy is counted.
 */
static struct mbuf *
mk_extpg(const struct xshape *x, unsigned char *ref, uint32_t stream)
{
	struct mbuf *m;
	uint64_t pa;
	int i, pglen, pgoff, pos, total;

	m = mb_alloc_ext_pgs(M_WAITOK, NULL, 0);
	ck_assert_ptr_nonnull(m);
	total = shape_total(x);
	uktest_fill(ref, total, stream, 0);
	m->m_epg_npgs = x->npgs;
	m->m_epg_1st_off = x->first_off;
	m->m_epg_last_len = x->last_len;
	m->m_epg_hdrlen = x->hdrlen;
	m->m_epg_trllen = x->trllen;
	memcpy(m->m_epg_hdr, ref, x->hdrlen);
	pos = x->hdrlen;
	pgoff = x->first_off;
	for (i = 0; i < x->npgs; i++) {
		pa = khost_page_alloc(0);
		ck_assert_uint_ne(pa, 0);
		m->m_epg_pa[i] = pa;
		pglen = m_epg_pagelen(m, i, pgoff);
		memcpy((char *)khost_page_map(pa) + pgoff, ref + pos, pglen);
		pos += pglen;
		pgoff = 0;
	}
	memcpy(m->m_epg_trail, ref + pos, x->trllen);
	m->m_len = total;
	m->m_ext.ext_size = x->npgs * PAGE_SIZE;
	return (m);
}

/* A plain mbuf holding data[0..len) (len <= MLEN). */
static struct mbuf *
plain_with(int len, int flags, const unsigned char *data)
{
	struct mbuf *m;

	m = (flags & M_PKTHDR) != 0 ? m_gethdr(M_WAITOK, MT_DATA) :
	    m_get(M_WAITOK, MT_DATA);
	memcpy(mtod(m, void *), data, len);
	m->m_len = len;
	if ((flags & M_PKTHDR) != 0)
		m->m_pkthdr.len = len;
	return (m);
}

/* The whole chain through m_copydata; the copy counter is left as it was. */
static void
chain_bytes(struct mbuf *m, unsigned char *buf)
{
	int64_t c0;
	int len;

	c0 = copied();
	len = m_length(m, NULL);
	m_copydata(m, 0, len, (caddr_t)buf);
	ck_assert_int_eq(copied() - c0, len);
}

static const struct xshape shapes[] = {
	{ 5, 0, 4096, 0, 0 },		/* five whole pages */
	{ 5, 1, 1, 13, 16 },		/* odd ends, GCM 1.2 framing */
	{ 5, 4095, 4096, 23, 64 },	/* one byte in page 0, full tail */
	{ 5, 1234, 777, 5, 17 },	/* TLS 1.3 framing */
	{ 4, 0, 4096, 13, 16 },		/* a 16 KiB record */
	{ 1, 4000, 96, 13, 16 },	/* one page, ends on its end */
	{ 1, 1, 4094, 0, 0 },
	{ 1, 0, 4096, 5, 0 },
	{ 2, 4095, 1, 0, 64 },		/* two bytes over a page boundary */
	{ 0, 0, 0, 5, 16 },		/* empty record, framed */
	{ 0, 0, 0, 0, 0 },		/* empty record, unframed */
};

/* Offsets where a piece starts or ends, +-1, clipped to [0, total]. */
static int
boundary_points(const struct xshape *x, int *pts)
{
	int b[MBUF_PEXT_MAX_PGS + 4], d, i, j, n, nb, pos, total;

	total = shape_total(x);
	nb = 0;
	b[nb++] = 0;
	pos = x->hdrlen;
	b[nb++] = pos;
	for (i = 0; i < x->npgs; i++) {
		pos += i == x->npgs - 1 ? x->last_len :
		    (i == 0 ? PAGE_SIZE - x->first_off : PAGE_SIZE);
		b[nb++] = pos;
	}
	b[nb++] = total;
	n = 0;
	for (i = 0; i < nb; i++) {
		for (d = -1; d <= 1; d++) {
			pos = b[i] + d;
			if (pos < 0 || pos > total)
				continue;
			for (j = 0; j < n && pts[j] != pos; j++)
				;
			if (j == n)
				pts[n++] = pos;
		}
	}
	return (n);
}

/* ---- allocation ------------------------------------------------------- */

static int ext_free_calls;

static void
counting_ext_free(struct mbuf *m)
{

	ext_free_calls++;
	mb_free_extpg(m);
}

START_TEST(test_alloc_ext_pgs)
{
	struct mbuf *m, *c;

	m = mb_alloc_ext_pgs(M_WAITOK, NULL, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->m_flags, M_EXT | M_EXTPG);
	ck_assert_int_eq(m->m_type, MT_DATA);
	ck_assert_int_eq(m->m_ext.ext_type, EXT_PGS);
	ck_assert_int_eq(m->m_ext.ext_flags, EXT_FLAG_EMBREF);
	ck_assert_int_eq(m->m_ext.ext_size, 0);
	ck_assert_ptr_eq(m->m_ext.ext_free, mb_free_extpg);
	ck_assert_uint_eq(mtod(m, vm_offset_t), 0);
	ck_assert_int_eq(m->m_len, 0);
	ck_assert_int_eq(m->m_epg_npgs, 0);
	ck_assert_int_eq(m->m_epg_nrdy, 0);
	ck_assert_int_eq(m->m_epg_hdrlen, 0);
	ck_assert_int_eq(m->m_epg_trllen, 0);
	ck_assert_int_eq(m->m_epg_flags, 0);
	ck_assert_ptr_null(m->m_epg_tls);
	ck_assert_ptr_null(m->m_epg_so);
	ck_assert_uint_eq(m_extrefcnt(m), 1);
	ck_assert(!M_WRITABLE(m));
	ck_assert_int_eq(M_LEADINGSPACE(m), 0);
	ck_assert_int_eq(M_TRAILINGSPACE(m), 0);
	ck_assert_int_eq(cnt(KC_MBUF), 1);
	ck_assert_int_eq(cnt(KC_EXTPG), 1);
	m_free(m);
	ck_assert_int_eq(cnt(KC_MBUF), 0);
	ck_assert_int_eq(cnt(KC_EXTPG), 0);

	/* Extra flags stick; a given ext_free runs once, at the last ref. */
	m = mb_alloc_ext_pgs(M_NOWAIT, counting_ext_free, M_RDONLY);
	ck_assert_int_eq(m->m_flags, M_EXT | M_EXTPG | M_RDONLY);
	m->m_epg_pa[0] = khost_page_alloc(0);
	m->m_epg_npgs = 1;
	m->m_epg_last_len = 10;
	m->m_len = 10;
	c = m_copym(m, 0, M_COPYALL, M_WAITOK);
	ck_assert_int_eq(c->m_flags, M_EXT | M_EXTPG | M_RDONLY);
	ck_assert_ptr_eq(c->m_ext.ext_free, counting_ext_free);
	m_free(m);
	ck_assert_int_eq(ext_free_calls, 0);
	ck_assert_int_eq(cnt(KC_PAGE), 1);
	m_free(c);
	ck_assert_int_eq(ext_free_calls, 1);

	/* M_NOWAIT failure. */
	uk_fail_nth_alloc(1);
	ck_assert_ptr_null(mb_alloc_ext_pgs(M_NOWAIT, NULL, 0));
	ck_assert(uk_fail_fired());
}
END_TEST

/* ---- copy-out ----------------------------------------------------------- */

START_TEST(test_copydata_boundaries)
{
	unsigned char *ref, *out;
	const struct xshape *x;
	struct mbuf *m;
	int pts[3 * (MBUF_PEXT_MAX_PGS + 4)];
	int i, j, n, total;
	int64_t c0;

	ref = malloc(MBUF_PEXT_MAX_BYTES);
	out = malloc(MBUF_PEXT_MAX_BYTES + 1);
	for (x = shapes; x < shapes + nitems(shapes); x++) {
		m = mk_extpg(x, ref, (uint32_t)(x - shapes));
		total = shape_total(x);
		n = boundary_points(x, pts);
		for (i = 0; i < n; i++) {
			for (j = 0; j < n; j++) {
				if (pts[j] < pts[i])
					continue;
				memset(out, 0xee, total + 1);
				c0 = copied();
				m_copydata(m, pts[i], pts[j] - pts[i],
				    (caddr_t)out);
				ck_assert_int_eq(copied() - c0,
				    pts[j] - pts[i]);
				ck_assert_mem_eq(out, ref + pts[i],
				    pts[j] - pts[i]);
				ck_assert_uint_eq(out[pts[j] - pts[i]], 0xee);
			}
		}
		/* The direct entry point, on the whole mbuf. */
		c0 = copied();
		ck_assert_int_eq(m_unmapped_copydata(m, 0, total,
		    (caddr_t)out), 0);
		ck_assert_int_eq(copied() - c0, total);
		ck_assert_mem_eq(out, ref, total);
		m_free(m);
		uktest_assert_no_leaks();
	}
	free(ref);
	free(out);
}
END_TEST

START_TEST(test_copydata_mixed_chain)
{
	static const struct xshape xa = { 5, 1234, 777, 13, 16 };
	static const struct xshape xb = { 0, 0, 0, 5, 16 };
	unsigned char *ref, *want, *out;
	struct mbuf *m;
	int alen, blen, len, off, total;
	int64_t c0;

	ref = malloc(MBUF_PEXT_MAX_BYTES);
	want = malloc(3 * MBUF_PEXT_MAX_BYTES);
	out = malloc(3 * MBUF_PEXT_MAX_BYTES);
	/* plain 7 | unmapped A | plain 100 | unmapped B */
	uktest_fill(want, 7, 9, 0);
	m = plain_with(7, M_PKTHDR, want);
	m->m_next = mk_extpg(&xa, ref, 1);
	alen = shape_total(&xa);
	memcpy(want + 7, ref, alen);
	uktest_fill(want + 7 + alen, 100, 10, 0);
	m->m_next->m_next = plain_with(100, 0, want + 7 + alen);
	m->m_next->m_next->m_next = mk_extpg(&xb, ref, 2);
	blen = shape_total(&xb);
	memcpy(want + 7 + alen + 100, ref, blen);
	total = 7 + alen + 100 + blen;
	ck_assert_int_eq(m_length(m, NULL), total);
	for (off = 0; off <= total; off += 61) {
		for (len = 0; off + len <= total; len += 1237) {
			c0 = copied();
			m_copydata(m, off, len, (caddr_t)out);
			ck_assert_int_eq(copied() - c0, len);
			ck_assert_mem_eq(out, want + off, len);
		}
		len = total - off;
		m_copydata(m, off, len, (caddr_t)out);
		ck_assert_mem_eq(out, want + off, len);
	}
	m_freem(m);
	free(ref);
	free(want);
	free(out);
}
END_TEST

/* ---- m_adj -------------------------------------------------------------- */

START_TEST(test_adj_unmapped)
{
	static const struct xshape x = { 3, 100, 2000, 13, 16 };
	unsigned char ref[3 * PAGE_SIZE + 100], out[3 * PAGE_SIZE + 100];
	struct mbuf *m, *c;
	int pts[3 * (MBUF_PEXT_MAX_PGS + 4)];
	int i, j, k, n, total;
	int64_t c0;
	static const int tails[] = { 0, 1, 15, 16, 17, 2000, 2001 };

	total = shape_total(&x);
	n = boundary_points(&x, pts);
	for (i = 0; i < n; i++) {
		k = pts[i];
		for (j = 0; j < (int)nitems(tails); j++) {
			m = mk_extpg(&x, ref, 3);
			m_adj(m, k);
			ck_assert_int_eq(m->m_len, total - k);
			if (k < total)
				ck_assert_uint_eq(mtod(m, vm_offset_t), k);
			if (total - k < tails[j]) {
				m_free(m);
				continue;
			}
			m_adj(m, -tails[j]);
			ck_assert_int_eq(m->m_len, total - k - tails[j]);
			chain_bytes(m, out);
			ck_assert_mem_eq(out, ref + k, m->m_len);

			/* A copy keeps the offset and sees the same bytes. */
			if (m->m_len > 0) {
				c0 = copied();
				c = m_copym(m, 0, M_COPYALL, M_WAITOK);
				ck_assert_int_eq(copied(), c0);
				ck_assert_uint_eq(mtod(c, vm_offset_t), k);
				ck_assert_int_eq(c->m_len, m->m_len);
				chain_bytes(c, out);
				ck_assert_mem_eq(out, ref + k, c->m_len);
				m_free(c);
			}
			m_free(m);
			uktest_assert_no_leaks();
		}
	}
}
END_TEST

START_TEST(test_adj_unmapped_chain)
{
	static const struct xshape x = { 2, 10, 20, 13, 16 };
	static unsigned char ref[2][2 * PAGE_SIZE];
	static unsigned char want[4 * PAGE_SIZE], out[4 * PAGE_SIZE];
	struct mbuf *m;
	int len;

	m = mk_extpg(&x, ref[0], 1);
	m->m_next = mk_extpg(&x, ref[1], 2);
	len = shape_total(&x);
	memcpy(want, ref[0], len);
	memcpy(want + len, ref[1], len);
	/* Past the whole first mbuf and into the second's pages. */
	m_adj(m, len + 20);
	ck_assert_int_eq(m->m_len, 0);
	ck_assert_uint_eq(mtod(m->m_next, vm_offset_t), 20);
	ck_assert_int_eq(m_length(m, NULL), len - 20);
	/* From the tail, into the second's pages: the trailer goes. */
	m_adj(m, -(16 + 5));
	ck_assert_int_eq(m->m_next->m_len, len - 20 - 21);
	chain_bytes(m, out);
	ck_assert_mem_eq(out, want + len + 20, len - 41);
	/* Trimming more than the last mbuf holds frees it. */
	m_adj(m, -(len - 40));
	ck_assert_int_eq(m_length(m, NULL), 0);
	ck_assert_int_eq(nmbufs(m), 1);
	ck_assert_int_eq(cnt(KC_EXTPG), 1);
	ck_assert_int_eq(cnt(KC_PAGE), 2);
	m_freem(m);
}
END_TEST

/* ---- m_apply ------------------------------------------------------------ */

#define	MAXPIECES	16

struct piece_log {
	void	*p[MAXPIECES];
	u_int	 len[MAXPIECES];
	int	 n;
	int	 stop_at;
	unsigned char buf[MBUF_PEXT_MAX_BYTES * 2];
	int	 total;
};

static int
piece_cb(void *arg, void *p, u_int len)
{
	struct piece_log *pl = arg;

	ck_assert_int_lt(pl->n, MAXPIECES);
	pl->p[pl->n] = p;
	pl->len[pl->n] = len;
	pl->n++;
	memcpy(pl->buf + pl->total, p, len);
	pl->total += len;
	return (pl->n == pl->stop_at ? 7 : 0);
}

START_TEST(test_apply_pieces)
{
	static const struct xshape x = { 5, 1000, 333, 13, 16 };
	static const u_int want_len[] = { 13, 3096, 4096, 4096, 4096, 333,
	    16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES];
	static struct piece_log pl;
	struct mbuf *m;
	int i, total;

	m = mk_extpg(&x, ref, 4);
	total = shape_total(&x);

	memset(&pl, 0, sizeof(pl));
	ck_assert_int_eq(m_apply(m, 0, total, piece_cb, &pl), 0);
	ck_assert_int_eq(pl.n, 7);
	for (i = 0; i < 7; i++)
		ck_assert_uint_eq(pl.len[i], want_len[i]);
	/* Header and trailer in place; pages through the direct map. */
	ck_assert_ptr_eq(pl.p[0], m->m_epg_hdr);
	ck_assert_ptr_eq(pl.p[1],
	    (char *)khost_page_map(m->m_epg_pa[0]) + 1000);
	for (i = 1; i < 5; i++)
		ck_assert_ptr_eq(pl.p[i + 1], khost_page_map(m->m_epg_pa[i]));
	ck_assert_ptr_eq(pl.p[6], m->m_epg_trail);
	ck_assert_int_eq(pl.total, total);
	ck_assert_mem_eq(pl.buf, ref, total);

	/* A range over the first page boundary: two pieces. */
	memset(&pl, 0, sizeof(pl));
	ck_assert_int_eq(m_apply(m, 13 + 3096 - 10, 20, piece_cb, &pl), 0);
	ck_assert_int_eq(pl.n, 2);
	ck_assert_ptr_eq(pl.p[0],
	    (char *)khost_page_map(m->m_epg_pa[0]) + 1000 + 3086);
	ck_assert_uint_eq(pl.len[0], 10);
	ck_assert_ptr_eq(pl.p[1], khost_page_map(m->m_epg_pa[1]));
	ck_assert_uint_eq(pl.len[1], 10);

	/* Only the trailer. */
	memset(&pl, 0, sizeof(pl));
	ck_assert_int_eq(m_apply(m, total - 5, 5, piece_cb, &pl), 0);
	ck_assert_int_eq(pl.n, 1);
	ck_assert_ptr_eq(pl.p[0], m->m_epg_trail + 11);

	/* A non-zero return stops the walk. */
	memset(&pl, 0, sizeof(pl));
	pl.stop_at = 3;
	ck_assert_int_eq(m_apply(m, 0, total, piece_cb, &pl), 7);
	ck_assert_int_eq(pl.n, 3);

	/* After m_adj the walk starts at the new offset. */
	m_adj(m, 20);
	memset(&pl, 0, sizeof(pl));
	ck_assert_int_eq(m_apply(m, 0, m->m_len, piece_cb, &pl), 0);
	ck_assert_int_eq(pl.n, 6);
	ck_assert_ptr_eq(pl.p[0],
	    (char *)khost_page_map(m->m_epg_pa[0]) + 1000 + 7);
	ck_assert_uint_eq(pl.len[0], 3096 - 7);
	ck_assert_mem_eq(pl.buf, ref + 20, total - 20);

	/* m_apply reads in place: nothing was copied. */
	ck_assert_int_eq(copied(), 0);
	m_free(m);
}
END_TEST

START_TEST(test_apply_mixed_chain)
{
	static const struct xshape x = { 2, 4000, 100, 5, 16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES], want[2 * PAGE_SIZE];
	static struct piece_log pl;
	struct mbuf *m;
	int xl;

	uktest_fill(want, 50, 5, 0);
	m = plain_with(50, M_PKTHDR, want);
	m->m_next = mk_extpg(&x, ref, 6);
	xl = shape_total(&x);
	memcpy(want + 50, ref, xl);
	memset(&pl, 0, sizeof(pl));
	ck_assert_int_eq(m_apply(m, 40, 10 + xl - 3, piece_cb, &pl), 0);
	/* plain tail, header, page 0, page 1, trailer (13 of 16) */
	ck_assert_int_eq(pl.n, 5);
	ck_assert_uint_eq(pl.len[0], 10);
	ck_assert_uint_eq(pl.len[1], 5);
	ck_assert_uint_eq(pl.len[2], 96);
	ck_assert_uint_eq(pl.len[3], 100);
	ck_assert_uint_eq(pl.len[4], 13);
	ck_assert_mem_eq(pl.buf, want + 40, 10 + xl - 3);
	m_freem(m);
}
END_TEST

/* ---- sharing: m_copym, m_split, m_cat, m_pullup -------------------------- */

START_TEST(test_copym_shares_pages)
{
	static const struct xshape x = { 5, 1234, 777, 13, 16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES], out[MBUF_PEXT_MAX_BYTES];
	struct mbuf *m, *c;
	int order, i, total, sentinel;
	int64_t c0;

	total = shape_total(&x);
	for (order = 0; order < 2; order++) {
		m = mk_extpg(&x, ref, 7);
		m->m_epg_flags = EPG_FLAG_ANON;
		m->m_epg_record_type = 23;
		m->m_epg_seqno = 42;
		m->m_epg_enc_cnt = 3;
		m->m_epg_nrdy = 5;
		m->m_epg_so = (struct socket *)&sentinel;
		c0 = copied();
		c = m_copym(m, 0, M_COPYALL, M_WAITOK);
		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(copied(), c0);
		ck_assert_int_eq(c->m_flags, M_EXT | M_EXTPG);
		ck_assert_int_eq(c->m_len, total);
		ck_assert_uint_eq(mtod(c, vm_offset_t), 0);
		ck_assert_int_eq(c->m_epg_npgs, 5);
		ck_assert_int_eq(c->m_epg_nrdy, 5);
		ck_assert_int_eq(c->m_epg_1st_off, 1234);
		ck_assert_int_eq(c->m_epg_last_len, 777);
		ck_assert_int_eq(c->m_epg_hdrlen, 13);
		ck_assert_int_eq(c->m_epg_trllen, 16);
		ck_assert_int_eq(c->m_epg_flags, EPG_FLAG_ANON);
		ck_assert_int_eq(c->m_epg_record_type, 23);
		ck_assert_uint_eq(c->m_epg_seqno, 42);
		ck_assert_int_eq(c->m_epg_enc_cnt, 3);
		ck_assert_ptr_eq(c->m_epg_so, (void *)&sentinel);
		for (i = 0; i < 5; i++) {
			ck_assert_uint_eq(c->m_epg_pa[i], m->m_epg_pa[i]);
			/* Shared through the mbuf count, not page holds. */
			ck_assert_int_eq(khost_page_refs(m->m_epg_pa[i]), 1);
		}
		ck_assert_mem_eq(c->m_epg_hdr, m->m_epg_hdr, 13);
		ck_assert_mem_eq(c->m_epg_trail, m->m_epg_trail, 16);
		ck_assert_uint_eq(m_extrefcnt(m), 2);
		ck_assert_uint_eq(m_extrefcnt(c), 2);
		ck_assert_int_eq(cnt(KC_MBUF), 2);
		ck_assert_int_eq(cnt(KC_EXTPG), 2);
		ck_assert_int_eq(cnt(KC_PAGE), 5);
		m->m_epg_nrdy = 0;
		c->m_epg_nrdy = 0;
		if (order == 0) {
			m_free(m);
			/* The owner stays as the count's home; pages too. */
			ck_assert_int_eq(cnt(KC_MBUF), 2);
			ck_assert_int_eq(cnt(KC_EXTPG), 2);
			ck_assert_int_eq(cnt(KC_PAGE), 5);
			ck_assert_uint_eq(m_extrefcnt(c), 1);
			chain_bytes(c, out);
			ck_assert_mem_eq(out, ref, total);
			m_free(c);
		} else {
			m_free(c);
			ck_assert_int_eq(cnt(KC_MBUF), 1);
			ck_assert_int_eq(cnt(KC_EXTPG), 1);
			ck_assert_int_eq(cnt(KC_PAGE), 5);
			chain_bytes(m, out);
			ck_assert_mem_eq(out, ref, total);
			m_free(m);
		}
		ck_assert_int_eq(cnt(KC_PAGE), 0);
		uktest_assert_no_leaks();
	}
}
END_TEST

START_TEST(test_copym_unmapped_ranges)
{
	static const struct xshape xa = { 5, 1, 1, 13, 16 };
	static const struct xshape xb = { 3, 0, 4096, 5, 17 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES];
	static unsigned char want[2 * MBUF_PEXT_MAX_BYTES];
	static unsigned char out[2 * MBUF_PEXT_MAX_BYTES];
	struct mbuf *m, *c;
	int al, bl, len, off, span;
	int64_t c0;

	m = mk_extpg(&xa, ref, 1);
	al = shape_total(&xa);
	memcpy(want, ref, al);
	m->m_next = mk_extpg(&xb, ref, 2);
	bl = shape_total(&xb);
	memcpy(want + al, ref, bl);
	for (off = 0; off < al + bl; off += 997) {
		for (len = 1; off + len <= al + bl; len += 2999) {
			c0 = copied();
			c = m_copym(m, off, len, M_NOWAIT);
			ck_assert_ptr_nonnull(c);
			ck_assert_int_eq(copied(), c0);
			span = (off < al) + (off + len > al);
			ck_assert_int_eq(nmbufs(c), span);
			ck_assert_int_eq(cnt(KC_EXTPG), 2 + span);
			ck_assert_int_eq(m_length(c, NULL), len);
			ck_assert_uint_eq(mtod(c, vm_offset_t),
			    off < al ? off : off - al);
			chain_bytes(c, out);
			ck_assert_mem_eq(out, want + off, len);
			m_freem(c);
		}
	}
	ck_assert_int_eq(cnt(KC_PAGE), 8);
	m_freem(m);
}
END_TEST

START_TEST(test_split_unmapped)
{
	static const struct xshape x = { 3, 0, 4096, 13, 16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES], out[MBUF_PEXT_MAX_BYTES];
	unsigned char hb[10];
	struct mbuf *m, *t, *h;
	int total;
	int64_t c0;

	total = shape_total(&x);

	/* Plain chain: the tail shares the pages at an offset. */
	m = mk_extpg(&x, ref, 1);
	t = m_split(m, 5000, M_WAITOK);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(copied(), 0);
	ck_assert_int_eq(t->m_flags, M_EXT | M_EXTPG);
	ck_assert_int_eq(m->m_len, 5000);
	ck_assert_int_eq(t->m_len, total - 5000);
	ck_assert_uint_eq(mtod(t, vm_offset_t), 5000);
	ck_assert_uint_eq(m_extrefcnt(m), 2);
	chain_bytes(t, out);
	ck_assert_mem_eq(out, ref + 5000, total - 5000);
	chain_bytes(m, out);
	ck_assert_mem_eq(out, ref, 5000);
	m_free(m);
	chain_bytes(t, out);
	ck_assert_mem_eq(out, ref + 5000, total - 5000);
	m_free(t);
	uktest_assert_no_leaks();

	/*
	 * A packet led by a header mbuf: the packet header cannot go on an
	 * unmapped mbuf, so the tail gets an empty header mbuf in front.
	 */
	uktest_fill(hb, sizeof(hb), 3, 0);
	h = plain_with(10, M_PKTHDR, hb);
	h->m_next = mk_extpg(&x, ref, 1);
	h->m_pkthdr.len = 10 + total;
	c0 = copied();
	t = m_split(h, 10 + 5000, M_WAITOK);
	ck_assert_int_eq(copied(), c0);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->m_flags, M_PKTHDR);
	ck_assert_int_eq(t->m_len, 0);
	ck_assert_int_eq(t->m_pkthdr.len, total - 5000);
	ck_assert_int_eq(h->m_pkthdr.len, 10 + 5000);
	ck_assert_int_eq(t->m_next->m_flags, M_EXT | M_EXTPG);
	ck_assert_uint_eq(mtod(t->m_next, vm_offset_t), 5000);
	ck_assert_int_eq(m_length(h, NULL), 10 + 5000);
	chain_bytes(t, out);
	ck_assert_mem_eq(out, ref + 5000, total - 5000);
	m_freem(h);
	m_freem(t);
	uktest_assert_no_leaks();

	/* Split exactly at the unmapped mbuf: it moves behind the header. */
	h = plain_with(10, M_PKTHDR, hb);
	h->m_next = m = mk_extpg(&x, ref, 1);
	h->m_pkthdr.len = 10 + total;
	t = m_split(h, 10, M_WAITOK);
	ck_assert_ptr_eq(t->m_next, m);
	ck_assert_ptr_null(h->m_next);
	ck_assert_int_eq(t->m_pkthdr.len, total);
	ck_assert_uint_eq(m_extrefcnt(m), 1);
	m_freem(h);
	m_freem(t);
}
END_TEST

START_TEST(test_cat_links_unmapped)
{
	static const struct xshape x = { 1, 0, 100, 5, 16 };
	static unsigned char ref[PAGE_SIZE];
	struct mbuf *a, *b;

	uktest_fill(ref, 10, 1, 0);
	a = plain_with(10, 0, ref);
	b = mk_extpg(&x, ref, 2);
	m_cat(a, b);
	ck_assert_ptr_eq(a->m_next, b);
	b = plain_with(10, 0, ref);
	m_cat(a, b);
	/* An unmapped tail is never written into. */
	ck_assert_ptr_eq(a->m_next->m_next, b);
	ck_assert_int_eq(copied(), 0);
	m_freem(a);
}
END_TEST

START_TEST(test_pullup_from_unmapped)
{
	static const struct xshape x = { 2, 0, 4096, 13, 16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES], want[3 * PAGE_SIZE];
	static unsigned char out[3 * PAGE_SIZE];
	struct mbuf *m, *n;
	int xl;

	m = mk_extpg(&x, ref, 1);
	xl = shape_total(&x);
	memcpy(want, ref, xl);
	uktest_fill(want + xl, 50, 2, 0);
	m->m_next = plain_with(50, 0, want + xl);
	n = m_pullup(m, 40);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(copied(), 40);
	ck_assert_int_eq(n->m_flags & (M_EXT | M_EXTPG), 0);
	ck_assert_int_eq(n->m_len, 40);
	ck_assert_mem_eq(mtod(n, void *), want, 40);
	ck_assert_ptr_eq(n->m_next, m);
	ck_assert_uint_eq(mtod(m, vm_offset_t), 40);
	ck_assert_int_eq(m->m_len, xl - 40);
	chain_bytes(n, out);
	ck_assert_mem_eq(out, want, xl + 50);
	m_freem(n);
}
END_TEST

/* ---- m_uiotombuf(M_EXTPG) / m_mbuftouio ---------------------------------- */

static void
uio_over(struct uio *uio, struct iovec iov[3], void *buf, size_t len,
    enum uio_rw rw)
{
	size_t a, b;

	a = len / 3 + 1 < len ? len / 3 + 1 : len;
	b = a + len / 5 < len ? a + len / 5 : len;
	iov[0].iov_base = buf;
	iov[0].iov_len = a;
	iov[1].iov_base = (char *)buf + a;
	iov[1].iov_len = b - a;
	iov[2].iov_base = (char *)buf + b;
	iov[2].iov_len = len - b;
	uio->uio_iov = iov;
	uio->uio_iovcnt = 3;
	uio->uio_offset = 0;
	uio->uio_resid = len;
	uio->uio_segflg = UIO_USERSPACE;
	uio->uio_rw = rw;
}

static unsigned char src[70000], dst[70000];

/* Check one m_uiotombuf(M_EXTPG) result of size bytes, records of maxseg. */
static void
check_records(struct mbuf *m, int size, int maxseg)
{
	struct mbuf *mb;
	int i, len, nm, npgs, pages;

	nm = size == 0 ? 1 : (size + maxseg - 1) / maxseg;
	ck_assert_int_eq(nmbufs(m), nm);
	pages = 0;
	for (mb = m, i = 0; mb != NULL; mb = mb->m_next, i++) {
		len = size - i * maxseg < maxseg ? size - i * maxseg : maxseg;
		npgs = (len + PAGE_SIZE - 1) / PAGE_SIZE;
		ck_assert_int_eq(mb->m_flags, M_EXT | M_EXTPG);
		ck_assert_int_eq(mb->m_len, len);
		ck_assert_uint_eq(mtod(mb, vm_offset_t), 0);
		ck_assert_int_eq(mb->m_epg_npgs, npgs);
		ck_assert_int_eq(mb->m_epg_1st_off, 0);
		if (npgs > 0)
			ck_assert_int_eq(mb->m_epg_last_len,
			    len - (npgs - 1) * PAGE_SIZE);
		ck_assert_int_eq(mb->m_epg_hdrlen, 0);
		ck_assert_int_eq(mb->m_epg_trllen, 0);
		ck_assert_int_eq(mb->m_epg_nrdy, 0);
		ck_assert_int_eq(mb->m_epg_flags, EPG_FLAG_ANON);
		ck_assert_ptr_null(mb->m_epg_tls);
		ck_assert_int_eq(mb->m_ext.ext_size, npgs * PAGE_SIZE);
		ck_assert_ptr_eq(mb->m_ext.ext_free, mb_free_extpg);
		pages += npgs;
	}
	ck_assert_int_eq(cnt(KC_EXTPG), nm);
	ck_assert_int_eq(cnt(KC_MBUF), nm);
	ck_assert_int_eq(cnt(KC_PAGE), pages);
	ck_assert_int_eq(m_length(m, NULL), size);
	chain_bytes(m, dst);
	ck_assert_mem_eq(dst, src, size);
}

START_TEST(test_uiotombuf_extpg_sizes)
{
	static const int sizes[] = { 0, 1, 16383, 16384, 16385, 65536 };
	struct iovec iov[3];
	struct uio uio;
	struct mbuf *m;
	size_t i;
	int64_t c0;

	uktest_fill(src, sizeof(src), 11, 0);
	for (i = 0; i < nitems(sizes); i++) {
		uio_over(&uio, iov, src, sizes[i], UIO_WRITE);
		c0 = copied();
		m = m_uiotombuf(&uio, M_WAITOK, 0, 16384, M_EXTPG);
		ck_assert_ptr_nonnull(m);
		/* Each byte was copied once, into the pages. */
		ck_assert_int_eq(copied() - c0, sizes[i]);
		ck_assert_int_eq(uio.uio_resid, 0);
		ck_assert_int_eq(uio.uio_offset, sizes[i]);
		check_records(m, sizes[i], 16384);
		m_freem(m);
		uktest_assert_no_leaks();
	}

	/* maxseg 0: as many pages as an mbuf holds. */
	uio_over(&uio, iov, src, 65536, UIO_WRITE);
	m = m_uiotombuf(&uio, M_NOWAIT, 0, 0, M_EXTPG);
	check_records(m, 65536, MBUF_PEXT_MAX_PGS * PAGE_SIZE);
	m_freem(m);

	/* len takes only part of the uio. */
	uio_over(&uio, iov, src, 65536, UIO_WRITE);
	m = m_uiotombuf(&uio, M_WAITOK, 20000, 16384, M_EXTPG);
	check_records(m, 20000, 16384);
	ck_assert_int_eq(uio.uio_resid, 65536 - 20000);
	m_freem(m);

	/* M_WAITOK pages never take part in failure injection. */
	uio_over(&uio, iov, src, 20000, UIO_WRITE);
	uk_fail_nth_alloc(1);
	m = m_uiotombuf(&uio, M_WAITOK, 0, 16384, M_EXTPG);
	ck_assert(!uk_fail_fired());
	uk_fail_nth_alloc(0);
	m_freem(m);
}
END_TEST

START_TEST(test_uiotombuf_extpg_nowait_failures)
{
	static const struct {
		int	size;
		int	allocs;		/* mbufs + pages */
	} t[] = {
		{ 0, 1 }, { 1, 2 }, { 16384, 5 }, { 16385, 7 }, { 65536, 20 },
	};
	struct iovec iov[3];
	struct uio uio;
	struct mbuf *m;
	uint64_t n;
	size_t i;
	int fired;

	uktest_fill(src, sizeof(src), 12, 0);
	for (i = 0; i < nitems(t); i++) {
		for (n = 1;; n++) {
			uio_over(&uio, iov, src, t[i].size, UIO_WRITE);
			uk_fail_nth_alloc(n);
			m = m_uiotombuf(&uio, M_NOWAIT, 0, 16384, M_EXTPG);
			fired = uk_fail_fired();
			uk_fail_nth_alloc(0);
			if (fired) {
				ck_assert_ptr_null(m);
				uktest_assert_no_leaks();
				continue;
			}
			ck_assert_ptr_nonnull(m);
			check_records(m, t[i].size, 16384);
			m_freem(m);
			uktest_assert_no_leaks();
			break;
		}
		ck_assert_uint_eq(n, t[i].allocs + 1);
	}
}
END_TEST

START_TEST(test_mbuftouio_unmapped)
{
	static const struct xshape xa = { 5, 1234, 777, 13, 16 };
	static const struct xshape xb = { 0, 0, 0, 5, 16 };
	static const struct xshape xc = { 1, 1, 4094, 0, 0 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES];
	static unsigned char want[3 * MBUF_PEXT_MAX_BYTES];
	static unsigned char out[3 * MBUF_PEXT_MAX_BYTES];
	struct iovec iov[3];
	struct uio uio;
	struct mbuf *m, *last;
	int len, total;
	int64_t c0;

	m = mk_extpg(&xa, ref, 1);
	total = shape_total(&xa);
	memcpy(want, ref, total);
	uktest_fill(want + total, 100, 2, 0);
	m->m_next = plain_with(100, 0, want + total);
	total += 100;
	m->m_next->m_next = mk_extpg(&xb, ref, 3);
	memcpy(want + total, ref, shape_total(&xb));
	total += shape_total(&xb);
	(void)m_length(m, &last);
	last->m_next = mk_extpg(&xc, ref, 4);
	m_adj(last->m_next, 7);		/* an offset in the last one */
	memcpy(want + total, ref + 7, shape_total(&xc) - 7);
	total += shape_total(&xc) - 7;
	ck_assert_int_eq(m_length(m, NULL), total);

	memset(out, 0, sizeof(out));
	uio_over(&uio, iov, out, total, UIO_READ);
	c0 = copied();
	ck_assert_int_eq(m_mbuftouio(&uio, m, 0), 0);
	ck_assert_int_eq(copied() - c0, total);
	ck_assert_int_eq(uio.uio_resid, 0);
	ck_assert_mem_eq(out, want, total);

	/* len stops it inside the pages. */
	for (len = 1; len < total; len += 3001) {
		memset(out, 0, sizeof(out));
		uio_over(&uio, iov, out, total, UIO_READ);
		c0 = copied();
		ck_assert_int_eq(m_mbuftouio(&uio, m, len), 0);
		ck_assert_int_eq(copied() - c0, len);
		ck_assert_int_eq(uio.uio_resid, total - len);
		ck_assert_mem_eq(out, want, len);
		ck_assert_uint_eq(out[len], 0);
	}
	m_freem(m);
}
END_TEST

/* ---- not-ready units and the session reference --------------------------- */

START_TEST(test_free_notready)
{
	static const struct xshape x3 = { 3, 0, 4096, 13, 16 };
	static const struct xshape x2 = { 2, 100, 50, 13, 16 };
	static const struct xshape x0 = { 0, 0, 0, 5, 16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES];
	struct mbuf *a, *p, *b;

	a = mk_extpg(&x3, ref, 1);
	a->m_epg_nrdy = 3;
	a->m_next = p = plain_with(10, 0, ref);
	p->m_next = b = mk_extpg(&x2, ref, 2);
	b->m_epg_nrdy = 2;

	/* Three pages: exactly the first mbuf. */
	mb_free_notready(a, 3);
	ck_assert_int_eq(cnt(KC_MBUF), 2);
	ck_assert_int_eq(cnt(KC_EXTPG), 1);
	ck_assert_int_eq(cnt(KC_PAGE), 2);

	/* The plain mbuf is one unit; then one of b's two pages. */
	mb_free_notready(p, 2);
	ck_assert_int_eq(cnt(KC_MBUF), 1);
	ck_assert_int_eq(b->m_epg_nrdy, 1);
	ck_assert_int_eq(cnt(KC_PAGE), 2);
	mb_free_notready(b, 1);
	uktest_assert_no_leaks();

	/* An empty record is one unit. */
	a = mk_extpg(&x0, ref, 3);
	a->m_epg_nrdy = 1;
	mb_free_notready(a, 1);
	uktest_assert_no_leaks();

	/* A count of zero frees nothing. */
	a = mk_extpg(&x3, ref, 1);
	a->m_epg_nrdy = 3;
	mb_free_notready(a, 0);
	ck_assert_int_eq(a->m_epg_nrdy, 3);
	ck_assert_int_eq(cnt(KC_PAGE), 3);
	a->m_epg_nrdy = 0;
	m_free(a);
}
END_TEST

static struct mbuf *hooked;
static int64_t hooked_pages;

static void
test_ktls_hook(struct mbuf *m)
{

	hooked = m;
	hooked_pages = cnt(KC_PAGE);
	ck_assert_int_eq(m->m_flags & M_EXTPG, M_EXTPG);
	m_free_raw(m);
}

START_TEST(test_session_reference_dropped)
{
	static const struct xshape x = { 2, 0, 4096, 13, 16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES];
	struct ktls_session *tls;
	struct mbuf *m, *c;

	/* A stand-in session with another holder: it must not be destroyed. */
	tls = calloc(1, sizeof(*tls));
	tls->refcount = 2;

	/* Default: the last reference to the pages drops the session's. */
	m = mk_extpg(&x, ref, 1);
	m->m_epg_tls = tls;
	c = m_copym(m, 100, 1000, M_WAITOK);
	ck_assert_ptr_eq(c->m_epg_tls, tls);
	m_free(m);
	ck_assert_uint_eq(tls->refcount, 2);
	m_free(c);
	ck_assert_uint_eq(tls->refcount, 1);
	uktest_assert_no_leaks();

	/* With a hook installed, the owner goes to it after the pages. */
	mb_ktls_free_hook = test_ktls_hook;
	m = mk_extpg(&x, ref, 1);
	m->m_epg_tls = tls;
	c = m_copym(m, 0, M_COPYALL, M_WAITOK);
	m_free(c);
	ck_assert_ptr_null(hooked);
	m_free(m);
	ck_assert_ptr_eq(hooked, m);
	ck_assert_int_eq(hooked_pages, 0);
	ck_assert_uint_eq(tls->refcount, 1);
	mb_ktls_free_hook = NULL;
	free(tls);
}
END_TEST

/* ---- failure injection on sharing operations ---------------------------- */

START_TEST(test_copym_split_unmapped_nowait_failures)
{
	static const struct xshape x = { 3, 10, 20, 13, 16 };
	static unsigned char ref[MBUF_PEXT_MAX_BYTES];
	unsigned char hb[10];
	struct mbuf *m, *c, *h, *t;
	uint64_t n;
	int fired, total;

	m = mk_extpg(&x, ref, 1);
	m->m_next = mk_extpg(&x, ref, 1);
	m->m_next->m_next = mk_extpg(&x, ref, 1);
	for (n = 1;; n++) {
		uk_fail_nth_alloc(n);
		c = m_copym(m, 5, M_COPYALL, M_NOWAIT);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		if (fired) {
			ck_assert_ptr_null(c);
			ck_assert_int_eq(cnt(KC_MBUF), 3);
			ck_assert_int_eq(cnt(KC_EXTPG), 3);
			for (c = m; c != NULL; c = c->m_next)
				ck_assert_uint_eq(m_extrefcnt(c), 1);
			continue;
		}
		ck_assert_int_eq(nmbufs(c), 3);
		m_freem(c);
		break;
	}
	ck_assert_uint_eq(n, 4);
	m_freem(m);
	uktest_assert_no_leaks();

	total = shape_total(&x);
	memset(hb, 1, sizeof(hb));
	for (n = 1;; n++) {
		h = plain_with(10, M_PKTHDR, hb);
		h->m_next = mk_extpg(&x, ref, 1);
		h->m_pkthdr.len = 10 + total;
		uk_fail_nth_alloc(n);
		t = m_split(h, 10 + 50, M_NOWAIT);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		if (fired) {
			ck_assert_ptr_null(t);
			ck_assert_int_eq(h->m_pkthdr.len, 10 + total);
			ck_assert_int_eq(m_length(h, NULL), 10 + total);
			ck_assert_uint_eq(m_extrefcnt(h->m_next), 1);
			m_freem(h);
			uktest_assert_no_leaks();
			continue;
		}
		ck_assert_int_eq(m_length(t, NULL), total - 50);
		m_freem(h);
		m_freem(t);
		uktest_assert_no_leaks();
		break;
	}
	ck_assert_uint_eq(n, 3);
}
END_TEST

/* ---- invariants ---------------------------------------------------------- */

#ifdef INVARIANTS
START_TEST(test_notready_underflow_panics)
{
	static const struct xshape x = { 1, 0, 10, 0, 0 };
	static unsigned char ref[PAGE_SIZE];
	struct mbuf *m;

	m = mk_extpg(&x, ref, 1);
	mb_free_notready(m, 1);		/* nrdy is 0 */
}
END_TEST

START_TEST(test_too_long_panics)
{
	static const struct xshape x = { 1, 0, 10, 5, 16 };
	static unsigned char ref[PAGE_SIZE];
	unsigned char out[64];
	struct mbuf *m;

	m = mk_extpg(&x, ref, 1);
	m->m_len += 1;			/* past header + pages + trailer */
	m_copydata(m, 0, 1, (caddr_t)out);
}
END_TEST

START_TEST(test_maxseg_too_big_panics)
{
	struct iovec iov[3];
	struct uio uio;

	uio_over(&uio, iov, src, 10, UIO_WRITE);
	(void)m_uiotombuf(&uio, M_WAITOK, 0,
	    (MBUF_PEXT_MAX_PGS + 1) * PAGE_SIZE, M_EXTPG);
}
END_TEST

START_TEST(test_pkthdr_on_unmapped_panics)
{
	struct mbuf *m, *h;

	h = m_gethdr(M_WAITOK, MT_DATA);
	m = mb_alloc_ext_pgs(M_WAITOK, NULL, 0);
	(void)m_dup_pkthdr(m, h, M_WAITOK);
}
END_TEST
#endif

static Suite *
mbuf_extpg_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("mbuf_extpg");

	tc = uktest_tcase("read");
	tcase_add_test(tc, test_alloc_ext_pgs);
	tcase_add_test(tc, test_copydata_boundaries);
	tcase_add_test(tc, test_copydata_mixed_chain);
	tcase_add_test(tc, test_adj_unmapped);
	tcase_add_test(tc, test_adj_unmapped_chain);
	tcase_add_test(tc, test_apply_pieces);
	tcase_add_test(tc, test_apply_mixed_chain);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("share");
	tcase_add_test(tc, test_copym_shares_pages);
	tcase_add_test(tc, test_copym_unmapped_ranges);
	tcase_add_test(tc, test_split_unmapped);
	tcase_add_test(tc, test_cat_links_unmapped);
	tcase_add_test(tc, test_pullup_from_unmapped);
	tcase_add_test(tc, test_copym_split_unmapped_nowait_failures);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("uio");
	tcase_add_test(tc, test_uiotombuf_extpg_sizes);
	tcase_add_test(tc, test_uiotombuf_extpg_nowait_failures);
	tcase_add_test(tc, test_mbuftouio_unmapped);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("free");
	tcase_add_test(tc, test_free_notready);
	tcase_add_test(tc, test_session_reference_dropped);
	suite_add_tcase(s, tc);

#ifdef INVARIANTS
	tc = tcase_create("invariants");
	tcase_add_test_raise_signal(tc, test_notready_underflow_panics,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_too_long_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, test_maxseg_too_big_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, test_pkthdr_on_unmapped_panics,
	    SIGABRT);
	suite_add_tcase(s, tc);
#endif
	return (s);
}

int
main(void)
{

	return (uktest_run(mbuf_extpg_suite()));
}
