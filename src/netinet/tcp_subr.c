/*-
 * TCP control blocks and what goes with them (FreeBSD's tcp_subr.c and
 * the inpcb parts of in_pcb.c): creation and destruction, the list that
 * input searches, ports, closing and dropping connections, resets sent
 * on nobody's behalf, the MSS, the settings of the simulated network and
 * the per-connection statistics.  See tcp_var.h for the locking and the
 * lifetime rules.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/atomic.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/mbuf.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/syscallsubr.h"
#include "sys/domain.h"
#include "sys/netsubr.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"

MALLOC_DEFINE(M_TCPCB, "tcpcb", "TCP control blocks");

/* tcbinfo: every bound control block, and the defaults. */
static struct mtx	tcbinfo_mtx;
static TAILQ_HEAD(, tcpcb) tcbinfo_list = TAILQ_HEAD_INITIALIZER(tcbinfo_list);
static int		tcp_ntcpcb;		/* control blocks alive */
static struct knet_conf	tcp_defconf;		/* for new connections */
static volatile int	tcp_inited;

/* All listeners' accept queues. */
struct mtx		tcp_acceptmtx;

static const struct knet_conf tcp_conf_default = {
	.mss = TCP_MSS_DEFAULT,
};

void
tcp_init(void)
{
	int expected;

	if (atomic_load_int(&tcp_inited) == 2)
		return;
	expected = 0;
	if (!__atomic_compare_exchange_n(&tcp_inited, &expected, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		while (atomic_load_int(&tcp_inited) != 2)
			;
		return;
	}
	mtx_init(&tcbinfo_mtx, "tcbinfo", NULL, MTX_DEF);
	mtx_init(&tcp_acceptmtx, "accept", NULL, MTX_DEF);
	tcp_defconf = tcp_conf_default;
	loop_init();
	atomic_store_int(&tcp_inited, 2);
}

/* ---- control blocks ----------------------------------------------------- */

/* The window shift that lets a buffer of up to SB_MAX be offered. */
static u_char
tcp_rscale(void)
{
	u_char s;

	for (s = 0; s < TCP_MAX_WINSHIFT &&
	    ((u_long)TCP_MAXWIN << s) < SB_MAX; s++)
		;
	return (s);
}

struct tcpcb *
tcp_newtcpcb(struct socket *so)
{
	struct tcpcb *tp;
	int i;

	tcp_init();
	tp = kmalloc(sizeof(*tp), M_TCPCB, M_WAITOK | M_ZERO);
	mtx_init(&tp->t_mtx, "tcpcb", NULL, MTX_DEF);
	tp->t_socket = so;
	tp->t_state = TCPS_CLOSED;
	TAILQ_INIT(&tp->t_segq);
	TAILQ_INIT(&tp->t_comp);
	TAILQ_INIT(&tp->t_incomp);
	tcp_timer_init(tp);
	tp->t_rxtcur = TCPTV_RTOBASE;
	tp->snd_cwnd = (u_long)TCP_MAXWIN << TCP_MAX_WINSHIFT;
	tp->request_r_scale = tcp_rscale();
	tp->t_flags = TF_REQ_SCALE;
	mtx_lock(&tcbinfo_mtx);
	tp->t_conf = tcp_defconf;
	tcp_ntcpcb++;
	mtx_unlock(&tcbinfo_mtx);
	tcp_mss(tp, 0);
	for (i = 0; i < TT_N; i++)
		KASSERT(tp->t_timers[i].tt_due == 0, ("%s: timer armed",
		    __func__));
	return (tp);
}

/*
 * A new socket for a connection arriving at listener head (sonewconn()):
 * the listener's buffer sizes and network settings, not yet on any
 * list.  The socket's one reference is the one its descriptor will
 * hold.  head is locked.
 */
struct socket *
tcp_newconn(struct tcpcb *head)
{
	struct socket *hso, *so;
	struct tcpcb *tp;
	u_int rcvhiwat, rcvlowat, sndhiwat, sndlowat;

	TCP_LOCK_ASSERT(head);
	hso = head->t_socket;
	if (socreate(AF_INET, &so, SOCK_STREAM, IPPROTO_TCP) != 0)
		return (NULL);
	if (tcp_sink_promote(so) != 0) {
		(void)soclose(so);
		return (NULL);
	}
	SOCK_SENDBUF_LOCK(hso);
	sndhiwat = hso->so_snd.sb_hiwat;
	sndlowat = hso->so_snd.sb_lowat;
	SOCK_SENDBUF_UNLOCK(hso);
	SOCK_RECVBUF_LOCK(hso);
	rcvhiwat = hso->so_rcv.sb_hiwat;
	rcvlowat = hso->so_rcv.sb_lowat;
	SOCK_RECVBUF_UNLOCK(hso);
	SOCK_SENDBUF_LOCK(so);
	(void)sbreserve_locked(&so->so_snd, sndhiwat);
	so->so_snd.sb_lowat = sndlowat;
	SOCK_SENDBUF_UNLOCK(so);
	SOCK_RECVBUF_LOCK(so);
	(void)sbreserve_locked(&so->so_rcv, rcvhiwat);
	so->so_rcv.sb_lowat = rcvlowat;
	SOCK_RECVBUF_UNLOCK(so);
	tp = intotcpcb(so);
	tp->t_conf = head->t_conf;
	tcp_mss(tp, 0);
	return (so);
}

/* pr_detach: the socket is being freed, and the connection with it. */
void
tcp_discardcb(struct tcpcb *tp)
{
	int i;

	KASSERT(tp->t_state == TCPS_CLOSED || tp->t_state == TCPS_LISTEN,
	    ("%s: tcpcb %p in state %d", __func__, tp, tp->t_state));
	KASSERT(!tp->t_inlist, ("%s: tcpcb %p still findable", __func__, tp));
	KASSERT((tp->t_flags & TF_PROTOREF) == 0,
	    ("%s: tcpcb %p holds its socket", __func__, tp));
	KASSERT(TAILQ_EMPTY(&tp->t_comp) && TAILQ_EMPTY(&tp->t_incomp),
	    ("%s: listener %p with queued connections", __func__, tp));
	for (i = 0; i < TT_N; i++)
		KASSERT(!callout_pending(&tp->t_timers[i].tt_callout),
		    ("%s: timer %d pending", __func__, i));
	tcp_reass_flush(tp);
	mtx_destroy(&tp->t_mtx);
	mtx_lock(&tcbinfo_mtx);
	tcp_ntcpcb--;
	mtx_unlock(&tcbinfo_mtx);
	explicit_bzero(tp, sizeof(*tp));
	kfree(tp, M_TCPCB);
}

int
tcp_nconns(void)
{
	int n;

	tcp_init();
	mtx_lock(&tcbinfo_mtx);
	n = tcp_ntcpcb;
	mtx_unlock(&tcbinfo_mtx);
	return (n);
}

/*
 * Unlock tp and drop the socket references its changes released (timers
 * stopped, the connection closed).  tp may be gone afterwards.
 */
void
tcp_unlock(struct tcpcb *tp)
{
	struct socket *so;
	int n;

	TCP_LOCK_ASSERT(tp);
	so = tp->t_socket;
	n = tp->t_rele;
	tp->t_rele = 0;
	TCP_UNLOCK(tp);
	while (n-- > 0)
		sorele(so);
}

/* ---- the list, ports and lookup --------------------------------------- */

int
tcp_list_insert(struct tcpcb *tp)
{

	TCP_LOCK_ASSERT(tp);
	mtx_lock(&tcbinfo_mtx);
	if (!tp->t_inlist) {
		TAILQ_INSERT_TAIL(&tcbinfo_list, tp, t_list);
		tp->t_inlist = 1;
	}
	mtx_unlock(&tcbinfo_mtx);
	return (0);
}

void
tcp_list_remove(struct tcpcb *tp)
{

	TCP_LOCK_ASSERT(tp);
	mtx_lock(&tcbinfo_mtx);
	if (tp->t_inlist) {
		TAILQ_REMOVE(&tcbinfo_list, tp, t_list);
		tp->t_inlist = 0;
	}
	mtx_unlock(&tcbinfo_mtx);
}

/* Is (laddr, lport) taken by a socket that is not a connection?  Locked. */
static bool
tcp_port_busy(struct tcpcb *self, in_addr_t laddr, in_port_t lport)
{
	struct tcpcb *tp;

	TAILQ_FOREACH(tp, &tcbinfo_list, t_list) {
		if (tp == self || tp->t_lport != lport)
			continue;
		if (tp->t_faddr != INADDR_ANY)
			continue;
		if (tp->t_laddr == laddr || tp->t_laddr == INADDR_ANY ||
		    laddr == INADDR_ANY)
			return (true);
	}
	return (false);
}

/* Is the connection (laddr, lport, faddr, fport) taken?  Locked. */
static bool
tcp_tuple_busy(in_addr_t laddr, in_port_t lport, in_addr_t faddr,
    in_port_t fport)
{
	struct tcpcb *tp;

	TAILQ_FOREACH(tp, &tcbinfo_list, t_list)
		if (tp->t_lport == lport && tp->t_fport == fport &&
		    tp->t_faddr == faddr && tp->t_laddr == laddr)
			return (true);
	return (false);
}

/* Any port in use by anyone at all?  Locked. */
static bool
tcp_port_used(in_port_t lport)
{
	struct tcpcb *tp;

	TAILQ_FOREACH(tp, &tcbinfo_list, t_list)
		if (tp->t_lport == lport)
			return (true);
	return (false);
}

/*
 * Bind tp to laddr and lport (network order; lport 0: an ephemeral port,
 * picked at random as FreeBSD does).  Puts tp on the list.  0,
 * EADDRINUSE, EADDRNOTAVAIL (no ephemeral port left), EINVAL (bound).
 */
int
tcp_bind(struct tcpcb *tp, in_addr_t laddr, in_port_t lport)
{
	uint32_t r;
	u_int n, range;
	in_port_t port;

	TCP_LOCK_ASSERT(tp);
	if (tp->t_lport != 0)
		return (EINVAL);
	mtx_lock(&tcbinfo_mtx);
	if (lport != 0) {
		if (tcp_port_busy(tp, laddr, lport)) {
			mtx_unlock(&tcbinfo_mtx);
			return (EADDRINUSE);
		}
	} else {
		range = IPPORT_EPHEMERALLAST - IPPORT_EPHEMERALFIRST + 1;
		khost_arc4rand(&r, sizeof(r));
		for (n = 0; n < range; n++) {
			port = htons((uint16_t)(IPPORT_EPHEMERALFIRST +
			    (r + n) % range));
			if (!tcp_port_used(port))
				break;
		}
		if (n == range) {
			mtx_unlock(&tcbinfo_mtx);
			return (EADDRNOTAVAIL);
		}
		lport = port;
	}
	tp->t_laddr = laddr;
	tp->t_lport = lport;
	if (!tp->t_inlist) {
		TAILQ_INSERT_TAIL(&tcbinfo_list, tp, t_list);
		tp->t_inlist = 1;
	}
	mtx_unlock(&tcbinfo_mtx);
	return (0);
}

/*
 * Fill in the foreign end (in_pcbconnect()): binds to 127.0.0.1 and an
 * ephemeral port if not bound.  0, EADDRINUSE, EADDRNOTAVAIL.
 */
int
tcp_connect(struct tcpcb *tp, in_addr_t faddr, in_port_t fport)
{
	int error;

	TCP_LOCK_ASSERT(tp);
	if (tp->t_lport == 0) {
		error = tcp_bind(tp, htonl(INADDR_LOOPBACK), 0);
		if (error != 0)
			return (error);
	}
	mtx_lock(&tcbinfo_mtx);
	if (tp->t_laddr == INADDR_ANY)
		tp->t_laddr = htonl(INADDR_LOOPBACK);
	if (tcp_tuple_busy(tp->t_laddr, tp->t_lport, faddr, fport)) {
		mtx_unlock(&tcbinfo_mtx);
		return (EADDRINUSE);
	}
	tp->t_faddr = faddr;
	tp->t_fport = fport;
	mtx_unlock(&tcbinfo_mtx);
	tcp_seed_faults(tp);
	return (0);
}

/*
 * The connection a segment to (laddr, lport) from (faddr, fport) belongs
 * to, else (listen_ok) a listener on lport; with a reference on its
 * socket (sorele() it).  NULL if there is none.
 */
struct tcpcb *
tcp_lookup(in_addr_t laddr, in_port_t lport, in_addr_t faddr,
    in_port_t fport, int listen_ok)
{
	struct tcpcb *tp, *found;

	tcp_init();
	found = NULL;
	mtx_lock(&tcbinfo_mtx);
	TAILQ_FOREACH(tp, &tcbinfo_list, t_list) {
		if (tp->t_lport != lport)
			continue;
		if (tp->t_fport == fport && tp->t_faddr == faddr &&
		    tp->t_laddr == laddr) {
			found = tp;
			break;
		}
		if (listen_ok && found == NULL && tp->t_state == TCPS_LISTEN &&
		    (tp->t_laddr == laddr || tp->t_laddr == INADDR_ANY))
			found = tp;
	}
	if (found != NULL)
		soref(found->t_socket);
	mtx_unlock(&tcbinfo_mtx);
	return (found);
}

/* ---- state, close, drop ----------------------------------------------- */

void
tcp_state_change(struct tcpcb *tp, int newstate)
{

	TCP_LOCK_ASSERT(tp);
	KASSERT(newstate >= 0 && newstate < TCP_NSTATES,
	    ("%s: state %d", __func__, newstate));
	tp->t_state = newstate;
	tp->t_stat.state = newstate;
	net_kick();
}

/*
 * The connection is over (tcp_close()): no timers, nothing queued, off
 * the list, the socket disconnected and released by the protocol.  The
 * control block itself stays with the socket until it is freed.
 * Returns the socket.  Unlock with tcp_unlock().
 */
struct socket *
tcp_close(struct tcpcb *tp)
{
	struct socket *so;

	TCP_LOCK_ASSERT(tp);
	so = tp->t_socket;
	tcp_timer_stop_all(tp);
	tcp_reass_flush(tp);
	if (tp->t_state != TCPS_LISTEN)
		tcp_list_remove(tp);
	tcp_state_change(tp, TCPS_CLOSED);
	tp->t_flags |= TF_DROPPED;
	tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
	soisdisconnected(so);
	if ((tp->t_flags & TF_PROTOREF) != 0) {
		tp->t_flags &= ~TF_PROTOREF;
		tp->t_rele++;
	}
	net_kick();
	return (so);
}

/*
 * Drop the connection with error (tcp_drop()): a reset to the peer if
 * it knows of us, the error left for the application.
 */
struct socket *
tcp_drop(struct tcpcb *tp, int error)
{
	struct socket *so;

	TCP_LOCK_ASSERT(tp);
	so = tp->t_socket;
	if (TCPS_HAVERCVDSYN(tp->t_state))
		tcp_respond(tp->t_laddr, tp->t_faddr, tp->t_lport,
		    tp->t_fport, tp->snd_max, tp->rcv_nxt, TH_RST | TH_ACK,
		    tp);
	if (error == ETIMEDOUT && tp->t_softerror != 0)
		error = tp->t_softerror;
	SOCK_SENDBUF_LOCK(so);
	so->so_error = error;
	SOCK_SENDBUF_UNLOCK(so);
	return (tcp_close(tp));
}

/*
 * A bare segment of flags (a reset, or an ACK) from src:sport to
 * dst:dport, addresses and ports in network order (tcp_respond()).  tp
 * may be NULL for a segment that belongs to no connection.
 */
void
tcp_respond(in_addr_t src, in_addr_t dst, in_port_t sport, in_port_t dport,
    tcp_seq seq, tcp_seq ack, int flags, struct tcpcb *tp)
{
	struct mbuf *m;
	struct ip *ip;
	struct tcphdr *th;
	int len;

	len = sizeof(struct ip) + sizeof(struct tcphdr);
	m = m_gethdr(M_WAITOK, MT_DATA);
	m->m_len = m->m_pkthdr.len = len;
	memset(mtod(m, void *), 0, (size_t)len);
	ip = mtod(m, struct ip *);
	ip->ip_src.s_addr = src;
	ip->ip_dst.s_addr = dst;
	ip->ip_p = IPPROTO_TCP;
	th = (struct tcphdr *)(ip + 1);
	th->th_sport = sport;
	th->th_dport = dport;
	th->th_seq = htonl(seq);
	th->th_ack = (flags & TH_ACK) != 0 ? htonl(ack) : 0;
	th->th_off = sizeof(struct tcphdr) >> 2;
	th->th_flags = (u_char)flags;
	if (tp != NULL && (flags & TH_RST) == 0)
		th->th_win = htons((uint16_t)MIN(tp->rcv_wnd >> tp->rcv_scale,
		    TCP_MAXWIN));
	th->th_sum = in_cksum_add(in_pseudo(src, dst, IPPROTO_TCP +
	    sizeof(struct tcphdr)), m, sizeof(struct ip),
	    sizeof(struct tcphdr));
	if (tp != NULL) {
		tp->t_stat.snd_total++;
		if ((flags & TH_RST) != 0)
			tp->t_stat.snd_ctrl++;
		else
			tp->t_stat.snd_acks++;
	}
	(void)ip_output(tp, m);
}

/*
 * Set the segment size from the MSS the peer offered (0: none yet), ours
 * and the room a segment has in a packet.
 */
void
tcp_mss(struct tcpcb *tp, u_int offer)
{
	u_int mss;

	mss = tp->t_conf.mss != 0 ? tp->t_conf.mss : TCP_MSS_DEFAULT;
	mss = MAX(MIN(mss, TCP_MAXMSS), TCP_MINMSS);
	tp->t_mssoffer = mss;
	if (offer != 0)
		mss = MIN(mss, MAX(offer, TCP_MINMSS));
	tp->t_maxseg = mss;
	tp->t_stat.maxseg = mss;
}

/* ---- faults ------------------------------------------------------------- */

/* splitmix64: small, and the same numbers everywhere. */
uint64_t
tcp_random(struct tcpcb *tp)
{
	uint64_t z;

	z = (tp->t_rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31));
}

/* One generator per endpoint, from the seed and the ports it uses. */
void
tcp_seed_faults(struct tcpcb *tp)
{

	tp->t_rng = tp->t_conf.seed ^
	    ((uint64_t)ntohs(tp->t_lport) << 32 | ntohs(tp->t_fport)) *
	    0xD6E8FEB86659FD93ULL;
	(void)tcp_random(tp);
}

/* ---- settings and statistics (sys/netsubr.h) --------------------------- */

static int
tcp_conf_check(const struct knet_conf *c)
{

	if (c->loss > 1000000 || c->reorder > 1000000 || c->dup > 1000000 ||
	    c->split > 1000000)
		return (EINVAL);
	if (c->mss != 0 && (c->mss < TCP_MINMSS || c->mss > TCP_MAXMSS))
		return (EINVAL);
	return (0);
}

void
tcp_get_conf(struct knet_conf *conf)
{

	tcp_init();
	mtx_lock(&tcbinfo_mtx);
	*conf = tcp_defconf;
	mtx_unlock(&tcbinfo_mtx);
}

int
kern_net_conf(const struct knet_conf *set, struct knet_conf *old)
{
	int error;

	tcp_init();
	if (set != NULL && (error = tcp_conf_check(set)) != 0)
		return (error);
	mtx_lock(&tcbinfo_mtx);
	if (old != NULL)
		*old = tcp_defconf;
	if (set != NULL)
		tcp_defconf = *set;
	mtx_unlock(&tcbinfo_mtx);
	return (0);
}

void
kern_net_reset(void)
{

	tcp_init();
	mtx_lock(&tcbinfo_mtx);
	tcp_defconf = tcp_conf_default;
	mtx_unlock(&tcbinfo_mtx);
}

/* The TCP control block of descriptor fd, locked, with a reference. */
static int
tcp_fget(int fd, struct socket **sop, struct tcpcb **tpp)
{
	struct socket *so;
	int error;

	error = fget_socket(fd, &so);
	if (error != 0)
		return (error);
	if (so->so_proto != &tcp_protosw) {
		sorele(so);
		return (ENOTCONN);
	}
	*sop = so;
	*tpp = intotcpcb(so);
	TCP_LOCK(*tpp);
	return (0);
}

int
kern_net_conn_conf(int fd, const struct knet_conf *set, struct knet_conf *old)
{
	struct socket *so;
	struct tcpcb *tp;
	int error;

	if (set != NULL && (error = tcp_conf_check(set)) != 0)
		return (error);
	error = tcp_fget(fd, &so, &tp);
	if (error != 0)
		return (error);
	if (old != NULL)
		*old = tp->t_conf;
	if (set != NULL) {
		tp->t_conf = *set;
		/* The MSS is offered once, on the SYN. */
		if (tp->t_state <= TCPS_SYN_SENT)
			tcp_mss(tp, 0);
		tcp_seed_faults(tp);
	}
	tcp_unlock(tp);
	sorele(so);
	return (0);
}

int
kern_net_stats(int fd, struct knet_stats *st)
{
	struct socket *so;
	struct tcpcb *tp;
	int error;

	error = tcp_fget(fd, &so, &tp);
	if (error != 0)
		return (error);
	*st = tp->t_stat;
	st->state = tp->t_state;
	st->maxseg = tp->t_maxseg;
	st->srtt_ns = tp->t_srtt;
	st->rto_ns = tp->t_rxtcur;
	st->snd_wnd = (uint32_t)tp->snd_wnd;
	st->rcv_wnd = (uint32_t)tp->rcv_wnd;
	tcp_unlock(tp);
	sorele(so);
	return (0);
}
