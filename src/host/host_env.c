/*
 * uk_reset(): one call that puts every host module back to the start of a
 * run.  Live objects are not touched: a test that leaked must fail its
 * own leak check rather than have the evidence wiped.
 */
#include <stdint.h>

#include <uktls/uktls.h>

#include "host.h"

void
uk_reset(uint64_t seed)
{

	uk_host_wq_reset();
	uk_seed(seed);
	uk_host_clock_reset();
	uk_host_mem_reset();
	uk_host_counter_reset_totals();
	uk_host_net_reset();
}
