/*
 * Wrappers of khost_crypto_create and khost_crypto_destroy, shared by
 * the mock tests that wrap them (both must be on a MOCK_WRAP line).
 *
 * They count every call and every context made and destroyed (a test's
 * teardown requires as many destroys as contexts made).  With
 * mks.strict set, each create is checked against expect_create() and
 * answered by its will_return(): MFX_PASS makes the real context,
 * anything else is returned as the error.
 */
#ifndef UKTEST_MOCK_SESSION_H
#define UKTEST_MOCK_SESSION_H

#include "mock_fixture.h"

int	__real_khost_crypto_create(const struct khost_tls_keys *, int,
	    struct khost_crypto **);
void	__real_khost_crypto_destroy(struct khost_crypto *);
int	__wrap_khost_crypto_create(const struct khost_tls_keys *, int,
	    struct khost_crypto **);
void	__wrap_khost_crypto_destroy(struct khost_crypto *);

static struct {
	bool	strict;
	int	creates, created, destroys;
} mks;

int
__wrap_khost_crypto_create(const struct khost_tls_keys *keys, int direction,
    struct khost_crypto **cp)
{
	int rv;

	mks.creates++;
	if (mks.strict) {
		check_expected(direction);
		check_expected(keys->cipher_algorithm);
		check_expected(keys->cipher_key_len);
		check_expected(keys->tls_vminor);
		rv = mock_type(int);
		if (rv != MFX_PASS)
			return (rv);
	}
	rv = __real_khost_crypto_create(keys, direction, cp);
	if (rv == 0)
		mks.created++;
	return (rv);
}

void
__wrap_khost_crypto_destroy(struct khost_crypto *c)
{

	assert_non_null(c);
	mks.destroys++;
	__real_khost_crypto_destroy(c);
}

/* The next create is for st's suite in `direction`; answer it so. */
static inline void
expect_create(const struct tlsm_state *st, int direction, int answer)
{
	struct tls_enable en;

	kfx_enable_of(st, 0, &en);
	expect_value(__wrap_khost_crypto_create, direction, direction);
	expect_value(__wrap_khost_crypto_create, keys->cipher_algorithm,
	    en.cipher_algorithm);
	expect_value(__wrap_khost_crypto_create, keys->cipher_key_len,
	    en.cipher_key_len);
	expect_value(__wrap_khost_crypto_create, keys->tls_vminor,
	    en.tls_vminor);
	will_return(__wrap_khost_crypto_create, answer);
}

/* Every context the backend made has been destroyed. */
static inline void
mks_assert_balanced(void)
{

	uk_run();
	assert_int_equal(mks.created, mks.destroys);
}

#endif /* UKTEST_MOCK_SESSION_H */
