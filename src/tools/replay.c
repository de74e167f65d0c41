/*
 * uktls replay: the command.
 *
 * Runs replay_run() over one capture and prints, as each connection
 * ends, one summary line (or one JSON object in the "connections" array
 * with --json), then the totals.  --dump-plaintext writes each
 * direction's application data to a file of its own; --records writes
 * one tab-separated line per record.  Output is streamed: nothing about a
 * connection is kept after it is printed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <uktls/uktls.h>

#include "cli.h"
#include "replay.h"

struct out {
	const char	*path;
	const char	*mode;
	const struct replay_backend *be;
	int		 json;
	int		 nconn_json;
	const char	*dump_dir;
	FILE		*records;
	int		 dump_failed;
};

static void
replay_usage(FILE *fp)
{

	fprintf(fp,
	    "usage: uktls replay [--keylog FILE] [--mode sw|ifnet|toe] "
	    "[--json]\n"
	    "                    [--dump-plaintext DIR] [--records FILE] "
	    "[--reorder-buffer N]\n"
	    "                    TRACE.pcap\n"
	    "\n"
	    "Replay the TLS connections of a capture (pcap or pcapng) "
	    "through uktls.\n"
	    "TCP streams are reassembled; records are decrypted with keys "
	    "from an NSS\n"
	    "key log.  From the point where a TLS library hands the keys "
	    "to the kernel\n"
	    "(TLS 1.2: the Finished after ChangeCipherSpec; TLS 1.3: the "
	    "first record\n"
	    "under the application secret), every record is checked:\n"
	    "  model  the reference model decrypts it and seals it again to "
	    "the same bytes\n"
	    "  tx     uktls's transmit path, sent one record per sendmsg, "
	    "gives the same bytes\n"
	    "  rx     uktls's receive path, fed the captured segments, "
	    "gives each record\n"
	    "         back whole: type, length and plaintext as the model "
	    "has them\n"
	    "A record is verified when the model and every datapath check "
	    "that applies\n"
	    "to it passed: transmit where FreeBSD KTLS could have produced "
	    "it (not TLS 1.3\n"
	    "padding, KeyUpdate, empty records, long CBC padding), receive "
	    "where it can\n"
	    "take it (not TLS 1.0, nor after a KeyUpdate).  Records neither "
	    "applies to\n"
	    "(encrypt-then-MAC, suites KTLS lacks, ...) are counted as not "
	    "verifiable,\n"
	    "with the reason.\n"
	    "\n"
	    "  --keylog FILE         NSS key log (SSLKEYLOGFILE)\n"
	    "  --mode MODE           sw (default); ifnet and toe: no "
	    "simulated device in\n"
	    "                        this build (exit status 2)\n"
	    "  --json                one JSON object on stdout\n"
	    "  --dump-plaintext DIR  write each direction's application "
	    "data to\n"
	    "                        DIR/conn-N.client.bin and "
	    "DIR/conn-N.server.bin\n"
	    "  --records FILE        one tab-separated line per record\n"
	    "  --reorder-buffer N    bytes held per direction behind a "
	    "hole (default 4m)\n"
	    "\n"
	    "Exit status: 0 all checks passed (or were not applicable), 1 a "
	    "record failed,\n"
	    "2 bad usage or an unreadable capture or key log, 3 the input "
	    "was incomplete\n"
	    "(truncated capture, missing data or keys, a connection that "
	    "is not TLS).\n");
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

static void
json_reasons(FILE *fp, const struct rp_count *c)
{
	int i;

	fputc('{', fp);
	for (i = 0; i < c->nreasons; i++) {
		if (i > 0)
			fputs(", ", fp);
		json_str(fp, c->reasons[i].why);
		fprintf(fp, ": %llu", (unsigned long long)c->reasons[i].n);
	}
	fputc('}', fp);
}

static void
json_count(FILE *fp, const struct rp_count *c)
{

	fprintf(fp, "{\"verified\": %llu, \"failed\": %llu, "
	    "\"not_verifiable\": %llu, \"reasons\": ",
	    (unsigned long long)c->verified, (unsigned long long)c->failed,
	    (unsigned long long)c->not_verifiable);
	json_reasons(fp, c);
	fputc('}', fp);
}

static void
json_dir(FILE *fp, const struct rp_dir_result *d)
{
	int c;

	fprintf(fp, "{\"from\": \"%s\", \"records\": %llu, \"verified\": %llu, "
	    "\"failed\": %llu, \"not_verifiable\": %llu, \"reasons\": ",
	    d->from_client ? "client" : "server",
	    (unsigned long long)d->records,
	    (unsigned long long)d->total.verified,
	    (unsigned long long)d->total.failed,
	    (unsigned long long)d->total.not_verifiable);
	json_reasons(fp, &d->total);
	fprintf(fp, ", \"plaintext_bytes\": %llu, \"handshake_records\": %llu, "
	    "\"handoff\": %s, \"segments\": %llu, \"rx_segments\": %llu, "
	    "\"rx_sessions\": %llu, \"rx_plaintext_bytes\": %llu, "
	    "\"rx_held_peak\": %zu, \"wire_bytes\": %llu, \"checks\": {",
	    (unsigned long long)d->plaintext_bytes,
	    (unsigned long long)d->handshake_records,
	    d->handoff ? "true" : "false", (unsigned long long)d->segments,
	    (unsigned long long)d->rx_segments,
	    (unsigned long long)d->rx_sessions,
	    (unsigned long long)d->rx_plaintext_bytes, d->rx_held_peak,
	    (unsigned long long)d->wire_bytes);
	for (c = 0; c < RP_NCHECKS; c++) {
		fprintf(fp, "%s\"%s\": ", c > 0 ? ", " : "",
		    rp_check_name((enum rp_check)c));
		json_count(fp, &d->check[c]);
	}
	fprintf(fp, "}, \"tcp\": {\"duplicate_bytes\": %llu, "
	    "\"out_of_order_segments\": %llu, \"conflicts\": %llu, "
	    "\"gaps\": %llu, \"gap_bytes\": %llu, \"reorder_peak\": %zu}}",
	    (unsigned long long)d->tcp.dup_bytes,
	    (unsigned long long)d->tcp.ooo_segments,
	    (unsigned long long)d->tcp.conflicts,
	    (unsigned long long)d->tcp.gaps,
	    (unsigned long long)d->tcp.gap_bytes, d->tcp.ooo_peak);
}

static void
json_conn(struct out *o, const struct rp_conn_result *c)
{

	printf("%s\n    {\"index\": %llu, \"client\": ",
	    o->nconn_json++ > 0 ? "," : "", (unsigned long long)c->index);
	json_str(stdout, c->client);
	printf(", \"server\": ");
	json_str(stdout, c->server);
	printf(", \"client_from\": ");
	json_str(stdout, c->client_from);
	printf(", \"tls\": %s, \"version\": ", c->tls ? "true" : "false");
	json_str(stdout, c->version);
	printf(", \"suite\": ");
	json_str(stdout, c->suite[0] != '\0' ? c->suite : NULL);
	printf(", \"ktls_suite\": ");
	json_str(stdout, c->ktls_suite);
	printf(", \"encrypt_then_mac\": %s, \"extended_master_secret\": %s, "
	    "\"compression\": %d, \"max_fragment_length\": %d, "
	    "\"record_size_limit\": %d, \"keys\": %s, \"closed\": ",
	    c->etm ? "true" : "false", c->ems ? "true" : "false",
	    c->compression, c->mfl, c->rsl, c->keys ? "true" : "false");
	json_str(stdout, c->closed);
	printf(", \"problem\": ");
	json_str(stdout, c->problem[0] != '\0' ? c->problem : NULL);
	printf(",\n     \"directions\": [");
	json_dir(stdout, &c->dir[0]);
	printf(",\n                    ");
	json_dir(stdout, &c->dir[1]);
	printf("]}");
}

/* ---- human output ---------------------------------------------------------- */

static void
human_dir(const char *who, const struct rp_dir_result *d)
{
	int i;

	printf("%s %llu record%s", who, (unsigned long long)d->records,
	    d->records == 1 ? "" : "s");
	if (d->records == 0)
		return;
	printf(" (%llu verified", (unsigned long long)d->total.verified);
	if (d->total.failed != 0)
		printf(", %llu FAILED", (unsigned long long)d->total.failed);
	if (d->total.not_verifiable != 0) {
		printf(", %llu not verifiable:",
		    (unsigned long long)d->total.not_verifiable);
		for (i = 0; i < d->total.nreasons; i++)
			printf("%s %s %llu", i > 0 ? "," : "",
			    d->total.reasons[i].why,
			    (unsigned long long)d->total.reasons[i].n);
	}
	printf("; passed: tx %llu, rx %llu)",
	    (unsigned long long)d->check[RP_CHECK_TX].verified,
	    (unsigned long long)d->check[RP_CHECK_RX].verified);
}

static void
human_conn(const struct rp_conn_result *c)
{

	printf("conn %llu: %s -> %s", (unsigned long long)c->index,
	    c->client, c->server);
	if (strcmp(c->client_from, "SYN") != 0)
		printf(" (client guessed from %s)", c->client_from);
	if (c->dir[0].wire_bytes + c->dir[1].wire_bytes == 0) {
		printf(": no data\n");
		return;
	}
	if (!c->tls) {
		printf(": not TLS%s%s\n", c->problem[0] != '\0' ? ": " : "",
		    c->problem);
		return;
	}
	printf(": TLS %s %s", c->version != NULL ? c->version : "?",
	    c->suite[0] != '\0' ? c->suite : "(no ServerHello)");
	if (c->ktls_suite != NULL)
		printf(" (%s)", c->ktls_suite);
	if (c->etm)
		printf(" encrypt-then-MAC");
	printf(": ");
	if (!c->dir[0].handoff && !c->dir[1].handoff &&
	    c->dir[0].records + c->dir[1].records == 0) {
		printf("handshake not completed%s%s\n", c->problem[0] != '\0' ?
		    "; " : "", c->problem);
		return;
	}
	human_dir("client", &c->dir[0]);
	printf(", ");
	human_dir("server", &c->dir[1]);
	if (c->problem[0] != '\0')
		printf("; %s", c->problem);
	printf("\n");
}

/* ---- callbacks -------------------------------------------------------------- */

static void
dump_name(const struct out *o, uint64_t conn, int from_client, char *buf,
    size_t len)
{

	snprintf(buf, len, "%s/conn-%llu.%s.bin", o->dump_dir,
	    (unsigned long long)conn, from_client ? "client" : "server");
}

static void
on_record(void *arg, const struct rp_rec_result *r)
{
	struct out *o = arg;
	unsigned char md[32];
	char path[4096], h[65];
	unsigned int mdlen;
	FILE *fp;
	int i;

	if (o->dump_dir != NULL && r->app_phase && r->plain != NULL &&
	    r->type == 23 && r->plain_len > 0) {
		dump_name(o, r->conn, r->from_client, path, sizeof(path));
		fp = fopen(path, "ab");
		if (fp == NULL || fwrite(r->plain, 1, r->plain_len, fp) !=
		    r->plain_len) {
			if (!o->dump_failed)
				fprintf(stderr, "uktls replay: %s: %s\n", path,
				    strerror(errno));
			o->dump_failed = 1;
		}
		if (fp != NULL)
			fclose(fp);
	}
	if (o->records == NULL)
		return;
	h[0] = '\0';
	if (r->plain != NULL) {
		mdlen = 0;
		if (EVP_Digest(r->plain, r->plain_len, md, &mdlen,
		    EVP_sha256(), NULL) == 1)
			for (i = 0; i < (int)mdlen; i++)
				sprintf(h + 2 * i, "%02x", md[i]);
	}
	fprintf(o->records, "%llu\t%s\t%s\t%llu\t%llu\t%u\t%s\t%llu\t%u\t"
	    "%u\t%u\t%zu\t%zu\t%s\t%s\t%s\t%s\t%s\t%s\n",
	    (unsigned long long)r->conn, r->from_client ? "client" : "server",
	    r->app_phase ? "app" : "handshake",
	    (unsigned long long)r->index, (unsigned long long)r->frame,
	    r->tcp_seq, r->encrypted ? "enc" : "plain",
	    (unsigned long long)r->seq, r->epoch, r->outer_type, r->type,
	    r->wire_len, r->plain_len, h,
	    r->verdict == RP_FAIL ? "failed" : !r->app_phase ? "-" :
	    r->verdict == RP_PASS ? "verified" : "not_verifiable",
	    r->check[RP_CHECK_MODEL] == RP_PASS ? "pass" :
	    r->check[RP_CHECK_MODEL] == RP_FAIL ? "FAIL" : "-",
	    r->check[RP_CHECK_TX] == RP_PASS ? "pass" :
	    r->check[RP_CHECK_TX] == RP_FAIL ? "FAIL" : "-",
	    r->check[RP_CHECK_RX] == RP_PASS ? "pass" :
	    r->check[RP_CHECK_RX] == RP_FAIL ? "FAIL" : "-",
	    r->why != NULL ? r->why : "");
}

static void
on_conn(void *arg, const struct rp_conn_result *c)
{
	struct out *o = arg;
	char path[4096];
	FILE *fp;
	int i;

	/* Every direction of a TLS connection gets its file. */
	if (o->dump_dir != NULL && c->tls) {
		for (i = 0; i < 2; i++) {
			dump_name(o, c->index, i == 0, path, sizeof(path));
			fp = fopen(path, "ab");
			if (fp != NULL)
				fclose(fp);
		}
	}
	if (o->json)
		json_conn(o, c);
	else
		human_conn(c);
	fflush(stdout);
}

/* ---- the command ------------------------------------------------------------ */

/* A size for the reassembler's limits: not zero. */
static int
parse_size(const char *s, size_t *out)
{
	uint64_t v;

	if (cli_parse_size(s, &v) != 0 || v == 0 || v > SIZE_MAX)
		return (-1);
	*out = (size_t)v;
	return (0);
}

static void
totals_json(const struct out *o, const struct replay_totals *t, int rc)
{
	int c;

	printf("%s],\n  \"ok\": %s, \"records_verified\": %llu, "
	    "\"records_failed\": %llu, \"records_not_verifiable\": %llu,\n"
	    "  \"mode\": ", o->nconn_json > 0 ? "\n  " : "",
	    rc == RP_EXIT_OK ? "true" : "false",
	    (unsigned long long)t->verified, (unsigned long long)t->failed,
	    (unsigned long long)t->not_verifiable);
	json_str(stdout, o->mode);
	printf(", \"checks\": {");
	for (c = 0; c < RP_NCHECKS; c++) {
		const char *missing;

		missing = c == RP_CHECK_RX ? o->be->rx_missing :
		    c == RP_CHECK_TX ? o->be->tx_missing : NULL;
		printf("%s\"%s\": {\"available\": %s, \"why\": ",
		    c > 0 ? ", " : "", rp_check_name((enum rp_check)c),
		    missing == NULL ? "true" : "false");
		json_str(stdout, missing);
		printf(", \"verified\": %llu, \"failed\": %llu, "
		    "\"not_verifiable\": %llu}",
		    (unsigned long long)t->check[c][0],
		    (unsigned long long)t->check[c][1],
		    (unsigned long long)t->check[c][2]);
	}
	printf("},\n  \"tcp_connections\": %llu, \"tls_connections\": %llu, "
	    "\"frames\": %llu, \"tcp_segments\": %llu, \"format\": ",
	    (unsigned long long)t->connections,
	    (unsigned long long)t->tls_connections,
	    (unsigned long long)t->pcap.frames,
	    (unsigned long long)t->pcap.segments);
	json_str(stdout, t->format);
	printf(", \"linktype\": ");
	json_str(stdout, t->linktype);
	printf(", \"problems\": %llu, \"truncated\": %s, \"error\": ",
	    (unsigned long long)t->problems, t->truncated ? "true" : "false");
	json_str(stdout, t->error[0] != '\0' ? t->error : NULL);
	printf(", \"exit_status\": %d}\n", rc);
}

int
cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keylog", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "dump-plaintext", required_argument, NULL, 'd' },
		{ "records", required_argument, NULL, 'r' },
		{ "reorder-buffer", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct replay_opts ro;
	struct replay_totals tot;
	struct stat sb;
	struct out o;
	const char *why, *records_path;
	int ch, rc;

	memset(&ro, 0, sizeof(ro));
	memset(&o, 0, sizeof(o));
	o.mode = "sw";
	records_path = NULL;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			ro.keylog = optarg;
			break;
		case 'm':
			o.mode = optarg;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'd':
			o.dump_dir = optarg;
			break;
		case 'r':
			records_path = optarg;
			break;
		case 'b':
			if (parse_size(optarg, &ro.lim.ooo_cap) != 0) {
				fprintf(stderr, "uktls replay: bad "
				    "--reorder-buffer '%s'\n", optarg);
				return (RP_EXIT_USAGE);
			}
			break;
		case 'h':
			replay_usage(stdout);
			return (0);
		default:
			fprintf(stderr, "uktls replay: bad option '%s'\n",
			    argv[optind - 1]);
			replay_usage(stderr);
			return (RP_EXIT_USAGE);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "uktls replay: %s\n", optind >= argc ?
		    "no capture file given" : "more than one capture file");
		replay_usage(stderr);
		return (RP_EXIT_USAGE);
	}
	o.path = argv[optind];
	o.be = replay_backend_find(o.mode, &why);
	if (o.be == NULL) {
		fprintf(stderr, "uktls replay: --mode %s: %s\n", o.mode, why);
		return (RP_EXIT_USAGE);
	}
	if (o.dump_dir != NULL && (mkdir(o.dump_dir, 0777) != 0 &&
	    errno != EEXIST)) {
		fprintf(stderr, "uktls replay: %s: %s\n", o.dump_dir,
		    strerror(errno));
		return (RP_EXIT_USAGE);
	}
	if (o.dump_dir != NULL && (stat(o.dump_dir, &sb) != 0 ||
	    !S_ISDIR(sb.st_mode))) {
		fprintf(stderr, "uktls replay: %s: not a directory\n",
		    o.dump_dir);
		return (RP_EXIT_USAGE);
	}
	if (records_path != NULL) {
		o.records = fopen(records_path, "w");
		if (o.records == NULL) {
			fprintf(stderr, "uktls replay: %s: %s\n", records_path,
			    strerror(errno));
			return (RP_EXIT_USAGE);
		}
		fprintf(o.records, "#conn\tfrom\tphase\tindex\tframe\ttcp_seq\t"
		    "protection\tseq\tepoch\touter_type\ttype\twire_len\t"
		    "plain_len\tplain_sha256\tverdict\tmodel\ttx\trx\t"
		    "reason\n");
	}

	ro.backend = o.be;
	ro.msgs = stderr;
	ro.progress = isatty(STDERR_FILENO);
	ro.on_record = on_record;
	ro.on_conn = on_conn;
	ro.arg = &o;

	uk_reset(1);
	if (o.json) {
		printf("{\"file\": ");
		json_str(stdout, o.path);
		printf(", \"connections\": [");
	}
	rc = replay_run(o.path, &ro, &tot);
	if (o.records != NULL)
		fclose(o.records);
	if (o.dump_failed && rc == RP_EXIT_OK)
		rc = RP_EXIT_USAGE;
	if (o.json) {
		totals_json(&o, &tot, rc);
		if (rc == RP_EXIT_USAGE && tot.error[0] != '\0')
			fprintf(stderr, "uktls replay: %s\n", tot.error);
		return (rc);
	}
	if (rc == RP_EXIT_USAGE && tot.error[0] != '\0') {
		fprintf(stderr, "uktls replay: %s\n", tot.error);
		return (rc);
	}
	printf("replay: %s (%s, %s): %llu frames, %llu TCP connections, "
	    "%llu TLS\n", o.path, tot.format, tot.linktype,
	    (unsigned long long)tot.pcap.frames,
	    (unsigned long long)tot.connections,
	    (unsigned long long)tot.tls_connections);
	printf("replay: by check (passed/failed/not verifiable):");
	for (ch = 0; ch < RP_NCHECKS; ch++)
		printf("%s %s %llu/%llu/%llu", ch > 0 ? "," : "",
		    rp_check_name((enum rp_check)ch),
		    (unsigned long long)tot.check[ch][0],
		    (unsigned long long)tot.check[ch][1],
		    (unsigned long long)tot.check[ch][2]);
	printf("\n");
	if (o.be->rx_missing != NULL)
		printf("replay: %s (%llu records not checked on receive)\n",
		    o.be->rx_missing,
		    (unsigned long long)tot.check[RP_CHECK_RX][2]);
	printf("replay: %llu records verified, %llu failed, %llu not "
	    "verifiable\n", (unsigned long long)tot.verified,
	    (unsigned long long)tot.failed,
	    (unsigned long long)tot.not_verifiable);
	return (rc);
}
