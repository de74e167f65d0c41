/*-
 * TCP user requests: the IPPROTO_TCP socket options (FreeBSD's
 * tcp_default_ctloutput(), the KTLS part) and, until the TCP shim is
 * attached, a loopback "sink" that stands in for the connection.
 *
 * The sink.  A sink socket is connected from birth and has no peer: its
 * pr_send appends to so_snd (not ready with PRUS_NOTREADY, as
 * tcp_usr_send() does), its pr_ready marks data ready with sbready(), and
 * nothing is ever transmitted.  What tcp_output would send is the ready
 * part of so_snd; tests take it out with kern_test_sndbuf_take(), which
 * plays the wire and the peer's ACK at once (copy out, then sbdrop).
 * Since nothing else empties so_snd the protocol is PR_NODRAIN: a send
 * that needs space does not wait (see uipc_socket.c).
 *
 * A dropped connection (ktls_drop() on a crypto failure, pr_abort) is
 * remembered in the pcb.  Data then still in a worker's hands comes back
 * through pr_ready and is freed there (mb_free_notready()), as
 * tcp_usr_ready() does for an INP_DROPPED connection.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/sockopt.h"
#include "sys/domain.h"
#include "sys/ktls.h"
#include "sys/syscallsubr.h"
#include "sys/testhooks.h"

#ifndef __DECONST
#define	__DECONST(type, var)	((type)(uintptr_t)(const void *)(var))
#endif

MALLOC_DEFINE(M_PCB, "pcb", "protocol control block");

struct tcp_sink_pcb {
	bool	dropped;	/* under so_snd's lock */
};

static int	tcp_sink_attach(struct socket *so);
static void	tcp_sink_detach(struct socket *so);
static int	tcp_sink_send(struct socket *so, int flags, struct mbuf *m,
		    struct sockaddr *addr, struct mbuf *control);
static int	tcp_sink_ready(struct socket *so, struct mbuf *m, int count);
static void	tcp_sink_abort(struct socket *so);
static int	tcp_sink_listen(struct socket *so, int backlog);
static int	tcp_ctloutput(struct socket *so, struct sockopt *sopt);

static struct protosw tcp_sink_protosw = {
	.pr_name =	"tcp-sink",
	.pr_type =	SOCK_STREAM,
	.pr_protocol =	IPPROTO_TCP,
	.pr_flags =	PR_CONNREQUIRED | PR_NODRAIN,
	.pr_attach =	tcp_sink_attach,
	.pr_detach =	tcp_sink_detach,
	.pr_send =	tcp_sink_send,
	.pr_ready =	tcp_sink_ready,
	.pr_ctloutput =	tcp_ctloutput,
	.pr_abort =	tcp_sink_abort,
	.pr_listen =	tcp_sink_listen,
};

struct protosw *
pffindproto(int family, int type, int protocol)
{

	if (family != AF_INET && family != AF_INET6)
		return (NULL);
	if (type != SOCK_STREAM)
		return (NULL);
	if (protocol != 0 && protocol != IPPROTO_TCP)
		return (NULL);
	return (&tcp_sink_protosw);
}

static int
tcp_sink_attach(struct socket *so)
{

	so->so_pcb = kmalloc(sizeof(struct tcp_sink_pcb), M_PCB,
	    M_WAITOK | M_ZERO);
	SOCK_LOCK(so);
	so->so_state |= SS_ISCONNECTED;
	SOCK_UNLOCK(so);
	return (0);
}

static void
tcp_sink_detach(struct socket *so)
{

	kfree(so->so_pcb, M_PCB);
	so->so_pcb = NULL;
}

/*
 * tcp_usr_send(): TCP carries no control messages.  On an error, data
 * sent not ready stays the caller's (it frees it); other data is freed.
 */
static int
tcp_sink_send(struct socket *so, int flags, struct mbuf *m,
    struct sockaddr *addr __unused, struct mbuf *control)
{
	struct tcp_sink_pcb *pcb;
	int error;

	error = 0;
	if (control != NULL) {
		if (control->m_len > 0) {
			m_freem(control);
			error = EINVAL;
			goto out;
		}
		m_freem(control);
	}
	pcb = so->so_pcb;
	SOCK_SENDBUF_LOCK(so);
	if (pcb->dropped) {
		SOCK_SENDBUF_UNLOCK(so);
		error = ECONNRESET;
		goto out;
	}
	sbappendstream_locked(&so->so_snd, m, flags);
	m = NULL;
#ifdef INVARIANTS
	SBCHECK(&so->so_snd);
#endif
	SOCK_SENDBUF_UNLOCK(so);
out:
	if (m != NULL && (flags & PRUS_NOTREADY) == 0)
		m_freem(m);
	return (error);
}

/* tcp_usr_ready(): data became ready; "send" it (it stays in so_snd). */
static int
tcp_sink_ready(struct socket *so, struct mbuf *m, int count)
{
	struct tcp_sink_pcb *pcb;
	int error;

	pcb = so->so_pcb;
	SOCK_SENDBUF_LOCK(so);
	if (pcb->dropped) {
		SOCK_SENDBUF_UNLOCK(so);
		mb_free_notready(m, count);
		return (ECONNRESET);
	}
	error = sbready(&so->so_snd, m, count);
#ifdef INVARIANTS
	SBCHECK(&so->so_snd);
#endif
	/* Whoever waits for ready data (a test draining) looks again. */
	sowwakeup_locked(so);
	SOCK_SENDBUF_UNLOCK(so);
	return (error);
}

/* tcp_drop(): the connection is gone with an error. */
static void
tcp_sink_drop(struct socket *so, int error)
{
	struct tcp_sink_pcb *pcb;

	pcb = so->so_pcb;
	SOCK_SENDBUF_LOCK(so);
	pcb->dropped = true;
	so->so_error = error;
	SOCK_SENDBUF_UNLOCK(so);
	soisdisconnected(so);
}

static void
tcp_sink_abort(struct socket *so)
{

	tcp_sink_drop(so, ECONNABORTED);
}

/* Only a socket that was never connected may listen. */
static int
tcp_sink_listen(struct socket *so __unused, int backlog __unused)
{

	return (0);
}

/* ---- socket options --------------------------------------------------- */

/*
 * Copy in a struct tls_enable and the keys it points to (FreeBSD's
 * copyin_tls_enable()).  Lengths are checked before anything is copied.
 */
static int
copyin_tls_enable(struct sockopt *sopt, struct tls_enable *tls)
{
	uint8_t *cipher_key, *iv, *auth_key;
	int error;

	error = sooptcopyin(sopt, tls, sizeof(*tls), sizeof(*tls));
	if (error != 0)
		return (error);
	if (tls->cipher_key_len < 0 ||
	    tls->cipher_key_len > TLS_MAX_PARAM_SIZE)
		return (EINVAL);
	if (tls->iv_len < 0 || tls->iv_len > TLS_CBC_IMPLICIT_IV_LEN)
		return (EINVAL);
	if (tls->auth_key_len < 0 || tls->auth_key_len > TLS_MAX_PARAM_SIZE)
		return (EINVAL);
	/* Every supported suite has a cipher key. */
	if (tls->cipher_key_len == 0)
		return (EINVAL);
	/* Reading through a NULL user pointer faults. */
	if (tls->cipher_key == NULL ||
	    (tls->iv_len != 0 && tls->iv == NULL) ||
	    (tls->auth_key_len != 0 && tls->auth_key == NULL))
		return (EFAULT);

	cipher_key = kmalloc(tls->cipher_key_len, M_TEMP, M_WAITOK);
	memcpy(cipher_key, tls->cipher_key, tls->cipher_key_len);
	iv = NULL;
	if (tls->iv_len != 0) {
		iv = kmalloc(tls->iv_len, M_TEMP, M_WAITOK);
		memcpy(iv, tls->iv, tls->iv_len);
	}
	auth_key = NULL;
	if (tls->auth_key_len != 0) {
		auth_key = kmalloc(tls->auth_key_len, M_TEMP, M_WAITOK);
		memcpy(auth_key, tls->auth_key, tls->auth_key_len);
	}
	tls->cipher_key = cipher_key;
	tls->iv = iv;
	tls->auth_key = auth_key;
	return (0);
}

static void
cleanup_tls_enable(struct tls_enable *tls)
{

	explicit_bzero(__DECONST(uint8_t *, tls->cipher_key),
	    tls->cipher_key_len);
	kfree(__DECONST(uint8_t *, tls->cipher_key), M_TEMP);
	if (tls->iv != NULL) {
		explicit_bzero(__DECONST(uint8_t *, tls->iv), tls->iv_len);
		kfree(__DECONST(uint8_t *, tls->iv), M_TEMP);
	}
	if (tls->auth_key != NULL) {
		explicit_bzero(__DECONST(uint8_t *, tls->auth_key),
		    tls->auth_key_len);
		kfree(__DECONST(uint8_t *, tls->auth_key), M_TEMP);
	}
}

/*
 * IPPROTO_TCP options.  Only the KTLS ones exist so far; anything else
 * is ENOPROTOOPT, as for an option TCP does not know.
 */
static int
tcp_ctloutput(struct socket *so, struct sockopt *sopt)
{
	struct tls_enable tls;
	int error, optval;

	if (sopt->sopt_level != IPPROTO_TCP)
		return (ENOPROTOOPT);

	if (sopt->sopt_dir == SOPT_SET) {
		switch (sopt->sopt_name) {
		case TCP_TXTLS_ENABLE:
			error = copyin_tls_enable(sopt, &tls);
			if (error != 0)
				return (error);
			error = ktls_enable_tx(so, &tls);
			cleanup_tls_enable(&tls);
			return (error);
		case TCP_TXTLS_MODE:
			error = sooptcopyin(sopt, &optval, sizeof(optval),
			    sizeof(optval));
			if (error != 0)
				return (error);
			return (ktls_set_tx_mode(so, optval));
		case TCP_RXTLS_ENABLE:
			error = copyin_tls_enable(sopt, &tls);
			if (error != 0)
				return (error);
			error = ktls_enable_rx(so, &tls);
			cleanup_tls_enable(&tls);
			return (error);
		default:
			return (ENOPROTOOPT);
		}
	}

	switch (sopt->sopt_name) {
	case TCP_TXTLS_MODE:
		error = ktls_get_tx_mode(so, &optval);
		break;
	case TCP_RXTLS_MODE:
		error = ktls_get_rx_mode(so, &optval);
		break;
	default:
		return (ENOPROTOOPT);
	}
	if (error != 0)
		return (error);
	return (sooptcopyout(sopt, &optval, sizeof(optval)));
}

/* ---- test accessors (sys/testhooks.h) --------------------------------- */

static int
kt_copy_piece(void *arg, void *p, u_int len)
{
	uint8_t **dst = arg;

	/* The wire, not the datapath: not counted as a payload copy. */
	memcpy(*dst, p, len);
	*dst += len;
	return (0);
}

int
kern_test_sndbuf_take(int fd, void *buf, size_t len, size_t *got)
{
	struct socket *so;
	struct mbuf *mfree;
	uint8_t *dst;
	size_t n;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_SENDBUF_LOCK(so);
	n = MIN(len, sbavail(&so->so_snd));
	mfree = NULL;
	if (n > 0) {
		dst = buf;
		(void)m_apply(so->so_snd.sb_mb, 0, (int)n, kt_copy_piece,
		    &dst);
		mfree = sbcut_locked(&so->so_snd, (int)n);
#ifdef INVARIANTS
		SBCHECK(&so->so_snd);
#endif
		sowwakeup_locked(so);
	}
	SOCK_SENDBUF_UNLOCK(so);
	m_freem(mfree);
	*got = n;
	sorele(so);
	return (0);
}

int
kern_test_sndbuf_wait(int fd)
{
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_SENDBUF_LOCK(so);
	while (so->so_snd.sb_fnrdy != NULL &&
	    (so->so_snd.sb_state & SBS_CANTSENDMORE) == 0) {
		if (khost_workers() == 0) {
			error = EWOULDBLOCK;
			break;
		}
		cv_wait(&so->so_snd_cv, &so->so_snd_mtx);
	}
	SOCK_SENDBUF_UNLOCK(so);
	sorele(so);
	return (error);
}

int
kern_test_sndbuf_info(int fd, struct kt_sbinfo *info)
{
	struct socket *so;
	struct mbuf *m;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	memset(info, 0, sizeof(*info));
	SOCK_LOCK(so);
	info->connected = (so->so_state & SS_ISCONNECTED) != 0;
	SOCK_UNLOCK(so);
	SOCK_SENDBUF_LOCK(so);
	info->acc = so->so_snd.sb_acc;
	info->ccc = so->so_snd.sb_ccc;
	info->hiwat = so->so_snd.sb_hiwat;
	info->mbcnt = so->so_snd.sb_mbcnt;
	info->mbmax = so->so_snd.sb_mbmax;
	info->tls_seqno = so->so_snd.sb_tls_seqno;
	info->so_error = so->so_error;
	for (m = so->so_snd.sb_mb; m != NULL; m = m->m_next) {
		info->nmbufs++;
		if ((m->m_flags & M_NOTREADY) != 0)
			info->nnotready++;
	}
	SOCK_SENDBUF_UNLOCK(so);
	sorele(so);
	return (0);
}

int
kern_test_sndbuf_describe(int fd, struct kt_mdesc *d, int max, int *n)
{
	struct socket *so;
	struct mbuf *m;
	int error, i;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	SOCK_SENDBUF_LOCK(so);
	for (i = 0, m = so->so_snd.sb_mb; m != NULL; m = m->m_next, i++) {
		if (i >= max)
			continue;
		memset(&d[i], 0, sizeof(d[i]));
		d[i].len = m->m_len;
		d[i].flags = m->m_flags;
		if ((m->m_flags & M_EXTPG) == 0)
			continue;
		d[i].extpg = 1;
		d[i].hdrlen = m->m_epg_hdrlen;
		d[i].trllen = m->m_epg_trllen;
		d[i].npgs = m->m_epg_npgs;
		d[i].nrdy = m->m_epg_nrdy;
		d[i].first_off = m->m_epg_1st_off;
		d[i].last_len = m->m_epg_last_len;
		d[i].epg_flags = m->m_epg_flags;
		d[i].has_tls = m->m_epg_tls != NULL;
		d[i].record_type = m->m_epg_record_type;
		d[i].seqno = m->m_epg_seqno;
	}
	SOCK_SENDBUF_UNLOCK(so);
	*n = i;
	sorele(so);
	return (0);
}

int
kern_test_socket_listening(int *fdp)
{
	struct socket *so;
	int error;

	error = socreate(AF_INET, &so, SOCK_STREAM, IPPROTO_TCP);
	if (error != 0)
		return (error);
	/* As if it had never been connected. */
	SOCK_LOCK(so);
	so->so_state &= ~SS_ISCONNECTED;
	SOCK_UNLOCK(so);
	error = solisten(so, 1);
	if (error == 0)
		error = falloc_socket(so, fdp);
	if (error != 0)
		soclose(so);
	return (error);
}
