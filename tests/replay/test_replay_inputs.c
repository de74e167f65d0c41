/*
 * `uktls replay` on captures that are not clean: rewritten copies of a
 * real trace with segments reordered, duplicated, split with overlaps,
 * dropped or changed, a second connection, a connection that is not TLS,
 * keys missing, the file truncated or its header corrupt.  Each case
 * checks the counts, the exit status, that the message names the
 * connection and the record (or TCP sequence range), and that the other
 * connections are still checked.
 */
#include <sys/stat.h>

#include "replay_fixture.h"

#define	TRACE12	"traces/tls12-aes128gcm"
#define	TRACE13	"traces/tls13-aes128gcm"

static void
same_result(const struct rf_conn *a, const struct rf_conn *b)
{
	size_t i;
	int d;

	for (d = 0; d < 2; d++) {
		ck_assert_uint_eq(a->dir[d].app.len, b->dir[d].app.len);
		ck_assert_int_eq(memcmp(a->dir[d].app.p, b->dir[d].app.p,
		    a->dir[d].app.len), 0);
		ck_assert_uint_eq(a->dir[d].nrec, b->dir[d].nrec);
		for (i = 0; i < a->dir[d].nrec; i++) {
			ck_assert_uint_eq(a->dir[d].rec[i].wire_len,
			    b->dir[d].rec[i].wire_len);
			ck_assert_uint_eq(a->dir[d].rec[i].seq,
			    b->dir[d].rec[i].seq);
			ck_assert_int_eq(a->dir[d].rec[i].verdict,
			    b->dir[d].rec[i].verdict);
		}
		ck_assert_uint_eq(a->res.dir[d].total.verified,
		    b->res.dir[d].total.verified);
		ck_assert_uint_eq(a->res.dir[d].check[RP_CHECK_RX].verified,
		    b->res.dir[d].check[RP_CHECK_RX].verified);
		ck_assert_uint_eq(a->dir[d].rx_app.len, b->dir[d].rx_app.len);
		ck_assert(a->dir[d].rx_app.len == 0 ||
		    memcmp(a->dir[d].rx_app.p, b->dir[d].rx_app.p,
		    a->dir[d].rx_app.len) == 0);
	}
}

START_TEST(test_reordered_duplicated_split)
{
	struct rf_run ref, r;
	struct rf_cap in, out;
	struct rf_tcpoff o;
	char *pcap, *keys, *tmp;
	size_t i, third, nsplit;

	rf_reference(TRACE12, &ref);
	pcap = rf_trace_file(TRACE12, ".pcap");
	keys = rf_trace_file(TRACE12, ".keys");
	tmp = rf_tmp_path("reorder.pcap");
	rf_cap_read(pcap, &in);
	memset(&out, 0, sizeof(out));
	out.dlt = in.dlt;
	nsplit = 0;
	for (i = 0; i < in.n; i++) {
		if (!rf_server_data(&in.pkt[i], &o) || o.len < 30) {
			rf_cap_add(&out, &in.pkt[i].h, in.pkt[i].data);
			continue;
		}
		/*
		 * Each server segment as two overlapping pieces, the later
		 * one first; every third one also retransmitted whole
		 * after the next segment.
		 */
		third = o.len / 3;
		rf_cap_add_slice(&out, &in.pkt[i], third, o.len);
		rf_cap_add_slice(&out, &in.pkt[i], 0, 2 * third);
		if (nsplit++ % 3 == 0 && i + 1 < in.n) {
			rf_cap_add(&out, &in.pkt[i + 1].h, in.pkt[i + 1].data);
			rf_cap_add(&out, &in.pkt[i].h, in.pkt[i].data);
			i++;
		}
	}
	ck_assert_uint_gt(nsplit, 20);
	rf_cap_write(&out, tmp);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_msg(r.rc == RP_EXIT_OK, "exit %d: %s", r.rc, r.msgs);
	ck_assert_int_eq(r.nconn, 1);
	same_result(&ref.conn[0], &r.conn[0]);
	ck_assert_uint_gt(r.conn[0].res.dir[1].tcp.ooo_segments, 20);
	ck_assert_uint_gt(r.conn[0].res.dir[1].tcp.dup_bytes, 1000);
	ck_assert_uint_eq(r.conn[0].res.dir[1].tcp.conflicts, 0);
	ck_assert_uint_eq(r.conn[0].res.dir[1].tcp.gaps, 0);
	/* Smaller pieces: more segments fed to the receive path, which
	 * still holds about a record at a time. */
	ck_assert_uint_gt(r.conn[0].res.dir[1].rx_segments,
	    ref.conn[0].res.dir[1].rx_segments);
	ck_assert_uint_lt(r.conn[0].res.dir[1].rx_held_peak,
	    16384 + 2048 + 2 * 1500);
	unlink(tmp);
	rf_cap_free(&in);
	rf_cap_free(&out);
	rf_free(&ref);
	rf_free(&r);
	free(pcap);
	free(keys);
	free(tmp);
}
END_TEST

START_TEST(test_gap)
{
	struct rf_run ref, r;
	const struct rf_rec *x;
	struct rf_cap in;
	struct rf_tcpoff o;
	char *pcap, *keys, *tmp, want[80];
	size_t i, j, drop, target;
	uint32_t seq, inside;

	/* Drop a server segment from the middle of a long record. */
	rf_reference(TRACE13, &ref);
	target = 0;
	for (i = 0; i < ref.conn[0].dir[1].nrec && target == 0; i++) {
		x = &ref.conn[0].dir[1].rec[i];
		if (x->app_phase && x->index > 5 && x->wire_len > 8000)
			target = i;
	}
	ck_assert_uint_gt(target, 0);
	x = &ref.conn[0].dir[1].rec[target];
	inside = x->tcp_seq + 4000;
	pcap = rf_trace_file(TRACE13, ".pcap");
	keys = rf_trace_file(TRACE13, ".keys");
	tmp = rf_tmp_path("gap.pcap");
	rf_cap_read(pcap, &in);
	drop = in.n;
	seq = 0;
	for (i = 0; i < in.n && drop == in.n; i++) {
		if (!rf_server_data(&in.pkt[i], &o))
			continue;
		seq = rf_get32(in.pkt[i].data + o.tcp + 4);
		if (inside - seq < o.len)
			drop = i;
	}
	ck_assert_uint_lt(drop, in.n);
	ck_assert_int_eq(rf_tcp_of(&in.pkt[drop], &o), 0);
	ck_assert(seq != x->tcp_seq);
	free(in.pkt[drop].data);
	for (j = drop; j + 1 < in.n; j++)
		in.pkt[j] = in.pkt[j + 1];
	in.n--;
	rf_cap_write(&in, tmp);
	rf_replay(tmp, keys, &r, NULL);
	/* Not guessed, not failed: missing, said so, exit 3. */
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert_uint_eq(r.tot.failed, 0);
	ck_assert_uint_eq(r.conn[0].res.dir[1].tcp.gaps, 1);
	ck_assert_uint_eq(r.conn[0].res.dir[1].tcp.gap_bytes, o.len);
	snprintf(want, sizeof(want), "missing at TCP seq %u-%u", seq,
	    seq + (uint32_t)o.len - 1);
	ck_assert_msg(strstr(r.msgs, want) != NULL, "no '%s' in: %s", want,
	    r.msgs);
	ck_assert_ptr_nonnull(strstr(r.msgs, "conn 1 (127.0.0.1:"));
	/* The record with the hole is not verifiable; those before it
	 * were checked; the client's direction is whole. */
	ck_assert_uint_eq(rf_reason(&r.conn[0].res.dir[1],
	    "missing data (gap in capture)"), 1);
	ck_assert_uint_eq(r.conn[0].res.dir[1].records, x->index + 1);
	ck_assert_uint_eq(r.conn[0].res.dir[1].total.verified, x->index);
	ck_assert_uint_eq(r.conn[0].res.dir[1].check[RP_CHECK_RX].verified,
	    x->index);
	ck_assert_uint_eq(rf_check_reason(&r.conn[0].res.dir[1], RP_CHECK_RX,
	    "missing data (gap in capture)"), 1);
	ck_assert_uint_eq(r.conn[0].res.dir[0].total.verified,
	    ref.conn[0].res.dir[0].total.verified);
	unlink(tmp);
	rf_cap_free(&in);
	rf_free(&ref);
	rf_free(&r);
	free(pcap);
	free(keys);
	free(tmp);
}
END_TEST

START_TEST(test_flipped_byte)
{
	struct rf_run ref, r;
	const struct rf_rec *x;
	struct rf_flip fl;
	char *keys, *tmp, want[120];
	size_t i, target;

	/* The server's 10th application record: flip the last byte of its
	 * tag. */
	rf_reference(TRACE12, &ref);
	target = 0;
	for (i = 0; i < ref.conn[0].dir[1].nrec; i++) {
		x = &ref.conn[0].dir[1].rec[i];
		if (x->app_phase && x->index == 10)
			target = i;
	}
	ck_assert_uint_gt(target, 0);
	x = &ref.conn[0].dir[1].rec[target];
	ck_assert_int_eq(x->type, 23);
	memset(&fl, 0, sizeof(fl));
	fl.tcp_seq = x->tcp_seq + (uint32_t)x->wire_len - 1;
	keys = rf_trace_file(TRACE12, ".keys");
	tmp = rf_tmp_path("flip.pcap");
	rf_two_connections(TRACE12, tmp, rf_flip_byte, &fl);
	ck_assert(fl.done);

	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_FAILED);
	ck_assert_int_eq(r.nconn, 2);
	ck_assert_uint_eq(r.tot.failed, 1);
	ck_assert_uint_eq(r.conn[0].res.dir[1].total.failed, 1);
	ck_assert_uint_eq(r.conn[0].res.dir[1].check[RP_CHECK_MODEL].failed,
	    1);
	/* The receive path refused it too, and took every other record. */
	ck_assert_uint_eq(r.conn[0].res.dir[1].check[RP_CHECK_RX].failed, 1);
	ck_assert_uint_eq(r.conn[0].res.dir[1].check[RP_CHECK_RX].verified,
	    ref.conn[0].res.dir[1].check[RP_CHECK_RX].verified - 1);
	ck_assert_uint_eq(r.conn[1].res.dir[1].check[RP_CHECK_RX].verified,
	    ref.conn[0].res.dir[1].check[RP_CHECK_RX].verified);
	/* Every other record of both connections still verifies. */
	ck_assert_uint_eq(r.conn[0].res.dir[1].total.verified,
	    ref.conn[0].res.dir[1].total.verified - 1);
	for (i = 0; i < 2; i++)
		ck_assert_uint_eq(r.conn[1].res.dir[i].total.verified,
		    ref.conn[0].res.dir[i].total.verified);
	ck_assert_uint_eq(r.conn[0].res.dir[0].total.verified,
	    ref.conn[0].res.dir[0].total.verified);
	ck_assert_int_eq(r.conn[0].dir[1].rec[target].verdict, RP_FAIL);
	ck_assert_int_eq(r.conn[0].dir[1].rec[target + 1].verdict, RP_PASS);
	snprintf(want, sizeof(want), "server record 10 (seq %llu, frame %llu",
	    (unsigned long long)x->seq, (unsigned long long)
	    r.conn[0].dir[1].rec[target].frame);
	ck_assert_msg(strstr(r.msgs, want) != NULL, "no '%s' in: %s", want,
	    r.msgs);
	ck_assert_ptr_nonnull(strstr(r.msgs, "conn 1 ("));
	ck_assert_ptr_nonnull(strstr(r.msgs, "authentication failed"));
	ck_assert_ptr_nonnull(strstr(r.msgs, "uktls receive: rejected it "
	    "(EBADMSG), as the model did"));
	ck_assert_int_eq(r.conn[0].dir[1].rec[target + 1].check[RP_CHECK_RX],
	    RP_PASS);
	/* Its plaintext is not in the stream. */
	ck_assert_uint_lt(r.conn[0].dir[1].app.len,
	    ref.conn[0].dir[1].app.len);
	unlink(tmp);
	rf_free(&ref);
	rf_free(&r);
	free(keys);
	free(tmp);
}
END_TEST

START_TEST(test_conflicting_retransmission)
{
	struct rf_run ref, r;
	struct rf_cap in;
	struct rf_tcpoff o;
	struct rf_pkt k;
	char *pcap, *keys, *tmp;
	size_t i, nth;

	/* A later copy of a server segment with a changed byte: the first
	 * copy wins (everything verifies) and the difference is told. */
	rf_reference(TRACE12, &ref);
	pcap = rf_trace_file(TRACE12, ".pcap");
	keys = rf_trace_file(TRACE12, ".keys");
	tmp = rf_tmp_path("conflict.pcap");
	memset(&o, 0, sizeof(o));
	rf_cap_read(pcap, &in);
	for (i = nth = 0; i < in.n; i++)
		if (rf_server_data(&in.pkt[i], &o) && ++nth == 15)
			break;
	ck_assert_uint_lt(i, in.n - 1);
	k = in.pkt[i];
	rf_cap_add(&in, &k.h, k.data);
	in.pkt[in.n - 1].data[o.payload + 3] ^= 1;
	/* Put it right after the next packet. */
	k = in.pkt[in.n - 1];
	memmove(&in.pkt[i + 3], &in.pkt[i + 2], (in.n - i - 3) *
	    sizeof(in.pkt[0]));
	in.pkt[i + 2] = k;
	rf_cap_write(&in, tmp);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_OK);
	same_result(&ref.conn[0], &r.conn[0]);
	ck_assert_uint_eq(r.conn[0].res.dir[1].tcp.conflicts, 1);
	ck_assert_ptr_nonnull(strstr(r.msgs, "differ from the copy captured "
	    "first"));
	unlink(tmp);
	rf_cap_free(&in);
	rf_free(&ref);
	rf_free(&r);
	free(pcap);
	free(keys);
	free(tmp);
}
END_TEST

START_TEST(test_missing_key)
{
	struct rf_run ref, r;
	char *keys, *tmp, *kl, line[512];
	FILE *in, *out;
	int i;

	rf_reference(TRACE13, &ref);
	/* A key log without this session's lines. */
	kl = rf_tmp_path("empty.keys");
	out = fopen(kl, "w");
	ck_assert_ptr_nonnull(out);
	fprintf(out, "# no keys here\nCLIENT_RANDOM %064d %096d\n", 1, 2);
	fclose(out);
	keys = rf_trace_file(TRACE13, ".pcap");
	rf_replay(keys, kl, &r, NULL);
	free(keys);
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert_uint_eq(r.tot.failed, 0);
	ck_assert_uint_eq(r.tot.verified, 0);
	ck_assert_ptr_nonnull(strstr(r.msgs, "conn 1 (127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(r.msgs, "TRAFFIC_SECRET_0 in the key log "
	    "for client random"));
	ck_assert(!r.conn[0].res.keys);
	for (i = 0; i < 2; i++) {
		ck_assert_uint_gt(r.conn[0].res.dir[i].records, 0);
		ck_assert_uint_eq(rf_reason(&r.conn[0].res.dir[i],
		    "no key in key log"), r.conn[0].res.dir[i].records);
		/* Nothing to receive with: not checked, not failed. */
		ck_assert_uint_eq(rf_check_reason(&r.conn[0].res.dir[i],
		    RP_CHECK_RX, "no key in key log"),
		    r.conn[0].res.dir[i].records);
		ck_assert_uint_eq(r.conn[0].res.dir[i].rx_sessions, 0);
		ck_assert_uint_eq(r.conn[0].res.dir[i].rx_segments, 0);
	}
	rf_free(&r);

	/* Two connections, a key for one: that one verifies. */
	tmp = rf_tmp_path("twokeys.pcap");
	rf_two_connections(TRACE13, tmp, NULL, NULL);
	rf_replay(tmp, kl, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert_int_eq(r.nconn, 2);
	rf_free(&r);
	keys = rf_trace_file(TRACE13, ".keys");
	in = fopen(keys, "r");
	out = fopen(kl, "w");
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), in) != NULL)
		fputs(line, out);
	fclose(in);
	fclose(out);
	rf_replay(tmp, kl, &r, NULL);
	/* Both copies share the client random: both verify. */
	ck_assert_int_eq(r.rc, RP_EXIT_OK);
	ck_assert_uint_eq(r.tot.verified, 2 * ref.tot.verified);
	ck_assert_uint_eq(r.tot.check[RP_CHECK_RX][0],
	    2 * ref.tot.check[RP_CHECK_RX][0]);
	unlink(tmp);
	unlink(kl);
	rf_free(&r);
	rf_free(&ref);
	free(keys);
	free(kl);
	free(tmp);
}
END_TEST

/* An HTTP connection added to a TLS trace. */
static void
add_http(struct rf_cap *c)
{
	static const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct rf_tcpoff o;
	struct rf_pkt k;
	uint8_t f[200];
	size_t n;

	k = c->pkt[0];
	ck_assert_int_eq(rf_tcp_of(&k, &o), 0);
	ck_assert_uint_le(o.payload, 100);
	memcpy(f, k.data, o.payload);
	f[o.tcp] = 0x9c, f[o.tcp + 1] = 0x40;		/* 40000 */
	f[o.tcp + 2] = 0x00, f[o.tcp + 3] = 0x50;	/* 80 */
	f[o.tcp + 13] = RP_TH_ACK;
	n = strlen(req);
	memcpy(f + o.payload, req, n);
	f[16] = (uint8_t)((o.payload - 14 + n) >> 8);
	f[17] = (uint8_t)(o.payload - 14 + n);
	k.h.caplen = k.h.len = (bpf_u_int32)(o.payload + n);
	rf_cap_add(c, &k.h, f);
}

START_TEST(test_not_tls)
{
	struct rf_run ref, r;
	struct rf_cap in;
	char *pcap, *keys, *tmp;

	rf_reference(TRACE12, &ref);
	pcap = rf_trace_file(TRACE12, ".pcap");
	keys = rf_trace_file(TRACE12, ".keys");
	tmp = rf_tmp_path("http.pcap");
	rf_cap_read(pcap, &in);
	add_http(&in);
	rf_cap_write(&in, tmp);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert_int_eq(r.nconn, 2);
	ck_assert_uint_eq(r.tot.failed, 0);
	ck_assert(r.conn[0].res.tls);
	same_result(&ref.conn[0], &r.conn[0]);
	ck_assert(!r.conn[1].res.tls);
	ck_assert_str_eq(r.conn[1].res.client_from, "ports");
	ck_assert_ptr_nonnull(strstr(r.msgs, "conn 2 (127.0.0.1:40000 -> "
	    "127.0.0.1:80): not TLS: the client stream starts with 47 45 54 "
	    "20"));
	unlink(tmp);
	rf_cap_free(&in);
	rf_free(&ref);
	rf_free(&r);
	free(pcap);
	free(keys);
	free(tmp);
}
END_TEST

static void
copy_prefix(const char *from, const char *to, long len)
{
	FILE *in, *out;
	char buf[4096];
	size_t n, want;

	in = fopen(from, "rb");
	out = fopen(to, "wb");
	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	while (len > 0) {
		want = len < (long)sizeof(buf) ? (size_t)len : sizeof(buf);
		n = fread(buf, 1, want, in);
		if (n == 0)
			break;
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
		len -= (long)n;
	}
	fclose(in);
	fclose(out);
}

START_TEST(test_truncated)
{
	struct rf_run ref, r;
	struct stat sb;
	char *pcap, *keys, *tmp;

	rf_reference(TRACE12, &ref);
	pcap = rf_trace_file(TRACE12, ".pcap");
	keys = rf_trace_file(TRACE12, ".keys");
	tmp = rf_tmp_path("cut.pcap");
	ck_assert_int_eq(stat(pcap, &sb), 0);
	/* Cut in the middle of a packet, two thirds in. */
	copy_prefix(pcap, tmp, sb.st_size * 2 / 3 + 7);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert(r.tot.truncated);
	ck_assert_uint_eq(r.tot.failed, 0);
	ck_assert_ptr_nonnull(strstr(r.msgs, "capture unreadable after frame"));
	ck_assert_ptr_nonnull(strstr(r.msgs, "truncated"));
	/* The connection is still reported: what arrived is checked. */
	ck_assert_int_eq(r.nconn, 1);
	ck_assert(r.conn[0].closed);
	ck_assert_str_eq(r.conn[0].res.closed, "end of capture");
	ck_assert_uint_gt(r.conn[0].res.dir[1].total.verified, 10);
	ck_assert_uint_lt(r.conn[0].res.dir[1].records,
	    ref.conn[0].res.dir[1].records);
	/* Received up to the cut; the record cut short is not checked. */
	ck_assert_uint_eq(r.conn[0].res.dir[1].check[RP_CHECK_RX].failed, 0);
	ck_assert_uint_eq(r.conn[0].res.dir[1].check[RP_CHECK_RX].verified,
	    r.conn[0].res.dir[1].total.verified);
	ck_assert_uint_eq(rf_check_reason(&r.conn[0].res.dir[1], RP_CHECK_RX,
	    "capture ends inside record"), 1);
	ck_assert_uint_eq(r.conn[0].res.dir[1].records,
	    r.conn[0].res.dir[1].total.verified + 1);
	ck_assert_uint_lt(r.conn[0].dir[1].rx_app.len,
	    ref.conn[0].dir[1].rx_app.len);
	ck_assert_uint_gt(r.conn[0].dir[1].rx_app.len, 0);
	ck_assert_int_eq(memcmp(r.conn[0].dir[1].rx_app.p,
	    ref.conn[0].dir[1].rx_app.p, r.conn[0].dir[1].rx_app.len), 0);
	rf_free(&r);

	/* Cut inside the file header. */
	copy_prefix(pcap, tmp, 10);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_USAGE);
	ck_assert(r.tot.unreadable);
	ck_assert_ptr_nonnull(strstr(r.tot.error, "not a capture"));
	unlink(tmp);
	rf_free(&r);
	rf_free(&ref);
	free(pcap);
	free(keys);
	free(tmp);
}
END_TEST

START_TEST(test_corrupt_header)
{
	struct rf_run r;
	char *pcap, *keys, *tmp;
	FILE *fp;

	pcap = rf_trace_file(TRACE12, ".pcap");
	keys = rf_trace_file(TRACE12, ".keys");
	tmp = rf_tmp_path("corrupt.pcap");
	copy_prefix(pcap, tmp, 1 << 30);
	fp = fopen(tmp, "r+b");
	ck_assert_ptr_nonnull(fp);
	fwrite("\xde\xad\xbe\xef", 1, 4, fp);	/* the magic number */
	fclose(fp);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_USAGE);
	ck_assert(r.tot.unreadable);
	ck_assert_ptr_nonnull(strstr(r.tot.error, tmp));
	rf_free(&r);

	/* A packet header claiming a huge length: read up to it. */
	copy_prefix(pcap, tmp, 1 << 30);
	fp = fopen(tmp, "r+b");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, 24 + 8, SEEK_SET), 0);
	fwrite("\xff\xff\xff\x7f", 1, 4, fp);	/* frame 1's caplen */
	fclose(fp);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert(r.tot.truncated);
	ck_assert_uint_eq(r.tot.pcap.frames, 0);
	rf_free(&r);

	/* A file that does not exist; an empty one. */
	unlink(tmp);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.tot.error, "No such file"));
	rf_free(&r);
	fp = fopen(tmp, "w");
	fclose(fp);
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_USAGE);
	rf_free(&r);
	unlink(tmp);
	free(pcap);
	free(keys);
	free(tmp);
}
END_TEST

START_TEST(test_bad_keylog)
{
	struct rf_run r;
	char *pcap, *kl;
	FILE *fp;

	pcap = rf_trace_file(TRACE12, ".pcap");
	kl = rf_tmp_path("bad.keys");
	fp = fopen(kl, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "# fine\nCLIENT_RANDOM 0011 zz\n");
	fclose(fp);
	rf_replay(pcap, kl, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.tot.error, "line 2"));
	ck_assert_int_eq(r.nconn, 0);
	rf_free(&r);
	unlink(kl);
	rf_replay(pcap, kl, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(r.tot.error, "No such file"));
	rf_free(&r);
	/* No key log at all: every record is not verifiable, exit 3. */
	rf_replay(pcap, NULL, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert_uint_eq(r.tot.verified, 0);
	ck_assert_uint_gt(r.tot.not_verifiable, 0);
	rf_free(&r);
	free(pcap);
	free(kl);
}
END_TEST

START_TEST(test_reorder_cap)
{
	struct rf_run r;
	struct rf_cap in, out;
	struct rf_tcpoff o;
	struct rp_tcp_limits lim = { 2048, 0, 0 };
	char *pcap, *keys, *tmp;
	size_t i, held;

	/* The 5th server data segment arrives last of all: with a small
	 * reordering buffer the hole becomes a gap early, and the late
	 * copy changes nothing. */
	pcap = rf_trace_file(TRACE12, ".pcap");
	keys = rf_trace_file(TRACE12, ".keys");
	tmp = rf_tmp_path("cap.pcap");
	rf_cap_read(pcap, &in);
	memset(&out, 0, sizeof(out));
	out.dlt = in.dlt;
	for (i = held = 0; i < in.n; i++) {
		if (rf_server_data(&in.pkt[i], &o) && o.len > 1000 &&
		    held == 0) {
			held = i;
			continue;
		}
		rf_cap_add(&out, &in.pkt[i].h, in.pkt[i].data);
	}
	ck_assert_uint_gt(held, 0);
	rf_cap_add(&out, &in.pkt[held].h, in.pkt[held].data);
	rf_cap_write(&out, tmp);
	rf_replay(tmp, keys, &r, &lim);
	ck_assert_int_eq(r.rc, RP_EXIT_INPUT);
	ck_assert_uint_eq(r.tot.failed, 0);
	ck_assert_uint_eq(r.conn[0].res.dir[1].tcp.overflows, 1);
	ck_assert_uint_le(r.conn[0].res.dir[1].tcp.ooo_peak, 2048 + 1500);
	ck_assert_ptr_nonnull(strstr(r.msgs, "more than the reordering buffer "
	    "holds"));
	rf_free(&r);
	/* With the default buffer it is just reordering. */
	rf_replay(tmp, keys, &r, NULL);
	ck_assert_int_eq(r.rc, RP_EXIT_OK);
	unlink(tmp);
	rf_free(&r);
	rf_cap_free(&in);
	rf_cap_free(&out);
	free(pcap);
	free(keys);
	free(tmp);
}
END_TEST

/*
 * A stand-in for the kernel's receive path, to check the seam it plugs
 * into: from the hand-off on it must be given every captured byte of
 * the direction, segment by segment, and each record once all its bytes
 * have been given, in order, with its sequence number and stream offset.
 */
struct probe {
	struct rf_buf	 fed;
	uint64_t	 off0;		/* stream offset of fed.p[0] */
	size_t		 consumed;
	uint64_t	 next_seq;
	int		 nrx;
};

static int probe_opened, probe_closed;
static uint64_t probe_fed, probe_consumed;

static void *
probe_dir_open(const struct rp_handoff *h)
{
	struct probe *p;

	p = calloc(1, sizeof(*p));
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(h->st);
	ck_assert_ptr_nonnull(h->suite);
	p->next_seq = h->seq;
	p->off0 = h->off;
	probe_opened++;
	return (p);
}

static void
probe_dir_close(void *arg)
{
	struct probe *p = arg;

	ck_assert_uint_le(p->consumed, p->fed.len);
	probe_fed += p->fed.len;
	probe_consumed += p->consumed;
	free(p->fed.p);
	free(p);
	probe_closed++;
}

static void
probe_rx_segment(void *arg, const uint8_t *b, size_t len, uint64_t frame)
{
	struct probe *p = arg;

	ck_assert_uint_gt(len, 0);
	ck_assert_uint_gt(frame, 0);
	rf_buf_add(&p->fed, b, len);
}

static enum rp_verdict
probe_rx_record(void *arg, const struct rp_rec *r, struct rp_rx_got *got,
    char *msg, size_t len)
{
	struct probe *p = arg;

	(void)got, (void)msg, (void)len;
	ck_assert_uint_le(p->consumed + r->wire_len, p->fed.len);
	ck_assert_uint_eq(r->off, p->off0 + p->consumed);
	ck_assert_int_eq(memcmp(p->fed.p + p->consumed, r->wire, r->wire_len),
	    0);
	ck_assert_uint_eq(r->seq, p->next_seq);
	ck_assert_ptr_nonnull(r->plain);
	p->consumed += r->wire_len;
	p->next_seq++;
	p->nrx++;
	return (RP_PASS);
}

static enum rp_verdict
probe_tx_record(void *arg, const struct rp_rec *r, char *msg, size_t len)
{

	(void)arg, (void)r, (void)msg, (void)len;
	return (RP_PASS);
}

static const struct replay_backend probe_backend = {
	.name = "probe",
	.dir_open = probe_dir_open,
	.dir_close = probe_dir_close,
	.rx_segment = probe_rx_segment,
	.rx_record = probe_rx_record,
	.tx_record = probe_tx_record,
};

static uint64_t
app_wire_bytes(const struct rf_dir *d)
{
	uint64_t n;
	size_t i;

	for (i = n = 0; i < d->nrec; i++)
		if (d->rec[i].app_phase)
			n += d->rec[i].wire_len;
	return (n);
}

START_TEST(test_receive_seam)
{
	static const char *names[] = { "tls13-padding", "tls13-keyupdate",
	    "tls12-aes128-sha", "tls10-aes128-sha" };
	const struct rp_dir_result *d;
	char *pcap, *keys, base[64];
	struct rf_run r;
	uint64_t wire;
	size_t i;
	int k, tls10, ku;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(base, sizeof(base), "traces/%s", names[i]);
		tls10 = strcmp(names[i], "tls10-aes128-sha") == 0;
		ku = strcmp(names[i], "tls13-keyupdate") == 0;
		pcap = rf_trace_file(base, ".pcap");
		keys = rf_trace_file(base, ".keys");
		probe_opened = probe_closed = 0;
		probe_fed = probe_consumed = 0;
		rf_replay_be(pcap, keys, &r, NULL, &probe_backend);
		ck_assert_int_eq(r.rc, RP_EXIT_OK);
		ck_assert_int_eq(probe_opened, 2);
		ck_assert_int_eq(probe_closed, 2);
		wire = app_wire_bytes(&r.conn[0].dir[0]) +
		    app_wire_bytes(&r.conn[0].dir[1]);
		ck_assert_uint_gt(wire, 0);
		if (tls10) {
			/* FreeBSD has no TLS 1.0 receive: nothing is fed. */
			ck_assert_uint_eq(probe_fed, 0);
		} else if (ku) {
			/* Feeding stops after the KeyUpdate (new keys). */
			ck_assert_uint_lt(probe_fed, wire);
			ck_assert_uint_gt(probe_consumed, 0);
		} else {
			/* Every byte from the hand-off on was fed, once,
			 * and every record read. */
			ck_assert_uint_eq(probe_fed, wire);
			ck_assert_uint_eq(probe_consumed, wire);
		}
		for (k = 0; k < 2; k++) {
			d = &r.conn[0].res.dir[k];
			if (tls10) {
				ck_assert_uint_eq(d->rx_segments, 0);
				ck_assert_uint_eq(rf_check_reason(d,
				    RP_CHECK_RX, "TLS 1.0 receive not "
				    "supported by FreeBSD KTLS"), d->records);
				/* The transmit check alone verifies them. */
				ck_assert_uint_eq(d->total.verified,
				    d->records);
				continue;
			}
			ck_assert_uint_gt(d->rx_segments, 0);
			if (ku) {
				/* Up to the KeyUpdate, then new keys. */
				ck_assert_uint_gt(
				    d->check[RP_CHECK_RX].verified, 2);
				ck_assert_uint_eq(d->check[RP_CHECK_RX].
				    not_verifiable, rf_check_reason(d,
				    RP_CHECK_RX, "after KeyUpdate (new traffic "
				    "keys)"));
				ck_assert_uint_gt(
				    d->check[RP_CHECK_RX].not_verifiable, 0);
				ck_assert_uint_eq(d->total.verified,
				    d->check[RP_CHECK_RX].verified);
				continue;
			}
			/* Padded records are received all the same, and so
			 * verified although KTLS would not send them. */
			ck_assert_uint_eq(d->check[RP_CHECK_RX].verified,
			    d->records);
			ck_assert_uint_eq(d->total.verified, d->records);
		}
		if (strcmp(names[i], "tls13-padding") == 0)
			ck_assert_uint_eq(rf_check_reason(&r.conn[0].res.dir[1],
			    RP_CHECK_TX, "TLS 1.3 record padding"),
			    r.conn[0].res.dir[1].records);
		rf_free(&r);
		free(pcap);
		free(keys);
	}
}
END_TEST

static Suite *
replay_inputs_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("replay_inputs");
	tc = uktest_tcase("tcp");
	tcase_add_test(tc, test_reordered_duplicated_split);
	tcase_add_test(tc, test_gap);
	tcase_add_test(tc, test_conflicting_retransmission);
	tcase_add_test(tc, test_reorder_cap);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("tls");
	tcase_add_test(tc, test_flipped_byte);
	tcase_add_test(tc, test_missing_key);
	tcase_add_test(tc, test_not_tls);
	tcase_add_test(tc, test_receive_seam);
	suite_add_tcase(s, tc);
	tc = uktest_tcase("file");
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_corrupt_header);
	tcase_add_test(tc, test_bad_keylog);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(replay_inputs_suite()));
}
