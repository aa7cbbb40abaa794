#!/bin/sh
# strategy-replay CLI tests: exit codes, golden output on a small fixture, every flag's effect.
# Usage: replay_cli_test.sh REPLAY_BIN TMPDIR   (prints one line per check, last line "N passed, N failed")
bin=$1 tmp=$2
here=$(dirname "$0")
csv=$here/data/small.csv
mkdir -p "$tmp"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }

# expect_rc NAME RC ARGS...: exit code and, for 2, a message on stderr
expect_rc() {
	name=$1 want=$2; shift 2
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ] && { [ "$want" != 2 ] || grep -q "strategy-replay:" "$tmp/err"; }; then ok "$name"; else ko "$name (rc=$rc)"; fi
}
# expect_orders NAME EXPECTED ARGS...: the order lines (not the counters) exactly
expect_orders() {
	name=$1 want=$2; shift 2
	got=$("$bin" "$@" 2>&1 | grep -v '^#')
	if [ "$got" = "$want" ]; then ok "$name"; else ko "$name: got '$got' want '$want'"; fi
}
# expect_counter NAME COUNTER VALUE ARGS...
expect_counter() {
	name=$1 counter=$2 want=$3; shift 3
	got=$("$bin" "$@" | sed -n "s/^# $counter //p")
	if [ "$got" = "$want" ]; then ok "$name"; else ko "$name: $counter=$got want $want"; fi
}

expect_rc bad_flag 2 "$csv" --bogus 1
expect_rc missing_value 2 "$csv" --levels
expect_rc no_file 2 --levels 3
expect_rc two_files 2 "$csv" "$csv"
expect_rc zero_levels 2 "$csv" --levels 0
expect_rc non_numeric_qty 2 "$csv" --qty abc
expect_rc qty_overflow 2 "$csv" --qty 4294967296
expect_rc negative_threshold 2 "$csv" --threshold -5
expect_rc long_symbol 2 "$csv" --symbol ABCDEFGHIJKLMNOPQRSTUVWXYZ
expect_rc levels_over_capacity 2 "$csv" --levels 10 --capacity 4
expect_rc missing_file 1 "$tmp/does-not-exist.csv"
expect_rc help 0 --help

default_orders="2001 B 10050000000 1
2004 S 10000000000 1
2007 B 10050000000 1"
expect_orders default "$default_orders" "$csv"
gzip -c "$csv" >"$tmp/small.csv.gz"
expect_orders gzip_same_as_plain "$default_orders" "$tmp/small.csv.gz"
expect_orders threshold "2007 B 10050000000 1" "$csv" --threshold 60000000
expect_orders threshold_decimal "2001 B 10050000000 1
2004 S 10000000000 1
2007 B 10050000000 1" "$csv" --threshold 50000000.49999999
expect_orders levels_1 "" "$csv" --levels 1
expect_orders qty "2001 B 10050000000 7
2004 S 10000000000 7
2007 B 10050000000 7" "$csv" --qty 7
# $101 x 50,000,000 = $5.05e9 fires; $99.5 x 50,000,000.5 does not
expect_orders notional "2002 S 10000000000 1
2004 S 10000000000 1
2007 B 10050000000 1" "$csv" --notional 5000000000
expect_orders other_symbol "" "$csv" --symbol ETH-PERPETUAL
expect_orders max_rate "2001 B 10050000000 1" "$csv" --max-rate 1
expect_counter other_symbol_no_other_side oe_trigger_no_other_side 1 "$csv" --symbol ETH-PERPETUAL
expect_counter bad_side_counted oe_parse_drop_bad_side 1 "$csv"
expect_counter seq_gap_counted oe_seq_gaps 1 "$csv"
expect_counter other_symbol_counted oe_md_other_symbol 1 "$csv"
expect_counter snapshot_rows oe_snapshot_rows 4 "$csv"
expect_counter rate_limited replay_rate_limited 2 "$csv" --max-rate 1

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
