/*
 * libssl pairs with worker threads (uk_set_workers()): the handshake
 * steps and the hand-off while workers move segments and encrypt and
 * decrypt records, then the usual conversation both ways, byte for
 * byte, for every suite, with libssl's hand-off and with every direction
 * from the key log; and a lossy network.  Run under ThreadSanitizer
 * (the `threads` label).
 */
#include <check.h>
#include <string.h>

#include <uktls/net.h>
#include <uktls/ssl.h>
#include <uktls/suites.h>
#include <uktls/uktls.h>

#include "../unit/tcp_fixture.h"
#include "ssl_fixture.h"
#include "uktest.h"

/*
 * Every suite in one test: a forked test costs about a second under
 * ThreadSanitizer.
 */
START_TEST(test_ssl_mt_pair)
{
	const struct uk_suite *s;
	struct uk_ssl_pair p;
	int no_handoff;
	size_t i;

	no_handoff = _i;
	ck_assert_int_eq(uk_set_workers(2), 0);
	for (i = 0; i < uk_nsuites(); i++) {
		s = uk_suite_at(i);
		if (strcmp(s->name, SFX_NO_OPENSSL) == 0)
			continue;
		sfx_open(&p, s->name, no_handoff, NULL);
		sfx_check_modes(&p, s, no_handoff);
		sfx_talk(&p, s->name, 60000, 90000, NULL);
		sfx_close(&p);
		uktest_assert_no_leaks();
	}
}
END_TEST

START_TEST(test_ssl_mt_pair_faults)
{
	static const char *const suites[] = { "aes256-gcm-1.2",
	    "chacha20-poly1305-1.3", "aes128-cbc-sha1-1.0",
	    "aes256-cbc-sha384-1.2" };
	struct uk_net_config conf;
	struct uk_ssl_pair p;
	size_t i;

	ck_assert_int_eq(uk_set_workers(3), 0);
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		tfx_faults(&conf, 8100 + (uint64_t)i, 3.0, 3.0, 2.0, 30.0);
		ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
		sfx_open(&p, suites[i], 0, NULL);
		sfx_check_modes(&p, uk_suite_by_name(suites[i]), 0);
		sfx_talk(&p, suites[i], 80000, 100000, NULL);
		sfx_close(&p);
		uktest_assert_no_leaks();
	}
}
END_TEST

static Suite *
ssl_mt_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ssl_mt_pair");
	tc = uktest_tcase("ssl_mt_pair");
	tcase_add_loop_test(tc, test_ssl_mt_pair, 0, 2);
	tcase_add_test(tc, test_ssl_mt_pair_faults);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (sfx_run(ssl_mt_suite()));
}
