/*
 * Field bug 4: a file modified while a zero-copy sendfile is in flight.
 * A retransmission carries different bytes from the first transmission
 * and the peer fails authentication.
 *
 * Scenario: three 16 KiB records of a file go out with sendfile() over
 * a lossy link (AES-128-GCM TLS 1.3); once the first segments have been
 * sent, the whole file is rewritten (uk_file_write(): the pages in flight
 * see the change, as on a real system); then the network runs to the
 * end and the peer reads through a KTLS receive session.
 *
 *   fb04_modified_sw     software KTLS encrypts each record once, from
 *                        the pages as they are when its turn comes, into
 *                        new pages; retransmissions resend that
 *                        ciphertext.  Every record authenticates, and
 *                        each is wholly the old or wholly the new file.
 *   fb04_modified_ifnet  the simulated NIC encrypts at transmit time from
 *                        the file's own pages, and re-reads them for a
 *                        retransmission (a resync): a record whose first
 *                        transmission was the old bytes and whose
 *                        retransmitted segments are the new ones fails
 *                        with EBADMSG, as the field report says.  Records
 *                        that do arrive are still wholly old or new, and
 *                        over the seeds at least one record fails.
 */
#include "scenario.h"

#define	FB4_REC		16384
#define	FB4_NREC	3
#define	FB4_LEN		(FB4_REC * FB4_NREC)
#define	FB4_SEEDS	8

struct fb4_out {
	int	delivered;	/* records read */
	int	bad;		/* records that failed */
	int	reports;	/* EBADMSG returned */
	int	old, new;	/* delivered records of each version */
};

static void
fb4_fill(uint8_t *p, uint8_t tag)
{
	size_t i;

	for (i = 0; i < FB4_LEN; i++)
		p[i] = (uint8_t)(tag ^ (i * 131) ^ (i >> 8));
}

static void
fb4_run(uint64_t seed, int ifnet, struct fb4_out *out)
{
	static uint8_t a[FB4_LEN], b[FB4_LEN], buf[FB4_REC + 256];
	const struct tlsm_suite *su;
	struct uk_net_stats ns;
	struct tlsm_state st;
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct tls_get_record))];
	} cm;
	off_t sbytes;
	ssize_t n;
	int sv[2], fd, on, size, guard, k;

	memset(out, 0, sizeof(*out));
	fb4_fill(a, 0x5a);
	fb4_fill(b, 0xa5);
	on = ifnet;
	ck_assert_int_eq(uk_sysctl_int("net.link.lo.txtls", NULL, &on), 0);
	sc_net(seed, 15, 0, 0, 0, 1000);
	tfx_pair(sv);
	su = sc_suite("aes128_gcm_1_3");
	kfx_state(su, (uint32_t)seed, &st);
	sc_enable(sv[1], TCP_TXTLS_ENABLE, &st, 1);
	sc_enable(sv[0], TCP_RXTLS_ENABLE, &st, 1);
	ck_assert_int_eq(sc_mode(sv[1], TCP_TXTLS_MODE), ifnet ?
	    TCP_TLS_MODE_IFNET : TCP_TLS_MODE_SW);
	size = 256 * 1024;
	ck_assert_int_eq(uk_setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &size,
	    sizeof(size)), 0);
	ck_assert_int_eq(uk_setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &size,
	    sizeof(size)), 0);
	uk_set_nonblock(sv[0], 1);

	fd = uk_file_create(a, FB4_LEN);
	ck_assert_int_ge(fd, 0);
	sbytes = 0;
	ck_assert_int_eq(uk_sendfile(fd, sv[1], 0, FB4_LEN, NULL, &sbytes,
	    0), 0);
	ck_assert_int_eq(sbytes, FB4_LEN);
	/* Run until the first segments are out, then change the file. */
	for (guard = 0; guard < 10000; guard++) {
		ck_assert_int_eq(uk_net_stats(sv[1], &ns), 0);
		if (ns.snd_pack >= 2 || uk_run_one() == 0)
			break;
	}
	ck_assert_uint_ge(ns.snd_pack, 2);
	ck_assert_int_eq(uk_file_write(fd, 0, b, FB4_LEN), 0);
	(void)uk_net_run();

	/*
	 * Read what there is.  A failed record is dropped and its error
	 * (one so_error slot) comes once nothing else is readable, so the
	 * records that arrive are placed by their content: each must be
	 * one record of the old or of the new file, in order.
	 */
	for (k = 0;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		n = uk_recvmsg(sv[0], &msg, MSG_DONTWAIT);
		if (n < 0 && errno == EBADMSG) {
			out->reports++;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			break;
		ck_assert_msg(n == FB4_REC, "seed %ju: read %zd (%s)",
		    (uintmax_t)seed, n, n < 0 ? strerror(errno) : "");
		ck_assert(msg.msg_flags & MSG_EOR);
		for (; k < FB4_NREC; k++) {
			if (memcmp(buf, a + k * FB4_REC, FB4_REC) == 0) {
				out->old++;
				break;
			}
			if (memcmp(buf, b + k * FB4_REC, FB4_REC) == 0) {
				out->new++;
				break;
			}
		}
		ck_assert_msg(k < FB4_NREC, "seed %ju: a record that is no "
		    "record of the old or the new file, or out of order",
		    (uintmax_t)seed);
		k++;
		out->delivered++;
	}
	out->bad = FB4_NREC - out->delivered;
	/* Every failed record was reported, at least once. */
	ck_assert_int_eq(out->reports > 0, out->bad > 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	tfx_finish(sv, 2);
	on = 0;
	ck_assert_int_eq(uk_sysctl_int("net.link.lo.txtls", NULL, &on), 0);
}

START_TEST(fb04_modified_sw)
{
	struct fb4_out o;
	uint64_t seed;

	for (seed = 1; seed <= FB4_SEEDS; seed++) {
		fb4_run(seed, 0, &o);
		ck_assert_msg(o.bad == 0, "seed %ju: %d records failed in "
		    "software mode", (uintmax_t)seed, o.bad);
	}
}
END_TEST

START_TEST(fb04_modified_ifnet)
{
	struct uk_ktls_stats ks;
	struct fb4_out o;
	uint64_t seed;
	int bad;

	bad = 0;
	for (seed = 1; seed <= FB4_SEEDS; seed++) {
		fb4_run(seed, 1, &o);
		bad += o.bad;
	}
	ck_assert_int_eq(uk_ktls_stats(&ks), 0);
	/* The NIC re-read pages for retransmissions, and that tore records. */
	ck_assert_int_gt(ks.ifnet_resyncs, 0);
	ck_assert_msg(bad > 0, "no record failed over %d seeds", FB4_SEEDS);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb04_file_modified");
	SC_ADD(s, fb04_modified_sw, 1);
	SC_ADD(s, fb04_modified_ifnet, 1);
	return (uktest_run(s));
}
