/*
 * The network API (include/uktls/net.h): the host's struct sockaddr_in,
 * struct pollfd and percentages in, the kernel's network calls
 * (sys/netsubr.h) out; and the host services the TCP shim uses through
 * khost.h: running one work item, moving the clock, the idle hook.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/uktls.h>

#include "host.h"
#include "sys/errno.h"
#include "sys/callout.h"
#include "sys/netsubr.h"

static int
uk_fail(int kerr)
{

	errno = uk_errno_host(kerr);
	return (-1);
}

/* ---- khost.h: the network's host services ------------------------------ */

int
khost_work_run_one(void)
{

	return (uk_run_one());
}

void
khost_clock_advance_to(uint64_t ns)
{
	uint64_t now;

	now = khost_nanotime();
	if (ns > now)
		uk_clock_advance(ns - now);
}

static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static int (*idle_fn)(void *);
static void *idle_arg;
static _Thread_local int idle_running;

void
uk_net_set_idle(int (*fn)(void *), void *arg)
{

	pthread_mutex_lock(&idle_lock);
	idle_fn = fn;
	idle_arg = arg;
	pthread_mutex_unlock(&idle_lock);
}

int
khost_net_idle(void)
{
	int (*fn)(void *);
	void *arg;
	int did;

	if (idle_running)
		return (0);
	pthread_mutex_lock(&idle_lock);
	fn = idle_fn;
	arg = idle_arg;
	pthread_mutex_unlock(&idle_lock);
	if (fn == NULL)
		return (0);
	idle_running = 1;
	did = fn(arg);
	idle_running = 0;
	return (did != 0);
}

void
uk_host_net_reset(void)
{

	uk_net_set_idle(NULL, NULL);
	kern_net_reset();
}

/* ---- addresses --------------------------------------------------------- */

static int
uk_sin_in(const struct sockaddr *addr, socklen_t len, uint32_t *a,
    uint16_t *port)
{
	const struct sockaddr_in *sin;

	if (addr == NULL)
		return (KE_EFAULT);
	if (len < (socklen_t)sizeof(struct sockaddr_in))
		return (KE_EINVAL);
	if (addr->sa_family != AF_INET)
		return (KE_EAFNOSUPPORT);
	sin = (const struct sockaddr_in *)(const void *)addr;
	*a = sin->sin_addr.s_addr;
	*port = sin->sin_port;
	return (0);
}

static void
uk_sin_out(struct sockaddr *addr, socklen_t *len, uint32_t a, uint16_t port)
{
	struct sockaddr_in sin;

	if (addr == NULL || len == NULL)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = port;
	sin.sin_addr.s_addr = a;
	memcpy(addr, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
}

int
uk_bind(int s, const struct sockaddr *addr, socklen_t len)
{
	uint32_t a;
	uint16_t port;
	int error;

	error = uk_sin_in(addr, len, &a, &port);
	if (error == 0)
		error = kern_bind(s, a, port);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

int
uk_connect(int s, const struct sockaddr *addr, socklen_t len)
{
	uint32_t a;
	uint16_t port;
	int error;

	error = uk_sin_in(addr, len, &a, &port);
	if (error == 0)
		error = kern_connect(s, a, port);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

int
uk_accept4(int s, struct sockaddr *addr, socklen_t *len, int flags)
{
	uint32_t a;
	uint16_t port;
	int error, fd;

	if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) {
		errno = EINVAL;
		return (-1);
	}
	if (addr != NULL && len == NULL) {
		errno = EFAULT;
		return (-1);
	}
	error = kern_accept(s, (flags & SOCK_NONBLOCK) != 0, &fd, &a, &port);
	if (error != 0)
		return (uk_fail(error));
	uk_sin_out(addr, len, a, port);
	return (fd);
}

int
uk_accept(int s, struct sockaddr *addr, socklen_t *len)
{
	uint32_t a;
	uint16_t port;
	int error, fd;

	if (addr != NULL && len == NULL) {
		errno = EFAULT;
		return (-1);
	}
	error = kern_accept(s, -1, &fd, &a, &port);
	if (error != 0)
		return (uk_fail(error));
	uk_sin_out(addr, len, a, port);
	return (fd);
}

static int
uk_name(int s, int peer, struct sockaddr *addr, socklen_t *len)
{
	uint32_t a;
	uint16_t port;
	int error;

	if (addr == NULL || len == NULL) {
		errno = EFAULT;
		return (-1);
	}
	error = kern_getsockname(s, peer, &a, &port);
	if (error != 0)
		return (uk_fail(error));
	uk_sin_out(addr, len, a, port);
	return (0);
}

int
uk_getsockname(int s, struct sockaddr *addr, socklen_t *len)
{

	return (uk_name(s, 0, addr, len));
}

int
uk_getpeername(int s, struct sockaddr *addr, socklen_t *len)
{

	return (uk_name(s, 1, addr, len));
}

int
uk_socketpair_tcp(int sv[2])
{
	struct sockaddr_in sin;
	socklen_t len;
	int c, error, l, s;

	if (sv == NULL) {
		errno = EFAULT;
		return (-1);
	}
	c = s = -1;
	l = uk_socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	if (uk_bind(l, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    uk_listen(l, 1) != 0 ||
	    uk_getsockname(l, (struct sockaddr *)&sin, &len) != 0)
		goto fail;
	c = uk_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c < 0)
		goto fail;
	if (uk_connect(c, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
	    errno != EINPROGRESS)
		goto fail;
	/*
	 * The accept runs the handshake (or waits for the workers); the
	 * connecting end is established before the accepted one.
	 */
	s = uk_accept(l, NULL, NULL);
	if (s < 0 || uk_set_nonblock(c, 0) != 0)
		goto fail;
	(void)uk_close(l);
	sv[0] = c;
	sv[1] = s;
	return (0);
fail:
	error = errno;
	if (s >= 0)
		(void)uk_close(s);
	if (c >= 0)
		(void)uk_close(c);
	(void)uk_close(l);
	errno = error;
	return (-1);
}

int
uk_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	struct kpollfd *k;
	nfds_t i;
	int error, n;

	if (nfds > 1024 || (nfds > 0 && fds == NULL)) {
		errno = EINVAL;
		return (-1);
	}
	k = calloc(nfds > 0 ? nfds : 1, sizeof(*k));
	if (k == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	for (i = 0; i < nfds; i++) {
		k[i].fd = fds[i].fd;
		/* poll(2)'s bits are FreeBSD's on Linux too. */
		k[i].events = fds[i].events;
	}
	error = kern_poll(k, (int)nfds, timeout_ms < 0 ? -1 :
	    (int64_t)timeout_ms * 1000000, &n);
	for (i = 0; i < nfds; i++)
		fds[i].revents = k[i].revents;
	free(k);
	if (error != 0)
		return (uk_fail(error));
	return (n);
}

_Static_assert(POLLIN == KPOLLIN && POLLOUT == KPOLLOUT &&
    POLLERR == KPOLLERR && POLLHUP == KPOLLHUP && POLLNVAL == KPOLLNVAL &&
    POLLPRI == KPOLLPRI, "poll(2) bits differ from FreeBSD's");

/* ---- settings and statistics ------------------------------------------- */

static int
uk_pct(double pct, uint32_t *ppm)
{

	if (!(pct >= 0.0 && pct <= 100.0))
		return (KE_EINVAL);
	*ppm = (uint32_t)(pct * 10000.0 + 0.5);
	return (0);
}

static int
uk_conf_in(const struct uk_net_config *c, struct knet_conf *k)
{
	int error;

	memset(k, 0, sizeof(*k));
	k->mss = c->mss;
	if ((error = uk_pct(c->loss_pct, &k->loss)) != 0 ||
	    (error = uk_pct(c->reorder_pct, &k->reorder)) != 0 ||
	    (error = uk_pct(c->dup_pct, &k->dup)) != 0 ||
	    (error = uk_pct(c->split_pct, &k->split)) != 0)
		return (error);
	if (c->delay_us > UINT64_MAX / 1000)
		return (KE_EINVAL);
	k->delay_ns = c->delay_us * 1000;
	k->seed = c->seed;
	return (0);
}

static void
uk_conf_out(const struct knet_conf *k, struct uk_net_config *c)
{

	memset(c, 0, sizeof(*c));
	c->mss = k->mss;
	c->loss_pct = k->loss / 10000.0;
	c->reorder_pct = k->reorder / 10000.0;
	c->dup_pct = k->dup / 10000.0;
	c->split_pct = k->split / 10000.0;
	c->delay_us = k->delay_ns / 1000;
	c->seed = k->seed;
}

int
uk_net_config(const struct uk_net_config *set, struct uk_net_config *old)
{
	struct knet_conf kset, kold;
	int error;

	if (set != NULL && (error = uk_conf_in(set, &kset)) != 0)
		return (uk_fail(error));
	error = kern_net_conf(set != NULL ? &kset : NULL, &kold);
	if (error != 0)
		return (uk_fail(error));
	if (old != NULL)
		uk_conf_out(&kold, old);
	return (0);
}

int
uk_net_conn_config(int s, const struct uk_net_config *set,
    struct uk_net_config *old)
{
	struct knet_conf kset, kold;
	int error;

	if (set != NULL && (error = uk_conf_in(set, &kset)) != 0)
		return (uk_fail(error));
	error = kern_net_conn_conf(s, set != NULL ? &kset : NULL, &kold);
	if (error != 0)
		return (uk_fail(error));
	if (old != NULL)
		uk_conf_out(&kold, old);
	return (0);
}

int
uk_net_stats(int s, struct uk_net_stats *st)
{
	struct knet_stats k;
	int error;

	if (st == NULL) {
		errno = EFAULT;
		return (-1);
	}
	error = kern_net_stats(s, &k);
	if (error != 0)
		return (uk_fail(error));
	memset(st, 0, sizeof(*st));
	st->state = k.state;
	st->maxseg = k.maxseg;
	st->snd_total = k.snd_total;
	st->snd_pack = k.snd_pack;
	st->snd_byte = k.snd_byte;
	st->snd_rexmitpack = k.snd_rexmitpack;
	st->snd_rexmitbyte = k.snd_rexmitbyte;
	st->snd_acks = k.snd_acks;
	st->snd_winup = k.snd_winup;
	st->snd_probe = k.snd_probe;
	st->snd_ctrl = k.snd_ctrl;
	st->rcv_total = k.rcv_total;
	st->rcv_pack = k.rcv_pack;
	st->rcv_byte = k.rcv_byte;
	st->rcv_duppack = k.rcv_duppack;
	st->rcv_dupbyte = k.rcv_dupbyte;
	st->rcv_oopack = k.rcv_oopack;
	st->rcv_oobyte = k.rcv_oobyte;
	st->rcv_afterwin = k.rcv_afterwin;
	st->rcv_dupack = k.rcv_dupack;
	st->rexmt_timeouts = k.rexmt_timeouts;
	st->fast_rexmits = k.fast_rexmits;
	st->fault_lost = k.fault_lost;
	st->fault_reordered = k.fault_reordered;
	st->fault_duplicated = k.fault_duplicated;
	st->fault_split = k.fault_split;
	st->srtt_ns = k.srtt_ns;
	st->rto_ns = k.rto_ns;
	st->snd_wnd = k.snd_wnd;
	st->rcv_wnd = k.rcv_wnd;
	return (0);
}

void
uk_net_counts(int *packets, int *conns)
{
	int p, c;

	kern_net_counts(&p, &c);
	if (packets != NULL)
		*packets = p;
	if (conns != NULL)
		*conns = c;
}

long
uk_net_run(void)
{
	long n;
	int fired;

	n = 0;
	for (;;) {
		n += uk_run();
		fired = kern_net_fire(CALLOUT_ALL & ~CALLOUT_PERSIST, 1);
		n += fired;
		if (fired > 0)
			continue;
		/* A worker may have taken the last timer meanwhile. */
		if (uk_workers() > 0 && uk_run() > 0)
			continue;
		if (uk_pending() == 0)
			break;
	}
	return (n);
}
