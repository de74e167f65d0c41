/*
 * model/sbmodel.c: a socket buffer as a flat array.  See sbmodel.h.
 *
 * Everything is recomputed from the bytes: acc is a scan for the first
 * byte that is not ready, records are plain lengths.  Slow and obvious on
 * purpose; the kernel's incremental counters are checked against it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sbmodel.h"

static void *
sbm_grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;

	if (need <= *cap)
		return (p);
	ncap = *cap != 0 ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	p = realloc(p, ncap * elem);
	if (p == NULL)
		abort();
	*cap = ncap;
	return (p);
}

void
sbm_init(struct sbmodel *sm)
{

	memset(sm, 0, sizeof(*sm));
}

void
sbm_free(struct sbmodel *sm)
{

	free(sm->data);
	free(sm->seg);
	free(sm->pending);
	free(sm->rec);
	memset(sm, 0, sizeof(*sm));
}

static int
sbm_byte_ready(const struct sbmodel *sm, size_t i)
{
	int s;

	s = sm->seg[i];
	return (s < 0 || sm->pending[s] == 0);
}

size_t
sbm_acc(const struct sbmodel *sm)
{
	size_t i;

	for (i = 0; i < sm->len; i++)
		if (!sbm_byte_ready(sm, i))
			break;
	return (i);
}

size_t
sbm_ccc(const struct sbmodel *sm)
{

	return (sm->len);
}

int
sbm_pending(const struct sbmodel *sm, int seg)
{

	if (seg < 0 || seg >= sm->nsegs)
		return (0);
	return (sm->pending[seg]);
}

int
sbm_append(struct sbmodel *sm, const void *p, size_t len, int units,
    int flags, int *segp)
{
	size_t cap, i;
	int s;

	if (len == 0 || units < 0)
		return (EINVAL);
	s = -1;
	if (units > 0) {
		cap = (size_t)sm->segcap;
		sm->pending = sbm_grow(sm->pending, &cap, (size_t)sm->nsegs + 1,
		    sizeof(int));
		sm->segcap = (int)cap;
		s = sm->nsegs++;
		sm->pending[s] = units;
	}
	if (segp != NULL)
		*segp = s;

	cap = sm->cap;
	sm->data = sbm_grow(sm->data, &cap, sm->len + len, 1);
	sm->seg = sbm_grow(sm->seg, &sm->cap, sm->len + len, sizeof(int));
	memcpy(sm->data + sm->len, p, len);
	for (i = 0; i < len; i++)
		sm->seg[sm->len + i] = s;
	sm->len += len;

	/* sbappend() joins an open last record; sbappendrecord() never. */
	if ((flags & SBM_NEWREC) != 0 || sm->nrec == 0 ||
	    sm->rec[sm->nrec - 1].eor) {
		sm->rec = sbm_grow(sm->rec, &sm->reccap, sm->nrec + 1,
		    sizeof(*sm->rec));
		sm->rec[sm->nrec].len = 0;
		sm->rec[sm->nrec].eor = 0;
		sm->nrec++;
	}
	sm->rec[sm->nrec - 1].len += len;
	if ((flags & SBM_EOR) != 0)
		sm->rec[sm->nrec - 1].eor = 1;
	return (0);
}

/* First byte of segment s in the buffer, or len if it is not there. */
static size_t
sbm_seg_start(const struct sbmodel *sm, int s)
{
	size_t i;

	for (i = 0; i < sm->len; i++)
		if (sm->seg[i] == s)
			break;
	return (i);
}

int
sbm_ready(struct sbmodel *sm, int seg, int count)
{
	size_t i, start, end;
	int first, s;

	if (seg < 0 || seg >= sm->nsegs || sm->pending[seg] == 0 ||
	    count <= 0)
		return (EINVAL);
	start = sbm_seg_start(sm, seg);
	if (start == sm->len)
		return (EINVAL);

	/* Was seg the first data not ready? */
	first = 1;
	for (i = 0; i < start; i++)
		if (!sbm_byte_ready(sm, i))
			first = 0;

	/* Units go to seg, then to the segments right after it. */
	s = seg;
	for (;;) {
		if (count < sm->pending[s]) {
			sm->pending[s] -= count;
			break;
		}
		count -= sm->pending[s];
		sm->pending[s] = 0;
		if (count == 0)
			break;
		/* The next segment must follow s directly in the stream. */
		for (end = start; end < sm->len && sm->seg[end] == s; end++)
			continue;
		if (s + 1 >= sm->nsegs || end == sm->len ||
		    sm->seg[end] != s + 1 || sm->pending[s + 1] == 0)
			return (EINVAL);
		s++;
		start = end;
	}
	if (sm->pending[seg] != 0 || !first)
		return (EINPROGRESS);
	return (0);
}

/* Remove n bytes from the front, records with them. */
static void
sbm_remove(struct sbmodel *sm, size_t n)
{
	size_t k, take;

	if (n == 0)
		return;
	memmove(sm->data, sm->data + n, sm->len - n);
	memmove(sm->seg, sm->seg + n, (sm->len - n) * sizeof(int));
	sm->len -= n;
	for (k = 0; n > 0; ) {
		take = n < sm->rec[k].len ? n : sm->rec[k].len;
		sm->rec[k].len -= take;
		n -= take;
		if (sm->rec[k].len == 0)
			k++;
	}
	if (k > 0) {
		memmove(sm->rec, sm->rec + k,
		    (sm->nrec - k) * sizeof(*sm->rec));
		sm->nrec -= k;
	}
}

int
sbm_cut(struct sbmodel *sm, size_t len)
{

	if (len > sbm_acc(sm))
		return (EINVAL);
	sbm_remove(sm, len);
	return (0);
}

void
sbm_flush(struct sbmodel *sm)
{
	int s;

	/* Whatever was pending left with the data. */
	for (s = 0; s < sm->nsegs; s++)
		sm->pending[s] = 0;
	sm->len = 0;
	sm->nrec = 0;
}

int
sbm_droprecord(struct sbmodel *sm)
{
	size_t i, n;

	if (sm->nrec == 0)
		return (0);
	n = sm->rec[0].len;
	for (i = 0; i < n; i++)
		if (!sbm_byte_ready(sm, i))
			return (EINVAL);
	sbm_remove(sm, n);
	return (0);
}
