/*
 * Scatter/gather helpers of the software TLS crypto backend.
 *
 * A record's payload arrives as slices of mapped pages (khost_iov) of any
 * length, including zero, and parts of the cipher stream live in the
 * trailer buffer (CBC MAC and padding, the TLS 1.3 inner type).  A cursor
 * walks "iov array, then one extra segment" as one stream, so the cipher
 * code never needs to know where a slice ends; only a block that straddles
 * two slices is bounced through a 16-byte buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ktls_ossl.h"

size_t
ko_iov_total(const struct khost_iov *iov, int niov)
{
	size_t total;
	int i;

	total = 0;
	for (i = 0; i < niov; i++)
		total += iov[i].iov_len;
	return (total);
}

void
ko_cur_init(struct ko_cur *cur, const struct khost_iov *iov, int niov,
    uint8_t *extra, size_t extralen, size_t limit)
{

	cur->kr_iov = iov;
	cur->kr_niov = niov;
	cur->kr_idx = 0;
	cur->kr_off = 0;
	cur->kr_extra = extra;
	cur->kr_extralen = extra != NULL ? extralen : 0;
	cur->kr_resid = limit;
}

/*
 * The contiguous bytes at the cursor: sets *pp and returns their number
 * (0 at the end of the stream).  Empty slices are skipped.
 */
size_t
ko_cur_span(struct ko_cur *cur, uint8_t **pp)
{
	size_t len;

	if (cur->kr_resid == 0)
		return (0);
	while (cur->kr_idx < cur->kr_niov &&
	    cur->kr_off == cur->kr_iov[cur->kr_idx].iov_len) {
		cur->kr_idx++;
		cur->kr_off = 0;
	}
	if (cur->kr_idx < cur->kr_niov) {
		*pp = (uint8_t *)cur->kr_iov[cur->kr_idx].iov_base +
		    cur->kr_off;
		len = cur->kr_iov[cur->kr_idx].iov_len - cur->kr_off;
	} else {
		if (cur->kr_off >= cur->kr_extralen)
			return (0);
		*pp = cur->kr_extra + cur->kr_off;
		len = cur->kr_extralen - cur->kr_off;
	}
	return (len < cur->kr_resid ? len : cur->kr_resid);
}

/* Move on n bytes; n never exceeds what ko_cur_span() offered. */
void
ko_cur_advance(struct ko_cur *cur, size_t n)
{

	cur->kr_off += n;
	cur->kr_resid -= n;
}

void
ko_cur_read(struct ko_cur *cur, void *buf, size_t n)
{
	uint8_t *p, *b;
	size_t len;

	b = buf;
	while (n > 0) {
		len = ko_cur_span(cur, &p);
		if (len == 0)
			break;
		if (len > n)
			len = n;
		memcpy(b, p, len);
		ko_cur_advance(cur, len);
		b += len;
		n -= len;
	}
}

void
ko_cur_write(struct ko_cur *cur, const void *buf, size_t n)
{
	const uint8_t *b;
	uint8_t *p;
	size_t len;

	b = buf;
	while (n > 0) {
		len = ko_cur_span(cur, &p);
		if (len == 0)
			break;
		if (len > n)
			len = n;
		memcpy(p, b, len);
		ko_cur_advance(cur, len);
		b += len;
		n -= len;
	}
}

/* Copy n bytes starting at stream offset off (a tag, a CBC block). */
void
ko_iov_read_at(const struct khost_iov *iov, int niov, size_t off, void *buf,
    size_t n)
{
	uint8_t *b;
	size_t len;
	int i;

	b = buf;
	for (i = 0; i < niov && n > 0; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		len = iov[i].iov_len - off;
		if (len > n)
			len = n;
		memcpy(b, (const uint8_t *)iov[i].iov_base + off, len);
		b += len;
		n -= len;
		off = 0;
	}
}

/* Overwrite the first n bytes with zeros (a record that failed). */
void
ko_iov_zero(const struct khost_iov *iov, int niov, size_t n)
{
	size_t len;
	int i;

	for (i = 0; i < niov && n > 0; i++) {
		len = iov[i].iov_len < n ? iov[i].iov_len : n;
		memset(iov[i].iov_base, 0, len);
		n -= len;
	}
}

/*
 * Find the last non-zero byte among the first n bytes: its offset in
 * *posp and value in *bytep.  Returns 0, or -1 if all n bytes are zero.
 */
int
ko_iov_last_nonzero(const struct khost_iov *iov, int niov, size_t n,
    size_t *posp, uint8_t *bytep)
{
	const uint8_t *p;
	size_t start, len, j;
	int i;

	if (n == 0)
		return (-1);
	/* Find the slice holding byte n - 1, then walk back from there. */
	start = 0;
	for (i = 0; i < niov; i++) {
		if (n - start <= iov[i].iov_len)
			break;
		start += iov[i].iov_len;
	}
	if (i == niov)
		return (-1);
	len = n - start;
	for (;;) {
		p = iov[i].iov_base;
		for (j = len; j > 0; j--) {
			if (p[j - 1] != 0) {
				*posp = start + j - 1;
				*bytep = p[j - 1];
				return (0);
			}
		}
		if (i == 0)
			break;
		i--;
		len = iov[i].iov_len;
		start -= len;
	}
	return (-1);
}
