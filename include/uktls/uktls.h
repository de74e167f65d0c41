/*
 * uktls: FreeBSD's kernel TLS datapath in a process.
 *
 * The environment API: set-up, determinism, counters and fault injection.
 * The socket API (uk_socket, uk_sendmsg, ...) is in <uktls/socket.h>.
 *
 * Functions that can fail return 0 or -1 and set errno (host values).
 */
#ifndef UKTLS_UKTLS_H
#define UKTLS_UKTLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Reset the environment for a new run: reseed the random source, set the
 * simulated clock to its epoch, stop any workers and return to the
 * deterministic run queue.  Live objects are not touched (a test that
 * leaked fails its own check).
 */
void	uk_reset(uint64_t seed);

/* Seed the arc4rand(9) source; the same seed gives the same bytes. */
void	uk_seed(uint64_t seed);

/*
 * Work queue.  With 0 workers (the default) deferred kernel work runs only
 * inside uk_run(), in FIFO order, on the caller's thread.  With n > 0 it
 * runs on n pthreads; uk_run() then waits until the queue is idle.
 * uk_set_workers() fails with EBUSY while work is queued.
 */
int	uk_set_workers(int n);
int	uk_workers(void);
/* Run queued work until none is left; returns how many items ran. */
long	uk_run(void);
/* Run at most one queued item (deterministic mode); returns 1 or 0. */
int	uk_run_one(void);
/* Items queued and not yet started. */
long	uk_pending(void);

/* Simulated clock, nanoseconds since the epoch uk_reset() set. */
uint64_t uk_clock_ns(void);
void	uk_clock_advance(uint64_t ns);

/* Counters of live objects and of work done. */
struct uk_counters {
	int64_t	mbufs;		/* live mbufs */
	int64_t	clusters;	/* live clusters */
	int64_t	extpg;		/* live unmapped (M_EXTPG) mbufs */
	int64_t	pages;		/* live pages in the page pool */
	int64_t	sessions;	/* live KTLS sessions */
	int64_t	mallocs;	/* live kernel allocations */
	int64_t	copied_bytes;	/* payload bytes copied by the CPU */
	int64_t	crypto_bytes;	/* payload bytes passed through a cipher */
};
void	uk_counters(struct uk_counters *c);

/*
 * Fault injection: make the nth allocation that is allowed to fail
 * (M_NOWAIT) from now on fail, once.  0 disarms.  uk_fail_fired() tells
 * whether the armed failure has happened.  uk_nowait_allocs() counts
 * M_NOWAIT allocations since the last uk_reset(), to size a loop that
 * fails each one in turn.
 */
void	uk_fail_nth_alloc(uint64_t n);
int	uk_fail_fired(void);
uint64_t uk_nowait_allocs(void);

/*
 * The page cache.  uk_file_create() makes a "file" holding a copy of
 * len bytes (data may be NULL for zeros) and returns its descriptor for
 * uk_sendfile(), or -1 with errno set.  uk_file_write() changes bytes in
 * place (pages in flight see the change, as on a real system).
 */
int	uk_file_create(const void *data, size_t len);
int	uk_file_write(int fd, uint64_t off, const void *data, size_t len);
int	uk_file_destroy(int fd);

/* Log verbosity: 0 errors only (default), 1 info, 2 debug. */
void	uk_set_verbose(int level);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_UKTLS_H */
