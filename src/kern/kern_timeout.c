/*-
 * callout(9) on the simulated clock (see sys/callout.h for the model).
 *
 * One list of pending callouts, sorted by time and FIFO among equal
 * times, under one mutex.  Firing moves the clock (khost_clock_advance_to)
 * while holding that mutex, so two threads driving the network at once
 * cannot both decide where time goes next.  The functions themselves run
 * with no lock held, one at a time from the head of the list: a callout
 * armed by one of them for "now" runs in the same call.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/atomic.h"
#include "sys/mutex.h"
#include "sys/queue.h"
#include "sys/callout.h"

static struct mtx	callout_mtx;
static TAILQ_HEAD(callout_head, callout) callout_list =
    TAILQ_HEAD_INITIALIZER(callout_list);
static volatile int	callout_inited;

static void
callout_sysinit(void)
{
	int expected;

	if (atomic_load_int(&callout_inited) == 2)
		return;
	expected = 0;
	if (!__atomic_compare_exchange_n(&callout_inited, &expected, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		while (atomic_load_int(&callout_inited) != 2)
			;
		return;
	}
	mtx_init(&callout_mtx, "callout", NULL, MTX_DEF);
	atomic_store_int(&callout_inited, 2);
}

void
callout_init(struct callout *c, int class)
{

	KASSERT(class == CALLOUT_ACTIVE || class == CALLOUT_PERSIST ||
	    class == CALLOUT_IDLE, ("%s: class %#x", __func__, class));
	memset(c, 0, sizeof(*c));
	c->c_class = class;
}

int
callout_reset(struct callout *c, uint64_t delay, void (*fn)(void *),
    void *arg)
{
	struct callout *n;
	uint64_t now;
	int pending;

	callout_sysinit();
	mtx_lock(&callout_mtx);
	pending = c->c_pending;
	if (pending)
		TAILQ_REMOVE(&callout_list, c, c_links);
	now = khost_nanotime();
	c->c_time = now + delay < now ? UINT64_MAX : now + delay;
	c->c_func = fn;
	c->c_arg = arg;
	c->c_pending = 1;
	TAILQ_FOREACH(n, &callout_list, c_links)
		if (n->c_time > c->c_time)
			break;
	if (n != NULL)
		TAILQ_INSERT_BEFORE(n, c, c_links);
	else
		TAILQ_INSERT_TAIL(&callout_list, c, c_links);
	mtx_unlock(&callout_mtx);
	return (pending);
}

int
callout_stop(struct callout *c)
{
	int pending;

	callout_sysinit();
	mtx_lock(&callout_mtx);
	pending = c->c_pending;
	if (pending) {
		TAILQ_REMOVE(&callout_list, c, c_links);
		c->c_pending = 0;
	}
	mtx_unlock(&callout_mtx);
	return (pending);
}

int
callout_pending(struct callout *c)
{
	int pending;

	callout_sysinit();
	mtx_lock(&callout_mtx);
	pending = c->c_pending;
	mtx_unlock(&callout_mtx);
	return (pending);
}

int
callout_next(int mask, uint64_t *when)
{
	struct callout *c;

	callout_sysinit();
	mtx_lock(&callout_mtx);
	TAILQ_FOREACH(c, &callout_list, c_links)
		if ((c->c_class & mask) != 0)
			break;
	if (c != NULL)
		*when = c->c_time;
	mtx_unlock(&callout_mtx);
	return (c != NULL);
}

int
callout_fire_next(int mask)
{
	struct callout *c;
	void (*fn)(void *);
	void *arg;
	int n;

	callout_sysinit();
	mtx_lock(&callout_mtx);
	TAILQ_FOREACH(c, &callout_list, c_links)
		if ((c->c_class & mask) != 0)
			break;
	if (c == NULL) {
		mtx_unlock(&callout_mtx);
		return (0);
	}
	if (c->c_time > khost_nanotime())
		khost_clock_advance_to(c->c_time);
	n = 0;
	while ((c = TAILQ_FIRST(&callout_list)) != NULL &&
	    c->c_time <= khost_nanotime()) {
		TAILQ_REMOVE(&callout_list, c, c_links);
		c->c_pending = 0;
		fn = c->c_func;
		arg = c->c_arg;
		mtx_unlock(&callout_mtx);
		fn(arg);
		n++;
		mtx_lock(&callout_mtx);
	}
	mtx_unlock(&callout_mtx);
	return (n);
}
