/*
 * The pcap tap and the key log writer.  A capture is read back with
 * libpcap: Ethernet/IPv4/TCP frames whose IP and TCP checksums this test
 * verifies itself, timestamps from the simulated clock, the handshake
 * with its options, every byte of both streams, the MSS respected, and
 * retransmissions (a sequence number sent twice) under loss.  When
 * tshark is installed it must parse the capture with no checksum error
 * or malformed packet and see the retransmissions too.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/uktls.h>

#include "tcp_fixture.h"
#include "uktest.h"

/* 2026-01-01T00:00:00Z, where the simulated clock starts. */
#define	EPOCH_S		1767225600ULL

static char tmpdir[64];

static void
pcap_setup(void)
{

	uktest_setup();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/uktls-pcap-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
pcap_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	(void)system(cmd);
	uktest_teardown();
}

static uint16_t
rd16(const uint8_t *p)
{

	return ((uint16_t)(p[0] << 8 | p[1]));
}

static uint32_t
rd32(const uint8_t *p)
{

	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/* RFC 1071, written again here so the test does not trust the code. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len % 2 != 0)
		sum += (uint32_t)p[len - 1] << 8;
	return (sum);
}

static uint16_t
fold(uint32_t sum)
{

	while (sum >> 16 != 0)
		sum = (sum & 0xffff) + (sum >> 16);
	return ((uint16_t)sum);
}

/* What the capture holds, direction 0 from the connecting end. */
struct cap {
	int		 frames;
	int		 syn, synack, fin, rst;
	uint16_t	 mss_opt[2];
	int		 wscale_opt[2];
	uint16_t	 cport;			/* the connecting end's port */
	uint32_t	 isn[2];
	uint32_t	 maxlen[2];		/* longest payload */
	uint32_t	 highest[2];		/* next new sequence number */
	int		 rexmit[2];		/* payload sent again */
	uint8_t		*data[2];		/* the streams, by sequence */
	size_t		 datalen[2];
	uint64_t	 first_ns, last_ns;
};

static void
cap_read(const char *path, struct cap *c, size_t maxdata)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *f, *ip, *th;
	pcap_t *pd;
	uint64_t ns;
	uint32_t seq, off, pseudo;
	int d, flags, hl, ipl, old, rv, thl, plen, i;

	memset(c, 0, sizeof(*c));
	c->wscale_opt[0] = c->wscale_opt[1] = -1;
	c->data[0] = calloc(1, maxdata);
	c->data[1] = calloc(1, maxdata);
	pd = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_NANO, err);
	ck_assert_msg(pd != NULL, "pcap_open_offline: %s", err);
	ck_assert_int_eq(pcap_datalink(pd), DLT_EN10MB);
	while ((rv = pcap_next_ex(pd, &h, &f)) == 1) {
		c->frames++;
		ck_assert_uint_eq(h->caplen, h->len);
		ns = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		    (uint64_t)h->ts.tv_usec;
		ck_assert_uint_ge(ns, c->last_ns);
		if (c->frames == 1)
			c->first_ns = ns;
		c->last_ns = ns;
		/* Ethernet: locally administered addresses, IPv4. */
		ck_assert_uint_ge(h->caplen, 14 + 20 + 20);
		ck_assert_uint_eq(rd16(f + 12), 0x0800);
		ck_assert_uint_eq(f[0], 0x02);
		ck_assert_uint_eq(f[6], 0x02);
		ip = f + 14;
		ck_assert_uint_eq(ip[0] >> 4, 4);
		hl = (ip[0] & 0xf) * 4;
		ipl = rd16(ip + 2);
		ck_assert_int_eq(hl, 20);
		ck_assert_int_eq(ipl, (int)h->caplen - 14);
		ck_assert_uint_eq(ip[9], 6);
		ck_assert_uint_eq(rd16(ip + 6) & 0x4000, 0x4000);
		ck_assert_msg(fold(sum16(0, ip, (size_t)hl)) == 0xffff,
		    "frame %d: bad IP checksum", c->frames);
		ck_assert_uint_eq(rd32(ip + 12), INADDR_LOOPBACK);
		ck_assert_uint_eq(rd32(ip + 16), INADDR_LOOPBACK);
		th = ip + hl;
		plen = ipl - hl;
		pseudo = sum16(0, ip + 12, 8) + 6 + (uint32_t)plen;
		ck_assert_msg(fold(sum16(pseudo, th, (size_t)plen)) == 0xffff,
		    "frame %d: bad TCP checksum", c->frames);
		thl = (th[12] >> 4) * 4;
		flags = th[13];
		seq = rd32(th + 4);
		if ((flags & 0x12) == 0x02) {
			c->syn++;
			c->cport = rd16(th);
		}
		d = rd16(th) == c->cport ? 0 : 1;
		if ((flags & 0x02) != 0) {
			if ((flags & 0x10) != 0)
				c->synack++;
			c->isn[d] = seq;
			c->highest[d] = seq + 1;
			for (i = 20; i < thl; ) {
				if (th[i] == 0)
					break;
				if (th[i] == 1) {
					i++;
					continue;
				}
				if (th[i] == 2)
					c->mss_opt[d] = rd16(th + i + 2);
				if (th[i] == 3)
					c->wscale_opt[d] = th[i + 2];
				i += th[i + 1];
			}
		}
		if ((flags & 0x01) != 0)
			c->fin++;
		if ((flags & 0x04) != 0)
			c->rst++;
		plen -= thl;
		if (plen > 0) {
			if ((uint32_t)plen > c->maxlen[d])
				c->maxlen[d] = (uint32_t)plen;
			off = seq - c->isn[d] - 1;
			ck_assert_uint_le(off + (size_t)plen, maxdata);
			/* A resend carries the same bytes as the first time. */
			if ((int32_t)(seq - c->highest[d]) < 0) {
				old = (int)(c->highest[d] - seq);
				if (old > plen)
					old = plen;
				c->rexmit[d]++;
				ck_assert_int_eq(memcmp(c->data[d] + off,
				    th + thl, (size_t)old), 0);
			}
			memcpy(c->data[d] + off, th + thl, (size_t)plen);
			if (off + (size_t)plen > c->datalen[d])
				c->datalen[d] = off + (size_t)plen;
			if ((int32_t)(seq + (uint32_t)plen - c->highest[d]) > 0)
				c->highest[d] = seq + (uint32_t)plen;
		}
	}
	ck_assert_int_eq(rv, PCAP_ERROR_BREAK);
	pcap_close(pd);
}

static void
cap_free(struct cap *c)
{

	free(c->data[0]);
	free(c->data[1]);
}

/*
 * Run tshark on path with a display filter; how many frames it shows.
 * The payloads are random test bytes, which a heuristic dissector may
 * take for its protocol and then fail to reassemble across resent
 * segments cut elsewhere; TCP's own reassembly for dissectors is off so
 * that only TCP is judged.
 */
static int
tshark_count(const char *path, const char *filter)
{
	char cmd[1024], line[512];
	FILE *p;
	int n;

	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -o tcp.check_checksum:"
	    "TRUE -o ip.check_checksum:TRUE -o tcp.desegment_tcp_streams:FALSE "
	    "-Y '%s' 2>/dev/null", path, filter);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = 0;
	while (fgets(line, sizeof(line), p) != NULL)
		n++;
	ck_assert_int_eq(pclose(p), 0);
	return (n);
}

static int
have_tshark(void)
{

	return (system("command -v tshark >/dev/null 2>&1") == 0);
}

/* A clean connection: every frame, both streams, the handshake. */
START_TEST(test_pcap_clean)
{
	struct uk_net_stats a, b;
	struct tfx_end ea, eb;
	struct cap c;
	char path[256];
	int sv[2];

	snprintf(path, sizeof(path), "%s/clean.pcap", tmpdir);
	ck_assert_int_eq(uk_net_pcap_open(path), 0);
	tfx_pair(sv);
	tfx_end_init(&ea, sv[0], 51, 200000, 52, 70000);
	tfx_end_init(&eb, sv[1], 52, 70000, 51, 200000);
	tfx_pump(&ea, &eb);
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	ck_assert_int_eq(uk_net_stats(sv[1], &b), 0);
	tfx_end_free(&ea);
	tfx_end_free(&eb);
	tfx_finish(sv, 2);
	ck_assert_uint_eq(uk_net_pcap_frames(), a.snd_total + b.snd_total);
	ck_assert_int_eq(uk_net_pcap_close(), 0);
	ck_assert_uint_eq(uk_net_pcap_frames(), 0);

	cap_read(path, &c, 1 << 20);
	ck_assert_int_eq(c.frames, (int)(a.snd_total + b.snd_total));
	ck_assert_int_eq(c.syn, 1);
	ck_assert_int_eq(c.synack, 1);
	ck_assert_int_eq(c.fin, 2);
	ck_assert_int_eq(c.rst, 0);
	ck_assert_uint_eq(c.mss_opt[0], 1448);
	ck_assert_uint_eq(c.mss_opt[1], 1448);
	ck_assert_int_eq(c.wscale_opt[0], 6);
	ck_assert_int_eq(c.wscale_opt[1], 6);
	ck_assert_uint_eq(c.datalen[0], 200000);
	ck_assert_uint_eq(c.datalen[1], 70000);
	tfx_check(c.data[0], 200000, 51, 0);
	tfx_check(c.data[1], 70000, 52, 0);
	ck_assert_uint_eq(c.maxlen[0], 1448);
	ck_assert_int_eq(c.rexmit[0] + c.rexmit[1], 0);
	ck_assert_uint_ge(c.first_ns, EPOCH_S * 1000000000ULL);
	ck_assert_uint_lt(c.first_ns, (EPOCH_S + 60) * 1000000000ULL);
	cap_free(&c);

	if (have_tshark()) {
		ck_assert_int_eq(tshark_count(path, "tcp"), (int)(a.snd_total +
		    b.snd_total));
		ck_assert_int_eq(tshark_count(path, "tcp.checksum.status == 1"
		    " && ip.checksum.status == 1"), (int)(a.snd_total +
		    b.snd_total));
		ck_assert_int_eq(tshark_count(path, "_ws.malformed || "
		    "_ws.expert.severity >= warning || "
		    "tcp.analysis.retransmission"), 0);
	}
}
END_TEST

/* Loss, a small MSS and splitting: resends show, with the same bytes. */
START_TEST(test_pcap_lossy)
{
	struct uk_net_config conf;
	struct uk_net_stats a, b;
	struct tfx_end ea, eb;
	struct cap c;
	char path[256];
	int sv[2], ts;

	snprintf(path, sizeof(path), "%s/lossy.pcap", tmpdir);
	ck_assert_int_eq(uk_net_pcap_open(path), 0);
	tfx_faults(&conf, 404, 8.0, 4.0, 2.0, 20.0);
	conf.mss = 536;
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	tfx_pair(sv);
	tfx_end_init(&ea, sv[0], 53, 300000, 54, 100000);
	tfx_end_init(&eb, sv[1], 54, 100000, 53, 300000);
	tfx_pump(&ea, &eb);
	ck_assert_int_eq(uk_net_stats(sv[0], &a), 0);
	ck_assert_int_eq(uk_net_stats(sv[1], &b), 0);
	tfx_end_free(&ea);
	tfx_end_free(&eb);
	tfx_finish(sv, 2);
	ck_assert_int_eq(uk_net_pcap_close(), 0);

	cap_read(path, &c, 1 << 20);
	ck_assert_uint_eq(c.mss_opt[0], 536);
	ck_assert_uint_le(c.maxlen[0], 536);
	ck_assert_uint_le(c.maxlen[1], 536);
	ck_assert_uint_eq(c.datalen[0], 300000);
	ck_assert_uint_eq(c.datalen[1], 100000);
	tfx_check(c.data[0], 300000, 53, 0);
	tfx_check(c.data[1], 100000, 54, 0);
	/* The tap is before the faults: lost segments are in it. */
	ck_assert_uint_gt(a.fault_lost, 0);
	ck_assert_int_gt(c.rexmit[0], 0);
	ck_assert_int_le(c.rexmit[0], (int)a.snd_rexmitpack);
	ck_assert_int_ge(c.frames, (int)(a.snd_total + b.snd_total));
	cap_free(&c);

	if (have_tshark()) {
		ck_assert_int_eq(tshark_count(path, "_ws.malformed || "
		    "tcp.checksum.status == 0 || ip.checksum.status == 0"), 0);
		ts = tshark_count(path, "tcp.analysis.retransmission || "
		    "tcp.analysis.fast_retransmission");
		ck_assert_int_gt(ts, 0);
		ck_assert_int_le(ts, (int)(a.snd_rexmitpack +
		    b.snd_rexmitpack));
	}
}
END_TEST

/* Opening, replacing and closing captures; a bad path. */
START_TEST(test_pcap_files)
{
	char p1[256], p2[256];
	struct stat st;
	int sv[2];

	errno = 0;
	ck_assert_int_eq(uk_net_pcap_open("/nonexistent/dir/x.pcap"), -1);
	ck_assert_int_eq(errno, ENOENT);
	snprintf(p1, sizeof(p1), "%s/one.pcap", tmpdir);
	snprintf(p2, sizeof(p2), "%s/two.pcap", tmpdir);
	ck_assert_int_eq(uk_net_pcap_open(p1), 0);
	tfx_pair(sv);
	ck_assert_uint_eq(uk_net_pcap_frames(), 3);
	/* A second capture closes the first. */
	ck_assert_int_eq(uk_net_pcap_open(p2), 0);
	ck_assert_uint_eq(uk_net_pcap_frames(), 0);
	ck_assert_int_eq(uk_write(sv[0], "x", 1), 1);
	ck_assert_uint_eq(uk_net_pcap_frames(), 1);
	tfx_finish(sv, 2);
	ck_assert_int_eq(uk_net_pcap_close(), 0);
	ck_assert_int_eq(uk_net_pcap_close(), 0);
	/* pcap header + 3 frames of 54 + 8 or 62 + 16 bytes each. */
	ck_assert_int_eq(stat(p1, &st), 0);
	ck_assert_int_eq(st.st_size, 24 + 2 * (62 + 16) + (54 + 16));
	ck_assert_int_eq(stat(p2, &st), 0);
	ck_assert_int_gt(st.st_size, 24 + 55 + 16);
}
END_TEST

/* The key log: NSS lines, written at once; malformed ones refused. */
START_TEST(test_pcap_keylog)
{
	uint8_t cr[32], secret[48];
	char path[256], line[512];
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "%s/keys.log", tmpdir);
	errno = 0;
	ck_assert_int_eq(uk_keylog_line("CLIENT_RANDOM 00 00"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(uk_keylog_open(path), 0);
	for (i = 0; i < 32; i++)
		cr[i] = (uint8_t)i;
	for (i = 0; i < 48; i++)
		secret[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(uk_keylog_secret("CLIENT_RANDOM", cr, 32, secret, 48),
	    0);
	ck_assert_int_eq(uk_keylog_line("CLIENT_TRAFFIC_SECRET_0 "
	    "0000000000000000000000000000000000000000000000000000000000000001 "
	    "1111111111111111111111111111111111111111111111111111111111111111"),
	    0);
	errno = 0;
	ck_assert_int_eq(uk_keylog_line("CLIENT_RANDOM xyz 00"), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_keylog_line("lower 00 00"), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_keylog_secret("CLIENT_RANDOM", cr, 31, secret,
	    48), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* Written at once: readable before the close. */
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	ck_assert_str_eq(line, "CLIENT_RANDOM "
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	ck_assert_int_eq(strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24), 0);
	ck_assert_ptr_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	ck_assert_int_eq(uk_keylog_close(), 0);
	errno = 0;
	ck_assert_int_eq(uk_keylog_secret("CLIENT_RANDOM", cr, 32, secret, 48),
	    -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

static Suite *
pcap_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("tcp_pcap");
	tc = tcase_create("pcap");
	tcase_add_checked_fixture(tc, pcap_setup, pcap_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pcap_clean);
	tcase_add_test(tc, test_pcap_lossy);
	tcase_add_test(tc, test_pcap_files);
	tcase_add_test(tc, test_pcap_keylog);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(pcap_suite()));
}
