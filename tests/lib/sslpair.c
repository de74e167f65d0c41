/*
 * sslpair: an in-memory OpenSSL client/server pair.  See sslpair.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <uktls/ssl.h>

#include "sslpair.h"

static EVP_PKEY *sp_key;
static X509 *sp_cert;

static int
sp_fail(const char *what)
{

	fprintf(stderr, "sslpair: %s\n", what);
	ERR_print_errors_fp(stderr);
	return (-1);
}

/* The library's certificate (<uktls/ssl.h>), made once per process. */
int
sslpair_global_init(void)
{

	if (sp_cert != NULL)
		return (0);
	if (uk_ssl_identity(&sp_key, &sp_cert) != 0)
		return (sp_fail("certificate"));
	return (0);
}

/* The library keeps the certificate; only forget it here. */
void
sslpair_global_free(void)
{

	sp_cert = NULL;
	sp_key = NULL;
}

/* Suites as OpenSSL names them; all authenticate with the RSA key. */
static const struct {
	const char	*suite;
	const char	*openssl;
} sp_names[] = {
	{ "aes128_gcm_1_2", "ECDHE-RSA-AES128-GCM-SHA256" },
	{ "aes256_gcm_1_2", "ECDHE-RSA-AES256-GCM-SHA384" },
	{ "aes128_gcm_1_3", "TLS_AES_128_GCM_SHA256" },
	{ "aes256_gcm_1_3", "TLS_AES_256_GCM_SHA384" },
	{ "chacha20_poly1305_1_2", "ECDHE-RSA-CHACHA20-POLY1305" },
	{ "chacha20_poly1305_1_3", "TLS_CHACHA20_POLY1305_SHA256" },
	{ "aes128_cbc_1_0_sha1", "ECDHE-RSA-AES128-SHA" },
	{ "aes256_cbc_1_0_sha1", "ECDHE-RSA-AES256-SHA" },
	{ "aes128_cbc_1_1_sha1", "ECDHE-RSA-AES128-SHA" },
	{ "aes256_cbc_1_1_sha1", "ECDHE-RSA-AES256-SHA" },
	{ "aes128_cbc_1_2_sha1", "ECDHE-RSA-AES128-SHA" },
	{ "aes256_cbc_1_2_sha1", "ECDHE-RSA-AES256-SHA" },
	{ "aes128_cbc_1_2_sha256", "ECDHE-RSA-AES128-SHA256" },
	/* No ECDHE suite pairs AES-256-CBC with HMAC-SHA256. */
	{ "aes256_cbc_1_2_sha256", "AES256-SHA256" },
	{ "aes256_cbc_1_2_sha384", "ECDHE-RSA-AES256-SHA384" },
};

const char *
sslpair_cipher_name(const struct tlsm_suite *s)
{
	size_t i;

	for (i = 0; i < sizeof(sp_names) / sizeof(sp_names[0]); i++)
		if (strcmp(sp_names[i].suite, s->name) == 0)
			return (sp_names[i].openssl);
	return (NULL);
}

static void
sp_keylog_cb(const SSL *ssl, const char *line)
{
	struct sslpair *p;
	size_t n;
	char *nk;

	p = SSL_get_app_data(ssl);
	n = strlen(line);
	if (p->keylog_len + n + 1 > p->keylog_cap) {
		nk = realloc(p->keylog, 2 * (p->keylog_len + n + 1));
		if (nk == NULL)
			return;		/* sslpair_keys will miss the line */
		p->keylog = nk;
		p->keylog_cap = 2 * (p->keylog_len + n + 1);
	}
	memcpy(p->keylog + p->keylog_len, line, n);
	p->keylog[p->keylog_len + n] = '\n';
	p->keylog_len += n + 1;
}

static SSL_CTX *
sp_ctx(const struct tlsm_suite *s, int server)
{
	const char *name;
	char list[128];
	SSL_CTX *ctx;
	int ok;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL)
		return (NULL);
	name = sslpair_cipher_name(s);
	ok = SSL_CTX_set_min_proto_version(ctx, s->version) == 1 &&
	    SSL_CTX_set_max_proto_version(ctx, s->version) == 1;
	SSL_CTX_set_options(ctx, SSL_OP_NO_ENCRYPT_THEN_MAC |
	    SSL_OP_NO_COMPRESSION);
	if (s->version == TLSM_V13)
		ok = ok && SSL_CTX_set_ciphersuites(ctx, name) == 1;
	else {
		snprintf(list, sizeof(list), "%s%s", name,
		    s->version < TLSM_V12 ? ":@SECLEVEL=0" : "");
		ok = ok && SSL_CTX_set_cipher_list(ctx, list) == 1;
	}
	if (server) {
		ok = ok && SSL_CTX_use_certificate(ctx, sp_cert) == 1 &&
		    SSL_CTX_use_PrivateKey(ctx, sp_key) == 1 &&
		    SSL_CTX_set_num_tickets(ctx, 0) == 1;
	}
	SSL_CTX_set_keylog_callback(ctx, sp_keylog_cb);
	if (!ok) {
		SSL_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);
}

int
sslpair_init(struct sslpair *p, const struct tlsm_suite *s)
{
	int i;

	memset(p, 0, sizeof(*p));
	p->suite = s;
	if (sslpair_cipher_name(s) == NULL)
		return (sp_fail("no OpenSSL suite"));
	if (sslpair_global_init() != 0)
		return (-1);
	p->cctx = sp_ctx(s, 0);
	p->sctx = sp_ctx(s, 1);
	if (p->cctx == NULL || p->sctx == NULL)
		return (sp_fail("SSL_CTX set-up"));
	p->ssl[SSLPAIR_CLIENT] = SSL_new(p->cctx);
	p->ssl[SSLPAIR_SERVER] = SSL_new(p->sctx);
	for (i = 0; i < 2; i++) {
		if (p->ssl[i] == NULL)
			return (sp_fail("SSL_new"));
		p->in[i] = BIO_new(BIO_s_mem());
		p->out[i] = BIO_new(BIO_s_mem());
		if (p->in[i] == NULL || p->out[i] == NULL) {
			BIO_free(p->in[i]);
			BIO_free(p->out[i]);
			p->in[i] = p->out[i] = NULL;
			return (sp_fail("BIO_new"));
		}
		SSL_set_bio(p->ssl[i], p->in[i], p->out[i]);
		SSL_set_app_data(p->ssl[i], p);
	}
	SSL_set_connect_state(p->ssl[SSLPAIR_CLIENT]);
	SSL_set_accept_state(p->ssl[SSLPAIR_SERVER]);
	return (0);
}

void
sslpair_free(struct sslpair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		SSL_free(p->ssl[i]);	/* and its BIOs */
		free(p->hs[i].buf);
	}
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
	free(p->keylog);
	memset(p, 0, sizeof(*p));
}

uint8_t *
sslpair_take(struct sslpair *p, enum sslpair_side from, size_t *len)
{
	uint8_t *buf;
	size_t n;

	n = BIO_ctrl_pending(p->out[from]);
	buf = malloc(n > 0 ? n : 1);
	if (buf == NULL)
		return (NULL);
	if (n > 0 && BIO_read(p->out[from], buf, (int)n) != (int)n) {
		free(buf);
		return (NULL);
	}
	*len = n;
	return (buf);
}

int
sslpair_feed(struct sslpair *p, enum sslpair_side to, const void *buf,
    size_t len)
{

	if (len == 0)
		return (0);
	return (BIO_write(p->in[to], buf, (int)len) == (int)len ? 0 : -1);
}

int
sslpair_write(struct sslpair *p, enum sslpair_side from, const void *buf,
    size_t len)
{
	size_t done;
	int n;

	for (done = 0; done < len; done += (size_t)n) {
		n = SSL_write(p->ssl[from], (const uint8_t *)buf + done,
		    (int)(len - done));
		if (n <= 0)
			return (sp_fail("SSL_write"));
	}
	return (0);
}

long
sslpair_read(struct sslpair *p, enum sslpair_side at, void *buf, size_t len,
    int *err)
{
	size_t got;
	int e, n;

	for (got = 0; got < len; got += (size_t)n) {
		n = SSL_read(p->ssl[at], (uint8_t *)buf + got,
		    (int)(len - got));
		if (n <= 0) {
			e = SSL_get_error(p->ssl[at], n);
			if (e == SSL_ERROR_WANT_READ)
				break;
			if (err != NULL)
				*err = e;
			ERR_clear_error();
			return (-1);
		}
	}
	return ((long)got);
}

/*
 * Keep a copy of each encrypted handshake record `from` sends: in TLS
 * 1.0-1.2 everything after its ChangeCipherSpec, in TLS 1.3 every outer
 * application_data record (the CCS there is a plaintext decoy).
 */
static int
sp_note_records(struct sslpair *p, enum sslpair_side from, const uint8_t *b,
    size_t len)
{
	struct sslpair_records *r;
	size_t n, ncap;
	uint8_t *nb;
	int keep;

	r = &p->hs[from];
	while (len > 0) {
		if (len < TLSM_HDR_LEN)
			return (sp_fail("handshake: partial record header"));
		n = TLSM_HDR_LEN + ((size_t)b[3] << 8 | b[4]);
		if (n > len)
			return (sp_fail("handshake: partial record"));
		if (p->suite->version == TLSM_V13)
			keep = b[0] == TLSM_CT_APP;
		else {
			keep = p->ccs_seen[from];
			if (b[0] == TLSM_CT_CCS)
				p->ccs_seen[from] = 1;
		}
		if (keep) {
			if (r->len + n > r->cap) {
				ncap = 2 * (r->len + n);
				nb = realloc(r->buf, ncap);
				if (nb == NULL)
					return (sp_fail("out of memory"));
				r->buf = nb;
				r->cap = ncap;
			}
			memcpy(r->buf + r->len, b, n);
			r->len += n;
			r->count++;
		}
		b += n;
		len -= n;
	}
	return (0);
}

/* Move what `from` wrote to the other side, noting the records. */
static int
sp_move(struct sslpair *p, enum sslpair_side from)
{
	uint8_t *buf;
	size_t len;
	int error;

	buf = sslpair_take(p, from, &len);
	if (buf == NULL)
		return (sp_fail("take"));
	error = sp_note_records(p, from, buf, len);
	if (error == 0)
		error = sslpair_feed(p, from == SSLPAIR_CLIENT ?
		    SSLPAIR_SERVER : SSLPAIR_CLIENT, buf, len);
	free(buf);
	return (error);
}

int
sslpair_handshake(struct sslpair *p)
{
	int done[2], i, rc, round;

	done[0] = done[1] = 0;
	for (round = 0; round < 32 && !(done[0] && done[1]); round++)
		for (i = 0; i < 2; i++) {
			rc = SSL_do_handshake(p->ssl[i]);
			if (rc == 1)
				done[i] = 1;
			else if (SSL_get_error(p->ssl[i], rc) !=
			    SSL_ERROR_WANT_READ)
				return (sp_fail(i == 0 ? "client handshake" :
				    "server handshake"));
			if (sp_move(p, (enum sslpair_side)i) != 0)
				return (-1);
		}
	if (!(done[0] && done[1]))
		return (sp_fail("handshake does not finish"));
	return (0);
}

/*
 * Open each record of r with st from sequence number 0: all must be
 * handshake messages.  Leaves st (TLS 1.0 IV) and *seq after the last.
 */
static int
sp_open_handshake(struct tlsm_state *st, const struct sslpair_records *r,
    uint64_t *seq)
{
	uint8_t *pt, type;
	size_t off, n, ptlen;
	int error;

	*seq = 0;
	pt = malloc(r->len + 1);
	if (pt == NULL)
		return (sp_fail("out of memory"));
	error = 0;
	for (off = 0; off < r->len; off += n, (*seq)++) {
		n = TLSM_HDR_LEN + ((size_t)r->buf[off + 3] << 8 |
		    r->buf[off + 4]);
		error = tlsm_open(st, *seq, r->buf + off, n, &type, pt,
		    r->len, &ptlen);
		if (error != 0 || type != TLSM_CT_HANDSHAKE) {
			error = sp_fail("a handshake record does not open");
			break;
		}
	}
	free(pt);
	return (error);
}

static int
sp_check_negotiated(struct sslpair *p)
{
	const SSL_CIPHER *c;
	int i;

	for (i = 0; i < 2; i++) {
		c = SSL_get_current_cipher(p->ssl[i]);
		if (SSL_version(p->ssl[i]) != p->suite->version || c == NULL ||
		    strcmp(SSL_CIPHER_get_name(c),
		    sslpair_cipher_name(p->suite)) != 0)
			return (sp_fail("negotiated another version or suite"));
	}
	return (0);
}

int
sslpair_keys(struct sslpair *p, struct sslpair_dir *c2s,
    struct sslpair_dir *s2c)
{
	const struct tlsm_keylog_entry *e;
	struct tlsm_keylog kl;
	struct tlsm_state hs;
	uint8_t cr[32], sr[32];
	int error;

	if (sp_check_negotiated(p) != 0)
		return (-1);
	memset(&kl, 0, sizeof(kl));
	error = -1;
	if (tlsm_keylog_parse(&kl, p->keylog, p->keylog_len, NULL) != 0) {
		sp_fail("key log does not parse");
		goto out;
	}
	if (SSL_get_client_random(p->ssl[SSLPAIR_CLIENT], cr, sizeof(cr)) !=
	    sizeof(cr) || (e = tlsm_keylog_find(&kl, cr)) == NULL) {
		sp_fail("no key log entry for the client random");
		goto out;
	}
	if (p->suite->version == TLSM_V13) {
		/* RFC 8446 §7.3: handshake secrets check the log... */
		if (tlsm_tls13_state(p->suite, e->secret[TLSM_KL_CHTS],
		    e->secret_len[TLSM_KL_CHTS], &hs) != 0 ||
		    sp_open_handshake(&hs, &p->hs[SSLPAIR_CLIENT],
		    &c2s->seq) != 0)
			goto out;
		if (tlsm_tls13_state(p->suite, e->secret[TLSM_KL_SHTS],
		    e->secret_len[TLSM_KL_SHTS], &hs) != 0 ||
		    sp_open_handshake(&hs, &p->hs[SSLPAIR_SERVER],
		    &s2c->seq) != 0)
			goto out;
		/* ...and application data starts at 0 under the next. */
		if (tlsm_tls13_state(p->suite, e->secret[TLSM_KL_CTS0],
		    e->secret_len[TLSM_KL_CTS0], &c2s->st) != 0 ||
		    tlsm_tls13_state(p->suite, e->secret[TLSM_KL_STS0],
		    e->secret_len[TLSM_KL_STS0], &s2c->st) != 0) {
			sp_fail("no application traffic secrets");
			goto out;
		}
		c2s->seq = s2c->seq = 0;
	} else {
		if (!e->has_master || SSL_get_server_random(
		    p->ssl[SSLPAIR_CLIENT], sr, sizeof(sr)) != sizeof(sr) ||
		    tlsm_tls12_states(p->suite, e->master, cr, sr, &c2s->st,
		    &s2c->st) != 0) {
			sp_fail("no master secret");
			goto out;
		}
		/* The Finished messages are records 0 (and chain 1.0 IVs). */
		if (sp_open_handshake(&c2s->st, &p->hs[SSLPAIR_CLIENT],
		    &c2s->seq) != 0 || sp_open_handshake(&s2c->st,
		    &p->hs[SSLPAIR_SERVER], &s2c->seq) != 0)
			goto out;
	}
	error = 0;
out:
	tlsm_keylog_free(&kl);
	return (error);
}
