#!/usr/bin/python3
"""experiment.py: A/B any lab knob, interleaved, with a statistical verdict (make experiment EXP=...).

  experiment.py check EXP.toml        validate; print the resolved arms and the schedule (exit 2 if bad)
  experiment.py make-vars EXP.toml    the build variables the arms need (e.g. OE_FIRE_PAD_INSNS=100)
  experiment.py run EXP.toml [--reps N] [--out-root DIR]
                                      run it: results/experiments/<stamp>/ and results/experiments/latest
  experiment.py report DIR            re-write DIR's report.md/json and plots from DIR/boots/
  run ... --selfcheck aa|pad --result FILE.txt
                                      also judge the run as a self-check (A/A: no detectable difference;
                                      pad: B slower at p50 by OE_FIRE_PAD_INSNS ± 10% guest ns, icount)
                                      and write ok/not ok lines + "N passed, N failed" to FILE.txt

docs/experiments.md describes the file format, the method and the shipped examples.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import experiment_config as cfg  # noqa: E402
import experiment_plan as plan  # noqa: E402

RESULTS_ROOT = os.path.join(cfg.ROOT, "results", "experiments")


def die(msg, code=2):
    print(f"experiment: {msg}", file=sys.stderr)
    sys.exit(code)


def padded_module(n):
    """Contract C3: the igb_oe built with OE_FIRE_PAD_INSNS=n, beside the normal one (docs/driver.md).
    Returns the guest path of the module, or raises if it was not built."""
    for rel in (f"build/modules/igb_oe-pad{n}.ko", f"build/igb_oe-pad{n}.ko"):
        if os.path.isfile(os.path.join(cfg.ROOT, rel)):
            return "/lab/" + rel
    raise cfg.ExperimentError(f"build.OE_FIRE_PAD_INSNS = {n}: no padded igb_oe module built "
                              f"(make modules OE_FIRE_PAD_INSNS={n}; contract C3)")


def arm_commands(exp, arm, module_path):
    a = exp["arms"][arm]
    argv = plan.exchange_command(a, "<step dir>")
    return {"guest_script": plan.guest_script(exp, arm, "K", module_path), "nic_script": plan.nic_script(a),
            "exchange": cfg.shell_words(argv), "exchange_argv": argv, "boot_env": plan.boot_env(a)}


def make_vars(exp):
    pads = sorted({exp["arms"][a]["build"]["OE_FIRE_PAD_INSNS"] for a in "AB"} - {0})
    if len(pads) > 1:
        raise cfg.ExperimentError("build.OE_FIRE_PAD_INSNS: at most one padded module per experiment "
                                  f"(arms ask for {pads})")
    return [f"OE_FIRE_PAD_INSNS={pads[0]}"] if pads else []


def cmd_check(args):
    exp = load(args.exp)
    print(f"experiment {exp['name']!r}: {exp['reps']} repetitions per arm, "
          f"{'a boot per repetition' if exp['boot_per_rep'] else 'one boot'}")
    for arm in ("A", "B"):
        print(f"[{arm}] " + json.dumps(exp["arms"][arm], sort_keys=True))
    boots = cfg.schedule(exp)
    print(f"schedule: {len(boots)} boot(s): " + " | ".join(" ".join(f"{a}{r}" for r, a in b) for b in boots))
    return 0


def load(path):
    try:
        exp = cfg.load(path)
        make_vars(exp)
        return exp
    except cfg.ExperimentError as e:
        die(str(e))


def prepare_files(exp):
    """mdgen files for `shape` arms (deterministic: same options, same bytes), before any boot."""
    for arm in ("A", "B"):
        ex = exp["arms"][arm]["exchange"]
        if "shape" not in ex:
            continue
        rel, cmd = plan.generated_file(ex)
        if not os.path.isfile(os.path.join(cfg.ROOT, rel)):
            os.makedirs(os.path.dirname(os.path.join(cfg.ROOT, rel)), exist_ok=True)
            if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode:
                die(f"{arm}.exchange.shape: mdgen failed: {cfg.shell_words(cmd)}", 1)


def build_plans(exp, out, module_paths):
    boots, gstep, started = [], 0, time.time()
    sched = cfg.schedule(exp)
    total = sum(len(b) for b in sched)
    for n, steps in enumerate(sched, 1):
        bdir = os.path.join(out, "boots", str(n))
        os.makedirs(bdir, exist_ok=True)
        env = plan.boot_env(exp["arms"][steps[0][1]])
        psteps = []
        for k, (rep, arm) in enumerate(steps, 1):
            gstep += 1
            a = exp["arms"][arm]
            psteps.append({"step": k, "global_step": gstep, "boot": n, "rep": rep, "arm": arm,
                           "variant": a["variant"], "stopwatch": exp["stopwatch"],
                           "guest_script": plan.guest_script(exp, arm, k, module_paths[arm]),
                           "nic_script": plan.nic_script(a),
                           "exchange_argv": plan.exchange_command(a, os.path.join(bdir, f"step-{k}"))})
        with open(os.path.join(bdir, "plan.json"), "w") as f:
            json.dump({"steps": psteps, "sysctl_keys": plan.sysctl_keys(exp), "reps": exp["reps"],
                       "total_steps": total, "started": started}, f, indent=1)
        cmd = " ".join(f"{k}={v!r}" if " " in v else f"{k}={v}" for k, v in env.items())
        boots.append({"boot": n, "dir": bdir, "arms": sorted({a for _, a in steps}), "env": env,
                      "command": f"{cmd} EXP_BOOT_DIR={bdir} bash qemu/scenarios/run.sh experiment",
                      "steps": [s["global_step"] for s in psteps], "rc": None, "run_dir": None})
    return boots


def run_boot(boot):
    # The arm's boot knobs, not whatever the caller's environment says.
    env = {k: v for k, v in os.environ.items() if k not in ("OELAB_ACCEL", "OELAB_KERNEL_ARGS")}
    env |= boot["env"] | {"EXP_BOOT_DIR": boot["dir"]}
    # run.sh's own result files (guest_kernel_clean) go to <run>/results and build/results/*_TAG.txt,
    # never over those of make test's other boots.
    env.setdefault("OELAB_RESULTS_TAG", boot.get("results_tag") or "experiment")
    # The lab's guest watchdog (default 900 s a boot) sized for the steps: 10 min each, generously.
    env.setdefault("OELAB_TIMEOUT", str(600 + 600 * len(boot["steps"])))
    print(f"experiment: boot {boot['boot']} ({', '.join(boot['arms'])}): {boot['command']}", file=sys.stderr,
          flush=True)
    with open(os.path.join(boot["dir"], "run.log"), "w") as log:
        p = subprocess.Popen(["bash", os.path.join(cfg.ROOT, "qemu", "scenarios", "run.sh"), "experiment"],
                             env=env, stdout=log, stderr=subprocess.PIPE, text=True, cwd=cfg.ROOT)
        for line in p.stderr:  # the lab's log lines and the conductor's progress lines
            log.write(line)
            sys.stderr.write(line)
        boot["rc"] = p.wait()


def collect(boot):
    """Step results of a boot; steps it never reached are recorded as not run."""
    out = []
    bplan = json.load(open(os.path.join(boot["dir"], "plan.json")))
    for s in bplan["steps"]:
        path = os.path.join(boot["dir"], f"step-{s['step']}", "result.json")
        cmds = {"guest_script": s["guest_script"], "nic_script": s["nic_script"],
                "exchange": cfg.shell_words(s["exchange_argv"])}
        try:
            out.append(json.load(open(path)) | {"commands": cmds})
        except (OSError, ValueError):
            out.append({k: s[k] for k in ("step", "global_step", "boot", "rep", "arm", "variant")} |
                       {"guest_rc": None, "exchange_rc": None, "seconds": 0, "ok": False, "exchange": None,
                        "problems": ["not run (the boot ended before this step)"], "warnings": [],
                        "samples": {"exchange_ns": [], "guest_ns": None},
                        "stopwatch": {"field": s["stopwatch"], "records": []}, "settings_seen": [],
                        "commands": cmds})
    for name in ("run_dir.txt", "accel.json"):
        p = os.path.join(boot["dir"], name)
        if os.path.exists(p):
            if name == "run_dir.txt":
                boot["run_dir"] = open(p).read().strip()
            else:
                try:
                    boot["accel_json"] = json.load(open(p))
                except ValueError:
                    pass
    return out


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def finish(out, exp, boots, meta):
    import experiment_report
    steps = sorted((s for b in boots for s in collect(b)), key=lambda s: s["global_step"])
    report = experiment_report.write(out, exp, boots, steps, meta)
    latest = os.path.join(os.path.dirname(out), "latest")
    if os.path.islink(latest) or not os.path.exists(latest):
        tmp = latest + ".tmp"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.path.basename(out), tmp)
        os.replace(tmp, latest)
    print(f"experiment: {report['verdict']['text']}")
    print(f"experiment: report in {out}/ (report.md, report.json, cdf.png, stages.png)")
    failed = [s for s in steps if s["problems"]]
    for s in failed:
        print(f"experiment: step {s['global_step']} (rep {s['rep']} arm {s['arm']}): {'; '.join(s['problems'])}",
              file=sys.stderr)
    return 1 if failed or not report["stats"]["exchange"] else 0


def selfcheck(kind, exp, report):
    """The self-checks of docs/experiments.md, judged on the run's report.json."""
    checks = []
    steps = report["repetitions"]
    bad = [s["global_step"] for s in steps if s["problems"]]
    checks.append(("every step ran and was reconciled", not bad, f"failed steps {bad}" if bad else f"{len(steps)}"))
    v = report["verdict"]
    checks.append(("a verdict", "p50" in v, v["text"]))
    # Once the lab has the guest stopwatch (C2) and accel.json (C1), a self-check must use them.
    if os.path.exists(os.path.join(cfg.ROOT, "scripts", "stopwatch.py")) or kind == "pad":
        checks.append(("guest-side stopwatch is the primary", report["stopwatch"]["primary"] == "guest",
                       report["stopwatch"]["note"] or report["stopwatch"]["guest_field"]))
    wanted = {exp["arms"][a]["accel"] for a in "AB"}
    if all(d.get("reason", "").find("C1 not on this tree") < 0 for d in report["accel_detail"]) or kind == "pad":
        checks.append(("ran under the requested accelerator", {report["accel"]} == wanted,
                       f"{report['accel']} (requested {', '.join(sorted(wanted))})"))
    if kind == "aa" and "p50" in v:
        for q in ("p50", "p99"):
            checks.append((f"A/A: no detectable difference at {q}", not v[q]["significant"],
                           f"{v[q]['diff_pct']:+.2f}%, CI {v[q]['ci95']}"))
    if kind == "pad" and "p50" in v:
        n = exp["arms"]["B"]["build"]["OE_FIRE_PAD_INSNS"] - exp["arms"]["A"]["build"]["OE_FIRE_PAD_INSNS"]
        d = v["p50"]
        checks.append(("known work: B slower at p50 (significant)", d["significant"] and d["diff_ns"] > 0,
                       f"{d['diff_ns']:+.1f} ns, CI {d['ci95_ns']}"))
        checks.append((f"known work: p50 moved by {n} ± {max(1, n // 10)} guest ns",
                       abs(d["diff_ns"] - n) <= max(1, n // 10), f"{d['diff_ns']:+.1f} ns"))
    return checks


def write_selfcheck(path, kind, checks):
    lines = [("ok " if ok else "not ok ") + f"experiment_{kind}: {name} ({detail})" for name, ok, detail in checks]
    failed = sum(not ok for _, ok, _ in checks)
    lines.append(f"experiment {kind} self-check: {len(checks) - failed} passed, {failed} failed")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if failed else 0


def cmd_run(args):
    exp = load(args.exp)
    if args.reps:
        exp["reps"] = args.reps
    try:
        modules = {a: padded_module(exp["arms"][a]["build"]["OE_FIRE_PAD_INSNS"])
                   if exp["arms"][a]["build"]["OE_FIRE_PAD_INSNS"] else None for a in "AB"}
    except cfg.ExperimentError as e:
        die(str(e))
    for b in (plan.EXCHANGE,) + ((plan.MDGEN,) if any("shape" in exp["arms"][a]["exchange"] for a in "AB") else ()):
        if not os.access(b, os.X_OK):
            die(f"{b} not built (make host)", 1)
    prepare_files(exp)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = os.path.join(args.out_root, stamp)
    os.makedirs(out, exist_ok=False)
    toml = open(args.exp).read()
    with open(os.path.join(out, "experiment.toml"), "w") as f:
        f.write(toml)
    boots = build_plans(exp, out, modules)
    for boot in boots:
        boot["results_tag"] = f"experiment_{args.selfcheck}" if args.selfcheck else "experiment"
    command = f"make experiment EXP={os.path.relpath(os.path.abspath(args.exp), cfg.ROOT)}"
    if args.reps:
        command += f" REPS={args.reps}"
    meta = {"file": os.path.relpath(os.path.abspath(args.exp), cfg.ROOT), "toml": toml, "stamp": stamp,
            "command": command, "load": [loadavg(), None], "lab_defaults": plan.LAB_DEFAULTS,
            "commands": {a: arm_commands(exp, a, modules[a]) for a in "AB"}}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"exp": exp, "boots": boots, "meta": meta}, f, indent=1)
    print(f"experiment {exp['name']!r}: {len(boots)} boot(s), {exp['reps']} repetitions per arm, "
          f"output {out}/", file=sys.stderr)
    for boot in boots:
        run_boot(boot)
    meta["load"][1] = loadavg()
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"exp": exp, "boots": boots, "meta": meta}, f, indent=1)
    rc = finish(out, exp, boots, meta)
    if args.selfcheck:
        report = json.load(open(os.path.join(out, "report.json")))
        rc = write_selfcheck(args.result, args.selfcheck, selfcheck(args.selfcheck, exp, report)) or rc
    return rc


def cmd_report(args):
    m = json.load(open(os.path.join(args.dir, "meta.json")))
    exp, boots, meta = m["exp"], m["boots"], m["meta"]
    return finish(os.path.abspath(args.dir), exp, boots, meta)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("check", "make-vars", "run"):
        p = sub.add_parser(name)
        p.add_argument("exp")
        if name == "run":
            p.add_argument("--reps", type=int, default=0)
            p.add_argument("--out-root", default=RESULTS_ROOT)
            p.add_argument("--selfcheck", choices=("aa", "pad"))
            p.add_argument("--result", help="self-check result file (with --selfcheck)")
    sub.add_parser("report").add_argument("dir")
    args = ap.parse_args()
    if args.cmd == "check":
        return cmd_check(args)
    if args.cmd == "make-vars":
        print(" ".join(make_vars(load(args.exp))))
        return 0
    if args.cmd == "run":
        if args.reps and not 1 <= args.reps <= 200:
            die("--reps: 1 .. 200")
        if bool(args.selfcheck) != bool(args.result):
            die("--selfcheck and --result go together")
        return cmd_run(args)
    return cmd_report(args)


if __name__ == "__main__":
    sys.exit(main())
