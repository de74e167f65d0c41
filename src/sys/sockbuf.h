/*-
 * Socket buffers (sys/sockbuf.h).
 *
 * A sockbuf holds a chain of mbufs, sb_mb .. sb_mbtail, linked by m_next
 * within a record and by m_nextpkt between records.  Stream sockets keep a
 * single record; a KTLS receive buffer keeps one record per decrypted TLS
 * record (a TLS_GET_RECORD control mbuf, then the data, M_EOR at the end).
 *
 * Counts (all under the sockbuf lock):
 *
 *   sb_acc    bytes in sb_mb before the first not-ready mbuf (sb_fnrdy):
 *             what may be sent or read now
 *   sb_ccc    every byte the buffer holds or has promised: sb_mb bytes
 *             (ready or not) + sb_tlsdcc + bytes on sb_mtls
 *   sb_ctl    bytes of control mbufs on sb_mb
 *   sb_mbcnt  storage used (MSIZE per mbuf plus external storage)
 *   sb_tlscc  bytes on sb_mtls (encrypted records waiting to be decrypted)
 *   sb_tlsdcc bytes detached from sb_mtls and being decrypted right now
 *
 * The KTLS receive side splits the buffer in two (the talk's figure):
 *
 *   sb_mtls: [rec 5][rec 6, partial ...]     encrypted, M_NOTREADY, no
 *                                            m_nextpkt links
 *   sb_mb:   [ctl|rec 3 data][ctl|rec 4]     decrypted records, readable
 *
 * sbspace() counts both halves, so undecrypted bytes apply flow control.
 */
#ifndef _UK_SYS_SOCKBUF_H_
#define _UK_SYS_SOCKBUF_H_

#include "sys/types.h"
#include "sys/mutex.h"

struct mbuf;
struct ktls_session;

struct sockbuf {
	struct mtx	*sb_mtx;	/* sockbuf lock */
	u_int		 sb_state;	/* SBS_* */
	u_int		 sb_flags;	/* SB_* */
	struct mbuf	*sb_mb;		/* the mbuf chain */
	struct mbuf	*sb_mbtail;	/* the last mbuf in the chain */
	struct mbuf	*sb_lastrecord;	/* first mbuf of the last record */
	struct mbuf	*sb_sndptr;	/* where tcp_output continues */
	struct mbuf	*sb_fnrdy;	/* first not-ready mbuf */
	u_int		 sb_sndptroff;	/* byte offset of sb_sndptr */
	u_int		 sb_acc;	/* available chars in buffer */
	u_int		 sb_ccc;	/* claimed chars in buffer */
	u_int		 sb_mbcnt;	/* chars of mbufs used */
	u_int		 sb_ctl;	/* non-data chars in buffer */
	u_int		 sb_hiwat;	/* max actual char count */
	u_int		 sb_lowat;	/* low water mark */
	u_int		 sb_mbmax;	/* max chars of mbufs to use */
	/* KTLS */
	struct mbuf	*sb_mtls;	/* undecrypted TLS records */
	struct mbuf	*sb_mtlstail;	/* last mbuf on sb_mtls */
	u_int		 sb_tlscc;	/* bytes on sb_mtls */
	u_int		 sb_tlsdcc;	/* bytes being decrypted */
	uint64_t	 sb_tls_seqno;	/* next TLS sequence number */
	struct ktls_session *sb_tls_info; /* TLS session */
};

/* sb_state */
#define	SBS_CANTSENDMORE	0x0010	/* can't send more data to peer */
#define	SBS_CANTRCVMORE		0x0020	/* can't receive more data */

/* sb_flags */
#define	SB_WAIT		0x00004		/* someone is waiting for data */
#define	SB_TLS_RX	0x00400		/* KTLS receive active */
#define	SB_AUTOSIZE	0x00800		/* automatically size the buffer */
#define	SB_STOP		0x01000		/* backpressure indicator */
#define	SB_TLS_IFNET	0x04000		/* has used ifnet KTLS */
#define	SB_TLS_RX_RUNNING 0x08000	/* KTLS RX work queued or running */
#define	SB_TLS_RX_RESYNC 0x10000	/* NIC RX resync requested */

#define	SB_MAX		(2 * 1024 * 1024)	/* default sb_max */

#define	SOCKBUF_MTX(sb)		((sb)->sb_mtx)
#define	SOCKBUF_LOCK(sb)	mtx_lock(SOCKBUF_MTX(sb))
#define	SOCKBUF_UNLOCK(sb)	mtx_unlock(SOCKBUF_MTX(sb))
#define	SOCKBUF_OWNED(sb)	mtx_owned(SOCKBUF_MTX(sb))
#define	SOCKBUF_LOCK_ASSERT(sb)	mtx_assert(SOCKBUF_MTX(sb), MA_OWNED)

/*
 * Set up and tear down.  sbreserve_locked() sets sb_hiwat = cc and
 * sb_mbmax = min(8 * cc, SB_MAX); it returns 1, or 0 when cc is above
 * SB_MAX scaled for cluster overhead.  sbdestroy() drops the buffer's
 * KTLS session reference (sb_tls_info) and flushes everything.
 */
void	sbinit(struct sockbuf *sb, struct mtx *mtx, u_int hiwat);
int	sbreserve_locked(struct sockbuf *sb, u_int cc);
void	sbdestroy(struct sockbuf *sb);

/* Accounting of one mbuf entering or leaving the buffer. */
void	sballoc(struct sockbuf *sb, struct mbuf *m);
void	sbfree(struct sockbuf *sb, struct mbuf *m);
void	sballoc_ktls_rx(struct sockbuf *sb, struct mbuf *m);
void	sbfree_ktls_rx(struct sockbuf *sb, struct mbuf *m);

/*
 * Appends.  flags: PRUS_NOTREADY (sys/socketvar.h) keeps M_NOTREADY on the
 * new mbufs.  sbappendstream() numbers KTLS transmit records (ktls_seq())
 * and sends data for a KTLS receive buffer (SB_TLS_RX) to sb_mtls.
 */
void	sbappend(struct sockbuf *sb, struct mbuf *m, int flags);
void	sbappend_locked(struct sockbuf *sb, struct mbuf *m, int flags);
void	sbappendstream(struct sockbuf *sb, struct mbuf *m, int flags);
void	sbappendstream_locked(struct sockbuf *sb, struct mbuf *m, int flags);
void	sbappendrecord(struct sockbuf *sb, struct mbuf *m0);
void	sbappendrecord_locked(struct sockbuf *sb, struct mbuf *m0);
void	sbappendcontrol(struct sockbuf *sb, struct mbuf *m0,
	    struct mbuf *control, int flags);
void	sbappendcontrol_locked(struct sockbuf *sb, struct mbuf *m0,
	    struct mbuf *control, int flags);
void	sbcompress(struct sockbuf *sb, struct mbuf *m, struct mbuf *n);
struct mbuf *sbcreatecontrol(const void *p, int size, int type, int level,
	    int wait);
/*
 * KTLS receive: append encrypted TCP payload to sb_mtls, M_NOTREADY
 * (and M_DECRYPTED for packets the NIC decrypted).  Lock held.
 */
void	sbappend_ktls_rx(struct sockbuf *sb, struct mbuf *m);

/* Readiness of not-ready (M_NOTREADY) data. */
int	sbready(struct sockbuf *sb, struct mbuf *m0, int count);

/*
 * Removing data, from sb_mb, then sb_tlsdcc, then sb_mtls.  sbcut_locked()
 * returns the mbufs cut, linked by m_next, for the caller to free.  Only
 * a flush may cut not-ready send data; it unlinks those mbufs without
 * freeing them (their owner does, with mb_free_notready()).
 */
struct mbuf *sbcut_locked(struct sockbuf *sb, int len);
void	sbdrop(struct sockbuf *sb, int len);
void	sbdrop_locked(struct sockbuf *sb, int len);
void	sbdroprecord_locked(struct sockbuf *sb);
void	sbflush(struct sockbuf *sb);
void	sbflush_locked(struct sockbuf *sb);

/*
 * For tcp_output: the mbuf holding byte off of the ready data, and the
 * offset of that byte in it.  sb_sndptr caches a position at or before
 * the last one sent; sbsndptr_adv() moves it after mb and len bytes were
 * copied, starting in the mbuf sbsndptr_noadv() returned.
 */
struct mbuf *sbsndptr_noadv(struct sockbuf *sb, u_int off, u_int *moff);
void	sbsndptr_adv(struct sockbuf *sb, struct mbuf *mb, u_int len);

/* Bytes that may be read or sent now, and all bytes held. */
static inline u_int
sbavail(const struct sockbuf *sb)
{

	return (sb->sb_acc);
}

static inline u_int
sbused(const struct sockbuf *sb)
{

	return (sb->sb_ccc);
}

/* Free space: min(hiwat - ccc, mbmax - mbcnt), never negative. */
long	sbspace(struct sockbuf *sb);

/*
 * Check every invariant of the buffer; panics with the caller's file and
 * line on the first one broken.  Cheap enough to call after every
 * operation in tests.
 */
void	sbcheck(struct sockbuf *sb, const char *file, int line);
#define	SBCHECK(sb)	sbcheck((sb), __FILE__, __LINE__)

#endif /* !_UK_SYS_SOCKBUF_H_ */
