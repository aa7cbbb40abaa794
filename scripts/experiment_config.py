"""experiment_config.py: read and validate an experiment file (TOML, tomllib), resolve its two arms.

An experiment is a base configuration and two arms, A and B, each a table of overrides over the
base (docs/experiments.md has the full reference). Every key is checked here, before anything
boots: a wrong one raises ExperimentError naming it, which the CLI turns into exit 2.
"""
import copy
import difflib
import glob
import math
import os
import re
import shlex
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

VARIANTS = ("driver uring uring-sqpoll uring-busy uring-sqpoll-busy uring-zc xdp xdp-busy xdp-skb packet "
            "packet-busy packet-v3 blocking blocking-busy floor").split()
ACCELS = ("auto", "kvm", "tcg", "icount")
STOPWATCHES = ("irq_to_doorbell", "rx_to_doorbell", "napi_to_doorbell")
SHAPES = ("xbtusd", "fractional", "multi", "quiet", "burst")
TRIGGER_KEYS = ("levels", "qty", "threshold", "symbol", "notional_threshold")

# oe-strategy flags an arm may add (name -> takes a value). The plumbing flags (--mode, --oe, --iface,
# --stats-json, --until-disconnects, --md-port, --group, --bounce-port) belong to bench-lab.sh.
STRATEGY_FLAGS = {"--cpu": True, "--rt": False, "--queue": True, "--symbol": True, "--threshold": True,
                  "--levels": True, "--qty": True, "--notional": True, "--sqpoll": False, "--busy-poll": False,
                  "--zc": False, "--xdp-skb": False, "--tpacket": True, "--tos": True, "--max-backoff-ms": True,
                  "--bpf-obj": True, "--verbose": False, "-v": False}
PLUMBING_FLAGS = ("--mode", "--oe", "--iface", "--stats-json", "--until-disconnects", "--md-port", "--group",
                  "--bounce-port", "--raw-ip", "--duration")

# ethtool parameters per table (ethtool(8)): -C coalesce, -G ring, -L channels; -K takes feature names.
ETHTOOL_OPTS = {"coalesce": "-C", "ring": "-G", "channels": "-L", "features": "-K"}
ETHTOOL_PARAMS = {
    "coalesce": ("adaptive-rx adaptive-tx rx-usecs rx-frames rx-usecs-irq rx-frames-irq tx-usecs tx-frames "
                 "tx-usecs-irq tx-frames-irq stats-block-usecs pkt-rate-low rx-usecs-low rx-frames-low "
                 "tx-usecs-low tx-frames-low pkt-rate-high rx-usecs-high rx-frames-high tx-usecs-high "
                 "tx-frames-high sample-interval cqe-mode-rx cqe-mode-tx").split(),
    "ring": "rx rx-mini rx-jumbo tx rx-buf-len cqe-size tx-push rx-push tx-push-buf-len".split(),
    "channels": "rx tx other combined".split(),
}
# ethtool -K's short aliases; the long names are what `ethtool -k` lists.
FEATURE_ALIASES = "rx tx sg tso ufo gso gro lro rxvlan txvlan ntuple rxhash highdma".split()
# Kernel command-line words the lab itself sets (console, panic, its oelab.* keys): not arm knobs.
RESERVED_CMDLINE = ("console", "panic", "oops", "oelab.ip", "oelab.mode", "init", "rdinit", "root")
# Knobs that need a fresh guest boot when the arms differ in them.
BOOT_KNOBS = ("accel", "cmdline")

TOP_KEYS = {"name": str, "description": str, "reps": int, "stopwatch": str, "resamples": int, "seed": int,
            "base": dict, "A": dict, "B": dict}
ARM_KEYS = ("variant", "flags", "accel", "cmdline", "sysctl", "ethtool", "module", "trigger", "exchange", "build")
EXCHANGE_KEYS = {"rate": (int, float), "burst": int, "file": str, "shape": str, "bytes": int, "seed": int,
                 "jump_ppm": int}
BUILD_KEYS = ("OE_FIRE_PAD_INSNS",)

DEFAULTS = {
    "variant": "driver", "flags": [], "accel": "icount", "cmdline": "", "sysctl": {}, "module": {},
    "trigger": {}, "build": {"OE_FIRE_PAD_INSNS": 0},
    "ethtool": {"coalesce": {}, "ring": {}, "channels": {}, "features": {}},
    "exchange": {"rate": 2000, "burst": 1, "file": "userspace-exchange/data/sample.csv.gz"},
}


class ExperimentError(Exception):
    """A bad experiment file: the message names the file and the key."""


class Checker:
    def __init__(self, path):
        self.path = path

    def fail(self, key, msg):
        raise ExperimentError(f"{self.path}: {key}: {msg}")

    def typed(self, key, value, types, what):
        # bool is an int in Python; a TOML true is never a number here
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.fail(key, f"expected {what}, got a boolean")
        if not isinstance(value, types):
            self.fail(key, f"expected {what}, got {type(value).__name__} {value!r}")
        return value

    def table(self, key, value):
        return self.typed(key, value, dict, "a table")

    def unknown(self, key, known):
        self.fail(key, f"unknown key{did_you_mean(key, known)} (known here: {', '.join(known)})")


def did_you_mean(key, known):
    near = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(known), n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def module_params():
    """igb_oe's module parameters, from the driver sources (so a new parameter is accepted at once),
    plus upstream igb's own."""
    names = {"max_vfs", "debug"}
    pat = re.compile(r"module_param(?:_named|_string|_cb|_array)?\(\s*(\w+)")
    for src in glob.glob(os.path.join(ROOT, "driver", "igb", "*.c")):
        with open(src, errors="replace") as f:
            names.update(pat.findall(f.read()))
    return sorted(names)


def known_features():
    """Feature names ethtool -K accepts: the host's `ethtool -k lo` lists every netdev feature the
    kernel knows (fixed or not); None when ethtool is missing (then only the syntax is checked)."""
    import subprocess
    try:
        out = subprocess.run(["ethtool", "-k", "lo"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    names = {m.group(1) for m in re.finditer(r"^\s*([a-z0-9-]+):", out, re.M)}
    return names | set(FEATURE_ALIASES) if names else None


def check_scalar_map(ck, key, table, value_types=(int, str, bool)):
    for k, v in ck.table(key, table).items():
        ck.typed(f"{key}.{k}", v, value_types, "a number, string or boolean")
    return table


def check_sysctl(ck, key, table):
    for name, v in ck.table(key, table).items():
        k = f"{key}.{name!r}" if "." in name else f"{key}.{name}"
        if not re.fullmatch(r"[a-z0-9_]+(\.[A-Za-z0-9_-]+)+", name):
            ck.fail(k, "not a sysctl name (dotted, e.g. net.core.busy_poll; quote it in TOML)")
        if not os.path.exists(os.path.join("/proc/sys", *name.split("."))):
            ck.fail(k, "no such sysctl (checked in this host's /proc/sys before the guest boots)")
        ck.typed(k, v, (int, str), "a number or a string")
        if isinstance(v, str) and (not v.strip() or "\n" in v or "'" in v):
            ck.fail(k, "value must be one line, without quotes")


def check_ethtool(ck, key, table, features):
    for sub, params in ck.table(key, table).items():
        k = f"{key}.{sub}"
        if sub not in ETHTOOL_OPTS:
            ck.fail(k, f"unknown ethtool table (known: {', '.join(f'{t} ({o})' for t, o in ETHTOOL_OPTS.items())})")
        for p, v in ck.table(k, params).items():
            pk = f"{k}.{p}"
            if sub == "features":
                if not re.fullmatch(r"[a-z0-9-]+", p) or (features is not None and p not in features):
                    ck.fail(pk, "unknown ethtool -K feature (see `ethtool -k`)")
                if not isinstance(v, bool) and v not in ("on", "off"):
                    ck.fail(pk, "expected true/false or \"on\"/\"off\"")
                continue
            if p not in ETHTOOL_PARAMS[sub]:
                ck.fail(pk, f"unknown ethtool {ETHTOOL_OPTS[sub]} parameter{did_you_mean(p, ETHTOOL_PARAMS[sub])} "
                        f"(known: {', '.join(ETHTOOL_PARAMS[sub])})")
            if isinstance(v, bool):
                if not p.startswith(("adaptive-", "cqe-mode-", "tx-push", "rx-push")):
                    ck.fail(pk, "expected a number")
            elif not isinstance(v, int) or v < 0:
                ck.fail(pk, f"expected a non-negative integer, got {v!r}")


def check_exchange(ck, key, table, base_dir):
    for k, v in ck.table(key, table).items():
        if k not in EXCHANGE_KEYS:
            ck.unknown(f"{key}.{k}", EXCHANGE_KEYS)
        ck.typed(f"{key}.{k}", v, EXCHANGE_KEYS[k], "a number" if k != "file" and k != "shape" else "a string")
    if "rate" in table and not (0 <= table["rate"] <= 1e9 and math.isfinite(table["rate"])):
        ck.fail(f"{key}.rate", "messages per second, 0 (unlimited) .. 1e9")
    if "burst" in table and not 1 <= table["burst"] <= 512:
        ck.fail(f"{key}.burst", "1 .. 512 (the exchange's --burst)")
    if "shape" in table and table["shape"] not in SHAPES:
        ck.fail(f"{key}.shape", f"unknown mdgen shape (known: {', '.join(SHAPES)})")
    if "bytes" in table and not 1000 <= table["bytes"] <= 1 << 34:
        ck.fail(f"{key}.bytes", "1000 .. 2^34 bytes of UDP payload")
    if "jump_ppm" in table and not 0 <= table["jump_ppm"] <= 200000:
        ck.fail(f"{key}.jump_ppm", "0 .. 200000 (mdgen --jump-ppm)")
    if "seed" in table and table["seed"] < 0:
        ck.fail(f"{key}.seed", "must be >= 0")
    if "file" in table:
        table["file"] = resolve_file(ck, f"{key}.file", table["file"], base_dir)


def resolve_file(ck, key, path, base_dir):
    for cand in ([path] if os.path.isabs(path) else [os.path.join(ROOT, path), os.path.join(base_dir, path)]):
        if os.path.isfile(cand):
            rel = os.path.relpath(os.path.realpath(cand), ROOT)
            if rel.startswith(".."):
                ck.fail(key, f"{path}: must be inside the repository (the guest sees only /lab)")
            return rel
    ck.fail(key, f"no such file: {path} (relative paths: from the repository root or the experiment file)")


def check_flags(ck, key, flags):
    ck.typed(key, flags, list, "a list of strings")
    for i, f in enumerate(flags):
        ck.typed(f"{key}[{i}]", f, str, "a string")
        if not f or any(c in f for c in "'\"\\;|&$`<> \t\n"):
            ck.fail(f"{key}[{i}]", f"{f!r}: one word per list element, no shell metacharacters")
    i = 0
    while i < len(flags):
        name = flags[i].split("=", 1)[0]
        if name in PLUMBING_FLAGS:
            ck.fail(f"{key}[{i}]", f"{name} is set by the lab (bench-lab.sh), not by an arm")
        if name not in STRATEGY_FLAGS:
            ck.fail(f"{key}[{i}]", f"unknown oe-strategy flag {flags[i]!r} (known: {', '.join(sorted(STRATEGY_FLAGS))})")
        if STRATEGY_FLAGS[name] and "=" not in flags[i]:
            if i + 1 >= len(flags) or flags[i + 1].startswith("-"):
                ck.fail(f"{key}[{i}]", f"{name} needs a value (the next list element)")
            i += 1
        i += 1


def check_arm(ck, key, arm, base_dir, features):
    for k, v in ck.table(key, arm).items():
        kk = f"{key}.{k}"
        if k not in ARM_KEYS:
            ck.unknown(kk, ARM_KEYS)
        if k == "variant":
            if v not in VARIANTS:
                ck.fail(kk, f"unknown variant {v!r} (known: {', '.join(VARIANTS)})")
        elif k == "flags":
            check_flags(ck, kk, v)
        elif k == "accel":
            if v not in ACCELS:
                ck.fail(kk, f"unknown accelerator {v!r} (OELAB_ACCEL: {', '.join(ACCELS)})")
        elif k == "cmdline":
            ck.typed(kk, v, str, "a string")
            for word in v.split():
                if not re.fullmatch(r"[A-Za-z0-9_.,:/-]+(=[A-Za-z0-9_.,:/=-]+)?", word):
                    ck.fail(kk, f"not a kernel command-line word: {word!r}")
                if word.split("=", 1)[0] in RESERVED_CMDLINE:
                    ck.fail(kk, f"{word.split('=', 1)[0]} is set by the lab itself")
        elif k == "sysctl":
            check_sysctl(ck, kk, v)
        elif k == "ethtool":
            check_ethtool(ck, kk, v, features)
        elif k == "module":
            known = module_params()
            for p, pv in check_scalar_map(ck, kk, v).items():
                if p not in known:
                    ck.fail(f"{kk}.{p}", f"unknown igb_oe module parameter{did_you_mean(p, known)} "
                            f"(known: {', '.join(known)})")
                if isinstance(pv, str) and not re.fullmatch(r"[A-Za-z0-9_.:,-]*", pv):
                    ck.fail(f"{kk}.{p}", f"value {pv!r}: letters, digits and _.:,- only")
        elif k == "trigger":
            for p, pv in check_scalar_map(ck, kk, v, (int, str)).items():
                if p not in TRIGGER_KEYS:
                    ck.fail(f"{kk}.{p}", f"unknown trigger key (known: {', '.join(TRIGGER_KEYS)})")
                if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(pv)):
                    ck.fail(f"{kk}.{p}", f"bad value {pv!r}")
        elif k == "exchange":
            check_exchange(ck, kk, v, base_dir)
        elif k == "build":
            for p, pv in ck.table(kk, v).items():
                if p not in BUILD_KEYS:
                    ck.unknown(f"{kk}.{p}", BUILD_KEYS)
                if not isinstance(pv, int) or isinstance(pv, bool) or not 0 <= pv <= 100000:
                    ck.fail(f"{kk}.{p}", "expected an integer 0 .. 100000 (instructions)")


def merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def resolve_exchange(ck, name, arm, base_ex, arm_ex):
    """file or shape: one of them per table; an arm's choice replaces the base's."""
    for key, t in (("base.exchange", base_ex), (f"{name}.exchange", arm_ex)):
        if "file" in t and "shape" in t:
            ck.fail(key, "give either file or shape (a generated file), not both")
    ex = arm["exchange"]
    if "shape" in arm_ex:
        ex.pop("file", None)
    elif "file" in arm_ex:
        for k in ("shape", "bytes", "seed", "jump_ppm"):
            ex.pop(k, None)
    if "shape" in ex:
        ex.pop("file", None)
    else:
        for k in ("bytes", "seed", "jump_ppm"):
            if k in ex:
                ck.fail(f"{name}.exchange.{k}", "only with shape (mdgen options)")


def check_resolved(ck, name, arm):
    """Rules across keys, on the resolved arm."""
    if arm["flags"] and arm["variant"] == "driver":
        ck.fail(f"{name}.flags", "strategy flags apply to the userspace variants, not to driver")
    if arm["build"].get("OE_FIRE_PAD_INSNS") and arm["variant"] != "driver":
        ck.fail(f"{name}.build.OE_FIRE_PAD_INSNS", "pads the in-driver fire path: only with variant = \"driver\"")
    if "notional_threshold" in arm["trigger"] and "threshold" in arm["trigger"]:
        ck.fail(f"{name}.trigger", "threshold and notional_threshold select different trigger modes; give one")


def load(path, features=None):
    """Parse + validate; returns the experiment: settings and the two resolved arms."""
    ck = Checker(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except OSError as e:
        raise ExperimentError(f"{path}: cannot read: {e.strerror}")
    except tomllib.TOMLDecodeError as e:
        raise ExperimentError(f"{path}: not valid TOML: {e}")
    for k, v in doc.items():
        if k not in TOP_KEYS:
            ck.unknown(k, TOP_KEYS)
        ck.typed(k, v, TOP_KEYS[k], {dict: "a table", str: "a string", int: "an integer"}[TOP_KEYS[k]])
    for arm in ("A", "B"):
        if arm not in doc:
            ck.fail(arm, "missing: an experiment has two arms, [A] and [B] (either may be empty)")
    exp = {"path": path, "name": doc.get("name", os.path.splitext(os.path.basename(path))[0]),
           "description": doc.get("description", ""), "reps": doc.get("reps", 5),
           "stopwatch": doc.get("stopwatch", "irq_to_doorbell"), "resamples": doc.get("resamples", 10000),
           "seed": doc.get("seed", 1)}
    if not 1 <= exp["reps"] <= 200:
        ck.fail("reps", "repetitions per arm: 1 .. 200")
    if exp["stopwatch"] not in STOPWATCHES:
        ck.fail("stopwatch", f"unknown guest stopwatch (C2 fields: {', '.join(STOPWATCHES)})")
    if not 1000 <= exp["resamples"] <= 1000000:
        ck.fail("resamples", "bootstrap resamples: 1000 .. 1000000")
    if features is None:
        features = known_features()
    base_dir = os.path.dirname(os.path.abspath(path))
    base = doc.get("base", {})
    check_arm(ck, "base", base, base_dir, features)
    resolved_base = merge(DEFAULTS, base)
    exp["arms"] = {}
    for arm in ("A", "B"):
        check_arm(ck, arm, doc[arm], base_dir, features)
        exp["arms"][arm] = merge(resolved_base, doc[arm])
        resolve_exchange(ck, arm, exp["arms"][arm], base.get("exchange", {}), doc[arm].get("exchange", {}))
        check_resolved(ck, arm, exp["arms"][arm])
    exp["identical"] = exp["arms"]["A"] == exp["arms"]["B"]
    exp["boot_per_rep"] = any(exp["arms"]["A"][k] != exp["arms"]["B"][k] for k in BOOT_KNOBS)
    return exp


def schedule(exp):
    """The run order: A B A B ... Returns boots, each a list of (rep, arm) steps. Arms that share the
    boot knobs run in one boot; otherwise every repetition of every arm gets a fresh one."""
    steps = [(rep, arm) for rep in range(1, exp["reps"] + 1) for arm in ("A", "B")]
    return [[s] for s in steps] if exp["boot_per_rep"] else [steps]


def shell_words(words):
    return " ".join(shlex.quote(str(w)) for w in words)
