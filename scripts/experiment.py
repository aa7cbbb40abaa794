#!/usr/bin/python3
"""experiment.py: A/B any lab knob, interleaved, with a statistical verdict (make experiment EXP=...).

  experiment.py check EXP.toml        validate; print the resolved arms and the schedule (exit 2 if bad)
  experiment.py make-vars EXP.toml    the build variables the arms need (e.g. OE_FIRE_PAD_INSNS=100)
  experiment.py run EXP.toml [--reps N] [--out-root DIR]
                                      run it: results/experiments/<stamp>/ and results/experiments/latest
  experiment.py run EXP1.toml EXP2.toml ...
                                      experiments that each fit one boot (same accel and cmdline), one
                                      after the other in ONE boot: results/experiments/<stamp>-<name>/
  experiment.py report DIR            re-write DIR's report.md/json and plots from DIR/boots/
  run ... --selfcheck aa|pad --result FILE.txt   (one pair per experiment file)
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


def step_plan(exp, bdir, k, gstep, boot, rep, arm, module_path, keys=None):
    a = exp["arms"][arm]
    return {"step": k, "global_step": gstep, "boot": boot, "rep": rep, "arm": arm,
            "variant": a["variant"], "stopwatch": exp["stopwatch"],
            "guest_script": plan.guest_script(exp, arm, k, module_path, keys),
            "nic_script": plan.nic_script(a),
            "exchange_argv": plan.exchange_command(a, os.path.join(bdir, f"step-{k}"))}


def write_boot_plan(bdir, steps, keys, reps, total, started):
    with open(os.path.join(bdir, "plan.json"), "w") as f:
        json.dump({"steps": steps, "sysctl_keys": keys, "reps": reps, "total_steps": total, "started": started},
                  f, indent=1)


def boot_record(n, bdir, arms, env, steps):
    cmd = " ".join(f"{k}={v!r}" if " " in v else f"{k}={v}" for k, v in env.items())
    return {"boot": n, "dir": bdir, "arms": arms, "env": env,
            "command": f"{cmd} EXP_BOOT_DIR={bdir} bash qemu/scenarios/run.sh experiment",
            "steps": steps, "rc": None, "run_dir": None}


def build_plans(exp, out, module_paths):
    boots, gstep, started = [], 0, time.time()
    sched = cfg.schedule(exp)
    total = sum(len(b) for b in sched)
    for n, steps in enumerate(sched, 1):
        bdir = os.path.join(out, "boots", str(n))
        os.makedirs(bdir, exist_ok=True)
        psteps = []
        for k, (rep, arm) in enumerate(steps, 1):
            gstep += 1
            psteps.append(step_plan(exp, bdir, k, gstep, n, rep, arm, module_paths[arm]))
        write_boot_plan(bdir, psteps, plan.sysctl_keys(exp), exp["reps"], total, started)
        boots.append(boot_record(n, bdir, sorted({a for _, a in steps}), plan.boot_env(exp["arms"][steps[0][1]]),
                                 [s["global_step"] for s in psteps]))
    return boots


def shared_boot_plans(exps, outs, modules):
    """Experiments that each fit one boot, with the same boot knobs, run one after the other in ONE boot
    (its folder is the first experiment's boots/1; the others' boots/1 link to it). Every step
    sets or restores the sysctls of all of them. Returns each experiment's boot list."""
    envs = {json.dumps(plan.boot_env(e["arms"]["A"]), sort_keys=True) for e in exps}
    if any(e["boot_per_rep"] for e in exps) or len(envs) > 1:
        die("experiments sharing a boot must each fit one boot (no cmdline/accel difference between arms) "
            "and have the same accel and cmdline: run them one at a time")
    bdir = os.path.join(outs[0], "boots", "1")
    os.makedirs(bdir, exist_ok=True)
    keys = []
    for e in exps:
        keys += [k for k in plan.sysctl_keys(e) if k not in keys]
    psteps, started, k = [], time.time(), 0
    for i, e in enumerate(exps):
        sched = cfg.schedule(e)[0]
        for g, (rep, arm) in enumerate(sched, 1):
            k += 1
            psteps.append(step_plan(e, bdir, k, g, 1, rep, arm, modules[i][arm], keys) |
                          {"exp": i, "experiment": e["name"], "reps": e["reps"], "total_steps": len(sched)})
    write_boot_plan(bdir, psteps, keys, max(e["reps"] for e in exps), len(psteps), started)
    env = plan.boot_env(exps[0]["arms"]["A"])
    out = []
    for i, e in enumerate(exps):
        if i:
            os.makedirs(os.path.join(outs[i], "boots"), exist_ok=True)
            os.symlink(os.path.relpath(bdir, os.path.join(outs[i], "boots")), os.path.join(outs[i], "boots", "1"))
        mine = [s for s in psteps if s["exp"] == i]
        out.append([boot_record(1, bdir, sorted({s["arm"] for s in mine}), env, [s["global_step"] for s in mine])
                    | {"exp": i, "shared_with": [x["name"] for x in exps if x is not e]}])
    return out


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
        if s.get("exp", 0) != boot.get("exp", 0):
            continue  # another experiment's step of a shared boot
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


def prepare(path, args, stamp):
    """One experiment of the run: loaded, its modules found, its files made, its output folder."""
    exp = load(path)
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
    out = os.path.join(args.out_root, stamp)
    os.makedirs(out, exist_ok=False)
    toml = open(path).read()
    with open(os.path.join(out, "experiment.toml"), "w") as f:
        f.write(toml)
    rel = os.path.relpath(os.path.abspath(path), cfg.ROOT)
    command = f"make experiment EXP={rel}" + (f" REPS={args.reps}" if args.reps else "")
    if len(args.exp) > 1:
        command = ("/usr/bin/python3 scripts/experiment.py run " + " ".join(args.exp) +
                   (f" --reps {args.reps}" if args.reps else "") + f"  (one shared boot; this is {rel})")
    meta = {"file": rel, "toml": toml, "stamp": stamp, "command": command, "load": [loadavg(), None],
            "lab_defaults": plan.LAB_DEFAULTS, "commands": {a: arm_commands(exp, a, modules[a]) for a in "AB"}}
    return exp, out, modules, meta


def save_meta(out, exp, boots, meta):
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"exp": exp, "boots": boots, "meta": meta}, f, indent=1)


def cmd_run(args):
    stamp = time.strftime("%Y%m%d-%H%M%S")
    many = len(args.exp) > 1
    runs = [prepare(p, args, f"{stamp}-{os.path.splitext(os.path.basename(p))[0]}" if many else stamp)
            for p in args.exp]
    if many:
        all_boots = shared_boot_plans([r[0] for r in runs], [r[1] for r in runs], [r[2] for r in runs])
    else:
        all_boots = [build_plans(runs[0][0], runs[0][1], runs[0][2])]
    tags = [None if t == "none" else t for t in args.selfcheck or [None] * len(runs)]
    for (exp, out, _, meta), boots, tag in zip(runs, all_boots, tags):
        for boot in boots:
            boot["results_tag"] = f"experiment_{tag}" if tag else "experiment"
        save_meta(out, exp, boots, meta)
        print(f"experiment {exp['name']!r}: {len(boots)} boot(s), {exp['reps']} repetitions per arm, "
              f"output {out}/" + (" (a boot shared with the others of this run)" if many else ""), file=sys.stderr)
    if many:
        shared = all_boots[0][0]
        shared["results_tag"] = "experiment_" + "_".join(t for t in tags if t) if any(tags) else "experiment"
        run_boot(shared)
        for boots in all_boots[1:]:
            boots[0]["rc"] = all_boots[0][0]["rc"]
    else:
        for boot in all_boots[0]:
            run_boot(boot)
    rc, results = 0, iter(args.result or [])
    for (exp, out, _, meta), boots, i in zip(runs, all_boots, range(len(runs))):
        meta["load"][1] = loadavg()
        save_meta(out, exp, boots, meta)
        rc = finish(out, exp, boots, meta) or rc
        if tags[i]:
            report = json.load(open(os.path.join(out, "report.json")))
            rc = write_selfcheck(next(results), tags[i], selfcheck(tags[i], exp, report)) or rc
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
        p.add_argument("exp", nargs="+" if name == "run" else None)
        if name == "run":
            p.add_argument("--reps", type=int, default=0)
            p.add_argument("--out-root", default=RESULTS_ROOT)
            p.add_argument("--selfcheck", choices=("aa", "pad", "none"), action="append",
                           help="one per experiment file, in order (none: that file is no self-check)")
            p.add_argument("--result", action="append", help="self-check result file (one per --selfcheck)")
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
        checks = [t for t in args.selfcheck or [] if t != "none"]
        if len(checks) != len(args.result or []) or (args.selfcheck and len(args.selfcheck) != len(args.exp)):
            die("--selfcheck: one per experiment file (aa, pad or none); --result: one per aa/pad, in order")
        return cmd_run(args)
    return cmd_report(args)


if __name__ == "__main__":
    sys.exit(main())
