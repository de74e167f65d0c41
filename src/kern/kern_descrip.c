/*-
 * A descriptor table for sockets (FreeBSD's kern_descrip.c, reduced to
 * what uktls needs: small integers naming sockets).
 *
 * One process-wide table under one mutex.  A descriptor holds the
 * socket's first reference; fget_socket() returns the socket with a new
 * reference so that a concurrent close cannot free it under the caller.
 * Descriptors start at 3, as the first ones a process opens would, and
 * the lowest free one is reused first.  Page-cache files (uk_file_create)
 * have a table of their own in the host.
 */
#include "sys/types.h"
#include "sys/param.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/atomic.h"
#include "sys/malloc.h"
#include "sys/mutex.h"
#include "sys/socketvar.h"
#include "sys/syscallsubr.h"

MALLOC_DEFINE(M_FILEDESC, "filedesc", "descriptor table");

#define	FD_BASE		3
#define	FD_MAXFILES	65536

static struct mtx	fd_mtx;
static struct socket	**fd_ofiles;	/* slot fd - FD_BASE */
static int		fd_nfiles;
static volatile int	fd_inited;

static void
fd_init(void)
{
	int expected;

	if (atomic_load_int(&fd_inited) == 2)
		return;
	expected = 0;
	if (!__atomic_compare_exchange_n(&fd_inited, &expected, 1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		while (atomic_load_int(&fd_inited) != 2)
			;
		return;
	}
	mtx_init(&fd_mtx, "filedesc", NULL, MTX_DEF);
	atomic_store_int(&fd_inited, 2);
}

/* Install so under the lowest free descriptor; 0 or EMFILE. */
int
falloc_socket(struct socket *so, int *fdp)
{
	struct socket **nf;
	int i, n;

	fd_init();
	mtx_lock(&fd_mtx);
	for (i = 0; i < fd_nfiles; i++)
		if (fd_ofiles[i] == NULL)
			break;
	if (i == fd_nfiles) {
		if (fd_nfiles >= FD_MAXFILES) {
			mtx_unlock(&fd_mtx);
			return (EMFILE);
		}
		n = fd_nfiles == 0 ? 16 : fd_nfiles * 2;
		nf = kmalloc(n * sizeof(*nf), M_FILEDESC, M_WAITOK | M_ZERO);
		if (fd_nfiles != 0) {
			memcpy(nf, fd_ofiles, fd_nfiles * sizeof(*nf));
			kfree(fd_ofiles, M_FILEDESC);
		}
		fd_ofiles = nf;
		fd_nfiles = n;
	}
	fd_ofiles[i] = so;
	mtx_unlock(&fd_mtx);
	*fdp = i + FD_BASE;
	return (0);
}

/* The socket of fd with a new reference (sorele() it); 0 or EBADF. */
int
fget_socket(int fd, struct socket **sop)
{
	struct socket *so;

	fd_init();
	mtx_lock(&fd_mtx);
	so = (fd >= FD_BASE && fd - FD_BASE < fd_nfiles) ?
	    fd_ofiles[fd - FD_BASE] : NULL;
	if (so != NULL)
		soref(so);
	mtx_unlock(&fd_mtx);
	if (so == NULL)
		return (EBADF);
	*sop = so;
	return (0);
}

/*
 * Remove fd from the table and hand back the socket with the table's
 * reference, for soclose(); 0 or EBADF.
 */
int
fdclose_socket(int fd, struct socket **sop)
{
	struct socket *so;

	fd_init();
	mtx_lock(&fd_mtx);
	so = (fd >= FD_BASE && fd - FD_BASE < fd_nfiles) ?
	    fd_ofiles[fd - FD_BASE] : NULL;
	if (so != NULL)
		fd_ofiles[fd - FD_BASE] = NULL;
	/* The last descriptor gone: give the table's memory back. */
	if (so != NULL) {
		int i;

		for (i = 0; i < fd_nfiles; i++)
			if (fd_ofiles[i] != NULL)
				break;
		if (i == fd_nfiles) {
			kfree(fd_ofiles, M_FILEDESC);
			fd_ofiles = NULL;
			fd_nfiles = 0;
		}
	}
	mtx_unlock(&fd_mtx);
	if (so == NULL)
		return (EBADF);
	*sop = so;
	return (0);
}
