"""experiment_plan.py: turn a resolved arm into the commands that run one repetition of it.

One repetition ("step") = the exchange(s) on the host, started fresh with the arm's market-data
settings, and a guest script that sets the arm's sysctls and runs one session of its variant with
userspace-strategy/bench-lab.sh, which reloads igb_oe (fresh module parameters and NIC defaults for
every step, both arms alike) and then applies the arm's ethtool settings (--nic-setup).
"""
import os

from experiment_config import ROOT, ETHTOOL_OPTS, shell_words

HOST_IP = "192.168.100.1"
TAP = "oetap0"
EXCHANGE = os.path.join(ROOT, "build", "host", "userspace-exchange", "exchange")
MDGEN = os.path.join(ROOT, "build", "host", "userspace-exchange", "mdgen")
GUEST_DIR = "/out/exp"
# What every step starts from before the arm's settings (so a report can say what "default" means).
LAB_DEFAULTS = ("igb_oe reloaded for every step; oe_load_driver: ethtool -G eth0 rx 4096; "
                "bench-lab.sh nic_setup: ethtool -C eth0 rx-usecs 0, ethtool -X eth0 equal 1; "
                "userspace variants load igb_oe with md_port=9 (its hook steps aside)")
# ethtool tables in the order they are applied: the ones that reset the device first.
ETHTOOL_ORDER = ("channels", "ring", "features", "coalesce")


def generated_file(ex):
    """Path (repository-relative) of the mdgen file a `shape` arm replays, and the mdgen command."""
    seed, nbytes, ppm = ex.get("seed", 20241123), ex.get("bytes", 1000000), ex.get("jump_ppm")
    name = f"mdgen-{ex['shape']}-s{seed}-b{nbytes}" + (f"-j{ppm}" if ppm is not None else "") + ".csv.gz"
    rel = os.path.join("build", "experiments", "data", name)
    cmd = [MDGEN, "--out", os.path.join(ROOT, rel), "--shape", ex["shape"], "--seed", seed, "--bytes", nbytes]
    if ppm is not None:
        cmd += ["--jump-ppm", ppm]
    return rel, [str(c) for c in cmd]


def md_file(arm):
    ex = arm["exchange"]
    return generated_file(ex)[0] if "shape" in ex else ex["file"]


def trigger_words(arm):
    """The trigger config as (igb_oe module parameters, exchange/strategy flags): both sides must find
    the same triggers (as tick2trade's T2T_TRIGGER does)."""
    params, flags = [], []
    for k, v in arm["trigger"].items():
        if k == "notional_threshold":
            params += ["notional=1", f"notional_threshold={v}"]
            flags += ["--notional", str(v)]
        else:
            params.append(f"{k}={v}")
            flags += [f"--{k}", str(v)]
    return params, flags


def exchange_command(arm, step_dir):
    """argv of the exchange for one step; the floor's exchange is the bounce one (lab-scenario.sh B)."""
    _, tflags = trigger_words(arm)
    ex = arm["exchange"]
    argv = [EXCHANGE, "--bind", HOST_IP, "--iface", TAP, "--file", os.path.join(ROOT, md_file(arm)),
            "--rate", str(ex["rate"]), "--burst", str(ex["burst"]), "--start-delay-ms", "500", "--no-mcast-loop",
            "--sessions", "1", "--report", os.path.join(step_dir, "exchange-report.json")] + tflags
    if arm["variant"] == "floor":
        argv += ["--port", "9014", "--md-port", "12346", "--bounce-port", "9013", "--bounce-all"]
    return argv


def module_words(arm):
    params = []
    if arm["variant"] == "driver":
        params += trigger_words(arm)[0]
    for k, v in arm["module"].items():
        params.append(f"{k}={int(v) if isinstance(v, bool) else v}")
    return params


def ethtool_lines(arm):
    lines = []
    for table in ETHTOOL_ORDER:
        words = []
        for p, v in arm["ethtool"].get(table, {}).items():
            words += [p, ("on" if v else "off") if isinstance(v, bool) else str(v)]
        if words:
            lines.append(f'ethtool {ETHTOOL_OPTS[table]} "$1" {shell_words(words)}')
    return lines


def nic_script(arm):
    """--nic-setup script: run by bench-lab.sh after every igb_oe load, with the interface as $1."""
    lines = ["set -e"] + ethtool_lines(arm)
    # -G / -L reset the device: wait for the link before the session starts.
    lines.append('i=0; while [ "$(cat /sys/class/net/$1/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do '
                 'sleep 0.1; i=$((i + 1)); done')
    lines.append('ethtool -c "$1" | sed -n "s/^rx-usecs:/nic rx-usecs:/p"; ethtool -g "$1" | '
                 'awk "/Current/ { c = 1 } c && /^RX:/ { print \\"nic rx ring: \\" \\$2; exit }"')
    return "\n".join(lines) + "\n"


def sysctl_keys(exp):
    keys = []
    for arm in ("A", "B"):
        keys += [k for k in exp["arms"][arm]["sysctl"] if k not in keys]
    return keys


def guest_script(exp, arm_name, step, module_path, keys=None):
    """The guest shell (busybox sh) of one step. exp_sysctl / exp_sysctl_restore come from
    scripts/experiment-guest.sh: every sysctl any arm sets is set or restored to its boot value
    (`keys`: those of every experiment sharing the boot; default this experiment's)."""
    arm = exp["arms"][arm_name]
    d = f"{GUEST_DIR}/step-{step}"
    lines = [f"# step {step}: arm {arm_name}, variant {arm['variant']}", "set -u"]
    for k in keys if keys is not None else sysctl_keys(exp):
        if k in arm["sysctl"]:
            lines.append(f"exp_sysctl {k} {shell_words([arm['sysctl'][k]])} || exit 3")
        else:
            lines.append(f"exp_sysctl_restore {k} || exit 3")
    bench = ["sh", "/lab/userspace-strategy/bench-lab.sh", "--reps", "1", "--variants", arm["variant"],
             "--host", HOST_IP, "--iface", "eth0", "--out", d, "--nic-setup", f"{d}.nic.sh"]
    mods = module_words(arm)
    if mods:
        bench += ["--modparams", " ".join(mods)]
    if module_path:
        bench += ["--module", module_path]
    flags = arm["flags"] + (trigger_words(arm)[1] if arm["variant"] != "driver" else [])
    if flags:
        bench += ["--trigger", " ".join(flags)]
    lines.append(shell_words(bench))
    return "\n".join(lines) + "\n"


def boot_env(arm):
    """Environment of the boot that runs this arm (the knobs that need a boot of their own)."""
    env = {"OELAB_ACCEL": arm["accel"]}
    if arm["cmdline"]:
        env["OELAB_KERNEL_ARGS"] = arm["cmdline"]
    return env
