/*
 * Field bug 14: out-of-order data with concurrent writers and many
 * clients (records from two writers interleaved inside one message,
 * records reordered between workers).
 *
 * Scenario, with KTLS worker threads and the network moving by itself
 * (uk_set_workers()): six connections at once, KTLS both ways on each
 * (transmit and receive sessions, suites cycling through those FreeBSD
 * receives), faults on every link.  On each end two writer threads send
 * framed messages at the same time (write() and a two-piece sendmsg(),
 * up to 24 KiB, so most span several records), and a reader thread
 * reads records.  A blocking send takes the socket's send lock for the
 * whole call (FreeBSD's SOCK_IO_SEND_LOCK), so each message must arrive
 * whole, each writer's messages in order, every byte as sent.  Runs
 * under ThreadSanitizer (the file name has _mt_).
 *
 *   fb14_mt_many_conns   as above, two seeds
 */
#include <pthread.h>

#include "scenario.h"

#define	FB14_NCONN	6
#define	FB14_NMSG	24
#define	FB14_MAXMSG	24000
#define	FB14_HDR	8
#define	FB14_MAGIC	0xA5

/* One end of one connection: two writers and a reader. */
struct fb14_end {
	int		 fd;
	int		 conn, side;
	uint64_t	 seed;
	pthread_t	 w[2], r;
	/* Writers: errno of a failed send (0 if none). */
	int		 werr[2];
	/* Reader: the parse state and its verdict. */
	char		 rerr[160];
	uint8_t		 hdr[FB14_HDR];
	size_t		 hdr_have;
	size_t		 left;		/* payload bytes still expected */
	size_t		 poff;		/* payload offset reached */
	int		 pw, pseq;	/* message being read */
	int		 next[2];	/* next seq expected per peer writer */
	size_t		 bytes;
	int		 eof;
};

static uint32_t
fb14_stream(int conn, int side, int w)
{

	return (1400 + (uint32_t)(conn * 4 + side * 2 + w));
}

static size_t
fb14_msglen(uint64_t seed, int conn, int side, int w, int seq)
{
	uint64_t x;

	x = seed ^ ((uint64_t)fb14_stream(conn, side, w) << 32 ^
	    (uint64_t)seq * 0x9E3779B97F4A7C15ULL);
	(void)sc_rand(&x);
	return (sc_between(&x, 1, FB14_MAXMSG));
}

struct fb14_wjob {
	struct fb14_end	*e;
	int		 w;
};

static void *
fb14_writer(void *arg)
{
	struct fb14_wjob *j = arg;
	struct fb14_end *e = j->e;
	struct msghdr msg;
	struct iovec iov[2];
	uint8_t *buf;
	size_t len;
	ssize_t n;
	int seq;

	buf = malloc(FB14_HDR + FB14_MAXMSG);
	if (buf == NULL) {
		e->werr[j->w] = ENOMEM;
		return (NULL);
	}
	for (seq = 0; seq < FB14_NMSG; seq++) {
		len = fb14_msglen(e->seed, e->conn, e->side, j->w, seq);
		buf[0] = FB14_MAGIC;
		buf[1] = (uint8_t)j->w;
		buf[2] = (uint8_t)(seq >> 8);
		buf[3] = (uint8_t)seq;
		buf[4] = (uint8_t)(len >> 24);
		buf[5] = (uint8_t)(len >> 16);
		buf[6] = (uint8_t)(len >> 8);
		buf[7] = (uint8_t)len;
		uktest_fill(buf + FB14_HDR, len, fb14_stream(e->conn, e->side,
		    j->w), (uint64_t)seq << 20);
		if (seq % 2 == 0)
			n = uk_write(e->fd, buf, FB14_HDR + len);
		else {
			iov[0].iov_base = buf;
			iov[0].iov_len = FB14_HDR + len / 3;
			iov[1].iov_base = buf + FB14_HDR + len / 3;
			iov[1].iov_len = len - len / 3;
			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = iov;
			msg.msg_iovlen = 2;
			n = uk_sendmsg(e->fd, &msg, 0);
		}
		/* A blocking send takes all of it, or fails. */
		if (n != (ssize_t)(FB14_HDR + len)) {
			e->werr[j->w] = n < 0 ? errno : EMSGSIZE;
			break;
		}
	}
	free(buf);
	return (NULL);
}

/* Feed received bytes to the message parser; 0, or -1 with rerr set. */
static int
fb14_parse(struct fb14_end *e, const uint8_t *p, size_t len)
{
	uint8_t want[4096];
	size_t n;
	int peer;

	peer = 1 - e->side;
	while (len > 0) {
		if (e->left == 0) {
			n = FB14_HDR - e->hdr_have < len ? FB14_HDR -
			    e->hdr_have : len;
			memcpy(e->hdr + e->hdr_have, p, n);
			e->hdr_have += n;
			p += n;
			len -= n;
			if (e->hdr_have < FB14_HDR)
				break;
			e->hdr_have = 0;
			e->pw = e->hdr[1];
			e->pseq = e->hdr[2] << 8 | e->hdr[3];
			e->left = (size_t)e->hdr[4] << 24 |
			    (size_t)e->hdr[5] << 16 | (size_t)e->hdr[6] << 8 |
			    e->hdr[7];
			e->poff = 0;
			if (e->hdr[0] != FB14_MAGIC || e->pw > 1 ||
			    e->pseq != e->next[e->pw] || e->left !=
			    fb14_msglen(e->seed, e->conn, peer, e->pw,
			    e->pseq)) {
				snprintf(e->rerr, sizeof(e->rerr), "conn %d "
				    "side %d: bad header at byte %zu: writer "
				    "%d seq %d", e->conn, e->side, e->bytes,
				    e->pw, e->pseq);
				return (-1);
			}
			e->next[e->pw]++;
			continue;
		}
		n = e->left < len ? e->left : len;
		if (n > sizeof(want))
			n = sizeof(want);
		uktest_fill(want, n, fb14_stream(e->conn, peer, e->pw),
		    ((uint64_t)e->pseq << 20) + e->poff);
		if (memcmp(want, p, n) != 0) {
			snprintf(e->rerr, sizeof(e->rerr), "conn %d side %d: "
			    "writer %d message %d differs at %zu", e->conn,
			    e->side, e->pw, e->pseq, e->poff);
			return (-1);
		}
		e->poff += n;
		e->left -= n;
		p += n;
		len -= n;
	}
	return (0);
}

/*
 * Read to the end.  After a fault the reader notes the first one and
 * goes on reading (without checking), so that the writers of the other
 * end never wait for ever and the test fails with the message.
 */
static void *
fb14_reader(void *arg)
{
	struct fb14_end *e = arg;
	struct tls_get_record tgr;
	uint8_t *buf;
	size_t clen;
	ssize_t n;
	int errors, flags;

	buf = malloc(RFX_RECBUF);
	if (buf == NULL) {
		snprintf(e->rerr, sizeof(e->rerr), "no memory");
		return (NULL);
	}
	for (errors = 0; errors < 100; ) {
		n = rfx_recvmsg(e->fd, buf, RFX_RECBUF, 0,
		    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
		if (n < 0) {
			if (e->rerr[0] == '\0')
				snprintf(e->rerr, sizeof(e->rerr), "conn %d "
				    "side %d: read: %s", e->conn, e->side,
				    strerror(errno));
			errors++;
			continue;
		}
		if (n == 0 && clen == 0) {
			e->eof = 1;
			break;
		}
		if (e->rerr[0] != '\0')
			continue;
		/* One whole record per call. */
		if ((flags & (MSG_EOR | MSG_CTRUNC)) != MSG_EOR ||
		    tgr.tls_type != TLS_RLTYPE_APP ||
		    ntohs(tgr.tls_length) != (size_t)n) {
			snprintf(e->rerr, sizeof(e->rerr), "conn %d side %d: "
			    "record framing: flags %#x type %u length %u/%zd",
			    e->conn, e->side, flags, tgr.tls_type,
			    ntohs(tgr.tls_length), n);
			continue;
		}
		if (fb14_parse(e, buf, (size_t)n) == 0)
			e->bytes += (size_t)n;
	}
	free(buf);
	return (NULL);
}

START_TEST(fb14_mt_many_conns)
{
	static struct fb14_end ends[FB14_NCONN][2];
	struct fb14_wjob jobs[FB14_NCONN][2][2];
	const struct tlsm_suite *s;
	struct tlsm_state k[2];
	struct fb14_end *e;
	int c, fds[2 * FB14_NCONN], i, side, w;

	sc_net(14000 + (uint64_t)_i, 1.0, 2.0, 1.0, 30.0, 0);
	ck_assert_int_eq(uk_set_workers(3), 0);
	memset(ends, 0, sizeof(ends));
	for (c = 0, i = 0; c < FB14_NCONN; c++) {
		/* Suites FreeBSD receives, a different one per connection. */
		do
			s = &tlsm_suites[(i++ + 3 * _i) % TLSM_NSUITES];
		while (!rfx_suite_ok(s));
		tfx_pair(fds + 2 * c);
		k[0] = sc_keys(s, 1410 + (uint32_t)c);
		k[1] = sc_keys(s, 1430 + (uint32_t)c);
		for (side = 0; side < 2; side++) {
			e = &ends[c][side];
			e->fd = fds[2 * c + side];
			e->conn = c;
			e->side = side;
			e->seed = 14000 + (uint64_t)_i;
			sc_enable(e->fd, TCP_TXTLS_ENABLE, &k[side], 100);
			sc_enable(e->fd, TCP_RXTLS_ENABLE, &k[1 - side], 100);
		}
	}
	for (c = 0; c < FB14_NCONN; c++)
		for (side = 0; side < 2; side++) {
			e = &ends[c][side];
			ck_assert_int_eq(pthread_create(&e->r, NULL,
			    fb14_reader, e), 0);
			for (w = 0; w < 2; w++) {
				jobs[c][side][w].e = e;
				jobs[c][side][w].w = w;
				ck_assert_int_eq(pthread_create(&e->w[w], NULL,
				    fb14_writer, &jobs[c][side][w]), 0);
			}
		}
	/* Writers done: each end shuts down; readers see the end. */
	for (c = 0; c < FB14_NCONN; c++)
		for (side = 0; side < 2; side++) {
			e = &ends[c][side];
			for (w = 0; w < 2; w++) {
				ck_assert_int_eq(pthread_join(e->w[w], NULL),
				    0);
				ck_assert_msg(e->werr[w] == 0, "conn %d side "
				    "%d writer %d: %s", c, side, w,
				    strerror(e->werr[w]));
			}
			ck_assert_int_eq(uk_shutdown(e->fd, SHUT_WR), 0);
		}
	for (c = 0; c < FB14_NCONN; c++)
		for (side = 0; side < 2; side++) {
			e = &ends[c][side];
			ck_assert_int_eq(pthread_join(e->r, NULL), 0);
			ck_assert_msg(e->rerr[0] == '\0', "%s", e->rerr);
			ck_assert_int_eq(e->eof, 1);
			ck_assert_int_eq(e->left, 0);
			ck_assert_uint_eq(e->hdr_have, 0);
			ck_assert_int_eq(e->next[0], FB14_NMSG);
			ck_assert_int_eq(e->next[1], FB14_NMSG);
		}
	tfx_finish(fds, 2 * FB14_NCONN);
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb14_mt_many_conns");
	SC_ADD(s, fb14_mt_many_conns, 2);
	return (uktest_run(s));
}
