/*
 * Counters of live objects (gauges) and of work done (totals), indexed by
 * enum khost_counter.  Kept in the host so that tests and the CLI read
 * them without reaching into kernel structures.
 */
#include <stdatomic.h>
#include <stdint.h>

#include <uktls/uktls.h>

#include "host.h"

static _Atomic int64_t kc[KC_NCOUNTERS];

static void
kc_check(enum khost_counter c)
{

	if ((unsigned int)c >= KC_NCOUNTERS)
		uk_host_panic("khost_counter: no counter %d", (int)c);
}

void
khost_counter_add(enum khost_counter c, int64_t delta)
{

	kc_check(c);
	atomic_fetch_add(&kc[c], delta);
}

int64_t
khost_counter_get(enum khost_counter c)
{

	kc_check(c);
	return (atomic_load(&kc[c]));
}

void
uk_counters(struct uk_counters *c)
{

	c->mbufs = atomic_load(&kc[KC_MBUF]);
	c->clusters = atomic_load(&kc[KC_CLUSTER]);
	c->extpg = atomic_load(&kc[KC_EXTPG]);
	c->pages = atomic_load(&kc[KC_PAGE]);
	c->sessions = atomic_load(&kc[KC_SESSION]);
	c->mallocs = atomic_load(&kc[KC_MALLOC]);
	c->copied_bytes = atomic_load(&kc[KC_COPY_BYTES]);
	c->crypto_bytes = atomic_load(&kc[KC_CRYPTO_BYTES]);
}

/*
 * A new run starts its totals at zero.  Gauges count objects that are
 * still alive and are left alone: zeroing them would hide a leak.
 */
void
uk_host_counter_reset_totals(void)
{

	atomic_store(&kc[KC_COPY_BYTES], 0);
	atomic_store(&kc[KC_CRYPTO_BYTES], 0);
}
