/*
 * uktls demo: a TLS connection end to end through the simulated kernel.
 *
 * For each mode (sw, and ifnet: the simulated TLS NIC of
 * docs/devices.md, for the AES-GCM suites it can do) the demo
 * opens two TCP endpoints on the loopback shim, runs a real libssl
 * handshake between them (<uktls/ssl.h>) and lets KTLS take over record
 * protection in all four directions.  Then the server does what a web
 * server does: a response header with write, a file of a few MiB from
 * the page cache with sendfile (no copy), a control record in the
 * middle, a trailer, and a close_notify; the client reads every record
 * through the KTLS receive path (one record per recvmsg, its type from
 * the TLS_GET_RECORD control message) and checks each byte, each control
 * record and where it sits in the stream.
 *
 * Both ends are non-blocking and the demo moves the network itself
 * (uk_net_run()) between their turns, so the same loop works in the
 * deterministic mode and with worker threads.  Every segment goes into a
 * pcap and every secret into a key log, which tshark reads.
 *
 * In ifnet mode the server's transmit session is switched to the NIC
 * with TCP_TXTLS_MODE right after libssl hands it over (the loopback
 * interface's txtls capability turned on for the run), so the records
 * of the response stay plaintext in the send buffer and the NIC encrypts
 * them on the wire; the table then shows no host crypto pass for them.
 *
 * aes128-cbc-sha384-1.2 is in FreeBSD's table but in no TLS cipher
 * suite, so libssl cannot negotiate it: for it the keys come from the
 * seed, as in FreeBSD's own tests, and the capture has no key log.
 */
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <uktls/ktls.h>
#include <uktls/net.h>
#include <uktls/socket.h>
#include <uktls/ssl.h>
#include <uktls/stats.h>
#include <uktls/suites.h>
#include <uktls/uktls.h>

#include "cli.h"

#define	DEMO_MODES	2		/* modes that exist: sw, ifnet */
#define	MODE_IFNET	1
#define	DEMO_RECBUF	(16384 + 256)
#define	DEMO_STALL	10000		/* rounds without progress */

static const char *const mode_names[] = { "sw", "ifnet", "toe" };

struct demo_opts {
	const struct uk_suite *suite;
	int		 modes;		/* bit per mode */
	int		 all;		/* --mode all */
	uint64_t	 bytes;		/* file size */
	uint64_t	 seed;
	struct uk_net_config net;
	int		 workers;
	int		 json;
	int		 progress;
	char		 pcap[PATH_MAX];
	char		 keylog[PATH_MAX];
};

/* One mode's run. */
struct demo_result {
	int		 mode;
	int		 ok;
	int		 skipped;	/* the mode cannot do this suite */
	char		 pcap[PATH_MAX];
	uint64_t	 records, app_records, ctl_records;
	uint64_t	 bytes;		/* application data received */
	uint64_t	 segments, retransmits;
	double		 copies_per_byte, passes_per_byte;
	int64_t		 encrypted, decrypted, inplace, separate;
	int64_t		 nic_records, nic_resyncs, nic_dump;	/* ifnet */
	int		 leaks;
	int		 handshake;	/* libssl handshake made */
	enum uk_ssl_ktls tx, rx;	/* how server TX / client RX began */
	int		 keys_checked, keys_agreed;
	double		 seconds;	/* wall time */
	char		 why[PATH_MAX + 256];
};

/* What the server sends, in order; the client checks against it. */
struct demo_script {
	uint8_t		*hdr;
	size_t		 hdrlen;
	uint8_t		*file;
	size_t		 filelen;
	uint8_t		 ticket[180];
	uint8_t		 trailer[1000];
	char		 sha256[65];	/* of the application data */
};

/* Where the server is in the script. */
enum demo_step {
	ST_HDR, ST_FILE1, ST_TICKET, ST_FILE2, ST_TRAILER, ST_CLOSE,
	ST_SHUT, ST_DONE
};

struct demo_conn {
	struct uk_ssl_pair	 p;
	int			 raw;	/* keys from the seed, no libssl */
	int			 ticket; /* send the mid-stream record */
	int			 fd;	/* the file */
	enum demo_step		 step;
	size_t			 off;	/* within the step */
	/* client side */
	uint64_t		 app_off;	/* application bytes so far */
	int			 nctl;		/* control records so far */
	int			 eof;
	uint8_t			*rbuf;
};

static void
demo_usage(FILE *fp)
{

	fprintf(fp,
	    "usage: uktls demo [--suite NAME] [--mode sw|ifnet|toe|all] "
	    "[--bytes N]\n"
	    "                  [--mss N] [--loss PCT] [--reorder PCT] "
	    "[--dup PCT]\n"
	    "                  [--split PCT] [--seed N]\n"
	    "                  [--pcap FILE] [--keylog FILE] [--workers N] "
	    "[--json]\n"
	    "\n"
	    "A TLS connection end to end through the simulated kernel: a "
	    "real OpenSSL\n"
	    "handshake over the loopback TCP shim, then KTLS in both "
	    "directions.  The\n"
	    "server writes a response header, sends a file with sendfile "
	    "(zero copy),\n"
	    "a control record, a trailer and a close_notify; the client "
	    "reads every\n"
	    "record through the KTLS receive path and checks each byte.\n"
	    "\n"
	    "  --suite NAME   cipher suite (default aes128-gcm-1.3; "
	    "'uktls suites')\n"
	    "  --mode MODE    sw, ifnet (the simulated TLS NIC; AES-GCM "
	    "only), toe,\n"
	    "                 or all (every mode that exists; default)\n"
	    "  --bytes N      size of the file (default 4m; suffixes k, m)\n"
	    "  --mss N        TCP maximum segment size (default 1448)\n"
	    "  --loss PCT     %% of segments the network drops (default 0)\n"
	    "  --reorder PCT  %% of segments held back behind later ones\n"
	    "  --dup PCT      %% of segments delivered twice\n"
	    "  --split PCT    %% of segments cut in two at a random point\n"
	    "  --seed N       seed for keys, payload and faults (default 1)\n"
	    "  --pcap FILE    capture (default build/out/demo.pcap; with "
	    "--mode all\n"
	    "                 each mode's name goes before the extension)\n"
	    "  --keylog FILE  NSS key log for the capture (default "
	    "build/out/demo.keys)\n"
	    "  --workers N    worker threads; 0 = deterministic run queue "
	    "(default)\n"
	    "  --json         print one JSON object instead of the table\n"
	    "\n"
	    "Read the capture with:\n"
	    "  tshark -r build/out/demo-sw.pcap -o "
	    "tls.keylog_file:build/out/demo.keys\n"
	    "\n"
	    "Exit status: 0 when every byte and record matched in every "
	    "mode, 1 when\n"
	    "not, 2 on bad usage.\n");
}

static int
parse_pct(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 50))
		return (-1);
	*out = v;
	return (0);
}

/* splitmix64: payload and raw keys from the seed. */
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

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/*
 * build/out/NAME beside the executable's directory (build/bin), made if
 * missing.
 */
static int
default_path(char *buf, size_t len, const char *name)
{
	char exe[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return (-1);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return (-1);
	*slash = '\0';
	if (snprintf(buf, len, "%s/../out", exe) >= (int)len)
		return (-1);
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return (-1);
	if (realpath(buf, exe) == NULL)
		return (-1);
	if (snprintf(buf, len, "%s/%s", exe, name) >= (int)len)
		return (-1);
	return (0);
}

/* FILE.pcap -> FILE-MODE.pcap */
static int
mode_path(char *buf, size_t len, const char *path, const char *mode)
{
	const char *dot, *slash;
	int n;

	dot = strrchr(path, '.');
	slash = strrchr(path, '/');
	if (dot == NULL || (slash != NULL && dot < slash))
		n = snprintf(buf, len, "%s-%s", path, mode);
	else
		n = snprintf(buf, len, "%.*s-%s%s", (int)(dot - path), path,
		    mode, dot);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* One record of a type, atomically, as uk_ssl_send() does it. */
static ssize_t
raw_send(int s, uint8_t type, const void *p, size_t len)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(1)];
	} cm;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;

	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (type != TLS_RLTYPE_APP) {
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = IPPROTO_TCP;
		c->cmsg_type = TLS_SET_RECORD_TYPE;
		c->cmsg_len = CMSG_LEN(1);
		*CMSG_DATA(c) = type;
	}
	return (uk_sendmsg(s, &msg, 0));
}

/*
 * The pair for a suite libssl cannot negotiate: TCP, and keys from the
 * seed in both directions (application data from sequence 1, as after
 * a TLS 1.2 handshake).
 */
static int
raw_open(const struct demo_opts *o, struct demo_conn *c, char *why,
    size_t len)
{
	uint8_t key[32], iv[16], mkey[48];
	struct tls_enable en;
	int sv[2], i, opt;
	uint64_t x;

	if (uk_socketpair_tcp(sv) != 0) {
		snprintf(why, len, "socket pair: %s", strerror(errno));
		return (-1);
	}
	c->p.client.s = sv[0];
	c->p.server.s = sv[1];
	x = o->seed;
	fill(key, sizeof(key), &x);
	fill(iv, sizeof(iv), &x);
	fill(mkey, sizeof(mkey), &x);
	cli_tls_enable(o->suite, key, iv, mkey, 1, &en);
	for (i = 0; i < 2; i++) {
		opt = i == 0 ? TCP_TXTLS_ENABLE : TCP_RXTLS_ENABLE;
		if (uk_setsockopt(i == 0 ? sv[1] : sv[0], IPPROTO_TCP, opt,
		    &en, sizeof(en)) != 0) {
			snprintf(why, len, "%s: %s", i == 0 ?
			    "TCP_TXTLS_ENABLE" : "TCP_RXTLS_ENABLE",
			    strerror(errno));
			return (-1);
		}
	}
	return (0);
}

static ssize_t
srv_send(struct demo_conn *c, uint8_t type, const void *p, size_t len)
{

	if (c->raw)
		return (raw_send(c->p.server.s, type, p, len));
	return (uk_ssl_send(&c->p.server, type, p, len));
}

static ssize_t
srv_sendfile(struct demo_conn *c, off_t off, size_t len)
{
	off_t sbytes;

	if (!c->raw)
		return (uk_ssl_sendfile(&c->p.server, c->fd, off, len, 0));
	sbytes = 0;
	if (uk_sendfile(c->fd, c->p.server.s, off, len, NULL, &sbytes,
	    0) != 0 && sbytes == 0)
		return (-1);
	return ((ssize_t)sbytes);
}

/*
 * The server's turn: as much of the script as the send buffer takes.
 * Returns 1 if it moved, 0 if it is waiting for room, -1 on error.
 */
static int
server_turn(struct demo_conn *c, const struct demo_script *sc, char *why,
    size_t len)
{
	static const uint8_t close_notify[2] = { 1, 0 };
	size_t half;
	ssize_t n;
	int moved;

	half = sc->filelen / 2;
	moved = 0;
	for (;;) {
		switch (c->step) {
		case ST_HDR:
			n = srv_send(c, TLS_RLTYPE_APP, sc->hdr + c->off,
			    sc->hdrlen - c->off);
			break;
		case ST_FILE1:
		case ST_FILE2:
			if (c->step == ST_FILE1 ? c->off == half :
			    c->off == sc->filelen) {
				n = 0;
				break;
			}
			n = srv_sendfile(c, (off_t)c->off, (c->step ==
			    ST_FILE1 ? half : sc->filelen) - c->off);
			break;
		case ST_TICKET:
			if (!c->ticket) {
				n = 0;
				break;
			}
			n = srv_send(c, TLS_RLTYPE_HANDSHAKE, sc->ticket,
			    sizeof(sc->ticket));
			if (n > 0 && (size_t)n != sizeof(sc->ticket)) {
				snprintf(why, len, "control record cut "
				    "(%zd of %zu bytes)", n,
				    sizeof(sc->ticket));
				return (-1);
			}
			break;
		case ST_TRAILER:
			n = srv_send(c, TLS_RLTYPE_APP, sc->trailer + c->off,
			    sizeof(sc->trailer) - c->off);
			break;
		case ST_CLOSE:
			n = srv_send(c, TLS_RLTYPE_ALERT, close_notify,
			    sizeof(close_notify));
			break;
		case ST_SHUT:
			n = uk_shutdown(c->p.server.s, SHUT_WR);
			break;
		default:
			return (moved);
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == ENOBUFS)
				return (moved);
			snprintf(why, len, "server, step %d: %s", c->step,
			    strerror(errno));
			return (-1);
		}
		c->off += n;
		moved |= n > 0;
		switch (c->step) {
		case ST_HDR:
			if (c->off < sc->hdrlen)
				continue;
			break;
		case ST_FILE1:
			if (c->off < half)
				continue;
			break;
		case ST_FILE2:
			if (c->off < sc->filelen)
				continue;
			break;
		case ST_TRAILER:
			if (c->off < sizeof(sc->trailer))
				continue;
			break;
		default:
			break;
		}
		/* The file's two halves share one offset. */
		if (c->step != ST_FILE1 && c->step != ST_TICKET)
			c->off = 0;
		else if (c->step == ST_TICKET)
			c->off = half;
		c->step++;
		moved = 1;
	}
}

/* The application byte at stream offset off. */
static uint8_t
expected_byte(const struct demo_script *sc, uint64_t off)
{

	if (off < sc->hdrlen)
		return (sc->hdr[off]);
	off -= sc->hdrlen;
	if (off < sc->filelen)
		return (sc->file[off]);
	return (sc->trailer[off - sc->filelen]);
}

/*
 * One record through recvmsg and its TLS_GET_RECORD message (keys from
 * the seed), or through uk_ssl_recv() (a handshake).
 */
static ssize_t
client_recv(struct demo_conn *c, uint8_t *type, int *eor)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct tls_get_record))];
	} cm;
	struct tls_get_record tgr;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cmsg;
	ssize_t n;

	if (!c->raw) {
		*eor = 1;
		return (uk_ssl_recv(&c->p.client, c->rbuf, DEMO_RECBUF,
		    type));
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = c->rbuf;
	iov.iov_len = DEMO_RECBUF;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	n = uk_recvmsg(c->p.client.s, &msg, 0);
	if (n <= 0)
		return (n);
	*type = 0;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == IPPROTO_TCP &&
		    cmsg->cmsg_type == TLS_GET_RECORD &&
		    cmsg->cmsg_len >= CMSG_LEN(sizeof(tgr))) {
			memcpy(&tgr, CMSG_DATA(cmsg), sizeof(tgr));
			*type = tgr.tls_type;
		}
	}
	*eor = (msg.msg_flags & MSG_EOR) != 0;
	return (n);
}

/*
 * The client's turn: every record there is.  Returns 1 if it read
 * something, 0 if nothing was there, -1 when a record is wrong.
 */
static int
client_turn(struct demo_conn *c, const struct demo_script *sc,
    struct demo_result *r)
{
	static const uint8_t close_notify[2] = { 1, 0 };
	uint8_t type;
	uint64_t at;
	ssize_t n, i;
	int eor, moved;

	moved = 0;
	while (!c->eof) {
		n = client_recv(c, &type, &eor);
		if (n < 0) {
			if (errno == EAGAIN)
				return (moved);
			snprintf(r->why, sizeof(r->why), "client, record %"
			    PRIu64 ": %s", r->records, strerror(errno));
			return (-1);
		}
		moved = 1;
		if (n == 0 && (c->raw || type == 0)) {
			c->eof = 1;
			if (c->nctl != 1 + c->ticket) {
				snprintf(r->why, sizeof(r->why), "end of "
				    "stream before the close_notify");
				return (-1);
			}
			break;
		}
		if (!eor) {
			snprintf(r->why, sizeof(r->why), "record %" PRIu64
			    ": no MSG_EOR", r->records);
			return (-1);
		}
		r->records++;
		if (type == TLS_RLTYPE_APP) {
			r->app_records++;
			at = c->app_off;
			for (i = 0; i < n; i++) {
				if (at + i >= sc->hdrlen + sc->filelen +
				    sizeof(sc->trailer) ||
				    c->rbuf[i] != expected_byte(sc, at + i)) {
					snprintf(r->why, sizeof(r->why),
					    "application byte %" PRIu64
					    " differs", at + i);
					return (-1);
				}
			}
			c->app_off += n;
			r->bytes += n;
			continue;
		}
		/*
		 * Control records: the ticket right after the first half
		 * of the file, the close_notify after everything.
		 */
		r->ctl_records++;
		if (c->ticket && c->nctl == 0 &&
		    type == TLS_RLTYPE_HANDSHAKE &&
		    (size_t)n == sizeof(sc->ticket) &&
		    memcmp(c->rbuf, sc->ticket, n) == 0 &&
		    c->app_off == sc->hdrlen + sc->filelen / 2) {
			c->nctl++;
			continue;
		}
		if (c->nctl == c->ticket && type == TLS_RLTYPE_ALERT &&
		    n == 2 &&
		    memcmp(c->rbuf, close_notify, 2) == 0 &&
		    c->app_off == sc->hdrlen + sc->filelen +
		    sizeof(sc->trailer)) {
			c->nctl++;
			continue;
		}
		snprintf(r->why, sizeof(r->why), "record %" PRIu64 ": "
		    "unexpected control record (type %u, %zd bytes, after "
		    "%" PRIu64 " application bytes)", r->records - 1, type,
		    n, c->app_off);
		return (-1);
	}
	return (moved);
}

/* A progress line, from the first second on; 1 once one is shown. */
static int
progress(const struct demo_opts *o, const struct demo_conn *c,
    const struct demo_script *sc, int mode, double *last)
{
	double t, total;

	if (!o->progress)
		return (0);
	t = now();
	if (t - *last < 0.2)
		return (0);
	*last = t;
	total = sc->hdrlen + sc->filelen + sizeof(sc->trailer);
	printf("\r  %s: %5.1f%% of %.1f MiB received", mode_names[mode],
	    100.0 * c->app_off / total, sc->filelen / 1048576.0);
	fflush(stdout);
	return (1);
}

/* Suites the simulated NIC encrypts (docs/devices.md). */
static int
nic_suite(const struct uk_suite *s)
{

	return (s->cipher_algorithm == CRYPTO_AES_NIST_GCM_16 &&
	    (s->tls_vminor == TLS_MINOR_VER_TWO ||
	    s->tls_vminor == TLS_MINOR_VER_THREE));
}

/*
 * The server's transmit session, as libssl handed it over, moves to the
 * NIC: lo0 gets its txtls capability and TCP_TXTLS_MODE switches.
 */
static int
to_ifnet(int s, char *why, size_t len)
{
	socklen_t optlen;
	int mode;

	if (uk_sysctl_int("net.link.lo.txtls", NULL, &(int){ 1 }) != 0) {
		snprintf(why, len, "net.link.lo.txtls: %s", strerror(errno));
		return (-1);
	}
	mode = TCP_TLS_MODE_IFNET;
	if (uk_setsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    sizeof(mode)) != 0) {
		snprintf(why, len, "TCP_TXTLS_MODE ifnet: %s",
		    strerror(errno));
		return (-1);
	}
	optlen = sizeof(mode);
	if (uk_getsockopt(s, IPPROTO_TCP, TCP_TXTLS_MODE, &mode,
	    &optlen) != 0 || mode != TCP_TLS_MODE_IFNET) {
		snprintf(why, len, "the server's transmit session is not in "
		    "ifnet mode (no KTLS hand-off?)");
		return (-1);
	}
	return (0);
}

static int
run_mode(const struct demo_opts *o, const struct demo_script *sc,
    int mode, struct demo_result *r)
{
	struct uk_ssl_pair_config cfg;
	struct uk_net_stats ns;
	struct uk_counters c0, c1;
	struct uk_ktls_stats st, st0;
	struct demo_conn c;
	char path[PATH_MAX];
	double t0, last;
	int stall, shown, a, b, i, rc;

	memset(&c, 0, sizeof(c));
	shown = 0;
	c.p.client.s = c.p.server.s = -1;
	c.fd = -1;
	rc = -1;
	t0 = now();
	last = t0 + 0.8;	/* nothing for runs under a second */
	r->mode = mode;

	if (mode == MODE_IFNET && !nic_suite(o->suite)) {
		r->skipped = 1;
		r->ok = 1;
		snprintf(r->why, sizeof(r->why), "skipped: the NIC does "
		    "AES-GCM TLS 1.2 and 1.3 only (as mlx5)");
		return (0);
	}
	/* The statistics run on across uk_reset(): this run's from here. */
	uk_ktls_stats(&st0);
	uk_reset(o->seed);
	if (uk_net_config(&o->net, NULL) != 0) {
		snprintf(r->why, sizeof(r->why), "network settings: %s",
		    strerror(errno));
		return (-1);
	}
	if (o->all) {
		if (mode_path(path, sizeof(path), o->pcap,
		    mode_names[mode]) != 0) {
			snprintf(r->why, sizeof(r->why), "capture path too "
			    "long");
			return (-1);
		}
	} else
		memcpy(path, o->pcap, sizeof(path));
	if (uk_net_pcap_open(path) != 0) {
		snprintf(r->why, sizeof(r->why), "%s: %s", path,
		    strerror(errno));
		return (-1);
	}
	memcpy(r->pcap, path, sizeof(r->pcap));
	if (uk_set_workers(o->workers) != 0) {
		snprintf(r->why, sizeof(r->why), "workers: %s",
		    strerror(errno));
		goto out;
	}
	c.rbuf = malloc(DEMO_RECBUF);
	if (c.rbuf == NULL) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		goto out;
	}
	c.fd = uk_file_create(sc->file, sc->filelen);
	if (c.fd < 0) {
		snprintf(r->why, sizeof(r->why), "page cache: %s",
		    strerror(errno));
		goto out;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.suite = o->suite->name;
	if (o->suite->openssl_name == NULL) {
		c.raw = 1;
		if (raw_open(o, &c, r->why, sizeof(r->why)) != 0)
			goto out;
	} else {
		if (uk_ssl_pair_open(&cfg, &c.p, r->why, sizeof(r->why)) !=
		    0)
			goto out;
		r->handshake = 1;
		r->tx = c.p.server.tx;
		r->rx = c.p.client.rx;
		r->keys_checked = c.p.checked;
		r->keys_agreed = c.p.agreed;
	}
	/*
	 * libssl reads TLS 1.0 itself (FreeBSD has no TLS 1.0 receive
	 * offload), and would take a handshake message in mid-stream for
	 * a renegotiation: that run goes without one.
	 */
	c.ticket = c.raw || c.p.client.rx != UK_SSL_KTLS_NONE;
	if (mode == MODE_IFNET && to_ifnet(c.p.server.s, r->why,
	    sizeof(r->why)) != 0)
		goto out;
	uk_set_nonblock(c.p.client.s, 1);
	uk_set_nonblock(c.p.server.s, 1);
	uk_counters(&c0);

	/* Turns until the client has read the end of the stream. */
	for (stall = 0; !c.eof; ) {
		a = server_turn(&c, sc, r->why, sizeof(r->why));
		if (a < 0)
			goto out;
		uk_net_run();
		b = client_turn(&c, sc, r);
		if (b < 0)
			goto out;
		uk_net_run();
		stall = a || b ? 0 : stall + 1;
		if (stall > DEMO_STALL) {
			snprintf(r->why, sizeof(r->why), "stalled: server "
			    "at step %d, client at byte %" PRIu64, c.step,
			    c.app_off);
			goto out;
		}
		shown |= progress(o, &c, sc, mode, &last);
	}
	if (c.app_off != sc->hdrlen + sc->filelen + sizeof(sc->trailer)) {
		snprintf(r->why, sizeof(r->why), "%" PRIu64 " application "
		    "bytes received, %zu sent", c.app_off, sc->hdrlen +
		    sc->filelen + sizeof(sc->trailer));
		goto out;
	}
	uk_counters(&c1);
	uk_ktls_stats(&st);
	for (i = 0; i < 2; i++) {
		if (uk_net_stats(i == 0 ? c.p.client.s : c.p.server.s,
		    &ns) == 0) {
			r->segments += ns.snd_total;
			r->retransmits += ns.snd_rexmitpack;
		}
	}
	r->copies_per_byte = r->bytes == 0 ? 0 :
	    (double)(c1.copied_bytes - c0.copied_bytes) / r->bytes;
	r->passes_per_byte = r->bytes == 0 ? 0 :
	    (double)(c1.copied_bytes - c0.copied_bytes + c1.crypto_bytes -
	    c0.crypto_bytes) / r->bytes;
	r->encrypted = st.encrypt_records - st0.encrypt_records;
	r->decrypted = st.decrypt_records - st0.decrypt_records;
	r->inplace = st.inplace - st0.inplace;
	r->separate = st.separate_output - st0.separate_output;
	r->nic_records = st.ifnet_records - st0.ifnet_records;
	r->nic_resyncs = st.ifnet_resyncs - st0.ifnet_resyncs;
	r->nic_dump = st.ifnet_dump_bytes - st0.ifnet_dump_bytes;
	rc = 0;
out:
	if (shown) {
		printf("\r\033[K");
		fflush(stdout);
	}
	if (c.raw) {
		if (c.p.client.s >= 0)
			uk_close(c.p.client.s);
		if (c.p.server.s >= 0)
			uk_close(c.p.server.s);
	} else if (r->handshake)
		uk_ssl_pair_close(&c.p);
	if (c.fd >= 0)
		uk_file_destroy(c.fd);
	uk_net_run();
	uk_set_workers(0);
	uk_run();
	uk_net_pcap_close();
	(void)uk_sysctl_int("net.link.lo.txtls", NULL, &(int){ 0 });
	uk_counters(&c1);
	r->leaks = c1.mbufs != 0 || c1.clusters != 0 || c1.pages != 0 ||
	    c1.sessions != 0 || c1.mallocs != 0;
	if (rc == 0 && r->leaks) {
		snprintf(r->why, sizeof(r->why), "objects left alive: %"
		    PRId64 " mbufs, %" PRId64 " pages, %" PRId64 " sessions, %"
		    PRId64 " allocations", c1.mbufs, c1.pages, c1.sessions,
		    c1.mallocs);
		rc = -1;
	}
	free(c.rbuf);
	r->seconds = now() - t0;
	r->ok = rc == 0;
	return (rc);
}

/* A JSON string: the paths and messages here are plain, but quote. */
static void
json_str(const char *s)
{

	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
print_json(const struct demo_opts *o, const struct demo_script *sc,
    const struct demo_result *res, int n, int ok)
{
	const struct demo_result *r;
	int i;

	printf("{\"ok\": %s, \"suite\": \"%s\", \"bytes\": %" PRIu64
	    ", \"seed\": %" PRIu64 ", \"workers\": %d, \"sent_sha256\": "
	    "\"%s\", \"keylog\": ", ok ? "true" : "false", o->suite->name,
	    o->bytes, o->seed, o->workers, sc->sha256);
	if (o->suite->openssl_name != NULL)
		json_str(o->keylog);
	else
		printf("null");
	printf(", \"modes\": [");
	for (i = 0; i < n; i++) {
		r = &res[i];
		if (r->skipped) {
			printf("%s{\"mode\": \"%s\", \"ok\": true, "
			    "\"skipped\": ", i == 0 ? "" : ", ",
			    mode_names[r->mode]);
			json_str(r->why);
			printf("}");
			continue;
		}
		printf("%s{\"mode\": \"%s\", \"ok\": %s, \"records\": %"
		    PRIu64 ", \"control_records\": %" PRIu64 ", \"bytes\": %"
		    PRIu64 ", \"segments\": %" PRIu64 ", \"retransmits\": %"
		    PRIu64 ", \"cpu_copies_per_byte\": %.4f, "
		    "\"cpu_passes_per_byte\": %.4f, \"encrypted_records\": %"
		    PRId64 ", \"decrypted_records\": %" PRId64
		    ", \"in_place\": %" PRId64 ", \"separate_output\": %"
		    PRId64 ", \"handshake\": %s, \"tx_keys\": \"%s\", "
		    "\"rx_keys\": \"%s\", \"keys_agree\": %s, "
		    "\"leaks\": %s, \"seconds\": %.3f, \"pcap\": ",
		    i == 0 ? "" : ", ", mode_names[r->mode],
		    r->ok ? "true" : "false", r->records, r->ctl_records,
		    r->bytes, r->segments, r->retransmits, r->copies_per_byte,
		    r->passes_per_byte, r->encrypted, r->decrypted,
		    r->inplace, r->separate, r->handshake ? "true" : "false",
		    r->handshake ? uk_ssl_ktls_name(r->tx) : "seed",
		    r->handshake ? uk_ssl_ktls_name(r->rx) : "seed",
		    !r->keys_checked ? "null" : r->keys_agreed ? "true" :
		    "false", r->leaks ? "true" : "false", r->seconds);
		if (r->pcap[0] != '\0')
			json_str(r->pcap);
		else
			printf("null");
		printf(", \"keylog\": ");
		if (o->suite->openssl_name != NULL)
			json_str(o->keylog);
		else
			printf("null");
		if (r->mode == MODE_IFNET)
			printf(", \"nic_records\": %" PRId64 ", "
			    "\"nic_resyncs\": %" PRId64 ", \"nic_dump_bytes\": %"
			    PRId64, r->nic_records, r->nic_resyncs,
			    r->nic_dump);
		if (!r->ok) {
			printf(", \"error\": ");
			json_str(r->why);
		}
		printf("}");
	}
	printf("]}\n");
}

static const char *
keys_line(const struct demo_result *r, char *buf, size_t len)
{

	if (!r->handshake)
		return ("from the seed (no TLS cipher suite uses this "
		    "combination)");
	snprintf(buf, len, "server TX %s, client RX %s%s",
	    uk_ssl_ktls_name(r->tx), r->rx == UK_SSL_KTLS_NONE ?
	    "in libssl (no TLS 1.0 receive offload)" :
	    uk_ssl_ktls_name(r->rx), !r->keys_checked ? "" :
	    r->keys_agreed ? "; hand-off agrees with key log" :
	    "; hand-off DIFFERS from key log");
	return (buf);
}

static void
print_table(const struct demo_opts *o, const struct demo_result *res,
    int n)
{
	const struct demo_result *r;
	char buf[200];
	int i;

	printf("uktls demo: %s, %" PRIu64 "-byte file, seed %" PRIu64
	    ", %s\n", o->suite->name, o->bytes, o->seed, o->workers == 0 ?
	    "deterministic run queue" : "worker threads");
	printf("  network: MSS %u, loss %g%%, reorder %g%%, dup %g%%, "
	    "split %g%%\n", o->net.mss == 0 ? 1448 : o->net.mss,
	    o->net.loss_pct, o->net.reorder_pct, o->net.dup_pct,
	    o->net.split_pct);
	for (i = 0; i < n; i++) {
		r = &res[i];
		printf("\n  %-30s %s\n", "mode", mode_names[r->mode]);
		if (r->skipped) {
			printf("  %-30s %s\n", "result", r->why);
			continue;
		}
		printf("  %-30s %s\n", "keys (server to client)",
		    keys_line(r, buf, sizeof(buf)));
		printf("  %-30s %" PRIu64 " (%" PRIu64 " application data, %"
		    PRIu64 " control)\n", "records received", r->records,
		    r->app_records, r->ctl_records);
		printf("  %-30s %" PRIu64 "\n", "application bytes",
		    r->bytes);
		printf("  %-30s %" PRIu64 " (%" PRIu64 " retransmitted)\n",
		    "TCP segments", r->segments, r->retransmits);
		printf("  %-30s %.4f\n", "CPU copies per payload byte",
		    r->copies_per_byte);
		printf("  %-30s %.4f\n", "CPU passes per byte",
		    r->passes_per_byte);
		printf("  %-30s %" PRId64 " encrypted (%" PRId64 " in place, %"
		    PRId64 " into new pages), %" PRId64 " decrypted\n",
		    "records", r->encrypted, r->inplace, r->separate,
		    r->decrypted);
		if (r->mode == MODE_IFNET)
			printf("  %-30s %" PRId64 " records in order, %" PRId64
			    " resyncs re-reading %" PRId64 " bytes\n",
			    "NIC encrypted", r->nic_records, r->nic_resyncs,
			    r->nic_dump);
		printf("  %-30s %s\n", "capture",
		    r->pcap[0] != '\0' ? r->pcap : "-");
		printf("  %-30s %.2f s\n", "time", r->seconds);
		printf("  %-30s %s\n", "result", r->ok ? "ok: every byte and "
		    "record matched" : "FAILED");
	}
	if (o->suite->openssl_name != NULL)
		printf("\n  key log: %s\n", o->keylog);
	printf("  (copies and passes count both ends: the reader's copy "
	    "out, the\n   writes' copy in, encryption and decryption)\n");
}

/* So that a reader of the capture can check what it decrypted. */
static int
script_digest(struct demo_script *sc)
{
	uint8_t md[32];
	unsigned int mdlen, i;
	EVP_MD_CTX *ctx;
	int ok;

	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, sc->hdr, sc->hdrlen) &&
	    EVP_DigestUpdate(ctx, sc->file, sc->filelen) &&
	    EVP_DigestUpdate(ctx, sc->trailer, sizeof(sc->trailer)) &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return (-1);
	for (i = 0; i < mdlen; i++)
		snprintf(sc->sha256 + 2 * i, 3, "%02x", md[i]);
	return (0);
}

static int
parse_mode(const char *s, struct demo_opts *o)
{
	int i;

	if (strcmp(s, "all") == 0) {
		o->modes = (1 << DEMO_MODES) - 1;
		o->all = 1;
		return (0);
	}
	for (i = 0; i < 3; i++) {
		if (strcmp(s, mode_names[i]) != 0)
			continue;
		if (i >= DEMO_MODES) {
			fprintf(stderr, "uktls demo: mode '%s' is not "
			    "available: this build has no simulated %s "
			    "device yet (modes: sw, ifnet, all)\n", s, s);
			return (-1);
		}
		o->modes = 1 << i;
		o->all = 0;
		return (0);
	}
	fprintf(stderr, "uktls demo: unknown mode '%s' (sw, ifnet, toe, "
	    "all)\n", s);
	return (-1);
}

static int
parse_args(int argc, char **argv, struct demo_opts *o)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "mode", required_argument, NULL, 'm' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "mss", required_argument, NULL, 'M' },
		{ "loss", required_argument, NULL, 'l' },
		{ "reorder", required_argument, NULL, 'r' },
		{ "dup", required_argument, NULL, 'd' },
		{ "split", required_argument, NULL, 'x' },
		{ "seed", required_argument, NULL, 'S' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "keylog", required_argument, NULL, 'k' },
		{ "workers", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t v;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->suite = cli_suite("demo", optarg);
			if (o->suite == NULL)
				return (2);
			break;
		case 'm':
			if (parse_mode(optarg, o) != 0)
				return (2);
			break;
		case 'b':
			if (cli_parse_size(optarg, &o->bytes) != 0 ||
			    o->bytes > (uint64_t)1 << 32) {
				fprintf(stderr, "uktls demo: bad --bytes '%s' "
				    "(0 to 4g)\n", optarg);
				return (2);
			}
			break;
		case 'M':
			if (cli_parse_size(optarg, &v) != 0 || v < 64 ||
			    v > 65495) {
				fprintf(stderr, "uktls demo: bad --mss '%s' "
				    "(64..65495)\n", optarg);
				return (2);
			}
			o->net.mss = (unsigned int)v;
			break;
		case 'l':
		case 'r':
		case 'd':
		case 'x':
			if (parse_pct(optarg, ch == 'l' ? &o->net.loss_pct :
			    ch == 'r' ? &o->net.reorder_pct : ch == 'd' ?
			    &o->net.dup_pct : &o->net.split_pct) != 0) {
				fprintf(stderr, "uktls demo: bad --%s '%s' "
				    "(a percentage, 0..50)\n", ch == 'l' ?
				    "loss" : ch == 'r' ? "reorder" : ch == 'd' ?
				    "dup" : "split", optarg);
				return (2);
			}
			break;
		case 'S':
			if (cli_parse_size(optarg, &o->seed) != 0) {
				fprintf(stderr, "uktls demo: bad --seed "
				    "'%s'\n", optarg);
				return (2);
			}
			break;
		case 'p':
		case 'k':
			if (snprintf(ch == 'p' ? o->pcap : o->keylog,
			    PATH_MAX, "%s", optarg) >= PATH_MAX) {
				fprintf(stderr, "uktls demo: path too long\n");
				return (2);
			}
			break;
		case 'w':
			if (cli_parse_workers("demo", optarg, &o->workers) != 0)
				return (2);
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			demo_usage(stdout);
			return (0);
		default:
			return (cli_bad_option("demo", argv, demo_usage));
		}
	}
	if (cli_extra_args("demo", argc, argv) != 0)
		return (2);
	return (-1);
}

int
cmd_demo(int argc, char **argv)
{
	struct demo_result res[DEMO_MODES];
	struct demo_script sc;
	struct demo_opts o;
	uint64_t x;
	int i, n, ok, rc;

	memset(&o, 0, sizeof(o));
	o.suite = uk_suite_by_name("aes128-gcm-1.3");
	o.modes = (1 << DEMO_MODES) - 1;
	o.all = 1;
	o.bytes = 4 * 1024 * 1024;
	o.seed = 1;
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return (rc);
	o.net.seed = o.seed;
	if ((o.pcap[0] == '\0' && default_path(o.pcap, sizeof(o.pcap),
	    "demo.pcap") != 0) || (o.keylog[0] == '\0' &&
	    default_path(o.keylog, sizeof(o.keylog), "demo.keys") != 0)) {
		fprintf(stderr, "uktls demo: cannot make the default output "
		    "directory; give --pcap and --keylog\n");
		return (1);
	}
	o.progress = !o.json && isatty(STDOUT_FILENO);

	/* The script: the same bytes in every mode. */
	memset(&sc, 0, sizeof(sc));
	sc.filelen = o.bytes;
	sc.file = malloc(o.bytes > 0 ? o.bytes : 1);
	sc.hdr = malloc(300);
	if (sc.file == NULL || sc.hdr == NULL) {
		fprintf(stderr, "uktls demo: out of memory\n");
		free(sc.file);
		free(sc.hdr);
		return (1);
	}
	x = o.seed ^ 0x5eed;
	fill(sc.file, sc.filelen, &x);
	fill(sc.ticket, sizeof(sc.ticket), &x);
	sc.ticket[0] = 4;	/* new_session_ticket */
	fill(sc.trailer, sizeof(sc.trailer), &x);
	sc.hdrlen = (size_t)snprintf((char *)sc.hdr, 300, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Length: %" PRIu64 "\r\n\r\n", o.bytes);

	if (script_digest(&sc) != 0) {
		fprintf(stderr, "uktls demo: SHA-256 failed\n");
		free(sc.file);
		free(sc.hdr);
		return (1);
	}
	if (o.suite->openssl_name != NULL &&
	    uk_keylog_open(o.keylog) != 0) {
		fprintf(stderr, "uktls demo: %s: %s\n", o.keylog,
		    strerror(errno));
		free(sc.file);
		free(sc.hdr);
		return (1);
	}
	memset(res, 0, sizeof(res));
	ok = 1;
	for (i = n = 0; i < DEMO_MODES; i++) {
		if ((o.modes & (1 << i)) == 0)
			continue;
		if (run_mode(&o, &sc, i, &res[n]) != 0)
			ok = 0;
		n++;
	}
	if (o.suite->openssl_name != NULL)
		uk_keylog_close();

	if (o.json)
		print_json(&o, &sc, res, n, ok);
	else
		print_table(&o, res, n);
	for (i = 0; i < n; i++)
		if (!res[i].ok)
			fprintf(stderr, "uktls demo: %s: %s\n",
			    mode_names[res[i].mode], res[i].why);
	free(sc.file);
	free(sc.hdr);
	return (ok ? 0 : 1);
}
