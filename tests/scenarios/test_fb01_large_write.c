/*
 * Field bug 1: silent corruption with valid MACs.  FreeBSD 15 software
 * KTLS sent a byte range of a large (> 64 KiB) response that repeated
 * bytes from about 16 KiB earlier; every record still authenticated, so
 * only a byte-for-byte comparison of the plaintext could see it.
 *
 * Scenario: a non-blocking KTLS sender runs a plan of large operations
 * (write, writev, sendfile; 40 KiB to 300 KiB each, odd sizes and file
 * offsets) over a lossy, reordering, splitting link.  Whenever a call
 * takes only part (a short count, or EAGAIN with part of a sendfile
 * queued), the sender continues with the rest, as a server does.  The
 * receiver reads concurrently (poll).  The plaintext is a position-keyed
 * pattern, so a repeated or shifted range never compares equal.
 *
 *   fb01_partial_writes_model  the receiver is a plain socket; the model
 *                              opens every record (sequence numbers from
 *                              the first, contiguous) and the plaintext
 *                              is diffed against the plan's
 *   fb01_partial_writes_rx     the receiver has a KTLS receive session:
 *                              one record per recvmsg(), diffed too
 */
#include "scenario.h"

enum { FB1_WRITE, FB1_WRITEV, FB1_SENDFILE };

struct fb1_op {
	int		 kind;
	size_t		 len;
	off_t		 foff;		/* sendfile: offset in the file */
};

struct fb1_run {
	int		 s, r;		/* sender, receiver */
	int		 fd;		/* the page-cache file */
	struct fb1_op	 ops[24];
	int		 nops, cur;
	size_t		 opdone;	/* bytes of ops[cur] accepted */
	uint8_t		*want;		/* the plaintext the plan sends */
	size_t		 wantlen, sent;
	int		 shorts;	/* calls that took only part */
	int		 eagains;	/* calls that took nothing */
	bool		 shut;
	bool		 rx;		/* the receiver has a KTLS session */
	struct kfx_buf	 raw;		/* plain receiver: the wire */
	struct rfx_got	 got;		/* KTLS receiver: the records */
	bool		 eof;
};

#define	FB1_FILE_LEN	(1536 * 1024 + 77)

/* Build the plan and the plaintext it sends. */
static void
fb1_plan(struct fb1_run *p, const uint8_t *file, uint64_t seed)
{
	struct fb1_op *op;
	size_t pos;
	uint64_t x;
	int i;

	x = seed * 0x9E3779B97F4A7C15ULL + 7;
	p->nops = 12 + (int)(sc_rand(&x) % 12);
	p->wantlen = 0;
	for (i = 0; i < p->nops; i++) {
		op = &p->ops[i];
		op->kind = (int)(sc_rand(&x) % 3);
		op->len = sc_between(&x, 40000, 300000);
		if (op->kind == FB1_SENDFILE)
			op->foff = (off_t)sc_between(&x, 0,
			    FB1_FILE_LEN - op->len);
		p->wantlen += op->len;
	}
	p->want = malloc(p->wantlen);
	ck_assert_ptr_nonnull(p->want);
	for (i = 0, pos = 0; i < p->nops; pos += p->ops[i].len, i++) {
		op = &p->ops[i];
		if (op->kind == FB1_SENDFILE)
			memcpy(p->want + pos, file + op->foff, op->len);
		else
			uktest_fill(p->want + pos, op->len, 101, pos);
	}
}

/* One call for the current operation, continuing where it stopped. */
static void
fb1_send(struct fb1_run *p)
{
	struct fb1_op *op;
	struct msghdr msg;
	struct iovec iov[3];
	size_t left, a, b;
	ssize_t n;
	off_t sb;

	if (p->cur == p->nops)
		return;
	op = &p->ops[p->cur];
	left = op->len - p->opdone;
	errno = 0;
	switch (op->kind) {
	case FB1_WRITE:
		n = uk_write(p->s, p->want + p->sent, left);
		break;
	case FB1_WRITEV:
		/* Three pieces cut at odd places. */
		a = left / 3 + 1 < left ? left / 3 + 1 : left;
		b = (left - a) / 2;
		iov[0].iov_base = p->want + p->sent;
		iov[0].iov_len = a;
		iov[1].iov_base = p->want + p->sent + a;
		iov[1].iov_len = b;
		iov[2].iov_base = p->want + p->sent + a + b;
		iov[2].iov_len = left - a - b;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = 3;
		n = uk_sendmsg(p->s, &msg, 0);
		break;
	default:
		sb = 0;
		if (uk_sendfile(p->fd, p->s, op->foff + (off_t)p->opdone, left,
		    NULL, &sb, 0) == 0) {
			ck_assert_int_eq(sb, (off_t)left);
			n = (ssize_t)left;
		} else {
			ck_assert_msg(errno == EAGAIN, "uk_sendfile: %s",
			    strerror(errno));
			ck_assert_int_ge(sb, 0);
			ck_assert_int_lt(sb, (off_t)left);
			n = sb > 0 ? (ssize_t)sb : -1;
			errno = EAGAIN;
		}
		break;
	}
	if (n < 0) {
		ck_assert_msg(errno == EAGAIN, "op %d (kind %d): %s", p->cur,
		    op->kind, strerror(errno));
		p->eagains++;
		return;
	}
	ck_assert_int_gt(n, 0);
	ck_assert_uint_le((size_t)n, left);
	if ((size_t)n < left)
		p->shorts++;
	p->opdone += (size_t)n;
	p->sent += (size_t)n;
	if (p->opdone == op->len) {
		p->cur++;
		p->opdone = 0;
	}
}

static void
fb1_receive(struct fb1_run *p)
{
	static uint8_t buf[RFX_RECBUF];
	struct tls_get_record tgr;
	size_t clen;
	ssize_t n;
	int flags;

	for (;;) {
		if (!p->rx) {
			n = uk_read(p->r, buf, sizeof(buf));
			if (n > 0)
				kfx_buf_add(&p->raw, buf, (size_t)n);
		} else {
			n = rfx_recvmsg(p->r, buf, sizeof(buf), 0,
			    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
			if (n > 0 || (n == 0 && clen != 0)) {
				ck_assert_int_eq(flags & (MSG_EOR | MSG_CTRUNC),
				    MSG_EOR);
				ck_assert_uint_eq(clen,
				    CMSG_SPACE(sizeof(tgr)));
				ck_assert_uint_eq(ntohs(tgr.tls_length),
				    (size_t)n);
				ck_assert_uint_eq(tgr.tls_type, TLS_RLTYPE_APP);
				rfx_got_add(&p->got, &tgr, buf, (size_t)n);
				continue;
			}
		}
		if (n < 0) {
			ck_assert_msg(errno == EAGAIN, "receive: %s",
			    strerror(errno));
			return;
		}
		if (n == 0) {
			p->eof = true;
			return;
		}
	}
}

static void
fb1_pump(struct fb1_run *p)
{
	struct pollfd pfd[2];
	int n, rounds;

	for (rounds = 0; !p->eof; rounds++) {
		if (p->cur == p->nops && !p->shut) {
			ck_assert_int_eq(uk_shutdown(p->s, SHUT_WR), 0);
			p->shut = true;
		}
		pfd[0].fd = p->shut ? -1 : p->s;
		pfd[0].events = POLLOUT;
		pfd[1].fd = p->r;
		pfd[1].events = POLLIN;
		n = uk_poll(pfd, 2, 60000);
		ck_assert_msg(n > 0, "poll: %d at round %d, %zu of %zu sent",
		    n, rounds, p->sent, p->wantlen);
		ck_assert_int_eq((pfd[0].revents | pfd[1].revents) &
		    (POLLERR | POLLNVAL), 0);
		if ((pfd[0].revents & POLLOUT) != 0)
			fb1_send(p);
		if ((pfd[1].revents & (POLLIN | POLLHUP)) != 0)
			fb1_receive(p);
	}
}

static void
fb1_scenario(const struct tlsm_suite *s, uint64_t seed, bool rx)
{
	struct uk_ktls_stats st0;
	struct tlsm_state keys;
	struct fb1_run p;
	uint8_t *file;
	uint64_t seq;
	int sndbuf, sv[2];

	memset(&p, 0, sizeof(p));
	file = malloc(FB1_FILE_LEN);
	ck_assert_ptr_nonnull(file);
	uktest_fill(file, FB1_FILE_LEN, 102, 0);
	p.fd = uk_file_create(file, FB1_FILE_LEN);
	ck_assert_int_ge(p.fd, 0);
	fb1_plan(&p, file, seed);

	sc_net(seed, 1.5, 2.0, 1.0, 40.0, 0);
	tfx_pair(sv);
	p.s = sv[0];
	p.r = sv[1];
	p.rx = rx;
	keys = sc_keys(s, 110 + (uint32_t)seed);
	seq = seed * 1000003;
	sc_enable(p.s, TCP_TXTLS_ENABLE, &keys, seq);
	if (rx)
		sc_enable(p.r, TCP_RXTLS_ENABLE, &keys, seq);
	/* Half the runs with a send buffer larger than most operations. */
	if (seed % 2 == 1) {
		sndbuf = 400 << 10;
		ck_assert_int_eq(uk_setsockopt(p.s, SOL_SOCKET, SO_SNDBUF,
		    &sndbuf, sizeof(sndbuf)), 0);
	}
	ck_assert_int_eq(uk_set_nonblock(p.s, 1), 0);
	ck_assert_int_eq(uk_set_nonblock(p.r, 1), 0);
	kfx_stats(&st0);

	fb1_pump(&p);

	ck_assert_uint_eq(p.sent, p.wantlen);
	ck_assert_msg(p.shorts + p.eagains > 0, "%s: no call was short",
	    s->name);
	if (rx) {
		ck_assert_uint_eq(p.got.plain.len, p.wantlen);
		ck_assert_msg(memcmp(p.got.plain.p, p.want, p.wantlen) == 0,
		    "%s: plaintext differs", s->name);
		ck_assert_uint_ge(p.got.nrec, p.wantlen / KFX_MAXREC);
		rfx_got_free(&p.got);
	} else {
		/* The model opens the wire: sequence numbers seq, seq+1, ... */
		(void)sc_model_expect(s, &keys, seq, p.raw.p, p.raw.len,
		    p.want, p.wantlen, NULL);
		kfx_buf_free(&p.raw);
	}
	sc_assert_clean_stats(&st0);
	free(p.want);
	free(file);
	ck_assert_int_eq(uk_file_destroy(p.fd), 0);
	tfx_finish(sv, 2);
}

START_TEST(fb01_partial_writes_model)
{

	fb1_scenario(&tlsm_suites[_i], 1 + (uint64_t)_i, false);
}
END_TEST

START_TEST(fb01_partial_writes_rx)
{
	const struct tlsm_suite *s = &tlsm_suites[_i % TLSM_NSUITES];

	if (!rfx_suite_ok(s))
		return;
	fb1_scenario(s, 101 + (uint64_t)_i, true);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb01_large_write");
	SC_ADD(s, fb01_partial_writes_model, TLSM_NSUITES);
	SC_ADD(s, fb01_partial_writes_rx, 2 * TLSM_NSUITES);
	return (uktest_run(s));
}
