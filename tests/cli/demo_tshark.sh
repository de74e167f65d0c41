#!/bin/sh
# tshark, an implementation we did not write, must decrypt every capture
# `uktls demo` writes with the key log it writes, and the application
# data it shows must be what the demo sent (the demo prints the SHA-256
# of that): for every suite libssl negotiates, and under loss,
# reordering, duplication and splitting with several seeds.
set -u
uktls=$1
command -v tshark >/dev/null || { echo "SKIP: tshark is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# check NAME DEMO-ARGS...: run the demo, decrypt its capture, compare.
check() {
	name=$1; shift
	if ! "$uktls" demo --pcap "$tmp/$name.pcap" --keylog "$tmp/$name.keys" \
	    --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"; then
		echo "FAIL $name: demo failed: $(cat "$tmp/$name.err")"
		fail=1
		return
	fi
	want=$(sed -n 's/.*"sent_sha256": "\([0-9a-f]*\)".*/\1/p' "$tmp/$name.json")
	# Every mode that ran wrote its own capture (sw, ifnet).
	pcaps=$(grep -o '"pcap": "[^"]*"' "$tmp/$name.json" | cut -d'"' -f4)
	[ -n "$pcaps" ] || { echo "FAIL $name: no capture"; fail=1; return; }
	for pcap in $pcaps; do
		# Only the server sends application data after the
		# handshake, so every record tshark decrypts belongs to the
		# stream the demo sent.
		got=$(tshark -r "$pcap" -o "tls.keylog_file:$tmp/$name.keys" \
		    -o tcp.reassemble_out_of_order:TRUE -q -z follow,tls,raw,0 \
		    2>/dev/null |
		    perl -ne 'next unless /^\s*([0-9a-f]+)\s*$/; print pack("H*", $1)' |
		    sha256sum | cut -d' ' -f1)
		if [ -z "$want" ] || [ "$got" != "$want" ]; then
			echo "FAIL $name ($pcap): tshark's plaintext has SHA-256 $got, sent $want"
			fail=1
		else
			echo "ok   $name ($(basename "$pcap"))"
		fi
	done
}

for s in $("$uktls" suites | awk 'NR > 1 { print $1 }'); do
	[ "$s" = aes128-cbc-sha384-1.2 ] && continue	# no TLS suite uses it
	check "$s" --suite "$s" --bytes 100k --seed 3
done
for seed in 1 2 3; do
	check "faults-gcm13-$seed" --suite aes256-gcm-1.3 --bytes 300k \
	    --loss 3 --reorder 3 --dup 3 --split 5 --mss 700 --seed "$seed"
	check "faults-cbc12-$seed" --suite aes128-cbc-sha256-1.2 --bytes 300k \
	    --loss 3 --reorder 3 --seed "$seed"
done
exit $fail
