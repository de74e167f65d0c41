/*
 * The per-case fixture of the FreeBSD suite (see fb_fixture.h): seeded
 * randomness, the session's struct tls_enable, the model as the peer's
 * record layer, the socket pair and FreeBSD's receive checks.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/uktls.h>

#include "../unit/ktls_rx_fixture.h"
#include "fb_fixture.h"
#include "tls_record.h"
#include "uktest.h"

#define	FB_SEED		0x6b746c735f746573ULL	/* "ktls_tes" */

uint64_t
fb_rand(struct fb_rng *r)
{
	uint64_t z;

	r->s += 0x9E3779B97F4A7C15ULL;
	z = r->s;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31));
}

/* ASCII printable values between 0x20 and 0x7e, as rdigit(). */
static uint8_t
fb_rdigit(struct fb_rng *r)
{

	return ((uint8_t)(0x20 + fb_rand(r) % (0x7f - 0x20)));
}

static void
fb_fill(struct fb_rng *r, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = fb_rdigit(r);
}

uint8_t *
fb_alloc_buffer(struct fb_rng *r, size_t len)
{
	uint8_t *p;

	if (len == 0)
		return (NULL);
	p = malloc(len);
	ck_assert_ptr_nonnull(p);
	fb_fill(r, p, len);
	return (p);
}

void
fb_build_enable(struct fb_rng *r, const struct fb_suite *s, uint64_t seqno,
    struct fb_keys *k)
{
	struct tls_enable *en = &k->en;
	int auth_key_len, i, iv_len;

	switch (s->cipher) {
	case CRYPTO_AES_CBC:
		iv_len = s->minor == TLS_MINOR_VER_ZERO ? AES_BLOCK_LEN : 0;
		break;
	case CRYPTO_AES_NIST_GCM_16:
		iv_len = s->minor == TLS_MINOR_VER_TWO ? TLS_AEAD_GCM_LEN :
		    TLS_1_3_GCM_IV_LEN;
		break;
	case CRYPTO_CHACHA20_POLY1305:
		iv_len = TLS_CHACHA20_IV_LEN;
		break;
	default:
		iv_len = 0;
		break;
	}
	switch (s->auth) {
	case CRYPTO_SHA1_HMAC:
		auth_key_len = SHA1_HASH_LEN;
		break;
	case CRYPTO_SHA2_256_HMAC:
		auth_key_len = SHA2_256_HASH_LEN;
		break;
	case CRYPTO_SHA2_384_HMAC:
		auth_key_len = SHA2_384_HASH_LEN;
		break;
	default:
		auth_key_len = 0;
		break;
	}
	memset(k, 0, sizeof(*k));
	fb_fill(r, k->cipher_key, (size_t)s->key_len);
	fb_fill(r, k->iv, (size_t)iv_len);
	fb_fill(r, k->auth_key, (size_t)auth_key_len);
	en->cipher_key = k->cipher_key;
	en->iv = iv_len != 0 ? k->iv : NULL;
	en->auth_key = auth_key_len != 0 ? k->auth_key : NULL;
	en->cipher_algorithm = s->cipher;
	en->cipher_key_len = s->key_len;
	en->iv_len = iv_len;
	en->auth_algorithm = s->auth;
	en->auth_key_len = auth_key_len;
	en->tls_vmajor = TLS_MAJOR_VER_ONE;
	en->tls_vminor = (uint8_t)s->minor;
	for (i = 0; i < 8; i++)
		en->rec_seq[i] = (uint8_t)(seqno >> (56 - 8 * i));
}

void
fb_model_state(const struct tls_enable *en, struct tlsm_state *st)
{
	enum tlsm_cipher cipher;
	enum tlsm_mac mac;

	switch (en->cipher_algorithm) {
	case CRYPTO_AES_CBC:
		cipher = TLSM_CBC;
		break;
	case CRYPTO_AES_NIST_GCM_16:
		cipher = TLSM_GCM;
		break;
	default:
		cipher = TLSM_CHACHA;
		break;
	}
	switch (en->auth_algorithm) {
	case CRYPTO_SHA1_HMAC:
		mac = TLSM_MAC_SHA1;
		break;
	case CRYPTO_SHA2_256_HMAC:
		mac = TLSM_MAC_SHA256;
		break;
	case CRYPTO_SHA2_384_HMAC:
		mac = TLSM_MAC_SHA384;
		break;
	default:
		mac = TLSM_MAC_NONE;
		break;
	}
	ck_assert_int_eq(tlsm_init(st, (uint16_t)(0x0300 | en->tls_vminor),
	    cipher, mac, en->cipher_key, (size_t)en->cipher_key_len, en->iv,
	    (size_t)en->iv_len, en->auth_key, (size_t)en->auth_key_len), 0);
}

size_t
fb_header_len(const struct tls_enable *en)
{
	size_t len;

	len = sizeof(struct tls_record_layer);
	switch (en->cipher_algorithm) {
	case CRYPTO_AES_CBC:
		if (en->tls_vminor != TLS_MINOR_VER_ZERO)
			len += AES_BLOCK_LEN;
		return (len);
	case CRYPTO_AES_NIST_GCM_16:
		if (en->tls_vminor == TLS_MINOR_VER_TWO)
			len += sizeof(uint64_t);
		return (len);
	case CRYPTO_CHACHA20_POLY1305:
		return (len);
	default:
		return (0);
	}
}

size_t
fb_mac_len(const struct tls_enable *en)
{

	switch (en->cipher_algorithm) {
	case CRYPTO_AES_CBC:
		switch (en->auth_algorithm) {
		case CRYPTO_SHA1_HMAC:
			return (SHA1_HASH_LEN);
		case CRYPTO_SHA2_256_HMAC:
			return (SHA2_256_HASH_LEN);
		case CRYPTO_SHA2_384_HMAC:
			return (SHA2_384_HASH_LEN);
		default:
			return (0);
		}
	case CRYPTO_AES_NIST_GCM_16:
		return (AES_GMAC_HASH_LEN);
	case CRYPTO_CHACHA20_POLY1305:
		return (POLY1305_HASH_LEN);
	default:
		return (0);
	}
}

/* The largest trailer: MAC and a whole block of CBC padding. */
size_t
fb_trailer_len(const struct tls_enable *en)
{
	size_t len;

	len = fb_mac_len(en);
	if (en->cipher_algorithm == CRYPTO_AES_CBC)
		len += AES_BLOCK_LEN;
	if (en->tls_vminor == TLS_MINOR_VER_THREE)
		len++;
	return (len);
}

size_t
fb_min_payload(const struct tls_enable *en)
{
	size_t len, mac;

	len = fb_header_len(en);
	mac = fb_mac_len(en);
	if (en->cipher_algorithm == CRYPTO_AES_CBC)
		len += (mac + 1 + AES_BLOCK_LEN - 1) & ~(size_t)(AES_BLOCK_LEN -
		    1);
	else
		len += mac;
	if (en->tls_vminor == TLS_MINOR_VER_THREE)
		len++;
	return (len - sizeof(struct tls_record_layer));
}

/* ---- sockets ------------------------------------------------------------ */

void
fb_open_sockets(struct fb_ctx *x)
{

	ck_assert_msg(uk_socketpair_tcp(x->sv) == 0, "%s: socketpair_tcp: %s",
	    x->c->name, strerror(errno));
	ck_assert_int_eq(uk_set_nonblock(x->sv[0], 1), 0);
	ck_assert_int_eq(uk_set_nonblock(x->sv[1], 1), 0);
}

void
fb_set_blocking(int fd)
{

	ck_assert_int_eq(uk_set_nonblock(fd, 0), 0);
}

void
fb_close_sockets(struct fb_ctx *x)
{
	int conns, i, packets;

	for (i = 0; i < 2; i++) {
		if (x->sv[i] < 0)
			continue;
		ck_assert_msg(uk_close(x->sv[i]) == 0, "%s: close: %s",
		    x->c->name, strerror(errno));
		x->sv[i] = -1;
	}
	(void)uk_net_run();
	uk_net_counts(&packets, &conns);
	ck_assert_int_eq(packets, 0);
	ck_assert_int_eq(conns, 0);
}

void
fb_enable(struct fb_ctx *x, int fd, int optname)
{
	socklen_t len;
	int mode;

	ck_assert_msg(uk_setsockopt(fd, IPPROTO_TCP, optname, &x->keys.en,
	    sizeof(x->keys.en)) == 0, "%s: %s: %s", x->c->name,
	    optname == TCP_TXTLS_ENABLE ? "TCP_TXTLS_ENABLE" :
	    "TCP_RXTLS_ENABLE", strerror(errno));
	/* check_tls_mode(): the session runs in the mode under test. */
	len = sizeof(mode);
	ck_assert_int_eq(uk_getsockopt(fd, IPPROTO_TCP, optname ==
	    TCP_TXTLS_ENABLE ? TCP_TXTLS_MODE : TCP_RXTLS_MODE, &mode, &len),
	    0);
	ck_assert_msg(mode == x->mode->tls_mode, "%s: mode %d, not %s",
	    x->c->name, mode, x->mode->name);
}

void
fb_wait(struct fb_ctx *x, int writing, int *readable, int *writable)
{
	struct pollfd pfd[2];
	int n;

	pfd[0].fd = x->sv[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = writing ? x->sv[1] : -1;
	pfd[1].events = POLLOUT;
	pfd[0].revents = pfd[1].revents = 0;
	n = uk_poll(pfd, 2, -1);
	ck_assert_msg(n > 0, "%s: poll: %d (%s)", x->c->name, n,
	    n < 0 ? strerror(errno) : "nothing moves");
	ck_assert_msg((pfd[0].revents & (POLLHUP | POLLERR)) == 0,
	    "%s: reader: end of stream or error (%#x)", x->c->name,
	    pfd[0].revents);
	*readable = (pfd[0].revents & POLLIN) != 0;
	*writable = (pfd[1].revents & POLLOUT) != 0;
}

uint8_t *
fb_record_buffer(struct fb_ctx *x, size_t *cap)
{
	uint8_t *p;

	*cap = fb_header_len(&x->keys.en) + TLS_MAX_MSG_SIZE_V10_2 +
	    fb_trailer_len(&x->keys.en);
	p = malloc(*cap);
	ck_assert_ptr_nonnull(p);
	return (p);
}

/* ---- records ------------------------------------------------------------ */

size_t
fb_decrypt_record(struct fb_ctx *x, struct tlsm_state *st, uint64_t seqno,
    const uint8_t *src, size_t len, uint8_t *dst, size_t avail,
    uint8_t *type)
{
	const struct tls_enable *en = &x->keys.en;
	uint8_t *buf;
	size_t outlen;
	int error;

	ck_assert_uint_eq(len, sizeof(struct tls_record_layer) +
	    ((size_t)src[3] << 8 | src[4]));
	ck_assert_uint_eq(src[1], TLS_MAJOR_VER_ONE);
	if (en->tls_vminor == TLS_MINOR_VER_THREE) {
		/* The outer header of every TLS 1.3 record. */
		ck_assert_uint_eq(src[0], TLS_RLTYPE_APP);
		ck_assert_uint_eq(src[2], TLS_MINOR_VER_TWO);
		ck_assert_uint_ge(len, fb_header_len(en) + fb_mac_len(en) + 1);
	} else
		ck_assert_uint_eq(src[2], en->tls_vminor);

	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	error = tlsm_open(st, seqno, src, len, type, buf, len, &outlen);
	ck_assert_msg(error == 0, "%s: record seq %ju (%zu bytes) does not "
	    "open: %s", x->c->name, (uintmax_t)seqno, len, strerror(error));
	/*
	 * The kernel pads CBC minimally and never pads TLS 1.3: the record
	 * is exactly as long as one the model makes with no extra padding
	 * (the inner type is the last byte, and padding is 1..16 bytes).
	 */
	ck_assert_msg(len == tlsm_sealed_len(st, outlen, NULL),
	    "%s: record seq %ju: %zu bytes for %zu of plaintext, not %zu",
	    x->c->name, (uintmax_t)seqno, len, outlen,
	    tlsm_sealed_len(st, outlen, NULL));
	if (en->tls_vminor != TLS_MINOR_VER_THREE)
		ck_assert_uint_eq(*type, src[0]);
	ck_assert_msg(outlen <= avail, "%s: payload_len (%zu) > avail (%zu)",
	    x->c->name, outlen, avail);
	if (outlen != 0)
		memcpy(dst, buf, outlen);
	free(buf);
	return (outlen);
}

size_t
fb_encrypt_record(struct fb_ctx *x, struct tlsm_state *st, uint8_t type,
    uint64_t seqno, const uint8_t *src, size_t len, uint8_t *dst,
    size_t avail, size_t padding)
{
	const struct tls_enable *en = &x->keys.en;
	struct tlsm_seal_opts o;
	uint8_t iv[AES_BLOCK_LEN];
	size_t mac, outlen;
	int error;

	memset(&o, 0, sizeof(o));
	if (en->cipher_algorithm == CRYPTO_AES_CBC) {
		/* padding_length + 1 bytes, filling whole blocks. */
		ck_assert_uint_eq(padding % AES_BLOCK_LEN, 0);
		mac = fb_mac_len(en);
		o.cbc_pad = padding + AES_BLOCK_LEN - (len + mac) %
		    AES_BLOCK_LEN;
		ck_assert_uint_le(o.cbc_pad, 256);
		/* The explicit IV, random as FreeBSD's rdigit() bytes. */
		fb_fill(&x->rng, iv, sizeof(iv));
		o.explicit_iv = iv;
	} else if (en->tls_vminor == TLS_MINOR_VER_THREE)
		o.tls13_pad = padding;
	else
		ck_assert_uint_eq(padding, 0);
	error = tlsm_seal(st, seqno, type, src, len, &o, dst, avail, &outlen);
	ck_assert_msg(error == 0, "%s: seal %zu bytes: %s", x->c->name, len,
	    strerror(error));
	return (outlen);
}

/* ---- control messages --------------------------------------------------- */

void
fb_send_control(int fd, uint8_t type, const void *data, size_t len)
{

	ck_assert_int_eq(kfx_send_type(fd, data, len, type), (ssize_t)len);
}

size_t
fb_receive_record(struct fb_ctx *x, int fd, uint8_t type, void *data,
    size_t len)
{
	const struct tls_enable *en = &x->keys.en;
	struct tls_get_record tgr;
	size_t controllen;
	ssize_t rv;
	int flags;

	/*
	 * rfx_recvmsg() fills tgr only from a message of level IPPROTO_TCP,
	 * type TLS_GET_RECORD and cmsg_len CMSG_LEN(sizeof(tgr)); otherwise
	 * it stays zero and the type check below fails.
	 */
	rv = rfx_recvmsg(fd, data, len, 0, CMSG_SPACE(sizeof(tgr)), &tgr,
	    &flags, &controllen);
	ck_assert_msg(rv > 0, "%s: recvmsg: %zd (%s)", x->c->name, rv,
	    rv < 0 ? strerror(errno) : "end of stream");
	ck_assert_msg((flags & (MSG_EOR | MSG_CTRUNC)) == MSG_EOR,
	    "%s: msg_flags %#x", x->c->name, flags);
	ck_assert_uint_eq(controllen, CMSG_SPACE(sizeof(tgr)));
	ck_assert_uint_eq(tgr.tls_type, type);
	ck_assert_uint_eq(tgr.tls_vmajor, en->tls_vmajor);
	if (en->tls_vminor == TLS_MINOR_VER_THREE)
		ck_assert_uint_eq(tgr.tls_vminor, TLS_MINOR_VER_TWO);
	else
		ck_assert_uint_eq(tgr.tls_vminor, en->tls_vminor);
	ck_assert_uint_eq(tgr.tls_length, htons((uint16_t)rv));
	return ((size_t)rv);
}

void
fb_receive_error(struct fb_ctx *x, int fd, int expected)
{
	struct tls_get_record tgr;
	uint8_t buf[64];
	ssize_t rv;

	errno = 0;
	rv = rfx_recvmsg(fd, buf, sizeof(buf), 0, CMSG_SPACE(sizeof(tgr)),
	    &tgr, NULL, NULL);
	ck_assert_msg(rv == -1, "%s: recvmsg returned %zd, wanted %s",
	    x->c->name, rv, strerror(expected));
	ck_assert_msg(errno == expected, "%s: recvmsg: %s, wanted %s",
	    x->c->name, strerror(errno), strerror(expected));
}

/* ---- the case ----------------------------------------------------------- */

/* FNV-1a of the case's name: each case has its own stream. */
static uint64_t
fb_name_hash(const char *s)
{
	uint64_t h;

	h = 0xcbf29ce484222325ULL;
	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

void
fb_ctx_init(struct fb_ctx *x, size_t test)
{
	const char *env;
	uint64_t base;

	memset(x, 0, sizeof(*x));
	x->mode = &fb_modes[test / fb_ncases()];
	x->c = fb_case_at(test % fb_ncases());
	x->sv[0] = x->sv[1] = -1;
	base = FB_SEED;
	env = getenv("UKTLS_FREEBSD_SEED");
	if (env != NULL && env[0] != '\0')
		base = strtoull(env, NULL, 0);
	/*
	 * The bare case name, not the mode: every mode sees the same keys
	 * and data, so their wire bytes can be compared.
	 */
	x->rng.s = base ^ fb_name_hash(x->c->name);
	/* The kernel's own random choices (explicit nonces and IVs) too. */
	uk_seed(fb_rand(&x->rng));
	/* seqno = random(): 31 bits there; 62 here, never wrapping. */
	x->seqno = fb_rand(&x->rng) >> 2;
	if (x->c->suite != NULL)
		fb_build_enable(&x->rng, x->c->suite, x->seqno, &x->keys);
}

void
fb_ctx_done(struct fb_ctx *x)
{

	if (x->sv[0] >= 0 || x->sv[1] >= 0)
		fb_close_sockets(x);
	memset(&x->keys, 0, sizeof(x->keys));
}
