#!/usr/bin/env python3
"""lab-report.py check RUN | report RUN RESULTS_DIR

check:  verify a tick2trade run — the guest's checks (ok/not ok lines) and the exchange's
        reconciliation (orders == expected triggers, zero missed, zero unexpected, guest and exchange
        agree on the order count); prints "N passed, N failed", exit 1 on any failure.
report: write RESULTS_DIR/<stamp>/{report.md,report.json,stopwatch.jsonl,histogram.png} from the run
        and print the markdown: the reconciliation, the guest-side stopwatch per trigger (percentiles
        with 95% CIs, scripts/stopwatch.py), the exchange-side tick-to-trade distribution beside it,
        the guest-side histograms (debugfs) and ethtool -S. The accelerator comes from the run's
        accel.json (contract C1)."""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stopwatch  # noqa: E402

GUEST_CHECKS = 11


def load(run):
    d = os.path.join(run, "tick2trade")
    r = {"dir": d}
    try:
        r["exchange"] = json.load(open(os.path.join(d, "exchange-report.json")))
    except (OSError, ValueError) as e:
        r["exchange_error"] = str(e)
    r["log"] = read(os.path.join(d, "log.txt"))
    r["ethtool"] = parse_ethtool(read(os.path.join(d, "ethtool-S.txt")))
    r["hist"] = parse_hist(read(os.path.join(d, "histogram.txt")))
    r["summary"] = read(os.path.join(d, "summary.txt")).strip()
    sessions = stopwatch.exchange_sessions(os.path.join(d, "exchange.log"))
    session = sessions.get(r["exchange"]["session"]) if r.get("exchange") else None
    if r.get("exchange") and session is None:
        session = {"report": r["exchange"], "orders": [], "bounces": []}
    r["stopwatch"] = stopwatch.join(stopwatch.read_records(os.path.join(d, "stopwatch.txt")), session, "driver", 1)
    r["accel"] = load_accel(run)
    return r


def load_accel(run):
    """RUN/accel.json (qemu/accel.sh, contract C1): the accelerator the guest ran under."""
    try:
        return json.load(open(os.path.join(run, "accel.json")))
    except (OSError, ValueError):
        return {"accel": None, "requested": None, "reason": "no accel.json in the run folder",
                "guest_time": "guest ns, accelerator unknown"}


def accel_line(a):
    return (f"Accelerator: **{a['accel'] or 'unknown'}** (requested {a.get('requested')}: {a.get('reason')}); "
            f"guest-side figures are {a.get('guest_time')}.")


def read(path):
    try:
        return open(path, errors="replace").read()
    except OSError:
        return ""


def parse_ethtool(text):
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s+([\w.-]+):\s+(-?\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def parse_hist(text):
    """debugfs: '<name> n=.. mean=.. p50=.. ... ns' then '  lo-hi count' bucket lines."""
    hists, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"(\S+) (n=.*) ns$", line)
        if m:
            cur = {"buckets": []}
            for k, v in re.findall(r"([\w.]+)=(\d+)", m.group(2)):
                cur[k] = int(v)
            hists[m.group(1)] = cur
            continue
        m = re.match(r"\s+(\d+)-(\d+) (\d+)$", line)
        if m and cur is not None:
            cur["buckets"].append([int(m.group(1)), int(m.group(2)), int(m.group(3))])
    return hists


def checks(r):
    res = []
    for line in r["log"].splitlines():
        if line.startswith("ok "):
            res.append((line[3:], True, ""))
        elif line.startswith("not ok "):
            res.append((line[7:], False, "guest check failed"))
    ran = len(res)
    if ran < GUEST_CHECKS:
        res.append(("guest checks ran", False, f"only {ran} of {GUEST_CHECKS}"))
    ex = r.get("exchange")
    if ex is None:
        res.append(("exchange report", False, r.get("exchange_error", "missing")))
        return res
    trig, orders = ex["triggers"], ex["orders"]
    res.append(("exchange: triggers expected > 0", trig["expected"] > 0, f"expected={trig['expected']}"))
    res.append(("exchange: zero missed triggers", trig["missed"] == 0, f"missed={trig['missed']}"))
    res.append(("exchange: zero unexpected orders", orders["unexpected"] == 0, f"unexpected={orders['unexpected']}"))
    res.append(("exchange: every trigger matched", trig["matched"] == trig["expected"],
                f"matched={trig['matched']} expected={trig['expected']}"))
    res.append(("exchange: no rejected/truncated orders", orders["rejected"] == 0 and orders["truncated"] == 0,
                f"rejected={orders['rejected']} truncated={orders['truncated']}"))
    res.append(("exchange: reconciled", bool(ex.get("reconciled")), ex.get("end_reason", "")))
    seen, published = r["ethtool"].get("oe_md_frames"), ex["md"]["published"]
    res.append(("guest saw every MD packet the exchange published", seen == published,
                f"guest oe_md_frames={seen} published={published} "
                f"(NIC rx_missed_errors={r['ethtool'].get('rx_missed_errors')}, "
                f"rx_no_buffer_count={r['ethtool'].get('rx_no_buffer_count')})"))
    sent = r["ethtool"].get("oe_orders_sent")
    res.append(("guest orders_sent == exchange orders received", sent == orders["received"],
                f"guest={sent} exchange={orders['received']}"))
    timed = sum(1 for s in r["stopwatch"] if s["irq_to_doorbell"] is not None)
    res.append(("guest stopwatch: a sample for every matched trigger", timed == trig["matched"] and timed > 0,
                f"samples={timed} matched={trig['matched']}"))
    return res


def cmd_check(run):
    r = load(run)
    stopwatch.write_jsonl(os.path.join(r["dir"], "stopwatch.jsonl"), r["stopwatch"])
    res = checks(r)
    failed = [c for c in res if not c[1]]
    for name, ok, why in res:
        print(f"{'ok' if ok else 'FAIL'} {name}{'' if ok else ': ' + why}")
    print(f"tick2trade: {len(res) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def fmt_ns(v):
    return f"{v / 1000:.1f} µs" if isinstance(v, (int, float)) else "-"


def cmd_report(run, results_root):
    r = load(run)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = os.path.join(results_root, stamp)
    os.makedirs(out, exist_ok=True)
    ex = r.get("exchange", {})
    t2t = ex.get("tick_to_trade_ns", {})
    accel = r["accel"]
    md = [f"# tick-to-trade lab report ({stamp})", "",
          f"Run folder: `{run}`  ", accel_line(accel), ""]
    md += ["## Reconciliation (exchange)", ""]
    for name, ok, why in checks(r):
        md.append(f"- {'✅' if ok else '❌'} {name}{'' if ok else ' — ' + why}")
    if ex:
        md += ["", f"Published {ex['md']['published']} MD packets ({ex['md']['snapshot_published']} snapshot), "
               f"{ex['orders']['received']} orders received, {ex['triggers']['expected']} triggers expected, "
               f"pace {ex['pace']['rate']} msgs/s, TX stamps: {ex['timestamps']['tx_method']}.", ""]
    g, stages = stopwatch.summarize(r["stopwatch"])
    label = accel.get("guest_time") or ("guest ns, icount: 1 instruction = 1 ns" if accel["accel"] == "icount"
                                        else f"guest ns, {accel['accel']}: emulator wall time")
    md += [f"## Tick-to-trade, guest-side stopwatch ({label})", "",
           "Per trigger the exchange expected (`stopwatch.jsonl`): MSI-X entry -> doorbell, NAPI entry -> "
           "doorbell, RX descriptor -> doorbell; percentiles at 1 ns, 95% bootstrap CIs.", "",
           "| stopwatch | n | p50 | p50 95% CI | p90 | p99 | p99 95% CI |", "|---|---|---|---|---|---|---|"]
    for key in ("irq_to_doorbell", "napi_to_doorbell", "rx_to_doorbell"):
        s, _ = stopwatch.summarize(r["stopwatch"], key)
        md.append(f"| {key} | {s['n']} / {s['expected']} | {s['p50']} | {s['p50_ci']} | {s['p90']} | {s['p99']} | "
                  f"{s['p99_ci']} |")
    md += ["", "Stage medians (guest ns; null = not measured): " +
           ", ".join(f"{k} {v}" for k, v in stages.items()), ""]
    md += ["## Tick-to-trade, exchange side (trigger MD packet TX stamp → order RX stamp, on the tap)", "",
           "| n | min | p50 | p90 | p99 | p99.9 | max |", "|---|---|---|---|---|---|---|"]
    md.append("| {} | {} | {} | {} | {} | {} | {} |".format(t2t.get("count", 0), *[fmt_ns(t2t.get(k)) for k in
              ("min", "p50", "p90", "p99", "p99_9", "max")]))
    # Under icount a guest figure is an instruction count: shown in ns, never as wall-clock µs.
    guest_fmt = (lambda v: f"{v} ns" if isinstance(v, int) else "-") if accel["accel"] == "icount" else fmt_ns
    md += ["", f"This includes QEMU ({accel['accel'] or 'accelerator unknown'}) running the guest and the igb "
           "device model in both", "directions; the guest-side figures below isolate what the driver path itself costs.", "",
           f"## Guest side (igb_oe debugfs histograms; {accel.get('guest_time')})", "",
           "| path | n | mean | p50 | p90 | p99 | p99.9 | max |", "|---|---|---|---|---|---|---|---|"]
    for name, h in r["hist"].items():
        md.append(f"| {name} | {h.get('n', 0)} | " + " | ".join(guest_fmt(h.get(k)) for k in
                  ("mean", "p50", "p90", "p99", "p99.9", "max")) + " |")
    if r["summary"]:
        md += ["", "dmesg:", "```", r["summary"], "```"]
    md += ["", "## ethtool -S (order-entry counters)", "", "```"]
    md += [f"{k}: {v}" for k, v in r["ethtool"].items() if k.startswith(("oe_", "igboe_")) and v]
    md += ["```", ""]
    png = plot(r["hist"], ex.get("tick_to_trade_samples_ns", []), out)
    if png:
        md += ["![guest-side latency histogram](histogram.png)", ""]
    text = "\n".join(md)
    open(os.path.join(out, "report.md"), "w").write(text)
    stopwatch.write_jsonl(os.path.join(out, "stopwatch.jsonl"), r["stopwatch"])
    json.dump({"accel": accel["accel"], "accel_detail": accel, "guest": g, "stages": stages,
               "exchange": ex, "guest_histograms": r["hist"], "ethtool": r["ethtool"],
               "checks": [{"name": n, "ok": ok, "detail": w} for n, ok, w in checks(r)]},
              open(os.path.join(out, "report.json"), "w"), indent=2)
    for f in ("exchange-report.json", "exchange.log", "histogram.txt", "ethtool-S.txt", "stopwatch.txt"):
        if os.path.exists(os.path.join(r["dir"], f)):
            shutil.copy(os.path.join(r["dir"], f), out)
    print(text)
    print(f"\nreport written to {out}/ (report.md, report.json{', histogram.png' if png else ''})")
    return 0


def plot(hists, samples, out):
    """Two panels: the exchange's per-order tick-to-trade (log-binned counts) and the guest's
    debugfs histograms, on the same log-µs axis."""
    if not shutil.which("gnuplot") or not (samples or any(h["buckets"] for h in hists.values())):
        return None
    series = []
    if samples:
        bins = {}
        for ns in samples:
            b = max(0, int(math.log10(max(ns, 1000) / 1000.0) * 10))  # 10 bins per decade of µs
            bins[b] = bins.get(b, 0) + 1
        path = os.path.join(out, "exchange-samples.dat")
        with open(path, "w") as f:
            for b in sorted(bins):
                f.write(f"{10 ** ((b + 0.5) / 10)} {bins[b]}\n")
        series.append(f"'{path}' using 1:2 with linespoints lw 2 title 'exchange: MD TX -> order RX (per order)'")
    for name, h in hists.items():
        if not h["buckets"]:
            continue
        path = os.path.join(out, f"hist-{name}.dat")
        with open(path, "w") as f:
            for lo, hi, c in h["buckets"]:
                f.write(f"{(lo + hi) / 2000.0} {c}\n")
        series.append(f"'{path}' using 1:2 with linespoints title 'guest: {name}'")
    script = (f"set terminal pngcairo size 1000,550 noenhanced; set output '{out}/histogram.png';"
              "set logscale x; set xlabel 'latency (µs, log scale)'; set ylabel 'count';"
              "set title 'tick-to-trade: exchange stopwatch vs guest-side igb_oe histograms'; set grid;"
              "set key top right;"
              f"plot {', '.join(series)}")
    r = subprocess.run(["gnuplot", "-e", script], capture_output=True, text=True)
    if r.returncode:
        print(f"gnuplot: {r.stderr.strip()}", file=sys.stderr)
        return None
    return os.path.join(out, "histogram.png")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(cmd_check(sys.argv[2]))
    if len(sys.argv) >= 4 and sys.argv[1] == "report":
        sys.exit(cmd_report(sys.argv[2], sys.argv[3]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
