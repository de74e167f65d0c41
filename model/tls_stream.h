/*
 * model/tls_stream.h: a TLS receive stream as FreeBSD's KTLS delivers it.
 *
 * The oracle for the receive path: wire bytes in, the records a reader
 * gets out, with FreeBSD's rules for what goes wrong (ktls_decrypt()):
 *
 *   - a bad header (version, TLS 1.3 outer type, length out of bounds)
 *     ends the stream: nothing after it is framed (the connection is
 *     dropped); the error is EINVAL or EMSGSIZE, at the offending byte;
 *   - a record that does not open is dropped alone (EBADMSG, or EMSGSIZE
 *     for a length the cipher cannot have) and its sequence number is
 *     used up; later records are still delivered;
 *   - at the end of the stream, part of a record left over is EMSGSIZE.
 *
 * Records are opened with tlsm_open() (model/tls_record.h) from sequence
 * number seq on; nothing here shares code with src/.
 */
#ifndef UKTLS_MODEL_TLS_STREAM_H
#define UKTLS_MODEL_TLS_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "tls_record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One record of the stream. */
struct tlsm_rx_rec {
	size_t		wire_off;	/* where it starts in the stream */
	size_t		wire_len;	/* header included */
	uint64_t	seq;
	int		error;		/* 0, or EBADMSG/EMSGSIZE: dropped */
	uint8_t		type;		/* content type (TLS 1.3: the inner) */
	uint8_t		vmajor;		/* from the wire */
	uint8_t		vminor;
	size_t		off;		/* plaintext: plain[off..off+len) */
	size_t		len;
};

struct tlsm_rx {
	struct tlsm_rx_rec *recs;	/* every whole record, in order */
	size_t		nrecs, cap;
	uint8_t		*plain;		/* plaintext of the good records */
	size_t		plain_len, plain_cap;
	size_t		framed;		/* bytes in whole records */
	uint64_t	next_seq;	/* sequence number of the next record */
	/*
	 * 0, or what ended the stream: a header error (EINVAL, EMSGSIZE)
	 * at byte fatal_off, or EMSGSIZE at the end of the stream for a
	 * record begun at fatal_off and never finished.
	 */
	int		fatal;
	size_t		fatal_off;
	/* The last error of all (what so_error holds at the end), or 0. */
	int		last_error;
};

/*
 * Parse wire[0..len) with the keys of st (not changed) from sequence
 * number seq.  eof: no more bytes will come (a FIN after them); without
 * it a part-record at the end is simply not framed yet.  *rx must be
 * zeroed before the first call; tlsm_rx_free() releases it.  Returns 0,
 * or ENOMEM/EIO (not a stream error).
 */
int	tlsm_rx_parse(const struct tlsm_state *st, uint64_t seq,
	    const void *wire, size_t len, int eof, struct tlsm_rx *rx);
void	tlsm_rx_free(struct tlsm_rx *rx);

/* The plaintext of delivered record i (NULL when it has none). */
static inline const uint8_t *
tlsm_rx_data(const struct tlsm_rx *rx, size_t i)
{

	return (rx->recs[i].len != 0 ? rx->plain + rx->recs[i].off : NULL);
}

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_MODEL_TLS_STREAM_H */
