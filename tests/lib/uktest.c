/*
 * Shared test scaffolding (Check).  See uktest.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "uktest.h"

void
uktest_setup(void)
{

	uk_reset(UKTEST_SEED);
}

void
uktest_assert_no_leaks(void)
{
	struct uk_counters c;

	uk_run();
	uk_counters(&c);
	ck_assert_msg(c.mbufs == 0, "%lld mbufs alive", (long long)c.mbufs);
	ck_assert_msg(c.clusters == 0, "%lld clusters alive",
	    (long long)c.clusters);
	ck_assert_msg(c.extpg == 0, "%lld unmapped mbufs alive",
	    (long long)c.extpg);
	ck_assert_msg(c.pages == 0, "%lld pages alive", (long long)c.pages);
	ck_assert_msg(c.sessions == 0, "%lld sessions alive",
	    (long long)c.sessions);
	ck_assert_msg(c.mallocs == 0, "%lld kernel allocations alive",
	    (long long)c.mallocs);
}

void
uktest_teardown(void)
{

	uktest_assert_no_leaks();
}

TCase *
uktest_tcase(const char *name)
{
	TCase *tc;

	tc = tcase_create(name);
	tcase_add_checked_fixture(tc, uktest_setup, uktest_teardown);
	tcase_set_timeout(tc, 120);
	return (tc);
}

int
uktest_run(Suite *s)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

void
uktest_fill(void *buf, size_t len, uint32_t stream, uint64_t off)
{
	unsigned char *p = buf;
	uint64_t x;
	size_t i;

	/* A position-dependent pattern: a shifted copy never matches. */
	for (i = 0; i < len; i++) {
		x = (off + i) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)stream << 32;
		x ^= x >> 29;
		p[i] = (unsigned char)(x * 0xBF58476D1CE4E5B9ULL >> 56);
	}
}
