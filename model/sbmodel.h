/*
 * model/sbmodel.h: a socket buffer as a flat array (the oracle for
 * src/kern/uipc_sockbuf.c).
 *
 * No mbufs: the buffer is an array of bytes, front first, each tagged
 * with the readiness segment it came in with, and a list of records.
 *
 *   bytes:    | a a a a | b b b | c c c c c c | d d |
 *   segment:    -1        0       1             -1      (-1: always ready)
 *   pending:              0       2                     (units left)
 *   records:  [------- record 0 ------][--- record 1 --]  (len, eor)
 *
 * The rules it states, from FreeBSD's socket buffer:
 *
 *   acc   the bytes before the first byte that is not ready (what TCP may
 *         send and a reader may take); ccc  every byte held.
 *   ready(seg, count)  as sbready(): count units are taken from segment
 *         seg, then from the segments that follow it in the stream, in
 *         order; returns 0 when seg was the first not-ready data and is
 *         now ready, EINPROGRESS otherwise (still partly pending, or
 *         behind earlier not-ready data).
 *   cut(len)  drops len bytes from the front; a record cut to nothing
 *         goes with them.  Only ready bytes may be cut; flush() drops
 *         everything, ready or not.
 *   append   joins the last record unless it is complete (eor), as
 *         sbappend(); appendrecord always starts a new one.
 *
 * Functions return 0 or an <errno.h> value (EINVAL for a misuse: an
 * unknown segment, a cut past the ready data).
 */
#ifndef UKTLS_MODEL_SBMODEL_H
#define UKTLS_MODEL_SBMODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sbm_record {
	size_t	len;		/* bytes in the record */
	int	eor;		/* the record is complete */
};

struct sbmodel {
	uint8_t	*data;		/* the bytes, front first */
	int	*seg;		/* per byte: its segment, or -1 */
	size_t	 len;		/* bytes held (ccc) */
	size_t	 cap;
	int	*pending;	/* per segment: units not yet ready */
	int	 nsegs;
	int	 segcap;
	struct sbm_record *rec;	/* records, front first */
	size_t	 nrec;
	size_t	 reccap;
};

/* Append flags. */
#define	SBM_NEWREC	0x1	/* start a new record (sbappendrecord) */
#define	SBM_EOR		0x2	/* the data completes its record */

void	sbm_init(struct sbmodel *sm);
void	sbm_free(struct sbmodel *sm);

/*
 * Append len bytes.  units > 0 makes them a new not-ready segment needing
 * that many units (its id is stored in *segp); units == 0 appends ready
 * bytes (*segp = -1).  segp may be NULL.
 */
int	sbm_append(struct sbmodel *sm, const void *p, size_t len, int units,
	    int flags, int *segp);
int	sbm_ready(struct sbmodel *sm, int seg, int count);
int	sbm_cut(struct sbmodel *sm, size_t len);
void	sbm_flush(struct sbmodel *sm);
int	sbm_droprecord(struct sbmodel *sm);

size_t	sbm_acc(const struct sbmodel *sm);
size_t	sbm_ccc(const struct sbmodel *sm);
/* Units segment seg still needs (0: ready or unknown). */
int	sbm_pending(const struct sbmodel *sm, int seg);

#ifdef __cplusplus
}
#endif

#endif /* UKTLS_MODEL_SBMODEL_H */
