/*
 * Socket buffers (src/kern/uipc_sockbuf.c): accounting, appends and
 * compression, not-ready data and sbready() out of order, cuts, flushes,
 * control records, sbspace(), the send pointer, the KTLS receive split
 * (sb_mtls, sb_tlsdcc) and sbcheck() itself.
 *
 * Every test runs sbcheck() after each step and ends with nothing alive.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uktls/ktls.h>

#include "sockbuf_fixture.h"

#define	HIWAT		65536
#define	PATLEN		(64 * 1024)

static uint8_t pat[PATLEN];

static void
pat_setup(void)
{

	uktest_setup();
	uktest_fill(pat, sizeof(pat), 7, 0);
}

static TCase *
sb_tcase(const char *name)
{
	TCase *tc;

	tc = tcase_create(name);
	tcase_add_checked_fixture(tc, pat_setup, uktest_teardown);
	tcase_set_timeout(tc, 120);
	return (tc);
}

#define	LOCK(t)		mtx_lock(&(t)->mtx)
#define	UNLOCK(t)	mtx_unlock(&(t)->mtx)

/* Append to the stream with the lock held, then check. */
static void
stream(struct sbt *t, struct mbuf *m, int flags)
{

	LOCK(t);
	sbappendstream_locked(&t->sb, m, flags);
	SBCHECK(&t->sb);
	UNLOCK(t);
}

static void
drop(struct sbt *t, int len)
{

	LOCK(t);
	sbdrop_locked(&t->sb, len);
	SBCHECK(&t->sb);
	UNLOCK(t);
}

static int
ready(struct sbt *t, struct mbuf *m, int count)
{
	int error;

	LOCK(t);
	error = sbready(&t->sb, m, count);
	SBCHECK(&t->sb);
	UNLOCK(t);
	return (error);
}

/* The first len bytes of the first record are pat[off..]. */
static void
assert_bytes(struct sbt *t, int len, int off)
{
	uint8_t *buf;

	buf = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(buf);
	sbt_copy(t, 0, len, (caddr_t)buf);
	ck_assert_msg(memcmp(buf, pat + off, len) == 0,
	    "buffer bytes differ from the pattern at %d", off);
	free(buf);
}

/* ---- set up ---------------------------------------------------------- */

START_TEST(test_sbinit_reserve)
{
	struct sbt t;

	sbt_init(&t, HIWAT);
	ck_assert_ptr_eq(t.sb.sb_mtx, &t.mtx);
	ck_assert_uint_eq(t.sb.sb_hiwat, HIWAT);
	ck_assert_uint_eq(t.sb.sb_mbmax, 8 * HIWAT);
	ck_assert_uint_eq(t.sb.sb_ccc, 0);
	ck_assert_ptr_null(t.sb.sb_mb);
	ck_assert_int_eq(sbspace(&t.sb), HIWAT);

	LOCK(&t);
	/* 8 * 1 MiB is above SB_MAX: mbmax stops there. */
	ck_assert_int_eq(sbreserve_locked(&t.sb, 1 << 20), 1);
	ck_assert_uint_eq(t.sb.sb_hiwat, 1 << 20);
	ck_assert_uint_eq(t.sb.sb_mbmax, SB_MAX);
	/* The low water mark never exceeds the high one. */
	t.sb.sb_lowat = 5000;
	ck_assert_int_eq(sbreserve_locked(&t.sb, 4000), 1);
	ck_assert_uint_eq(t.sb.sb_lowat, 4000);
	ck_assert_uint_eq(t.sb.sb_mbmax, 32000);
	/* SB_MAX scaled by MCLBYTES / (MSIZE + MCLBYTES) is the limit. */
	ck_assert_int_eq(sbreserve_locked(&t.sb, 1864135), 1);
	ck_assert_int_eq(sbreserve_locked(&t.sb, 1864136), 0);
	ck_assert_uint_eq(t.sb.sb_hiwat, 1864135);
	ck_assert_int_eq(sbreserve_locked(&t.sb, SB_MAX), 0);
	ck_assert_uint_eq(t.sb.sb_hiwat, 1864135);
	SBCHECK(&t.sb);
	UNLOCK(&t);

	sbt_fini(&t);
	ck_assert_uint_eq(t.sb.sb_hiwat, 0);
	ck_assert_uint_eq(t.sb.sb_mbmax, 0);
}
END_TEST

/* ---- appends and sbcompress() ---------------------------------------- */

START_TEST(test_sbappendstream_merges_small)
{
	struct sbt t;
	int64_t copies;
	int i, off;

	sbt_init(&t, HIWAT);
	stream(&t, sbt_plain(pat, 10), 0);
	off = 10;
	for (i = 0; i < 20; i++) {
		copies = khost_counter_get(KC_COPY_BYTES);
		stream(&t, sbt_plain(pat + off, 3), 0);
		off += 3;
		/* Copied into the first mbuf's trailing space, counted. */
		ck_assert_int_eq(khost_counter_get(KC_COPY_BYTES), copies + 3);
	}
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 1);
	ck_assert_int_eq(t.sb.sb_mb->m_len, 70);
	ck_assert_uint_eq(t.sb.sb_acc, 70);
	ck_assert_uint_eq(t.sb.sb_ccc, 70);
	ck_assert_uint_eq(t.sb.sb_mbcnt, MSIZE);
	ck_assert_ptr_eq(t.sb.sb_mbtail, t.sb.sb_mb);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, t.sb.sb_mb);
	ck_assert_int_eq(sbt_mbufs(), 1);
	assert_bytes(&t, 70, 0);

	/* Too big for the trailing space: linked. */
	stream(&t, sbt_plain(pat + 70, 200), 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 2);
	/* More than MCLBYTES / 4: never copied. */
	stream(&t, sbt_cluster(pat + 270, 1000), 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 3);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 3 * MSIZE + MCLBYTES);
	ck_assert_uint_eq(t.sb.sb_ccc, 1270);
	assert_bytes(&t, 1270, 0);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_sbcompress_rules)
{
	struct sbt t;
	struct mbuf *c, *cp, *x;
	int64_t copies;

	/* No copy into an unmapped mbuf. */
	sbt_init(&t, HIWAT);
	stream(&t, sbt_extpg(pat, 200, 0, 5, 16), 0);
	stream(&t, sbt_plain(pat + 200, 10), 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 2);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 2 * MSIZE + PAGE_SIZE);
	assert_bytes(&t, 210, 0);
	sbt_fini(&t);

	/* A small ready unmapped mbuf is copied into a cluster, counted. */
	sbt_init(&t, HIWAT);
	stream(&t, sbt_cluster(pat, 100), 0);
	copies = khost_counter_get(KC_COPY_BYTES);
	stream(&t, sbt_extpg(pat + 100, 300, 4000, 5, 16), 0);
	ck_assert_int_eq(khost_counter_get(KC_COPY_BYTES), copies + 300);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 1);
	ck_assert_int_eq(khost_counter_get(KC_EXTPG), 0);
	ck_assert_int_eq(khost_counter_get(KC_PAGE), 0);
	assert_bytes(&t, 400, 0);

	/* A not-ready mbuf is never copied, nor copied into. */
	x = sbt_plain(pat + 400, 10);
	sbt_notready(x);
	stream(&t, x, PRUS_NOTREADY);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 2);
	stream(&t, sbt_plain(pat + 410, 10), 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 3);
	ck_assert_int_eq(ready(&t, x, 1), 0);
	assert_bytes(&t, 420, 0);
	sbt_fini(&t);

	/* Read-only or shared storage is not written. */
	sbt_init(&t, HIWAT);
	c = sbt_cluster(pat, 100);
	c->m_flags |= M_RDONLY;
	stream(&t, c, 0);
	stream(&t, sbt_plain(pat + 100, 10), 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 2);
	sbt_fini(&t);

	sbt_init(&t, HIWAT);
	c = sbt_cluster(pat, 100);
	cp = m_copym(c, 0, M_COPYALL, M_WAITOK);
	stream(&t, c, 0);
	stream(&t, sbt_plain(pat + 100, 10), 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 2);
	assert_bytes(&t, 110, 0);
	sbt_fini(&t);
	m_freem(cp);
}
END_TEST

START_TEST(test_sbappend_one_byte_chain)
{
	struct sbt t;
	struct mbuf *head, *m, *tail;
	u_int moff;
	uint8_t b;
	int i;

	sbt_init(&t, HIWAT);
	head = tail = NULL;
	for (i = 0; i < 64; i++) {
		m = sbt_plain_full(pat + i, 1);
		if (head == NULL)
			head = m;
		else
			tail->m_next = m;
		tail = m;
	}
	stream(&t, head, 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 64);
	ck_assert_uint_eq(t.sb.sb_acc, 64);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 64 * MSIZE);
	ck_assert_ptr_eq(t.sb.sb_mbtail, tail);

	/* Every byte is found in its own mbuf, and the cache follows. */
	LOCK(&t);
	for (i = 0; i < 64; i++) {
		m = sbsndptr_noadv(&t.sb, i, &moff);
		ck_assert_uint_eq(moff, 0);
		m_copydata(m, moff, 1, (caddr_t)&b);
		ck_assert_uint_eq(b, pat[i]);
		sbsndptr_adv(&t.sb, m, 1);
		SBCHECK(&t.sb);
		if (i < 63)
			ck_assert_uint_eq(t.sb.sb_sndptroff, i + 1);
	}
	/* Cut five mbufs: the caller gets them. */
	m = sbcut_locked(&t.sb, 5);
	SBCHECK(&t.sb);
	ck_assert_int_eq(sbt_chain_count(m), 5);
	m_freem(m);
	ck_assert_uint_eq(t.sb.sb_acc, 59);
	ck_assert_uint_eq(t.sb.sb_sndptroff, 58);
	/* A cut of nothing returns nothing. */
	ck_assert_ptr_null(sbcut_locked(&t.sb, 0));
	SBCHECK(&t.sb);
	UNLOCK(&t);
	assert_bytes(&t, 59, 5);

	drop(&t, 59);
	ck_assert_ptr_null(t.sb.sb_mb);
	ck_assert_ptr_null(t.sb.sb_mbtail);
	ck_assert_ptr_null(t.sb.sb_lastrecord);
	ck_assert_ptr_null(t.sb.sb_sndptr);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 0);
	ck_assert_int_eq(sbt_mbufs(), 0);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_sbappend_records)
{
	struct sbt t;
	struct mbuf *a, *b, *m1, *m2, *m3, *z;

	sbt_init(&t, HIWAT);
	LOCK(&t);
	m1 = sbt_plain(pat, 10);
	sbappend_locked(&t.sb, m1, 0);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_mb, m1);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, m1);

	/* The end of record lands on the last mbuf of the record. */
	m2 = sbt_plain(pat + 10, 10);
	m2->m_flags |= M_EOR;
	sbappend_locked(&t.sb, m2, 0);
	SBCHECK(&t.sb);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 1);
	ck_assert(m1->m_flags & M_EOR);

	/* A complete record is never appended to: a new one starts. */
	m3 = sbt_plain_full(pat + 20, 5);
	sbappend_locked(&t.sb, m3, 0);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_mb->m_nextpkt, m3);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, m3);
	ck_assert_ptr_eq(t.sb.sb_mbtail, m3);

	/* An empty mbuf without a record mark is dropped. */
	z = m_get(M_WAITOK, MT_DATA);
	z->m_next = sbt_plain_full(pat + 25, 5);
	sbappend_locked(&t.sb, z, 0);
	SBCHECK(&t.sb);
	ck_assert_int_eq(sbt_chain_count(m3), 2);
	ck_assert_uint_eq(t.sb.sb_ccc, 30);

	/* sbappendrecord() moves M_EOR from the first mbuf to the last. */
	a = sbt_plain(pat + 30, 8);
	a->m_flags |= M_EOR;
	b = sbt_plain_full(pat + 38, 8);
	a->m_next = b;
	sbappendrecord_locked(&t.sb, a);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, a);
	ck_assert_ptr_eq(t.sb.sb_mbtail, a);
	ck_assert_int_eq(a->m_len, 16);
	ck_assert(a->m_flags & M_EOR);
	ck_assert_uint_eq(t.sb.sb_acc, 46);

	sbdroprecord_locked(&t.sb);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_mb, m3);
	ck_assert_uint_eq(t.sb.sb_ccc, 26);
	sbdroprecord_locked(&t.sb);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_mb, a);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, a);
	sbdroprecord_locked(&t.sb);
	SBCHECK(&t.sb);
	ck_assert_ptr_null(t.sb.sb_mb);
	ck_assert_ptr_null(t.sb.sb_lastrecord);
	ck_assert_ptr_null(t.sb.sb_mbtail);
	/* Dropping from an empty buffer is harmless. */
	sbdroprecord_locked(&t.sb);
	SBCHECK(&t.sb);
	UNLOCK(&t);
	sbt_fini(&t);
}
END_TEST

/* ---- not-ready data and sbready() ------------------------------------ */

START_TEST(test_notready_middle_of_stream)
{
	struct sbt t;
	struct mbuf *b, *c, *e;

	sbt_init(&t, HIWAT);
	stream(&t, sbt_cluster(pat, 100), 0);
	b = sbt_plain(pat + 100, 50);
	sbt_notready(b);
	stream(&t, b, PRUS_NOTREADY);
	c = sbt_plain(pat + 150, 30);
	stream(&t, c, 0);
	/* Merged into c, which is blocked: still not available. */
	stream(&t, sbt_plain(pat + 180, 20), 0);
	ck_assert_int_eq(c->m_len, 50);

	ck_assert_uint_eq(t.sb.sb_acc, 100);
	ck_assert_uint_eq(t.sb.sb_ccc, 200);
	ck_assert_ptr_eq(t.sb.sb_fnrdy, b);
	ck_assert((c->m_flags & M_BLOCKED) != 0);
	ck_assert((c->m_flags & M_NOTREADY) == 0);
	/* Flow control counts what is not ready. */
	ck_assert_int_eq(sbspace(&t.sb), HIWAT - 200);
	assert_bytes(&t, 100, 0);

	ck_assert_int_eq(ready(&t, b, 1), 0);
	ck_assert_uint_eq(t.sb.sb_acc, 200);
	ck_assert_ptr_null(t.sb.sb_fnrdy);
	ck_assert((b->m_flags & M_NOTAVAIL) == 0);
	ck_assert((c->m_flags & M_NOTAVAIL) == 0);
	assert_bytes(&t, 200, 0);

	/* Without PRUS_NOTREADY the mark is cleared on the way in. */
	e = sbt_plain_full(pat + 200, 10);
	e->m_flags |= M_NOTREADY;
	stream(&t, e, 0);
	ck_assert_uint_eq(t.sb.sb_acc, 210);
	ck_assert_ptr_null(t.sb.sb_fnrdy);
	assert_bytes(&t, 210, 0);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_sbready_out_of_order)
{
	struct sbt t;
	struct mbuf *b, *c, *d;

	sbt_init(&t, HIWAT);
	stream(&t, sbt_plain_full(pat, 10), 0);
	b = sbt_plain_full(pat + 10, 10);
	c = sbt_plain_full(pat + 20, 10);
	d = sbt_plain_full(pat + 30, 10);
	sbt_notready(b);
	sbt_notready(c);
	sbt_notready(d);
	stream(&t, b, PRUS_NOTREADY);
	stream(&t, c, PRUS_NOTREADY);
	stream(&t, d, PRUS_NOTREADY);
	stream(&t, sbt_plain_full(pat + 40, 10), 0);
	ck_assert_uint_eq(t.sb.sb_acc, 10);

	/* Ready, but behind b: nothing more to send. */
	ck_assert_int_eq(ready(&t, c, 1), KE_EINPROGRESS);
	ck_assert_uint_eq(t.sb.sb_acc, 10);
	ck_assert((c->m_flags & M_NOTREADY) == 0);
	ck_assert((c->m_flags & M_BLOCKED) != 0);
	ck_assert_ptr_eq(t.sb.sb_fnrdy, b);

	/* b goes: b and c count, d is the new blocker. */
	ck_assert_int_eq(ready(&t, b, 1), 0);
	ck_assert_uint_eq(t.sb.sb_acc, 30);
	ck_assert_ptr_eq(t.sb.sb_fnrdy, d);
	ck_assert((c->m_flags & M_NOTAVAIL) == 0);

	ck_assert_int_eq(ready(&t, d, 1), 0);
	ck_assert_uint_eq(t.sb.sb_acc, 50);
	ck_assert_ptr_null(t.sb.sb_fnrdy);
	assert_bytes(&t, 50, 0);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_sbready_unmapped_pages)
{
	struct sbt t;
	struct mbuf *p, *q, *x, *y;
	int len;

	sbt_init(&t, HIWAT);
	/* 3 pages: 100 bytes into the first, 50 short of the end. */
	len = 5 + (3 * PAGE_SIZE - 150) + 16;
	x = sbt_extpg(pat, len, 100, 5, 16);
	ck_assert_int_eq(sbt_notready(x), 3);
	y = sbt_plain_full(pat + len, 10);
	sbt_notready(y);
	x->m_next = y;
	stream(&t, x, PRUS_NOTREADY);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 2 * MSIZE + 3 * PAGE_SIZE);
	ck_assert_uint_eq(t.sb.sb_acc, 0);

	/* One page done: the mbuf is still not ready. */
	ck_assert_int_eq(ready(&t, x, 1), KE_EINPROGRESS);
	ck_assert_int_eq(x->m_epg_nrdy, 2);
	ck_assert((x->m_flags & M_NOTREADY) != 0);
	ck_assert_uint_eq(t.sb.sb_acc, 0);

	/* The rest of x and all of y in one call. */
	ck_assert_int_eq(ready(&t, x, 3), 0);
	ck_assert_int_eq(x->m_epg_nrdy, 0);
	ck_assert_uint_eq(t.sb.sb_acc, len + 10);
	ck_assert_ptr_null(t.sb.sb_fnrdy);
	assert_bytes(&t, len + 10, 0);
	sbt_fini(&t);

	/* Units run out inside the second mbuf: the first still moves. */
	sbt_init(&t, HIWAT);
	p = sbt_plain_full(pat, 10);
	q = sbt_extpg(pat + 10, 2 * PAGE_SIZE, 0, 0, 0);
	sbt_notready(p);
	ck_assert_int_eq(sbt_notready(q), 2);
	p->m_next = q;
	stream(&t, p, PRUS_NOTREADY);
	ck_assert_int_eq(ready(&t, p, 2), 0);
	ck_assert_uint_eq(t.sb.sb_acc, 10);
	ck_assert_ptr_eq(t.sb.sb_fnrdy, q);
	ck_assert_int_eq(q->m_epg_nrdy, 1);
	ck_assert_int_eq(ready(&t, q, 1), 0);
	ck_assert_uint_eq(t.sb.sb_acc, 10 + 2 * PAGE_SIZE);
	assert_bytes(&t, 10 + 2 * PAGE_SIZE, 0);
	sbt_fini(&t);
}
END_TEST

/* ---- cuts and flushes ------------------------------------------------ */

START_TEST(test_sbcut_inside_mbuf)
{
	struct sbt t;
	struct mbuf *c;
	int64_t mbufs;

	sbt_init(&t, HIWAT);
	/* No room left in the cluster: the plain mbuf is linked. */
	c = sbt_cluster(pat, 2000);
	stream(&t, c, 0);
	stream(&t, sbt_plain_full(pat + 2000, 100), 0);
	ck_assert_int_eq(sbt_chain_count(t.sb.sb_mb), 2);

	drop(&t, 300);
	ck_assert_ptr_eq(t.sb.sb_mb, c);
	ck_assert_int_eq(c->m_len, 1700);
	ck_assert_ptr_eq(c->m_data, c->m_ext.ext_buf + 300);
	ck_assert_uint_eq(t.sb.sb_acc, 1800);
	assert_bytes(&t, 1800, 300);

	mbufs = sbt_mbufs();
	drop(&t, 1700);
	ck_assert_int_eq(sbt_mbufs(), mbufs - 1);
	ck_assert_int_eq(khost_counter_get(KC_CLUSTER), 0);
	ck_assert_uint_eq(t.sb.sb_mbcnt, MSIZE);
	drop(&t, 99);
	ck_assert_int_eq(t.sb.sb_mb->m_len, 1);
	assert_bytes(&t, 1, 2099);
	drop(&t, 1);
	ck_assert_ptr_null(t.sb.sb_mb);

	/* Inside an unmapped mbuf: its header, then its pages. */
	stream(&t, sbt_extpg(pat, 5 + 5000 + 16, 10, 5, 16), 0);
	drop(&t, 3);
	assert_bytes(&t, 2 + 5000 + 16, 3);
	drop(&t, 4100);
	assert_bytes(&t, 5021 - 4103, 4103);
	ck_assert_uint_eq(t.sb.sb_ccc, 5021 - 4103);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_sbflush_notready)
{
	struct sbt t;
	struct mbuf *b, *c, *d, *e;

	sbt_init(&t, HIWAT);
	stream(&t, sbt_cluster(pat, 100), 0);
	b = sbt_plain_full(pat + 100, 50);
	sbt_notready(b);
	stream(&t, b, PRUS_NOTREADY);
	c = sbt_plain_full(pat + 150, 30);
	stream(&t, c, 0);
	d = sbt_extpg(pat + 180, 2 * PAGE_SIZE, 0, 0, 0);
	sbt_notready(d);
	stream(&t, d, PRUS_NOTREADY);
	e = sbt_plain_full(pat + 180 + 2 * PAGE_SIZE, 20);
	stream(&t, e, 0);
	ck_assert_int_eq(ready(&t, d, 1), KE_EINPROGRESS);
	ck_assert_int_eq(sbt_mbufs(), 5);

	LOCK(&t);
	sbflush_locked(&t.sb);
	SBCHECK(&t.sb);
	UNLOCK(&t);
	ck_assert_ptr_null(t.sb.sb_mb);
	ck_assert_ptr_null(t.sb.sb_fnrdy);
	ck_assert_uint_eq(t.sb.sb_acc, 0);
	ck_assert_uint_eq(t.sb.sb_ccc, 0);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 0);

	/* The workers' mbufs survive, cut loose from the freed ones. */
	ck_assert_int_eq(sbt_mbufs(), 2);
	ck_assert_int_eq(khost_counter_get(KC_CLUSTER), 0);
	ck_assert_int_eq(khost_counter_get(KC_PAGE), 2);
	ck_assert_ptr_null(b->m_next);
	ck_assert_ptr_null(d->m_next);
	ck_assert((b->m_flags & M_NOTREADY) != 0);
	ck_assert_int_eq(d->m_epg_nrdy, 1);
	mb_free_notready(b, 1);
	mb_free_notready(d, 1);
	ck_assert_int_eq(sbt_mbufs(), 0);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_sbflush_keeps_notready_links)
{
	struct sbt t;
	struct mbuf *b, *c;

	sbt_init(&t, HIWAT);
	b = sbt_plain_full(pat, 10);
	c = sbt_plain_full(pat + 10, 10);
	sbt_notready(b);
	sbt_notready(c);
	b->m_next = c;
	stream(&t, b, PRUS_NOTREADY);
	stream(&t, sbt_plain_full(pat + 20, 10), 0);

	sbflush(&t.sb);
	ck_assert(!mtx_owned(&t.mtx));
	sbt_check(&t);
	/* One sbready() or mb_free_notready() may cover both. */
	ck_assert_ptr_eq(b->m_next, c);
	ck_assert_ptr_null(c->m_next);
	ck_assert_int_eq(sbt_mbufs(), 2);
	mb_free_notready(b, 2);
	sbt_fini(&t);
}
END_TEST

/* Cutting data that was never ready is a bug outside a flush. */
START_TEST(test_sbcut_notready_panics)
{
	struct sbt t;
	struct mbuf *b;

	sbt_init(&t, HIWAT);
	stream(&t, sbt_plain_full(pat, 10), 0);
	b = sbt_plain_full(pat + 10, 10);
	sbt_notready(b);
	stream(&t, b, PRUS_NOTREADY);
	LOCK(&t);
	/* 0: ends inside b; 1: takes b whole. */
	sbdrop_locked(&t.sb, _i == 0 ? 15 : 20);
	UNLOCK(&t);
}
END_TEST

/* ---- control records ------------------------------------------------- */

START_TEST(test_control_record)
{
	static const uint8_t tgr[6] = { 23, 3, 3, 0, 0, 100 };
	struct kcmsghdr *cmsg;
	struct sbt t;
	struct mbuf *c, *c2, *d, *d2;
	uint8_t *p;
	size_t i;

	c = sbcreatecontrol(tgr, sizeof(tgr), TLS_GET_RECORD, KIPPROTO_TCP,
	    M_WAITOK);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->m_type, MT_CONTROL);
	ck_assert((c->m_flags & M_EXT) == 0);
	ck_assert_int_eq(c->m_len, KCMSG_SPACE(6));
	ck_assert_int_eq(c->m_len, 24);
	cmsg = mtod(c, struct kcmsghdr *);
	ck_assert_uint_eq(cmsg->cmsg_len, KCMSG_LEN(6));
	ck_assert_uint_eq(cmsg->cmsg_len, 22);
	ck_assert_int_eq(cmsg->cmsg_level, KIPPROTO_TCP);
	ck_assert_int_eq(cmsg->cmsg_type, TLS_GET_RECORD);
	ck_assert_mem_eq(KCMSG_DATA(cmsg), tgr, sizeof(tgr));
	/* The padding is zeroed: no kernel memory reaches the reader. */
	p = mtod(c, uint8_t *);
	for (i = sizeof(*cmsg); i < KCMSG_HDRSPACE; i++)
		ck_assert_uint_eq(p[i], 0);
	for (i = KCMSG_LEN(6); i < KCMSG_SPACE(6); i++)
		ck_assert_uint_eq(p[i], 0);

	sbt_init(&t, HIWAT);
	d = sbt_cluster(pat, 100);
	d->m_flags |= M_EOR;
	LOCK(&t);
	sbappendcontrol_locked(&t.sb, d, c, 0);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_mb, c);
	ck_assert_ptr_eq(c->m_next, d);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, c);
	ck_assert_ptr_eq(t.sb.sb_mbtail, d);
	ck_assert_uint_eq(t.sb.sb_ctl, 24);
	ck_assert_uint_eq(t.sb.sb_acc, 124);
	ck_assert_uint_eq(t.sb.sb_ccc, 124);

	c2 = sbcreatecontrol(NULL, 0, TLS_GET_RECORD, KIPPROTO_TCP, M_WAITOK);
	ck_assert_int_eq(c2->m_len, 16);
	ck_assert_uint_eq(mtod(c2, struct kcmsghdr *)->cmsg_len, 16);
	d2 = sbt_plain(pat + 100, 10);
	d2->m_flags |= M_EOR;
	sbappendcontrol_locked(&t.sb, d2, c2, 0);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_mb->m_nextpkt, c2);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, c2);
	ck_assert_ptr_eq(t.sb.sb_mbtail, d2);
	ck_assert_uint_eq(t.sb.sb_ctl, 40);

	sbdroprecord_locked(&t.sb);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_mb, c2);
	ck_assert_uint_eq(t.sb.sb_ctl, 16);
	ck_assert_uint_eq(t.sb.sb_ccc, 26);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, c2);

	/* A cut into a control mbuf takes its bytes off sb_ctl. */
	sbdrop_locked(&t.sb, 4);
	SBCHECK(&t.sb);
	ck_assert_uint_eq(t.sb.sb_ctl, 12);
	sbdroprecord_locked(&t.sb);
	SBCHECK(&t.sb);
	ck_assert_ptr_null(t.sb.sb_mb);
	ck_assert_uint_eq(t.sb.sb_ctl, 0);
	UNLOCK(&t);

	/* Control alone, through the locking variant. */
	sbappendcontrol(&t.sb, NULL, sbcreatecontrol(tgr, 6, TLS_GET_RECORD,
	    KIPPROTO_TCP, M_WAITOK), 0);
	ck_assert(!mtx_owned(&t.mtx));
	sbt_check(&t);
	ck_assert_uint_eq(t.sb.sb_ctl, 24);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_sbcreatecontrol_sizes)
{
	static uint8_t zero[MCLBYTES];
	struct kcmsghdr *cmsg;
	struct mbuf *m;

	/* Fits a plain mbuf exactly. */
	m = sbcreatecontrol(pat, MLEN - 16, 1, KSOL_SOCKET, M_WAITOK);
	ck_assert((m->m_flags & M_EXT) == 0);
	ck_assert_int_eq(m->m_len, MLEN);
	ck_assert_mem_eq(KCMSG_DATA(mtod(m, void *)), pat, MLEN - 16);
	m_freem(m);

	/* One more byte needs a cluster. */
	m = sbcreatecontrol(NULL, MLEN - 15, 1, KSOL_SOCKET, M_WAITOK);
	ck_assert((m->m_flags & M_EXT) != 0);
	ck_assert_int_eq(m->m_len, KCMSG_SPACE(MLEN - 15));
	cmsg = mtod(m, struct kcmsghdr *);
	ck_assert_uint_eq(cmsg->cmsg_len, 16 + MLEN - 15);
	ck_assert_mem_eq(KCMSG_DATA(cmsg), zero, MLEN - 15);
	m_freem(m);

	/* A full cluster. */
	m = sbcreatecontrol(pat, MCLBYTES - 16, 1, KSOL_SOCKET, M_NOWAIT);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->m_len, MCLBYTES);
	m_freem(m);

	/* Too big, or nonsense: NULL, nothing allocated. */
	ck_assert_ptr_null(sbcreatecontrol(pat, MCLBYTES - 15, 1, KSOL_SOCKET,
	    M_NOWAIT));
	ck_assert_ptr_null(sbcreatecontrol(pat, -1, 1, KSOL_SOCKET,
	    M_NOWAIT));
	ck_assert_int_eq(sbt_mbufs(), 0);
}
END_TEST

START_TEST(test_sbcreatecontrol_fail_nth)
{
	static const int sizes[] = { 6, 300 };
	static const int allocs[] = { 1, 2 };	/* mbuf; mbuf + cluster */
	struct mbuf *m;
	int fired, i, n;

	for (i = 0; i < (int)nitems(sizes); i++) {
		for (n = 1; ; n++) {
			uk_fail_nth_alloc(n);
			m = sbcreatecontrol(pat, sizes[i], TLS_GET_RECORD,
			    KIPPROTO_TCP, M_NOWAIT);
			fired = uk_fail_fired();
			uk_fail_nth_alloc(0);
			if (!fired) {
				ck_assert_ptr_nonnull(m);
				ck_assert_int_eq(m->m_len,
				    KCMSG_SPACE(sizes[i]));
				m_freem(m);
				break;
			}
			ck_assert_ptr_null(m);
			uktest_assert_no_leaks();
		}
		/* Every allocation failed once, then none did. */
		ck_assert_int_eq(n, allocs[i] + 1);
	}
}
END_TEST

/* ---- sbspace() ------------------------------------------------------- */

START_TEST(test_sbspace_limits)
{
	struct sbt t;
	int i;

	sbt_init(&t, 1000);
	ck_assert_uint_eq(t.sb.sb_mbmax, 8000);
	stream(&t, sbt_cluster(pat, 600), 0);
	ck_assert_int_eq(sbspace(&t.sb), 400);
	sbflush(&t.sb);

	/* Storage runs out first: four 1-byte clusters, 9216 > 8000. */
	LOCK(&t);
	for (i = 0; i < 4; i++) {
		sbappendrecord_locked(&t.sb, sbt_cluster(pat + i, 1));
		SBCHECK(&t.sb);
	}
	UNLOCK(&t);
	ck_assert_uint_eq(t.sb.sb_ccc, 4);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 4 * (MSIZE + MCLBYTES));
	ck_assert_int_eq(sbspace(&t.sb), 0);
	sbflush(&t.sb);

	/* Over the high water mark (appends do not check): still 0. */
	stream(&t, sbt_cluster(pat, 1500), 0);
	ck_assert_int_eq(sbspace(&t.sb), 0);
	sbflush(&t.sb);

	t.sb.sb_flags |= SB_STOP;
	ck_assert_int_eq(sbspace(&t.sb), 0);
	t.sb.sb_flags &= ~SB_STOP;
	ck_assert_int_eq(sbspace(&t.sb), 1000);
	sbt_fini(&t);
}
END_TEST

/* ---- the send pointer ------------------------------------------------ */

static void
assert_byte_at(struct mbuf *m, u_int moff, int off)
{
	uint8_t b;

	ck_assert_int_lt(moff, m->m_len);
	m_copydata(m, moff, 1, (caddr_t)&b);
	ck_assert_uint_eq(b, pat[off]);
}

START_TEST(test_sbsndptr)
{
	struct sbt t;
	struct mbuf *c[4], *m;
	u_int moff;
	int i;

	sbt_init(&t, HIWAT);
	for (i = 0; i < 4; i++) {
		c[i] = sbt_cluster(pat + 1000 * i, 1000);
		stream(&t, c[i], 0);
	}
	LOCK(&t);
	m = sbsndptr_noadv(&t.sb, 2500, &moff);
	ck_assert_ptr_eq(m, c[2]);
	ck_assert_uint_eq(moff, 500);
	assert_byte_at(m, moff, 2500);
	ck_assert_ptr_eq(t.sb.sb_sndptr, c[0]);	/* first use */
	sbsndptr_adv(&t.sb, m, 700);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_sndptr, c[2]);
	ck_assert_uint_eq(t.sb.sb_sndptroff, 2000);

	m = sbsndptr_noadv(&t.sb, 2600, &moff);
	ck_assert_ptr_eq(m, c[2]);
	ck_assert_uint_eq(moff, 600);

	/* A retransmission before the cache leaves the cache alone. */
	m = sbsndptr_noadv(&t.sb, 100, &moff);
	ck_assert_ptr_eq(m, c[0]);
	ck_assert_uint_eq(moff, 100);
	sbsndptr_adv(&t.sb, m, 100);
	ck_assert_ptr_eq(t.sb.sb_sndptr, c[2]);

	m = sbsndptr_noadv(&t.sb, 3999, &moff);
	ck_assert_ptr_eq(m, c[3]);
	ck_assert_uint_eq(moff, 999);
	assert_byte_at(m, moff, 3999);
	sbsndptr_adv(&t.sb, c[2], 1500);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_sndptr, c[3]);
	ck_assert_uint_eq(t.sb.sb_sndptroff, 3000);

	/* Acknowledged data goes: the cached offset follows. */
	sbdrop_locked(&t.sb, 1500);
	SBCHECK(&t.sb);
	ck_assert_uint_eq(t.sb.sb_sndptroff, 1500);
	m = sbsndptr_noadv(&t.sb, 1000, &moff);
	ck_assert_ptr_eq(m, c[2]);
	ck_assert_uint_eq(moff, 500);
	assert_byte_at(m, moff, 2500);
	sbdrop_locked(&t.sb, 1600);
	SBCHECK(&t.sb);
	ck_assert_ptr_eq(t.sb.sb_sndptr, c[3]);
	ck_assert_uint_eq(t.sb.sb_sndptroff, 0);
	m = sbsndptr_noadv(&t.sb, 0, &moff);
	assert_byte_at(m, moff, 3100);
	/* Freeing the cached mbuf forgets it. */
	sbdrop_locked(&t.sb, 900);
	SBCHECK(&t.sb);
	ck_assert_ptr_null(t.sb.sb_sndptr);
	ck_assert_uint_eq(t.sb.sb_sndptroff, 0);
	UNLOCK(&t);
	sbt_fini(&t);
}
END_TEST

/* ---- KTLS receive: sb_mtls and sb_tlsdcc ----------------------------- */

static struct mbuf *
pkt(const uint8_t *p, int len, int decrypted)
{
	struct mbuf *m;

	ck_assert_int_le(len, MHLEN);
	m = m_gethdr(M_WAITOK, MT_DATA);
	memcpy(mtod(m, void *), p, len);
	m->m_len = len;
	m->m_pkthdr.len = len;
	if (decrypted)
		m->m_pkthdr.csum_flags = CSUM_TLS_DECRYPTED;
	return (m);
}

START_TEST(test_ktls_rx_accounting)
{
	struct sbt t;
	struct mbuf *c;

	sbt_init(&t, HIWAT);
	c = m_getcl(M_WAITOK, MT_DATA, 0);
	c->m_len = 1000;
	LOCK(&t);
	sballoc_ktls_rx(&t.sb, c);
	ck_assert_uint_eq(t.sb.sb_ccc, 1000);
	ck_assert_uint_eq(t.sb.sb_tlscc, 1000);
	ck_assert_uint_eq(t.sb.sb_acc, 0);
	ck_assert_uint_eq(t.sb.sb_mbcnt, MSIZE + MCLBYTES);
	ck_assert_int_eq(sbspace(&t.sb), HIWAT - 1000);
	sbfree_ktls_rx(&t.sb, c);
	ck_assert_uint_eq(t.sb.sb_ccc, 0);
	ck_assert_uint_eq(t.sb.sb_tlscc, 0);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 0);
	SBCHECK(&t.sb);
	UNLOCK(&t);
	m_freem(c);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_ktls_rx_cut_across)
{
	static const uint8_t tgr[6] = { 23, 3, 3, 0, 0, 40 };
	struct sbt t;
	struct mbuf *ctl, *d, *p1, *p2, *p3, *rec;
	uint8_t buf[20];

	sbt_init(&t, HIWAT);
	t.sb.sb_flags |= SB_TLS_RX;
	p1 = pkt(pat, 100, 0);
	stream(&t, p1, 0);
	ck_assert_ptr_null(t.sb.sb_mb);
	ck_assert_ptr_eq(t.sb.sb_mtls, p1);
	ck_assert((p1->m_flags & (M_NOTREADY | M_PKTHDR)) == M_NOTREADY);
	ck_assert_uint_eq(t.sb.sb_tlscc, 100);
	ck_assert_uint_eq(t.sb.sb_acc, 0);

	/* Same kind of data coalesces; NIC-decrypted data does not mix. */
	p2 = pkt(pat + 100, 50, 0);
	stream(&t, p2, 0);
	ck_assert_ptr_eq(t.sb.sb_mtlstail, p1);
	ck_assert_int_eq(p1->m_len, 150);
	p3 = pkt(pat + 150, 20, 1);
	stream(&t, p3, 0);
	ck_assert_ptr_eq(t.sb.sb_mtlstail, p3);
	ck_assert((p3->m_flags & M_DECRYPTED) != 0);
	ck_assert_uint_eq(t.sb.sb_tlscc, 170);
	ck_assert_uint_eq(t.sb.sb_ccc, 170);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 2 * MSIZE);

	/* A decryptor detaches the first record (ktls_detach_record()). */
	LOCK(&t);
	rec = t.sb.sb_mtls;
	t.sb.sb_mtls = rec->m_next;
	rec->m_next = NULL;
	sbfree_ktls_rx(&t.sb, rec);
	t.sb.sb_tlsdcc = 150;
	t.sb.sb_ccc += 150;
	SBCHECK(&t.sb);

	/* ...and an earlier record is already decrypted on sb_mb. */
	ctl = sbcreatecontrol(tgr, 6, TLS_GET_RECORD, KIPPROTO_TCP, M_WAITOK);
	d = sbt_plain(pat + 1000, 40);
	d->m_flags |= M_EOR;
	sbappendcontrol_locked(&t.sb, d, ctl, 0);
	SBCHECK(&t.sb);
	ck_assert_uint_eq(t.sb.sb_acc, 64);
	ck_assert_uint_eq(t.sb.sb_ccc, 64 + 150 + 20);
	ck_assert_int_eq(sbspace(&t.sb), HIWAT - (64 + 150 + 20));

	/* A cut through everything: sb_mb, the record in flight, sb_mtls. */
	sbdrop_locked(&t.sb, 64 + 150 + 5);
	SBCHECK(&t.sb);
	ck_assert_ptr_null(t.sb.sb_mb);
	ck_assert_uint_eq(t.sb.sb_tlsdcc, 0);
	ck_assert_ptr_eq(t.sb.sb_mtls, p3);
	ck_assert_int_eq(p3->m_len, 15);
	ck_assert_uint_eq(t.sb.sb_tlscc, 15);
	ck_assert_uint_eq(t.sb.sb_ccc, 15);
	m_copydata(p3, 0, 15, (caddr_t)buf);
	ck_assert_mem_eq(buf, pat + 155, 15);
	UNLOCK(&t);
	/* The decryptor sees sb_tlsdcc == 0 and throws its record away. */
	m_freem(rec);
	sbt_fini(&t);
}
END_TEST

START_TEST(test_ktls_rx_cut_stops_at_tlsdcc)
{
	struct sbt t;
	struct mbuf *rec;

	sbt_init(&t, HIWAT);
	t.sb.sb_flags |= SB_TLS_RX;
	stream(&t, pkt(pat, 100, 0), 0);
	stream(&t, pkt(pat + 100, 150, 0), 0);
	LOCK(&t);
	rec = t.sb.sb_mtls;
	t.sb.sb_mtls = rec->m_next;
	rec->m_next = NULL;
	sbfree_ktls_rx(&t.sb, rec);
	t.sb.sb_tlsdcc = rec->m_len;
	t.sb.sb_ccc += rec->m_len;
	SBCHECK(&t.sb);
	sbappendrecord_locked(&t.sb, sbt_plain(pat, 30));
	SBCHECK(&t.sb);

	/* Exactly sb_mb: the record in flight is untouched. */
	sbdrop_locked(&t.sb, 30);
	SBCHECK(&t.sb);
	ck_assert_uint_eq(t.sb.sb_tlsdcc, 100);
	ck_assert_uint_eq(t.sb.sb_tlscc, 150);
	/* Exactly the record in flight: sb_mtls untouched. */
	sbdrop_locked(&t.sb, 100);
	SBCHECK(&t.sb);
	ck_assert_uint_eq(t.sb.sb_tlsdcc, 0);
	ck_assert_uint_eq(t.sb.sb_tlscc, 150);
	ck_assert_uint_eq(t.sb.sb_ccc, 150);
	UNLOCK(&t);
	m_freem(rec);

	/* sbdestroy() empties what is left, sb_tlsdcc included. */
	LOCK(&t);
	rec = t.sb.sb_mtls;
	t.sb.sb_mtls = t.sb.sb_mtlstail = NULL;
	sbfree_ktls_rx(&t.sb, rec);
	t.sb.sb_tlsdcc = rec->m_len;
	t.sb.sb_ccc += rec->m_len;
	SBCHECK(&t.sb);
	ck_assert_uint_eq(t.sb.sb_mbcnt, 0);
	UNLOCK(&t);
	sbt_fini(&t);
	ck_assert_uint_eq(t.sb.sb_tlsdcc, 0);
	m_freem(rec);
}
END_TEST

/* ---- locking --------------------------------------------------------- */

START_TEST(test_unlocked_variants)
{
	struct sbt t;
	struct mbuf *c;

	sbt_init(&t, HIWAT);
	sbappendstream(&t.sb, sbt_plain_full(pat, 10), 0);
	sbappend(&t.sb, sbt_plain_full(pat + 10, 10), 0);
	ck_assert(!mtx_owned(&t.mtx));
	sbt_check(&t);
	ck_assert_uint_eq(t.sb.sb_acc, 20);
	sbdrop(&t.sb, 5);
	ck_assert(!mtx_owned(&t.mtx));
	assert_bytes(&t, 15, 5);
	sbappendrecord(&t.sb, sbt_plain(pat, 10));
	c = sbcreatecontrol(NULL, 4, 1, KSOL_SOCKET, M_WAITOK);
	sbappendcontrol(&t.sb, sbt_plain(pat, 10), c, 0);
	ck_assert(!mtx_owned(&t.mtx));
	sbt_check(&t);
	ck_assert_ptr_eq(t.sb.sb_lastrecord, c);
	sbflush(&t.sb);
	ck_assert(!mtx_owned(&t.mtx));
	sbt_check(&t);
	ck_assert_ptr_null(t.sb.sb_mb);
	sbt_fini(&t);
}
END_TEST

/* The _locked functions assert the lock. */
START_TEST(test_locked_without_lock_panics)
{
	struct sbt t;

	sbt_init(&t, HIWAT);
	sbappendstream(&t.sb, sbt_plain(pat, 10), 0);
	switch (_i) {
	case 0:
		sbdrop_locked(&t.sb, 1);
		break;
	case 1:
		sbappendstream_locked(&t.sb, sbt_plain(pat, 10), 0);
		break;
	case 2:
		sbflush_locked(&t.sb);
		break;
	default:
		SBCHECK(&t.sb);
		break;
	}
}
END_TEST

/* ---- sbcheck() ------------------------------------------------------- */

/*
 * A buffer with something of everything: ready data, a not-ready mbuf,
 * blocked data, a send pointer; some variants add sb_mtls.
 */
static void
tamper_setup(struct sbt *t, struct mbuf **a, struct mbuf **b,
    struct mbuf **c)
{
	u_int moff;

	sbt_init(t, HIWAT);
	*a = sbt_cluster(pat, 100);
	stream(t, *a, 0);
	*b = sbt_plain_full(pat + 100, 10);
	sbt_notready(*b);
	stream(t, *b, PRUS_NOTREADY);
	*c = sbt_plain_full(pat + 110, 10);
	stream(t, *c, 0);
	LOCK(t);
	(void)sbsndptr_noadv(&t->sb, 50, &moff);
	SBCHECK(&t->sb);
}

START_TEST(test_sbcheck_tamper)
{
	struct sbt t;
	struct mbuf *a, *b, *c, *m;

	tamper_setup(&t, &a, &b, &c);
	switch (_i) {
	case 0:
		t.sb.sb_acc++;
		break;
	case 1:
		t.sb.sb_ccc--;
		break;
	case 2:
		t.sb.sb_fnrdy = NULL;
		break;
	case 3:
		t.sb.sb_mbtail = a;
		break;
	case 4:
		t.sb.sb_lastrecord = NULL;
		break;
	case 5:
		t.sb.sb_ctl = 1;
		break;
	case 6:
		t.sb.sb_mbcnt += 1;
		break;
	case 7:
		c->m_flags &= ~M_BLOCKED;
		break;
	case 8:
		a->m_flags |= M_BLOCKED;
		break;
	case 9:
		t.sb.sb_sndptroff = 7;
		break;
	case 10:
		t.sb.sb_sndptr = c;
		t.sb.sb_sndptroff = 110;
		break;
	case 11:
		t.sb.sb_tlscc = 5;
		t.sb.sb_ccc += 5;
		break;
	case 12:
		/* A ready mbuf on sb_mtls. */
		m = sbt_plain(pat, 10);
		t.sb.sb_mtls = t.sb.sb_mtlstail = m;
		sballoc_ktls_rx(&t.sb, m);
		break;
	case 13:
		/* sb_mtlstail not the last one. */
		m = sbt_plain(pat, 10);
		m->m_flags |= M_NOTREADY;
		t.sb.sb_mtls = m;
		sballoc_ktls_rx(&t.sb, m);
		break;
	case 14:
		t.sb.sb_tlsdcc = 3;
		break;
	default:
		a->m_nextpkt = b;
		break;
	}
	SBCHECK(&t.sb);
}
END_TEST

/* The message names the field and where sbcheck() was called from. */
START_TEST(test_sbcheck_message)
{
	char path[] = "/tmp/uktest_sbcheck_XXXXXX";
	char out[4096], where[64];
	struct sbt t;
	struct mbuf *a, *b, *c;
	ssize_t n;
	pid_t pid;
	int fd, line, status;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	line = __LINE__ + 7;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		tamper_setup(&t, &a, &b, &c);
		t.sb.sb_acc += 3;
		SBCHECK(&t.sb);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGABRT);
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	unlink(path);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert_msg(strstr(out, "sb_acc 103, 100 bytes") != NULL,
	    "no field in: %s", out);
	snprintf(where, sizeof(where), "test_sockbuf.c:%d", line);
	ck_assert_msg(strstr(out, where) != NULL, "no %s in: %s", where, out);
}
END_TEST

static Suite *
sockbuf_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("sockbuf");

	tc = sb_tcase("append");
	tcase_add_test(tc, test_sbinit_reserve);
	tcase_add_test(tc, test_sbappendstream_merges_small);
	tcase_add_test(tc, test_sbcompress_rules);
	tcase_add_test(tc, test_sbappend_one_byte_chain);
	tcase_add_test(tc, test_sbappend_records);
	suite_add_tcase(s, tc);

	tc = sb_tcase("ready");
	tcase_add_test(tc, test_notready_middle_of_stream);
	tcase_add_test(tc, test_sbready_out_of_order);
	tcase_add_test(tc, test_sbready_unmapped_pages);
	suite_add_tcase(s, tc);

	tc = sb_tcase("cut");
	tcase_add_test(tc, test_sbcut_inside_mbuf);
	tcase_add_test(tc, test_sbflush_notready);
	tcase_add_test(tc, test_sbflush_keeps_notready_links);
	tcase_add_loop_test_raise_signal(tc, test_sbcut_notready_panics,
	    SIGABRT, 0, 2);
	suite_add_tcase(s, tc);

	tc = sb_tcase("control");
	tcase_add_test(tc, test_control_record);
	tcase_add_test(tc, test_sbcreatecontrol_sizes);
	tcase_add_test(tc, test_sbcreatecontrol_fail_nth);
	suite_add_tcase(s, tc);

	tc = sb_tcase("space");
	tcase_add_test(tc, test_sbspace_limits);
	tcase_add_test(tc, test_sbsndptr);
	suite_add_tcase(s, tc);

	tc = sb_tcase("ktls_rx");
	tcase_add_test(tc, test_ktls_rx_accounting);
	tcase_add_test(tc, test_ktls_rx_cut_across);
	tcase_add_test(tc, test_ktls_rx_cut_stops_at_tlsdcc);
	suite_add_tcase(s, tc);

	tc = sb_tcase("check");
	tcase_add_test(tc, test_unlocked_variants);
	tcase_add_loop_test_raise_signal(tc, test_locked_without_lock_panics,
	    SIGABRT, 0, 4);
	tcase_add_loop_test_raise_signal(tc, test_sbcheck_tamper, SIGABRT,
	    0, 16);
	tcase_add_test(tc, test_sbcheck_message);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{

	return (uktest_run(sockbuf_suite()));
}
