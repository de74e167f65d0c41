/*-
 * Internet addresses and the IPv4 header (FreeBSD's netinet/in.h and
 * netinet/ip.h, reduced to what the loopback TCP shim uses).
 *
 * Everything in a header on the wire is in network byte order; the
 * shim keeps addresses and ports in network order too (as the inpcb
 * does) and converts with htons()/ntohl() where it computes.  Kernel
 * world only: the host has its own struct ip and struct in_addr.
 *
 *       0               1               2               3
 *      +-------+-------+---------------+-------------------------------+
 *      |v=4|hl=5| tos  |            ip_len (header + TCP)              |
 *      +---------------+---------------+-------------------------------+
 *      |            ip_id              |DF|      fragment offset 0     |
 *      +---------------+---------------+-------------------------------+
 *      |    ip_ttl     |  ip_p = 6     |           ip_sum              |
 *      +---------------+---------------+-------------------------------+
 *      |                         ip_src                                |
 *      +---------------------------------------------------------------+
 *      |                         ip_dst                                |
 *      +---------------------------------------------------------------+
 */
#ifndef _UK_NETINET_IP_H_
#define _UK_NETINET_IP_H_

#include "sys/types.h"

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "the compiler must say its byte order"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define	htons(x)	((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define	htonl(x)	((uint32_t)__builtin_bswap32((uint32_t)(x)))
#else
#define	htons(x)	((uint16_t)(x))
#define	htonl(x)	((uint32_t)(x))
#endif
#define	ntohs(x)	htons(x)
#define	ntohl(x)	htonl(x)

typedef uint32_t	in_addr_t;
typedef uint16_t	in_port_t;

struct in_addr {
	in_addr_t	s_addr;		/* network order */
};

/* An IPv4 socket address, FreeBSD's layout (sin_len first). */
struct sockaddr_in {
	uint8_t		sin_len;
	uint8_t		sin_family;	/* AF_INET */
	in_port_t	sin_port;	/* network order */
	struct in_addr	sin_addr;
	char		sin_zero[8];
};

/* Host order. */
#define	INADDR_ANY		((in_addr_t)0x00000000)
#define	INADDR_LOOPBACK		((in_addr_t)0x7f000001)
#define	IN_LOOPBACK(i)		(((in_addr_t)(i) & 0xff000000) == 0x7f000000)
#define	INADDR_BROADCAST	((in_addr_t)0xffffffff)
#define	IN_MULTICAST(i)		(((in_addr_t)(i) & 0xf0000000) == 0xe0000000)

/* Ephemeral ports (net.inet.ip.portrange.first/last). */
#define	IPPORT_EPHEMERALFIRST	49152
#define	IPPORT_EPHEMERALLAST	65535

#define	IPVERSION	4
#define	IPDEFTTL	64		/* default time to live */
#define	IP_DF		0x4000		/* don't fragment */
#define	IP_MAXPACKET	65535

struct ip {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	u_char	ip_hl:4,		/* header length, 32-bit words */
		ip_v:4;			/* version */
#else
	u_char	ip_v:4,
		ip_hl:4;
#endif
	u_char	ip_tos;			/* type of service */
	u_short	ip_len;			/* total length */
	u_short	ip_id;			/* identification */
	u_short	ip_off;			/* fragment offset field */
	u_char	ip_ttl;			/* time to live */
	u_char	ip_p;			/* protocol */
	u_short	ip_sum;			/* checksum */
	struct	in_addr ip_src, ip_dst;	/* source and dest address */
} __attribute__((__packed__, __aligned__(2)));

_Static_assert(sizeof(struct ip) == 20, "struct ip is 20 bytes");

/*
 * Checksums (in_cksum.c).  in_cksum() is the Internet checksum (RFC
 * 1071) of len bytes of an mbuf chain from off, folded and complemented,
 * ready to store; unmapped (M_EXTPG) mbufs are read through the direct
 * map.  in_cksum_buf() is the same over a flat buffer.  in_pseudo() sums
 * the words of a pseudo header (network order in, not folded out) for
 * in_cksum_add().
 */
struct mbuf;
uint16_t	in_cksum(struct mbuf *m, int off, int len);
uint16_t	in_cksum_buf(const void *buf, int len);
uint32_t	in_pseudo(in_addr_t src, in_addr_t dst, uint32_t proto_len);
uint16_t	in_cksum_add(uint32_t sum, struct mbuf *m, int off, int len);

#endif /* !_UK_NETINET_IP_H_ */
