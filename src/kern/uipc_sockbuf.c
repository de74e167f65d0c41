/*-
 * Socket buffers (FreeBSD's sys/kern/uipc_sockbuf.c, the parts the KTLS
 * datapath uses).
 *
 * Design note.
 *
 * A sockbuf is a queue of records (m_nextpkt) of mbufs (m_next) plus a
 * set of counters kept exactly in step with it; sbcheck() recounts
 * everything and panics on the first difference.
 *
 * Not-ready data.  Software KTLS and sendfile append mbufs whose contents
 * are not there yet (M_NOTREADY): a worker is still encrypting them, or
 * the disk has not delivered them.  TCP must not send them, nor anything
 * after them, because a stream has no holes.  So:
 *
 *   - sb_fnrdy points at the first M_NOTREADY mbuf;
 *   - sb_acc counts only the bytes before it (what may be sent or read);
 *   - sb_ccc counts every byte, ready or not (what the buffer holds);
 *   - an mbuf appended while sb_fnrdy is set gets M_BLOCKED and stays out
 *     of sb_acc even if it is ready itself.
 *
 * sbready(m0, count) is called by whoever finishes the work.  Work may
 * finish out of order: if m0 is not sb_fnrdy its mbufs lose M_NOTREADY
 * but keep M_BLOCKED, nothing is added to sb_acc, and EINPROGRESS says so.
 * When m0 is sb_fnrdy, it and the following ready mbufs (earlier
 * out-of-order completions) are unblocked and counted, sb_fnrdy moves to
 * the next not-ready mbuf, and 0 tells the caller to send.  An unmapped
 * (M_EXTPG) mbuf counts readiness in pages (m_epg_nrdy); any other mbuf
 * is one unit.
 *
 * Cutting.  sbcut removes bytes from the front: first sb_mb, then the
 * bytes a KTLS decryptor has detached (sb_tlsdcc, set to zero: the record
 * being decrypted is discarded, and the decryptor sees the zero when it
 * relocks), then sb_mtls.  A not-ready send mbuf is only ever cut by a
 * flush (connection teardown): it is unlinked and accounted for but not
 * freed, because the worker still holds it and frees it when it is done
 * (mb_free_notready()).  Cutting not-ready data anywhere else is a bug:
 * it was never sent, so it cannot have been acknowledged or read.
 *
 * Differences from FreeBSD are small and deliberate: sbspace() never goes
 * below zero; sbsndptr_noadv() returns the mbuf actually holding the byte;
 * sbcut can cut part of an sb_mtls mbuf; a detached not-ready mbuf loses
 * its link to the ready mbufs after it (they are freed); sbready() does
 * not repack mbufs (no sbready_compress()).
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/mutex.h"
#include "sys/mbuf.h"
#include "sys/ktls.h"
#include "sys/socket.h"
#include "sys/socketvar.h"
#include "sys/sockbuf.h"

#ifndef M_PROTOFLAGS
#define	M_PROTOFLAGS	(M_PROTO1 | M_PROTO2 | M_PROTO3)
#endif
/* What m_demote() keeps: the storage flags. */
#define	SB_DEMOTEFLAGS	(M_EXT | M_RDONLY | M_NOFREE | M_EXTPG)

/* Largest reservation: SB_MAX scaled by cluster efficiency, as FreeBSD. */
#define	SB_MAX_ADJ							\
	((u_int)((uint64_t)SB_MAX * MCLBYTES / (MSIZE + MCLBYTES)))
#define	SB_EFFICIENCY	8

static struct mbuf *sbcut_internal(struct sockbuf *sb, int len, bool flush);
static void	sbflush_internal(struct sockbuf *sb);

/*
 * Storage an mbuf costs the buffer: the mbuf, plus its external storage.
 * An unmapped mbuf is M_EXT too; whoever fills it adds PAGE_SIZE to
 * ext_size per page, so its pages count like a cluster's bytes.
 */
static inline u_int
sb_mbsize(const struct mbuf *m)
{

	if ((m->m_flags & M_EXT) != 0)
		return (MSIZE + m->m_ext.ext_size);
	return (MSIZE);
}

static inline bool
sb_is_ctl(const struct mbuf *m)
{

	return (m->m_type != MT_DATA && m->m_type != MT_OOBDATA);
}

/* Clear the protocol flags, keeping M_NOTREADY if the caller asked. */
static void
sbm_clrprotoflags(struct mbuf *m, int flags)
{
	int mask;

	mask = ~M_PROTOFLAGS;
	if ((flags & PRUS_NOTREADY) != 0)
		mask |= M_NOTREADY;
	for (; m != NULL; m = m->m_next)
		m->m_flags &= mask;
}

/* ---- accounting ------------------------------------------------------- */

void
sballoc(struct sockbuf *sb, struct mbuf *m)
{

	SOCKBUF_LOCK_ASSERT(sb);

	sb->sb_ccc += m->m_len;
	if (sb->sb_fnrdy == NULL) {
		if ((m->m_flags & M_NOTREADY) != 0)
			sb->sb_fnrdy = m;
		else
			sb->sb_acc += m->m_len;
	} else
		m->m_flags |= M_BLOCKED;
	if (sb_is_ctl(m))
		sb->sb_ctl += m->m_len;
	sb->sb_mbcnt += sb_mbsize(m);
}

void
sbfree(struct sockbuf *sb, struct mbuf *m)
{
	struct mbuf *n;

	SOCKBUF_LOCK_ASSERT(sb);

	sb->sb_ccc -= m->m_len;
	if ((m->m_flags & M_NOTAVAIL) == 0)
		sb->sb_acc -= m->m_len;
	if (m == sb->sb_fnrdy) {
		/* The blocker goes: what followed it and is ready counts. */
		KASSERT((m->m_flags & M_NOTREADY) != 0,
		    ("%s: sb_fnrdy %p is not M_NOTREADY", __func__, m));
		for (n = m->m_next; n != NULL &&
		    (n->m_flags & M_NOTREADY) == 0; n = n->m_next) {
			n->m_flags &= ~M_BLOCKED;
			sb->sb_acc += n->m_len;
		}
		sb->sb_fnrdy = n;
	}
	if (sb_is_ctl(m))
		sb->sb_ctl -= m->m_len;
	sb->sb_mbcnt -= sb_mbsize(m);

	if (sb->sb_sndptr == m) {
		sb->sb_sndptr = NULL;
		sb->sb_sndptroff = 0;
	}
	if (sb->sb_sndptroff != 0)
		sb->sb_sndptroff -= m->m_len;
}

void
sballoc_ktls_rx(struct sockbuf *sb, struct mbuf *m)
{

	SOCKBUF_LOCK_ASSERT(sb);

	sb->sb_ccc += m->m_len;
	sb->sb_tlscc += m->m_len;
	sb->sb_mbcnt += sb_mbsize(m);
}

void
sbfree_ktls_rx(struct sockbuf *sb, struct mbuf *m)
{

	SOCKBUF_LOCK_ASSERT(sb);

	sb->sb_ccc -= m->m_len;
	sb->sb_tlscc -= m->m_len;
	sb->sb_mbcnt -= sb_mbsize(m);
}

/* ---- set up and tear down -------------------------------------------- */

int
sbreserve_locked(struct sockbuf *sb, u_int cc)
{

	SOCKBUF_LOCK_ASSERT(sb);

	if (cc > SB_MAX_ADJ)
		return (0);
	sb->sb_hiwat = cc;
	sb->sb_mbmax = MIN((uint64_t)cc * SB_EFFICIENCY, (uint64_t)SB_MAX);
	if (sb->sb_lowat > sb->sb_hiwat)
		sb->sb_lowat = sb->sb_hiwat;
	return (1);
}

void
sbinit(struct sockbuf *sb, struct mtx *mtx, u_int hiwat)
{
	int ok;

	memset(sb, 0, sizeof(*sb));
	sb->sb_mtx = mtx;
	SOCKBUF_LOCK(sb);
	ok = sbreserve_locked(sb, hiwat);
	SOCKBUF_UNLOCK(sb);
	KASSERT(ok, ("%s: hiwat %u above the limit %u", __func__, hiwat,
	    SB_MAX_ADJ));
	(void)ok;
}

void
sbdestroy(struct sockbuf *sb)
{

	/* The buffer's session reference; records in flight hold theirs. */
	if (sb->sb_tls_info != NULL) {
		ktls_free(sb->sb_tls_info);
		sb->sb_tls_info = NULL;
	}
	SOCKBUF_LOCK(sb);
	sbflush_internal(sb);
	sb->sb_hiwat = 0;
	sb->sb_mbmax = 0;
	SOCKBUF_UNLOCK(sb);
}

/* ---- readiness -------------------------------------------------------- */

int
sbready(struct sockbuf *sb, struct mbuf *m0, int count)
{
	struct mbuf *m;
	u_int blocker;

	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT(sb->sb_fnrdy != NULL, ("%s: sb %p has no not-ready data",
	    __func__, sb));
	KASSERT(count > 0, ("%s: count %d", __func__, count));

	m = m0;
	blocker = (sb->sb_fnrdy == m0) ? M_BLOCKED : 0;
	while (count > 0) {
		KASSERT(m != NULL, ("%s: %d units past the chain", __func__,
		    count));
		KASSERT((m->m_flags & M_NOTREADY) != 0,
		    ("%s: mbuf %p is not M_NOTREADY", __func__, m));
		if ((m->m_flags & M_EXTPG) != 0 && m->m_epg_npgs != 0) {
			if (count < m->m_epg_nrdy) {
				/* Some pages of this mbuf are still pending. */
				m->m_epg_nrdy -= count;
				count = 0;
				break;
			}
			count -= m->m_epg_nrdy;
			m->m_epg_nrdy = 0;
		} else
			count--;
		m->m_flags &= ~(M_NOTREADY | blocker);
		if (blocker != 0)
			sb->sb_acc += m->m_len;
		m = m->m_next;
	}

	/* The first mbuf still has pages pending: nothing moves. */
	if (m == m0) {
		KASSERT((m->m_flags & M_NOTREADY) != 0,
		    ("%s: mbuf %p not advanced but ready", __func__, m));
		return (EINPROGRESS);
	}

	/* Ready, but behind earlier not-ready data: stays M_BLOCKED. */
	if (blocker == 0)
		return (EINPROGRESS);

	/* m0 was the blocker: release what completed out of order. */
	for (; m != NULL && (m->m_flags & M_NOTREADY) == 0; m = m->m_next) {
		KASSERT((m->m_flags & M_BLOCKED) != 0,
		    ("%s: mbuf %p after sb_fnrdy not M_BLOCKED", __func__, m));
		m->m_flags &= ~M_BLOCKED;
		sb->sb_acc += m->m_len;
	}
	sb->sb_fnrdy = m;
	return (0);
}

/* ---- appending -------------------------------------------------------- */

/* Link m0 as the last record. */
static void
sblinkrecord(struct sockbuf *sb, struct mbuf *m0)
{

	SOCKBUF_LOCK_ASSERT(sb);
	if (sb->sb_lastrecord != NULL)
		sb->sb_lastrecord->m_nextpkt = m0;
	else
		sb->sb_mb = m0;
	sb->sb_lastrecord = m0;
}

/*
 * Append chain m after mbuf n, the tail of the last record (NULL: the
 * buffer is empty).  Empty mbufs are dropped unless they carry the end of
 * a record; a small ready mbuf is copied into the trailing space of n
 * when n is mapped, writable, ready, of the same type and does not end a
 * record; anything else is linked.  If any mbuf of m had M_EOR, the last
 * mbuf appended gets it.
 */
void
sbcompress(struct sockbuf *sb, struct mbuf *m, struct mbuf *n)
{
	struct mbuf *o;
	int eor;

	SOCKBUF_LOCK_ASSERT(sb);

	eor = 0;
	while (m != NULL) {
		eor |= m->m_flags & M_EOR;
		if (m->m_len == 0 && (eor == 0 ||
		    (((o = m->m_next) != NULL || (o = n) != NULL) &&
		    o->m_type == m->m_type))) {
			if (sb->sb_lastrecord == m)
				sb->sb_lastrecord = m->m_next;
			m = m_free(m);
			continue;
		}
		if (n != NULL && (n->m_flags & M_EOR) == 0 &&
		    (n->m_flags & (M_NOTREADY | M_EXTPG)) == 0 &&
		    (m->m_flags & M_NOTREADY) == 0 &&
		    !((m->m_flags & M_EXTPG) != 0 && m->m_epg_tls != NULL) &&
		    M_WRITABLE(n) &&
		    m->m_len <= MCLBYTES / 4 &&	/* don't copy too much */
		    m->m_len <= M_TRAILINGSPACE(n) &&
		    n->m_type == m->m_type) {
			KASSERT(sb->sb_lastrecord != m,
			    ("%s: merging record head %p into %p", __func__,
			    m, n));
			/* Counted copy; reads unmapped pages too. */
			m_copydata(m, 0, m->m_len,
			    mtod(n, caddr_t) + n->m_len);
			n->m_len += m->m_len;
			sb->sb_ccc += m->m_len;
			/* n is blocked if anything is not ready. */
			if (sb->sb_fnrdy == NULL)
				sb->sb_acc += m->m_len;
			if (sb_is_ctl(m))
				sb->sb_ctl += m->m_len;
			m = m_free(m);
			continue;
		}
		if (n != NULL)
			n->m_next = m;
		else
			sb->sb_mb = m;
		sb->sb_mbtail = m;
		sballoc(sb, m);
		n = m;
		m->m_flags &= ~M_EOR;
		m = m->m_next;
		n->m_next = NULL;
	}
	if (eor != 0) {
		KASSERT(n != NULL, ("%s: M_EOR and nothing appended",
		    __func__));
		n->m_flags |= eor;
	}
}

/*
 * Append m to the last record, or start a new one if the last record is
 * complete (M_EOR).  flags: PRUS_NOTREADY keeps M_NOTREADY on m.
 */
void
sbappend_locked(struct sockbuf *sb, struct mbuf *m, int flags)
{
	struct mbuf *n;

	SOCKBUF_LOCK_ASSERT(sb);

	if (m == NULL)
		return;
	sbm_clrprotoflags(m, flags);
	n = sb->sb_lastrecord;
	if (n != NULL) {
		for (;;) {
			if ((n->m_flags & M_EOR) != 0) {
				sbappendrecord_locked(sb, m);
				return;
			}
			if (n->m_next == NULL)
				break;
			n = n->m_next;
		}
	} else {
		KASSERT(sb->sb_mb == NULL, ("%s: records but no last record",
		    __func__));
		/* The first record is also the last. */
		sb->sb_lastrecord = m;
	}
	sbcompress(sb, m, n);
}

void
sbappend(struct sockbuf *sb, struct mbuf *m, int flags)
{

	SOCKBUF_LOCK(sb);
	sbappend_locked(sb, m, flags);
	SOCKBUF_UNLOCK(sb);
}

/*
 * Append to a stream: the buffer holds one record and m becomes part of
 * it, stripped of packet headers.  flags: PRUS_NOTREADY keeps
 * M_NOTREADY.  A KTLS receive buffer diverts the data to sb_mtls.
 */
void
sbappendstream_locked(struct sockbuf *sb, struct mbuf *m, int flags)
{

	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT(m == NULL || m->m_nextpkt == NULL,
	    ("%s: chain with m_nextpkt", __func__));

	if (m == NULL)
		return;
	if ((sb->sb_flags & SB_TLS_RX) != 0) {
		sbappend_ktls_rx(sb, m);
		return;
	}
	KASSERT(sb->sb_mb == sb->sb_lastrecord,
	    ("%s: more than one record", __func__));

	/* KTLS transmit: number the records before they join the buffer. */
	if (sb->sb_tls_info != NULL)
		ktls_seq(sb, m);

	m_demote(m, 1, (flags & PRUS_NOTREADY) != 0 ? M_NOTREADY : 0);
	sbcompress(sb, m, sb->sb_mbtail);
	sb->sb_lastrecord = sb->sb_mb;
}

void
sbappendstream(struct sockbuf *sb, struct mbuf *m, int flags)
{

	SOCKBUF_LOCK(sb);
	sbappendstream_locked(sb, m, flags);
	SOCKBUF_UNLOCK(sb);
}

/* Append m0 as a new record (zero-length records are allowed). */
void
sbappendrecord_locked(struct sockbuf *sb, struct mbuf *m0)
{
	struct mbuf *m;

	SOCKBUF_LOCK_ASSERT(sb);

	if (m0 == NULL)
		return;
	sbm_clrprotoflags(m0, 0);
	sballoc(sb, m0);
	sblinkrecord(sb, m0);
	sb->sb_mbtail = m0;
	m = m0->m_next;
	m0->m_next = NULL;
	/* The record's end mark belongs on its last mbuf. */
	if (m != NULL && (m0->m_flags & M_EOR) != 0) {
		m0->m_flags &= ~M_EOR;
		m->m_flags |= M_EOR;
	}
	sbcompress(sb, m, m0);
}

void
sbappendrecord(struct sockbuf *sb, struct mbuf *m0)
{

	SOCKBUF_LOCK(sb);
	sbappendrecord_locked(sb, m0);
	SOCKBUF_UNLOCK(sb);
}

/*
 * Append control mbufs and data m0 (may be NULL) as one record: the form
 * of a decrypted KTLS record (TLS_GET_RECORD, then the plaintext).
 * Nothing is compressed.
 */
void
sbappendcontrol_locked(struct sockbuf *sb, struct mbuf *m0,
    struct mbuf *control, int flags)
{
	struct mbuf *m;

	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT(control != NULL, ("%s: no control", __func__));

	sbm_clrprotoflags(m0, flags);
	for (m = control; m->m_next != NULL; m = m->m_next)
		continue;
	m->m_next = m0;
	for (m = control; m->m_next != NULL; m = m->m_next)
		sballoc(sb, m);
	sballoc(sb, m);
	sblinkrecord(sb, control);
	sb->sb_mbtail = m;
}

void
sbappendcontrol(struct sockbuf *sb, struct mbuf *m0, struct mbuf *control,
    int flags)
{

	SOCKBUF_LOCK(sb);
	sbappendcontrol_locked(sb, m0, control, flags);
	SOCKBUF_UNLOCK(sb);
}

/*
 * Build a control message in one mbuf: a struct cmsghdr and size bytes
 * from p (zeros if p is NULL), padded to CMSG_SPACE(size).  A cluster is
 * used when the message does not fit in a plain mbuf.
 *
 * Returns NULL when the allocation fails (M_NOWAIT) or the message would
 * not fit in a cluster (a caller bug with M_WAITOK, as in FreeBSD).
 */
struct mbuf *
sbcreatecontrol(const void *p, int size, int type, int level, int wait)
{
	struct cmsghdr *cp;
	struct mbuf *m;

	if (size < 0 || CMSG_SPACE(size) > MCLBYTES) {
		KASSERT(wait == M_NOWAIT, ("%s: CMSG_SPACE(%d) > MCLBYTES",
		    __func__, size));
		return (NULL);
	}
	if (CMSG_SPACE(size) > (size_t)MLEN)
		m = m_getcl(wait, MT_CONTROL, 0);
	else
		m = m_get(wait, MT_CONTROL);
	if (m == NULL)
		return (NULL);
	KASSERT(CMSG_SPACE(size) <= (size_t)M_TRAILINGSPACE(m),
	    ("%s: short mbuf", __func__));

	/* No uninitialised padding may reach the application. */
	cp = mtod(m, struct cmsghdr *);
	memset(cp, 0, CMSG_SPACE(size));
	if (p != NULL && size > 0)
		memcpy(CMSG_DATA(cp), p, size);
	m->m_len = CMSG_SPACE(size);
	cp->cmsg_len = CMSG_LEN(size);
	cp->cmsg_level = level;
	cp->cmsg_type = type;
	return (m);
}

/* ---- KTLS receive ----------------------------------------------------- */

/*
 * Append not-ready mbufs to sb_mtls after n (its tail).  Encrypted bytes
 * may be coalesced like any others as long as NIC-decrypted and
 * still-encrypted data do not mix.
 */
static void
sbcompress_ktls_rx(struct sockbuf *sb, struct mbuf *m, struct mbuf *n)
{

	SOCKBUF_LOCK_ASSERT(sb);

	while (m != NULL) {
		KASSERT((m->m_flags & M_EOR) == 0,
		    ("%s: TLS RX mbuf %p with M_EOR", __func__, m));
		KASSERT(m->m_type == MT_DATA,
		    ("%s: TLS RX mbuf %p not MT_DATA", __func__, m));
		KASSERT((m->m_flags & M_NOTREADY) != 0,
		    ("%s: TLS RX mbuf %p ready", __func__, m));
		KASSERT((m->m_flags & M_EXTPG) == 0,
		    ("%s: TLS RX mbuf %p unmapped", __func__, m));

		if (m->m_len == 0) {
			m = m_free(m);
			continue;
		}
		if (n != NULL && M_WRITABLE(n) &&
		    ((m->m_flags ^ n->m_flags) & M_DECRYPTED) == 0 &&
		    (n->m_flags & M_EXTPG) == 0 &&
		    m->m_len <= MCLBYTES / 4 &&
		    m->m_len <= M_TRAILINGSPACE(n)) {
			mb_copy_payload(mtod(n, caddr_t) + n->m_len,
			    mtod(m, caddr_t), m->m_len);
			n->m_len += m->m_len;
			sb->sb_ccc += m->m_len;
			sb->sb_tlscc += m->m_len;
			m = m_free(m);
			continue;
		}
		if (n != NULL)
			n->m_next = m;
		else
			sb->sb_mtls = m;
		sb->sb_mtlstail = m;
		sballoc_ktls_rx(sb, m);
		n = m;
		m = m->m_next;
		n->m_next = NULL;
	}
}

void
sbappend_ktls_rx(struct sockbuf *sb, struct mbuf *m)
{
	struct mbuf *n;
	int flags;

	SOCKBUF_LOCK_ASSERT(sb);

	/* A pure data chain; every mbuf of a packet inherits its marks. */
	flags = M_NOTREADY;
	for (n = m; n != NULL; n = n->m_next) {
		if ((n->m_flags & M_PKTHDR) != 0) {
			if ((n->m_pkthdr.csum_flags & CSUM_TLS_DECRYPTED) != 0)
				flags = M_NOTREADY | M_DECRYPTED;
			else
				flags = M_NOTREADY;
			m_demote_pkthdr(n);
		}
		n->m_flags &= SB_DEMOTEFLAGS;
		n->m_flags |= flags;
	}
	sbcompress_ktls_rx(sb, m, sb->sb_mtlstail);
	/* Schedule decryption once a whole record is on sb_mtls. */
	if (sb->sb_tls_info != NULL)
		ktls_check_rx(sb);
}

/* ---- removing data ---------------------------------------------------- */

/*
 * A not-ready mbuf cut by a flush belongs to its worker from now on.  It
 * keeps its link to a following not-ready mbuf (one sbready() or
 * mb_free_notready() may span both), not to a ready one, which is freed.
 */
static void
sbdetach_notready(struct mbuf *m, struct mbuf *n)
{

	m->m_nextpkt = NULL;
	if (n != NULL && (n->m_flags & M_NOTREADY) == 0)
		m->m_next = NULL;
}

/*
 * Cut len bytes from the front: sb_mb, then sb_tlsdcc, then sb_mtls.
 * Returns the cut mbufs linked by m_next for the caller to free.  With
 * flush set, not-ready send mbufs may be cut: they are unlinked and left
 * to their owner.
 */
static struct mbuf *
sbcut_internal(struct sockbuf *sb, int len, bool flush)
{
	struct mbuf *m, *n, *next, *mfree;
	bool is_tls;

	KASSERT(len >= 0, ("%s: len %d", __func__, len));
	KASSERT((u_int)len <= sb->sb_ccc, ("%s: len %d > sb_ccc %u",
	    __func__, len, sb->sb_ccc));

	m = sb->sb_mb;
	next = (m != NULL) ? m->m_nextpkt : NULL;
	is_tls = false;
	mfree = NULL;

	while (len > 0) {
		if (m == NULL) {
			if (next == NULL && !is_tls) {
				/* sb_mb is gone; the record in flight next. */
				if (sb->sb_tlsdcc != 0) {
					KASSERT((u_int)len >= sb->sb_tlsdcc,
					    ("%s: cut %d ends inside sb_tlsdcc"
					    " %u", __func__, len,
					    sb->sb_tlsdcc));
					len -= sb->sb_tlsdcc;
					sb->sb_ccc -= sb->sb_tlsdcc;
					sb->sb_tlsdcc = 0;
					if (len == 0)
						break;
				}
				next = sb->sb_mtls;
				is_tls = true;
			}
			KASSERT(next != NULL, ("%s: %d bytes past the end",
			    __func__, len));
			m = next;
			next = m->m_nextpkt;
		}
		if (m->m_len > len) {
			/* The cut ends inside m. */
			m->m_len -= len;
			m->m_data += len;
			sb->sb_ccc -= len;
			if (is_tls) {
				sb->sb_tlscc -= len;
				break;
			}
			KASSERT((m->m_flags & M_NOTAVAIL) == 0,
			    ("%s: cut ends inside not-ready mbuf %p",
			    __func__, m));
			sb->sb_acc -= len;
			if (sb->sb_sndptroff != 0)
				sb->sb_sndptroff -= len;
			if (sb_is_ctl(m))
				sb->sb_ctl -= len;
			break;
		}
		len -= m->m_len;
		n = m->m_next;
		if (is_tls) {
			sbfree_ktls_rx(sb, m);
		} else {
			KASSERT(flush || (m->m_flags & M_NOTAVAIL) == 0,
			    ("%s: cutting not-ready mbuf %p", __func__, m));
			sbfree(sb, m);
			if ((m->m_flags & M_NOTREADY) != 0) {
				sbdetach_notready(m, n);
				m = n;
				continue;
			}
		}
		m->m_next = mfree;
		m->m_nextpkt = NULL;
		mfree = m;
		m = n;
	}

	/*
	 * Drop empty mbufs now at the front (empty records, or a stream
	 * that carried only control).
	 */
	while (m != NULL && m->m_len == 0) {
		n = m->m_next;
		if (is_tls)
			sbfree_ktls_rx(sb, m);
		else if ((m->m_flags & M_NOTREADY) != 0) {
			/* An empty not-ready mbuf: a flush detaches it. */
			if (!flush)
				break;
			sbfree(sb, m);
			sbdetach_notready(m, n);
			m = n;
			continue;
		} else
			sbfree(sb, m);
		m->m_next = mfree;
		m->m_nextpkt = NULL;
		mfree = m;
		m = n;
	}

	if (is_tls) {
		sb->sb_mb = NULL;
		sb->sb_mtls = m;
		if (m == NULL)
			sb->sb_mtlstail = NULL;
	} else if (m != NULL) {
		sb->sb_mb = m;
		m->m_nextpkt = next;
	} else
		sb->sb_mb = next;

	m = sb->sb_mb;
	if (m == NULL) {
		sb->sb_mbtail = NULL;
		sb->sb_lastrecord = NULL;
	} else if (m->m_nextpkt == NULL)
		sb->sb_lastrecord = m;
	return (mfree);
}

struct mbuf *
sbcut_locked(struct sockbuf *sb, int len)
{

	SOCKBUF_LOCK_ASSERT(sb);
	return (sbcut_internal(sb, len, false));
}

void
sbdrop_locked(struct sockbuf *sb, int len)
{

	SOCKBUF_LOCK_ASSERT(sb);
	m_freem(sbcut_internal(sb, len, false));
}

void
sbdrop(struct sockbuf *sb, int len)
{
	struct mbuf *mfree;

	SOCKBUF_LOCK(sb);
	mfree = sbcut_internal(sb, len, false);
	SOCKBUF_UNLOCK(sb);
	/* Free outside the lock, as FreeBSD does. */
	m_freem(mfree);
}

/* Drop the first record whole. */
void
sbdroprecord_locked(struct sockbuf *sb)
{
	struct mbuf *m;

	SOCKBUF_LOCK_ASSERT(sb);

	m = sb->sb_mb;
	if (m != NULL) {
		sb->sb_mb = m->m_nextpkt;
		m->m_nextpkt = NULL;
		do {
			KASSERT((m->m_flags & M_NOTREADY) == 0,
			    ("%s: dropping not-ready mbuf %p", __func__, m));
			sbfree(sb, m);
			m = m_free(m);
		} while (m != NULL);
	}
	if (sb->sb_mb == NULL) {
		sb->sb_mbtail = NULL;
		sb->sb_lastrecord = NULL;
	}
}

/*
 * Empty the buffer: sb_mb, the record being decrypted and sb_mtls.
 * Not-ready send mbufs are unlinked, not freed (see sbcut_internal()).
 */
static void
sbflush_internal(struct sockbuf *sb)
{

	while (sb->sb_mbcnt != 0 || sb->sb_tlsdcc != 0) {
		/* Nothing to cut and a non-empty head: a broken count. */
		if (sb->sb_ccc == 0 &&
		    (sb->sb_mb == NULL || sb->sb_mb->m_len != 0))
			break;
		m_freem(sbcut_internal(sb, (int)sb->sb_ccc, true));
	}
	KASSERT(sb->sb_ccc == 0 && sb->sb_mb == NULL && sb->sb_mbcnt == 0 &&
	    sb->sb_mtls == NULL && sb->sb_fnrdy == NULL,
	    ("%s: ccc %u mb %p mbcnt %u mtls %p fnrdy %p left", __func__,
	    sb->sb_ccc, sb->sb_mb, sb->sb_mbcnt, sb->sb_mtls, sb->sb_fnrdy));
}

void
sbflush_locked(struct sockbuf *sb)
{

	SOCKBUF_LOCK_ASSERT(sb);
	sbflush_internal(sb);
}

void
sbflush(struct sockbuf *sb)
{

	SOCKBUF_LOCK(sb);
	sbflush_internal(sb);
	SOCKBUF_UNLOCK(sb);
}

/* ---- tcp_output support ----------------------------------------------- */

struct mbuf *
sbsndptr_noadv(struct sockbuf *sb, u_int off, u_int *moff)
{
	struct mbuf *m;
	u_int base;

	SOCKBUF_LOCK_ASSERT(sb);
	KASSERT(sb->sb_mb != NULL, ("%s: empty buffer", __func__));
	KASSERT(off < sb->sb_acc, ("%s: offset %u beyond the ready %u bytes",
	    __func__, off, sb->sb_acc));

	if (sb->sb_sndptr == NULL || sb->sb_sndptroff > off) {
		/* First use, or a retransmission before the cache. */
		if (sb->sb_sndptr == NULL) {
			sb->sb_sndptr = sb->sb_mb;
			sb->sb_sndptroff = 0;
		}
		m = sb->sb_mb;
		base = 0;
	} else {
		m = sb->sb_sndptr;
		base = sb->sb_sndptroff;
	}
	while (off - base >= (u_int)m->m_len) {
		base += m->m_len;
		m = m->m_next;
		KASSERT(m != NULL, ("%s: chain ends before %u", __func__,
		    off));
	}
	*moff = off - base;
	return (m);
}

void
sbsndptr_adv(struct sockbuf *sb, struct mbuf *mb, u_int len)
{
	struct mbuf *m;
	u_int off;

	SOCKBUF_LOCK_ASSERT(sb);

	/* Where is mb?  Only at or after the cache is it worth moving to. */
	off = sb->sb_sndptroff;
	for (m = sb->sb_sndptr; m != NULL && m != mb; m = m->m_next)
		off += m->m_len;
	if (m == NULL)
		return;
	/*
	 * The copy started somewhere in mb: advancing len bytes from mb's
	 * start stays at or before the next byte to send.
	 */
	while (len >= (u_int)m->m_len && m->m_next != NULL) {
		len -= m->m_len;
		off += m->m_len;
		m = m->m_next;
	}
	sb->sb_sndptr = m;
	sb->sb_sndptroff = off;
}

/* ---- space and checks ------------------------------------------------- */

long
sbspace(struct sockbuf *sb)
{
	long bleft, mleft;

	if ((sb->sb_flags & SB_STOP) != 0)
		return (0);
	bleft = (long)sb->sb_hiwat - (long)sb->sb_ccc;
	mleft = (long)sb->sb_mbmax - (long)sb->sb_mbcnt;
	bleft = MIN(bleft, mleft);
	return (bleft > 0 ? bleft : 0);
}

#define	SBCHECK_FAIL(fmt, ...)						\
	panic("sbcheck: sb %p: " fmt " (checked at %s:%d)", sb,		\
	    __VA_ARGS__, file, line)

void
sbcheck(struct sockbuf *sb, const char *file, int line)
{
	struct mbuf *m, *rec, *fnrdy, *last, *lastrec;
	u_long acc, ccc, ctl, mbcnt, tlscc, off, sndoff;
	bool sndfound;

	SOCKBUF_LOCK_ASSERT(sb);

	acc = ccc = ctl = mbcnt = tlscc = off = sndoff = 0;
	fnrdy = last = lastrec = NULL;
	sndfound = false;
	for (rec = sb->sb_mb; rec != NULL; rec = rec->m_nextpkt) {
		lastrec = rec;
		for (m = rec; m != NULL; m = m->m_next) {
			if (m != rec && m->m_nextpkt != NULL)
				SBCHECK_FAIL("mbuf %p inside a record has "
				    "m_nextpkt %p", m, m->m_nextpkt);
			if (m->m_len < 0)
				SBCHECK_FAIL("mbuf %p has m_len %d", m,
				    m->m_len);
			if (fnrdy == NULL && (m->m_flags & M_NOTREADY) != 0)
				fnrdy = m;
			if (fnrdy == NULL) {
				if ((m->m_flags & M_BLOCKED) != 0)
					SBCHECK_FAIL("mbuf %p before the first "
					    "not-ready one is M_BLOCKED", m);
				acc += m->m_len;
			} else if (m != fnrdy &&
			    (m->m_flags & M_NOTAVAIL) == 0)
				SBCHECK_FAIL("mbuf %p after sb_fnrdy %p is "
				    "neither M_NOTREADY nor M_BLOCKED", m,
				    fnrdy);
			if (m == sb->sb_sndptr) {
				sndfound = true;
				sndoff = off;
			}
			off += m->m_len;
			ccc += m->m_len;
			if (sb_is_ctl(m))
				ctl += m->m_len;
			mbcnt += sb_mbsize(m);
			last = m;
		}
	}
	if (sb->sb_fnrdy != fnrdy)
		SBCHECK_FAIL("sb_fnrdy %p, first not-ready mbuf is %p",
		    sb->sb_fnrdy, fnrdy);
	if (sb->sb_acc != acc)
		SBCHECK_FAIL("sb_acc %u, %lu bytes before the first "
		    "not-ready mbuf", sb->sb_acc, acc);
	if (sb->sb_ctl != ctl)
		SBCHECK_FAIL("sb_ctl %u, %lu control bytes", sb->sb_ctl, ctl);
	if (sb->sb_mbtail != last)
		SBCHECK_FAIL("sb_mbtail %p, last mbuf is %p", sb->sb_mbtail,
		    last);
	if (sb->sb_lastrecord != lastrec)
		SBCHECK_FAIL("sb_lastrecord %p, last record is %p",
		    sb->sb_lastrecord, lastrec);
	if (sb->sb_sndptr != NULL) {
		if (!sndfound)
			SBCHECK_FAIL("sb_sndptr %p is not in the chain",
			    sb->sb_sndptr);
		if (sb->sb_sndptroff != sndoff)
			SBCHECK_FAIL("sb_sndptroff %u, sb_sndptr is at %lu",
			    sb->sb_sndptroff, sndoff);
		if (sb->sb_sndptroff > sb->sb_acc)
			SBCHECK_FAIL("sb_sndptroff %u past the ready %u bytes",
			    sb->sb_sndptroff, sb->sb_acc);
	} else if (sb->sb_sndptroff != 0)
		SBCHECK_FAIL("sb_sndptroff %u without sb_sndptr",
		    sb->sb_sndptroff);

	last = NULL;
	for (m = sb->sb_mtls; m != NULL; m = m->m_next) {
		if (m->m_nextpkt != NULL)
			SBCHECK_FAIL("sb_mtls mbuf %p has m_nextpkt %p", m,
			    m->m_nextpkt);
		if ((m->m_flags & M_NOTREADY) == 0)
			SBCHECK_FAIL("sb_mtls mbuf %p is not M_NOTREADY", m);
		if (m->m_len < 0)
			SBCHECK_FAIL("sb_mtls mbuf %p has m_len %d", m,
			    m->m_len);
		tlscc += m->m_len;
		ccc += m->m_len;
		mbcnt += sb_mbsize(m);
		last = m;
	}
	if (sb->sb_mtlstail != last)
		SBCHECK_FAIL("sb_mtlstail %p, last sb_mtls mbuf is %p",
		    sb->sb_mtlstail, last);
	if (sb->sb_tlscc != tlscc)
		SBCHECK_FAIL("sb_tlscc %u, %lu bytes on sb_mtls", sb->sb_tlscc,
		    tlscc);
	ccc += sb->sb_tlsdcc;
	if (sb->sb_ccc != ccc)
		SBCHECK_FAIL("sb_ccc %u, %lu bytes (sb_mb + sb_tlsdcc %u + "
		    "sb_mtls)", sb->sb_ccc, ccc, sb->sb_tlsdcc);
	if (sb->sb_mbcnt != mbcnt)
		SBCHECK_FAIL("sb_mbcnt %u, %lu counted", sb->sb_mbcnt, mbcnt);
}
