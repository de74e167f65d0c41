#!/bin/sh
# Bad usage gives a message and exit status 2; --help gives 0.
set -u
uktls=$1
fail=0
expect() {
	want=$1; shift
	"$@" >/dev/null 2>/tmp/uktls-usage.$$
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: '$*' exited $got, want $want"; fail=1
	elif [ "$want" -ne 0 ] && [ ! -s /tmp/uktls-usage.$$ ]; then
		echo "FAIL: '$*' said nothing on stderr"; fail=1
	else
		echo "ok   $* -> $got"
	fi
}
expect 0 "$uktls" --help
expect 0 "$uktls" demo --help
expect 0 "$uktls" explain --help
expect 2 "$uktls" explain --suite nosuchsuite
expect 2 "$uktls" explain --bytes 17k
expect 2 "$uktls" explain --mss 1
expect 2 "$uktls" explain extra
expect 0 "$uktls" suites --help
expect 0 "$uktls" version
expect 2 "$uktls"
expect 2 "$uktls" nosuchcommand
expect 2 "$uktls" demo --suite nosuchsuite
expect 2 "$uktls" demo --bytes lots
expect 2 "$uktls" demo --workers -1
expect 2 "$uktls" demo --mode nosuchmode
expect 2 "$uktls" demo --nosuchoption
expect 2 "$uktls" demo --mode toe
expect 2 "$uktls" demo --loss 60
expect 2 "$uktls" demo --reorder x
expect 2 "$uktls" demo --mss 10
expect 2 "$uktls" demo --pcap
expect 1 "$uktls" demo --bytes 1k --pcap /nonexistent/dir/x.pcap --keylog /tmp/uktls-usage-keys.$$
expect 1 "$uktls" demo --bytes 1k --keylog /nonexistent/dir/x.keys
expect 2 "$uktls" demo extra
expect 2 "$uktls" suites extra
expect 0 "$uktls" bench --help
expect 2 "$uktls" bench --suite nosuchsuite
expect 2 "$uktls" bench --bytes lots
expect 2 "$uktls" bench --bytes 0
expect 2 "$uktls" bench --runs 0
expect 2 "$uktls" bench --runs 101
expect 2 "$uktls" bench --workers -1
expect 2 "$uktls" bench --nosuchoption
expect 2 "$uktls" bench --suite
expect 2 "$uktls" bench extra
rm -f /tmp/uktls-usage.$$ /tmp/uktls-usage-keys.$$
exit $fail
