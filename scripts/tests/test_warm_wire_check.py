#!/usr/bin/env python3
"""Unit tests of scripts/warm-wire-check.py on synthetic runs: a clean warm run passes, and each way
a warm run could show on the wire (a warm frame sent, a stray frame, a changed reconciliation) fails.
Prints "N passed, N failed" last (make test: warm_wire_check)."""
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw, wrpcap

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("warm_wire_check", os.path.join(HERE, "..", "warm-wire-check.py"))
warm_wire_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(warm_wire_check)
GUEST_MAC, HOST_MAC = "52:54:00:0e:1a:b0", "02:00:00:00:00:01"
GUEST, HOST = "192.168.100.2", "192.168.100.1"
ISN = 0xFFFFFFF0  # payload sequence numbers wrap inside the stream


def order(i):
    return bytes([0x4F, i & 0xFF]) + bytes(11)  # 13 bytes, distinct per order


def tcp(seq, payload=b"", flags="PA"):
    return Ether(src=GUEST_MAC, dst=HOST_MAC) / IP(src=GUEST, dst=HOST) / TCP(
        sport=61001, dport=9012, seq=seq & 0xFFFFFFFF, flags=flags) / Raw(payload)


def frames(n_orders, resend=None):
    # tick2trade.sh pings the exchange side before it connects
    pkts = [Ether(src=GUEST_MAC, dst=HOST_MAC) / IP(src=GUEST, dst=HOST) / ICMP(type=8) for _ in range(3)]
    pkts += [tcp(ISN - 1, flags="S"), Ether(src=HOST_MAC, dst=GUEST_MAC) / IP(src=HOST, dst=GUEST) / TCP()]
    pkts += [tcp(ISN + 13 * i, order(i)) for i in range(n_orders)]
    pkts.append(tcp(ISN, order(0)))  # a retransmission: the same bytes at the same seq
    if resend is not None:
        pkts.append(tcp(ISN + 13 * resend, order(200)))
    return pkts


def report(n_orders, seqs=None):
    seqs = seqs if seqs is not None else [1000 + i for i in range(n_orders)]
    return {"reconciled": True, "triggers": {"expected": len(seqs), "matched": len(seqs), "missed": 0},
            "orders": {"received": n_orders, "unexpected": 0, "rejected": 0, "bytes": 13 * n_orders},
            "triggers_by_seq": [[s, 5000] for s in seqs]}


def make_run(root, name, pkts, rep, warm_runs=7):
    d = os.path.join(root, name, "tick2trade")
    os.makedirs(d)
    for i, p in enumerate(pkts):  # capture time = list order
        p.time = 1000 + i / 1000
    wrpcap(os.path.join(d, "tap.pcap"), pkts)
    with open(os.path.join(d, "exchange-report.json"), "w") as f:
        json.dump(rep, f)
    with open(os.path.join(d, "ethtool-S.txt"), "w") as f:
        f.write(f"NIC statistics:\n     oe_warm_runs: {warm_runs}\n     oe_warm_frames: {warm_runs}\n")
    return os.path.dirname(d)


class WarmWireCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def run_check(self, run, reference=None):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = warm_wire_check.main(run, reference)
        return rc, out.getvalue()

    def test_clean_run_passes(self):
        rc, out = self.run_check(make_run(self.root, "r", frames(4), report(4)))
        self.assertEqual(rc, 0, out)
        self.assertIn("4 passed, 0 failed", out)
        self.assertIn("3 scenario ping(s); 0 other frame(s)", out)

    def test_warm_frame_sent_fails(self):
        # a warm run's frame reaching the wire carries the next real order's sequence number
        rc, out = self.run_check(make_run(self.root, "r", frames(4, resend=2), report(4)))
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL warm_orders_on_wire", out)

    def test_extra_order_bytes_fail(self):
        rc, out = self.run_check(make_run(self.root, "r", frames(5), report(4)))
        self.assertIn("FAIL warm_orders_on_wire", out)

    def test_stray_frame_fails(self):
        stray = Ether(src=GUEST_MAC, dst=HOST_MAC) / IP(src=GUEST, dst=HOST) / UDP(dport=9) / Raw(b"x")
        pkts = frames(4)
        pkts.insert(-1, stray)  # while the session lives
        rc, out = self.run_check(make_run(self.root, "r", pkts, report(4)))
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL warm_guest_frames", out)

    def test_frames_after_the_session_are_the_next_scenarios(self):
        # make test's boot runs realhw after tick2trade on the same capture: its pings come after
        # the order-entry session's last frame and are not tick2trade's
        ping = Ether(src=GUEST_MAC, dst=HOST_MAC) / IP(src=GUEST, dst=HOST) / ICMP(type=8)
        stray = Ether(src=GUEST_MAC, dst=HOST_MAC) / IP(src=GUEST, dst=HOST) / UDP(dport=9) / Raw(b"x")
        rc, out = self.run_check(make_run(self.root, "r", frames(4) + [ping] * 62 + [stray], report(4)))
        self.assertEqual(rc, 0, out)
        self.assertIn("3 scenario ping(s); 0 other frame(s)", out)

    def test_more_pings_than_the_scenario_sends_fail(self):
        ping = Ether(src=GUEST_MAC, dst=HOST_MAC) / IP(src=GUEST, dst=HOST) / ICMP(type=8)
        pkts = frames(4)
        pkts.insert(-1, ping)
        rc, out = self.run_check(make_run(self.root, "r", pkts, report(4)))
        self.assertIn("FAIL warm_guest_frames", out)

    def test_no_warm_run_fails(self):
        rc, out = self.run_check(make_run(self.root, "r", frames(4), report(4), warm_runs=0))
        self.assertIn("FAIL warm_ran", out)

    def test_reference_identical_passes(self):
        ref = make_run(self.root, "ref", frames(4), report(4))
        rc, out = self.run_check(make_run(self.root, "r", frames(4), report(4)), ref)
        self.assertEqual(rc, 0, out)
        self.assertIn("PASS warm_identical", out)

    def test_reference_other_triggers_fail(self):
        ref = make_run(self.root, "ref", frames(4), report(4, seqs=[1000, 1001, 1002, 1004]))
        rc, out = self.run_check(make_run(self.root, "r", frames(4), report(4)), ref)
        self.assertEqual(rc, 1, out)
        self.assertIn("FAIL warm_identical", out)
        self.assertIn("triggers", out)


if __name__ == "__main__":
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        res = unittest.main(exit=False, verbosity=2).result
    sys.stderr.write(buf.getvalue())
    failed = len(res.failures) + len(res.errors)
    print(f"{res.testsRun - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
