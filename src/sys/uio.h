/*-
 * struct uio and uiomove(9).  User and kernel share one address space in
 * uktls, so UIO_USERSPACE only changes who is blamed; every byte uiomove()
 * moves is counted as a CPU copy.
 */
#ifndef _UK_SYS_UIO_H_
#define _UK_SYS_UIO_H_

#include "sys/types.h"

/* Same layout as the host's struct iovec; glibc guards its own the same way. */
#ifndef __iovec_defined
#define	__iovec_defined 1
struct iovec {
	void	*iov_base;
	size_t	 iov_len;
};
#endif

enum uio_rw { UIO_READ, UIO_WRITE };
enum uio_seg { UIO_USERSPACE, UIO_SYSSPACE };

struct uio {
	struct iovec	*uio_iov;	/* scatter/gather list */
	int		 uio_iovcnt;	/* length of scatter/gather list */
	kern_off_t	 uio_offset;	/* offset in target object */
	kssize_t	 uio_resid;	/* remaining bytes to process */
	enum uio_seg	 uio_segflg;	/* address space */
	enum uio_rw	 uio_rw;	/* operation */
};

int	uiomove(void *cp, int n, struct uio *uio);

#endif /* !_UK_SYS_UIO_H_ */
