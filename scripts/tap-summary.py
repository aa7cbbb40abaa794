#!/usr/bin/env python3
"""tap-summary.py NAME LOG EXPECTED: count "ok X" / "not ok X" lines a guest scenario printed.

Prints the failures and "N passed, N failed"; exits 1 on a failure or if fewer than EXPECTED checks
ran (a scenario that died half-way must not pass)."""
import sys

name, log, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
passed = failed = 0
try:
    lines = open(log, errors="replace").read().splitlines()
except OSError:
    lines = []
for line in lines:
    if line.startswith("not ok "):
        failed += 1
        print(f"FAIL {name}: {line[7:]}")
    elif line.startswith("ok "):
        passed += 1
if passed + failed < expected:
    missing = expected - passed - failed
    print(f"FAIL {name}: only {passed + failed} of {expected} checks ran")
    failed += missing
print(f"{name}: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
