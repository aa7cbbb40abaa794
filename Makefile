# tick-to-trade lab — the two commands a user needs:
#   make lab    build what is missing, run the end-to-end experiment in QEMU, write a report
#   make test   every test: host suites, fuzz smoke, KUnit in the guest, guest lab scenarios
# Everything else is a step of those. All targets install their own dependencies first (make setup).
SHELL := /bin/bash
ROOT := $(CURDIR)
BUILD := $(ROOT)/build
RESULTS := $(BUILD)/results
COMPONENTS := kunit strategy tcp userspace-exchange userspace-strategy experiments driver/igb
# Lab size knobs (override on the command line).
FUZZ_SECONDS ?= 60
export FUZZ_SECONDS
# KASAN=1 selects the KASAN + lockdep + DEBUG_ATOMIC_SLEEP guest kernel (its own cache entry) for
# every step: modules, initramfs, guest runs (e.g. `make test-guest KASAN=1`).
KASAN ?= 0
export KASAN
# OE_FIRE_PAD_INSNS=N (> 0): also build igb_oe_pad.ko, igb_oe with N no-ops on the in-driver fire
# path (known work for sensitivity checks; bench-lab variant driver-pad; docs/driver.md).
OE_FIRE_PAD_INSNS ?= 0
export OE_FIRE_PAD_INSNS
# KVER=X.Y selects the guest kernel (Debian linux-source-X.Y) and its igb series for every step;
# default the lab's kernel (scripts/kver.sh). Supported: 6.12, 6.1 (`make KVER=6.1 test-guest`).
KVER ?= $(shell . scripts/kver.sh && echo $$OE_KVER_DEFAULT)
export KVER
# OELAB_ACCEL=tcg|icount|kvm|auto: the accelerator of every guest boot (lab, test, shell, bench-lab,
# test-guest); default tcg. icount = deterministic instruction time (1 instruction = 1 ns), auto = kvm
# only if a bounded real probe passes. qemu/accel.sh and docs/accel.md; each run records accel.json.
export OELAB_ACCEL

.PHONY: all setup kernel kernel-kasan modules host initramfs test test-host test-guest lab shell \
	bench bench-lab bench-load bench-warm fuzz clean results-clean experiment experiment-check install-host

all: modules host

setup:
	@bash scripts/setup.sh

# KDIR: the cached, built guest kernel tree (first run ~11 min on 2 cores, then instant).
kernel: setup
	@bash qemu/kernel/build.sh >/dev/null

kernel-kasan: setup
	@KASAN=1 bash qemu/kernel/build.sh >/dev/null

# (make 4.3 does not pass exported variables to $(shell): hand KASAN and KVER over explicitly)
KDIR = $(shell KASAN=$(KASAN) KVER=$(KVER) bash qemu/kernel/build.sh)

$(BUILD)/gen/oe_kunit_suites.h: $(wildcard */ktests/suites.txt driver/igb/ktests/suites.txt) | $(BUILD)/gen
	@{ printf '/* generated from the ktests/suites.txt lists */\n#define OE_FOR_EACH_SUITE(X) '; \
	  cat $^ | grep -v '^\s*\(#\|$$\)' | awk '{ printf "%sX(%s)", (n++ ? "; " : ""), $$1 }'; echo; } > $@.tmp
	@cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(BUILD)/gen:
	@mkdir -p $@

# igb_oe.ko + oe_kunit.ko (the igb series for KDIR's version is applied by build-modules.sh; the
# default kernel's modules land at the top, another version's in build/kmod/<tree>/).
# modpost/objtool output is checked: any warning fails the build.
modules: kernel $(BUILD)/gen/oe_kunit_suites.h
	@bash scripts/build-modules.sh "$(KDIR)"

# igb_oe.ko for a real box's running kernel (/lib/modules/$(uname -r)/build), installed with a
# modprobe blacklist so it never replaces igb at boot; exit 2 when that kernel or its headers are
# missing or unsupported. Never configures the network; LOAD=1 loads the module. HOST_KDIR=DIR builds
# against another tree, INSTALL_MOD_PATH=DIR stages the result (docs/real-hardware.md). No `setup`:
# a real box needs only build-essential, its linux-headers and linux-source-X.Y.
install-host:
	@bash scripts/install-host.sh

host: setup
	@for c in $(COMPONENTS); do [ -f $$c/Makefile ] && $(MAKE) -s -C $$c all || exit 1; done

initramfs: modules host
	@bash qemu/initramfs.sh "$(KDIR)"

# ---- tests ------------------------------------------------------------------------------------------
# Build everything first (sequential: components share libraries), then run the suites in two lanes,
# one after the other (scripts/run-tests.sh). Prints "N passed, N failed" last; fails on any failure
# or a short suite.
test: setup initramfs
	@$(MAKE) --no-print-directory modules $$(/usr/bin/python3 scripts/experiment.py make-vars experiments/pad-driver-short.toml)
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@COMPONENTS="$(COMPONENTS)" bash scripts/run-tests.sh

test-host: setup
	@mkdir -p $(RESULTS)
	@status=0; for c in $(COMPONENTS); do \
		echo "== $$c: host tests"; \
		$(MAKE) --no-print-directory -C $$c test || status=1; \
	done; bash qemu/tests/accel.sh || status=1; exit $$status

test-guest: initramfs
	@mkdir -p $(RESULTS)
	@bash qemu/scenarios/run.sh kunit mutants smoke tick2trade realhw
	@bash qemu/scenarios/run.sh faults

# The main job: the lab proof (smoke), the in-driver experiment with its report (tick2trade), then
# the comparison with every userspace path and the XDP_TX floor (bench-lab, a boot of its own).
lab: initramfs
	@bash qemu/scenarios/run.sh --report smoke tick2trade
	@bash qemu/scenarios/run.sh --report bench-lab
	@bash qemu/scenarios/run.sh --report faults
	@bash qemu/scenarios/run.sh --report load

shell: initramfs
	@bash qemu/lab.sh --interactive

# Bounded libFuzzer runs (FUZZ_SECONDS each; each writes its own result file); a crash, sanitizer
# report or leak fails the run.
fuzz: setup
	@status=0; for c in strategy tcp; do \
		echo "== $$c: fuzz ($(FUZZ_SECONDS) s)"; \
		$(MAKE) --no-print-directory -C $$c fuzz || status=1; \
	done; exit $$status

bench: setup
	@for c in $(COMPONENTS); do [ -f $$c/Makefile ] && $(MAKE) --no-print-directory -C $$c bench || exit 1; done

bench-lab: initramfs
	@bash qemu/scenarios/run.sh --report bench-lab

# The in-driver path under load: highest sustained MD rate, then 2x that with non-lab traffic
# (qemu/scenarios/load.sh; LOAD_RATES, LOAD_REFINE, LOAD_STEP_S, LOAD_STRESS_S). Wall-time
# figures: one run at a time on the host (the default guest lock). Figures: docs/results.md.
bench-load: initramfs
	@bash qemu/scenarios/run.sh --report load

# Warming (docs/perf.md "Warming"): the fire path's cycles hot / after a cache-evicting quiet period /
# with a warm run, host-native and pinned (WARM_ARGS: warm-bench's flags). A guest figure would need
# KVM: TCG and icount model no caches, so they say nothing about warming and none is given.
bench-warm: setup
	@if why=$$(bash -c '. qemu/accel.sh && lab_kvm_probe' 2>/dev/null); then \
		echo "bench-warm: KVM works ($$why), but the guest variant is not built yet: host figures only"; \
	else \
		echo "bench-warm: no guest variant: KVM probe failed ($$why); TCG/icount model no caches"; \
	fi
	@$(MAKE) --no-print-directory -C strategy bench-warm

# A/B any lab knob (docs/experiments.md): make experiment EXP=experiments/rx-usecs.toml [REPS=N].
# The file is checked first (a bad key: its name and exit 2, before anything is built or booted);
# the build gets what the arms need (e.g. OE_FIRE_PAD_INSNS); the report goes to
# results/experiments/<stamp>/ (results/experiments/latest).
PYTHON := /usr/bin/python3
experiment-check:
	@[ -n "$(EXP)" ] || { echo "usage: make experiment EXP=path/to/experiment.toml [REPS=N] (docs/experiments.md)" >&2; exit 2; }
	@$(MAKE) --no-print-directory setup
	@$(PYTHON) scripts/experiment.py check "$(EXP)" >/dev/null

experiment: experiment-check
	@$(MAKE) --no-print-directory initramfs $$($(PYTHON) scripts/experiment.py make-vars "$(EXP)")
	@$(PYTHON) scripts/experiment.py run "$(EXP)" $(if $(REPS),--reps $(REPS))

clean:
	rm -rf $(BUILD)
	find . -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name modules.order -o -name Module.symvers | grep -v '^./build' | xargs rm -f
