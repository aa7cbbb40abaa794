"""Arm -> commands: the guest step script, the NIC script, the exchange argv; and the guest agent
(scripts/experiment-guest.sh) run for real under busybox sh in a private network namespace."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import experiment_config as cfg
import experiment_plan as plan
from helpers import load_text as exp_from

BUSYBOX = shutil.which("busybox")
AGENT = os.path.join(cfg.ROOT, "scripts", "experiment-guest.sh")


class Commands(unittest.TestCase):
    def test_driver_arm(self):
        exp = exp_from("""
            [base]
            trigger = { levels = 3, qty = 5 }
            module = { max_orders_per_sec = 200 }
            [A]
            [B]
            ethtool.coalesce = { rx-usecs = 3 }
            ethtool.ring = { rx = 256 }
            ethtool.features = { gro = false }
            exchange = { rate = 20000, burst = 64 }
        """)
        b = exp["arms"]["B"]
        self.assertEqual(plan.module_words(b), ["levels=3", "qty=5", "max_orders_per_sec=200"])
        nic = plan.nic_script(b)
        ring, feat, coal = (nic.index('ethtool -G "$1" rx 256'), nic.index('ethtool -K "$1" gro off'),
                            nic.index('ethtool -C "$1" rx-usecs 3'))
        self.assertLess(ring, feat)  # the ring change resets the device: before coalescing
        self.assertLess(feat, coal)
        argv = plan.exchange_command(b, "/tmp/s")
        self.assertEqual(argv[argv.index("--rate") + 1], "20000")
        self.assertEqual(argv[argv.index("--burst") + 1], "64")
        self.assertIn("--levels", argv)
        self.assertEqual(argv[argv.index("--sessions") + 1], "1")
        script = plan.guest_script(exp, "B", 3, None)
        self.assertIn("--variants driver", script)
        self.assertIn("--modparams 'levels=3 qty=5 max_orders_per_sec=200'", script)
        self.assertIn("--nic-setup /out/exp/step-3.nic.sh", script)
        self.assertNotIn("--trigger", script)

    def test_userspace_arm_gets_trigger_and_flags_as_strategy_flags(self):
        exp = exp_from("""
            [base]
            variant = "uring"
            trigger = { notional_threshold = 1000 }
            [A]
            [B]
            flags = ["--sqpoll", "--cpu", "0"]
        """)
        self.assertEqual(plan.module_words(exp["arms"]["B"]), [])
        s = plan.guest_script(exp, "B", 1, None)
        self.assertIn("--trigger '--sqpoll --cpu 0 --notional 1000'", s)
        argv = plan.exchange_command(exp["arms"]["B"], "/tmp/s")
        self.assertEqual(argv[argv.index("--notional") + 1], "1000")
        exp2 = exp_from('[base]\ntrigger = { notional_threshold = 7 }\n[A]\n[B]\n')
        self.assertEqual(plan.module_words(exp2["arms"]["A"]), ["notional=1", "notional_threshold=7"])

    def test_floor_talks_to_the_bounce_exchange(self):
        exp = exp_from('[base]\nvariant = "floor"\n[A]\n[B]\n')
        argv = plan.exchange_command(exp["arms"]["A"], "/tmp/s")
        self.assertIn("--bounce-all", argv)
        self.assertEqual(argv[argv.index("--port") + 1], "9014")

    def test_sysctls_set_or_restored_every_step(self):
        exp = exp_from("""
            [A]
            sysctl = { "net.core.busy_poll" = 50 }
            [B]
            sysctl = { "net.core.busy_read" = 50 }
        """)
        self.assertEqual(plan.sysctl_keys(exp), ["net.core.busy_poll", "net.core.busy_read"])
        a = plan.guest_script(exp, "A", 1, None)
        self.assertIn("exp_sysctl net.core.busy_poll 50", a)
        self.assertIn("exp_sysctl_restore net.core.busy_read", a)

    def test_padded_module_and_boot_env(self):
        exp = exp_from('[A]\n[B]\naccel = "tcg"\ncmdline = "idle=poll"\nbuild = { OE_FIRE_PAD_INSNS = 100 }\n')
        s = plan.guest_script(exp, "B", 2, "/lab/build/modules/igb_oe-pad100.ko")
        self.assertIn("--module /lab/build/modules/igb_oe-pad100.ko", s)
        self.assertEqual(plan.boot_env(exp["arms"]["B"]), {"OELAB_ACCEL": "tcg", "OELAB_KERNEL_ARGS": "idle=poll"})
        self.assertEqual(plan.boot_env(exp["arms"]["A"]), {"OELAB_ACCEL": "icount"})

    def test_generated_file_is_named_by_its_options(self):
        rel, cmd = plan.generated_file({"shape": "burst", "bytes": 300000, "seed": 7, "jump_ppm": 60000})
        self.assertEqual(rel, "build/experiments/data/mdgen-burst-s7-b300000-j60000.csv.gz")
        self.assertEqual(cmd[cmd.index("--jump-ppm") + 1], "60000")

    @unittest.skipUnless(BUSYBOX, "busybox not installed")
    def test_generated_scripts_parse_in_busybox_sh(self):
        exp = exp_from("""
            [base]
            variant = "uring"
            [A]
            sysctl = { "net.ipv4.tcp_rmem" = "4096 131072 6291456" }
            [B]
            flags = ["--busy-poll"]
            ethtool.coalesce = { rx-usecs = 3, adaptive-rx = false }
        """)
        for arm in ("A", "B"):
            for text in (plan.guest_script(exp, arm, 1, None), plan.nic_script(exp["arms"][arm])):
                r = subprocess.run([BUSYBOX, "sh", "-n"], input=text, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr + text)


@unittest.skipUnless(BUSYBOX and os.geteuid() == 0, "needs busybox and root (unshare -n)")
class GuestAgent(unittest.TestCase):
    """The agent's protocol and its sysctl save/set/restore, on a per-netns sysctl (ip_forward), so
    the host's own settings are never touched."""

    def test_steps_run_in_order_and_sysctls_are_restored(self):
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "sysctl-keys"), "w") as f:
            f.write("net.ipv4.ip_forward\n")
        steps = {1: "exp_sysctl net.ipv4.ip_forward 1 || exit 3\necho step1 $(cat /proc/sys/net/ipv4/ip_forward)\n",
                 2: "exp_sysctl_restore net.ipv4.ip_forward || exit 3\necho step2 $(cat /proc/sys/net/ipv4/ip_forward)\n",
                 3: "exit 7\n"}
        p = subprocess.Popen(["unshare", "-n", BUSYBOX, "sh", AGENT, d], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        for k, body in steps.items():
            with open(os.path.join(d, f"step-{k}.sh"), "w") as f:
                f.write(body)
            open(os.path.join(d, f"step-{k}.ready"), "w").close()
            for _ in range(300):
                if os.path.exists(os.path.join(d, f"step-{k}.done")):
                    break
                time.sleep(0.05)
            time.sleep(0.1)
        open(os.path.join(d, "stop"), "w").close()
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 0, out)
        self.assertIn("stop after 3 steps", out)
        read = lambda n: open(os.path.join(d, n)).read()  # noqa: E731
        self.assertEqual([read(f"step-{k}.done").strip() for k in (1, 2, 3)], ["0", "0", "7"])
        self.assertIn("step1 1", read("step-1.log"))
        self.assertIn("sysctl net.ipv4.ip_forward = 1", read("step-1.log"))
        self.assertIn("step2 0", read("step-2.log"))  # a fresh netns boots with forwarding off

    def test_unknown_guest_sysctl_stops_before_any_step(self):
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "sysctl-keys"), "w") as f:
            f.write("net.core.no_such_knob\n")
        with open(os.path.join(d, "step-1.sh"), "w") as f:
            f.write("echo ran\n")
        open(os.path.join(d, "step-1.ready"), "w").close()
        r = subprocess.run(["unshare", "-n", BUSYBOX, "sh", AGENT, d], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no sysctl net.core.no_such_knob", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(d, "step-1.done")))


if __name__ == "__main__":
    unittest.main()


class SharedBoot(unittest.TestCase):
    """Several one-boot experiments in ONE boot (make test's self-checks, the shipped examples)."""

    def setUp(self):
        import experiment
        self.x = experiment
        self.out = tempfile.mkdtemp()
        self.busy = exp_from('''
            name = "busy"
            reps = 2
            [base]
            variant = "uring"
            [A]
            sysctl = { "net.core.busy_poll" = 0 }
            [B]
            sysctl = { "net.core.busy_poll" = 50 }
            ''')
        self.aa = exp_from('''
            name = "aa"
            reps = 1
            [base]
            variant = "driver"
            [A]
            [B]
            ''')

    def test_steps_numbered_per_boot_and_tagged_per_experiment(self):
        outs = [os.path.join(self.out, n) for n in ("busy", "aa")]
        for o in outs:
            os.makedirs(o)
        mods = [{"A": None, "B": None}] * 2
        boots = self.x.shared_boot_plans([self.busy, self.aa], outs, mods)
        bdir = os.path.join(outs[0], "boots", "1")
        self.assertEqual(os.path.realpath(os.path.join(outs[1], "boots", "1")), os.path.realpath(bdir))
        p = json.load(open(os.path.join(bdir, "plan.json")))
        self.assertEqual([s["step"] for s in p["steps"]], [1, 2, 3, 4, 5, 6])
        self.assertEqual([(s["exp"], s["global_step"], s["arm"]) for s in p["steps"]],
                         [(0, 1, "A"), (0, 2, "B"), (0, 3, "A"), (0, 4, "B"), (1, 1, "A"), (1, 2, "B")])
        self.assertEqual(p["sysctl_keys"], ["net.core.busy_poll"])
        # the A/A's steps restore the sysctl the busy-poll experiment set before them
        self.assertIn("exp_sysctl_restore net.core.busy_poll", p["steps"][4]["guest_script"])
        self.assertIn("/out/exp/step-5", p["steps"][4]["guest_script"])
        self.assertIn(os.path.join(bdir, "step-5", "exchange-report.json"), p["steps"][4]["exchange_argv"])
        self.assertEqual([b[0]["exp"] for b in boots], [0, 1])
        self.assertEqual(boots[1][0]["steps"], [1, 2])
        # each experiment collects only its own steps (none ran: all recorded as not run)
        got = self.x.collect(boots[1][0])
        self.assertEqual([(s["global_step"], s["arm"]) for s in got], [(1, "A"), (2, "B")])

    def test_boot_knob_experiments_refused(self):
        cmd = exp_from('''
            [A]
            [B]
            cmdline = "mitigations=off"
            ''')
        outs = [os.path.join(self.out, n) for n in ("c", "aa")]
        with self.assertRaises(SystemExit) as e:
            self.x.shared_boot_plans([cmd, self.aa], outs, [{"A": None, "B": None}] * 2)
        self.assertEqual(e.exception.code, 2)
