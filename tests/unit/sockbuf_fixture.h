/*
 * Socket buffer tests: a sockbuf with its own mutex, and mbufs of each
 * kind (plain, cluster, unmapped) built from given bytes.
 *
 * Shared by tests/unit/test_sockbuf*.c and tests/diff/test_sb_diff.c.
 * Everything is static inline so that a file using only part of it does
 * not warn.
 */
#ifndef UKTEST_SOCKBUF_FIXTURE_H
#define UKTEST_SOCKBUF_FIXTURE_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "uktest.h"
#include "sys/types.h"
#include "sys/param.h"
#include "sys/errno.h"
#include "sys/khost.h"
#include "sys/mutex.h"
#include "sys/mbuf.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/socket.h"

struct sbt {
	struct mtx	mtx;
	struct sockbuf	sb;
};

static inline void
sbt_init(struct sbt *t, u_int hiwat)
{

	memset(t, 0, sizeof(*t));
	mtx_init(&t->mtx, "sbt", NULL, MTX_DEF);
	sbinit(&t->sb, &t->mtx, hiwat);
}

static inline void
sbt_fini(struct sbt *t)
{

	sbdestroy(&t->sb);
	ck_assert_uint_eq(t->sb.sb_ccc, 0);
	ck_assert_uint_eq(t->sb.sb_mbcnt, 0);
	ck_assert_ptr_null(t->sb.sb_mb);
	mtx_destroy(&t->mtx);
}

/* Check every invariant (takes the lock if the caller does not hold it). */
static inline void
sbt_check(struct sbt *t)
{
	int owned;

	owned = mtx_owned(&t->mtx);
	if (!owned)
		mtx_lock(&t->mtx);
	SBCHECK(&t->sb);
	if (!owned)
		mtx_unlock(&t->mtx);
}

/* A plain mbuf holding len bytes (len <= MLEN) of p. */
static inline struct mbuf *
sbt_plain(const void *p, int len)
{
	struct mbuf *m;

	ck_assert_int_le(len, MLEN);
	m = m_get(M_WAITOK, MT_DATA);
	memcpy(mtod(m, void *), p, len);
	m->m_len = len;
	return (m);
}

/* As sbt_plain(), but the data ends the storage: nothing can merge in. */
static inline struct mbuf *
sbt_plain_full(const void *p, int len)
{
	struct mbuf *m;

	ck_assert_int_le(len, MLEN);
	m = m_get(M_WAITOK, MT_DATA);
	m->m_data = m->m_dat + MLEN - len;
	memcpy(mtod(m, void *), p, len);
	m->m_len = len;
	return (m);
}

/* A cluster holding len bytes (len <= MCLBYTES) of p. */
static inline struct mbuf *
sbt_cluster(const void *p, int len)
{
	struct mbuf *m;

	ck_assert_int_le(len, MCLBYTES);
	m = m_getcl(M_WAITOK, MT_DATA, 0);
	memcpy(mtod(m, void *), p, len);
	m->m_len = len;
	return (m);
}

/*
 * An unmapped mbuf holding len bytes of p: hdrlen bytes in m_epg_hdr, the
 * payload in pool pages starting first_off bytes into the first page,
 * trllen bytes in m_epg_trail.  ext_size grows by a page per page, as the
 * kernel's producers do.
 */
static inline struct mbuf *
sbt_extpg(const void *p, int len, int first_off, int hdrlen, int trllen)
{
	const uint8_t *src = p;
	struct mbuf *m;
	int chunk, i, npgs, off, payload;
	uint64_t pa;

	payload = len - hdrlen - trllen;
	ck_assert_int_ge(payload, 0);
	ck_assert_int_le(hdrlen, MBUF_PEXT_HDR_LEN);
	ck_assert_int_le(trllen, MBUF_PEXT_TRAIL_LEN);
	ck_assert_int_lt(first_off, PAGE_SIZE);
	npgs = payload > 0 ? howmany(first_off + payload, PAGE_SIZE) : 0;
	ck_assert_int_le(npgs, (int)MBUF_PEXT_MAX_PGS);

	m = mb_alloc_ext_pgs(M_WAITOK, mb_free_extpg, 0);
	m->m_epg_flags = EPG_FLAG_ANON;
	m->m_epg_hdrlen = hdrlen;
	m->m_epg_trllen = trllen;
	memcpy(m->m_epg_hdr, src, hdrlen);
	src += hdrlen;
	m->m_epg_1st_off = payload > 0 ? first_off : 0;
	off = first_off;
	for (i = 0; i < npgs; i++) {
		pa = khost_page_alloc(KH_ZERO);
		ck_assert_uint_ne(pa, 0);
		chunk = MIN(PAGE_SIZE - off, payload);
		memcpy((uint8_t *)khost_page_map(pa) + off, src, chunk);
		src += chunk;
		payload -= chunk;
		m->m_epg_pa[i] = pa;
		m->m_epg_npgs++;
		m->m_ext.ext_size += PAGE_SIZE;
		m->m_epg_last_len = chunk;
		off = 0;
	}
	memcpy(m->m_epg_trail, src, trllen);
	m->m_len = len;
	return (m);
}

/*
 * Mark m not ready, as ktls_frame() does: one unit per page of an
 * unmapped mbuf (one for one without pages), one for any other mbuf.
 */
static inline int
sbt_notready(struct mbuf *m)
{

	m->m_flags |= M_NOTREADY;
	if ((m->m_flags & M_EXTPG) != 0) {
		m->m_epg_nrdy = m->m_epg_npgs != 0 ? m->m_epg_npgs : 1;
		return (m->m_epg_nrdy);
	}
	return (1);
}

/* Mbufs in a chain (m_next). */
static inline int
sbt_chain_count(const struct mbuf *m)
{
	int n;

	for (n = 0; m != NULL; m = m->m_next)
		n++;
	return (n);
}

/* Copy len bytes at off of the first record into buf. */
static inline void
sbt_copy(struct sbt *t, int off, int len, void *buf)
{

	m_copydata(t->sb.sb_mb, off, len, buf);
}

/* Live mbufs right now. */
static inline int64_t
sbt_mbufs(void)
{

	return (khost_counter_get(KC_MBUF));
}

#endif /* UKTEST_SOCKBUF_FIXTURE_H */
