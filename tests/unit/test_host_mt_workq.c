/*
 * The host work queue, in both modes, and the host locks across threads.
 * Runs under ThreadSanitizer (the file name has _mt_).
 *
 * Deterministic mode: nothing runs before uk_run()/uk_run_one(), items run
 * in FIFO order on the caller's thread, work queued by work runs in the
 * same uk_run().  Threaded mode: N workers run every item exactly once,
 * uk_run() waits for the queue to go idle and counts what ran; changing
 * mode with work queued is refused (EBUSY).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uktest.h"
#include "sys/khost.h"

/* ---- deterministic mode ---------------------------------------------- */

#define	NLOG	64

struct order_log {
	int	ol_ids[NLOG];
	int	ol_n;
};

struct oitem {
	struct khost_work	 oi_work;
	struct order_log	*oi_log;
	int			 oi_id;
	struct oitem		*oi_then;	/* queued when this one runs */
	pthread_t		 oi_thread;	/* who ran it */
};

static void
oitem_run(void *arg)
{
	struct oitem *it = arg;

	ck_assert_int_lt(it->oi_log->ol_n, NLOG);
	it->oi_log->ol_ids[it->oi_log->ol_n++] = it->oi_id;
	it->oi_thread = pthread_self();
	if (it->oi_then != NULL)
		khost_work_enqueue(&it->oi_then->oi_work);
}

static void
oitem_init(struct oitem *it, struct order_log *log, int id)
{

	memset(it, 0, sizeof(*it));
	it->oi_work.kw_fn = oitem_run;
	it->oi_work.kw_arg = it;
	it->oi_log = log;
	it->oi_id = id;
}

START_TEST(test_det_fifo)
{
	struct order_log log = { .ol_n = 0 };
	struct oitem it[10];
	int i;

	ck_assert_int_eq(khost_workers(), 0);
	ck_assert_int_eq(uk_workers(), 0);
	ck_assert_int_eq(uk_run(), 0);
	for (i = 0; i < 10; i++) {
		oitem_init(&it[i], &log, i);
		khost_work_enqueue(&it[i].oi_work);
	}
	ck_assert_int_eq(uk_pending(), 10);
	ck_assert_int_eq(log.ol_n, 0);
	ck_assert_int_eq(uk_run(), 10);
	ck_assert_int_eq(uk_pending(), 0);
	ck_assert_int_eq(log.ol_n, 10);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(log.ol_ids[i], i);
		ck_assert(pthread_equal(it[i].oi_thread, pthread_self()));
	}
	/* An item may be queued again once it has run. */
	khost_work_enqueue(&it[3].oi_work);
	ck_assert_int_eq(uk_run(), 1);
	ck_assert_int_eq(log.ol_ids[10], 3);
}
END_TEST

START_TEST(test_det_run_one)
{
	struct order_log log = { .ol_n = 0 };
	struct oitem it[3];
	int i;

	ck_assert_int_eq(uk_run_one(), 0);
	for (i = 0; i < 3; i++) {
		oitem_init(&it[i], &log, 10 + i);
		khost_work_enqueue(&it[i].oi_work);
	}
	ck_assert_int_eq(uk_run_one(), 1);
	ck_assert_int_eq(log.ol_n, 1);
	ck_assert_int_eq(log.ol_ids[0], 10);
	ck_assert_int_eq(uk_pending(), 2);
	ck_assert_int_eq(uk_run_one(), 1);
	ck_assert_int_eq(log.ol_ids[1], 11);
	ck_assert_int_eq(uk_run_one(), 1);
	ck_assert_int_eq(log.ol_ids[2], 12);
	ck_assert_int_eq(uk_run_one(), 0);
	ck_assert_int_eq(uk_pending(), 0);
	/* Items run by uk_run_one() are not counted again by uk_run(). */
	ck_assert_int_eq(uk_run(), 0);
}
END_TEST

START_TEST(test_det_work_queues_work)
{
	struct order_log log = { .ol_n = 0 };
	struct oitem a, b, c, d;

	/* a queues c, c queues d; b was queued before c. */
	oitem_init(&a, &log, 1);
	oitem_init(&b, &log, 2);
	oitem_init(&c, &log, 3);
	oitem_init(&d, &log, 4);
	a.oi_then = &c;
	c.oi_then = &d;
	khost_work_enqueue(&a.oi_work);
	khost_work_enqueue(&b.oi_work);
	ck_assert_int_eq(uk_run(), 4);
	ck_assert_int_eq(log.ol_n, 4);
	ck_assert_int_eq(log.ol_ids[0], 1);
	ck_assert_int_eq(log.ol_ids[1], 2);
	ck_assert_int_eq(log.ol_ids[2], 3);
	ck_assert_int_eq(log.ol_ids[3], 4);
	ck_assert_int_eq(uk_pending(), 0);
}
END_TEST

/* Several threads enqueue at once; each one's items keep their order. */
#define	NPROD		4
#define	PER_PROD	1000

struct pitem {
	struct khost_work	 pi_work;
	int			 pi_prod;
	int			 pi_seq;
	int			*pi_last;	/* last seq seen per producer */
	int			*pi_bad;
};

static void
pitem_run(void *arg)
{
	struct pitem *it = arg;

	if (it->pi_last[it->pi_prod] != it->pi_seq - 1)
		(*it->pi_bad)++;
	it->pi_last[it->pi_prod] = it->pi_seq;
}

struct prod {
	struct pitem	*p_items;
	int		 p_n;
};

static void *
producer(void *arg)
{
	struct prod *p = arg;
	int i;

	for (i = 0; i < p->p_n; i++)
		khost_work_enqueue(&p->p_items[i].pi_work);
	return (NULL);
}

START_TEST(test_det_concurrent_enqueue)
{
	struct pitem *items;
	struct prod prods[NPROD];
	pthread_t th[NPROD];
	int last[NPROD], bad, i, j;

	items = calloc(NPROD * PER_PROD, sizeof(*items));
	ck_assert_ptr_nonnull(items);
	bad = 0;
	for (i = 0; i < NPROD; i++) {
		last[i] = -1;
		for (j = 0; j < PER_PROD; j++) {
			struct pitem *it = &items[i * PER_PROD + j];

			it->pi_work.kw_fn = pitem_run;
			it->pi_work.kw_arg = it;
			it->pi_prod = i;
			it->pi_seq = j;
			it->pi_last = last;
			it->pi_bad = &bad;
		}
		prods[i].p_items = &items[i * PER_PROD];
		prods[i].p_n = PER_PROD;
	}
	for (i = 0; i < NPROD; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, producer,
		    &prods[i]), 0);
	for (i = 0; i < NPROD; i++)
		pthread_join(th[i], NULL);
	/* Deterministic mode: queued, none run. */
	ck_assert_int_eq(uk_pending(), NPROD * PER_PROD);
	for (i = 0; i < NPROD; i++)
		ck_assert_int_eq(last[i], -1);
	ck_assert_int_eq(uk_run(), NPROD * PER_PROD);
	ck_assert_int_eq(bad, 0);
	for (i = 0; i < NPROD; i++)
		ck_assert_int_eq(last[i], PER_PROD - 1);
	free(items);
}
END_TEST

/* ---- threaded mode --------------------------------------------------- */

#define	NITEMS		5000

struct shared {
	struct khost_mtx	*s_mtx;
	long			 s_count;	/* under s_mtx */
	long			 s_chained;	/* under s_mtx */
	pthread_t		 s_main;
	atomic_int		 s_on_main;	/* items run on the main thread */
};

struct titem {
	struct khost_work	 ti_work;
	struct shared		*ti_sh;
	atomic_int		 ti_runs;
	struct titem		*ti_then;
};

static void
titem_run(void *arg)
{
	struct titem *it = arg;
	struct shared *sh = it->ti_sh;

	if (pthread_equal(pthread_self(), sh->s_main))
		atomic_fetch_add(&sh->s_on_main, 1);
	atomic_fetch_add(&it->ti_runs, 1);
	khost_mtx_lock(sh->s_mtx);
	ck_assert(khost_mtx_owned(sh->s_mtx));
	sh->s_count++;
	if (it->ti_then != NULL)
		sh->s_chained++;
	khost_mtx_unlock(sh->s_mtx);
	if (it->ti_then != NULL)
		khost_work_enqueue(&it->ti_then->ti_work);
}

static void
titems_init(struct titem *items, int n, struct shared *sh)
{
	int i;

	for (i = 0; i < n; i++) {
		items[i].ti_work.kw_fn = titem_run;
		items[i].ti_work.kw_arg = &items[i];
		items[i].ti_sh = sh;
		atomic_init(&items[i].ti_runs, 0);
		items[i].ti_then = NULL;
	}
}

static void
shared_init(struct shared *sh)
{

	sh->s_mtx = khost_mtx_create("test shared");
	sh->s_count = 0;
	sh->s_chained = 0;
	sh->s_main = pthread_self();
	atomic_init(&sh->s_on_main, 0);
}

START_TEST(test_threaded_runs_all)
{
	struct shared sh;
	struct titem *items;
	int i, nw;

	shared_init(&sh);
	items = calloc(NITEMS, sizeof(*items));
	ck_assert_ptr_nonnull(items);
	for (nw = 2; nw <= 4; nw++) {
		ck_assert_int_eq(uk_set_workers(nw), 0);
		ck_assert_int_eq(khost_workers(), nw);
		ck_assert_int_eq(uk_workers(), nw);
		ck_assert_int_eq(uk_run(), 0);
		titems_init(items, NITEMS, &sh);
		sh.s_count = 0;
		for (i = 0; i < NITEMS; i++)
			khost_work_enqueue(&items[i].ti_work);
		ck_assert_int_eq(uk_run(), NITEMS);
		ck_assert_int_eq(uk_pending(), 0);
		khost_mtx_lock(sh.s_mtx);
		ck_assert_int_eq(sh.s_count, NITEMS);
		khost_mtx_unlock(sh.s_mtx);
		for (i = 0; i < NITEMS; i++)
			ck_assert_int_eq(atomic_load(&items[i].ti_runs), 1);
		ck_assert_int_eq(atomic_load(&sh.s_on_main), 0);
		/* uk_run_one() leaves the queue to the workers. */
		ck_assert_int_eq(uk_run_one(), 0);
	}

	/* Back to deterministic mode: work waits for uk_run(). */
	ck_assert_int_eq(uk_set_workers(0), 0);
	ck_assert_int_eq(khost_workers(), 0);
	titems_init(items, 100, &sh);
	sh.s_count = 0;
	for (i = 0; i < 100; i++)
		khost_work_enqueue(&items[i].ti_work);
	ck_assert_int_eq(uk_pending(), 100);
	ck_assert_int_eq(uk_run(), 100);
	ck_assert_int_eq(sh.s_count, 100);
	ck_assert_int_eq(atomic_load(&sh.s_on_main), 100);
	free(items);
	khost_mtx_destroy(sh.s_mtx);
}
END_TEST

START_TEST(test_threaded_work_queues_work)
{
	struct shared sh;
	struct titem *items;
	int i;

	/* 100 chains of 20 items, each item queueing the next. */
	shared_init(&sh);
	items = calloc(2000, sizeof(*items));
	ck_assert_ptr_nonnull(items);
	titems_init(items, 2000, &sh);
	for (i = 0; i < 2000; i++)
		if (i % 20 != 19)
			items[i].ti_then = &items[i + 1];
	ck_assert_int_eq(uk_set_workers(3), 0);
	for (i = 0; i < 2000; i += 20)
		khost_work_enqueue(&items[i].ti_work);
	ck_assert_int_eq(uk_run(), 2000);
	khost_mtx_lock(sh.s_mtx);
	ck_assert_int_eq(sh.s_count, 2000);
	ck_assert_int_eq(sh.s_chained, 1900);
	khost_mtx_unlock(sh.s_mtx);
	for (i = 0; i < 2000; i++)
		ck_assert_int_eq(atomic_load(&items[i].ti_runs), 1);
	ck_assert_int_eq(uk_set_workers(0), 0);
	free(items);
	khost_mtx_destroy(sh.s_mtx);
}
END_TEST

/* ---- changing mode --------------------------------------------------- */

static void
noop(void *arg)
{

	(*(int *)arg)++;
}

START_TEST(test_ebusy_deterministic)
{
	struct khost_work w = { .kw_fn = noop };
	int ran = 0;

	w.kw_arg = &ran;
	khost_work_enqueue(&w);
	errno = 0;
	ck_assert_int_eq(uk_set_workers(2), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_int_eq(khost_workers(), 0);
	ck_assert_int_eq(ran, 0);
	ck_assert_int_eq(uk_run(), 1);
	ck_assert_int_eq(ran, 1);
	ck_assert_int_eq(uk_set_workers(2), 0);
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

/* An item that holds its worker until the test opens the gate. */
struct gate {
	struct khost_mtx	*g_mtx;
	struct khost_cv		*g_cv;
	int			 g_started;
	int			 g_open;
	int			 g_ran_after;
};

static void
gate_block(void *arg)
{
	struct gate *g = arg;

	khost_mtx_lock(g->g_mtx);
	g->g_started = 1;
	khost_cv_broadcast(g->g_cv);
	while (!g->g_open)
		khost_cv_wait(g->g_cv, g->g_mtx);
	ck_assert(khost_mtx_owned(g->g_mtx));
	khost_mtx_unlock(g->g_mtx);
}

static void
gate_after(void *arg)
{
	struct gate *g = arg;

	khost_mtx_lock(g->g_mtx);
	g->g_ran_after = 1;
	khost_mtx_unlock(g->g_mtx);
}

START_TEST(test_ebusy_threaded)
{
	struct gate g = { .g_started = 0 };
	struct khost_work blocker = { .kw_fn = gate_block };
	struct khost_work after = { .kw_fn = gate_after };

	g.g_mtx = khost_mtx_create("gate");
	g.g_cv = khost_cv_create("gate");
	blocker.kw_arg = &g;
	after.kw_arg = &g;
	ck_assert_int_eq(uk_set_workers(1), 0);
	khost_work_enqueue(&blocker);
	khost_mtx_lock(g.g_mtx);
	while (!g.g_started)
		khost_cv_wait(g.g_cv, g.g_mtx);
	khost_mtx_unlock(g.g_mtx);

	/* The only worker is busy: the next item stays queued. */
	khost_work_enqueue(&after);
	ck_assert_int_eq(uk_pending(), 1);
	errno = 0;
	ck_assert_int_eq(uk_set_workers(0), -1);
	ck_assert_int_eq(errno, EBUSY);
	errno = 0;
	ck_assert_int_eq(uk_set_workers(3), -1);
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_int_eq(khost_workers(), 1);

	khost_mtx_lock(g.g_mtx);
	g.g_open = 1;
	khost_cv_broadcast(g.g_cv);
	khost_mtx_unlock(g.g_mtx);
	ck_assert_int_eq(uk_run(), 2);
	ck_assert_int_eq(g.g_ran_after, 1);
	ck_assert_int_eq(uk_set_workers(0), 0);
	khost_cv_destroy(g.g_cv);
	khost_mtx_destroy(g.g_mtx);
}
END_TEST

START_TEST(test_set_workers_invalid)
{

	errno = 0;
	ck_assert_int_eq(uk_set_workers(-1), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_set_workers(100000), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(khost_workers(), 0);
}
END_TEST

struct from_worker {
	int	fw_ret;
	int	fw_errno;
};

static void
set_workers_from_worker(void *arg)
{
	struct from_worker *fw = arg;

	fw->fw_ret = uk_set_workers(0);
	fw->fw_errno = errno;
}

START_TEST(test_set_workers_from_worker)
{
	struct from_worker fw = { 0, 0 };
	struct khost_work w = { .kw_fn = set_workers_from_worker };

	w.kw_arg = &fw;
	ck_assert_int_eq(uk_set_workers(2), 0);
	khost_work_enqueue(&w);
	ck_assert_int_eq(uk_run(), 1);
	/* uk_run() ordered the item's writes before this read. */
	ck_assert_int_eq(fw.fw_ret, -1);
	ck_assert_int_eq(fw.fw_errno, EDEADLK);
	ck_assert_int_eq(khost_workers(), 2);
	ck_assert_int_eq(uk_set_workers(0), 0);
}
END_TEST

static void
run_from_worker(void *arg)
{

	(void)arg;
	uk_run();	/* would wait for itself: panics */
}

START_TEST(test_run_from_worker_panics)
{
	struct khost_work w = { .kw_fn = run_from_worker };

	ck_assert_int_eq(uk_set_workers(1), 0);
	khost_work_enqueue(&w);
	uk_run();
}
END_TEST

START_TEST(test_reset_stops_workers)
{
	struct khost_work w = { .kw_fn = noop };
	int ran = 0;

	w.kw_arg = &ran;
	ck_assert_int_eq(uk_set_workers(3), 0);
	uk_reset(UKTEST_SEED);
	ck_assert_int_eq(khost_workers(), 0);
	khost_work_enqueue(&w);
	ck_assert_int_eq(uk_pending(), 1);
	ck_assert_int_eq(ran, 0);
	ck_assert_int_eq(uk_run(), 1);
	ck_assert_int_eq(ran, 1);
}
END_TEST

/* ---- locks across threads -------------------------------------------- */

struct pingpong {
	struct khost_mtx	*pp_mtx;
	struct khost_cv		*pp_cv;
	int			 pp_turn;	/* 0: main, 1: peer */
	int			 pp_rounds;
	int			 pp_peer_saw_owned;
};

static void *
pp_peer(void *arg)
{
	struct pingpong *pp = arg;
	int i;

	/* The main thread holds the mutex now; it is not ours. */
	if (khost_mtx_owned(pp->pp_mtx))
		pp->pp_peer_saw_owned = 1;
	for (i = 0; i < pp->pp_rounds; i++) {
		khost_mtx_lock(pp->pp_mtx);
		while (pp->pp_turn != 1)
			khost_cv_wait(pp->pp_cv, pp->pp_mtx);
		pp->pp_turn = 0;
		khost_cv_signal(pp->pp_cv);
		khost_mtx_unlock(pp->pp_mtx);
	}
	return (NULL);
}

START_TEST(test_mtx_cv_across_threads)
{
	struct pingpong pp = { .pp_turn = 0, .pp_rounds = 2000 };
	pthread_t th;
	int i;

	pp.pp_mtx = khost_mtx_create("pingpong");
	pp.pp_cv = khost_cv_create("pingpong");
	khost_mtx_lock(pp.pp_mtx);
	ck_assert_int_eq(pthread_create(&th, NULL, pp_peer, &pp), 0);
	ck_assert(khost_mtx_owned(pp.pp_mtx));
	for (i = 0; i < pp.pp_rounds; i++) {
		pp.pp_turn = 1;
		khost_cv_signal(pp.pp_cv);
		while (pp.pp_turn != 0)
			khost_cv_wait(pp.pp_cv, pp.pp_mtx);
		ck_assert(khost_mtx_owned(pp.pp_mtx));
	}
	khost_mtx_unlock(pp.pp_mtx);
	pthread_join(th, NULL);
	ck_assert_int_eq(pp.pp_peer_saw_owned, 0);
	ck_assert_int_eq(khost_mtx_owned(pp.pp_mtx), 0);
	khost_cv_destroy(pp.pp_cv);
	khost_mtx_destroy(pp.pp_mtx);
}
END_TEST

/* Allocation counters and pages from many threads at once. */
#define	NALLOC_THREADS	4
#define	NALLOC		2000

static void *
alloc_churn(void *arg)
{
	uint64_t pa;
	void *p;
	int i;

	(void)arg;
	for (i = 0; i < NALLOC; i++) {
		p = khost_malloc(32, KH_NOWAIT);
		pa = khost_page_alloc(i % 2 ? KH_NOWAIT : KH_ZERO);
		if (pa != 0) {
			*(int *)khost_page_map(pa) = i;
			khost_page_hold(pa);
			khost_page_free(pa);
			khost_page_free(pa);
		}
		khost_free(p);
	}
	return (NULL);
}

START_TEST(test_alloc_from_threads)
{
	pthread_t th[NALLOC_THREADS];
	unsigned char r[16];
	int i;

	for (i = 0; i < NALLOC_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, alloc_churn,
		    NULL), 0);
	khost_arc4rand(r, sizeof(r));
	uk_clock_advance(1);
	for (i = 0; i < NALLOC_THREADS; i++)
		pthread_join(th[i], NULL);
	/* Every NOWAIT allocation was counted once: 1.5 per iteration. */
	ck_assert_uint_eq(uk_nowait_allocs(),
	    NALLOC_THREADS * NALLOC * 3 / 2);
	ck_assert_int_eq(khost_counter_get(KC_MALLOC), 0);
	ck_assert_int_eq(khost_counter_get(KC_PAGE), 0);
}
END_TEST

static Suite *
workq_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("host work queue");

	tc = uktest_tcase("deterministic");
	tcase_add_test(tc, test_det_fifo);
	tcase_add_test(tc, test_det_run_one);
	tcase_add_test(tc, test_det_work_queues_work);
	tcase_add_test(tc, test_det_concurrent_enqueue);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("threaded");
	tcase_add_test(tc, test_threaded_runs_all);
	tcase_add_test(tc, test_threaded_work_queues_work);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("mode changes");
	tcase_add_test(tc, test_ebusy_deterministic);
	tcase_add_test(tc, test_ebusy_threaded);
	tcase_add_test(tc, test_set_workers_invalid);
	tcase_add_test(tc, test_set_workers_from_worker);
	tcase_add_test_raise_signal(tc, test_run_from_worker_panics, SIGABRT);
	tcase_add_test(tc, test_reset_stops_workers);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("threads");
	tcase_add_test(tc, test_mtx_cv_across_threads);
	tcase_add_test(tc, test_alloc_from_threads);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{

	return (uktest_run(workq_suite()));
}
