/*
 * Socket buffers against the flat-array model (model/sbmodel.c).
 *
 * Random operation sequences, several fixed seeds, thousands of steps
 * each; after every step sbcheck() must pass and the kernel's sockbuf
 * must hold exactly the model's bytes, with the model's sb_acc and
 * sb_ccc.
 *
 * Stream mode (a TCP send buffer): chains of plain mbufs, clusters and
 * unmapped mbufs, some not ready, appended with sbappendstream(); the
 * test plays the workers, completing not-ready mbufs out of order, one
 * page at a time or several mbufs at once (sbready()); cuts of the ready
 * data of any length, ending anywhere; the send pointer; rare flushes,
 * after which the test frees the mbufs its workers still hold.
 *
 * Record mode (a receive buffer): sbappendrecord(), sbappend() (which
 * joins an open record), control records (sbcreatecontrol() +
 * sbappendcontrol()), sbdroprecord(), cuts and flushes; records, their
 * lengths, bytes and end marks are compared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/ktls.h>

#include "../unit/sockbuf_fixture.h"
#include "sbmodel.h"

#define	SB_HIWAT	(64 * 1024)
#define	MAXPEND		256

struct rng {
	uint64_t	s;
};

static uint64_t
rnd(struct rng *r)
{

	/* xorshift64*: fixed seeds give the same run everywhere. */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (r->s * 2685821657736338717ULL);
}

/* Uniform in [lo, hi]. */
static int
rnd_in(struct rng *r, int lo, int hi)
{

	return (lo + (int)(rnd(r) % (uint64_t)(hi - lo + 1)));
}

static int
chance(struct rng *r, int percent)
{

	return ((int)(rnd(r) % 100) < percent);
}

/* A not-ready mbuf the test's "worker" still owes readiness for. */
struct pend {
	struct mbuf	*m;
	int		 seg;	/* model segment */
	int		 units;	/* units still pending */
	int		 chain;	/* appended together ... */
	int		 idx;	/* ... at this position */
};

struct stats {
	int	appends, notready, readies, einprogress, partial, spans;
	int	cuts, cut_inside, flushes, flushed_pending, sndptrs;
	int	records, controls, droprecords, joins;
};

struct diff {
	struct sbt	 t;
	struct sbmodel	 sm;
	struct rng	 r;
	uint64_t	 off;		/* stream offset for fresh bytes */
	uint32_t	 stream;
	struct pend	 pend[MAXPEND];
	int		 npend;
	int		 chains;
	uint8_t		*buf;
	struct stats	 st;
};

static void
diff_init(struct diff *d, uint64_t seed)
{

	memset(d, 0, sizeof(*d));
	sbt_init(&d->t, SB_HIWAT);
	sbm_init(&d->sm);
	d->r.s = seed;
	d->stream = (uint32_t)seed;
	d->buf = malloc(4 * SB_HIWAT);
	ck_assert_ptr_nonnull(d->buf);
}

static void
diff_fini(struct diff *d)
{
	int i;

	mtx_lock(&d->t.mtx);
	sbflush_locked(&d->t.sb);
	mtx_unlock(&d->t.mtx);
	for (i = 0; i < d->npend; i++)
		mb_free_notready(d->pend[i].m, d->pend[i].units);
	d->npend = 0;
	sbt_fini(&d->t);
	sbm_free(&d->sm);
	free(d->buf);
}

/* Fresh bytes for the next piece of the stream. */
static void
fresh(struct diff *d, uint8_t *p, int len)
{

	uktest_fill(p, len, d->stream, d->off);
	d->off += len;
}

/*
 * One mbuf of a random kind holding len bytes of p; *lenp is chosen here
 * (the kinds have different limits) and p must have room for 5 pages.
 */
static struct mbuf *
random_mbuf(struct diff *d, uint8_t *p, int *lenp)
{
	int first_off, hdr, len, payload, trl;

	switch (rnd_in(&d->r, 0, 9)) {
	case 0:
	case 1:
		len = chance(&d->r, 30) ? 1 : rnd_in(&d->r, 1, MLEN);
		fresh(d, p, len);
		*lenp = len;
		return (sbt_plain(p, len));
	case 2:
	case 3:
		len = chance(&d->r, 30) ? 1 : rnd_in(&d->r, 1, MLEN);
		fresh(d, p, len);
		*lenp = len;
		return (sbt_plain_full(p, len));
	case 4:
	case 5:
	case 6:
		len = chance(&d->r, 30) ? rnd_in(&d->r, 1, MCLBYTES / 4) :
		    rnd_in(&d->r, 1, MCLBYTES);
		fresh(d, p, len);
		*lenp = len;
		return (sbt_cluster(p, len));
	default:
		/* Unmapped: a TLS-record-shaped mbuf, sometimes tiny. */
		hdr = chance(&d->r, 70) ? rnd_in(&d->r, 0, MBUF_PEXT_HDR_LEN) :
		    0;
		trl = chance(&d->r, 70) ? rnd_in(&d->r, 0, 32) : 0;
		first_off = chance(&d->r, 50) ? 0 : rnd_in(&d->r, 0,
		    PAGE_SIZE - 1);
		if (chance(&d->r, 10))
			payload = 0;
		else if (chance(&d->r, 30))
			payload = rnd_in(&d->r, 1, 300);
		else
			payload = rnd_in(&d->r, 1, 3 * PAGE_SIZE - first_off);
		len = hdr + payload + trl;
		if (len == 0) {
			payload = 1;
			len = 1;
		}
		fresh(d, p, len);
		*lenp = len;
		return (sbt_extpg(p, len, first_off, hdr, trl));
	}
}

/* ---- the comparison ------------------------------------------------- */

static void
compare_stream(struct diff *d)
{
	struct sockbuf *sb = &d->t.sb;
	size_t acc, ccc;

	mtx_lock(&d->t.mtx);
	SBCHECK(sb);
	acc = sbm_acc(&d->sm);
	ccc = sbm_ccc(&d->sm);
	ck_assert_uint_eq(sb->sb_acc, acc);
	ck_assert_uint_eq(sb->sb_ccc, ccc);
	ck_assert_int_eq(sb->sb_fnrdy == NULL, acc == ccc);
	if (ccc > 0) {
		/* The ready part, then everything (workers fill early). */
		m_copydata(sb->sb_mb, 0, (int)acc, (caddr_t)d->buf);
		ck_assert_msg(memcmp(d->buf, d->sm.data, acc) == 0,
		    "ready bytes differ from the model");
		m_copydata(sb->sb_mb, 0, (int)ccc, (caddr_t)d->buf);
		ck_assert_msg(memcmp(d->buf, d->sm.data, ccc) == 0,
		    "bytes differ from the model");
	}
	mtx_unlock(&d->t.mtx);
}

/* ---- stream operations ---------------------------------------------- */

static void
op_append_stream(struct diff *d)
{
	struct mbuf *head, *m, *tail;
	struct pend *pe;
	uint8_t *p;
	int any, flags, i, k, len, nr, seg, units;

	k = rnd_in(&d->r, 1, 3);
	nr = chance(&d->r, 40);		/* some of this chain not ready */
	p = d->buf;
	head = tail = NULL;
	any = 0;
	for (i = 0; i < k; i++) {
		if (d->sm.len + 5 * PAGE_SIZE + 200 > SB_HIWAT ||
		    d->npend + 1 >= MAXPEND)
			break;
		m = random_mbuf(d, p, &len);
		units = 0;
		if (nr && chance(&d->r, 70)) {
			units = sbt_notready(m);
			any = 1;
		}
		ck_assert_int_eq(sbm_append(&d->sm, p, len, units, 0, &seg),
		    0);
		if (units > 0) {
			pe = &d->pend[d->npend++];
			pe->m = m;
			pe->seg = seg;
			pe->units = units;
			pe->chain = d->chains;
			pe->idx = i;
			d->st.notready++;
		}
		if (head == NULL)
			head = m;
		else
			tail->m_next = m;
		tail = m;
	}
	d->chains++;
	if (head == NULL)
		return;
	flags = any || chance(&d->r, 20) ? PRUS_NOTREADY : 0;
	if (chance(&d->r, 20))
		sbappendstream(&d->t.sb, head, flags);
	else {
		mtx_lock(&d->t.mtx);
		sbappendstream_locked(&d->t.sb, head, flags);
		mtx_unlock(&d->t.mtx);
	}
	d->st.appends++;
}

static void
pend_remove(struct diff *d, int i)
{

	memmove(&d->pend[i], &d->pend[i + 1],
	    (d->npend - i - 1) * sizeof(d->pend[0]));
	d->npend--;
}

static void
op_ready(struct diff *d)
{
	struct pend *e, *f;
	int count, error, i, left, merror, take;

	if (d->npend == 0)
		return;
	i = rnd_in(&d->r, 0, d->npend - 1);
	e = &d->pend[i];
	f = i + 1 < d->npend ? &d->pend[i + 1] : NULL;
	if (f != NULL && (f->chain != e->chain || f->idx != e->idx + 1))
		f = NULL;
	if (e->units > 1 && chance(&d->r, 40)) {
		count = rnd_in(&d->r, 1, e->units - 1);
		d->st.partial++;
	} else if (f != NULL && chance(&d->r, 40)) {
		count = e->units + rnd_in(&d->r, 1, f->units);
		d->st.spans++;
	} else
		count = e->units;

	mtx_lock(&d->t.mtx);
	error = sbready(&d->t.sb, e->m, count);
	mtx_unlock(&d->t.mtx);
	merror = sbm_ready(&d->sm, e->seg, count);
	ck_assert_int_ne(merror, EINVAL);
	ck_assert_int_eq(error, merror == 0 ? 0 : KE_EINPROGRESS);
	if (error != 0)
		d->st.einprogress++;
	d->st.readies++;

	/* The units went to e, then to f. */
	left = count;
	take = MIN(left, e->units);
	e->units -= take;
	left -= take;
	if (left > 0) {
		ck_assert_ptr_nonnull(f);
		f->units -= left;
		ck_assert_int_ge(f->units, 0);
	}
	ck_assert_int_eq(e->units, sbm_pending(&d->sm, e->seg));
	if (f != NULL && f->units == 0)
		pend_remove(d, i + 1);
	if (e->units == 0)
		pend_remove(d, i);
}

static void
op_cut(struct diff *d)
{
	struct mbuf *m;
	int acc, len, mb_before;

	acc = (int)sbm_acc(&d->sm);
	switch (rnd_in(&d->r, 0, 3)) {
	case 0:
		len = rnd_in(&d->r, 0, MIN(acc, 100));
		break;
	case 1:
		len = acc;
		break;
	default:
		len = rnd_in(&d->r, 0, acc);
		break;
	}
	mtx_lock(&d->t.mtx);
	/* Does the cut end inside an mbuf?  (for the statistics) */
	mb_before = 0;
	for (m = d->t.sb.sb_mb; m != NULL && mb_before + m->m_len <= len;
	    m = m->m_next)
		mb_before += m->m_len;
	if (m != NULL && mb_before < len)
		d->st.cut_inside++;
	switch (rnd_in(&d->r, 0, 2)) {
	case 0:
		m = sbcut_locked(&d->t.sb, len);
		mtx_unlock(&d->t.mtx);
		m_freem(m);
		break;
	case 1:
		sbdrop_locked(&d->t.sb, len);
		mtx_unlock(&d->t.mtx);
		break;
	default:
		mtx_unlock(&d->t.mtx);
		sbdrop(&d->t.sb, len);
		break;
	}
	ck_assert_int_eq(sbm_cut(&d->sm, len), 0);
	d->st.cuts++;
}

static void
op_flush(struct diff *d)
{
	int i;

	if (chance(&d->r, 50)) {
		mtx_lock(&d->t.mtx);
		sbflush_locked(&d->t.sb);
		mtx_unlock(&d->t.mtx);
	} else
		sbflush(&d->t.sb);
	sbm_flush(&d->sm);
	/* The workers learn the connection is gone and free their part. */
	if (d->npend > 0)
		d->st.flushed_pending++;
	for (i = 0; i < d->npend; i++)
		mb_free_notready(d->pend[i].m, d->pend[i].units);
	d->npend = 0;
	d->st.flushes++;
}

static void
op_sndptr(struct diff *d)
{
	struct mbuf *m;
	u_int moff;
	uint8_t b;
	int acc, len, off;

	acc = (int)sbm_acc(&d->sm);
	if (acc == 0)
		return;
	off = rnd_in(&d->r, 0, acc - 1);
	mtx_lock(&d->t.mtx);
	m = sbsndptr_noadv(&d->t.sb, off, &moff);
	ck_assert_int_lt(moff, m->m_len);
	m_copydata(m, moff, 1, (caddr_t)&b);
	ck_assert_uint_eq(b, d->sm.data[off]);
	len = rnd_in(&d->r, 0, acc - off);
	sbsndptr_adv(&d->t.sb, m, len);
	mtx_unlock(&d->t.mtx);
	d->st.sndptrs++;
}

static void
run_stream(uint64_t seed, int steps, struct stats *total)
{
	struct diff d;
	int step, x;

	diff_init(&d, seed);
	for (step = 0; step < steps; step++) {
		x = rnd_in(&d.r, 0, 99);
		if (x < 35)
			op_append_stream(&d);
		else if (x < 65)
			op_ready(&d);
		else if (x < 85)
			op_cut(&d);
		else if (x < 98)
			op_sndptr(&d);
		else
			op_flush(&d);
		compare_stream(&d);
	}
	total->appends += d.st.appends;
	total->notready += d.st.notready;
	total->readies += d.st.readies;
	total->einprogress += d.st.einprogress;
	total->partial += d.st.partial;
	total->spans += d.st.spans;
	total->cuts += d.st.cuts;
	total->cut_inside += d.st.cut_inside;
	total->flushes += d.st.flushes;
	total->flushed_pending += d.st.flushed_pending;
	total->sndptrs += d.st.sndptrs;
	diff_fini(&d);
}

START_TEST(test_sb_diff_stream)
{
	static const uint64_t seeds[] = {
		0x5eed0001ULL, 0x5eed0002ULL, 0xdeadbeefcafeULL,
		0x123456789abcdefULL, 0x75746b6c73ULL,
	};
	struct stats st;
	int64_t copies;
	int i;

	memset(&st, 0, sizeof(st));
	copies = khost_counter_get(KC_COPY_BYTES);
	for (i = 0; i < (int)nitems(seeds); i++)
		run_stream(seeds[i], 3000, &st);
	fprintf(stderr, "sb_diff stream: %d appends (%d mbufs not ready), "
	    "%d sbready (%d EINPROGRESS, %d partial, %d spanning), %d cuts "
	    "(%d inside an mbuf), %d flushes (%d with work pending), "
	    "%d send pointer lookups\n", st.appends, st.notready, st.readies,
	    st.einprogress, st.partial, st.spans, st.cuts, st.cut_inside,
	    st.flushes, st.flushed_pending, st.sndptrs);
	/* The runs reached every case they are meant to. */
	ck_assert_int_gt(st.appends, 1000);
	ck_assert_int_gt(st.notready, 500);
	ck_assert_int_gt(st.einprogress, 100);
	ck_assert_int_gt(st.readies - st.einprogress, 100);
	ck_assert_int_gt(st.partial, 50);
	ck_assert_int_gt(st.spans, 50);
	ck_assert_int_gt(st.cut_inside, 100);
	ck_assert_int_gt(st.flushed_pending, 5);
	ck_assert_int_gt(st.sndptrs, 500);
	/* sbcompress() copied small mbufs along the way. */
	ck_assert_int_gt(khost_counter_get(KC_COPY_BYTES), copies);
}
END_TEST

/* ---- record mode ---------------------------------------------------- */

static void
compare_records(struct diff *d)
{
	struct sockbuf *sb = &d->t.sb;
	struct mbuf *m, *rec;
	size_t k, len, off;
	int eor;

	mtx_lock(&d->t.mtx);
	SBCHECK(sb);
	ck_assert_uint_eq(sb->sb_acc, sbm_acc(&d->sm));
	ck_assert_uint_eq(sb->sb_ccc, sbm_ccc(&d->sm));
	off = 0;
	k = 0;
	for (rec = sb->sb_mb; rec != NULL; rec = rec->m_nextpkt, k++) {
		ck_assert_uint_lt(k, d->sm.nrec);
		len = 0;
		eor = 0;
		for (m = rec; m != NULL; m = m->m_next) {
			len += m->m_len;
			if ((m->m_flags & M_EOR) != 0)
				eor = 1;
		}
		ck_assert_uint_eq(len, d->sm.rec[k].len);
		ck_assert_int_eq(eor, d->sm.rec[k].eor);
		m_copydata(rec, 0, (int)len, (caddr_t)d->buf);
		ck_assert_msg(memcmp(d->buf, d->sm.data + off, len) == 0,
		    "record %zu differs from the model", k);
		off += len;
	}
	ck_assert_uint_eq(k, d->sm.nrec);
	mtx_unlock(&d->t.mtx);
}

/* A ready chain of 1..3 mbufs, maybe an empty one inside, maybe M_EOR. */
static struct mbuf *
record_chain(struct diff *d, int first_flags, int eor)
{
	struct mbuf *head, *m, *tail;
	uint8_t *p;
	int i, k, len;

	k = rnd_in(&d->r, 1, 3);
	head = tail = NULL;
	p = d->buf;
	for (i = 0; i < k; i++) {
		if (i > 0 && chance(&d->r, 10)) {
			/* An empty mbuf: sbcompress() drops it. */
			m = m_get(M_WAITOK, MT_DATA);
			tail->m_next = m;
			tail = m;
		}
		m = random_mbuf(d, p, &len);
		if (i == k - 1 && eor)
			m->m_flags |= M_EOR;
		ck_assert_int_eq(sbm_append(&d->sm, p, len, 0,
		    (i == 0 ? first_flags : 0) |
		    (i == k - 1 && eor ? SBM_EOR : 0), NULL), 0);
		if (head == NULL)
			head = m;
		else
			tail->m_next = m;
		tail = m;
	}
	return (head);
}

static void
op_record(struct diff *d)
{
	struct mbuf *c, *m;
	uint8_t cbuf[MCLBYTES];
	int eor, size;

	/* Room for the largest chain in d->buf and the buffer. */
	if (d->sm.len > SB_HIWAT / 2)
		return;
	eor = chance(&d->r, 60);
	switch (rnd_in(&d->r, 0, 2)) {
	case 0:
		m = record_chain(d, SBM_NEWREC, eor);
		mtx_lock(&d->t.mtx);
		sbappendrecord_locked(&d->t.sb, m);
		mtx_unlock(&d->t.mtx);
		d->st.records++;
		break;
	case 1:
		/* Joins the last record unless it is complete. */
		m = record_chain(d, 0, eor);
		mtx_lock(&d->t.mtx);
		sbappend_locked(&d->t.sb, m, 0);
		mtx_unlock(&d->t.mtx);
		d->st.joins++;
		break;
	default:
		size = chance(&d->r, 80) ? 6 : rnd_in(&d->r, 0, 400);
		fresh(d, cbuf, size);
		c = sbcreatecontrol(cbuf, size, TLS_GET_RECORD,
		    KIPPROTO_TCP, M_WAITOK);
		m_copydata(c, 0, c->m_len, (caddr_t)cbuf);
		ck_assert_int_eq(sbm_append(&d->sm, cbuf, c->m_len, 0,
		    SBM_NEWREC | (chance(&d->r, 20) && eor ? SBM_EOR : 0),
		    NULL), 0);
		if (d->sm.rec[d->sm.nrec - 1].eor) {
			/* A record of control alone, ended by its mark. */
			c->m_flags |= M_EOR;
			m = NULL;
		} else
			m = chance(&d->r, 90) ? record_chain(d, 0, eor) : NULL;
		mtx_lock(&d->t.mtx);
		sbappendcontrol_locked(&d->t.sb, m, c, 0);
		mtx_unlock(&d->t.mtx);
		d->st.controls++;
		break;
	}
}

static void
op_droprecord(struct diff *d)
{

	mtx_lock(&d->t.mtx);
	sbdroprecord_locked(&d->t.sb);
	mtx_unlock(&d->t.mtx);
	ck_assert_int_eq(sbm_droprecord(&d->sm), 0);
	d->st.droprecords++;
}

static void
run_records(uint64_t seed, int steps, struct stats *total)
{
	struct diff d;
	int step, x;

	diff_init(&d, seed);
	for (step = 0; step < steps; step++) {
		x = rnd_in(&d.r, 0, 99);
		if (x < 45)
			op_record(&d);
		else if (x < 65)
			op_droprecord(&d);
		else if (x < 97)
			op_cut(&d);
		else
			op_flush(&d);
		compare_records(&d);
	}
	total->records += d.st.records;
	total->joins += d.st.joins;
	total->controls += d.st.controls;
	total->droprecords += d.st.droprecords;
	total->cuts += d.st.cuts;
	total->cut_inside += d.st.cut_inside;
	diff_fini(&d);
}

START_TEST(test_sb_diff_records)
{
	static const uint64_t seeds[] = {
		0x7ec0001ULL, 0x7ec0002ULL, 0xfeedfacefeedULL,
	};
	struct stats st;
	int i;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < (int)nitems(seeds); i++)
		run_records(seeds[i], 3000, &st);
	fprintf(stderr, "sb_diff records: %d sbappendrecord, %d sbappend, "
	    "%d control records, %d sbdroprecord, %d cuts (%d inside an "
	    "mbuf)\n", st.records, st.joins, st.controls, st.droprecords,
	    st.cuts, st.cut_inside);
	ck_assert_int_gt(st.records, 300);
	ck_assert_int_gt(st.joins, 300);
	ck_assert_int_gt(st.controls, 300);
	ck_assert_int_gt(st.droprecords, 500);
	ck_assert_int_gt(st.cut_inside, 100);
}
END_TEST

static Suite *
sb_diff_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("sb_diff");
	tc = uktest_tcase("diff");
	tcase_add_test(tc, test_sb_diff_stream);
	tcase_add_test(tc, test_sb_diff_records);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(sb_diff_suite()));
}
