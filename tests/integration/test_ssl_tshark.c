/*
 * The capture and the key log a run writes decrypt in tshark, and what
 * tshark decrypts is what was sent.  One capture holds a libssl pair per
 * suite (handed over, or from the key log), each talking both ways with
 * control records and a sendfile, plus pairs under loss, reordering,
 * duplication and splitting; one key log written by the pairs through
 * uk_keylog_line().  tshark's "follow,tls,raw" of every connection must
 * equal each direction's application bytes.  The tamper twin: the same
 * capture with every secret of the key log altered decrypts to nothing.
 * Skipped, with a message, when tshark is not installed.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uktls/net.h>
#include <uktls/ssl.h>
#include <uktls/suites.h>
#include <uktls/uktls.h>

#include "../unit/tcp_fixture.h"
#include "ssl_fixture.h"
#include "uktest.h"

#define	TS_MAXCONN	32

/* One connection in the capture and what went each way. */
struct ts_conn {
	const char	*suite;
	uint16_t	 cport, sport;	/* client's and server's ports */
	struct sfx_sent	 sent;
	int		 seen;
};

static char tmpdir[64];

static int
ts_have_tshark(void)
{

	return (system("command -v tshark >/dev/null 2>&1") == 0);
}

static uint16_t
ts_port(int s)
{
	struct sockaddr_in sin;
	socklen_t len;

	len = sizeof(sin);
	ck_assert_int_eq(uk_getsockname(s, (struct sockaddr *)&sin, &len), 0);
	return (ntohs(sin.sin_port));
}

static void
ts_one(struct ts_conn *c, const char *suite, const struct uk_net_config *faults)
{
	struct uk_ssl_pair p;

	ck_assert_int_eq(uk_net_config(faults, NULL), 0);
	c->suite = suite;
	sfx_open(&p, suite, 0, NULL);
	c->cport = ts_port(p.client.s);
	c->sport = ts_port(p.server.s);
	sfx_talk(&p, suite, 24000, 40000, &c->sent);
	sfx_close(&p);
}

static int
ts_nibble(int c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Append one hex line's bytes to a growing buffer. */
static void
ts_hex(const char *line, uint8_t **buf, size_t *len, size_t *cap)
{
	size_t i, n;
	int bad, hi, lo;

	n = strlen(line);
	ck_assert_msg(n % 2 == 0, "tshark: odd hex line");
	n /= 2;
	if (*len + n > *cap) {
		*cap = 2 * (*len + n) + 1024;
		*buf = realloc(*buf, *cap);
		ck_assert_ptr_nonnull(*buf);
	}
	bad = 0;
	for (i = 0; i < n; i++) {
		hi = ts_nibble((unsigned char)line[2 * i]);
		lo = ts_nibble((unsigned char)line[2 * i + 1]);
		bad |= hi < 0 || lo < 0;
		(*buf)[(*len)++] = (uint8_t)(hi << 4 | (lo & 0xf));
	}
	ck_assert_msg(!bad, "tshark: not hex: %.40s", line);
}

static struct ts_conn *
ts_find(struct ts_conn *conns, int n, unsigned int port, int *node0_client)
{
	int i;

	for (i = 0; i < n; i++) {
		if (conns[i].cport == port || conns[i].sport == port) {
			*node0_client = conns[i].cport == port;
			return (&conns[i]);
		}
	}
	return (NULL);
}

static void
ts_compare(struct ts_conn *c, int node0_client, const uint8_t *n0,
    size_t n0len, const uint8_t *n1, size_t n1len)
{
	const uint8_t *c2s, *s2c;
	size_t c2s_len, s2c_len;

	c2s = node0_client ? n0 : n1;
	c2s_len = node0_client ? n0len : n1len;
	s2c = node0_client ? n1 : n0;
	s2c_len = node0_client ? n1len : n0len;
	ck_assert_msg(c2s_len == c->sent.c2s_len && (c2s_len == 0 ||
	    memcmp(c2s, c->sent.c2s, c2s_len) == 0),
	    "%s: tshark's client data (%zu bytes) is not what was sent "
	    "(%zu)", c->suite, c2s_len, c->sent.c2s_len);
	ck_assert_msg(s2c_len == c->sent.s2c_len && (s2c_len == 0 ||
	    memcmp(s2c, c->sent.s2c, s2c_len) == 0),
	    "%s: tshark's server data (%zu bytes) is not what was sent "
	    "(%zu)", c->suite, s2c_len, c->sent.s2c_len);
	c->seen = 1;
}

/*
 * Run tshark once for every stream; check each one against what was
 * sent (or, decrypt_nothing, that tshark decrypted no byte).
 */
static void
ts_tshark(const char *pcap, const char *keys, struct ts_conn *conns, int n,
    int decrypt_nothing)
{
	char *cmd, line[65536];
	uint8_t *b0, *b1;
	size_t c0, c1, l0, l1, off;
	struct ts_conn *c;
	unsigned int port;
	int i, in, node0_client, total;
	FILE *fp;

	cmd = malloc(4096);
	ck_assert_ptr_nonnull(cmd);
	off = (size_t)snprintf(cmd, 4096, "tshark -n -r '%s' -o "
	    "tls.keylog_file:'%s' -o tcp.reassemble_out_of_order:TRUE -q",
	    pcap, keys);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(cmd + off, 4096 - off,
		    " -z follow,tls,raw,%d", i);
	snprintf(cmd + off, 4096 - off, " 2>/dev/null");
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	b0 = b1 = NULL;
	c0 = c1 = l0 = l1 = 0;
	c = NULL;
	in = 0;
	node0_client = 0;
	total = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "Filter: tcp.stream eq ", 22) == 0) {
			in = 1;
			c = NULL;
			l0 = l1 = 0;
			continue;
		}
		if (strncmp(line, "=====", 5) == 0) {
			if (!in)
				continue;
			if (decrypt_nothing)
				ck_assert_msg(l0 == 0 && l1 == 0,
				    "stream %d decrypted with a wrong key log",
				    total);
			else {
				ck_assert_msg(c != NULL, "tshark: a stream "
				    "with no endpoint");
				ts_compare(c, node0_client, b0, l0, b1, l1);
			}
			total++;
			in = 0;
			continue;
		}
		if (sscanf(line, "Node 0: %*[0-9.]:%u", &port) == 1) {
			c = ts_find(conns, n, port, &node0_client);
			ck_assert_msg(c != NULL, "tshark: unknown port %u",
			    port);
			continue;
		}
		if (!in || line[0] == '\0' || strncmp(line, "Node ", 5) == 0)
			continue;
		if (line[0] == '\t')
			ts_hex(line + 1, &b1, &l1, &c1);
		else
			ts_hex(line, &b0, &l0, &c0);
	}
	ck_assert_int_eq(pclose(fp), 0);
	ck_assert_int_eq(total, n);
	if (!decrypt_nothing)
		for (i = 0; i < n; i++)
			ck_assert_msg(conns[i].seen, "%s: not in tshark's "
			    "output", conns[i].suite);
	free(b0);
	free(b1);
	free(cmd);
}

/* A copy of the key log with one nibble of every secret changed. */
static void
ts_spoil(const char *from, const char *to)
{
	char line[512], *sp;
	FILE *in, *out;

	in = fopen(from, "r");
	out = fopen(to, "w");
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		sp = strrchr(line, ' ');
		if (sp != NULL && isxdigit((unsigned char)sp[1]))
			sp[1] = sp[1] == '0' ? '1' : '0';
		fputs(line, out);
	}
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
}

START_TEST(test_ssl_tshark_decrypts)
{
	static const char *const faulty[] = { "aes128-gcm-1.3",
	    "chacha20-poly1305-1.2", "aes256-cbc-sha1-1.0" };
	struct ts_conn conns[TS_MAXCONN];
	struct uk_net_config quiet, faults;
	char pcap[128], keys[128], bad[128];
	const struct uk_suite *s;
	size_t i;
	int n;

	if (!ts_have_tshark()) {
		fprintf(stderr, "test_ssl_tshark: tshark is not installed; "
		    "the capture is not checked\n");
		return;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/uktls-sslpcap-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(pcap, sizeof(pcap), "%s/run.pcap", tmpdir);
	snprintf(keys, sizeof(keys), "%s/run.keys", tmpdir);
	snprintf(bad, sizeof(bad), "%s/bad.keys", tmpdir);
	ck_assert_int_eq(uk_net_pcap_open(pcap), 0);
	ck_assert_int_eq(uk_keylog_open(keys), 0);
	memset(conns, 0, sizeof(conns));
	memset(&quiet, 0, sizeof(quiet));
	n = 0;
	for (i = 0; i < uk_nsuites(); i++) {
		s = uk_suite_at(i);
		if (strcmp(s->name, SFX_NO_OPENSSL) != 0)
			ts_one(&conns[n++], s->name, &quiet);
	}
	for (i = 0; i < sizeof(faulty) / sizeof(faulty[0]); i++) {
		tfx_faults(&faults, 900 + i, 3.0, 3.0, 2.0, 30.0);
		ts_one(&conns[n++], faulty[i], &faults);
	}
	ck_assert_int_eq(uk_net_config(&quiet, NULL), 0);
	ck_assert_int_eq(uk_net_pcap_close(), 0);
	ck_assert_int_eq(uk_keylog_close(), 0);

	ts_tshark(pcap, keys, conns, n, 0);
	ts_spoil(keys, bad);
	ts_tshark(pcap, bad, conns, n, 1);

	for (i = 0; i < (size_t)n; i++)
		sfx_sent_free(&conns[i].sent);
	unlink(pcap);
	unlink(keys);
	unlink(bad);
	rmdir(tmpdir);
}
END_TEST

static Suite *
ssl_tshark_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ssl_tshark");
	tc = uktest_tcase("ssl_tshark");
	tcase_add_test(tc, test_ssl_tshark_decrypts);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (sfx_run(ssl_tshark_suite()));
}
