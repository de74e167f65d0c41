/*
 * Every capture in traces/ and every third-party capture in
 * ../shared/traces-public goes through `uktls replay` (sw mode), and the
 * result is held against tshark, the independent oracle:
 *
 *   - no record fails; records FreeBSD KTLS can produce are verified by
 *     the model and the uktls transmit path, records it can receive by
 *     the model and the uktls receive path (fed the captured segments),
 *     the rest are not verifiable for the reason the capture was made to
 *     show;
 *   - each direction's decrypted application data, from the model and
 *     from the receive path, is what tshark decrypted (the committed
 *     follow,tls,raw output, and tshark run live when it is installed);
 *   - the record list is tshark's: lengths and types in order, and for
 *     the third-party captures also each encrypted record's sequence
 *     number, key epoch and plaintext hash.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "replay_fixture.h"

#define	PUBLIC	"../shared/traces-public"

/* ---- our traces -------------------------------------------------------------- */

static char	*own[64];
static int	 nown;

static int
cmpstr(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * traces/NAME.pcap and traces/NAME.pcapng, sorted.  Called from main()
 * to size the loop, so it reports trouble by finding nothing.
 */
static void
own_list(void)
{
	struct dirent *e;
	const char *src;
	char *dir;
	DIR *dp;
	size_t n;

	src = getenv("UKTLS_SOURCE_DIR");
	if (src == NULL || asprintf(&dir, "%s/traces", src) < 0)
		return;
	dp = opendir(dir);
	free(dir);
	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL && nown < 64) {
		n = strlen(e->d_name);
		if ((n > 5 && strcmp(e->d_name + n - 5, ".pcap") == 0) ||
		    (n > 7 && strcmp(e->d_name + n - 7, ".pcapng") == 0))
			own[nown++] = strdup(e->d_name);
	}
	closedir(dp);
	qsort(own, (size_t)nown, sizeof(own[0]), cmpstr);
}

static char *
own_file(const char *pcap, const char *suffix)
{
	char *rel, *path;
	size_t n;

	n = strcspn(pcap, ".");
	ck_assert_int_gt(asprintf(&rel, "traces/%.*s%s", (int)n, pcap, suffix),
	    0);
	path = rf_path(rel);
	free(rel);
	return (path);
}

/* Port of "ip:port" / "[ip]:port". */
static unsigned
ep_port(const char *ep)
{
	const char *c = strrchr(ep, ':');

	ck_assert_ptr_nonnull(c);
	return ((unsigned)atoi(c + 1));
}

/*
 * tshark's record list (one line per frame: frame, source port,
 * destination port, types, outer types, lengths) against ours.
 */
static void
own_records_compare(const char *path, const struct rf_conn *c)
{
	char line[4096], *f[8], *p, *tp, *lp, *ts, *ls;
	size_t n[2], i;
	unsigned cport;
	int fi, side;
	FILE *fp;

	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	cport = ep_port(c->res.client);
	n[0] = n[1] = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		for (fi = 0; fi < 6; fi++)
			f[fi] = strsep(&p, "\t");
		if (f[5] == NULL || f[5][0] == '\0')
			continue;	/* a segment of a longer record */
		side = (unsigned)atoi(f[1]) == cport ? 0 : 1;
		tp = f[3];
		lp = f[5];
		while ((ls = strsep(&lp, ",")) != NULL) {
			ts = strsep(&tp, ",");
			ck_assert_ptr_nonnull(ts);
			i = n[side]++;
			ck_assert_msg(i < c->dir[side].nrec, "%s: tshark has "
			    "more %s records than %zu", path,
			    side == 0 ? "client" : "server", c->dir[side].nrec);
			ck_assert_msg(c->dir[side].rec[i].wire_len ==
			    (size_t)atoi(ls) + 5, "%s: %s record %zu: length "
			    "%zu, tshark %s", path, side == 0 ? "client" :
			    "server", i, c->dir[side].rec[i].wire_len - 5, ls);
			ck_assert_msg(c->dir[side].rec[i].type == atoi(ts),
			    "%s: record %zu: type %u, tshark %s", path, i,
			    c->dir[side].rec[i].type, ts);
		}
	}
	fclose(fp);
	ck_assert_uint_eq(n[0], c->dir[0].nrec);
	ck_assert_uint_eq(n[1], c->dir[1].nrec);
}

static int
have_tshark(void)
{

	return (system("command -v tshark >/dev/null 2>&1") == 0);
}

/* tshark run now on pcap with keys: the same plaintext (rx_full: the
 * receive path's too, NULL: it gave none). */
static void
tshark_live(const char *pcap, const char *keys, const struct rf_conn *c,
    const int *rx_full)
{
	struct rf_follow f;
	char *cmd;
	FILE *fp;

	ck_assert_int_gt(asprintf(&cmd, "tshark -r '%s' -o "
	    "'tls.keylog_file:%s' -o tcp.reassemble_out_of_order:TRUE -q -z "
	    "follow,tls,raw,0 2>/dev/null", pcap, keys), 0);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	rf_follow_read(fp, &f);
	ck_assert_int_eq(pclose(fp), 0);
	rf_follow_compare(&f, c, "live tshark");
	if (rx_full != NULL)
		rf_follow_compare_rx(&f, c, rx_full, "live tshark");
	rf_follow_free(&f);
	free(cmd);
}

/* A record's verdict from its checks: failed if one failed, verified
 * when a datapath check passed and none that applies was left out. */
static void
verdict_of_checks(const char *name, const struct rf_conn *c)
{
	const struct rf_rec *x;
	size_t j;
	int i;

	for (i = 0; i < 2; i++)
		for (j = 0; j < c->dir[i].nrec; j++) {
			x = &c->dir[i].rec[j];
			if (!x->app_phase)
				continue;
			ck_assert_int_ne(x->check[RP_CHECK_MODEL], RP_FAIL);
			ck_assert_int_ne(x->check[RP_CHECK_TX], RP_FAIL);
			ck_assert_int_ne(x->check[RP_CHECK_RX], RP_FAIL);
			if (x->verdict != RP_PASS)
				continue;
			ck_assert_int_eq(x->check[RP_CHECK_MODEL], RP_PASS);
			ck_assert_msg(x->check[RP_CHECK_TX] == RP_PASS ||
			    x->check[RP_CHECK_RX] == RP_PASS, "%s: record "
			    "%zu verified by neither datapath", name, j);
			/* What the receive path gave is the model's. */
			if (x->check[RP_CHECK_RX] == RP_PASS) {
				ck_assert(x->rx_record && x->has_sha);
				ck_assert_uint_eq(x->rx_len, x->plain_len);
				ck_assert_uint_eq(x->rx_type, x->type);
				ck_assert_int_eq(memcmp(x->rx_sha, x->sha, 32),
				    0);
			}
		}
}

START_TEST(test_own_trace)
{
	char *pcap, *keys, *follow, *records, *rel;
	const struct rp_dir_result *cd, *sd, *d;
	struct rf_follow f;
	struct rf_run r;
	struct rf_conn *c;
	const char *name;
	FILE *fp;
	int i, tls10, etm, ku, rx_full[2];

	ck_assert_int_lt(_i, nown);
	name = own[_i];
	ck_assert_int_gt(asprintf(&rel, "traces/%s", name), 0);
	pcap = rf_path(rel);
	free(rel);
	keys = own_file(name, ".keys");
	follow = own_file(name, ".tshark-follow-raw.txt");
	records = own_file(name, ".tshark-records.tsv");

	rf_replay(pcap, keys, &r, NULL);
	ck_assert_msg(r.rc == RP_EXIT_OK, "%s: exit %d: %s", name, r.rc,
	    r.msgs);
	ck_assert_int_eq(r.nconn, 1);
	c = &r.conn[0];
	ck_assert(c->closed);
	ck_assert(c->res.tls);
	ck_assert(c->res.keys);
	ck_assert_str_eq(c->res.client_from, "SYN");
	ck_assert_uint_eq(r.tot.failed, 0);
	cd = &c->res.dir[0];
	sd = &c->res.dir[1];
	tls10 = strncmp(name, "tls10-", 6) == 0;
	etm = strstr(name, "etm") != NULL;
	ku = strstr(name, "keyupdate") != NULL;
	for (i = 0; i < 2; i++) {
		d = &c->res.dir[i];
		ck_assert(d->handoff);
		ck_assert_uint_gt(d->records, 0);
		ck_assert_uint_eq(d->records, d->total.verified +
		    d->total.not_verifiable);
		/* Every record was opened and sealed again by the model. */
		ck_assert_uint_eq(d->check[RP_CHECK_MODEL].verified,
		    d->records);
		ck_assert_uint_eq(d->check[RP_CHECK_RX].failed, 0);
		if (tls10 || etm) {
			/* Nothing for the receive path. */
			ck_assert_uint_eq(d->rx_segments, 0);
			ck_assert_uint_eq(d->rx_sessions, 0);
			ck_assert_uint_eq(rf_check_reason(d, RP_CHECK_RX,
			    tls10 ? "TLS 1.0 receive not supported by FreeBSD "
			    "KTLS" : "encrypt-then-MAC"), d->records);
		} else {
			/* One receive session took the whole direction,
			 * holding about a record at a time. */
			ck_assert_uint_gt(d->rx_segments, 0);
			ck_assert_uint_eq(d->rx_sessions, 1);
			ck_assert_uint_gt(d->rx_held_peak, 0);
			ck_assert_uint_le(d->rx_held_peak, 16384 + 2048 + 5 +
			    65535);
		}
	}
	verdict_of_checks(name, c);
	if (etm) {
		ck_assert(c->res.etm);
		for (i = 0; i < 2; i++) {
			ck_assert_uint_eq(c->res.dir[i].total.verified, 0);
			ck_assert_uint_eq(rf_reason(&c->res.dir[i],
			    "encrypt-then-MAC"), c->res.dir[i].records);
		}
	} else if (strstr(name, "padding") != NULL) {
		/* KTLS never pads, but it receives padded records. */
		ck_assert_uint_eq(cd->total.verified, cd->records);
		ck_assert_uint_eq(sd->total.verified, sd->records);
		ck_assert_uint_gt(rf_check_reason(sd, RP_CHECK_TX,
		    "TLS 1.3 record padding"), 0);
		ck_assert_uint_eq(rf_check_reason(sd, RP_CHECK_TX,
		    "TLS 1.3 record padding"),
		    sd->check[RP_CHECK_TX].not_verifiable);
		ck_assert_uint_eq(sd->check[RP_CHECK_RX].verified,
		    sd->records);
	} else if (ku) {
		for (i = 0; i < 2; i++) {
			d = &c->res.dir[i];
			ck_assert_uint_gt(d->total.verified, 0);
			/* KTLS sends no KeyUpdate but receives one; after
			 * it neither path has the keys. */
			ck_assert_uint_ge(rf_check_reason(d, RP_CHECK_TX,
			    "KeyUpdate"), 1);
			ck_assert_uint_gt(rf_reason(d,
			    "after KeyUpdate (new traffic keys)"), 0);
			ck_assert_uint_eq(rf_reason(d,
			    "after KeyUpdate (new traffic keys)"),
			    d->total.not_verifiable);
			ck_assert_uint_eq(d->check[RP_CHECK_RX].verified,
			    d->total.verified);
			ck_assert_uint_gt(d->check[RP_CHECK_RX].verified,
			    d->check[RP_CHECK_TX].verified);
		}
	} else {
		for (i = 0; i < 2; i++) {
			d = &c->res.dir[i];
			ck_assert_msg(d->total.verified == d->records,
			    "%s: %s: %llu of %llu verified", name, i == 0 ?
			    "client" : "server",
			    (unsigned long long)d->total.verified,
			    (unsigned long long)d->records);
			ck_assert_uint_eq(d->check[RP_CHECK_TX].verified,
			    d->records);
			ck_assert_uint_eq(d->check[RP_CHECK_RX].verified,
			    tls10 ? 0 : d->records);
		}
	}
	rx_full[0] = rx_full[1] = !ku;

	fp = fopen(follow, "r");
	ck_assert_msg(fp != NULL, "%s: %s", follow, strerror(errno));
	rf_follow_read(fp, &f);
	fclose(fp);
	rf_follow_compare(&f, c, follow);
	ck_assert_uint_gt(f.data[0].len + f.data[1].len, 0);
	if (tls10 || etm) {
		ck_assert_uint_eq(c->dir[0].rx_app.len, 0);
		ck_assert_uint_eq(c->dir[1].rx_app.len, 0);
	} else {
		rf_follow_compare_rx(&f, c, rx_full, follow);
		ck_assert_uint_gt(c->dir[0].rx_app.len +
		    c->dir[1].rx_app.len, 0);
	}
	rf_follow_free(&f);
	own_records_compare(records, c);
	if (have_tshark())
		tshark_live(pcap, keys, c, tls10 || etm ? NULL : rx_full);

	rf_free(&r);
	free(pcap);
	free(keys);
	free(follow);
	free(records);
}
END_TEST

/* ---- third-party traces --------------------------------------------------- */

struct pub {
	char	pcap[160], keylog[160], version[16], suite[64], etm[8];
	char	relevant[32];
};

static struct pub pubs[256];
static int npub, nrelevant;

/* _oracle/index.tsv; from main(), like own_list(). */
static void
pub_list(void)
{
	char line[1024], *f[12], *p, *path;
	const char *src;
	FILE *fp;
	int i;

	src = getenv("UKTLS_SOURCE_DIR");
	if (src == NULL || asprintf(&path, "%s/" PUBLIC "/_oracle/index.tsv",
	    src) < 0)
		return;
	fp = fopen(path, "r");
	free(path);
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL && npub < 256) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		for (i = 0; i < 12; i++)
			f[i] = strsep(&p, "\t");
		if (f[11] == NULL)
			break;
		snprintf(pubs[npub].pcap, sizeof(pubs[0].pcap), "%s", f[0]);
		snprintf(pubs[npub].keylog, sizeof(pubs[0].keylog), "%s", f[1]);
		snprintf(pubs[npub].version, sizeof(pubs[0].version), "%s",
		    f[2]);
		snprintf(pubs[npub].suite, sizeof(pubs[0].suite), "%s", f[3]);
		snprintf(pubs[npub].etm, sizeof(pubs[0].etm), "%s", f[4]);
		snprintf(pubs[npub].relevant, sizeof(pubs[0].relevant), "%s",
		    f[11]);
		nrelevant += strcmp(f[11], "yes") == 0;
		npub++;
	}
	fclose(fp);
}

/* _oracle/<path with / as __, no .pcap>.<suffix> */
static char *
pub_oracle(const char *pcap, const char *suffix)
{
	char name[256], *rel, *path;
	size_t i, o;

	for (i = o = 0; pcap[i] != '\0' && o + 2 < sizeof(name); i++) {
		if (pcap[i] == '/') {
			name[o++] = '_';
			name[o++] = '_';
		} else
			name[o++] = pcap[i];
	}
	name[o] = '\0';
	ck_assert_uint_gt(o, 5);
	name[o - 5] = '\0';	/* ".pcap" */
	ck_assert_int_gt(asprintf(&rel, PUBLIC "/_oracle/%s.%s", name, suffix),
	    0);
	path = rf_path(rel);
	free(rel);
	return (path);
}

static void
hexdec(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	ck_assert_uint_eq(strlen(s), 2 * n);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/*
 * The oracle's record table (TCP stream 0): per direction, each record's
 * outer type and length; for encrypted ones the phase, sequence number
 * and key epoch; for application data the plaintext's SHA-256.
 */
static void
pub_records_compare(const char *path, const struct rf_conn *c,
    int decrypts)
{
	char line[1024], *f[16], *p;
	const struct rf_rec *x;
	uint8_t sha[32];
	size_t n[2], i;
	int fi, side;
	FILE *fp;

	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	n[0] = n[1] = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		for (fi = 0; fi < 16; fi++)
			f[fi] = strsep(&p, "\t");
		ck_assert_ptr_nonnull(f[15]);
		if ((uint64_t)atoi(f[15]) != c->index - 1)
			continue;	/* tshark counts TCP streams from 0 */
		side = strcmp(f[2], "c2s") == 0 ? 0 : 1;
		i = n[side]++;
		ck_assert_msg(i < c->dir[side].nrec, "%s: more records in the "
		    "oracle than %zu", path, c->dir[side].nrec);
		x = &c->dir[side].rec[i];
		ck_assert_msg(x->wire_len == (size_t)atoi(f[7]) + 5 &&
		    x->outer == atoi(f[6]), "%s: %s record %zu: type %u length "
		    "%zu, oracle %s %s", path, f[2], i, x->outer,
		    x->wire_len - 5, f[6], f[7]);
		if (!decrypts || f[13][0] == '\0')
			continue;
		ck_assert_msg(x->encrypted, "%s: record %zu", path, i);
		ck_assert_uint_eq(x->seq, strtoull(f[14], NULL, 10));
		if (strcmp(f[13], "hs") == 0)
			ck_assert(!x->app_phase);
		else {
			ck_assert(x->app_phase);
			if (strncmp(f[13], "app", 3) == 0)
				ck_assert_uint_eq(x->epoch,
				    strtoul(f[13] + 3, NULL, 10));
		}
		if (f[8][0] != '\0')
			ck_assert_uint_eq(x->type, strtoul(f[8], NULL, 10));
		/*
		 * tshark 4.0 files the data of a TLS 1.0 record under the
		 * empty record before it (1/n-1 splitting); the streams are
		 * compared whole elsewhere.
		 */
		if (strcmp(f[5], "0x0301") == 0 &&
		    x->plain_len != strtoul(f[11], NULL, 10) &&
		    (x->plain_len == 0 || strtoul(f[11], NULL, 10) == 0))
			continue;
		if (f[12][0] != '\0') {
			hexdec(f[12], sha, sizeof(sha));
			ck_assert(x->has_sha);
			ck_assert_msg(memcmp(x->sha, sha, 32) == 0,
			    "%s: record %zu: plaintext differs", path, i);
			ck_assert_uint_eq(x->plain_len, strtoul(f[11], NULL,
			    10));
		}
	}
	fclose(fp);
	ck_assert_uint_eq(n[0], c->dir[0].nrec);
	ck_assert_uint_eq(n[1], c->dir[1].nrec);
}

static void
pub_check(int i, int relevant)
{
	char *pcap, *keylog, *rel, *follow, *records;
	const struct pub *pb;
	struct rf_follow f;
	struct rf_run r;
	struct rf_conn *c;
	const char *why;
	int k, j, etm, nokey, decrypts, rx_full[2];
	FILE *fp;

	pb = &pubs[i];
	ck_assert_int_gt(asprintf(&rel, PUBLIC "/%s", pb->pcap), 0);
	pcap = rf_path(rel);
	free(rel);
	keylog = NULL;
	nokey = strcmp(pb->keylog, "-") == 0;
	if (!nokey) {
		ck_assert_int_gt(asprintf(&rel, PUBLIC "/%s", pb->keylog), 0);
		keylog = rf_path(rel);
		free(rel);
	}
	etm = strcmp(pb->etm, "YES") == 0;
	rx_full[0] = rx_full[1] = 1;

	rf_replay(pcap, keylog, &r, NULL);
	ck_assert_msg(r.tot.failed == 0, "%s: %s", pb->pcap, r.msgs);
	ck_assert_msg(r.rc == (nokey ? RP_EXIT_INPUT : RP_EXIT_OK),
	    "%s: exit %d: %s", pb->pcap, r.rc, r.msgs);
	ck_assert_int_ge(r.nconn, 1);
	/* The first TLS connection (some files open with a refused one). */
	for (k = 0; k < r.nconn && !r.conn[k].res.tls; k++)
		;
	ck_assert_int_lt(k, r.nconn);
	c = &r.conn[k];
	ck_assert_str_eq(c->res.version, strncmp(pb->version, "TLS ", 4) == 0 ?
	    pb->version + 4 : pb->version);
	ck_assert_str_eq(c->res.suite, pb->suite);
	ck_assert_int_eq(c->res.etm, etm);
	for (k = 0; k < r.nconn; k++) {
		for (j = 0; j < 2; j++) {
			const struct rp_dir_result *d = &r.conn[k].res.dir[j];

			ck_assert_uint_eq(d->check[RP_CHECK_RX].failed, 0);
			if (relevant) {
				/* Only new keys keep a record from KTLS. */
				ck_assert_uint_eq(d->total.not_verifiable,
				    rf_reason(d,
				    "after KeyUpdate (new traffic keys)"));
				ck_assert_uint_eq(
				    d->check[RP_CHECK_RX].verified,
				    d->records - d->total.not_verifiable);
				ck_assert_uint_le(d->rx_sessions, 1);
				continue;
			}
			ck_assert_uint_eq(d->check[RP_CHECK_RX].verified, 0);
			ck_assert_uint_eq(d->rx_segments, 0);
			why = nokey ? "no key in key log" :
			    strcmp(pb->relevant, "no (EtM)") == 0 ?
			    "encrypt-then-MAC" : strcmp(pb->version,
			    "SSL 3.0") == 0 ?
			    "version not supported by FreeBSD KTLS" :
			    "suite not supported by FreeBSD KTLS";
			ck_assert_uint_eq(d->total.verified, 0);
			ck_assert_msg(rf_reason(d, why) == d->records,
			    "%s: %llu records, %llu for '%s'", pb->pcap,
			    (unsigned long long)d->records,
			    (unsigned long long)rf_reason(d, why), why);
		}
	}
	if (relevant)
		ck_assert_uint_gt(r.tot.verified, 0);

	/* What we decrypted (everything but unsupported ciphers) must be
	 * what tshark decrypted. */
	decrypts = relevant || (strcmp(pb->relevant, "no (EtM)") == 0 &&
	    !nokey);
	if (decrypts) {
		follow = pub_oracle(pb->pcap, "tshark-follow-raw.txt");
		fp = fopen(follow, "r");
		ck_assert_msg(fp != NULL, "%s", follow);
		rf_follow_read(fp, &f);
		fclose(fp);
		rf_follow_compare(&f, &r.conn[0], pb->pcap);
		for (j = 0; j < 2; j++)
			rx_full[j] = r.conn[0].res.dir[j].total.not_verifiable
			    == 0;
		if (relevant)
			rf_follow_compare_rx(&f, &r.conn[0], rx_full,
			    pb->pcap);
		rf_follow_free(&f);
		free(follow);
	}
	records = pub_oracle(pb->pcap, "records.tsv");
	for (k = 0; k < r.nconn; k++)
		pub_records_compare(records, &r.conn[k], decrypts);
	free(records);
	if (relevant && have_tshark() && strncmp(pb->pcap, "illustrated", 11)
	    == 0)
		tshark_live(pcap, keylog, c, rx_full);
	rf_free(&r);
	free(pcap);
	free(keylog);
}

START_TEST(test_public_relevant)
{
	int i, n;

	for (i = n = 0; i < npub; i++) {
		if (strcmp(pubs[i].relevant, "yes") != 0)
			continue;
		if (n++ == _i) {
			pub_check(i, 1);
			return;
		}
	}
	ck_abort_msg("no relevant trace %d", _i);
}
END_TEST

START_TEST(test_public_not_relevant)
{
	int i, n;

	for (i = n = 0; i < npub; i++) {
		if (strcmp(pubs[i].relevant, "yes") == 0)
			continue;
		if (n++ == _i) {
			pub_check(i, 0);
			return;
		}
	}
	ck_abort_msg("no such trace %d", _i);
}
END_TEST

/* The list itself: as many as the index says, and ours all there. */
START_TEST(test_corpus)
{
	ck_assert_int_ge(nown, 18);
	ck_assert_int_eq(nrelevant, 46);
	ck_assert_int_eq(npub, 155);
}
END_TEST

static Suite *
replay_traces_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("replay_traces");
	tc = uktest_tcase("corpus");
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("own");
	tcase_add_loop_test(tc, test_own_trace, 0, nown);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("public");
	tcase_add_loop_test(tc, test_public_relevant, 0, nrelevant);
	tcase_add_loop_test(tc, test_public_not_relevant, 0,
	    npub - nrelevant);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	own_list();
	pub_list();
	return (uktest_run(replay_traces_suite()));
}
