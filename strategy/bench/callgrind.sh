#!/bin/sh
# Instructions per MD packet, deterministic: callgrind counts only inside handleMDPacket (and callees).
# Usage: callgrind.sh MD_INSTRUCTIONS_BIN N OUTDIR
bin=$1 n=$2 out=$3
mkdir -p "$out"
for mode in quiet trigger; do
	f=$out/callgrind.$mode.out
	valgrind --tool=callgrind --toggle-collect=handleMDPacket --callgrind-out-file="$f" "$bin" $mode "$n" \
		>"$out/$mode.log" 2>&1 || { echo "callgrind $mode failed:"; tail -5 "$out/$mode.log"; exit 1; }
	ir=$(sed -n 's/^summary: *//p' "$f" | head -1)
	[ -n "$ir" ] || ir=$(sed -n 's/^totals: *//p' "$f" | head -1)
	echo "$mode: $ir instructions / $n packets = $((ir / n)) instructions per MD packet"
done
f=$out/callgrind.warm.out
valgrind --tool=callgrind --toggle-collect=oe_warm --callgrind-out-file="$f" "$bin" warm "$n" >"$out/warm.log" 2>&1 ||
	{ echo "callgrind warm failed:"; tail -5 "$out/warm.log"; exit 1; }
ir=$(sed -n 's/^summary: *//p' "$f" | head -1)
echo "warm: $ir instructions / $n runs = $((ir / n)) instructions per warm run (oe_warm)"
