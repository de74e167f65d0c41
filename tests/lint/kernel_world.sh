#!/bin/sh
# The kernel world (src/sys, src/kern, src/netinet, src/dev) must not reach
# the host except through src/sys/khost.h.  Two checks:
#  1. no #include <...> other than the freestanding C headers;
#  2. every undefined symbol of libukern.a is defined in libukern.a itself,
#     declared in khost.h, one of the libkern string functions, or a
#     sanitizer/compiler runtime hook.
# (The build already compiles the kernel world with -nostdinc, so a libc
# header cannot even be found; this test says why, and guards the link.)
set -eu
top=$1
lib=$2
fail=0

bad=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' \
    "$top/src/sys" "$top/src/kern" "$top/src/netinet" "$top/src/dev" |
    grep -vE '<(stdint|stddef|stdbool|stdarg|stdatomic)\.h>' || true)
if [ -n "$bad" ]; then
	echo "kernel world includes non-freestanding headers:"
	echo "$bad"
	fail=1
fi

allowed=$(mktemp)
defined=$(mktemp)
trap 'rm -f "$allowed" "$defined"' EXIT
# Function names declared in the host interface.
grep -oE '\b(khost_[a-z0-9_]+)[[:space:]]*\(' "$top/src/sys/khost.h" |
    sed 's/[[:space:]]*(//' | sort -u > "$allowed"
printf '%s\n' memcpy memmove memset memcmp __stack_chk_fail >> "$allowed"
nm -g --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' |
    sort -u > "$defined"

undef=$(nm -g --undefined-only "$lib" | awk '$1 == "U" {print $2}' | sort -u |
    grep -vE '^(__asan_|__ubsan_|__tsan_|__sanitizer_|__sancov_|_GLOBAL_OFFSET_TABLE_$)' |
    grep -vxF -f "$defined" | grep -vxF -f "$allowed" || true)
if [ -n "$undef" ]; then
	echo "kernel world references symbols outside itself and khost.h:"
	echo "$undef"
	fail=1
fi
[ $fail -eq 0 ] && echo "kernel world: clean ($(wc -l < "$defined") symbols defined)"
exit $fail
