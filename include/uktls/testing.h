/*
 * uktls: TEST-ONLY hooks.
 *
 * Nothing here is part of the socket API an application would use; these
 * calls reach into the kernel world so that tests can see and steer what
 * the datapath does.
 *
 * The send buffer.  A stream socket that is still a loopback sink (not
 * bound, connected or listening) transmits nothing: what tcp_output
 * would put on the wire is the ready part of the socket's send buffer
 * (records already encrypted; never data behind a record still being
 * encrypted).  uk_test_sndbuf_take() takes it out, as the wire and the
 * peer's ACK would together.  Copies made by it are not counted as
 * payload copies.
 *
 * KTLS.  FreeBSD picks the explicit nonce of TLS 1.2 GCM records (a
 * counter from a random start) and the explicit IV of CBC 1.1+ records
 * (random) itself; uk_test_ktls_push_explicit() queues the values the
 * next records framed must use instead, so that a record can be compared
 * byte for byte with one OpenSSL wrote.  uk_test_ktls_fail_encrypt()
 * makes an encryption fail.
 */
#ifndef UKTLS_TESTING_H
#define UKTLS_TESTING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Take up to len ready bytes from the front of s's send buffer into buf;
 * returns the count (0 if nothing is ready), or -1 (EBADF).
 */
ssize_t	uk_test_sndbuf_take(int s, void *buf, size_t len);

/*
 * Wait until every record in s's send buffer is encrypted (or the
 * connection dropped).  With worker threads this sleeps; in the
 * deterministic mode it runs the work queue (uk_run()) and then checks.
 * 0, or -1 with EBADF, or EAGAIN if data is still not ready.
 */
int	uk_test_sndbuf_wait(int s);

/* The counts of s's send buffer. */
struct uk_test_sbinfo {
	unsigned int	acc;		/* ready bytes (sb_acc) */
	unsigned int	ccc;		/* all bytes (sb_ccc) */
	unsigned int	hiwat;
	unsigned int	mbcnt;
	unsigned int	mbmax;
	int		nmbufs;
	int		nnotready;	/* mbufs still not ready */
	uint64_t	tls_seqno;	/* sequence number of the next record */
	int		so_error;	/* host errno; not cleared */
	int		connected;
};
int	uk_test_sndbuf_info(int s, struct uk_test_sbinfo *info);

/* One mbuf of the send buffer. */
struct uk_test_mdesc {
	int		len;		/* m_len */
	int		notready;	/* M_NOTREADY */
	int		blocked;	/* M_BLOCKED: ready, behind not-ready */
	int		extpg;		/* unmapped (M_EXTPG) */
	int		hdrlen, trllen;	/* TLS header and trailer bytes */
	int		npgs, nrdy;	/* pages, pages not ready */
	int		first_off, last_len;
	int		anon;		/* EPG_FLAG_ANON: in-place crypto */
	int		has_tls;	/* holds a session: not encrypted yet */
	uint8_t		record_type;
	uint64_t	seqno;
};
/*
 * Describe up to max mbufs of the send buffer in d; returns how many
 * mbufs the buffer holds (may be more than max), or -1.
 */
int	uk_test_sndbuf_describe(int s, struct uk_test_mdesc *d, int max);
/*
 * Draw the send buffer as text, one line per mbuf, into buf (always
 * NUL-terminated); returns the length it needed, or -1.
 */
int	uk_test_sndbuf_draw(int s, char *buf, size_t len);

/* A listening TCP socket (the sink cannot listen once connected). */
int	uk_test_socket_listening(void);

/*
 * Queue the explicit nonce (8 bytes, TLS 1.2 GCM) or IV (16 bytes, CBC
 * TLS 1.1/1.2) for the next record framed, in order; up to 64.  A value
 * whose length does not fit the record's suite stays queued.  0, or -1
 * with EINVAL (length) or ENOSPC.
 */
int	uk_test_ktls_push_explicit(const void *p, size_t len);
/* Make the nth record encrypted from now on (1: the next) fail; 0: off. */
void	uk_test_ktls_fail_encrypt(int nth);
/* Empty the queue above, disarm the failure and the receive hook. */
void	uk_test_ktls_reset(void);

/*
 * The receive buffer.  uk_test_rcvbuf_inject() hands bytes to s's
 * receive buffer as tcp_input would hand over one TCP segment: a chain of
 * mbufs and clusters appended with sbappendstream() (on a KTLS receive
 * socket that is sbappend_ktls_rx(): encrypted, not ready, on sb_mtls).
 * Only what fits the free space is taken (the receive window: bytes not
 * yet decrypted count too); returns how many, or -1 (EBADF).  After the
 * end of the stream the bytes are taken and dropped.
 * uk_test_rcv_eof() is the peer's FIN.
 */
ssize_t	uk_test_rcvbuf_inject(int s, const void *buf, size_t len);
int	uk_test_rcv_eof(int s);
/*
 * Remove len bytes from the front of the receive buffer (sb_mb, then the
 * record being decrypted, then sb_mtls) with sbdrop() or sbcut(), or
 * empty it with sbflush().  -1 with EINVAL if len is more than it holds.
 */
int	uk_test_rcvbuf_drop(int s, size_t len);
int	uk_test_rcvbuf_cut(int s, size_t len);
int	uk_test_rcvbuf_flush(int s);

/* The counts of s's receive buffer. */
struct uk_test_rcvinfo {
	unsigned int	acc;		/* readable bytes (sb_acc) */
	unsigned int	ccc;		/* all bytes (sb_ccc) */
	unsigned int	ctl;		/* control message bytes */
	unsigned int	mbcnt;		/* storage */
	unsigned int	hiwat;
	unsigned int	tlscc;		/* encrypted bytes on sb_mtls */
	unsigned int	tlsdcc;		/* bytes of the record in flight */
	long		space;		/* sbspace(): the receive window */
	uint64_t	tls_seqno;	/* sequence number of the next record */
	int		tls_rx;		/* a KTLS receive session is on */
	int		running;	/* a worker has the socket */
	int		cantrcvmore;	/* the end of the stream has come */
	int		so_error;	/* host errno; not cleared */
	int		nrecords;	/* records on sb_mb */
	int		nmtls;		/* mbufs on sb_mtls */
};
int	uk_test_rcvbuf_info(int s, struct uk_test_rcvinfo *info);

/* One mbuf of the receive buffer: sb_mb's records first, then sb_mtls. */
struct uk_test_rdesc {
	int		mtls;		/* on sb_mtls (encrypted) */
	int		record;		/* record index on sb_mb, -1 on sb_mtls */
	int		len;
	int		control;	/* a control mbuf */
	int		eor;		/* M_EOR: the record's last mbuf */
	int		notready;	/* M_NOTREADY */
	int		tgr;		/* a TLS_GET_RECORD message: */
	uint8_t		tls_type, tls_vmajor, tls_vminor;
	int		tls_length;	/* plaintext bytes it announces */
};
/*
 * Describe up to max mbufs of the receive buffer; returns how many there
 * are (may be more than max), or -1.
 */
int	uk_test_rcvbuf_describe(int s, struct uk_test_rdesc *d, int max);
/*
 * Draw the receive buffer, one line per record on sb_mb and one for
 * sb_mtls, into buf (always NUL-terminated); returns the length it
 * needed, or -1.
 */
int	uk_test_rcvbuf_draw(int s, char *buf, size_t len);

/*
 * Pause the KTLS receive worker: fn(arg, phase, seqno) is called for
 * every record at two points, with no kernel lock held:
 * UK_TEST_RX_DETACHED when the record is off sb_mtls (counted in
 * sb_tlsdcc) and not decrypted yet, UK_TEST_RX_DECRYPTED when it is
 * decrypted and not yet on sb_mb.  What fn does then (a shutdown, a
 * close, a cut of the buffer) races with the record in flight,
 * deterministically.  fn runs on the worker: it must not wait for
 * anything that waits for the worker.  NULL turns it off;
 * uk_test_ktls_reset() does too.
 */
#define	UK_TEST_RX_DETACHED	1
#define	UK_TEST_RX_DECRYPTED	2
typedef void uk_test_rx_hook_t(void *arg, int phase, uint64_t seqno);
void	uk_test_ktls_rx_hook(uk_test_rx_hook_t *fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_TESTING_H */
