/*
 * arc4rand(9) for the kernel world: a seeded, reproducible generator.
 *
 * Not a cryptographic generator, on purpose.  In the KTLS datapath random
 * bytes stand in for explicit IVs and nonces (the TLS 1.1/1.2 CBC explicit
 * IV, for instance); the keys themselves always come from the application
 * or the test.  An IV must be unpredictable to a network attacker, and
 * nobody attacks a test run, but every run must give the same bytes on
 * the wire so that records compare byte for byte against the reference
 * model and against stored traces.  So uk_seed() fixes the stream.
 *
 * xoshiro256** seeded through splitmix64 (Blackman and Vigna).  Leftover
 * bytes of a 64-bit output are kept for the next call, so the stream does
 * not depend on how callers split their requests: 3 bytes then 5 equal 8.
 * With worker threads the stream is still one sequence, but which caller
 * gets which part depends on the scheduling.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <uktls/uktls.h>

#include "host.h"

static pthread_mutex_t rnd_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t rnd_s[4];
static int rnd_seeded;
static unsigned char rnd_buf[8];
static size_t rnd_nbuf;		/* unused bytes at the end of rnd_buf */

static uint64_t
rnd_splitmix(uint64_t *x)
{
	uint64_t z;

	z = (*x += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31));
}

static uint64_t
rnd_rotl(uint64_t x, int k)
{

	return ((x << k) | (x >> (64 - k)));
}

static uint64_t
rnd_next(void)
{
	uint64_t r, t;

	r = rnd_rotl(rnd_s[1] * 5, 7) * 9;
	t = rnd_s[1] << 17;
	rnd_s[2] ^= rnd_s[0];
	rnd_s[3] ^= rnd_s[1];
	rnd_s[1] ^= rnd_s[2];
	rnd_s[0] ^= rnd_s[3];
	rnd_s[2] ^= t;
	rnd_s[3] = rnd_rotl(rnd_s[3], 45);
	return (r);
}

/* rnd_lock held. */
static void
rnd_seed_locked(uint64_t seed)
{
	int i;

	/* splitmix64 never yields four zero words, xoshiro's one bad state. */
	for (i = 0; i < 4; i++)
		rnd_s[i] = rnd_splitmix(&seed);
	rnd_nbuf = 0;
	rnd_seeded = 1;
}

void
uk_seed(uint64_t seed)
{

	pthread_mutex_lock(&rnd_lock);
	rnd_seed_locked(seed);
	pthread_mutex_unlock(&rnd_lock);
}

void
khost_arc4rand(void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t r;
	size_t n;
	int i;

	pthread_mutex_lock(&rnd_lock);
	if (!rnd_seeded)
		rnd_seed_locked(0);	/* reproducible even without uk_reset */
	while (len > 0) {
		if (rnd_nbuf == 0) {
			/* Little-endian, whatever the host's byte order. */
			r = rnd_next();
			for (i = 0; i < 8; i++)
				rnd_buf[i] = (unsigned char)(r >> (8 * i));
			rnd_nbuf = 8;
		}
		n = len < rnd_nbuf ? len : rnd_nbuf;
		memcpy(p, rnd_buf + (8 - rnd_nbuf), n);
		rnd_nbuf -= n;
		p += n;
		len -= n;
	}
	pthread_mutex_unlock(&rnd_lock);
}
