/*-
 * uiomove(9).  User and kernel memory are one address space here; each
 * byte moved is a CPU copy and is counted as one.
 */
#include "sys/types.h"
#include "sys/systm.h"
#include "sys/errno.h"
#include "sys/mbuf.h"
#include "sys/uio.h"

int
uiomove(void *cp, int n, struct uio *uio)
{
	struct iovec *iov;
	size_t cnt;
	char *p;

	KASSERT(n >= 0, ("%s: negative n %d", __func__, n));
	p = cp;
	while (n > 0 && uio->uio_resid > 0) {
		KASSERT(uio->uio_iovcnt > 0, ("%s: resid without iov",
		    __func__));
		iov = uio->uio_iov;
		cnt = iov->iov_len;
		if (cnt == 0) {
			uio->uio_iov++;
			uio->uio_iovcnt--;
			continue;
		}
		if (cnt > (size_t)n)
			cnt = n;
		if (uio->uio_rw == UIO_READ)
			mb_copy_payload(iov->iov_base, p, cnt);
		else
			mb_copy_payload(p, iov->iov_base, cnt);
		iov->iov_base = (char *)iov->iov_base + cnt;
		iov->iov_len -= cnt;
		uio->uio_resid -= cnt;
		uio->uio_offset += cnt;
		p += cnt;
		n -= cnt;
	}
	return (0);
}
