/*
 * The host world (src/host): memory and the failure hook, counters, the
 * seeded random source, the clock, logging and panic, locks, the page pool
 * and the page cache.  The work queue is in test_host_mt_workq.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uktest.h"
#include "sys/khost.h"

#define	EPOCH_NS	(1767225600ULL * 1000000000ULL)	/* 2026-01-01 */

static int64_t
counter(enum khost_counter c)
{

	return (khost_counter_get(c));
}

/* ---- memory ---------------------------------------------------------- */

START_TEST(test_malloc_gauge_and_zero)
{
	unsigned char *p, *q, *z;
	size_t i;

	ck_assert_int_eq(counter(KC_MALLOC), 0);
	p = khost_malloc(100, 0);
	ck_assert_ptr_nonnull(p);
	memset(p, 0xab, 100);
	q = khost_malloc(0, 0);
	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(counter(KC_MALLOC), 2);
	khost_free(p);
	ck_assert_int_eq(counter(KC_MALLOC), 1);
	khost_free(NULL);
	ck_assert_int_eq(counter(KC_MALLOC), 1);
	khost_free(q);

	/* Dirty the heap first so that a zeroed block is not an accident. */
	for (i = 0; i < 8; i++) {
		p = khost_malloc(4096, 0);
		memset(p, 0xff, 4096);
		khost_free(p);
	}
	z = khost_malloc(4096, KH_ZERO);
	for (i = 0; i < 4096; i++)
		ck_assert_uint_eq(z[i], 0);
	khost_free(z);
	ck_assert_int_eq(counter(KC_MALLOC), 0);
	/* Neither kind of allocation above was KH_NOWAIT. */
	ck_assert_uint_eq(uk_nowait_allocs(), 0);
}
END_TEST

START_TEST(test_nowait_counted)
{
	void *p, *q;
	uint64_t pa;

	ck_assert_uint_eq(uk_nowait_allocs(), 0);
	p = khost_malloc(10, KH_NOWAIT);
	ck_assert_uint_eq(uk_nowait_allocs(), 1);
	q = khost_malloc(10, KH_NOWAIT | KH_ZERO);
	ck_assert_uint_eq(uk_nowait_allocs(), 2);
	pa = khost_page_alloc(KH_NOWAIT);
	ck_assert_uint_eq(uk_nowait_allocs(), 3);
	khost_page_free(pa);
	pa = khost_page_alloc(0);
	ck_assert_uint_eq(uk_nowait_allocs(), 3);
	khost_page_free(pa);
	khost_free(p);
	khost_free(q);
	uk_reset(UKTEST_SEED);
	ck_assert_uint_eq(uk_nowait_allocs(), 0);
}
END_TEST

START_TEST(test_fail_nth)
{
	void *p[5];
	int i;

	khost_free(khost_malloc(1, KH_NOWAIT));	/* the count is not 0 */
	uk_fail_nth_alloc(3);
	ck_assert_int_eq(uk_fail_fired(), 0);
	for (i = 0; i < 5; i++) {
		/* A waiting allocation neither fails nor moves the count. */
		khost_free(khost_malloc(8, 0));
		p[i] = khost_malloc(8, KH_NOWAIT);
		if (i == 2) {
			ck_assert_ptr_null(p[i]);
			ck_assert_int_eq(uk_fail_fired(), 1);
		} else {
			ck_assert_ptr_nonnull(p[i]);
			ck_assert_int_eq(uk_fail_fired(), i > 2);
		}
	}
	ck_assert_int_eq(counter(KC_MALLOC), 4);
	ck_assert_uint_eq(uk_nowait_allocs(), 6);
	for (i = 0; i < 5; i++)
		khost_free(p[i]);
}
END_TEST

START_TEST(test_fail_nth_pages)
{
	uint64_t pa, pb;
	void *p;

	uk_fail_nth_alloc(1);
	pa = khost_page_alloc(0);	/* waits: not subject to the hook */
	ck_assert_uint_ne(pa, 0);
	ck_assert_int_eq(uk_fail_fired(), 0);
	pb = khost_page_alloc(KH_NOWAIT | KH_ZERO);
	ck_assert_uint_eq(pb, 0);
	ck_assert_int_eq(uk_fail_fired(), 1);
	ck_assert_int_eq(counter(KC_PAGE), 1);
	/* Once only. */
	p = khost_malloc(8, KH_NOWAIT);
	ck_assert_ptr_nonnull(p);
	khost_free(p);
	khost_page_free(pa);
}
END_TEST

START_TEST(test_fail_disarm_and_reset)
{
	void *p;

	uk_fail_nth_alloc(1);
	uk_fail_nth_alloc(0);
	p = khost_malloc(8, KH_NOWAIT);
	ck_assert_ptr_nonnull(p);
	khost_free(p);
	ck_assert_int_eq(uk_fail_fired(), 0);

	/* A fired hook stays visible after disarming... */
	uk_fail_nth_alloc(1);
	ck_assert_ptr_null(khost_malloc(8, KH_NOWAIT));
	uk_fail_nth_alloc(0);
	ck_assert_int_eq(uk_fail_fired(), 1);
	/* ...until re-armed. */
	uk_fail_nth_alloc(5);
	ck_assert_int_eq(uk_fail_fired(), 0);

	/* uk_reset() disarms and restarts the count. */
	uk_fail_nth_alloc(1);
	uk_reset(UKTEST_SEED);
	ck_assert_uint_eq(uk_nowait_allocs(), 0);
	p = khost_malloc(8, KH_NOWAIT);
	ck_assert_ptr_nonnull(p);
	khost_free(p);
	ck_assert_int_eq(uk_fail_fired(), 0);
}
END_TEST

/* ---- counters -------------------------------------------------------- */

static const struct {
	enum khost_counter	c;
	size_t			off;
} counter_fields[] = {
	{ KC_MBUF, offsetof(struct uk_counters, mbufs) },
	{ KC_CLUSTER, offsetof(struct uk_counters, clusters) },
	{ KC_EXTPG, offsetof(struct uk_counters, extpg) },
	{ KC_PAGE, offsetof(struct uk_counters, pages) },
	{ KC_SESSION, offsetof(struct uk_counters, sessions) },
	{ KC_MALLOC, offsetof(struct uk_counters, mallocs) },
	{ KC_COPY_BYTES, offsetof(struct uk_counters, copied_bytes) },
	{ KC_CRYPTO_BYTES, offsetof(struct uk_counters, crypto_bytes) },
};
#define	NFIELDS	(sizeof(counter_fields) / sizeof(counter_fields[0]))

START_TEST(test_counters)
{
	struct uk_counters c;
	size_t i;
	int64_t v;

	ck_assert_uint_eq(NFIELDS, KC_NCOUNTERS);
	/* A distinct value in each counter shows which field it lands in. */
	for (i = 0; i < NFIELDS; i++) {
		khost_counter_add(counter_fields[i].c, 100 + (int64_t)i);
		khost_counter_add(counter_fields[i].c, 1000);
	}
	uk_counters(&c);
	for (i = 0; i < NFIELDS; i++) {
		memcpy(&v, (char *)&c + counter_fields[i].off, sizeof(v));
		ck_assert_int_eq(v, 1100 + (int64_t)i);
		ck_assert_int_eq(khost_counter_get(counter_fields[i].c),
		    1100 + (int64_t)i);
	}
	/* uk_reset() zeroes the totals and leaves the gauges alone. */
	uk_reset(UKTEST_SEED);
	uk_counters(&c);
	ck_assert_int_eq(c.copied_bytes, 0);
	ck_assert_int_eq(c.crypto_bytes, 0);
	ck_assert_int_eq(c.mbufs, 1100);
	ck_assert_int_eq(c.mallocs, 1105);
	for (i = 0; i < NFIELDS; i++)
		khost_counter_add(counter_fields[i].c,
		    -khost_counter_get(counter_fields[i].c));
}
END_TEST

/* ---- randomness ------------------------------------------------------ */

START_TEST(test_rand_reproducible)
{
	unsigned char a[64], b[64], c[64];

	uk_seed(42);
	khost_arc4rand(a, sizeof(a));
	uk_seed(42);
	khost_arc4rand(b, sizeof(b));
	ck_assert_mem_eq(a, b, sizeof(a));

	/* The stream does not depend on how it is cut. */
	uk_seed(42);
	khost_arc4rand(c, 3);
	khost_arc4rand(c + 3, 5);
	khost_arc4rand(c + 8, 1);
	khost_arc4rand(c + 9, 0);
	khost_arc4rand(c + 9, 55);
	ck_assert_mem_eq(a, c, sizeof(a));

	/* It moves on, and another seed gives another stream. */
	khost_arc4rand(b, sizeof(b));
	ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);
	uk_seed(43);
	khost_arc4rand(b, sizeof(b));
	ck_assert_int_ne(memcmp(a, b, sizeof(a)), 0);

	/* uk_reset(seed) seeds as uk_seed(seed) does. */
	uk_reset(42);
	khost_arc4rand(b, sizeof(b));
	ck_assert_mem_eq(a, b, sizeof(a));
}
END_TEST

START_TEST(test_rand_spread)
{
	unsigned char buf[8192];
	int seen[256] = { 0 };
	long ones;
	size_t i;

	khost_arc4rand(buf, sizeof(buf));
	ones = 0;
	for (i = 0; i < sizeof(buf); i++) {
		seen[buf[i]]++;
		ones += __builtin_popcount(buf[i]);
	}
	for (i = 0; i < 256; i++)
		ck_assert_int_gt(seen[i], 0);
	/* 65536 bits: half of them set, give or take 1%. */
	ck_assert_int_gt(ones, 32768 - 655);
	ck_assert_int_lt(ones, 32768 + 655);
}
END_TEST

/* ---- clock ----------------------------------------------------------- */

START_TEST(test_clock)
{

	ck_assert_uint_eq(uk_clock_ns(), 0);
	ck_assert_uint_eq(khost_nanotime(), EPOCH_NS);
	uk_clock_advance(1500);
	ck_assert_uint_eq(uk_clock_ns(), 1500);
	ck_assert_uint_eq(khost_nanotime(), EPOCH_NS + 1500);
	uk_clock_advance(0);
	ck_assert_uint_eq(uk_clock_ns(), 1500);
	uk_clock_advance(2000000000ULL);
	ck_assert_uint_eq(uk_clock_ns(), 2000001500ULL);
	uk_reset(UKTEST_SEED);
	ck_assert_uint_eq(uk_clock_ns(), 0);
	/* Time saturates rather than wrap around to the past. */
	uk_clock_advance(UINT64_MAX - 10);
	ck_assert_uint_eq(khost_nanotime(), UINT64_MAX);
	uk_reset(UKTEST_SEED);
	ck_assert_uint_eq(khost_nanotime(), EPOCH_NS);
}
END_TEST

/* ---- logging and panic ----------------------------------------------- */

static void
tlog(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	khost_vlog(level, fmt, ap);
	va_end(ap);
}

/* Run fn with stderr sent to a file; return what it wrote. */
static char *
capture_stderr(void (*fn)(void))
{
	static char out[4096];
	FILE *f;
	size_t n;
	int saved;

	f = tmpfile();
	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fileno(f), STDERR_FILENO), 0);
	fn();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return (out);
}

static void
log_all_levels(void)
{

	tlog(KH_LOG_ERR, "e%d\n", 1);
	tlog(KH_LOG_WARNING, "w%d\n", 2);
	tlog(KH_LOG_INFO, "i%d", 3);		/* no newline: one is added */
	tlog(KH_LOG_DEBUG, "d%d\n", 4);
}

START_TEST(test_log_levels)
{
	const char *out;

	uk_set_verbose(0);
	out = capture_stderr(log_all_levels);
	ck_assert_str_eq(out, "uktls: error: e1\n");
	uk_set_verbose(1);
	out = capture_stderr(log_all_levels);
	ck_assert_str_eq(out,
	    "uktls: error: e1\nuktls: warning: w2\nuktls: info: i3\n");
	uk_set_verbose(2);
	out = capture_stderr(log_all_levels);
	ck_assert_str_eq(out, "uktls: error: e1\nuktls: warning: w2\n"
	    "uktls: info: i3\nuktls: debug: d4\n");
	uk_set_verbose(0);
}
END_TEST

static void
log_long(void)
{
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tlog(KH_LOG_ERR, "%s", big);
}

START_TEST(test_log_truncates)
{
	const char *out;
	size_t len;

	uk_set_verbose(0);
	out = capture_stderr(log_long);
	len = strlen(out);
	/* Cut to one line of the log buffer, still ending in a newline. */
	ck_assert_uint_gt(len, 500);
	ck_assert_uint_lt(len, 3000);
	ck_assert_int_eq(out[len - 1], '\n');
	ck_assert_int_eq(out[len - 2], 'x');
}
END_TEST

static void
tpanic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	khost_vpanic(fmt, ap);
}

START_TEST(test_panic_aborts_with_message)
{
	char out[256];
	ssize_t n;
	size_t len;
	pid_t pid;
	int fds[2], status;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		tpanic("boom %d", 42);
	}
	close(fds[1]);
	len = 0;
	while (len < sizeof(out) - 1 &&
	    (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGABRT);
	ck_assert_msg(strncmp(out, "panic: boom 42\n", 15) == 0,
	    "panic output: \"%s\"", out);
}
END_TEST

/* ---- locks ----------------------------------------------------------- */

START_TEST(test_mtx_owned)
{
	struct khost_mtx *m;
	struct khost_cv *cv;

	m = khost_mtx_create("test");
	ck_assert_int_eq(khost_mtx_owned(m), 0);
	khost_mtx_lock(m);
	ck_assert_int_eq(khost_mtx_owned(m), 1);
	khost_mtx_unlock(m);
	ck_assert_int_eq(khost_mtx_owned(m), 0);
	cv = khost_cv_create("test cv");
	khost_cv_signal(cv);		/* nobody waits: a no-op */
	khost_cv_broadcast(cv);
	khost_cv_destroy(cv);
	khost_mtx_destroy(m);
	khost_mtx_destroy(NULL);
	khost_cv_destroy(NULL);
}
END_TEST

START_TEST(test_mtx_recurse_panics)
{
	struct khost_mtx *m;

	m = khost_mtx_create("test");
	khost_mtx_lock(m);
	khost_mtx_lock(m);
}
END_TEST

START_TEST(test_mtx_unlock_unowned_panics)
{
	struct khost_mtx *m;

	m = khost_mtx_create("test");
	khost_mtx_unlock(m);
}
END_TEST

START_TEST(test_mtx_destroy_held_panics)
{
	struct khost_mtx *m;

	m = khost_mtx_create("test");
	khost_mtx_lock(m);
	khost_mtx_destroy(m);
}
END_TEST

/* ---- the page pool --------------------------------------------------- */

START_TEST(test_page_alloc_hold_free)
{
	unsigned char *p;
	uint64_t pa;
	int i;

	pa = khost_page_alloc(0);
	ck_assert_uint_ne(pa, 0);
	ck_assert_uint_eq(pa % KH_PAGE_SIZE, 0);
	ck_assert_int_eq(khost_page_refs(pa), 1);
	ck_assert_int_eq(counter(KC_PAGE), 1);
	p = khost_page_map(pa);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq((uintptr_t)p % KH_PAGE_SIZE, 0);
	for (i = 0; i < KH_PAGE_SIZE; i++)
		p[i] = (unsigned char)(i * 7);

	khost_page_hold(pa);
	ck_assert_int_eq(khost_page_refs(pa), 2);
	ck_assert_ptr_eq(khost_page_map(pa), p);
	/* An address inside the page maps inside it (PHYS_TO_DMAP). */
	ck_assert_ptr_eq(khost_page_map(pa + 100), p + 100);
	ck_assert_int_eq(khost_page_refs(pa + 100), 2);
	khost_page_free(pa);
	ck_assert_int_eq(khost_page_refs(pa), 1);
	ck_assert_int_eq(counter(KC_PAGE), 1);
	for (i = 0; i < KH_PAGE_SIZE; i++)
		ck_assert_uint_eq(p[i], (unsigned char)(i * 7));
	khost_page_free(pa);
	ck_assert_int_eq(khost_page_refs(pa), 0);
	ck_assert_int_eq(counter(KC_PAGE), 0);
}
END_TEST

START_TEST(test_page_reuse_and_zero)
{
	unsigned char *p;
	uint64_t pa, pb;
	int i;

	pa = khost_page_alloc(0);
	memset(khost_page_map(pa), 0xee, KH_PAGE_SIZE);
	khost_page_free(pa);
	/* The page just freed is the next one handed out. */
	pb = khost_page_alloc(KH_ZERO);
	ck_assert_uint_eq(pb, pa);
	p = khost_page_map(pb);
	for (i = 0; i < KH_PAGE_SIZE; i++)
		ck_assert_uint_eq(p[i], 0);
	khost_page_free(pb);
}
END_TEST

#define	NMANY	700	/* more than two chunks of the pool */

START_TEST(test_page_many_stable)
{
	static uint64_t pa[NMANY];
	static unsigned char *va[NMANY];
	uint64_t w;
	int i, j;

	for (i = 0; i < NMANY; i++) {
		pa[i] = khost_page_alloc(0);
		ck_assert_uint_ne(pa[i], 0);
		va[i] = khost_page_map(pa[i]);
		memset(va[i], i & 0xff, KH_PAGE_SIZE);
		w = (uint64_t)i;
		memcpy(va[i], &w, sizeof(w));
	}
	ck_assert_int_eq(counter(KC_PAGE), NMANY);
	for (i = 0; i < NMANY; i++) {
		/* The pool grew; no page moved. */
		ck_assert_ptr_eq(khost_page_map(pa[i]), va[i]);
		memcpy(&w, va[i], sizeof(w));
		ck_assert_uint_eq(w, (uint64_t)i);
		ck_assert_uint_eq(va[i][KH_PAGE_SIZE - 1], i & 0xff);
		for (j = 0; j < i; j += 97)
			ck_assert_uint_ne(pa[i], pa[j]);
	}
	/* Freed in an odd order, handed out again, none lost. */
	for (i = 0; i < NMANY; i += 2)
		khost_page_free(pa[i]);
	for (i = 1; i < NMANY; i += 2)
		khost_page_free(pa[i]);
	ck_assert_int_eq(counter(KC_PAGE), 0);
	for (i = 0; i < NMANY; i++)
		pa[i] = khost_page_alloc(KH_NOWAIT);
	for (i = 0; i < NMANY; i++) {
		ck_assert_uint_ne(pa[i], 0);
		ck_assert_int_eq(khost_page_refs(pa[i]), 1);
		khost_page_free(pa[i]);
	}
}
END_TEST

START_TEST(test_page_refs_of_nothing)
{

	ck_assert_int_eq(khost_page_refs(0), 0);
	ck_assert_int_eq(khost_page_refs(100), 0);
	ck_assert_int_eq(khost_page_refs(1ULL << 50), 0);
}
END_TEST

START_TEST(test_page_map_zero_panics)
{

	khost_page_map(0);
}
END_TEST

START_TEST(test_page_map_unknown_panics)
{

	khost_page_map(1ULL << 50);
}
END_TEST

START_TEST(test_page_double_free_panics)
{
	uint64_t pa;

	pa = khost_page_alloc(0);
	khost_page_free(pa);
	khost_page_free(pa);
}
END_TEST

START_TEST(test_page_hold_free_page_panics)
{
	uint64_t pa;

	pa = khost_page_alloc(0);
	khost_page_free(pa);
	khost_page_hold(pa);
}
END_TEST

START_TEST(test_page_map_free_page_panics)
{
	uint64_t pa;

	pa = khost_page_alloc(0);
	khost_page_free(pa);
	khost_page_map(pa);
}
END_TEST

/* ---- the page cache -------------------------------------------------- */

#define	FLEN	10000	/* two pages and a bit */

START_TEST(test_file_pages)
{
	static unsigned char data[FLEN];
	unsigned char *p;
	uint64_t pa;
	size_t i, n;
	int fd;

	uktest_fill(data, sizeof(data), 1, 0);
	fd = uk_file_create(data, sizeof(data));
	ck_assert_int_ge(fd, 3);
	ck_assert_uint_eq(khost_file_size(fd), FLEN);
	ck_assert_int_eq(counter(KC_PAGE), 3);
	for (i = 0; i < 3; i++) {
		pa = khost_file_page(fd, i);
		ck_assert_uint_ne(pa, 0);
		/* The file's reference and the caller's. */
		ck_assert_int_eq(khost_page_refs(pa), 2);
		p = khost_page_map(pa);
		n = FLEN - i * KH_PAGE_SIZE;
		if (n > KH_PAGE_SIZE)
			n = KH_PAGE_SIZE;
		ck_assert_mem_eq(p, data + i * KH_PAGE_SIZE, n);
		/* The tail of the last page reads as zeros. */
		for (; n < KH_PAGE_SIZE; n++)
			ck_assert_uint_eq(p[n], 0);
		khost_page_free(pa);
		ck_assert_int_eq(khost_page_refs(pa), 1);
	}
	ck_assert_uint_eq(khost_file_page(fd, 3), 0);
	ck_assert_uint_eq(khost_file_page(fd, UINT64_MAX), 0);
	ck_assert_int_eq(counter(KC_PAGE), 3);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	ck_assert_int_eq(counter(KC_PAGE), 0);
}
END_TEST

START_TEST(test_file_zeros_and_empty)
{
	unsigned char *p;
	uint64_t pa;
	int fd, fe, i;

	fd = uk_file_create(NULL, 5000);
	ck_assert_int_ge(fd, 3);
	ck_assert_uint_eq(khost_file_size(fd), 5000);
	pa = khost_file_page(fd, 1);
	p = khost_page_map(pa);
	for (i = 0; i < KH_PAGE_SIZE; i++)
		ck_assert_uint_eq(p[i], 0);
	khost_page_free(pa);

	fe = uk_file_create("", 0);
	ck_assert_int_ge(fe, 3);
	ck_assert_int_ne(fe, fd);
	ck_assert_uint_eq(khost_file_size(fe), 0);
	ck_assert_uint_eq(khost_file_page(fe, 0), 0);
	ck_assert_int_eq(counter(KC_PAGE), 2);
	ck_assert_int_eq(uk_file_destroy(fe), 0);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

START_TEST(test_file_write_in_place)
{
	static unsigned char data[FLEN], patch[20];
	unsigned char *p0, *p1;
	uint64_t pa0, pa1;
	int fd;

	uktest_fill(data, sizeof(data), 2, 0);
	uktest_fill(patch, sizeof(patch), 3, 0);
	fd = uk_file_create(data, sizeof(data));
	/* Pages in flight, as sendfile would hold them. */
	pa0 = khost_file_page(fd, 0);
	pa1 = khost_file_page(fd, 1);
	p0 = khost_page_map(pa0);
	p1 = khost_page_map(pa1);

	/* Across the boundary of pages 0 and 1. */
	ck_assert_int_eq(uk_file_write(fd, KH_PAGE_SIZE - 6, patch,
	    sizeof(patch)), 0);
	ck_assert_mem_eq(p0 + KH_PAGE_SIZE - 6, patch, 6);
	ck_assert_mem_eq(p1, patch + 6, sizeof(patch) - 6);
	ck_assert_mem_eq(p0, data, KH_PAGE_SIZE - 6);
	ck_assert_mem_eq(p1 + 14, data + KH_PAGE_SIZE + 14, 100);

	/* Up to the end is fine; past it is not (files do not grow). */
	ck_assert_int_eq(uk_file_write(fd, FLEN - 4, patch, 4), 0);
	ck_assert_int_eq(uk_file_write(fd, FLEN, patch, 0), 0);
	errno = 0;
	ck_assert_int_eq(uk_file_write(fd, FLEN - 4, patch, 5), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_file_write(fd, FLEN + 1, patch, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_file_write(fd, UINT64_MAX, patch, 2), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(uk_file_write(fd, 0, NULL, 2), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(khost_file_size(fd), FLEN);

	khost_page_free(pa0);
	khost_page_free(pa1);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
}
END_TEST

START_TEST(test_file_page_outlives_file)
{
	static unsigned char data[FLEN];
	uint64_t pa;
	int fd;

	uktest_fill(data, sizeof(data), 4, 0);
	fd = uk_file_create(data, sizeof(data));
	pa = khost_file_page(fd, 1);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	/* The file is gone; the page it lent stays until it is freed. */
	ck_assert_int_eq(counter(KC_PAGE), 1);
	ck_assert_int_eq(khost_page_refs(pa), 1);
	ck_assert_mem_eq(khost_page_map(pa), data + KH_PAGE_SIZE,
	    KH_PAGE_SIZE);
	ck_assert_uint_eq(khost_file_size(fd), 0);
	ck_assert_uint_eq(khost_file_page(fd, 0), 0);
	khost_page_free(pa);
	ck_assert_int_eq(counter(KC_PAGE), 0);
}
END_TEST

START_TEST(test_file_bad_fd)
{
	static const int bad[] = { -1, 0, 1, 2, 3, 4, 1000, 1 << 30 };
	size_t i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(uk_file_destroy(bad[i]), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(uk_file_write(bad[i], 0, "x", 1), -1);
		ck_assert_int_eq(errno, EBADF);
		ck_assert_uint_eq(khost_file_size(bad[i]), 0);
		ck_assert_uint_eq(khost_file_page(bad[i], 0), 0);
	}
	fd = uk_file_create("abc", 3);
	ck_assert_int_eq(uk_file_destroy(fd), 0);
	errno = 0;
	ck_assert_int_eq(uk_file_destroy(fd), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(test_file_fd_reuse)
{
	uint64_t pa;
	int a, b, c;

	a = uk_file_create("a", 1);
	b = uk_file_create("b", 1);
	ck_assert_int_eq(a, 3);
	ck_assert_int_eq(b, 4);
	ck_assert_int_eq(uk_file_destroy(a), 0);
	/* The lowest free descriptor, as open(2) gives. */
	c = uk_file_create("c", 1);
	ck_assert_int_eq(c, a);
	pa = khost_file_page(c, 0);
	ck_assert_int_eq(*(unsigned char *)khost_page_map(pa), 'c');
	khost_page_free(pa);
	ck_assert_int_eq(uk_file_destroy(b), 0);
	ck_assert_int_eq(uk_file_destroy(c), 0);
}
END_TEST

static Suite *
host_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("host");

	tc = uktest_tcase("memory");
	tcase_add_test(tc, test_malloc_gauge_and_zero);
	tcase_add_test(tc, test_nowait_counted);
	tcase_add_test(tc, test_fail_nth);
	tcase_add_test(tc, test_fail_nth_pages);
	tcase_add_test(tc, test_fail_disarm_and_reset);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("environment");
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_rand_reproducible);
	tcase_add_test(tc, test_rand_spread);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_log_levels);
	tcase_add_test(tc, test_log_truncates);
	tcase_add_test(tc, test_panic_aborts_with_message);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("locks");
	tcase_add_test(tc, test_mtx_owned);
	tcase_add_test_raise_signal(tc, test_mtx_recurse_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, test_mtx_unlock_unowned_panics,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_mtx_destroy_held_panics,
	    SIGABRT);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("pages");
	tcase_add_test(tc, test_page_alloc_hold_free);
	tcase_add_test(tc, test_page_reuse_and_zero);
	tcase_add_test(tc, test_page_many_stable);
	tcase_add_test(tc, test_page_refs_of_nothing);
	tcase_add_test_raise_signal(tc, test_page_map_zero_panics, SIGABRT);
	tcase_add_test_raise_signal(tc, test_page_map_unknown_panics,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_page_double_free_panics,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_page_hold_free_page_panics,
	    SIGABRT);
	tcase_add_test_raise_signal(tc, test_page_map_free_page_panics,
	    SIGABRT);
	suite_add_tcase(s, tc);

	tc = uktest_tcase("page cache");
	tcase_add_test(tc, test_file_pages);
	tcase_add_test(tc, test_file_zeros_and_empty);
	tcase_add_test(tc, test_file_write_in_place);
	tcase_add_test(tc, test_file_page_outlives_file);
	tcase_add_test(tc, test_file_bad_fd);
	tcase_add_test(tc, test_file_fd_reuse);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{

	return (uktest_run(host_suite()));
}
