/*
 * model/tls_stream.c: the receive-stream oracle (see tls_stream.h).
 *
 * A plain loop over the bytes: frame with tlsm_next_record(), open with
 * tlsm_open(), and keep what a reader of a FreeBSD KTLS socket would get.
 * The one rule added on top of tlsm_open() is FreeBSD's mapping of record
 * errors: anything but EMSGSIZE is reported as EBADMSG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tls_stream.h"

static int
rx_add_rec(struct tlsm_rx *rx, const struct tlsm_rx_rec *r)
{
	struct tlsm_rx_rec *n;
	size_t cap;

	if (rx->nrecs == rx->cap) {
		cap = rx->cap == 0 ? 16 : rx->cap * 2;
		n = realloc(rx->recs, cap * sizeof(*n));
		if (n == NULL)
			return (ENOMEM);
		rx->recs = n;
		rx->cap = cap;
	}
	rx->recs[rx->nrecs++] = *r;
	return (0);
}

static int
rx_add_plain(struct tlsm_rx *rx, const uint8_t *p, size_t len)
{
	uint8_t *n;
	size_t cap;

	if (rx->plain_len + len > rx->plain_cap) {
		cap = (rx->plain_len + len) * 2 + 4096;
		n = realloc(rx->plain, cap);
		if (n == NULL)
			return (ENOMEM);
		rx->plain = n;
		rx->plain_cap = cap;
	}
	if (len != 0)
		memcpy(rx->plain + rx->plain_len, p, len);
	rx->plain_len += len;
	return (0);
}

int
tlsm_rx_parse(const struct tlsm_state *st0, uint64_t seq, const void *wire,
    size_t len, int eof, struct tlsm_rx *rx)
{
	struct tlsm_state st;
	struct tlsm_rx_rec r;
	const uint8_t *p;
	uint8_t *out;
	size_t bad, off, outlen, reclen;
	int error;

	st = *st0;
	p = wire;
	out = malloc(2 * TLSM_MAX_PLAINTEXT + 1024);
	if (out == NULL)
		return (ENOMEM);
	error = 0;
	for (off = 0; off < len; off += reclen) {
		bad = 0;
		error = tlsm_next_record(&st, p + off, len - off, &reclen,
		    &bad);
		if (error == EAGAIN) {
			/* Part of a record: only the end makes it an error. */
			error = 0;
			if (eof) {
				rx->fatal = EMSGSIZE;
				rx->fatal_off = off;
			}
			break;
		}
		if (error != 0) {
			/* A bad header: the stream is lost from here. */
			rx->fatal = error;
			rx->fatal_off = off + bad;
			error = 0;
			break;
		}
		memset(&r, 0, sizeof(r));
		r.wire_off = off;
		r.wire_len = reclen;
		r.seq = seq++;
		r.vmajor = p[off + 1];
		r.vminor = p[off + 2];
		r.error = tlsm_open(&st, r.seq, p + off, reclen, &r.type, out,
		    2 * TLSM_MAX_PLAINTEXT + 1024, &outlen);
		if (r.error == ENOMEM || r.error == EIO || r.error == ENOBUFS) {
			error = r.error;
			break;
		}
		if (r.error == 0) {
			r.off = rx->plain_len;
			r.len = outlen;
			error = rx_add_plain(rx, out, outlen);
		} else {
			/* ktls_decrypt(): not EMSGSIZE is EBADMSG. */
			if (r.error != EMSGSIZE)
				r.error = EBADMSG;
			rx->last_error = r.error;
		}
		if (error == 0)
			error = rx_add_rec(rx, &r);
		if (error != 0)
			break;
		rx->framed = off + reclen;
	}
	if (rx->fatal != 0)
		rx->last_error = rx->fatal;
	rx->next_seq = seq;
	free(out);
	return (error);
}

void
tlsm_rx_free(struct tlsm_rx *rx)
{

	free(rx->recs);
	free(rx->plain);
	memset(rx, 0, sizeof(*rx));
}
