/*-
 * Address families, socket types and the protocol switch lookup
 * (sys/socket.h, sys/domain.h in FreeBSD).
 *
 * uktls has one stream protocol per family so far: TCP, carried for now
 * by the loopback "sink" (netinet/tcp_usrreq.c) until the TCP shim is
 * attached.  The K names exist in both worlds so that the host's socket
 * API can translate its own constants.
 */
#ifndef _UK_SYS_DOMAIN_H_
#define _UK_SYS_DOMAIN_H_

#define	KAF_INET	2		/* internetwork: UDP, TCP, etc. */
#define	KAF_INET6	28		/* IPv6 */
#define	KSOCK_STREAM	1		/* stream socket */

#ifndef _UK_HOST_SIDE
#define	AF_INET		KAF_INET
#define	AF_INET6	KAF_INET6
#define	SOCK_STREAM	KSOCK_STREAM
#endif

struct protosw;

/*
 * The protocol for (family, type, protocol); protocol 0 means the
 * family's default for the type.  NULL if there is none.
 */
struct protosw *pffindproto(int family, int type, int protocol);

/*
 * uktls: a stream socket starts as a loopback "sink" (connected, sends
 * nothing; the transmit path's unit tests take its output by hand).
 * connect, listen, bind or sendto turn a sink that was never used
 * (nothing sent or received; a KTLS session may be set) into a real TCP
 * endpoint (netinet/tcp_usrreq.c), IPv4 only.  0 if so is (now) TCP,
 * EISCONN for a sink that has been used.
 */
struct socket;
int	tcp_sink_promote(struct socket *so);

#endif /* !_UK_SYS_DOMAIN_H_ */
