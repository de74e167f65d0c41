/*-
 * Kernel-world basic types, with FreeBSD's names.
 *
 * Only freestanding headers come in here.  Host code that includes kernel
 * headers (tests) may also see glibc's <sys/types.h>; the typedefs below
 * that glibc also has are spelled identically, which C11 allows.
 */
#ifndef _UK_SYS_TYPES_H_
#define _UK_SYS_TYPES_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned char	u_char;
typedef unsigned short	u_short;
typedef unsigned int	u_int;
typedef unsigned long	u_long;
typedef char		*caddr_t;
typedef const char	*c_caddr_t;

typedef uint64_t	vm_paddr_t;	/* simulated physical address */
typedef uintptr_t	vm_offset_t;
typedef int64_t		kern_off_t;	/* off_t: clashes with libc's typedef */
typedef int64_t		kssize_t;	/* ssize_t */

#endif /* !_UK_SYS_TYPES_H_ */
