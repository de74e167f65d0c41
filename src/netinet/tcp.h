/*-
 * The TCP header (FreeBSD's netinet/tcp.h), with the options the shim
 * speaks: MSS and window scale, both only on SYN segments (RFC 9293,
 * RFC 7323).  The KTLS socket options of netinet/tcp.h are in
 * uktls/ktls.h.
 *
 *       0               1               2               3
 *      +-------------------------------+-------------------------------+
 *      |           th_sport            |           th_dport            |
 *      +-------------------------------+-------------------------------+
 *      |                            th_seq                             |
 *      +---------------------------------------------------------------+
 *      |                            th_ack                             |
 *      +-------+-------+---------------+-------------------------------+
 *      |th_off | th_x2 |   th_flags    |            th_win             |
 *      +-------+-------+---------------+-------------------------------+
 *      |            th_sum             |            th_urp             |
 *      +-------------------------------+-------------------------------+
 *      |                    options (th_off * 4 - 20)                  |
 */
#ifndef _UK_NETINET_TCP_H_
#define _UK_NETINET_TCP_H_

#include "sys/types.h"

typedef	uint32_t	tcp_seq;

struct tcphdr {
	u_short	th_sport;		/* source port */
	u_short	th_dport;		/* destination port */
	tcp_seq	th_seq;			/* sequence number */
	tcp_seq	th_ack;			/* acknowledgement number */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	u_char	th_x2:4,		/* upper 4 (reserved) flags */
		th_off:4;		/* data offset, 32-bit words */
#else
	u_char	th_off:4,
		th_x2:4;
#endif
	u_char	th_flags;
	u_short	th_win;			/* window */
	u_short	th_sum;			/* checksum */
	u_short	th_urp;			/* urgent pointer */
} __attribute__((__packed__, __aligned__(2)));

_Static_assert(sizeof(struct tcphdr) == 20, "struct tcphdr is 20 bytes");

#define	TH_FIN		0x01
#define	TH_SYN		0x02
#define	TH_RST		0x04
#define	TH_PUSH		0x08
#define	TH_ACK		0x10
#define	TH_URG		0x20

#define	TCPOPT_EOL		0
#define	TCPOPT_NOP		1
#define	TCPOPT_MAXSEG		2
#define	TCPOLEN_MAXSEG		4
#define	TCPOPT_WINDOW		3
#define	TCPOLEN_WINDOW		3

#define	TCP_MAXOLEN		40	/* largest options */
#define	TCP_MAXWIN		65535	/* largest unscaled window */
#define	TCP_MAX_WINSHIFT	14	/* largest window scale */

/*
 * Default MSS: an Ethernet MTU of 1500 less 20 bytes of IP, 20 of TCP
 * and the 12 of the timestamps option FreeBSD would carry on every
 * segment.  uktls sends no timestamps but keeps FreeBSD's payload size.
 */
#define	TCP_MSS_DEFAULT		1448
#define	TCP_MINMSS		64	/* smallest MSS a connection uses */
#define	TCP_MAXMSS		65495	/* IP_MAXPACKET - IP - TCP headers */

#endif /* !_UK_NETINET_TCP_H_ */
