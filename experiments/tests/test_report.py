"""Step results from real-format files (exchange session report, C2 stopwatch.jsonl) and the
experiment report: report.json's fields, report.md's verdict, the two PNGs."""
import json
import os
import tempfile
import unittest

import numpy as np

import experiment_report as rep
import experiment_results as res
from helpers import load_text as make_exp


def session(samples, expected=None, missed=0):
    n = len(samples)
    return {"schema": "oeex-session-report/1", "reconciled": not missed, "end_reason": "peer closed",
            "md": {"published": 14491}, "orders": {"received": n, "unexpected": 0, "rejected": 0},
            "triggers": {"expected": expected if expected is not None else n, "matched": n, "missed": missed},
            "tick_to_trade_ns": {"count": n, "p50": int(np.median(samples)) if n else 0},
            "tick_to_trade_samples_ns": [int(s) for s in samples], "pace": {"rate": 2000}, "file": "x"}


def write_step(d, step, samples, guest=None, variant="driver", stages=True):
    sdir = os.path.join(d, f"step-{step['step']}")
    os.makedirs(os.path.join(sdir, "report"), exist_ok=True)
    with open(os.path.join(sdir, "exchange-report.json"), "w") as f:
        json.dump(session(samples), f)
    if guest is not None:
        with open(os.path.join(sdir, "report", "stopwatch.jsonl"), "w") as f:
            for i, g in enumerate(guest):
                st = {"irq_to_napi": g * 0.3, "napi_to_hook": g * 0.2, "hook_to_doorbell": g * 0.5,
                      "host_tx": None} if stages and g is not None else {}
                f.write(json.dumps({"variant": variant, "rep": 1, "seq": 100 + i, "irq_to_doorbell": g,
                                    "rx_to_doorbell": None, "napi_to_doorbell": None if g is None else g - 50, "exchange_ns": samples[i],
                                    "irq_source": "msix", "stages": st}) + "\n")
            # another variant's record in the same file is not this step's
            f.write(json.dumps({"variant": "uring", "seq": 1, "irq_to_doorbell": 1, "stages": {}}) + "\n")
            f.write("not json\n")
    with open(os.path.join(sdir, f"step-{step['step']}.log"), "w") as f:
        f.write("sysctl net.core.busy_poll = 50\nnic rx-usecs: 0\nother\n")
    return sdir


class StepResult(unittest.TestCase):
    def test_samples_from_both_stopwatches(self):
        d = tempfile.mkdtemp()
        step = {"step": 1, "global_step": 1, "boot": 1, "rep": 1, "arm": "A", "variant": "driver",
                "stopwatch": "irq_to_doorbell"}
        write_step(d, step, [100000, 110000, 120000], guest=[900, 950, None])
        r = res.step_result(step, os.path.join(d, "step-1"), 0, 0, 12.34)
        self.assertEqual(r["samples"]["exchange_ns"], [100000, 110000, 120000])
        self.assertEqual(r["samples"]["guest_ns"], [900, 950])  # null = not measured: left out
        self.assertEqual(len(r["stopwatch"]["records"]), 3)  # the uring record is not this step's
        self.assertTrue(r["ok"])
        self.assertEqual(r["settings_seen"], ["sysctl net.core.busy_poll = 50", "nic rx-usecs: 0"])
        line = res.progress_line(r, {"reps": 5, "total_steps": 10}, 90)
        self.assertIn("rep 1/5 arm A (driver), step 1/10: 3/3 triggers matched;", line)
        self.assertIn("guest irq_to_doorbell p50 925 ns", line)
        self.assertIn("exchange p50 110.0 µs", line)

    def test_no_guest_stopwatch_is_none_not_zero(self):
        d = tempfile.mkdtemp()
        step = {"step": 2, "rep": 1, "arm": "B", "variant": "driver"}
        write_step(d, step, [5, 6])
        r = res.step_result(step, os.path.join(d, "step-2"), 0, 0, 1)
        self.assertIsNone(r["samples"]["guest_ns"])
        self.assertIn("guest stopwatch: none", res.progress_line(r, {"reps": 1, "total_steps": 2}, 1))

    def test_failed_and_missing_steps(self):
        d = tempfile.mkdtemp()
        os.makedirs(os.path.join(d, "step-1"))
        r = res.step_result({"step": 1, "rep": 1, "arm": "A", "variant": "driver"}, os.path.join(d, "step-1"),
                            None, None, 0)
        self.assertFalse(r["ok"])
        self.assertIn("the guest never finished the step", r["problems"])
        self.assertTrue(any("no exchange session report" in p for p in r["problems"]))

    def test_session_end_in_the_log_when_no_report_file(self):
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "exchange.log"), "w") as f:
            f.write("junk\n" + json.dumps({"event": "session_end", "report": session([7, 8])}) + "\n")
        self.assertEqual(res.session_report(d)["tick_to_trade_samples_ns"], [7, 8])


class Report(unittest.TestCase):
    def build(self, guest, shift=100):
        exp = make_exp("[A]\n[B]\n")
        exp["resamples"] = 2000
        d = tempfile.mkdtemp()
        rng = np.random.default_rng(1)
        steps = []
        for k in range(1, 7):
            arm = "A" if k % 2 else "B"
            step = {"step": k, "global_step": k, "boot": 1, "rep": (k + 1) // 2, "arm": arm, "variant": "driver",
                    "stopwatch": "irq_to_doorbell"}
            g = (959 + rng.integers(0, 50, 80) + (shift if arm == "B" else 0)).tolist() if guest else None
            ex = (100000 + rng.integers(0, 20000, 80)).tolist()
            write_step(d, step, ex, g)
            steps.append(res.step_result(step, os.path.join(d, f"step-{k}"), 0, 0, 10))
        boots = [{"boot": 1, "dir": d, "arms": ["A", "B"], "env": {"OELAB_ACCEL": "icount"},
                  "accel_json": {"requested": "icount", "accel": "icount", "qemu_args": "-icount shift=0",
                                 "reason": "requested"},
                  "command": "OELAB_ACCEL=icount bash qemu/scenarios/run.sh experiment", "rc": 0, "run_dir": d}]
        meta = {"file": "experiments/x.toml", "toml": "[A]\n[B]\n", "stamp": "20260101-000000",
                "command": "make experiment EXP=experiments/x.toml", "load": ["1.0", "2.0"],
                "lab_defaults": "defaults", "commands": {a: {"guest_script": "sh x\n", "nic_script": "set -e\n",
                                                             "exchange": "exchange --rate 2000"} for a in "AB"}}
        out = tempfile.mkdtemp()
        return out, rep.write(out, exp, boots, steps, meta)

    def test_guest_stopwatch_is_primary_and_detects_the_shift(self):
        out, r = self.build(guest=True)
        j = json.load(open(os.path.join(out, "report.json")))
        self.assertEqual(j["accel"], "icount")
        self.assertEqual(j["stopwatch"]["primary"], "guest")
        self.assertEqual(j["stopwatch"]["guest_label"], "guest ns, icount: 1 instruction = 1 ns")
        for q in ("p50", "p99"):
            self.assertEqual(set(j["verdict"][q]) >= {"diff_pct", "ci95", "significant"}, True)
        self.assertTrue(j["verdict"]["p50"]["significant"])
        self.assertAlmostEqual(j["verdict"]["p50"]["diff_ns"], 100, delta=10)
        self.assertEqual(len(j["repetitions"]), 6)
        self.assertEqual(len(j["repetitions"][0]["samples"]["exchange_ns"]), 80)
        self.assertIn("config", j["arms"]["A"])
        self.assertIn("commands", j["arms"]["B"])
        self.assertEqual(j["stages_p50"]["A"]["host_tx"], None)
        md = open(os.path.join(out, "report.md")).read()
        self.assertIn("**Verdict (guest-side stopwatch): B is ", md)
        self.assertIn("A and B are identical", md)
        for png in ("cdf.png", "stages.png"):
            with open(os.path.join(out, png), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_without_c2_the_exchange_stopwatch_decides_and_says_so(self):
        out, r = self.build(guest=False)
        self.assertEqual(r["stopwatch"]["primary"], "exchange")
        self.assertIn("absent", r["stopwatch"]["note"])
        self.assertIsNone(r["stats"]["guest"])
        self.assertIn("exchange-side stopwatch", open(os.path.join(out, "report.md")).read())
        self.assertTrue(os.path.getsize(os.path.join(out, "stages.png")) > 1000)

    def test_no_accel_json_means_tcg(self):
        a = rep.accel_of({"env": {"OELAB_ACCEL": "icount"}})
        self.assertEqual(a["accel"], "tcg")
        self.assertIn("C1", a["reason"])

    def test_config_diff(self):
        exp = make_exp('[A]\n[B]\nethtool.coalesce = { rx-usecs = 3 }\n')
        self.assertEqual(rep.config_diff(exp["arms"]["A"], exp["arms"]["B"]),
                         [("ethtool.coalesce.rx-usecs", None, 3)])


if __name__ == "__main__":
    unittest.main()


class SelfCheck(unittest.TestCase):
    """experiment.py's self-check judgements on synthetic reports (the guest runs are make test's)."""

    def judge(self, kind, shift, pad=100):
        import experiment
        out, r = Report().build(guest=True, shift=shift)
        exp = make_exp(f"[A]\n[B]\nbuild = {{ OE_FIRE_PAD_INSNS = {pad} }}\n" if kind == "pad" else "[A]\n[B]\n")
        return {name: ok for name, ok, _ in experiment.selfcheck(kind, exp, r)}

    def test_pad_detected_with_sign_and_size(self):
        checks = self.judge("pad", 100)
        self.assertTrue(all(checks.values()), checks)

    def test_pad_of_the_wrong_size_fails(self):
        checks = self.judge("pad", 50)
        self.assertFalse(checks["known work: p50 moved by 100 ± 10 guest ns"])
        self.assertTrue(checks["known work: B slower at p50 (significant)"])

    def test_aa_passes_without_a_difference_and_fails_with_one(self):
        self.assertTrue(self.judge("aa", 0)["A/A: no detectable difference at p50"])
        self.assertFalse(self.judge("aa", 100)["A/A: no detectable difference at p50"])
