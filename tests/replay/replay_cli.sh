#!/bin/sh
# `uktls replay` as a command: usage, modes, the human and JSON output,
# --dump-plaintext and --records, and the exit status on bad input.
# usage: replay_cli.sh UKTLS SOURCE_DIR
set -u
uktls=$1
src=$2
tr=$src/traces
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect STATUS 'STDOUT PATTERN' 'STDERR PATTERN' COMMAND...
expect() {
	want=$1 out_re=$2 err_re=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: '$*' exited $got, want $want"; cat "$tmp/err"
		fail=1
	elif [ -n "$out_re" ] && ! grep -Eq -- "$out_re" "$tmp/out"; then
		echo "FAIL: '$*': no /$out_re/ on stdout"; head -5 "$tmp/out"
		fail=1
	elif [ -n "$err_re" ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
		echo "FAIL: '$*': no /$err_re/ on stderr"; head -5 "$tmp/err"
		fail=1
	else
		echo "ok   $* -> $got"
	fi
}

T12=$tr/tls12-aes128gcm
T13=$tr/tls13-keyupdate

# Usage.
expect 0 'usage: uktls replay' '' "$uktls" replay --help
expect 0 'rx +uktls.s receive path' '' "$uktls" replay --help
expect 0 'replay ' '' "$uktls" --help
expect 2 '' 'no capture file' "$uktls" replay
expect 2 '' 'more than one' "$uktls" replay "$T12.pcap" "$T12.pcap"
expect 2 '' 'bad option' "$uktls" replay --nosuch "$T12.pcap"
expect 2 '' 'bad --reorder-buffer' "$uktls" replay --reorder-buffer lots \
    "$T12.pcap"
expect 2 '' 'ifnet: not available: no simulated ifnet TLS device in this build' \
    "$uktls" replay --mode ifnet --keylog "$T12.keys" "$T12.pcap"
expect 2 '' 'toe: not available: no simulated TOE device in this build' \
    "$uktls" replay --mode toe --keylog "$T12.keys" "$T12.pcap"
expect 2 '' 'unknown mode' "$uktls" replay --mode fast "$T12.pcap"

# A clean trace: one line per connection, the totals last.
expect 0 '^conn 1: 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4433: TLS 1\.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 \(aes128-gcm-1\.2\): client ([0-9]+) records \(\1 verified; passed: tx \1, rx \1\), server ([0-9]+) records \(\2 verified; passed: tx \2, rx \2\)$' '' \
    "$uktls" replay --keylog "$T12.keys" "$T12.pcap"
if ! tail -1 "$tmp/out" |
    grep -Eq '^replay: [1-9][0-9]* records verified, 0 failed, 0 not verifiable$'; then
	echo "FAIL: last line: $(tail -1 "$tmp/out")"; fail=1
fi
grep -Eq '^replay: by check \(passed/failed/not verifiable\): model ([0-9]+)/0/0, tx \1/0/0, rx \1/0/0$' "$tmp/out" ||
    { echo "FAIL: no line of counts by check"; fail=1; }
# Options after the file, and --mode sw said out loud.
expect 0 'records verified' '' "$uktls" replay "$T12.pcap" --mode sw \
    --keylog "$T12.keys"

# KeyUpdate: received, but what follows has new keys: not verifiable,
# with the reason, and still exit 0.
expect 0 'not verifiable: after KeyUpdate \(new traffic keys\) [0-9]+; passed: tx [0-9]+, rx [0-9]+' '' \
    "$uktls" replay --keylog "$T13.keys" "$T13.pcap"
# TLS 1.0: transmit only (FreeBSD has no TLS 1.0 receive), verified.
expect 0 'client ([0-9]+) records \(\1 verified; passed: tx \1, rx 0\)' '' \
    "$uktls" replay --keylog "$tr/tls10-aes128-sha.keys" \
    "$tr/tls10-aes128-sha.pcap"
# TLS 1.3 padding: KTLS does not pad but receives padded records.
expect 0 'server ([0-9]+) records \(\1 verified; passed: tx 0, rx \1\)' '' \
    "$uktls" replay --keylog "$tr/tls13-padding.keys" \
    "$tr/tls13-padding.pcap"

# JSON: the fields the issue asks for, and the checks by name.
expect 0 '"ok": true' '' "$uktls" replay --json --keylog "$T12.keys" \
    "$T12.pcap"
for k in '"records_verified": [1-9]' '"records_failed": 0' \
    '"records_not_verifiable": 0' '"connections": \[' \
    '"client": "127\.0\.0\.1:[0-9]+"' '"server": "127\.0\.0\.1:4433"' \
    '"version": "1\.2"' '"suite": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"' \
    '"directions": \[\{"from": "client", "records": [0-9]+, "verified": [0-9]+, "failed": 0, "not_verifiable": 0, "reasons": \{\}, "plaintext_bytes": [0-9]+' \
    '\{"from": "server"' '"rx_sessions": 1, "rx_plaintext_bytes": [1-9]' \
    '"rx": \{"verified": [1-9][0-9]*, "failed": 0, "not_verifiable": 0' \
    '"rx": \{"available": true, "why": null, "verified": [1-9]'; do
	grep -Eq -- "$k" "$tmp/out" || { echo "FAIL: JSON has no /$k/"; fail=1; }
done
if command -v jq >/dev/null 2>&1; then
	jq -e '.ok == true and (.connections | length) == 1 and
	    .connections[0].directions[1].from == "server" and
	    .records_failed == 0 and
	    ([.connections[0].directions[] | .records == .checks.rx.verified
	      and .plaintext_bytes == .rx_plaintext_bytes] | all)' \
	    "$tmp/out" >/dev/null ||
	    { echo "FAIL: jq does not read the JSON as expected"; fail=1; }
fi
expect 0 '"reasons": \{"after KeyUpdate \(new traffic keys\)": [0-9]+\}' '' \
    "$uktls" replay --json --keylog "$T13.keys" "$T13.pcap"
grep -Eq '"tx": \{"verified": [0-9]+, "failed": 0, "not_verifiable": [1-9][0-9]*, "reasons": \{"KeyUpdate": 1, ' "$tmp/out" ||
    { echo "FAIL: JSON: KeyUpdate not a reason of the tx check"; fail=1; }

# --dump-plaintext: what the client and the server sent.
expect 0 '' '' "$uktls" replay --keylog "$T12.keys" \
    --dump-plaintext "$tmp/dump" "$T12.pcap"
for f in conn-1.client.bin conn-1.server.bin; do
	[ -s "$tmp/dump/$f" ] || { echo "FAIL: no $f"; fail=1; }
done
# tshark's decryption of the server's side, from the committed oracle.
awk '/^Node 1:/ { on = 1; next } /^=====/ { on = 0 } on && /^\t/' \
    "$T12.tshark-follow-raw.txt" | tr -d '\t\n' >"$tmp/oracle.hex"
od -An -v -tx1 "$tmp/dump/conn-1.server.bin" | tr -d ' \n' >"$tmp/dump.hex"
cmp -s "$tmp/oracle.hex" "$tmp/dump.hex" ||
    { echo "FAIL: dumped server data differs from tshark's"; fail=1; }

# --records: one line per record plus a header.
expect 0 '' '' "$uktls" replay --keylog "$T12.keys" --records \
    "$tmp/rec.tsv" "$T12.pcap"
n=$(grep -c '	app	' "$tmp/rec.tsv")
v=$(grep -c '	verified	pass	pass	pass	' "$tmp/rec.tsv")
[ "$n" -gt 10 ] && [ "$n" -eq "$v" ] ||
    { echo "FAIL: --records: $n app records, $v verified"; fail=1; }

# A record changed in a copy of the capture: its first byte (the type,
# authenticated by the AEAD) in the first full-size server record.  The
# receive path refuses it as the model does, names the connection and
# the record, and every other record still verifies; exit 1.
if printf 'x' | grep -qP 'x' 2>/dev/null; then
	off=$(LC_ALL=C grep -obUaP '\x17\x03\x03\x40\x18' "$T12.pcap" |
	    head -1 | cut -d: -f1)
	cp "$T12.pcap" "$tmp/flip.pcap"
	printf '\026' | dd of="$tmp/flip.pcap" bs=1 seek="$off" conv=notrunc \
	    2>/dev/null
	expect 1 '^replay: [1-9][0-9]* records verified, 1 failed, 0 not verifiable$' \
	    '^replay: conn 1 \(127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4433\): server record [0-9]+ \(seq [0-9]+, frame [0-9]+, TCP seq [0-9]+\): uktls receive: rejected it \(EBADMSG\), as the model did$' \
	    "$uktls" replay --keylog "$T12.keys" "$tmp/flip.pcap"
	grep -Eq 'model [0-9]+/1/0, tx [0-9]+/0/1, rx [0-9]+/1/0$' "$tmp/out" ||
	    { echo "FAIL: flipped record: counts by check"; fail=1; }
	expect 1 '"ok": false' '' \
	    "$uktls" replay --json --keylog "$T12.keys" "$tmp/flip.pcap"
else
	echo "skip: grep -P not available for the flipped record"
fi

# Bad input.
head -c 20000 "$T12.pcap" >"$tmp/cut.pcap"
expect 3 'records verified' 'capture unreadable after frame [0-9]+: truncated' \
    "$uktls" replay --keylog "$T12.keys" "$tmp/cut.pcap"
{ printf 'garbage!'; tail -c +9 "$T12.pcap"; } >"$tmp/bad.pcap"
expect 2 '' 'not a capture libpcap can read' \
    "$uktls" replay --keylog "$T12.keys" "$tmp/bad.pcap"
expect 2 '"ok": false' 'not a capture' \
    "$uktls" replay --json --keylog "$T12.keys" "$tmp/bad.pcap"
expect 2 '' 'No such file' "$uktls" replay "$tmp/none.pcap"
expect 2 '' 'nokeys: No such file' "$uktls" replay --keylog "$tmp/nokeys" \
    "$T12.pcap"
printf '# nothing\n' >"$tmp/empty.keys"
expect 3 '0 records verified, 0 failed, [1-9][0-9]* not verifiable' \
    'conn 1 \(127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:4433\): no CLIENT_RANDOM line in the key log' \
    "$uktls" replay --keylog "$tmp/empty.keys" "$T12.pcap"
expect 2 '' "conn-1.client.bin: not a directory" \
    "$uktls" replay --keylog "$T12.keys" \
    --dump-plaintext "$tmp/dump/conn-1.client.bin" "$T12.pcap"

exit $fail
