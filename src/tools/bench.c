/*
 * uktls bench: speed and memory of the KTLS datapath, against raw
 * OpenSSL in the same run.
 *
 * The numbers that matter are ratios.  For each suite the bench first
 * times a minimal EVP loop (the baseline): one cipher context keyed
 * once, and for CBC one HMAC context, sealing the plaintext into 16 KiB
 * TLS records in place, then opening them in place.  That is the work
 * the datapath cannot avoid, done with nothing around it, so it is the
 * ceiling; the KTLS paths are reported as a fraction of it.  The model
 * (model/tls_record.h) is not the baseline: it builds an EVP context
 * per record and never works in place, which would flatter uktls.  It
 * is the judge instead: on the first (warm-up) run of every path each
 * record the datapath produced is opened by the model and compared
 * with the plaintext, so a fast wrong answer cannot pass.
 *
 * Paths, each with the same plaintext:
 *
 *   tx sendfile sink   uk_sendfile of a page-cache file into a KTLS TX
 *                      socket that is a loopback sink; the wire bytes
 *                      come out with uk_test_sndbuf_take (uncounted)
 *   tx sendfile tcp    the same over uk_socketpair_tcp, the peer
 *                      draining the ciphertext with uk_read
 *   tx write sink/tcp  uk_write of the bytes from a user buffer
 *   rx recvmsg         the baseline's sealed records injected into a
 *                      KTLS RX socket (uk_test_rcvbuf_inject, as TCP
 *                      hands over a segment) and read with uk_recvmsg
 *
 * The sink rows are the datapath alone; the tcp rows add the loopback
 * TCP shim, and the difference is the shim's share.  Wall time is
 * CLOCK_MONOTONIC (the simulated clock is not real time).  Memory is
 * sampled with uk_counters() after every step of the driving loop:
 * pages, mbufs and clusters alive above what was alive before the path
 * started (the file's own page-cache pages are not counted), and the
 * bytes sitting in the socket buffers at the same moments.
 */
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/suites.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "tls_keys.h"
#include "tls_record.h"

#include "cli.h"

#define	B_RECLEN	16384		/* plaintext per record */
#define	B_SLOT		(B_RECLEN + 128) /* room for one sealed record */
#define	B_SOCKBUF	(256 * 1024)	/* SO_SNDBUF / SO_RCVBUF */
#define	B_SCRATCH	(256 * 1024)
#define	B_STALL		100000		/* loop turns without progress */
#define	B_MAXRUNS	100
#define	B_PAGE		4096		/* src/sys/param.h PAGE_SIZE */
#define	B_MSIZE		256		/* MSIZE */
#define	B_MCLBYTES	2048		/* MCLBYTES */

enum {
	R_SEAL, R_OPEN, R_SF_SINK, R_SF_TCP, R_WR_SINK, R_WR_TCP, R_RX,
	NROWS
};

static const struct row_def {
	const char	*name;		/* JSON key */
	const char	*label;		/* table */
	int		 base;		/* row it is a fraction of, or -1 */
	double		 floor;		/* --check: least ratio */
} rows[NROWS] = {
	{ "baseline_seal", "openssl seal (baseline)", -1, 0 },
	{ "baseline_open", "openssl open (baseline)", -1, 0 },
	{ "tx_sendfile_sink", "ktls tx sendfile, sink", R_SEAL, 0.50 },
	{ "tx_sendfile_tcp", "ktls tx sendfile, tcp", R_SEAL, 0.08 },
	{ "tx_write_sink", "ktls tx write, sink", R_SEAL, 0.35 },
	{ "tx_write_tcp", "ktls tx write, tcp", R_SEAL, 0.08 },
	{ "rx_recvmsg", "ktls rx recvmsg", R_OPEN, 0.30 },
};

static const char *const default_suites[] = {
	"aes128-gcm-1.3", "aes256-gcm-1.2", "chacha20-poly1305-1.3",
	"aes128-cbc-sha256-1.2",
};

struct bench_opts {
	const struct uk_suite *suites[32];
	int		 nsuites;
	uint64_t	 bytes;
	int		 workers;
	int		 runs;
	int		 json;
	int		 check;
};

/* One run of one path. */
struct sample {
	double		 secs;
	int64_t		 copied, crypto;	/* counter deltas */
	int64_t		 peak_pages, peak_mbufs, peak_clusters;
	int64_t		 peak_mem;		/* bytes of buffer */
	int64_t		 peak_inflight;		/* bytes in socket buffers */
	uint64_t	 wire;			/* ciphertext bytes */
};

struct row_result {
	int		 ran;
	int		 ok;
	double		 mbps[B_MAXRUNS];
	double		 median;
	double		 ratio;			/* to its baseline */
	double		 copies, passes;	/* per payload byte */
	struct sample	 s;			/* memory: largest peaks */
	int64_t		 left_pages, left_mbufs, left_clusters;
	char		 why[256];
};

/* One direction of the baseline: contexts keyed once. */
struct evp_dir {
	EVP_CIPHER_CTX	*c;
	EVP_MAC_CTX	*m;
	uint8_t		 iv[16];
	int		 enc;
};

struct bench_suite {
	const struct uk_suite *us;
	struct tlsm_state ms;		/* the model's keys, for checking */
	uint16_t	 version;
	enum tlsm_cipher cipher;
	size_t		 maclen;
	size_t		 hlen;		/* header before the ciphertext */
	uint8_t		 key[32], iv[16], mkey[48];
	size_t		 ivlen;		/* as in struct tls_enable */
	struct evp_dir	 seal, open;
	uint8_t		*plain;		/* the bytes every path carries */
	uint64_t	 bytes;
	uint8_t		*wire;		/* records laid out for the baseline */
	uint8_t		*rxwire;	/* sealed records for the rx path */
	size_t		 wirelen;
	size_t		 nrec;
	int		 fd;		/* page-cache file of plain */
	uint8_t		*scratch;
};

/* Records read back: opened with the model and compared. */
struct verifier {
	const struct bench_suite *bs;
	struct tlsm_state st;
	uint8_t		*buf;
	size_t		 len;
	uint64_t	 seq;
	uint64_t	 off;		/* plaintext matched so far */
	uint8_t		*out;
	int		 bad;
	char		 why[160];
};

static void
bench_usage(FILE *fp)
{

	fprintf(fp,
	    "usage: uktls bench [--suite NAME|all] [--bytes N] [--runs N] "
	    "[--workers N]\n"
	    "                   [--json] [--check]\n"
	    "\n"
	    "Speed and memory of the KTLS datapath against raw OpenSSL in "
	    "the same run.\n"
	    "Per suite: an EVP loop sealing and opening 16 KiB records in "
	    "place (the\n"
	    "baseline), then KTLS transmit with sendfile and with write, "
	    "each into a\n"
	    "loopback sink and over the TCP shim, and KTLS receive with "
	    "recvmsg.  Each\n"
	    "path reports MB/s (10^6 bytes), its ratio to the baseline, "
	    "CPU copies and\n"
	    "crypto passes per byte, and peak pages, mbufs and buffer bytes "
	    "per byte in\n"
	    "flight.  The median of the runs is reported, after a warm-up "
	    "run that also\n"
	    "checks every record with the reference model.\n"
	    "\n"
	    "  --suite NAME   one suite, or all (default: aes128-gcm-1.3, "
	    "aes256-gcm-1.2,\n"
	    "                 chacha20-poly1305-1.3, aes128-cbc-sha256-1.2); "
	    "repeatable\n"
	    "  --bytes N      plaintext per path and run (default 64m; "
	    "suffixes k, m)\n"
	    "  --runs N       timed runs per path, 1..%d (default 3)\n"
	    "  --workers N    worker threads; 0 = deterministic run queue "
	    "(default)\n"
	    "  --json         print one JSON object instead of the table\n"
	    "  --check        exit 1 if a ratio is below its floor "
	    "(docs/bench.md)\n"
	    "\n"
	    "Ratios are machine-relative: both sides run on this machine, "
	    "now.\n"
	    "Exit status: 0 ok, 1 a path failed (or --check missed a floor), "
	    "2 bad usage.\n", B_MAXRUNS);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* xorshift64*: the plaintext and the keys, the same on every run. */
static void
pattern(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed | 1, v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			v = x * 0x2545F4914F6CDD1DULL;
		}
		p[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
}

static void
be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* ---- the baseline: a direct EVP loop ------------------------------------ */

static const EVP_CIPHER *
evp_cipher(const struct bench_suite *bs)
{

	switch (bs->cipher) {
	case TLSM_GCM:
		return (bs->us->cipher_key_len == 16 ? EVP_aes_128_gcm() :
		    EVP_aes_256_gcm());
	case TLSM_CHACHA:
		return (EVP_chacha20_poly1305());
	default:
		return (bs->us->cipher_key_len == 16 ? EVP_aes_128_cbc() :
		    EVP_aes_256_cbc());
	}
}

static int
evp_dir_init(struct bench_suite *bs, struct evp_dir *d, int enc)
{
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	const char *md;

	d->enc = enc;
	memcpy(d->iv, bs->iv, sizeof(d->iv));
	d->c = EVP_CIPHER_CTX_new();
	if (d->c == NULL || EVP_CipherInit_ex2(d->c, evp_cipher(bs), bs->key,
	    bs->cipher == TLSM_CBC && bs->version == TLSM_V10 ? bs->iv :
	    NULL, enc, NULL) != 1)
		return (-1);
	if (bs->cipher != TLSM_CBC)
		return (0);
	EVP_CIPHER_CTX_set_padding(d->c, 0);
	md = bs->maclen == 20 ? "SHA1" : bs->maclen == 32 ? "SHA256" :
	    "SHA384";
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return (-1);
	d->m = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)(uintptr_t)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (d->m == NULL || EVP_MAC_init(d->m, bs->mkey, bs->maclen,
	    params) != 1)
		return (-1);
	return (0);
}

static void
evp_dir_free(struct evp_dir *d)
{

	EVP_CIPHER_CTX_free(d->c);
	EVP_MAC_CTX_free(d->m);
	memset(d, 0, sizeof(*d));
}

/* The sealed length of a record of plen bytes. */
static size_t
rec_len(const struct bench_suite *bs, size_t plen)
{

	if (bs->cipher != TLSM_CBC)
		return (bs->hlen + plen + (bs->version == TLSM_V13 ? 1 : 0) +
		    16);
	return (bs->hlen + (plen + bs->maclen + 1 + 15) / 16 * 16);
}

static void
aead_nonce(const struct bench_suite *bs, const struct evp_dir *d,
    uint64_t seq, const uint8_t *rec, uint8_t nonce[12])
{
	uint8_t s[8];
	int i;

	if (bs->cipher == TLSM_GCM && bs->version != TLSM_V13) {
		memcpy(nonce, d->iv, 4);
		memcpy(nonce + 4, rec + 5, 8);
		return;
	}
	memcpy(nonce, d->iv, 12);
	be64(s, seq);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= s[i];
}

/* TLS 1.2 additional data / MAC header: seq, type, version, length. */
static void
pseudo_hdr(const struct bench_suite *bs, uint64_t seq, size_t plen,
    uint8_t ad[13])
{

	be64(ad, seq);
	ad[8] = TLSM_CT_APP;
	ad[9] = 3;
	ad[10] = (uint8_t)(bs->version & 0xff);
	ad[11] = (uint8_t)(plen >> 8);
	ad[12] = (uint8_t)plen;
}

static int
hmac(struct evp_dir *d, const uint8_t ad[13], const uint8_t *p,
    size_t len, uint8_t *out, size_t maclen)
{
	size_t n;

	return (EVP_MAC_init(d->m, NULL, 0, NULL) == 1 &&
	    EVP_MAC_update(d->m, ad, 13) == 1 &&
	    EVP_MAC_update(d->m, p, len) == 1 &&
	    EVP_MAC_final(d->m, out, &n, maclen) == 1 && n == maclen ? 0 :
	    -1);
}

/*
 * Seal the record at rec whose plaintext is already in place at
 * rec + hlen.  Returns the record length, or 0.
 */
static size_t
seal_record(struct bench_suite *bs, uint64_t seq, uint8_t *rec,
    size_t plen)
{
	struct evp_dir *d = &bs->seal;
	uint8_t ad[13], nonce[12], *p;
	size_t len, clen, i, pad;
	int n;

	len = rec_len(bs, plen);
	p = rec + bs->hlen;
	rec[0] = TLSM_CT_APP;
	rec[1] = 3;
	rec[2] = bs->version == TLSM_V13 ? 3 : (uint8_t)(bs->version & 0xff);
	rec[3] = (uint8_t)((len - 5) >> 8);
	rec[4] = (uint8_t)(len - 5);
	if (bs->cipher == TLSM_CBC) {
		pseudo_hdr(bs, seq, plen, ad);
		if (hmac(d, ad, p, plen, p + plen, bs->maclen) != 0)
			return (0);
		clen = len - bs->hlen;
		pad = clen - plen - bs->maclen;
		for (i = 0; i < pad; i++)
			p[plen + bs->maclen + i] = (uint8_t)(pad - 1);
		if (bs->version != TLSM_V10 &&
		    (RAND_bytes(rec + 5, 16) != 1 ||
		    EVP_CipherInit_ex2(d->c, NULL, NULL, rec + 5, 1,
		    NULL) != 1))
			return (0);
		if (EVP_CipherUpdate(d->c, p, &n, p, (int)clen) != 1 ||
		    (size_t)n != clen)
			return (0);
		return (len);
	}
	if (bs->version == TLSM_V13) {
		p[plen] = TLSM_CT_APP;
		memcpy(ad, rec, 5);
		clen = plen + 1;
		n = 5;
	} else {
		if (bs->cipher == TLSM_GCM)
			be64(rec + 5, seq);
		pseudo_hdr(bs, seq, plen, ad);
		clen = plen;
		n = 13;
	}
	aead_nonce(bs, d, seq, rec, nonce);
	if (EVP_CipherInit_ex2(d->c, NULL, NULL, nonce, 1, NULL) != 1 ||
	    EVP_CipherUpdate(d->c, NULL, &n, ad, n) != 1 ||
	    EVP_CipherUpdate(d->c, p, &n, p, (int)clen) != 1 ||
	    EVP_CipherFinal_ex(d->c, p + clen, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->c, EVP_CTRL_AEAD_GET_TAG, 16,
	    p + clen) != 1)
		return (0);
	return (len);
}

/* Open a record in place; returns 0 when it authenticates, -1 if not. */
static int
open_record(struct bench_suite *bs, uint64_t seq, uint8_t *rec,
    size_t len, size_t plen)
{
	struct evp_dir *d = &bs->open;
	uint8_t ad[13], nonce[12], mac[48], *p;
	size_t clen, i, pad;
	int n, bad;

	p = rec + bs->hlen;
	clen = len - bs->hlen;
	if (bs->cipher == TLSM_CBC) {
		if ((bs->version != TLSM_V10 &&
		    EVP_CipherInit_ex2(d->c, NULL, NULL, rec + 5, 0,
		    NULL) != 1) ||
		    EVP_CipherUpdate(d->c, p, &n, p, (int)clen) != 1 ||
		    (size_t)n != clen)
			return (-1);
		pad = (size_t)p[clen - 1] + 1;
		if (pad + bs->maclen > clen)
			return (-1);
		for (bad = 0, i = 0; i < pad; i++)
			bad |= p[clen - 1 - i] ^ p[clen - 1];
		plen = clen - pad - bs->maclen;
		pseudo_hdr(bs, seq, plen, ad);
		if (bad || hmac(d, ad, p, plen, mac, bs->maclen) != 0 ||
		    CRYPTO_memcmp(mac, p + plen, bs->maclen) != 0)
			return (-1);
		return (0);
	}
	if (bs->version == TLSM_V13) {
		memcpy(ad, rec, 5);
		clen -= 16;
		n = 5;
	} else {
		pseudo_hdr(bs, seq, plen, ad);
		clen -= 16;
		n = 13;
	}
	aead_nonce(bs, d, seq, rec, nonce);
	if (EVP_CipherInit_ex2(d->c, NULL, NULL, nonce, 0, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(d->c, EVP_CTRL_AEAD_SET_TAG, 16,
	    p + clen) != 1 ||
	    EVP_CipherUpdate(d->c, NULL, &n, ad, n) != 1 ||
	    EVP_CipherUpdate(d->c, p, &n, p, (int)clen) != 1 ||
	    EVP_CipherFinal_ex(d->c, p + clen, &n) != 1)
		return (-1);
	if (bs->version == TLSM_V13 && p[clen - 1] != TLSM_CT_APP)
		return (-1);
	return (0);
}

/* The plaintext into each record's place in the wire (not timed). */
static void
layout(struct bench_suite *bs)
{
	size_t i, off, plen;

	for (i = 0, off = 0; i < bs->nrec; i++) {
		plen = bs->bytes - i * B_RECLEN < B_RECLEN ?
		    bs->bytes - i * B_RECLEN : B_RECLEN;
		memcpy(bs->wire + off + bs->hlen, bs->plain + i * B_RECLEN,
		    plen);
		off += rec_len(bs, plen);
	}
}

static int
baseline(struct bench_suite *bs, int open, struct sample *s, char *why,
    size_t whylen)
{
	struct evp_dir *d = open ? &bs->open : &bs->seal;
	size_t i, off, plen, len;
	double t0;

	/* One cipher pass over the payload, no copy, no kernel buffers. */
	memset(s, 0, sizeof(*s));
	s->crypto = (int64_t)bs->bytes;

	/* TLS 1.0 chains the IV: every pass starts from the session's. */
	if (bs->version == TLSM_V10 && EVP_CipherInit_ex2(d->c, NULL, NULL,
	    bs->iv, d->enc, NULL) != 1) {
		snprintf(why, whylen, "EVP IV reset failed");
		return (-1);
	}
	t0 = now();
	for (i = 0, off = 0; i < bs->nrec; i++) {
		plen = bs->bytes - i * B_RECLEN < B_RECLEN ?
		    bs->bytes - i * B_RECLEN : B_RECLEN;
		len = rec_len(bs, plen);
		if (open ? open_record(bs, i, bs->wire + off, len, plen) != 0 :
		    seal_record(bs, i, bs->wire + off, plen) != len) {
			snprintf(why, whylen, "EVP %s failed at record %zu",
			    open ? "open" : "seal", i);
			return (-1);
		}
		off += len;
	}
	s->secs = now() - t0;
	s->wire = off;
	bs->wirelen = off;
	return (0);
}

/* ---- checking with the model -------------------------------------------- */

static void
verify_init(struct verifier *v, const struct bench_suite *bs)
{

	memset(v, 0, sizeof(*v));
	v->bs = bs;
	v->st = bs->ms;
	v->buf = malloc(2 * B_SLOT);
	v->out = malloc(B_SLOT);
	if (v->buf == NULL || v->out == NULL) {
		v->bad = 1;
		snprintf(v->why, sizeof(v->why), "out of memory");
	}
}

static void
verify_feed(struct verifier *v, const uint8_t *p, size_t n)
{
	size_t take, reclen, outlen;
	uint8_t type;
	int error = EAGAIN;

	while (n > 0 && !v->bad) {
		take = 2 * B_SLOT - v->len < n ? 2 * B_SLOT - v->len : n;
		memcpy(v->buf + v->len, p, take);
		v->len += take;
		p += take;
		n -= take;
		while (!v->bad && (error = tlsm_next_record(&v->st, v->buf,
		    v->len, &reclen, NULL)) == 0) {
			error = tlsm_open(&v->st, v->seq, v->buf, reclen, &type,
			    v->out, B_SLOT, &outlen);
			if (error != 0 || type != TLSM_CT_APP ||
			    v->off + outlen > v->bs->bytes ||
			    memcmp(v->out, v->bs->plain + v->off,
			    outlen) != 0) {
				v->bad = 1;
				snprintf(v->why, sizeof(v->why), "record %"
				    PRIu64 " does not open to the plaintext "
				    "(%s)", v->seq, error != 0 ?
				    strerror(error) : "content differs");
				break;
			}
			v->off += outlen;
			v->seq++;
			memmove(v->buf, v->buf + reclen, v->len - reclen);
			v->len -= reclen;
		}
		if (!v->bad && error != EAGAIN) {
			v->bad = 1;
			snprintf(v->why, sizeof(v->why), "bad record header "
			    "after record %" PRIu64 ": %s", v->seq,
			    strerror(error));
		}
	}
}

static int
verify_done(struct verifier *v, char *why, size_t whylen)
{
	int rc;

	if (!v->bad && (v->len != 0 || v->off != v->bs->bytes)) {
		v->bad = 1;
		snprintf(v->why, sizeof(v->why), "%" PRIu64 " of %" PRIu64
		    " bytes came back, %zu left over", v->off, v->bs->bytes,
		    v->len);
	}
	rc = v->bad ? -1 : 0;
	if (v->bad)
		snprintf(why, whylen, "%s", v->why);
	free(v->buf);
	free(v->out);
	return (rc);
}

/* ---- the KTLS paths ----------------------------------------------------- */

struct meter {
	struct uk_counters c0;
	struct sample	*s;
};

static void
meter_start(struct meter *m, struct sample *s)
{

	memset(s, 0, sizeof(*s));
	m->s = s;
	uk_counters(&m->c0);
}

/* A sample: live objects now, and the bytes queued in socket buffers. */
static void
meter_sample(struct meter *m, int snd, int rcv)
{
	struct uk_test_sbinfo si;
	struct uk_test_rcvinfo ri;
	struct uk_counters c;
	int64_t pages, mbufs, cl, mem, inflight;

	uk_counters(&c);
	pages = c.pages - m->c0.pages;
	mbufs = c.mbufs - m->c0.mbufs;
	cl = c.clusters - m->c0.clusters;
	mem = pages * B_PAGE + mbufs * B_MSIZE + cl * B_MCLBYTES;
	inflight = 0;
	if (snd >= 0 && uk_test_sndbuf_info(snd, &si) == 0)
		inflight += si.ccc;
	if (rcv >= 0 && uk_test_rcvbuf_info(rcv, &ri) == 0)
		inflight += ri.ccc;
	if (pages > m->s->peak_pages)
		m->s->peak_pages = pages;
	if (mbufs > m->s->peak_mbufs)
		m->s->peak_mbufs = mbufs;
	if (cl > m->s->peak_clusters)
		m->s->peak_clusters = cl;
	if (mem > m->s->peak_mem)
		m->s->peak_mem = mem;
	if (inflight > m->s->peak_inflight)
		m->s->peak_inflight = inflight;
}

static void
meter_stop(struct meter *m)
{
	struct uk_counters c;

	uk_counters(&c);
	m->s->copied = c.copied_bytes - m->c0.copied_bytes;
	m->s->crypto = c.crypto_bytes - m->c0.crypto_bytes;
}

static void
fill_enable(const struct bench_suite *bs, struct tls_enable *en)
{

	cli_tls_enable(bs->us, bs->key, bs->iv, bs->mkey, 0, en);
}

static int
sock_setup(const struct bench_suite *bs, int s, int opt, char *why,
    size_t whylen)
{
	struct tls_enable en;
	int sz = B_SOCKBUF;

	if (uk_setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) != 0 ||
	    uk_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) != 0 ||
	    uk_set_nonblock(s, 1) != 0) {
		snprintf(why, whylen, "socket set-up: %s", strerror(errno));
		return (-1);
	}
	if (opt == 0)
		return (0);
	fill_enable(bs, &en);
	if (uk_setsockopt(s, IPPROTO_TCP, opt, &en, sizeof(en)) != 0) {
		snprintf(why, whylen, "%s: %s", opt == TCP_TXTLS_ENABLE ?
		    "TCP_TXTLS_ENABLE" : "TCP_RXTLS_ENABLE", strerror(errno));
		return (-1);
	}
	return (0);
}

/* One send step of a transmit path; bytes queued, 0 when full, -1. */
static ssize_t
tx_step(struct bench_suite *bs, int sendfile, int s, uint64_t off)
{
	off_t sbytes;
	size_t len;
	ssize_t n;

	len = bs->bytes - off;
	if (sendfile) {
		sbytes = 0;
		if (uk_sendfile(bs->fd, s, (off_t)off, len, NULL, &sbytes,
		    0) != 0 && sbytes == 0)
			return (errno == EAGAIN || errno == ENOBUFS ? 0 : -1);
		return ((ssize_t)sbytes);
	}
	n = uk_write(s, bs->plain + off, len);
	if (n < 0)
		return (errno == EAGAIN || errno == ENOBUFS ? 0 : -1);
	return (n);
}

/*
 * Transmit the plaintext through a KTLS TX socket: into a sink (tcp 0),
 * whose ready bytes are taken out as the wire would, or over a TCP pair
 * whose other end reads the ciphertext.
 */
static int
tx_path(struct bench_suite *bs, int sendfile, int tcp, int verify,
    struct sample *s, char *why, size_t whylen)
{
	struct verifier v;
	struct meter m;
	uint64_t off;
	ssize_t n, got;
	int sv[2] = { -1, -1 }, tx, rx, stall, eof, rc;
	double t0;

	rc = -1;
	if (verify)
		verify_init(&v, bs);
	meter_start(&m, s);
	if (tcp) {
		if (uk_socketpair_tcp(sv) != 0) {
			snprintf(why, whylen, "socket pair: %s",
			    strerror(errno));
			goto out;
		}
		rx = sv[0];
		tx = sv[1];
		if (sock_setup(bs, rx, 0, why, whylen) != 0)
			goto out;
	} else {
		sv[1] = tx = uk_socket(AF_INET, SOCK_STREAM, 0);
		rx = -1;
		if (tx < 0) {
			snprintf(why, whylen, "socket: %s", strerror(errno));
			goto out;
		}
	}
	if (sock_setup(bs, tx, TCP_TXTLS_ENABLE, why, whylen) != 0)
		goto out;

	t0 = now();
	for (off = 0, stall = 0, eof = 0; !eof; ) {
		got = 0;
		if (off < bs->bytes) {
			n = tx_step(bs, sendfile, tx, off);
			if (n < 0) {
				snprintf(why, whylen, "%s at %" PRIu64 ": %s",
				    sendfile ? "sendfile" : "write", off,
				    strerror(errno));
				goto out;
			}
			off += n;
			got += n;
			if (off == bs->bytes && tcp &&
			    uk_shutdown(tx, SHUT_WR) != 0) {
				snprintf(why, whylen, "shutdown: %s",
				    strerror(errno));
				goto out;
			}
		}
		if (tcp)
			uk_net_run();
		else
			uk_run();
		meter_sample(&m, tx, rx);
		for (;;) {
			if (tcp)
				n = uk_read(rx, bs->scratch, B_SCRATCH);
			else
				n = uk_test_sndbuf_take(tx, bs->scratch,
				    B_SCRATCH);
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0) {
				snprintf(why, whylen, "reading the wire: %s",
				    strerror(errno));
				goto out;
			}
			if (n == 0) {
				/* The sink is empty once all is taken. */
				if (tcp || off == bs->bytes)
					eof = tcp || uk_pending() == 0;
				break;
			}
			if (verify)
				verify_feed(&v, bs->scratch, (size_t)n);
			s->wire += n;
			got += n;
		}
		if (!tcp && eof) {
			struct uk_test_sbinfo si;

			eof = uk_test_sndbuf_info(tx, &si) == 0 &&
			    si.ccc == 0;
		}
		stall = got != 0 ? 0 : stall + 1;
		if (stall > B_STALL) {
			snprintf(why, whylen, "stalled at byte %" PRIu64, off);
			goto out;
		}
	}
	s->secs = now() - t0;
	meter_stop(&m);
	rc = 0;
out:
	if (sv[0] >= 0)
		uk_close(sv[0]);
	if (sv[1] >= 0)
		uk_close(sv[1]);
	uk_net_run();
	uk_run();
	if (verify && verify_done(&v, why, whylen) != 0)
		rc = -1;
	return (rc);
}

/* Read every record that is ready; bytes read, or -1. */
static ssize_t
rx_read(struct bench_suite *bs, int s, uint64_t *off, int verify,
    char *why, size_t whylen)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct tls_get_record))];
	} cm;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n, total;

	for (total = 0;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = bs->scratch;
		iov.iov_len = B_SCRATCH;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		n = uk_recvmsg(s, &msg, 0);
		if (n < 0 && errno == EAGAIN)
			return (total);
		if (n <= 0) {
			snprintf(why, whylen, "recvmsg at byte %" PRIu64 ": %s",
			    *off, n == 0 ? "end of stream" : strerror(errno));
			return (-1);
		}
		if (*off + n > bs->bytes || (verify &&
		    memcmp(bs->scratch, bs->plain + *off, (size_t)n) != 0)) {
			snprintf(why, whylen, "recvmsg at byte %" PRIu64
			    ": not the plaintext", *off);
			return (-1);
		}
		*off += n;
		total += n;
	}
}

static int
rx_path(struct bench_suite *bs, int verify, struct sample *s, char *why,
    size_t whylen)
{
	struct meter m;
	uint64_t in, off;
	ssize_t n, r;
	int sk, stall, rc;
	double t0;

	rc = -1;
	meter_start(&m, s);
	sk = uk_socket(AF_INET, SOCK_STREAM, 0);
	if (sk < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		goto out;
	}
	if (sock_setup(bs, sk, TCP_RXTLS_ENABLE, why, whylen) != 0)
		goto out;
	t0 = now();
	for (in = off = 0, stall = 0; off < bs->bytes; ) {
		n = 0;
		if (in < bs->wirelen) {
			n = uk_test_rcvbuf_inject(sk, bs->rxwire + in,
			    bs->wirelen - in);
			if (n < 0) {
				snprintf(why, whylen, "inject: %s",
				    strerror(errno));
				goto out;
			}
			in += n;
		}
		uk_run();
		meter_sample(&m, -1, sk);
		r = rx_read(bs, sk, &off, verify, why, whylen);
		if (r < 0)
			goto out;
		stall = n + r != 0 ? 0 : stall + 1;
		if (stall > B_STALL) {
			snprintf(why, whylen, "stalled at byte %" PRIu64, off);
			goto out;
		}
	}
	s->secs = now() - t0;
	s->wire = in;
	meter_stop(&m);
	rc = 0;
out:
	if (sk >= 0)
		uk_close(sk);
	uk_run();
	return (rc);
}

/* ---- driving ------------------------------------------------------------ */

static int
suite_open(struct bench_suite *bs, const struct uk_suite *us, uint64_t bytes,
    const uint8_t *plain, char *why, size_t whylen)
{
	const struct tlsm_suite *ms;
	size_t i;

	memset(bs, 0, sizeof(*bs));
	bs->fd = -1;
	bs->us = us;
	bs->bytes = bytes;
	bs->plain = (uint8_t *)(uintptr_t)plain;
	for (ms = NULL, i = 0; i < TLSM_NSUITES; i++) {
		if ((tlsm_suites[i].version & 0xff) == us->tls_vminor &&
		    tlsm_suites[i].key_len == (size_t)us->cipher_key_len &&
		    tlsm_mac_len(tlsm_suites[i].mac) ==
		    (size_t)us->auth_key_len &&
		    (tlsm_suites[i].cipher == TLSM_GCM) ==
		    (us->cipher_algorithm == CRYPTO_AES_NIST_GCM_16) &&
		    (tlsm_suites[i].cipher == TLSM_CHACHA) ==
		    (us->cipher_algorithm == CRYPTO_CHACHA20_POLY1305))
			ms = &tlsm_suites[i];
	}
	if (ms == NULL) {
		snprintf(why, whylen, "no model suite for %s", us->name);
		return (-1);
	}
	bs->version = ms->version;
	bs->cipher = ms->cipher;
	bs->maclen = tlsm_mac_len(ms->mac);
	pattern(bs->key, sizeof(bs->key), 11);
	pattern(bs->iv, sizeof(bs->iv), 12);
	pattern(bs->mkey, sizeof(bs->mkey), 13);
	bs->ivlen = (size_t)us->iv_len;
	if (tlsm_init(&bs->ms, ms->version, ms->cipher, ms->mac, bs->key,
	    ms->key_len, bs->iv, bs->ivlen, bs->mkey, bs->maclen) != 0) {
		snprintf(why, whylen, "model keys for %s", us->name);
		return (-1);
	}
	bs->hlen = tlsm_header_len(&bs->ms);
	bs->nrec = (bytes + B_RECLEN - 1) / B_RECLEN;
	bs->wire = malloc(bs->nrec * B_SLOT + 1);
	bs->rxwire = malloc(bs->nrec * B_SLOT + 1);
	bs->scratch = malloc(B_SCRATCH);
	if (bs->wire == NULL || bs->rxwire == NULL || bs->scratch == NULL) {
		snprintf(why, whylen, "out of memory");
		return (-1);
	}
	if (evp_dir_init(bs, &bs->seal, 1) != 0 ||
	    evp_dir_init(bs, &bs->open, 0) != 0) {
		snprintf(why, whylen, "EVP set-up failed for %s", us->name);
		return (-1);
	}
	bs->fd = uk_file_create(plain, bytes);
	if (bs->fd < 0) {
		snprintf(why, whylen, "page cache: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

static void
suite_close(struct bench_suite *bs)
{

	evp_dir_free(&bs->seal);
	evp_dir_free(&bs->open);
	if (bs->fd >= 0)
		uk_file_destroy(bs->fd);
	free(bs->wire);
	free(bs->rxwire);
	free(bs->scratch);
}

/*
 * One run of one path.  The baseline's seal lays the records out first
 * and its open undoes the seal, so they alternate: every open run has a
 * fresh seal before it.
 */
static int
run_once(struct bench_suite *bs, int row, int verify, struct sample *s,
    char *why, size_t whylen)
{
	struct sample tmp;
	struct verifier v;

	switch (row) {
	case R_SEAL:
		layout(bs);
		if (baseline(bs, 0, s, why, whylen) != 0)
			return (-1);
		if (!verify)
			return (0);
		/* The model must agree; its records feed the rx path. */
		verify_init(&v, bs);
		verify_feed(&v, bs->wire, bs->wirelen);
		if (verify_done(&v, why, whylen) != 0)
			return (-1);
		memcpy(bs->rxwire, bs->wire, bs->wirelen);
		return (0);
	case R_OPEN:
		layout(bs);
		if (baseline(bs, 0, &tmp, why, whylen) != 0 ||
		    baseline(bs, 1, s, why, whylen) != 0)
			return (-1);
		return (0);
	case R_SF_SINK:
	case R_SF_TCP:
	case R_WR_SINK:
	case R_WR_TCP:
		return (tx_path(bs, row == R_SF_SINK || row == R_SF_TCP,
		    row == R_SF_TCP || row == R_WR_TCP, verify, s, why,
		    whylen));
	default:
		return (rx_path(bs, verify, s, why, whylen));
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void
run_row(const struct bench_opts *o, struct bench_suite *bs, int row,
    struct row_result *r)
{
	struct uk_counters c0, c1;
	struct sample s;
	double sorted[B_MAXRUNS];
	int i;

	r->ran = 1;
	uk_counters(&c0);
	/* Run 0 warms up and checks every record; it is not timed. */
	for (i = 0; i <= o->runs; i++) {
		if (run_once(bs, row, i == 0, &s, r->why, sizeof(r->why)) != 0)
			goto done;
		if (i == 0) {
			r->copies = (double)s.copied / bs->bytes;
			r->passes = (double)(s.copied + s.crypto) / bs->bytes;
			r->s = s;
			continue;
		}
		r->mbps[i - 1] = s.secs > 0 ? bs->bytes / s.secs / 1e6 : 0;
		if (s.peak_mem > r->s.peak_mem)
			r->s.peak_mem = s.peak_mem;
		if (s.peak_pages > r->s.peak_pages)
			r->s.peak_pages = s.peak_pages;
		if (s.peak_mbufs > r->s.peak_mbufs)
			r->s.peak_mbufs = s.peak_mbufs;
		if (s.peak_clusters > r->s.peak_clusters)
			r->s.peak_clusters = s.peak_clusters;
		if (s.peak_inflight > r->s.peak_inflight)
			r->s.peak_inflight = s.peak_inflight;
	}
	memcpy(sorted, r->mbps, o->runs * sizeof(double));
	qsort(sorted, o->runs, sizeof(double), cmp_double);
	r->median = o->runs % 2 ? sorted[o->runs / 2] :
	    (sorted[o->runs / 2 - 1] + sorted[o->runs / 2]) / 2;
	r->ok = 1;
done:
	uk_counters(&c1);
	r->left_pages = c1.pages - c0.pages;
	r->left_mbufs = c1.mbufs - c0.mbufs;
	r->left_clusters = c1.clusters - c0.clusters;
	if (r->ok && (r->left_pages != 0 || r->left_mbufs != 0 ||
	    r->left_clusters != 0)) {
		r->ok = 0;
		snprintf(r->why, sizeof(r->why), "left alive: %" PRId64
		    " pages, %" PRId64 " mbufs, %" PRId64 " clusters",
		    r->left_pages, r->left_mbufs, r->left_clusters);
	}
}

static double
buf_per_byte(const struct row_result *r)
{

	return (r->s.peak_inflight > 0 ?
	    (double)r->s.peak_mem / r->s.peak_inflight : 0);
}

static void
print_json(const struct bench_opts *o, struct row_result res[][NROWS],
    const struct uk_counters *end, int ok, int checked)
{
	const struct row_result *r;
	int i, j;

	printf("{\"ok\": %s, \"bytes\": %" PRIu64 ", \"runs\": %d, "
	    "\"workers\": %d, \"record_bytes\": %d, \"sockbuf\": %d, "
	    "\"check\": %s, \"suites\": [", ok ? "true" : "false", o->bytes,
	    o->runs, o->workers, B_RECLEN, B_SOCKBUF,
	    !o->check ? "null" : checked ? "true" : "false");
	for (i = 0; i < o->nsuites; i++) {
		printf("%s{\"suite\": \"%s\", \"paths\": {", i ? ", " : "",
		    o->suites[i]->name);
		for (j = 0; j < NROWS; j++) {
			r = &res[i][j];
			printf("%s\"%s\": ", j ? ", " : "", rows[j].name);
			if (!r->ran) {
				printf("null");
				continue;
			}
			printf("{\"ok\": %s, \"mbps\": %.1f, \"ratio\": ",
			    r->ok ? "true" : "false", r->median);
			if (rows[j].base < 0)
				printf("1.000");
			else
				printf("%.3f", r->ratio);
			printf(", \"floor\": %.2f, \"cpu_copies_per_byte\": "
			    "%.4f, \"cpu_passes_per_byte\": %.4f, "
			    "\"wire_bytes\": %" PRIu64 ", \"peak_pages\": %"
			    PRId64 ", \"peak_mbufs\": %" PRId64
			    ", \"peak_clusters\": %" PRId64 ", \"peak_buffer_"
			    "bytes\": %" PRId64 ", \"peak_inflight_bytes\": %"
			    PRId64 ", \"buffer_per_inflight_byte\": %.3f, "
			    "\"left_pages\": %" PRId64 ", \"left_mbufs\": %"
			    PRId64 ", \"left_clusters\": %" PRId64
			    ", \"runs_mbps\": [", rows[j].floor, r->copies,
			    r->passes, r->s.wire, r->s.peak_pages,
			    r->s.peak_mbufs, r->s.peak_clusters,
			    r->s.peak_mem, r->s.peak_inflight,
			    buf_per_byte(r), r->left_pages, r->left_mbufs,
			    r->left_clusters);
			if (r->ok) {
				int k;

				for (k = 0; k < o->runs; k++)
					printf("%s%.1f", k ? ", " : "",
					    r->mbps[k]);
			}
			printf("]");
			if (!r->ok)
				printf(", \"error\": \"%s\"", r->why);
			printf("}");
		}
		printf("}}");
	}
	printf("], \"live_at_end\": {\"mbufs\": %" PRId64 ", \"clusters\": %"
	    PRId64 ", \"pages\": %" PRId64 ", \"sessions\": %" PRId64
	    ", \"mallocs\": %" PRId64 "}}\n", end->mbufs, end->clusters,
	    end->pages, end->sessions, end->mallocs);
}

static void
print_table(const struct bench_opts *o, struct row_result res[][NROWS],
    const struct uk_counters *end)
{
	const struct row_result *r;
	char ratio[16];
	int i, j;

	printf("uktls bench: %" PRIu64 " bytes per path, %d-byte records, "
	    "median of %d run%s, %s\n", o->bytes, B_RECLEN, o->runs,
	    o->runs == 1 ? "" : "s", o->workers == 0 ?
	    "deterministic run queue" : "worker threads");
	for (i = 0; i < o->nsuites; i++) {
		printf("\n%-26s %8s %6s %6s %6s %6s %6s %6s %6s\n",
		    o->suites[i]->name, "MB/s", "ratio", "floor", "copy/B",
		    "pass/B", "pages", "mbufs", "buf/B");
		for (j = 0; j < NROWS; j++) {
			r = &res[i][j];
			if (!r->ran)
				continue;
			if (!r->ok) {
				printf("  %-24s FAILED: %s\n", rows[j].label,
				    r->why);
				continue;
			}
			if (rows[j].base < 0)
				snprintf(ratio, sizeof(ratio), "%s", "1");
			else
				snprintf(ratio, sizeof(ratio), "%.2f",
				    r->ratio);
			printf("  %-24s %8.1f %6s ", rows[j].label, r->median,
			    ratio);
			if (rows[j].base < 0)
				printf("%6s %6s %6s %6s %6s %6s\n", "-", "0",
				    "1", "-", "-", "-");
			else
				printf("%6.2f %6.2f %6.2f %6" PRId64 " %6"
				    PRId64 " %6.2f\n", rows[j].floor, r->copies,
				    r->passes, r->s.peak_pages,
				    r->s.peak_mbufs, buf_per_byte(r));
		}
		r = &res[i][R_SF_TCP];
		if (r->ok && res[i][R_SF_SINK].ok && r->median > 0)
			printf("  (TCP shim share of tx sendfile time: %.0f%%; "
			    "of tx write: %.0f%%)\n", 100 * (1 -
			    r->median / res[i][R_SF_SINK].median),
			    res[i][R_WR_TCP].ok && res[i][R_WR_SINK].ok ? 100 *
			    (1 - res[i][R_WR_TCP].median /
			    res[i][R_WR_SINK].median) : 0.0);
	}
	printf("\nratio: MB/s over the baseline's (tx: seal, rx: open); "
	    "copy/B, pass/B: CPU\ncopies and copies+crypto passes per "
	    "payload byte, both ends of the path;\npages, mbufs: peak alive "
	    "above the start; buf/B: peak buffer bytes (pages,\nmbufs, "
	    "clusters) per peak byte queued in socket buffers.  Live at the "
	    "end:\n%" PRId64 " mbufs, %" PRId64 " pages, %" PRId64
	    " sessions.\n", end->mbufs, end->pages, end->sessions);
}

static int
add_suite(struct bench_opts *o, const char *name)
{
	const struct uk_suite *s;
	size_t i;

	if (strcmp(name, "all") == 0) {
		o->nsuites = 0;
		for (i = 0; i < uk_nsuites(); i++)
			o->suites[o->nsuites++] = uk_suite_at(i);
		return (0);
	}
	s = cli_suite("bench", name);
	if (s == NULL)
		return (-1);
	for (i = 0; i < (size_t)o->nsuites; i++)
		if (o->suites[i] == s)
			return (0);
	if (o->nsuites == (int)(sizeof(o->suites) / sizeof(o->suites[0])))
		return (0);
	o->suites[o->nsuites++] = s;
	return (0);
}

static int
parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "runs", required_argument, NULL, 'r' },
		{ "workers", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t v;
	size_t i;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (add_suite(o, optarg) != 0)
				return (2);
			break;
		case 'b':
			if (cli_parse_size(optarg, &o->bytes) != 0 ||
			    o->bytes < 1 || o->bytes > (uint64_t)1 << 30) {
				fprintf(stderr, "uktls bench: bad --bytes '%s' "
				    "(1 to 1g)\n", optarg);
				return (2);
			}
			break;
		case 'r':
			if (cli_parse_size(optarg, &v) != 0 || v < 1 ||
			    v > B_MAXRUNS) {
				fprintf(stderr, "uktls bench: bad --runs '%s' "
				    "(1..%d)\n", optarg, B_MAXRUNS);
				return (2);
			}
			o->runs = (int)v;
			break;
		case 'w':
			if (cli_parse_workers("bench", optarg, &o->workers) != 0)
				return (2);
			break;
		case 'j':
			o->json = 1;
			break;
		case 'c':
			o->check = 1;
			break;
		case 'h':
			bench_usage(stdout);
			return (0);
		default:
			return (cli_bad_option("bench", argv, bench_usage));
		}
	}
	if (cli_extra_args("bench", argc, argv) != 0)
		return (2);
	if (o->nsuites == 0)
		for (i = 0; i < sizeof(default_suites) /
		    sizeof(default_suites[0]); i++)
			(void)add_suite(o, default_suites[i]);
	return (-1);
}

int
cmd_bench(int argc, char **argv)
{
	static struct row_result res[32][NROWS];
	struct bench_suite bs;
	struct bench_opts o;
	struct uk_counters end;
	uint8_t *plain;
	int i, j, rc, ok, checked;
	char why[256];

	memset(&o, 0, sizeof(o));
	o.bytes = 64 * 1024 * 1024;
	o.runs = 3;
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return (rc);
	plain = malloc(o.bytes);
	if (plain == NULL) {
		fprintf(stderr, "uktls bench: out of memory\n");
		return (1);
	}
	pattern(plain, o.bytes, 0x5eed);
	if (uk_set_workers(o.workers) != 0) {
		fprintf(stderr, "uktls bench: workers: %s\n",
		    strerror(errno));
		free(plain);
		return (1);
	}
	memset(res, 0, sizeof(res));
	ok = 1;
	checked = 1;
	for (i = 0; i < o.nsuites; i++) {
		if (suite_open(&bs, o.suites[i], o.bytes, plain, why,
		    sizeof(why)) != 0) {
			res[i][R_SEAL].ran = 1;
			snprintf(res[i][R_SEAL].why, sizeof(why), "%s", why);
			ok = 0;
			suite_close(&bs);
			continue;
		}
		for (j = 0; j < NROWS; j++) {
			/* FreeBSD receives no TLS 1.0. */
			if (j == R_RX && !o.suites[i]->rx)
				continue;
			/* The rx path reads the baseline's records. */
			if (j == R_RX && !res[i][R_SEAL].ok)
				continue;
			run_row(&o, &bs, j, &res[i][j]);
			if (!res[i][j].ok)
				ok = 0;
		}
		for (j = 0; j < NROWS; j++) {
			struct row_result *r = &res[i][j];

			if (!r->ok)
				continue;
			r->ratio = rows[j].base < 0 ? 1 :
			    res[i][rows[j].base].ok &&
			    res[i][rows[j].base].median > 0 ? r->median /
			    res[i][rows[j].base].median : 0;
			if (rows[j].base >= 0 && r->ratio < rows[j].floor)
				checked = 0;
		}
		suite_close(&bs);
	}
	uk_set_workers(0);
	uk_net_run();
	uk_run();
	uk_counters(&end);
	if (end.mbufs != 0 || end.clusters != 0 || end.pages != 0 ||
	    end.sessions != 0)
		ok = 0;
	if (o.json)
		print_json(&o, res, &end, ok, checked);
	else
		print_table(&o, res, &end);
	for (i = 0; i < o.nsuites; i++)
		for (j = 0; j < NROWS; j++)
			if (res[i][j].ran && !res[i][j].ok)
				fprintf(stderr, "uktls bench: %s, %s: %s\n",
				    o.suites[i]->name, rows[j].name,
				    res[i][j].why);
	if (o.check && ok && !checked) {
		for (i = 0; i < o.nsuites; i++)
			for (j = 0; j < NROWS; j++)
				if (res[i][j].ok && rows[j].base >= 0 &&
				    res[i][j].ratio < rows[j].floor)
					fprintf(stderr, "uktls bench: %s, %s: "
					    "ratio %.3f below the floor %.2f\n",
					    o.suites[i]->name, rows[j].name,
					    res[i][j].ratio, rows[j].floor);
	}
	free(plain);
	return (!ok || (o.check && !checked) ? 1 : 0);
}
