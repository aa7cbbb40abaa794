#!/usr/bin/env python3
"""stopwatch-compare.py: compare guest stopwatch samples (stopwatch.jsonl, contract C2) of two runs or
two variants, per stopwatch (irq_to_doorbell, napi_to_doorbell, rx_to_doorbell), guest ns.

  stopwatch-compare.py repro A.jsonl B.jsonl [--variants "driver uring"]
      reproducibility: per variant and stopwatch, p50 of run A and of run B and their difference in
      % of A's (the 1 % criterion of issue 10), with each p50's 95 % bootstrap CI.
  stopwatch-compare.py paired FILE.jsonl --base driver --other driver-pad [--other-file B.jsonl]
      sensitivity: the same trigger (MD seq, repetition) in both variants; the median of the per-trigger
      differences other - base with its 95 % bootstrap CI, beside the difference of the two p50s.
      Pairing removes what varies from trigger to trigger (book state, position in a NAPI batch) and
      keeps what the variants change.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stopwatch  # noqa: E402  (percentile, bootstrap_ci: one definition of the lab's statistics)

KEYS = ("irq_to_doorbell", "napi_to_doorbell", "rx_to_doorbell")


def load(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    return [r for r in rows if r.get("irq_to_doorbell") is not None]


def by_variant(rows):
    out = {}
    for r in rows:
        out.setdefault(r["variant"], []).append(r)
    return out


def ci(pair):
    return f"[{pair[0]:,}, {pair[1]:,}]" if pair else "[too few samples]"


def repro(args):
    a, b = by_variant(load(args.a)), by_variant(load(args.b))
    names = args.variants.split() if args.variants else [v for v in a if v in b]
    print("| variant | stopwatch | n A | p50 A [95% CI] | n B | p50 B [95% CI] | B - A | within 1 % |")
    print("|---|---|---:|---|---:|---|---:|---|")
    for v in names:
        if v not in a or v not in b:
            print(f"| {v} | - | missing in {'A' if v not in a else 'B'} | | | | | |")
            continue
        for k in KEYS:
            va, vb = [r[k] for r in a[v]], [r[k] for r in b[v]]
            pa, pb = stopwatch.percentile(va, 50), stopwatch.percentile(vb, 50)
            ca, cb = (ci(stopwatch.bootstrap_ci(x, 50)) for x in (va, vb))
            d = 100.0 * (pb - pa) / pa
            print(f"| {v} | {k} | {len(va)} | {pa:,} {ca} | {len(vb)} | {pb:,} {cb} "
                  f"| {d:+.1f} % | {'yes' if abs(d) <= 1.0 else 'no'} |")


def paired(args):
    import numpy as np
    base = [r for r in load(args.file) if r["variant"] == args.base]
    other = [r for r in load(args.other_file or args.file) if r["variant"] == args.other]
    if not base or not other:
        print(f"paired: no samples for {args.base if not base else args.other}", file=sys.stderr)
        return 1
    idx = {(r["rep"], r["seq"]): r for r in base}
    for k in KEYS:
        d = np.array([o[k] - idx[(o["rep"], o["seq"])][k] for o in other if (o["rep"], o["seq"]) in idx])
        rng = np.random.default_rng(1)
        boot = np.median(rng.choice(d, size=(2000, d.size)), axis=1)
        lo, hi = np.percentile(boot, [2.5, 97.5])
        p50d = stopwatch.percentile([o[k] for o in other], 50) - stopwatch.percentile([r[k] for r in base], 50)
        print(f"{k}: {args.other} - {args.base}, {d.size} paired triggers: median {np.median(d):+.0f} ns "
              f"[95% CI {lo:+.0f}, {hi:+.0f}]; difference of p50s {p50d:+d} ns")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("repro")
    r.add_argument("a")
    r.add_argument("b")
    r.add_argument("--variants", default="")
    p = sub.add_parser("paired")
    p.add_argument("file")
    p.add_argument("--base", default="driver")
    p.add_argument("--other", default="driver-pad")
    p.add_argument("--other-file", default="")
    args = ap.parse_args()
    if args.cmd == "repro":
        repro(args)
        return 0
    return paired(args)


if __name__ == "__main__":
    sys.exit(main())
