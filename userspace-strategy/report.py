#!/usr/bin/env python3
"""report.py: the side-by-side tick-to-trade comparison, host side.

Joins the guest's plan (bench-lab.sh's plan.tsv: which variant ran in which order, whether it
connected, guest CPU ticks) with the exchanges' session reports (the session_end events of their
JSON-lines logs, in session order) and with igb_oe's stopwatch records of each run (REP-VARIANT.
stopwatch.txt next to the plan, joined per trigger by scripts/stopwatch.py), and writes:
  bench.md         the guest-side stopwatch table (the primary figure: irq -> doorbell, p50/p99 with
                   95% CIs, every variant timed at the same points in the guest), the per-stage
                   breakdown, the exchange-side table beside it, goals
  bench.json       the same numbers, machine-readable (contract C2: "accel", per variant "guest" and
                   "stages"), plus every per-session figure
  stopwatch.jsonl  one sample per trigger the exchange expected (contract C2)
  bench.png        gnuplot: exchange-side latency percentile curve per variant, log scale
  stages.png       gnuplot: stacked bars of the per-stage medians per variant

  report.py --plan plan.tsv --exchange-log A.log [--bounce-log B.log] --out DIR [--command CMD]
            [--machine TEXT] [--accel accel.json] [--pad-insns N]
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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import qemu_stages  # noqa: E402  (scripts/qemu_stages.py)
import stopwatch  # noqa: E402  (scripts/stopwatch.py)

PCTS = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p99.9", "p99_9"), ("max", "max")]
# Lower is better; the goal lines compare the in-driver path's guest-side irq -> doorbell p50
# with the best variant of each family (issue 10, item 5).
GOALS = [
    ("in-driver guest p50 >= 20x faster than the best io_uring variant", "uring", 20.0),
    ("in-driver guest p50 >= 5x faster than the best AF_XDP variant", "xdp", 5.0),
]
FLOOR_FACTOR = 1.15
TAIL_FACTOR = 1.5
STAGE_TITLES = {
    "host_send_to_tap_read": "host: exchange send -> QEMU reads the tap",
    "host_tap_read_to_msix": "host: igb model DMA + MSI-X",
    "irq_to_napi": "guest: MSI-X -> NAPI poll",
    "napi_to_rx": "guest: NAPI poll -> RX descriptor",
    "rx_to_doorbell": "guest: RX descriptor -> doorbell (delivery, decision, TX)",
    "host_tx_to_exchange_rx": "host: QEMU TX -> tap -> exchange RX",
}


def fail(msg):
    print(f"report.py: {msg}", file=sys.stderr)
    sys.exit(2)


def session_reports(path):
    """Session reports in the order the exchange ended them."""
    # A session that published nothing (a connect that raced a link reset, closed at once) is not a
    # measurement: runs are matched to the sessions that carried market data.
    return [s["report"] for s in stopwatch.exchange_sessions(path).values()
            if s["report"] and s["report"].get("md", {}).get("published", 0) > 0]


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


def join_stopwatch(runs, plan_dir, sessions_by_ex, trace=None, lengths=None):
    """Per run: its stopwatch samples, one per trigger its session expected (scripts/stopwatch.py),
    with the host stages from QEMU's trace when the run recorded one (scripts/qemu_stages.py)."""
    for r in runs:
        r["stopwatch"] = []
        if not r["report"]:
            continue
        recs = stopwatch.read_records(os.path.join(plan_dir, f"{r['rep']}-{r['variant']}.stopwatch.txt"))
        session = sessions_by_ex.get(r["exchange"], {}).get(r["report"].get("session"))
        if session is None:
            session = {"report": r["report"], "orders": [], "bounces": []}
        host = qemu_stages.host_stages(trace, session, lengths or {}) if trace else None
        r["stopwatch"] = stopwatch.join(recs, session, r["variant"], r["rep"], host)
        r["stopwatch_dropped"] = int(recs["header"].get("dropped", 0)) if recs else None


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
        samples = [s for r in good for s in r.get("stopwatch", [])]
        row["guest"], row["stages"] = stopwatch.summarize(samples)
        row["stages_n"] = {k: sum(1 for x in samples if x["stages"].get(k) is not None) for k in stopwatch.STAGES}
        row["guest_rx_to_doorbell"], _ = stopwatch.summarize(samples, "rx_to_doorbell")
        row["guest_napi_to_doorbell"], _ = stopwatch.summarize(samples, "napi_to_doorbell")
        # the exchange's figure pooled over every trigger of every repetition, with 95% CIs (item 4)
        ex, _ = stopwatch.summarize(samples, "exchange_ns")
        row["exchange"] = {k: v for k, v in ex.items() if k not in ("irq_source", "unmeasured")} | {"unit": "host ns"}
        rows.append(row)
    base = next((r for r in rows if r["variant"] == "driver" and r["p50"]), None)
    for row in rows:
        row["p50_vs_driver"] = row["p50"] / base["p50"] if base and row["p50"] else None
        row["p99_over_p50"] = row["p99"] / row["p50"] if row["p50"] and row["p99"] else None
    return rows, base


def gp50(row):
    return row["guest"]["p50"] if row and row.get("guest") else None


def best(rows, prefix):
    cands = [r for r in rows if (r["variant"] == prefix or r["variant"].startswith(prefix + "-")) and gp50(r)]
    return min(cands, key=gp50) if cands else None


def goals(rows, base, pad_insns=0):
    """Guest-side goals (irq -> doorbell p50, the same stopwatch on every path)."""
    out = []
    drv, pad = (next((r for r in rows if r["variant"] == v and gp50(r)), None) for v in ("driver", "driver-pad"))
    if drv and pad and pad_insns > 0:
        moved = gp50(pad) - gp50(drv)
        out.append({"goal": f"sensitivity: {pad_insns} no-ops on the fire path (driver-pad) move the in-driver guest "
                            f"p50 by {pad_insns} +- 10%", "met": abs(moved - pad_insns) <= 0.1 * pad_insns,
                    "detail": f"{moved:+d} ns ({gp50(pad)} vs {gp50(drv)} ns)"})
    drv = next((r for r in rows if r["variant"] == "driver"), None)
    if not drv or not gp50(drv):
        return [{"goal": "in-driver path measured by the guest stopwatch", "met": False,
                 "detail": "no in-driver guest sample"}]
    d = gp50(drv)
    floor = next((r for r in rows if r["variant"] == "floor" and gp50(r)), None)
    if floor:
        ratio = d / gp50(floor)
        out.append({"goal": f"in-driver guest p50 <= {FLOOR_FACTOR}x the XDP_TX floor", "met": ratio <= FLOOR_FACTOR,
                    "detail": f"{ratio:.2f}x ({d} vs {gp50(floor)} ns)"})
    for text, prefix, factor in GOALS:
        top = best(rows, prefix)
        if top:
            ratio = gp50(top) / d
            out.append({"goal": f"{text} ({top['variant']})", "met": ratio >= factor,
                        "detail": f"{ratio:.2f}x ({gp50(top)} vs {d} ns)"})
    p99 = drv["guest"]["p99"]
    if p99:
        out.append({"goal": f"in-driver guest p99/p50 <= {TAIL_FACTOR}", "met": p99 / d <= TAIL_FACTOR,
                    "detail": f"{p99 / d:.2f} (p99 {p99} ns, n={drv['guest']['n']})"})
    if base:
        out.append({"goal": "in-driver: zero missed triggers", "met": base["missed"] == 0 and base["unexpected"] == 0,
                    "detail": f"missed {base['missed']}, unexpected {base['unexpected']}"})
    return out


def us(ns):
    return "-" if ns is None else f"{ns / 1000:.1f}"


def ns(v):
    return "-" if v is None else f"{v:,}"


def ci(v):
    return "-" if not v else f"[{v[0]:,}, {v[1]:,}]"


def ci_us(v):
    return "-" if not v else f"[{us(v[0])}, {us(v[1])}]"


def unit_label(accel):
    return ("guest ns, icount: 1 instruction = 1 ns" if accel == "icount" else
            f"guest ns, {accel}: guest clock, emulator wall time, not the cost of the code" if accel == "tcg" else
            f"guest ns, {accel}")


def guest_tables(rows, accel):
    lines = [f"## Guest-side stopwatch ({unit_label(accel)})", "",
             "The same points on every path, stamped by igb_oe inside the guest: the MSI-X entry that started "
             "the NAPI poll which saw the MD frame's descriptor, that poll's entry, the descriptor, and the tail "
             "write of the frame that carried the order. One sample per trigger the exchange expected, joined by "
             "MD seq (`stopwatch.jsonl`); percentiles at 1 ns, 95% bootstrap CIs.", "",
             "| variant | irq->doorbell p50 | p50 95% CI | p90 | p99 | p99 95% CI | p99/p50 | rx->doorbell p50 | "
             "napi->doorbell p50 | n / expected | irq source |",
             "|---|---:|---|---:|---:|---|---:|---:|---:|---:|---|"]
    busy = []
    for r in rows:
        g = r["guest"]
        tail = f"{g['p99'] / g['p50']:.2f}" if g["p50"] and g["p99"] else "-"
        src = ", ".join(f"{k} {v}" for k, v in g["irq_source"].items()) or "-"
        if g["irq_source"].get("poll", 0) > g["irq_source"].get("msix", 0):
            busy.append(r["variant"])
        lines.append(f"| {r['variant']} | {ns(g['p50'])} | {ci(g['p50_ci'])} | {ns(g['p90'])} | {ns(g['p99'])} | "
                     f"{ci(g['p99_ci'])} | {tail} | {ns(r['guest_rx_to_doorbell']['p50'])} | "
                     f"{ns(r['guest_napi_to_doorbell']['p50'])} | {g['n']} / {g['expected']} | {src} |")
    lines.append("")
    if busy:
        lines.append(f"irq source `poll`: no interrupt started the poll that saw the descriptor (busy polling, a "
                     f"re-poll or a kick); for those samples `irq` is that poll's entry ({', '.join(busy)}: mostly "
                     "polled).\n")
    lines += ["## Per-stage breakdown (medians, ns; in brackets: triggers with that stage measured)", "",
              "| variant | " + " | ".join(STAGE_TITLES[k] for k in stopwatch.STAGES) + " |",
              "|---|" + "---:|" * len(stopwatch.STAGES)]
    for r in rows:
        n = r.get("stages_n") or {}
        lines.append(f"| {r['variant']} | " + " | ".join(
            "not measured" if r["stages"].get(k) is None else f"{r['stages'][k]:,} [{n.get(k, '?')}]"
            for k in stopwatch.STAGES) + " |")
    lines += ["", "![per-stage medians](stages.png)", "",
              f"Guest stages in {unit_label(accel)}; host stages in host ns (wall clock: QEMU's trace events "
              "against the exchange's kernel stamps, CLOCK_REALTIME, exact to +-0.5 us; the trace writes "
              "themselves are inside them, scripts/qemu_stages.py). `not measured`: no stamp exists for that "
              "stage in this run (host stages need the QEMU trace: make bench-lab records it, "
              "BENCH_QEMU_TRACE=0 turns it off; `MSI-X -> NAPI` does not exist for polled samples; "
              "`igb model DMA + MSI-X` not for frames that arrived while the vector was masked). Nothing is "
              "filled in by subtraction.", ""]
    return lines



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
    lines.append("")
    lines += guest_tables(rows, args.accel_mode)
    lines.append("## Exchange side (host clock, beside the guest figure)\n")
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
    lines.append("Pooled over every trigger of every repetition, with 95% bootstrap CIs (microseconds):\n")
    lines.append("| variant | n | p50 | p50 95% CI | p99 | p99 95% CI |")
    lines.append("|---|---:|---:|---|---:|---|")
    for r in rows:
        e = r["exchange"]
        lines.append(f"| {r['variant']} | {e['n']} | {us(e['p50'])} | {ci_us(e['p50_ci'])} | {us(e['p99'])} | "
                     f"{ci_us(e['p99_ci'])} |")
    lines.append("")
    if any(r["variant"] == "floor" for r in rows):
        lines.append("floor: every incremental MD frame is bounced (XDP_TX), so its samples are all MD rows, not "
                     "just triggers; snapshot rows are not bounced.\n")
    lines.append("Goals (guest-side irq -> doorbell p50, issue 10):\n")
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


def plot_stages(rows, out_dir, accel):
    """Stacked bars: per variant, the median of each measured stage (log-free, guest ns)."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed"
    rows = [r for r in rows if any(v is not None for v in r["stages"].values())]
    if not rows:
        return "no stage data to plot"
    names = [k for k in stopwatch.STAGES if any(r["stages"].get(k) is not None for r in rows)]
    missing = [STAGE_TITLES[k] for k in stopwatch.STAGES if k not in names]
    data = os.path.join(out_dir, "stages.dat")
    with open(data, "w") as f:
        f.write("variant " + " ".join(names) + "\n")
        for r in rows:
            f.write(r["variant"] + " " + " ".join(str(r["stages"].get(k) or 0) for k in names) + "\n")
    cols = ", ".join(f"'{data}' using {i + 2}{':xtic(1)' if i == 0 else ''} title '{STAGE_TITLES[k]}'"
                     for i, k in enumerate(names))
    title = f"per-stage medians by variant ({unit_label(accel)})"
    if missing:
        title += "\\nnot measured: " + "; ".join(missing)
    script = (f"set terminal pngcairo size 1300,700 noenhanced\nset output '{os.path.join(out_dir, 'stages.png')}'\n"
              f"set title \"{title}\"\nset style data histograms\nset style histogram rowstacked\n"
              "set style fill solid 0.8 border -1\nset boxwidth 0.7\nset ylabel 'ns (guest stages: guest clock; host stages: host clock)'\nset xtics rotate by -30\n"
              "set key outside right\nset grid ytics\nset yrange [0:*]\n"
              f"plot {cols}\n")
    r = subprocess.run([gp], input=script, text=True, capture_output=True)
    if r.returncode != 0:
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
    ap.add_argument("--accel", "--accel-json", dest="accel", help="the run's accel.json")
    ap.add_argument("--pad-insns", type=int, default=0, help="OE_FIRE_PAD_INSNS of the driver-pad variant")
    ap.add_argument("--qemu-trace", help="QEMU's trace log of the run (host stages, scripts/qemu_stages.py)")
    ap.add_argument("--md-file", help="the MD file the exchanges replayed (frame lengths for the host stages)")
    args = ap.parse_args()
    accel = load_accel(args.accel, args.plan)
    args.accel_mode = accel.get("accel") or "unknown"
    for p in (args.plan, args.exchange_log) + ((args.bounce_log,) if args.bounce_log else ()):
        if not os.path.isfile(p):
            fail(f"no such file: {p}")
    os.makedirs(args.out, exist_ok=True)
    runs = read_plan(args.plan)
    leftover = attach_sessions(runs, {"A": session_reports(args.exchange_log), "B": session_reports(args.bounce_log)})
    trace = lengths = None
    if args.qemu_trace and args.md_file:
        trace = qemu_stages.read_trace(args.qemu_trace)
        lengths = qemu_stages.md_frame_lengths(args.md_file)
        if trace is None:
            print(f"report.py: no QEMU trace {args.qemu_trace}: host stages not measured", file=sys.stderr)
    join_stopwatch(runs, os.path.dirname(os.path.abspath(args.plan)),
                   {"A": stopwatch.exchange_sessions(args.exchange_log),
                    "B": stopwatch.exchange_sessions(args.bounce_log)}, trace, lengths)
    stopwatch.write_jsonl(os.path.join(args.out, "stopwatch.jsonl"), [s for r in runs for s in r["stopwatch"]])
    rows, base = summarize(runs)
    gl = goals(rows, base, args.pad_insns)
    md = markdown(rows, gl, args, leftover, accel)
    with open(os.path.join(args.out, "bench.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump({"accel": accel.get("accel"), "accel_detail": accel, "guest_unit": unit_label(args.accel_mode),
                   "command": args.command, "machine": args.machine, "variants": rows, "goals": gl,
                   "host_stages": {"source": "QEMU trace events (scripts/qemu_stages.py)", "unit": "host ns",
                                   "events": trace.counts} if trace else None,
                   "unmatched_sessions": leftover,
                   "runs": [{k: v for k, v in r.items() if k not in ("report", "stopwatch")} |
                            {"tick_to_trade_ns": r["report"]["tick_to_trade_ns"] if r["report"] else None,
                             "triggers": r["report"]["triggers"] if r["report"] else None}
                            for r in runs]}, f, indent=1)
    err = plot(rows, args.out)
    if err:
        print(f"report.py: no plot: {err}", file=sys.stderr)
    err = plot_stages(rows, args.out, args.accel_mode)
    if err:
        print(f"report.py: no stage plot: {err}", file=sys.stderr)
    sys.stdout.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
