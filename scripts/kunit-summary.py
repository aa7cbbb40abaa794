#!/usr/bin/env python3
"""kunit-summary.py RESULTS.json SUITES_HEADER [C_SUITE_SOURCES...]: count KUnit leaf cases from
`kunit.py parse --json`.

Prints one line per failed case, then "N passed, N failed". Exits 1 on any failure, on a parse
failure, or if a suite listed in the generated oe_kunit_suites.h did not report, nor a suite named
(`.name = "..."` in a struct kunit_suite) by one of the C sources given (a module that crashed or
never ran its suite must not look green)."""
import json
import re
import sys


def leaves(node, path):
    cases = node.get("test_cases", [])
    groups = node.get("sub_groups", [])
    for c in cases:
        yield path + [c["name"]], c.get("status", "ERROR")
    for g in groups:
        yield from leaves(g, path + [g["name"]])


def main():
    try:
        doc = json.load(open(sys.argv[1]))
    except (OSError, ValueError) as e:
        print(f"kunit: no parsable results ({e})")
        print("0 passed, 1 failed")
        return 1
    header = open(sys.argv[2]).read()
    expected = set(re.findall(r"X\((\w+)\)", header))
    for src in sys.argv[3:]:
        expected |= set(re.findall(r'\.name\s*=\s*"(\w+)"', open(src).read()))
    # Top level: one group per suite that produced subtests; a suite that crashed before any
    # case shows up as a bare (failed) test case.
    seen = {g["name"] for g in doc.get("sub_groups", [])} | {c["name"] for c in doc.get("test_cases", [])}
    passed = failed = 0
    for path, status in leaves(doc, []):
        if status == "PASS":
            passed += 1
        elif status != "SKIP":
            failed += 1
            print(f"FAIL {'.'.join(path)}: {status}")
    for s in sorted(expected - seen):
        print(f"FAIL missing suite {s}")
        failed += 1
    print(f"kunit: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


sys.exit(main())
