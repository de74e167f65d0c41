/*
 * Fuzz target: the kernel's KTLS receive path (uipc_ktls.c receive,
 * uipc_sockbuf.c sb_mtls, soreceive with TLS_GET_RECORD).
 *
 * The input is a program for one receive socket.  Its first byte picks
 * one of the fourteen suites FreeBSD receives; then each op byte does
 * one thing:
 *
 *   0  raw: the next 1..256 input bytes go onto the wire as they are
 *   1  seal: a valid record (type and length from the input) onto the
 *      wire, made by the model at the next sequence number
 *   2  feed: the wire into the receive buffer in pieces of 1..256
 *      bytes, as segments arrive (as far as the window allows)
 *   3  read: one recvmsg with a buffer of 1..16 KiB + 256, with or
 *      without room for the control message, with MSG_PEEK or
 *      MSG_TLSAPPDATA at times
 *   4  run: the decryption work queued so far
 *   5  flip: one bit of the wire not yet fed
 *   6  end: the peer's FIN
 *   7  flush: sbflush, or shutdown(SHUT_RD), while records are
 *      queued or being decrypted (field bug 16)
 *
 * Valid records among garbage reach the header checks, the length
 * checks, the MAC and padding checks, the error paths that drop the
 * connection, and the readers after them.  Every outcome is legal
 * except a crash, a sanitizer report, a read returning more than asked,
 * or anything alive after the socket is closed: that aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/ktls_fixture.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define	WIRE_MAX	(1 << 18)

struct fz {
	const uint8_t	*p;
	size_t		 left;
};

static unsigned
fz_byte(struct fz *f)
{

	if (f->left == 0)
		return (0);
	f->left--;
	return (*f->p++);
}

/* The suites FreeBSD receives: all but TLS 1.0. */
static const struct tlsm_suite *
rx_suite(unsigned pick)
{
	const struct tlsm_suite *rx[TLSM_NSUITES];
	int i, n;

	for (i = n = 0; i < TLSM_NSUITES; i++)
		if (tlsm_suites[i].version != TLSM_V10)
			rx[n++] = &tlsm_suites[i];
	return (rx[pick % n]);
}

static void
do_read(int s, unsigned b)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct tls_get_record))];
	} cm;
	static uint8_t buf[16384 + 256];
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;
	int flags;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = 1 + ((b * 67) % sizeof(buf));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if ((b & 1) == 0) {
		msg.msg_control = cm.buf;
		/* Now and then too small for TLS_GET_RECORD: MSG_CTRUNC. */
		msg.msg_controllen = (b & 2) != 0 ? sizeof(cm.buf) :
		    sizeof(struct cmsghdr);
	}
	flags = MSG_DONTWAIT;
	if ((b & 0x0c) == 0x04)
		flags |= MSG_PEEK;
	else if ((b & 0x0c) == 0x08)
		flags |= MSG_TLSAPPDATA;
	n = uk_recvmsg(s, &msg, flags);
	if (n > (ssize_t)iov.iov_len)
		abort();
}

static void
do_seal(struct tlsm_state *st, uint64_t *seq, struct fz *f, uint8_t *wire,
    size_t *wlen)
{
	static uint8_t pt[16384];
	static const uint8_t types[] = { 23, 23, 23, 22, 21, 20, 24, 0 };
	size_t len, i, rlen;
	uint8_t type;

	type = types[fz_byte(f) % sizeof(types)];
	len = fz_byte(f) << 6;
	len = (len | fz_byte(f)) % (sizeof(pt) + 1);
	for (i = 0; i < len; i++)
		pt[i] = (uint8_t)(i + *seq);
	if (*wlen + tlsm_sealed_len(st, len, NULL) > WIRE_MAX)
		return;
	if (tlsm_seal(st, *seq, type, pt, len, NULL, wire + *wlen,
	    WIRE_MAX - *wlen, &rlen) != 0)
		return;
	*wlen += rlen;
	(*seq)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[WIRE_MAX];
	uint8_t key[32], iv[16], mac[48];
	const struct tlsm_suite *su;
	struct tlsm_state st;
	struct tls_enable en;
	struct uk_counters c;
	struct fz f;
	size_t wlen, fed, piece, n, i;
	uint64_t seq;
	ssize_t got;
	unsigned op;
	int s;

	if (size < 1)
		return (0);
	f.p = data;
	f.left = size;
	uk_reset(1);
	su = rx_suite(fz_byte(&f));
	uktest_fill(key, sizeof(key), 7, 0);
	uktest_fill(iv, sizeof(iv), 7, 100);
	uktest_fill(mac, sizeof(mac), 7, 200);
	if (tlsm_init(&st, su->version, su->cipher, su->mac, key,
	    su->key_len, iv, kfx_iv_len(su), mac, tlsm_mac_len(su->mac)) != 0)
		abort();
	seq = 1;
	kfx_enable_of(&st, seq, &en);
	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		abort();
	if (uk_setsockopt(s, IPPROTO_TCP, TCP_RXTLS_ENABLE, &en,
	    sizeof(en)) != 0)
		abort();
	wlen = fed = 0;
	while (f.left > 0) {
		op = fz_byte(&f);
		switch (op & 7) {
		case 0:
			n = 1 + fz_byte(&f);
			n = n < f.left ? n : f.left;
			if (wlen + n <= WIRE_MAX) {
				memcpy(wire + wlen, f.p, n);
				wlen += n;
			}
			f.p += n;
			f.left -= n;
			break;
		case 1:
			do_seal(&st, &seq, &f, wire, &wlen);
			break;
		case 2:
			piece = 1 + fz_byte(&f);
			while (fed < wlen) {
				n = wlen - fed < piece ? wlen - fed : piece;
				got = uk_test_rcvbuf_inject(s, wire + fed, n);
				if (got <= 0)
					break;
				fed += got;
			}
			break;
		case 3:
			do_read(s, fz_byte(&f));
			break;
		case 4:
			uk_run();
			break;
		case 5:
			if (fed < wlen) {
				i = fz_byte(&f) << 8;
				i = fed + (i | fz_byte(&f)) % (wlen - fed);
				wire[i] ^= 1 << (op >> 5);
			}
			break;
		case 6:
			uk_test_rcv_eof(s);
			break;
		case 7:
			if ((op & 0x08) == 0)
				uk_test_rcvbuf_flush(s);
			else
				uk_shutdown(s, SHUT_RD);
			break;
		}
	}
	/* Whatever is left: decrypted and read, or thrown away on close. */
	uk_run();
	for (i = 0; i < 64; i++)
		do_read(s, 0xfe);	/* whole records, with the cmsg */
	uk_close(s);
	uk_run();
	uk_counters(&c);
	if (c.mbufs != 0 || c.clusters != 0 || c.pages != 0 ||
	    c.sessions != 0 || c.mallocs != 0)
		abort();
	return (0);
}
