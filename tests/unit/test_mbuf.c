/*
 * mbufs (src/kern/kern_mbuf.c, src/kern/uipc_mbuf.c): allocation, shared
 * clusters, and the chain operations on mapped mbufs.  Unmapped (M_EXTPG)
 * mbufs are in test_mbuf_extpg.c.
 *
 * Chains of one-byte mbufs put a boundary at every offset, so the copy,
 * split and trim loops run through every case of "inside an mbuf" and "at
 * its edge".  Every operation that copies payload is checked against the
 * copy counter to the byte, and every M_NOWAIT path is failed allocation by
 * allocation (uk_fail_nth_alloc) until it succeeds, checking each time that
 * it reported the failure and left nothing behind.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uktest.h"
#include "sys/khost.h"
#include "sys/mbuf.h"
#include "sys/uio.h"

#define	NB	32		/* one-byte chain length */

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

/* The bytes of a mapped chain, read without m_copydata (not counted). */
static size_t
flatten(struct mbuf *m, unsigned char *buf)
{
	size_t n;

	for (n = 0; m != NULL; m = m->m_next) {
		ck_assert((m->m_flags & M_EXTPG) == 0);
		memcpy(buf + n, mtod(m, unsigned char *), m->m_len);
		n += m->m_len;
	}
	return (n);
}

/* A chain of n one-byte plain mbufs holding data[0..n). */
static struct mbuf *
chain_1byte(int n, int pkthdr, const unsigned char *data)
{
	struct mbuf *top, **mp, *m;
	int i;

	top = NULL;
	mp = &top;
	for (i = 0; i < n; i++) {
		if (i == 0 && pkthdr)
			m = m_gethdr(M_WAITOK, MT_DATA);
		else
			m = m_get(M_WAITOK, MT_DATA);
		ck_assert_ptr_nonnull(m);
		mtod(m, unsigned char *)[0] = data[i];
		m->m_len = 1;
		*mp = m;
		mp = &m->m_next;
	}
	if (pkthdr && top != NULL)
		top->m_pkthdr.len = n;
	return (top);
}

/* A plain mbuf (or cluster if len > MLEN) holding data[0..len). */
static struct mbuf *
mbuf_with(int len, int flags, const unsigned char *data)
{
	struct mbuf *m;

	m = m_get2(len, M_WAITOK, MT_DATA, flags);
	ck_assert_ptr_nonnull(m);
	memcpy(mtod(m, void *), data, len);
	m->m_len = len;
	if ((flags & M_PKTHDR) != 0)
		m->m_pkthdr.len = len;
	return (m);
}

/* A cluster holding data[0..len). */
static struct mbuf *
cluster_with(int len, int flags, const unsigned char *data)
{
	struct mbuf *m;

	m = m_getcl(M_WAITOK, MT_DATA, flags);
	ck_assert_ptr_nonnull(m);
	memcpy(mtod(m, void *), data, len);
	m->m_len = len;
	if ((flags & M_PKTHDR) != 0)
		m->m_pkthdr.len = len;
	return (m);
}

static unsigned char pat[8192], pat2[8192];

static void
fill_patterns(void)
{

	uktest_fill(pat, sizeof(pat), 1, 0);
	uktest_fill(pat2, sizeof(pat2), 2, 0);
}

/* ---- allocation -------------------------------------------------------- */

START_TEST(test_get_kinds)
{
	struct mbuf *m, *h, *c;

	m = m_get(M_WAITOK, MT_DATA);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->m_flags, 0);
	ck_assert_int_eq(m->m_type, MT_DATA);
	ck_assert_int_eq(m->m_len, 0);
	ck_assert_ptr_null(m->m_next);
	ck_assert_ptr_null(m->m_nextpkt);
	ck_assert_ptr_eq(m->m_data, m->m_dat);
	ck_assert_int_eq(M_SIZE(m), MLEN);
	ck_assert_int_eq(M_TRAILINGSPACE(m), MLEN);
	ck_assert_int_eq(M_LEADINGSPACE(m), 0);
	ck_assert_int_eq(cnt(KC_MBUF), 1);

	h = m_gethdr(M_NOWAIT, MT_CONTROL);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->m_flags, M_PKTHDR);
	ck_assert_int_eq(h->m_type, MT_CONTROL);
	ck_assert_ptr_eq(h->m_data, h->m_pktdat);
	ck_assert_int_eq(h->m_pkthdr.len, 0);
	ck_assert_ptr_null(h->m_pkthdr.rcvif);
	ck_assert_int_eq(M_SIZE(h), MHLEN);
	ck_assert_int_eq(cnt(KC_MBUF), 2);

	c = m_getcl(M_WAITOK, MT_DATA, M_PKTHDR);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->m_flags, M_PKTHDR | M_EXT);
	ck_assert_int_eq(c->m_ext.ext_type, EXT_CLUSTER);
	ck_assert_int_eq(c->m_ext.ext_size, MCLBYTES);
	ck_assert_int_eq(c->m_ext.ext_flags, EXT_FLAG_EMBREF);
	ck_assert_ptr_eq(c->m_data, c->m_ext.ext_buf);
	ck_assert_uint_eq(m_extrefcnt(c), 1);
	ck_assert(M_WRITABLE(c));
	ck_assert_int_eq(M_TRAILINGSPACE(c), MCLBYTES);
	ck_assert_int_eq(cnt(KC_MBUF), 3);
	ck_assert_int_eq(cnt(KC_CLUSTER), 1);
	/* The cluster is usable end to end. */
	memset(c->m_data, 0x5a, MCLBYTES);

	/* m_free returns the next mbuf; m_freem frees a whole chain. */
	m->m_next = h;
	ck_assert_ptr_eq(m_free(m), h);
	ck_assert_int_eq(cnt(KC_MBUF), 2);
	h->m_next = c;
	m_freem(h);
	m_freem(NULL);
	ck_assert_int_eq(cnt(KC_MBUF), 0);
	ck_assert_int_eq(cnt(KC_CLUSTER), 0);
	ck_assert_int_eq(copied(), 0);
}
END_TEST

START_TEST(test_get2_sizes)
{
	static const struct {
		int	size, flags;
		int	msize;		/* 0: NULL expected */
		int	ext_type;
	} t[] = {
		{ 0, 0, MLEN, 0 },
		{ MHLEN, M_PKTHDR, MHLEN, 0 },
		{ MHLEN + 1, M_PKTHDR, MCLBYTES, EXT_CLUSTER },
		{ MLEN, 0, MLEN, 0 },
		{ MLEN + 1, 0, MCLBYTES, EXT_CLUSTER },
		{ MCLBYTES, 0, MCLBYTES, EXT_CLUSTER },
		{ MCLBYTES + 1, M_PKTHDR, MJUMPAGESIZE, EXT_JUMBOP },
		{ MJUMPAGESIZE, 0, MJUMPAGESIZE, EXT_JUMBOP },
		{ MJUMPAGESIZE + 1, 0, 0, 0 },
	};
	struct mbuf *m;
	size_t i;

	for (i = 0; i < nitems(t); i++) {
		m = m_get2(t[i].size, M_WAITOK, MT_DATA, t[i].flags);
		if (t[i].msize == 0) {
			ck_assert_ptr_null(m);
			continue;
		}
		ck_assert_ptr_nonnull(m);
		ck_assert_int_eq(M_SIZE(m), t[i].msize);
		ck_assert_int_eq(m->m_flags & M_PKTHDR, t[i].flags);
		if (t[i].ext_type != 0) {
			ck_assert(m->m_flags & M_EXT);
			ck_assert_int_eq(m->m_ext.ext_type, t[i].ext_type);
			ck_assert_int_eq(cnt(KC_CLUSTER), 1);
		} else
			ck_assert_int_eq(m->m_flags & M_EXT, 0);
		ck_assert_int_ge(M_TRAILINGSPACE(m), t[i].size);
		memset(mtod(m, void *), 0xa5, t[i].size);
		m_free(m);
		ck_assert_int_eq(cnt(KC_MBUF), 0);
		ck_assert_int_eq(cnt(KC_CLUSTER), 0);
	}
}
END_TEST

START_TEST(test_getm2_shapes)
{
	struct mbuf *m, *n, *last;

	ck_assert_ptr_null(m_getm2(NULL, 0, M_WAITOK, MT_DATA, 0));

	/* 5000 bytes: a page cluster (tried first), then a cluster. */
	m = m_getm2(NULL, 5000, M_WAITOK, MT_DATA, M_PKTHDR | M_EOR);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(nmbufs(m), 2);
	ck_assert_int_eq(m->m_flags, M_PKTHDR | M_EXT);
	ck_assert_int_eq(m->m_ext.ext_type, EXT_JUMBOP);
	ck_assert_int_eq(m->m_next->m_ext.ext_type, EXT_CLUSTER);
	ck_assert_int_eq(m->m_next->m_flags, M_EXT | M_EOR);
	ck_assert_int_eq(m_length(m, NULL), 0);

	/* Appending moves M_EOR to the new tail; no header on the new part. */
	n = m_getm2(m, 100, M_WAITOK, MT_DATA, M_PKTHDR | M_EOR);
	ck_assert_ptr_eq(n, m);
	ck_assert_int_eq(nmbufs(m), 3);
	(void)m_length(m, &last);
	ck_assert_int_eq(last->m_flags, M_EOR);
	ck_assert_int_eq(m->m_next->m_flags, M_EXT);
	ck_assert_int_eq(cnt(KC_CLUSTER), 2);
	m_freem(m);
}
END_TEST

START_TEST(test_nowait_alloc_failures)
{
	struct mbuf *m;
	int n;

	uk_fail_nth_alloc(1);
	ck_assert_ptr_null(m_get(M_NOWAIT, MT_DATA));
	ck_assert(uk_fail_fired());
	uk_fail_nth_alloc(1);
	ck_assert_ptr_null(m_gethdr(M_NOWAIT, MT_DATA));
	ck_assert(uk_fail_fired());
	uktest_assert_no_leaks();

	/* m_getcl, m_get2 and m_getjcl need two: fail each one. */
	for (n = 1; n <= 2; n++) {
		uk_fail_nth_alloc(n);
		ck_assert_ptr_null(m_getcl(M_NOWAIT, MT_DATA, M_PKTHDR));
		ck_assert(uk_fail_fired());
		uktest_assert_no_leaks();
		uk_fail_nth_alloc(n);
		ck_assert_ptr_null(m_get2(3000, M_NOWAIT, MT_DATA, 0));
		ck_assert(uk_fail_fired());
		uktest_assert_no_leaks();
	}
	uk_fail_nth_alloc(3);
	m = m_getcl(M_NOWAIT, MT_DATA, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert(!uk_fail_fired());
	uk_fail_nth_alloc(0);
	m_free(m);

	/* M_WAITOK never takes part in failure injection. */
	uk_fail_nth_alloc(1);
	m = m_getcl(M_WAITOK, MT_DATA, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert(!uk_fail_fired());
	uk_fail_nth_alloc(0);
	m_free(m);
}
END_TEST

START_TEST(test_getm2_nowait_fallback)
{
	struct mbuf *m, *mb;
	uint64_t n;
	int fired, space, nnull;

	/*
	 * A failed page cluster is not fatal (m_getm2 falls back to ordinary
	 * clusters); any other failure is.  Either way nothing leaks.
	 */
	nnull = 0;
	for (n = 1;; n++) {
		uk_fail_nth_alloc(n);
		m = m_getm2(NULL, 5000, M_NOWAIT, MT_DATA, 0);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		if (m == NULL) {
			ck_assert(fired);
			nnull++;
			uktest_assert_no_leaks();
			continue;
		}
		space = 0;
		for (mb = m; mb != NULL; mb = mb->m_next)
			space += M_SIZE(mb);
		ck_assert_int_ge(space, 5000);
		m_freem(m);
		uktest_assert_no_leaks();
		if (!fired)
			break;
	}
	/* Page cluster (2 allocs, may fail), then cluster (2, may not). */
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(nnull, 2);
}
END_TEST

/* ---- shared clusters ---------------------------------------------------- */

START_TEST(test_cluster_shared_free_orders)
{
	struct mbuf *m, *c;
	int order;

	fill_patterns();
	for (order = 0; order < 2; order++) {
		m = mbuf_with(1000, M_PKTHDR, pat);
		ck_assert(m->m_flags & M_EXT);
		c = m_copym(m, 100, 500, M_WAITOK);
		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(copied(), 0);
		ck_assert_int_eq(c->m_flags & (M_EXT | M_PKTHDR), M_EXT);
		ck_assert_ptr_eq(c->m_ext.ext_buf, m->m_ext.ext_buf);
		ck_assert_ptr_eq(c->m_data, m->m_data + 100);
		ck_assert_int_eq(c->m_len, 500);
		ck_assert_int_eq(c->m_ext.ext_flags & EXT_FLAG_EMBREF, 0);
		ck_assert_ptr_eq((void *)(uintptr_t)c->m_ext.ext_cnt,
		    (void *)(uintptr_t)&m->m_ext.ext_count);
		ck_assert_uint_eq(m_extrefcnt(m), 2);
		ck_assert_uint_eq(m_extrefcnt(c), 2);
		ck_assert(!M_WRITABLE(m));
		ck_assert(!M_WRITABLE(c));
		ck_assert_int_eq(M_TRAILINGSPACE(m), 0);
		ck_assert_int_eq(cnt(KC_MBUF), 2);
		ck_assert_int_eq(cnt(KC_CLUSTER), 1);
		if (order == 0) {
			/* The owner goes first: it stays, holding the count. */
			m_free(m);
			ck_assert_int_eq(cnt(KC_MBUF), 2);
			ck_assert_int_eq(cnt(KC_CLUSTER), 1);
			ck_assert_uint_eq(m_extrefcnt(c), 1);
			ck_assert_mem_eq(mtod(c, void *), pat + 100, 500);
			m_free(c);
		} else {
			m_free(c);
			ck_assert_int_eq(cnt(KC_MBUF), 1);
			ck_assert_uint_eq(m_extrefcnt(m), 1);
			ck_assert(M_WRITABLE(m));
			ck_assert_mem_eq(mtod(m, void *), pat, 1000);
			m_free(m);
		}
		ck_assert_int_eq(cnt(KC_MBUF), 0);
		ck_assert_int_eq(cnt(KC_CLUSTER), 0);
	}
}
END_TEST

START_TEST(test_cluster_three_refs_every_order)
{
	static const int perms[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
		{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	struct mbuf *ms[3];
	int alive[3], i, j, k, nalive, want;

	fill_patterns();
	for (i = 0; i < 6; i++) {
		ms[0] = mbuf_with(2000, 0, pat);
		ms[1] = m_copym(ms[0], 0, M_COPYALL, M_WAITOK);
		/* A copy of a copy counts on the owner, not on the copy. */
		ms[2] = m_copym(ms[1], 10, 20, M_WAITOK);
		ck_assert_ptr_eq((void *)(uintptr_t)ms[2]->m_ext.ext_cnt,
		    (void *)(uintptr_t)&ms[0]->m_ext.ext_count);
		ck_assert_uint_eq(m_extrefcnt(ms[0]), 3);
		ck_assert_int_eq(copied(), 0);
		for (j = 0; j < 3; j++)
			alive[j] = 1;
		for (j = 0; j < 3; j++) {
			k = perms[i][j];
			m_free(ms[k]);
			alive[k] = 0;
			nalive = alive[0] + alive[1] + alive[2];
			/* A freed owner stays while any copy lives. */
			want = nalive == 0 ? 0 : nalive + !alive[0];
			ck_assert_int_eq(cnt(KC_MBUF), want);
			ck_assert_int_eq(cnt(KC_CLUSTER), nalive > 0);
			if (alive[1]) {
				ck_assert_uint_eq(m_extrefcnt(ms[1]), nalive);
				ck_assert_mem_eq(mtod(ms[1], void *), pat,
				    2000);
			}
			if (alive[2])
				ck_assert_mem_eq(mtod(ms[2], void *), pat + 10,
				    20);
		}
	}
}
END_TEST

/* ---- m_copydata / m_copyback on one-byte chains ------------------------- */

START_TEST(test_copydata_every_range)
{
	unsigned char out[NB + 1];
	struct mbuf *m;
	int64_t c0;
	int len, off;

	fill_patterns();
	m = chain_1byte(NB, 1, pat);
	for (off = 0; off <= NB; off++) {
		for (len = 0; off + len <= NB; len++) {
			memset(out, 0xee, sizeof(out));
			c0 = copied();
			m_copydata(m, off, len, (caddr_t)out);
			ck_assert_int_eq(copied() - c0, len);
			ck_assert_mem_eq(out, pat + off, len);
			ck_assert_uint_eq(out[len], 0xee);
		}
	}
	m_freem(m);
}
END_TEST

START_TEST(test_copyback_every_range)
{
	unsigned char want[NB], got[NB];
	struct mbuf *m;
	int64_t c0;
	int len, off;

	fill_patterns();
	for (off = 0; off <= NB; off++) {
		for (len = 0; off + len <= NB; len++) {
			m = chain_1byte(NB, 1, pat);
			c0 = copied();
			m_copyback(m, off, len, (c_caddr_t)pat2);
			ck_assert_int_eq(copied() - c0, len);
			ck_assert_int_eq(cnt(KC_MBUF), NB);
			ck_assert_int_eq(m->m_pkthdr.len, NB);
			memcpy(want, pat, NB);
			memcpy(want + off, pat2, len);
			ck_assert_uint_eq(flatten(m, got), NB);
			ck_assert_mem_eq(got, want, NB);
			m_freem(m);
		}
	}
}
END_TEST

START_TEST(test_copyback_extends)
{
	unsigned char *got;
	struct mbuf *m;
	int i;

	fill_patterns();
	got = calloc(1, 1024);
	m = mbuf_with(10, M_PKTHDR, pat);
	m_copyback(m, 300, 500, (c_caddr_t)pat2);
	ck_assert_int_eq(copied(), 500);
	ck_assert_int_eq(m_length(m, NULL), 800);
	ck_assert_int_eq(m->m_pkthdr.len, 800);
	/* 10 + gap mbufs of MLEN, then enough MLEN mbufs for the rest. */
	ck_assert_int_eq(nmbufs(m), 1 + (800 - 10 + MLEN - 1) / MLEN);
	ck_assert_uint_eq(flatten(m, got), 800);
	ck_assert_mem_eq(got, pat, 10);
	for (i = 10; i < 300; i++)
		ck_assert_uint_eq(got[i], 0);
	ck_assert_mem_eq(got + 300, pat2, 500);
	m_freem(m);

	/* Growing into the last mbuf's trailing space allocates nothing. */
	m = mbuf_with(10, 0, pat);
	m_copyback(m, 5, 100, (c_caddr_t)pat2);
	ck_assert_int_eq(nmbufs(m), 1);
	ck_assert_int_eq(m->m_len, 105);
	ck_assert_mem_eq(mtod(m, char *) + 5, pat2, 100);
	m_freem(m);
	free(got);
}
END_TEST

START_TEST(test_copyback_nowait_failures)
{
	unsigned char *got;
	struct mbuf *m;
	uint64_t n;
	int len, fired;

	fill_patterns();
	got = calloc(1, 1024);
	for (n = 1;; n++) {
		m = mbuf_with(10, M_PKTHDR, pat);
		uk_fail_nth_alloc(n);
		m_copyback(m, 300, 500, (c_caddr_t)pat2);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		len = m_length(m, NULL);
		ck_assert_int_le(m->m_pkthdr.len, len);
		(void)flatten(m, got);
		ck_assert_mem_eq(got, pat, 10);
		if (len > 300)
			/* What was written is a prefix of the source. */
			ck_assert_mem_eq(got + 300, pat2, len - 300);
		m_freem(m);
		uktest_assert_no_leaks();
		if (!fired) {
			ck_assert_int_eq(len, 800);
			break;
		}
		ck_assert_int_lt(len, 800);
	}
	ck_assert_uint_eq(n, 5);	/* four mbufs were needed */
	free(got);
}
END_TEST

/* ---- m_copym ------------------------------------------------------------ */

START_TEST(test_copym_every_range)
{
	unsigned char got[NB];
	struct mbuf *m, *c;
	int64_t c0;
	int len, off;

	fill_patterns();
	m = chain_1byte(NB, 1, pat);
	for (off = 0; off < NB; off++) {
		for (len = 1; off + len <= NB; len++) {
			c0 = copied();
			c = m_copym(m, off, len, M_WAITOK);
			ck_assert_ptr_nonnull(c);
			/* Data inside mbufs is copied, byte for byte. */
			ck_assert_int_eq(copied() - c0, len);
			ck_assert_int_eq(nmbufs(c), len);
			ck_assert_uint_eq(flatten(c, got), len);
			ck_assert_mem_eq(got, pat + off, len);
			if (off == 0) {
				ck_assert(c->m_flags & M_PKTHDR);
				ck_assert_int_eq(c->m_pkthdr.len, len);
			} else
				ck_assert_int_eq(c->m_flags & M_PKTHDR, 0);
			m_freem(c);
			ck_assert_int_eq(cnt(KC_MBUF), NB);
		}
		c = m_copym(m, off, M_COPYALL, M_WAITOK);
		ck_assert_int_eq(m_length(c, NULL), NB - off);
		if (off == 0)
			ck_assert_int_eq(c->m_pkthdr.len, NB);
		m_freem(c);
	}
	/* The source is untouched. */
	ck_assert_uint_eq(flatten(m, got), NB);
	ck_assert_mem_eq(got, pat, NB);
	ck_assert_int_eq(m->m_pkthdr.len, NB);
	m_freem(m);
}
END_TEST

START_TEST(test_copym_keeps_header_fields)
{
	struct mbuf *m, *c;

	fill_patterns();
	m = mbuf_with(100, M_PKTHDR, pat);
	m->m_flags |= M_EOR | M_PROTO3;
	m->m_pkthdr.csum_flags = CSUM_TLS_DECRYPTED;
	m->m_pkthdr.flowid = 77;
	m->m_pkthdr.rcv_tstmp = 123456789;
	c = m_copym(m, 0, 50, M_WAITOK);
	ck_assert_int_eq(c->m_flags, M_PKTHDR | M_EOR | M_PROTO3);
	ck_assert_int_eq(c->m_pkthdr.len, 50);
	ck_assert_uint_eq(c->m_pkthdr.csum_flags, CSUM_TLS_DECRYPTED);
	ck_assert_uint_eq(c->m_pkthdr.flowid, 77);
	ck_assert_uint_eq(c->m_pkthdr.rcv_tstmp, 123456789);
	ck_assert_ptr_eq(c->m_data, c->m_pktdat);
	ck_assert_mem_eq(mtod(c, void *), pat, 50);
	m_freem(c);
	m_freem(m);
}
END_TEST

START_TEST(test_copym_nowait_failures)
{
	unsigned char got[8];
	struct mbuf *m, *c;
	uint64_t n;
	int fired;

	fill_patterns();
	m = chain_1byte(5, 1, pat);
	for (n = 1;; n++) {
		uk_fail_nth_alloc(n);
		c = m_copym(m, 0, M_COPYALL, M_NOWAIT);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		if (fired) {
			ck_assert_ptr_null(c);
			ck_assert_int_eq(cnt(KC_MBUF), 5);
			continue;
		}
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(flatten(c, got), 5);
		ck_assert_mem_eq(got, pat, 5);
		m_freem(c);
		break;
	}
	ck_assert_uint_eq(n, 6);
	m_freem(m);
}
END_TEST

/* ---- m_split ------------------------------------------------------------ */

START_TEST(test_split_every_offset)
{
	unsigned char got[NB];
	struct mbuf *m, *t;
	int64_t c0;
	int hdr, k;

	fill_patterns();
	for (hdr = 0; hdr < 2; hdr++) {
		for (k = 0; k <= NB + 1; k++) {
			m = chain_1byte(NB, hdr, pat);
			c0 = copied();
			t = m_split(m, k, M_WAITOK);
			if (k > NB || (!hdr && k == NB)) {
				/* Too far, or nothing after the end. */
				ck_assert_ptr_null(t);
				ck_assert_int_eq(m_length(m, NULL), NB);
				ck_assert_int_eq(cnt(KC_MBUF), NB);
				m_freem(m);
				continue;
			}
			ck_assert_ptr_nonnull(t);
			/* Only a split inside the first byte moves a byte. */
			ck_assert_int_eq(copied() - c0, k == 0 ? 1 : 0);
			ck_assert_int_eq(m_length(m, NULL), k);
			ck_assert_int_eq(m_length(t, NULL), NB - k);
			ck_assert_uint_eq(flatten(m, got), k);
			ck_assert_mem_eq(got, pat, k);
			ck_assert_uint_eq(flatten(t, got), NB - k);
			ck_assert_mem_eq(got, pat + k, NB - k);
			if (hdr) {
				ck_assert(t->m_flags & M_PKTHDR);
				ck_assert_int_eq(m->m_pkthdr.len, k);
				ck_assert_int_eq(t->m_pkthdr.len, NB - k);
			} else
				ck_assert_int_eq(t->m_flags & M_PKTHDR, 0);
			m_freem(m);
			m_freem(t);
			uktest_assert_no_leaks();
		}
	}
}
END_TEST

START_TEST(test_split_storage_kinds)
{
	struct mbuf *m, *t, *h;

	fill_patterns();

	/* Inside a cluster: both halves share it; nothing is copied. */
	m = mbuf_with(1500, M_PKTHDR, pat);
	t = m_split(m, 600, M_WAITOK);
	ck_assert_int_eq(copied(), 0);
	ck_assert(t->m_flags & M_PKTHDR);
	ck_assert_ptr_eq(t->m_ext.ext_buf, m->m_ext.ext_buf);
	ck_assert_ptr_eq(t->m_data, m->m_data + 600);
	ck_assert_uint_eq(m_extrefcnt(m), 2);
	ck_assert_int_eq(m->m_len, 600);
	ck_assert_int_eq(t->m_len, 900);
	ck_assert_int_eq(t->m_pkthdr.len, 900);
	ck_assert_mem_eq(mtod(t, void *), pat + 600, 900);
	m_freem(m);
	ck_assert_int_eq(cnt(KC_CLUSTER), 1);
	m_freem(t);
	uktest_assert_no_leaks();

	/* Inside a plain mbuf: the tail is copied, aligned to the end. */
	m = mbuf_with(100, 0, pat);
	t = m_split(m, 30, M_WAITOK);
	ck_assert_int_eq(copied(), 70);
	ck_assert_int_eq(t->m_len, 70);
	ck_assert_int_eq(M_TRAILINGSPACE(t), (MLEN - 70) % sizeof(long));
	ck_assert_mem_eq(mtod(t, void *), pat + 30, 70);
	ck_assert_int_eq(m->m_len, 30);
	m_freem(m);
	m_freem(t);

	/*
	 * A packet whose tail does not fit a header mbuf: the new header mbuf
	 * stays empty and leads a plain mbuf holding the tail.
	 */
	h = mbuf_with(10, M_PKTHDR, pat);
	h->m_next = mbuf_with(200, 0, pat + 10);
	h->m_pkthdr.len = 210;
	t = m_split(h, 30, M_WAITOK);
	ck_assert_int_eq(copied(), 70 + 180);
	ck_assert(t->m_flags & M_PKTHDR);
	ck_assert_int_eq(t->m_len, 0);
	ck_assert_int_eq(t->m_pkthdr.len, 180);
	ck_assert_int_eq(t->m_next->m_len, 180);
	ck_assert_mem_eq(mtod(t->m_next, void *), pat + 30, 180);
	ck_assert_int_eq(h->m_pkthdr.len, 30);
	ck_assert_int_eq(m_length(h, NULL), 30);
	m_freem(h);
	m_freem(t);
}
END_TEST

START_TEST(test_split_nowait_failures)
{
	unsigned char got[256];
	struct mbuf *h, *t;
	uint64_t n;
	int fired, shape;
	int64_t c0;

	fill_patterns();
	/* Shape 0: header + oversized plain tail (two mbufs needed). */
	/* Shape 1: header cluster (one mbuf needed). */
	for (shape = 0; shape < 2; shape++) {
		for (n = 1;; n++) {
			if (shape == 0) {
				h = mbuf_with(10, M_PKTHDR, pat);
				h->m_next = mbuf_with(200, 0, pat + 10);
				h->m_pkthdr.len = 210;
			} else
				h = mbuf_with(210, M_PKTHDR, pat);
			c0 = copied();
			uk_fail_nth_alloc(n);
			t = m_split(h, 30, M_NOWAIT);
			fired = uk_fail_fired();
			uk_fail_nth_alloc(0);
			if (fired) {
				/* Failure leaves the packet as it was. */
				ck_assert_ptr_null(t);
				ck_assert_int_eq(h->m_pkthdr.len, 210);
				ck_assert_int_eq(m_length(h, NULL), 210);
				ck_assert_uint_eq(flatten(h, got), 210);
				ck_assert_mem_eq(got, pat, 210);
				ck_assert_int_eq(copied(), c0);
				m_freem(h);
				uktest_assert_no_leaks();
				continue;
			}
			ck_assert_ptr_nonnull(t);
			ck_assert_int_eq(m_length(t, NULL), 180);
			ck_assert_uint_eq(flatten(t, got), 180);
			ck_assert_mem_eq(got, pat + 30, 180);
			m_freem(h);
			m_freem(t);
			uktest_assert_no_leaks();
			break;
		}
		ck_assert_uint_eq(n, shape == 0 ? 3 : 2);
	}
}
END_TEST

/* ---- m_adj -------------------------------------------------------------- */

START_TEST(test_adj_every_offset)
{
	unsigned char got[NB];
	struct mbuf *m;
	int k, left, want_mbufs;

	fill_patterns();
	for (k = 0; k <= NB + 2; k++) {
		left = k > NB ? 0 : NB - k;

		/* From the head: emptied mbufs stay in the chain. */
		m = chain_1byte(NB, 1, pat);
		m_adj(m, k);
		ck_assert_int_eq(m_length(m, NULL), left);
		ck_assert_int_eq(m->m_pkthdr.len, left);
		ck_assert_int_eq(nmbufs(m), NB);
		ck_assert_uint_eq(flatten(m, got), left);
		ck_assert_mem_eq(got, pat + (NB - left), left);
		m_freem(m);

		/* From the tail: mbufs past the new end are freed. */
		m = chain_1byte(NB, 1, pat);
		m_adj(m, -k);
		ck_assert_int_eq(m_length(m, NULL), left);
		ck_assert_int_eq(m->m_pkthdr.len, left);
		want_mbufs = k <= 1 ? NB : (left > 0 ? left : 1);
		ck_assert_int_eq(nmbufs(m), want_mbufs);
		ck_assert_int_eq(cnt(KC_MBUF), want_mbufs);
		ck_assert_uint_eq(flatten(m, got), left);
		ck_assert_mem_eq(got, pat, left);
		m_freem(m);
	}
	ck_assert_int_eq(copied(), 0);
	m_adj(NULL, 5);
}
END_TEST

START_TEST(test_adj_cluster)
{
	struct mbuf *m;

	fill_patterns();
	m = mbuf_with(1000, M_PKTHDR, pat);
	m_adj(m, 100);
	ck_assert_ptr_eq(m->m_data, m->m_ext.ext_buf + 100);
	ck_assert_int_eq(M_LEADINGSPACE(m), 100);
	m_adj(m, -150);
	ck_assert_int_eq(m->m_len, 750);
	ck_assert_int_eq(m->m_pkthdr.len, 750);
	ck_assert_mem_eq(mtod(m, void *), pat + 100, 750);
	m_freem(m);
}
END_TEST

/* ---- m_cat, m_length, m_apply ------------------------------------------ */

START_TEST(test_cat)
{
	struct mbuf *a, *b, *c, *last;

	fill_patterns();

	/* Room in a plain mbuf: b's data moves in, b's mbufs are freed. */
	a = mbuf_with(10, 0, pat);
	b = chain_1byte(5, 0, pat + 10);
	b->m_next->m_next->m_len = 0;	/* an empty one on the way */
	m_cat(a, b);
	ck_assert_int_eq(copied(), 4);
	ck_assert_int_eq(nmbufs(a), 1);
	ck_assert_int_eq(a->m_len, 14);
	ck_assert_mem_eq(mtod(a, char *), pat, 12);
	ck_assert_mem_eq(mtod(a, char *) + 12, pat + 13, 2);
	ck_assert_int_eq(cnt(KC_MBUF), 1);
	m_freem(a);

	/* No room: linked. */
	a = mbuf_with(MLEN - 5, 0, pat);
	b = mbuf_with(10, 0, pat2);
	m_cat(a, b);
	ck_assert_ptr_eq(a->m_next, b);
	ck_assert_int_eq(copied(), 4);
	m_freem(a);

	/* A shared cluster is not writable: linked, even with room. */
	a = cluster_with(100, 0, pat);
	c = m_copym(a, 0, M_COPYALL, M_WAITOK);
	b = mbuf_with(10, 0, pat2);
	b->m_len = 0;		/* not even an empty mbuf is folded in */
	m_cat(a, b);
	ck_assert_ptr_eq(a->m_next, b);
	ck_assert_int_eq(cnt(KC_MBUF), 3);
	m_freem(c);
	m_freem(a);

	/* Unshared cluster with room: b is pulled in after the chain end. */
	a = mbuf_with(10, 0, pat);
	a->m_next = cluster_with(20, 0, pat + 10);
	b = mbuf_with(100, 0, pat + 30);
	m_cat(a, b);
	ck_assert_int_eq(copied(), 4 + 100);
	ck_assert_int_eq(m_length(a, &last), 130);
	ck_assert_ptr_eq(last, a->m_next);
	ck_assert_mem_eq(mtod(last, void *), pat + 10, 120);
	m_freem(a);
}
END_TEST

START_TEST(test_length)
{
	struct mbuf *m, *last;

	fill_patterns();
	m = chain_1byte(7, 0, pat);
	m->m_next->m_len = 0;
	ck_assert_uint_eq(m_length(m, &last), 6);
	ck_assert_ptr_null(last->m_next);
	ck_assert_ptr_eq(last, m->m_next->m_next->m_next->m_next->m_next->
	    m_next);
	ck_assert_uint_eq(m_length(NULL, &last), 0);
	ck_assert_ptr_null(last);
	m_freem(m);
}
END_TEST

struct apply_log {
	unsigned char	buf[4096];
	int		len;
	int		calls;
	int		stop_at;	/* return 7 on this call (1-based) */
};

static int
apply_cb(void *arg, void *p, u_int len)
{
	struct apply_log *al = arg;

	al->calls++;
	memcpy(al->buf + al->len, p, len);
	al->len += len;
	return (al->calls == al->stop_at ? 7 : 0);
}

START_TEST(test_apply)
{
	struct apply_log al;
	struct mbuf *m;
	int len, off;

	fill_patterns();
	m = mbuf_with(100, M_PKTHDR, pat);
	m->m_next = mbuf_with(1000, 0, pat + 100);
	m->m_next->m_next = chain_1byte(20, 0, pat + 1100);
	for (off = 0; off < 1120; off += 37) {
		for (len = 0; off + len <= 1120; len += 101) {
			memset(&al, 0, sizeof(al));
			ck_assert_int_eq(m_apply(m, off, len, apply_cb, &al),
			    0);
			ck_assert_int_eq(al.len, len);
			ck_assert_mem_eq(al.buf, pat + off, len);
		}
	}
	memset(&al, 0, sizeof(al));
	al.stop_at = 2;
	ck_assert_int_eq(m_apply(m, 50, 1000, apply_cb, &al), 7);
	ck_assert_int_eq(al.calls, 2);
	ck_assert_int_eq(al.len, 50 + 950);
	ck_assert_int_eq(copied(), 0);
	m_freem(m);
}
END_TEST

/* ---- m_pullup ----------------------------------------------------------- */

START_TEST(test_pullup)
{
	unsigned char got[NB];
	struct mbuf *m, *n;

	fill_patterns();

	/* Room in the first mbuf: the rest is pulled into it. */
	m = chain_1byte(NB, 0, pat);
	n = m_pullup(m, 20);
	ck_assert_ptr_eq(n, m);
	ck_assert_int_eq(copied(), 19);
	ck_assert_int_eq(n->m_len, 20);
	ck_assert_int_eq(nmbufs(n), NB - 19);
	ck_assert_int_eq(cnt(KC_MBUF), NB - 19);
	ck_assert_uint_eq(flatten(n, got), NB);
	ck_assert_mem_eq(got, pat, NB);
	/* Already contiguous: nothing happens. */
	ck_assert_ptr_eq(m_pullup(n, 20), n);
	ck_assert_int_eq(copied(), 19);
	m_freem(n);

	/* A cluster first: a new mbuf takes the header and len bytes. */
	m = cluster_with(100, M_PKTHDR, pat);
	m->m_next = mbuf_with(50, 0, pat + 100);
	m->m_pkthdr.len = 150;
	m->m_pkthdr.flowid = 9;
	n = m_pullup(m, 120);
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_ne(n, m);
	ck_assert_int_eq(copied(), 19 + 120);
	ck_assert_int_eq(n->m_flags & (M_PKTHDR | M_EXT), M_PKTHDR);
	ck_assert_int_eq(n->m_pkthdr.len, 150);
	ck_assert_uint_eq(n->m_pkthdr.flowid, 9);
	ck_assert_int_eq(n->m_len, 120);
	ck_assert_mem_eq(mtod(n, void *), pat, 120);
	/* The cluster was used up and freed; 30 bytes remain after. */
	ck_assert_int_eq(cnt(KC_CLUSTER), 0);
	ck_assert_int_eq(nmbufs(n), 2);
	ck_assert_int_eq(n->m_next->m_len, 30);
	ck_assert_mem_eq(mtod(n->m_next, void *), pat + 120, 30);
	m_freem(n);
	uktest_assert_no_leaks();

	/* More than a header mbuf holds: the chain is freed, NULL. */
	m = mbuf_with(1000, M_PKTHDR, pat);
	ck_assert_ptr_null(m_pullup(m, MHLEN + 1));
	uktest_assert_no_leaks();

	/* Chain too short: freed, NULL. */
	m = chain_1byte(10, 0, pat);
	ck_assert_ptr_null(m_pullup(m, 11));
	uktest_assert_no_leaks();
	m = mbuf_with(1000, 0, pat);
	m->m_len = 10;
	ck_assert_ptr_null(m_pullup(m, 11));
}
END_TEST

START_TEST(test_pullup_nowait_failures)
{
	struct mbuf *m, *n;
	uint64_t k;
	int fired;

	fill_patterns();
	for (k = 1;; k++) {
		m = cluster_with(100, M_PKTHDR, pat);
		m->m_next = mbuf_with(50, 0, pat + 100);
		uk_fail_nth_alloc(k);
		n = m_pullup(m, 120);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		if (fired) {
			/* As FreeBSD: the chain is gone too. */
			ck_assert_ptr_null(n);
			uktest_assert_no_leaks();
			continue;
		}
		ck_assert_ptr_nonnull(n);
		ck_assert_mem_eq(mtod(n, void *), pat, 120);
		m_freem(n);
		break;
	}
	ck_assert_uint_eq(k, 2);
}
END_TEST

/* ---- m_demote ----------------------------------------------------------- */

START_TEST(test_demote)
{
	struct mbuf *m, *c;

	fill_patterns();
	m = mbuf_with(20, M_PKTHDR, pat);
	m->m_flags |= M_EOR | M_PROTO1;
	m->m_next = mbuf_with(30, M_PKTHDR, pat + 20);
	m->m_next->m_flags |= M_EOR | M_PROTO2;
	m->m_next->m_next = c = mbuf_with(1000, 0, pat + 50);
	c->m_flags |= M_RDONLY | M_PROTO3;

	m_demote(m, 0, M_EOR);
	ck_assert_int_eq(m->m_flags, M_PKTHDR | M_EOR | M_PROTO1);
	ck_assert_int_eq(m->m_next->m_flags, M_EOR);
	ck_assert_int_eq(m->m_next->m_pkthdr.len, 0);
	ck_assert_int_eq(c->m_flags, M_EXT | M_RDONLY);
	/* The data did not move. */
	ck_assert_mem_eq(mtod(m->m_next, void *), pat + 20, 30);

	m_demote(m, 1, 0);
	ck_assert_int_eq(m->m_flags, 0);
	ck_assert_int_eq(m->m_next->m_flags, 0);
	ck_assert_int_eq(c->m_flags, M_EXT | M_RDONLY);
	ck_assert_mem_eq(mtod(m, void *), pat, 20);
	m_freem(m);

	m = m_gethdr(M_WAITOK, MT_DATA);
	m->m_pkthdr.len = 5;
	m->m_pkthdr.flowid = 3;
	m_demote_pkthdr(m);
	ck_assert_int_eq(m->m_flags, 0);
	ck_assert_int_eq(m->m_pkthdr.len, 0);
	ck_assert_uint_eq(m->m_pkthdr.flowid, 0);
	m_free(m);
}
END_TEST

/* ---- m_uiotombuf / m_mbuftouio, mapped ---------------------------------- */

/* A uio over buf split into three iovecs of uneven sizes. */
static void
uio_over(struct uio *uio, struct iovec iov[3], void *buf, size_t len,
    enum uio_rw rw)
{
	size_t a, b;

	a = len / 7;
	b = len / 2;
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

START_TEST(test_uiotombuf_mapped)
{
	static const int sizes[] = { 0, 1, 100, MHLEN, 300, 2048, 5000, 7777 };
	struct iovec iov[3];
	struct uio uio;
	unsigned char *got;
	struct mbuf *m;
	size_t i;
	int flags, lspace, size;
	int64_t c0;

	fill_patterns();
	got = calloc(1, sizeof(pat));
	for (i = 0; i < nitems(sizes); i++) {
		size = sizes[i];
		for (flags = 0; flags <= M_PKTHDR; flags += M_PKTHDR) {
			for (lspace = 0; lspace <= 16; lspace += 16) {
				uio_over(&uio, iov, pat, size, UIO_WRITE);
				c0 = copied();
				m = m_uiotombuf(&uio, M_WAITOK, 0, lspace,
				    flags);
				ck_assert_ptr_nonnull(m);
				ck_assert_int_eq(copied() - c0, size);
				ck_assert_int_eq(uio.uio_resid, 0);
				ck_assert_int_eq(uio.uio_offset, size);
				ck_assert_int_eq(m_length(m, NULL), size);
				ck_assert_int_eq(m->m_flags & M_PKTHDR, flags);
				if (flags != 0)
					ck_assert_int_eq(m->m_pkthdr.len,
					    size);
				ck_assert_int_eq(M_LEADINGSPACE(m), lspace);
				ck_assert_uint_eq(flatten(m, got), size);
				ck_assert_mem_eq(got, pat, size);

				/* And back out, through three iovecs. */
				memset(got, 0, size);
				uio_over(&uio, iov, got, size, UIO_READ);
				c0 = copied();
				ck_assert_int_eq(m_mbuftouio(&uio, m, 0), 0);
				ck_assert_int_eq(copied() - c0, size);
				ck_assert_int_eq(uio.uio_resid, 0);
				ck_assert_mem_eq(got, pat, size);
				m_freem(m);
				uktest_assert_no_leaks();
			}
		}
	}

	/* len limits the copy; the rest stays in the uio. */
	uio_over(&uio, iov, pat, 300, UIO_WRITE);
	m = m_uiotombuf(&uio, M_WAITOK, 100, 0, 0);
	ck_assert_int_eq(m_length(m, NULL), 100);
	ck_assert_int_eq(uio.uio_resid, 200);
	/* m_mbuftouio stops at len, or at the chain's end. */
	memset(got, 0, 300);
	uio_over(&uio, iov, got, 300, UIO_READ);
	ck_assert_int_eq(m_mbuftouio(&uio, m, 40), 0);
	ck_assert_int_eq(uio.uio_resid, 260);
	ck_assert_mem_eq(got, pat, 40);
	uio_over(&uio, iov, got, 300, UIO_READ);
	ck_assert_int_eq(m_mbuftouio(&uio, m, 0), 0);
	ck_assert_int_eq(uio.uio_resid, 200);
	m_freem(m);

	/* Leading space must leave room in a header mbuf. */
	uio_over(&uio, iov, pat, 10, UIO_WRITE);
	ck_assert_ptr_null(m_uiotombuf(&uio, M_WAITOK, 0, MHLEN, M_PKTHDR));
	free(got);
}
END_TEST

START_TEST(test_uiotombuf_mapped_nowait_failures)
{
	struct iovec iov[3];
	struct uio uio;
	unsigned char *got;
	struct mbuf *m;
	uint64_t n;
	int fired, nnull;

	fill_patterns();
	got = calloc(1, sizeof(pat));
	nnull = 0;
	for (n = 1;; n++) {
		uio_over(&uio, iov, pat, 5000, UIO_WRITE);
		uk_fail_nth_alloc(n);
		m = m_uiotombuf(&uio, M_NOWAIT, 0, 0, M_PKTHDR);
		fired = uk_fail_fired();
		uk_fail_nth_alloc(0);
		if (m == NULL) {
			ck_assert(fired);
			nnull++;
			/* Nothing was taken from the uio. */
			ck_assert_int_eq(uio.uio_resid, 5000);
			uktest_assert_no_leaks();
			continue;
		}
		ck_assert_uint_eq(flatten(m, got), 5000);
		ck_assert_mem_eq(got, pat, 5000);
		ck_assert_int_eq(m->m_pkthdr.len, 5000);
		ck_assert_int_eq(uio.uio_resid, 0);
		m_freem(m);
		uktest_assert_no_leaks();
		if (!fired)
			break;
	}
	/* As for m_getm2: only the cluster allocations are fatal. */
	ck_assert_int_eq(nnull, 2);
	ck_assert_uint_eq(n, 5);
	free(got);
}
END_TEST

/* ---- invariants --------------------------------------------------------- */

#ifdef INVARIANTS
START_TEST(test_copydata_past_end_panics)
{
	unsigned char out[16];
	struct mbuf *m;

	fill_patterns();
	m = chain_1byte(4, 0, pat);
	m_copydata(m, 2, 3, (caddr_t)out);
}
END_TEST

START_TEST(test_bad_how_panics)
{

	(void)m_get(0, MT_DATA);
}
END_TEST
#endif

static Suite *
mbuf_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("mbuf");

	tc = uktest_tcase("alloc");
	tcase_add_test(tc, test_get_kinds);
	tcase_add_test(tc, test_get2_sizes);
	tcase_add_test(tc, test_getm2_shapes);
	tcase_add_test(tc, test_nowait_alloc_failures);
	tcase_add_test(tc, test_getm2_nowait_fallback);
	tcase_add_test(tc, test_cluster_shared_free_orders);
	tcase_add_test(tc, test_cluster_three_refs_every_order);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("copy");
	tcase_add_test(tc, test_copydata_every_range);
	tcase_add_test(tc, test_copyback_every_range);
	tcase_add_test(tc, test_copyback_extends);
	tcase_add_test(tc, test_copyback_nowait_failures);
	tcase_add_test(tc, test_copym_every_range);
	tcase_add_test(tc, test_copym_keeps_header_fields);
	tcase_add_test(tc, test_copym_nowait_failures);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("shape");
	tcase_add_test(tc, test_split_every_offset);
	tcase_add_test(tc, test_split_storage_kinds);
	tcase_add_test(tc, test_split_nowait_failures);
	tcase_add_test(tc, test_adj_every_offset);
	tcase_add_test(tc, test_adj_cluster);
	tcase_add_test(tc, test_cat);
	tcase_add_test(tc, test_length);
	tcase_add_test(tc, test_apply);
	tcase_add_test(tc, test_pullup);
	tcase_add_test(tc, test_pullup_nowait_failures);
	tcase_add_test(tc, test_demote);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("uio");
	tcase_add_test(tc, test_uiotombuf_mapped);
	tcase_add_test(tc, test_uiotombuf_mapped_nowait_failures);
	suite_add_tcase(s, tc);

#ifdef INVARIANTS
	tc = tcase_create("invariants");
	tcase_add_test_raise_signal(tc, test_copydata_past_end_panics,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_bad_how_panics, SIGABRT);
	suite_add_tcase(s, tc);
#endif
	return (s);
}

int
main(void)
{

	return (uktest_run(mbuf_suite()));
}
