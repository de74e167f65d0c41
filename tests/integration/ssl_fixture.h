/*
 * libssl pairs over the TCP shim (<uktls/ssl.h>) for the test_ssl_*
 * tests: what the hand-off must look like per suite, a conversation both
 * ways (application data, control records, a sendfile from the server)
 * pumped non-blocking until every byte and record has arrived, checked
 * byte for byte, and the kernel's keys checked against model/tls_keys.
 *
 *   sfx_expect()     the measured hand-off table (docs/openssl.md)
 *   sfx_open()       uk_ssl_pair_open() that must succeed
 *   sfx_check_modes() states, sequence numbers, libssl/key-log agreement
 *   sfx_check_model() the kernel's keys against the model's derivation
 *   sfx_talk()       the conversation, verified
 *   sfx_close()      uk_ssl_pair_close(), nothing left on the wire
 *   sfx_run()        main(): the certificate before Check forks, then run
 *
 * Everything is static so that a file using part of it does not warn.
 */
#ifndef UKTEST_SSL_FIXTURE_H
#define UKTEST_SSL_FIXTURE_H

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/ssl.h>
#include <uktls/suites.h>
#include <uktls/uktls.h>

#include "tls_keys.h"
#include "uktest.h"

/* The suite libssl cannot negotiate. */
#define	SFX_NO_OPENSSL	"aes128-cbc-sha384-1.2"

/* What the hand-off of a suite must give. */
struct sfx_expect {
	enum uk_ssl_ktls tx, rx;	/* both ends alike */
	uint64_t	 tx_seq, rx_seq;
	int		 offers;	/* directions libssl offers */
};

static inline int
sfx_is_v13(const struct uk_suite *s)
{

	return (s->tls_vminor == TLS_MINOR_VER_THREE);
}

/*
 * Measured with Debian's libssl 3.0: TLS 1.2 AEAD both directions at the
 * ChangeCipherSpec (the Finished is record 0 of the kernel); TLS 1.3
 * transmit only, after the Finished; CBC nothing.  Key-log directions
 * start after the Finished (1) in TLS 1.0-1.2, at 0 in TLS 1.3.
 */
static inline struct sfx_expect
sfx_expect(const struct uk_suite *s, int no_handoff)
{
	struct sfx_expect x;

	memset(&x, 0, sizeof(x));
	if (s->cipher_algorithm != CRYPTO_AES_CBC) {
		x.offers = sfx_is_v13(s) ? 2 : 4;
		x.tx = UK_SSL_KTLS_LIBSSL;
		x.rx = sfx_is_v13(s) ? UK_SSL_KTLS_KEYLOG : UK_SSL_KTLS_LIBSSL;
	} else {
		x.tx = UK_SSL_KTLS_KEYLOG;
		x.rx = s->tls_vminor == TLS_MINOR_VER_ZERO ? UK_SSL_KTLS_NONE :
		    UK_SSL_KTLS_KEYLOG;
	}
	if (no_handoff) {
		x.tx = UK_SSL_KTLS_KEYLOG;
		if (x.rx == UK_SSL_KTLS_LIBSSL)
			x.rx = UK_SSL_KTLS_KEYLOG;
	}
	if (!sfx_is_v13(s)) {
		x.tx_seq = x.tx == UK_SSL_KTLS_KEYLOG ? 1 : 0;
		x.rx_seq = x.rx == UK_SSL_KTLS_KEYLOG ? 1 : 0;
	}
	return (x);
}

static inline void
sfx_open(struct uk_ssl_pair *p, const char *suite, int no_handoff,
    const char *keylog)
{
	struct uk_ssl_pair_config cfg;
	char msg[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.suite = suite;
	cfg.no_handoff = no_handoff;
	cfg.keylog_path = keylog;
	ck_assert_msg(uk_ssl_pair_open(&cfg, p, msg, sizeof(msg)) == 0,
	    "%s: uk_ssl_pair_open: %s (%s)", suite, msg, strerror(errno));
}

static inline void
sfx_check_end(const char *suite, const char *who, const struct uk_ssl_end *e,
    const struct sfx_expect *x)
{

	ck_assert_msg(e->tx == x->tx && e->rx == x->rx,
	    "%s %s: transmit %s, receive %s; expected %s, %s", suite, who,
	    uk_ssl_ktls_name(e->tx), uk_ssl_ktls_name(e->rx),
	    uk_ssl_ktls_name(x->tx), uk_ssl_ktls_name(x->rx));
	ck_assert_msg(e->tx_seq == x->tx_seq, "%s %s: tx_seq %llu", suite,
	    who, (unsigned long long)e->tx_seq);
	if (x->rx != UK_SSL_KTLS_NONE)
		ck_assert_msg(e->rx_seq == x->rx_seq, "%s %s: rx_seq %llu",
		    suite, who, (unsigned long long)e->rx_seq);
}

static inline void
sfx_check_modes(const struct uk_ssl_pair *p, const struct uk_suite *s,
    int no_handoff)
{
	struct sfx_expect x;

	x = sfx_expect(s, no_handoff);
	sfx_check_end(s->name, "client", &p->client, &x);
	sfx_check_end(s->name, "server", &p->server, &x);
	ck_assert_msg(p->checked == x.offers, "%s: %d directions checked, "
	    "expected %d", s->name, p->checked, x.offers);
	ck_assert_msg(p->agreed == p->checked, "%s: libssl and the key log "
	    "agree on %d of %d directions", s->name, p->agreed, p->checked);
}

/* The model's suite for a uktls suite (the two tables share an order). */
static inline const struct tlsm_suite *
sfx_model_suite(const struct uk_suite *s)
{
	const struct tlsm_suite *m;
	size_t i;

	for (i = 0; i < uk_nsuites(); i++)
		if (uk_suite_at(i) == s)
			break;
	ck_assert_uint_lt(i, TLSM_NSUITES);
	m = &tlsm_suites[i];
	ck_assert_uint_eq(m->version, 0x0300 | s->tls_vminor);
	ck_assert_uint_eq(m->key_len, (size_t)s->cipher_key_len);
	return (m);
}

static inline void
sfx_same_keys(const char *what, const struct tls_enable *en,
    const struct tlsm_state *st, int chained_iv)
{

	ck_assert_msg(en->cipher_key_len == (int)st->key_len &&
	    memcmp(en->cipher_key, st->key, st->key_len) == 0,
	    "%s: cipher key differs from the model's", what);
	ck_assert_msg(en->auth_key_len == (int)st->mac_key_len &&
	    (st->mac_key_len == 0 || memcmp(en->auth_key, st->mac_key,
	    st->mac_key_len) == 0), "%s: MAC key differs", what);
	ck_assert_msg(en->iv_len == (int)st->iv_len, "%s: IV length %d",
	    what, en->iv_len);
	/* TLS 1.0 chains: the kernel continues after the Finished. */
	if (chained_iv)
		ck_assert_msg(memcmp(en->iv, st->iv, st->iv_len) != 0,
		    "%s: TLS 1.0 IV not chained", what);
	else if (st->iv_len != 0)
		ck_assert_msg(memcmp(en->iv, st->iv, st->iv_len) == 0,
		    "%s: IV differs from the model's", what);
}

/*
 * The keys the kernel has, against model/tls_keys derived from the key
 * log file the pair wrote (and the randoms libssl reports).
 */
static inline void
sfx_check_model(const struct uk_ssl_pair *p, const struct uk_suite *s,
    const char *keylog)
{
	const struct tlsm_keylog_entry *ent;
	const struct tlsm_suite *m;
	struct tlsm_state cw, sw;
	struct tlsm_keylog kl;
	struct tls_enable en;
	uint8_t cr[32], sr[32];
	char what[96];
	int v10;

	m = sfx_model_suite(s);
	memset(&kl, 0, sizeof(kl));
	ck_assert_int_eq(tlsm_keylog_load(&kl, keylog, NULL), 0);
	ck_assert_uint_eq(SSL_get_client_random(p->client.ssl, cr,
	    sizeof(cr)), sizeof(cr));
	ck_assert_uint_eq(SSL_get_server_random(p->client.ssl, sr,
	    sizeof(sr)), sizeof(sr));
	ent = tlsm_keylog_find(&kl, cr);
	ck_assert_ptr_nonnull(ent);
	if (m->version == TLSM_V13) {
		ck_assert_int_eq(tlsm_tls13_state(m, ent->secret[TLSM_KL_CTS0],
		    ent->secret_len[TLSM_KL_CTS0], &cw), 0);
		ck_assert_int_eq(tlsm_tls13_state(m, ent->secret[TLSM_KL_STS0],
		    ent->secret_len[TLSM_KL_STS0], &sw), 0);
	} else {
		ck_assert(ent->has_master);
		ck_assert_int_eq(tlsm_tls12_states(m, ent->master, cr, sr, &cw,
		    &sw), 0);
	}
	v10 = m->version == TLSM_V10;
	snprintf(what, sizeof(what), "%s client transmit", s->name);
	ck_assert_int_eq(uk_ssl_end_enable(&p->client, 1, &en), 0);
	sfx_same_keys(what, &en, &cw, v10);
	snprintf(what, sizeof(what), "%s server transmit", s->name);
	ck_assert_int_eq(uk_ssl_end_enable(&p->server, 1, &en), 0);
	sfx_same_keys(what, &en, &sw, v10);
	if (p->client.rx == UK_SSL_KTLS_NONE) {
		errno = 0;
		ck_assert_int_eq(uk_ssl_end_enable(&p->client, 0, &en), -1);
		ck_assert_int_eq(errno, ENOENT);
	} else {
		snprintf(what, sizeof(what), "%s client receive", s->name);
		ck_assert_int_eq(uk_ssl_end_enable(&p->client, 0, &en), 0);
		sfx_same_keys(what, &en, &sw, v10);
		snprintf(what, sizeof(what), "%s server receive", s->name);
		ck_assert_int_eq(uk_ssl_end_enable(&p->server, 0, &en), 0);
		sfx_same_keys(what, &en, &cw, v10);
	}
	tlsm_keylog_free(&kl);
}

/* ---- a conversation -------------------------------------------------- */

enum sfx_kind { SFX_APP, SFX_CTL, SFX_FILE };

/* One thing to send. */
struct sfx_item {
	enum sfx_kind	 kind;
	uint8_t		 type;		/* SFX_CTL */
	const uint8_t	*data;		/* SFX_APP, SFX_CTL */
	size_t		 len;
	int		 fd;		/* SFX_FILE: a page-cache file */
};

#define	SFX_MAXITEMS	8
#define	SFX_MAXCTL	8

/* A control record as it arrived. */
struct sfx_ctl {
	uint8_t		 type;
	uint8_t		 data[64];
	size_t		 len;
	size_t		 at;		/* application bytes before it */
};

/* One direction: what the sender sends and what the receiver got. */
struct sfx_dir {
	struct uk_ssl_end *from, *to;
	struct sfx_item	 items[SFX_MAXITEMS];
	int		 nitems;
	int		 cur;		/* item being sent */
	size_t		 off;		/* bytes of it taken */
	uint8_t		*want;		/* expected application bytes */
	size_t		 want_len;
	struct sfx_ctl	 want_ctl[SFX_MAXCTL];
	int		 want_nctl;
	uint8_t		*got;
	size_t		 got_len;
	struct sfx_ctl	 got_ctl[SFX_MAXCTL];
	int		 got_nctl;
	uint8_t		*file;		/* a copy of the file sent */
};

static inline void
sfx_add_app(struct sfx_dir *d, const uint8_t *buf, size_t len)
{
	struct sfx_item *it;

	ck_assert_int_lt(d->nitems, SFX_MAXITEMS);
	it = &d->items[d->nitems++];
	it->kind = SFX_APP;
	it->data = buf;
	it->len = len;
	memcpy(d->want + d->want_len, buf, len);
	d->want_len += len;
}

static inline void
sfx_add_ctl(struct sfx_dir *d, uint8_t type, const uint8_t *buf, size_t len)
{
	struct sfx_item *it;
	struct sfx_ctl *c;

	ck_assert_int_lt(d->nitems, SFX_MAXITEMS);
	ck_assert_int_lt(d->want_nctl, SFX_MAXCTL);
	ck_assert_uint_le(len, sizeof(c->data));
	it = &d->items[d->nitems++];
	it->kind = SFX_CTL;
	it->type = type;
	it->data = buf;
	it->len = len;
	c = &d->want_ctl[d->want_nctl++];
	c->type = type;
	memcpy(c->data, buf, len);
	c->len = len;
	c->at = d->want_len;
}

static inline void
sfx_add_file(struct sfx_dir *d, uint32_t stream, size_t len)
{
	struct sfx_item *it;

	ck_assert_int_lt(d->nitems, SFX_MAXITEMS);
	ck_assert_ptr_null(d->file);
	d->file = malloc(len);
	ck_assert_ptr_nonnull(d->file);
	uktest_fill(d->file, len, stream, 0);
	it = &d->items[d->nitems++];
	it->kind = SFX_FILE;
	it->len = len;
	it->fd = uk_file_create(d->file, len);
	ck_assert_int_ge(it->fd, 0);
	memcpy(d->want + d->want_len, d->file, len);
	d->want_len += len;
}

static inline void
sfx_dir_init(struct sfx_dir *d, struct uk_ssl_end *from, struct uk_ssl_end *to,
    size_t cap)
{

	memset(d, 0, sizeof(*d));
	d->from = from;
	d->to = to;
	d->want = malloc(cap);
	d->got = malloc(cap);
	ck_assert_ptr_nonnull(d->want);
	ck_assert_ptr_nonnull(d->got);
}

static inline void
sfx_dir_free(struct sfx_dir *d)
{
	int i;

	for (i = 0; i < d->nitems; i++)
		if (d->items[i].kind == SFX_FILE)
			ck_assert_int_eq(uk_file_destroy(d->items[i].fd), 0);
	free(d->want);
	free(d->got);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

/* Send as much of the current items as the socket takes now. */
static inline void
sfx_send_some(struct sfx_dir *d, const char *suite)
{
	struct sfx_item *it;
	ssize_t n;

	while (d->cur < d->nitems) {
		it = &d->items[d->cur];
		switch (it->kind) {
		case SFX_APP:
			n = uk_ssl_send(d->from, TLS_RLTYPE_APP,
			    it->data + d->off, it->len - d->off);
			break;
		case SFX_CTL:
			n = uk_ssl_send(d->from, it->type, it->data, it->len);
			ck_assert_msg(n < 0 || (size_t)n == it->len,
			    "%s: control record cut: %zd", suite, n);
			break;
		default:
			n = uk_ssl_sendfile(d->from, it->fd, (off_t)d->off,
			    it->len - d->off, 0);
			break;
		}
		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "%s: send item %d: %s",
			    suite, d->cur, strerror(errno));
			return;
		}
		d->off += (size_t)n;
		if (d->off == it->len) {
			d->cur++;
			d->off = 0;
		}
	}
}

/* Read everything there is. */
static inline void
sfx_recv_some(struct sfx_dir *d, const char *suite)
{
	uint8_t buf[20000], type;
	struct sfx_ctl *c;
	ssize_t n;

	for (;;) {
		n = uk_ssl_recv(d->to, buf, sizeof(buf), &type);
		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "%s: recv: %s", suite,
			    strerror(errno));
			return;
		}
		ck_assert_msg(n > 0 || type != 0, "%s: end of stream at %zu",
		    suite, d->got_len);
		if (type == TLS_RLTYPE_APP) {
			ck_assert_msg(d->got_len + (size_t)n <= d->want_len,
			    "%s: %zu bytes too many", suite, d->got_len +
			    (size_t)n - d->want_len);
			memcpy(d->got + d->got_len, buf, (size_t)n);
			d->got_len += (size_t)n;
			continue;
		}
		ck_assert_msg(d->got_nctl < d->want_nctl, "%s: unexpected "
		    "record of type %u", suite, type);
		c = &d->got_ctl[d->got_nctl++];
		c->type = type;
		c->len = (size_t)n < sizeof(c->data) ? (size_t)n :
		    sizeof(c->data);
		memcpy(c->data, buf, c->len);
		c->at = d->got_len;
	}
}

static inline int
sfx_dir_done(const struct sfx_dir *d)
{

	return (d->cur == d->nitems && d->got_len == d->want_len &&
	    d->got_nctl == d->want_nctl);
}

static inline void
sfx_dir_verify(const struct sfx_dir *d, const char *suite, const char *name)
{
	int i;

	ck_assert_msg(memcmp(d->got, d->want, d->want_len) == 0,
	    "%s %s: application data differs", suite, name);
	for (i = 0; i < d->want_nctl; i++) {
		ck_assert_msg(d->got_ctl[i].type == d->want_ctl[i].type &&
		    d->got_ctl[i].len == d->want_ctl[i].len &&
		    memcmp(d->got_ctl[i].data, d->want_ctl[i].data,
		    d->want_ctl[i].len) == 0, "%s %s: control record %d "
		    "differs (type %u, %zu bytes)", suite, name, i,
		    d->got_ctl[i].type, d->got_ctl[i].len);
		ck_assert_msg(d->got_ctl[i].at == d->want_ctl[i].at,
		    "%s %s: control record %d after %zu bytes, not %zu",
		    suite, name, i, d->got_ctl[i].at, d->want_ctl[i].at);
	}
}

/*
 * Both directions at once, non-blocking: send what fits, run the
 * network, read what came, until everything arrived.
 */
static inline void
sfx_pump(struct sfx_dir *c2s, struct sfx_dir *s2c, const char *suite)
{
	int round;

	ck_assert_int_eq(uk_set_nonblock(c2s->from->s, 1), 0);
	ck_assert_int_eq(uk_set_nonblock(s2c->from->s, 1), 0);
	for (round = 0; !(sfx_dir_done(c2s) && sfx_dir_done(s2c)); round++) {
		ck_assert_msg(round < 100000, "%s: stuck: %zu/%zu and %zu/%zu",
		    suite, c2s->got_len, c2s->want_len, s2c->got_len,
		    s2c->want_len);
		sfx_send_some(c2s, suite);
		sfx_send_some(s2c, suite);
		(void)uk_net_run();
		sfx_recv_some(c2s, suite);
		sfx_recv_some(s2c, suite);
	}
	sfx_dir_verify(c2s, suite, "client to server");
	sfx_dir_verify(s2c, suite, "server to client");
}

/* The application bytes each way, as sfx_talk() sent them. */
struct sfx_sent {
	uint8_t		*c2s, *s2c;
	size_t		 c2s_len, s2c_len;
};

static inline void
sfx_sent_free(struct sfx_sent *t)
{

	free(t->c2s);
	free(t->s2c);
	memset(t, 0, sizeof(*t));
}

/*
 * The usual conversation: each end sends application data, a warning
 * alert (user_canceled: libssl, where it reads, ignores it), more data
 * and, where the receiver is not TLS 1.0's libssl, a handshake-type
 * record of its own; the server then sends a page-cache file.  app is
 * the amount of application data per end.  sent (may be NULL) gets a
 * copy of the application bytes of each direction.
 */
static inline void
sfx_talk(struct uk_ssl_pair *p, const char *suite, size_t app, size_t file,
    struct sfx_sent *sent)
{
	static const uint8_t alert[2] = { 1, 90 };
	static const uint8_t hs[5] = { 0xfe, 0, 0, 1, 0x42 };
	struct sfx_dir c2s, s2c;
	uint8_t *a, *b;
	size_t half;

	half = app / 2;
	a = malloc(app + 1);
	b = malloc(app + 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	uktest_fill(a, app, 501, 0);
	uktest_fill(b, app, 502, 0);
	sfx_dir_init(&c2s, &p->client, &p->server, app + 1);
	sfx_dir_init(&s2c, &p->server, &p->client, app + file + 1);
	sfx_add_app(&c2s, a, half);
	sfx_add_ctl(&c2s, TLS_RLTYPE_ALERT, alert, sizeof(alert));
	sfx_add_app(&c2s, a + half, app - half);
	if (p->server.rx != UK_SSL_KTLS_NONE)
		sfx_add_ctl(&c2s, TLS_RLTYPE_HANDSHAKE, hs, sizeof(hs));
	sfx_add_app(&s2c, b, half);
	sfx_add_ctl(&s2c, TLS_RLTYPE_ALERT, alert, sizeof(alert));
	if (p->client.rx != UK_SSL_KTLS_NONE)
		sfx_add_ctl(&s2c, TLS_RLTYPE_HANDSHAKE, hs, sizeof(hs));
	sfx_add_app(&s2c, b + half, app - half);
	if (file > 0)
		sfx_add_file(&s2c, 503, file);
	sfx_pump(&c2s, &s2c, suite);
	if (sent != NULL) {
		sent->c2s = c2s.want;
		sent->c2s_len = c2s.want_len;
		sent->s2c = s2c.want;
		sent->s2c_len = s2c.want_len;
		c2s.want = s2c.want = NULL;
	}
	sfx_dir_free(&c2s);
	sfx_dir_free(&s2c);
	free(a);
	free(b);
}

/* Close the pair; nothing may be left on the wire. */
static inline void
sfx_close(struct uk_ssl_pair *p)
{
	int conns, packets;

	uk_ssl_pair_close(p);
	ck_assert_ptr_null(p->priv);
	(void)uk_net_run();
	uk_net_counts(&packets, &conns);
	ck_assert_int_eq(packets, 0);
	ck_assert_int_eq(conns, 0);
}

/* The certificate made once, before Check forks each test; then run. */
static inline int
sfx_run(Suite *s)
{

	if (uk_ssl_identity(NULL, NULL) != 0)
		return (EXIT_FAILURE);
	return (uktest_run(s));
}

#endif /* UKTEST_SSL_FIXTURE_H */
