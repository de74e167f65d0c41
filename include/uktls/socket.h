/*
 * uktls: the socket API.
 *
 * POSIX-shaped calls with a uk_ prefix, taking the host's own constants
 * (AF_INET, SOL_SOCKET, SO_SNDBUF, MSG_DONTWAIT, struct msghdr, ...) plus
 * FreeBSD's KTLS ones from <uktls/ktls.h> (TCP_TXTLS_ENABLE,
 * TLS_SET_RECORD_TYPE, ...), so that socket code ports by renaming.
 * Functions return -1 and set errno (the host's values) on failure.
 *
 * Socket descriptors and page-cache file descriptors (uk_file_create())
 * are separate tables: a number names a socket only for these calls.
 *
 * An AF_INET/AF_INET6 stream socket starts as a loopback "sink":
 * connected from the start, it keeps what it would transmit in its send
 * buffer (see <uktls/testing.h> to take it out).  Nothing empties that
 * buffer by itself, so a send that needs more space than is free never
 * waits: a blocking send returns a short count, or fails with EAGAIN if
 * it could send nothing, as if a send timeout had expired.  A
 * non-blocking one behaves as usual.  uk_bind(), uk_connect() or
 * uk_listen() on a socket not yet used make it a TCP endpoint of the
 * loopback TCP shim instead (<uktls/net.h>).
 */
#ifndef UKTLS_SOCKET_H
#define UKTLS_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <uktls/ktls.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * socket(2).  AF_INET or AF_INET6, SOCK_STREAM (with SOCK_NONBLOCK or
 * SOCK_CLOEXEC if wanted), protocol 0 or IPPROTO_TCP.  EAFNOSUPPORT,
 * EPROTOTYPE, EPROTONOSUPPORT, EMFILE.
 */
int	uk_socket(int domain, int type, int protocol);
/* close(2).  Records still being encrypted finish first.  EBADF. */
int	uk_close(int s);
/* listen(2).  EINVAL on a connected socket or one with a KTLS session. */
int	uk_listen(int s, int backlog);

/*
 * write(2), send(2), sendmsg(2).  flags: MSG_DONTWAIT, MSG_OOB,
 * MSG_NOSIGNAL (accepted; there are no signals), MSG_EOR (EINVAL on a
 * stream, as in FreeBSD).  TCP carries no control messages (EINVAL),
 * except on a KTLS socket a TLS_SET_RECORD_TYPE message
 * (level IPPROTO_TCP, one byte: the record type) sends the data as one
 * record of that type, all at once (EMSGSIZE if larger than the send
 * buffer, EAGAIN if it does not fit now).  A zero-length send on a KTLS
 * socket is EINVAL, except TLS 1.0 CBC, which sends one empty record.
 *
 * sendto(2), or sendmsg(2) with msg_name: a struct sockaddr_in (EINVAL
 * if shorter, EAFNOSUPPORT for another family).  A connected socket
 * ignores it; on one not connected yet (a socket never used becomes a
 * TCP endpoint, as for uk_bind()) TCP checks it as FreeBSD does: EINVAL
 * while listening, EAFNOSUPPORT for multicast, EACCES for the broadcast
 * address.  Any other destination is ENOTCONN: there is no implied
 * connect.
 */
ssize_t	uk_write(int s, const void *buf, size_t len);
ssize_t	uk_send(int s, const void *buf, size_t len, int flags);
ssize_t	uk_sendmsg(int s, const struct msghdr *msg, int flags);
ssize_t	uk_sendto(int s, const void *buf, size_t len, int flags,
	    const struct sockaddr *to, socklen_t tolen);

/*
 * MSG_TLSAPPDATA (FreeBSD's value; the host has no such flag): on a KTLS
 * receive socket, fail with ENXIO instead of returning a record that is
 * not application data, and leave that record queued.
 */
#ifndef MSG_TLSAPPDATA
#define	MSG_TLSAPPDATA	0x00200000
#endif

/*
 * read(2), recv(2), recvmsg(2).  flags: MSG_DONTWAIT, MSG_PEEK,
 * MSG_WAITALL, MSG_TLSAPPDATA; MSG_OOB is EINVAL (TCP keeps no urgent
 * data here).  Returns the byte count, 0 at the end of the stream, or -1.
 *
 * On a KTLS receive socket (TCP_RXTLS_ENABLE) each call returns data of
 * at most one TLS record, with MSG_EOR in msg_flags when the record's
 * last byte was read, and a control message (level IPPROTO_TCP, type
 * TLS_GET_RECORD, data struct tls_get_record: the record type, the
 * version from the wire (3,3 for TLS 1.3), the plaintext length in
 * network order) with the record's first bytes.  A control buffer too
 * small for it gives MSG_CTRUNC (a header that fits is copied with
 * cmsg_len cut to what was copied).  Without a control buffer (read,
 * recv) the type is not reported and an empty record is skipped; with
 * one, an empty record is returned as 0 bytes, MSG_EOR and its control
 * message, so that 0 without a control message always means the end.
 * A pending error (EBADMSG for a record that failed authentication,
 * EMSGSIZE, EINVAL for a broken stream) is reported once every record
 * before it has been read.  Blocking calls wait for a worker thread to
 * deliver; with no worker threads (the deterministic mode) a TCP socket
 * runs the network until data comes (<uktls/net.h>), and other sockets
 * fail at once with EAGAIN, as if a receive timeout had expired: run the
 * work queue (uk_run()) first.
 */
ssize_t	uk_read(int s, void *buf, size_t len);
ssize_t	uk_recv(int s, void *buf, size_t len, int flags);
ssize_t	uk_recvmsg(int s, struct msghdr *msg, int flags);

/*
 * shutdown(2).  SHUT_RD discards everything received (a record being
 * decrypted included); SHUT_WR ends sending.  ENOTCONN, EINVAL.
 */
int	uk_shutdown(int s, int how);

/* FreeBSD's sendfile(2) headers and trailers. */
struct sf_hdtr {
	struct iovec	*headers;	/* sent before the file data */
	int		 hdr_cnt;
	struct iovec	*trailers;	/* sent after it */
	int		 trl_cnt;
};

/*
 * FreeBSD's sendfile(2): nbytes (0: up to the end) of page-cache file fd
 * from offset, on socket s, without copying the file's pages.  hdtr is a
 * struct sf_hdtr * or NULL; flags are accepted and ignored.  *sbytes (if
 * not NULL) is set to the bytes queued, also when the call fails (EAGAIN
 * after a partial send).  An offset at or past the end sends nothing.
 * A descriptor that names no file reads as an empty file.
 */
int	uk_sendfile(int fd, int s, off_t offset, size_t nbytes, void *hdtr,
	    off_t *sbytes, int flags);

/*
 * setsockopt(2), getsockopt(2).  SOL_SOCKET: SO_SNDBUF, SO_RCVBUF,
 * SO_SNDLOWAT, SO_ERROR (get), SO_TYPE (get).  IPPROTO_TCP:
 * TCP_TXTLS_ENABLE and TCP_RXTLS_ENABLE (struct tls_enable),
 * TCP_TXTLS_MODE, TCP_RXTLS_MODE (get).  ENOPROTOOPT for anything else.
 */
int	uk_setsockopt(int s, int level, int optname, const void *optval,
	    socklen_t optlen);
int	uk_getsockopt(int s, int level, int optname, void *optval,
	    socklen_t *optlen);

/* Non-blocking mode: uk_set_nonblock(), or fcntl F_GETFL/F_SETFL. */
int	uk_set_nonblock(int s, int on);
int	uk_fcntl(int s, int cmd, ...);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_SOCKET_H */
