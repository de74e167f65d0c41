/*
 * model/tls_record.h: TLS record protection on flat buffers.
 *
 * The reference model ("the oracle"): one record in, one record out, written
 * from the RFCs and nothing else, so that src/ can be checked against it.
 * It covers the sixteen record-protection suites FreeBSD KTLS accepts:
 *
 *   AES-128/256-GCM           TLS 1.2 (RFC 5288), TLS 1.3 (RFC 8446)
 *   ChaCha20-Poly1305         TLS 1.2 (RFC 7905), TLS 1.3 (RFC 8446)
 *   AES-128/256-CBC + HMAC    SHA1 on TLS 1.0 (RFC 2246), 1.1 (RFC 4346),
 *                             1.2 (RFC 5246); SHA256 and SHA384 on TLS 1.2
 *
 * Record layouts (hdr = type, major 3, minor, 16-bit length of the rest):
 *
 *   GCM 1.2:     hdr | nonce_explicit[8] | ciphertext | tag[16]
 *   ChaCha 1.2:  hdr | ciphertext | tag[16]
 *   TLS 1.3:     hdr(23,3,3) | enc(content | type | zeros) | tag[16]
 *   CBC 1.0:     hdr | enc(content | MAC | padding)
 *   CBC 1.1+:    hdr | IV[16] | enc(content | MAC | padding)
 *
 * The model opens TLS 1.0 records too (to check libssl and captures),
 * although FreeBSD refuses TLS 1.0 receive sessions (EPROTONOSUPPORT): that
 * is a session rule, not a record rule.
 *
 * Errors are <errno.h> values, chosen to match what FreeBSD's ktls_decrypt
 * reports for the same fault:
 *
 *   EINVAL    bad header (version, TLS 1.3 outer type) or bad argument
 *   EMSGSIZE  a length that cannot be right (short, long, not whole blocks)
 *   EBADMSG   authentication failed (tag, MAC, padding) or a TLS 1.3 record
 *             whose plaintext is all zeros (no content type)
 *   ENOBUFS   the output buffer is too small
 *   EIO       libcrypto failed
 */
#ifndef UKTLS_MODEL_TLS_RECORD_H
#define UKTLS_MODEL_TLS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define	TLSM_HDR_LEN		5
#define	TLSM_MAX_PLAINTEXT	16384	/* 2^14, RFC 5246 §6.2.1 */
#define	TLSM_AEAD_TAG_LEN	16
#define	TLSM_CBC_BLOCK		16

#define	TLSM_V10	0x0301
#define	TLSM_V11	0x0302
#define	TLSM_V12	0x0303
#define	TLSM_V13	0x0304

/* Content types, RFC 5246 §6.2.1 / RFC 8446 §5.1. */
#define	TLSM_CT_CCS		20
#define	TLSM_CT_ALERT		21
#define	TLSM_CT_HANDSHAKE	22
#define	TLSM_CT_APP		23

enum tlsm_cipher {
	TLSM_GCM,
	TLSM_CBC,
	TLSM_CHACHA,
};

enum tlsm_mac {
	TLSM_MAC_NONE,		/* AEAD suites */
	TLSM_MAC_SHA1,
	TLSM_MAC_SHA256,
	TLSM_MAC_SHA384,
};

/*
 * Key state of one direction.  A plain value: copy it to fork a direction
 * (e.g. one copy to open a peer's records and one to re-seal them).
 *
 * iv holds: GCM 1.2 the 4-byte salt; TLS 1.3 and ChaCha the 12-byte IV;
 * CBC 1.0 the 16-byte chaining IV, which seal and open advance to the last
 * ciphertext block of each record; CBC 1.1+ nothing (iv_len 0).
 */
struct tlsm_state {
	uint16_t	version;		/* TLSM_V10 .. TLSM_V13 */
	enum tlsm_cipher cipher;
	enum tlsm_mac	mac;
	uint8_t		key[32];
	size_t		key_len;		/* 16 or 32 */
	uint8_t		iv[16];
	size_t		iv_len;
	uint8_t		mac_key[48];
	size_t		mac_key_len;		/* = MAC length */
};

/*
 * Fill *st after checking the combination against FreeBSD's table
 * (freebsd-ktls.md §2).  iv may be NULL when iv_len is 0; mac_key may be
 * NULL for AEAD suites.  Returns 0 or EINVAL.
 */
int	tlsm_init(struct tlsm_state *st, uint16_t version,
	    enum tlsm_cipher cipher, enum tlsm_mac mac,
	    const uint8_t *key, size_t key_len,
	    const uint8_t *iv, size_t iv_len,
	    const uint8_t *mac_key, size_t mac_key_len);

/* MAC length of a suite: 0, 20, 32 or 48. */
size_t	tlsm_mac_len(enum tlsm_mac mac);

/*
 * Sizes of a suite, as FreeBSD's tls_hlen / tls_tlen: header bytes before
 * the ciphertext (5, 13 or 21), the largest trailer after the plaintext
 * (tag, tag + inner type, or MAC + minimal padding) and the cipher block.
 */
size_t	tlsm_header_len(const struct tlsm_state *st);
size_t	tlsm_trailer_len(const struct tlsm_state *st);
size_t	tlsm_block_len(const struct tlsm_state *st);

/* Options of tlsm_seal(); a zeroed struct (or NULL) gives the defaults. */
struct tlsm_seal_opts {
	/*
	 * GCM 1.2: the 8-byte nonce_explicit (default: the sequence number
	 * in big-endian order, as OpenSSL does).  CBC 1.1+: the 16-byte
	 * record IV (default: random bytes).  Ignored otherwise.
	 */
	const uint8_t	*explicit_iv;
	/*
	 * CBC: bytes of padding including the padding_length byte, 1..256,
	 * so that content + MAC + padding fills whole blocks.  0 = minimal.
	 */
	size_t		cbc_pad;
	/* TLS 1.3: zero bytes after the inner content type. */
	size_t		tls13_pad;
	/* Let the plaintext exceed 2^14 (to build oversized test records). */
	int		oversize;
};

/*
 * Protect one record.  RFC 5246 §6.2.3, RFC 8446 §5.2.
 *
 * Writes the whole record (header and body) for sequence number seq and
 * content type type into out[0..outcap) and its length into *outlen.  For
 * TLS 1.3 the outer header says application_data, 3,3 and type goes inside.
 * plaintext and out must not overlap.
 *
 * Errors: EINVAL (bad option), EMSGSIZE (plaintext too long), ENOBUFS, EIO.
 */
int	tlsm_seal(struct tlsm_state *st, uint64_t seq, uint8_t type,
	    const void *plaintext, size_t len,
	    const struct tlsm_seal_opts *opts, void *out, size_t outcap,
	    size_t *outlen);

/* The length of the record tlsm_seal() would produce, or 0 if invalid. */
size_t	tlsm_sealed_len(const struct tlsm_state *st, size_t len,
	    const struct tlsm_seal_opts *opts);

/*
 * Verify and decrypt one record of exactly reclen bytes with sequence
 * number seq.  RFC 5246 §6.2.3, RFC 8446 §5.2.
 *
 * On success *type is the content type (the inner one for TLS 1.3) and the
 * content is in out[0..*outlen).  The checks run in FreeBSD's order:
 * header (EINVAL), lengths (EMSGSIZE), then the cryptographic checks
 * (EBADMSG).  Also ENOBUFS, EIO.  For CBC 1.0 the chaining IV moves on
 * only when the record is accepted.
 */
int	tlsm_open(struct tlsm_state *st, uint64_t seq, const void *record,
	    size_t reclen, uint8_t *type, void *out, size_t outcap,
	    size_t *outlen);

/*
 * Stream framing: find the first record in buf[0..len).
 *
 * Returns 0 when a whole record is there (its length in *reclen), EAGAIN
 * when more bytes are needed (*reclen = how many bytes the buffer must hold
 * to make progress: 5 for a header, else the whole record), or the header
 * error tlsm_open() would give (EINVAL, EMSGSIZE) with *bad_off set to the
 * offset in buf of the offending header byte.  bad_off may be NULL.
 */
int	tlsm_next_record(const struct tlsm_state *st, const void *buf,
	    size_t len, size_t *reclen, size_t *bad_off);

/* Big-endian helpers used by the model and its tests. */
void	tlsm_be64enc(uint8_t *p, uint64_t v);
uint64_t tlsm_be64dec(const uint8_t *p);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_MODEL_TLS_RECORD_H */
