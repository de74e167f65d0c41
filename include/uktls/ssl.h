/*
 * uktls: OpenSSL 3 (libssl) over uk_ sockets, with KTLS.
 *
 * What OpenSSL does on FreeBSD, over the simulated network: libssl runs
 * the handshake through a BIO on a uk_ socket; with SSL_OP_ENABLE_KTLS
 * it offers each direction's keys to the BIO (BIO_CTRL_SET_KTLS) when
 * they are ready, and the BIO hands them to the kernel with
 * setsockopt(TCP_TXTLS_ENABLE / TCP_RXTLS_ENABLE), translating libssl's
 * (Linux) crypto-info into struct tls_enable with the exact next record
 * sequence number.  From then on libssl writes plaintext, one record per
 * BIO_write (the record type of a control record set with a one-shot
 * ctrl, sent as TLS_SET_RECORD_TYPE), and reads records whose header the
 * BIO rebuilds from the TLS_GET_RECORD control message.
 *
 * libssl 3.0 (built for Linux) will not offload every direction: only
 * AEAD suites, and TLS 1.3 only for transmit (docs/openssl.md has the
 * measured table).  For the others the keys are derived from the key-log
 * secrets with OpenSSL's EVP_KDF (TLS1-PRF, TLS13-KDF) and the sequence
 * numbers counted by the BIO; such a direction must then be used through
 * uk_ssl_send() / uk_ssl_recv(), which go to the socket directly, because
 * libssl still believes it protects the records itself.  TLS 1.0
 * receive, which FreeBSD does not offload, stays with libssl.
 *
 * Functions return -1 and set errno (host values) on failure; where a
 * message buffer is given, it says why in words.
 */
#ifndef UKTLS_SSL_H
#define UKTLS_SSL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include <uktls/ktls.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A BIO over uk_ socket s (BIO_CLOSE: BIO_free closes it) that answers
 * libssl's KTLS controls.  NULL with errno on failure.
 */
BIO	*uk_bio_new_socket(int s, int close_flag);

/* How one direction's record protection reached the kernel. */
enum uk_ssl_ktls {
	UK_SSL_KTLS_NONE = 0,	/* libssl protects the records */
	UK_SSL_KTLS_LIBSSL,	/* libssl handed the keys over */
	UK_SSL_KTLS_KEYLOG,	/* derived from the key-log secrets */
};

/* uk_ssl_pair_open() settings; zero is the default. */
struct uk_ssl_pair_config {
	const char	*suite;		/* a uktls suite name (uktls suites) */
	int		 no_handoff;	/* refuse BIO_CTRL_SET_KTLS: derive
					   every direction from the key log */
	const char	*keylog_path;	/* not NULL: also append NSS lines */
};

/* One end of a pair. */
struct uk_ssl_end {
	SSL			*ssl;
	int			 s;	/* its uk_ socket */
	enum uk_ssl_ktls	 tx, rx;
	uint64_t		 tx_seq, rx_seq; /* first KTLS record */
};

struct uk_ssl_pair {
	struct uk_ssl_end	 client, server;
	SSL_CTX			*cctx, *sctx;
	/*
	 * Directions libssl offered (also when refused) whose keys, IV or
	 * salt and sequence number were compared with the key log's, and
	 * how many of them agreed.
	 */
	int			 checked, agreed;
	void			*priv;
};

/*
 * A connected TCP pair (uk_socketpair_tcp()), a real libssl handshake
 * for exactly that suite (a self-signed certificate made at run time;
 * TLS 1.0/1.1 at @SECLEVEL=0; CBC without encrypt-then-MAC; no TLS 1.3
 * tickets), and KTLS switched on in both directions of both ends, except
 * the receive side of TLS 1.0, which FreeBSD does not offload (rx stays
 * UK_SSL_KTLS_NONE: libssl decrypts).  The handshake runs non-blocking,
 * with uk_net_run() between steps, in either run mode; the sockets are
 * left blocking.  The pcap tap and key-log writer of <uktls/net.h>
 * record it if open (each key-log line once).  A suite of NULL is
 * aes128-gcm-1.3.  EINVAL: unknown suite; EPROTONOSUPPORT: a suite
 * libssl cannot negotiate (aes128-cbc-sha384-1.2 exists only in
 * FreeBSD's table); EPROTO: the handshake failed.  On failure *p holds
 * nothing to close.
 *
 * uk_ssl_pair_close(): close_notify both ways (as far as the connection
 * allows), then everything freed and the connections closed.
 */
int	uk_ssl_pair_open(const struct uk_ssl_pair_config *cfg,
	    struct uk_ssl_pair *p, char *msg, size_t msglen);
void	uk_ssl_pair_close(struct uk_ssl_pair *p);

/*
 * Send `type` (23 application data; 21, 22 are control records).
 * Application data goes with SSL_write() where libssl handed the
 * direction over (libssl cuts it into records of up to 16 KiB and
 * writes their plaintext through the BIO), else with uk_send() (the
 * kernel cuts it).  A control record (at most 16 KiB: EMSGSIZE) is one
 * record: where libssl handed the direction over, written as libssl's
 * record layer writes one (the one-shot record-type control, then one
 * BIO_write), else with uk_sendmsg() and TLS_SET_RECORD_TYPE.  Returns
 * the bytes taken: all of them, or a short count (or -1 with EAGAIN)
 * when the socket is full; as with SSL_write(), send the rest next.
 */
ssize_t	uk_ssl_send(struct uk_ssl_end *e, uint8_t type, const void *buf,
	    size_t len);
/*
 * What SSL_sendfile() does, but with uk_sendfile() of a page-cache file
 * on the end's uk_ socket (libssl would call the host's sendfile(2) on a
 * host descriptor).  Returns the bytes queued; -1 only when none were.
 * EOPNOTSUPP when the kernel does not protect the end's transmit
 * direction, EPIPE after close_notify was sent.
 */
ssize_t	uk_ssl_sendfile(struct uk_ssl_end *e, int fd, off_t off,
	    size_t len, int flags);
/*
 * One record's plaintext (or its next len bytes) and its type in *type.
 * Where the keys came from the key log: uk_recvmsg() and the record's
 * TLS_GET_RECORD.  Where libssl reads the direction (handed over, or
 * TLS 1.0, whose receive FreeBSD cannot offload): application data with
 * SSL_read(); an alert goes through libssl, which acts on it (a fatal
 * one ends the connection, close_notify ends the stream) and is returned
 * as it came; any other control record is returned from the socket
 * without libssl seeing it (TLS 1.0: libssl takes it too).  0 with *type
 * 0 at the end of the stream; an empty control record is 0 with its
 * type.  -1 with EAGAIN on a non-blocking socket with nothing to read.
 */
ssize_t	uk_ssl_recv(struct uk_ssl_end *e, void *buf, size_t len,
	    uint8_t *type);

/*
 * The RSA-2048 key and self-signed certificate the pair's server uses,
 * made once per process (on first use; thread-safe) and kept until the
 * process ends: do not free them.  0, or -1 with EIO.
 */
int	uk_ssl_identity(EVP_PKEY **key, X509 **cert);

/*
 * What the kernel got for one direction of an end (tx nonzero: its
 * transmit side) as struct tls_enable, rec_seq being tx_seq or rx_seq;
 * the pointers stay valid until uk_ssl_pair_close().  0, or -1 with
 * ENOENT for a direction libssl protects itself, EINVAL for a bad end.
 */
int	uk_ssl_end_enable(const struct uk_ssl_end *e, int tx,
	    struct tls_enable *en);

/* "none", "libssl", "keylog". */
const char *uk_ssl_ktls_name(enum uk_ssl_ktls k);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_SSL_H */
