"""experiment_results.py: one step's outputs -> its result record, and the per-repetition progress line.

Exchange side: the step's session report (exchange --report), every matched order's tick-to-trade
(tick_to_trade_samples_ns, host wall time on the tap). Guest side: contract C2's stopwatch.jsonl
(one object per trigger the exchange expected, ns of guest time) when the lab's report writer
produced one for the step; never made up from anything else.
"""
import glob
import json
import os

import numpy as np


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def session_report(sdir):
    """The step's one session report: the --report file, else the last session_end in the log."""
    rep = read_json(os.path.join(sdir, "exchange-report.json"))
    if isinstance(rep, dict):
        return rep
    try:
        with open(os.path.join(sdir, "exchange.log")) as f:
            for line in f:
                if line.startswith("{"):
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue
                    if ev.get("event") == "session_end" and isinstance(ev.get("report"), dict):
                        rep = ev["report"]
    except OSError:
        pass
    return rep if isinstance(rep, dict) else None


def stopwatch_records(sdir, variant):
    """C2 records of this step's variant, from any stopwatch.jsonl the step produced."""
    out = []
    for path in sorted(glob.glob(os.path.join(sdir, "**", "stopwatch.jsonl"), recursive=True)):
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and rec.get("variant", variant) == variant:
                    out.append(rec)
    return out


def step_result(step, sdir, guest_rc, exchange_rc, seconds, stopwatch="irq_to_doorbell"):
    stopwatch = step.get("stopwatch", stopwatch)
    rep = session_report(sdir)
    recs = stopwatch_records(sdir, step["variant"])
    guest = [r[stopwatch] for r in recs if isinstance(r.get(stopwatch), (int, float))]
    res = {k: step[k] for k in ("step", "global_step", "boot", "rep", "arm", "variant", "exp", "experiment", "reps",
                                "total_steps") if k in step}
    res |= {"guest_rc": guest_rc, "exchange_rc": exchange_rc, "seconds": round(seconds, 1), "problems": [],
            "warnings": []}
    if guest_rc is None:
        res["problems"].append("the guest never finished the step")
    elif guest_rc:
        res["problems"].append(f"guest step exited {guest_rc} (see step-{step['step']}.log)")
    if rep is None:
        res["problems"].append("no exchange session report (the strategy did not connect?)")
        res["exchange"] = None
        samples = []
    else:
        res["exchange"] = {k: rep.get(k) for k in ("triggers", "orders", "tick_to_trade_ns", "reconciled",
                                                   "end_reason", "pace", "file", "timestamps")}
        res["exchange"]["md_published"] = rep.get("md", {}).get("published")
        samples = [int(v) for v in rep.get("tick_to_trade_samples_ns", [])]
        trig = rep.get("triggers", {})
        if not trig.get("expected"):
            res["problems"].append("the exchange expected no triggers")
        if trig.get("missed") or rep.get("orders", {}).get("unexpected"):
            res["warnings"].append(f"missed {trig.get('missed')} triggers, "
                                   f"{rep.get('orders', {}).get('unexpected')} unexpected orders")
    res["samples"] = {"exchange_ns": samples, "guest_ns": guest if recs else None}
    res["stopwatch"] = {"field": stopwatch, "records": recs}
    try:
        with open(os.path.join(sdir, f"step-{step['step']}.log"), errors="replace") as f:
            res["settings_seen"] = [ln.strip() for ln in f if ln.startswith(("sysctl ", "nic "))]
    except OSError:
        res["settings_seen"] = []
    res["ok"] = not res["problems"]
    return res


def fmt_ns(v):
    if v is None:
        return "-"
    return f"{v / 1000:.1f} µs" if v >= 10000 else f"{v:.0f} ns"


def progress_line(res, plan, elapsed):
    ex = np.array(res["samples"]["exchange_ns"], dtype=float)
    # (steps of experiments sharing a boot carry their own experiment's name, reps and step count)
    parts = [f"{res['experiment']}: " if "experiment" in res else ""]
    parts[0] += (f"rep {res['rep']}/{res.get('reps', plan['reps'])} arm {res['arm']} ({res['variant']}), "
                 f"step {res.get('global_step', res['step'])}/{res.get('total_steps', plan['total_steps'])}:")
    trig = (res.get("exchange") or {}).get("triggers") or {}
    parts.append(f"{trig.get('matched', 0)}/{trig.get('expected', 0)} triggers matched;")
    if len(ex):
        parts.append(f"exchange p50 {fmt_ns(np.quantile(ex, 0.5))} p99 {fmt_ns(np.quantile(ex, 0.99))};")
    g = res["samples"]["guest_ns"]
    if g:
        parts.append(f"guest {res['stopwatch']['field']} p50 {fmt_ns(np.quantile(g, 0.5))} "
                     f"p99 {fmt_ns(np.quantile(g, 0.99))} (n {len(g)});")
    else:
        parts.append("guest stopwatch: none;")
    parts.append(f"{res['seconds']:.0f} s, {elapsed / 60:.1f} min elapsed")
    if res["problems"] or res["warnings"]:
        parts.append("— " + "; ".join(res["problems"] + res["warnings"]))
    return " ".join(parts)
