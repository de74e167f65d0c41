/*
 * libssl over uk_ sockets with KTLS (<uktls/ssl.h>, docs/openssl.md).
 *
 * uk_ssl_pair_open() runs a real libssl handshake between the two ends
 * of a TCP pair through uk_bio_new_socket() BIOs, non-blocking, running
 * the network between steps.  libssl offers the keys of some directions
 * (SSL_OP_ENABLE_KTLS) and the BIO hands them to the kernel; every
 * direction it does not offer is switched on afterwards with keys
 * derived from the end's own key log (uk_ssl_keys.c) and a sequence
 * number the BIO counted:
 *
 *   TLS 1.0-1.2   records since that direction's ChangeCipherSpec (the
 *                 Finished is record 0);
 *   TLS 1.3       records after the one carrying that direction's
 *                 Finished.  Written: the count at the first flush after
 *                 libssl reported its Finished (the message callback
 *                 runs while the flight still sits in libssl's buffering
 *                 BIO; the flush that ends the flight sends it through
 *                 ours).  Read: the count when libssl reported the
 *                 peer's Finished (it reads record by record).
 *
 * For a direction libssl does offer, the key log gives the keys too, and
 * the two are compared (p->checked, p->agreed).
 *
 * After the hand-off: uk_ssl_send() uses SSL_write() where libssl handed
 * the direction over (libssl then writes plaintext records through the
 * BIO) and the socket directly where the keys came from the key log;
 * uk_ssl_recv() likewise with SSL_read() or uk_recvmsg().  On a
 * direction libssl handed over, each record is looked at first (MSG_PEEK
 * and its TLS_GET_RECORD): an alert goes to libssl, which acts on it,
 * and is reported from libssl's message callback; any other control
 * record is taken from the socket as it is.  TLS 1.0's receive
 * direction, which libssl decrypts, gives every record to libssl.  The
 * BIO lets one SSL_read() take at most one new record.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/ssl.h>
#include <uktls/suites.h>

#include "uk_ssl_int.h"

#define	UKS_DEFAULT_SUITE	"aes128-gcm-1.3"
#define	UKS_MAX_ROUNDS		400	/* handshake steps before giving up */
#define	UKS_CAPTURE_MAX		(16384 + 2048)

/* What the pair keeps per end. */
struct uks_side {
	struct uk_ssl_pair	*p;
	struct uk_ssl_end	*e;
	struct uk_bio		*b;
	int			 idx;		/* 0 client, 1 server */
	char			*log;		/* this end's key-log lines */
	size_t			 loglen, logcap;
	int			 log_lost;	/* a line did not fit */
	/* TLS 1.3: the record count when the peer's Finished was read. */
	int			 fin_rx_seen;
	uint64_t		 fin_rx_mark;
	/* A control record libssl acted on during one uk_ssl_recv(). */
	int			 capture, captured;
	int			 peer_fatal;	/* libssl got a fatal alert */
	uint8_t			 cap_type;
	size_t			 cap_len;
	uint8_t			*cap;
	/* A record taken from the socket and not yet read to its end. */
	int			 raw_open;
	uint8_t			 raw_type;
	struct uk_ssl_keys	 keys[2];	/* what the kernel got */
};

struct uks_priv {
	struct uks_side		 side[2];
	FILE			*keylog;
	int			 handshaken;
};

/* ---- the certificate ------------------------------------------------- */

static pthread_once_t uks_id_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *uks_key;
static X509 *uks_cert;

static void
uks_make_identity(void)
{
	X509_NAME *name;
	EVP_PKEY *key;
	X509 *cert;

	key = EVP_RSA_gen(2048);
	cert = X509_new();
	if (key == NULL || cert == NULL)
		goto fail;
	name = X509_get_subject_name(cert);
	if (X509_set_version(cert, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 365) == NULL ||
	    X509_set_pubkey(cert, key) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"uktls test", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    X509_sign(cert, key, EVP_sha256()) <= 0)
		goto fail;
	uks_key = key;
	uks_cert = cert;
	return;
fail:
	X509_free(cert);
	EVP_PKEY_free(key);
}

int
uk_ssl_identity(EVP_PKEY **key, X509 **cert)
{

	(void)pthread_once(&uks_id_once, uks_make_identity);
	if (uks_cert == NULL) {
		ERR_clear_error();
		errno = EIO;
		return (-1);
	}
	if (key != NULL)
		*key = uks_key;
	if (cert != NULL)
		*cert = uks_cert;
	return (0);
}

/* ---- per-SSL state ---------------------------------------------------- */

static pthread_once_t uks_idx_once = PTHREAD_ONCE_INIT;
static int uks_idx = -1;

static void
uks_make_idx(void)
{

	uks_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static struct uks_side *
uks_side_of(const SSL *ssl)
{

	if (ssl == NULL || uks_idx < 0)
		return (NULL);
	return (SSL_get_ex_data(ssl, uks_idx));
}

static struct uks_side *
uks_end_side(const struct uk_ssl_end *e)
{

	return (e != NULL ? uks_side_of(e->ssl) : NULL);
}

const char *
uk_ssl_ktls_name(enum uk_ssl_ktls k)
{

	switch (k) {
	case UK_SSL_KTLS_NONE:
		return ("none");
	case UK_SSL_KTLS_LIBSSL:
		return ("libssl");
	case UK_SSL_KTLS_KEYLOG:
		return ("keylog");
	}
	return ("?");
}

int
uk_ssl_end_enable(const struct uk_ssl_end *e, int tx, struct tls_enable *en)
{
	struct uks_side *sd;
	enum uk_ssl_ktls mode;

	sd = uks_end_side(e);
	if (sd == NULL || en == NULL) {
		errno = EINVAL;
		return (-1);
	}
	mode = tx ? e->tx : e->rx;
	if (mode == UK_SSL_KTLS_NONE) {
		errno = ENOENT;
		return (-1);
	}
	uk_ssl_keys_enable(&sd->keys[tx ? UKB_TX : UKB_RX], en);
	return (0);
}

/* ---- key log and message callbacks ------------------------------------ */

static int
uks_log_has(const struct uks_side *sd, const char *line, size_t n)
{
	const char *p, *end;

	if (sd->log == NULL)
		return (0);
	for (p = sd->log, end = sd->log + sd->loglen; p + n < end; ) {
		if (memcmp(p, line, n) == 0 && p[n] == '\n')
			return (1);
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			break;
		p++;
	}
	return (0);
}

/*
 * Each end keeps its own lines (it derives its keys from them, as a
 * program with only its own end would); the pair's key logs get each
 * line once although both ends report it.
 */
static void
uks_keylog_cb(const SSL *ssl, const char *line)
{
	struct uks_priv *priv;
	struct uks_side *sd;
	size_t n, ncap;
	char *nl;
	int seen;

	sd = uks_side_of(ssl);
	if (sd == NULL)
		return;
	priv = sd->p->priv;
	n = strlen(line);
	seen = uks_log_has(&priv->side[1 - sd->idx], line, n);
	if (sd->loglen + n + 1 > sd->logcap) {
		ncap = 2 * (sd->loglen + n + 1) + 256;
		nl = realloc(sd->log, ncap);
		if (nl == NULL) {
			sd->log_lost = 1;
			return;
		}
		sd->log = nl;
		sd->logcap = ncap;
	}
	memcpy(sd->log + sd->loglen, line, n);
	sd->log[sd->loglen + n] = '\n';
	sd->loglen += n + 1;
	if (seen)
		return;
	(void)uk_keylog_line(line);	/* EBADF when no key log is open */
	if (priv->keylog != NULL) {
		fprintf(priv->keylog, "%s\n", line);
		fflush(priv->keylog);
	}
}

static void
uks_msg_cb(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	const uint8_t *m = buf;
	struct uks_side *sd;

	(void)version;
	(void)arg;
	sd = uks_side_of(ssl);
	if (sd == NULL || sd->b == NULL)
		return;
	if (content_type == SSL3_RT_HANDSHAKE && len > 0 &&
	    m[0] == SSL3_MT_FINISHED) {
		if (write_p)
			sd->b->mark_pending = 1;
		else if (!sd->fin_rx_seen) {
			sd->fin_rx_seen = 1;
			sd->fin_rx_mark = sd->b->dir[UKB_RX].records;
		}
	}
	if (!write_p && content_type == SSL3_RT_ALERT && len == 2 &&
	    m[0] == SSL3_AL_FATAL)
		sd->peer_fatal = 1;
	if (!write_p && sd->capture && !sd->captured &&
	    (content_type == SSL3_RT_ALERT ||
	    content_type == SSL3_RT_HANDSHAKE) && sd->cap != NULL) {
		sd->captured = 1;
		sd->cap_type = (uint8_t)content_type;
		sd->cap_len = len < UKS_CAPTURE_MAX ? len : UKS_CAPTURE_MAX;
		memcpy(sd->cap, buf, sd->cap_len);
	}
}

/* ---- opening ---------------------------------------------------------- */

static int uks_fail(char *msg, size_t msglen, int error, const char *fmt,
    ...) __attribute__((__format__(__printf__, 4, 5)));

static int
uks_fail(char *msg, size_t msglen, int error, const char *fmt, ...)
{
	va_list ap;

	if (msg != NULL && msglen > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, msglen, fmt, ap);
		va_end(ap);
	}
	ERR_clear_error();
	return (error);
}

static const char *
uks_ssl_reason(char *buf, size_t len)
{
	unsigned long e;

	e = ERR_peek_last_error();
	if (e == 0)
		return ("no libssl error");
	ERR_error_string_n(e, buf, len);
	return (buf);
}

static SSL_CTX *
uks_ctx(const struct uk_suite *s, int server)
{
	char list[128];
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *ctx;
	int ok, version;

	version = 0x0300 | s->tls_vminor;
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL)
		return (NULL);
	ok = SSL_CTX_set_min_proto_version(ctx, version) == 1 &&
	    SSL_CTX_set_max_proto_version(ctx, version) == 1;
	/* FreeBSD KTLS does MAC-then-encrypt. */
	SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS |
	    SSL_OP_NO_ENCRYPT_THEN_MAC | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (version == TLS1_3_VERSION)
		ok = ok && SSL_CTX_set_ciphersuites(ctx, s->openssl_name) == 1;
	else {
		snprintf(list, sizeof(list), "%s%s", s->openssl_name,
		    version < TLS1_2_VERSION ? ":@SECLEVEL=0" : "");
		ok = ok && SSL_CTX_set_cipher_list(ctx, list) == 1;
	}
	if (server) {
		ok = ok && uk_ssl_identity(&key, &cert) == 0 &&
		    SSL_CTX_use_certificate(ctx, cert) == 1 &&
		    SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
		    SSL_CTX_set_num_tickets(ctx, 0) == 1 &&
		    SSL_CTX_set_dh_auto(ctx, 1) == 1;
	}
	SSL_CTX_set_keylog_callback(ctx, uks_keylog_cb);
	if (!ok) {
		SSL_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);
}

/* The record sequence number of direction dir after `records` records. */
static int
uks_seq(struct uks_side *sd, int dir, uint64_t records, uint64_t *seq)
{
	const struct uk_bio_dir *d;
	struct uk_bio *b;
	uint64_t mark;

	b = sd->b;
	d = &b->dir[dir];
	if (SSL_version(sd->e->ssl) != TLS1_3_VERSION) {
		if (!d->ccs_seen)
			return (-1);
		mark = d->ccs_mark;
	} else if (dir == UKB_TX) {
		/* No flush after the Finished: all was written by now. */
		mark = b->marked ? b->mark_records : d->records;
		if (!b->marked && !b->mark_pending)
			return (-1);
	} else {
		if (!sd->fin_rx_seen)
			return (-1);
		mark = sd->fin_rx_mark;
	}
	if (records < mark)
		return (-1);
	*seq = records - mark;
	return (0);
}

/*
 * One direction of one end after the handshake: compare what libssl
 * handed over with the key log, or switch the kernel on with the key
 * log's keys.
 */
static int
uks_direction(struct uk_ssl_pair *p, struct uks_side *sd, int dir, char *msg,
    size_t msglen)
{
	static const char *const dname[2] = { "transmit", "receive" };
	static const char *const ename[2] = { "client", "server" };
	struct uk_bio_offer *o;
	struct uk_ssl_keys k;
	struct tls_enable en;
	struct uk_bio *b;
	enum uk_ssl_ktls *mode;
	uint64_t *seqp;
	int error;

	b = sd->b;
	o = &b->offer[dir];
	mode = dir == UKB_TX ? &sd->e->tx : &sd->e->rx;
	seqp = dir == UKB_TX ? &sd->e->tx_seq : &sd->e->rx_seq;
	if (sd->log_lost)
		return (uks_fail(msg, msglen, ENOMEM, "%s: key log line lost",
		    ename[sd->idx]));
	error = uk_ssl_keylog_keys(sd->e->ssl, sd->log, sd->loglen,
	    dir == UKB_TX, &k, msg, msglen);
	if (error != 0)
		return (error);
	if (o->offered && o->error == 0) {
		/* The sequence number as counted when libssl offered. */
		p->checked++;
		if (uks_seq(sd, dir, o->records, &k.seq) == 0 &&
		    uk_ssl_keys_equal(&k, &o->keys))
			p->agreed++;
	}
	if (b->ktls[dir]) {
		*mode = UK_SSL_KTLS_LIBSSL;
		*seqp = o->keys.seq;
		sd->keys[dir] = o->keys;
		return (0);
	}
	if (!uk_bio_at_boundary(&b->dir[dir]) ||
	    uks_seq(sd, dir, b->dir[dir].records, &k.seq) != 0)
		return (uks_fail(msg, msglen, EPROTO,
		    "%s %s: cannot tell the record sequence number",
		    ename[sd->idx], dname[dir]));
	/* TLS 1.0: the next IV is the last ciphertext block sent. */
	if (k.cipher == CRYPTO_AES_CBC && k.vminor == TLS_MINOR_VER_ZERO &&
	    k.seq > 0) {
		if (b->dir[dir].last_block_len != sizeof(k.iv))
			return (uks_fail(msg, msglen, EPROTO,
			    "%s %s: no ciphertext block to chain from",
			    ename[sd->idx], dname[dir]));
		memcpy(k.iv, b->dir[dir].last_block, sizeof(k.iv));
	}
	uk_ssl_keys_enable(&k, &en);
	if (uk_setsockopt(sd->e->s, IPPROTO_TCP, dir == UKB_TX ?
	    TCP_TXTLS_ENABLE : TCP_RXTLS_ENABLE, &en, sizeof(en)) != 0) {
		/* FreeBSD receives no TLS 1.0: libssl keeps that one. */
		if (dir == UKB_RX && errno == EPROTONOSUPPORT) {
			*mode = UK_SSL_KTLS_NONE;
			return (0);
		}
		error = errno;
		return (uks_fail(msg, msglen, error, "%s %s: %s",
		    ename[sd->idx], dname[dir], dir == UKB_TX ?
		    "TCP_TXTLS_ENABLE refused" : "TCP_RXTLS_ENABLE refused"));
	}
	b->kernel[dir] = 1;
	*mode = UK_SSL_KTLS_KEYLOG;
	*seqp = k.seq;
	sd->keys[dir] = k;
	return (0);
}

static int
uks_handshake(struct uk_ssl_pair *p, char *msg, size_t msglen)
{
	static const char *const ename[2] = { "client", "server" };
	struct uk_ssl_end *e[2];
	char reason[256];
	int done[2], err, i, rc, round;

	e[0] = &p->client;
	e[1] = &p->server;
	done[0] = done[1] = 0;
	for (round = 0; round < UKS_MAX_ROUNDS; round++) {
		for (i = 0; i < 2; i++) {
			if (done[i])
				continue;
			rc = SSL_do_handshake(e[i]->ssl);
			if (rc == 1) {
				done[i] = 1;
				continue;
			}
			err = SSL_get_error(e[i]->ssl, rc);
			if (err != SSL_ERROR_WANT_READ &&
			    err != SSL_ERROR_WANT_WRITE)
				return (uks_fail(msg, msglen, EPROTO,
				    "%s handshake: %s", ename[i],
				    uks_ssl_reason(reason, sizeof(reason))));
		}
		(void)uk_net_run();
		if (done[0] && done[1])
			return (0);
	}
	return (uks_fail(msg, msglen, ETIMEDOUT,
	    "the handshake did not finish (%s still waiting)", done[0] ?
	    "server" : "client"));
}

static int
uks_check_negotiated(const struct uk_ssl_pair *p, const struct uk_suite *s,
    char *msg, size_t msglen)
{
	const struct uk_ssl_end *e;
	const SSL_CIPHER *c;
	int i;

	for (i = 0; i < 2; i++) {
		e = i == 0 ? &p->client : &p->server;
		c = SSL_get_current_cipher(e->ssl);
		if (SSL_version(e->ssl) != (0x0300 | s->tls_vminor) ||
		    c == NULL || strcmp(SSL_CIPHER_get_name(c),
		    s->openssl_name) != 0)
			return (uks_fail(msg, msglen, EPROTO,
			    "negotiated %s %s instead", SSL_get_version(e->ssl),
			    c != NULL ? SSL_CIPHER_get_name(c) : "nothing"));
	}
	return (0);
}

static void
uks_free(struct uk_ssl_pair *p)
{
	struct uk_ssl_end *e;
	struct uks_priv *priv;
	int i;

	priv = p->priv;
	for (i = 0; i < 2; i++) {
		e = i == 0 ? &p->client : &p->server;
		/* The BIO, once the SSL has it, closes the socket. */
		if ((e->ssl == NULL || SSL_get_rbio(e->ssl) == NULL) &&
		    e->s >= 0)
			(void)uk_close(e->s);
		SSL_free(e->ssl);
		e->ssl = NULL;
		e->s = -1;
		if (priv != NULL) {
			free(priv->side[i].log);
			free(priv->side[i].cap);
		}
	}
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
	if (priv != NULL && priv->keylog != NULL)
		fclose(priv->keylog);
	free(priv);
	/* Let the connections finish closing. */
	(void)uk_net_run();
	memset(p, 0, sizeof(*p));
	p->client.s = p->server.s = -1;
}

static int
uks_end_init(struct uk_ssl_pair *p, int idx, int s, int no_handoff)
{
	struct uks_priv *priv;
	struct uk_ssl_end *e;
	struct uks_side *sd;
	BIO *bio;

	priv = p->priv;
	e = idx == 0 ? &p->client : &p->server;
	sd = &priv->side[idx];
	sd->p = p;
	sd->e = e;
	sd->idx = idx;
	e->s = s;
	sd->cap = malloc(UKS_CAPTURE_MAX);
	e->ssl = SSL_new(idx == 0 ? p->cctx : p->sctx);
	if (sd->cap == NULL || e->ssl == NULL)
		return (ENOMEM);
	bio = uk_bio_new_socket(s, BIO_CLOSE);
	if (bio == NULL)
		return (ENOMEM);
	SSL_set_bio(e->ssl, bio, bio);		/* takes the one reference */
	sd->b = uk_bio_state(bio);
	sd->b->refuse = no_handoff;
	if (SSL_set_ex_data(e->ssl, uks_idx, sd) != 1)
		return (ENOMEM);
	SSL_set_msg_callback(e->ssl, uks_msg_cb);
	if (idx == 0)
		SSL_set_connect_state(e->ssl);
	else
		SSL_set_accept_state(e->ssl);
	return (uk_set_nonblock(s, 1) == 0 ? 0 : errno);
}

int
uk_ssl_pair_open(const struct uk_ssl_pair_config *cfg, struct uk_ssl_pair *p,
    char *msg, size_t msglen)
{
	const struct uk_suite *s;
	struct uks_priv *priv;
	const char *name;
	int dir, error, i, sv[2];

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if (p == NULL) {
		errno = EFAULT;
		return (-1);
	}
	memset(p, 0, sizeof(*p));
	p->client.s = p->server.s = -1;
	name = cfg != NULL && cfg->suite != NULL ? cfg->suite :
	    UKS_DEFAULT_SUITE;
	s = uk_suite_by_name(name);
	if (s == NULL) {
		errno = uks_fail(msg, msglen, EINVAL,
		    "unknown suite '%s' (uktls suites lists them)", name);
		return (-1);
	}
	if (s->openssl_name == NULL) {
		errno = uks_fail(msg, msglen, EPROTONOSUPPORT,
		    "%s: no TLS cipher suite pairs AES-128-CBC with "
		    "HMAC-SHA384 (only FreeBSD's KTLS table has it), so "
		    "libssl cannot negotiate it", name);
		return (-1);
	}
	(void)pthread_once(&uks_idx_once, uks_make_idx);
	if (uks_idx < 0 || uk_ssl_identity(NULL, NULL) != 0) {
		errno = uks_fail(msg, msglen, EIO,
		    "cannot make the certificate");
		return (-1);
	}
	priv = calloc(1, sizeof(*priv));
	if (priv == NULL) {
		errno = uks_fail(msg, msglen, ENOMEM, "out of memory");
		return (-1);
	}
	p->priv = priv;
	if (cfg != NULL && cfg->keylog_path != NULL &&
	    (priv->keylog = fopen(cfg->keylog_path, "a")) == NULL) {
		error = uks_fail(msg, msglen, errno, "%s: %s",
		    cfg->keylog_path, strerror(errno));
		goto fail;
	}
	p->cctx = uks_ctx(s, 0);
	p->sctx = uks_ctx(s, 1);
	if (p->cctx == NULL || p->sctx == NULL) {
		error = uks_fail(msg, msglen, EIO, "%s: libssl refused the "
		    "settings for %s", name, s->openssl_name);
		goto fail;
	}
	if (uk_socketpair_tcp(sv) != 0) {
		error = uks_fail(msg, msglen, errno, "uk_socketpair_tcp: %s",
		    strerror(errno));
		goto fail;
	}
	p->client.s = sv[0];
	p->server.s = sv[1];
	for (i = 0; i < 2; i++) {
		error = uks_end_init(p, i, sv[i], cfg != NULL &&
		    cfg->no_handoff);
		if (error != 0) {
			uks_fail(msg, msglen, error, "%s: %s", i == 0 ?
			    "client" : "server", strerror(error));
			goto fail;
		}
	}
	if ((error = uks_handshake(p, msg, msglen)) != 0 ||
	    (error = uks_check_negotiated(p, s, msg, msglen)) != 0)
		goto fail;
	for (i = 0; i < 2; i++)
		for (dir = UKB_TX; dir <= UKB_RX; dir++)
			if ((error = uks_direction(p, &priv->side[i], dir, msg,
			    msglen)) != 0)
				goto fail;
	priv->handshaken = 1;
	if (uk_set_nonblock(sv[0], 0) != 0 || uk_set_nonblock(sv[1], 0) != 0) {
		error = uks_fail(msg, msglen, errno, "uk_set_nonblock: %s",
		    strerror(errno));
		goto fail;
	}
	(void)uk_net_run();
	return (0);
fail:
	uks_free(p);
	errno = error;
	return (-1);
}

/* ---- sending ---------------------------------------------------------- */

static int
uks_errno_of(struct uks_side *sd, int err)
{

	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return (EAGAIN);
	case SSL_ERROR_SYSCALL:
		return (sd->b->last_errno != 0 ? sd->b->last_errno :
		    ECONNRESET);
	case SSL_ERROR_ZERO_RETURN:
		return (EPIPE);
	default:
		return (EPROTO);
	}
}

static ssize_t
uks_ssl_write(struct uks_side *sd, const void *buf, size_t len)
{
	size_t done, n;
	int err, r;

	for (done = 0; done < len; done += (size_t)r) {
		n = len - done < INT_MAX ? len - done : INT_MAX;
		sd->b->last_errno = 0;
		r = SSL_write(sd->e->ssl, (const uint8_t *)buf + done, (int)n);
		if (r > 0)
			continue;
		err = SSL_get_error(sd->e->ssl, r);
		ERR_clear_error();
		if (done > 0)
			break;
		errno = uks_errno_of(sd, err);
		return (-1);
	}
	return ((ssize_t)done);
}

ssize_t
uk_ssl_send(struct uk_ssl_end *e, uint8_t type, const void *buf, size_t len)
{
	struct uks_side *sd;
	ssize_t n;
	BIO *w;

	sd = uks_end_side(e);
	if (sd == NULL || type == 0 || (buf == NULL && len > 0)) {
		errno = EINVAL;
		return (-1);
	}
	if (type != TLS_RLTYPE_APP && len > TLS_MAX_MSG_SIZE_V10_2) {
		errno = EMSGSIZE;
		return (-1);
	}
	switch (e->tx) {
	case UK_SSL_KTLS_LIBSSL:
		if (type == TLS_RLTYPE_APP)
			return (uks_ssl_write(sd, buf, len));
		/*
		 * What libssl's record layer does for a control record
		 * (an empty one, which libssl never writes, goes to the
		 * socket: BIO_write() does not pass on zero bytes).
		 */
		if (len == 0)
			return (uk_bio_send_type(e->s, buf, 0, type));
		w = SSL_get_wbio(e->ssl);
		(void)BIO_ctrl(w, UKB_CTRL_SET_KTLS_CTRL_MSG, type, NULL);
		n = BIO_write(w, buf, (int)len);
		if (n < 0 || (size_t)n != len) {
			(void)BIO_ctrl(w, UKB_CTRL_CLEAR_KTLS_CTRL_MSG, 0,
			    NULL);
			errno = sd->b->last_errno != 0 ? sd->b->last_errno :
			    EIO;
			return (-1);
		}
		return (n);
	case UK_SSL_KTLS_KEYLOG:
		if (type == TLS_RLTYPE_APP)
			return (uk_send(e->s, buf, len, MSG_NOSIGNAL));
		return (uk_bio_send_type(e->s, buf, len, type));
	default:
		if (type == TLS_RLTYPE_APP)
			return (uks_ssl_write(sd, buf, len));
		errno = EOPNOTSUPP;
		return (-1);
	}
}

/*
 * SSL_sendfile() checks that the connection is up and not shut down and
 * that KTLS transmit is on, flushes the BIO, and calls the system's
 * sendfile on the socket's host descriptor: here, uk_sendfile() on the
 * uk_ socket, with FreeBSD's result convention (bytes queued even when
 * the call stops early).
 */
ssize_t
uk_ssl_sendfile(struct uk_ssl_end *e, int fd, off_t off, size_t len,
    int flags)
{
	struct uks_side *sd;
	off_t sbytes;
	int rc;

	sd = uks_end_side(e);
	if (sd == NULL || !SSL_is_init_finished(e->ssl)) {
		errno = EINVAL;
		return (-1);
	}
	if ((SSL_get_shutdown(e->ssl) & SSL_SENT_SHUTDOWN) != 0) {
		errno = EPIPE;
		return (-1);
	}
	if (e->tx != UK_SSL_KTLS_LIBSSL && e->tx != UK_SSL_KTLS_KEYLOG) {
		errno = EOPNOTSUPP;
		return (-1);
	}
	if (BIO_flush(SSL_get_wbio(e->ssl)) <= 0) {
		errno = EAGAIN;
		return (-1);
	}
	sbytes = 0;
	rc = uk_sendfile(fd, e->s, off, len, NULL, &sbytes, flags);
	if (rc != 0 && sbytes == 0)
		return (-1);
	return ((ssize_t)sbytes);
}

/* ---- receiving -------------------------------------------------------- */

/*
 * recvmsg() of (the rest of) one record with its TLS_GET_RECORD; peek
 * only looks.  Returns the byte count and the type, 0 with type 0 at the
 * end of the stream.
 */
static ssize_t
uks_recv_record(struct uks_side *sd, void *buf, size_t len, int peek,
    uint8_t *type, size_t *reclen)
{
	struct tls_get_record tgr;
	int ctl, flags;
	ssize_t n;

	n = uk_bio_recv_record(sd->e->s, buf, len, peek ? MSG_PEEK : 0, &tgr,
	    &ctl, &flags);
	if (n < 0)
		return (-1);
	if (ctl == 1) {
		*type = tgr.tls_type;
		if (reclen != NULL)
			*reclen = ntohs(tgr.tls_length);
	} else if (n == 0 && ctl == 0) {
		*type = 0;		/* the end of the stream */
		return (0);
	} else if (sd->raw_open && !peek && ctl == 0)
		*type = sd->raw_type;
	else {
		errno = EBADMSG;
		return (-1);
	}
	if (!peek) {
		sd->raw_type = *type;
		sd->raw_open = (flags & MSG_EOR) == 0;
	}
	return (n);
}

/*
 * SSL_read() of at most one more record (the BIO refuses a second),
 * with libssl's message callback noting a control record it acted on.
 * Returns -2 when libssl consumed a record and has nothing to show (an
 * empty one): read again.
 */
static ssize_t
uks_ssl_read(struct uks_side *sd, void *buf, size_t len, uint8_t *type)
{
	size_t n;
	int err, r;

	sd->b->rx_budget = SSL_pending(sd->e->ssl) > 0 ? 0 : 1;
	sd->b->rx_refused = 0;
	sd->b->last_errno = 0;
	sd->capture = 1;
	sd->captured = 0;
	n = len < INT_MAX ? len : INT_MAX;
	r = SSL_read(sd->e->ssl, buf, (int)n);
	err = r > 0 ? SSL_ERROR_NONE : SSL_get_error(sd->e->ssl, r);
	sd->b->rx_budget = -1;
	sd->capture = 0;
	if (sd->captured) {
		ERR_clear_error();
		*type = sd->cap_type;
		n = sd->cap_len < len ? sd->cap_len : len;
		memcpy(buf, sd->cap, n);
		return ((ssize_t)n);
	}
	if (r > 0) {
		*type = TLS_RLTYPE_APP;
		return (r);
	}
	/*
	 * Ended by the peer's fatal alert (libssl reports it as the end of
	 * the stream: its last warning alert, none, counts as close_notify).
	 */
	if (sd->peer_fatal) {
		ERR_clear_error();
		errno = ECONNRESET;
		return (-1);
	}
	if (err == SSL_ERROR_ZERO_RETURN ||
	    (err == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_last_error()) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		ERR_clear_error();
		*type = 0;
		return (0);
	}
	ERR_clear_error();
	if (err == SSL_ERROR_WANT_READ && sd->b->rx_refused)
		return (-2);
	errno = uks_errno_of(sd, err);
	return (-1);
}

ssize_t
uk_ssl_recv(struct uk_ssl_end *e, void *buf, size_t len, uint8_t *type)
{
	struct uks_side *sd;
	uint8_t one, t, tbuf;
	size_t reclen;
	ssize_t n;

	sd = uks_end_side(e);
	if (sd == NULL || (buf == NULL && len > 0)) {
		errno = EINVAL;
		return (-1);
	}
	if (type == NULL)
		type = &tbuf;
	for (;;) {
		if (e->rx == UK_SSL_KTLS_KEYLOG || sd->raw_open)
			return (uks_recv_record(sd, buf, len, 0, type, NULL));
		/*
		 * After the peer's close_notify or fatal alert libssl reads
		 * no more; it answers by itself.
		 */
		if (e->rx == UK_SSL_KTLS_LIBSSL &&
		    SSL_pending(e->ssl) == 0 &&
		    (SSL_get_shutdown(e->ssl) & SSL_RECEIVED_SHUTDOWN) == 0) {
			reclen = 0;
			n = uks_recv_record(sd, &one, sizeof(one), 1, &t,
			    &reclen);
			if (n < 0)
				return (-1);
			if (n == 0 && t == 0) {
				*type = 0;
				return (0);
			}
			/* Not for libssl: empty or not an alert. */
			if (t == TLS_RLTYPE_APP && reclen == 0) {
				if (uks_recv_record(sd, &one, sizeof(one), 0,
				    &t, NULL) < 0)
					return (-1);
				continue;
			}
			if (t != TLS_RLTYPE_APP && t != TLS_RLTYPE_ALERT)
				return (uks_recv_record(sd, buf, len, 0, type,
				    NULL));
		}
		n = uks_ssl_read(sd, buf, len, type);
		if (n != -2)
			return (n);
	}
}

/* ---- closing ---------------------------------------------------------- */

static void
uks_send_close_notify(struct uk_ssl_end *e)
{
	static const uint8_t close_notify[2] = { 1, 0 };

	if ((SSL_get_shutdown(e->ssl) & SSL_SENT_SHUTDOWN) != 0)
		return;
	if (e->tx == UK_SSL_KTLS_KEYLOG) {
		(void)uk_ssl_send(e, TLS_RLTYPE_ALERT, close_notify,
		    sizeof(close_notify));
		SSL_set_shutdown(e->ssl, SSL_get_shutdown(e->ssl) |
		    SSL_SENT_SHUTDOWN);
	} else
		(void)SSL_shutdown(e->ssl);
	ERR_clear_error();
}

/* Read and drop until the peer's close_notify or the end; 1 when done. */
static int
uks_await_close_notify(struct uk_ssl_end *e, uint8_t *scratch, size_t len)
{
	uint8_t type;
	ssize_t n;

	for (;;) {
		n = uk_ssl_recv(e, scratch, len, &type);
		if (n < 0)
			return (errno != EAGAIN);
		if (n == 0 && type == 0)
			return (1);
		if (type == TLS_RLTYPE_ALERT && n == 2 && scratch[1] == 0) {
			SSL_set_shutdown(e->ssl, SSL_get_shutdown(e->ssl) |
			    SSL_RECEIVED_SHUTDOWN);
			return (1);
		}
	}
}

/*
 * close_notify both ways, as far as the connection still allows, both
 * ends non-blocking and the network run in between.
 */
static void
uks_goodbye(struct uk_ssl_pair *p)
{
	struct uk_ssl_end *e[2];
	uint8_t *scratch;
	int done[2], i, round;

	e[0] = &p->client;
	e[1] = &p->server;
	scratch = malloc(UKS_CAPTURE_MAX);
	if (scratch == NULL)
		return;
	for (i = 0; i < 2; i++) {
		(void)uk_set_nonblock(e[i]->s, 1);
		uks_send_close_notify(e[i]);
	}
	done[0] = done[1] = 0;
	for (round = 0; round < 64 && !(done[0] && done[1]); round++) {
		(void)uk_net_run();
		for (i = 0; i < 2; i++)
			if (!done[i])
				done[i] = uks_await_close_notify(e[i], scratch,
				    UKS_CAPTURE_MAX);
	}
	free(scratch);
}

void
uk_ssl_pair_close(struct uk_ssl_pair *p)
{
	struct uks_priv *priv;

	if (p == NULL)
		return;
	priv = p->priv;
	if (priv != NULL && priv->handshaken)
		uks_goodbye(p);
	uks_free(p);
}
