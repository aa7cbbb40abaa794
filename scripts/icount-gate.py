#!/usr/bin/env python3
"""icount-gate.py RUN: make test's correctness gate on a tick2trade run under OELAB_ACCEL=icount.

Checks that the run really was icount (RUN/accel.json), that the exchange matched every trigger,
and that the guest-side stopwatch has a sample for each order: RUN/tick2trade/stopwatch.jsonl
(contract C2: one object per expected trigger, irq_to_doorbell or rx_to_doorbell set) when the run
wrote one, else the in-driver debugfs histogram hook_to_doorbell with n = orders received. Under
icount the guest path is an instruction count (~1,000 instructions): its p50 must be below 20,000
guest ns (under TCG's wall clock it reads ~26,600 ns). The in-driver fire path itself, RX descriptor
-> doorbell (the histogram's hook_to_doorbell without a stopwatch), is a regression guard: its p50 must
stay within FIRE_P50_MAX_NS (docs/results.md: 1,213 measured; 2,286 when the doorbell stamp counted the
TX interrupt the tail write raises). Instruction time does not depend on host load, so the bound is
not a timing. Prints ok/not ok lines and "icount_gate: N passed, N failed"; exit 1 on a failure."""
import json
import os
import re
import sys

ICOUNT_P50_MAX_NS = 20000
FIRE_P50_MAX_NS = 1600


def main(run):
    res = []

    def check(name, ok, detail=""):
        res.append((name, bool(ok), detail))

    try:
        accel = json.load(open(os.path.join(run, "accel.json")))
    except (OSError, ValueError) as e:
        accel = {"accel": None, "reason": str(e)}
    check("run under icount", accel.get("accel") == "icount", f"accel.json: {accel}")
    d = os.path.join(run, "tick2trade")
    try:
        ex = json.load(open(os.path.join(d, "exchange-report.json")))
        trig, orders = ex["triggers"], ex["orders"]
    except (OSError, ValueError, KeyError) as e:
        check("exchange report", False, str(e))
        return report(res)
    check("every trigger matched", trig["expected"] > 0 and trig["matched"] == trig["expected"]
          and trig["missed"] == 0 and orders["unexpected"] == 0,
          f"expected {trig['expected']} matched {trig['matched']} missed {trig['missed']} "
          f"unexpected {orders['unexpected']}")
    sw = os.path.join(d, "stopwatch.jsonl")
    if os.path.exists(sw):
        rows = [json.loads(line) for line in open(sw) if line.strip()]
        with_sample = [r for r in rows if r.get("irq_to_doorbell") is not None or r.get("rx_to_doorbell") is not None]
        check("stopwatch.jsonl: a guest sample per expected trigger",
              len(rows) == trig["expected"] and len(with_sample) == len(rows),
              f"{len(rows)} rows, {len(with_sample)} with a sample, {trig['expected']} triggers")
        vals = sorted(r.get("irq_to_doorbell") or r.get("rx_to_doorbell") for r in with_sample)
        p50 = vals[len(vals) // 2] if vals else None
        fire = sorted(r["rx_to_doorbell"] for r in with_sample if r.get("rx_to_doorbell") is not None)
        fire_p50 = fire[len(fire) // 2] if fire else None
    else:
        hist = {}
        text = open(os.path.join(d, "histogram.txt"), errors="replace").read() \
            if os.path.exists(os.path.join(d, "histogram.txt")) else ""
        for line in text.splitlines():
            m = re.match(r"(\S+) (n=.*) ns$", line)
            if m:
                hist[m.group(1)] = {k: int(v) for k, v in re.findall(r"([\w.]+)=(\d+)", m.group(2))}
        h = hist.get("hook_to_doorbell", {})
        check("guest hook_to_doorbell: a sample per order", h.get("n") == orders["received"] > 0,
              f"n={h.get('n')} orders={orders['received']} (histograms: {sorted(hist)})")
        p50 = fire_p50 = h.get("p50")
    check(f"guest p50 is instruction time (< {ICOUNT_P50_MAX_NS} guest ns)",
          p50 is not None and p50 < ICOUNT_P50_MAX_NS, f"p50={p50}")
    check(f"in-driver fire path (RX descriptor -> doorbell) p50 <= {FIRE_P50_MAX_NS} guest ns",
          fire_p50 is not None and fire_p50 <= FIRE_P50_MAX_NS, f"p50={fire_p50}")
    return report(res)


def report(res):
    failed = [r for r in res if not r[1]]
    for name, ok, detail in res:
        print(f"{'ok' if ok else 'not ok'} {name}{'' if ok else ': ' + detail}")
    print(f"icount_gate: {len(res) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
