/*
 * uktls demo: software KTLS transmit end to end.
 *
 * A "server" socket gets a KTLS transmit session (keys made from the
 * seed), then sends what a web server would: a response header with
 * write(2), a file of a few MiB from the page cache with sendfile(2)
 * (no copy: the file's pages are encrypted into new pages), a control
 * record with TLS_SET_RECORD_TYPE in the middle, a trailer, and a
 * close_notify alert.  The "client" is the independent flat-buffer model
 * (model/): it takes the wire bytes, splits them into records, decrypts
 * each with its own sequence number and checks every byte and type.
 *
 * Until the TCP shim carries the bytes to a receiving socket, the wire is
 * the ready part of the server's send buffer (what tcp_output would send),
 * taken with the test hooks; the shim will replace that step.
 */
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uktls/ktls.h>
#include <uktls/socket.h>
#include <uktls/stats.h>
#include <uktls/suites.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "tls_record.h"

#include "cli.h"

struct demo_opts {
	const struct uk_suite *suite;
	uint64_t	 bytes;		/* file size */
	uint64_t	 seed;
	int		 workers;
	int		 json;
};

/* What the receiving side saw. */
struct demo_rx {
	struct tlsm_state st;
	uint64_t	 seq;
	uint8_t		*wire;		/* bytes not yet framed */
	size_t		 wlen, wcap;
	uint8_t		*app;		/* application data received */
	size_t		 alen, acap;
	uint64_t	 records, app_records, ctl_records, wire_bytes;
	int		 saw_close_notify;
	int		 failed;
	char		 why[160];
};

/* What the sender sent, in order, for the check. */
struct demo_tx {
	uint8_t		*app;
	size_t		 alen, acap;
	uint64_t	 ctl_records;
};

static void
demo_usage(FILE *fp)
{

	fprintf(fp,
	    "usage: uktls demo [--suite NAME] [--mode sw|all] [--bytes N] "
	    "[--seed N]\n"
	    "                  [--workers N] [--json]\n"
	    "\n"
	    "Run software KTLS transmit end to end: a KTLS socket sends a "
	    "response header\n"
	    "(write), a file (sendfile, zero copy), a control record and a "
	    "close_notify;\n"
	    "an independent model decrypts the wire bytes and checks every "
	    "byte and record.\n"
	    "\n"
	    "  --suite NAME   cipher suite (default aes128-gcm-1.3; "
	    "'uktls suites' lists them)\n"
	    "  --mode MODE    sw, or all (every mode that exists: sw)\n"
	    "  --bytes N      size of the file sent (default 4194304; "
	    "suffixes k, m)\n"
	    "  --seed N       seed for keys, IVs and payload (default 1)\n"
	    "  --workers N    KTLS worker threads; 0 = deterministic run "
	    "queue (default)\n"
	    "  --json         print one JSON object instead of the table\n"
	    "\n"
	    "Exit status: 0 when every byte and record matched, 1 when "
	    "not, 2 on bad usage.\n");
}

static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || s[0] == '-')
		return (-1);
	if (*end == 'k' || *end == 'K') {
		v *= 1024;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		v *= 1024 * 1024;
		end++;
	}
	if (*end != '\0')
		return (-1);
	*out = v;
	return (0);
}

/* splitmix64: keys and payload from the seed. */
static uint64_t
mix(uint64_t *x)
{
	uint64_t z;

	z = (*x += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31));
}

static void
fill(uint8_t *p, size_t len, uint64_t *x)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			v = mix(x);
		p[i] = (uint8_t)(v >> (8 * (i % 8)));
	}
}

static int
append(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	uint8_t *nb;
	size_t ncap;

	if (*len + n > *cap) {
		ncap = *cap == 0 ? 65536 : *cap;
		while (ncap < *len + n)
			ncap *= 2;
		nb = realloc(*buf, ncap);
		if (nb == NULL)
			return (-1);
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return (0);
}

static void
rx_fail(struct demo_rx *rx, const char *why)
{

	if (!rx->failed)
		snprintf(rx->why, sizeof(rx->why), "%s", why);
	rx->failed = 1;
}

/* Frame and open every whole record the wire holds. */
static void
rx_consume(struct demo_rx *rx)
{
	uint8_t pt[TLSM_MAX_PLAINTEXT + 256];
	size_t off, reclen, ptlen;
	uint8_t type;
	char why[160];
	int error;

	off = 0;
	while (!rx->failed) {
		error = tlsm_next_record(&rx->st, rx->wire + off,
		    rx->wlen - off, &reclen, NULL);
		if (error == EAGAIN)
			break;
		if (error != 0) {
			snprintf(why, sizeof(why), "record %" PRIu64
			    ": bad header (%s)", rx->records, strerror(error));
			rx_fail(rx, why);
			break;
		}
		error = tlsm_open(&rx->st, rx->seq, rx->wire + off, reclen,
		    &type, pt, sizeof(pt), &ptlen);
		if (error != 0) {
			snprintf(why, sizeof(why), "record %" PRIu64
			    " (seq %" PRIu64 "): %s", rx->records, rx->seq,
			    strerror(error));
			rx_fail(rx, why);
			break;
		}
		rx->seq++;
		rx->records++;
		if (type == TLS_RLTYPE_APP) {
			rx->app_records++;
			if (append(&rx->app, &rx->alen, &rx->acap, pt,
			    ptlen) != 0)
				rx_fail(rx, "out of memory");
		} else {
			rx->ctl_records++;
			if (type == TLS_RLTYPE_ALERT && ptlen == 2 &&
			    pt[0] == 1 && pt[1] == 0)
				rx->saw_close_notify = 1;
		}
		off += reclen;
	}
	memmove(rx->wire, rx->wire + off, rx->wlen - off);
	rx->wlen -= off;
}

/* Move what the socket has ready onto the wire, and read it. */
static int
drain(int s, struct demo_rx *rx)
{
	uint8_t buf[65536];
	ssize_t n;

	if (uk_test_sndbuf_wait(s) != 0 && errno != EAGAIN)
		return (-1);
	while ((n = uk_test_sndbuf_take(s, buf, sizeof(buf))) > 0) {
		rx->wire_bytes += n;
		if (append(&rx->wire, &rx->wlen, &rx->wcap, buf, n) != 0)
			return (-1);
	}
	if (n < 0)
		return (-1);
	rx_consume(rx);
	return (0);
}

/* write(2) all of p, draining the send buffer when it fills. */
static int
send_all(int s, const uint8_t *p, size_t len, struct demo_rx *rx)
{
	ssize_t n;

	while (len > 0) {
		n = uk_write(s, p, len);
		if (n < 0 && errno != EAGAIN)
			return (-1);
		if (n > 0) {
			p += n;
			len -= n;
		}
		if (drain(s, rx) != 0)
			return (-1);
	}
	return (0);
}

static int
send_record(int s, uint8_t type, const void *p, size_t len,
    struct demo_rx *rx)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(1)];
	} cm;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	int tries;

	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_TCP;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = type;
	/* Atomic: it either goes whole or waits for room. */
	for (tries = 0; tries < 2; tries++) {
		if (uk_sendmsg(s, &msg, 0) == (ssize_t)len)
			return (0);
		if (errno != EAGAIN)
			return (-1);
		if (drain(s, rx) != 0)
			return (-1);
	}
	return (-1);
}

static int
run_sw(const struct demo_opts *o, struct demo_rx *rx, struct demo_tx *tx,
    struct uk_counters *cnt, struct uk_ktls_stats *st, int *modep,
    char *err, size_t errlen)
{
	static const uint8_t close_notify[2] = { 1, 0 };
	uint8_t key[32], iv[16], mkey[48], hdr[300], trailer[1000];
	uint8_t ticket[180];
	struct tls_enable en;
	uint8_t *file;
	uint64_t x;
	off_t sent, sbytes, off, target;
	socklen_t optlen;
	int fd, s, error, rc;
	enum tlsm_cipher cipher;
	enum tlsm_mac mac;

	rc = -1;
	s = fd = -1;
	x = o->seed;
	fill(key, sizeof(key), &x);
	fill(iv, sizeof(iv), &x);
	fill(mkey, sizeof(mkey), &x);

	file = malloc(o->bytes > 0 ? o->bytes : 1);
	if (file == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	fill(file, o->bytes, &x);
	fd = uk_file_create(file, o->bytes);
	if (fd < 0) {
		snprintf(err, errlen, "uk_file_create: %s", strerror(errno));
		goto out;
	}
	s = uk_socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0) {
		snprintf(err, errlen, "uk_socket: %s", strerror(errno));
		goto out;
	}

	memset(&en, 0, sizeof(en));
	en.cipher_algorithm = o->suite->cipher_algorithm;
	en.cipher_key = key;
	en.cipher_key_len = o->suite->cipher_key_len;
	en.iv = iv;
	en.iv_len = o->suite->iv_len;
	en.auth_algorithm = o->suite->auth_algorithm;
	en.auth_key = o->suite->auth_key_len != 0 ? mkey : NULL;
	en.auth_key_len = o->suite->auth_key_len;
	en.tls_vmajor = TLS_MAJOR_VER_ONE;
	en.tls_vminor = o->suite->tls_vminor;
	/* TLS 1.2: the Finished was record 0; application data from 1. */
	en.rec_seq[7] = o->suite->tls_vminor == TLS_MINOR_VER_THREE ? 0 : 1;
	if (uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_ENABLE, &en,
	    sizeof(en)) != 0) {
		snprintf(err, errlen, "TCP_TXTLS_ENABLE: %s",
		    strerror(errno));
		goto out;
	}
	optlen = sizeof(*modep);
	if (uk_getsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, modep,
	    &optlen) != 0) {
		snprintf(err, errlen, "TCP_TXTLS_MODE: %s", strerror(errno));
		goto out;
	}

	/* The receiving side: the model with the same keys. */
	switch (o->suite->cipher_algorithm) {
	case CRYPTO_AES_NIST_GCM_16:
		cipher = TLSM_GCM;
		break;
	case CRYPTO_CHACHA20_POLY1305:
		cipher = TLSM_CHACHA;
		break;
	default:
		cipher = TLSM_CBC;
		break;
	}
	switch (o->suite->auth_algorithm) {
	case CRYPTO_SHA1_HMAC:
		mac = TLSM_MAC_SHA1;
		break;
	case CRYPTO_SHA2_256_HMAC:
		mac = TLSM_MAC_SHA256;
		break;
	case CRYPTO_SHA2_384_HMAC:
		mac = TLSM_MAC_SHA384;
		break;
	default:
		mac = TLSM_MAC_NONE;
		break;
	}
	error = tlsm_init(&rx->st, 0x0300 | o->suite->tls_vminor, cipher,
	    mac, key, o->suite->cipher_key_len, iv,
	    cipher == TLSM_CBC && o->suite->tls_vminor > TLS_MINOR_VER_ZERO ?
	    0 : (size_t)o->suite->iv_len, mkey, o->suite->auth_key_len);
	if (error != 0) {
		snprintf(err, errlen, "model: %s", strerror(error));
		goto out;
	}
	rx->seq = en.rec_seq[7];

	/* A response header, written. */
	snprintf((char *)hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %" PRIu64 "\r\n\r\n", o->bytes);
	if (send_all(s, hdr, strlen((char *)hdr), rx) != 0 ||
	    append(&tx->app, &tx->alen, &tx->acap, hdr,
	    strlen((char *)hdr)) != 0)
		goto io;

	/* The file: first half, a control record, second half. */
	sent = 0;
	for (off = 0; off < (off_t)o->bytes; off += sbytes) {
		if (sent == 0 && off >= (off_t)o->bytes / 2) {
			fill(ticket, sizeof(ticket), &x);
			ticket[0] = 4;	/* new_session_ticket */
			if (send_record(s, TLS_RLTYPE_HANDSHAKE, ticket,
			    sizeof(ticket), rx) != 0)
				goto io;
			tx->ctl_records++;
			sent = 1;
		}
		/* Stop at the middle until the control record is out. */
		target = sent == 0 ? (off_t)o->bytes / 2 : (off_t)o->bytes;
		if (off == target) {
			sbytes = 0;
			continue;
		}
		sbytes = 0;
		if (uk_sendfile(fd, s, off, (size_t)(target - off), NULL,
		    &sbytes, 0) != 0 && errno != EAGAIN)
			goto io;
		if (drain(s, rx) != 0)
			goto io;
	}
	if (append(&tx->app, &tx->alen, &tx->acap, file, o->bytes) != 0)
		goto io;

	/* A trailer, written, then close_notify. */
	fill(trailer, sizeof(trailer), &x);
	if (send_all(s, trailer, sizeof(trailer), rx) != 0 ||
	    append(&tx->app, &tx->alen, &tx->acap, trailer,
	    sizeof(trailer)) != 0)
		goto io;
	if (send_record(s, TLS_RLTYPE_ALERT, close_notify,
	    sizeof(close_notify), rx) != 0)
		goto io;
	tx->ctl_records++;
	if (drain(s, rx) != 0)
		goto io;

	uk_ktls_stats(st);
	rc = 0;
	goto out;
io:
	snprintf(err, errlen, "send: %s", strerror(errno));
out:
	if (s >= 0)
		uk_close(s);
	if (fd >= 0)
		uk_file_destroy(fd);
	uk_run();
	uk_counters(cnt);
	free(file);
	return (rc);
}

static const char *
mode_name(int mode)
{

	switch (mode) {
	case TCP_TLS_MODE_SW:
		return ("sw");
	case TCP_TLS_MODE_IFNET:
		return ("ifnet");
	case TCP_TLS_MODE_TOE:
		return ("toe");
	default:
		return ("none");
	}
}

int
cmd_demo(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 'S' },
		{ "workers", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct demo_opts o;
	struct demo_rx rx;
	struct demo_tx tx;
	struct uk_counters cnt;
	struct uk_ktls_stats st;
	char err[200];
	uint64_t v, payload;
	int ch, mode, ok, leaks, rc;

	memset(&o, 0, sizeof(o));
	o.suite = uk_suite_by_name("aes128-gcm-1.3");
	o.bytes = 4 * 1024 * 1024;
	o.seed = 1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o.suite = uk_suite_by_name(optarg);
			if (o.suite == NULL) {
				fprintf(stderr, "uktls demo: unknown suite "
				    "'%s' (see 'uktls suites')\n", optarg);
				return (2);
			}
			break;
		case 'm':
			if (strcmp(optarg, "sw") != 0 &&
			    strcmp(optarg, "all") != 0) {
				fprintf(stderr, "uktls demo: mode '%s' is not "
				    "available: only sw exists so far\n",
				    optarg);
				return (2);
			}
			break;
		case 'b':
			if (parse_size(optarg, &o.bytes) != 0 ||
			    o.bytes > (uint64_t)1 << 32) {
				fprintf(stderr, "uktls demo: bad --bytes "
				    "'%s'\n", optarg);
				return (2);
			}
			break;
		case 'S':
			if (parse_size(optarg, &o.seed) != 0) {
				fprintf(stderr, "uktls demo: bad --seed "
				    "'%s'\n", optarg);
				return (2);
			}
			break;
		case 'w':
			if (parse_size(optarg, &v) != 0 || v > 64) {
				fprintf(stderr, "uktls demo: bad --workers "
				    "'%s' (0..64)\n", optarg);
				return (2);
			}
			o.workers = (int)v;
			break;
		case 'j':
			o.json = 1;
			break;
		case 'h':
			demo_usage(stdout);
			return (0);
		default:
			fprintf(stderr, "uktls demo: unknown option '%s'\n",
			    argv[optind - 1]);
			demo_usage(stderr);
			return (2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uktls demo: unexpected argument '%s'\n",
		    argv[optind]);
		return (2);
	}

	uk_reset(o.seed);
	if (uk_set_workers(o.workers) != 0) {
		fprintf(stderr, "uktls demo: workers: %s\n", strerror(errno));
		return (1);
	}
	memset(&rx, 0, sizeof(rx));
	memset(&tx, 0, sizeof(tx));
	memset(&st, 0, sizeof(st));
	err[0] = '\0';
	mode = TCP_TLS_MODE_NONE;
	rc = run_sw(&o, &rx, &tx, &cnt, &st, &mode, err, sizeof(err));
	uk_set_workers(0);

	leaks = cnt.mbufs != 0 || cnt.clusters != 0 || cnt.pages != 0 ||
	    cnt.sessions != 0 || cnt.mallocs != 0;
	if (rc == 0 && !rx.failed) {
		if (rx.wlen != 0)
			rx_fail(&rx, "bytes left over after the last record");
		else if (rx.alen != tx.alen ||
		    memcmp(rx.app, tx.app, tx.alen) != 0)
			rx_fail(&rx, "application data differs");
		else if (rx.ctl_records != tx.ctl_records ||
		    !rx.saw_close_notify)
			rx_fail(&rx, "control records differ");
	}
	ok = rc == 0 && !rx.failed && !leaks;
	payload = tx.alen > 0 ? tx.alen : 1;

	if (o.json) {
		printf("{\"ok\": %s, \"suite\": \"%s\", \"modes\": [{"
		    "\"mode\": \"%s\", \"ok\": %s, \"records\": %" PRIu64
		    ", \"control_records\": %" PRIu64 ", \"bytes\": %zu, "
		    "\"wire_bytes\": %" PRIu64 ", \"segments\": 0, "
		    "\"retransmits\": 0, \"cpu_copies_per_byte\": %.4f, "
		    "\"cpu_passes_per_byte\": %.4f, \"encrypted_records\": %"
		    PRId64 ", \"in_place\": %" PRId64 ", \"separate_output\": %"
		    PRId64 ", \"leaks\": %s, \"pcap\": null, \"keylog\": null"
		    "%s%s%s}]}\n",
		    ok ? "true" : "false", o.suite->name, mode_name(mode),
		    ok ? "true" : "false", rx.records, rx.ctl_records, rx.alen,
		    rx.wire_bytes, (double)cnt.copied_bytes / payload,
		    (double)(cnt.copied_bytes + cnt.crypto_bytes) / payload,
		    st.encrypt_records, st.inplace, st.separate_output,
		    leaks ? "true" : "false", ok ? "" : ", \"error\": \"",
		    ok ? "" : (err[0] != '\0' ? err : rx.why), ok ? "" : "\"");
		goto done;
	}

	printf("uktls demo: %s, %" PRIu64 "-byte file, seed %" PRIu64
	    ", %s\n\n", o.suite->name, o.bytes, o.seed, o.workers == 0 ?
	    "deterministic run queue" : "worker threads");
	printf("  %-28s %s\n", "mode", mode_name(mode));
	printf("  %-28s %" PRIu64 " (%" PRIu64 " application data, %"
	    PRIu64 " control)\n", "records", rx.records, rx.app_records,
	    rx.ctl_records);
	printf("  %-28s %zu\n", "payload bytes", rx.alen);
	printf("  %-28s %" PRIu64 "\n", "wire bytes", rx.wire_bytes);
	printf("  %-28s %.4f\n", "CPU copies per payload byte",
	    (double)cnt.copied_bytes / payload);
	printf("  %-28s %.4f\n", "crypto passes per byte",
	    (double)cnt.crypto_bytes / payload);
	printf("  %-28s %" PRId64 " (%" PRId64 " in place, %" PRId64
	    " into new pages)\n", "records encrypted", st.encrypt_records,
	    st.inplace, st.separate_output);
	printf("  %-28s %s\n", "leaks", leaks ? "YES" : "none");
	printf("  %-28s %s\n", "result", ok ? "ok: every byte and record "
	    "matched" : "FAILED");
	if (!ok)
		fprintf(stderr, "uktls demo: %s\n",
		    err[0] != '\0' ? err : rx.why[0] != '\0' ? rx.why :
		    "objects left alive");
done:
	free(rx.wire);
	free(rx.app);
	free(tx.app);
	return (ok ? 0 : 1);
}
