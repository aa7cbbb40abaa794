#!/usr/bin/env python3
"""Unit tests of scripts/qemu_stages.py: host stages from QEMU's trace log (lines in the format
Debian's QEMU 10.0 writes with -msg timestamp=on and the log backend)."""
import gzip
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import qemu_stages  # noqa: E402

SEC = 1796163021
ROW = "bitmex,XBTUSD,1700000000000001,1700000000000007,false,ask,60000,71783681"
FRAME = 42 + len(ROW)
MAIN, VCPU = 4101, 4102


def at(us):
    return f"{SEC}.{us:06d}"


def rx(tid, us, length, msix=True, buff_us=None):
    lines = [f"{tid}@{at(us)}:e1000e_rx_receive_iov Received vector of 1 fragments",
             f"{tid}@{at(buff_us or us)}:igb_rx_desc_buff_write buffer 0, addr: 0x11f4a000, offset: 0, "
             f"from: 0x7f00aa, length: {length}",
             f"{tid}@{at(us + 1)}:e1000e_rx_interrupt_set Receive interrupt set (ICR: 0x80)"]
    if msix:
        lines.append(f"{tid}@{at(us + 3)}:e1000e_irq_msix_notify_vec MSI-X notify vector 0x0")
    return lines


def tx(tid, us, length, frags=1):
    ctx = f"{tid}@{at(us)}:e1000e_tx_descr 0x0 : 20200000 0"
    paylen = length << 14
    if frags == 1:
        return [ctx, f"{tid}@{at(us)}:e1000e_tx_descr 0x1000 : 2b300000 {paylen:x}"]
    return [ctx, f"{tid}@{at(us)}:e1000e_tx_descr 0x1000 : 22300000 {paylen:x}",
            f"{tid}@{at(us)}:e1000e_tx_descr 0x2000 : 2b300000 {paylen:x}"]


def ns(us):
    return SEC * 1_000_000_000 + us * 1000


class Stages(unittest.TestCase):
    def trace(self):
        lines = []
        lines += rx(MAIN, 100, 60, msix=True)            # an ACK from the exchange: not MD
        lines += rx(MAIN, 1000, FRAME - 1)               # an earlier MD row of another length
        lines += rx(MAIN, 1040, FRAME)                   # the trigger's frame
        lines += tx(VCPU, 1080, 54)                      # a bare ACK the guest sent
        lines += tx(VCPU, 1100, 79, frags=2)             # the order (headers in two descriptors)
        lines += tx(VCPU, 1200, 54)
        lines.append(f"{MAIN}@{at(1300)}:e1000e_irq_msix_notify_vec MSI-X notify vector 0x0")  # unrelated
        lines += rx(MAIN, 5000, FRAME, msix=False)       # second trigger: vector masked, no MSI-X
        lines += tx(VCPU, 5050, 67)
        lines.append("garbage line")
        return qemu_stages.parse(lines)

    def session(self):
        return {"report": {"bounce_mode": False, "triggers_by_seq": [[7, 150_000], [8, 80_000], [9, None],
                                                                       [10, 30_000]]},
                "orders": [{"match": "matched", "seq": 7, "time_ns": ns(1130)},
                           {"match": "matched", "seq": 8, "time_ns": ns(5060)},
                           {"match": "matched", "seq": 10, "time_ns": ns(9000)}]}

    def test_parse(self):
        tr = self.trace()
        self.assertEqual([(r[1], r[2] is not None) for r in tr.rx],
                         [(60, True), (FRAME - 1, True), (FRAME, True), (FRAME, False)])
        self.assertEqual([r[1] for r in tr.tx], [54, 79, 54, 67])
        self.assertEqual(tr.rx[2][0], ns(1040) + 500)   # stamps at the middle of their microsecond
        self.assertEqual(tr.rx[2][2] - tr.rx[2][0], 3000)
        self.assertEqual(tr.counts["e1000e_tx_descr"], 9)

    def test_host_stages(self):
        st = qemu_stages.host_stages(self.trace(), self.session(), {7: {FRAME}, 8: {FRAME}, 10: {FRAME}})
        # trigger 7: sent at 1130 us - 150 us = 980 us; read at 1040.5; MSI-X 3 us later; the order's
        # last descriptor at 1100.5 us, the exchange's RX stamp at 1130 us
        self.assertEqual(st[7], {"host_send_to_tap_read": 60_500, "host_tap_read_to_msix": 3000,
                                 "host_tx_to_exchange_rx": 29_500})
        # trigger 8: no MSI-X in the receive call (masked): that stage is not measured
        self.assertEqual(st[8], {"host_send_to_tap_read": 20_500, "host_tx_to_exchange_rx": 9_500})
        self.assertNotIn(9, st)   # not matched: nothing
        self.assertEqual(st[10], {})  # no frame of its length between its send and its order

    def test_no_trace(self):
        self.assertEqual(qemu_stages.host_stages(None, self.session(), {}), {})

    def test_md_frame_lengths_and_args(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "md.csv.gz")
            with gzip.open(p, "wt") as f:
                f.write("exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n")
                f.write(ROW + "\n" + "a,b,c,12,x\n")
            self.assertEqual(qemu_stages.md_frame_lengths(p), {1700000000000007: {FRAME}, 12: {60}})
        args = qemu_stages.qemu_args("/x/t.log")
        self.assertEqual(args[:2], ["-msg", "timestamp=on"])
        self.assertIn("enable=e1000e_tx_descr", args)
        self.assertEqual(args[-1], "file=/x/t.log")


if __name__ == "__main__":
    unittest.main()
