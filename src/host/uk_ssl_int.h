/*
 * Internals of <uktls/ssl.h>, shared by src/host/uk_ssl*.c.
 *
 *   uk_ssl_bio.c   the BIO over a uk_ socket: libssl's KTLS controls,
 *                  the crypto-info translation, record counting
 *   uk_ssl_keys.c  keys from the key-log secrets (EVP_KDF)
 *   uk_ssl.c       the pair: contexts, handshake, hand-off, I/O, close
 */
#ifndef UK_SSL_INT_H
#define UK_SSL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include <uktls/ktls.h>

/* Directions, as the BIO sees them. */
#define	UKB_TX	0		/* what libssl writes */
#define	UKB_RX	1		/* what libssl reads */

/* libssl's controls (OpenSSL 3.0 include/internal/bio.h). */
#define	UKB_CTRL_SET_KTLS		72
#define	UKB_CTRL_GET_KTLS_SEND		73
#define	UKB_CTRL_SET_KTLS_CTRL_MSG	74
#define	UKB_CTRL_CLEAR_KTLS_CTRL_MSG	75
#define	UKB_CTRL_GET_KTLS_RECV		76
#define	UKB_CTRL_SET_KTLS_ZEROCOPY	90

/*
 * One direction's record protection, as struct tls_enable carries it,
 * with its own copies of the key material.
 */
struct uk_ssl_keys {
	int		cipher;		/* CRYPTO_* */
	int		auth;		/* CRYPTO_*_HMAC, 0 for AEAD */
	uint8_t		vminor;		/* TLS_MINOR_VER_* */
	uint8_t		key[32];
	size_t		key_len;
	uint8_t		iv[16];		/* salt, nonce or CBC IV */
	size_t		iv_len;
	uint8_t		mac[48];
	size_t		mac_len;
	uint64_t	seq;		/* of the first record */
};

/* struct tls_enable pointing into k. */
void	uk_ssl_keys_enable(const struct uk_ssl_keys *k, struct tls_enable *en);
/* Same key, IV, MAC key, algorithms and sequence number. */
int	uk_ssl_keys_equal(const struct uk_ssl_keys *a,
	    const struct uk_ssl_keys *b);

/*
 * The records of one direction as they pass the BIO.  Before the kernel
 * takes a direction over, libssl writes and reads whole wire records
 * (header and ciphertext) and the parser follows them across calls;
 * afterwards every BIO call is one record.
 */
struct uk_bio_dir {
	uint8_t		hdr[5];
	size_t		hdr_got;	/* header bytes of the current record */
	size_t		body_left;	/* body bytes still to come */
	uint64_t	records;	/* whole records passed */
	uint64_t	ccs_mark;	/* records passed up to a CCS */
	int		ccs_seen;
	uint8_t		tail[16];	/* the last 16 body bytes so far */
	uint8_t		last_block[16];	/* of the last whole record */
	size_t		last_block_len;
};

/* What libssl offered with BIO_CTRL_SET_KTLS. */
struct uk_bio_offer {
	int		offered;
	int		taken;		/* the kernel accepted it */
	int		error;		/* not translated (EINVAL) */
	int		kernel_error;	/* errno of a refused setsockopt */
	uint16_t	version, cipher_type;	/* Linux crypto-info */
	struct uk_ssl_keys keys;
	uint64_t	records;	/* the BIO's count at that moment */
};

struct uk_bio {
	int		s;
	int		refuse;		/* answer 0 to BIO_CTRL_SET_KTLS */
	int		ktls[2];	/* libssl handed the direction over */
	int		kernel[2];	/* the socket does the TLS (also
					   behind libssl's back) */
	int		ctrl_type;	/* one-shot record type (ctrl 74) */
	int		eof;
	int		last_errno;	/* of the last failed socket call */
	struct uk_bio_dir dir[2];
	struct uk_bio_offer offer[2];
	/*
	 * A mark the pair asks for: the count of records written at the
	 * next flush (the end of the flight that carried the Finished).
	 */
	int		mark_pending;
	int		marked;
	uint64_t	mark_records;
	/* libssl's KTLS controls as they came: 72, 74, 75, 90. */
	unsigned long	n_set_ktls, n_ctrl_msg, n_clear_ctrl_msg, n_zerocopy;
	/* Reading at most rx_budget more records (-1: no limit). */
	int		rx_budget;
	int		rx_refused;	/* a read stopped by the budget */
};

/* The state of a BIO made by uk_bio_new_socket(), or NULL. */
struct uk_bio *uk_bio_state(BIO *b);
/* Follow n more bytes of a direction's wire records. */
void	uk_bio_parse(struct uk_bio_dir *d, const uint8_t *p, size_t n);
/* Is the record parser of that direction between records? */
int	uk_bio_at_boundary(const struct uk_bio_dir *d);
/* One record of type `type` on a KTLS socket (TLS_SET_RECORD_TYPE). */
ssize_t	uk_bio_send_type(int s, const void *buf, size_t len, uint8_t type);
/*
 * uk_recvmsg() of at most len bytes of one record with its control
 * message.  *ctl is 1 when a well-formed TLS_GET_RECORD came (copied to
 * *tgr), 0 when no control message came, -1 for anything else.
 */
ssize_t	uk_bio_recv_record(int s, void *buf, size_t len, int flags,
	    struct tls_get_record *tgr, int *ctl, int *msg_flags);

/*
 * Linux's crypto-info (what libssl 3.0 built for Linux passes with
 * BIO_CTRL_SET_KTLS) to keys; rec_seq gives keys->seq.  0, or EINVAL for
 * a cipher the kernel does not know.
 */
int	uk_ssl_crypto_info_keys(const void *info, struct uk_ssl_keys *keys,
	    uint16_t *version, uint16_t *cipher_type);

/*
 * Keys for one direction of ssl's connection from the NSS key-log lines
 * in log[0..len): TLS 1.0-1.2 by the TLS1-PRF key expansion of the
 * master secret, TLS 1.3 by HKDF-Expand-Label (TLS13-KDF) of the traffic
 * secret.  tx says whether the direction is ssl's own writing.  keys->seq
 * is left 0.  0, or an errno (ENOENT: a secret is missing from the log;
 * EPROTONOSUPPORT: a suite FreeBSD KTLS does not take; EIO: libcrypto)
 * with a reason in msg.
 */
int	uk_ssl_keylog_keys(SSL *ssl, const char *log, size_t len, int tx,
	    struct uk_ssl_keys *keys, char *msg, size_t msglen);

#endif /* UK_SSL_INT_H */
