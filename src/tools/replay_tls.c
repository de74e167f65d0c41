/*
 * uktls replay: TLS sessions in reassembled TCP streams.
 *
 * Each direction's stream is cut into records as it arrives.  Records go
 * through three phases, the way a TLS library and the kernel share a
 * connection that uses KTLS:
 *
 *   PLAIN    the hellos in the clear.  ClientHello gives the client
 *            random; ServerHello the version (supported_versions for
 *            1.3), the suite, compression and the extensions that change
 *            the record layer (encrypt_then_mac, max_fragment_length,
 *            record_size_limit).  Keys come from the key log then.
 *   HS_ENC   TLS 1.3 only: records under the handshake traffic secret,
 *            opened with the model until this direction's Finished.  If
 *            the handshake secrets are missing or do not open a record,
 *            the application secret is tried on it: the first record it
 *            opens at sequence 0 is the boundary.
 *   APP      from the hand-off point on: TLS 1.2 and older, the record
 *            after ChangeCipherSpec (the Finished, sequence 0); TLS 1.3,
 *            the first record under the application traffic secret.
 *            This is where a TLS library gives the keys to the kernel,
 *            so every record from here is what KTLS would receive or
 *            send, and each one is checked.
 *
 * The checks of an APP record: the model opens it (type and length as
 * the wire says) and seals its content again with the same sequence
 * number, explicit nonce/IV and padding, which must give the captured
 * bytes; then the backend's transmit check (on records FreeBSD KTLS
 * could have produced: not TLS 1.3 padding, KeyUpdate, empty records,
 * long CBC padding) and receive check (on records it can take: not
 * TLS 1.0, nor after a KeyUpdate) run.  A record is verified when the
 * model and every datapath check that applies passed, failed when any
 * check failed, and not verifiable, with its reason, when no datapath
 * check applies (encrypt-then-MAC, a suite or version KTLS lacks,
 * compression, new keys, ...).
 *
 * Directions wait for each other where they must (the client's encrypted
 * records need the server's hello); what waits is bounded.  A gap in a
 * stream ends that direction: records after it cannot be found without
 * guessing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include <uktls/ktls.h>
#include <uktls/suites.h>

#include "replay.h"
#include "tls_keys.h"

#define	RP_MAXREC	(TLSM_HDR_LEN + TLSM_MAX_PLAINTEXT + 2048)
#define	RP_MAXWAIT	(1u << 20)	/* bytes a direction may hold back */
#define	RP_MAXHSMSG	(1u << 16)	/* hello sizes we keep */

/* Reasons (JSON keys; keep stable). */
#define	WHY_PAD		"TLS 1.3 record padding"
#define	WHY_KU		"KeyUpdate"
#define	WHY_AFTER_KU	"after KeyUpdate (new traffic keys)"
#define	WHY_ETM		"encrypt-then-MAC"
#define	WHY_SUITE	"suite not supported by FreeBSD KTLS"
#define	WHY_VERSION	"version not supported by FreeBSD KTLS"
#define	WHY_COMP	"compression"
#define	WHY_EMPTY	"empty record (KTLS sends none)"
#define	WHY_CBCPAD	"CBC padding longer than minimal"
#define	WHY_RENEG	"after renegotiation (new keys)"
#define	WHY_NOKEY	"no key in key log"
#define	WHY_GAP		"missing data (gap in capture)"
#define	WHY_CUT		"capture ends inside record"
#define	WHY_NOSH	"no ServerHello seen"
#define	WHY_RX10	"TLS 1.0 receive not supported by FreeBSD KTLS"

enum rp_phase {
	PH_PLAIN,
	PH_HS_ENC,
	PH_APP,
	PH_DEAD,
};

/* Handshake messages streamed out of records. */
struct rp_hs {
	uint8_t		 hdr[4];
	size_t		 hdr_have;
	size_t		 need;		/* body bytes still to come */
	size_t		 len;
	uint8_t		 type;
	uint8_t		*body;		/* kept for the types we read */
	size_t		 have;
	int		 keep;
};

struct rp_segref {
	uint64_t	 off;
	size_t		 len;
	uint64_t	 frame;
};

struct rp_dir {
	int		 side;
	enum rp_phase	 phase;
	uint8_t		*buf;		/* stream bytes not yet consumed */
	size_t		 len, cap;
	uint64_t	 buf_off;	/* stream offset of buf[0] */
	struct rp_segref *sq;		/* segments of buf, for frames */
	size_t		 sq_head, sq_len, sq_cap;
	uint64_t	 nrec;		/* records framed */
	struct rp_hs	 hs;
	/* keys */
	int		 have_hs_keys, have_app_keys;
	struct tlsm_state hs_st, st;
	uint64_t	 hs_seq, seq;
	unsigned	 epoch;
	uint8_t		 secret[64];
	size_t		 secret_len;
	int		 after_ku, ku_pending, reneg, stale;
	/* hand-off */
	int		 handoff;
	int		 rx_ok;		/* the receive path takes its bytes */
	uint64_t	 handoff_off, fed_upto;
	void		*bctx;		/* backend's state */
	char		 dead_why[160];
	struct rp_dir_result res;
};

struct rp_tls {
	struct rp_conn	*c;
	int		 client;	/* side, -1 until known */
	const char	*client_from;
	int		 not_tls;
	int		 have_ch, have_sh, hrr, ch_early;
	uint8_t		 client_random[32], server_random[32];
	uint16_t	 version, suite_id;
	uint8_t		 compression;
	int		 etm, ems, mfl, rsl;
	int		 keys_tried, keys;
	char		 suite_name[64];
	struct tlsm_suite msuite;	/* with this suite's PRF hash */
	int		 have_msuite;
	const struct uk_suite *uksuite;
	const char	*unsupported;	/* WHY_* when KTLS can't do it */
	char		 problem[256];
	struct rp_dir	 d[2];		/* by side */
};

struct rp_ctx {
	const struct replay_opts *o;
	struct replay_totals *tot;
	const struct replay_backend *be;
	struct tlsm_keylog kl;
	SSL_CTX		*sslctx;
	SSL		*ssl;
	uint8_t		 plain[RP_MAXREC];
	uint8_t		 seal[RP_MAXREC + 512];
};

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void	dir_kill(struct rp_ctx *, struct rp_tls *, struct rp_dir *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

static unsigned
be16(const uint8_t *p)
{

	return ((unsigned)p[0] << 8 | p[1]);
}

static size_t
be24(const uint8_t *p)
{

	return ((size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2]);
}

const char *
rp_check_name(enum rp_check c)
{
	static const char *names[RP_NCHECKS] = { "model", "tx", "rx" };

	return (names[c]);
}

void
rp_count_reason(struct rp_count *c, const char *why)
{
	int i;

	for (i = 0; i < c->nreasons; i++)
		if (strcmp(c->reasons[i].why, why) == 0) {
			c->reasons[i].n++;
			return;
		}
	if (c->nreasons < RP_MAXREASONS) {
		c->reasons[c->nreasons].why = why;
		c->reasons[c->nreasons].n = 1;
		c->nreasons++;
	}
}

static void
count(struct rp_count *c, enum rp_verdict v, const char *why)
{

	switch (v) {
	case RP_PASS:
		c->verified++;
		break;
	case RP_FAIL:
		c->failed++;
		break;
	case RP_NOTVER:
		c->not_verifiable++;
		if (why != NULL)
			rp_count_reason(c, why);
		break;
	}
}

static const char *
version_name(uint16_t v)
{

	switch (v) {
	case 0x0300:
		return ("SSL 3.0");
	case TLSM_V10:
		return ("1.0");
	case TLSM_V11:
		return ("1.1");
	case TLSM_V12:
		return ("1.2");
	case TLSM_V13:
		return ("1.3");
	default:
		return (NULL);
	}
}

static int
from_client(const struct rp_tls *t, const struct rp_dir *d)
{

	return (t->client >= 0 ? d->side == t->client : d->side == 0);
}

/* "conn 3 (192.0.2.1:50000 -> 192.0.2.2:443)" */
static void
conn_label(const struct rp_tls *t, char *buf, size_t len)
{
	char a[RP_EPSTRLEN], b[RP_EPSTRLEN];
	int cl;

	cl = t->client >= 0 ? t->client : 0;
	rp_endpoint_str(&t->c->ep[cl], a, sizeof(a));
	rp_endpoint_str(&t->c->ep[!cl], b, sizeof(b));
	snprintf(buf, len, "conn %llu (%s -> %s)",
	    (unsigned long long)t->c->index, a, b);
}

static void
msg(struct rp_ctx *x, struct rp_tls *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
msg(struct rp_ctx *x, struct rp_tls *t, const char *fmt, ...)
{
	char label[2 * RP_EPSTRLEN + 40];
	va_list ap;

	if (x->o->msgs == NULL)
		return;
	conn_label(t, label, sizeof(label));
	fprintf(x->o->msgs, "replay: %s: ", label);
	va_start(ap, fmt);
	vfprintf(x->o->msgs, fmt, ap);
	va_end(ap);
	fputc('\n', x->o->msgs);
}

/* An input problem: remembered for the summary, counted for exit 3. */
static void
problem(struct rp_ctx *x, struct rp_tls *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct rp_ctx *x, struct rp_tls *t, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (t->problem[0] == '\0')
		snprintf(t->problem, sizeof(t->problem), "%s", text);
	x->tot->problems++;
	msg(x, t, "%s", text);
}

static const char *
side_name(const struct rp_tls *t, const struct rp_dir *d)
{

	if (t->client < 0)
		return (d->side == 0 ? "first sender" : "second sender");
	return (from_client(t, d) ? "client" : "server");
}

/* ---- segment bookkeeping ------------------------------------------------ */

static int
sq_push(struct rp_dir *d, uint64_t off, size_t len, uint64_t frame)
{
	struct rp_segref *n;
	size_t ncap;

	if (d->sq_head > 0 && d->sq_head + d->sq_len == d->sq_cap) {
		memmove(d->sq, d->sq + d->sq_head, d->sq_len * sizeof(*d->sq));
		d->sq_head = 0;
	}
	if (d->sq_head + d->sq_len == d->sq_cap) {
		ncap = d->sq_cap == 0 ? 64 : d->sq_cap * 2;
		n = realloc(d->sq, ncap * sizeof(*n));
		if (n == NULL)
			return (-1);
		d->sq = n;
		d->sq_cap = ncap;
	}
	d->sq[d->sq_head + d->sq_len].off = off;
	d->sq[d->sq_head + d->sq_len].len = len;
	d->sq[d->sq_head + d->sq_len].frame = frame;
	d->sq_len++;
	return (0);
}

/* The frame that carried stream offset off (0 if not known). */
static uint64_t
frame_of(const struct rp_dir *d, uint64_t off)
{
	size_t i;
	const struct rp_segref *s;

	for (i = 0; i < d->sq_len; i++) {
		s = &d->sq[d->sq_head + i];
		if (off >= s->off && off < s->off + s->len)
			return (s->frame);
	}
	return (0);
}

/* Drop what is before buf_off. */
static void
sq_trim(struct rp_dir *d)
{
	const struct rp_segref *s;

	while (d->sq_len > 0) {
		s = &d->sq[d->sq_head];
		if (s->off + s->len > d->buf_off)
			break;
		d->sq_head++;
		d->sq_len--;
	}
	if (d->sq_len == 0)
		d->sq_head = 0;
}

/*
 * Feed the receive path every captured byte from the hand-off on,
 * segment by segment, up to what has arrived.
 */
static void
rx_feed(struct rp_ctx *x, struct rp_dir *d)
{
	const struct rp_segref *s;
	uint64_t from, end;
	size_t i;

	/* Nothing more can be received after new keys: stop feeding. */
	if (!d->handoff || !d->rx_ok || d->after_ku || d->stale)
		return;
	for (i = 0; i < d->sq_len; i++) {
		s = &d->sq[d->sq_head + i];
		end = s->off + s->len;
		from = s->off > d->fed_upto ? s->off : d->fed_upto;
		if (end <= from)
			continue;
		x->be->rx_segment(d->bctx, d->buf + (from - d->buf_off),
		    (size_t)(end - from), s->frame);
		d->res.rx_segments++;
		d->fed_upto = end;
	}
}

static void
consume(struct rp_dir *d, size_t n)
{

	memmove(d->buf, d->buf + n, d->len - n);
	d->len -= n;
	d->buf_off += n;
	sq_trim(d);
}

/* ---- suites and keys ----------------------------------------------------- */

/*
 * From the IANA suite id to the record protection it means, using
 * libssl's own table of suites (names, ciphers, MACs, PRF hashes).
 */
static void
resolve_suite(struct rp_ctx *x, struct rp_tls *t)
{
	const SSL_CIPHER *sc;
	const EVP_MD *md;
	uint8_t id[2];
	enum tlsm_cipher cipher;
	enum tlsm_mac mac;
	size_t key_len, i;
	int nid, ukcipher, ukmac, dnid;
	const struct uk_suite *us;

	snprintf(t->suite_name, sizeof(t->suite_name), "0x%04X",
	    t->suite_id);
	t->unsupported = WHY_SUITE;
	id[0] = (uint8_t)(t->suite_id >> 8);
	id[1] = (uint8_t)t->suite_id;
	sc = x->ssl != NULL ? SSL_CIPHER_find(x->ssl, id) : NULL;
	if (sc == NULL)
		return;
	snprintf(t->suite_name, sizeof(t->suite_name), "%s",
	    SSL_CIPHER_standard_name(sc));
	if (t->version < TLSM_V10 || t->version > TLSM_V13) {
		t->unsupported = WHY_VERSION;
		return;
	}
	nid = SSL_CIPHER_get_cipher_nid(sc);
	switch (nid) {
	case NID_aes_128_gcm:
		cipher = TLSM_GCM, key_len = 16;
		break;
	case NID_aes_256_gcm:
		cipher = TLSM_GCM, key_len = 32;
		break;
	case NID_chacha20_poly1305:
		cipher = TLSM_CHACHA, key_len = 32;
		break;
	case NID_aes_128_cbc:
		cipher = TLSM_CBC, key_len = 16;
		break;
	case NID_aes_256_cbc:
		cipher = TLSM_CBC, key_len = 32;
		break;
	default:
		return;
	}
	mac = TLSM_MAC_NONE;
	if (cipher == TLSM_CBC) {
		switch (SSL_CIPHER_get_digest_nid(sc)) {
		case NID_sha1:
			mac = TLSM_MAC_SHA1;
			break;
		case NID_sha256:
			mac = TLSM_MAC_SHA256;
			break;
		case NID_sha384:
			mac = TLSM_MAC_SHA384;
			break;
		default:
			return;
		}
	}
	for (i = 0; i < TLSM_NSUITES; i++) {
		if (tlsm_suites[i].version == t->version &&
		    tlsm_suites[i].cipher == cipher &&
		    tlsm_suites[i].key_len == key_len &&
		    tlsm_suites[i].mac == mac)
			break;
	}
	if (i == TLSM_NSUITES)
		return;
	t->msuite = tlsm_suites[i];
	/* The PRF / HKDF hash is the suite's, not the table's guess. */
	if (t->version < TLSM_V12) {
		t->msuite.kdf_digest = "MD5-SHA1";
	} else {
		md = SSL_CIPHER_get_handshake_digest(sc);
		dnid = md != NULL ? EVP_MD_get_type(md) : NID_sha256;
		t->msuite.kdf_digest = dnid == NID_sha384 ? "SHA384" :
		    "SHA256";
	}
	t->have_msuite = 1;

	ukcipher = cipher == TLSM_GCM ? CRYPTO_AES_NIST_GCM_16 :
	    cipher == TLSM_CHACHA ? CRYPTO_CHACHA20_POLY1305 : CRYPTO_AES_CBC;
	ukmac = mac == TLSM_MAC_SHA1 ? CRYPTO_SHA1_HMAC :
	    mac == TLSM_MAC_SHA256 ? CRYPTO_SHA2_256_HMAC :
	    mac == TLSM_MAC_SHA384 ? CRYPTO_SHA2_384_HMAC : 0;
	for (i = 0; i < uk_nsuites(); i++) {
		us = uk_suite_at(i);
		if (us->cipher_algorithm == ukcipher &&
		    us->cipher_key_len == (int)key_len &&
		    us->auth_algorithm == ukmac &&
		    us->tls_vminor == (t->version & 0xff)) {
			t->uksuite = us;
			t->unsupported = NULL;
			break;
		}
	}
	if (t->compression != 0)
		t->unsupported = WHY_COMP;
	else if (t->etm && cipher == TLSM_CBC)
		t->unsupported = WHY_ETM;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Derive both directions' keys from the key log, once. */
static void
derive_keys(struct rp_ctx *x, struct rp_tls *t)
{
	const struct tlsm_keylog_entry *e;
	struct tlsm_state cw, sw;
	struct rp_dir *cd, *sd;
	char crhex[65];
	int error;

	if (t->keys_tried || !t->have_ch || !t->have_sh || t->client < 0)
		return;
	t->keys_tried = 1;
	if (!t->have_msuite)
		return;		/* nothing the model can open */
	cd = &t->d[t->client];
	sd = &t->d[!t->client];
	hex(t->client_random, 32, crhex);
	e = tlsm_keylog_find(&x->kl, t->client_random);
	if (t->version == TLSM_V13) {
		if (e != NULL && e->secret_len[TLSM_KL_CHTS] != 0 &&
		    tlsm_tls13_state(&t->msuite, e->secret[TLSM_KL_CHTS],
		    e->secret_len[TLSM_KL_CHTS], &cd->hs_st) == 0)
			cd->have_hs_keys = 1;
		if (e != NULL && e->secret_len[TLSM_KL_SHTS] != 0 &&
		    tlsm_tls13_state(&t->msuite, e->secret[TLSM_KL_SHTS],
		    e->secret_len[TLSM_KL_SHTS], &sd->hs_st) == 0)
			sd->have_hs_keys = 1;
		if (e != NULL && e->secret_len[TLSM_KL_CTS0] != 0 &&
		    tlsm_tls13_state(&t->msuite, e->secret[TLSM_KL_CTS0],
		    e->secret_len[TLSM_KL_CTS0], &cd->st) == 0) {
			cd->have_app_keys = 1;
			cd->secret_len = e->secret_len[TLSM_KL_CTS0];
			memcpy(cd->secret, e->secret[TLSM_KL_CTS0],
			    cd->secret_len);
		}
		if (e != NULL && e->secret_len[TLSM_KL_STS0] != 0 &&
		    tlsm_tls13_state(&t->msuite, e->secret[TLSM_KL_STS0],
		    e->secret_len[TLSM_KL_STS0], &sd->st) == 0) {
			sd->have_app_keys = 1;
			sd->secret_len = e->secret_len[TLSM_KL_STS0];
			memcpy(sd->secret, e->secret[TLSM_KL_STS0],
			    sd->secret_len);
		}
		if (!cd->have_app_keys || !sd->have_app_keys) {
			problem(x, t, "no CLIENT_/SERVER_TRAFFIC_SECRET_0 in "
			    "the key log for client random %s", crhex);
			return;
		}
		t->keys = 1;
		return;
	}
	if (e == NULL || !e->has_master) {
		problem(x, t, "no CLIENT_RANDOM line in the key log for "
		    "client random %s", crhex);
		return;
	}
	error = tlsm_tls12_states(&t->msuite, e->master, t->client_random,
	    t->server_random, &cw, &sw);
	if (error != 0) {
		problem(x, t, "key derivation failed: %s", strerror(error));
		return;
	}
	cd->st = cw;
	sd->st = sw;
	cd->have_app_keys = sd->have_app_keys = 1;
	t->keys = 1;
}

/* ---- handshake messages -------------------------------------------------- */

static void
parse_extensions(struct rp_tls *t, const uint8_t *p, size_t len, int in_sh)
{
	unsigned type;
	size_t elen;

	while (len >= 4) {
		type = be16(p);
		elen = be16(p + 2);
		if (elen > len - 4)
			return;
		switch (type) {
		case 1:		/* max_fragment_length */
			if (elen >= 1)
				t->mfl = p[4];
			break;
		case 22:	/* encrypt_then_mac */
			if (in_sh)
				t->etm = 1;
			break;
		case 23:	/* extended_master_secret */
			if (in_sh)
				t->ems = 1;
			break;
		case 28:	/* record_size_limit */
			if (elen >= 2)
				t->rsl = (int)be16(p + 4);
			break;
		case 42:	/* early_data */
			if (!in_sh)
				t->ch_early = 1;
			break;
		case 43:	/* supported_versions (selected) */
			if (in_sh && elen == 2)
				t->version = (uint16_t)be16(p + 4);
			break;
		}
		p += 4 + elen;
		len -= 4 + elen;
	}
}

static void
parse_client_hello(struct rp_tls *t, const uint8_t *p, size_t len)
{
	size_t off, n;

	if (len < 2 + 32 + 1)
		return;
	if (!t->have_ch)
		memcpy(t->client_random, p + 2, 32);
	t->have_ch = 1;
	off = 34;
	n = p[off];			/* session id */
	off += 1 + n;
	if (off + 2 > len)
		return;
	n = be16(p + off);		/* cipher suites */
	off += 2 + n;
	if (off + 1 > len)
		return;
	n = p[off];			/* compression methods */
	off += 1 + n;
	if (off + 2 > len)
		return;
	n = be16(p + off);
	if (off + 2 + n <= len)
		parse_extensions(t, p + off + 2, n, 0);
}

static void
parse_server_hello(struct rp_tls *t, const uint8_t *p, size_t len)
{
	size_t off, n;

	if (len < 2 + 32 + 1)
		return;
	t->version = (uint16_t)be16(p);
	memcpy(t->server_random, p + 2, 32);
	off = 34;
	n = p[off];
	off += 1 + n;
	if (off + 3 > len)
		return;
	t->suite_id = (uint16_t)be16(p + off);
	t->compression = p[off + 2];
	off += 3;
	t->etm = t->ems = 0;
	if (off + 2 <= len) {
		n = be16(p + off);
		if (off + 2 + n <= len)
			parse_extensions(t, p + off + 2, n, 1);
	}
	/* A HelloRetryRequest is a ServerHello; the real one follows. */
	t->hrr = memcmp(t->server_random, hrr_random, 32) == 0;
	if (!t->hrr)
		t->have_sh = 1;
}

/*
 * One whole handshake message.  Returns its type for the caller's
 * state machine.
 */
static void
hs_message(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d,
    uint8_t type, const uint8_t *body, size_t len)
{

	switch (type) {
	case 1:		/* ClientHello */
		if (d->phase == PH_APP) {
			d->reneg = 1;
			break;
		}
		parse_client_hello(t, body, len);
		break;
	case 2:		/* ServerHello */
		if (d->phase == PH_APP)
			break;
		parse_server_hello(t, body, len);
		/* Keys are looked up when a record needs them. */
		if (t->have_sh)
			resolve_suite(x, t);
		break;
	case 8:		/* EncryptedExtensions (TLS 1.3) */
		if (len >= 2 && be16(body) <= len - 2)
			parse_extensions(t, body + 2, be16(body), 0);
		break;
	case 0:		/* HelloRequest */
		if (d->phase == PH_APP && t->version != TLSM_V13)
			d->reneg = 1;
		break;
	case 24:	/* KeyUpdate */
		if (d->phase == PH_APP && t->version == TLSM_V13)
			d->ku_pending = 1;
		break;
	}
}

/*
 * Feed content of handshake records; calls hs_message() per message and
 * returns 1 if a Finished message ended in this piece, exactly at its end.
 */
static int
hs_feed(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d,
    const uint8_t *p, size_t n)
{
	struct rp_hs *h = &d->hs;
	size_t k;
	int fin_at_end;

	fin_at_end = 0;
	while (n > 0) {
		fin_at_end = 0;
		if (h->hdr_have < 4) {
			k = 4 - h->hdr_have < n ? 4 - h->hdr_have : n;
			memcpy(h->hdr + h->hdr_have, p, k);
			h->hdr_have += k;
			p += k;
			n -= k;
			if (h->hdr_have < 4)
				break;
			h->type = h->hdr[0];
			h->len = h->need = be24(h->hdr + 1);
			h->have = 0;
			h->keep = (h->type == 1 || h->type == 2 ||
			    h->type == 8 || h->type == 24) &&
			    h->len <= RP_MAXHSMSG;
			if (h->keep && h->len > 0) {
				free(h->body);
				h->body = malloc(h->len);
				if (h->body == NULL)
					h->keep = 0;
			}
		}
		k = h->need < n ? h->need : n;
		if (h->keep && k > 0)
			memcpy(h->body + h->have, p, k);
		h->have += k;
		h->need -= k;
		p += k;
		n -= k;
		if (h->need == 0) {
			hs_message(x, t, d, h->type, h->keep ? h->body : NULL,
			    h->keep ? h->len : 0);
			if (h->type == 20)
				fin_at_end = 1;
			free(h->body);
			h->body = NULL;
			h->hdr_have = 0;
		}
	}
	return (fin_at_end && n == 0 && h->hdr_have == 0);
}

/* ---- record protection not in the model: encrypt-then-MAC --------------- */

/*
 * RFC 7366: the MAC covers the ciphertext (and the explicit IV), and the
 * content and padding are encrypted on their own.  Only to show the
 * plaintext: FreeBSD KTLS does not do this.
 */
/* HMAC(mac_key, a | b) into mac; 0 or EIO. */
static int
hmac2(const struct tlsm_state *st, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t *mac, size_t maclen)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *mc;
	EVP_MAC *m;
	const char *digest;
	size_t got;
	int ok;

	digest = st->mac == TLSM_MAC_SHA1 ? "SHA1" :
	    st->mac == TLSM_MAC_SHA256 ? "SHA256" : "SHA384";
	m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	mc = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	EVP_MAC_free(m);
	if (mc == NULL)
		return (EIO);
	params[0] = OSSL_PARAM_construct_utf8_string("digest",
	    (char *)(uintptr_t)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(mc, st->mac_key, st->mac_key_len, params) &&
	    EVP_MAC_update(mc, a, alen) && EVP_MAC_update(mc, b, blen) &&
	    EVP_MAC_final(mc, mac, &got, maclen) && got == maclen;
	EVP_MAC_CTX_free(mc);
	return (ok ? 0 : EIO);
}

/*
 * RFC 7366: the MAC covers the explicit IV and the ciphertext, and the
 * content and padding are encrypted without it.  Only to show the
 * plaintext: FreeBSD KTLS does not produce such records.
 */
static int
etm_open(struct tlsm_state *st, uint64_t seq, const uint8_t *rec,
    size_t reclen, uint8_t *type, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t hdr[13], mac[48], iv[16];
	EVP_CIPHER_CTX *cc;
	const uint8_t *body;
	size_t blen, ivlen, mlen, clen, pad, i;
	int n, ok, error;

	mlen = tlsm_mac_len(st->mac);
	ivlen = st->version >= TLSM_V11 ? 16 : 0;
	if (reclen < TLSM_HDR_LEN)
		return (EMSGSIZE);
	body = rec + TLSM_HDR_LEN;
	blen = reclen - TLSM_HDR_LEN;
	if (blen < ivlen + 16 + mlen || (blen - ivlen - mlen) % 16 != 0)
		return (EMSGSIZE);
	clen = blen - ivlen - mlen;
	if (clen > cap)
		return (ENOBUFS);
	tlsm_be64enc(hdr, seq);
	memcpy(hdr + 8, rec, 3);
	hdr[11] = (uint8_t)((blen - mlen) >> 8);
	hdr[12] = (uint8_t)(blen - mlen);
	error = hmac2(st, hdr, sizeof(hdr), body, blen - mlen, mac, mlen);
	if (error != 0)
		return (error);
	if (CRYPTO_memcmp(mac, body + blen - mlen, mlen) != 0)
		return (EBADMSG);
	memcpy(iv, ivlen != 0 ? body : st->iv, 16);
	cc = EVP_CIPHER_CTX_new();
	if (cc == NULL)
		return (EIO);
	ok = EVP_DecryptInit_ex(cc, st->key_len == 16 ? EVP_aes_128_cbc() :
	    EVP_aes_256_cbc(), NULL, st->key, iv) &&
	    EVP_CIPHER_CTX_set_padding(cc, 0) &&
	    EVP_DecryptUpdate(cc, out, &n, body + ivlen, (int)clen) &&
	    (size_t)n == clen;
	EVP_CIPHER_CTX_free(cc);
	if (!ok)
		return (EIO);
	if (ivlen == 0)
		memcpy(st->iv, body + clen - 16, 16);
	pad = out[clen - 1];
	if (pad + 1 > clen)
		return (EBADMSG);
	for (i = clen - pad - 1; i < clen; i++)
		if (out[i] != pad)
			return (EBADMSG);
	*type = rec[0];
	*outlen = clen - pad - 1;
	return (0);
}

/* ---- records ------------------------------------------------------------- */

/* Explicit nonce (GCM 1.2) or IV (CBC 1.1+) bytes after the header. */
static size_t
explicit_len(const struct tlsm_state *st)
{

	if (st->cipher == TLSM_GCM && st->version == TLSM_V12)
		return (8);
	if (st->cipher == TLSM_CBC && st->version >= TLSM_V11)
		return (16);
	return (0);
}

static const char *
open_error(int error)
{

	switch (error) {
	case EBADMSG:
		return ("authentication failed (bad tag, MAC or padding)");
	case EMSGSIZE:
		return ("impossible record length");
	case EINVAL:
		return ("bad record header");
	default:
		return (strerror(error));
	}
}

static void
rec_result_init(struct rp_tls *t, struct rp_dir *d, struct rp_rec_result *rr,
    const uint8_t *rec, size_t reclen)
{

	memset(rr, 0, sizeof(*rr));
	rr->conn = t->c->index;
	rr->from_client = from_client(t, d);
	rr->frame = frame_of(d, d->buf_off);
	rr->tcp_seq = rp_reasm_seq(&t->c->dir[d->side], d->buf_off);
	rr->outer_type = rr->type = rec[0];
	rr->wire_len = reclen;
	rr->verdict = RP_NOTVER;
	rr->check[RP_CHECK_MODEL] = rr->check[RP_CHECK_TX] =
	    rr->check[RP_CHECK_RX] = RP_NOTVER;
}

/* A record before the hand-off: counted apart, not checked for KTLS. */
static void
hs_record_done(struct rp_ctx *x, struct rp_dir *d, struct rp_rec_result *rr)
{

	rr->index = d->res.handshake_records++;
	if (x->o->on_record != NULL)
		x->o->on_record(x->o->arg, rr);
}

/*
 * Add a record's outcome to its direction and the totals; cwhy gives the
 * reason of each check that was not run (NULL: rr->why for all).
 */
static void
account(struct rp_ctx *x, struct rp_dir *d, struct rp_rec_result *rr,
    const char *const *cwhy)
{
	int i;

	rr->index = d->res.records++;
	count(&d->res.total, rr->verdict, rr->verdict == RP_NOTVER ?
	    rr->why : NULL);
	for (i = 0; i < RP_NCHECKS; i++) {
		count(&d->res.check[i], rr->check[i], cwhy != NULL ? cwhy[i] :
		    rr->why);
		x->tot->check[i][rr->check[i] == RP_PASS ? 0 :
		    rr->check[i] == RP_FAIL ? 1 : 2]++;
	}
	switch (rr->verdict) {
	case RP_PASS:
		x->tot->verified++;
		break;
	case RP_FAIL:
		x->tot->failed++;
		break;
	case RP_NOTVER:
		x->tot->not_verifiable++;
		break;
	}
	if (x->o->on_record != NULL)
		x->o->on_record(x->o->arg, rr);
}

/* The hand-off: the kernel takes over this direction at stream offset. */
static void
begin_app(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d, uint64_t off)
{
	struct rp_handoff h;

	d->phase = PH_APP;
	d->seq = 0;
	d->handoff = 1;
	d->handoff_off = d->fed_upto = off;
	d->res.handoff = 1;
	d->res.handoff_seq = 0;
	if (d->have_app_keys && t->unsupported == NULL && t->uksuite != NULL &&
	    x->be->dir_open != NULL) {
		/* FreeBSD has no TLS 1.0 receive sessions. */
		h.rx = x->be->rx_segment != NULL && x->be->rx_record != NULL &&
		    d->st.version != TLSM_V10;
		h.from_client = from_client(t, d);
		h.st = &d->st;
		h.seq = d->seq;
		h.off = off;
		h.suite = t->uksuite;
		d->bctx = x->be->dir_open(&h);
		d->rx_ok = d->bctx != NULL && h.rx;
	}
	rx_feed(x, d);
}

/* TLS 1.3 KeyUpdate: the next traffic secret (RFC 8446 7.2). */
static void
key_update(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d)
{
	uint8_t next[64];

	d->ku_pending = 0;
	d->after_ku = 1;
	d->seq = 0;
	d->epoch++;
	if (tlsm_hkdf_expand_label(t->msuite.kdf_digest, d->secret,
	    d->secret_len, "traffic upd", NULL, 0, next, d->secret_len) != 0 ||
	    tlsm_tls13_state(&t->msuite, next, d->secret_len, &d->st) != 0) {
		d->stale = 1;
		problem(x, t, "%s: next traffic secret not derived after "
		    "KeyUpdate", side_name(t, d));
		return;
	}
	memcpy(d->secret, next, d->secret_len);
	OPENSSL_cleanse(next, sizeof(next));
}

static void
report_failure(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d,
    const struct rp_rec_result *rr, const char *what, const char *why)
{

	msg(x, t, "%s record %llu (seq %llu, frame %llu, TCP seq %u): %s%s",
	    side_name(t, d), (unsigned long long)d->res.records,
	    (unsigned long long)rr->seq, (unsigned long long)rr->frame,
	    rr->tcp_seq, what, why);
}

/*
 * A record after the hand-off: open it with the model, seal it again,
 * classify it, and run the backend's checks.
 */
static void
app_record(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d,
    const uint8_t *rec, size_t reclen)
{
	char fail[RP_NCHECKS][160];
	const char *cwhy[RP_NCHECKS], *rx_no;
	struct rp_rec_result rr;
	struct rp_rx_got got;
	struct tlsm_seal_opts so;
	struct tlsm_state before, sst;
	struct rp_rec br;
	const char *notver;
	size_t plen, slen, xlen, pad, body, mlen, minimal, i;
	uint8_t type;
	int error, opened, etm, c, tx_on, rx_on;

	rec_result_init(t, d, &rr, rec, reclen);
	rr.app_phase = 1;
	rr.encrypted = 1;
	rr.seq = d->seq;
	rr.epoch = d->epoch;
	for (c = 0; c < RP_NCHECKS; c++)
		fail[c][0] = '\0';
	notver = NULL;
	opened = 0;
	plen = pad = 0;
	type = rec[0];
	before = d->st;
	etm = t->etm && before.cipher == TLSM_CBC;
	if (!t->have_msuite)
		notver = t->unsupported != NULL ? t->unsupported : WHY_SUITE;
	else if (!d->have_app_keys)
		notver = WHY_NOKEY;
	else if (d->stale)
		notver = WHY_RENEG;
	else {
		error = etm ? etm_open(&d->st, d->seq, rec, reclen, &type,
		    x->plain, sizeof(x->plain), &plen) :
		    tlsm_open(&d->st, d->seq, rec, reclen, &type, x->plain,
		    sizeof(x->plain), &plen);
		if (error != 0) {
			rr.check[RP_CHECK_MODEL] = RP_FAIL;
			snprintf(fail[RP_CHECK_MODEL], sizeof(fail[0]), "%s",
			    open_error(error));
			/* TLS 1.0: the next record chains from this one. */
			if (before.cipher == TLSM_CBC &&
			    before.version == TLSM_V10 &&
			    reclen >= TLSM_HDR_LEN + 16)
				memcpy(d->st.iv, rec + reclen - 16, 16);
		} else
			opened = 1;
	}
	if (opened) {
		/* The same bytes must come out of sealing it again. */
		xlen = explicit_len(&before);
		mlen = tlsm_mac_len(before.mac);
		memset(&so, 0, sizeof(so));
		if (xlen != 0)
			so.explicit_iv = rec + TLSM_HDR_LEN;
		if (before.cipher == TLSM_CBC) {
			body = reclen - TLSM_HDR_LEN - xlen;
			pad = etm ? body - mlen - plen : body - plen - mlen;
			so.cbc_pad = pad;
		} else if (before.version == TLSM_V13) {
			pad = reclen - TLSM_HDR_LEN - TLSM_AEAD_TAG_LEN - 1 -
			    plen;
			so.tls13_pad = pad;
		}
		if (etm) {
			rr.check[RP_CHECK_MODEL] = RP_PASS;
		} else {
			sst = before;
			error = tlsm_seal(&sst, d->seq, type, x->plain, plen,
			    &so, x->seal, sizeof(x->seal), &slen);
			if (error != 0) {
				rr.check[RP_CHECK_MODEL] = RP_FAIL;
				snprintf(fail[RP_CHECK_MODEL], sizeof(fail[0]),
				    "the model cannot seal it again: %s",
				    strerror(error));
			} else if (slen != reclen ||
			    memcmp(x->seal, rec, reclen) != 0) {
				for (i = 0; i < slen && i < reclen &&
				    x->seal[i] == rec[i]; i++)
					;
				rr.check[RP_CHECK_MODEL] = RP_FAIL;
				snprintf(fail[RP_CHECK_MODEL], sizeof(fail[0]),
				    "sealed again by the model it differs "
				    "from byte %zu", i);
			} else
				rr.check[RP_CHECK_MODEL] = RP_PASS;
		}

		/* Handshake content after the hand-off. */
		if (type == TLSM_CT_HANDSHAKE)
			(void)hs_feed(x, t, d, x->plain, plen);

		/* What FreeBSD KTLS cannot send. */
		if (t->unsupported != NULL)
			notver = t->unsupported;
		else if (d->ku_pending)
			notver = WHY_KU;
		else if (d->after_ku)
			notver = WHY_AFTER_KU;
		else if (before.version == TLSM_V13 && pad != 0)
			notver = WHY_PAD;
		else if (plen == 0 && before.version != TLSM_V10)
			notver = WHY_EMPTY;
		else if (before.cipher == TLSM_CBC) {
			minimal = 16 - (plen + mlen) % 16;
			if (pad > minimal)
				notver = WHY_CBCPAD;
		}
		if (type == TLSM_CT_APP)
			d->res.plaintext_bytes += plen;
	}
	if (notver == NULL && rr.check[RP_CHECK_MODEL] == RP_NOTVER)
		notver = "not decrypted";

	/* The backend's checks. */
	memset(&br, 0, sizeof(br));
	br.from_client = rr.from_client;
	br.index = d->res.records;
	br.seq = rr.seq;
	br.epoch = rr.epoch;
	br.frame = rr.frame;
	br.tcp_seq = rr.tcp_seq;
	br.off = d->buf_off;
	br.type = type;
	br.wire = rec;
	br.wire_len = reclen;
	br.plain = opened ? x->plain : NULL;
	br.plain_len = plen;
	br.explicit_iv = explicit_len(&before) != 0 ? rec + TLSM_HDR_LEN : NULL;
	br.explicit_len = explicit_len(&before);
	br.st = &before;
	br.suite = t->uksuite;
	/* Transmit: the records KTLS could have made. */
	tx_on = rr.check[RP_CHECK_MODEL] == RP_PASS && notver == NULL &&
	    x->be->tx_record != NULL;
	if (tx_on && d->bctx != NULL)
		rr.check[RP_CHECK_TX] = x->be->tx_record(d->bctx, &br,
		    fail[RP_CHECK_TX], sizeof(fail[0]));
	/*
	 * Receive: what the receive path cannot take differs.  It reads
	 * padded records, KeyUpdate messages, empty records and long CBC
	 * padding, and must refuse what the model refused (br.plain is
	 * NULL then).
	 */
	rx_no = t->unsupported != NULL || !t->have_msuite ?
	    (t->unsupported != NULL ? t->unsupported : WHY_SUITE) :
	    !d->have_app_keys ? WHY_NOKEY : d->stale ? WHY_RENEG :
	    d->after_ku ? WHY_AFTER_KU : before.version == TLSM_V10 ?
	    WHY_RX10 : NULL;
	rx_on = rx_no == NULL && x->be->rx_record != NULL;
	memset(&got, 0, sizeof(got));
	if (rx_on && d->rx_ok) {
		rr.check[RP_CHECK_RX] = x->be->rx_record(d->bctx, &br, &got,
		    fail[RP_CHECK_RX], sizeof(fail[0]));
		rr.rx = &got;
		d->res.rx_sessions += got.new_session != 0;
		if (got.held > d->res.rx_held_peak)
			d->res.rx_held_peak = got.held;
		if (got.record && got.type == TLSM_CT_APP)
			d->res.rx_plaintext_bytes += got.plain_len;
	}

	rr.plain = opened ? x->plain : NULL;
	rr.plain_len = plen;
	rr.type = type;
	for (c = 0; c < RP_NCHECKS; c++) {
		cwhy[c] = NULL;
		if (rr.check[c] != RP_NOTVER)
			;
		else if (c == RP_CHECK_RX)
			cwhy[c] = rx_no != NULL ? rx_no :
			    x->be->rx_record == NULL ? x->be->rx_missing :
			    "no receive session";
		else if (notver != NULL)
			cwhy[c] = notver;
		else if (rr.check[RP_CHECK_MODEL] != RP_PASS)
			cwhy[c] = "model check failed";
		else if (c == RP_CHECK_TX)
			cwhy[c] = x->be->tx_record == NULL ?
			    x->be->tx_missing : "no transmit session";
	}
	/*
	 * The verdict: failed when any check failed; verified when the
	 * model passed and so did every datapath check that applies to the
	 * record (transmit: KTLS could have made it; receive: KTLS can
	 * take it), at least one of them applying; otherwise not
	 * verifiable, for the first reason that kept a check from it.
	 */
	if (rr.check[RP_CHECK_MODEL] == RP_FAIL ||
	    rr.check[RP_CHECK_TX] == RP_FAIL ||
	    rr.check[RP_CHECK_RX] == RP_FAIL) {
		rr.verdict = RP_FAIL;
		for (c = 0; c < RP_NCHECKS; c++)
			if (rr.check[c] == RP_FAIL) {
				rr.why = fail[c];
				break;
			}
	} else if (rr.check[RP_CHECK_MODEL] != RP_PASS) {
		rr.verdict = RP_NOTVER;
		rr.why = notver;
	} else if (tx_on && rr.check[RP_CHECK_TX] != RP_PASS) {
		rr.verdict = RP_NOTVER;
		rr.why = cwhy[RP_CHECK_TX];
	} else if (rx_on && rr.check[RP_CHECK_RX] != RP_PASS) {
		rr.verdict = RP_NOTVER;
		rr.why = cwhy[RP_CHECK_RX];
	} else if (!tx_on && !rx_on) {
		rr.verdict = RP_NOTVER;
		rr.why = rx_no != NULL ? rx_no : notver != NULL ? notver :
		    x->be->tx_missing != NULL ? x->be->tx_missing :
		    "no datapath check";
	} else
		rr.verdict = RP_PASS;
	for (c = 0; c < RP_NCHECKS; c++)
		if (rr.check[c] == RP_FAIL)
			report_failure(x, t, d, &rr, c == RP_CHECK_MODEL ?
			    "" : c == RP_CHECK_TX ? "uktls transmit: " :
			    "uktls receive: ", fail[c]);
	account(x, d, &rr, cwhy);

	d->seq++;
	if (d->ku_pending)
		key_update(x, t, d);
	/* TLS 1.2 renegotiation: the keys change at its CCS. */
	if (opened && type == TLSM_CT_CCS && before.version != TLSM_V13) {
		d->stale = 1;
		msg(x, t, "%s: renegotiation: records after it are not "
		    "decrypted", side_name(t, d));
	}
}

/* TLS 1.3: a record under the handshake traffic secret (or the first one
 * under the application secret, when the boundary is found by trial). */
static void
hs_enc_record(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d,
    const uint8_t *rec, size_t reclen)
{
	struct rp_rec_result rr;
	struct tlsm_state st;
	size_t plen;
	uint8_t type;

	rec_result_init(t, d, &rr, rec, reclen);
	rr.encrypted = 1;
	if (d->have_hs_keys) {
		st = d->hs_st;
		if (tlsm_open(&st, d->hs_seq, rec, reclen, &type, x->plain,
		    sizeof(x->plain), &plen) == 0) {
			d->hs_st = st;
			rr.seq = d->hs_seq++;
			rr.type = type;
			rr.plain = x->plain;
			rr.plain_len = plen;
			rr.check[RP_CHECK_MODEL] = RP_PASS;
			hs_record_done(x, d, &rr);
			if (type == TLSM_CT_HANDSHAKE &&
			    hs_feed(x, t, d, x->plain, plen))
				begin_app(x, t, d, d->buf_off + reclen);
			return;
		}
	}
	if (d->have_app_keys) {
		st = d->st;
		if (tlsm_open(&st, 0, rec, reclen, &type, x->plain,
		    sizeof(x->plain), &plen) == 0) {
			if (d->have_hs_keys)
				msg(x, t, "%s: the handshake keys did not open "
				    "record %llu but the application keys "
				    "did: hand-off found there",
				    side_name(t, d),
				    (unsigned long long)d->res.handshake_records);
			begin_app(x, t, d, d->buf_off);
			app_record(x, t, d, rec, reclen);
			return;
		}
	}
	if (from_client(t, d) && t->ch_early && d->hs_seq == 0) {
		/* 0-RTT data is under a secret this tool does not read. */
		rr.check[RP_CHECK_MODEL] = RP_NOTVER;
		rr.why = "early data (0-RTT): not decrypted";
		hs_record_done(x, d, &rr);
		return;
	}
	rr.verdict = rr.check[RP_CHECK_MODEL] = RP_FAIL;
	rr.why = "handshake record does not open with the handshake or "
	    "application keys";
	report_failure(x, t, d, &rr, "", rr.why);
	account(x, d, &rr, NULL);
}

/*
 * One complete record at the front of the direction's buffer.  Returns 1
 * when it was consumed, 0 when it must wait for the other direction.
 */
static int
record(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d, size_t reclen)
{
	struct rp_rec_result rr;
	const uint8_t *rec;
	uint8_t ctype;

	rec = d->buf;
	ctype = rec[0];
	switch (d->phase) {
	case PH_PLAIN:
		if (ctype == TLSM_CT_CCS || ctype == TLSM_CT_APP) {
			/* Keys need both hellos. */
			if (!t->have_sh || !t->have_ch)
				return (0);
			derive_keys(x, t);
		}
		if (ctype == TLSM_CT_CCS && t->version != TLSM_V13) {
			rec_result_init(t, d, &rr, rec, reclen);
			hs_record_done(x, d, &rr);
			begin_app(x, t, d, d->buf_off + reclen);
			return (1);
		}
		if (ctype == TLSM_CT_APP) {
			if (t->version != TLSM_V13 || !t->keys ||
			    !t->have_msuite) {
				/* No way to find the boundary: from here. */
				begin_app(x, t, d, d->buf_off);
				app_record(x, t, d, rec, reclen);
				return (1);
			}
			d->phase = PH_HS_ENC;
			hs_enc_record(x, t, d, rec, reclen);
			return (1);
		}
		rec_result_init(t, d, &rr, rec, reclen);
		hs_record_done(x, d, &rr);
		if (ctype == TLSM_CT_HANDSHAKE)
			(void)hs_feed(x, t, d, rec + TLSM_HDR_LEN,
			    reclen - TLSM_HDR_LEN);
		return (1);
	case PH_HS_ENC:
		if (ctype != TLSM_CT_APP) {
			/* Middlebox-compatibility CCS, plaintext alerts. */
			rec_result_init(t, d, &rr, rec, reclen);
			hs_record_done(x, d, &rr);
			return (1);
		}
		hs_enc_record(x, t, d, rec, reclen);
		return (1);
	case PH_APP:
		if (t->version == TLSM_V13 && ctype == TLSM_CT_CCS) {
			rec_result_init(t, d, &rr, rec, reclen);
			hs_record_done(x, d, &rr);
			return (1);
		}
		app_record(x, t, d, rec, reclen);
		return (1);
	case PH_DEAD:
		break;
	}
	return (1);
}

static void
dir_kill(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->dead_why, sizeof(d->dead_why), fmt, ap);
	va_end(ap);
	d->phase = PH_DEAD;
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = 0;
	problem(x, t, "%s: %s", side_name(t, d), d->dead_why);
}

static int
header_plausible(const uint8_t *h)
{

	return (h[0] >= 20 && h[0] <= 24 && h[1] == 3 && h[2] <= 4 &&
	    be16(h + 3) <= TLSM_MAX_PLAINTEXT + 2048);
}

static void
not_tls(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d)
{
	char first[80], *p;
	size_t i, n;

	n = d->len < 8 ? d->len : 8;
	p = first;
	for (i = 0; i < n; i++)
		p += sprintf(p, "%02x ", d->buf[i]);
	if (p > first)
		p[-1] = '\0';
	t->not_tls = 1;
	problem(x, t, "not TLS: the %s stream starts with %s%s",
	    side_name(t, d), first, t->c->dir[d->side].syn ? "" :
	    " (no SYN captured: the capture may start inside the connection)");
	for (i = 0; i < 2; i++) {
		free(t->d[i].buf);
		t->d[i].buf = NULL;
		t->d[i].len = t->d[i].cap = 0;
		t->d[i].phase = PH_DEAD;
	}
}

/* Frame and process the complete records a direction holds. */
static int
pump(struct rp_ctx *x, struct rp_tls *t, struct rp_dir *d)
{
	struct rp_rec_result rr;
	size_t reclen;
	int progress;
	uint8_t b5;

	progress = 0;
	while (d->phase != PH_DEAD && !t->not_tls && d->len >= TLSM_HDR_LEN) {
		if (!header_plausible(d->buf)) {
			if (d->nrec == 0) {
				not_tls(x, t, d);
				break;
			}
			rec_result_init(t, d, &rr, d->buf, TLSM_HDR_LEN);
			rr.app_phase = d->phase == PH_APP;
			rr.verdict = rr.check[RP_CHECK_MODEL] = RP_FAIL;
			rr.why = "bad record header";
			report_failure(x, t, d, &rr, "", rr.why);
			account(x, d, &rr, NULL);
			dir_kill(x, t, d, "bad record header %02x %02x %02x "
			    "%02x %02x at TCP seq %u: the rest of this "
			    "direction cannot be framed", d->buf[0],
			    d->buf[1], d->buf[2], d->buf[3], d->buf[4],
			    rr.tcp_seq);
			break;
		}
		reclen = TLSM_HDR_LEN + be16(d->buf + 3);
		if (d->len < reclen)
			break;
		if (d->nrec == 0) {
			/* The client opens with a ClientHello. */
			b5 = reclen > TLSM_HDR_LEN ? d->buf[5] : 0;
			if (d->buf[0] != TLSM_CT_HANDSHAKE ||
			    (from_client(t, d) && b5 != 1)) {
				if (from_client(t, d) ||
				    d->buf[0] != TLSM_CT_ALERT) {
					not_tls(x, t, d);
					break;
				}
			}
		}
		if (!record(x, t, d, reclen)) {
			if (d->len > RP_MAXWAIT)
				dir_kill(x, t, d, "waited for the %s, which "
				    "never came", !t->have_sh ? "ServerHello" :
				    "ClientHello");
			break;
		}
		d->nrec++;
		consume(d, reclen);
		progress = 1;
	}
	return (progress);
}

/* Who is the client, when no SYN said so. */
static void
find_client(struct rp_tls *t)
{
	struct rp_dir *d;
	int side;

	if (t->client >= 0)
		return;
	if (t->c->client >= 0) {
		t->client = t->c->client;
		t->client_from = "SYN";
		return;
	}
	for (side = 0; side < 2; side++) {
		d = &t->d[side];
		if (d->len < 6 || d->buf_off != 0)
			continue;
		if (d->buf[0] == TLSM_CT_HANDSHAKE && d->buf[5] == 1) {
			t->client = side;
			t->client_from = "ClientHello";
			return;
		}
		if (d->buf[0] == TLSM_CT_HANDSHAKE && d->buf[5] == 2) {
			t->client = !side;
			t->client_from = "ServerHello";
			return;
		}
	}
	if (t->d[0].len + t->d[1].len == 0)
		return;
	/* The well-known (lower) port is the server's. */
	t->client = t->c->ep[0].port > t->c->ep[1].port ? 0 : 1;
	t->client_from = "ports";
}

/* ---- TCP callbacks ------------------------------------------------------- */

static void
tcp_open(void *arg, struct rp_conn *c)
{
	struct rp_ctx *x = arg;
	struct rp_tls *t;

	x->tot->connections++;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return;
	t->c = c;
	t->client = -1;
	t->d[0].side = 0;
	t->d[1].side = 1;
	c->app = t;
}

static void
tcp_deliver(void *arg, struct rp_conn *c, int side, uint64_t off,
    const uint8_t *p, size_t len, uint64_t frame)
{
	struct rp_ctx *x = arg;
	struct rp_tls *t = c->app;
	struct rp_dir *d;
	uint8_t *nb;
	size_t ncap;
	int progress;

	if (t == NULL)
		return;
	d = &t->d[side];
	d->res.wire_bytes += len;
	d->res.segments++;
	if (d->phase == PH_DEAD || t->not_tls)
		return;
	if (d->len + len > d->cap) {
		ncap = d->cap == 0 ? 4096 : d->cap;
		while (ncap < d->len + len)
			ncap *= 2;
		nb = realloc(d->buf, ncap);
		if (nb == NULL) {
			dir_kill(x, t, d, "out of memory");
			return;
		}
		d->buf = nb;
		d->cap = ncap;
	}
	if (d->len == 0)
		d->buf_off = off;
	memcpy(d->buf + d->len, p, len);
	d->len += len;
	if (sq_push(d, off, len, frame) != 0) {
		dir_kill(x, t, d, "out of memory");
		return;
	}
	rx_feed(x, d);
	find_client(t);
	if (t->client < 0)
		return;
	do {
		progress = pump(x, t, &t->d[0]);
		progress |= pump(x, t, &t->d[1]);
	} while (progress);
}

static void
tcp_gap(void *arg, struct rp_conn *c, int side, uint64_t off, uint64_t len,
    uint32_t seq)
{
	struct rp_ctx *x = arg;
	struct rp_tls *t = c->app;
	struct rp_rec_result rr;
	struct rp_dir *d;

	if (t == NULL || t->not_tls)
		return;
	d = &t->d[side];
	if (d->phase == PH_DEAD)
		return;
	if (d->len > 0 && d->phase == PH_APP) {
		rec_result_init(t, d, &rr, d->buf, d->len);
		rr.app_phase = 1;
		rr.encrypted = 1;
		rr.seq = d->seq;
		rr.epoch = d->epoch;
		rr.why = WHY_GAP;
		account(x, d, &rr, NULL);
	}
	dir_kill(x, t, d, "%llu bytes missing at TCP seq %u-%u (stream offset "
	    "%llu): never captured; the rest of this direction cannot be "
	    "read", (unsigned long long)len, seq, seq + (uint32_t)len - 1,
	    (unsigned long long)off);
}

static void
tcp_conflict(void *arg, struct rp_conn *c, int side, uint64_t off,
    size_t len, uint64_t frame)
{
	struct rp_ctx *x = arg;
	struct rp_tls *t = c->app;

	if (t == NULL)
		return;
	msg(x, t, "%s: frame %llu carries %zu bytes at TCP seq %u that "
	    "differ from the copy captured first (kept)", side_name(t,
	    &t->d[side]), (unsigned long long)frame, len,
	    rp_reasm_seq(&c->dir[side], off));
}

static void
tcp_overflow(void *arg, struct rp_conn *c, int side, uint64_t off,
    size_t buffered)
{
	struct rp_ctx *x = arg;
	struct rp_tls *t = c->app;

	if (t == NULL)
		return;
	msg(x, t, "%s: %zu bytes wait behind a hole at TCP seq %u, more than "
	    "the reordering buffer holds: the hole is a gap", side_name(t,
	    &t->d[side]), buffered, rp_reasm_seq(&c->dir[side], off));
}

static void
dir_free(struct rp_ctx *x, struct rp_dir *d)
{

	if (d->bctx != NULL && x->be->dir_close != NULL)
		x->be->dir_close(d->bctx);
	d->bctx = NULL;
	free(d->buf);
	free(d->sq);
	free(d->hs.body);
	OPENSSL_cleanse(&d->st, sizeof(d->st));
	OPENSSL_cleanse(&d->hs_st, sizeof(d->hs_st));
	OPENSSL_cleanse(d->secret, sizeof(d->secret));
}

static void
tcp_close(void *arg, struct rp_conn *c, const char *why)
{
	struct rp_ctx *x = arg;
	struct rp_tls *t = c->app;
	struct rp_conn_result cr;
	struct rp_rec_result rr;
	struct rp_dir *d;
	int side, i, any;

	if (t == NULL)
		return;
	find_client(t);
	if (t->client < 0)
		t->client = c->client >= 0 ? c->client : 0;
	any = t->d[0].res.wire_bytes + t->d[1].res.wire_bytes != 0;
	for (side = 0; side < 2; side++) {
		d = &t->d[side];
		if (d->phase == PH_DEAD || t->not_tls || d->len == 0)
			continue;
		if (d->phase == PH_APP) {
			/* The capture stops inside a record. */
			rec_result_init(t, d, &rr, d->buf, d->len);
			rr.app_phase = rr.encrypted = 1;
			rr.seq = d->seq;
			rr.epoch = d->epoch;
			rr.why = WHY_CUT;
			account(x, d, &rr, NULL);
		} else if (!t->have_sh && d->len >= TLSM_HDR_LEN) {
			problem(x, t, "%s: %zu bytes never read: %s",
			    side_name(t, d), d->len, WHY_NOSH);
		}
	}

	memset(&cr, 0, sizeof(cr));
	cr.index = c->index;
	rp_endpoint_str(&c->ep[t->client], cr.client, sizeof(cr.client));
	rp_endpoint_str(&c->ep[!t->client], cr.server, sizeof(cr.server));
	cr.client_from = t->client_from != NULL ? t->client_from :
	    c->client >= 0 ? "SYN" : "ports";
	cr.tls = any && !t->not_tls && t->have_ch;
	if (cr.tls)
		x->tot->tls_connections++;
	cr.version = t->have_sh ? version_name(t->version) : NULL;
	snprintf(cr.suite, sizeof(cr.suite), "%s",
	    t->have_sh ? t->suite_name : "");
	cr.ktls_suite = t->uksuite != NULL ? t->uksuite->name : NULL;
	cr.etm = t->etm;
	cr.ems = t->ems;
	cr.compression = t->compression;
	cr.mfl = t->mfl;
	cr.rsl = t->rsl;
	cr.keys = t->keys;
	cr.closed = why;
	snprintf(cr.problem, sizeof(cr.problem), "%s", t->problem);
	if (any && !t->not_tls && !t->have_ch && t->problem[0] == '\0') {
		snprintf(cr.problem, sizeof(cr.problem), "no ClientHello "
		    "seen");
		x->tot->problems++;
		msg(x, t, "no ClientHello seen: not read as TLS");
	}
	for (side = 0; side < 2; side++) {
		d = &t->d[side];
		i = side == t->client ? 0 : 1;
		cr.dir[i] = d->res;
		cr.dir[i].from_client = i == 0;
		cr.dir[i].tcp = c->dir[side].st;
	}
	if (x->o->on_conn != NULL)
		x->o->on_conn(x->o->arg, &cr);
	for (side = 0; side < 2; side++)
		dir_free(x, &t->d[side]);
	free(t);
	c->app = NULL;
}

static const struct rp_tcp_cb tcp_cb = {
	.open = tcp_open,
	.deliver = tcp_deliver,
	.gap = tcp_gap,
	.conflict = tcp_conflict,
	.overflow = tcp_overflow,
	.close = tcp_close,
};

/* ---- the run ------------------------------------------------------------- */

static void
progress_line(const struct replay_opts *o, struct rp_pcap *p,
    struct rp_tcp *tcp, const struct replay_totals *tot, int done)
{
	uint64_t pos, size;

	if (done) {
		fprintf(o->msgs, "\r\033[K");
		fflush(o->msgs);
		return;
	}
	rp_pcap_progress(p, &pos, &size);
	fprintf(o->msgs, "\rreplay: %3u%% of %.1f MB, %llu connections "
	    "(%zu open), %llu records checked\033[K",
	    size != 0 ? (unsigned)(pos * 100 / size) : 0, size / 1e6,
	    (unsigned long long)rp_tcp_nconns(tcp), rp_tcp_nlive(tcp),
	    (unsigned long long)(tot->verified + tot->failed +
	    tot->not_verifiable));
	fflush(o->msgs);
}

int
replay_run(const char *path, const struct replay_opts *o,
    struct replay_totals *tot)
{
	struct rp_ctx *x;
	struct rp_pcap *p;
	struct rp_tcp *tcp;
	struct rp_segment seg;
	struct timespec now, last;
	uint64_t size, pos;
	size_t bad_line;
	int error, rc, show;

	memset(tot, 0, sizeof(*tot));
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(tot->error, sizeof(tot->error), "out of memory");
		return (RP_EXIT_USAGE);
	}
	x->o = o;
	x->tot = tot;
	x->be = o->backend;
	if (o->keylog != NULL) {
		bad_line = 0;
		error = tlsm_keylog_load(&x->kl, o->keylog, &bad_line);
		if (error != 0) {
			if (error == EINVAL && bad_line != 0)
				snprintf(tot->error, sizeof(tot->error),
				    "%s: line %zu: malformed key log line",
				    o->keylog, bad_line);
			else
				snprintf(tot->error, sizeof(tot->error),
				    "%s: %s", o->keylog, strerror(error));
			tlsm_keylog_free(&x->kl);
			free(x);
			return (RP_EXIT_USAGE);
		}
	}
	x->sslctx = SSL_CTX_new(TLS_method());
	if (x->sslctx != NULL)
		x->ssl = SSL_new(x->sslctx);

	rc = RP_EXIT_OK;
	tcp = NULL;
	if (rp_pcap_open(path, &p, tot->error, sizeof(tot->error)) != 0) {
		tot->unreadable = 1;
		rc = RP_EXIT_USAGE;
		goto out;
	}
	snprintf(tot->linktype, sizeof(tot->linktype), "%s",
	    rp_pcap_linktype(p));
	snprintf(tot->format, sizeof(tot->format), "%s", rp_pcap_format(p));
	tcp = rp_tcp_new(&tcp_cb, x, &o->lim);
	if (tcp == NULL) {
		snprintf(tot->error, sizeof(tot->error), "out of memory");
		rp_pcap_close(p);
		rc = RP_EXIT_USAGE;
		goto out;
	}
	rp_pcap_progress(p, &pos, &size);
	show = o->progress && o->msgs != NULL && size > (32u << 20);
	clock_gettime(CLOCK_MONOTONIC, &last);
	for (;;) {
		rc = rp_pcap_next(p, &seg, tot->error, sizeof(tot->error));
		if (rc <= 0)
			break;
		rp_tcp_input(tcp, &seg);
		if (show && (seg.frame & 1023) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec != last.tv_sec) {
				last = now;
				progress_line(o, p, tcp, tot, 0);
			}
		}
	}
	if (show)
		progress_line(o, p, tcp, tot, 1);
	if (rc < 0) {
		tot->truncated = 1;
		tot->problems++;
		if (o->msgs != NULL)
			fprintf(o->msgs, "replay: %s: capture unreadable %s; "
			    "the connections so far are reported as they "
			    "stand\n", path, tot->error);
	}
	rp_tcp_finish(tcp);
	rp_pcap_stats(p, &tot->pcap);
	rp_pcap_close(p);
	rp_tcp_free(tcp);
	if (x->be != NULL && x->be->finish != NULL &&
	    x->be->finish(tot->error, sizeof(tot->error)) != 0) {
		tot->backend_leak = 1;
		tot->failed++;
		if (o->msgs != NULL)
			fprintf(o->msgs, "replay: uktls: %s\n", tot->error);
	}
	if (tot->failed != 0)
		rc = RP_EXIT_FAILED;
	else if (tot->problems != 0)
		rc = RP_EXIT_INPUT;
	else
		rc = RP_EXIT_OK;
out:
	if (x->ssl != NULL)
		SSL_free(x->ssl);
	if (x->sslctx != NULL)
		SSL_CTX_free(x->sslctx);
	tlsm_keylog_free(&x->kl);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
	return (rc);
}
