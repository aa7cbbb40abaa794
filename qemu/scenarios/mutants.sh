# The igb_oe fixes' KUnit cases seen failing against the code before each fix: every module
# build/mutants/NAME/oe_mut_NAME.ko (scripts/kunit-mutants.sh: the suites igb_oe_classify and
# igb_oe_session built against one header with its fix taken out) is loaded in turn; the cases its
# patch names under "expect-fail:" must fail, and the unmutated control must pass every case.
# A name ending in "?" is racy (the plain-++ counter loses increments only when both vCPUs write at
# the same moment): its result is reported, not gated.
mutants_host() {
	local kdir
	kdir=$(bash "$OELAB_ROOT/qemu/kernel/build.sh") || return 1
	bash "$OELAB_ROOT/scripts/kunit-mutants.sh" "$kdir"
}

mutants_guest() {
	grep -q '^kunit ' /proc/modules || insmod /lib/oe/kunit.ko || exit 1
	for ko in /lab/build/mutants/*/oe_mut_*.ko; do
		name=$(basename $(dirname $ko))
		dmesg -c > /dev/null
		insmod $ko && rmmod $(basename $ko .ko)
		dmesg > /out/mutants/$name.ktap
		echo "mutant $name: $(grep -c '] *not ok' /out/mutants/$name.ktap) not-ok lines"
	done
}

mutants_check() {
	python3 "$OELAB_ROOT/scripts/mutants-check.py" "$OELAB_ROOT/build/mutants" "$RUN/mutants" \
		> "$RESULTS/mutants.txt"
	local rc=$?
	cat "$RESULTS/mutants.txt"
	return $rc
}
