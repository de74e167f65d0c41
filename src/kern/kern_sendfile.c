/*-
 * sendfile(2) from the page cache (FreeBSD's sys/kern/kern_sendfile.c).
 *
 * Design note.  The file's pages are put in the socket buffer without
 * being copied: each unmapped (M_EXTPG) mbuf references up to max_pgs
 * page-cache pages by physical address, holding a reference on each, and
 * describes the slice of them that is sent (m_epg_1st_off in the first
 * page, m_epg_last_len in the last).  With a KTLS session an mbuf is one
 * TLS record, so max_pgs is howmany(max_frame_len, PAGE_SIZE) (4) and a
 * record never holds more than max_frame_len bytes; without one it is
 * MBUF_PEXT_MAX_PGS (5).  As in FreeBSD, after a first partial page the
 * mbufs are cut at page boundaries of the file.  The pages are not
 * anonymous (no EPG_FLAG_ANON): software KTLS must encrypt them into new
 * pages and leave the file's plaintext alone.
 *
 *   file:   |....[pg 0 ......][pg 1][pg 2][pg 3][pg 4][pg 5][pg 6]..
 *                 ^ offset
 *   mbufs:       [1st_off .. pg 3]            [pg 4 .. pg 7]   (TLS)
 *
 * Asynchronous I/O is simulated.  Every batch of mbufs is appended not
 * ready (PRUS_NOTREADY) as if its pages were still being read, and its
 * "I/O completion" (sendfile_iodone()) runs later as deferred work on the
 * host's queue: it hands the batch to KTLS (ktls_enqueue(), which then
 * owns the socket reference taken for the batch) or marks it ready
 * (pr_ready()).  Two tunables shape the batches:
 *
 *   kern.ipc.sendfile.io_mbufs     mbufs per simulated I/O; 0 (default)
 *                                  means one I/O per fill of the socket
 *                                  buffer, as FreeBSD issues one pr_send
 *                                  per loop
 *   kern.ipc.sendfile.reverse_io   complete the I/Os of a call (between
 *                                  two waits for space) last first
 *
 * The second one exists to show that TLS 1.0 records, whose IVs chain,
 * still encrypt in sequence when completions come out of order.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/atomic.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/mbuf.h"
#include "sys/uio.h"
#include "sys/socket.h"
#include "sys/sockbuf.h"
#include "sys/socketvar.h"
#include "sys/ktls.h"
#include "sys/syscallsubr.h"

MALLOC_DEFINE(M_SENDFILE, "sendfile", "sendfile I/O state");

int	sendfile_reverse_io = 0;
int	sendfile_io_mbufs = 0;

/* One simulated I/O: a batch of not-ready mbufs waiting for its pages. */
struct sf_io {
	struct khost_work	 work;
	struct sf_io		*next;		/* completions held back */
	struct socket		*so;		/* holds a reference */
	struct mbuf		*m;		/* first not-ready mbuf */
	int			 npages;	/* not-ready units from m */
	bool			 ktls;		/* encrypt before it is ready */
};

static void
sendfile_iodone(void *arg)
{
	struct sf_io *sfio;
	struct socket *so;

	sfio = arg;
	so = sfio->so;
	if (sfio->ktls) {
		/*
		 * The pages are in; they still need to be encrypted.  The
		 * batch's socket reference goes to the KTLS worker.
		 */
		ktls_enqueue(sfio->m, so, sfio->npages);
	} else {
		(void)so->so_proto->pr_ready(so, sfio->m, sfio->npages);
		sorele(so);
	}
	kfree(sfio, M_SENDFILE);
}

/* Start the completions held back, in list order (newest first). */
static void
sendfile_release(struct sf_io **listp)
{
	struct sf_io *sfio;

	while ((sfio = *listp) != NULL) {
		*listp = sfio->next;
		khost_work_enqueue(&sfio->work);
	}
}

/*
 * Wait until need bytes (or the low-water mark) fit; *space is the free
 * space then.  0, EPIPE, so_error, ENOTCONN, EAGAIN.
 */
static int
sendfile_wait(struct socket *so, kern_off_t need, long *space)
{
	int error, state;

	SOCK_LOCK(so);
	state = so->so_state;
	SOCK_UNLOCK(so);
	error = 0;
	SOCK_SENDBUF_LOCK(so);
	for (;;) {
		if ((so->so_snd.sb_state & SBS_CANTSENDMORE) != 0) {
			error = EPIPE;
			break;
		}
		if (so->so_error != 0) {
			error = so->so_error;
			so->so_error = 0;
			break;
		}
		if ((state & SS_ISCONNECTED) == 0) {
			error = ENOTCONN;
			break;
		}
		*space = sbspace(&so->so_snd);
		if (*space >= need || (*space > 0 &&
		    *space >= so->so_snd.sb_lowat))
			break;
		if ((state & SS_NBIO) != 0) {
			error = EAGAIN;
			break;
		}
		error = sbwait_snd(so);
		if (error != 0)
			break;
	}
	SOCK_SENDBUF_UNLOCK(so);
	return (error);
}

/* Bytes of page i of npages, for len bytes from off (FreeBSD's xfsize). */
static int
xfsize(int i, int npages, kern_off_t off, kern_off_t len)
{

	if (i == 0)
		return ((int)MIN(PAGE_SIZE - (off & PAGE_MASK), len));
	if (i == npages - 1 && ((off + len) & PAGE_MASK) > 0)
		return ((int)((off + len) & PAGE_MASK));
	return (PAGE_SIZE);
}

/*
 * Reference the file's pages for len bytes at off in a chain of unmapped
 * not-ready mbufs of at most max_pgs pages each.  Returns the chain and
 * sets *lenp to the bytes it covers: fewer than asked if the file ended.
 */
static struct mbuf *
sendfile_pages(int fd, kern_off_t off, long *lenp, int max_pgs)
{
	struct mbuf *m, *m0, *mtail;
	vm_paddr_t pa;
	long done, len;
	int i, idx, npages, xfs;

	len = *lenp;
	npages = howmany(len + (off & PAGE_MASK), PAGE_SIZE);
	m = mtail = NULL;
	idx = max_pgs - 1;
	done = 0;
	for (i = 0; i < npages; i++) {
		pa = khost_file_page(fd, (uint64_t)(off >> PAGE_SHIFT) + i);
		if (pa == 0)
			break;		/* the file is shorter now */
		if (++idx == max_pgs) {
			m0 = mb_alloc_ext_pgs(M_WAITOK, mb_free_extpg,
			    M_RDONLY);
			m0->m_epg_1st_off = i == 0 ? (off & PAGE_MASK) : 0;
			if (mtail != NULL)
				mtail->m_next = m0;
			else
				m = m0;
			mtail = m0;
			idx = 0;
		}
		/* The page's "I/O" is pending until sendfile_iodone(). */
		mtail->m_flags |= M_NOTREADY;
		mtail->m_epg_nrdy++;
		mtail->m_epg_pa[idx] = pa;
		mtail->m_epg_npgs++;
		xfs = xfsize(i, npages, off, len);
		mtail->m_epg_last_len = xfs;
		mtail->m_len += xfs;
		mtail->m_ext.ext_size += PAGE_SIZE;
		done += xfs;
	}
	*lenp = done;
	return (m);
}

int
kern_sendfile(int fd, int s, struct uio *hdr_uio, struct uio *trl_uio,
    kern_off_t offset, size_t nbytes, kern_off_t *sent, int flags __unused)
{
	struct ktls_session *tls;
	struct socket *so;
	struct sf_io *held, *sfio;
	struct mbuf *b, *m, *mh, *mhtail, *n, *next;
	kern_off_t off, rem, obj_size, sbytes;
	kssize_t tlen;
	long filelen, hdrlen, space;
	int error, i, io_mbufs, max_pgs, tls_enq_cnt, units;
	bool reverse, swtls;

	*sent = 0;
	if (offset < 0)
		return (EINVAL);
	error = fget_socket(s, &so);
	if (error != 0)
		return (error);

	/* A descriptor that names no file reads as an empty file. */
	obj_size = (kern_off_t)khost_file_size(fd);
	if (offset >= obj_size)
		rem = 0;
	else if (nbytes != 0)
		rem = MIN((kern_off_t)nbytes, obj_size - offset);
	else
		rem = obj_size - offset;
	reverse = atomic_load_int(&sendfile_reverse_io) != 0;
	io_mbufs = atomic_load_int(&sendfile_io_mbufs);
	sbytes = 0;
	held = NULL;
	mh = m = NULL;

	mtx_lock(&so->so_snd_sx);
	SOCK_SENDBUF_LOCK(so);
	tls = ktls_hold(so->so_snd.sb_tls_info);
	SOCK_SENDBUF_UNLOCK(so);
	swtls = tls != NULL && tls->mode == TCP_TLS_MODE_SW;
	max_pgs = tls != NULL ? howmany(tls->params.max_frame_len, PAGE_SIZE) :
	    (int)MBUF_PEXT_MAX_PGS;
	KASSERT(max_pgs <= (int)MBUF_PEXT_MAX_PGS, ("%s: %d pages per record",
	    __func__, max_pgs));

	for (off = offset; rem > 0 ||
	    (hdr_uio != NULL && hdr_uio->uio_resid > 0);) {
		/* Nothing of ours may wait behind a sleep for space. */
		sendfile_release(&held);
		error = sendfile_wait(so, rem + (hdr_uio != NULL ?
		    hdr_uio->uio_resid : 0), &space);
		if (error != 0)
			goto done;

		/* Headers first, in as many records as they need. */
		hdrlen = 0;
		if (hdr_uio != NULL && hdr_uio->uio_resid > 0) {
			if (tls != NULL)
				mh = m_uiotombuf(hdr_uio, M_WAITOK, space,
				    tls->params.max_frame_len, M_EXTPG);
			else
				mh = m_uiotombuf(hdr_uio, M_WAITOK, space, 0,
				    0);
			if (mh == NULL) {
				error = EFAULT;
				goto done;
			}
			hdrlen = m_length(mh, &mhtail);
			space -= hdrlen;
			if (hdr_uio->uio_resid == 0)
				hdr_uio = NULL;
		}

		/* Then the file, cut at page boundaries when it is large. */
		filelen = 0;
		m = NULL;
		if (space > 0 && rem > 0) {
			if (space > rem)
				space = (long)rem;
			else if (space > PAGE_SIZE) {
				if ((off & PAGE_MASK) != 0)
					space -= PAGE_SIZE - (off & PAGE_MASK);
				space = (long)trunc_page((vm_offset_t)space);
				if ((off & PAGE_MASK) != 0)
					space += PAGE_SIZE - (off & PAGE_MASK);
			}
			filelen = space;
			m = sendfile_pages(fd, off, &filelen, max_pgs);
			if (filelen < space)
				rem = filelen;	/* end of file */
			off += filelen;
			rem -= filelen;
		}
		if (mh != NULL) {
			mhtail->m_next = m;
			m = mh;
			mh = NULL;
		}
		if (m == NULL)
			goto done;

		/*
		 * Send in batches of io_mbufs file mbufs (headers ride
		 * with the first), each one simulated I/O.
		 */
		for (b = m; b != NULL; b = next) {
			units = 0;
			for (n = b, i = 0; n != NULL; n = n->m_next) {
				if ((n->m_flags & M_NOTREADY) != 0) {
					units += n->m_epg_nrdy;
					i++;
				}
				if (io_mbufs > 0 && i == io_mbufs)
					break;
			}
			next = n != NULL ? n->m_next : NULL;
			if (n != NULL)
				n->m_next = NULL;
			tlen = m_length(b, NULL);
			if (tls != NULL) {
				ktls_frame(b, tls, &tls_enq_cnt,
				    TLS_RLTYPE_APP);
				if (swtls)
					units = tls_enq_cnt;
			}
			sfio = NULL;
			if (units != 0) {
				sfio = kmalloc(sizeof(*sfio), M_SENDFILE,
				    M_WAITOK | M_ZERO);
				sfio->so = so;
				sfio->ktls = swtls;
				sfio->npages = units;
				/* The first not-ready mbuf of the batch. */
				for (sfio->m = b; (sfio->m->m_flags &
				    M_NOTREADY) == 0; sfio->m = sfio->m->m_next)
					;
				sfio->work.kw_fn = sendfile_iodone;
				sfio->work.kw_arg = sfio;
				soref(so);
			}
			error = so->so_proto->pr_send(so, PRUS_NOTREADY, b,
			    NULL, NULL);
			if (error != 0) {
				/* Not-ready data stays ours on failure. */
				m_freem(b);
				m_freem(next);
				if (sfio != NULL) {
					kfree(sfio, M_SENDFILE);
					sorele(so);
				}
				goto done;
			}
			sbytes += tlen;
			if (sfio == NULL)
				continue;
			if (reverse) {
				sfio->next = held;
				held = sfio;
			} else
				khost_work_enqueue(&sfio->work);
		}
		m = NULL;
	}

	/* Trailers: an ordinary write, as FreeBSD's writev(2). */
	if (trl_uio != NULL && trl_uio->uio_resid > 0) {
		sendfile_release(&held);
		mtx_unlock(&so->so_snd_sx);
		tlen = trl_uio->uio_resid;
		error = sosend(so, NULL, trl_uio, NULL, NULL, 0);
		if (error != 0 && trl_uio->uio_resid != tlen &&
		    error == EWOULDBLOCK)
			error = 0;
		sbytes += tlen - trl_uio->uio_resid;
		goto out;
	}

done:
	sendfile_release(&held);
	mtx_unlock(&so->so_snd_sx);
out:
	if (mh != NULL)
		m_freem(mh);
	if (tls != NULL)
		ktls_free(tls);
	sorele(so);
	*sent = sbytes;
	return (error);
}
