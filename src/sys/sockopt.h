/*-
 * struct sockopt: a setsockopt()/getsockopt() request on its way from the
 * socket layer to a protocol's pr_ctloutput (sys/socketvar.h in FreeBSD).
 *
 * The application and the kernel share one address space here, so
 * sopt_val is a plain pointer; sooptcopyin()/sooptcopyout() still apply
 * FreeBSD's length rules, which is what callers can observe.
 */
#ifndef _UK_SYS_SOCKOPT_H_
#define _UK_SYS_SOCKOPT_H_

#include "sys/types.h"

enum sopt_dir { SOPT_GET, SOPT_SET };

struct sockopt {
	enum sopt_dir	 sopt_dir;	/* is this a get or a set? */
	int		 sopt_level;	/* second arg of [gs]etsockopt */
	int		 sopt_name;	/* third arg of [gs]etsockopt */
	void		*sopt_val;	/* fourth arg of [gs]etsockopt */
	size_t		 sopt_valsize;	/* (almost) fifth arg */
};

/*
 * Socket-level options (level SOL_SOCKET), FreeBSD's values.  The K names
 * exist in both worlds; the kernel world also has the FreeBSD spelling.
 */
#define	KSO_SNDBUF	0x1001		/* send buffer size */
#define	KSO_RCVBUF	0x1002		/* receive buffer size */
#define	KSO_SNDLOWAT	0x1003		/* send low-water mark */
#define	KSO_ERROR	0x1007		/* get error status and clear */
#define	KSO_TYPE	0x1008		/* get socket type */

#ifndef _UK_HOST_SIDE
#define	SO_SNDBUF	KSO_SNDBUF
#define	SO_RCVBUF	KSO_RCVBUF
#define	SO_SNDLOWAT	KSO_SNDLOWAT
#define	SO_ERROR	KSO_ERROR
#define	SO_TYPE		KSO_TYPE
#endif

/*
 * Copy the option value in: EINVAL when fewer than minlen bytes were
 * given; at most len bytes are copied.
 */
int	sooptcopyin(struct sockopt *sopt, void *buf, size_t len, size_t minlen);
/* Copy out up to sopt_valsize bytes; sopt_valsize becomes the length. */
int	sooptcopyout(struct sockopt *sopt, const void *buf, size_t len);

#endif /* !_UK_SYS_SOCKOPT_H_ */
