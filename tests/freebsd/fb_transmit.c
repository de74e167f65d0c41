/*
 * ktls_test.c's transmit cases: sockets[1] (the accepted end) has the
 * transmit session, sockets[0] reads the raw records and the model opens
 * them one by one with the sequence numbers the session must have used.
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
 * test_ktls_transmit_app_data(): non-blocking writes of len bytes on one
 * side, non-blocking reads of whole records on the other, as FreeBSD's
 * kevent loop does; each record is at most a full record long, opens at
 * seqno + i, is application data, and the plaintext comes back whole.
 */
static void
fb_transmit_app_data(struct fb_ctx *x, size_t len)
{
	struct tlsm_state st;
	uint8_t *decrypted, *outbuf, *plaintext, record_type;
	size_t decrypted_len, outbuf_cap, outbuf_len, record_len, written;
	uint64_t seqno;
	ssize_t rv;
	int readable, writable;

	plaintext = fb_alloc_buffer(&x->rng, len);
	decrypted = malloc(len);
	ck_assert_ptr_nonnull(decrypted);
	outbuf = fb_record_buffer(x, &outbuf_cap);
	fb_model_state(&x->keys.en, &st);

	fb_open_sockets(x);
	fb_enable(x, x->sv[1], TCP_TXTLS_ENABLE);

	seqno = x->seqno;
	decrypted_len = outbuf_len = written = 0;
	while (decrypted_len != len) {
		fb_wait(x, written < len, &readable, &writable);
		if (writable) {
			/* Try to write any remaining data. */
			rv = uk_write(x->sv[1], plaintext + written,
			    len - written);
			ck_assert_msg(rv > 0, "%s: failed to write to socket: "
			    "%s", x->c->name, strerror(errno));
			written += (size_t)rv;
		}
		if (!readable)
			continue;

		/* The header first, to know how much more to read. */
		if (outbuf_len < HDR_LEN) {
			rv = uk_read(x->sv[0], outbuf + outbuf_len,
			    HDR_LEN - outbuf_len);
			ck_assert_msg(rv > 0, "%s: failed to read from socket: "
			    "%s", x->c->name, rv < 0 ? strerror(errno) : "EOF");
			outbuf_len += (size_t)rv;
		}
		if (outbuf_len < HDR_LEN)
			continue;
		record_len = HDR_LEN + ((size_t)outbuf[3] << 8 | outbuf[4]);
		ck_assert_msg(record_len <= outbuf_cap, "%s: record_len %zu > "
		    "outbuf_cap %zu", x->c->name, record_len, outbuf_cap);
		ck_assert_uint_gt(record_len, outbuf_len);
		rv = uk_read(x->sv[0], outbuf + outbuf_len,
		    record_len - outbuf_len);
		if (rv == -1 && errno == EAGAIN)
			continue;
		ck_assert_msg(rv > 0, "%s: failed to read from socket: %s",
		    x->c->name, rv < 0 ? strerror(errno) : "EOF");
		outbuf_len += (size_t)rv;
		if (outbuf_len == record_len) {
			decrypted_len += fb_decrypt_record(x, &st, seqno,
			    outbuf, outbuf_len, decrypted + decrypted_len,
			    len - decrypted_len, &record_type);
			ck_assert_uint_eq(record_type, TLS_RLTYPE_APP);
			seqno++;
			outbuf_len = 0;
		}
	}

	ck_assert_msg(written == decrypted_len, "%s: read %zu decrypted bytes, "
	    "but wrote %zu", x->c->name, decrypted_len, written);
	ck_assert(memcmp(plaintext, decrypted, len) == 0);
	/* A long write spans records; the sequence numbers moved with them. */
	if (len > TLS_MAX_MSG_SIZE_V10_2)
		ck_assert_uint_ge(seqno - x->seqno, (len +
		    TLS_MAX_MSG_SIZE_V10_2 - 1) / TLS_MAX_MSG_SIZE_V10_2);

	free(outbuf);
	free(decrypted);
	free(plaintext);
	fb_close_sockets(x);
}

/*
 * Read one whole record with blocking reads: the header, then its body
 * (each read must return all that was asked).  Returns its length.
 */
static size_t
fb_read_record(struct fb_ctx *x, uint8_t *outbuf, size_t outbuf_cap)
{
	size_t payload_len, record_len;
	ssize_t rv;

	rv = uk_read(x->sv[0], outbuf, HDR_LEN);
	ck_assert_msg(rv == (ssize_t)HDR_LEN, "%s: header read: %zd (%s)",
	    x->c->name, rv, rv < 0 ? strerror(errno) : "short");
	payload_len = (size_t)outbuf[3] << 8 | outbuf[4];
	record_len = payload_len + HDR_LEN;
	ck_assert_msg(record_len <= outbuf_cap, "%s: record_len (%zu) > "
	    "outbuf_cap (%zu)", x->c->name, record_len, outbuf_cap);
	rv = uk_read(x->sv[0], outbuf + HDR_LEN, payload_len);
	ck_assert_msg(rv == (ssize_t)payload_len, "%s: body read: %zd of %zu",
	    x->c->name, rv, payload_len);
	return (record_len);
}

/*
 * test_ktls_transmit_control(): one sendmsg() with TLS_SET_RECORD_TYPE
 * gives exactly one record of that type (the inner type for TLS 1.3)
 * holding the data; padding_N checks every CBC padding length.
 */
static void
fb_transmit_control(struct fb_ctx *x, uint8_t type, size_t len)
{
	const struct tls_enable *en = &x->keys.en;
	struct tlsm_state st;
	uint8_t *decrypted, *outbuf, *plaintext, record_type;
	size_t outbuf_cap, record_len, rv;

	ck_assert_uint_le(len, TLS_MAX_MSG_SIZE_V10_2);
	plaintext = fb_alloc_buffer(&x->rng, len);
	decrypted = malloc(len);
	outbuf_cap = fb_header_len(en) + len + fb_trailer_len(en);
	outbuf = malloc(outbuf_cap);
	ck_assert(decrypted != NULL && outbuf != NULL);
	fb_model_state(en, &st);

	fb_open_sockets(x);
	fb_enable(x, x->sv[1], TCP_TXTLS_ENABLE);
	fb_set_blocking(x->sv[0]);
	fb_set_blocking(x->sv[1]);

	fb_send_control(x->sv[1], type, plaintext, len);
	record_len = fb_read_record(x, outbuf, outbuf_cap);
	rv = fb_decrypt_record(x, &st, x->seqno, outbuf, record_len,
	    decrypted, len, &record_type);
	ck_assert_msg(rv == len, "%s: read %zu decrypted bytes, but wrote %zu",
	    x->c->name, rv, len);
	ck_assert_uint_eq(record_type, type);
	ck_assert(memcmp(plaintext, decrypted, len) == 0);

	free(outbuf);
	free(decrypted);
	free(plaintext);
	fb_close_sockets(x);
}

/*
 * test_ktls_transmit_empty_fragment(): a write of zero bytes sends one
 * empty application data record on TLS 1.0 CBC (OpenSSL's empty
 * fragments) and fails with EINVAL on every other suite.
 */
static void
fb_transmit_empty_fragment(struct fb_ctx *x)
{
	const struct tls_enable *en = &x->keys.en;
	struct tlsm_state st;
	uint8_t *outbuf, record_type;
	size_t outbuf_cap, record_len;
	ssize_t rv;

	outbuf_cap = fb_header_len(en) + fb_trailer_len(en);
	outbuf = malloc(outbuf_cap);
	ck_assert_ptr_nonnull(outbuf);
	fb_model_state(en, &st);

	fb_open_sockets(x);
	fb_enable(x, x->sv[1], TCP_TXTLS_ENABLE);
	fb_set_blocking(x->sv[0]);
	fb_set_blocking(x->sv[1]);

	errno = 0;
	rv = uk_write(x->sv[1], NULL, 0);
	if (rv == 0) {
		ck_assert_int_eq(en->cipher_algorithm, CRYPTO_AES_CBC);
		ck_assert_int_eq(en->tls_vminor, TLS_MINOR_VER_ZERO);
		record_len = fb_read_record(x, outbuf, outbuf_cap);
		rv = (ssize_t)fb_decrypt_record(x, &st, x->seqno, outbuf,
		    record_len, NULL, 0, &record_type);
		ck_assert_msg(rv == 0, "%s: read %zd decrypted bytes for an "
		    "empty fragment", x->c->name, rv);
		ck_assert_uint_eq(record_type, TLS_RLTYPE_APP);
	} else {
		ck_assert_msg(rv == -1 && errno == EINVAL, "%s: empty write: "
		    "%zd (%s), wanted EINVAL", x->c->name, rv,
		    strerror(errno));
		ck_assert_msg(en->cipher_algorithm != CRYPTO_AES_CBC ||
		    en->tls_vminor != TLS_MINOR_VER_ZERO,
		    "%s: TLS 1.0 must send an empty fragment", x->c->name);
	}

	free(outbuf);
	fb_close_sockets(x);
}

/* test_ktls_invalid_transmit_cipher_suite(): EINVAL, nothing enabled. */
static void
fb_transmit_invalid(struct fb_ctx *x)
{
	socklen_t len;
	int mode;

	fb_open_sockets(x);
	errno = 0;
	ck_assert_int_eq(uk_setsockopt(x->sv[1], IPPROTO_TCP, TCP_TXTLS_ENABLE,
	    &x->keys.en, sizeof(x->keys.en)), -1);
	ck_assert_msg(errno == EINVAL, "%s: %s, wanted EINVAL", x->c->name,
	    strerror(errno));
	len = sizeof(mode);
	ck_assert_int_eq(uk_getsockopt(x->sv[1], IPPROTO_TCP, TCP_TXTLS_MODE,
	    &mode, &len), 0);
	ck_assert_int_eq(mode, TCP_TLS_MODE_NONE);
	fb_close_sockets(x);
}

void
fb_run_transmit(struct fb_ctx *x)
{

	switch (x->c->kind) {
	case FB_TX_APP:
		fb_transmit_app_data(x, x->c->len);
		break;
	case FB_TX_CONTROL:
		fb_transmit_control(x, x->c->type, x->c->len);
		break;
	case FB_TX_EMPTY:
		fb_transmit_empty_fragment(x);
		break;
	case FB_TX_INVALID:
		fb_transmit_invalid(x);
		break;
	default:
		ck_abort_msg("%s: not a transmit case", x->c->name);
	}
}
