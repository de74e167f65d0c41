/*
 * uktls explain: a narrated run for teaching.
 *
 * One small TLS record goes from a server's write() to a client's
 * recvmsg() over the simulated TCP network, and the socket buffers are
 * drawn from the live kernel at each step: the record framed but not
 * ready, encrypted and ready, cut into segments, collected undecrypted
 * on sb_mtls, detached for decryption, decrypted onto sb_mb with its
 * TLS_GET_RECORD control message, read, and acknowledged.  Then a file
 * goes out with sendfile, to show page-cache pages under an unmapped
 * mbuf and encryption into new pages.
 *
 * The network runs in the deterministic mode, one work item at a time
 * (uk_run_one()), so every picture is of a state the kernel was really
 * in, and the same run gives the same pictures.
 */
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/stats.h>
#include <uktls/suites.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "cli.h"

#define	PIC_LEN		8192

struct ex {
	const struct uk_suite *suite;
	uint64_t	 bytes;		/* the write */
	uint64_t	 file;		/* the sendfile */
	unsigned int	 mss;
	int		 srv, cli;	/* sockets */
	int		 step;
	int		 detached_shown;
	char		 pic[PIC_LEN];
};

static void
explain_usage(FILE *fp)
{

	fprintf(fp,
	    "usage: uktls explain [--suite NAME] [--bytes N] [--file N] "
	    "[--mss N]\n"
	    "\n"
	    "A narrated run for learning how KTLS works: one write and one "
	    "sendfile go\n"
	    "from a server to a client over the simulated TCP network, and "
	    "the socket\n"
	    "buffers are drawn from the live kernel at each step.\n"
	    "\n"
	    "  --suite NAME   cipher suite (default aes128-gcm-1.3; "
	    "'uktls suites')\n"
	    "  --bytes N      size of the write (default 2500, at most 16k: "
	    "one record)\n"
	    "  --file N       size of the file sent with sendfile (default "
	    "20k)\n"
	    "  --mss N        TCP maximum segment size (default 1000)\n");
}

static void
say(struct ex *e, const char *title, const char *text)
{

	printf("\n[%d] %s\n", ++e->step, title);
	if (text != NULL && text[0] != '\0')
		printf("%s\n", text);
}

static void
draw_snd(struct ex *e, const char *who, int s)
{

	if (uk_test_sndbuf_draw(s, e->pic, sizeof(e->pic)) < 0)
		snprintf(e->pic, sizeof(e->pic), "(cannot draw: %s)\n",
		    strerror(errno));
	printf("  %s send buffer:\n%s", who, e->pic);
}

static void
draw_rcv(struct ex *e, const char *who, int s)
{

	if (uk_test_rcvbuf_draw(s, e->pic, sizeof(e->pic)) < 0)
		snprintf(e->pic, sizeof(e->pic), "(cannot draw: %s)\n",
		    strerror(errno));
	printf("  %s receive buffer:\n%s", who, e->pic);
}

static void
counters(const char *what)
{
	struct uk_counters c;

	uk_counters(&c);
	printf("  counters %s: %" PRId64 " payload bytes copied by the "
	    "CPU, %" PRId64 " through a cipher; %" PRId64 " mbufs, %" PRId64
	    " pages alive\n", what, c.copied_bytes, c.crypto_bytes,
	    c.mbufs, c.pages);
}

/* Keys from a fixed pattern: the point is the datapath, not secrecy. */
static int
enable(struct ex *e, int s, int opt)
{
	static uint8_t key[32], iv[16], mac[48];
	struct tls_enable en;
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < sizeof(iv); i++)
		iv[i] = (uint8_t)(0x40 + i);
	for (i = 0; i < sizeof(mac); i++)
		mac[i] = (uint8_t)(0x80 + i);
	cli_tls_enable(e->suite, key, iv, mac, 1, &en);
	return (uk_setsockopt(s, IPPROTO_TCP, opt, &en, sizeof(en)));
}

/*
 * The receive worker's pause point: the record is off sb_mtls and not
 * decrypted yet.  Drawn once, the first time.
 */
static void
rx_detached(void *arg, int phase, uint64_t seqno)
{
	struct ex *e = arg;
	char title[80];

	if (phase != UK_TEST_RX_DETACHED || e->detached_shown)
		return;
	e->detached_shown = 1;
	snprintf(title, sizeof(title), "A whole record (seq %" PRIu64 "): "
	    "detached for decryption", seqno);
	say(e, title, "  ktls_check_rx saw a whole record on sb_mtls and "
	    "handed it to a worker; its\n  bytes now count in sb_tlsdcc "
	    "while it is decrypted, so sbspace() (the window)\n  still "
	    "counts them.");
	draw_rcv(e, "client", e->cli);
}

/*
 * Run work items one at a time until the client's receive buffer
 * changes shape; returns 0 when nothing is left to run.
 */
static int
step_until_rcv_changes(struct ex *e, struct uk_test_rcvinfo *last)
{
	struct uk_test_rcvinfo now;

	while (uk_run_one() != 0) {
		if (uk_test_rcvbuf_info(e->cli, &now) != 0)
			return (0);
		if (now.ccc != last->ccc || now.tlscc != last->tlscc ||
		    now.tlsdcc != last->tlsdcc || now.acc != last->acc) {
			*last = now;
			return (1);
		}
	}
	return (0);
}

static int
read_one(struct ex *e)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct tls_get_record))];
	} cm;
	struct tls_get_record tgr;
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov;
	static uint8_t buf[16384 + 256];
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	n = uk_recvmsg(e->cli, &msg, MSG_DONTWAIT);
	if (n < 0)
		return (-1);
	c = CMSG_FIRSTHDR(&msg);
	if (c == NULL || c->cmsg_level != IPPROTO_TCP ||
	    c->cmsg_type != TLS_GET_RECORD) {
		printf("  recvmsg: %zd bytes, no TLS_GET_RECORD\n", n);
		return (0);
	}
	memcpy(&tgr, CMSG_DATA(c), sizeof(tgr));
	printf("  recvmsg: %zd bytes%s; TLS_GET_RECORD: type %u, version "
	    "%u.%u, length %u\n", n, (msg.msg_flags & MSG_EOR) != 0 ?
	    ", MSG_EOR" : "", tgr.tls_type, tgr.tls_vmajor, tgr.tls_vminor,
	    (unsigned)ntohs(tgr.tls_length));
	return (0);
}

static int
run(struct ex *e)
{
	struct uk_net_config nc;
	struct uk_test_rcvinfo ri;
	struct uk_test_sbinfo si;
	struct uk_counters c;
	uint8_t *data;
	off_t sbytes;
	int sv[2], fd, frames, rc;
	char why[200];

	rc = 1;
	fd = -1;
	data = malloc(e->file > e->bytes ? e->file : e->bytes);
	if (data == NULL)
		return (1);
	memset(data, 'x', e->file > e->bytes ? e->file : e->bytes);
	uk_reset(1);
	memset(&nc, 0, sizeof(nc));
	nc.mss = e->mss;
	if (uk_net_config(&nc, NULL) != 0 || uk_socketpair_tcp(sv) != 0) {
		fprintf(stderr, "uktls explain: %s\n", strerror(errno));
		goto out;
	}
	e->cli = sv[0];
	e->srv = sv[1];
	uk_set_nonblock(e->cli, 1);
	if (enable(e, e->srv, TCP_TXTLS_ENABLE) != 0 ||
	    (e->suite->rx && enable(e, e->cli, TCP_RXTLS_ENABLE) != 0)) {
		fprintf(stderr, "uktls explain: enable: %s\n",
		    strerror(errno));
		goto out;
	}
	uk_net_run();

	printf("uktls explain: %s, a %" PRIu64 "-byte write and a %" PRIu64
	    "-byte sendfile, MSS %u\n", e->suite->name, e->bytes, e->file,
	    e->mss);
	say(e, "Two connected TCP sockets with KTLS sessions", e->suite->rx ?
	    "  setsockopt(TCP_TXTLS_ENABLE) on the server and "
	    "setsockopt(TCP_RXTLS_ENABLE) on\n  the client put the keys "
	    "into each socket buffer (sb_tls_info)." :
	    "  setsockopt(TCP_TXTLS_ENABLE) on the server.  FreeBSD cannot "
	    "receive TLS 1.0,\n  so the client's socket stays plain.");
	draw_snd(e, "server", e->srv);
	counters("at the start");

	if (uk_write(e->srv, data, e->bytes) != (ssize_t)e->bytes) {
		fprintf(stderr, "uktls explain: write: %s\n", strerror(errno));
		goto out;
	}
	say(e, "write(): the data is framed, not yet encrypted",
	    "  sosend copied the data into an anonymous page of an unmapped "
	    "(M_EXTPG)\n  mbuf; ktls_frame wrote the TLS header and made "
	    "room for the trailer inside\n  the mbuf, and gave it a "
	    "sequence number.  The mbuf is M_NOTREADY: tcp_output\n  never "
	    "sends past sb_fnrdy, so nothing can leave before it is "
	    "encrypted.\n  The encryption is queued for a KTLS worker.");
	draw_snd(e, "server", e->srv);
	counters("after the write");

	uk_run_one();
	say(e, "The worker encrypted the record in place; sbready()",
	    "  The anonymous page was encrypted where it lies (the socket "
	    "owns it), the\n  mbuf is ready, and sb_acc now counts it: "
	    "TCP may send it.");
	draw_snd(e, "server", e->srv);
	counters("after encryption");

	memset(&ri, 0, sizeof(ri));
	(void)uk_test_rcvbuf_info(e->cli, &ri);
	uk_test_ktls_rx_hook(rx_detached, e);
	for (frames = 0; frames < 16 && step_until_rcv_changes(e, &ri);
	    frames++) {
		if (!e->suite->rx)
			say(e, "Segments reach the client",
			    "  The client has no receive session, so tcp_input "
			    "appends the ciphertext to\n  sb_mb as plain "
			    "stream data.");
		else if (ri.tlscc != 0 && ri.tlsdcc == 0) {
			snprintf(why, sizeof(why), "  tcp_input appended "
			    "the segments with sbappend_ktls_rx: %u bytes of "
			    "TLS data\n  wait on sb_mtls, not ready, each "
			    "segment its own mbuf.", ri.tlscc);
			say(e, "Segments reach the client", why);
		} else if (ri.acc != 0)
			say(e, "Decrypted: the record is on sb_mb",
			    "  The plaintext follows a control mbuf holding "
			    "TLS_GET_RECORD (type, version,\n  length), and "
			    "the record ends with M_EOR.");
		else
			say(e, "The receive buffer changed", NULL);
		draw_rcv(e, "client", e->cli);
		if (ri.acc != 0 && ri.tlscc == 0 && ri.tlsdcc == 0)
			break;
	}

	uk_test_ktls_rx_hook(NULL, NULL);
	say(e, e->suite->rx ? "recvmsg(): one record, its header as a "
	    "control message" : "No receive offload", e->suite->rx ? "  soreceive returns exactly one record with "
	    "MSG_EOR and the TLS_GET_RECORD\n  message; a TLS library "
	    "rebuilds the record header from it." :
	    "  The client has no receive session: it reads ciphertext.");
	if (e->suite->rx && read_one(e) != 0) {
		fprintf(stderr, "uktls explain: recvmsg: %s\n",
		    strerror(errno));
		goto out;
	}
	uk_net_run();
	say(e, "The client's ACKs free the server's send buffer",
	    "  tcp_input on the server: sbdrop() of the acknowledged bytes "
	    "frees the mbuf\n  and its page.");
	draw_snd(e, "server", e->srv);
	if (!e->suite->rx) {
		/* Throw the ciphertext away: this client only watches. */
		while (uk_read(e->cli, data, e->bytes) > 0)
			;
	}

	fd = uk_file_create(data, e->file);
	if (fd < 0) {
		fprintf(stderr, "uktls explain: file: %s\n", strerror(errno));
		goto out;
	}
	sbytes = 0;
	if (uk_sendfile(fd, e->srv, 0, e->file, NULL, &sbytes, 0) != 0 &&
	    sbytes == 0) {
		fprintf(stderr, "uktls explain: sendfile: %s\n",
		    strerror(errno));
		goto out;
	}
	say(e, "sendfile(): the file's pages, not a copy",
	    "  Each unmapped mbuf points at up to five page-cache pages "
	    "(m_epg_pa) with\n  the TLS header and trailer stored inside "
	    "the mbuf.  The pages are shared\n  with the file, so they "
	    "cannot be encrypted in place: the worker encrypts\n  into new "
	    "pages and swaps them in.  The records wait M_NOTREADY for "
	    "the\n  disk reads (simulated) and then for encryption.");
	draw_snd(e, "server", e->srv);
	counters("after sendfile");
	/* The reads and the encryption, and nothing of the network yet. */
	while (uk_test_sndbuf_info(e->srv, &si) == 0 && si.nnotready > 0 &&
	    uk_run_one() != 0)
		;
	say(e, "After the reads and the encryption",
	    "  The records are ready; each mbuf now holds new pages with "
	    "the ciphertext\n  and has let go of the file's pages, which "
	    "are untouched.");
	draw_snd(e, "server", e->srv);
	counters("after encryption");
	uk_net_run();
	if (e->suite->rx) {
		say(e, "The client reads the file's records", NULL);
		while (read_one(e) == 0)
			;
	}
	counters("at the end");
	printf("\nThe copies are the write's copy in and the reader's copy "
	    "out; sendfile added\nnone.  The pages still alive are the "
	    "file's, in the page cache.\ndocs/transmit.md and "
	    "docs/receive.md tell the whole story.\n");
	rc = 0;
out:
	uk_test_ktls_rx_hook(NULL, NULL);
	if (fd >= 0)
		uk_file_destroy(fd);
	uk_close(e->cli);
	uk_close(e->srv);
	uk_net_run();
	uk_run();
	free(data);
	uk_counters(&c);
	if (c.mbufs != 0 || c.clusters != 0 || c.pages != 0 ||
	    c.sessions != 0 || c.mallocs != 0) {
		fprintf(stderr, "uktls explain: objects left alive: %" PRId64
		    " mbufs, %" PRId64 " pages, %" PRId64 " sessions\n",
		    c.mbufs, c.pages, c.sessions);
		rc = 1;
	}
	return (rc);
}

int
cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "file", required_argument, NULL, 'f' },
		{ "mss", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ex e;
	uint64_t v;
	int ch;

	memset(&e, 0, sizeof(e));
	e.suite = uk_suite_by_name("aes128-gcm-1.3");
	e.bytes = 2500;
	e.file = 20 * 1024;
	e.mss = 1000;
	e.cli = e.srv = -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			e.suite = cli_suite("explain", optarg);
			if (e.suite == NULL)
				return (2);
			break;
		case 'b':
		case 'f':
			if (cli_parse_size(optarg, &v) != 0 || v == 0 ||
			    (ch == 'b' && v > 16384) || v > 1024 * 1024) {
				fprintf(stderr, "uktls explain: bad --%s '%s' "
				    "(%s)\n", ch == 'b' ? "bytes" : "file",
				    optarg, ch == 'b' ? "1..16k" : "1..1m");
				return (2);
			}
			if (ch == 'b')
				e.bytes = v;
			else
				e.file = v;
			break;
		case 'M':
			if (cli_parse_size(optarg, &v) != 0 || v < 64 ||
			    v > 65495) {
				fprintf(stderr, "uktls explain: bad --mss '%s' "
				    "(64..65495)\n", optarg);
				return (2);
			}
			e.mss = (unsigned int)v;
			break;
		case 'h':
			explain_usage(stdout);
			return (0);
		default:
			return (cli_bad_option("explain", argv, explain_usage));
		}
	}
	if (cli_extra_args("explain", argc, argv) != 0)
		return (2);
	return (run(&e));
}
