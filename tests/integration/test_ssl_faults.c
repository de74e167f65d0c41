/*
 * libssl pairs over a lossy network: every suite under three seeds of
 * loss, reordering, duplication and segment splitting, from the
 * handshake on (libssl's flights and the hand-off under faults), then
 * the usual conversation both ways, byte for byte, and the same
 * agreement between libssl and the key log (one seed in three with
 * every direction from the key log).  MSS 1448 or 536.
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

#define	SF_SEEDS	3

START_TEST(test_ssl_faults)
{
	const struct uk_suite *s = uk_suite_at((size_t)(_i / SF_SEEDS));
	struct uk_net_config conf;
	struct uk_net_stats st;
	struct uk_ssl_pair p;

	if (strcmp(s->name, SFX_NO_OPENSSL) == 0)
		return;
	tfx_faults(&conf, 7000 + (uint64_t)_i, 4.0, 4.0, 2.0, 40.0);
	conf.mss = _i % 2 == 0 ? 1448 : 536;
	ck_assert_int_eq(uk_net_config(&conf, NULL), 0);
	sfx_open(&p, s->name, _i % SF_SEEDS == 2, NULL);
	sfx_check_modes(&p, s, _i % SF_SEEDS == 2);
	sfx_talk(&p, s->name, 120000, 150000, NULL);
	/* The faults did happen. */
	ck_assert_int_eq(uk_net_stats(p.server.s, &st), 0);
	ck_assert_uint_gt(st.fault_lost + st.fault_reordered +
	    st.fault_split, 0);
	ck_assert_uint_gt(st.snd_rexmitpack, 0);
	sfx_close(&p);
}
END_TEST

static Suite *
ssl_faults_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("ssl_faults");
	tc = uktest_tcase("ssl_faults");
	tcase_add_loop_test(tc, test_ssl_faults, 0,
	    (int)uk_nsuites() * SF_SEEDS);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{

	return (sfx_run(ssl_faults_suite()));
}
