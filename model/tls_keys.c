/*
 * model/tls_keys.c: suites, key derivation (EVP_KDF) and key log parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "tls_keys.h"

/*
 * FreeBSD's sixteen suites (tests/sys/kern/ktls_test.c).  A 1.2 suite's
 * PRF hash is SHA-256 unless the suite names SHA-384 (RFC 5246 §5, RFC
 * 5289 §3.2); AES-128-CBC-SHA384 exists only for FreeBSD, and gets
 * SHA-384.  TLS 1.3 suites name their HKDF hash (RFC 8446 §B.4).
 */
const struct tlsm_suite tlsm_suites[TLSM_NSUITES] = {
	{ "aes128_gcm_1_2", TLSM_V12, TLSM_GCM, 16, TLSM_MAC_NONE, "SHA256" },
	{ "aes256_gcm_1_2", TLSM_V12, TLSM_GCM, 32, TLSM_MAC_NONE, "SHA384" },
	{ "aes128_gcm_1_3", TLSM_V13, TLSM_GCM, 16, TLSM_MAC_NONE, "SHA256" },
	{ "aes256_gcm_1_3", TLSM_V13, TLSM_GCM, 32, TLSM_MAC_NONE, "SHA384" },
	{ "chacha20_poly1305_1_2", TLSM_V12, TLSM_CHACHA, 32, TLSM_MAC_NONE,
	    "SHA256" },
	{ "chacha20_poly1305_1_3", TLSM_V13, TLSM_CHACHA, 32, TLSM_MAC_NONE,
	    "SHA256" },
	{ "aes128_cbc_1_0_sha1", TLSM_V10, TLSM_CBC, 16, TLSM_MAC_SHA1,
	    "MD5-SHA1" },
	{ "aes256_cbc_1_0_sha1", TLSM_V10, TLSM_CBC, 32, TLSM_MAC_SHA1,
	    "MD5-SHA1" },
	{ "aes128_cbc_1_1_sha1", TLSM_V11, TLSM_CBC, 16, TLSM_MAC_SHA1,
	    "MD5-SHA1" },
	{ "aes256_cbc_1_1_sha1", TLSM_V11, TLSM_CBC, 32, TLSM_MAC_SHA1,
	    "MD5-SHA1" },
	{ "aes128_cbc_1_2_sha1", TLSM_V12, TLSM_CBC, 16, TLSM_MAC_SHA1,
	    "SHA256" },
	{ "aes256_cbc_1_2_sha1", TLSM_V12, TLSM_CBC, 32, TLSM_MAC_SHA1,
	    "SHA256" },
	{ "aes128_cbc_1_2_sha256", TLSM_V12, TLSM_CBC, 16, TLSM_MAC_SHA256,
	    "SHA256" },
	{ "aes256_cbc_1_2_sha256", TLSM_V12, TLSM_CBC, 32, TLSM_MAC_SHA256,
	    "SHA256" },
	{ "aes128_cbc_1_2_sha384", TLSM_V12, TLSM_CBC, 16, TLSM_MAC_SHA384,
	    "SHA384" },
	{ "aes256_cbc_1_2_sha384", TLSM_V12, TLSM_CBC, 32, TLSM_MAC_SHA384,
	    "SHA384" },
};

const struct tlsm_suite *
tlsm_suite_find(const char *name)
{
	size_t i;

	for (i = 0; i < TLSM_NSUITES; i++)
		if (strcmp(tlsm_suites[i].name, name) == 0)
			return (&tlsm_suites[i]);
	return (NULL);
}

/* Run one EVP_KDF with the given parameters. */
static int
tlsm_kdf(const char *alg, const OSSL_PARAM *params, uint8_t *out,
    size_t out_len)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	int error;

	kdf = EVP_KDF_fetch(NULL, alg, NULL);
	if (kdf == NULL)
		return (EIO);
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return (EIO);
	error = EVP_KDF_derive(ctx, out, out_len, params) == 1 ? 0 : EIO;
	EVP_KDF_CTX_free(ctx);
	return (error);
}

/*
 * RFC 5246 §5: PRF(secret, label, seed) = P_<hash>(secret, label | seed);
 * RFC 2246 §5 for MD5-SHA1.  OpenSSL's "TLS1-PRF" takes label | seed as
 * its seed.
 */
int
tlsm_prf(const char *digest, const uint8_t *secret, size_t secret_len,
    const char *label, const uint8_t *seed, size_t seed_len, uint8_t *out,
    size_t out_len)
{
	OSSL_PARAM params[4];
	uint8_t *ls;
	size_t llen;
	int error;

	llen = strlen(label);
	ls = malloc(llen + seed_len);
	if (ls == NULL)
		return (ENOMEM);
	memcpy(ls, label, llen);
	if (seed_len > 0)
		memcpy(ls + llen, seed, seed_len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
	    (void *)(uintptr_t)secret, secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
	    ls, llen + seed_len);
	params[3] = OSSL_PARAM_construct_end();
	error = tlsm_kdf("TLS1-PRF", params, out, out_len);
	free(ls);
	return (error);
}

/*
 * RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion",
 * server_random | client_random), partitioned as client MAC key, server
 * MAC key, client key, server key, client IV, server IV.  IVs come from
 * the key block only where the record does not carry them: the chained
 * CBC IV of TLS 1.0 (RFC 2246 §6.3), the GCM salt (RFC 5288 §3), the
 * ChaCha IV (RFC 7905 §2).  TLS 1.1 and 1.2 CBC derive none.
 */
int
tlsm_key_block(const struct tlsm_suite *s, const uint8_t master[48],
    const uint8_t client_random[32], const uint8_t server_random[32],
    struct tlsm_key_block *kb)
{
	uint8_t block[2 * (48 + 32 + 16)], seed[64];
	const uint8_t *p;
	int error;

	if (s->version == TLSM_V13)
		return (EINVAL);
	memset(kb, 0, sizeof(*kb));
	kb->mac_len = tlsm_mac_len(s->mac);
	kb->key_len = s->key_len;
	if (s->cipher == TLSM_GCM)
		kb->iv_len = 4;
	else if (s->cipher == TLSM_CHACHA)
		kb->iv_len = 12;
	else if (s->version == TLSM_V10)
		kb->iv_len = 16;
	memcpy(seed, server_random, 32);
	memcpy(seed + 32, client_random, 32);
	error = tlsm_prf(s->kdf_digest, master, 48, "key expansion", seed,
	    sizeof(seed), block, 2 * (kb->mac_len + kb->key_len + kb->iv_len));
	if (error != 0)
		return (error);
	p = block;
	memcpy(kb->client_mac, p, kb->mac_len);
	p += kb->mac_len;
	memcpy(kb->server_mac, p, kb->mac_len);
	p += kb->mac_len;
	memcpy(kb->client_key, p, kb->key_len);
	p += kb->key_len;
	memcpy(kb->server_key, p, kb->key_len);
	p += kb->key_len;
	memcpy(kb->client_iv, p, kb->iv_len);
	p += kb->iv_len;
	memcpy(kb->server_iv, p, kb->iv_len);
	OPENSSL_cleanse(block, sizeof(block));
	return (0);
}

int
tlsm_tls12_states(const struct tlsm_suite *s, const uint8_t master[48],
    const uint8_t client_random[32], const uint8_t server_random[32],
    struct tlsm_state *client_write, struct tlsm_state *server_write)
{
	struct tlsm_key_block kb;
	int error;

	error = tlsm_key_block(s, master, client_random, server_random, &kb);
	if (error == 0)
		error = tlsm_init(client_write, s->version, s->cipher, s->mac,
		    kb.client_key, kb.key_len, kb.client_iv, kb.iv_len,
		    kb.client_mac, kb.mac_len);
	if (error == 0)
		error = tlsm_init(server_write, s->version, s->cipher, s->mac,
		    kb.server_key, kb.key_len, kb.server_iv, kb.iv_len,
		    kb.server_mac, kb.mac_len);
	OPENSSL_cleanse(&kb, sizeof(kb));
	return (error);
}

/*
 * RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length) =
 * HKDF-Expand(Secret, HkdfLabel, Length), HkdfLabel = length | "tls13 " +
 * Label | Context.  OpenSSL's "TLS13-KDF" in EXPAND_ONLY mode builds
 * HkdfLabel from the prefix, the label and the data.
 */
int
tlsm_hkdf_expand_label(const char *digest, const uint8_t *secret,
    size_t secret_len, const char *label, const uint8_t *context,
    size_t context_len, uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	OSSL_PARAM params[7], *p;
	int mode;

	mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	p = params;
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)(uintptr_t)digest, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)secret, secret_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX,
	    (void *)(uintptr_t)prefix, sizeof(prefix) - 1);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL,
	    (void *)(uintptr_t)label, strlen(label));
	if (context_len > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA,
		    (void *)(uintptr_t)context, context_len);
	*p = OSSL_PARAM_construct_end();
	return (tlsm_kdf("TLS13-KDF", params, out, out_len));
}

/* RFC 8446 §7.3: the traffic key and IV of a traffic secret. */
int
tlsm_tls13_state(const struct tlsm_suite *s, const uint8_t *secret,
    size_t secret_len, struct tlsm_state *st)
{
	uint8_t key[32], iv[12];
	int error;

	if (s->version != TLSM_V13)
		return (EINVAL);
	error = tlsm_hkdf_expand_label(s->kdf_digest, secret, secret_len,
	    "key", NULL, 0, key, s->key_len);
	if (error == 0)
		error = tlsm_hkdf_expand_label(s->kdf_digest, secret,
		    secret_len, "iv", NULL, 0, iv, sizeof(iv));
	if (error == 0)
		error = tlsm_init(st, s->version, s->cipher, s->mac, key,
		    s->key_len, iv, sizeof(iv), NULL, 0);
	OPENSSL_cleanse(key, sizeof(key));
	return (error);
}

static int
tlsm_hexval(char c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
tlsm_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t len)
{
	size_t i;
	int hi, lo;

	if (hexlen != 2 * len)
		return (EINVAL);
	for (i = 0; i < len; i++) {
		hi = tlsm_hexval(hex[2 * i]);
		lo = tlsm_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return (EINVAL);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (0);
}

/* The entry for a client random, added if new. */
static struct tlsm_keylog_entry *
tlsm_keylog_entry(struct tlsm_keylog *kl, const uint8_t cr[32])
{
	struct tlsm_keylog_entry *e;
	size_t ncap;

	e = (struct tlsm_keylog_entry *)(uintptr_t)tlsm_keylog_find(kl, cr);
	if (e != NULL)
		return (e);
	if (kl->n == kl->cap) {
		ncap = kl->cap == 0 ? 8 : 2 * kl->cap;
		e = realloc(kl->ents, ncap * sizeof(*e));
		if (e == NULL)
			return (NULL);
		kl->ents = e;
		kl->cap = ncap;
	}
	e = &kl->ents[kl->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->client_random, cr, 32);
	return (e);
}

static const struct {
	const char	*label;
	int		 which;		/* enum tlsm_kl_secret, -1: master */
} tlsm_kl_labels[] = {
	{ "CLIENT_RANDOM", -1 },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", TLSM_KL_CHTS },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", TLSM_KL_SHTS },
	{ "CLIENT_TRAFFIC_SECRET_0", TLSM_KL_CTS0 },
	{ "SERVER_TRAFFIC_SECRET_0", TLSM_KL_STS0 },
};

/* One line, without its end of line; 0, EINVAL or ENOMEM. */
static int
tlsm_keylog_line(struct tlsm_keylog *kl, const char *l, size_t len)
{
	struct tlsm_keylog_entry *e;
	const char *f[3];
	size_t flen[3], i, nf, slen;
	uint8_t cr[32], secret[64];
	int which;

	/* Split into space-separated fields; keep the first three. */
	nf = 0;
	i = 0;
	while (i < len) {
		while (i < len && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (nf == 0 && l[i] == '#')
			return (0);		/* comment */
		if (nf < 3)
			f[nf] = l + i;
		while (i < len && l[i] != ' ' && l[i] != '\t')
			i++;
		if (nf < 3)
			flen[nf] = (size_t)(l + i - f[nf]);
		nf++;
	}
	if (nf == 0)
		return (0);
	which = -2;
	for (i = 0; i < sizeof(tlsm_kl_labels) / sizeof(tlsm_kl_labels[0]);
	    i++)
		if (strlen(tlsm_kl_labels[i].label) == flen[0] &&
		    memcmp(tlsm_kl_labels[i].label, f[0], flen[0]) == 0)
			which = tlsm_kl_labels[i].which;
	if (which == -2)
		return (0);		/* RSA, EXPORTER_SECRET, ...: skip */
	if (nf != 3 || tlsm_unhex(f[1], flen[1], cr, sizeof(cr)) != 0)
		return (EINVAL);
	slen = flen[2] / 2;
	if ((which == -1 && slen != 48) || slen == 0 || slen > sizeof(secret) ||
	    tlsm_unhex(f[2], flen[2], secret, slen) != 0)
		return (EINVAL);
	e = tlsm_keylog_entry(kl, cr);
	if (e == NULL)
		return (ENOMEM);
	if (which == -1) {
		memcpy(e->master, secret, 48);
		e->has_master = 1;
	} else {
		memcpy(e->secret[which], secret, slen);
		e->secret_len[which] = slen;
	}
	return (0);
}

int
tlsm_keylog_parse(struct tlsm_keylog *kl, const char *text, size_t len,
    size_t *bad_line)
{
	size_t end, line, n, start;
	int error;

	line = 0;
	for (start = 0; start < len; start = end + 1) {
		line++;
		for (end = start; end < len && text[end] != '\n'; end++)
			;
		n = end - start;
		if (n > 0 && text[start + n - 1] == '\r')
			n--;
		error = tlsm_keylog_line(kl, text + start, n);
		if (error != 0) {
			if (bad_line != NULL)
				*bad_line = line;
			return (error);
		}
	}
	return (0);
}

int
tlsm_keylog_load(struct tlsm_keylog *kl, const char *path, size_t *bad_line)
{
	FILE *fp;
	char *buf, *nbuf;
	size_t cap, len, n;
	int error;

	fp = fopen(path, "r");
	if (fp == NULL)
		return (errno);
	buf = NULL;
	cap = len = 0;
	error = 0;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : 2 * cap;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				error = ENOMEM;
				break;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0) {
			if (ferror(fp))
				error = EIO;
			break;
		}
	}
	fclose(fp);
	if (error == 0)
		error = tlsm_keylog_parse(kl, buf, len, bad_line);
	free(buf);
	return (error);
}

const struct tlsm_keylog_entry *
tlsm_keylog_find(const struct tlsm_keylog *kl, const uint8_t client_random[32])
{
	size_t i;

	for (i = 0; i < kl->n; i++)
		if (memcmp(kl->ents[i].client_random, client_random, 32) == 0)
			return (&kl->ents[i]);
	return (NULL);
}

void
tlsm_keylog_free(struct tlsm_keylog *kl)
{

	if (kl->ents != NULL)
		OPENSSL_cleanse(kl->ents, kl->cap * sizeof(*kl->ents));
	free(kl->ents);
	memset(kl, 0, sizeof(*kl));
}
