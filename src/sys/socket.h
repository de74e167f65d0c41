/*-
 * Sockets: message flags, option levels and control messages
 * (sys/socket.h), with FreeBSD's values and layout.
 *
 * A control message is a struct cmsghdr followed by its data, both
 * aligned to _ALIGN (the size of a long: 8 bytes on LP64):
 *
 *      +----------+-------------+------------+---------+---------+
 *      | cmsg_len | cmsg_level  | cmsg_type  | pad (4) | data .. | pad
 *      | u_int    | int         | int        |         |         |
 *      +----------+-------------+------------+---------+---------+
 *      ^ CMSG_DATA(cmsg) = cmsg + 16 ------------------^
 *      <---------- CMSG_LEN(n) = 16 + n ------------------------->
 *      <---------- CMSG_SPACE(n) = 16 + CMSG_ALIGN(n) ---------------->
 *
 * glibc's struct cmsghdr differs (its cmsg_len is a size_t) and glibc's
 * <sys/socket.h> defines the same names, so the FreeBSD names exist only
 * in the kernel world.  Host code that must read a kernel control message
 * (the socket API translating it, tests) uses the K-prefixed names below,
 * which are always defined and describe the same bytes.
 */
#ifndef _UK_SYS_SOCKET_H_
#define _UK_SYS_SOCKET_H_

#include "sys/types.h"

/* Layout of a kernel control message header, in either world. */
struct kcmsghdr {
	u_int	cmsg_len;		/* data byte count, including hdr */
	int	cmsg_level;		/* originating protocol */
	int	cmsg_type;		/* protocol-specific type */
	/* followed by u_char cmsg_data[] */
};

#define	KCMSG_ALIGNBYTES	(sizeof(long) - 1)
#define	KCMSG_ALIGN(n)							\
	(((size_t)(n) + KCMSG_ALIGNBYTES) & ~(size_t)KCMSG_ALIGNBYTES)
#define	KCMSG_HDRSPACE		KCMSG_ALIGN(sizeof(struct kcmsghdr))
#define	KCMSG_DATA(cmsg)	((u_char *)(cmsg) + KCMSG_HDRSPACE)
#define	KCMSG_LEN(l)		(KCMSG_HDRSPACE + (size_t)(l))
#define	KCMSG_SPACE(l)		(KCMSG_HDRSPACE + KCMSG_ALIGN(l))

/* Option levels. */
#define	KSOL_SOCKET		0xffff	/* options for the socket level */
#define	KIPPROTO_TCP		6

/* Message flags (send and receive). */
#define	KMSG_OOB		0x00000001	/* out-of-band data */
#define	KMSG_PEEK		0x00000002	/* peek at incoming message */
#define	KMSG_DONTROUTE		0x00000004	/* no routing tables */
#define	KMSG_EOR		0x00000008	/* data completes record */
#define	KMSG_TRUNC		0x00000010	/* data discarded */
#define	KMSG_CTRUNC		0x00000020	/* control data lost */
#define	KMSG_WAITALL		0x00000040	/* wait for full request */
#define	KMSG_DONTWAIT		0x00000080	/* nonblocking */
#define	KMSG_EOF		0x00000100	/* data completes connection */
#define	KMSG_NBIO		0x00004000	/* FIONBIO mode */
#define	KMSG_NOSIGNAL		0x00020000	/* no SIGPIPE on EOF */
#define	KMSG_CMSG_CLOEXEC	0x00040000	/* received fds close-on-exec */
#define	KMSG_WAITFORONE		0x00080000	/* recvmmsg() */
#define	KMSG_MORETOCOME		0x00100000	/* kernel: more data pending */
#define	KMSG_TLSAPPDATA		0x00200000	/* kernel: TLS app data only */

/* shutdown(2) directions (the same numbers on the host). */
#define	KSHUT_RD		0
#define	KSHUT_WR		1
#define	KSHUT_RDWR		2

#ifndef _UK_HOST_SIDE
/* The kernel world spells them as FreeBSD does. */
struct cmsghdr {
	u_int	cmsg_len;
	int	cmsg_level;
	int	cmsg_type;
};
_Static_assert(sizeof(struct cmsghdr) == sizeof(struct kcmsghdr),
    "struct cmsghdr and struct kcmsghdr must describe the same bytes");

#define	CMSG_ALIGN(n)		KCMSG_ALIGN(n)
#define	CMSG_DATA(cmsg)		KCMSG_DATA(cmsg)
#define	CMSG_LEN(l)		KCMSG_LEN(l)
#define	CMSG_SPACE(l)		KCMSG_SPACE(l)

#define	SOL_SOCKET		KSOL_SOCKET
#define	IPPROTO_TCP		KIPPROTO_TCP

#define	MSG_OOB			KMSG_OOB
#define	MSG_PEEK		KMSG_PEEK
#define	MSG_DONTROUTE		KMSG_DONTROUTE
#define	MSG_EOR			KMSG_EOR
#define	MSG_TRUNC		KMSG_TRUNC
#define	MSG_CTRUNC		KMSG_CTRUNC
#define	MSG_WAITALL		KMSG_WAITALL
#define	MSG_DONTWAIT		KMSG_DONTWAIT
#define	MSG_EOF			KMSG_EOF
#define	MSG_NBIO		KMSG_NBIO
#define	MSG_NOSIGNAL		KMSG_NOSIGNAL
#define	MSG_CMSG_CLOEXEC	KMSG_CMSG_CLOEXEC
#define	MSG_WAITFORONE		KMSG_WAITFORONE
#define	MSG_MORETOCOME		KMSG_MORETOCOME
#define	MSG_TLSAPPDATA		KMSG_TLSAPPDATA

#define	SHUT_RD			KSHUT_RD
#define	SHUT_WR			KSHUT_WR
#define	SHUT_RDWR		KSHUT_RDWR
#endif /* !_UK_HOST_SIDE */

#endif /* !_UK_SYS_SOCKET_H_ */
