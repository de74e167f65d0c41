/*
 * Simulated physical memory: the page pool and the page cache.
 *
 * The pool hands out 4 KiB pages named by a "physical address", which is
 * (index + 1) << 12: page 0 is never handed out, so 0 can mean "no page"
 * as it does for vm_paddr_t, and the low 12 bits are the offset in the
 * page, as for PHYS_TO_DMAP() and PHYS_TO_VM_PAGE().  Pages live in
 * chunks of PG_CHUNK_PAGES page-aligned pages that are never moved or
 * returned to the system, so a mapped address stays valid for as long as
 * its page is held, whatever the pool does meanwhile; the chunk table has
 * a fixed size so that khost_page_map() can read it without a lock.
 *
 * Each page has a reference count: alloc sets it to 1, hold adds one,
 * free drops one and puts the page on a LIFO free list at zero (so a freed
 * page is the next one handed out, which makes reuse bugs show quickly).
 * Holding, freeing or mapping a page that is not allocated is a kernel
 * bug and panics.  With INVARIANTS freed pages are filled with junk, and
 * under AddressSanitizer they are poisoned, so a stale mapping that is
 * still used is reported at the faulting access.
 *
 * The page cache keeps each "file" as an array of pool pages, each with
 * one reference owned by the file.  khost_file_page() hands out another
 * reference, so a page that sendfile put in an mbuf outlives
 * uk_file_destroy() until the mbuf is freed, as a wired page would.
 * uk_file_write() changes bytes in place, so pages already in flight see
 * the change; it cannot grow a file (EINVAL), because growing would mean
 * new pages that earlier callers of khost_file_size() do not know about,
 * and no test needs it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <uktls/uktls.h>

#include "host.h"

#if defined(__SANITIZE_ADDRESS__)
#define	PG_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define	PG_ASAN	1
#endif
#endif

#ifdef PG_ASAN
#include <sanitizer/asan_interface.h>
#define	PG_POISON(p, n)		ASAN_POISON_MEMORY_REGION((p), (n))
#define	PG_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define	PG_POISON(p, n)		((void)(p), (void)(n))
#define	PG_UNPOISON(p, n)	((void)(p), (void)(n))
#endif

#define	PG_SHIFT	12
#define	PG_CHUNK_PAGES	256			/* 1 MiB per chunk */
#define	PG_MAX_CHUNKS	4096			/* 4 GiB of pool */
#define	PG_MAX_PAGES	((uint32_t)PG_CHUNK_PAGES * PG_MAX_CHUNKS)
#define	PG_NONE		UINT32_MAX
#define	PG_JUNK		0xd5			/* freed-page filler */

_Static_assert(KH_PAGE_SIZE == 1 << PG_SHIFT, "page size");

struct pg_meta {
	atomic_int	pm_refs;	/* 0: on the free list */
	uint32_t	pm_next;	/* free list link, under pg_lock */
};

struct pg_chunk {
	unsigned char	*pc_mem;	/* PG_CHUNK_PAGES pages */
	struct pg_meta	 pc_meta[PG_CHUNK_PAGES];
};

static pthread_mutex_t pg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pg_chunk *_Atomic pg_chunks[PG_MAX_CHUNKS];
static _Atomic uint32_t pg_npages;	/* indices below this exist */
static uint32_t pg_free = PG_NONE;	/* free list head, under pg_lock */

/* Index of the page holding pa, or PG_NONE if no page has that address. */
static uint32_t
pg_index(uint64_t pa)
{
	uint64_t n;

	n = pa >> PG_SHIFT;
	if (n == 0 || n > atomic_load(&pg_npages))
		return (PG_NONE);
	return ((uint32_t)(n - 1));
}

static struct pg_meta *
pg_meta(uint32_t idx)
{

	return (&atomic_load(&pg_chunks[idx / PG_CHUNK_PAGES])->
	    pc_meta[idx % PG_CHUNK_PAGES]);
}

static unsigned char *
pg_mem(uint32_t idx)
{

	return (atomic_load(&pg_chunks[idx / PG_CHUNK_PAGES])->pc_mem +
	    (size_t)(idx % PG_CHUNK_PAGES) * KH_PAGE_SIZE);
}

/* The page of pa, which must be allocated, or panic naming op. */
static uint32_t
pg_lookup(uint64_t pa, const char *op)
{
	uint32_t idx;

	idx = pg_index(pa);
	if (idx == PG_NONE)
		uk_host_panic("%s: 0x%jx is not a page address", op,
		    (uintmax_t)pa);
	if (atomic_load(&pg_meta(idx)->pm_refs) <= 0)
		uk_host_panic("%s: page 0x%jx is free (use after free?)", op,
		    (uintmax_t)pa);
	return (idx);
}

/* Add a chunk.  pg_lock held.  0 or ENOMEM. */
static int
pg_grow(void)
{
	struct pg_chunk *c;
	uint32_t n;

	n = atomic_load(&pg_npages);
	if (n >= PG_MAX_PAGES)
		return (ENOMEM);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return (ENOMEM);
	c->pc_mem = aligned_alloc(KH_PAGE_SIZE,
	    (size_t)PG_CHUNK_PAGES * KH_PAGE_SIZE);
	if (c->pc_mem == NULL) {
		free(c);
		return (ENOMEM);
	}
#ifdef INVARIANTS
	memset(c->pc_mem, PG_JUNK, (size_t)PG_CHUNK_PAGES * KH_PAGE_SIZE);
#endif
	PG_POISON(c->pc_mem, (size_t)PG_CHUNK_PAGES * KH_PAGE_SIZE);
	atomic_store(&pg_chunks[n / PG_CHUNK_PAGES], c);
	return (0);
}

/*
 * Take a page off the free list, or a new one.  Returns its address with
 * one reference, or 0 when the pool cannot grow and can_fail is set.
 */
static uint64_t
pg_get(int zero, int can_fail)
{
	uint32_t idx;

	pthread_mutex_lock(&pg_lock);
	if (pg_free != PG_NONE) {
		idx = pg_free;
		pg_free = pg_meta(idx)->pm_next;
	} else {
		idx = atomic_load(&pg_npages);
		if (idx % PG_CHUNK_PAGES == 0 && pg_grow() != 0) {
			pthread_mutex_unlock(&pg_lock);
			if (can_fail)
				return (0);
			uk_host_panic("khost_page_alloc: page pool exhausted "
			    "(%u pages)", (unsigned int)idx);
		}
		atomic_store(&pg_npages, idx + 1);
	}
	pg_meta(idx)->pm_next = PG_NONE;
	atomic_store(&pg_meta(idx)->pm_refs, 1);
	pthread_mutex_unlock(&pg_lock);
	PG_UNPOISON(pg_mem(idx), KH_PAGE_SIZE);
	if (zero)
		memset(pg_mem(idx), 0, KH_PAGE_SIZE);
	khost_counter_add(KC_PAGE, 1);
	return (((uint64_t)idx + 1) << PG_SHIFT);
}

uint64_t
khost_page_alloc(int flags)
{
	int nowait;

	nowait = (flags & KH_NOWAIT) != 0;
	if (nowait && uk_host_nowait_fails())
		return (0);
	return (pg_get((flags & KH_ZERO) != 0, nowait));
}

void
khost_page_hold(uint64_t pa)
{
	uint32_t idx;

	idx = pg_lookup(pa, "khost_page_hold");
	/* The caller holds a reference, so the count cannot reach 0 now. */
	atomic_fetch_add(&pg_meta(idx)->pm_refs, 1);
}

void
khost_page_free(uint64_t pa)
{
	struct pg_meta *pm;
	uint32_t idx;
	int old;

	idx = pg_index(pa);
	if (idx == PG_NONE)
		uk_host_panic("khost_page_free: 0x%jx is not a page address",
		    (uintmax_t)pa);
	pm = pg_meta(idx);
	old = atomic_fetch_sub(&pm->pm_refs, 1);
	if (old <= 0)
		uk_host_panic("khost_page_free: page 0x%jx is free "
		    "(double free?)", (uintmax_t)pa);
	if (old > 1)
		return;
#ifdef INVARIANTS
	memset(pg_mem(idx), PG_JUNK, KH_PAGE_SIZE);
#endif
	PG_POISON(pg_mem(idx), KH_PAGE_SIZE);
	pthread_mutex_lock(&pg_lock);
	pm->pm_next = pg_free;
	pg_free = idx;
	pthread_mutex_unlock(&pg_lock);
	khost_counter_add(KC_PAGE, -1);
}

void *
khost_page_map(uint64_t pa)
{
	uint32_t idx;

	idx = pg_lookup(pa, "khost_page_map");
	return (pg_mem(idx) + (pa & (KH_PAGE_SIZE - 1)));
}

int
khost_page_refs(uint64_t pa)
{
	uint32_t idx;

	/* A query: an address that names no page simply has no references. */
	idx = pg_index(pa);
	if (idx == PG_NONE)
		return (0);
	return (atomic_load(&pg_meta(idx)->pm_refs));
}

/* ---- the page cache ------------------------------------------------- */

#define	PC_FD_BASE	3		/* after stdin, stdout, stderr */
#define	PC_MAX_FILES	65536

struct pc_file {
	uint64_t	 f_size;
	uint64_t	 f_npages;
	uint64_t	*f_pages;
};

static pthread_mutex_t pc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pc_file **pc_files;	/* slot fd - PC_FD_BASE */
static int pc_nslots;

/* The file of fd, or NULL.  pc_lock held. */
static struct pc_file *
pc_lookup(int fd)
{

	if (fd < PC_FD_BASE || fd - PC_FD_BASE >= pc_nslots)
		return (NULL);
	return (pc_files[fd - PC_FD_BASE]);
}

static void
pc_release(struct pc_file *f)
{
	uint64_t i;

	for (i = 0; i < f->f_npages; i++)
		if (f->f_pages[i] != 0)
			khost_page_free(f->f_pages[i]);
	free(f->f_pages);
	free(f);
}

/* Give f the lowest free descriptor.  pc_lock held.  fd or -errno. */
static int
pc_install(struct pc_file *f)
{
	struct pc_file **nf;
	int i, n;

	for (i = 0; i < pc_nslots; i++)
		if (pc_files[i] == NULL)
			break;
	if (i == pc_nslots) {
		if (pc_nslots >= PC_MAX_FILES)
			return (-EMFILE);
		n = pc_nslots == 0 ? 16 : pc_nslots * 2;
		nf = realloc(pc_files, (size_t)n * sizeof(*nf));
		if (nf == NULL)
			return (-ENOMEM);
		memset(nf + pc_nslots, 0, (size_t)(n - pc_nslots) *
		    sizeof(*nf));
		pc_files = nf;
		pc_nslots = n;
	}
	pc_files[i] = f;
	return (i + PC_FD_BASE);
}

int
uk_file_create(const void *data, size_t len)
{
	const unsigned char *src = data;
	struct pc_file *f;
	uint64_t i, n;
	size_t chunk;
	int fd;

	if ((uint64_t)len > (uint64_t)PG_MAX_PAGES * KH_PAGE_SIZE) {
		errno = EFBIG;
		return (-1);
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		errno = ENOMEM;
		return (-1);
	}
	f->f_size = len;
	f->f_npages = ((uint64_t)len + KH_PAGE_SIZE - 1) / KH_PAGE_SIZE;
	f->f_pages = calloc(f->f_npages != 0 ? (size_t)f->f_npages : 1,
	    sizeof(*f->f_pages));
	if (f->f_pages == NULL) {
		free(f);
		errno = ENOMEM;
		return (-1);
	}
	n = f->f_npages;
	f->f_npages = 0;
	for (i = 0; i < n; i++) {
		/* Zeroed, so the tail of the last page reads as zeros. */
		f->f_pages[i] = pg_get(1, 1);
		if (f->f_pages[i] == 0) {
			pc_release(f);
			errno = ENOMEM;
			return (-1);
		}
		f->f_npages = i + 1;
		if (src != NULL) {
			chunk = len - i * KH_PAGE_SIZE;
			if (chunk > KH_PAGE_SIZE)
				chunk = KH_PAGE_SIZE;
			memcpy(khost_page_map(f->f_pages[i]),
			    src + i * KH_PAGE_SIZE, chunk);
		}
	}
	pthread_mutex_lock(&pc_lock);
	fd = pc_install(f);
	pthread_mutex_unlock(&pc_lock);
	if (fd < 0) {
		pc_release(f);
		errno = -fd;
		return (-1);
	}
	return (fd);
}

int
uk_file_write(int fd, uint64_t off, const void *data, size_t len)
{
	const unsigned char *src = data;
	struct pc_file *f;
	uint64_t pgoff;
	size_t n;
	int error;

	error = 0;
	pthread_mutex_lock(&pc_lock);
	f = pc_lookup(fd);
	if (f == NULL)
		error = EBADF;
	else if ((data == NULL && len != 0) || off > f->f_size ||
	    len > f->f_size - off)
		error = EINVAL;
	while (error == 0 && len > 0) {
		pgoff = off % KH_PAGE_SIZE;
		n = KH_PAGE_SIZE - pgoff;
		if (n > len)
			n = len;
		memcpy((unsigned char *)khost_page_map(
		    f->f_pages[off / KH_PAGE_SIZE]) + pgoff, src, n);
		src += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&pc_lock);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

int
uk_file_destroy(int fd)
{
	struct pc_file *f;

	pthread_mutex_lock(&pc_lock);
	f = pc_lookup(fd);
	if (f != NULL)
		pc_files[fd - PC_FD_BASE] = NULL;
	pthread_mutex_unlock(&pc_lock);
	if (f == NULL) {
		errno = EBADF;
		return (-1);
	}
	/* Pages held elsewhere (sendfile mbufs) stay until freed there. */
	pc_release(f);
	return (0);
}

uint64_t
khost_file_size(int fd)
{
	struct pc_file *f;
	uint64_t size;

	pthread_mutex_lock(&pc_lock);
	f = pc_lookup(fd);
	size = f != NULL ? f->f_size : 0;
	pthread_mutex_unlock(&pc_lock);
	return (size);
}

uint64_t
khost_file_page(int fd, uint64_t pindex)
{
	struct pc_file *f;
	uint64_t pa;

	pa = 0;
	pthread_mutex_lock(&pc_lock);
	f = pc_lookup(fd);
	if (f != NULL && pindex < f->f_npages) {
		pa = f->f_pages[pindex];
		khost_page_hold(pa);
	}
	pthread_mutex_unlock(&pc_lock);
	return (pa);
}
