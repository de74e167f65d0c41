/*
 * model/ on third-party captures: the illustrated-tls12 / -tls13 traces
 * (pcap + NSS key log) in ../shared/traces-public, read in place.
 *
 * Each capture's TCP streams are put back together, split into records,
 * and every encrypted record is opened with keys from the key log (TLS 1.2
 * key block, TLS 1.3 handshake then application traffic secrets) and
 * re-sealed byte for byte.  The decrypted application data must be what
 * tshark decrypted ("ping" from the client, "pong" from the server).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_keys.h"
#include "tls_record.h"
#include "uktest.h"

struct trace {
	const char	*pcap;
	const char	*keylog;
	const char	*suite;		/* model suite name */
	unsigned	 cipher_id;	/* in the ServerHello */
	size_t		 encrypted[2];	/* encrypted records c2s, s2c */
};

static const struct trace traces[] = {
	{ "illustrated-tls12/capture.pcap", "illustrated-tls12/keylog.txt",
	    "aes128_cbc_1_2_sha1", 0xc013, { 3, 2 } },
	{ "illustrated-tls13/capture.pcap", "illustrated-tls13/keylog.txt",
	    "aes256_gcm_1_3", 0x1302, { 2, 7 } },
	{ "illustrated-tls13/archive/capture.pcap",
	    "illustrated-tls13/archive/keylog.txt", "aes128_gcm_1_3", 0x1301,
	    { 2, 3 } },
};

/* A TCP byte stream, one per direction (0: client to server). */
struct stream {
	uint8_t		*buf;
	size_t		 len;
	uint32_t	 next_seq;
	int		 started;
};

static char *
trace_path(const char *rel)
{
	const char *src;
	char *path;

	src = getenv("UKTLS_SOURCE_DIR");
	ck_assert_msg(src != NULL, "UKTLS_SOURCE_DIR is not set");
	ck_assert_int_gt(asprintf(&path, "%s/../shared/traces-public/%s", src,
	    rel), 0);
	return (path);
}

static uint8_t *
read_file(const char *rel, size_t *len)
{
	char *path;
	uint8_t *buf;
	FILE *fp;
	long n;

	path = trace_path(rel);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	ck_assert_int_gt(n, 0);
	rewind(fp);
	buf = malloc((size_t)n);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	free(path);
	*len = (size_t)n;
	return (buf);
}

static uint32_t
le32(const uint8_t *p)
{

	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static uint32_t
be32(const uint8_t *p)
{

	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static size_t
be16(const uint8_t *p)
{

	return ((size_t)p[0] << 8 | p[1]);
}

static void
stream_add(struct stream *s, uint32_t seq, const uint8_t *p, size_t n)
{

	if (s->started && seq != s->next_seq) {
		/* Only retransmissions of what we have are tolerated. */
		ck_assert_msg((int32_t)(seq - s->next_seq) < 0,
		    "segment after a gap");
		return;
	}
	s->buf = realloc(s->buf, s->len + n);
	ck_assert_ptr_nonnull(s->buf);
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->started = 1;
	s->next_seq = seq + (uint32_t)n;
}

/*
 * A classic little-endian pcap with DLT_NULL (4-byte family) framing,
 * IPv4 or IPv6 (no extension headers), one TCP connection.  The client
 * is the side that sends the first payload.
 */
static void
read_streams(const char *rel, struct stream st[2])
{
	uint8_t *f, *pkt, *ip, *tcp;
	size_t flen, off, caplen, iplen, hl, plen;
	unsigned cport, sport;
	int dir, have_client;

	memset(st, 0, 2 * sizeof(*st));
	f = read_file(rel, &flen);
	ck_assert_uint_ge(flen, 24);
	ck_assert_uint_eq(le32(f), 0xa1b2c3d4);
	ck_assert_uint_eq(le32(f + 20), 0);		/* DLT_NULL */
	have_client = 0;
	cport = 0;
	for (off = 24; off + 16 <= flen; off += 16 + caplen) {
		caplen = le32(f + off + 8);
		ck_assert_uint_le(off + 16 + caplen, flen);
		pkt = f + off + 16;
		if (caplen < 4 + 20)
			continue;
		ip = pkt + 4;
		if ((ip[0] >> 4) == 4) {
			hl = (size_t)(ip[0] & 0xf) * 4;
			iplen = be16(ip + 2);
			if (ip[9] != 6)
				continue;
		} else {
			ck_assert_uint_eq(ip[0] >> 4, 6);
			hl = 40;
			iplen = 40 + be16(ip + 4);
			if (ip[6] != 6)
				continue;
		}
		ck_assert_uint_le(4 + iplen, caplen);
		tcp = ip + hl;
		plen = iplen - hl - (size_t)(tcp[12] >> 4) * 4;
		sport = (unsigned)be16(tcp);
		if (plen == 0)
			continue;
		if (!have_client) {
			cport = sport;
			have_client = 1;
		}
		dir = sport == cport ? 0 : 1;
		stream_add(&st[dir], be32(tcp + 4), tcp + (tcp[12] >> 4) * 4,
		    plen);
	}
	free(f);
}

/* Length of the complete handshake messages in buf ending in Finished. */
static int
ends_in_finished(const uint8_t *buf, size_t len)
{
	size_t off, n;
	int fin;

	fin = 0;
	for (off = 0; off + 4 <= len; off += n) {
		n = 4 + ((size_t)buf[off + 1] << 16 | be16(buf + off + 2));
		if (off + n > len)
			return (0);
		fin = buf[off] == 20;
	}
	return (fin && off == len);
}

/*
 * Open and re-seal every encrypted record of one direction; collect the
 * application data.  TLS 1.3 moves from handshake to application keys
 * once a Finished message has gone by.
 */
static size_t
walk(const struct tlsm_suite *s, const struct stream *in,
    struct tlsm_state *hs_st, struct tlsm_state *app_st, uint8_t *app,
    size_t *applen)
{
	struct tlsm_state *cur, reseal_st;
	struct tlsm_seal_opts o;
	uint8_t pt[TLSM_MAX_PLAINTEXT + 256], *hsbuf, *re, type;
	size_t off, reclen, ptlen, hslen, n, rlen;
	uint64_t seq;
	int encrypted;

	hsbuf = malloc(in->len);
	re = malloc(TLSM_HDR_LEN + 65536);
	ck_assert_ptr_nonnull(hsbuf);
	ck_assert_ptr_nonnull(re);
	cur = s->version == TLSM_V13 ? hs_st : app_st;
	encrypted = 0;
	seq = 0;
	n = 0;
	hslen = 0;
	*applen = 0;
	for (off = 0; off < in->len; off += reclen) {
		ck_assert_uint_ge(in->len - off, 5);
		reclen = 5 + be16(in->buf + off + 3);
		ck_assert_uint_le(off + reclen, in->len);
		if (in->buf[off] == TLSM_CT_CCS) {
			encrypted = s->version != TLSM_V13;
			continue;
		}
		if (!encrypted && !(s->version == TLSM_V13 &&
		    in->buf[off] == TLSM_CT_APP))
			continue;	/* plaintext handshake */
		reseal_st = *cur;
		ck_assert_int_eq(tlsm_next_record(cur, in->buf + off, reclen,
		    &rlen, NULL), 0);
		ck_assert_msg(tlsm_open(cur, seq, in->buf + off, reclen, &type,
		    pt, sizeof(pt), &ptlen) == 0, "record at %zu, seq %llu",
		    off, (unsigned long long)seq);

		/* Re-seal with the record's own IV and padding. */
		memset(&o, 0, sizeof(o));
		if (tlsm_header_len(cur) > TLSM_HDR_LEN)
			o.explicit_iv = in->buf + off + TLSM_HDR_LEN;
		if (s->cipher == TLSM_CBC)
			o.cbc_pad = reclen - tlsm_header_len(cur) - ptlen -
			    tlsm_mac_len(s->mac);
		if (s->version == TLSM_V13)
			o.tls13_pad = reclen - TLSM_HDR_LEN - 16 - 1 - ptlen;
		ck_assert_int_eq(tlsm_seal(&reseal_st, seq, type, pt, ptlen, &o,
		    re, TLSM_HDR_LEN + 65536, &rlen), 0);
		ck_assert_uint_eq(rlen, reclen);
		ck_assert_mem_eq(re, in->buf + off, reclen);

		n++;
		seq++;
		if (type == TLSM_CT_APP) {
			memcpy(app + *applen, pt, ptlen);
			*applen += ptlen;
		} else if (type == TLSM_CT_HANDSHAKE && cur == hs_st) {
			memcpy(hsbuf + hslen, pt, ptlen);
			hslen += ptlen;
			if (ends_in_finished(hsbuf, hslen)) {
				cur = app_st;
				seq = 0;
			}
		}
	}
	free(hsbuf);
	free(re);
	return (n);
}

START_TEST(test_trace_decrypts_and_reseals)
{
	const struct trace *t = &traces[_i];
	const struct tlsm_suite *s;
	const struct tlsm_keylog_entry *e;
	struct tlsm_keylog kl;
	struct tlsm_state hs[2], app[2];
	struct stream st[2];
	uint8_t *sh, appdata[64];
	size_t applen, n, sidlen;
	char *path;
	int i;

	s = tlsm_suite_find(t->suite);
	ck_assert_ptr_nonnull(s);
	read_streams(t->pcap, st);
	ck_assert_uint_gt(st[0].len, 0);
	ck_assert_uint_gt(st[1].len, 0);
	/* Hellos: randoms at 5 + 4 + 2, the suite after the session id. */
	ck_assert_uint_eq(st[0].buf[5], 1);
	sh = st[1].buf;
	ck_assert_uint_eq(sh[5], 2);
	sidlen = sh[5 + 4 + 2 + 32];
	ck_assert_uint_eq(be16(sh + 5 + 4 + 2 + 32 + 1 + sidlen),
	    t->cipher_id);

	memset(&kl, 0, sizeof(kl));
	path = trace_path(t->keylog);
	ck_assert_int_eq(tlsm_keylog_load(&kl, path, NULL), 0);
	free(path);
	e = tlsm_keylog_find(&kl, st[0].buf + 11);
	ck_assert_ptr_nonnull(e);
	if (s->version == TLSM_V13) {
		ck_assert_int_eq(tlsm_tls13_state(s, e->secret[TLSM_KL_CHTS],
		    e->secret_len[TLSM_KL_CHTS], &hs[0]), 0);
		ck_assert_int_eq(tlsm_tls13_state(s, e->secret[TLSM_KL_SHTS],
		    e->secret_len[TLSM_KL_SHTS], &hs[1]), 0);
		ck_assert_int_eq(tlsm_tls13_state(s, e->secret[TLSM_KL_CTS0],
		    e->secret_len[TLSM_KL_CTS0], &app[0]), 0);
		ck_assert_int_eq(tlsm_tls13_state(s, e->secret[TLSM_KL_STS0],
		    e->secret_len[TLSM_KL_STS0], &app[1]), 0);
	} else {
		ck_assert_int_eq(e->has_master, 1);
		ck_assert_int_eq(tlsm_tls12_states(s, e->master, st[0].buf + 11,
		    sh + 11, &app[0], &app[1]), 0);
	}
	tlsm_keylog_free(&kl);

	for (i = 0; i < 2; i++) {
		n = walk(s, &st[i], &hs[i], &app[i], appdata, &applen);
		ck_assert_uint_eq(n, t->encrypted[i]);
		ck_assert_uint_eq(applen, 4);
		ck_assert_mem_eq(appdata, i == 0 ? "ping" : "pong", 4);
		free(st[i].buf);
	}
}
END_TEST

/* The same capture with the wrong key log entry opens nothing. */
START_TEST(test_trace_wrong_keys)
{
	const struct tlsm_suite *s = tlsm_suite_find(traces[0].suite);
	struct tlsm_state c, sv;
	struct stream st[2];
	uint8_t master[48], pt[256], type;
	size_t off, ptlen;

	read_streams(traces[0].pcap, st);
	memset(master, 0x5a, sizeof(master));
	ck_assert_int_eq(tlsm_tls12_states(s, master, st[0].buf + 11,
	    st[1].buf + 11, &c, &sv), 0);
	/* The client's Finished is the record after its CCS (1 byte). */
	for (off = 0; st[0].buf[off] != TLSM_CT_CCS; off += 5 +
	    be16(st[0].buf + off + 3))
		ck_assert_uint_lt(off, st[0].len);
	off += 6;
	ck_assert_int_eq(tlsm_open(&c, 0, st[0].buf + off, 5 +
	    be16(st[0].buf + off + 3), &type, pt, sizeof(pt), &ptlen),
	    EBADMSG);
	free(st[0].buf);
	free(st[1].buf);
}
END_TEST

static Suite *
model_traces_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("model_traces");
	tc = uktest_tcase("illustrated");
	tcase_add_loop_test(tc, test_trace_decrypts_and_reseals, 0,
	    sizeof(traces) / sizeof(traces[0]));
	tcase_add_test(tc, test_trace_wrong_keys);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(model_traces_suite()));
}
