/*
 * The simulated clock.  Time moves only when the application (or the TCP
 * shim on its behalf) says so, which keeps runs reproducible.  It starts
 * at a real-looking date so that pcap timestamps written from it open as
 * a plausible capture in Wireshark rather than as 1970.
 */
#include <stdatomic.h>
#include <stdint.h>

#include <uktls/uktls.h>

#include "host.h"

static _Atomic uint64_t clk_ns = UK_CLOCK_EPOCH_NS;

uint64_t
khost_nanotime(void)
{

	return (atomic_load(&clk_ns));
}

uint64_t
uk_clock_ns(void)
{

	return (atomic_load(&clk_ns) - UK_CLOCK_EPOCH_NS);
}

void
uk_clock_advance(uint64_t ns)
{
	uint64_t now, next;

	/* Saturate rather than wrap: time never goes backwards. */
	now = atomic_load(&clk_ns);
	do {
		next = now + ns < now ? UINT64_MAX : now + ns;
	} while (!atomic_compare_exchange_weak(&clk_ns, &now, next));
}

void
uk_host_clock_reset(void)
{

	atomic_store(&clk_ns, UK_CLOCK_EPOCH_NS);
}
