/*-
 * Sockets (sys/socketvar.h, sys/protosw.h), reduced to what the KTLS
 * datapath touches: two socket buffers with their locks, state, error,
 * and the protocol's entry points.
 *
 * Protocols (the TCP shim, or the loopback "null" stream used before the
 * shim is attached) fill in a struct protosw.  PRUS_NOTREADY on pr_send
 * means the data is appended not ready (software KTLS: the records still
 * have to be encrypted); the protocol's pr_ready is called when a worker
 * is done, and sends what became ready.
 */
#ifndef _UK_SYS_SOCKETVAR_H_
#define _UK_SYS_SOCKETVAR_H_

#include "sys/types.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/sockbuf.h"

struct mbuf;
struct socket;
struct sockaddr;
struct uio;
struct sockopt;

/* pr_send flags */
#define	PRUS_OOB	0x0001
#define	PRUS_EOF	0x0002
#define	PRUS_MORETOCOME	0x0004
#define	PRUS_NOTREADY	0x0008

/* pr_flags */
#define	PR_CONNREQUIRED	0x0004	/* connection required by protocol */
#define	PR_IMPLOPCL	0x0020	/* implied open: sendto() may connect */
#define	PR_NODRAIN	0x10000	/* uktls: nothing empties so_snd by itself */

struct protosw {
	const char *pr_name;
	int	pr_type;		/* SOCK_STREAM */
	int	pr_protocol;		/* IPPROTO_TCP */
	int	pr_flags;		/* PR_* */
	int	(*pr_attach)(struct socket *so);
	void	(*pr_detach)(struct socket *so);
	int	(*pr_send)(struct socket *so, int flags, struct mbuf *m,
		    struct sockaddr *addr, struct mbuf *control);
	int	(*pr_ready)(struct socket *so, struct mbuf *m, int count);
	int	(*pr_rcvd)(struct socket *so, int flags);
	int	(*pr_ctloutput)(struct socket *so, struct sockopt *sopt);
	int	(*pr_shutdown)(struct socket *so);
	void	(*pr_abort)(struct socket *so);
	int	(*pr_listen)(struct socket *so, int backlog);
	/*
	 * uktls: the rest of FreeBSD's user requests that the TCP shim
	 * needs.  Addresses are the kernel's struct sockaddr_in
	 * (netinet/ip.h).  pr_accept takes the first completed connection
	 * off the listening socket so (FreeBSD keeps that queue in the
	 * socket; here the protocol does): 0 and *nso with the reference
	 * the new descriptor will hold, or EWOULDBLOCK.  pr_close runs when
	 * the descriptor is closed (soclose()), before the socket loses
	 * it.  pr_wait waits for sb (locked) to change, or for the network
	 * to make progress; it returns with sb locked: 0 to look again,
	 * EWOULDBLOCK if nothing can change; sbwait_snd() and sbwait_rcv()
	 * use it when it is set.  pr_rcvd is called with so_rcv unlocked,
	 * after the reader took data.
	 */
	int	(*pr_bind)(struct socket *so, struct sockaddr *nam);
	int	(*pr_connect)(struct socket *so, struct sockaddr *nam);
	int	(*pr_accept)(struct socket *so, struct socket **nso);
	void	(*pr_close)(struct socket *so);
	int	(*pr_sockaddr)(struct socket *so, struct sockaddr *nam);
	int	(*pr_peeraddr)(struct socket *so, struct sockaddr *nam);
	int	(*pr_wait)(struct socket *so, struct sockbuf *sb);
};

struct socket {
	struct mtx	 so_lock;	/* socket state */
	struct mtx	 so_snd_mtx;	/* so_snd's lock */
	struct mtx	 so_rcv_mtx;	/* so_rcv's lock */
	struct mtx	 so_snd_sx;	/* one sender at a time (sblock) */
	struct mtx	 so_rcv_sx;	/* one receiver at a time (sblock) */
	struct cv	 so_snd_cv;	/* writers wait here */
	struct cv	 so_rcv_cv;	/* readers wait here */
	volatile u_int	 so_count;	/* references */
	short		 so_type;	/* SOCK_STREAM */
	short		 so_state;	/* SS_* */
	int		 so_options;	/* SO_* */
	int		 so_error;	/* pending error */
	int		 so_rerror;	/* pending receive error */
	struct protosw	*so_proto;
	void		*so_pcb;	/* protocol control block */
	struct sockbuf	 so_snd;
	struct sockbuf	 so_rcv;
	/* KTLS receive: on a worker queue's list of sockets to decrypt. */
	STAILQ_ENTRY(socket) so_ktls_rx_list;
};

/* so_state */
#define	SS_NOFDREF		0x0001	/* no file table reference */
#define	SS_ISCONNECTED		0x0002
#define	SS_ISCONNECTING		0x0004
#define	SS_ISDISCONNECTING	0x0008
#define	SS_NBIO			0x0100	/* non-blocking */
#define	SS_ISDISCONNECTED	0x2000	/* socket disconnected from peer */

/* so_options */
#define	SO_ACCEPTCONN		0x0002	/* listening */

#define	SOCK_LOCK(so)		mtx_lock(&(so)->so_lock)
#define	SOCK_UNLOCK(so)		mtx_unlock(&(so)->so_lock)
#define	SOCK_SENDBUF_LOCK(so)	SOCKBUF_LOCK(&(so)->so_snd)
#define	SOCK_SENDBUF_UNLOCK(so)	SOCKBUF_UNLOCK(&(so)->so_snd)
#define	SOCK_RECVBUF_LOCK(so)	SOCKBUF_LOCK(&(so)->so_rcv)
#define	SOCK_RECVBUF_UNLOCK(so)	SOCKBUF_UNLOCK(&(so)->so_rcv)

#define	SOLISTENING(so)		(((so)->so_options & SO_ACCEPTCONN) != 0)

void	soref(struct socket *so);
void	sorele(struct socket *so);

/* Socket operations (uipc_socket.c). */
int	socreate(int dom, struct socket **aso, int type, int proto);
int	soclose(struct socket *so);
int	solisten(struct socket *so, int backlog);
int	sosend(struct socket *so, struct sockaddr *addr, struct uio *uio,
	    struct mbuf *top, struct mbuf *control, int flags);
int	sosetopt(struct socket *so, struct sockopt *sopt);
int	sogetopt(struct socket *so, struct sockopt *sopt);
void	soisdisconnected(struct socket *so);
/* Wake writers waiting for space (so_snd_cv); so_snd locked. */
void	sowwakeup_locked(struct socket *so);
/*
 * Wait for space in so_snd, lock held (sbwait()); 0, or EWOULDBLOCK at
 * once when nothing could free space (no worker threads, PR_NODRAIN).
 */
int	sbwait_snd(struct socket *so);

/*
 * Receiving (uipc_socket.c).  soreceive() reads one stream, or on a KTLS
 * receive socket at most one TLS record per call; *controlp gets the
 * control mbufs (TLS_GET_RECORD), *flagsp carries MSG_* in and out.
 * so_rcv's lock may be held while so_snd's (which guards so_error) is
 * taken, never the other way round.
 */
int	soreceive(struct socket *so, struct uio *uio, struct mbuf **controlp,
	    int *flagsp);
int	soshutdown(struct socket *so, int how);
/* Wake readers waiting on so_rcv_cv; so_rcv locked (and stays locked). */
void	sorwakeup_locked(struct socket *so);
/* No more data will arrive (a FIN): KTLS checks for a truncated record. */
void	socantrcvmore(struct socket *so);
void	socantrcvmore_locked(struct socket *so);
/* Discard what is queued to be read (shutdown(SHUT_RD), close). */
void	sorflush(struct socket *so);
/*
 * Wait for data in so_rcv, lock held; 0, or EWOULDBLOCK at once when no
 * worker thread exists that could deliver any.
 */
int	sbwait_rcv(struct socket *so);

/*
 * Connection state (uipc_socket2.c), for the TCP shim.  Each change
 * wakes the waiters of both buffers.
 */
void	soisconnecting(struct socket *so);
void	soisconnected(struct socket *so);
void	soisdisconnecting(struct socket *so);
void	socantsendmore(struct socket *so);
int	sobind(struct socket *so, struct sockaddr *nam);
int	soconnect(struct socket *so, struct sockaddr *nam);

#endif /* !_UK_SYS_SOCKETVAR_H_ */
