/*
 * ktls_test.c's receive cases: sockets[0] (the connecting end) has the
 * receive session; sockets[1] is a plain socket writing records the model
 * sealed, well formed or broken on purpose.  Each good record comes out
 * of one recvmsg() whole; each broken one makes recvmsg() fail with the
 * errno FreeBSD's test expects.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>

#include "fb_fixture.h"

#define	HDR_LEN		sizeof(struct tls_record_layer)

/*
 * test_ktls_receive_app_data(): records of at most 2^14 bytes (less the
 * padding) written without blocking, each read back with one recvmsg().
 */
static void
fb_receive_app_data(struct fb_ctx *x, size_t len, size_t padding)
{
	struct tlsm_state st;
	uint8_t *outbuf, *plaintext, *received;
	size_t outbuf_cap, outbuf_len, outbuf_sent, received_len, todo;
	size_t written;
	uint64_t seqno;
	ssize_t rv;
	int readable, writable;

	plaintext = fb_alloc_buffer(&x->rng, len);
	received = malloc(len);
	ck_assert_ptr_nonnull(received);
	outbuf = fb_record_buffer(x, &outbuf_cap);
	fb_model_state(&x->keys.en, &st);

	fb_open_sockets(x);
	fb_enable(x, x->sv[0], TCP_RXTLS_ENABLE);

	seqno = x->seqno;
	received_len = outbuf_len = outbuf_sent = written = 0;
	while (received_len != len) {
		fb_wait(x, written < len || outbuf_len != 0, &readable,
		    &writable);
		if (writable) {
			/* Compose the next record to send. */
			if (outbuf_len == 0) {
				ck_assert_uint_lt(written, len);
				todo = len - written;
				if (todo > TLS_MAX_MSG_SIZE_V10_2 - padding)
					todo = TLS_MAX_MSG_SIZE_V10_2 - padding;
				outbuf_len = fb_encrypt_record(x, &st,
				    TLS_RLTYPE_APP, seqno, plaintext + written,
				    todo, outbuf, outbuf_cap, padding);
				outbuf_sent = 0;
				written += todo;
				seqno++;
			}
			/* The rest of the current record. */
			rv = uk_write(x->sv[1], outbuf + outbuf_sent,
			    outbuf_len - outbuf_sent);
			ck_assert_msg(rv > 0, "%s: failed to write to socket: "
			    "%s", x->c->name, strerror(errno));
			outbuf_sent += (size_t)rv;
			if (outbuf_sent == outbuf_len)
				outbuf_len = 0;
		}
		if (readable)
			received_len += fb_receive_record(x, x->sv[0],
			    TLS_RLTYPE_APP, received + received_len,
			    len - received_len);
	}

	ck_assert_msg(written == received_len, "%s: read %zu decrypted bytes, "
	    "but wrote %zu", x->c->name, received_len, written);
	ck_assert(memcmp(plaintext, received, len) == 0);

	free(outbuf);
	free(received);
	free(plaintext);
	fb_close_sockets(x);
}

/* An open pair, the receive session on sockets[0], both blocking. */
static void
fb_receive_open(struct fb_ctx *x)
{

	fb_open_sockets(x);
	fb_enable(x, x->sv[0], TCP_RXTLS_ENABLE);
	fb_set_blocking(x->sv[0]);
	fb_set_blocking(x->sv[1]);
}

/* One record of len random bytes, sealed for the session's first seqno. */
static uint8_t *
fb_one_record(struct fb_ctx *x, uint8_t type, size_t len, size_t *outlen)
{
	const struct tls_enable *en = &x->keys.en;
	struct tlsm_state st;
	uint8_t *outbuf, *plaintext;
	size_t outbuf_cap;

	ck_assert_uint_le(len, TLS_MAX_MSG_SIZE_V10_2);
	plaintext = fb_alloc_buffer(&x->rng, len);
	outbuf_cap = fb_header_len(en) + len + fb_trailer_len(en);
	outbuf = malloc(outbuf_cap);
	ck_assert_ptr_nonnull(outbuf);
	fb_model_state(en, &st);
	*outlen = fb_encrypt_record(x, &st, type, x->seqno, plaintext, len,
	    outbuf, outbuf_cap, 0);
	free(plaintext);
	return (outbuf);
}

static void
fb_write_all(struct fb_ctx *x, const uint8_t *p, size_t len)
{
	ssize_t rv;

	rv = uk_write(x->sv[1], p, len);
	ck_assert_msg(rv == (ssize_t)len, "%s: write of %zu: %zd (%s)",
	    x->c->name, len, rv, rv < 0 ? strerror(errno) : "short");
}

/* How fb_receive_broken() spoils one good record. */
enum fb_spoil {
	FB_FLIP,	/* flip the low bit of a byte */
	FB_HALF,	/* write half of it, then shut down */
	FB_HEADER,	/* change a header byte */
};

/*
 * One record of len bytes of type, spoiled, and the error recvmsg()
 * must then report:
 *
 *   FB_FLIP at off (from the end if negative): authentication fails,
 *     EBADMSG (test_ktls_receive_corrupted_record()).
 *   FB_HALF: the record can never complete, EMSGSIZE
 *     (test_ktls_receive_truncated_record()).
 *   FB_HEADER byte off: the major or minor version + 1, or (byte 0) the
 *     TLS 1.3 outer type 24: the stream is out of step, EINVAL
 *     (test_ktls_receive_bad_major(), _bad_minor(), _bad_type()).
 */
static void
fb_receive_broken(struct fb_ctx *x, uint8_t type, size_t len,
    enum fb_spoil how, long off, int expected)
{
	uint8_t *outbuf;
	size_t outbuf_len;

	fb_receive_open(x);
	outbuf = fb_one_record(x, type, len, &outbuf_len);
	switch (how) {
	case FB_FLIP:
		if (off < 0)
			off += (long)outbuf_len;
		ck_assert(off >= 0 && (size_t)off < outbuf_len);
		outbuf[off] ^= 0x01;
		break;
	case FB_HALF:
		outbuf_len /= 2;
		break;
	case FB_HEADER:
		if (off == 0)
			outbuf[0] = TLS_RLTYPE_APP + 1;
		else
			outbuf[off]++;
		break;
	}
	fb_write_all(x, outbuf, outbuf_len);
	if (how == FB_HALF)
		ck_assert_int_eq(uk_shutdown(x->sv[1], SHUT_WR), 0);
	fb_receive_error(x, x->sv[0], expected);
	free(outbuf);
	fb_close_sockets(x);
}

/*
 * test_ktls_receive_bad_size(): a header announcing len bytes (zeros
 * follow) that no record of the suite can have, then the end of the
 * stream: EMSGSIZE.
 */
static void
fb_receive_bad_size(struct fb_ctx *x, size_t len)
{
	const struct tls_enable *en = &x->keys.en;
	uint8_t *outbuf;
	size_t outbuf_len;
	int sndbuf;

	outbuf_len = HDR_LEN + len;
	outbuf = calloc(1, outbuf_len);
	ck_assert_ptr_nonnull(outbuf);
	fb_receive_open(x);
	/*
	 * The oversized record is larger than the default send buffer.
	 * FreeBSD's write completes as the peer takes the data; here the
	 * receiver refuses the header as soon as it arrives, so the write
	 * must not depend on the peer: room for all of it.
	 */
	sndbuf = (int)outbuf_len * 2;
	ck_assert_int_eq(uk_setsockopt(x->sv[1], SOL_SOCKET, SO_SNDBUF,
	    &sndbuf, sizeof(sndbuf)), 0);

	outbuf[0] = TLS_RLTYPE_APP;
	outbuf[1] = en->tls_vmajor;
	outbuf[2] = en->tls_vminor == TLS_MINOR_VER_THREE ?
	    TLS_MINOR_VER_TWO : en->tls_vminor;
	outbuf[3] = (uint8_t)(len >> 8);
	outbuf[4] = (uint8_t)len;
	fb_write_all(x, outbuf, outbuf_len);

	/* The peer may have dropped the connection already. */
	if (uk_shutdown(x->sv[1], SHUT_WR) != 0)
		ck_assert_msg(errno == ENOTCONN || errno == ECONNRESET,
		    "%s: shutdown() failed: %s", x->c->name, strerror(errno));
	fb_receive_error(x, x->sv[0], EMSGSIZE);
	free(outbuf);
	fb_close_sockets(x);
}

/* The unsupported and invalid suites: setsockopt fails, nothing set. */
static void
fb_receive_refused(struct fb_ctx *x, int expected)
{
	socklen_t len;
	int mode;

	fb_open_sockets(x);
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(x->sv[1], IPPROTO_TCP, TCP_RXTLS_ENABLE,
	    &x->keys.en, sizeof(x->keys.en)), -1);
	ck_assert_msg(errno == expected, "%s: %s, wanted %s", x->c->name,
	    strerror(errno), strerror(expected));
	len = sizeof(mode);
	ck_assert_int_eq(uk_getsockopt(x->sv[1], IPPROTO_TCP, TCP_RXTLS_MODE,
	    &mode, &len), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_NONE);
	fb_close_sockets(x);
}

void
fb_run_receive(struct fb_ctx *x)
{
	const struct tls_enable *en = &x->keys.en;
	const struct fb_case *c = x->c;

	switch (c->kind) {
	case FB_RX_APP:
		fb_receive_app_data(x, c->len, c->padding);
		break;
	case FB_RX_BAD_DATA:
		/* The first ciphertext byte after the header. */
		fb_receive_broken(x, TLS_RLTYPE_APP, c->len, FB_FLIP,
		    (long)fb_header_len(en), EBADMSG);
		break;
	case FB_RX_BAD_MAC:
		/* The first byte of the MAC (CBC) or of the tag (AEAD). */
		fb_receive_broken(x, TLS_RLTYPE_APP, c->len, FB_FLIP,
		    en->cipher_algorithm == CRYPTO_AES_CBC ?
		    (long)(fb_header_len(en) + c->len) : -(long)fb_mac_len(en),
		    EBADMSG);
		break;
	case FB_RX_BAD_PADDING:
		/* The last byte of the padding. */
		ck_assert_int_eq(en->cipher_algorithm, CRYPTO_AES_CBC);
		fb_receive_broken(x, TLS_RLTYPE_APP, c->len, FB_FLIP, -1,
		    EBADMSG);
		break;
	case FB_RX_BAD_IV:
		/* The first byte of the explicit IV (or nonce). */
		ck_assert_uint_gt(fb_header_len(en), HDR_LEN);
		fb_receive_broken(x, TLS_RLTYPE_APP, c->len, FB_FLIP,
		    (long)HDR_LEN, EBADMSG);
		break;
	case FB_RX_TRUNCATED:
		fb_receive_broken(x, TLS_RLTYPE_APP, c->len, FB_HALF, 0,
		    EMSGSIZE);
		break;
	case FB_RX_BAD_MAJOR:
		fb_receive_broken(x, TLS_RLTYPE_APP, c->len, FB_HEADER, 1,
		    EINVAL);
		break;
	case FB_RX_BAD_MINOR:
		fb_receive_broken(x, TLS_RLTYPE_APP, c->len, FB_HEADER, 2,
		    EINVAL);
		break;
	case FB_RX_BAD_TYPE:
		/* Sealed as 0x21 inside; outer type 24. */
		ck_assert_int_eq(en->tls_vminor, TLS_MINOR_VER_THREE);
		fb_receive_broken(x, 0x21, c->len, FB_HEADER, 0, EINVAL);
		break;
	case FB_RX_SMALL:
		fb_receive_bad_size(x, fb_min_payload(en) - 1);
		break;
	case FB_RX_OVERSIZED:
		fb_receive_bad_size(x, TLS_MAX_MSG_SIZE_V10_2 * 2);
		break;
	case FB_RX_NON_BLOCK:
		fb_receive_bad_size(x, fb_min_payload(en) + 1);
		break;
	case FB_RX_SHORT_HEADER:
		fb_receive_bad_size(x, HDR_LEN + 1);
		break;
	case FB_RX_INVALID:
		fb_receive_refused(x, EINVAL);
		break;
	case FB_RX_UNSUPPORTED:
		fb_receive_refused(x, EPROTONOSUPPORT);
		break;
	default:
		ck_abort_msg("%s: not a receive case", c->name);
	}
}
