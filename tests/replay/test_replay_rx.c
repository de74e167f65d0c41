/*
 * The receive check of `uktls replay` (sw mode): captured segments go
 * into a KTLS receive socket and every record must come back whole, as
 * the model decrypted it.  These cases change a capture and see the
 * check say exactly which record went wrong and keep going:
 *
 *   - a flipped byte inside a record (GCM, ChaCha20, CBC; TLS 1.2 and
 *     1.3): that record fails on receive (EBADMSG, as the model), every
 *     other record of the file still verifies, in the same session;
 *   - a header the kernel cannot frame (a wrong version): the kernel
 *     drops the connection there; the record fails, the rest of the
 *     direction verifies in a new receive session;
 *   - a receive check that is wrong on purpose (the expected plaintext
 *     or type changed): the check fails and says how;
 *   - a record not given to the receive check: the next one starts a
 *     new session where it begins;
 *   - more connections at once than receive sockets are kept open: the
 *     closed ones start again where they were, nothing fails;
 *   - what a direction holds for the receive check stays about one
 *     record, however long the stream.
 */
#include "replay_fixture.h"

#define	TRACE12	"traces/tls12-aes128gcm"
#define	TRACE13	"traces/tls13-aes128gcm"

/* The direction (0 client, 1 server) with more records after the
 * hand-off, and its application record in the middle. */
static void
pick_target(const struct rf_conn *c, int *side, size_t *target)
{
	const struct rf_dir *d;
	size_t i, n[2], want, k;

	for (i = 0; i < 2; i++) {
		n[i] = 0;
		for (k = 0; k < c->dir[i].nrec; k++)
			n[i] += c->dir[i].rec[k].app_phase;
	}
	*side = n[1] >= n[0] ? 1 : 0;
	d = &c->dir[*side];
	want = n[*side] / 2;
	*target = 0;
	for (i = 0; i < d->nrec; i++) {
		if (!d->rec[i].app_phase || d->rec[i].type != 23)
			continue;
		*target = i;
		if (d->rec[i].index >= want)
			break;
	}
	ck_assert_uint_gt(*target, 0);
	ck_assert_uint_lt(*target + 1, d->nrec);
}

/* Every check of every record of connection c passed but of record
 * target on side tside (-1: none). */
static void
all_pass_but(const struct rf_conn *c, int tside, size_t target)
{
	const struct rf_rec *x;
	size_t i;
	int k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < c->dir[k].nrec; i++) {
			x = &c->dir[k].rec[i];
			if (!x->app_phase || (k == tside && i == target))
				continue;
			ck_assert_msg(x->verdict == RP_PASS &&
			    x->check[RP_CHECK_RX] == RP_PASS,
			    "conn %llu %s record %llu: verdict %d, rx %d: %s",
			    (unsigned long long)c->index, k == 0 ? "client" :
			    "server", (unsigned long long)x->index, x->verdict,
			    x->check[RP_CHECK_RX], x->why);
		}
}

/*
 * The reference run of base, then a run of two copies of it in one file
 * with bit flipped in one byte of the first copy: off bytes into the
 * middle record of the busier direction (from the record's end if off
 * is negative).
 */
static void
flip_run(const char *base, long off, uint8_t bit, struct rf_run *ref,
    struct rf_run *r, int *side, size_t *target)
{
	const struct rf_rec *x;
	struct rf_flip fl;
	char *keys, *tmp;

	rf_reference(base, ref);
	pick_target(&ref->conn[0], side, target);
	x = &ref->conn[0].dir[*side].rec[*target];
	memset(&fl, 0, sizeof(fl));
	fl.tcp_seq = x->tcp_seq + (uint32_t)(off >= 0 ? off :
	    (long)x->wire_len + off);
	fl.bit = bit;
	fl.client = *side == 0;
	keys = rf_trace_file(base, ".keys");
	tmp = rf_tmp_path("rxflip.pcap");
	rf_two_connections(base, tmp, rf_flip_byte, &fl);
	ck_assert_int_gt(fl.done, 0);
	rf_replay(tmp, keys, r, NULL);
	ck_assert_msg(r->rc == RP_EXIT_FAILED, "%s: exit %d: %s", base, r->rc,
	    r->msgs);
	ck_assert_int_eq(r->nconn, 2);
	ck_assert_uint_eq(r->tot.failed, 1);
	unlink(tmp);
	free(keys);
	free(tmp);
}

static const char *flip_traces[] = {
	"traces/tls12-aes128gcm",	/* AES-GCM, TLS 1.2 */
	"traces/tls13-aes128gcm",	/* AES-GCM, TLS 1.3 */
	"traces/tls13-chacha20",	/* ChaCha20-Poly1305, 1.3, pcapng */
	"traces/tls12-aes256-sha384",	/* AES-CBC, HMAC-SHA384 */
	"traces/tls12-aes128-sha",	/* AES-CBC, HMAC-SHA1 */
};

/*
 * Flip the last byte of a record in the middle of the busier direction
 * (the tag, or the CBC padding), in the first of two copies of the
 * connection.
 */
START_TEST(test_rx_flipped_record)
{
	struct rf_run ref, r;
	const struct rf_rec *x, *y;
	const struct rf_conn *c;
	char want[400];
	const char *base, *who;
	size_t target;
	int side, k;

	base = flip_traces[_i];
	flip_run(base, -1, 0, &ref, &r, &side, &target);
	x = &ref.conn[0].dir[side].rec[target];
	who = side == 0 ? "client" : "server";
	c = &r.conn[0];
	y = &c->dir[side].rec[target];
	ck_assert_int_eq(y->verdict, RP_FAIL);
	ck_assert_int_eq(y->check[RP_CHECK_MODEL], RP_FAIL);
	ck_assert_int_eq(y->check[RP_CHECK_RX], RP_FAIL);
	ck_assert(y->rx_ran);
	ck_assert(!y->rx_record);
	ck_assert_int_eq(y->rx_error, EBADMSG);
	ck_assert_uint_eq(c->res.dir[side].check[RP_CHECK_RX].failed, 1);
	/* The message names the connection and the record. */
	snprintf(want, sizeof(want), "replay: conn 1 (%s -> %s): %s record "
	    "%llu (seq %llu, frame %llu, TCP seq %u): uktls receive: "
	    "rejected it (EBADMSG), as the model did", c->res.client,
	    c->res.server, who, (unsigned long long)x->index,
	    (unsigned long long)x->seq, (unsigned long long)y->frame,
	    x->tcp_seq);
	ck_assert_msg(strstr(r.msgs, want) != NULL, "%s: no '%s' in: %s",
	    base, want, r.msgs);
	/* Everything else verifies, on both paths, in one session each. */
	all_pass_but(c, side, target);
	all_pass_but(&r.conn[1], -1, 0);
	for (k = 0; k < 2; k++) {
		ck_assert_uint_eq(c->res.dir[k].rx_sessions, 1);
		ck_assert_uint_eq(r.conn[1].res.dir[k].rx_sessions, 1);
		ck_assert_uint_eq(r.conn[1].res.dir[k].check[RP_CHECK_RX].
		    verified,
		    ref.conn[0].res.dir[k].check[RP_CHECK_RX].verified);
		ck_assert_uint_eq(c->res.dir[k].check[RP_CHECK_RX].verified,
		    ref.conn[0].res.dir[k].check[RP_CHECK_RX].verified -
		    (k == side));
	}
	/* What was received is the stream without that record. */
	ck_assert_uint_eq(c->dir[side].rx_app.len + x->plain_len,
	    ref.conn[0].dir[side].rx_app.len);
	ck_assert_uint_eq(r.conn[1].dir[side].rx_app.len,
	    ref.conn[0].dir[side].rx_app.len);
	ck_assert_int_eq(memcmp(r.conn[1].dir[side].rx_app.p,
	    ref.conn[0].dir[side].rx_app.p, ref.conn[0].dir[side].rx_app.len),
	    0);
	rf_free(&ref);
	rf_free(&r);
}
END_TEST

/*
 * The version of a record's header changed (3,3 to 3,1): the record
 * layer of both TLS 1.2 and 1.3 KTLS sessions refuses it and drops the
 * connection (EINVAL).  The records after it come in a new session.
 */
START_TEST(test_rx_header_drop)
{
	static const char *bases[] = { TRACE12, TRACE13 };
	struct rf_run ref, r;
	const struct rf_rec *x, *y;
	const struct rf_conn *c;
	char want[120];
	size_t target, i;
	int side;

	/* The minor version, 3 to 1. */
	flip_run(bases[_i], 2, 0x02, &ref, &r, &side, &target);
	x = &ref.conn[0].dir[side].rec[target];
	c = &r.conn[0];
	y = &c->dir[side].rec[target];
	ck_assert_int_eq(y->verdict, RP_FAIL);
	ck_assert_int_eq(y->check[RP_CHECK_RX], RP_FAIL);
	ck_assert_int_eq(y->rx_error, EINVAL);
	snprintf(want, sizeof(want), "record %llu (seq %llu, frame %llu",
	    (unsigned long long)x->index, (unsigned long long)x->seq,
	    (unsigned long long)y->frame);
	ck_assert_msg(strstr(r.msgs, want) != NULL, "no '%s' in %s", want,
	    r.msgs);
	ck_assert_ptr_nonnull(strstr(r.msgs, "uktls receive: dropped the "
	    "connection at its header (EINVAL)"));
	/* The next record starts a second session; all the rest pass. */
	ck_assert_uint_eq(c->res.dir[side].rx_sessions, 2);
	ck_assert(c->dir[side].rec[target + 1].rx_new_session);
	for (i = 0; i < c->dir[side].nrec; i++)
		if (i != target + 1)
			ck_assert(!c->dir[side].rec[i].rx_new_session ||
			    c->dir[side].rec[i].index == 0);
	all_pass_but(c, side, target);
	all_pass_but(&r.conn[1], -1, 0);
	ck_assert_uint_eq(r.conn[1].res.dir[side].rx_sessions, 1);
	rf_free(&ref);
	rf_free(&r);
}
END_TEST

/*
 * The sw backend with the expectation changed for one record: the
 * receive check must notice.
 */
static const struct replay_backend *wrap_sw;
static int wrap_mode;		/* 1 plaintext, 2 type, 3 length, 4 skip */
static uint64_t wrap_index;
static uint8_t wrap_buf[1 << 15];

static enum rp_verdict
wrap_rx_record(void *dctx, const struct rp_rec *r, struct rp_rx_got *got,
    char *msg, size_t msglen)
{
	struct rp_rec r2;

	if (r->from_client || r->index != wrap_index || r->plain == NULL)
		return (wrap_sw->rx_record(dctx, r, got, msg, msglen));
	if (wrap_mode == 4) {
		/* As if the kernel could not have taken it. */
		memset(got, 0, sizeof(*got));
		return (RP_PASS);
	}
	r2 = *r;
	ck_assert_uint_gt(r->plain_len, 100);
	ck_assert_uint_le(r->plain_len, sizeof(wrap_buf));
	memcpy(wrap_buf, r->plain, r->plain_len);
	switch (wrap_mode) {
	case 1:
		wrap_buf[77] ^= 1;
		break;
	case 2:
		r2.type = 21;
		break;
	case 3:
		r2.plain_len--;
		break;
	}
	r2.plain = wrap_buf;
	return (wrap_sw->rx_record(dctx, &r2, got, msg, msglen));
}

START_TEST(test_rx_check_fails)
{
	static const char *expect[] = { NULL,
	    "uktls receive: plaintext differs from the model's from byte 77",
	    "uktls receive: record type 23, the model 21",
	    "uktls receive: %zu bytes of plaintext, the model %zu" };
	struct replay_backend wrap;
	const struct rf_rec *x;
	struct rf_run ref, r;
	char *pcap, *keys, want[120];
	const char *why;
	size_t i;

	rf_reference(TRACE12, &ref);
	wrap_sw = replay_backend_find("sw", &why);
	ck_assert_ptr_nonnull(wrap_sw);
	wrap = *wrap_sw;
	wrap.rx_record = wrap_rx_record;
	wrap_mode = _i + 1;
	x = NULL;
	for (i = 0; i < ref.conn[0].dir[1].nrec; i++) {
		x = &ref.conn[0].dir[1].rec[i];
		if (x->app_phase && x->type == 23 && x->plain_len > 1000)
			break;
	}
	ck_assert_uint_lt(i, ref.conn[0].dir[1].nrec);
	wrap_index = x->index;
	pcap = rf_trace_file(TRACE12, ".pcap");
	keys = rf_trace_file(TRACE12, ".keys");
	rf_replay_be(pcap, keys, &r, NULL, &wrap);
	ck_assert_int_eq(r.rc, RP_EXIT_FAILED);
	ck_assert_uint_eq(r.tot.failed, 1);
	ck_assert_int_eq(r.conn[0].dir[1].rec[i].check[RP_CHECK_RX], RP_FAIL);
	ck_assert_int_eq(r.conn[0].dir[1].rec[i].check[RP_CHECK_MODEL],
	    RP_PASS);
	ck_assert_int_eq(r.conn[0].dir[1].rec[i].check[RP_CHECK_TX], RP_PASS);
	snprintf(want, sizeof(want), expect[wrap_mode], x->plain_len,
	    x->plain_len - 1);
	ck_assert_msg(strstr(r.msgs, want) != NULL, "no '%s' in %s", want,
	    r.msgs);
	/* The record was read all the same: the next ones still pass. */
	all_pass_but(&r.conn[0], 1, i);
	rf_free(&ref);
	rf_free(&r);
	free(pcap);
	free(keys);
}
END_TEST

/*
 * A record the receive path is not given (as a TLS 1.3 ChangeCipherSpec
 * after the hand-off would not be): its bytes were fed, so the socket's
 * stream does not go on to the next record; that one starts a new
 * session at its own sequence number and offset, and the rest verifies.
 */
START_TEST(test_rx_skipped_record)
{
	struct replay_backend wrap;
	struct rf_run ref, r;
	const struct rf_dir *d;
	char *pcap, *keys;
	const char *why;
	size_t i, skip;

	rf_reference(TRACE13, &ref);
	wrap_sw = replay_backend_find("sw", &why);
	ck_assert_ptr_nonnull(wrap_sw);
	wrap = *wrap_sw;
	wrap.rx_record = wrap_rx_record;
	wrap_mode = 4;
	d = &ref.conn[0].dir[1];
	for (skip = 0; skip < d->nrec; skip++)
		if (d->rec[skip].app_phase && d->rec[skip].index == 5)
			break;
	ck_assert_uint_lt(skip + 1, d->nrec);
	wrap_index = 5;
	pcap = rf_trace_file(TRACE13, ".pcap");
	keys = rf_trace_file(TRACE13, ".keys");
	rf_replay_be(pcap, keys, &r, NULL, &wrap);
	ck_assert_int_eq(r.rc, RP_EXIT_OK);
	ck_assert_uint_eq(r.conn[0].res.dir[1].rx_sessions, 2);
	d = &r.conn[0].dir[1];
	ck_assert(d->rec[skip + 1].rx_new_session);
	ck_assert(!d->rec[skip + 2].rx_new_session);
	for (i = skip + 1; i < d->nrec; i++)
		ck_assert_int_eq(d->rec[i].check[RP_CHECK_RX], RP_PASS);
	ck_assert_uint_eq(d->rx_app.len + d->rec[skip].plain_len,
	    ref.conn[0].dir[1].rx_app.len);
	rf_free(&ref);
	rf_free(&r);
	free(pcap);
	free(keys);
}
END_TEST

/* Connections summed up as they close. */
struct many {
	int		 nconn;
	uint64_t	 records, verified, rx_verified, sessions;
	uint64_t	 plain, rx_plain;
	int		 bad;
};

static void
many_on_conn(void *arg, const struct rp_conn_result *c)
{
	struct many *m = arg;
	int k;

	m->nconn++;
	for (k = 0; k < 2; k++) {
		m->records += c->dir[k].records;
		m->verified += c->dir[k].total.verified;
		m->rx_verified += c->dir[k].check[RP_CHECK_RX].verified;
		m->sessions += c->dir[k].rx_sessions;
		m->plain += c->dir[k].plaintext_bytes;
		m->rx_plain += c->dir[k].rx_plaintext_bytes;
		if (c->dir[k].check[RP_CHECK_RX].verified != c->dir[k].records)
			m->bad++;
	}
}

/*
 * 80 copies of a connection, interleaved packet by packet: more
 * directions are receiving at once than receive sockets are kept open,
 * so sockets are closed in the middle of records and opened again where
 * they stood.  Every record still verifies on receive.
 */
START_TEST(test_rx_many_connections)
{
	struct replay_opts o;
	struct replay_totals tot;
	struct rf_run ref;
	struct many m;
	char *keys, *tmp;
	const char *why;
	int rc;

	rf_reference("traces/tls13-padding", &ref);
	keys = rf_trace_file("traces/tls13-padding", ".keys");
	tmp = rf_tmp_path("many.pcap");
	rf_copies("traces/tls13-padding", tmp, 80, NULL, NULL);
	memset(&o, 0, sizeof(o));
	memset(&m, 0, sizeof(m));
	o.keylog = keys;
	o.backend = replay_backend_find("sw", &why);
	o.on_conn = many_on_conn;
	o.arg = &m;
	rc = replay_run(tmp, &o, &tot);
	ck_assert_int_eq(rc, RP_EXIT_OK);
	ck_assert_int_eq(m.nconn, 80);
	ck_assert_uint_eq(tot.failed, 0);
	ck_assert_int_eq(m.bad, 0);
	ck_assert_uint_eq(m.records, 80 * (ref.conn[0].res.dir[0].records +
	    ref.conn[0].res.dir[1].records));
	ck_assert_uint_eq(m.verified, m.records);
	ck_assert_uint_eq(m.rx_verified, m.records);
	ck_assert_uint_eq(m.rx_plain, m.plain);
	ck_assert_uint_eq(m.plain, 80 * (ref.conn[0].dir[0].rx_app.len +
	    ref.conn[0].dir[1].rx_app.len));
	/* Sockets were closed and opened again. */
	ck_assert_uint_gt(m.sessions, 2 * 80);
	unlink(tmp);
	rf_free(&ref);
	free(keys);
	free(tmp);
}
END_TEST

/*
 * The server sends about 300 KB: what the receive check holds at once
 * is about one record, not the stream.  (test_replay_inputs holds it to
 * the same with the segments cut, reordered and sent twice.)
 */
START_TEST(test_rx_memory)
{
	const struct rp_dir_result *d;
	struct rf_run ref;

	rf_reference(TRACE12, &ref);
	d = &ref.conn[0].res.dir[1];
	ck_assert_uint_gt(d->wire_bytes, 300000);
	ck_assert_uint_eq(d->check[RP_CHECK_RX].verified, d->records);
	ck_assert_uint_gt(d->rx_held_peak, 16384);
	ck_assert_uint_lt(d->rx_held_peak, 16384 + 2048 + 2 * 1500);
	rf_free(&ref);
}
END_TEST

static Suite *
replay_rx_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("replay_rx");
	tc = uktest_tcase("corrupt");
	tcase_add_loop_test(tc, test_rx_flipped_record, 0,
	    (int)(sizeof(flip_traces) / sizeof(flip_traces[0])));
	tcase_add_loop_test(tc, test_rx_header_drop, 0, 2);
	tcase_add_loop_test(tc, test_rx_check_fails, 0, 3);
	tcase_add_test(tc, test_rx_skipped_record);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("limits");
	tcase_add_test(tc, test_rx_many_connections);
	tcase_add_test(tc, test_rx_memory);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(replay_rx_suite()));
}
