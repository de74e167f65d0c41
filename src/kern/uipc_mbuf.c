/*-
 * mbuf chain operations (FreeBSD's uipc_mbuf.c).
 *
 * Three things run through this file.
 *
 * Unmapped mbufs.  For an M_EXTPG mbuf m_data is not a pointer but an
 * offset into header | pages | trailer (see sys/mbuf.h), so its bytes are
 * never reached through mtod().  mb_extpg_walk() visits a byte range of
 * such an mbuf as mapped pieces: a slice of m_epg_hdr, a slice of each page
 * through the direct map (PHYS_TO_DMAP), a slice of m_epg_trail.
 * m_copydata(), m_apply() and m_mbuftouio() are built on it.  Offsets are
 * moved with integer arithmetic (mb_data_at()): they are not pointers and
 * must not be treated as offsets from a null pointer.
 *
 * Sharing instead of copying.  m_copym() and m_split() give the new mbuf a
 * reference to the same cluster or pages (mb_dupcl()); an unmapped copy
 * also takes the record fields (m_epg_*), so it describes the same header,
 * pages and trailer.  Only mbufs that keep their data inside themselves
 * are copied byte by byte.
 *
 * Counted copies.  Every CPU copy of payload goes through
 * mb_copy_payload(), which adds to KC_COPY_BYTES: m_copydata() (header
 * and trailer bytes of an unmapped mbuf included), m_copyback(),
 * m_pullup(), the compaction in m_cat(), the in-mbuf copies of m_copym()
 * and m_split(), and uiomove() for m_uiotombuf() and m_mbuftouio().
 *
 * Where this differs from FreeBSD: m_pullup() pulls up exactly len bytes
 * (there is no max_protohdr to round up to) and reads unmapped mbufs
 * through m_copydata() instead of asserting; m_split() of a packet at an
 * unmapped mbuf leaves the packet header in an empty leading mbuf, since an
 * unmapped mbuf cannot carry one, and changes the packet lengths only once
 * the split has succeeded.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/atomic.h"
#include "sys/errno.h"
#include "sys/mbuf.h"
#include "sys/uio.h"

#ifndef __DECONST
#define	__DECONST(type, var)	((type)(uintptr_t)(const void *)(var))
#endif

#define	MBUF_CHECKSLEEP(how)						\
	KASSERT((how) == M_NOWAIT || (how) == M_WAITOK,			\
	    ("%s: how %#x is neither M_NOWAIT nor M_WAITOK", __func__, (how)))

typedef int mb_piece_t(void *arg, void *p, u_int len);

void
mb_copy_payload(void *dst, const void *src, size_t len)
{

	if (len == 0)
		return;
	memcpy(dst, src, len);
	khost_counter_add(KC_COPY_BYTES, (int64_t)len);
}

/* m_data moved on by off bytes; for an unmapped mbuf an offset. */
static caddr_t
mb_data_at(const struct mbuf *m, int off)
{

	if ((m->m_flags & M_EXTPG) != 0)
		return ((caddr_t)(mtod(m, vm_offset_t) + off));
	return (m->m_data + off);
}

#ifdef INVARIANTS
/* Bytes held in the pages of an unmapped mbuf. */
static int
mb_extpg_pageslen(const struct mbuf *m)
{

	if (m->m_epg_npgs == 0)
		return (0);
	if (m->m_epg_npgs == 1)
		return (m->m_epg_last_len);
	return (PAGE_SIZE - m->m_epg_1st_off +
	    (m->m_epg_npgs - 2) * PAGE_SIZE + m->m_epg_last_len);
}
#endif

#ifdef INVARIANTS
/* FreeBSD's MBUF_EXT_PGS_ASSERT_SANITY, plus the data range. */
static void
mb_extpg_check(const struct mbuf *m)
{

	KASSERT((m->m_flags & (M_EXT | M_EXTPG)) == (M_EXT | M_EXTPG),
	    ("%s: %p is not unmapped (flags %#x)", __func__, m, m->m_flags));
	KASSERT((m->m_flags & M_PKTHDR) == 0,
	    ("%s: unmapped mbuf %p has a packet header", __func__, m));
	KASSERT(m->m_epg_npgs <= MBUF_PEXT_MAX_PGS,
	    ("%s: %d pages", __func__, m->m_epg_npgs));
	KASSERT(m->m_epg_nrdy <= MAX(m->m_epg_npgs, 1),
	    ("%s: %d not-ready of %d pages", __func__, m->m_epg_nrdy,
	    m->m_epg_npgs));
	KASSERT(m->m_epg_1st_off < PAGE_SIZE,
	    ("%s: first page offset %d", __func__, m->m_epg_1st_off));
	KASSERT(m->m_epg_npgs == 0 ||
	    (m->m_epg_last_len > 0 && m->m_epg_last_len <= PAGE_SIZE),
	    ("%s: last page length %d", __func__, m->m_epg_last_len));
	KASSERT(m->m_epg_npgs != 1 ||
	    m->m_epg_1st_off + m->m_epg_last_len <= PAGE_SIZE,
	    ("%s: single page too large (%d + %d)", __func__,
	    m->m_epg_1st_off, m->m_epg_last_len));
	KASSERT(m->m_epg_hdrlen <= MBUF_PEXT_HDR_LEN,
	    ("%s: header length %d", __func__, m->m_epg_hdrlen));
	KASSERT(m->m_epg_trllen <= MBUF_PEXT_TRAIL_LEN,
	    ("%s: trailer length %d", __func__, m->m_epg_trllen));
	KASSERT(m->m_len >= 0 && mtod(m, vm_offset_t) + m->m_len <=
	    (vm_offset_t)(m->m_epg_hdrlen + mb_extpg_pageslen(m) +
	    m->m_epg_trllen),
	    ("%s: data %ju+%d past header %d + pages %d + trailer %d",
	    __func__, (uintmax_t)mtod(m, vm_offset_t), m->m_len,
	    m->m_epg_hdrlen, mb_extpg_pageslen(m), m->m_epg_trllen));
}
#else
#define	mb_extpg_check(m)	do { } while (0)
#endif

/*
 * Call f on the bytes [off, off + len) of the unmapped mbuf m (off counted
 * from m_data) as mapped pieces: header, each page's slice, trailer.
 * Returns the first non-zero value f returns, or 0.
 */
static int
mb_extpg_walk(struct mbuf *m, int off, int len, mb_piece_t *f, void *arg)
{
	int count, error, i, pglen, pgoff;

	mb_extpg_check(m);
	KASSERT(off >= 0 && len >= 0 && off + len <= m->m_len,
	    ("%s: range %d+%d outside m_len %d", __func__, off, len,
	    m->m_len));
	off += (int)mtod(m, vm_offset_t);
	if (off < m->m_epg_hdrlen) {
		count = MIN(m->m_epg_hdrlen - off, len);
		if (count > 0) {
			error = f(arg, &m->m_epg_hdr[off], count);
			if (error != 0)
				return (error);
		}
		len -= count;
		off = 0;
	} else
		off -= m->m_epg_hdrlen;
	pgoff = m->m_epg_1st_off;
	for (i = 0; i < m->m_epg_npgs && len > 0; i++) {
		pglen = m_epg_pagelen(m, i, pgoff);
		if (off < pglen) {
			count = MIN(pglen - off, len);
			error = f(arg,
			    PHYS_TO_DMAP(m->m_epg_pa[i] + pgoff + off), count);
			if (error != 0)
				return (error);
			len -= count;
			off = 0;
		} else
			off -= pglen;
		pgoff = 0;
	}
	if (len > 0) {
		KASSERT(off + len <= m->m_epg_trllen,
		    ("%s: %d+%d past trailer of %d", __func__, off, len,
		    m->m_epg_trllen));
		return (f(arg, &m->m_epg_trail[off], len));
	}
	return (0);
}

static int
mb_copyout_piece(void *arg, void *p, u_int len)
{
	caddr_t *cpp = arg;

	mb_copy_payload(*cpp, p, len);
	*cpp += len;
	return (0);
}

static int
mb_uiomove_piece(void *arg, void *p, u_int len)
{

	return (uiomove(p, (int)len, arg));
}

/*
 * Copy len bytes at offset off of the unmapped mbuf m (header | pages |
 * trailer, from m_data on) to cp.  Returns 0.
 */
int
m_unmapped_copydata(const struct mbuf *m, int off, int len, caddr_t cp)
{

	KASSERT((m->m_flags & M_EXTPG) != 0,
	    ("%s: %p is not unmapped", __func__, m));
	return (mb_extpg_walk(__DECONST(struct mbuf *, m), off, len,
	    mb_copyout_piece, &cp));
}

/*
 * Copy len bytes of the chain m, starting off bytes in, to cp.  The chain
 * must hold them.
 */
void
m_copydata(const struct mbuf *m, int off, int len, caddr_t cp)
{
	int count;

	KASSERT(off >= 0, ("%s: negative off %d", __func__, off));
	KASSERT(len >= 0, ("%s: negative len %d", __func__, len));
	while (off > 0) {
		KASSERT(m != NULL, ("%s: offset > size of mbuf chain",
		    __func__));
		if (off < m->m_len)
			break;
		off -= m->m_len;
		m = m->m_next;
	}
	while (len > 0) {
		KASSERT(m != NULL, ("%s: length > size of mbuf chain",
		    __func__));
		count = MIN(m->m_len - off, len);
		if ((m->m_flags & M_EXTPG) != 0)
			(void)m_unmapped_copydata(m, off, count, cp);
		else
			mb_copy_payload(cp, mtod(m, caddr_t) + off, count);
		len -= count;
		cp += count;
		off = 0;
		m = m->m_next;
	}
}

/*
 * Copy len bytes from cp into the chain m0 at offset off, extending the
 * chain with M_NOWAIT mbufs where it is too short (a gap before off is
 * zero-filled).  If an mbuf cannot be had the copy stops there, quietly,
 * as in FreeBSD: the caller learns from m_length() or the packet length.
 */
void
m_copyback(struct mbuf *m0, int off, int len, c_caddr_t cp)
{
	struct mbuf *m, *n;
	int mlen, totlen;

	if (m0 == NULL)
		return;
	KASSERT(off >= 0 && len >= 0, ("%s: off %d len %d", __func__, off,
	    len));
	m = m0;
	totlen = 0;
	while (off > (mlen = m->m_len)) {
		off -= mlen;
		totlen += mlen;
		if (m->m_next == NULL) {
			n = m_get(M_NOWAIT, m->m_type);
			if (n == NULL)
				goto out;
			memset(mtod(n, caddr_t), 0, MLEN);
			n->m_len = MIN(MLEN, len + off);
			m->m_next = n;
		}
		m = m->m_next;
	}
	while (len > 0) {
		KASSERT((m->m_flags & M_EXTPG) == 0,
		    ("%s: writing into unmapped mbuf %p", __func__, m));
		if (m->m_next == NULL && len > m->m_len - off)
			m->m_len += MIN(len - (m->m_len - off),
			    M_TRAILINGSPACE(m));
		mlen = MIN(m->m_len - off, len);
		mb_copy_payload(mtod(m, caddr_t) + off, cp, mlen);
		cp += mlen;
		len -= mlen;
		mlen += off;
		off = 0;
		totlen += mlen;
		if (len == 0)
			break;
		if (m->m_next == NULL) {
			n = m_get(M_NOWAIT, m->m_type);
			if (n == NULL)
				break;
			n->m_len = MIN(MLEN, len);
			m->m_next = n;
		}
		m = m->m_next;
	}
out:
	if ((m0->m_flags & M_PKTHDR) != 0 && m0->m_pkthdr.len < totlen)
		m0->m_pkthdr.len = totlen;
}

/*
 * Give n a reference to m's external storage (cluster or pages).  For an
 * unmapped mbuf the record fields come too, so n describes the same
 * header, pages and trailer.
 */
static void
mb_dupcl(struct mbuf *n, struct mbuf *m)
{
	volatile u_int *refcnt;

	KASSERT((m->m_flags & M_EXT) != 0, ("%s: M_EXT not set on %p",
	    __func__, m));
	KASSERT((n->m_flags & (M_EXT | M_EXTPG)) == 0,
	    ("%s: M_EXT set on %p", __func__, n));
	if ((m->m_flags & M_EXTPG) != 0) {
		KASSERT((n->m_flags & M_PKTHDR) == 0,
		    ("%s: unmapped storage for packet header mbuf %p",
		    __func__, n));
		n->m_epg_npgs = m->m_epg_npgs;
		n->m_epg_nrdy = m->m_epg_nrdy;
		n->m_epg_hdrlen = m->m_epg_hdrlen;
		n->m_epg_trllen = m->m_epg_trllen;
		n->m_epg_1st_off = m->m_epg_1st_off;
		n->m_epg_last_len = m->m_epg_last_len;
		n->m_epg_flags = m->m_epg_flags;
		n->m_epg_record_type = m->m_epg_record_type;
		n->m_epg_enc_cnt = m->m_epg_enc_cnt;
		n->m_epg_tls = m->m_epg_tls;
		n->m_epg_so = m->m_epg_so;
		n->m_epg_seqno = m->m_epg_seqno;
		n->m_epg_stailq.stqe_next = NULL;
		khost_counter_add(KC_EXTPG, 1);
	}
	n->m_ext = m->m_ext;
	n->m_flags |= m->m_flags & (M_RDONLY | M_EXT | M_EXTPG);
	if ((m->m_ext.ext_flags & EXT_FLAG_EMBREF) != 0) {
		refcnt = n->m_ext.ext_cnt = &m->m_ext.ext_count;
		n->m_ext.ext_flags &= ~EXT_FLAG_EMBREF;
	} else {
		KASSERT(m->m_ext.ext_cnt != NULL,
		    ("%s: no reference count pointer on %p", __func__, m));
		refcnt = m->m_ext.ext_cnt;
	}
	refcount_acquire(refcnt);
}

/*
 * Make to's packet header a copy of from's.  to must be fresh (or hold
 * external storage, which is kept).  Returns 1 (there are no tags to fail
 * to copy).
 */
int
m_dup_pkthdr(struct mbuf *to, const struct mbuf *from, int how)
{

	MBUF_CHECKSLEEP(how);
	KASSERT((from->m_flags & M_PKTHDR) != 0,
	    ("%s: no packet header on %p", __func__, from));
	KASSERT((to->m_flags & M_EXTPG) == 0,
	    ("%s: packet header for unmapped mbuf %p", __func__, to));
	to->m_flags = (from->m_flags & M_COPYFLAGS) |
	    (to->m_flags & (M_EXT | M_EXTPG));
	if ((to->m_flags & M_EXT) == 0)
		to->m_data = to->m_pktdat;
	to->m_pkthdr = from->m_pkthdr;
	to->m_pkthdr.tags = NULL;
	return (1);
}

/* Move from's packet header to the fresh mbuf to. */
void
m_move_pkthdr(struct mbuf *to, struct mbuf *from)
{

	KASSERT((from->m_flags & M_PKTHDR) != 0,
	    ("%s: no packet header on %p", __func__, from));
	KASSERT((to->m_flags & M_EXTPG) == 0,
	    ("%s: packet header for unmapped mbuf %p", __func__, to));
	to->m_flags = (from->m_flags & M_COPYFLAGS) |
	    (to->m_flags & (M_EXT | M_EXTPG));
	if ((to->m_flags & M_EXT) == 0)
		to->m_data = to->m_pktdat;
	to->m_pkthdr = from->m_pkthdr;
	from->m_flags &= ~M_PKTHDR;
}

/*
 * A copy of len bytes (M_COPYALL: to the end) of the chain m from offset
 * off0.  Clusters and pages are shared, not copied; data inside mbufs is.
 * The copy has a packet header if it starts at offset 0 of a packet.
 * NULL if an mbuf cannot be had (M_NOWAIT); nothing is left allocated.
 */
struct mbuf *
m_copym(struct mbuf *m, int off0, int len, int wait)
{
	struct mbuf *n, **np, *top;
	int copyhdr, off;

	KASSERT(off0 >= 0, ("%s: negative off %d", __func__, off0));
	KASSERT(len >= 0, ("%s: negative len %d", __func__, len));
	MBUF_CHECKSLEEP(wait);
	off = off0;
	copyhdr = off == 0 && (m->m_flags & M_PKTHDR) != 0;
	while (off > 0) {
		KASSERT(m != NULL, ("%s: offset > size of mbuf chain",
		    __func__));
		if (off < m->m_len)
			break;
		off -= m->m_len;
		m = m->m_next;
	}
	np = &top;
	top = NULL;
	while (len > 0) {
		if (m == NULL) {
			KASSERT(len == M_COPYALL,
			    ("%s: length > size of mbuf chain", __func__));
			break;
		}
		if (copyhdr)
			n = m_gethdr(wait, m->m_type);
		else
			n = m_get(wait, m->m_type);
		*np = n;
		if (n == NULL)
			goto nospace;
		if (copyhdr) {
			(void)m_dup_pkthdr(n, m, wait);
			if (len == M_COPYALL)
				n->m_pkthdr.len -= off0;
			else
				n->m_pkthdr.len = len;
			copyhdr = 0;
		}
		n->m_len = MIN(len, m->m_len - off);
		if ((m->m_flags & M_EXT) != 0) {
			n->m_data = mb_data_at(m, off);
			mb_dupcl(n, m);
		} else
			mb_copy_payload(mtod(n, caddr_t),
			    mtod(m, caddr_t) + off, n->m_len);
		if (len != M_COPYALL)
			len -= n->m_len;
		off = 0;
		m = m->m_next;
		np = &n->m_next;
	}
	return (top);
nospace:
	m_freem(top);
	return (NULL);
}

/* Put len bytes at the end of a fresh mbuf's storage, long-aligned. */
static void
m_align(struct mbuf *m, int len)
{
	int adjust;

	KASSERT(m->m_data == M_START(m), ("%s: not a fresh mbuf", __func__));
	adjust = M_SIZE(m) - len;
	m->m_data += adjust & ~(int)(sizeof(long) - 1);
}

/* The last remain bytes of m, from len on, move to (or are shared by) n. */
static void
mb_split_tail(struct mbuf *n, struct mbuf *m, int len, int remain)
{

	if ((m->m_flags & M_EXT) != 0) {
		n->m_data = mb_data_at(m, len);
		mb_dupcl(n, m);
	} else
		mb_copy_payload(mtod(n, caddr_t), mtod(m, caddr_t) + len,
		    remain);
	n->m_len = remain;
	m->m_len = len;
	n->m_next = m->m_next;
	m->m_next = NULL;
}

/*
 * Split the chain m0 after len0 bytes; return the tail.  External storage
 * at the split point is shared by both halves.  NULL if the chain is
 * shorter than len0 or an mbuf cannot be had; the chain is then unchanged.
 */
struct mbuf *
m_split(struct mbuf *m0, int len0, int wait)
{
	struct mbuf *m, *n;
	int len, remain;

	MBUF_CHECKSLEEP(wait);
	KASSERT(len0 >= 0, ("%s: negative len %d", __func__, len0));
	len = len0;
	for (m = m0; m != NULL && len > m->m_len; m = m->m_next)
		len -= m->m_len;
	if (m == NULL)
		return (NULL);
	remain = m->m_len - len;
	if ((m0->m_flags & M_PKTHDR) != 0) {
		n = m_gethdr(wait, m0->m_type);
		if (n == NULL)
			return (NULL);
		n->m_pkthdr.rcvif = m0->m_pkthdr.rcvif;
		if (remain == 0) {
			n->m_next = m->m_next;
			m->m_next = NULL;
		} else if ((m->m_flags & M_EXTPG) != 0 ||
		    ((m->m_flags & M_EXT) == 0 && remain > MHLEN)) {
			/* The tail cannot live in n: n only leads it. */
			KASSERT(m != m0, ("%s: packet header on unmapped or "
			    "oversized mbuf %p", __func__, m));
			n->m_next = m_split(m, len, wait);
			if (n->m_next == NULL) {
				(void)m_free(n);
				return (NULL);
			}
		} else {
			if ((m->m_flags & M_EXT) == 0)
				m_align(n, remain);
			mb_split_tail(n, m, len, remain);
		}
		n->m_pkthdr.len = m0->m_pkthdr.len - len0;
		m0->m_pkthdr.len = len0;
		return (n);
	}
	if (remain == 0) {
		n = m->m_next;
		m->m_next = NULL;
		return (n);
	}
	n = m_get(wait, m->m_type);
	if (n == NULL)
		return (NULL);
	if ((m->m_flags & M_EXT) == 0)
		m_align(n, remain);
	mb_split_tail(n, m, len, remain);
	return (n);
}

/*
 * Append the chain n to the chain m.  While the last mbuf of m is
 * writable and has room, n's mapped data is copied into it and n's mbufs
 * are freed; after that the rest of n is linked.  Packet headers are not
 * updated.
 */
void
m_cat(struct mbuf *m, struct mbuf *n)
{

	while (m->m_next != NULL)
		m = m->m_next;
	while (n != NULL) {
		if (!M_WRITABLE(m) || (n->m_flags & M_EXTPG) != 0 ||
		    M_TRAILINGSPACE(m) < n->m_len) {
			m->m_next = n;
			return;
		}
		mb_copy_payload(mtod(m, caddr_t) + m->m_len,
		    mtod(n, caddr_t), n->m_len);
		m->m_len += n->m_len;
		n = m_free(n);
	}
}

/*
 * Trim req_len bytes from the head of the chain (req_len > 0) or -req_len
 * bytes from its tail (req_len < 0).  Trimmed mbufs at the head stay in the
 * chain, empty; at the tail they are freed.  Works on unmapped mbufs by
 * moving the m_data offset and m_len.
 */
void
m_adj(struct mbuf *mp, int req_len)
{
	struct mbuf *m;
	int count, len;

	if ((m = mp) == NULL)
		return;
	len = req_len;
	if (len >= 0) {
		while (m != NULL && len > 0) {
			if (m->m_len <= len) {
				len -= m->m_len;
				m->m_len = 0;
				m = m->m_next;
			} else {
				m->m_len -= len;
				m->m_data = mb_data_at(m, len);
				len = 0;
			}
		}
		if ((mp->m_flags & M_PKTHDR) != 0)
			mp->m_pkthdr.len -= req_len - len;
		return;
	}
	len = -len;
	count = 0;
	for (;;) {
		count += m->m_len;
		if (m->m_next == NULL)
			break;
		m = m->m_next;
	}
	if (m->m_len >= len) {
		m->m_len -= len;
		if ((mp->m_flags & M_PKTHDR) != 0)
			mp->m_pkthdr.len -= len;
		return;
	}
	count -= len;
	if (count < 0)
		count = 0;
	m = mp;
	if ((m->m_flags & M_PKTHDR) != 0)
		m->m_pkthdr.len = count;
	for (; m != NULL; m = m->m_next) {
		if (m->m_len >= count) {
			m->m_len = count;
			if (m->m_next != NULL) {
				m_freem(m->m_next);
				m->m_next = NULL;
			}
			break;
		}
		count -= m->m_len;
	}
}

/* Bytes in the chain; *last (if not NULL) gets its last mbuf. */
u_int
m_length(struct mbuf *m0, struct mbuf **last)
{
	struct mbuf *m;
	u_int len;

	len = 0;
	for (m = m0; m != NULL; m = m->m_next) {
		len += m->m_len;
		if (m->m_next == NULL)
			break;
	}
	if (last != NULL)
		*last = m;
	return (len);
}

/*
 * Make the first len bytes of the chain contiguous in its first mbuf,
 * which is then a plain mbuf (never a cluster or unmapped).  On failure
 * (len > MHLEN, chain too short, no mbuf) the whole chain is freed and
 * NULL returned, as in FreeBSD.
 */
struct mbuf *
m_pullup(struct mbuf *n, int len)
{
	struct mbuf *m;
	int count, space;

	KASSERT(len >= 0, ("%s: negative len %d", __func__, len));
	if ((n->m_flags & M_EXT) == 0 &&
	    mtod(n, caddr_t) - n->m_dat + len < MLEN && n->m_next != NULL) {
		if (n->m_len >= len)
			return (n);
		m = n;
		n = n->m_next;
		len -= m->m_len;
	} else {
		if (len > MHLEN)
			goto bad;
		m = m_get(M_NOWAIT, n->m_type);
		if (m == NULL)
			goto bad;
		if ((n->m_flags & M_PKTHDR) != 0)
			m_move_pkthdr(m, n);
	}
	space = MLEN - (int)(mtod(m, caddr_t) - m->m_dat) - m->m_len;
	do {
		count = MIN(MIN(len, space), n->m_len);
		m_copydata(n, 0, count, mtod(m, caddr_t) + m->m_len);
		len -= count;
		m->m_len += count;
		n->m_len -= count;
		space -= count;
		if (n->m_len != 0)
			n->m_data = mb_data_at(n, count);
		else
			n = m_free(n);
	} while (len > 0 && n != NULL);
	if (len > 0) {
		(void)m_free(m);
		goto bad;
	}
	m->m_next = n;
	return (m);
bad:
	m_freem(n);
	return (NULL);
}

/*
 * Call f(arg, p, count) on each mapped piece of the len bytes at offset
 * off of the chain; stop at and return the first non-zero result.
 */
int
m_apply(struct mbuf *m, int off, int len,
    int (*f)(void *, void *, u_int), void *arg)
{
	int count, rval;

	KASSERT(off >= 0, ("%s: negative off %d", __func__, off));
	KASSERT(len >= 0, ("%s: negative len %d", __func__, len));
	while (off > 0) {
		KASSERT(m != NULL, ("%s: offset > size of mbuf chain (%d+%d)",
		    __func__, off, len));
		if (off < m->m_len)
			break;
		off -= m->m_len;
		m = m->m_next;
	}
	while (len > 0) {
		KASSERT(m != NULL, ("%s: length > size of mbuf chain",
		    __func__));
		count = MIN(m->m_len - off, len);
		if ((m->m_flags & M_EXTPG) != 0)
			rval = mb_extpg_walk(m, off, count, f, arg);
		else
			rval = (*f)(arg, mtod(m, caddr_t) + off, count);
		if (rval != 0)
			return (rval);
		len -= count;
		off = 0;
		m = m->m_next;
	}
	return (0);
}

/* Strip the packet header (its fields are cleared). */
void
m_demote_pkthdr(struct mbuf *m)
{

	KASSERT((m->m_flags & M_PKTHDR) != 0,
	    ("%s: no packet header on %p", __func__, m));
	m->m_flags &= ~M_PKTHDR;
	memset(&m->m_pkthdr, 0, sizeof(m->m_pkthdr));
}

/*
 * Clean the chain of packet headers and of flags other than the storage
 * flags and those in flags; the first mbuf too if all is set.
 */
void
m_demote(struct mbuf *m0, int all, int flags)
{
	struct mbuf *m;

	for (m = all ? m0 : m0->m_next; m != NULL; m = m->m_next) {
		KASSERT(m->m_nextpkt == NULL, ("%s: m_nextpkt in m %p, m0 %p",
		    __func__, m, m0));
		if ((m->m_flags & M_PKTHDR) != 0)
			m_demote_pkthdr(m);
		m->m_flags &= M_EXT | M_RDONLY | M_NOFREE | M_EXTPG | flags;
	}
}

/*
 * Unmapped variant of m_uiotombuf(): one M_EXTPG mbuf of fresh anonymous
 * pages per maxseg bytes (a TLS record each, framed later by ktls_frame()),
 * data copied in with uiomove().  Header and trailer are left empty.  No
 * data gives a single empty unmapped mbuf (TLS 1.0's empty fragment).
 */
static struct mbuf *
m_uiotombuf_nomap(struct uio *uio, int how, int len, int maxseg, int flags)
{
	struct mbuf *m, *mb, *prev;
	vm_paddr_t pa;
	kssize_t total;
	int error, i, length, needed, pflags;

	KASSERT((flags & M_PKTHDR) == 0,
	    ("%s: unmapped mbufs have no packet header", __func__));
	MBUF_CHECKSLEEP(how);
	pflags = how == M_NOWAIT ? KH_NOWAIT : 0;
	total = len > 0 ? MIN(uio->uio_resid, len) : uio->uio_resid;
	if (maxseg == 0)
		maxseg = MBUF_PEXT_MAX_PGS * PAGE_SIZE;
	KASSERT(maxseg > 0 && maxseg <= (int)MBUF_PEXT_MAX_PGS * PAGE_SIZE,
	    ("%s: maxseg %d does not fit an unmapped mbuf", __func__,
	    maxseg));

	if (total == 0) {
		mb = mb_alloc_ext_pgs(how, mb_free_extpg, 0);
		if (mb == NULL)
			return (NULL);
		mb->m_epg_flags = EPG_FLAG_ANON;
		return (mb);
	}

	m = prev = NULL;
	while (total > 0) {
		mb = mb_alloc_ext_pgs(how, mb_free_extpg, 0);
		if (mb == NULL)
			goto failed;
		if (m == NULL)
			m = mb;
		else
			prev->m_next = mb;
		prev = mb;
		mb->m_epg_flags = EPG_FLAG_ANON;
		length = (int)MIN(maxseg, total);
		for (needed = length; needed > 0; needed -= PAGE_SIZE) {
			pa = khost_page_alloc(pflags);
			if (pa == 0)
				goto failed;
			mb->m_epg_pa[mb->m_epg_npgs++] = pa;
		}
		mb->m_epg_last_len = length - PAGE_SIZE * (mb->m_epg_npgs - 1);
		mb->m_ext.ext_size += PAGE_SIZE * mb->m_epg_npgs;
		total -= length;
		for (i = 0, needed = length; needed > 0; i++) {
			error = uiomove(PHYS_TO_DMAP(mb->m_epg_pa[i]),
			    MIN(needed, PAGE_SIZE), uio);
			if (error != 0)
				goto failed;
			needed -= MIN(needed, PAGE_SIZE);
		}
		mb->m_len = length;
		mb_extpg_check(mb);
	}
	return (m);

failed:
	m_freem(m);
	return (NULL);
}

/*
 * Copy len bytes (0: all) of uio into a new chain.  Mapped: lspace bytes
 * are left free at the front of the first mbuf, which gets M_PKTHDR if
 * flags say so.  With M_EXTPG in flags, lspace is the largest record
 * (maxseg) and the chain is unmapped (see m_uiotombuf_nomap()).  NULL
 * when memory cannot be had (M_NOWAIT); nothing is left allocated.
 */
struct mbuf *
m_uiotombuf(struct uio *uio, int how, int len, int lspace, int flags)
{
	struct mbuf *m, *mb;
	kssize_t total;
	int error, length, progress;

	if ((flags & M_EXTPG) != 0)
		return (m_uiotombuf_nomap(uio, how, len, lspace,
		    flags & ~M_EXTPG));
	MBUF_CHECKSLEEP(how);
	total = len > 0 ? MIN(uio->uio_resid, len) : uio->uio_resid;
	/* The smallest first mbuf is a packet header mbuf. */
	if (lspace < 0 || lspace >= MHLEN)
		return (NULL);
	m = m_getm2(NULL, (int)MAX(total + lspace, 1), how, MT_DATA, flags);
	if (m == NULL)
		return (NULL);
	m->m_data += lspace;
	progress = 0;
	for (mb = m; mb != NULL; mb = mb->m_next) {
		length = (int)MIN(M_TRAILINGSPACE(mb), total - progress);
		error = uiomove(mtod(mb, void *), length, uio);
		if (error != 0) {
			m_freem(m);
			return (NULL);
		}
		mb->m_len = length;
		progress += length;
		if ((flags & M_PKTHDR) != 0)
			m->m_pkthdr.len += length;
	}
	KASSERT(progress == total, ("%s: progress %d != total %jd", __func__,
	    progress, (intmax_t)total));
	return (m);
}

/*
 * Copy len bytes (0: as many as uio wants) of the chain m, mapped or not,
 * out to uio.  0 or the error of uiomove().
 */
int
m_mbuftouio(struct uio *uio, const struct mbuf *m, int len)
{
	kssize_t total;
	int error, length, progress;

	total = len > 0 ? MIN(uio->uio_resid, len) : uio->uio_resid;
	progress = 0;
	for (; m != NULL && progress < total; m = m->m_next) {
		length = (int)MIN(m->m_len, total - progress);
		if ((m->m_flags & M_EXTPG) != 0)
			error = mb_extpg_walk(__DECONST(struct mbuf *, m), 0,
			    length, mb_uiomove_piece, uio);
		else
			error = uiomove(mtod(m, void *), length, uio);
		if (error != 0)
			return (error);
		progress += length;
	}
	return (0);
}
