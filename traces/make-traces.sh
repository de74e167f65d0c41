#!/bin/sh
# Regenerate the captures in traces/: real `openssl s_server` and
# `openssl s_client` talking over loopback in a network namespace of
# their own, recorded with tcpdump (or dumpcap), both ends writing an NSS
# key log.  Then tshark's view of each capture (record list, decrypted
# stream) is written beside it as the oracle the replay tests compare to.
#
# usage: sh traces/make-traces.sh [NAME...]     (as root; default: all)
#
# The sim-* traces are written by `uktls demo` itself (the simulated
# network, with loss and reordering): UKTLS names the executable
# (default build/bin/uktls); they need neither root nor the tools.
#
# Needs: openssl, tcpdump, dumpcap and tshark (Debian: tcpdump, tshark),
# ip (iproute2), unshare (util-linux); ethtool if present.  Each capture
# takes a few seconds.  New captures differ from the committed ones in
# every random value (keys, randoms, nonces), not in shape.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

command -v tshark >/dev/null 2>&1 || {
	echo "make-traces: tshark is missing" >&2; exit 1; }

# The real captures need root, the tools and a certificate; the first
# one checks and makes them.
ready=
setup() {
	[ -n "$ready" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "make-traces: run as root (needs unshare -n and a" \
		    "capture)" >&2
		exit 1
	fi
	for tool in openssl tcpdump dumpcap ip unshare; do
		command -v "$tool" >/dev/null 2>&1 || {
			echo "make-traces: $tool is missing" >&2; exit 1; }
	done
	# One RSA server certificate for every trace (RSA so that
	# ECDHE-RSA and plain RSA key exchange both work).
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" \
	    -out "$work/cert.pem" -subj /CN=localhost -days 3650 2>/dev/null
	ready=1
}

# data SPEC FILE: write chunks of the sizes in SPEC (k = KiB) to FILE,
# each its own write, and a script of sleeps to replay them one by one.
# Sizes are chosen so records of many lengths appear on the wire.
data() {
	: >"$2"
	: >"$2.sizes"
	for n in $1; do
		case $n in
		K|k)	# an s_client command letter: a KeyUpdate, not data
			echo "$n" >>"$2.sizes"
			continue ;;
		t*)	# text starting with x (never a command letter)
			n=${n#t}
			{ printf x; head -c "$n" /dev/urandom | base64 -w0; } |
			    head -c "$n" >>"$2"
			echo "$n" >>"$2.sizes"
			continue ;;
		*k) n=$(( ${n%k} * 1024 )) ;;
		esac
		head -c "$n" /dev/urandom >>"$2"
		echo "$n" >>"$2.sizes"
	done
}

# capture NAME LINK ADDR 'SERVER ARGS' 'CLIENT ARGS' 'C2S SIZES' 'S2C SIZES'
#   LINK: en10mb (tcpdump -i lo), sll (-i any -y LINUX_SLL),
#         sll2 (-i any), pcapng (dumpcap -i lo)
#   ADDR: 127.0.0.1 or ::1
capture() {
	setup
	name=$1 link=$2 addr=$3 sargs=$4 cargs=$5
	d="$work/$name"
	mkdir -p "$d"
	data "$6" "$d/c2s"
	data "$7" "$d/s2c"
	case $link in
	pcapng) ext=pcapng ;;
	*) ext=pcap ;;
	esac
	out="$here/$name.$ext"
	rm -f "$here/$name.pcap" "$here/$name.pcapng"
	export d addr sargs cargs link out work
	unshare -n sh -eu -c '
		ip link set lo up
		ip link set lo mtu 1500
		if command -v ethtool >/dev/null 2>&1; then
			ethtool -K lo tso off gso off gro off 2>/dev/null || true
		fi
		case $link in
		en10mb) tcpdump -i lo -s 0 -U -w "$out" "tcp port 4433" \
			    2>"$d/cap.log" & ;;
		sll) tcpdump -i any -y LINUX_SLL -s 0 -U -w "$out" \
			    "tcp port 4433" 2>"$d/cap.log" & ;;
		sll2) tcpdump -i any -y LINUX_SLL2 -s 0 -U -w "$out" \
			    "tcp port 4433" 2>"$d/cap.log" & ;;
		pcapng) dumpcap -q -i lo -s 0 -w "$out" -f "tcp port 4433" \
			    2>"$d/cap.log" & ;;
		esac
		cap=$!
		sleep 1.5
		. "$work/feed.sh"
		{ feed "$d/s2c" 0.8; sleep 4; } |
		    openssl s_server -quiet -naccept 1 -accept "[$addr]:4433" \
		    -cert "$work/cert.pem" -key "$work/key.pem" \
		    -keylogfile "$d/server.keys" $sargs >"$d/server.out" \
		    2>"$d/server.err" &
		srv=$!
		sleep 0.5
		{ feed "$d/c2s" 0.3; sleep 3; } |
		    openssl s_client -quiet -no_ign_eof -connect "[$addr]:4433" \
		    -keylogfile "$d/client.keys" $cargs >"$d/client.out" \
		    2>"$d/client.err" || true
		wait $srv || true
		sleep 0.5
		kill -INT $cap
		wait $cap || true
	'
	# One key log: the client'"'"'s and the server'"'"'s lines, once each.
	cat "$d/client.keys" "$d/server.keys" | awk '!seen[$0]++' \
	    >"$here/$name.keys"
	# Both ends must have got all the other sent.
	cmp -s "$d/c2s" "$d/server.out" || {
		echo "make-traces: $name: server did not get the client's data" >&2
		cat "$d/server.err" "$d/client.err" >&2; exit 1; }
	cmp -s "$d/s2c" "$d/client.out" || {
		echo "make-traces: $name: client did not get the server's data" >&2
		cat "$d/server.err" "$d/client.err" >&2; exit 1; }
	oracle "$name" "$out"
	echo "make-traces: $name.$ext $(wc -c <"$out") bytes"
}

# oracle NAME PCAP: what tshark sees, the independent oracle.
#   NAME.tshark-records.tsv  one TLS record per line: frame, source
#       port, destination port, record type (inner type under TLS 1.3),
#       record length
#   NAME.tshark-follow-raw.txt  the decrypted application data of TCP
#       stream 0 (-z follow,tls,raw,0)
oracle() {
	tshark -r "$2" -o "tls.keylog_file:$here/$1.keys" \
	    -o tcp.reassemble_out_of_order:TRUE -Y tls \
	    -T fields -E separator=/t -E occurrence=a -E aggregator=, \
	    -e frame.number -e tcp.srcport -e tcp.dstport \
	    -e tls.record.content_type -e tls.record.opaque_type \
	    -e tls.record.length 2>/dev/null >"$here/$1.tshark-records.tsv"
	tshark -r "$2" -o "tls.keylog_file:$here/$1.keys" \
	    -o tcp.reassemble_out_of_order:TRUE -q -z follow,tls,raw,0 \
	    2>/dev/null >"$here/$1.tshark-follow-raw.txt"
}

# feed() runs inside the namespace shell: hand it over as a file.
cat >"$work/feed.sh" <<'EOF'
feed() {
	off=0
	sleep "$2"
	while read -r n; do
		case $n in
		K|k) printf '%s\n' "$n"; sleep 0.3; continue ;;
		esac
		tail -c +$((off + 1)) "$1" | head -c "$n"
		off=$((off + n))
		sleep 0.05
	done <"$1.sizes"
}
EOF

# Traffic shapes: a few bytes, odd sizes around block and record limits,
# and bulk transfers that span many records and many segments.
SMALL="1 5 13 16 17 100"
MIXED="1 15 16 17 255 256 1000 1500 4095 4096 8191 16383 16384 16385 20000"
BULK="3 17 1000 16384 200k"
BULK_SMALL="7 64k"

# With -quiet, s_server ignores its stdin's EOF (ends when the client
# closes); -nocommands keeps s_client from reading data as commands.
C13="-tls1_3 -nocommands"
C12="-tls1_2 -nocommands"
LEGACY="-nocommands -no_etm"

want() {
	[ $# -eq 0 ] && return 0
	for w in $WANT; do [ "$w" = "$1" ] && return 0; done
	return 1
}
WANT="$*"
run() {
	if [ -z "$WANT" ] || want "$1"; then capture "$@"; fi
}

run tls13-aes128gcm en10mb 127.0.0.1 "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256" \
    "$C13 -ciphersuites TLS_AES_128_GCM_SHA256" "$SMALL" "$MIXED $BULK"
run tls13-aes256gcm en10mb ::1 "-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 -max_send_frag 1000" \
    "$C13 -ciphersuites TLS_AES_256_GCM_SHA384" "$MIXED" "$SMALL $BULK_SMALL"
run tls13-chacha20 pcapng 127.0.0.1 "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256" \
    "$C13 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -max_send_frag 700" \
    "$MIXED" "$SMALL"
run tls12-aes128gcm en10mb 127.0.0.1 "-tls1_2" \
    "$C12 -cipher ECDHE-RSA-AES128-GCM-SHA256" "$SMALL" "$MIXED $BULK"
run tls12-aes256gcm sll2 127.0.0.1 "-tls1_2" \
    "$C12 -cipher ECDHE-RSA-AES256-GCM-SHA384" "$MIXED" "$SMALL"
run tls12-chacha20 en10mb ::1 "-tls1_2 -max_send_frag 512" \
    "$C12 -cipher ECDHE-RSA-CHACHA20-POLY1305" "$SMALL" "$BULK_SMALL"
run tls12-aes128-sha en10mb 127.0.0.1 "-tls1_2" \
    "$C12 -no_etm -cipher ECDHE-RSA-AES128-SHA" "$SMALL" "$MIXED"
run tls12-aes256-sha sll 127.0.0.1 "-tls1_2" \
    "$C12 -no_etm -cipher ECDHE-RSA-AES256-SHA" "$MIXED" "$SMALL"
run tls12-aes128-sha256 en10mb 127.0.0.1 "-tls1_2 -max_send_frag 512" \
    "$C12 -no_etm -cipher ECDHE-RSA-AES128-SHA256" "$SMALL" "$MIXED"
run tls12-aes256-sha256 pcapng ::1 "-tls1_2" \
    "$C12 -no_etm -cipher DHE-RSA-AES256-SHA256" "$SMALL" "$MIXED"
run tls12-aes256-sha384 en10mb 127.0.0.1 "-tls1_2" \
    "$C12 -no_etm -cipher ECDHE-RSA-AES256-SHA384" "$MIXED" "$BULK_SMALL"
run tls11-aes128-sha sll 127.0.0.1 "-tls1_1 -cipher AES128-SHA:@SECLEVEL=0" \
    "-tls1_1 $LEGACY -cipher AES128-SHA:@SECLEVEL=0" "$SMALL" "$MIXED"
run tls11-aes256-sha en10mb ::1 "-tls1_1 -cipher AES256-SHA:@SECLEVEL=0" \
    "-tls1_1 $LEGACY -cipher AES256-SHA:@SECLEVEL=0" "$MIXED" "$SMALL"
run tls10-aes128-sha en10mb 127.0.0.1 "-tls1 -cipher AES128-SHA:@SECLEVEL=0" \
    "-tls1 $LEGACY -cipher AES128-SHA:@SECLEVEL=0" "$SMALL" "$MIXED"
run tls10-aes256-sha sll2 127.0.0.1 "-tls1 -cipher AES256-SHA:@SECLEVEL=0" \
    "-tls1 $LEGACY -cipher AES256-SHA:@SECLEVEL=0" "$MIXED" "$SMALL"
# Encrypt-then-MAC (OpenSSL's default for CBC): not what FreeBSD sends.
run tls12-etm-aes128-sha256 en10mb 127.0.0.1 "-tls1_2" \
    "$C12 -cipher ECDHE-RSA-AES128-SHA256" "$SMALL" "$SMALL 4096 16384"
# TLS 1.3 record padding: not what FreeBSD sends.
run tls13-padding en10mb 127.0.0.1 "-tls1_3 -record_padding 512" \
    "$C13" "$SMALL" "$SMALL 1000 4096 16384"
# TLS 1.3 KeyUpdate: 'K' on s_client's stdin sends one with
# update_requested (the server answers with its own), 'k' one without.
run tls13-keyupdate en10mb 127.0.0.1 "-tls1_3" "-tls1_3" \
    "t100 t2000 K t3000 k t50" "$MIXED"

# Written by the simulator: the demo's connection under loss, reordering
# and small segments, so the capture holds retransmissions and records
# cut at every kind of point.
uktls=${UKTLS:-$here/../build/bin/uktls}
sim() {
	name=$1; shift
	if [ -n "$WANT" ] && ! want "$name"; then return 0; fi
	rm -f "$here/$name.pcap" "$here/$name.keys"
	"$uktls" demo --mode sw --pcap "$here/$name.pcap" \
	    --keylog "$here/$name.keys" "$@" >/dev/null
	oracle "$name" "$here/$name.pcap"
	echo "make-traces: $name.pcap $(wc -c <"$here/$name.pcap") bytes"
}
sim sim-tls13-aes128gcm-loss --suite aes128-gcm-1.3 --bytes 150k \
    --loss 5 --reorder 5 --mss 1000 --seed 11
sim sim-tls12-chacha20-reorder --suite chacha20-poly1305-1.2 --bytes 100k \
    --reorder 10 --seed 12
sim sim-tls12-aes256-sha384-loss --suite aes256-cbc-sha384-1.2 --bytes 100k \
    --loss 5 --mss 536 --seed 13
sim sim-tls11-aes128-sha-faults --suite aes128-cbc-sha1-1.1 --bytes 60k \
    --loss 3 --reorder 3 --seed 14
