/*
 * khost_malloc/khost_free and the allocation failure hook.
 *
 * M_WAITOK allocations never fail in FreeBSD (the thread sleeps until
 * memory is available), so without KH_NOWAIT a real out-of-memory is fatal
 * here.  KH_NOWAIT allocations are the ones a caller must be ready to see
 * fail; each is counted, and uk_fail_nth_alloc(n) makes the nth from now
 * fail once, so a test can walk every failure path of an operation: run it
 * once to learn uk_nowait_allocs(), then fail 1, 2, ... of them in turn.
 * Pages allocated with KH_NOWAIT go through the same hook.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/uktls.h>

#include "host.h"

static _Atomic uint64_t mem_nowait;	/* KH_NOWAIT allocations so far */
static _Atomic uint64_t mem_fail_at;	/* the one that fails; 0: none */
static atomic_int mem_fail_fired;

int
uk_host_nowait_fails(void)
{
	uint64_t at, k;

	k = atomic_fetch_add(&mem_nowait, 1) + 1;
	at = atomic_load(&mem_fail_at);
	if (at == 0 || k != at)
		return (0);
	/* Each k is handed out once, but disarm with a CAS all the same. */
	if (!atomic_compare_exchange_strong(&mem_fail_at, &at, 0))
		return (0);
	atomic_store(&mem_fail_fired, 1);
	return (1);
}

void
uk_fail_nth_alloc(uint64_t n)
{

	if (n == 0) {
		/* Disarm; whether an earlier arming fired stays readable. */
		atomic_store(&mem_fail_at, 0);
		return;
	}
	atomic_store(&mem_fail_fired, 0);
	atomic_store(&mem_fail_at, atomic_load(&mem_nowait) + n);
}

int
uk_fail_fired(void)
{

	return (atomic_load(&mem_fail_fired));
}

uint64_t
uk_nowait_allocs(void)
{

	return (atomic_load(&mem_nowait));
}

void
uk_host_mem_reset(void)
{

	atomic_store(&mem_fail_at, 0);
	atomic_store(&mem_fail_fired, 0);
	atomic_store(&mem_nowait, 0);
}

void *
khost_malloc(size_t size, int flags)
{
	void *p;

	if ((flags & KH_NOWAIT) != 0 && uk_host_nowait_fails())
		return (NULL);
	/* malloc(0) may return NULL; a kernel caller expects a pointer. */
	if (size == 0)
		size = 1;
	if ((flags & KH_ZERO) != 0)
		p = calloc(1, size);
	else
		p = malloc(size);
	if (p == NULL) {
		if ((flags & KH_NOWAIT) != 0)
			return (NULL);
		uk_host_panic("khost_malloc: out of memory (%zu bytes, "
		    "M_WAITOK)", size);
	}
	khost_counter_add(KC_MALLOC, 1);
	return (p);
}

void
khost_free(void *p)
{

	if (p == NULL)
		return;
	khost_counter_add(KC_MALLOC, -1);
	free(p);
}
