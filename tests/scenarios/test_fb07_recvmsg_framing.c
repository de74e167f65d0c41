/*
 * Field bug 7: recvmsg() framing on a KTLS receive socket.  A reader
 * must see MSG_EOR at the end of each record, must not lose control
 * data silently (MSG_CTRUNC when its buffer is too small), and must
 * never see stale bytes: no TLS header or trailer in the data, nothing
 * written past what a call returned, no control message left over from
 * an earlier record.
 *
 * Scenario: uktls's transmit session sends records of chosen sizes and
 * types (TLS_SET_RECORD_TYPE, one record per call) over a lossy,
 * splitting link to a receive session.  Buffers are filled with a
 * sentinel before every call, so anything written beyond what the call
 * reports shows.
 *
 *   fb07_eor_partial_reads  data buffers of 1, 7, 1000 and 4096 bytes:
 *                           the control message with the first part
 *                           only, MSG_EOR with the last only, never into
 *                           the next record; MSG_WAITALL stops at the
 *                           record's end too
 *   fb07_ctrunc             control buffers from none at all to just big
 *                           enough: MSG_CTRUNC exactly when the message
 *                           does not fit, the data whole anyway, and the
 *                           next record's message is its own
 *   fb07_peek               MSG_PEEK returns what the next read returns
 */
#include "scenario.h"

#define	FB7_SENTINEL	0xEE
#define	FB7_NREC	24

/* The plan: record i's type and length; its bytes are a pattern. */
static void
fb7_record(int i, uint8_t *type, size_t *len)
{
	static const size_t lens[] = { 1, 100, 1447, 1448, 5000, 16384, 2,
	    777, 4096, 4097, 13, 9000 };

	*len = lens[i % 12];
	*type = i % 5 == 3 ? TLS_RLTYPE_ALERT : i % 7 == 4 ?
	    TLS_RLTYPE_HANDSHAKE : TLS_RLTYPE_APP;
}

struct fb7_conn {
	int		 sv[2];
	const struct tlsm_suite *suite;
	int		 next;		/* next record to send */
	int		 read;		/* next record to read */
};

static void
fb7_open(struct fb7_conn *f, const struct tlsm_suite *s, uint64_t seed)
{
	struct tlsm_state keys;

	memset(f, 0, sizeof(*f));
	f->suite = s;
	sc_net(seed, 1.0, 3.0, 1.0, 50.0, 0);
	tfx_pair(f->sv);
	keys = sc_keys(s, 700 + (uint32_t)seed);
	sc_enable(f->sv[0], TCP_TXTLS_ENABLE, &keys, seed);
	sc_enable(f->sv[1], TCP_RXTLS_ENABLE, &keys, seed);
}

/* Send the next records, as many as fit in the peer's window. */
static void
fb7_send_batch(struct fb7_conn *f)
{
	uint8_t buf[16384], type;
	size_t len, total;

	for (total = 0; f->next < FB7_NREC; f->next++) {
		fb7_record(f->next, &type, &len);
		if (total + len > 40000)
			break;
		uktest_fill(buf, len, 701, (uint64_t)f->next << 16);
		ck_assert_int_eq(kfx_send_type(f->sv[0], buf, len, type),
		    (ssize_t)len);
		total += len;
	}
	(void)uk_net_run();
}

/*
 * One recvmsg() with fresh sentinels in both buffers (ctl NULL: no
 * control buffer at all).  Checks that nothing past n data bytes or
 * past msg_controllen control bytes was written.
 */
static ssize_t
fb7_recvmsg(int s, uint8_t *buf, size_t len, uint8_t *ctl, size_t ctllen,
    int flags, struct msghdr *msg)
{
	struct iovec iov;
	ssize_t n;
	size_t i;

	memset(buf, FB7_SENTINEL, len + 64);
	if (ctl != NULL)
		memset(ctl, FB7_SENTINEL, 256);
	memset(msg, 0, sizeof(*msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg->msg_iov = &iov;
	msg->msg_iovlen = 1;
	msg->msg_control = ctl;
	msg->msg_controllen = ctllen;
	n = uk_recvmsg(s, msg, flags);
	msg->msg_iov = NULL;
	if (n < 0)
		return (n);
	/* (Check's asserts are slow: test, then fail.) */
	for (i = (size_t)n; i < len + 64; i++)
		if (buf[i] != FB7_SENTINEL)
			ck_abort_msg("data byte %zu written past the %zd "
			    "returned", i, n);
	if (msg->msg_controllen > ctllen)
		ck_abort_msg("msg_controllen %zu > %zu",
		    (size_t)msg->msg_controllen, ctllen);
	if (ctl != NULL)
		for (i = msg->msg_controllen; i < 256; i++)
			if (ctl[i] != FB7_SENTINEL)
				ck_abort_msg("control byte %zu written past "
				    "msg_controllen %zu", i,
				    (size_t)msg->msg_controllen);
	return (n);
}

/* The TLS_GET_RECORD a full control buffer must hold for record i. */
static void
fb7_check_cmsg(const struct msghdr *msg, int i, size_t len, uint8_t type,
    const struct tlsm_suite *s)
{
	struct tls_get_record tgr;
	struct cmsghdr *cm;

	ck_assert_uint_eq(msg->msg_controllen, CMSG_SPACE(sizeof(tgr)));
	cm = CMSG_FIRSTHDR(msg);
	ck_assert_ptr_nonnull(cm);
	ck_assert_int_eq(cm->cmsg_level, IPPROTO_TCP);
	ck_assert_int_eq(cm->cmsg_type, TLS_GET_RECORD);
	ck_assert_uint_eq(cm->cmsg_len, CMSG_LEN(sizeof(tgr)));
	memcpy(&tgr, CMSG_DATA(cm), sizeof(tgr));
	ck_assert_msg(tgr.tls_type == type && ntohs(tgr.tls_length) == len,
	    "record %d: type %u length %u, sent %u %zu", i, tgr.tls_type,
	    ntohs(tgr.tls_length), type, len);
	ck_assert_uint_eq(tgr.tls_vmajor, TLS_MAJOR_VER_ONE);
	ck_assert_uint_eq(tgr.tls_vminor, s->version == TLSM_V13 ?
	    TLS_MINOR_VER_TWO : (s->version & 0xff));
}

/*
 * _i = suite * 4 + buffer size.  Every record is read in parts of at
 * most bufsz bytes.
 */
START_TEST(fb07_eor_partial_reads)
{
	static const size_t bufsz[] = { 1, 7, 1000, 4096 };
	const struct tlsm_suite *s = &tlsm_suites[_i / 4];
	static uint8_t buf[16384 + 64], ctl[256], want[16384];
	struct msghdr msg;
	struct fb7_conn f;
	size_t bs, got, len;
	ssize_t n;
	uint8_t type;
	int part;

	if (!rfx_suite_ok(s))
		return;
	bs = bufsz[_i % 4];
	fb7_open(&f, s, 7000 + (uint64_t)_i);
	while (f.read < FB7_NREC) {
		if (f.read == f.next)
			fb7_send_batch(&f);
		fb7_record(f.read, &type, &len);
		uktest_fill(want, len, 701, (uint64_t)f.read << 16);
		for (got = 0, part = 0; got < len; part++) {
			n = fb7_recvmsg(f.sv[1], buf, bs, ctl, sizeof(ctl),
			    MSG_DONTWAIT, &msg);
			if (n <= 0 || (size_t)n > len - got ||
			    memcmp(buf, want + got, (size_t)n) != 0)
				ck_abort_msg("record %d part %d: %zd (%s)",
				    f.read, part, n, n < 0 ? strerror(errno) :
				    "wrong bytes");
			got += (size_t)n;
			if ((msg.msg_flags & MSG_CTRUNC) != 0)
				ck_abort_msg("record %d: MSG_CTRUNC", f.read);
			/* The control message with the first part only. */
			if (part == 0)
				fb7_check_cmsg(&msg, f.read, len, type, s);
			else if (msg.msg_controllen != 0)
				ck_abort_msg("record %d part %d: a control "
				    "message", f.read, part);
			/* MSG_EOR with the last part only. */
			if (((msg.msg_flags & MSG_EOR) != 0) != (got == len))
				ck_abort_msg("record %d part %d: MSG_EOR %d at "
				    "%zu of %zu", f.read, part,
				    (msg.msg_flags & MSG_EOR) != 0, got, len);
		}
		f.read++;
	}
	/* MSG_WAITALL stops at a record's end all the same. */
	ck_assert_int_eq(kfx_send_type(f.sv[0], want, 100, TLS_RLTYPE_APP),
	    100);
	ck_assert_int_eq(kfx_send_type(f.sv[0], want, 200, TLS_RLTYPE_APP),
	    200);
	(void)uk_net_run();
	ck_assert_int_eq(uk_recv(f.sv[1], buf, 300, MSG_WAITALL), 100);
	ck_assert_int_eq(uk_recv(f.sv[1], buf, 300, MSG_WAITALL), 200);
	ck_assert_int_eq(uk_shutdown(f.sv[0], SHUT_WR), 0);
	(void)uk_net_run();
	ck_assert_int_eq(uk_recv(f.sv[1], buf, 300, MSG_WAITALL), 0);
	tfx_finish(f.sv, 2);
}
END_TEST

/*
 * _i = suite.  Record i is read with control room rooms[i % n] (SIZE_MAX:
 * no control buffer), the next one always with enough.
 */
START_TEST(fb07_ctrunc)
{
	static const size_t rooms[] = { SIZE_MAX, 0, 1, sizeof(struct cmsghdr)
	    - 1, sizeof(struct cmsghdr), CMSG_LEN(sizeof(struct tls_get_record))
	    - 1, CMSG_LEN(sizeof(struct tls_get_record)),
	    CMSG_SPACE(sizeof(struct tls_get_record)) };
	const struct tlsm_suite *s = &tlsm_suites[_i];
	static uint8_t buf[16384 + 64], ctl[256], want[16384];
	struct tls_get_record tgr;
	struct cmsghdr cm;
	struct msghdr msg;
	struct fb7_conn f;
	size_t len, room, need;
	ssize_t n;
	uint8_t type;

	if (!rfx_suite_ok(s))
		return;
	need = CMSG_LEN(sizeof(tgr));
	fb7_open(&f, s, 7100 + (uint64_t)_i);
	while (f.read < FB7_NREC) {
		if (f.read == f.next)
			fb7_send_batch(&f);
		fb7_record(f.read, &type, &len);
		uktest_fill(want, len, 701, (uint64_t)f.read << 16);
		room = f.read % 2 == 0 ?
		    rooms[(f.read / 2) % (sizeof(rooms) / sizeof(rooms[0]))] :
		    sizeof(ctl);
		n = fb7_recvmsg(f.sv[1], buf, sizeof(buf) - 64,
		    room == SIZE_MAX ? NULL : ctl, room == SIZE_MAX ? 0 : room,
		    MSG_DONTWAIT, &msg);
		/* The data comes whole whatever happens to the message. */
		ck_assert_int_eq(n, (ssize_t)len);
		ck_assert_int_eq(memcmp(buf, want, len), 0);
		ck_assert_int_eq(msg.msg_flags & MSG_EOR, MSG_EOR);
		if (room == SIZE_MAX) {
			/* Nothing asked for, nothing truncated. */
			ck_assert_int_eq(msg.msg_flags & MSG_CTRUNC, 0);
			ck_assert_uint_eq(msg.msg_controllen, 0);
		} else if (room < need) {
			ck_assert_msg((msg.msg_flags & MSG_CTRUNC) != 0,
			    "room %zu: no MSG_CTRUNC", room);
			if (room >= sizeof(cm)) {
				/* The header, saying how much was copied. */
				ck_assert_uint_eq(msg.msg_controllen, room);
				memcpy(&cm, ctl, sizeof(cm));
				ck_assert_uint_eq(cm.cmsg_len, room);
				ck_assert_int_eq(cm.cmsg_level, IPPROTO_TCP);
				ck_assert_int_eq(cm.cmsg_type, TLS_GET_RECORD);
			} else
				ck_assert_uint_eq(msg.msg_controllen, 0);
		} else {
			ck_assert_int_eq(msg.msg_flags & MSG_CTRUNC, 0);
			if (room >= CMSG_SPACE(sizeof(tgr)))
				fb7_check_cmsg(&msg, f.read, len, type, s);
			else
				ck_assert_uint_eq(msg.msg_controllen, need);
		}
		f.read++;
	}
	ck_assert_int_eq(uk_shutdown(f.sv[0], SHUT_WR), 0);
	(void)uk_net_run();
	n = fb7_recvmsg(f.sv[1], buf, 100, ctl, sizeof(ctl), 0, &msg);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(msg.msg_flags & (MSG_EOR | MSG_CTRUNC), 0);
	ck_assert_uint_eq(msg.msg_controllen, 0);
	tfx_finish(f.sv, 2);
}
END_TEST

/* MSG_PEEK, whole and in part: the next read returns the same. */
START_TEST(fb07_peek)
{
	const struct tlsm_suite *s = &tlsm_suites[_i];
	static uint8_t buf[16384 + 64], pbuf[16384 + 64], ctl[256], pctl[256];
	struct msghdr msg, pmsg;
	struct fb7_conn f;
	size_t len, plen;
	ssize_t n, p;
	uint8_t type;

	if (!rfx_suite_ok(s))
		return;
	fb7_open(&f, s, 7200 + (uint64_t)_i);
	while (f.read < FB7_NREC) {
		if (f.read == f.next)
			fb7_send_batch(&f);
		fb7_record(f.read, &type, &len);
		plen = f.read % 2 == 0 ? len : (len + 1) / 2;
		p = fb7_recvmsg(f.sv[1], pbuf, plen, pctl, sizeof(pctl),
		    MSG_PEEK | MSG_DONTWAIT, &pmsg);
		ck_assert_int_eq(p, (ssize_t)plen);
		fb7_check_cmsg(&pmsg, f.read, len, type, s);
		n = fb7_recvmsg(f.sv[1], buf, sizeof(buf) - 64, ctl,
		    sizeof(ctl), MSG_DONTWAIT, &msg);
		ck_assert_int_eq(n, (ssize_t)len);
		ck_assert_int_eq(memcmp(buf, pbuf, plen), 0);
		ck_assert_int_eq(memcmp(ctl, pctl, CMSG_SPACE(sizeof(struct
		    tls_get_record))), 0);
		ck_assert_int_eq(msg.msg_flags & MSG_EOR, MSG_EOR);
		ck_assert_int_eq((pmsg.msg_flags & MSG_EOR) != 0, plen == len);
		f.read++;
	}
	ck_assert_int_eq(uk_shutdown(f.sv[0], SHUT_WR), 0);
	(void)uk_net_run();
	ck_assert_int_eq(uk_read(f.sv[1], buf, 10), 0);
	tfx_finish(f.sv, 2);
}
END_TEST

int
main(void)
{
	Suite *s;

	s = suite_create("fb07_recvmsg_framing");
	SC_ADD(s, fb07_eor_partial_reads, 4 * TLSM_NSUITES);
	SC_ADD(s, fb07_ctrunc, TLSM_NSUITES);
	SC_ADD(s, fb07_peek, TLSM_NSUITES);
	return (uktest_run(s));
}
