#!/usr/bin/env python3
"""report.py: the side-by-side tick-to-trade comparison, host side.

Joins the guest's plan (bench-lab.sh's plan.tsv: which variant ran in which order, whether it
connected, guest CPU ticks) with the exchanges' session reports (the session_end events of their
JSON-lines logs, in session order) and writes:
  bench.md    markdown table: medians over repetitions, ratios to the in-driver path, goals
  bench.json  the same numbers, machine-readable, plus every per-session figure
  bench.png   gnuplot: latency percentile curve (p50 .. max) per variant, log scale

  report.py --plan plan.tsv --exchange-log A.log [--bounce-log B.log] --out DIR [--command CMD]
            [--machine TEXT] [--accel accel.json]
--accel: the run's accel.json (qemu/accel.sh); default: the first accel.json in the plan's folder or
its parents up to the run folder.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

PCTS = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p99.9", "p99_9"), ("max", "max")]
# Lower is better; the goal lines compare the in-driver path with these.
GOALS = [
    ("in-driver p50 >= 10x faster than io_uring", "uring", 10.0),
    ("in-driver p50 >= 3x faster than AF_XDP", "xdp", 3.0),
]


def fail(msg):
    print(f"report.py: {msg}", file=sys.stderr)
    sys.exit(2)


def session_reports(path):
    """Session reports in the order the exchange ended them."""
    out = []
    if not path:
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            if ev.get("event") == "session_end" and isinstance(ev.get("report"), dict):
                # A session that published nothing (a connect that raced a link reset, closed at once)
                # is not a measurement: runs are matched to the sessions that carried market data.
                if ev["report"].get("md", {}).get("published", 0) > 0:
                    out.append(ev["report"])
    return out


def read_plan(path):
    runs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 8:
                fail(f"{path}:{n}: expected 8 tab-separated fields, got {len(parts)}")
            rep, variant, ex, ok, busy, total, hz, stats = parts
            runs.append({"rep": int(rep), "variant": variant, "exchange": ex, "connected": ok == "1",
                         "cpu_busy_ticks": int(busy), "cpu_total_ticks": int(total), "hz": int(hz),
                         "stats_file": stats})
    return runs


def attach_sessions(runs, reports_by_ex):
    """Connected runs of each exchange took its sessions in order."""
    cursor = {ex: 0 for ex in reports_by_ex}
    for r in runs:
        r["report"] = None
        if not r["connected"]:
            continue
        reps = reports_by_ex.get(r["exchange"], [])
        i = cursor.get(r["exchange"], 0)
        if i < len(reps):
            r["report"] = reps[i]
            cursor[r["exchange"]] = i + 1
    leftover = {ex: len(v) - cursor.get(ex, 0) for ex, v in reports_by_ex.items()}
    return leftover


def summarize(runs):
    variants = []
    for r in runs:
        if r["variant"] not in variants:
            variants.append(r["variant"])
    rows = []
    for v in variants:
        mine = [r for r in runs if r["variant"] == v]
        good = [r for r in mine if r["report"]]
        row = {"variant": v, "runs": len(mine), "sessions": len(good)}
        for label, key in PCTS:
            vals = [r["report"]["tick_to_trade_ns"][key] for r in good if r["report"]["tick_to_trade_ns"]["count"]]
            row[label] = statistics.median(vals) if vals else None
        row["samples"] = sum(r["report"]["tick_to_trade_ns"]["count"] for r in good)
        row["expected"] = sum(r["report"]["triggers"]["expected"] for r in good)
        row["matched"] = sum(r["report"]["triggers"]["matched"] for r in good)
        row["missed"] = sum(r["report"]["triggers"]["missed"] for r in good)
        row["unexpected"] = sum(r["report"]["orders"]["unexpected"] for r in good)
        row["rejected"] = sum(r["report"]["orders"]["rejected"] for r in good)
        if v == "floor":  # the floor does not bounce snapshot rows; an exchange expecting them counts them missed
            snap = sum(r["report"]["md"]["snapshot_published"] for r in good
                       if r["report"]["triggers"]["expected"] == r["report"]["md"]["published"])
            row["missed"] -= snap
            row["snapshot_not_bounced"] = snap
        cpu = [100.0 * r["cpu_busy_ticks"] / r["cpu_total_ticks"] for r in mine if r["cpu_total_ticks"]]
        row["guest_cpu_pct"] = statistics.median(cpu) if cpu else None
        row["failed_runs"] = len(mine) - len(good)
        rows.append(row)
    base = next((r for r in rows if r["variant"] == "driver" and r["p50"]), None)
    for row in rows:
        row["p50_vs_driver"] = row["p50"] / base["p50"] if base and row["p50"] else None
        row["p99_over_p50"] = row["p99"] / row["p50"] if row["p50"] and row["p99"] else None
    return rows, base


def best(rows, prefix):
    cands = [r for r in rows if (r["variant"] == prefix or r["variant"].startswith(prefix + "-")) and r["p50"]]
    return min(cands, key=lambda r: r["p50"]) if cands else None


def goals(rows, base):
    out = []
    if not base:
        return [{"goal": "in-driver path measured", "met": False, "detail": "no in-driver session"}]
    for text, prefix, factor in GOALS:
        plain = next((r for r in rows if r["variant"] == prefix and r["p50"]), None)
        top = best(rows, prefix)
        for tag, r in (("plain", plain), ("best variant", top)):
            if not r:
                continue
            ratio = r["p50"] / base["p50"]
            out.append({"goal": f"{text} ({tag}: {r['variant']})", "met": ratio >= factor,
                        "detail": f"{ratio:.2f}x"})
    floor = next((r for r in rows if r["variant"] == "floor" and r["p50"]), None)
    if floor:
        ratio = base["p50"] / floor["p50"]
        out.append({"goal": "in-driver p50 within 1.15x of the XDP_TX floor", "met": ratio <= 1.15,
                    "detail": f"{ratio:.2f}x"})
    if base["p99_over_p50"]:
        out.append({"goal": "in-driver p99/p50 <= 2", "met": base["p99_over_p50"] <= 2,
                    "detail": f"{base['p99_over_p50']:.2f}"})
    out.append({"goal": "in-driver: zero missed triggers", "met": base["missed"] == 0 and base["unexpected"] == 0,
                "detail": f"missed {base['missed']}, unexpected {base['unexpected']}"})
    return out


def us(ns):
    return "-" if ns is None else f"{ns / 1000:.1f}"


def load_accel(path, plan):
    if not path:
        d = os.path.dirname(os.path.abspath(plan))
        for _ in range(4):
            if os.path.isfile(os.path.join(d, "accel.json")):
                path = os.path.join(d, "accel.json")
                break
            d = os.path.dirname(d)
    try:
        return json.load(open(path))
    except (OSError, ValueError, TypeError):
        return {"accel": None, "reason": "no accel.json found"}


def markdown(rows, gl, args, leftover, accel):
    lines = []
    lines.append(f"Accelerator: **{accel.get('accel') or 'unknown'}** (requested {accel.get('requested')}: "
                 f"{accel.get('reason')})  ")
    if args.command:
        lines.append(f"Command: `{args.command}`  ")
    if args.machine:
        lines.append(f"Machine: {args.machine}  ")
    lines.append("Tick-to-trade as measured by the exchange (its RX stamp of the order minus its TX stamp of "
                 "the trigger), medians over repetitions, microseconds.\n")
    lines.append("| variant | p50 | p90 | p99 | p99.9 | max | p50 vs in-driver | p99/p50 | samples | missed | "
                 "unexpected | guest CPU % | failed runs |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = "-" if r["p50_vs_driver"] is None else f"{r['p50_vs_driver']:.2f}x"
        tail = "-" if r["p99_over_p50"] is None else f"{r['p99_over_p50']:.2f}"
        cpu = "-" if r["guest_cpu_pct"] is None else f"{r['guest_cpu_pct']:.1f}"
        lines.append(f"| {r['variant']} | {us(r['p50'])} | {us(r['p90'])} | {us(r['p99'])} | {us(r['p99.9'])} | "
                     f"{us(r['max'])} | {ratio} | {tail} | {r['samples']} | {r['missed']} | {r['unexpected']} | "
                     f"{cpu} | {r['failed_runs']} |")
    lines.append("")
    if any(r["variant"] == "floor" for r in rows):
        lines.append("floor: every incremental MD frame is bounced (XDP_TX), so its samples are all MD rows, not "
                     "just triggers; snapshot rows are not bounced.\n")
    lines.append("| goal | met | value |")
    lines.append("|---|---|---|")
    for g in gl:
        lines.append(f"| {g['goal']} | {'yes' if g['met'] else 'NO'} | {g['detail']} |")
    if any(leftover.values()):
        lines.append(f"\nWarning: exchange sessions without a matching run: {leftover}")
    return "\n".join(lines) + "\n"


def plot(rows, out_dir):
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed"
    data = os.path.join(out_dir, "bench.dat")
    curves = [r for r in rows if r["p50"]]
    with open(data, "w") as f:
        for r in curves:
            f.write(f"# {r['variant']}\n")
            for i, (label, _) in enumerate(PCTS):
                if r[label] is not None:
                    f.write(f"{i} {r[label] / 1000:.3f} {label}\n")
            f.write("\n\n")
    plots = ", ".join(f"'{data}' index {i} using 1:2:xtic(3) with linespoints title '{r['variant']}'"
                      for i, r in enumerate(curves))
    script = (f"set terminal pngcairo size 1200,700 noenhanced\nset output '{os.path.join(out_dir, 'bench.png')}'\n"
              "set title 'tick-to-trade by variant (exchange stopwatch, medians over repetitions)'\n"
              "set logscale y\nset ylabel 'microseconds'\nset xlabel 'percentile'\nset key outside right\n"
              "set grid ytics mytics\n"
              f"plot {plots}\n")
    if not curves:
        return "no data to plot"
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        # pngcairo may be missing in gnuplot-nox builds: fall back to the plain png terminal
        r = subprocess.run([gp], input=script.replace("pngcairo", "png"), text=True, capture_output=True)
    return None if r.returncode == 0 else r.stderr.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--exchange-log", required=True, help="exchange A's JSON-lines log (all strategies)")
    ap.add_argument("--bounce-log", help="exchange B's log (the XDP_TX floor, bounce mode)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="")
    ap.add_argument("--machine", default="")
    ap.add_argument("--accel", help="the run's accel.json")
    args = ap.parse_args()
    for p in (args.plan, args.exchange_log) + ((args.bounce_log,) if args.bounce_log else ()):
        if not os.path.isfile(p):
            fail(f"no such file: {p}")
    os.makedirs(args.out, exist_ok=True)
    runs = read_plan(args.plan)
    leftover = attach_sessions(runs, {"A": session_reports(args.exchange_log), "B": session_reports(args.bounce_log)})
    rows, base = summarize(runs)
    gl = goals(rows, base)
    accel = load_accel(args.accel, args.plan)
    md = markdown(rows, gl, args, leftover, accel)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump({"accel": accel.get("accel"), "accel_detail": accel,
                   "command": args.command, "machine": args.machine, "variants": rows, "goals": gl,
                   "unmatched_sessions": leftover,
                   "runs": [{k: v for k, v in r.items() if k != "report"} |
                            {"tick_to_trade_ns": r["report"]["tick_to_trade_ns"] if r["report"] else None,
                             "triggers": r["report"]["triggers"] if r["report"] else None}
                            for r in runs]}, f, indent=1)
    err = plot(rows, args.out)
    if err:
        print(f"report.py: no plot: {err}", file=sys.stderr)
    sys.stdout.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
