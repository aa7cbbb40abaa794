#!/bin/sh
# Command-line behaviour of exchange and mdgen: bad flags exit 2 with a message, help exits 0, and
# regenerating the shipped sample gives identical bytes. Last line: "N passed, N failed".
#   usage: sh tests/cli_test.sh EXCHANGE MDGEN TMPDIR
EXCHANGE=$1
MDGEN=$2
TMP=$3
HERE=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$TMP"
pass=0
fail=0
check() { # description, expected exit code, command...
	desc=$1
	want=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" = "$want" ] && { [ "$want" != 2 ] || [ -s "$TMP/err" ]; }; then
		pass=$((pass + 1))
		echo "ok - $desc"
	else
		fail=$((fail + 1))
		echo "not ok - $desc (exit $got, want $want): $(head -c 300 "$TMP/err")"
	fi
}

check "exchange --help" 0 "$EXCHANGE" --help
check "exchange unknown flag" 2 "$EXCHANGE" --bogus
check "exchange missing value" 2 "$EXCHANGE" --port
check "exchange non-numeric port" 2 "$EXCHANGE" --port abc
check "exchange port out of range" 2 "$EXCHANGE" --port 70000
check "exchange negative rate" 2 "$EXCHANGE" --rate -5
check "exchange zero speed" 2 "$EXCHANGE" --speed 0
check "exchange burst too large" 2 "$EXCHANGE" --burst 100000
check "exchange non-multicast group" 2 "$EXCHANGE" --group 10.1.2.3
check "exchange bad bind address" 2 "$EXCHANGE" --bind 300.1.1.1
check "exchange bad threshold" 2 "$EXCHANGE" --threshold 1.123456789
check "exchange symbol with comma" 2 "$EXCHANGE" --symbol "A,B"
check "exchange zero levels" 2 "$EXCHANGE" --levels 0
check "exchange bounce-all without bounce-port" 2 "$EXCHANGE" --bounce-all
check "exchange stray argument" 2 "$EXCHANGE" extra
check "exchange missing file" 2 "$EXCHANGE" --file /nonexistent/md.csv.gz
check "exchange unknown interface" 1 "$EXCHANGE" --iface oeex-no-such-if0 --port 0
check "exchange --no-mcast-loop takes no value" 2 "$EXCHANGE" --no-mcast-loop=1
check "exchange --help lists --keepalive-s" 0 sh -c "'$EXCHANGE' --help | grep -q -- '--keepalive-s N'"
check "exchange keepalive missing value" 2 "$EXCHANGE" --keepalive-s
check "exchange keepalive non-numeric" 2 "$EXCHANGE" --keepalive-s 1s
check "exchange keepalive negative" 2 "$EXCHANGE" --keepalive-s -1
check "exchange keepalive too large" 2 "$EXCHANGE" --keepalive-s 3601
# a good value gets past the flags: exit 1 is the runtime setup failure of the unknown interface
check "exchange keepalive value accepted" 1 "$EXCHANGE" --keepalive-s 1 --iface oeex-no-such-if0 --port 0
check "mdgen --help" 0 "$MDGEN" --help
check "mdgen without --out" 2 "$MDGEN"
check "mdgen unknown shape" 2 "$MDGEN" --out "$TMP/x.gz" --shape nope
check "mdgen zero bytes" 2 "$MDGEN" --out "$TMP/x.gz" --bytes 0
check "mdgen bad seed" 2 "$MDGEN" --out "$TMP/x.gz" --seed -1

# the shipped sample is exactly what mdgen produces with the Makefile's SAMPLE_ARGS
args=$(sed -n 's/^SAMPLE_ARGS := //p' "$HERE/Makefile")
check "regenerate sample" 0 "$MDGEN" --out "$TMP/sample.csv.gz" $args
check "regenerated sample is byte-identical" 0 cmp "$TMP/sample.csv.gz" "$HERE/data/sample.csv.gz"
for shape in xbtusd fractional multi quiet burst; do
	check "mdgen --shape $shape" 0 "$MDGEN" --out "$TMP/$shape.csv.gz" --shape $shape --bytes 50000
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
