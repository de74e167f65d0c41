/*
 * The socket API (include/uktls/socket.h): the host's constants and
 * structures in, the kernel world's system calls (sys/syscallsubr.h),
 * the host's errno out.
 *
 * What is translated: address families and socket-level option names and
 * values (Linux and FreeBSD differ), message flags, control messages
 * (glibc's struct cmsghdr has a size_t length, FreeBSD's an int; each
 * message sent is rebuilt in the kernel's layout by sbcreatecontrol(),
 * each one received is rewritten in glibc's), and errno values.
 * IPPROTO_TCP and its KTLS options are FreeBSD's numbers on both sides
 * already (<uktls/ktls.h>).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <uktls/socket.h>
#include <uktls/stats.h>

#include "host.h"
#include "sys/errno.h"
#include "sys/param.h"
#include "sys/mbuf.h"
#include "sys/uio.h"
#include "sys/sockbuf.h"
#include "sys/socket.h"
#include "sys/sockopt.h"
#include "sys/domain.h"
#include "sys/ktls.h"
#include "sys/syscallsubr.h"

/* FreeBSD's socket level and the message flags uk_ calls accept. */
#define	K_SOL_SOCKET	0xffff
#define	K_MSG_OOB	0x00000001
#define	K_MSG_EOR	0x00000008
#define	K_MSG_DONTWAIT	0x00000080
#define	K_MSG_NOSIGNAL	0x00020000
/* A kernel control message: 16 bytes of header, data padded to 8. */
#define	K_CMSG_SPACE(n)	(16 + (((size_t)(n) + 7) & ~(size_t)7))

static int
uk_fail(int kerr)
{

	errno = uk_errno_host(kerr);
	return (-1);
}

int
uk_socket(int domain, int type, int protocol)
{
	int error, fd, kdom;

	switch (domain) {
	case AF_INET:
		kdom = KAF_INET;
		break;
	case AF_INET6:
		kdom = KAF_INET6;
		break;
	default:
		errno = EAFNOSUPPORT;
		return (-1);
	}
	/*
	 * SOCK_STREAM is 1 on both systems; anything else is refused.
	 * SOCK_NONBLOCK and SOCK_CLOEXEC may ride along, as on the host.
	 */
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM) {
		errno = protocol == 0 ? EPROTOTYPE : EPROTONOSUPPORT;
		return (-1);
	}
	error = kern_socket(kdom, KSOCK_STREAM, protocol, &fd);
	if (error == 0 && (type & SOCK_NONBLOCK) != 0)
		error = kern_fionbio(fd, 1, NULL);
	if (error != 0)
		return (uk_fail(error));
	return (fd);
}

int
uk_close(int s)
{
	int error;

	error = kern_close(s);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

int
uk_listen(int s, int backlog)
{
	int error;

	error = kern_listen(s, backlog);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

static int
uk_msgflags(int flags, int *kflags)
{

	*kflags = 0;
	if ((flags & MSG_OOB) != 0)
		*kflags |= K_MSG_OOB;
	if ((flags & MSG_EOR) != 0)
		*kflags |= K_MSG_EOR;
	if ((flags & MSG_DONTWAIT) != 0)
		*kflags |= K_MSG_DONTWAIT;
	if ((flags & MSG_NOSIGNAL) != 0)
		*kflags |= K_MSG_NOSIGNAL;
	/* Other flags mean nothing to a stream socket here; ignored. */
	return (0);
}

/*
 * Rebuild the control messages of msg as kernel control mbufs, one per
 * message, linked by m_next (FreeBSD puts them in one mbuf; the socket
 * layer reads the first message either way).  0 or EINVAL.
 */
static int
uk_control(const struct msghdr *msg, struct mbuf **controlp)
{
	struct cmsghdr *cm;
	struct mbuf *m, **tail;
	size_t len;
	int level;

	*controlp = NULL;
	if (msg->msg_control == NULL || msg->msg_controllen == 0)
		return (0);
	if (msg->msg_controllen < sizeof(struct cmsghdr))
		return (KE_EINVAL);
	tail = controlp;
	for (cm = CMSG_FIRSTHDR(msg); cm != NULL;
	    cm = CMSG_NXTHDR((struct msghdr *)(uintptr_t)msg, cm)) {
		if (cm->cmsg_len < CMSG_LEN(0) ||
		    (size_t)((char *)cm - (char *)msg->msg_control) +
		    cm->cmsg_len > msg->msg_controllen)
			goto bad;
		len = cm->cmsg_len - CMSG_LEN(0);
		if (K_CMSG_SPACE(len) > MCLBYTES)
			goto bad;
		level = cm->cmsg_level == SOL_SOCKET ? K_SOL_SOCKET :
		    cm->cmsg_level;
		m = sbcreatecontrol(CMSG_DATA(cm), (int)len, cm->cmsg_type,
		    level, M_WAITOK);
		if (m == NULL)
			goto bad;
		*tail = m;
		tail = &m->m_next;
	}
	return (0);
bad:
	m_freem(*controlp);
	*controlp = NULL;
	return (KE_EINVAL);
}

/* A sendto() destination: struct sockaddr_in only. */
static int
uk_sendmsg_dest(const struct msghdr *msg, uint32_t *addr, uint16_t *port)
{
	const struct sockaddr_in *sin;

	if (msg->msg_namelen < sizeof(struct sockaddr_in))
		return (KE_EINVAL);
	sin = msg->msg_name;
	if (sin->sin_family != AF_INET)
		return (KE_EAFNOSUPPORT);
	*addr = sin->sin_addr.s_addr;
	*port = sin->sin_port;
	return (0);
}

ssize_t
uk_sendmsg(int s, const struct msghdr *msg, int flags)
{
	struct mbuf *control;
	struct uio auio;
	kssize_t sent, total;
	size_t i;
	uint32_t to;
	uint16_t port;
	int error, kflags;

	if (msg == NULL || (msg->msg_iovlen != 0 && msg->msg_iov == NULL) ||
	    msg->msg_iovlen > INT_MAX) {
		errno = EINVAL;
		return (-1);
	}
	total = 0;
	for (i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len > (size_t)(SSIZE_MAX - total)) {
			errno = EINVAL;
			return (-1);
		}
		total += (kssize_t)msg->msg_iov[i].iov_len;
	}
	to = 0;
	port = 0;
	error = uk_msgflags(flags, &kflags);
	if (error == 0 && msg->msg_name != NULL)
		error = uk_sendmsg_dest(msg, &to, &port);
	if (error == 0)
		error = uk_control(msg, &control);
	if (error != 0)
		return (uk_fail(error));

	auio.uio_iov = msg->msg_iov;
	auio.uio_iovcnt = (int)msg->msg_iovlen;
	auio.uio_offset = 0;
	auio.uio_resid = total;
	auio.uio_segflg = UIO_USERSPACE;
	auio.uio_rw = UIO_WRITE;
	if (msg->msg_name != NULL)
		error = kern_sendto(s, to, port, &auio, control, kflags, &sent);
	else
		error = kern_sendit(s, &auio, control, kflags, &sent);
	if (error != 0)
		return (uk_fail(error));
	return ((ssize_t)sent);
}

ssize_t
uk_sendto(int s, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen)
{
	struct msghdr msg;
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)(uintptr_t)to;
	msg.msg_namelen = to != NULL ? tolen : 0;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return (uk_sendmsg(s, &msg, flags));
}

ssize_t
uk_send(int s, const void *buf, size_t len, int flags)
{
	struct msghdr msg;
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return (uk_sendmsg(s, &msg, flags));
}

ssize_t
uk_write(int s, const void *buf, size_t len)
{

	return (uk_send(s, buf, len, 0));
}

/* ---- receiving --------------------------------------------------------- */

/* Receive flags of the host, as the kernel spells them. */
static int
uk_rcvflags(int flags)
{
	int kflags;

	kflags = 0;
	if ((flags & MSG_OOB) != 0)
		kflags |= KMSG_OOB;
	if ((flags & MSG_PEEK) != 0)
		kflags |= KMSG_PEEK;
	if ((flags & MSG_WAITALL) != 0)
		kflags |= KMSG_WAITALL;
	if ((flags & MSG_DONTWAIT) != 0)
		kflags |= KMSG_DONTWAIT;
	if ((flags & MSG_TLSAPPDATA) != 0)
		kflags |= KMSG_TLSAPPDATA;
	return (kflags);
}

/*
 * Rewrite the kernel's control messages (FreeBSD layout, possibly several
 * in one mbuf) into the caller's buffer in glibc's layout.  What does not
 * fit sets MSG_CTRUNC; a message whose header fits is cut to the room
 * left, with cmsg_len saying how much was copied (as Linux does).
 */
static void
uk_control_out(struct msghdr *msg, struct mbuf *control, int *flags)
{
	struct kcmsghdr kcm;
	struct cmsghdr hcm;
	struct mbuf *m;
	uint8_t *out, *at;
	size_t dlen, n, need, off, room, used;
	bool full;

	out = msg->msg_control;
	room = msg->msg_controllen;
	used = 0;
	full = false;
	for (m = control; m != NULL && !full; m = m->m_next) {
		off = 0;
		while (m->m_len > 0 && off + sizeof(kcm) <= (size_t)m->m_len) {
			/* Copied out: nothing promises the mbuf's alignment. */
			at = mtod(m, uint8_t *) + off;
			memcpy(&kcm, at, sizeof(kcm));
			if (kcm.cmsg_len < KCMSG_LEN(0) ||
			    off + kcm.cmsg_len > (size_t)m->m_len)
				break;
			dlen = kcm.cmsg_len - KCMSG_LEN(0);
			need = CMSG_LEN(dlen);
			if (room - used < sizeof(hcm)) {
				*flags |= MSG_CTRUNC;
				full = true;
				break;
			}
			n = need <= room - used ? need : room - used;
			memset(&hcm, 0, sizeof(hcm));
			hcm.cmsg_len = n;
			hcm.cmsg_level = kcm.cmsg_level == KSOL_SOCKET ?
			    SOL_SOCKET : kcm.cmsg_level;
			hcm.cmsg_type = kcm.cmsg_type;
			memcpy(out + used, &hcm, sizeof(hcm));
			if (n > CMSG_LEN(0))
				memcpy(out + used + CMSG_LEN(0),
				    at + KCMSG_LEN(0), n - CMSG_LEN(0));
			if (n < need) {
				*flags |= MSG_CTRUNC;
				used += n;
				full = true;
				break;
			}
			used += CMSG_SPACE(dlen) <= room - used ?
			    CMSG_SPACE(dlen) : room - used;
			off += KCMSG_SPACE(dlen);
		}
	}
	msg->msg_controllen = used;
}

ssize_t
uk_recvmsg(int s, struct msghdr *msg, int flags)
{
	struct iovec small[8], *iov;
	struct mbuf *control;
	struct uio auio;
	kssize_t got, total;
	size_t i;
	int error, hflags, kflags;

	if (msg == NULL || (msg->msg_iovlen != 0 && msg->msg_iov == NULL) ||
	    msg->msg_iovlen > INT_MAX) {
		errno = EINVAL;
		return (-1);
	}
	total = 0;
	for (i = 0; i < msg->msg_iovlen; i++) {
		if (msg->msg_iov[i].iov_len > (size_t)(SSIZE_MAX - total)) {
			errno = EINVAL;
			return (-1);
		}
		total += (kssize_t)msg->msg_iov[i].iov_len;
	}
	/* The kernel moves through its iovecs; the caller's stay as given. */
	iov = small;
	if (msg->msg_iovlen > sizeof(small) / sizeof(small[0])) {
		iov = calloc(msg->msg_iovlen, sizeof(*iov));
		if (iov == NULL)
			return (-1);
	}
	if (msg->msg_iovlen != 0)
		memcpy(iov, msg->msg_iov, msg->msg_iovlen * sizeof(*iov));
	auio.uio_iov = iov;
	auio.uio_iovcnt = (int)msg->msg_iovlen;
	auio.uio_offset = 0;
	auio.uio_resid = total;
	auio.uio_segflg = UIO_USERSPACE;
	auio.uio_rw = UIO_READ;

	kflags = uk_rcvflags(flags);
	control = NULL;
	error = kern_recvit(s, &auio, msg->msg_control != NULL ? &control :
	    NULL, &kflags, &got);
	if (iov != small)
		free(iov);
	if (error != 0)
		return (uk_fail(error));

	hflags = 0;
	if ((kflags & KMSG_EOR) != 0)
		hflags |= MSG_EOR;
	if ((kflags & KMSG_TRUNC) != 0)
		hflags |= MSG_TRUNC;
	if ((kflags & KMSG_CTRUNC) != 0)
		hflags |= MSG_CTRUNC;
	if (msg->msg_control != NULL)
		uk_control_out(msg, control, &hflags);
	else
		msg->msg_controllen = 0;
	m_freem(control);
	msg->msg_flags = hflags;
	return ((ssize_t)got);
}

ssize_t
uk_recv(int s, void *buf, size_t len, int flags)
{
	struct msghdr msg;
	struct iovec iov;

	iov.iov_base = buf;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return (uk_recvmsg(s, &msg, flags));
}

ssize_t
uk_read(int s, void *buf, size_t len)
{

	return (uk_recv(s, buf, len, 0));
}

int
uk_shutdown(int s, int how)
{
	int error, khow;

	switch (how) {
	case SHUT_RD:
		khow = KSHUT_RD;
		break;
	case SHUT_WR:
		khow = KSHUT_WR;
		break;
	case SHUT_RDWR:
		khow = KSHUT_RDWR;
		break;
	default:
		errno = EINVAL;
		return (-1);
	}
	error = kern_shutdown(s, khow);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

/* Fill a kernel uio from an iovec array; 0 or EINVAL. */
static int
uk_uio(struct uio *uio, struct iovec *iov, int cnt)
{
	kssize_t total;
	int i;

	if (cnt < 0 || (cnt > 0 && iov == NULL))
		return (KE_EINVAL);
	total = 0;
	for (i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)(SSIZE_MAX - total))
			return (KE_EINVAL);
		total += (kssize_t)iov[i].iov_len;
	}
	uio->uio_iov = iov;
	uio->uio_iovcnt = cnt;
	uio->uio_offset = 0;
	uio->uio_resid = total;
	uio->uio_segflg = UIO_USERSPACE;
	uio->uio_rw = UIO_WRITE;
	return (0);
}

int
uk_sendfile(int fd, int s, off_t offset, size_t nbytes, void *hdtr,
    off_t *sbytes, int flags)
{
	struct sf_hdtr *h;
	struct uio hdr_uio, trl_uio, *hp, *tp;
	kern_off_t sent;
	int error;

	hp = tp = NULL;
	sent = 0;
	h = hdtr;
	error = 0;
	if (h != NULL) {
		if (h->headers != NULL && h->hdr_cnt > 0) {
			error = uk_uio(&hdr_uio, h->headers, h->hdr_cnt);
			hp = &hdr_uio;
		}
		if (error == 0 && h->trailers != NULL && h->trl_cnt > 0) {
			error = uk_uio(&trl_uio, h->trailers, h->trl_cnt);
			tp = &trl_uio;
		}
	}
	if (error == 0)
		error = kern_sendfile(fd, s, hp, tp, (kern_off_t)offset,
		    nbytes, &sent, flags);
	if (sbytes != NULL)
		*sbytes = (off_t)sent;
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

/* A SOL_SOCKET option name of the host, as FreeBSD numbers it; 0: none. */
static int
uk_soname(int optname)
{

	switch (optname) {
	case SO_SNDBUF:
		return (KSO_SNDBUF);
	case SO_RCVBUF:
		return (KSO_RCVBUF);
	case SO_SNDLOWAT:
		return (KSO_SNDLOWAT);
	case SO_ERROR:
		return (KSO_ERROR);
	case SO_TYPE:
		return (KSO_TYPE);
	}
	return (0);
}

int
uk_setsockopt(int s, int level, int optname, const void *optval,
    socklen_t optlen)
{
	int error, klevel, kname;

	klevel = level;
	kname = optname;
	if (level == SOL_SOCKET) {
		klevel = K_SOL_SOCKET;
		kname = uk_soname(optname);
		if (kname == 0) {
			errno = ENOPROTOOPT;
			return (-1);
		}
	}
	error = kern_setsockopt(s, klevel, kname, (void *)(uintptr_t)optval,
	    optlen);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

int
uk_getsockopt(int s, int level, int optname, void *optval,
    socklen_t *optlen)
{
	size_t valsize;
	int error, klevel, kname, v;

	if (optlen == NULL) {
		errno = EFAULT;
		return (-1);
	}
	klevel = level;
	kname = optname;
	if (level == SOL_SOCKET) {
		klevel = K_SOL_SOCKET;
		kname = uk_soname(optname);
		if (kname == 0) {
			errno = ENOPROTOOPT;
			return (-1);
		}
	}
	valsize = *optlen;
	error = kern_getsockopt(s, klevel, kname, optval, &valsize);
	if (error != 0)
		return (uk_fail(error));
	*optlen = (socklen_t)valsize;
	/* Values that are numbers of the kernel's, given the host's. */
	if (level == SOL_SOCKET && valsize == sizeof(int)) {
		memcpy(&v, optval, sizeof(v));
		if (optname == SO_ERROR)
			v = uk_errno_host(v);
		else if (optname == SO_TYPE && v == KSOCK_STREAM)
			v = SOCK_STREAM;
		memcpy(optval, &v, sizeof(v));
	}
	return (0);
}

int
uk_set_nonblock(int s, int on)
{
	int error;

	error = kern_fionbio(s, on ? 1 : 0, NULL);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

int
uk_fcntl(int s, int cmd, ...)
{
	va_list ap;
	int arg, error, on;

	switch (cmd) {
	case F_GETFL:
		error = kern_fionbio(s, -1, &on);
		if (error != 0)
			return (uk_fail(error));
		return (O_RDWR | (on ? O_NONBLOCK : 0));
	case F_SETFL:
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
		error = kern_fionbio(s, (arg & O_NONBLOCK) != 0, NULL);
		if (error != 0)
			return (uk_fail(error));
		return (0);
	default:
		errno = EINVAL;
		return (-1);
	}
}

/* ---- statistics and tunables ----------------------------------------- */

int
uk_ktls_stats(struct uk_ktls_stats *st)
{
	struct ktls_stats k;

	if (st == NULL) {
		errno = EINVAL;
		return (-1);
	}
	ktls_stats(&k);
	st->active = k.active;
	st->enable_calls = k.enable_calls;
	st->offload_total = k.offload_total;
	st->sw_tx = k.sw_tx;
	st->sw_rx = k.sw_rx;
	st->ifnet_tx = k.ifnet_tx;
	st->toe_tx = k.toe_tx;
	st->toe_rx = k.toe_rx;
	st->tx_gcm = k.tx_gcm;
	st->tx_cbc = k.tx_cbc;
	st->tx_chacha = k.tx_chacha;
	st->rx_gcm = k.rx_gcm;
	st->rx_cbc = k.rx_cbc;
	st->rx_chacha = k.rx_chacha;
	st->sw_tx_inqueue = k.sw_tx_inqueue;
	st->sw_tx_pending = k.sw_tx_pending;
	st->sw_rx_inqueue = k.sw_rx_inqueue;
	st->tasks_active = k.tasks_active;
	st->encrypt_records = k.encrypt_records;
	st->decrypt_records = k.decrypt_records;
	st->inplace = k.inplace;
	st->separate_output = k.separate_output;
	st->failed_crypto = k.failed_crypto;
	st->corrupted_records = k.corrupted_records;
	st->switch_to_ifnet = k.switch_to_ifnet;
	st->switch_to_sw = k.switch_to_sw;
	st->switch_failed = k.switch_failed;
	st->ifnet_records = k.ifnet_records;
	st->ifnet_resyncs = k.ifnet_resyncs;
	st->ifnet_dump_bytes = k.ifnet_dump_bytes;
	st->ifnet_crypto_bytes = k.ifnet_crypto_bytes;
	st->ifnet_failed = k.ifnet_failed;
	return (0);
}

int
uk_sysctl_int(const char *name, int *oldval, const int *newval)
{
	int error;

	if (name == NULL) {
		errno = EINVAL;
		return (-1);
	}
	error = kern_sysctl_int(name, oldval, newval);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}
