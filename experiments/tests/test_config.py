"""Experiment files: every bad key is refused with its name, before anything boots (exit 2)."""
import os
import subprocess
import sys
import tempfile
import unittest

import experiment_config as cfg
from helpers import FEATURES, load_text

ROOT = cfg.ROOT
TOOL = os.path.join(ROOT, "scripts", "experiment.py")

class Valid(unittest.TestCase):
    def test_empty_arms_are_the_defaults(self):
        exp = load_text("[A]\n[B]\n")
        self.assertTrue(exp["identical"])
        self.assertEqual(exp["reps"], 5)
        self.assertEqual(exp["arms"]["A"]["variant"], "driver")
        self.assertEqual(exp["arms"]["A"]["accel"], "icount")
        self.assertEqual(cfg.schedule(exp), [[(1, "A"), (1, "B"), (2, "A"), (2, "B"), (3, "A"), (3, "B"),
                                              (4, "A"), (4, "B"), (5, "A"), (5, "B")]])

    def test_arm_overrides_merge_over_base(self):
        exp = load_text("""
            reps = 3
            [base]
            variant = "uring"
            sysctl = { "net.core.busy_poll" = 50 }
            exchange = { rate = 5000 }
            [A]
            [B]
            flags = ["--sqpoll", "--cpu", "1"]
            exchange = { burst = 8 }
            ethtool.coalesce = { rx-usecs = 3 }
            ethtool.features = { gro = false }
        """)
        a, b = exp["arms"]["A"], exp["arms"]["B"]
        self.assertEqual(b["exchange"], {"rate": 5000, "burst": 8, "file": a["exchange"]["file"]})
        self.assertEqual(b["sysctl"], {"net.core.busy_poll": 50})
        self.assertEqual(b["flags"], ["--sqpoll", "--cpu", "1"])
        self.assertEqual(a["flags"], [])
        self.assertFalse(exp["identical"])
        self.assertFalse(exp["boot_per_rep"])  # sysctl, ethtool, flags, exchange: one boot
        self.assertEqual(len(cfg.schedule(exp)), 1)

    def test_boot_knobs_get_a_boot_per_repetition_interleaved(self):
        for arm_b in ('accel = "tcg"', 'cmdline = "idle=poll nohz_full=1"'):
            exp = load_text(f"reps = 2\n[A]\n[B]\n{arm_b}\n")
            self.assertTrue(exp["boot_per_rep"], arm_b)
            self.assertEqual(cfg.schedule(exp), [[(1, "A")], [(1, "B")], [(2, "A")], [(2, "B")]])

    def test_shape_in_an_arm_replaces_the_base_file(self):
        exp = load_text("""
            [base]
            exchange = { file = "userspace-exchange/data/sample.csv.gz" }
            [A]
            [B]
            exchange = { shape = "burst", bytes = 200000 }
        """)
        self.assertNotIn("file", exp["arms"]["B"]["exchange"])
        self.assertEqual(exp["arms"]["B"]["exchange"]["shape"], "burst")
        self.assertNotIn("shape", exp["arms"]["A"]["exchange"])

    def test_module_parameters_come_from_the_driver_sources(self):
        self.assertIn("md_port", cfg.module_params())
        exp = load_text("[A]\n[B]\nmodule = { max_orders_per_sec = 100, md_mirror = true }\n")
        self.assertEqual(exp["arms"]["B"]["module"], {"max_orders_per_sec": 100, "md_mirror": True})

    def test_every_shipped_experiment_is_valid(self):
        files = sorted(f for f in os.listdir(os.path.join(ROOT, "experiments")) if f.endswith(".toml"))
        self.assertGreaterEqual(len(files), 6)
        for f in files:
            cfg.load(os.path.join(ROOT, "experiments", f))

    def test_strategy_flag_table_matches_oe_strategy_usage(self):
        """Every flag we accept is one oe-strategy documents (userspace-strategy/src/options.cpp)."""
        usage = open(os.path.join(ROOT, "userspace-strategy", "src", "options.cpp")).read()
        for flag in cfg.STRATEGY_FLAGS:
            self.assertIn(flag, usage, flag)
        for flag in cfg.PLUMBING_FLAGS:
            self.assertIn(flag, usage, flag)


BAD = [
    # (file text, key the message must name, words it must contain)
    ("[A]\n", "B", "missing"),
    ("[A]\n[B]\nrepz = 3\n", "B.repz", "unknown key"),
    ("repz = 3\n[A]\n[B]\n", "repz", "unknown key"),
    ("reps = \"five\"\n[A]\n[B]\n", "reps", "integer"),
    ("reps = 0\n[A]\n[B]\n", "reps", "1 .. 200"),
    ("stopwatch = \"wall\"\n[A]\n[B]\n", "stopwatch", "unknown guest stopwatch"),
    ("resamples = 10\n[A]\n[B]\n", "resamples", "1000"),
    ("[A]\n[B]\nvariant = \"dpdk\"\n", "B.variant", "unknown variant"),
    ("[A]\naccel = \"hvf\"\n[B]\n", "A.accel", "unknown accelerator"),
    ("[A]\n[B]\nsysctls = {}\n", "B.sysctls", "unknown key"),
    ("[A]\n[B]\nsysctl = { \"net.core.no_such_knob\" = 1 }\n", "B.sysctl.'net.core.no_such_knob'", "no such sysctl"),
    ("[A]\n[B]\nsysctl = { busy_poll = 1 }\n", "B.sysctl.busy_poll", "not a sysctl name"),
    ("[A]\n[B]\nsysctl = { \"net.core.busy_poll\" = [1] }\n", "B.sysctl.'net.core.busy_poll'", "number or a string"),
    ("[A]\n[B]\nsysctl = { \"net.core.busy_poll\" = 1.5 }\n", "B.sysctl.'net.core.busy_poll'", "number or a string"),
    ("[A]\n[B]\nethtool.coalesc = { rx-usecs = 3 }\n", "B.ethtool.coalesc", "unknown ethtool table"),
    ("[A]\n[B]\nethtool.coalesce = { rx-usec = 3 }\n", "B.ethtool.coalesce.rx-usec", "unknown ethtool -C parameter"),
    ("[A]\n[B]\nethtool.coalesce = { rx-usecs = -1 }\n", "B.ethtool.coalesce.rx-usecs", "non-negative integer"),
    ("[A]\n[B]\nethtool.coalesce = { rx-usecs = true }\n", "B.ethtool.coalesce.rx-usecs", "expected a number"),
    ("[A]\n[B]\nethtool.ring = { rx = \"big\" }\n", "B.ethtool.ring.rx", "non-negative integer"),
    ("[A]\n[B]\nethtool.channels = { queues = 2 }\n", "B.ethtool.channels.queues", "unknown ethtool -L parameter"),
    ("[A]\n[B]\nethtool.features = { warp-drive = true }\n", "B.ethtool.features.warp-drive", "unknown ethtool -K"),
    ("[A]\n[B]\nethtool.features = { gro = 1 }\n", "B.ethtool.features.gro", "true/false"),
    ("[A]\n[B]\nethtool = 3\n", "B.ethtool", "a table"),
    ("[A]\n[B]\nmodule = { no_such_param = 1 }\n", "B.module.no_such_param", "unknown igb_oe module parameter"),
    ("[A]\n[B]\nmodule = { md_group = \"a b\" }\n", "B.module.md_group", "letters, digits"),
    ("[A]\n[B]\ntrigger = { depth = 3 }\n", "B.trigger.depth", "unknown trigger key"),
    ("[A]\n[B]\ntrigger = { threshold = 5, notional_threshold = 7 }\n", "B.trigger", "give one"),
    ("[A]\n[B]\nexchange = { speed = 2 }\n", "B.exchange.speed", "unknown key"),
    ("[A]\n[B]\nexchange = { rate = -1 }\n", "B.exchange.rate", "messages per second"),
    ("[A]\n[B]\nexchange = { rate = \"fast\" }\n", "B.exchange.rate", "a number"),
    ("[A]\n[B]\nexchange = { burst = 0 }\n", "B.exchange.burst", "1 .. 512"),
    ("[A]\n[B]\nexchange = { burst = 513 }\n", "B.exchange.burst", "1 .. 512"),
    ("[A]\n[B]\nexchange = { shape = \"sine\" }\n", "B.exchange.shape", "unknown mdgen shape"),
    ("[A]\n[B]\nexchange = { file = \"no/such.csv.gz\" }\n", "B.exchange.file", "no such file"),
    ("[A]\n[B]\nexchange = { file = \"/etc/hostname\" }\n", "B.exchange.file", "inside the repository"),
    ("[A]\n[B]\nexchange = { shape = \"burst\", file = \"userspace-exchange/data/sample.csv.gz\" }\n",
     "B.exchange", "either file or shape"),
    ("[A]\n[B]\nexchange = { bytes = 100000 }\n", "B.exchange.bytes", "only with shape"),
    ("[A]\n[B]\nexchange = { shape = \"burst\", bytes = 10 }\n", "B.exchange.bytes", "1000"),
    ("[A]\n[B]\nvariant = \"uring\"\nflags = [\"--turbo\"]\n", "B.flags[0]", "unknown oe-strategy flag"),
    ("[A]\n[B]\nvariant = \"uring\"\nflags = [\"--mode\", \"xdp\"]\n", "B.flags[0]", "set by the lab"),
    ("[A]\n[B]\nvariant = \"uring\"\nflags = [\"--cpu\"]\n", "B.flags[0]", "needs a value"),
    ("[A]\n[B]\nvariant = \"uring\"\nflags = [\"--cpu 1\"]\n", "B.flags[0]", "one word per list element"),
    ("[A]\n[B]\nvariant = \"uring\"\nflags = [\"--tos=$(reboot)\"]\n", "B.flags[0]", "metacharacters"),
    ("[A]\n[B]\nvariant = \"uring\"\nflags = \"--sqpoll\"\n", "B.flags", "a list"),
    ("[A]\n[B]\nflags = [\"--sqpoll\"]\n", "B.flags", "userspace variants"),
    ("[A]\n[B]\ncmdline = \"console=tty0\"\n", "B.cmdline", "set by the lab"),
    ("[A]\n[B]\ncmdline = \"idle=poll; reboot\"\n", "B.cmdline", "not a kernel command-line word"),
    ("[A]\n[B]\nbuild = { OE_FIRE_PAD = 100 }\n", "B.build.OE_FIRE_PAD", "unknown key"),
    ("[A]\n[B]\nbuild = { OE_FIRE_PAD_INSNS = -5 }\n", "B.build.OE_FIRE_PAD_INSNS", "0 .. 100000"),
    ("[A]\n[B]\nvariant = \"uring\"\nbuild = { OE_FIRE_PAD_INSNS = 100 }\n", "B.build.OE_FIRE_PAD_INSNS",
     "only with variant"),
    ("[base]\nvariant = \"nope\"\n[A]\n[B]\n", "base.variant", "unknown variant"),
    ("[A]\n[B\n", "", "not valid TOML"),
]


class Invalid(unittest.TestCase):
    def test_each_bad_key_is_named(self):
        for text, key, words in BAD:
            with self.subTest(text=text):
                with self.assertRaises(cfg.ExperimentError) as cm:
                    load_text(text)
                msg = str(cm.exception)
                self.assertIn(f": {key}: " if key else "", msg)
                self.assertIn(words, msg)

    def test_near_misses_get_a_suggestion(self):
        for text, hint in (("[A]\n[B]\nethtool.coalesce = { rx-usec = 3 }\n", "did you mean 'rx-usecs'?"),
                           ("[A]\n[B]\nsysctls = {}\n", "did you mean 'sysctl'?"),
                           ("[A]\n[B]\nmodule = { md_prt = 1 }\n", "did you mean 'md_port'?")):
            with self.assertRaises(cfg.ExperimentError) as cm:
                load_text(text)
            self.assertIn(hint, str(cm.exception))

    def test_missing_file(self):
        with self.assertRaises(cfg.ExperimentError) as cm:
            cfg.load("/nonexistent/exp.toml", FEATURES)
        self.assertIn("cannot read", str(cm.exception))


class Cli(unittest.TestCase):
    def run_tool(self, *args):
        return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True, cwd=ROOT)

    def write(self, text):
        d = tempfile.mkdtemp()
        p = os.path.join(d, "exp.toml")
        with open(p, "w") as f:
            f.write(text)
        return d, p

    def test_bad_key_exits_2_naming_it(self):
        _, p = self.write("[A]\n[B]\nethtool.coalesce = { rx-usec = 3 }\n")
        for sub in ("check", "run", "make-vars"):
            r = self.run_tool(sub, p)
            self.assertEqual(r.returncode, 2, sub)
            self.assertIn("B.ethtool.coalesce.rx-usec", r.stderr)
            self.assertEqual(r.stdout, "")

    def test_run_refuses_before_booting_and_writes_nothing(self):
        d, p = self.write("[A]\n[B]\nsysctl = { \"net.core.no_such_knob\" = 1 }\n")
        out = os.path.join(d, "results")
        r = self.run_tool("run", p, "--out-root", out)
        self.assertEqual(r.returncode, 2)
        self.assertFalse(os.path.exists(out))
        self.assertNotIn("boot", r.stderr.replace("before the guest boots", ""))

    def test_missing_padded_module_exits_2_before_booting(self):
        d, p = self.write("[A]\n[B]\nbuild = { OE_FIRE_PAD_INSNS = 99991 }\n")
        r = self.run_tool("run", p, "--out-root", os.path.join(d, "results"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("OE_FIRE_PAD_INSNS = 99991", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(d, "results")))

    def test_make_vars_names_the_padded_build(self):
        r = self.run_tool("make-vars", os.path.join(ROOT, "experiments", "pad-driver.toml"))
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "OE_FIRE_PAD_INSNS=100"))
        r = self.run_tool("make-vars", os.path.join(ROOT, "experiments", "aa-driver.toml"))
        self.assertEqual((r.returncode, r.stdout.strip()), (0, ""))

    def test_check_prints_the_schedule(self):
        r = self.run_tool("check", os.path.join(ROOT, "experiments", "aa-driver-short.toml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("schedule: 1 boot(s): A1 B1 A2 B2", r.stdout)

    def test_make_experiment_without_exp_is_a_usage_error(self):
        r = subprocess.run(["make", "--no-print-directory", "-s", "experiment-check"], capture_output=True,
                           text=True, cwd=ROOT)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("EXP=", r.stderr)


if __name__ == "__main__":
    unittest.main()
