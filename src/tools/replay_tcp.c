/*
 * uktls replay: TCP connections and stream reassembly.
 *
 * Connections are keyed by their 4-tuple; the side that sends a SYN
 * without ACK is the client.  A SYN with a new initial sequence number on
 * a known 4-tuple starts a new connection (port reuse).  A connection is
 * closed, reported and freed as soon as both directions have delivered
 * everything up to their FIN, or on RST, so memory follows the number of
 * connections open at once, not the size of the file; a cap on live
 * connections evicts the one idle longest.
 *
 * One reassembler per direction.  Sequence numbers are unwrapped to
 * 64-bit stream offsets relative to the byte after the SYN (or to the
 * first byte captured when the SYN is missing).  Data at the next
 * expected offset is delivered at once; data ahead of a hole waits in a
 * sorted list of disjoint chunks.  Where copies overlap, the first one
 * captured wins: later copies are trimmed against what is buffered and
 * against a ring of the bytes most recently delivered, and any byte that
 * differs is reported as a conflict.  Holes are never filled by guessing:
 * when the direction ends (or the reordering buffer passes its cap) each
 * hole is reported as a gap with its sequence range and delivery goes on
 * after it.
 *
 *   offset:   next                                     fin_off
 *   stream: ==delivered==|  hole  |chunk|  |chunk|      |
 *                         ^ gap if nothing fills it by the end
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

struct rp_chunk {
	struct rp_chunk	*next;
	uint64_t	 off;
	size_t		 len;
	uint64_t	 frame;
	uint8_t		 data[];
};

#define	RP_HIST_MIN	4096

/* ---- the history ring ---------------------------------------------------- */

/*
 * The last hist_cap bytes delivered live at hist[off % hist_cap]; hist_from
 * is the first offset the ring can hold valid bytes for (after a gap the
 * bytes of the hole are not in it).
 */
static uint64_t
hist_lo(const struct rp_reasm *r, uint64_t from)
{
	uint64_t lo;

	lo = r->next > r->hist_cap ? r->next - r->hist_cap : 0;
	return (lo > from ? lo : from);
}

static void
hist_grow(struct rp_reasm *r, size_t want)
{
	uint8_t *nh;
	size_t ncap;
	uint64_t o, lo;

	if (r->hist_cap >= r->hist_max || r->hist_cap >= want)
		return;
	ncap = r->hist_cap == 0 ? RP_HIST_MIN : r->hist_cap;
	while (ncap < want && ncap < r->hist_max)
		ncap *= 2;
	if (ncap > r->hist_max)
		ncap = r->hist_max;
	nh = malloc(ncap);
	if (nh == NULL)
		return;		/* keep the old ring: fewer bytes compared */
	if (r->hist != NULL) {
		lo = hist_lo(r, r->hist_from);
		for (o = lo; o < r->next; o++)
			nh[o % ncap] = r->hist[o % r->hist_cap];
	}
	free(r->hist);
	r->hist = nh;
	r->hist_cap = ncap;
}

static void
hist_put(struct rp_reasm *r, uint64_t off, const uint8_t *p, size_t len)
{
	size_t i, n;

	if (r->hist_max == 0)
		return;
	hist_grow(r, (size_t)(off + len > r->hist_max ? r->hist_max :
	    off + len));
	if (r->hist_cap == 0)
		return;
	/* Only the tail that fits matters. */
	if (len > r->hist_cap) {
		p += len - r->hist_cap;
		off += len - r->hist_cap;
		len = r->hist_cap;
	}
	while (len > 0) {
		i = (size_t)(off % r->hist_cap);
		n = r->hist_cap - i < len ? r->hist_cap - i : len;
		memcpy(r->hist + i, p, n);
		off += n;
		p += n;
		len -= n;
	}
}

/*
 * Compare a later copy of delivered bytes [off, off + len) with the ring;
 * count the bytes too old to compare and report differing ones.
 */
static void
hist_compare(struct rp_reasm *r, uint64_t off, const uint8_t *p, size_t len,
    uint64_t frame)
{
	uint64_t lo, o, first;
	size_t ndiff;

	lo = r->hist != NULL ? hist_lo(r, r->hist_from) : r->next;
	ndiff = 0;
	first = 0;
	for (o = off; o < off + len; o++) {
		if (o < lo) {
			r->st.uncompared_bytes++;
			continue;
		}
		if (r->hist[o % r->hist_cap] != p[o - off]) {
			if (ndiff == 0)
				first = o;
			ndiff++;
		}
	}
	if (ndiff != 0) {
		r->st.conflicts++;
		r->st.conflict_bytes += ndiff;
		if (r->cb->conflict != NULL)
			r->cb->conflict(r->arg, first, ndiff, frame);
	}
}

/* ---- the reassembler ----------------------------------------------------- */

void
rp_reasm_init(struct rp_reasm *r, const struct rp_reasm_cb *cb, void *arg,
    size_t ooo_cap, size_t hist_max)
{

	memset(r, 0, sizeof(*r));
	r->cb = cb;
	r->arg = arg;
	r->ooo_cap = ooo_cap;
	r->hist_max = hist_max;
}

void
rp_reasm_syn(struct rp_reasm *r, uint32_t isn)
{

	if (r->started)
		return;		/* data came first: keep that origin */
	r->started = 1;
	r->syn = 1;
	r->base = isn + 1;
}

uint32_t
rp_reasm_seq(const struct rp_reasm *r, uint64_t off)
{

	return (r->base + (uint32_t)off);
}

static void
deliver(struct rp_reasm *r, const uint8_t *p, size_t len, uint64_t frame)
{
	uint64_t off;

	off = r->next;
	hist_put(r, off, p, len);
	r->next += len;
	r->st.bytes += len;
	r->cb->deliver(r->arg, off, p, len, frame);
}

/* Deliver the chunks that now start at next. */
static void
drain(struct rp_reasm *r)
{
	struct rp_chunk *c;

	while ((c = r->ooo) != NULL && c->off == r->next) {
		r->ooo = c->next;
		r->ooo_bytes -= c->len;
		deliver(r, c->data, c->len, c->frame);
		free(c);
	}
}

/* Declare the hole before the first chunk (or before fin_off) a gap. */
static void
gap_to(struct rp_reasm *r, uint64_t to)
{
	uint64_t len;

	len = to - r->next;
	r->st.gaps++;
	r->st.gap_bytes += len;
	if (r->cb->gap != NULL)
		r->cb->gap(r->arg, r->next, len, rp_reasm_seq(r, r->next));
	r->next = to;
	r->hist_from = to;
}

static int
chunk_insert(struct rp_reasm *r, struct rp_chunk **where, uint64_t off,
    const uint8_t *p, size_t len, uint64_t frame)
{
	struct rp_chunk *c;

	c = malloc(sizeof(*c) + len);
	if (c == NULL)
		return (-1);
	c->off = off;
	c->len = len;
	c->frame = frame;
	memcpy(c->data, p, len);
	c->next = *where;
	*where = c;
	r->ooo_bytes += len;
	if (r->ooo_bytes > r->st.ooo_peak)
		r->st.ooo_peak = r->ooo_bytes;
	return (0);
}

/*
 * Put [off, off + len) (all at or after next) among the buffered chunks;
 * bytes already buffered keep their first copy.  Returns the new bytes.
 */
static size_t
ooo_insert(struct rp_reasm *r, uint64_t off, const uint8_t *p, size_t len,
    uint64_t frame)
{
	struct rp_chunk **pp, *c;
	uint64_t end, cend, o;
	size_t n, added, i, ndiff;

	added = 0;
	pp = &r->ooo;
	while (len > 0) {
		c = *pp;
		end = off + len;
		if (c == NULL || c->off >= end) {
			if (chunk_insert(r, pp, off, p, len, frame) == 0)
				added += len;
			break;
		}
		cend = c->off + c->len;
		if (cend <= off) {
			pp = &c->next;
			continue;
		}
		/* The part before c is new. */
		if (c->off > off) {
			n = (size_t)(c->off - off);
			if (chunk_insert(r, pp, off, p, n, frame) == 0)
				added += n;
			pp = &(*pp)->next;
			off += n;
			p += n;
			len -= n;
		}
		/* The part over c: c's bytes win; compare. */
		n = (size_t)((cend < off + len ? cend : off + len) - off);
		ndiff = 0;
		o = 0;
		for (i = 0; i < n; i++)
			if (c->data[off - c->off + i] != p[i]) {
				if (ndiff++ == 0)
					o = off + i;
			}
		r->st.dup_bytes += n;
		if (ndiff != 0) {
			r->st.conflicts++;
			r->st.conflict_bytes += ndiff;
			if (r->cb->conflict != NULL)
				r->cb->conflict(r->arg, o, ndiff, frame);
		}
		off += n;
		p += n;
		len -= n;
		pp = &c->next;
	}
	return (added);
}

void
rp_reasm_segment(struct rp_reasm *r, uint32_t seq, const uint8_t *p,
    size_t len, int fin, uint64_t frame)
{
	int64_t off;
	size_t n, added;
	int fresh;

	if (!r->started) {
		r->started = 1;
		r->base = seq;
	}
	fresh = 0;
	off = (int64_t)r->next + (int32_t)(seq - rp_reasm_seq(r, r->next));
	if (fin && !r->fin && off + (int64_t)len >= 0) {
		r->fin = 1;
		r->fin_off = (uint64_t)off + len;
		if (r->fin_off < r->next)
			r->fin_off = r->next;
	}
	if (len == 0)
		return;
	r->st.segments++;
	if (off < 0) {
		n = (int64_t)len <= -off ? len : (size_t)-off;
		r->st.before_start += n;
		p += n;
		len -= n;
		off += (int64_t)n;
		if (len == 0)
			return;
	}
	if (r->fin && (uint64_t)off + len > r->fin_off) {
		n = (uint64_t)off >= r->fin_off ? len :
		    (size_t)((uint64_t)off + len - r->fin_off);
		r->st.after_fin += n;
		len -= n;
		if (len == 0)
			return;
	}
	/* Bytes already delivered: a retransmission. */
	if ((uint64_t)off < r->next) {
		n = r->next - (uint64_t)off < len ?
		    (size_t)(r->next - (uint64_t)off) : len;
		hist_compare(r, (uint64_t)off, p, n, frame);
		r->st.dup_bytes += n;
		p += n;
		len -= n;
		off += (int64_t)n;
		if (len == 0) {
			r->st.dup_segments++;
			return;
		}
	}
	/* In order: deliver up to the first buffered chunk at once. */
	if ((uint64_t)off == r->next) {
		n = len;
		if (r->ooo != NULL && r->ooo->off < r->next + len)
			n = (size_t)(r->ooo->off - r->next);
		if (n > 0) {
			deliver(r, p, n, frame);
			fresh = 1;
		}
		p += n;
		len -= n;
		off += (int64_t)n;
		if (len == 0) {
			drain(r);
			return;
		}
	} else
		r->st.ooo_segments++;
	added = ooo_insert(r, (uint64_t)off, p, len, frame);
	if (added == 0 && !fresh)
		r->st.dup_segments++;
	drain(r);
	while (r->ooo != NULL && r->ooo_bytes > r->ooo_cap) {
		r->st.overflows++;
		if (r->cb->overflow != NULL)
			r->cb->overflow(r->arg, r->next, r->ooo_bytes);
		gap_to(r, r->ooo->off);
		drain(r);
	}
}

void
rp_reasm_flush(struct rp_reasm *r)
{

	while (r->ooo != NULL) {
		gap_to(r, r->ooo->off);
		drain(r);
	}
	if (r->fin && r->next < r->fin_off)
		gap_to(r, r->fin_off);
}

int
rp_reasm_done(const struct rp_reasm *r)
{

	return (r->fin && r->next >= r->fin_off && r->ooo == NULL);
}

void
rp_reasm_free(struct rp_reasm *r)
{
	struct rp_chunk *c;

	while ((c = r->ooo) != NULL) {
		r->ooo = c->next;
		free(c);
	}
	r->ooo_bytes = 0;
	free(r->hist);
	r->hist = NULL;
	r->hist_cap = 0;
}

/* ---- connections --------------------------------------------------------- */

#define	RP_NBUCKETS	4096

struct rp_tcp {
	const struct rp_tcp_cb *cb;
	void		*arg;
	struct rp_tcp_limits lim;
	struct rp_conn	*bucket[RP_NBUCKETS];
	struct rp_conn	*head, *tail;	/* live, in order of appearance */
	size_t		 nlive;
	uint64_t	 nconns;
};

static void side_deliver(void *, uint64_t, const uint8_t *, size_t,
    uint64_t);
static void side_gap(void *, uint64_t, uint64_t, uint32_t);
static void side_conflict(void *, uint64_t, size_t, uint64_t);
static void side_overflow(void *, uint64_t, size_t);

static const struct rp_reasm_cb side_cb = {
	.deliver = side_deliver,
	.gap = side_gap,
	.conflict = side_conflict,
	.overflow = side_overflow,
};

static void
side_deliver(void *arg, uint64_t off, const uint8_t *p, size_t len,
    uint64_t frame)
{
	struct rp_side *s = arg;

	if (s->t->cb->deliver != NULL)
		s->t->cb->deliver(s->t->arg, s->c, s->side, off, p, len, frame);
}

static void
side_gap(void *arg, uint64_t off, uint64_t len, uint32_t seq)
{
	struct rp_side *s = arg;

	if (s->t->cb->gap != NULL)
		s->t->cb->gap(s->t->arg, s->c, s->side, off, len, seq);
}

static void
side_conflict(void *arg, uint64_t off, size_t len, uint64_t frame)
{
	struct rp_side *s = arg;

	if (s->t->cb->conflict != NULL)
		s->t->cb->conflict(s->t->arg, s->c, s->side, off, len, frame);
}

static void
side_overflow(void *arg, uint64_t off, size_t buffered)
{
	struct rp_side *s = arg;

	if (s->t->cb->overflow != NULL)
		s->t->cb->overflow(s->t->arg, s->c, s->side, off, buffered);
}

static unsigned
ep_hash(const struct rp_endpoint *ep)
{
	unsigned h, i, n;

	h = 2166136261u;
	n = ep->family == 4 ? 4 : 16;
	for (i = 0; i < n; i++)
		h = (h ^ ep->addr[i]) * 16777619u;
	h = (h ^ (ep->port & 0xff)) * 16777619u;
	h = (h ^ (ep->port >> 8)) * 16777619u;
	return (h);
}

/* The same bucket for both directions. */
static unsigned
tuple_bucket(const struct rp_endpoint *a, const struct rp_endpoint *b)
{

	return ((ep_hash(a) ^ ep_hash(b)) % RP_NBUCKETS);
}

struct rp_tcp *
rp_tcp_new(const struct rp_tcp_cb *cb, void *arg,
    const struct rp_tcp_limits *lim)
{
	struct rp_tcp *t;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return (NULL);
	t->cb = cb;
	t->arg = arg;
	t->lim = *lim;
	if (t->lim.ooo_cap == 0)
		t->lim.ooo_cap = RP_OOO_CAP;
	if (t->lim.max_conns == 0)
		t->lim.max_conns = 10000;
	if (t->lim.hist_max == 0)
		t->lim.hist_max = RP_HIST_MAX;
	return (t);
}

static struct rp_conn *
conn_find(struct rp_tcp *t, const struct rp_segment *seg, int *side)
{
	struct rp_conn *c;

	for (c = t->bucket[tuple_bucket(&seg->src, &seg->dst)]; c != NULL;
	    c = c->hnext) {
		if (rp_endpoint_eq(&c->ep[0], &seg->src) &&
		    rp_endpoint_eq(&c->ep[1], &seg->dst)) {
			*side = 0;
			return (c);
		}
		if (rp_endpoint_eq(&c->ep[1], &seg->src) &&
		    rp_endpoint_eq(&c->ep[0], &seg->dst)) {
			*side = 1;
			return (c);
		}
	}
	return (NULL);
}

static void
conn_close(struct rp_tcp *t, struct rp_conn *c, const char *why)
{
	struct rp_conn **pp;
	int i;

	for (i = 0; i < 2; i++)
		rp_reasm_flush(&c->dir[i]);
	if (t->cb->close != NULL)
		t->cb->close(t->arg, c, why);
	for (pp = &t->bucket[tuple_bucket(&c->ep[0], &c->ep[1])]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	t->nlive--;
	for (i = 0; i < 2; i++)
		rp_reasm_free(&c->dir[i]);
	free(c);
}

static struct rp_conn *
conn_new(struct rp_tcp *t, const struct rp_segment *seg)
{
	struct rp_conn *c, *old, *o;
	unsigned b;
	int i;

	/* Too many open at once: the one idle longest goes. */
	if (t->nlive >= t->lim.max_conns) {
		old = t->head;
		for (o = t->head; o != NULL; o = o->next)
			if (o->last_frame < old->last_frame)
				old = o;
		conn_close(t, old, "evicted (too many connections open at "
		    "once)");
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return (NULL);
	c->index = ++t->nconns;
	c->ep[0] = seg->src;
	c->ep[1] = seg->dst;
	c->client = -1;
	c->first_frame = c->last_frame = seg->frame;
	for (i = 0; i < 2; i++) {
		c->sarg[i].t = t;
		c->sarg[i].c = c;
		c->sarg[i].side = i;
		rp_reasm_init(&c->dir[i], &side_cb, &c->sarg[i],
		    t->lim.ooo_cap, t->lim.hist_max);
	}
	b = tuple_bucket(&c->ep[0], &c->ep[1]);
	c->hnext = t->bucket[b];
	t->bucket[b] = c;
	c->prev = t->tail;
	if (t->tail != NULL)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
	t->nlive++;
	if (t->cb->open != NULL)
		t->cb->open(t->arg, c);
	return (c);
}

void
rp_tcp_input(struct rp_tcp *t, const struct rp_segment *seg)
{
	struct rp_conn *c;
	uint32_t seq;
	int side, syn, ack, fin;

	syn = (seg->flags & RP_TH_SYN) != 0;
	ack = (seg->flags & RP_TH_ACK) != 0;
	c = conn_find(t, seg, &side);
	if (c != NULL && syn && !(seg->flags & RP_TH_RST)) {
		/* A new initial sequence number: the ports were reused. */
		if ((c->has_isn[side] && c->isn[side] != seg->seq) ||
		    (!c->has_isn[side] && c->dir[side].started)) {
			conn_close(t, c, "ports reused by a new connection");
			c = NULL;
		}
	}
	if (c == NULL) {
		/* Stray ACKs, FINs and RSTs of a closed connection. */
		if ((!syn && seg->len == 0) || (seg->flags & RP_TH_RST))
			return;
		c = conn_new(t, seg);
		if (c == NULL)
			return;
		side = 0;
	}
	c->last_frame = seg->frame;
	seq = seg->seq;
	if (syn) {
		if (!c->has_isn[side]) {
			c->has_isn[side] = 1;
			c->isn[side] = seg->seq;
			rp_reasm_syn(&c->dir[side], seg->seq);
		}
		if (c->client < 0)
			c->client = ack ? !side : side;
		seq++;
	}
	/* A FIN is where the data ends only if all of it was captured. */
	fin = (seg->flags & RP_TH_FIN) != 0 && seg->len == seg->wire_len;
	rp_reasm_segment(&c->dir[side], seq, seg->payload, seg->len, fin,
	    seg->frame);
	if (seg->flags & RP_TH_RST) {
		c->rst = 1;
		conn_close(t, c, "reset (RST)");
		return;
	}
	if (rp_reasm_done(&c->dir[0]) && rp_reasm_done(&c->dir[1]))
		conn_close(t, c, "closed (FIN both ways)");
}

void
rp_tcp_finish(struct rp_tcp *t)
{

	while (t->head != NULL)
		conn_close(t, t->head, "end of capture");
}

uint64_t
rp_tcp_nconns(const struct rp_tcp *t)
{

	return (t->nconns);
}

size_t
rp_tcp_nlive(const struct rp_tcp *t)
{

	return (t->nlive);
}

void
rp_tcp_free(struct rp_tcp *t)
{

	if (t == NULL)
		return;
	rp_tcp_finish(t);
	free(t);
}
