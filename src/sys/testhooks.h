/*-
 * Test-only entry points into the kernel world.  Nothing in the datapath
 * calls these; the host exposes them to tests through
 * include/uktls/testing.h.  Plain types only (both worlds include this).
 *
 * Until the TCP shim exists the loopback sink protocol transmits nothing:
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

#endif /* !_UK_SYS_TESTHOOKS_H_ */
