"""experiment_report.py: results/experiments/<stamp>/{report.md, report.json, cdf.png, stages.png}."""
import json
import os

import numpy as np

from experiment_stats import compare, summary, verdict
from experiment_results import fmt_ns

ICOUNT_LABEL = "guest ns, icount: 1 instruction = 1 ns"


def accel_of(boot):
    """The boot's accel.json (contract C1), or what a lab without it ran: TCG, multi-threaded."""
    a = boot.get("accel_json")
    if isinstance(a, dict) and a.get("accel"):
        return a
    return {"requested": boot["env"].get("OELAB_ACCEL"), "accel": "tcg", "qemu_args": "-accel tcg,thread=multi",
            "reason": "no accel.json from qemu/lib.sh (contract C1 not on this tree): it always boots TCG"}


def arm_accel(boots, arm):
    modes = sorted({accel_of(b)["accel"] for b in boots if arm in b["arms"]})
    return "+".join(modes) if modes else "not run"


def guest_label(mode, boots=()):
    """C1's label of a guest-side ns in this mode (accel.json "guest_time" when the lab wrote one)."""
    for b in boots:
        a = b.get("accel_json") or {}
        if a.get("accel") == mode and a.get("guest_time"):
            return a["guest_time"]
    if mode == "icount":
        return ICOUNT_LABEL
    return f"guest ns under {mode}: includes the emulator's cost, not the cost of the code alone"


def samples_by_rep(steps, arm, key):
    reps = []
    for s in steps:
        if s["arm"] == arm and s["samples"].get(key):
            reps.append(s["samples"][key])
    return reps


def analyse(exp, steps):
    """Statistics for both stopwatches; the guest-side one is primary when both arms have it."""
    out = {}
    for key, name in (("guest_ns", "guest"), ("exchange_ns", "exchange")):
        a, b = samples_by_rep(steps, "A", key), samples_by_rep(steps, "B", key)
        out[name] = compare(a, b, exp["resamples"], exp["seed"]) if a and b else None
    out["primary"] = "guest" if out["guest"] else "exchange"
    return out


def config_diff(a, b, prefix=""):
    keys = sorted(set(a) | set(b))
    out = []
    for k in keys:
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += config_diff(va, vb, f"{prefix}{k}.")
        elif va != vb:
            out.append((f"{prefix}{k}", va, vb))
    return out


def stage_medians(steps, arm):
    names, vals = [], {}
    for s in steps:
        if s["arm"] != arm:
            continue
        for rec in s["stopwatch"]["records"]:
            for n, v in (rec.get("stages") or {}).items():
                if n not in names:
                    names.append(n)
                if isinstance(v, (int, float)):
                    vals.setdefault(n, []).append(v)
    return {n: (float(np.median(vals[n])) if n in vals else None) for n in names}


def plot_cdf(path, steps, label):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [("guest_ns", f"guest-side stopwatch ({label})"),
              ("exchange_ns", "exchange-side stopwatch (host wall time, MD TX -> order RX on the tap)")]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for ax, (key, title) in zip(axes, panels):
        drawn = False
        for arm, color in (("A", "tab:blue"), ("B", "tab:orange")):
            v = np.sort(np.concatenate([np.asarray(r, float) for r in samples_by_rep(steps, arm, key)] or [[]]))
            v = v[v > 0]
            if len(v):
                ax.step(v, np.arange(1, len(v) + 1) / len(v), where="post", color=color, label=f"{arm} (n={len(v)})")
                drawn = True
        ax.set_title(title, fontsize=9)
        if drawn:
            ax.set_xscale("log")
            ax.legend(loc="lower right")
        else:
            ax.text(0.5, 0.5, "no samples\n(guest stopwatch: contract C2 not produced by this run)"
                    if key == "guest_ns" else "no samples", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel("ns (log scale)")
        ax.set_ylabel("fraction of triggers")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("tick-to-trade CDF, arms A and B")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_stages(path, stages, label):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 5.5))
    names = list(dict.fromkeys(list(stages["A"]) + list(stages["B"])))
    if not names:
        ax.text(0.5, 0.5, "no per-stage data in this run\n(stages come from contract C2's stopwatch.jsonl)",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
    else:
        cmap = plt.get_cmap("tab20")
        bottoms = [0.0, 0.0]
        for i, n in enumerate(names):
            vals = [stages[a].get(n) for a in ("A", "B")]
            heights = [v or 0.0 for v in vals]
            label = n + ("" if all(v is not None for v in vals) else " (not measured in an arm)")
            ax.bar(["A", "B"], heights, bottom=bottoms, color=cmap(i % 20), label=label)
            bottoms = [b + h for b, h in zip(bottoms, heights)]
        ax.set_ylabel(f"p50 per stage ({label})")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("per-stage breakdown, medians per stage, stacked")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def stat_rows(stats, name, label):
    s = stats.get(name)
    if not s:
        return [f"| {label} | no samples | | | | |"]
    rows = []
    for arm in ("A", "B"):
        a = s[arm]
        rows.append(f"| {label} | {arm} | {a['reps']} | {a['n']} | {fmt_ns(a['p50'])} | {fmt_ns(a['p90'])} | "
                    f"{fmt_ns(a['p99'])} |")
    return rows


def diff_rows(stats, name, label):
    s = stats.get(name)
    if not s:
        return []
    out = []
    for q in ("p50", "p99"):
        d = s[q]
        p = (d.get("rep_test") or {}).get("p")
        reps = "-" if p is None else f"{p:.3f}"
        out.append(f"| {label} | {q} | {d['diff_ns']:+.0f} ns [{d['ci95_ns'][0]:+.0f}, {d['ci95_ns'][1]:+.0f}] | "
                   f"{d['diff_pct']:+.2f}% [{d['ci95'][0]:+.2f}%, {d['ci95'][1]:+.2f}%] | {reps} | "
                   f"{'yes' if d['significant'] else 'no'} |")
    return out


def write(out, exp, boots, steps, meta):
    stats = analyse(exp, steps)
    primary = stats[stats["primary"]]
    text, machine = verdict(primary)
    accel = {arm: arm_accel(boots, arm) for arm in ("A", "B")}
    top_accel = accel["A"] if accel["A"] == accel["B"] else f"A={accel['A']},B={accel['B']}"
    stages = {arm: stage_medians(steps, arm) for arm in ("A", "B")}
    label = guest_label(accel["A"], boots)
    plot_cdf(os.path.join(out, "cdf.png"), steps, label)
    plot_stages(os.path.join(out, "stages.png"), stages, label)
    guest_missing = stats["guest"] is None
    report = {
        "schema": "oelab-experiment/1", "name": exp["name"], "description": exp["description"],
        "experiment_file": meta["file"], "experiment_toml": meta["toml"], "stamp": meta["stamp"],
        "command": meta["command"], "accel": top_accel, "accel_by_arm": accel,
        "accel_detail": [{"boot": b["boot"], **accel_of(b)} for b in boots],
        "host_load": meta["load"], "reps": exp["reps"], "identical_arms": exp["identical"],
        "boot_per_rep": exp["boot_per_rep"], "lab_defaults": meta["lab_defaults"],
        "stopwatch": {"primary": stats["primary"], "guest_field": exp["stopwatch"],
                      "guest_label": label,
                      "note": ("guest-side stopwatch (C2 stopwatch.jsonl) absent from this run: the verdict is on "
                               "the exchange-side figure" if guest_missing else "")},
        "arms": {arm: {"config": exp["arms"][arm], "commands": meta["commands"][arm]} for arm in ("A", "B")},
        "differences": [{"knob": k, "A": a, "B": b} for k, a, b in config_diff(exp["arms"]["A"], exp["arms"]["B"])],
        "boots": [{k: v for k, v in b.items() if k != "accel_json"} for b in boots],
        "repetitions": steps, "stats": {"guest": stats["guest"], "exchange": stats["exchange"]},
        "stages_p50": stages,
        "verdict": (machine or {}) | {"text": text, "stopwatch": stats["primary"]},
    }
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    md = [f"# Experiment: {exp['name']} ({meta['stamp']})", ""]
    if exp["description"]:
        md += [exp["description"], ""]
    md += [f"**Verdict ({stats['primary']}-side stopwatch): {text}**", "",
           f"- Command: `{meta['command']}`",
           f"- Accelerator: {top_accel}" + ("" if accel["A"] != "tcg" else
                                            " (TCG wall time: the figures measure the emulator as much as the code)"),
           f"- Guest-side figures: {label}",
           f"- Host load average at start / end: {meta['load'][0]} / {meta['load'][1]} ({os.cpu_count()} CPUs)",
           f"- {exp['reps']} repetitions per arm, interleaved A B A B …, "
           + ("a fresh guest boot for each (the arms differ in a boot knob)" if exp["boot_per_rep"]
              else "all in one guest boot"),
           f"- Every step: {meta['lab_defaults']}"]
    if guest_missing:
        md.append(f"- {report['stopwatch']['note']}")
    md += ["", "## Arms", ""]
    diffs = report["differences"]
    if diffs:
        md += ["| knob | A | B |", "|---|---|---|"]
        md += [f"| {d['knob']} | `{json.dumps(d['A'])}` | `{json.dumps(d['B'])}` |" for d in diffs]
    else:
        md.append("A and B are identical (an A/A experiment: any detected difference is the instrument's).")
    md += ["", "Resolved configuration of A (B differs as above):", "", "```json",
           json.dumps(exp["arms"]["A"], indent=1), "```", "",
           "## Latency", "", "| stopwatch | arm | reps | n | p50 | p90 | p99 |", "|---|---|---:|---:|---:|---:|---:|"]
    md += stat_rows(stats, "guest", f"guest {exp['stopwatch']}") + stat_rows(stats, "exchange", "exchange")
    md += ["", "Difference B − A, bootstrap 95% CI "
           f"({(primary or {}).get('method', 'no data')}); significant = the CI excludes 0 and, with 2+ "
           "repetitions per arm, a Welch t-test on the per-repetition quantiles rejects at 5%:", "",
           "| stopwatch | quantile | B − A | B − A (% of A) | repetitions agree (Welch p) | significant |",
           "|---|---|---:|---:|---:|---|"]
    md += diff_rows(stats, "guest", f"guest {exp['stopwatch']}") + diff_rows(stats, "exchange", "exchange")
    md += ["", "![CDF](cdf.png)", "", "![stages](stages.png)", "", "## Repetitions", "",
           "| step | boot | rep | arm | triggers matched/expected | exchange p50 | guest p50 | seconds | problems |",
           "|---:|---:|---:|---|---|---:|---:|---:|---|"]
    for s in steps:
        t = (s.get("exchange") or {}).get("triggers") or {}
        ex, g = summary(s["samples"]["exchange_ns"]), summary(s["samples"]["guest_ns"] or [])
        md.append(f"| {s['global_step']} | {s['boot']} | {s['rep']} | {s['arm']} | {t.get('matched', 0)}/"
                  f"{t.get('expected', 0)} | {fmt_ns(ex['p50'])} | {fmt_ns(g['p50'])} | {s['seconds']} | "
                  f"{'; '.join(s['problems'] + s.get('warnings', [])) or '-'} |")
    md += ["", "## Commands", ""]
    for b in boots:
        md.append(f"- boot {b['boot']} ({', '.join(b['arms'])}): `{b['command']}` → rc {b['rc']}, run folder "
                  f"`{b['run_dir'] or '-'}`")
    for arm in ("A", "B"):
        c = meta["commands"][arm]
        md += ["", f"Arm {arm}, guest (each step):", "```sh", c["guest_script"].rstrip(), "```",
               f"Arm {arm}, NIC setup after each igb_oe load:", "```sh", c["nic_script"].rstrip(), "```",
               f"Arm {arm}, exchange: `{c['exchange']}`"]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    return report
