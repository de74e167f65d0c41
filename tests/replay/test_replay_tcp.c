/*
 * uktls replay, below TLS: frame decoding (link types, IPv4, IPv6 with
 * extension headers, fragments), the per-direction reassembler
 * (retransmissions, overlaps with first-copy-wins and conflict reports,
 * reordering, gaps with their sequence range, FIN, the reordering cap,
 * sequence wraparound) and the connection table (who is the client,
 * close on FIN and RST, port reuse, eviction), all on synthetic segments.
 */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"
#include "uktest.h"

#ifndef DLT_LINUX_SLL2
#define	DLT_LINUX_SLL2	276
#endif

/* ---- what a reassembler reported ------------------------------------------ */

struct seen {
	uint8_t		 buf[1 << 16];
	uint8_t		 have[1 << 16];
	uint64_t	 expect;	/* next offset a delivery must have */
	int		 ndeliver;
	uint64_t	 frames[64];
	struct { uint64_t off, len; uint32_t seq; } gap[8];
	int		 ngap;
	struct { uint64_t off; size_t len; uint64_t frame; } conf[8];
	int		 nconf;
	int		 noverflow;
};

static void
s_deliver(void *arg, uint64_t off, const uint8_t *p, size_t len,
    uint64_t frame)
{
	struct seen *s = arg;

	ck_assert_uint_eq(off, s->expect);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_le(off + len, sizeof(s->buf));
	memcpy(s->buf + off, p, len);
	memset(s->have + off, 1, len);
	s->expect = off + len;
	if (s->ndeliver < 64)
		s->frames[s->ndeliver] = frame;
	s->ndeliver++;
}

static void
s_gap(void *arg, uint64_t off, uint64_t len, uint32_t seq)
{
	struct seen *s = arg;

	ck_assert_uint_eq(off, s->expect);
	ck_assert_int_lt(s->ngap, 8);
	s->gap[s->ngap].off = off;
	s->gap[s->ngap].len = len;
	s->gap[s->ngap].seq = seq;
	s->ngap++;
	s->expect = off + len;
}

static void
s_conflict(void *arg, uint64_t off, size_t len, uint64_t frame)
{
	struct seen *s = arg;

	ck_assert_int_lt(s->nconf, 8);
	s->conf[s->nconf].off = off;
	s->conf[s->nconf].len = len;
	s->conf[s->nconf].frame = frame;
	s->nconf++;
}

static void
s_overflow(void *arg, uint64_t off, size_t buffered)
{
	struct seen *s = arg;

	(void)off;
	(void)buffered;
	s->noverflow++;
}

static const struct rp_reasm_cb seen_cb = {
	s_deliver, s_gap, s_conflict, s_overflow
};

static uint8_t src[1 << 16];

static struct seen *
seen_new(void)
{
	struct seen *s;

	s = calloc(1, sizeof(*s));
	ck_assert_ptr_nonnull(s);
	uktest_fill(src, sizeof(src), 7, 0);
	return (s);
}

/* Segment [off, off + len) of src, at isn + 1 + off. */
static void
seg(struct rp_reasm *r, uint32_t isn, uint64_t off, size_t len, uint64_t frame)
{

	rp_reasm_segment(r, isn + 1 + (uint32_t)off, src + off, len, 0, frame);
}

static void
assert_same(const struct seen *s, uint64_t from, uint64_t to)
{
	uint64_t i;

	for (i = from; i < to; i++) {
		ck_assert_msg(s->have[i], "byte %llu not delivered",
		    (unsigned long long)i);
		ck_assert_msg(s->buf[i] == src[i], "byte %llu differs",
		    (unsigned long long)i);
	}
}

START_TEST(test_reasm_in_order)
{
	struct rp_reasm r;
	struct seen *s = seen_new();

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 1000);
	seg(&r, 1000, 0, 100, 1);
	seg(&r, 1000, 100, 1448, 2);
	seg(&r, 1000, 1548, 1, 3);
	rp_reasm_flush(&r);
	assert_same(s, 0, 1549);
	ck_assert_int_eq(s->ndeliver, 3);
	ck_assert_uint_eq(s->frames[0], 1);
	ck_assert_uint_eq(s->frames[2], 3);
	ck_assert_int_eq(s->ngap, 0);
	ck_assert_uint_eq(r.st.bytes, 1549);
	ck_assert_uint_eq(r.st.dup_bytes, 0);
	ck_assert_uint_eq(rp_reasm_seq(&r, 0), 1001);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_retransmit_same)
{
	struct rp_reasm r;
	struct seen *s = seen_new();

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 5);
	seg(&r, 5, 0, 100, 1);
	seg(&r, 5, 100, 100, 2);
	seg(&r, 5, 0, 100, 3);		/* retransmitted, same bytes */
	seg(&r, 5, 50, 100, 4);		/* repacketized */
	rp_reasm_flush(&r);
	assert_same(s, 0, 200);
	ck_assert_int_eq(s->ndeliver, 2);
	ck_assert_uint_eq(r.st.dup_segments, 2);
	ck_assert_uint_eq(r.st.dup_bytes, 200);
	ck_assert_int_eq(s->nconf, 0);
	ck_assert_uint_eq(r.st.uncompared_bytes, 0);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_retransmit_conflict)
{
	struct rp_reasm r;
	struct seen *s = seen_new();
	uint8_t bad[100];

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 0);
	seg(&r, 0, 0, 100, 1);
	seg(&r, 0, 100, 100, 2);
	memcpy(bad, src + 50, sizeof(bad));
	bad[10] ^= 0xff;
	bad[11] ^= 0x01;
	rp_reasm_segment(&r, 1 + 50, bad, sizeof(bad), 0, 9);
	rp_reasm_flush(&r);
	/* The first copy wins; the difference is reported where it is. */
	assert_same(s, 0, 200);
	ck_assert_int_eq(s->nconf, 1);
	ck_assert_uint_eq(s->conf[0].off, 60);
	ck_assert_uint_eq(s->conf[0].len, 2);
	ck_assert_uint_eq(s->conf[0].frame, 9);
	ck_assert_uint_eq(r.st.conflicts, 1);
	ck_assert_uint_eq(r.st.conflict_bytes, 2);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_overlap_new_tail)
{
	struct rp_reasm r;
	struct seen *s = seen_new();

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 77);
	seg(&r, 77, 0, 100, 1);
	seg(&r, 77, 60, 100, 2);	/* 40 old bytes, 60 new */
	rp_reasm_flush(&r);
	assert_same(s, 0, 160);
	ck_assert_int_eq(s->ndeliver, 2);
	ck_assert_uint_eq(r.st.dup_bytes, 40);
	ck_assert_uint_eq(r.st.dup_segments, 0);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_out_of_order)
{
	struct rp_reasm r;
	struct seen *s = seen_new();

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 1);
	seg(&r, 1, 200, 100, 1);
	seg(&r, 1, 400, 100, 2);
	ck_assert_int_eq(s->ndeliver, 0);
	ck_assert_uint_eq(r.ooo_bytes, 200);
	seg(&r, 1, 100, 100, 3);
	ck_assert_int_eq(s->ndeliver, 0);
	seg(&r, 1, 0, 100, 4);
	/* 0..300 now; 400..500 still waits for 300..400. */
	ck_assert_int_eq(s->ndeliver, 3);
	ck_assert_uint_eq(s->frames[0], 4);
	ck_assert_uint_eq(s->frames[1], 3);
	ck_assert_uint_eq(s->frames[2], 1);
	seg(&r, 1, 300, 100, 5);
	assert_same(s, 0, 500);
	ck_assert_uint_eq(r.ooo_bytes, 0);
	ck_assert_uint_eq(r.st.ooo_segments, 3);
	ck_assert_uint_eq(r.st.ooo_peak, 300);
	rp_reasm_flush(&r);
	ck_assert_int_eq(s->ngap, 0);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_out_of_order_overlaps)
{
	struct rp_reasm r;
	struct seen *s = seen_new();
	uint8_t bad[100];

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 1);
	seg(&r, 1, 100, 100, 1);
	seg(&r, 1, 300, 50, 2);
	/* Spans both buffered chunks and the hole between them, with a
	 * different byte over the first chunk. */
	memcpy(bad, src + 150, sizeof(bad));
	bad[20] ^= 0x55;
	rp_reasm_segment(&r, 1 + 1 + 150, bad, 100, 0, 3);
	seg(&r, 1, 250, 100, 4);	/* fills 250..300, rest old */
	seg(&r, 1, 0, 100, 5);
	rp_reasm_flush(&r);
	assert_same(s, 0, 350);
	ck_assert_int_eq(s->nconf, 1);
	ck_assert_uint_eq(s->conf[0].off, 170);
	ck_assert_int_eq(s->ngap, 0);
	/* 150..200 over chunk 1 and 300..350 over chunk 2: twice. */
	ck_assert_uint_eq(r.st.dup_bytes, 100);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_gap)
{
	struct rp_reasm r;
	struct seen *s = seen_new();

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 4000);
	seg(&r, 4000, 0, 100, 1);
	seg(&r, 4000, 200, 100, 2);
	seg(&r, 4000, 350, 50, 3);
	ck_assert_int_eq(s->ngap, 0);
	rp_reasm_flush(&r);
	/* Two holes, each reported with its sequence range; nothing
	 * invented for them. */
	ck_assert_int_eq(s->ngap, 2);
	ck_assert_uint_eq(s->gap[0].off, 100);
	ck_assert_uint_eq(s->gap[0].len, 100);
	ck_assert_uint_eq(s->gap[0].seq, 4101);
	ck_assert_uint_eq(s->gap[1].off, 300);
	ck_assert_uint_eq(s->gap[1].len, 50);
	ck_assert_uint_eq(s->gap[1].seq, 4301);
	assert_same(s, 0, 100);
	assert_same(s, 200, 300);
	assert_same(s, 350, 400);
	ck_assert(!s->have[150]);
	ck_assert_uint_eq(r.st.gaps, 2);
	ck_assert_uint_eq(r.st.gap_bytes, 150);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_fin)
{
	struct rp_reasm r;
	struct seen *s = seen_new();

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 9);
	seg(&r, 9, 0, 100, 1);
	/* The last segment carries the FIN; one in the middle is lost. */
	rp_reasm_segment(&r, 10 + 200, src + 200, 100, 1, 2);
	ck_assert(!rp_reasm_done(&r));
	/* Data past the FIN is not stream data. */
	rp_reasm_segment(&r, 10 + 300, src + 300, 10, 0, 3);
	ck_assert_uint_eq(r.st.after_fin, 10);
	seg(&r, 9, 100, 100, 4);
	ck_assert(rp_reasm_done(&r));
	assert_same(s, 0, 300);
	ck_assert_uint_eq(s->expect, 300);

	/* Same, but the hole is never filled: a gap up to the data. */
	free(s);
	rp_reasm_free(&r);
	s = seen_new();
	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, 9);
	seg(&r, 9, 0, 100, 1);
	rp_reasm_segment(&r, 10 + 200, src + 200, 100, 1, 2);
	rp_reasm_flush(&r);
	ck_assert_int_eq(s->ngap, 1);
	ck_assert_uint_eq(s->gap[0].off, 100);
	ck_assert_uint_eq(s->gap[0].len, 100);
	ck_assert(rp_reasm_done(&r));
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_overflow)
{
	struct rp_reasm r;
	struct seen *s = seen_new();
	uint64_t off;

	rp_reasm_init(&r, &seen_cb, s, 1000, 1 << 16);
	rp_reasm_syn(&r, 0);
	/* 0..100 is lost; 1300 bytes pile up behind it. */
	for (off = 100; off < 1400; off += 100)
		seg(&r, 0, off, 100, off / 100);
	ck_assert_int_ge(s->noverflow, 1);
	ck_assert_int_eq(s->ngap, 1);
	ck_assert_uint_eq(s->gap[0].off, 0);
	ck_assert_uint_eq(s->gap[0].len, 100);
	ck_assert_uint_eq(s->gap[0].seq, 1);
	assert_same(s, 100, 1400);
	ck_assert_uint_le(r.st.ooo_peak, 1100);
	ck_assert_uint_eq(r.ooo_bytes, 0);
	/* The late copy of the hole is old news now. */
	seg(&r, 0, 0, 100, 99);
	ck_assert_uint_eq(r.st.dup_segments, 1);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_wraparound)
{
	struct rp_reasm r;
	struct seen *s = seen_new();
	uint32_t isn = 0xffffff00u;

	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_syn(&r, isn);
	seg(&r, isn, 0, 200, 1);	/* crosses 2^32 */
	seg(&r, isn, 400, 100, 2);
	seg(&r, isn, 200, 200, 3);
	seg(&r, isn, 100, 150, 4);	/* retransmission across the wrap */
	rp_reasm_flush(&r);
	assert_same(s, 0, 500);
	ck_assert_int_eq(s->ngap, 0);
	ck_assert_int_eq(s->nconf, 0);
	ck_assert_uint_eq(rp_reasm_seq(&r, 255), 0u);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_no_syn)
{
	struct rp_reasm r;
	struct seen *s = seen_new();

	/* Without a SYN the first byte captured is offset 0. */
	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 1 << 16);
	rp_reasm_segment(&r, 5000, src + 100, 100, 0, 1);
	rp_reasm_segment(&r, 4950, src + 50, 100, 0, 2);
	ck_assert_uint_eq(r.st.before_start, 50);
	ck_assert_uint_eq(r.st.dup_bytes, 50);
	ck_assert_int_eq(s->nconf, 0);
	ck_assert_int_eq(memcmp(s->buf, src + 100, 100), 0);
	ck_assert_uint_eq(rp_reasm_seq(&r, 0), 5000);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

START_TEST(test_reasm_history_bounded)
{
	struct rp_reasm r;
	struct seen *s = seen_new();
	uint64_t off;
	uint8_t bad[100];

	/* Only the last 4096 bytes are kept to compare retransmissions. */
	rp_reasm_init(&r, &seen_cb, s, 1 << 20, 4096);
	rp_reasm_syn(&r, 0);
	for (off = 0; off < 10000; off += 1000)
		seg(&r, 0, off, 1000, off);
	ck_assert_uint_le(r.hist_cap, 4096);
	memcpy(bad, src, sizeof(bad));
	bad[0] ^= 1;
	rp_reasm_segment(&r, 1, bad, 100, 0, 50);	/* too old */
	ck_assert_uint_eq(r.st.uncompared_bytes, 100);
	ck_assert_int_eq(s->nconf, 0);
	memcpy(bad, src + 9000, sizeof(bad));
	bad[5] ^= 1;
	rp_reasm_segment(&r, 1 + 9000, bad, 100, 0, 51);	/* recent */
	ck_assert_int_eq(s->nconf, 1);
	ck_assert_uint_eq(s->conf[0].off, 9005);
	assert_same(s, 0, 10000);
	rp_reasm_free(&r);
	free(s);
}
END_TEST

/* ---- frames ----------------------------------------------------------------- */

static size_t
put16(uint8_t *p, unsigned v)
{

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return (2);
}

static void
put32(uint8_t *p, uint32_t v)
{

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A TCP header (no options, checksum garbage) and payload. */
static size_t
tcp_hdr(uint8_t *p, unsigned sport, unsigned dport, uint32_t seq,
    uint8_t flags, const char *payload)
{
	size_t n;

	memset(p, 0, 20);
	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, seq);
	p[12] = 5 << 4;
	p[13] = flags;
	put16(p + 16, 0xdead);	/* wrong checksum: must not matter */
	n = strlen(payload);
	memcpy(p + 20, payload, n);
	return (20 + n);
}

static size_t
ipv4(uint8_t *p, uint8_t proto, unsigned frag, const uint8_t *l4,
    size_t l4len)
{

	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (unsigned)(20 + l4len));
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	p[12] = 10, p[13] = 0, p[14] = 0, p[15] = 1;
	p[16] = 10, p[17] = 0, p[18] = 0, p[19] = 2;
	memcpy(p + 20, l4, l4len);
	return (20 + l4len);
}

START_TEST(test_decode_links)
{
	uint8_t l4[128], ip[256], f[512];
	struct rp_segment sg;
	size_t n, iplen;

	n = tcp_hdr(l4, 50000, 443, 123456, RP_TH_ACK, "hello");
	iplen = ipv4(ip, 6, 0, l4, n);

	/* Ethernet, with padding after the IP packet. */
	memset(f, 0, sizeof(f));
	put16(f + 12, 0x0800);
	memcpy(f + 14, ip, iplen);
	ck_assert_int_eq(rp_decode(DLT_EN10MB, f, 14 + iplen + 10,
	    14 + iplen + 10, &sg), RP_SKIP_NONE);
	ck_assert_uint_eq(sg.len, 5);
	ck_assert_int_eq(memcmp(sg.payload, "hello", 5), 0);
	ck_assert_uint_eq(sg.seq, 123456);
	ck_assert_uint_eq(sg.src.port, 50000);
	ck_assert_uint_eq(sg.dst.port, 443);
	ck_assert_uint_eq(sg.src.family, 4);
	ck_assert_uint_eq(sg.dst.addr[3], 2);

	/* 802.1Q then 802.1ad tags. */
	put16(f + 12, 0x88a8);
	put16(f + 16, 0x8100);
	put16(f + 20, 0x0800);
	memcpy(f + 22, ip, iplen);
	ck_assert_int_eq(rp_decode(DLT_EN10MB, f, 22 + iplen, 22 + iplen,
	    &sg), RP_SKIP_NONE);
	ck_assert_uint_eq(sg.len, 5);

	/* ARP is not for us. */
	put16(f + 12, 0x0806);
	ck_assert_int_eq(rp_decode(DLT_EN10MB, f, 60, 60, &sg), RP_SKIP_LINK);

	/* Linux cooked v1 and v2. */
	memset(f, 0, sizeof(f));
	put16(f + 14, 0x0800);
	memcpy(f + 16, ip, iplen);
	ck_assert_int_eq(rp_decode(DLT_LINUX_SLL, f, 16 + iplen, 16 + iplen,
	    &sg), RP_SKIP_NONE);
	ck_assert_uint_eq(sg.len, 5);
	memset(f, 0, sizeof(f));
	put16(f, 0x0800);
	memcpy(f + 20, ip, iplen);
	ck_assert_int_eq(rp_decode(DLT_LINUX_SLL2, f, 20 + iplen, 20 + iplen,
	    &sg), RP_SKIP_NONE);
	ck_assert_uint_eq(sg.len, 5);

	/* BSD loopback, either byte order; raw IP. */
	memset(f, 0, sizeof(f));
	f[0] = 2;
	memcpy(f + 4, ip, iplen);
	ck_assert_int_eq(rp_decode(DLT_NULL, f, 4 + iplen, 4 + iplen, &sg),
	    RP_SKIP_NONE);
	f[0] = 0;
	f[3] = 2;
	ck_assert_int_eq(rp_decode(DLT_LOOP, f, 4 + iplen, 4 + iplen, &sg),
	    RP_SKIP_NONE);
	ck_assert_int_eq(rp_decode(DLT_RAW, ip, iplen, iplen, &sg),
	    RP_SKIP_NONE);
	ck_assert_uint_eq(sg.len, 5);

	/* Cut by the snapshot length: fewer bytes than were sent. */
	ck_assert_int_eq(rp_decode(DLT_RAW, ip, iplen - 2, iplen, &sg),
	    RP_SKIP_NONE);
	ck_assert_uint_eq(sg.len, 3);
	ck_assert_uint_eq(sg.wire_len, 5);

	/* A TCP header cut short. */
	ck_assert_int_eq(rp_decode(DLT_RAW, ip, 30, 30, &sg),
	    RP_SKIP_MALFORMED);
	ck_assert_int_eq(rp_decode(DLT_EN10MB, f, 10, 10, &sg),
	    RP_SKIP_MALFORMED);
	ck_assert(!rp_dlt_supported(DLT_IEEE802_11));
}
END_TEST

START_TEST(test_decode_ip)
{
	uint8_t l4[128], ip[256], v6[256];
	struct rp_segment sg;
	size_t n, iplen;

	n = tcp_hdr(l4, 1, 2, 3, RP_TH_SYN, "");
	/* IPv4: UDP, a first fragment, a later fragment. */
	iplen = ipv4(ip, 17, 0, l4, n);
	ck_assert_int_eq(rp_decode(DLT_RAW, ip, iplen, iplen, &sg),
	    RP_SKIP_NOT_TCP);
	iplen = ipv4(ip, 6, 0x2000, l4, n);
	ck_assert_int_eq(rp_decode(DLT_RAW, ip, iplen, iplen, &sg),
	    RP_SKIP_FRAGMENT);
	iplen = ipv4(ip, 6, 0x0010, l4, n);
	ck_assert_int_eq(rp_decode(DLT_RAW, ip, iplen, iplen, &sg),
	    RP_SKIP_FRAGMENT);
	iplen = ipv4(ip, 6, 0x4000, l4, n);	/* DF: fine */
	ck_assert_int_eq(rp_decode(DLT_RAW, ip, iplen, iplen, &sg),
	    RP_SKIP_NONE);
	ck_assert_uint_eq(sg.flags, RP_TH_SYN);

	/* IPv6 with hop-by-hop, destination options and an atomic
	 * fragment header before TCP. */
	n = tcp_hdr(l4, 443, 50001, 0xfffffff0u, RP_TH_ACK, "v6 data");
	memset(v6, 0, sizeof(v6));
	v6[0] = 0x60;
	put16(v6 + 4, (unsigned)(8 + 16 + 8 + n));
	v6[6] = 0;		/* hop-by-hop */
	v6[23] = 1;		/* ::1 */
	v6[39] = 1;
	v6[40] = 60;		/* next: destination options */
	v6[41] = 0;		/* 8 bytes */
	v6[48] = 44;		/* next: fragment */
	v6[49] = 1;		/* 16 bytes */
	v6[64] = 6;		/* next: TCP */
	put16(v6 + 66, 0);	/* offset 0, M = 0 */
	memcpy(v6 + 72, l4, n);
	iplen = 72 + n;
	ck_assert_int_eq(rp_decode(DLT_IPV6, v6, iplen, iplen, &sg),
	    RP_SKIP_NONE);
	ck_assert_uint_eq(sg.src.family, 6);
	ck_assert_uint_eq(sg.len, 7);
	ck_assert_int_eq(memcmp(sg.payload, "v6 data", 7), 0);
	ck_assert_uint_eq(sg.seq, 0xfffffff0u);
	/* A real fragment. */
	put16(v6 + 66, 1);
	ck_assert_int_eq(rp_decode(DLT_IPV6, v6, iplen, iplen, &sg),
	    RP_SKIP_FRAGMENT);
	/* An extension header running off the end. */
	v6[49] = 200;
	put16(v6 + 66, 0);
	ck_assert_int_eq(rp_decode(DLT_IPV6, v6, iplen, iplen, &sg),
	    RP_SKIP_MALFORMED);
}
END_TEST

START_TEST(test_endpoint_str)
{
	struct rp_endpoint e;
	char b[RP_EPSTRLEN];

	memset(&e, 0, sizeof(e));
	e.family = 4;
	e.addr[0] = 192, e.addr[1] = 0, e.addr[2] = 2, e.addr[3] = 7;
	e.port = 443;
	rp_endpoint_str(&e, b, sizeof(b));
	ck_assert_str_eq(b, "192.0.2.7:443");
	memset(&e, 0, sizeof(e));
	e.family = 6;
	e.addr[15] = 1;
	e.port = 8443;
	rp_endpoint_str(&e, b, sizeof(b));
	ck_assert_str_eq(b, "[::1]:8443");
}
END_TEST

/* ---- connections ------------------------------------------------------------ */

struct conns {
	int		 opened, closed;
	uint64_t	 bytes[8][2];
	int		 client[8];
	char		 why[8][80];
	uint64_t	 index[8];
};

static void
c_open(void *arg, struct rp_conn *c)
{
	struct conns *k = arg;

	ck_assert_int_lt(k->opened, 8);
	c->app = (void *)(uintptr_t)k->opened;
	k->index[k->opened] = c->index;
	k->opened++;
}

static void
c_deliver(void *arg, struct rp_conn *c, int side, uint64_t off,
    const uint8_t *p, size_t len, uint64_t frame)
{
	struct conns *k = arg;

	(void)off, (void)p, (void)frame;
	k->bytes[(uintptr_t)c->app][side] += len;
}

static void
c_close(void *arg, struct rp_conn *c, const char *why)
{
	struct conns *k = arg;
	int i = (int)(uintptr_t)c->app;

	k->client[i] = c->client;
	snprintf(k->why[i], sizeof(k->why[i]), "%s", why);
	k->closed++;
}

static const struct rp_tcp_cb conns_cb = {
	.open = c_open,
	.deliver = c_deliver,
	.close = c_close,
};

static void
input(struct rp_tcp *t, int from_b, unsigned aport, uint32_t seq,
    uint8_t flags, const char *data, uint64_t frame)
{
	struct rp_segment sg;

	memset(&sg, 0, sizeof(sg));
	sg.src.family = sg.dst.family = 4;
	sg.src.addr[3] = from_b ? 2 : 1;
	sg.dst.addr[3] = from_b ? 1 : 2;
	sg.src.port = (uint16_t)(from_b ? 443 : aport);
	sg.dst.port = (uint16_t)(from_b ? aport : 443);
	sg.seq = seq;
	sg.flags = flags;
	sg.payload = (const uint8_t *)data;
	sg.len = sg.wire_len = strlen(data);
	sg.frame = frame;
	rp_tcp_input(t, &sg);
}

START_TEST(test_conn_lifecycle)
{
	struct rp_tcp_limits lim = { 0, 4096, 0 };
	struct conns k;
	struct rp_tcp *t;

	memset(&k, 0, sizeof(k));
	t = rp_tcp_new(&conns_cb, &k, &lim);
	ck_assert_ptr_nonnull(t);
	/* A stray ACK makes no connection. */
	input(t, 0, 40000, 1, RP_TH_ACK, "", 1);
	ck_assert_int_eq(k.opened, 0);

	/* The SYN-ACK is seen first: its sender is the server. */
	input(t, 1, 40000, 900, RP_TH_SYN | RP_TH_ACK, "", 2);
	input(t, 0, 40000, 100, RP_TH_ACK, "abc", 3);
	input(t, 1, 40000, 901, RP_TH_ACK, "defgh", 4);
	ck_assert_int_eq(k.opened, 1);
	input(t, 0, 40000, 103, RP_TH_FIN | RP_TH_ACK, "", 5);
	ck_assert_int_eq(k.closed, 0);
	input(t, 1, 40000, 906, RP_TH_FIN | RP_TH_ACK, "", 6);
	/* Both FINs, all data in: closed and freed right away. */
	ck_assert_int_eq(k.closed, 1);
	ck_assert_uint_eq(rp_tcp_nlive(t), 0);
	/* Side 0 is the first sender (the server here). */
	ck_assert_int_eq(k.client[0], 1);
	ck_assert_str_eq(k.why[0], "closed (FIN both ways)");
	ck_assert_uint_eq(k.bytes[0][0], 5);
	ck_assert_uint_eq(k.bytes[0][1], 3);
	/* The last ACK of the closed connection is ignored. */
	input(t, 0, 40000, 104, RP_TH_ACK, "", 7);
	ck_assert_int_eq(k.opened, 1);

	/* SYN from the client; then a RST. */
	input(t, 0, 40001, 5000, RP_TH_SYN, "", 8);
	input(t, 0, 40001, 5001, RP_TH_ACK, "x", 9);
	input(t, 1, 40001, 1, RP_TH_RST, "", 10);
	ck_assert_int_eq(k.closed, 2);
	ck_assert_int_eq(k.client[1], 0);
	ck_assert_str_eq(k.why[1], "reset (RST)");

	/* Port reuse: a new SYN with another ISN is a new connection. */
	input(t, 0, 40002, 10, RP_TH_SYN, "", 11);
	input(t, 0, 40002, 11, RP_TH_ACK, "one", 12);
	input(t, 0, 40002, 10, RP_TH_SYN, "", 13);	/* retransmitted */
	ck_assert_int_eq(k.opened, 3);
	input(t, 0, 40002, 7000, RP_TH_SYN, "", 14);
	ck_assert_int_eq(k.opened, 4);
	ck_assert_int_eq(k.closed, 3);
	ck_assert_str_eq(k.why[2], "ports reused by a new connection");
	ck_assert_uint_eq(k.index[3], 4);
	input(t, 0, 40002, 7001, RP_TH_ACK, "two", 15);

	/* The end of the capture closes what is left. */
	rp_tcp_finish(t);
	ck_assert_int_eq(k.closed, 4);
	ck_assert_str_eq(k.why[3], "end of capture");
	ck_assert_uint_eq(k.bytes[3][0], 3);
	ck_assert_uint_eq(rp_tcp_nconns(t), 4);
	rp_tcp_free(t);
}
END_TEST

START_TEST(test_conn_eviction)
{
	struct rp_tcp_limits lim = { 0, 0, 2 };
	struct conns k;
	struct rp_tcp *t;

	memset(&k, 0, sizeof(k));
	t = rp_tcp_new(&conns_cb, &k, &lim);
	input(t, 0, 1001, 1, RP_TH_SYN, "", 1);
	input(t, 0, 1002, 1, RP_TH_SYN, "", 2);
	input(t, 0, 1001, 2, RP_TH_ACK, "a", 3);	/* 1002 idles */
	input(t, 0, 1003, 1, RP_TH_SYN, "", 4);
	ck_assert_int_eq(k.closed, 1);
	ck_assert_str_eq(k.why[1], "evicted (too many connections open at "
	    "once)");
	ck_assert_uint_eq(rp_tcp_nlive(t), 2);
	rp_tcp_free(t);
	ck_assert_int_eq(k.closed, 3);
}
END_TEST

static Suite *
replay_tcp_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("replay_tcp");
	tc = uktest_tcase("reasm");
	tcase_add_test(tc, test_reasm_in_order);
	tcase_add_test(tc, test_reasm_retransmit_same);
	tcase_add_test(tc, test_reasm_retransmit_conflict);
	tcase_add_test(tc, test_reasm_overlap_new_tail);
	tcase_add_test(tc, test_reasm_out_of_order);
	tcase_add_test(tc, test_reasm_out_of_order_overlaps);
	tcase_add_test(tc, test_reasm_gap);
	tcase_add_test(tc, test_reasm_fin);
	tcase_add_test(tc, test_reasm_overflow);
	tcase_add_test(tc, test_reasm_wraparound);
	tcase_add_test(tc, test_reasm_no_syn);
	tcase_add_test(tc, test_reasm_history_bounded);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("decode");
	tcase_add_test(tc, test_decode_links);
	tcase_add_test(tc, test_decode_ip);
	tcase_add_test(tc, test_endpoint_str);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("conn");
	tcase_add_test(tc, test_conn_lifecycle);
	tcase_add_test(tc, test_conn_eviction);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(replay_tcp_suite()));
}
