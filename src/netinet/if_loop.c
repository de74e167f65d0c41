/*-
 * The simulated wire between TCP endpoints, and who makes the network
 * move (FreeBSD's if_loop.c and netisr, plus what a real network has
 * and a process does not: time passing by itself).
 *
 * Design note.
 *
 * Transmit.  looutput() takes a finished IPv4 packet (headers and
 * checksums done, the payload still shared with the sender's socket
 * buffer by m_copym()) and "DMAs" it into a flat buffer, as a NIC reads
 * the pages of an unmapped mbuf: plain memcpy, not counted as a CPU copy
 * of payload.  The sender's mbufs are freed there; what it may have to
 * retransmit stays in its send buffer.  Bytes of ifnet KTLS records are
 * encrypted on the way (ktls_nic_transmit(), src/dev/ktls_nic.c), as a
 * TLS-offload NIC does.  The packet goes to the pcap tap
 * (khost_tap_packet(): what tcpdump on the sending interface would
 * see), then meets the faults configured for the sending endpoint, drawn
 * from that endpoint's own generator so that a connection replays the
 * same way whatever else runs: it may be dropped, delivered twice, or
 * held back so that later packets overtake it.  Segment splitting is the
 * sender's (tcp_output() cuts at a random point), so the capture shows
 * it.
 *
 * Receive.  A packet due now joins the input queue, which one work item
 * (the "netisr") drains in order: so with no faults and no delay packets
 * arrive in the order they were sent, also with worker threads.  A
 * delayed packet waits on a callout first.  Input builds a fresh mbuf
 * chain for the packet, as a NIC fills receive clusters, so that the
 * receiver owns its buffers (a KTLS receiver decrypts them in place)
 * and then calls ip_input().
 *
 * Who makes the network move.  Nothing here runs by itself.
 *
 * In the deterministic mode (no worker threads) the work queue runs only
 * when someone runs it and the clock moves only when someone moves it.
 * So a caller that must wait (a blocking send into a full buffer, a read
 * with nothing to read, connect, accept, poll) drives the network itself,
 * one step per call of net_step(): run one queued work item; else let
 * time pass to the next CALLOUT_ACTIVE callout (a delayed packet, a
 * retransmission, a delayed ACK) and run what is due; else give the
 * application a turn (khost_net_idle(), the hook of uk_net_set_idle():
 * a single-threaded program reads or writes its other sockets there, as
 * another thread would); else fire one zero-window probe.  Only when
 * none of these is possible does the caller give up with EWOULDBLOCK, as
 * if its timeout had expired.
 *
 * With worker threads, waiters sleep on their socket buffer's condition
 * variable as usual, and time passes by itself: whenever the wire is
 * quiet (no packet queued for input) and an active callout is pending, a
 * "clock" work item moves the clock to it and runs it.  A lost segment
 * is then retransmitted without anyone calling uk_net_run().
 *
 * Zero-window probes come back for as long as a window stays shut, so
 * they are fired (by a waiter or the clock) only once per unit of
 * progress: net_kick(), which every TCP event that could end a wait
 * calls (data appended or acknowledged, a window opened, a state
 * change, a reader taking data), counts one.  uk_net_run() stops on the
 * same rule.  The counter also wakes uk_poll() with worker threads.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/atomic.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/callout.h"
#include "sys/mbuf.h"
#include "netinet/ip.h"
#include "netinet/tcp.h"
#include "netinet/tcp_var.h"
#include "dev/ktls_nic.h"

MALLOC_DEFINE(M_LOOP, "loop", "packets on the simulated wire");

struct loop_pkt {
	struct callout	 lp_callout;	/* a delayed packet's arrival */
	STAILQ_ENTRY(loop_pkt) lp_link;	/* input queue */
	int		 lp_len;
	uint8_t		 lp_data[];
};

static struct mtx	net_mtx;	/* everything below */
static struct cv	net_cv;		/* waiters with worker threads */
static STAILQ_HEAD(, loop_pkt) net_inq = STAILQ_HEAD_INITIALIZER(net_inq);
static struct khost_work net_isr;
static int		net_isr_busy;	/* queued or running */
static uint64_t		net_gen;	/* progress */
static uint64_t		net_persist_gen; /* progress at the last probe */
static int		net_npkts;	/* packets alive */
static struct khost_work net_clock;
static int		net_clock_busy;	/* queued or running */
static volatile int	loop_inited;

static void	loop_isr(void *arg);
static void	net_clock_run(void *arg);

void
loop_init(void)
{
	int expected;

	if (atomic_load_int(&loop_inited) == 2)
		return;
	expected = 0;
	if (!__atomic_compare_exchange_n(&loop_inited, &expected, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		while (atomic_load_int(&loop_inited) != 2)
			;
		return;
	}
	mtx_init(&net_mtx, "net", NULL, MTX_DEF);
	cv_init(&net_cv, "net");
	net_isr.kw_fn = loop_isr;
	net_isr.kw_arg = NULL;
	net_clock.kw_fn = net_clock_run;
	net_clock.kw_arg = NULL;
	net_persist_gen = UINT64_MAX;
	atomic_store_int(&loop_inited, 2);
}

/* ---- progress and time -------------------------------------------- */

/*
 * With worker threads: let time pass if the wire is quiet and a callout
 * could use it.  net_mtx held.
 */
static void
net_clock_poke_locked(void)
{
	uint64_t when;

	if (net_isr_busy || net_clock_busy || khost_workers() == 0)
		return;
	if (!callout_next(CALLOUT_ACTIVE, &when) &&
	    (net_persist_gen == net_gen ||
	    !callout_next(CALLOUT_PERSIST, &when)))
		return;
	net_clock_busy = 1;
	khost_work_enqueue(&net_clock);
}

void
net_clock_poke(void)
{

	loop_init();
	mtx_lock(&net_mtx);
	net_clock_poke_locked();
	mtx_unlock(&net_mtx);
}

/* The clock work item: time passes while the wire is quiet. */
static void
net_clock_run(void *arg __unused)
{
	uint64_t when;

	mtx_lock(&net_mtx);
	while (!net_isr_busy && khost_workers() > 0) {
		if (callout_next(CALLOUT_ACTIVE, &when)) {
			mtx_unlock(&net_mtx);
			(void)callout_fire_next(CALLOUT_ACTIVE);
			mtx_lock(&net_mtx);
			continue;
		}
		if (net_persist_gen != net_gen &&
		    callout_next(CALLOUT_PERSIST, &when)) {
			net_persist_gen = net_gen;
			mtx_unlock(&net_mtx);
			(void)callout_fire_next(CALLOUT_PERSIST);
			mtx_lock(&net_mtx);
			continue;
		}
		break;
	}
	net_clock_busy = 0;
	mtx_unlock(&net_mtx);
}

void
net_kick(void)
{

	loop_init();
	mtx_lock(&net_mtx);
	net_gen++;
	cv_broadcast(&net_cv);
	net_clock_poke_locked();
	mtx_unlock(&net_mtx);
}

uint64_t
net_progress(void)
{
	uint64_t gen;

	loop_init();
	mtx_lock(&net_mtx);
	gen = net_gen;
	mtx_unlock(&net_mtx);
	return (gen);
}

/* Fire one zero-window probe, if there was progress since the last. */
static int
net_fire_persist(void)
{
	uint64_t when;

	mtx_lock(&net_mtx);
	if (net_persist_gen == net_gen ||
	    !callout_next(CALLOUT_PERSIST, &when)) {
		mtx_unlock(&net_mtx);
		return (0);
	}
	net_persist_gen = net_gen;
	mtx_unlock(&net_mtx);
	return (callout_fire_next(CALLOUT_PERSIST) > 0);
}

int
net_step(void)
{

	loop_init();
	KASSERT(khost_workers() == 0, ("%s: worker threads own the network",
	    __func__));
	if (khost_work_run_one())
		return (0);
	if (callout_fire_next(CALLOUT_ACTIVE) > 0)
		return (0);
	if (khost_net_idle())
		return (0);
	if (net_fire_persist())
		return (0);
	return (EWOULDBLOCK);
}

int
net_wait_gen(uint64_t *seenp)
{

	loop_init();
	mtx_lock(&net_mtx);
	while (net_gen == *seenp)
		cv_wait(&net_cv, &net_mtx);
	*seenp = net_gen;
	mtx_unlock(&net_mtx);
	return (0);
}

int
kern_net_fire(int mask, int persist)
{
	int n;

	loop_init();
	n = callout_fire_next(mask);
	if (n == 0 && persist)
		n = net_fire_persist();
	return (n);
}

void
kern_net_counts(int *packets, int *conns)
{

	loop_init();
	mtx_lock(&net_mtx);
	*packets = net_npkts;
	mtx_unlock(&net_mtx);
	*conns = tcp_nconns();
}

/* ---- transmit ---------------------------------------------------------- */

static int
loop_copy_piece(void *arg, void *p, u_int len)
{
	uint8_t **dst = arg;

	/* The NIC reading the buffers: the wire, not a CPU copy. */
	memcpy(*dst, p, len);
	*dst += len;
	return (0);
}

static struct loop_pkt *
loop_pkt_alloc(int len)
{
	struct loop_pkt *lp;

	lp = kmalloc(sizeof(*lp) + (size_t)len, M_LOOP, M_WAITOK);
	lp->lp_len = len;
	mtx_lock(&net_mtx);
	net_npkts++;
	mtx_unlock(&net_mtx);
	return (lp);
}

static void
loop_pkt_free(struct loop_pkt *lp)
{

	mtx_lock(&net_mtx);
	net_npkts--;
	mtx_unlock(&net_mtx);
	kfree(lp, M_LOOP);
}

/* The packet arrives now: queue it for input. */
static void
loop_arrive(void *arg)
{
	struct loop_pkt *lp = arg;
	int schedule;

	mtx_lock(&net_mtx);
	STAILQ_INSERT_TAIL(&net_inq, lp, lp_link);
	schedule = !net_isr_busy;
	net_isr_busy = 1;
	if (schedule)
		khost_work_enqueue(&net_isr);
	mtx_unlock(&net_mtx);
}

static void
loop_send(struct loop_pkt *lp, uint64_t delay)
{

	if (delay == 0) {
		loop_arrive(lp);
		return;
	}
	callout_init(&lp->lp_callout, CALLOUT_ACTIVE);
	(void)callout_reset(&lp->lp_callout, delay, loop_arrive, lp);
	net_clock_poke();
}

/* A fault with probability ppm per million, from tp's generator. */
static int
loop_chance(struct tcpcb *tp, uint32_t ppm)
{

	if (ppm == 0)
		return (0);
	return (tcp_random(tp) % 1000000 < ppm);
}

/*
 * Put packet m (an IPv4 packet with a packet header) on the wire from
 * tp (NULL for a reset sent on nobody's behalf: no faults).  Consumes m.
 */
void
looutput(struct tcpcb *tp, struct mbuf *m)
{
	struct loop_pkt *lp, *dup;
	uint64_t delay, hold;
	uint8_t *dst;
	int len;

	loop_init();
	KASSERT((m->m_flags & M_PKTHDR) != 0, ("%s: no packet header",
	    __func__));
	len = m->m_pkthdr.len;
	lp = loop_pkt_alloc(len);
	dst = lp->lp_data;
	(void)m_apply(m, 0, len, loop_copy_piece, &dst);
	/* The TLS NIC encrypts ifnet records on their way out. */
	ktls_nic_transmit(m, lp->lp_data, len);
	m_freem(m);
	khost_tap_packet(lp->lp_data, (size_t)len, khost_nanotime());

	delay = 0;
	dup = NULL;
	if (tp != NULL) {
		TCP_LOCK_ASSERT(tp);
		delay = tp->t_conf.delay_ns;
		if (loop_chance(tp, tp->t_conf.loss)) {
			tp->t_stat.fault_lost++;
			loop_pkt_free(lp);
			return;
		}
		if (loop_chance(tp, tp->t_conf.dup)) {
			tp->t_stat.fault_duplicated++;
			dup = loop_pkt_alloc(len);
			memcpy(dup->lp_data, lp->lp_data, (size_t)len);
		}
		if (loop_chance(tp, tp->t_conf.reorder)) {
			/*
			 * Held back 1 us to 1 ms more than the others:
			 * whatever is sent meanwhile overtakes it, and it
			 * still arrives long before a retransmission.
			 */
			tp->t_stat.fault_reordered++;
			hold = 1000 + tcp_random(tp) % 999000;
			delay += hold;
		}
	}
	loop_send(lp, delay);
	if (dup != NULL)
		loop_send(dup, delay + 1000);
}

/* ---- receive ----------------------------------------------------------- */

/*
 * A received packet in fresh receive buffers: a packet header mbuf, then
 * clusters.  The copy is the receiving NIC's DMA, not counted.
 */
static struct mbuf *
loop_mbuf(const uint8_t *p, int len)
{
	struct mbuf *m, *top, **mp;
	int n;

	top = NULL;
	mp = &top;
	n = len;
	do {
		if (top == NULL)
			m = len > MHLEN ? m_getcl(M_WAITOK, MT_DATA, M_PKTHDR) :
			    m_gethdr(M_WAITOK, MT_DATA);
		else
			m = len > MLEN ? m_getcl(M_WAITOK, MT_DATA, 0) :
			    m_get(M_WAITOK, MT_DATA);
		m->m_len = MIN(len, M_TRAILINGSPACE(m));
		memcpy(mtod(m, void *), p, (size_t)m->m_len);
		p += m->m_len;
		len -= m->m_len;
		*mp = m;
		mp = &m->m_next;
	} while (len > 0);
	top->m_pkthdr.len = n;
	top->m_pkthdr.rcv_tstmp = khost_nanotime();
	return (top);
}

/* The netisr: input every queued packet, in order. */
static void
loop_isr(void *arg __unused)
{
	struct loop_pkt *lp;
	struct mbuf *m;

	mtx_lock(&net_mtx);
	while ((lp = STAILQ_FIRST(&net_inq)) != NULL) {
		STAILQ_REMOVE_HEAD(&net_inq, lp_link);
		mtx_unlock(&net_mtx);
		m = loop_mbuf(lp->lp_data, lp->lp_len);
		loop_pkt_free(lp);
		ip_input(m);
		mtx_lock(&net_mtx);
	}
	net_isr_busy = 0;
	/* The wire is quiet now: time may pass. */
	net_clock_poke_locked();
	mtx_unlock(&net_mtx);
}
