/*-
 * The host interface: the one seam between the kernel world and the host.
 *
 * The kernel world (src/sys, src/kern, src/netinet, src/dev) is compiled
 * freestanding and sees nothing of libc, OpenSSL or libpcap.  Everything it
 * needs from the process it runs in comes through the functions below,
 * which src/host implements: memory, locks, a work queue, randomness, a
 * clock, logging, counters and simulated physical memory (pages and a page
 * cache of files for sendfile).  This is the libuinet/F-Stack split.
 *
 * This header is included by both worlds, so it includes only the
 * freestanding C headers and uses only plain C types.
 */
#ifndef _SYS_KHOST_H_
#define _SYS_KHOST_H_

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- memory ---------------------------------------------------------- */

#define	KH_NOWAIT	0x0001	/* may fail; counts for the failure hook */
#define	KH_ZERO		0x0002	/* zero the memory */

/*
 * Allocate size bytes.  Without KH_NOWAIT the call never returns NULL (the
 * host aborts if the process is out of memory, as M_WAITOK sleeps forever).
 * With KH_NOWAIT it returns NULL when the failure hook fires.
 */
void	*khost_malloc(size_t size, int flags);
void	 khost_free(void *p);

/* ---- locks ----------------------------------------------------------- */

struct khost_mtx;
struct khost_cv;

struct khost_mtx *khost_mtx_create(const char *name);
void	 khost_mtx_destroy(struct khost_mtx *m);
void	 khost_mtx_lock(struct khost_mtx *m);
void	 khost_mtx_unlock(struct khost_mtx *m);
int	 khost_mtx_owned(struct khost_mtx *m);

struct khost_cv *khost_cv_create(const char *name);
void	 khost_cv_destroy(struct khost_cv *cv);
void	 khost_cv_wait(struct khost_cv *cv, struct khost_mtx *m);
void	 khost_cv_signal(struct khost_cv *cv);
void	 khost_cv_broadcast(struct khost_cv *cv);

/* ---- work queue ------------------------------------------------------ */

/*
 * A unit of deferred work.  The kernel embeds it in its own structures and
 * owns its memory; the host only links it and calls kw_fn(kw_arg) once per
 * enqueue.  An item must not be enqueued again before its function starts.
 *
 * In deterministic mode (0 workers, the default) enqueued work runs only
 * when the host's run loop drains the queue, in FIFO order, on the calling
 * thread.  With N workers it runs on N pthreads, in no promised order.
 */
struct khost_work {
	struct khost_work *kw_next;
	void		(*kw_fn)(void *);
	void		*kw_arg;
};

void	 khost_work_enqueue(struct khost_work *w);
int	 khost_workers(void);		/* 0: deterministic run queue */

/* ---- randomness, time, logging -------------------------------------- */

/* arc4rand(9): seeded and reproducible (uk_seed()). */
void	 khost_arc4rand(void *buf, size_t len);

/* Simulated clock in nanoseconds; advances only when the host says so. */
uint64_t khost_nanotime(void);

#define	KH_LOG_ERR	3
#define	KH_LOG_WARNING	4
#define	KH_LOG_INFO	6
#define	KH_LOG_DEBUG	7

void	 khost_vlog(int level, const char *fmt, va_list ap);
void	 khost_vpanic(const char *fmt, va_list ap) __attribute__((__noreturn__));

/* ---- counters -------------------------------------------------------- */

/*
 * Live-object and work counters, kept by the host so tests and the CLI can
 * read them without reaching into the kernel.  Gauges go up and down;
 * totals only go up.
 */
enum khost_counter {
	KC_MBUF,		/* gauge: live mbufs */
	KC_CLUSTER,		/* gauge: live clusters */
	KC_EXTPG,		/* gauge: live M_EXTPG mbufs */
	KC_PAGE,		/* gauge: live pages in the page pool */
	KC_SESSION,		/* gauge: live KTLS sessions */
	KC_MALLOC,		/* gauge: live khost_malloc blocks */
	KC_COPY_BYTES,		/* total: payload bytes copied by the CPU */
	KC_CRYPTO_BYTES,	/* total: payload bytes passed through a cipher */
	KC_NCOUNTERS
};

void	 khost_counter_add(enum khost_counter c, int64_t delta);
int64_t	 khost_counter_get(enum khost_counter c);

/* ---- simulated physical memory -------------------------------------- */

/*
 * A page pool stands in for physical memory: a vm_paddr_t names one 4 KiB
 * page and khost_page_map() gives the host address of its bytes (the
 * direct map, PHYS_TO_DMAP).  Pages are reference counted: page_alloc
 * returns a page with one reference, page_hold adds one (a wired page),
 * page_free drops one and returns the page to the pool at zero.  Address 0
 * is never a valid page.
 */
#define	KH_PAGE_SIZE	4096

uint64_t khost_page_alloc(int flags);	/* KH_NOWAIT, KH_ZERO; 0 on failure */
void	 khost_page_hold(uint64_t pa);
void	 khost_page_free(uint64_t pa);
void	*khost_page_map(uint64_t pa);
int	 khost_page_refs(uint64_t pa);

/*
 * The page cache: "files" made by the host (uk_file_create()) whose
 * contents live in pool pages.  khost_file_page() returns the page holding
 * byte pindex * KH_PAGE_SIZE of the file with a new reference, or 0 when
 * the index is past the end or the file does not exist.  The sendfile path
 * references these pages without copying them.
 */
uint64_t khost_file_size(int fd);
uint64_t khost_file_page(int fd, uint64_t pindex);

/* ---- software TLS record crypto (src/crypto, on OpenSSL 3) ---------- */

/*
 * The analogue of FreeBSD's ktls_ocf.c: one context per session and
 * direction, created from the session's keys, with an operation per record.
 * Payload is passed as scatter/gather lists of host memory (mapped page
 * slices), so a record is never gathered into a flat buffer.  Errors are
 * FreeBSD errno values.
 */
struct khost_iov {
	void	*iov_base;
	size_t	 iov_len;
};

struct khost_tls_keys {
	int		 cipher_algorithm;	/* CRYPTO_AES_NIST_GCM_16, ... */
	int		 auth_algorithm;	/* CRYPTO_SHA*_HMAC for CBC, else 0 */
	const uint8_t	*cipher_key;
	int		 cipher_key_len;
	const uint8_t	*auth_key;
	int		 auth_key_len;
	const uint8_t	*iv;
	int		 iv_len;
	uint8_t		 tls_vmajor;
	uint8_t		 tls_vminor;
};

struct khost_crypto;

/* 0, or EINVAL (bad parameters), ENOTSUP (no such suite), ENOMEM. */
int	 khost_crypto_create(const struct khost_tls_keys *keys, int direction,
	    struct khost_crypto **cp);
/* Scrubs the keys. */
void	 khost_crypto_destroy(struct khost_crypto *c);

/*
 * Encrypt one record.  hdr is the framed header (5 bytes, then the
 * explicit nonce of TLS 1.2 GCM or the explicit IV of CBC 1.1+ as
 * ktls_frame wrote them).  The plaintext payload is src; the ciphertext
 * goes to dst, which has the same total length and may be the same
 * memory (in place).  The trailer (tag; encrypted MAC and padding for
 * CBC; encrypted inner type and tag for TLS 1.3) is written to trailer,
 * trllen bytes as framed.  record_type is the real content type.  For
 * TLS 1.0 CBC the context chains the IV, so records must be encrypted in
 * sequence order.  Returns 0 or EIO.
 */
int	 khost_crypto_encrypt(struct khost_crypto *c, const uint8_t *hdr,
	    int hdrlen, uint64_t seqno, uint8_t record_type,
	    const struct khost_iov *src, int nsrc,
	    const struct khost_iov *dst, int ndst,
	    uint8_t *trailer, int trllen);

/*
 * Decrypt one record in place.  hdr is the header (5 bytes) followed by
 * the explicit nonce or IV (hdrlen bytes in all, as ktls_frame's table
 * gives them); iov covers the rest of the record: ciphertext and
 * trailer.  On success *trailer_len is the number of bytes at the end of
 * iov that are not plaintext (tag, MAC and padding, TLS 1.3 inner type
 * and zero padding) and *record_type the real type (the inner type for
 * TLS 1.3, the header's otherwise).  Returns 0, EBADMSG (authentication,
 * padding, or a TLS 1.3 record with no content type) or EMSGSIZE (a
 * length that cannot be valid, such as CBC not a multiple of the block).
 */
int	 khost_crypto_decrypt(struct khost_crypto *c, const uint8_t *hdr,
	    int hdrlen, uint64_t seqno, const struct khost_iov *iov, int niov,
	    int *trailer_len, uint8_t *record_type);

/* ---- the simulated network (the TCP shim, src/netinet) ------------- */

/*
 * Run one queued work item on the calling thread, as uk_run_one() does:
 * 1 if one ran, 0 if the queue is empty or worker threads own it.  A
 * caller that would block in the deterministic mode runs the network
 * this way (netinet/if_loop.c).
 */
int	 khost_work_run_one(void);
/* Move the simulated clock forward to ns; never back. */
void	 khost_clock_advance_to(uint64_t ns);
/*
 * Every IPv4 packet a TCP endpoint puts on the simulated wire, at
 * simulated time ns, for the pcap tap (uk_net_pcap_open()); nothing
 * happens when no tap is open.  The host copies what it keeps.
 */
void	 khost_tap_packet(const void *pkt, size_t len, uint64_t ns);
/*
 * The deterministic mode has nothing left to run and a caller would
 * block: give the application its turn (uk_net_set_idle()).  Nonzero if
 * the application's hook ran.
 */
int	 khost_net_idle(void);

#endif /* !_SYS_KHOST_H_ */
