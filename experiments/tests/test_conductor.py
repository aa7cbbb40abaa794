"""The host side of a boot for real, without a guest: the conductor starts a real exchange per step in
one private netns, the guest agent runs in another joined by a veth pair (no tap, no QEMU), and its
steps run a real oe-strategy (io_uring) against that exchange; then the experiment report is
written from what they produced. The guest's own part (bench-lab.sh, igb_oe) is make test's A/A."""
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import experiment
import experiment_config as cfg
import experiment_plan as plan

STRATEGY = os.path.join(cfg.ROOT, "build", "host", "userspace-strategy", "oe-strategy")
NEEDS = [plan.EXCHANGE, plan.MDGEN, STRATEGY]


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True)


@unittest.skipUnless(os.geteuid() == 0 and shutil.which("busybox") and all(os.access(b, os.X_OK) for b in NEEDS),
                     "needs root, busybox and the host binaries (make host)")
class ConductorOverVeth(unittest.TestCase):
    def setUp(self):
        self.ns = (f"oelab-ct-x{os.getpid()}", f"oelab-ct-g{os.getpid()}")
        x, g = self.ns
        sh("ip", "netns", "add", x)
        sh("ip", "netns", "add", g)
        sh("ip", "link", "add", plan.TAP, "netns", x, "type", "veth", "peer", "name", "eth0", "netns", g)
        for ns, dev, ip in ((x, plan.TAP, plan.HOST_IP), (g, "eth0", "192.168.100.2")):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "route", "add", "239.0.0.0/8", "dev", dev)

    def tearDown(self):
        for ns in self.ns:
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for p in pids:
                subprocess.run(["kill", "-9", p])
            subprocess.run(["ip", "netns", "del", ns])

    def test_two_steps_end_to_end(self):
        d = tempfile.mkdtemp()
        data = os.path.join(d, "md.csv.gz")
        sh(plan.MDGEN, "--out", data, "--seed", "7", "--bytes", "120000", "--jump-ppm", "60000")
        exp = cfg.load(os.path.join(cfg.ROOT, "experiments", "sqpoll.toml"))
        exp["reps"], exp["resamples"] = 1, 1000
        boot, run = os.path.join(d, "boot"), os.path.join(d, "run")
        os.makedirs(boot)
        os.makedirs(os.path.join(run, "exp"))
        steps = []
        for k, arm in ((1, "A"), (2, "B")):
            a = exp["arms"][arm]
            argv = plan.exchange_command(a, os.path.join(boot, f"step-{k}"))
            argv[argv.index("--file") + 1] = data
            out = os.path.join(run, "exp", f"step-{k}")
            script = (f"mkdir -p {out}\nexp_sysctl net.ipv4.ip_forward {k - 1}\n"
                      f"{STRATEGY} --mode uring {' '.join(a['flags'])} --iface eth0 --oe {plan.HOST_IP}:9012 "
                      f"--duration 3 --stats-json {out}/1-uring.json > {out}/1-uring.log 2>&1\n"
                      f"printf '1\\turing\\tA\\t1\\t0\\t100\\t100\\t1-uring.json\\n' > {out}/plan.tsv\n")
            steps.append({"step": k, "global_step": k, "boot": 1, "rep": 1, "arm": arm, "variant": "uring",
                          "stopwatch": "irq_to_doorbell", "guest_script": script, "nic_script": "true\n",
                          "exchange_argv": argv})
        with open(os.path.join(boot, "plan.json"), "w") as f:
            json.dump({"steps": steps, "sysctl_keys": ["net.ipv4.ip_forward"], "reps": 1, "total_steps": 2,
                       "started": time.time()}, f)
        agent = subprocess.Popen(["ip", "netns", "exec", self.ns[1], "busybox", "sh",
                                  os.path.join(cfg.ROOT, "scripts", "experiment-guest.sh"), os.path.join(run, "exp")],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        c = subprocess.run(["ip", "netns", "exec", self.ns[0], sys.executable,
                            os.path.join(cfg.ROOT, "scripts", "experiment_conductor.py"), boot, run],
                           capture_output=True, text=True, timeout=240)
        agent_out, _ = agent.communicate(timeout=60)
        self.assertEqual(c.returncode, 0, c.stderr)
        self.assertIn("stop after 2 steps", agent_out)
        lines = [ln for ln in c.stderr.splitlines() if "triggers matched" in ln]
        self.assertEqual(len(lines), 2, c.stderr)
        self.assertIn("rep 1/1 arm B (uring), step 2/2:", lines[1])
        results = [json.load(open(os.path.join(boot, f"step-{k}", "result.json"))) for k in (1, 2)]
        for r in results:
            self.assertEqual(r["problems"], [], r)
            t = r["exchange"]["triggers"]
            self.assertGreater(t["expected"], 10)
            self.assertEqual(len(r["samples"]["exchange_ns"]), t["matched"])
            self.assertTrue(os.path.isfile(os.path.join(boot, f"step-{r['step']}", "report", "bench.json")))
        self.assertIn("sysctl net.ipv4.ip_forward = 1", results[1]["settings_seen"])
        self.assertEqual(json.load(open(os.path.join(boot, "step-2", "exchange-report.json")))["session"], 1)
        # and the experiment's report from them
        out = os.path.join(d, "results", "stamp")
        os.makedirs(out)
        b = {"boot": 1, "dir": boot, "arms": ["A", "B"], "env": {"OELAB_ACCEL": "icount"}, "command": "test",
             "steps": [1, 2], "rc": 0, "run_dir": run}
        meta = {"file": "experiments/sqpoll.toml", "toml": "", "stamp": "stamp", "command": "test",
                "load": ["0", "0"], "lab_defaults": plan.LAB_DEFAULTS,
                "commands": {a: experiment.arm_commands(exp, a, None) for a in "AB"}}
        with contextlib.redirect_stdout(io.StringIO()) as said:
            self.assertEqual(experiment.finish(out, exp, [b], meta), 0)
        self.assertIn("experiment: report in", said.getvalue())
        j = json.load(open(os.path.join(out, "report.json")))
        self.assertEqual(j["stopwatch"]["primary"], "exchange")
        self.assertEqual([s["arm"] for s in j["repetitions"]], ["A", "B"])
        self.assertIn("p50", j["verdict"])
        self.assertTrue(os.path.islink(os.path.join(d, "results", "latest")))


if __name__ == "__main__":
    unittest.main()
