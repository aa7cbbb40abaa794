#!/usr/bin/python3
"""experiment_conductor.py BOOT_DIR RUN_DIR: the host side of one `make experiment` boot.

Started inside the lab's network namespace by the experiment scenario (scripts/experiment-scenario.sh)
before the guest boots. For every step of BOOT_DIR/plan.json, in order: start the step's exchange
fresh (the arm's rate, burst, file, trigger), hand the step's script to the guest
(scripts/experiment-guest.sh, through RUN_DIR/exp on the 9p share), wait for it, let the exchange
finish its session report, turn the step into BOOT_DIR/step-K/result.json (exchange-side samples
from the session report; guest-side ones from C2's stopwatch.jsonl when the report writer produced
one) and print a progress line. Ends with RUN_DIR/exp/stop and BOOT_DIR/conductor.done.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from experiment_config import ROOT  # noqa: E402
from experiment_results import step_result, progress_line  # noqa: E402

STEP_TIMEOUT_S = 1800
children = []


def log(msg):
    print(f"[experiment {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def listening(port):
    """True once a TCP socket in this namespace listens on `port` (/proc/net/tcp, state 0A)."""
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.split(":")[1], 16) == port:
                    return True
    except OSError:
        pass
    return False


def start_exchange(step, sdir):
    argv = step["exchange_argv"]
    port = int(argv[argv.index("--port") + 1]) if "--port" in argv else 9012
    p = subprocess.Popen(argv, stdout=open(os.path.join(sdir, "exchange.log"), "w"),
                         stderr=open(os.path.join(sdir, "exchange.err"), "w"), stdin=subprocess.DEVNULL)
    children.append(p)
    for _ in range(200):
        if listening(port) or p.poll() is not None:
            break
        time.sleep(0.05)
    if p.poll() is not None:
        log(f"step {step['step']}: the exchange exited at start (rc {p.returncode}): "
            f"{open(os.path.join(sdir, 'exchange.err')).read().strip()[-300:]}")
    return p


def stop_exchange(p, timeout):
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGINT)  # the exchange writes its report and exits on SIGINT
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def bench_report(step, sdir, gdir):
    """userspace-strategy/report.py over the step: the lab's own table + C2 files (stopwatch.jsonl)."""
    plan = os.path.join(gdir, "plan.tsv")
    if not os.path.isfile(plan):
        return
    log_a, log_b = os.path.join(sdir, "exchange.log"), None
    if step["variant"] == "floor":
        log_a, log_b = os.path.join(sdir, "no-exchange-A.log"), os.path.join(sdir, "exchange.log")
        open(log_a, "w").close()
    argv = [sys.executable, os.path.join(ROOT, "userspace-strategy", "report.py"), "--plan", plan,
            "--exchange-log", log_a, "--out", os.path.join(sdir, "report"),
            "--command", f"make experiment (step {step['step']}, rep {step['rep']}, arm {step['arm']})"]
    if log_b:
        argv += ["--bounce-log", log_b]
    accel = os.path.join(os.path.dirname(os.path.dirname(gdir)), "accel.json")
    if os.path.exists(accel) and "--accel-json" in open(argv[1]).read():
        argv += ["--accel-json", accel]
    with open(os.path.join(sdir, "report.out"), "w") as out:
        subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=300)


def run_step(step, boot_dir, xdir, started, plan):
    k = step["step"]
    sdir = os.path.join(boot_dir, f"step-{k}")
    os.makedirs(sdir, exist_ok=True)
    t0 = time.time()
    ex = start_exchange(step, sdir)
    for name, key in ((f"step-{k}.sh", "guest_script"), (f"step-{k}.nic.sh", "nic_script")):
        with open(os.path.join(xdir, name), "w") as f:
            f.write(step[key])
    open(os.path.join(xdir, f"step-{k}.ready"), "w").close()
    done = os.path.join(xdir, f"step-{k}.done")
    rc = None
    while time.time() - t0 < STEP_TIMEOUT_S:
        if os.path.exists(done):
            time.sleep(0.2)  # the guest writes the status right after creating the file
            rc = int(open(done).read().strip() or 1)
            break
        if os.path.exists(os.path.join(xdir, "boot-ended")):
            break
        time.sleep(0.5)
    ex_rc = stop_exchange(ex, 30 if rc == 0 else 3)
    gdir = os.path.join(sdir, "guest")
    if os.path.isdir(os.path.join(xdir, f"step-{k}")):
        shutil.copytree(os.path.join(xdir, f"step-{k}"), gdir, dirs_exist_ok=True)
    for name in (f"step-{k}.log", f"step-{k}.sh", f"step-{k}.nic.sh"):
        if os.path.exists(os.path.join(xdir, name)):
            shutil.copy(os.path.join(xdir, name), sdir)
    try:
        bench_report(step, sdir, gdir)
    except (OSError, subprocess.SubprocessError) as e:
        log(f"step {k}: report.py failed: {e}")
    res = step_result(step, sdir, rc, ex_rc, time.time() - t0)
    with open(os.path.join(sdir, "result.json"), "w") as f:
        json.dump(res, f, indent=1)
    log(progress_line(res, plan, time.time() - started))
    return res


def main():
    boot_dir, run_dir = sys.argv[1], sys.argv[2]
    plan = json.load(open(os.path.join(boot_dir, "plan.json")))
    xdir = os.path.join(run_dir, "exp")
    os.makedirs(xdir, exist_ok=True)
    with open(os.path.join(xdir, "sysctl-keys"), "w") as f:
        f.write("".join(k + "\n" for k in plan["sysctl_keys"]))
    with open(os.path.join(boot_dir, "run_dir.txt"), "w") as f:
        f.write(run_dir + "\n")
    if os.path.exists(os.path.join(run_dir, "accel.json")):
        shutil.copy(os.path.join(run_dir, "accel.json"), boot_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    started = plan.get("started", time.time())
    try:
        for step in plan["steps"]:
            res = run_step(step, boot_dir, xdir, started, plan)
            if res["guest_rc"] is None:
                log(f"step {step['step']}: no answer from the guest in {STEP_TIMEOUT_S} s: stopping")
                break
    finally:
        open(os.path.join(xdir, "stop"), "w").close()
        for p in children:
            if p.poll() is None:
                p.kill()
        open(os.path.join(boot_dir, "conductor.done"), "w").close()


if __name__ == "__main__":
    main()
