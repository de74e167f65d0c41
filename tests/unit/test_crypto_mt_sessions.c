/*
 * The software TLS crypto backend under threads: sessions used from
 * different threads at once share nothing, and one session used by
 * several threads at once (which the KTLS core avoids, but must not
 * corrupt) serialises its records.  Every record is checked against the
 * model; KC_CRYPTO_BYTES must add up exactly.  Runs under ThreadSanitizer
 * with the "threads" label.
 *
 * Worker threads do not call Check's assertions: they count failures and
 * the main thread asserts on the counts.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_fixture.h"

#define	NTHREADS	4
#define	NRECORDS	150

struct worker {
	struct ct_suite		*cs;	/* shared in the one-session test */
	struct tlsm_state	 st;	/* this thread's model */
	uint64_t		 seq0;	/* first sequence number */
	int			 failures;
	int64_t			 bytes;	/* payload bytes through the cipher */
};

/* Encrypt in 3 slices, compare with the model, decrypt, compare again. */
static int
one_record(struct worker *w, uint64_t seq, size_t plen)
{
	struct ct_suite *cs;
	struct tlsm_seal_opts o;
	struct khost_iov iov[3];
	uint8_t *pt, *buf, *want, hdr[32], trailer[320], type;
	size_t wantlen, cut1, cut2;
	int trl, tlen, bad;

	cs = w->cs;
	pt = malloc(plen + 1);
	buf = malloc(plen + 1);
	want = malloc(CT_MAXREC);
	if (pt == NULL || buf == NULL || want == NULL)
		return (1);
	uktest_fill(pt, plen, (uint32_t)seq, 0);
	memcpy(buf, pt, plen);
	trl = ct_trllen(cs, plen);
	ct_frame(cs, TLS_RLTYPE_APP, plen, trl, seq, hdr);
	cut1 = plen / 3;
	cut2 = plen - plen / 5;
	iov[0].iov_base = buf;
	iov[0].iov_len = cut1;
	iov[1].iov_base = buf + cut1;
	iov[1].iov_len = cut2 - cut1;
	iov[2].iov_base = buf + cut2;
	iov[2].iov_len = plen - cut2;

	bad = 0;
	if (khost_crypto_encrypt(cs->tx, hdr, cs->hdrlen, seq, TLS_RLTYPE_APP,
	    iov, 3, iov, 3, trailer, trl) != 0)
		bad = 1;
	memset(&o, 0, sizeof(o));
	if (cs->hdrlen > 5)
		o.explicit_iv = hdr + 5;
	if (!bad && (tlsm_seal(&w->st, seq, TLS_RLTYPE_APP, pt, plen, &o,
	    want, CT_MAXREC, &wantlen) != 0 ||
	    wantlen != (size_t)cs->hdrlen + plen + (size_t)trl ||
	    memcmp(want, hdr, (size_t)cs->hdrlen) != 0 ||
	    memcmp(want + cs->hdrlen, buf, plen) != 0 ||
	    memcmp(want + cs->hdrlen + plen, trailer, (size_t)trl) != 0))
		bad = 1;
	if (!bad)
		w->bytes += (int64_t)plen;

	/* Decrypt in place: the body is ciphertext then trailer. */
	if (!bad && cs->rx != NULL) {
		free(buf);
		buf = malloc(plen + (size_t)trl);
		if (buf == NULL)
			return (1);
		memcpy(buf, want + cs->hdrlen, plen + (size_t)trl);
		iov[0].iov_base = buf;
		iov[0].iov_len = cut2;
		iov[1].iov_base = buf + cut2;
		iov[1].iov_len = plen + (size_t)trl - cut2;
		if (khost_crypto_decrypt(cs->rx, hdr, cs->hdrlen, seq, iov, 2,
		    &tlen, &type) != 0 || tlen != trl ||
		    type != TLS_RLTYPE_APP || memcmp(buf, pt, plen) != 0)
			bad = 1;
		else
			w->bytes += (int64_t)plen;
	}
	free(pt);
	free(buf);
	free(want);
	return (bad);
}

static void *
worker_main(void *arg)
{
	struct worker *w;
	int k;

	w = arg;
	for (k = 0; k < NRECORDS; k++)
		w->failures += one_record(w, w->seq0 + (uint64_t)k,
		    (size_t)(k * 97 % 2000));
	return (NULL);
}

static void
run_workers(struct worker *w, int n)
{
	pthread_t tid[NTHREADS];
	int k;

	for (k = 0; k < n; k++)
		ck_assert_int_eq(pthread_create(&tid[k], NULL, worker_main,
		    &w[k]), 0);
	for (k = 0; k < n; k++)
		ck_assert_int_eq(pthread_join(tid[k], NULL), 0);
}

/* Each thread its own session, all suites spread over the threads. */
START_TEST(test_mt_own_sessions)
{
	struct ct_suite cs[NTHREADS];
	struct worker w[NTHREADS];
	int64_t before, expect;
	int round, k;

	for (round = 0; round < TLSM_NSUITES / NTHREADS; round++) {
		before = ct_crypto_bytes();
		for (k = 0; k < NTHREADS; k++) {
			ct_setup(&cs[k], round * NTHREADS + k);
			memset(&w[k], 0, sizeof(w[k]));
			w[k].cs = &cs[k];
			w[k].st = cs[k].st;
			w[k].seq0 = 1;
		}
		run_workers(w, NTHREADS);
		expect = 0;
		for (k = 0; k < NTHREADS; k++) {
			ck_assert_msg(w[k].failures == 0, "%s: %d failures",
			    cs[k].ms->name, w[k].failures);
			expect += w[k].bytes;
			ct_teardown(&cs[k]);
		}
		ck_assert_int_eq(ct_crypto_bytes() - before, expect);
	}
}
END_TEST

/*
 * One transmit session, several threads.  Only suites without a chained
 * IV: each thread seals with its own copy of the model state, which is
 * right only when records do not depend on each other.
 */
START_TEST(test_mt_shared_session)
{
	struct ct_suite cs;
	struct worker w[NTHREADS];
	int64_t before, expect;
	int k;

	ct_setup(&cs, _i);
	if (cs.tls10) {
		ct_teardown(&cs);
		return;
	}
	/* Only the transmit side is shared; the model checks each record. */
	khost_crypto_destroy(cs.rx);
	cs.rx = NULL;
	before = ct_crypto_bytes();
	for (k = 0; k < NTHREADS; k++) {
		memset(&w[k], 0, sizeof(w[k]));
		w[k].cs = &cs;
		w[k].st = cs.st;
		w[k].seq0 = (uint64_t)k * 1000000;
	}
	run_workers(w, NTHREADS);
	expect = 0;
	for (k = 0; k < NTHREADS; k++) {
		ck_assert_msg(w[k].failures == 0, "thread %d: %d failures", k,
		    w[k].failures);
		expect += w[k].bytes;
	}
	ck_assert_int_eq(ct_crypto_bytes() - before, expect);
	ct_teardown(&cs);
}
END_TEST

static Suite *
mt_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("crypto_mt");
	tc = uktest_tcase("sessions");
	tcase_add_test(tc, test_mt_own_sessions);
	tcase_add_loop_test(tc, test_mt_shared_session, 0, TLSM_NSUITES);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (uktest_run(mt_suite()));
}
