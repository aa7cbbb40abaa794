#!/usr/bin/env python3
"""mutants-check.py BUILD_DIR RUN_DIR: the host half of the `mutants` scenario (qemu/scenarios/mutants.sh).

BUILD_DIR/NAME/mutant.patch names, on its "# expect-fail:" line, the KUnit cases that must fail with
that fix taken out; RUN_DIR/NAME.ktap is the guest's KTAP output for that module. Checks: the control
ran every case and failed none; each mutant ran and each case it names failed (a name ending in "?"
is racy: reported, not counted). Prints one line per mutant and "mutants: N passed, N failed"."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_sessions import Checks  # noqa: E402

CASE = re.compile(r"^\s*(not ok|ok) \d+ (\w+)")


def results(path):
    """case name -> True (ok) / False (not ok), from the KTAP in a dmesg capture"""
    out = {}
    for line in open(path, errors="replace") if os.path.exists(path) else []:
        m = CASE.match(re.sub(r"^\[[^\]]*\]\s?", "", line))
        if m and not m.group(2).startswith("igb_oe_"):
            out[m.group(2)] = m.group(1) == "ok"
    return out


def expected(patch):
    for line in open(patch):
        if line.startswith("# expect-fail:"):
            return line.split(":", 1)[1].split()
    return []


def main():
    build, run = sys.argv[1], sys.argv[2]
    check = Checks("mutants")
    control = results(os.path.join(run, "control.ktap"))
    failed = sorted(c for c, ok in control.items() if not ok)
    check("control_ran", len(control) >= 10, f"({len(control)} cases)")
    check("control_passes", not failed, f"(failing without any mutation: {failed})")
    for name in sorted(os.listdir(build)):
        patch = os.path.join(build, name, "mutant.patch")
        if not os.path.exists(patch):
            continue
        got = results(os.path.join(run, f"{name}.ktap"))
        check(f"{name}_ran", len(got) >= len(control) > 0, f"({len(got)} cases)")
        seen = sorted(c for c, ok in got.items() if not ok)
        for case in expected(patch):
            racy = case.endswith("?")
            case = case.rstrip("?")
            verdict = "FAILS" if got.get(case) is False else ("passes" if case in got else "did not run")
            print(f"  {name}: {case} {verdict} with the fix taken out{' (racy, not gated)' if racy else ''}")
            if not racy:
                check(f"{name}_{case}_fails", got.get(case) is False, f"({case}: {verdict})")
        print(f"  {name}: failing cases {seen}")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
