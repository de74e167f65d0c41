/*
 * Shared test scaffolding (Check).
 *
 * Every test case runs with a fixture that resets the environment with a
 * fixed seed and, at teardown, asserts that no mbuf, cluster, page,
 * session or kernel allocation is left alive.  Kernel errno values are
 * compared through the KE_ names of "sys/errno.h".
 */
#ifndef UKTEST_H
#define UKTEST_H

#include <check.h>
#include <stdint.h>

#include <uktls/uktls.h>

#define	UKTEST_SEED	0x75746b6c73ULL	/* "uktls" */

/* Fixture: reset with UKTEST_SEED, and check for leaks at the end. */
void	uktest_setup(void);
void	uktest_teardown(void);

/* Assert that nothing is alive (also callable mid-test). */
void	uktest_assert_no_leaks(void);

/* A test case with the standard fixture. */
TCase	*uktest_tcase(const char *name);

/* Run the suite; exit status for main(). */
int	uktest_run(Suite *s);

/* Deterministic bytes for payloads: byte i of stream `stream`. */
void	uktest_fill(void *buf, size_t len, uint32_t stream, uint64_t off);

#endif /* UKTEST_H */
