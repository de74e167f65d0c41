/*
 * Field bug 9: control records (an alert, a NewSessionTicket) arriving
 * in the middle of the stream surfaced as EIO on a plain read() (Linux
 * kTLS), so applications that never asked for record types broke.
 *
 * FreeBSD's rules, which uktls keeps: a read returns at most one
 * record; without a control buffer the record's bytes come back like
 * any data (the type is simply not reported), never an error; with one,
 * TLS_GET_RECORD tells the type; MSG_TLSAPPDATA refuses a record that
 * is not application data with ENXIO and leaves it queued, however often
 * it is asked, until it is read without the flag.
 *
 * Scenario: uktls's transmit session sends application data, a
 * handshake record (a NewSessionTicket), more data, a warning alert and
 * more data, over a lossy link, to a receive session.  Four readers:
 *
 *   fb09_plain_read       read(): every record's bytes, one record per
 *                         call, in order, no error
 *   fb09_recvmsg_cmsg     recvmsg() with a control buffer: the types
 *   fb09_tlsappdata       recvmsg(MSG_TLSAPPDATA) with a control buffer:
 *                         ENXIO at each control record, which stays
 *                         first in the buffer and then reads intact
 *   fb09_tlsappdata_recv  the same through recv(), no control buffer
 */
#include "scenario.h"

enum { FB9_PLAIN, FB9_CMSG, FB9_APPDATA, FB9_APPDATA_RECV };

/* The stream, in sending order: type and length of each part. */
static const struct {
	uint8_t		 type;
	size_t		 len;
	int		 phase;		/* sent, delivered, read together */
} fb9_parts[] = {
	{ TLS_RLTYPE_APP, 50000, 0 },
	{ TLS_RLTYPE_HANDSHAKE, 200, 1 },
	{ TLS_RLTYPE_APP, 20000, 1 },
	{ TLS_RLTYPE_ALERT, 2, 2 },
	{ TLS_RLTYPE_APP, 10000, 2 },
};
#define	FB9_NPARTS	5

struct fb9_conn {
	int		 sv[2];
	int		 mode;
	struct kfx_buf	 want;		/* every byte sent, in order */
	size_t		 lens[32];	/* record lengths, in order */
	uint8_t		 types[32];
	int		 nrec;
	/* What the reader got. */
	struct kfx_buf	 got;
	int		 rec;		/* records read */
	int		 enxio;		/* refusals */
};

/* One part: data with write() (records of 2^14), control with sendmsg. */
static void
fb9_send(struct fb9_conn *f, int part)
{
	uint8_t buf[50000];
	size_t len, n, off;

	len = fb9_parts[part].len;
	uktest_fill(buf, len, 901, f->want.len);
	if (fb9_parts[part].type == TLS_RLTYPE_HANDSHAKE)
		buf[0] = 4;	/* new_session_ticket */
	if (fb9_parts[part].type == TLS_RLTYPE_ALERT) {
		buf[0] = 1;	/* warning */
		buf[1] = 100;	/* no_renegotiation */
	}
	if (fb9_parts[part].type == TLS_RLTYPE_APP)
		ck_assert_int_eq(uk_write(f->sv[0], buf, len), (ssize_t)len);
	else
		ck_assert_int_eq(kfx_send_type(f->sv[0], buf, len,
		    fb9_parts[part].type), (ssize_t)len);
	kfx_buf_add(&f->want, buf, len);
	for (off = 0; off < len || len == 0; off += n) {
		n = len - off < KFX_MAXREC ? len - off : KFX_MAXREC;
		f->lens[f->nrec] = n;
		f->types[f->nrec++] = fb9_parts[part].type;
		if (len == 0)
			break;
	}
}

/*
 * Read everything that is ready, as the mode's reader would.  Every
 * call must return exactly the next record.
 */
static void
fb9_read(struct fb9_conn *f, const char *name)
{
	static uint8_t buf[65536];
	struct tls_get_record tgr;
	struct uk_test_rdesc d[4];
	size_t clen, want;
	ssize_t n;
	int flags, rf;

	for (;;) {
		rf = MSG_DONTWAIT;
		if (f->mode == FB9_APPDATA || f->mode == FB9_APPDATA_RECV)
			rf |= MSG_TLSAPPDATA;
		flags = 0;
		clen = 0;
		if (f->mode == FB9_PLAIN)
			n = uk_read(f->sv[1], buf, sizeof(buf));
		else if (f->mode == FB9_APPDATA_RECV)
			n = uk_recv(f->sv[1], buf, sizeof(buf), rf);
		else
			n = rfx_recvmsg(f->sv[1], buf, sizeof(buf), rf,
			    CMSG_SPACE(sizeof(tgr)), &tgr, &flags, &clen);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && errno == ENXIO) {
			ck_assert_msg(rf & MSG_TLSAPPDATA, "%s: ENXIO", name);
			ck_assert_int_lt(f->rec, f->nrec);
			ck_assert_uint_ne(f->types[f->rec], TLS_RLTYPE_APP);
			f->enxio++;
			/* Still queued, still first, asked again: ENXIO. */
			ck_assert_int_ge(uk_test_rcvbuf_describe(f->sv[1], d,
			    4), 1);
			ck_assert_int_eq(d[0].tgr, 1);
			ck_assert_uint_eq(d[0].tls_type, f->types[f->rec]);
			errno = 0;
			ck_assert_int_eq(uk_recv(f->sv[1], buf, sizeof(buf),
			    rf), -1);
			ck_assert_int_eq(errno, ENXIO);
			/* Read it as the application then would. */
			n = rfx_recvmsg(f->sv[1], buf, sizeof(buf),
			    MSG_DONTWAIT, CMSG_SPACE(sizeof(tgr)), &tgr,
			    &flags, &clen);
			ck_assert_int_ge(n, 0);
			ck_assert_uint_eq(tgr.tls_type, f->types[f->rec]);
		}
		ck_assert_msg(n >= 0, "%s: record %d: %s", name, f->rec,
		    strerror(errno));
		if (n == 0 && clen == 0) {
			/* The end: only after the last record. */
			ck_assert_msg(f->rec == f->nrec, "%s: the end after "
			    "%d of %d records", name, f->rec, f->nrec);
			return;
		}
		ck_assert_msg(n > 0, "%s: an empty record", name);
		ck_assert_int_lt(f->rec, f->nrec);
		want = f->lens[f->rec];
		ck_assert_msg((size_t)n == want, "%s: record %d: %zd bytes, "
		    "sent %zu", name, f->rec, n, want);
		if (clen != 0) {
			ck_assert_uint_eq(clen, CMSG_SPACE(sizeof(tgr)));
			ck_assert_uint_eq(tgr.tls_type, f->types[f->rec]);
			ck_assert_uint_eq(ntohs(tgr.tls_length), want);
			ck_assert_int_eq(flags & (MSG_EOR | MSG_CTRUNC),
			    MSG_EOR);
		} else
			ck_assert_int_ne(f->mode, FB9_CMSG);
		kfx_buf_add(&f->got, buf, (size_t)n);
		f->rec++;
	}
}

static void
fb9_scenario(int mode, int si, uint64_t seed)
{
	static const char *names[] = { "read", "recvmsg", "MSG_TLSAPPDATA",
	    "recv(MSG_TLSAPPDATA)" };
	const struct tlsm_suite *s = &tlsm_suites[si];
	struct tlsm_state keys;
	struct fb9_conn f;
	uint8_t b[16];
	int controls, p, phase;

	if (!rfx_suite_ok(s))
		return;
	memset(&f, 0, sizeof(f));
	f.mode = mode;
	sc_net(seed, 1.0, 3.0, 1.0, 40.0, 0);
	tfx_pair(f.sv);
	keys = sc_keys(s, 900 + (uint32_t)seed);
	sc_enable(f.sv[0], TCP_TXTLS_ENABLE, &keys, seed);
	sc_enable(f.sv[1], TCP_RXTLS_ENABLE, &keys, seed);
	/* Room for each write at once: the records are as planned. */
	kfx_set_sndbuf(f.sv[0], 256 << 10);
	for (phase = 0, p = 0; phase < 3; phase++) {
		for (; p < FB9_NPARTS && fb9_parts[p].phase == phase; p++)
			fb9_send(&f, p);
		(void)uk_net_run();
		fb9_read(&f, names[mode]);
	}
	ck_assert_int_eq(uk_shutdown(f.sv[0], SHUT_WR), 0);
	(void)uk_net_run();
	fb9_read(&f, names[mode]);
	ck_assert_int_eq(uk_read(f.sv[1], b, sizeof(b)), 0);
	ck_assert_int_eq(f.rec, f.nrec);
	ck_assert_uint_eq(f.got.len, f.want.len);
	ck_assert_int_eq(memcmp(f.got.p, f.want.p, f.want.len), 0);
	controls = mode == FB9_APPDATA || mode == FB9_APPDATA_RECV ? 2 : 0;
	ck_assert_int_eq(f.enxio, controls);
	kfx_buf_free(&f.want);
	kfx_buf_free(&f.got);
	tfx_finish(f.sv, 2);
}

START_TEST(fb09_plain_read)
{

	fb9_scenario(FB9_PLAIN, _i, 9000 + (uint64_t)_i);
}
END_TEST

START_TEST(fb09_recvmsg_cmsg)
{

	fb9_scenario(FB9_CMSG, _i, 9100 + (uint64_t)_i);
}
END_TEST

START_TEST(fb09_tlsappdata)
{

	fb9_scenario(FB9_APPDATA, _i, 9200 + (uint64_t)_i);
}
END_TEST

START_TEST(fb09_tlsappdata_recv)
{

	fb9_scenario(FB9_APPDATA_RECV, _i, 9300 + (uint64_t)_i);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb09_control_midstream");
	SC_ADD(s, fb09_plain_read, TLSM_NSUITES);
	SC_ADD(s, fb09_recvmsg_cmsg, TLSM_NSUITES);
	SC_ADD(s, fb09_tlsappdata, TLSM_NSUITES);
	SC_ADD(s, fb09_tlsappdata_recv, TLSM_NSUITES);
	return (uktest_run(s));
}
