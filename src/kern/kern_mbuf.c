/*-
 * mbuf allocation and release (FreeBSD's kern_mbuf.c).
 *
 * FreeBSD takes mbufs, clusters and page-sized clusters from UMA zones.
 * Here each is one kmalloc() under a malloc type of its own, so a leak
 * shows by name, and every allocation and release moves a host counter:
 * KC_MBUF (all mbufs, unmapped ones included), KC_CLUSTER (clusters of
 * either size) and KC_EXTPG (mbufs carrying M_EXTPG).
 *
 * External storage and its reference count.  The mbuf that first owns a
 * buffer keeps the count in m_ext.ext_count (EXT_FLAG_EMBREF); copies made
 * by m_copym() or m_split() point at it through m_ext.ext_cnt.  Whoever
 * drops the last reference frees the storage and that first mbuf (mref).
 * If m_free() is called on mref while copies live, its storage and its 256
 * bytes both stay allocated: the count lives there.  It is then a husk,
 * linked to nothing, found again only through a copy's ext_cnt.
 *
 * An unmapped mbuf (M_EXTPG) owns pages instead of a buffer.  Its ext_free
 * (mb_free_extpg() unless the caller gives another) releases the pages when
 * the last reference goes.  If the owner still carries a KTLS session
 * reference (a record freed before it was encrypted), that reference is
 * dropped here, or the mbuf is handed to mb_ktls_free_hook when KTLS wants
 * to defer it to a worker as FreeBSD does (ktls_enqueue_to_free()).
 *
 * M_NOWAIT allocations can fail, and the host's failure hook lets a test
 * fail any one of them.  A function that needs two (an mbuf and a cluster)
 * undoes the first when the second fails, so failure never leaks.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/atomic.h"
#include "sys/errno.h"
#include "sys/malloc.h"
#include "sys/mbuf.h"
#include "sys/ktls.h"

MALLOC_DEFINE(M_MBUF, "mbuf", "mbufs");
MALLOC_DEFINE(M_MBUFCL, "mbuf_cluster", "mbuf clusters");

CTASSERT(sizeof(struct mbuf) <= MSIZE);
CTASSERT(MBUF_PEXT_MAX_PGS == 5);
CTASSERT(sizeof(((struct mbuf *)0)->m_epg_hdr) == MBUF_PEXT_HDR_LEN);
CTASSERT(sizeof(((struct mbuf *)0)->m_epg_trail) == MBUF_PEXT_TRAIL_LEN);
CTASSERT(MHLEN > 0 && MLEN > MHLEN);

void (*mb_ktls_free_hook)(struct mbuf *m);

#define	MBUF_CHECKSLEEP(how)						\
	KASSERT((how) == M_NOWAIT || (how) == M_WAITOK,			\
	    ("%s: how %#x is neither M_NOWAIT nor M_WAITOK", __func__, (how)))

/* m_init(): a fresh mbuf with no storage but its own. */
static void
mb_init(struct mbuf *m, short type, int flags)
{

	m->m_next = NULL;
	m->m_nextpkt = NULL;
	m->m_len = 0;
	m->m_type = type;
	m->m_flags = flags;
	if ((flags & M_PKTHDR) != 0) {
		memset(&m->m_pkthdr, 0, sizeof(m->m_pkthdr));
		m->m_data = m->m_pktdat;
	} else
		m->m_data = m->m_dat;
}

static struct mbuf *
mb_alloc(int how, short type, int flags)
{
	struct mbuf *m;

	MBUF_CHECKSLEEP(how);
	KASSERT((flags & (M_EXT | M_EXTPG)) == 0,
	    ("%s: storage flags %#x", __func__, flags));
	m = kmalloc(MSIZE, M_MBUF, how);
	if (m == NULL)
		return (NULL);
	khost_counter_add(KC_MBUF, 1);
	mb_init(m, type, flags);
	return (m);
}

/*
 * Give m a cluster of size bytes (MCLBYTES or MJUMPAGESIZE) with a
 * reference count of one kept in m.  0 or ENOMEM (M_NOWAIT only).
 */
static int
mb_ctor_clust(struct mbuf *m, int size, int how)
{
	char *buf;

	KASSERT(size == MCLBYTES || size == MJUMPAGESIZE,
	    ("%s: cluster size %d", __func__, size));
	buf = kmalloc(size, M_MBUFCL, how);
	if (buf == NULL)
		return (ENOMEM);
	khost_counter_add(KC_CLUSTER, 1);
	m->m_ext.ext_buf = buf;
	m->m_ext.ext_arg2 = NULL;
	m->m_ext.ext_size = size;
	m->m_ext.ext_type = size == MCLBYTES ? EXT_CLUSTER : EXT_JUMBOP;
	m->m_ext.ext_flags = EXT_FLAG_EMBREF;
	m->m_ext.ext_count = 1;
	m->m_ext.ext_free = NULL;
	m->m_ext.ext_arg1 = NULL;
	m->m_data = buf;
	m->m_flags |= M_EXT;
	return (0);
}

struct mbuf *
m_get(int how, short type)
{

	return (mb_alloc(how, type, 0));
}

struct mbuf *
m_gethdr(int how, short type)
{

	return (mb_alloc(how, type, M_PKTHDR));
}

struct mbuf *
m_getjcl(int how, short type, int flags, int size)
{
	struct mbuf *m;

	m = mb_alloc(how, type, flags);
	if (m == NULL)
		return (NULL);
	if (mb_ctor_clust(m, size, how) != 0) {
		m_free_raw(m);
		return (NULL);
	}
	return (m);
}

struct mbuf *
m_getcl(int how, short type, int flags)
{

	return (m_getjcl(how, type, flags, MCLBYTES));
}

/*
 * The smallest storage that holds size bytes: the mbuf alone, a cluster
 * or a page-sized cluster.  NULL if size is larger than a page.
 */
struct mbuf *
m_get2(int size, int how, short type, int flags)
{

	if (size <= MHLEN || (size <= MLEN && (flags & M_PKTHDR) == 0))
		return (mb_alloc(how, type, flags));
	if (size <= MCLBYTES)
		return (m_getjcl(how, type, flags, MCLBYTES));
	if (size > MJUMPAGESIZE)
		return (NULL);
	return (m_getjcl(how, type, flags, MJUMPAGESIZE));
}

/*
 * Append to m (or make, if m is NULL) enough mbufs to hold len bytes,
 * all empty.  Page-sized clusters are tried without sleeping and clusters
 * are the fallback, as in FreeBSD.  Only the first new mbuf can get
 * M_PKTHDR and only when m is NULL; only the last gets M_EOR.  On failure
 * the new mbufs are freed, m is left as it was and NULL is returned.
 */
struct mbuf *
m_getm2(struct mbuf *m, int len, int how, short type, int flags)
{
	struct mbuf *mb, *nm, *mtail;

	KASSERT(len >= 0, ("%s: len %d < 0", __func__, len));
	flags &= M_PKTHDR | M_EOR;
	if (m != NULL)
		flags &= ~M_PKTHDR;
	nm = mtail = NULL;
	while (len > 0) {
		mb = NULL;
		if (len > MCLBYTES)
			mb = m_getjcl(M_NOWAIT, type, flags & M_PKTHDR,
			    MJUMPAGESIZE);
		if (mb == NULL) {
			if (len >= MINCLSIZE)
				mb = m_getcl(how, type, flags & M_PKTHDR);
			else
				mb = mb_alloc(how, type, flags & M_PKTHDR);
			if (mb == NULL) {
				m_freem(nm);
				return (NULL);
			}
		}
		len -= M_SIZE(mb);
		if (mtail != NULL)
			mtail->m_next = mb;
		else
			nm = mb;
		mtail = mb;
		flags &= ~M_PKTHDR;
	}
	if (mtail != NULL && (flags & M_EOR) != 0)
		mtail->m_flags |= M_EOR;
	if (m == NULL)
		return (nm);
	for (mtail = m; mtail->m_next != NULL; mtail = mtail->m_next)
		;
	mtail->m_next = nm;
	mtail->m_flags &= ~M_EOR;
	return (m);
}

/*
 * An empty unmapped mbuf: M_EXT | M_EXTPG, no pages yet, m_data offset 0,
 * its own reference count.  The caller fills m_epg_pa[], m_epg_npgs,
 * m_epg_last_len, m_len and adds PAGE_SIZE per page to ext_size.  ext_free
 * releases the pages when the last reference goes (mb_free_extpg() if
 * NULL).
 */
struct mbuf *
mb_alloc_ext_pgs(int how, m_ext_free_t ext_free, int flags)
{
	struct mbuf *m;

	KASSERT((flags & (M_PKTHDR | M_EXT | M_EXTPG)) == 0,
	    ("%s: flags %#x", __func__, flags));
	m = mb_alloc(how, MT_DATA, 0);
	if (m == NULL)
		return (NULL);
	m->m_epg_npgs = 0;
	m->m_epg_nrdy = 0;
	m->m_epg_hdrlen = 0;
	m->m_epg_trllen = 0;
	m->m_epg_1st_off = 0;
	m->m_epg_last_len = 0;
	m->m_epg_flags = 0;
	m->m_epg_record_type = 0;
	m->m_epg_enc_cnt = 0;
	m->m_epg_tls = NULL;
	m->m_epg_so = NULL;
	m->m_epg_seqno = 0;
	m->m_epg_stailq.stqe_next = NULL;
	memset(m->m_epg_pa, 0, sizeof(m->m_epg_pa));
	m->m_data = NULL;
	m->m_flags |= M_EXT | M_EXTPG | flags;
	m->m_ext.ext_flags = EXT_FLAG_EMBREF;
	m->m_ext.ext_count = 1;
	m->m_ext.ext_size = 0;
	m->m_ext.ext_type = EXT_PGS;
	m->m_ext.ext_free = ext_free != NULL ? ext_free : mb_free_extpg;
	m->m_ext.ext_arg1 = NULL;
	khost_counter_add(KC_EXTPG, 1);
	return (m);
}

/* The default ext_free of an unmapped mbuf: drop each page. */
void
mb_free_extpg(struct mbuf *m)
{
	int i;

	KASSERT((m->m_flags & M_EXTPG) != 0,
	    ("%s: %p is not unmapped", __func__, m));
	KASSERT(m->m_epg_npgs <= MBUF_PEXT_MAX_PGS,
	    ("%s: %d pages", __func__, m->m_epg_npgs));
	for (i = 0; i < m->m_epg_npgs; i++)
		khost_page_free(m->m_epg_pa[i]);
}

/* Return the 256 bytes of m to the allocator; its storage is not touched. */
void
m_free_raw(struct mbuf *m)
{

	if ((m->m_flags & M_EXTPG) != 0)
		khost_counter_add(KC_EXTPG, -1);
	khost_counter_add(KC_MBUF, -1);
#ifdef INVARIANTS
	/* A husk or copy used after its free should fault, not work. */
	memset(m, 0xdb, MSIZE);
#endif
	kfree(m, M_MBUF);
}

/* The mbuf holding the reference count of m's storage. */
static struct mbuf *
mb_refmbuf(struct mbuf *m, volatile u_int **refcntp)
{

	if ((m->m_ext.ext_flags & EXT_FLAG_EMBREF) != 0) {
		*refcntp = &m->m_ext.ext_count;
		return (m);
	}
	KASSERT(m->m_ext.ext_cnt != NULL,
	    ("%s: no reference count pointer in %p", __func__, m));
	*refcntp = m->m_ext.ext_cnt;
	return ((struct mbuf *)((uintptr_t)m->m_ext.ext_cnt -
	    offsetof(struct mbuf, m_ext.ext_count)));
}

u_int
m_extrefcnt(struct mbuf *m)
{
	volatile u_int *refcnt;

	KASSERT((m->m_flags & M_EXT) != 0, ("%s: M_EXT missing", __func__));
	(void)mb_refmbuf(m, &refcnt);
	return (atomic_load_int(refcnt));
}

/*
 * Drop m's reference to its external storage and free m.  The last
 * reference frees the storage and the mbuf holding the count.
 */
static void
mb_free_ext(struct mbuf *m)
{
	volatile u_int *refcnt;
	struct ktls_session *tls;
	struct mbuf *mref;

	KASSERT((m->m_flags & M_EXT) != 0, ("%s: M_EXT missing", __func__));
	mref = mb_refmbuf(m, &refcnt);
	KASSERT(atomic_load_int(refcnt) > 0,
	    ("%s: storage of %p has no references", __func__, m));
	if (refcount_release(refcnt)) {
		switch (mref->m_ext.ext_type) {
		case EXT_CLUSTER:
		case EXT_JUMBOP:
			kfree(mref->m_ext.ext_buf, M_MBUFCL);
			khost_counter_add(KC_CLUSTER, -1);
			m_free_raw(mref);
			break;
		case EXT_PGS:
			KASSERT((mref->m_flags & M_EXTPG) != 0,
			    ("%s: EXT_PGS without M_EXTPG", __func__));
			mref->m_ext.ext_free(mref);
			if (mref->m_epg_tls != NULL) {
				if (mb_ktls_free_hook != NULL) {
					mb_ktls_free_hook(mref);
					break;
				}
				tls = mref->m_epg_tls;
				mref->m_epg_tls = NULL;
				ktls_free(tls);
			}
			m_free_raw(mref);
			break;
		default:
			KASSERT(mref->m_ext.ext_free != NULL,
			    ("%s: ext_type %d without ext_free", __func__,
			    mref->m_ext.ext_type));
			mref->m_ext.ext_free(mref);
			m_free_raw(mref);
			break;
		}
	}
	if (m != mref && (m->m_flags & M_NOFREE) == 0)
		m_free_raw(m);
}

/* Free one mbuf (and its reference to external storage); return the next. */
struct mbuf *
m_free(struct mbuf *m)
{
	struct mbuf *n;

	KASSERT(m != NULL, ("%s: NULL mbuf", __func__));
	KASSERT((m->m_flags & M_EXTPG) == 0 || (m->m_flags & M_EXT) != 0,
	    ("%s: M_EXTPG without M_EXT", __func__));
	n = m->m_next;
	if ((m->m_flags & M_EXT) != 0)
		mb_free_ext(m);
	else if ((m->m_flags & M_NOFREE) == 0)
		m_free_raw(m);
	return (n);
}

void
m_freem(struct mbuf *m)
{

	while (m != NULL)
		m = m_free(m);
}

/*
 * Free count not-ready units from the start of a chain, on an error path
 * (I/O failed, connection gone).  A plain mbuf is one unit; an unmapped
 * mbuf is m_epg_nrdy units (its pages still waiting) and is freed when
 * the last of them is.
 */
void
mb_free_notready(struct mbuf *m, int count)
{
	int i;

	for (i = 0; i < count && m != NULL; i++) {
		if ((m->m_flags & M_EXTPG) != 0) {
			KASSERT(m->m_epg_nrdy > 0,
			    ("%s: unmapped mbuf %p has no not-ready pages",
			    __func__, m));
			m->m_epg_nrdy--;
			if (m->m_epg_nrdy != 0)
				continue;
		}
		m = m_free(m);
	}
	KASSERT(i == count, ("%s: freed only %d of %d units", __func__, i,
	    count));
}
