#!/bin/sh
# uktls demo must verify every byte and record for every suite, in the
# deterministic mode and with worker threads, over a real handshake
# (seed keys for aes128-cbc-sha384-1.2, which no TLS suite uses).
set -eu
uktls=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for s in $("$uktls" suites | awk 'NR > 1 { print $1 }'); do
	for w in 0 2; do
		out=$("$uktls" demo --suite "$s" --bytes 300k --workers "$w" \
		    --seed 7 --pcap "$tmp/$s-$w.pcap" --keylog "$tmp/$s-$w.keys" --json) || { echo "FAIL $s workers=$w: exit $?"; fail=1; continue; }
		case "$out" in
		*'"ok": true, "suite"'*) echo "ok   $s workers=$w" ;;
		*) echo "FAIL $s workers=$w: $out"; fail=1 ;;
		esac
	done
done
n=$("$uktls" suites | awk 'NR > 1' | wc -l)
[ "$n" -eq 16 ] || { echo "FAIL: $n suites listed, want 16"; fail=1; }
exit $fail
