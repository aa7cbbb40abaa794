#!/bin/sh
# The fire path's instruction count, a regression guard that cannot flake: callgrind counts the
# instructions of the module's own objects (the kbench build of md-instructions) from handleMDPacket's
# entry to completeTx's entry (where the driver's descriptor write and doorbell begin; the driver's C
# glue cannot run here), once per order, and a quiet MD packet's whole handleMDPacket. Deterministic:
# the same binary counts the same instructions on every machine and every run.
# Usage: fire_path.sh MD_INSTRUCTIONS_BIN OUTDIR RESULT_TXT
#   FIRE_MAX (default 780): bound on the fire path; measured 732 (docs/results.md), 722 at the
#   issue-10 baseline (f5fd1ec). QUIET_MAX (default 370): bound per quiet packet; measured 342.
bin=$1 out=$2 result=$3
fire_max=${FIRE_MAX:-780} quiet_max=${QUIET_MAX:-370} n=64
mkdir -p "$out" "$(dirname "$result")"
rm -f "$out"/fire.out*
pass=0 fail=0
check() { # name ok detail
	if [ "$2" = 1 ]; then echo "ok $1"; pass=$((pass + 1)); else echo "not ok $1: $3"; fail=$((fail + 1)); fi
}
# zero at every handleMDPacket entry, dump at every completeTx entry: one dump per order frame, each
# holding exactly that trigger's instructions before completeTx
valgrind --tool=callgrind --toggle-collect=handleMDPacket --zero-before=handleMDPacket \
	--dump-before=completeTx --callgrind-out-file="$out/fire.out" "$bin" trigger $n >"$out/fire.log" 2>&1
rc=$?
counts=$(for f in "$out"/fire.out.*; do sed -n 's/^summary: *//p' "$f"; done | grep -v '^0$' | sort -n)
dumps=$(echo "$counts" | grep -c .)
first=$(echo "$counts" | head -1) last=$(echo "$counts" | tail -1)
check "fire path: one count per order ($n triggers, md-instructions rc $rc)" \
	$([ $rc = 0 ] && [ "$dumps" = $n ] && echo 1 || echo 0) "$dumps dumps, rc $rc ($(tail -2 "$out/fire.log" | tr '\n' ' '))"
check "fire path: every order counts the same" $([ -n "$first" ] && [ "$first" = "$last" ] && echo 1 || echo 0) \
	"from $first to $last instructions"
check "fire path: handleMDPacket -> completeTx <= $fire_max instructions (counted: $last)" \
	$([ -n "$last" ] && [ "$last" -le "$fire_max" ] && echo 1 || echo 0) "$last instructions"
valgrind --tool=callgrind --toggle-collect=handleMDPacket --callgrind-out-file="$out/quiet.out" "$bin" quiet $n \
	>"$out/quiet.log" 2>&1
rc=$?
ir=$(sed -n 's/^summary: *//p' "$out/quiet.out" | head -1)
per=$(( ${ir:-0} / n ))
check "quiet packet: handleMDPacket <= $quiet_max instructions (counted: $per)" \
	$([ $rc = 0 ] && [ -n "$ir" ] && [ $per -le "$quiet_max" ] && echo 1 || echo 0) "rc $rc, $per instructions"
echo "fire path: $last instructions per order (handleMDPacket -> completeTx), quiet: $per per packet"
echo "$pass passed, $fail failed" | tee "$result"
[ $fail = 0 ]
