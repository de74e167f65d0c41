#!/bin/sh
# uktls explain draws the live socket buffers at each step; the states it
# narrates must really appear in the drawings, for a suite the client
# receives with KTLS and for TLS 1.0, which it cannot.
set -u
uktls=$1
fail=0
check() {
	out=$("$uktls" explain "$@" 2>&1) || {
		echo "FAIL explain $*: exit $?: $out"; fail=1; }
	printf '%s\n' "$out" >"$tmpf"
}
tmpf=$(mktemp)
trap 'rm -f "$tmpf"' EXIT
expect() {
	grep -q -- "$1" "$tmpf" || { echo "FAIL: no '$1' in: $2"; fail=1; }
}
check --suite aes128-gcm-1.2 --mss 700
expect 'NOTREADY seq 1' "write framed, not ready"
expect 'anon encrypted' "write encrypted in place"
expect 'sb_tlscc 0  sb_tlsdcc 2529' "a record detached for decryption"
expect 'ctl(type 23, 3.3, len 2500)' "TLS_GET_RECORD on sb_mb"
expect 'recvmsg: 2500 bytes, MSG_EOR; TLS_GET_RECORD: type 23, version 3.3' "recvmsg"
expect 'file plaintext' "sendfile references the file's pages"
expect 'recvmsg: 16384 bytes, MSG_EOR' "the file's first record"
check --suite aes256-cbc-sha1-1.0
expect 'No receive offload' "TLS 1.0 has no receive session"
expect 'anon encrypted' "TLS 1.0 write encrypted"
[ $fail -eq 0 ] && echo "ok   explain"
exit $fail
