# KUnit in the guest kernel: kunit.ko + oe_kunit.ko (the C++ core's suites), KTAP parsed on the host
# by the kernel tree's own tools/testing/kunit/kunit.py. A failed case, a crash or a suite missing
# from the output fails the run.
kunit_guest() {
	insmod /lib/oe/kunit.ko || exit 1
	insmod /lib/oe/oe_kunit.ko || exit 1
	dmesg > /out/kunit/dmesg.txt
	rmmod oe_kunit
}

kunit_check() {
	local kdir json=$RUN/kunit/results.json
	kdir=$(bash "$OELAB_ROOT/qemu/kernel/build.sh")
	python3 "$kdir/tools/testing/kunit/kunit.py" parse --json="$json" "$RUN/kunit/dmesg.txt" \
		> "$RUN/kunit/parse.txt" 2>&1
	tail -5 "$RUN/kunit/parse.txt"
	python3 "$OELAB_ROOT/scripts/kunit-summary.py" "$json" "$OELAB_ROOT/build/gen/oe_kunit_suites.h" \
		"$OELAB_ROOT"/driver/igb/ktests/*.c > "$RESULTS/kunit.txt"
	local rc=$?
	cat "$RESULTS/kunit.txt" | tail -3
	return $rc
}
