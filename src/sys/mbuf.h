/*-
 * mbufs, laid out the way current FreeBSD lays them out.
 *
 * An mbuf is MSIZE (256) bytes: a small header (links, m_data, m_len, type
 * and flags) followed by a union whose meaning depends on the flags:
 *
 *   plain           m_dat[]: up to MLEN bytes of data inside the mbuf
 *   M_PKTHDR        m_pkthdr, then m_pktdat[] (MHLEN bytes) or m_ext
 *   M_EXT           m_ext: a reference-counted external buffer (cluster)
 *   M_EXTPG         the m_epg_* fields (overlaying m_pkthdr, so an unmapped
 *                   mbuf never carries a packet header), then m_ext whose
 *                   buffer union holds the page array, trailer and header:
 *
 *      +--------------+-------------------------------+---------------+
 *      | m_epg_hdr    | m_epg_pa[0] ... [npgs-1]      | m_epg_trail   |
 *      | hdrlen bytes | 1st_off .. last_len of pages  | trllen bytes  |
 *      +--------------+-------------------------------+---------------+
 *      ^ offset 0 of the mbuf's data                      m_len bytes ^
 *
 * An unmapped mbuf has no kernel virtual address for its payload: m_data is
 * an offset into the concatenation above (mtod(m, vm_offset_t)), starting
 * at 0, and m_adj() moves it like any other m_data.  The payload lives in
 * pool pages named by simulated physical address (khost_page_map() is the
 * direct map).  A KTLS record is exactly one such mbuf: the TLS header in
 * m_epg_hdr, the record payload in the pages, the MAC/tag/padding in
 * m_epg_trail.
 *
 * External storage is shared by reference count.  The count lives in the
 * mbuf that first owned the storage (EXT_FLAG_EMBREF, m_ext.ext_count);
 * copies made by m_copym() point at it (m_ext.ext_cnt).  That first mbuf
 * is not returned to the allocator until the last reference goes.
 */
#ifndef _UK_SYS_MBUF_H_
#define _UK_SYS_MBUF_H_

#include "sys/types.h"
#include "sys/param.h"
#include "sys/queue.h"

struct ktls_session;
struct socket;
struct uio;
struct m_snd_tag;
struct ifnet;
struct mbuf;

#define	MBUF_PEXT_HDR_LEN	23
#define	MBUF_PEXT_TRAIL_LEN	64
#define	MBUF_PEXT_MAX_PGS	(40 / sizeof(vm_paddr_t))	/* 5 on LP64 */
#define	MBUF_PEXT_MAX_BYTES						\
	(MBUF_PEXT_MAX_PGS * PAGE_SIZE + MBUF_PEXT_HDR_LEN + MBUF_PEXT_TRAIL_LEN)

/* Packet header: only what the TCP shim and the NIC models use. */
struct pkthdr {
	union {
		struct m_snd_tag *snd_tag;	/* TX: send tag (NIC TLS) */
		struct ifnet	*rcvif;		/* RX: receiving interface */
	};
	int32_t		 len;			/* total packet length */
	uint32_t	 csum_flags;		/* CSUM_TLS_DECRYPTED on RX */
	uint32_t	 flowid;
	uint16_t	 tso_segsz;
	uint16_t	 pad;
	uint64_t	 rcv_tstmp;		/* simulated clock, ns */
	void		*tags;			/* unused: no m_tag support */
	uint64_t	 spare;
};

#define	CSUM_TLS_DECRYPTED	0x04000000

typedef void m_ext_free_t(struct mbuf *);

struct m_ext {
	union {
		volatile u_int	 ext_count;	/* EXT_FLAG_EMBREF: count here */
		volatile u_int	*ext_cnt;	/* otherwise: points at it */
	};
	uint32_t	 ext_size;	/* size of the buffer (for mbcnt) */
	uint32_t	 ext_type:8,	/* EXT_CLUSTER, EXT_PGS, ... */
			 ext_flags:24;	/* EXT_FLAG_* */
	union {
		struct {		/* mapped external buffer */
			char		*ext_buf;
			void		*ext_arg2;
		};
		struct {		/* M_EXTPG: pages, trailer, header */
			vm_paddr_t	 extpg_pa[MBUF_PEXT_MAX_PGS];
			char		 extpg_trail[MBUF_PEXT_TRAIL_LEN];
			char		 extpg_hdr[MBUF_PEXT_HDR_LEN];
		};
	};
	m_ext_free_t	*ext_free;	/* frees the storage */
	void		*ext_arg1;
};

struct mbuf {
	union {
		struct mbuf	*m_next;	/* next mbuf in chain */
		STAILQ_ENTRY(mbuf) m_stailq;
	};
	union {
		struct mbuf	*m_nextpkt;	/* next chain in queue/record */
		STAILQ_ENTRY(mbuf) m_stailqpkt;
	};
	caddr_t		 m_data;	/* location of data (offset if M_EXTPG) */
	int32_t		 m_len;		/* amount of data in this mbuf */
	uint32_t	 m_type:8,	/* MT_* */
			 m_flags:24;	/* M_* */
	union {
		struct {
			union {
				/* M_PKTHDR set. */
				struct pkthdr	m_pkthdr;
				/* M_EXTPG set: record metadata. */
				struct {
					uint8_t	 m_epg_npgs;	/* pages */
					uint8_t	 m_epg_nrdy;	/* pages with I/O pending */
					uint8_t	 m_epg_hdrlen;	/* TLS header length */
					uint8_t	 m_epg_trllen;	/* TLS trailer length */
					uint16_t m_epg_1st_off;	/* offset in first page */
					uint16_t m_epg_last_len; /* bytes in last page */
					uint8_t	 m_epg_flags;	/* EPG_FLAG_* */
					uint8_t	 m_epg_record_type;
					uint8_t	 __spare[2];
					int	 m_epg_enc_cnt;	/* pages to encrypt */
					struct ktls_session *m_epg_tls;
					struct socket	*m_epg_so;
					uint64_t m_epg_seqno;
					STAILQ_ENTRY(mbuf) m_epg_stailq;
				};
			};
			union {
				/* M_EXT or M_EXTPG set. */
				struct m_ext	m_ext;
				/* M_PKTHDR set, neither M_EXT nor M_EXTPG. */
				char		m_pktdat[0];
			};
		};
		/* Neither M_PKTHDR nor M_EXT nor M_EXTPG. */
		char	m_dat[0];
	};
};

#define	m_epg_pa	m_ext.extpg_pa
#define	m_epg_trail	m_ext.extpg_trail
#define	m_epg_hdr	m_ext.extpg_hdr

#define	MLEN		((int)(MSIZE - offsetof(struct mbuf, m_dat)))
#define	MHLEN		((int)(MSIZE - offsetof(struct mbuf, m_pktdat)))
#define	MINCLSIZE	(MHLEN + 1)

/* m_flags */
#define	M_EXT		0x00000001	/* has associated external storage */
#define	M_PKTHDR	0x00000002	/* start of record */
#define	M_EOR		0x00000004	/* end of record */
#define	M_RDONLY	0x00000008	/* associated data is read-only */
#define	M_EXTPG		0x00000100	/* unmapped pages, TLS header/trailer */
#define	M_NOFREE	0x00000200	/* do not free the mbuf itself */
#define	M_PROTO1	0x00002000	/* protocol-specific */
#define	M_PROTO2	0x00004000
#define	M_PROTO3	0x00008000

/* Socket-buffer meanings of the protocol flags (sys/sockbuf.h in FreeBSD). */
#define	M_NOTREADY	M_PROTO1	/* data not populated yet (crypto/IO) */
#define	M_BLOCKED	M_PROTO2	/* behind an M_NOTREADY mbuf */
#define	M_NOTAVAIL	(M_NOTREADY | M_BLOCKED)
#define	M_DECRYPTED	M_PROTO3	/* RX: the NIC decrypted this data */

/* Flags that a copy of a packet header keeps. */
#define	M_COPYFLAGS	(M_PKTHDR | M_EOR | M_RDONLY | M_PROTO1 |	\
			    M_PROTO2 | M_PROTO3)

/* m_type */
#define	MT_NOTMBUF	0
#define	MT_DATA		1
#define	MT_HEADER	MT_DATA
#define	MT_SONAME	8
#define	MT_CONTROL	14
#define	MT_OOBDATA	15

/* ext_type */
#define	EXT_CLUSTER	1	/* mbuf cluster (MCLBYTES) */
#define	EXT_JUMBOP	3	/* page-sized cluster (MJUMPAGESIZE) */
#define	EXT_PGS		10	/* unmapped pages (M_EXTPG) */

/* ext_flags */
#define	EXT_FLAG_EMBREF	0x000001	/* reference count is embedded */
#define	EXT_FLAG_EXTREF	0x000002	/* reference count is elsewhere */

/* m_epg_flags */
#define	EPG_FLAG_ANON	0x1	/* anonymous pages: may encrypt in place */
#define	EPG_FLAG_2FREE	0x2	/* scheduled for a deferred free */

/* allocation flags (how) */
#ifndef M_NOWAIT
#define	M_NOWAIT	0x0001
#define	M_WAITOK	0x0002
#endif

/* Size of a page-sized cluster (m_getjcl(), m_get2(), m_getm2()). */
#define	MJUMPAGESIZE	PAGE_SIZE

/* m_copym: copy to the end of the chain */
#define	M_COPYALL	1000000000

#define	mtod(m, t)	((t)((m)->m_data))

#define	M_WRITABLE(m)							\
	(((m)->m_flags & (M_RDONLY | M_EXTPG)) == 0 &&			\
	    (((m)->m_flags & M_EXT) == 0 || m_extrefcnt(m) == 1))

/* Address of the start of the mbuf's own storage. */
#define	M_START(m)							\
	(((m)->m_flags & M_EXTPG) ? NULL :				\
	    ((m)->m_flags & M_EXT) ? (m)->m_ext.ext_buf :		\
	    ((m)->m_flags & M_PKTHDR) ? &(m)->m_pktdat[0] :		\
	    &(m)->m_dat[0])

#define	M_SIZE(m)							\
	(((m)->m_flags & M_EXT) ? (int)(m)->m_ext.ext_size :		\
	    ((m)->m_flags & M_PKTHDR) ? MHLEN : MLEN)

#define	M_LEADINGSPACE(m)						\
	(M_WRITABLE(m) ? (int)((m)->m_data - M_START(m)) : 0)
#define	M_TRAILINGSPACE(m)						\
	(M_WRITABLE(m) ?						\
	    (int)((M_START(m) + M_SIZE(m)) - ((m)->m_data + (m)->m_len)) : 0)

/* Physical to host address: the direct map. */
#define	PHYS_TO_DMAP(pa)	khost_page_map(pa)

/*
 * Length of page pidx of an unmapped mbuf, given the offset of the data in
 * that page (m_epg_1st_off for page 0, 0 after).
 */
static inline int
m_epg_pagelen(const struct mbuf *m, int pidx, int pgoff)
{

	if (pidx == m->m_epg_npgs - 1)
		return (m->m_epg_last_len);
	return (PAGE_SIZE - pgoff);
}

/* Payload bytes (pages only) of an unmapped mbuf. */
static inline int
m_epg_datalen(const struct mbuf *m)
{

	return (m->m_len - m->m_epg_hdrlen - m->m_epg_trllen);
}

u_int	m_extrefcnt(struct mbuf *m);

/* Allocation. */
struct mbuf *m_get(int how, short type);
struct mbuf *m_gethdr(int how, short type);
struct mbuf *m_getcl(int how, short type, int flags);
struct mbuf *m_get2(int size, int how, short type, int flags);
struct mbuf *m_getjcl(int how, short type, int flags, int size);
struct mbuf *m_getm2(struct mbuf *m, int len, int how, short type,
	    int flags);
struct mbuf *mb_alloc_ext_pgs(int how, m_ext_free_t ext_free, int flags);
struct mbuf *m_free(struct mbuf *m);
void	m_freem(struct mbuf *m);
void	mb_free_extpg(struct mbuf *m);	/* default ext_free: frees pages */
void	mb_free_notready(struct mbuf *m, int count);
void	m_free_raw(struct mbuf *m);	/* the mbuf, not its storage */

/*
 * When the last reference to an unmapped mbuf's storage goes and the mbuf
 * still holds a session reference (m_epg_tls), its pages are freed and
 * then the session reference is dropped with ktls_free() and the mbuf
 * freed.  KTLS may set this hook to take over that step instead (to drop
 * the reference on a worker, as FreeBSD's ktls_enqueue_to_free()); the
 * hook then frees the mbuf itself with m_free_raw().
 */
extern void (*mb_ktls_free_hook)(struct mbuf *m);

/* Chains. */
void	m_copydata(const struct mbuf *m, int off, int len, caddr_t cp);
void	m_copyback(struct mbuf *m0, int off, int len, c_caddr_t cp);
struct mbuf *m_copym(struct mbuf *m, int off, int len, int how);
struct mbuf *m_split(struct mbuf *m0, int len0, int how);
void	m_cat(struct mbuf *m, struct mbuf *n);
void	m_adj(struct mbuf *mp, int req_len);
u_int	m_length(struct mbuf *m0, struct mbuf **last);
struct mbuf *m_pullup(struct mbuf *m, int len);
int	m_apply(struct mbuf *m, int off, int len,
	    int (*f)(void *, void *, u_int), void *arg);
void	m_demote(struct mbuf *m0, int all, int flags);
void	m_demote_pkthdr(struct mbuf *m);
int	m_dup_pkthdr(struct mbuf *to, const struct mbuf *from, int how);
void	m_move_pkthdr(struct mbuf *to, struct mbuf *from);
struct mbuf *m_uiotombuf(struct uio *uio, int how, int len, int lspace,
	    int flags);
int	m_mbuftouio(struct uio *uio, const struct mbuf *m, int len);

/* Unmapped data. */
int	m_unmapped_copydata(const struct mbuf *m, int off, int len,
	    caddr_t cp);

/* Counted payload copy: every CPU copy of payload goes through here. */
void	mb_copy_payload(void *dst, const void *src, size_t len);

#endif /* !_UK_SYS_MBUF_H_ */
