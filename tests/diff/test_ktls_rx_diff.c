/*
 * The KTLS receive path against the model's receive-stream oracle
 * (model/tls_stream): random streams of records for every suite that
 * receives, random corruptions, random segmentations, with or without
 * the peer's FIN; what the socket delivers (records, types, versions,
 * plaintext, errors, the end of the stream) must be what the model says
 * a reader of a FreeBSD KTLS socket gets from the same bytes.
 *
 * Corruptions: a flipped bit anywhere (header, nonce/IV, ciphertext,
 * tag, MAC, padding), a truncated stream, a byte inserted or removed, a
 * record replayed, two records swapped, a record left out, a length
 * field changed.  Segmentations: one piece, single bytes (short streams),
 * MSS-sized pieces, random pieces.  Fixed seeds; each run prints what it
 * covered.
 */
#include <stdio.h>

#include "../unit/ktls_rx_fixture.h"

#define	RUNS_PER_SEED	250

struct rng {
	uint64_t	s;
};

static uint64_t
rnd(struct rng *r)
{

	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (r->s * 2685821657736338717ULL);
}

static size_t
rnd_below(struct rng *r, size_t n)
{

	return (n == 0 ? 0 : (size_t)(rnd(r) % n));
}

enum corruption {
	C_NONE,
	C_FLIP,		/* one bit, anywhere */
	C_TRUNCATE,	/* the stream ends early */
	C_INSERT,	/* one byte more somewhere */
	C_REMOVE,	/* one byte less somewhere */
	C_REPLAY,	/* a record sent twice */
	C_SWAP,		/* two records in the wrong order */
	C_SKIP,		/* a record left out */
	C_LENGTH,	/* a length field changed */
	C_NCORRUPTIONS
};

static const char *const cnames[] = { "none", "flip", "truncate",
    "insert", "remove", "replay", "swap", "skip", "length" };

struct stats {
	long	runs, records, delivered, errors, fatal, eof;
	long	by_corruption[C_NCORRUPTIONS];
	long	bytes;
};

/* Record boundaries of the wire as sealed. */
struct bounds {
	size_t	off[64];
	size_t	n;
};

static void
seal_random(struct rfx_conn *c, struct rng *r, struct bounds *b)
{
	static uint8_t buf[16384];
	struct tlsm_seal_opts o;
	size_t len, mac;
	int i, n, type;

	n = 1 + (int)rnd_below(r, 10);
	b->n = 0;
	for (i = 0; i < n; i++) {
		switch (rnd_below(r, 4)) {
		case 0:
			len = rnd_below(r, 16385);
			break;
		case 1:
			len = rnd_below(r, 3);
			break;
		default:
			len = rnd_below(r, 2000);
			break;
		}
		type = rnd_below(r, 8) == 0 ? (rnd_below(r, 2) ?
		    TLS_RLTYPE_ALERT : TLS_RLTYPE_HANDSHAKE) : TLS_RLTYPE_APP;
		uktest_fill(buf, len, (uint32_t)rnd(r), 0);
		memset(&o, 0, sizeof(o));
		if (c->suite->cipher == TLSM_CBC && rnd_below(r, 4) == 0) {
			mac = tlsm_mac_len(c->suite->mac);
			o.cbc_pad = 16 - (len + mac) % 16 + 16 *
			    rnd_below(r, len + mac + 16 * 16 < 16384 ? 8 : 1);
			if (o.cbc_pad > 256)
				o.cbc_pad -= 16 * ((o.cbc_pad - 256 + 15) / 16);
		}
		if (c->suite->version == TLSM_V13 && rnd_below(r, 4) == 0)
			o.tls13_pad = rnd_below(r, 16384 - len + 1);
		b->off[b->n++] = c->wire.len;
		rfx_seal(c, (uint8_t)type, buf, len, &o);
	}
	b->off[b->n] = c->wire.len;
}

/* Move wire bytes [from, to) to the end, and so on: build a new wire. */
static void
rebuild(struct rfx_conn *c, const struct bounds *b, const size_t *order,
    size_t n)
{
	struct kfx_buf w;
	size_t i, k;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < n; i++) {
		k = order[i];
		kfx_buf_add(&w, c->wire.p + b->off[k], b->off[k + 1] -
		    b->off[k]);
	}
	kfx_buf_free(&c->wire);
	c->wire = w;
}

static enum corruption
corrupt(struct rfx_conn *c, struct rng *r, const struct bounds *b)
{
	enum corruption what;
	size_t order[64], i, k, pos;
	uint8_t byte;

	what = rnd_below(r, 2) == 0 ? C_NONE :
	    (enum corruption)(1 + rnd_below(r, C_NCORRUPTIONS - 1));
	for (i = 0; i < b->n; i++)
		order[i] = i;
	pos = rnd_below(r, c->wire.len);
	switch (what) {
	case C_FLIP:
		c->wire.p[pos] ^= (uint8_t)(1 << rnd_below(r, 8));
		break;
	case C_TRUNCATE:
		c->wire.len = pos;
		break;
	case C_INSERT:
		byte = (uint8_t)rnd(r);
		kfx_buf_add(&c->wire, &byte, 1);
		memmove(c->wire.p + pos + 1, c->wire.p + pos,
		    c->wire.len - pos - 1);
		c->wire.p[pos] = byte;
		break;
	case C_REMOVE:
		memmove(c->wire.p + pos, c->wire.p + pos + 1,
		    c->wire.len - pos - 1);
		c->wire.len--;
		break;
	case C_REPLAY:
		k = rnd_below(r, b->n);
		for (i = 0; i <= k; i++)
			order[i] = i;
		for (i = k; i < b->n; i++)
			order[i + 1] = i;
		rebuild(c, b, order, b->n + 1);
		break;
	case C_SWAP:
		if (b->n < 2)
			return (C_NONE);
		k = rnd_below(r, b->n - 1);
		order[k] = k + 1;
		order[k + 1] = k;
		rebuild(c, b, order, b->n);
		break;
	case C_SKIP:
		if (b->n < 2)
			return (C_NONE);
		k = rnd_below(r, b->n);
		for (i = k; i + 1 < b->n; i++)
			order[i] = i + 1;
		rebuild(c, b, order, b->n - 1);
		break;
	case C_LENGTH:
		k = rnd_below(r, b->n);
		c->wire.p[b->off[k] + 3 + rnd_below(r, 2)] ^=
		    (uint8_t)(1 << rnd_below(r, 8));
		break;
	default:
		break;
	}
	return (what);
}

static void
one_run(int suite, struct rng *r, struct stats *st)
{
	const struct tlsm_suite *s = &tlsm_suites[suite];
	struct tlsm_rx rx;
	struct rfx_conn c;
	struct rfx_seg g;
	struct bounds b;
	enum corruption what;
	int eof;

	rfx_open(&c, s, (uint32_t)rnd(r), rnd(r) >> (rnd_below(r, 64)));
	seal_random(&c, r, &b);
	what = corrupt(&c, r, &b);
	eof = rnd_below(r, 5) != 0;
	switch (rnd_below(r, 4)) {
	case 0:
		g = rfx_seg(RFX_WHOLE, 0, 0);
		break;
	case 1:
		g = c.wire.len < 4000 ? rfx_seg(RFX_BYTES, 1, 0) :
		    rfx_seg(RFX_RANDOM, 7, rnd(r));
		break;
	case 2:
		g = rfx_seg(RFX_PIECES, RFX_MSS, 0);
		break;
	default:
		g = rfx_seg(RFX_RANDOM, 1 + rnd_below(r, 9000), rnd(r));
		break;
	}
	rfx_finish(&c, &g, eof);
	rfx_expect(&c, eof);

	memset(&rx, 0, sizeof(rx));
	ck_assert_int_eq(tlsm_rx_parse(&c.keys, c.seq0, c.wire.p, c.wire.len,
	    eof, &rx), 0);
	st->runs++;
	st->records += (long)rx.nrecs;
	st->delivered += (long)c.got.nrec;
	st->errors += c.got.nerrors;
	st->fatal += rx.fatal != 0;
	st->eof += c.got.eof;
	st->by_corruption[what]++;
	st->bytes += (long)c.wire.len;
	tlsm_rx_free(&rx);
	rfx_close(&c);
}

START_TEST(test_rx_diff)
{
	static const uint64_t seeds[] = { 0x6b746c73ULL, 0x1f2e3d4cULL,
	    0xfeedfaceULL };
	const struct tlsm_suite *s = &tlsm_suites[_i];
	struct stats st;
	struct rng r;
	size_t k;
	int i;

	if (!rfx_suite_ok(s))
		return;
	memset(&st, 0, sizeof(st));
	for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		r.s = seeds[k] ^ ((uint64_t)_i << 40);
		for (i = 0; i < RUNS_PER_SEED; i++)
			one_run(_i, &r, &st);
	}
	printf("%-28s %ld runs, %ld records (%ld delivered), %ld errors "
	    "read, %ld streams lost, %ld EOF, %ld KiB;", s->name, st.runs,
	    st.records, st.delivered, st.errors, st.fatal, st.eof,
	    st.bytes / 1024);
	for (i = 0; i < C_NCORRUPTIONS; i++)
		printf(" %s %ld", cnames[i], st.by_corruption[i]);
	printf("\n");
	/* Every kind of fault happened, and some records got through. */
	for (i = 0; i < C_NCORRUPTIONS; i++)
		ck_assert_int_gt(st.by_corruption[i], 0);
	ck_assert_int_gt(st.delivered, st.runs);
	ck_assert_int_gt(st.errors, 0);
	ck_assert_int_gt(st.fatal, 0);
}
END_TEST

static Suite *
ktls_rx_diff_suite(void)
{
	Suite *su;
	TCase *tc;

	su = suite_create("ktls_rx_diff");
	tc = kfx_tcase("diff");
	tcase_add_loop_test(tc, test_rx_diff, 0, TLSM_NSUITES);
	suite_add_tcase(su, tc);
	return (su);
}

int
main(void)
{

	return (uktest_run(ktls_rx_diff_suite()));
}
