/*-
 * callout(9) on the simulated clock, reduced to what the TCP shim needs.
 *
 * Time in uktls moves only when somebody moves it (khost_nanotime() is
 * a simulated clock).  A callout is a function to run once the clock
 * reaches c_time.  Nothing fires by itself: whoever drives the network
 * (uk_net_run(), or a caller that would otherwise block; see
 * netinet/if_loop.c) calls callout_fire_next(), which moves the clock to
 * the earliest callout of the classes it asks for and runs every
 * callout due by then, of any class, in time order.
 *
 * A callout function runs on the firing thread with no lock held.  Once
 * taken off the list to run, a callout may be re-armed by someone else
 * before its function gets to run, so the function must check, under
 * its owner's lock, that it still has work to do (FreeBSD's
 * callout_pending()/callout_active() dance).  Freeing the memory of a
 * callout that may be running is the owner's problem: the TCP timers
 * hold a socket reference while armed, which the function inherits.
 *
 * Classes say who may make time pass for a callout:
 *
 *   CALLOUT_ACTIVE   the network in motion: delayed packets,
 *                    retransmissions, delayed ACKs, poll timeouts
 *   CALLOUT_PERSIST  zero-window probes: they come back for as long as a
 *                    window stays shut, so a waiter fires them at most
 *                    once per unit of progress (if_loop.c)
 *   CALLOUT_IDLE     TIME_WAIT and FIN_WAIT_2 timeouts: nobody waits for
 *                    them but uk_net_run()
 */
#ifndef _UK_SYS_CALLOUT_H_
#define _UK_SYS_CALLOUT_H_

#include "sys/types.h"
#include "sys/queue.h"

#define	CALLOUT_ACTIVE		0x01
#define	CALLOUT_PERSIST		0x02
#define	CALLOUT_IDLE		0x04
#define	CALLOUT_ALL		(CALLOUT_ACTIVE | CALLOUT_PERSIST |	\
				    CALLOUT_IDLE)

struct callout {
	TAILQ_ENTRY(callout) c_links;	/* on the list while pending */
	uint64_t	 c_time;	/* when, khost_nanotime() */
	void		(*c_func)(void *);
	void		*c_arg;
	int		 c_class;	/* CALLOUT_ACTIVE, ... */
	int		 c_pending;	/* on the list */
};

/* A stopped callout of a class. */
void	callout_init(struct callout *c, int class);
/*
 * Arm c to run fn(arg) delay nanoseconds from now, replacing whatever
 * it was armed with.  Returns 1 if it was pending already, 0 otherwise.
 */
int	callout_reset(struct callout *c, uint64_t delay, void (*fn)(void *),
	    void *arg);
/* Disarm c.  Returns 1 if it was pending (it will not run), else 0. */
int	callout_stop(struct callout *c);
int	callout_pending(struct callout *c);
/*
 * The earliest pending callout of the classes in mask: 1 and its time in
 * *when, or 0 if there is none.
 */
int	callout_next(int mask, uint64_t *when);
/*
 * Move the clock to the earliest callout of the classes in mask (not
 * back if it is due already) and run every callout due by then.
 * Returns how many ran; 0 if no callout of those classes is pending.
 */
int	callout_fire_next(int mask);

#endif /* !_UK_SYS_CALLOUT_H_ */
