/*-
 * Test-only entry points into the kernel world.  Nothing in the datapath
 * calls these; the host exposes them to tests through
 * include/uktls/testing.h.  Plain types only (both worlds include this).
 *
 * A socket still on the loopback sink protocol transmits nothing:
 * encrypted records stay in the send buffer, and a test takes the ready
 * bytes out of it (what tcp_output would have sent) with
 * kern_test_sndbuf_take().
 */
#ifndef _UK_SYS_TESTHOOKS_H_
#define _UK_SYS_TESTHOOKS_H_

#include "sys/types.h"

/* Counts of a send buffer, as sbcheck() sees them. */
struct kt_sbinfo {
	u_int		acc;		/* ready bytes (sb_acc) */
	u_int		ccc;		/* all bytes (sb_ccc) */
	u_int		hiwat;
	u_int		mbcnt;
	u_int		mbmax;
	int		nmbufs;
	int		nnotready;	/* mbufs still M_NOTREADY */
	uint64_t	tls_seqno;	/* next record's sequence number */
	int		so_error;	/* FreeBSD errno, not cleared */
	int		connected;
};

/* One mbuf of a send buffer, for pictures of the chain. */
struct kt_mdesc {
	int		len;
	int		flags;		/* M_* */
	int		extpg;
	int		hdrlen, trllen;
	int		npgs, nrdy;
	int		first_off, last_len;
	int		epg_flags;	/* EPG_FLAG_* */
	int		has_tls;	/* still holds a session reference */
	uint8_t		record_type;
	uint64_t	seqno;
};

/*
 * Copy up to len ready bytes from the front of fd's send buffer and drop
 * them (m_copydata + sbdrop), as tcp_output and the ACK would; *got is
 * how many.  0 or EBADF.
 */
int	kern_test_sndbuf_take(int fd, void *buf, size_t len, size_t *got);
/*
 * Wait until nothing in fd's send buffer is not ready (every record
 * handed to a worker is encrypted), or the connection is dropped.  In
 * the deterministic mode the caller must run the queue (uk_run) first;
 * this then only checks.  0, EBADF, or EWOULDBLOCK if data is still not
 * ready and no worker thread could finish it.
 */
int	kern_test_sndbuf_wait(int fd);
int	kern_test_sndbuf_info(int fd, struct kt_sbinfo *info);
/* Describe up to max mbufs of the send buffer; *n is how many there are. */
int	kern_test_sndbuf_describe(int fd, struct kt_mdesc *d, int max, int *n);
/* A TCP socket that is listening (the sink has no listen of its own). */
int	kern_test_socket_listening(int *fdp);

/*
 * KTLS: the explicit nonce (TLS 1.2 GCM, 8 bytes) or IV (CBC 1.1+, 16
 * bytes) of the next records framed, in order, instead of FreeBSD's
 * counter or random bytes, so that a record can be compared with another
 * implementation's byte for byte.  Up to 64 may be queued; EINVAL for a
 * bad length, ENOSPC when full.  ktls_test_reset() empties the queue and
 * disarms the failure below.
 */
int	ktls_test_push_explicit(const uint8_t *p, int len);
/* Make the nth record encrypted from now on (1 = the next) fail; 0 off. */
void	ktls_test_fail_encrypt(int nth);
void	ktls_test_reset(void);

/*
 * KTLS receive: a function the worker calls at two points of each record,
 * with no lock held, so that a test can act (cut, flush, shut down,
 * close) while a record is in flight.  DETACHED: the record is off
 * sb_mtls and counted in sb_tlsdcc, not yet decrypted; DECRYPTED: it is
 * decrypted, not yet put on sb_mb.  The function runs on the worker: it
 * must not wait for anything that waits for the worker.  NULL turns it
 * off (so does ktls_test_reset()).
 */
#define	KTLS_TEST_RX_DETACHED	1
#define	KTLS_TEST_RX_DECRYPTED	2
typedef void ktls_test_rx_hook_t(void *arg, int phase, uint64_t seqno);
void	ktls_test_set_rx_hook(ktls_test_rx_hook_t *fn, void *arg);

/*
 * The receive buffer (uipc_socket.c).  kern_test_rcvbuf_inject() hands
 * len bytes to so_rcv as tcp_input would: one packet (a chain of mbufs
 * and clusters with a packet header) through sbappendstream(), then a
 * wakeup.  Only what fits the free space (sbspace(), the receive window)
 * is taken (*taken); after the end of the stream everything is taken and
 * dropped, as TCP drops data for a socket that cannot receive.
 * kern_test_rcv_eof() is a FIN: socantrcvmore().
 */
int	kern_test_rcvbuf_inject(int fd, const void *buf, size_t len,
	    size_t *taken);
int	kern_test_rcv_eof(int fd);
/*
 * Remove len bytes from the front of so_rcv (sb_mb, then the record in
 * flight, then sb_mtls) with sbdrop() (KT_CUT_DROP), sbcut_locked()
 * (KT_CUT_CUT), or everything with sbflush() (KT_CUT_FLUSH, len
 * ignored), holding the reader lock as soreceive() would.  EINVAL if len
 * is more than the buffer holds.
 */
#define	KT_CUT_DROP	0
#define	KT_CUT_CUT	1
#define	KT_CUT_FLUSH	2
int	kern_test_rcvbuf_cut(int fd, int how, size_t len);

/* Counts of a receive buffer. */
struct kt_rcvinfo {
	u_int		acc, ccc, ctl, mbcnt, hiwat, mbmax;
	u_int		tlscc;		/* on sb_mtls */
	u_int		tlsdcc;		/* being decrypted */
	long		space;		/* sbspace() */
	uint64_t	tls_seqno;	/* next record to decrypt */
	int		sb_flags, sb_state;
	int		so_error;	/* FreeBSD errno, not cleared */
	int		nrecords;	/* records on sb_mb */
	int		nmtls;		/* mbufs on sb_mtls */
};
int	kern_test_rcvbuf_info(int fd, struct kt_rcvinfo *info);

/* One mbuf of a receive buffer: sb_mb's records, then sb_mtls. */
struct kt_rdesc {
	int		mtls;		/* 1: on sb_mtls */
	int		record;		/* record index on sb_mb */
	int		len;
	int		flags;		/* M_* */
	int		type;		/* MT_* */
	int		tgr;		/* a TLS_GET_RECORD message */
	uint8_t		tls_type, tls_vmajor, tls_vminor;
	int		tls_length;	/* plaintext length it announces */
};
int	kern_test_rcvbuf_describe(int fd, struct kt_rdesc *d, int max,
	    int *n);

#endif /* !_UK_SYS_TESTHOOKS_H_ */
