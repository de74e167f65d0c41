/*
 * Test-only hooks (include/uktls/testing.h) over sys/testhooks.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "host.h"
#include "sys/errno.h"
#include "sys/mbuf.h"
#include "sys/sockbuf.h"
#include "sys/testhooks.h"

static int
uk_fail(int kerr)
{

	errno = uk_errno_host(kerr);
	return (-1);
}

ssize_t
uk_test_sndbuf_take(int s, void *buf, size_t len)
{
	size_t got;
	int error;

	if (buf == NULL && len != 0) {
		errno = EFAULT;
		return (-1);
	}
	error = kern_test_sndbuf_take(s, buf, len, &got);
	if (error != 0)
		return (uk_fail(error));
	return ((ssize_t)got);
}

int
uk_test_sndbuf_wait(int s)
{
	int error;

	if (khost_workers() == 0)
		(void)uk_run();
	error = kern_test_sndbuf_wait(s);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

int
uk_test_sndbuf_info(int s, struct uk_test_sbinfo *info)
{
	struct kt_sbinfo k;
	int error;

	error = kern_test_sndbuf_info(s, &k);
	if (error != 0)
		return (uk_fail(error));
	info->acc = k.acc;
	info->ccc = k.ccc;
	info->hiwat = k.hiwat;
	info->mbcnt = k.mbcnt;
	info->mbmax = k.mbmax;
	info->nmbufs = k.nmbufs;
	info->nnotready = k.nnotready;
	info->tls_seqno = k.tls_seqno;
	info->so_error = uk_errno_host(k.so_error);
	info->connected = k.connected;
	return (0);
}

/* The kernel-side array for a describe call of up to max entries. */
static int
desc_alloc(int max, const void *d, size_t size, void **kp)
{

	*kp = NULL;
	if (max < 0 || (max > 0 && d == NULL)) {
		errno = EINVAL;
		return (-1);
	}
	if (max > 0 && (*kp = calloc((size_t)max, size)) == NULL)
		return (-1);
	return (0);
}

int
uk_test_sndbuf_describe(int s, struct uk_test_mdesc *d, int max)
{
	struct kt_mdesc *k;
	int error, i, n;

	if (desc_alloc(max, d, sizeof(*k), (void **)&k) != 0)
		return (-1);
	error = kern_test_sndbuf_describe(s, k, max, &n);
	if (error != 0) {
		free(k);
		return (uk_fail(error));
	}
	for (i = 0; i < n && i < max; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].len = k[i].len;
		d[i].notready = (k[i].flags & M_NOTREADY) != 0;
		d[i].blocked = (k[i].flags & M_BLOCKED) != 0;
		d[i].extpg = k[i].extpg;
		d[i].hdrlen = k[i].hdrlen;
		d[i].trllen = k[i].trllen;
		d[i].npgs = k[i].npgs;
		d[i].nrdy = k[i].nrdy;
		d[i].first_off = k[i].first_off;
		d[i].last_len = k[i].last_len;
		d[i].anon = (k[i].epg_flags & EPG_FLAG_ANON) != 0;
		d[i].has_tls = k[i].has_tls;
		d[i].record_type = k[i].record_type;
		d[i].seqno = k[i].seqno;
	}
	free(k);
	return (n);
}

/* Append to a bounded buffer, counting what would have been needed. */
struct uk_pen {
	char	*buf;
	size_t	 len, used;
};

static void
uk_pen_printf(struct uk_pen *p, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	room = p->used < p->len ? p->len - p->used : 0;
	va_start(ap, fmt);
	n = vsnprintf(room != 0 ? p->buf + p->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->used += (size_t)n;
}

int
uk_test_sndbuf_draw(int s, char *buf, size_t len)
{
	struct uk_test_sbinfo info;
	struct uk_test_mdesc *d;
	struct uk_pen pen;
	int i, n;

	if (uk_test_sndbuf_info(s, &info) != 0)
		return (-1);
	n = uk_test_sndbuf_describe(s, NULL, 0);
	if (n < 0)
		return (-1);
	d = calloc(n > 0 ? (size_t)n : 1, sizeof(*d));
	if (d == NULL)
		return (-1);
	n = uk_test_sndbuf_describe(s, d, n);
	if (n < 0) {
		free(d);
		return (-1);
	}
	pen.buf = buf;
	pen.len = len;
	pen.used = 0;
	if (len > 0)
		buf[0] = '\0';
	uk_pen_printf(&pen, "so_snd: sb_acc %u  sb_ccc %u  sb_hiwat %u  "
	    "sb_mbcnt %u  next seqno %ju\n", info.acc, info.ccc, info.hiwat,
	    info.mbcnt, (uintmax_t)info.tls_seqno);
	for (i = 0; i < n; i++) {
		if (!d[i].extpg) {
			uk_pen_printf(&pen, "  [%2d] mapped  len %5d%s\n", i,
			    d[i].len, d[i].notready ? "  NOTREADY" : "");
			continue;
		}
		uk_pen_printf(&pen, "  [%2d] %-8s seq %-3ju type %-2u "
		    "hdr %2d | %d pg (off %4d, last %4d) | trl %2d  "
		    "len %5d  %s%s\n", i,
		    d[i].notready ? "NOTREADY" : d[i].blocked ? "BLOCKED" :
		    "ready", (uintmax_t)d[i].seqno, d[i].record_type,
		    d[i].hdrlen, d[i].npgs, d[i].first_off, d[i].last_len,
		    d[i].trllen, d[i].len,
		    d[i].anon ? "anon" : "file",
		    d[i].hdrlen == 0 ? "" : d[i].has_tls ? " plaintext" :
		    " encrypted");
	}
	free(d);
	return ((int)pen.used);
}

int
uk_test_socket_listening(void)
{
	int error, fd;

	error = kern_test_socket_listening(&fd);
	if (error != 0)
		return (uk_fail(error));
	return (fd);
}

int
uk_test_ktls_push_explicit(const void *p, size_t len)
{
	int error;

	if (p == NULL || len > 16) {
		errno = EINVAL;
		return (-1);
	}
	error = ktls_test_push_explicit(p, (int)len);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

void
uk_test_ktls_fail_encrypt(int nth)
{

	ktls_test_fail_encrypt(nth);
}

void
uk_test_ktls_reset(void)
{

	ktls_test_reset();
}

/* ---- the receive buffer ------------------------------------------------ */

ssize_t
uk_test_rcvbuf_inject(int s, const void *buf, size_t len)
{
	size_t taken;
	int error;

	if (buf == NULL && len != 0) {
		errno = EFAULT;
		return (-1);
	}
	error = kern_test_rcvbuf_inject(s, buf, len, &taken);
	if (error != 0)
		return (uk_fail(error));
	return ((ssize_t)taken);
}

int
uk_test_rcv_eof(int s)
{
	int error;

	error = kern_test_rcv_eof(s);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

static int
uk_test_rcvbuf_cut_how(int s, int how, size_t len)
{
	int error;

	error = kern_test_rcvbuf_cut(s, how, len);
	if (error != 0)
		return (uk_fail(error));
	return (0);
}

int
uk_test_rcvbuf_drop(int s, size_t len)
{

	return (uk_test_rcvbuf_cut_how(s, KT_CUT_DROP, len));
}

int
uk_test_rcvbuf_cut(int s, size_t len)
{

	return (uk_test_rcvbuf_cut_how(s, KT_CUT_CUT, len));
}

int
uk_test_rcvbuf_flush(int s)
{

	return (uk_test_rcvbuf_cut_how(s, KT_CUT_FLUSH, 0));
}

int
uk_test_rcvbuf_info(int s, struct uk_test_rcvinfo *info)
{
	struct kt_rcvinfo k;
	int error;

	if (info == NULL) {
		errno = EINVAL;
		return (-1);
	}
	error = kern_test_rcvbuf_info(s, &k);
	if (error != 0)
		return (uk_fail(error));
	memset(info, 0, sizeof(*info));
	info->acc = k.acc;
	info->ccc = k.ccc;
	info->ctl = k.ctl;
	info->mbcnt = k.mbcnt;
	info->hiwat = k.hiwat;
	info->tlscc = k.tlscc;
	info->tlsdcc = k.tlsdcc;
	info->space = k.space;
	info->tls_seqno = k.tls_seqno;
	info->tls_rx = (k.sb_flags & SB_TLS_RX) != 0;
	info->running = (k.sb_flags & SB_TLS_RX_RUNNING) != 0;
	info->cantrcvmore = (k.sb_state & SBS_CANTRCVMORE) != 0;
	info->so_error = uk_errno_host(k.so_error);
	info->nrecords = k.nrecords;
	info->nmtls = k.nmtls;
	return (0);
}

int
uk_test_rcvbuf_describe(int s, struct uk_test_rdesc *d, int max)
{
	struct kt_rdesc *k;
	int error, i, n;

	if (desc_alloc(max, d, sizeof(*k), (void **)&k) != 0)
		return (-1);
	error = kern_test_rcvbuf_describe(s, k, max, &n);
	if (error != 0) {
		free(k);
		return (uk_fail(error));
	}
	for (i = 0; i < n && i < max; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].mtls = k[i].mtls;
		d[i].record = k[i].record;
		d[i].len = k[i].len;
		d[i].control = k[i].type == MT_CONTROL;
		d[i].eor = (k[i].flags & M_EOR) != 0;
		d[i].notready = (k[i].flags & M_NOTREADY) != 0;
		d[i].tgr = k[i].tgr;
		d[i].tls_type = k[i].tls_type;
		d[i].tls_vmajor = k[i].tls_vmajor;
		d[i].tls_vminor = k[i].tls_vminor;
		d[i].tls_length = k[i].tls_length;
	}
	free(k);
	return (n);
}

int
uk_test_rcvbuf_draw(int s, char *buf, size_t len)
{
	struct uk_test_rcvinfo info;
	struct uk_test_rdesc *d;
	struct uk_pen pen;
	int i, n, rec, nm;
	long mtls;

	if (uk_test_rcvbuf_info(s, &info) != 0)
		return (-1);
	n = uk_test_rcvbuf_describe(s, NULL, 0);
	if (n < 0)
		return (-1);
	d = calloc(n > 0 ? (size_t)n : 1, sizeof(*d));
	if (d == NULL)
		return (-1);
	n = uk_test_rcvbuf_describe(s, d, n);
	if (n < 0) {
		free(d);
		return (-1);
	}
	pen.buf = buf;
	pen.len = len;
	pen.used = 0;
	if (len > 0)
		buf[0] = '\0';
	uk_pen_printf(&pen, "so_rcv: sb_acc %u  sb_ccc %u  sb_tlscc %u  "
	    "sb_tlsdcc %u  sbspace %ld  next seqno %ju%s%s\n", info.acc,
	    info.ccc, info.tlscc, info.tlsdcc, info.space,
	    (uintmax_t)info.tls_seqno, info.running ? "  RX_RUNNING" : "",
	    info.cantrcvmore ? "  CANTRCVMORE" : "");
	uk_pen_printf(&pen, "  sb_mb:%s\n", info.nrecords == 0 ? " (empty)" :
	    "");
	for (i = 0; i < n && !d[i].mtls; i = i) {
		rec = d[i].record;
		uk_pen_printf(&pen, "    [%2d]", rec);
		for (; i < n && !d[i].mtls && d[i].record == rec; i++) {
			if (d[i].tgr)
				uk_pen_printf(&pen, " ctl(type %u, %u.%u, "
				    "len %d)", d[i].tls_type, d[i].tls_vmajor,
				    d[i].tls_vminor, d[i].tls_length);
			else if (d[i].control)
				uk_pen_printf(&pen, " ctl(%d)", d[i].len);
			else
				uk_pen_printf(&pen, " %d%s", d[i].len,
				    d[i].eor ? " EOR" : "");
		}
		uk_pen_printf(&pen, "\n");
	}
	mtls = 0;
	nm = 0;
	uk_pen_printf(&pen, "  sb_mtls:%s", info.nmtls == 0 ? " (empty)" : "");
	for (; i < n; i++) {
		if (nm < 12)
			uk_pen_printf(&pen, " %d%s", d[i].len,
			    d[i].notready ? "" : "(ready?)");
		else if (nm == 12)
			uk_pen_printf(&pen, " ...");
		mtls += d[i].len;
		nm++;
	}
	if (nm > 0)
		uk_pen_printf(&pen, "  = %ld bytes in %d mbufs, all NOTREADY",
		    mtls, nm);
	uk_pen_printf(&pen, "\n");
	free(d);
	return ((int)pen.used);
}

void
uk_test_ktls_rx_hook(uk_test_rx_hook_t *fn, void *arg)
{

	ktls_test_set_rx_hook(fn, arg);
}
