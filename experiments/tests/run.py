#!/usr/bin/python3
"""run.py RESULT.txt: the experiment tool's host tests (unittest); the last line of RESULT.txt is
"N passed, N failed" for scripts/testsum.py."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts"))
suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
with open(sys.argv[1], "w") as out:
    result = unittest.TextTestRunner(stream=out, verbosity=2).run(suite)
    bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)  # not passed: tests/expected.txt's minimum then catches a lost suite
    out.write(f"\nexperiment host tests ({skipped} skipped): {result.testsRun - bad - skipped} passed, {bad} failed\n")
print(open(sys.argv[1]).read().rstrip().splitlines()[-1])
sys.exit(1 if bad or not result.testsRun else 0)
