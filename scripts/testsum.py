#!/usr/bin/env python3
"""testsum.py RESULTS_DIR [--expect FILE]: the one summary of `make test`.

Reads every suite result in RESULTS_DIR: GoogleTest XML (<suite>.xml) and text results whose last
"N passed, N failed" line counts (<suite>.txt). Prints a line per suite and the final line
"N passed, N failed". Fails if anything failed, or if a suite named in FILE ran fewer tests than the
minimum given there ("<glob> <min>" per line), so a suite that silently ran nothing is caught."""
import fnmatch
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

LINE = re.compile(r"(\d+) passed, (\d+) failed")


def read_suite(path):
    if path.endswith(".xml"):
        root = ET.parse(path).getroot()
        tests = int(root.get("tests", 0))
        bad = int(root.get("failures", 0)) + int(root.get("errors", 0))
        skipped = int(root.get("disabled", 0)) + int(root.get("skipped", 0) or 0)
        return tests - bad - skipped, bad
    last = None
    for line in open(path, errors="replace"):
        m = LINE.search(line)
        if m:
            last = (int(m.group(1)), int(m.group(2)))
    return last if last else (0, 1)


def main():
    rdir = sys.argv[1]
    expect = {}
    if "--expect" in sys.argv:
        for line in open(sys.argv[sys.argv.index("--expect") + 1]):
            line = line.split("#")[0].split()
            if len(line) == 2:
                expect[line[0]] = int(line[1])
    totals = [0, 0]
    per = {}
    for path in sorted(glob.glob(os.path.join(rdir, "*.xml")) + glob.glob(os.path.join(rdir, "*.txt"))):
        name = os.path.splitext(os.path.basename(path))[0]
        try:
            p, f = read_suite(path)
        except (ET.ParseError, OSError) as e:
            p, f = 0, 1
            print(f"  {name}: unreadable result ({e})")
        per[name] = (p, f)
        totals[0] += p
        totals[1] += f
        print(f"  {name:40s} {p:6d} passed {f:4d} failed")
    for pattern, minimum in expect.items():
        ran = sum(p + f for n, (p, f) in per.items() if fnmatch.fnmatch(n, pattern))
        if ran < minimum:
            print(f"  MISSING: suites matching '{pattern}' ran {ran} tests, expected at least {minimum}")
            totals[1] += 1
    print(f"{totals[0]} passed, {totals[1]} failed")
    return 1 if totals[1] else 0


sys.exit(main())
