/*
 * A BIO over a uk_ socket that answers libssl's KTLS controls, as
 * OpenSSL's socket BIO does on FreeBSD (docs/openssl.md).
 *
 * Before a direction is handed over, the BIO moves libssl's wire bytes
 * unchanged and follows the records in them (a small parser per
 * direction), so that the pair can tell how many records each direction
 * has carried: the record sequence number a hand-off must start at, and
 * for TLS 1.0 the last ciphertext block, which is the next record's IV.
 *
 * The hand-off.  With SSL_OP_ENABLE_KTLS, libssl calls
 * BIO_ctrl(bio, 72, which, info) when a direction's keys are ready
 * (which is libssl's SSL3_CC_WRITE bit for transmit, 0 for receive;
 * info is the Linux crypto-info this libssl was built for).  The BIO
 * translates info into struct tls_enable and calls uk_setsockopt();
 * answering 1 tells libssl that the kernel protects that direction from
 * now on:
 *
 *   transmit  each BIO_write is one record's plaintext; its type is
 *             application data unless ctrl 74 set another for this one
 *             write, in which case it goes out with uk_sendmsg() and a
 *             TLS_SET_RECORD_TYPE control message (ctrl 75 forgets it);
 *   receive   each BIO_read returns one record: a 5-byte header rebuilt
 *             from the TLS_GET_RECORD control message of uk_recvmsg(),
 *             then the plaintext.
 *
 * A direction the pair switched to the kernel behind libssl's back (keys
 * from the key log) refuses libssl's reads and writes: they would be
 * protected twice, or not at all.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>

#include <uktls/ktls.h>
#include <uktls/socket.h>
#include <uktls/ssl.h>

#include "uk_ssl_int.h"

/*
 * Linux's crypto-info (uapi linux/tls.h), which libssl 3.0 fills in on a
 * Linux build (its ktls_crypto_info_t is a union of these followed by a
 * size_t length).  All fields are bytes after two 16-bit words, so the
 * layouts have no padding.
 */
#define	LX_TLS_1_2_VERSION		0x0303
#define	LX_TLS_1_3_VERSION		0x0304
#define	LX_CIPHER_AES_GCM_128		51
#define	LX_CIPHER_AES_GCM_256		52
#define	LX_CIPHER_AES_CCM_128		53
#define	LX_CIPHER_CHACHA20_POLY1305	54

struct lx_info {
	uint16_t	version;
	uint16_t	cipher_type;
};

struct lx_gcm128 {
	struct lx_info	info;
	uint8_t		iv[8];
	uint8_t		key[16];
	uint8_t		salt[4];
	uint8_t		rec_seq[8];
};

struct lx_gcm256 {
	struct lx_info	info;
	uint8_t		iv[8];
	uint8_t		key[32];
	uint8_t		salt[4];
	uint8_t		rec_seq[8];
};

struct lx_chacha {
	struct lx_info	info;
	uint8_t		iv[12];
	uint8_t		key[32];
	uint8_t		rec_seq[8];
};

#if defined(__has_include)
#if __has_include(<linux/tls.h>)
#include <linux/tls.h>
_Static_assert(sizeof(struct lx_gcm128) ==
    sizeof(struct tls12_crypto_info_aes_gcm_128) &&
    offsetof(struct lx_gcm128, salt) ==
    offsetof(struct tls12_crypto_info_aes_gcm_128, salt),
    "AES-128-GCM crypto-info layout");
_Static_assert(sizeof(struct lx_gcm256) ==
    sizeof(struct tls12_crypto_info_aes_gcm_256) &&
    offsetof(struct lx_gcm256, rec_seq) ==
    offsetof(struct tls12_crypto_info_aes_gcm_256, rec_seq),
    "AES-256-GCM crypto-info layout");
_Static_assert(sizeof(struct lx_chacha) ==
    sizeof(struct tls12_crypto_info_chacha20_poly1305) &&
    offsetof(struct lx_chacha, rec_seq) ==
    offsetof(struct tls12_crypto_info_chacha20_poly1305, rec_seq),
    "ChaCha20-Poly1305 crypto-info layout");
_Static_assert(LX_CIPHER_AES_GCM_128 == TLS_CIPHER_AES_GCM_128 &&
    LX_CIPHER_AES_GCM_256 == TLS_CIPHER_AES_GCM_256 &&
    LX_CIPHER_CHACHA20_POLY1305 == TLS_CIPHER_CHACHA20_POLY1305,
    "Linux cipher numbers");
#endif
#endif

static uint64_t
ukb_be64(const uint8_t *p)
{
	uint64_t v;
	int i;

	for (v = 0, i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

void
uk_ssl_keys_enable(const struct uk_ssl_keys *k, struct tls_enable *en)
{
	int i;

	memset(en, 0, sizeof(*en));
	en->cipher_algorithm = k->cipher;
	en->cipher_key = k->key;
	en->cipher_key_len = (int)k->key_len;
	en->iv = k->iv_len != 0 ? k->iv : NULL;
	en->iv_len = (int)k->iv_len;
	en->auth_algorithm = k->auth;
	en->auth_key = k->mac_len != 0 ? k->mac : NULL;
	en->auth_key_len = (int)k->mac_len;
	en->tls_vmajor = TLS_MAJOR_VER_ONE;
	en->tls_vminor = k->vminor;
	for (i = 0; i < 8; i++)
		en->rec_seq[i] = (uint8_t)(k->seq >> (56 - 8 * i));
}

int
uk_ssl_keys_equal(const struct uk_ssl_keys *a, const struct uk_ssl_keys *b)
{

	return (a->cipher == b->cipher && a->auth == b->auth &&
	    a->vminor == b->vminor && a->key_len == b->key_len &&
	    a->iv_len == b->iv_len && a->mac_len == b->mac_len &&
	    a->seq == b->seq && memcmp(a->key, b->key, a->key_len) == 0 &&
	    memcmp(a->iv, b->iv, a->iv_len) == 0 &&
	    memcmp(a->mac, b->mac, a->mac_len) == 0);
}

/*
 * Linux keeps a TLS 1.2 GCM nonce as salt (4 bytes from the key block)
 * and iv (8 bytes: the explicit nonce of the next record, libssl's
 * counter); FreeBSD takes only the salt and writes its own explicit
 * nonce.  TLS 1.3 GCM: salt | iv is the 12-byte IV.  ChaCha20-Poly1305
 * has the whole 12-byte IV in iv.
 */
int
uk_ssl_crypto_info_keys(const void *info, struct uk_ssl_keys *k,
    uint16_t *version, uint16_t *cipher_type)
{
	const struct lx_gcm128 *g128;
	const struct lx_gcm256 *g256;
	const struct lx_chacha *cc;
	struct lx_info hdr;
	const uint8_t *salt, *iv, *key, *seq;

	memcpy(&hdr, info, sizeof(hdr));
	*version = hdr.version;
	*cipher_type = hdr.cipher_type;
	memset(k, 0, sizeof(*k));
	if (hdr.version != LX_TLS_1_2_VERSION &&
	    hdr.version != LX_TLS_1_3_VERSION)
		return (EINVAL);
	k->vminor = (uint8_t)(hdr.version & 0xff);
	switch (hdr.cipher_type) {
	case LX_CIPHER_AES_GCM_128:
		g128 = info;
		salt = g128->salt;
		iv = g128->iv;
		key = g128->key;
		seq = g128->rec_seq;
		k->key_len = sizeof(g128->key);
		break;
	case LX_CIPHER_AES_GCM_256:
		g256 = info;
		salt = g256->salt;
		iv = g256->iv;
		key = g256->key;
		seq = g256->rec_seq;
		k->key_len = sizeof(g256->key);
		break;
	case LX_CIPHER_CHACHA20_POLY1305:
		cc = info;
		k->cipher = CRYPTO_CHACHA20_POLY1305;
		memcpy(k->key, cc->key, sizeof(cc->key));
		k->key_len = sizeof(cc->key);
		memcpy(k->iv, cc->iv, sizeof(cc->iv));
		k->iv_len = sizeof(cc->iv);
		k->seq = ukb_be64(cc->rec_seq);
		return (0);
	default:
		/* AES-128-CCM and anything newer: FreeBSD has no such suite. */
		return (EINVAL);
	}
	k->cipher = CRYPTO_AES_NIST_GCM_16;
	memcpy(k->key, key, k->key_len);
	memcpy(k->iv, salt, 4);
	k->iv_len = 4;
	if (hdr.version == LX_TLS_1_3_VERSION) {
		memcpy(k->iv + 4, iv, 8);
		k->iv_len = 12;
	}
	k->seq = ukb_be64(seq);
	return (0);
}

/* ---- following the records ------------------------------------------- */

int
uk_bio_at_boundary(const struct uk_bio_dir *d)
{

	return (d->hdr_got == 0 && d->body_left == 0);
}

/* Keep the last 16 body bytes of the record being parsed. */
static void
ukb_tail(struct uk_bio_dir *d, size_t *have, const uint8_t *p, size_t n)
{
	size_t keep;

	if (n >= sizeof(d->tail)) {
		memcpy(d->tail, p + n - sizeof(d->tail), sizeof(d->tail));
		*have = sizeof(d->tail);
		return;
	}
	keep = *have + n > sizeof(d->tail) ? sizeof(d->tail) - n : *have;
	memmove(d->tail, d->tail + *have - keep, keep);
	memcpy(d->tail + keep, p, n);
	*have = keep + n;
}

static void
ukb_record_done(struct uk_bio_dir *d, size_t tail_have)
{

	d->records++;
	if (d->hdr[0] == 20) {		/* change_cipher_spec */
		d->ccs_seen = 1;
		d->ccs_mark = d->records;
	}
	memcpy(d->last_block, d->tail, tail_have);
	d->last_block_len = tail_have;
	d->hdr_got = 0;
	d->body_left = 0;
}

/*
 * Follow n wire bytes.  The bytes of the tail seen so far are counted
 * from the record's length: body_len - body_left.
 */
void
uk_bio_parse(struct uk_bio_dir *d, const uint8_t *p, size_t n)
{
	size_t body_len, have, take;

	while (n > 0) {
		if (d->hdr_got < sizeof(d->hdr)) {
			take = sizeof(d->hdr) - d->hdr_got;
			if (take > n)
				take = n;
			memcpy(d->hdr + d->hdr_got, p, take);
			d->hdr_got += take;
			p += take;
			n -= take;
			if (d->hdr_got < sizeof(d->hdr))
				break;
			d->body_left = (size_t)d->hdr[3] << 8 | d->hdr[4];
			if (d->body_left == 0)
				ukb_record_done(d, 0);
			continue;
		}
		body_len = (size_t)d->hdr[3] << 8 | d->hdr[4];
		have = body_len - d->body_left;
		if (have > sizeof(d->tail))
			have = sizeof(d->tail);
		take = d->body_left < n ? d->body_left : n;
		ukb_tail(d, &have, p, take);
		d->body_left -= take;
		p += take;
		n -= take;
		if (d->body_left == 0)
			ukb_record_done(d, have);
	}
}

/* ---- the BIO method -------------------------------------------------- */

static BIO_METHOD *ukb_method;
static int ukb_type;
static pthread_once_t ukb_once = PTHREAD_ONCE_INIT;

static int
ukb_retryable(int e)
{

	return (e == EAGAIN || e == EWOULDBLOCK || e == EINTR);
}

/* One record of a type other than application data, all at once. */
ssize_t
uk_bio_send_type(int s, const void *buf, size_t len, uint8_t type)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(1)];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = IPPROTO_TCP;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(cm) = type;
	return (uk_sendmsg(s, &msg, MSG_NOSIGNAL));
}

static int
ukb_write(BIO *b, const char *buf, int len)
{
	struct uk_bio *st;
	ssize_t n;
	int type;

	st = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (len < 0) {
		st->last_errno = errno = EINVAL;
		return (-1);
	}
	if (st->kernel[UKB_TX] && !st->ktls[UKB_TX]) {
		st->last_errno = errno = EPROTO;
		return (-1);
	}
	if (st->ktls[UKB_TX]) {
		type = st->ctrl_type != 0 ? st->ctrl_type : TLS_RLTYPE_APP;
		if (type != TLS_RLTYPE_APP)
			n = uk_bio_send_type(st->s, buf, (size_t)len,
			    (uint8_t)type);
		else
			n = uk_send(st->s, buf, (size_t)len, MSG_NOSIGNAL);
		if (n >= 0) {
			st->ctrl_type = 0;	/* one-shot */
			st->dir[UKB_TX].records++;
		}
	} else {
		n = uk_send(st->s, buf, (size_t)len, MSG_NOSIGNAL);
		if (n > 0)
			uk_bio_parse(&st->dir[UKB_TX], (const uint8_t *)buf,
			    (size_t)n);
	}
	if (n < 0) {
		st->last_errno = errno;
		if (ukb_retryable(errno))
			BIO_set_retry_write(b);
		return (-1);
	}
	return ((int)n);
}

/*
 * uk_recvmsg() of at most len bytes of one record with its control
 * message.  *ctl is 1 when a well-formed TLS_GET_RECORD came (copied to
 * *tgr), 0 when no control message came, -1 for anything else.
 */
ssize_t
uk_bio_recv_record(int s, void *buf, size_t len, int flags,
    struct tls_get_record *tgr, int *ctl, int *msg_flags)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct tls_get_record))];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	n = uk_recvmsg(s, &msg, flags);
	if (n < 0)
		return (-1);
	*msg_flags = msg.msg_flags;
	*ctl = msg.msg_controllen != 0 ? -1 : 0;
	cm = msg.msg_controllen != 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm != NULL && cm->cmsg_level == IPPROTO_TCP &&
	    cm->cmsg_type == TLS_GET_RECORD &&
	    cm->cmsg_len == CMSG_LEN(sizeof(*tgr))) {
		memcpy(tgr, CMSG_DATA(cm), sizeof(*tgr));
		*ctl = 1;
	}
	return (n);
}

/*
 * One record from a KTLS receive socket: its header rebuilt from
 * TLS_GET_RECORD (type and version from the wire, the plaintext length),
 * then the plaintext.  A record that does not fit, or comes without its
 * control message, is an error (EMSGSIZE, EBADMSG), as in OpenSSL's
 * FreeBSD ktls_read_record().
 */
static ssize_t
ukb_read_record(struct uk_bio *st, char *out, size_t outl)
{
	struct tls_get_record tgr;
	int ctl, flags;
	ssize_t n;

	if (outl <= 5) {
		errno = EINVAL;
		return (-1);
	}
	n = uk_bio_recv_record(st->s, out + 5, outl - 5, 0, &tgr, &ctl,
	    &flags);
	if (n < 0)
		return (-1);
	if (n == 0 && ctl == 0)
		return (0);
	if ((flags & (MSG_EOR | MSG_CTRUNC)) != MSG_EOR) {
		errno = EMSGSIZE;
		return (-1);
	}
	if (ctl != 1) {
		errno = EBADMSG;
		return (-1);
	}
	out[0] = (char)tgr.tls_type;
	out[1] = (char)tgr.tls_vmajor;
	out[2] = (char)tgr.tls_vminor;
	out[3] = (char)(n >> 8);
	out[4] = (char)n;
	return (n + 5);
}

static int
ukb_read(BIO *b, char *out, int outl)
{
	struct uk_bio_dir *d;
	struct uk_bio *st;
	ssize_t n;
	int start;

	st = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (outl <= 0)
		return (0);
	if (st->kernel[UKB_RX] && !st->ktls[UKB_RX]) {
		st->last_errno = errno = EPROTO;
		return (-1);
	}
	d = &st->dir[UKB_RX];
	start = st->ktls[UKB_RX] || uk_bio_at_boundary(d);
	if (start && st->rx_budget == 0) {
		st->rx_refused = 1;
		BIO_set_retry_read(b);
		return (-1);
	}
	if (st->ktls[UKB_RX])
		n = ukb_read_record(st, out, (size_t)outl);
	else
		n = uk_recv(st->s, out, (size_t)outl, 0);
	if (n < 0) {
		st->last_errno = errno;
		if (ukb_retryable(errno))
			BIO_set_retry_read(b);
		return (-1);
	}
	if (n == 0) {
		st->eof = 1;
		return (0);
	}
	if (start && st->rx_budget > 0)
		st->rx_budget--;
	if (st->ktls[UKB_RX])
		d->records++;
	else
		uk_bio_parse(d, (const uint8_t *)out, (size_t)n);
	return ((int)n);
}

/* BIO_CTRL_SET_KTLS: take a direction over if the kernel accepts it. */
static long
ukb_set_ktls(struct uk_bio *st, int tx, void *info)
{
	struct uk_bio_offer *o;
	struct tls_enable en;
	int dir;

	dir = tx ? UKB_TX : UKB_RX;
	o = &st->offer[dir];
	memset(o, 0, sizeof(*o));
	o->offered = 1;
	o->records = st->dir[dir].records;
	o->error = info == NULL ? EINVAL : uk_ssl_crypto_info_keys(info,
	    &o->keys, &o->version, &o->cipher_type);
	if (o->error != 0)
		return (0);
	/* Only between records: the kernel starts at a record boundary. */
	if (st->refuse || st->kernel[dir] ||
	    !uk_bio_at_boundary(&st->dir[dir]))
		return (0);
	uk_ssl_keys_enable(&o->keys, &en);
	if (uk_setsockopt(st->s, IPPROTO_TCP, tx ? TCP_TXTLS_ENABLE :
	    TCP_RXTLS_ENABLE, &en, sizeof(en)) != 0) {
		o->kernel_error = errno;
		return (0);
	}
	o->taken = 1;
	st->ktls[dir] = st->kernel[dir] = 1;
	return (1);
}

static long
ukb_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct uk_bio *st;

	st = BIO_get_data(b);
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		if (st->mark_pending) {
			st->mark_pending = 0;
			st->marked = 1;
			st->mark_records = st->dir[UKB_TX].records;
		}
		return (1);
	case BIO_CTRL_EOF:
		return (st->eof);
	case BIO_CTRL_GET_CLOSE:
		return (BIO_get_shutdown(b));
	case BIO_CTRL_SET_CLOSE:
		BIO_set_shutdown(b, (int)num);
		return (1);
	case BIO_CTRL_DUP:
		return (1);
	case UKB_CTRL_SET_KTLS:
		st->n_set_ktls++;
		return (ukb_set_ktls(st, num != 0, ptr));
	case UKB_CTRL_GET_KTLS_SEND:
		return (st->ktls[UKB_TX]);
	case UKB_CTRL_GET_KTLS_RECV:
		return (st->ktls[UKB_RX]);
	case UKB_CTRL_SET_KTLS_CTRL_MSG:
		st->n_ctrl_msg++;
		st->ctrl_type = (int)(num & 0xff);
		return (1);
	case UKB_CTRL_CLEAR_KTLS_CTRL_MSG:
		st->n_clear_ctrl_msg++;
		st->ctrl_type = 0;
		return (1);
	case UKB_CTRL_SET_KTLS_ZEROCOPY:
		/* uk_sendfile() never copies the file's pages. */
		st->n_zerocopy++;
		return (st->ktls[UKB_TX]);
	default:
		return (0);
	}
}

static int
ukb_destroy(BIO *b)
{
	struct uk_bio *st;

	st = BIO_get_data(b);
	if (st == NULL)
		return (1);
	if (BIO_get_shutdown(b) != 0 && st->s >= 0)
		(void)uk_close(st->s);
	free(st);
	BIO_set_data(b, NULL);
	BIO_set_init(b, 0);
	return (1);
}

static void
ukb_make_method(void)
{
	BIO_METHOD *m;

	ukb_type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
	m = BIO_meth_new(ukb_type, "uk_socket");
	if (m == NULL)
		return;
	if (BIO_meth_set_write(m, ukb_write) != 1 ||
	    BIO_meth_set_read(m, ukb_read) != 1 ||
	    BIO_meth_set_ctrl(m, ukb_ctrl) != 1 ||
	    BIO_meth_set_destroy(m, ukb_destroy) != 1) {
		BIO_meth_free(m);
		return;
	}
	ukb_method = m;
}

BIO *
uk_bio_new_socket(int s, int close_flag)
{
	struct uk_bio *st;
	BIO *b;

	(void)pthread_once(&ukb_once, ukb_make_method);
	if (ukb_method == NULL) {
		errno = ENOMEM;
		return (NULL);
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return (NULL);
	b = BIO_new(ukb_method);
	if (b == NULL) {
		free(st);
		errno = ENOMEM;
		return (NULL);
	}
	st->s = s;
	st->rx_budget = -1;
	BIO_set_data(b, st);
	BIO_set_shutdown(b, close_flag);
	BIO_set_init(b, 1);
	return (b);
}

struct uk_bio *
uk_bio_state(BIO *b)
{

	(void)pthread_once(&ukb_once, ukb_make_method);
	if (b == NULL || ukb_method == NULL ||
	    BIO_method_type(b) != ukb_type)
		return (NULL);
	return (BIO_get_data(b));
}
