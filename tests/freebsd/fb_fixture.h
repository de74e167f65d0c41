/*
 * FreeBSD's KTLS test suite (tests/sys/kern/ktls_test.c) against uktls.
 *
 * Design.  FreeBSD's file is a matrix: a few case bodies (transmit app
 * data, transmit control, receive app data, a corrupted record, a record
 * of a bad size, ...) run over every cipher suite they apply to, each
 * combination an ATF test case with its own name.  Here the same matrix is
 * built at start-up as a table of struct fb_case (fb_cases.c), one row per
 * FreeBSD case with FreeBSD's name, and each row runs as its own ctest
 * test: `ktls_test --list` prints the names, `ktls_test --case NAME` runs
 * one under the uktest fixture (Check, zero leaks at teardown).
 *
 * Each case does what FreeBSD's does, over the loopback TCP shim
 * (uk_socketpair_tcp()) in the deterministic mode: a session from random
 * keys, IV and initial sequence number, and the model (model/tls_record.h)
 * as the independent peer that opens what our kernel sent and seals what
 * it must receive, malformed records included.  Randomness comes from a
 * generator seeded with the case's name (and UKTLS_FREEBSD_SEED, if set),
 * so a failure reproduces.
 *
 * Modes.  A case runs in one KTLS mode (software now; ifnet and TOE when
 * simulated devices exist): fb_modes[] is the one place to add a mode.
 * The software run keeps FreeBSD's bare name; another mode's tests are
 * named <mode>/<case>.
 */
#ifndef UKTLS_FB_FIXTURE_H
#define UKTLS_FB_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <uktls/ktls.h>

#include "tls_record.h"

/* A cipher suite and version, as ktls_test.c names and builds it. */
struct fb_suite {
	const char	*name;		/* e.g. "aes128_cbc_1_2_sha256" */
	int		 cipher;	/* CRYPTO_AES_CBC, ... */
	int		 key_len;	/* bytes */
	int		 auth;		/* CRYPTO_*_HMAC or 0 */
	int		 minor;		/* TLS_MINOR_VER_* */
};

/* What a case does: one of ktls_test.c's case bodies. */
enum fb_kind {
	FB_TX_APP,		/* short, long */
	FB_TX_CONTROL,		/* control, padding_N */
	FB_TX_EMPTY,		/* empty_fragment */
	FB_TX_INVALID,		/* transmit_invalid_* */
	FB_RX_APP,		/* short, long, padding_N, *_padded */
	FB_RX_BAD_DATA,
	FB_RX_BAD_MAC,
	FB_RX_BAD_PADDING,
	FB_RX_BAD_IV,
	FB_RX_TRUNCATED,
	FB_RX_BAD_MAJOR,
	FB_RX_BAD_MINOR,
	FB_RX_BAD_TYPE,		/* TLS 1.3 outer type */
	FB_RX_SMALL,		/* small_record */
	FB_RX_OVERSIZED,	/* oversized_record */
	FB_RX_NON_BLOCK,	/* non_block_size */
	FB_RX_SHORT_HEADER,	/* short_header */
	FB_RX_INVALID,		/* receive_invalid_* */
	FB_RX_UNSUPPORTED,	/* receive_unsupported_* */
	FB_SENDTO_BADDST,
	FB_LISTENING,
};

/* One of FreeBSD's test cases. */
struct fb_case {
	char		 name[64];	/* FreeBSD's name */
	enum fb_kind	 kind;
	const struct fb_suite *suite;	/* NULL for the two misc cases */
	size_t		 len;		/* plaintext bytes */
	size_t		 padding;	/* extra: CBC bytes, TLS 1.3 zeros */
	uint8_t		 type;		/* record type of control cases */
};

/* A KTLS mode the cases run in. */
struct fb_mode {
	const char	*name;		/* "sw" */
	const char	*prefix;	/* test name prefix ("" for sw) */
	int		 tls_mode;	/* TCP_TLS_MODE_* it must report */
};

extern const struct fb_mode fb_modes[];
extern const size_t fb_nmodes;

/* The case table (fb_cases.c), in FreeBSD's registration order. */
void	fb_cases_init(void);
size_t	fb_ncases(void);
const struct fb_case *fb_case_at(size_t i);
/* Test i of the whole run: mode i / ncases, case i % ncases. */
size_t	fb_ntests(void);
void	fb_test_name(size_t i, char *buf, size_t len);
/* The index of a test name, or -1. */
long	fb_test_find(const char *name);

/* ---- the per-case context (fb_fixture.c) ------------------------------- */

/* splitmix64: random() of FreeBSD's test, reproducible. */
struct fb_rng {
	uint64_t	 s;
};

/* struct tls_enable with its key buffers (build_tls_enable()). */
struct fb_keys {
	uint8_t		 cipher_key[32];
	uint8_t		 iv[16];
	uint8_t		 auth_key[48];
	struct tls_enable en;		/* points into the buffers above */
};

struct fb_ctx {
	const struct fb_case *c;
	const struct fb_mode *mode;
	struct fb_rng	 rng;
	uint64_t	 seqno;		/* initial sequence number */
	struct fb_keys	 keys;
	int		 sv[2];		/* sv[0] connected, sv[1] accepted */
};

/* Set up case i (mode and case) with its seed; ends with fb_ctx_done(). */
void	fb_ctx_init(struct fb_ctx *x, size_t test);
void	fb_ctx_done(struct fb_ctx *x);

uint64_t fb_rand(struct fb_rng *r);
/* len printable bytes (rdigit()), or NULL for 0 (alloc_buffer()). */
uint8_t	*fb_alloc_buffer(struct fb_rng *r, size_t len);

/* build_tls_enable(): keys and IV from the generator, as FreeBSD sizes. */
void	fb_build_enable(struct fb_rng *r, const struct fb_suite *s,
	    uint64_t seqno, struct fb_keys *k);
/* The model's state for a session (a valid suite only). */
void	fb_model_state(const struct tls_enable *en, struct tlsm_state *st);

/* FreeBSD's tls_header_len(), tls_mac_len(), tls_trailer_len(). */
size_t	fb_header_len(const struct tls_enable *en);
size_t	fb_mac_len(const struct tls_enable *en);
size_t	fb_trailer_len(const struct tls_enable *en);
/* tls_minimum_record_payload(): the smallest valid record body. */
size_t	fb_min_payload(const struct tls_enable *en);

/* socketpair_tcp(): a connected pair, both non-blocking. */
void	fb_open_sockets(struct fb_ctx *x);
void	fb_set_blocking(int fd);
/* Close both, run the network dry: no packet or connection is left. */
void	fb_close_sockets(struct fb_ctx *x);
/* setsockopt(TCP_TXTLS_ENABLE or TCP_RXTLS_ENABLE) == 0, in x's mode. */
void	fb_enable(struct fb_ctx *x, int fd, int optname);
/*
 * One turn of FreeBSD's kevent loop: wait until sockets[0] (the reader)
 * can be read or, if writing, sockets[1] can be written.  Fails the
 * case if nothing can move any more, or if the reader sees the end of
 * the stream or an error (EV_EOF).
 */
void	fb_wait(struct fb_ctx *x, int writing, int *readable, int *writable);
/* A buffer for the largest record of x's suite; its size in *cap. */
uint8_t	*fb_record_buffer(struct fb_ctx *x, size_t *cap);

/*
 * decrypt_tls_record(): open the record src[0..len) with the model at
 * seqno; st carries the TLS 1.0 IV chain from record to record.  Fails
 * the case unless the header is as FreeBSD writes it, the record opens,
 * its CBC padding is minimal and a TLS 1.3 record has no padding, and
 * the plaintext fits avail.  Returns the plaintext length.
 */
size_t	fb_decrypt_record(struct fb_ctx *x, struct tlsm_state *st,
	    uint64_t seqno, const uint8_t *src, size_t len, uint8_t *dst,
	    size_t avail, uint8_t *type);
/*
 * encrypt_tls_record(): seal len bytes as one record of type at seqno
 * into dst (at most avail), with `padding` bytes beyond what the suite
 * needs (CBC: a multiple of 16; TLS 1.3: zeros).  Returns its length.
 */
size_t	fb_encrypt_record(struct fb_ctx *x, struct tlsm_state *st,
	    uint8_t type, uint64_t seqno, const uint8_t *src, size_t len,
	    uint8_t *dst, size_t avail, size_t padding);

/* sendmsg() of one record of the given type (TLS_SET_RECORD_TYPE). */
void	fb_send_control(int fd, uint8_t type, const void *data, size_t len);
/*
 * ktls_receive_tls_record(): one recvmsg() must return one whole record:
 * MSG_EOR without MSG_CTRUNC, one TLS_GET_RECORD message with the type,
 * the version (3,3 for TLS 1.3) and the length returned.
 */
size_t	fb_receive_record(struct fb_ctx *x, int fd, uint8_t type, void *data,
	    size_t len);
/* ktls_receive_tls_error(): recvmsg() fails with expected. */
void	fb_receive_error(struct fb_ctx *x, int fd, int expected);

/* The case bodies (fb_transmit.c, fb_receive.c, fb_misc.c). */
void	fb_run_transmit(struct fb_ctx *x);
void	fb_run_receive(struct fb_ctx *x);
void	fb_run_misc(struct fb_ctx *x);

#endif /* UKTLS_FB_FIXTURE_H */
