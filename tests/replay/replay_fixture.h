/*
 * Replay tests: run replay_run() on a capture and keep what it reported
 * (every record, each direction's application data as the model and as
 * the receive path gave it, each connection's summary, the messages),
 * read tshark's oracle files, and rewrite captures (reorder, duplicate,
 * split, drop, flip bytes, copy connections) with libpcap.
 */
#ifndef REPLAY_FIXTURE_H
#define REPLAY_FIXTURE_H

#include <pcap/pcap.h>

#include <openssl/evp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"
#include "uktest.h"

#define	RF_MAXCONN	8

struct rf_buf {
	uint8_t		*p;
	size_t		 len, cap;
};

static inline void
rf_buf_add(struct rf_buf *b, const void *p, size_t len)
{
	size_t ncap;

	if (b->len + len > b->cap) {
		ncap = b->cap == 0 ? 4096 : b->cap;
		while (ncap < b->len + len)
			ncap *= 2;
		b->p = realloc(b->p, ncap);
		ck_assert_ptr_nonnull(b->p);
		b->cap = ncap;
	}
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

struct rf_rec {
	int		 app_phase, encrypted;
	uint64_t	 index, seq, frame;
	uint32_t	 tcp_seq;
	unsigned	 epoch;
	uint8_t		 outer, type;
	size_t		 wire_len, plain_len;
	int		 has_sha;
	uint8_t		 sha[32];
	enum rp_verdict	 verdict;
	enum rp_verdict	 check[RP_NCHECKS];
	char		 why[160];
	/* what the receive path gave, when its check ran */
	int		 rx_ran, rx_record, rx_error, rx_new_session;
	uint8_t		 rx_type, rx_vminor;
	size_t		 rx_len;
	uint8_t		 rx_sha[32];
};

struct rf_dir {
	struct rf_buf	 app;		/* application data (model) */
	struct rf_buf	 rx_app;	/* application data (receive path) */
	struct rf_rec	*rec;		/* every record, in order */
	size_t		 nrec, cap;
};

struct rf_conn {
	uint64_t	 index;
	int		 closed;
	struct rp_conn_result res;
	struct rf_dir	 dir[2];	/* [0] from the client */
};

struct rf_run {
	struct rf_conn	 conn[RF_MAXCONN];
	int		 nconn;
	int		 rc;
	struct replay_totals tot;
	char		*msgs;
	size_t		 msgslen;
};

static inline struct rf_conn *
rf_conn(struct rf_run *r, uint64_t index)
{
	int i;

	for (i = 0; i < r->nconn; i++)
		if (r->conn[i].index == index)
			return (&r->conn[i]);
	ck_assert_int_lt(r->nconn, RF_MAXCONN);
	r->conn[r->nconn].index = index;
	return (&r->conn[r->nconn++]);
}

static inline void
rf_on_record(void *arg, const struct rp_rec_result *rr)
{
	struct rf_run *r = arg;
	struct rf_dir *d;
	struct rf_rec *x;
	unsigned int mdlen;

	d = &rf_conn(r, rr->conn)->dir[rr->from_client ? 0 : 1];
	if (d->nrec == d->cap) {
		d->cap = d->cap == 0 ? 64 : d->cap * 2;
		d->rec = realloc(d->rec, d->cap * sizeof(*d->rec));
		ck_assert_ptr_nonnull(d->rec);
	}
	x = &d->rec[d->nrec++];
	memset(x, 0, sizeof(*x));
	x->app_phase = rr->app_phase;
	x->encrypted = rr->encrypted;
	x->index = rr->index;
	x->seq = rr->seq;
	x->frame = rr->frame;
	x->tcp_seq = rr->tcp_seq;
	x->epoch = rr->epoch;
	x->outer = rr->outer_type;
	x->type = rr->type;
	x->wire_len = rr->wire_len;
	x->plain_len = rr->plain_len;
	x->verdict = rr->verdict;
	memcpy(x->check, rr->check, sizeof(x->check));
	if (rr->why != NULL)
		snprintf(x->why, sizeof(x->why), "%s", rr->why);
	if (rr->plain != NULL) {
		x->has_sha = 1;
		ck_assert_int_eq(EVP_Digest(rr->plain, rr->plain_len, x->sha,
		    &mdlen, EVP_sha256(), NULL), 1);
		if (rr->app_phase && rr->type == 23)
			rf_buf_add(&d->app, rr->plain, rr->plain_len);
	}
	if (rr->rx != NULL) {
		x->rx_ran = 1;
		x->rx_record = rr->rx->record;
		x->rx_error = rr->rx->error;
		x->rx_new_session = rr->rx->new_session;
		x->rx_type = rr->rx->type;
		x->rx_vminor = rr->rx->vminor;
		x->rx_len = rr->rx->plain_len;
		if (rr->rx->record) {
			ck_assert_int_eq(EVP_Digest(rr->rx->plain,
			    rr->rx->plain_len, x->rx_sha, &mdlen,
			    EVP_sha256(), NULL), 1);
			if (rr->rx->type == 23)
				rf_buf_add(&d->rx_app, rr->rx->plain,
				    rr->rx->plain_len);
		}
	}
}

static inline void
rf_on_conn(void *arg, const struct rp_conn_result *c)
{
	struct rf_run *r = arg;
	struct rf_conn *k;

	k = rf_conn(r, c->index);
	ck_assert(!k->closed);
	k->closed = 1;
	k->res = *c;
}

static inline char *
rf_path(const char *rel)
{
	const char *src;
	char *path;

	src = getenv("UKTLS_SOURCE_DIR");
	ck_assert_msg(src != NULL, "UKTLS_SOURCE_DIR is not set");
	ck_assert_int_gt(asprintf(&path, "%s/%s", src, rel), 0);
	return (path);
}

/*
 * Replay path (keylog may be NULL) with limits lim (may be NULL) through
 * backend be (NULL: sw).
 */
static inline void
rf_replay_be(const char *path, const char *keylog, struct rf_run *r,
    const struct rp_tcp_limits *lim, const struct replay_backend *be)
{
	struct replay_opts o;
	const char *why;
	FILE *msgs;

	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	msgs = open_memstream(&r->msgs, &r->msgslen);
	ck_assert_ptr_nonnull(msgs);
	o.keylog = keylog;
	o.backend = be != NULL ? be : replay_backend_find("sw", &why);
	ck_assert_ptr_nonnull(o.backend);
	o.msgs = msgs;
	if (lim != NULL)
		o.lim = *lim;
	o.on_record = rf_on_record;
	o.on_conn = rf_on_conn;
	o.arg = r;
	r->rc = replay_run(path, &o, &r->tot);
	fclose(msgs);
}

static inline void
rf_replay(const char *path, const char *keylog, struct rf_run *r,
    const struct rp_tcp_limits *lim)
{

	rf_replay_be(path, keylog, r, lim, NULL);
}

static inline void
rf_free(struct rf_run *r)
{
	int i, j;

	for (i = 0; i < r->nconn; i++)
		for (j = 0; j < 2; j++) {
			free(r->conn[i].dir[j].app.p);
			free(r->conn[i].dir[j].rx_app.p);
			free(r->conn[i].dir[j].rec);
		}
	free(r->msgs);
	memset(r, 0, sizeof(*r));
}

/* How many records of a count carry reason why. */
static inline uint64_t
rf_count_reason(const struct rp_count *c, const char *why)
{
	int i;

	for (i = 0; i < c->nreasons; i++)
		if (strcmp(c->reasons[i].why, why) == 0)
			return (c->reasons[i].n);
	return (0);
}

/* How many records of a direction carry reason why (the verdict). */
static inline uint64_t
rf_reason(const struct rp_dir_result *d, const char *why)
{

	return (rf_count_reason(&d->total, why));
}

/* The same for one check (RP_CHECK_*). */
static inline uint64_t
rf_check_reason(const struct rp_dir_result *d, int check, const char *why)
{

	return (rf_count_reason(&d->check[check], why));
}

/* "/tmp/uktls-replay-PID-what" (to free). */
static inline char *
rf_tmp_path(const char *what)
{
	char *p;

	ck_assert_int_gt(asprintf(&p, "/tmp/uktls-replay-%d-%s", (int)getpid(),
	    what), 0);
	return (p);
}

/* The source tree's base + suffix (to free). */
static inline char *
rf_trace_file(const char *base, const char *suffix)
{
	char *rel, *p;

	ck_assert_int_gt(asprintf(&rel, "%s%s", base, suffix), 0);
	p = rf_path(rel);
	free(rel);
	return (p);
}

/* base.pcap, or else base.pcapng (to free). */
static inline char *
rf_trace_pcap(const char *base)
{
	char *p;

	p = rf_trace_file(base, ".pcap");
	if (access(p, R_OK) != 0) {
		free(p);
		p = rf_trace_file(base, ".pcapng");
	}
	return (p);
}

/* The reference run of a trace of the source tree, untouched. */
static inline void
rf_reference(const char *base, struct rf_run *r)
{
	char *pcap, *keys;

	pcap = rf_trace_pcap(base);
	keys = rf_trace_file(base, ".keys");
	rf_replay(pcap, keys, r, NULL);
	ck_assert_msg(r->rc == RP_EXIT_OK, "%s: exit %d: %s", base, r->rc,
	    r->msgs);
	ck_assert_int_eq(r->nconn, 1);
	free(pcap);
	free(keys);
}

/* ---- tshark's follow,tls,raw output ------------------------------------ */

struct rf_follow {
	char		 node0[128];
	struct rf_buf	 data[2];	/* from node 0, from node 1 */
	int		 ok;
};

static inline int
rf_unhex(const char *s, struct rf_buf *b)
{
	unsigned v;
	uint8_t c;

	while (s[0] != '\0' && s[0] != '\n' && s[0] != '\r') {
		if (sscanf(s, "%2x", &v) != 1 || s[1] == '\0')
			return (-1);
		c = (uint8_t)v;
		rf_buf_add(b, &c, 1);
		s += 2;
	}
	return (0);
}

static inline void
rf_follow_read(FILE *fp, struct rf_follow *f)
{
	char line[1 << 16];
	int state;

	memset(f, 0, sizeof(*f));
	state = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		ck_assert_msg(strchr(line, '\n') != NULL || feof(fp),
		    "oracle line too long");
		if (strncmp(line, "=====", 5) == 0) {
			if (state == 2)
				f->ok = 1;
			if (state == 2)
				break;
			continue;
		}
		if (state == 0 && strncmp(line, "Node 0: ", 8) == 0) {
			line[8 + strcspn(line + 8, "\r\n")] = '\0';
			ck_assert_uint_lt(strlen(line + 8), sizeof(f->node0));
			memcpy(f->node0, line + 8, strlen(line + 8) + 1);
			state = 1;
		} else if (state == 1 && strncmp(line, "Node 1:", 7) == 0) {
			state = 2;
		} else if (state == 2) {
			if (line[0] == '\t')
				ck_assert_int_eq(rf_unhex(line + 1,
				    &f->data[1]), 0);
			else
				ck_assert_int_eq(rf_unhex(line, &f->data[0]),
				    0);
		}
	}
}

static inline void
rf_follow_free(struct rf_follow *f)
{

	free(f->data[0].p);
	free(f->data[1].p);
}

/*
 * Each direction's application data of connection c must be what the
 * oracle decrypted, whichever end tshark calls node 0.
 */
static inline void
rf_follow_compare(const struct rf_follow *f, const struct rf_conn *c,
    const char *what)
{
	const struct rf_buf *fc, *fs;

	ck_assert_msg(f->ok, "%s: no follow output", what);
	if (strcmp(f->node0, ":0") == 0) {
		/* tshark names no node when nothing was decrypted. */
		ck_assert_uint_eq(f->data[0].len + f->data[1].len, 0);
		ck_assert_uint_eq(c->dir[0].app.len + c->dir[1].app.len, 0);
		return;
	}
	if (strcmp(f->node0, c->res.client) == 0) {
		fc = &f->data[0];
		fs = &f->data[1];
	} else {
		ck_assert_msg(strcmp(f->node0, c->res.server) == 0,
		    "%s: node 0 is %s, neither %s nor %s", what, f->node0,
		    c->res.client, c->res.server);
		fc = &f->data[1];
		fs = &f->data[0];
	}
	ck_assert_msg(c->dir[0].app.len == fc->len && (fc->len == 0 ||
	    memcmp(c->dir[0].app.p, fc->p, fc->len) == 0),
	    "%s: client data: %zu bytes, oracle %zu or different", what,
	    c->dir[0].app.len, fc->len);
	ck_assert_msg(c->dir[1].app.len == fs->len && (fs->len == 0 ||
	    memcmp(c->dir[1].app.p, fs->p, fs->len) == 0),
	    "%s: server data: %zu bytes, oracle %zu or different", what,
	    c->dir[1].app.len, fs->len);
	ck_assert_uint_eq(c->res.dir[0].plaintext_bytes, fc->len);
	ck_assert_uint_eq(c->res.dir[1].plaintext_bytes, fs->len);
}

/*
 * What the receive path gave, direction by direction, against the
 * oracle: all of it (full[i]), or, where the receive check stops early
 * (a KeyUpdate), the start of it.
 */
static inline void
rf_follow_compare_rx(const struct rf_follow *f, const struct rf_conn *c,
    const int full[2], const char *what)
{
	const struct rf_buf *o[2], *g;
	int i;

	ck_assert_msg(f->ok, "%s: no follow output", what);
	if (strcmp(f->node0, ":0") == 0) {
		ck_assert_uint_eq(c->dir[0].rx_app.len + c->dir[1].rx_app.len,
		    0);
		return;
	}
	i = strcmp(f->node0, c->res.client) == 0 ? 0 : 1;
	o[0] = &f->data[i];
	o[1] = &f->data[!i];
	for (i = 0; i < 2; i++) {
		g = &c->dir[i].rx_app;
		ck_assert_msg(full[i] ? g->len == o[i]->len :
		    g->len <= o[i]->len,
		    "%s: %s data received: %zu bytes, oracle %zu", what,
		    i == 0 ? "client" : "server", g->len, o[i]->len);
		ck_assert_msg(g->len == 0 || memcmp(g->p, o[i]->p, g->len) == 0,
		    "%s: %s data received differs from the oracle", what,
		    i == 0 ? "client" : "server");
		ck_assert_uint_eq(c->res.dir[i].rx_plaintext_bytes, g->len);
	}
}

/* ---- rewriting captures --------------------------------------------------- */

struct rf_pkt {
	struct pcap_pkthdr h;
	uint8_t		*data;
};

struct rf_cap {
	int		 dlt;
	struct rf_pkt	*pkt;
	size_t		 n, cap;
};

static inline void
rf_cap_add(struct rf_cap *c, const struct pcap_pkthdr *h, const uint8_t *data)
{

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 256 : c->cap * 2;
		c->pkt = realloc(c->pkt, c->cap * sizeof(*c->pkt));
		ck_assert_ptr_nonnull(c->pkt);
	}
	c->pkt[c->n].h = *h;
	c->pkt[c->n].data = malloc(h->caplen > 0 ? h->caplen : 1);
	ck_assert_ptr_nonnull(c->pkt[c->n].data);
	memcpy(c->pkt[c->n].data, data, h->caplen);
	c->n++;
}

static inline void
rf_cap_read(const char *path, struct rf_cap *c)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;

	memset(c, 0, sizeof(*c));
	p = pcap_open_offline(path, ebuf);
	ck_assert_msg(p != NULL, "%s: %s", path, ebuf);
	c->dlt = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &data) == 1)
		rf_cap_add(c, h, data);
	pcap_close(p);
}

static inline void
rf_cap_write(const struct rf_cap *c, const char *path)
{
	pcap_dumper_t *d;
	pcap_t *p;
	size_t i;

	p = pcap_open_dead(c->dlt, 262144);
	ck_assert_ptr_nonnull(p);
	d = pcap_dump_open(p, path);
	ck_assert_msg(d != NULL, "%s: %s", path, pcap_geterr(p));
	for (i = 0; i < c->n; i++)
		pcap_dump((u_char *)d, &c->pkt[i].h, c->pkt[i].data);
	pcap_dump_close(d);
	pcap_close(p);
}

static inline void
rf_cap_free(struct rf_cap *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->pkt[i].data);
	free(c->pkt);
	memset(c, 0, sizeof(*c));
}

/* Offsets in an Ethernet/IPv4/TCP frame. */
struct rf_tcpoff {
	size_t	ip, tcp, payload, len;
};

static inline int
rf_tcp_of(const struct rf_pkt *k, struct rf_tcpoff *o)
{
	const uint8_t *f = k->data;
	size_t ihl, total;

	if (k->h.caplen < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 ||
	    f[14 + 9] != 6)
		return (-1);
	o->ip = 14;
	ihl = (size_t)(f[14] & 15) * 4;
	total = (size_t)f[16] << 8 | f[17];
	o->tcp = 14 + ihl;
	o->payload = o->tcp + (size_t)(f[o->tcp + 12] >> 4) * 4;
	o->len = 14 + total - o->payload;
	return (0);
}

static inline uint32_t
rf_get32(const uint8_t *p)
{

	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static inline void
rf_put32(uint8_t *p, uint32_t v)
{

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * A copy of TCP frame k carrying only payload bytes [a, b), its sequence
 * number moved along; a FIN stays only on the piece with the last byte.
 */
static inline void
rf_cap_add_slice(struct rf_cap *c, const struct rf_pkt *k, size_t a, size_t b)
{
	struct rf_tcpoff o;
	struct pcap_pkthdr h;
	uint8_t *f;
	size_t total;

	ck_assert_int_eq(rf_tcp_of(k, &o), 0);
	ck_assert_uint_le(b, o.len);
	f = malloc(o.payload + (b - a));
	ck_assert_ptr_nonnull(f);
	memcpy(f, k->data, o.payload);
	memcpy(f + o.payload, k->data + o.payload + a, b - a);
	total = o.payload - 14 + (b - a);
	f[16] = (uint8_t)(total >> 8);
	f[17] = (uint8_t)total;
	rf_put32(f + o.tcp + 4, rf_get32(k->data + o.tcp + 4) + (uint32_t)a);
	if (b != o.len)
		f[o.tcp + 13] &= (uint8_t)~RP_TH_FIN;
	h = k->h;
	h.caplen = h.len = (bpf_u_int32)(o.payload + (b - a));
	rf_cap_add(c, &h, f);
	free(f);
}

/* Is frame k from the server (source port 4433) with payload? */
static inline int
rf_server_data(const struct rf_pkt *k, struct rf_tcpoff *o)
{

	return (rf_tcp_of(k, o) == 0 && o->len > 0 &&
	    k->data[o->tcp] == 0x11 && k->data[o->tcp + 1] == 0x51);
}

/*
 * n copies of the trace base in one file, copy i on client port + i,
 * interleaved packet by packet.  mutate() may change the first copy's
 * packets.  (Ethernet, IPv4; the server on port 4433.)
 */
static inline void
rf_copies(const char *base, const char *tmp, int n,
    void (*mutate)(struct rf_cap *, void *), void *arg)
{
	struct rf_cap in, out, first;
	struct rf_pkt k;
	struct rf_tcpoff o;
	char *pcap;
	size_t i, po;
	unsigned port;
	int j;

	pcap = rf_trace_pcap(base);
	rf_cap_read(pcap, &in);
	rf_cap_read(pcap, &first);
	if (mutate != NULL)
		mutate(&first, arg);
	memset(&out, 0, sizeof(out));
	out.dlt = in.dlt;
	for (i = 0; i < in.n; i++) {
		rf_cap_add(&out, &first.pkt[i].h, first.pkt[i].data);
		for (j = 1; j < n; j++) {
			rf_cap_add(&out, &in.pkt[i].h, in.pkt[i].data);
			k = out.pkt[out.n - 1];
			ck_assert_int_eq(rf_tcp_of(&k, &o), 0);
			/* The client's port is the one that is not 4433. */
			po = k.data[o.tcp] == 0x11 &&
			    k.data[o.tcp + 1] == 0x51 ? o.tcp + 2 : o.tcp;
			port = ((unsigned)k.data[po] << 8 | k.data[po + 1]) +
			    (unsigned)j;
			k.data[po] = (uint8_t)(port >> 8);
			k.data[po + 1] = (uint8_t)port;
		}
	}
	rf_cap_write(&out, tmp);
	rf_cap_free(&in);
	rf_cap_free(&first);
	rf_cap_free(&out);
	free(pcap);
}

/* The same trace twice, as rf_copies(). */
static inline void
rf_two_connections(const char *base, const char *tmp,
    void (*mutate)(struct rf_cap *, void *), void *arg)
{

	rf_copies(base, tmp, 2, mutate, arg);
}

/*
 * XOR bit (0: 0x20) into the byte at TCP seq of the server's stream (or
 * the client's), in every captured copy of it.
 */
struct rf_flip {
	uint32_t	tcp_seq;
	uint8_t		bit;
	int		client;
	int		done;
};

static inline void
rf_flip_byte(struct rf_cap *c, void *arg)
{
	struct rf_flip *fl = arg;
	struct rf_tcpoff o;
	uint32_t seq;
	size_t i;
	int srv;

	for (i = 0; i < c->n; i++) {
		if (rf_tcp_of(&c->pkt[i], &o) != 0 || o.len == 0)
			continue;
		srv = rf_server_data(&c->pkt[i], &o);
		if (srv == fl->client)
			continue;
		seq = rf_get32(c->pkt[i].data + o.tcp + 4);
		if (fl->tcp_seq - seq < o.len) {
			c->pkt[i].data[o.payload + (fl->tcp_seq - seq)] ^=
			    fl->bit != 0 ? fl->bit : 0x20;
			fl->done++;
		}
	}
}

#endif /* REPLAY_FIXTURE_H */
