/*
 * FreeBSD's tests/sys/kern/ktls_test.c, case for case, against uktls
 * (see fb_fixture.h).
 *
 *   ktls_test --list         the test names, one a line
 *   ktls_test --case NAME    run one test (what ctest does)
 *   ktls_test                run them all
 *
 * A test runs under the uktest fixture: the environment reset, and at
 * teardown no mbuf, page, session or kernel allocation left alive.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/stats.h>
#include <uktls/testing.h>
#include <uktls/uktls.h>

#include "fb_fixture.h"
#include "uktest.h"

/* The tunables a case depends on, at FreeBSD's defaults. */
static void
fb_setup(void)
{
	int one = 1;

	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.enable", NULL, &one), 0);
	ck_assert_int_eq(uk_sysctl_int("kern.ipc.tls.cbc_enable", NULL, &one),
	    0);
	uk_test_ktls_reset();
}

START_TEST(fb_test)
{
	struct fb_ctx x;

	fb_ctx_init(&x, (size_t)_i);
	switch (x.c->kind) {
	case FB_TX_APP:
	case FB_TX_CONTROL:
	case FB_TX_EMPTY:
	case FB_TX_INVALID:
		fb_run_transmit(&x);
		break;
	case FB_SENDTO_BADDST:
	case FB_LISTENING:
		fb_run_misc(&x);
		break;
	default:
		fb_run_receive(&x);
		break;
	}
	fb_ctx_done(&x);
}
END_TEST

static TCase *
fb_tcase(const char *name, size_t first, size_t end)
{
	TCase *tc;

	tc = uktest_tcase(name);
	tcase_add_checked_fixture(tc, fb_setup, NULL);
	tcase_add_loop_test(tc, fb_test, (int)first, (int)end);
	return (tc);
}

static int
usage(void)
{

	fprintf(stderr, "usage: ktls_test [--list | --case NAME]\n");
	return (2);
}

int
main(int argc, char **argv)
{
	char name[128];
	Suite *s;
	size_t i;
	long t;

	fb_cases_init();
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (i = 0; i < fb_ntests(); i++) {
			fb_test_name(i, name, sizeof(name));
			printf("%s\n", name);
		}
		return (0);
	}
	if (argc == 3 && strcmp(argv[1], "--case") == 0) {
		t = fb_test_find(argv[2]);
		if (t < 0) {
			fprintf(stderr, "ktls_test: no test %s\n", argv[2]);
			return (2);
		}
		s = suite_create("freebsd");
		suite_add_tcase(s, fb_tcase(argv[2], (size_t)t, (size_t)t + 1));
	} else if (argc == 1) {
		s = suite_create("freebsd");
		suite_add_tcase(s, fb_tcase("all", 0, fb_ntests()));
	} else
		return (usage());
	return (uktest_run(s));
}
