#!/usr/bin/env python3
"""Unit tests of scripts/stopwatch.py: joining guest stopwatch records to the exchange's triggers."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stopwatch  # noqa: E402

BASE = 0xFFFFFFF0  # the stream's first payload seq, close to the 32-bit wrap


def order(seq=None):
    return {"event": "order", "status": "accepted", "match": "matched" if seq else "unexpected",
            **({"seq": seq} if seq else {})}


class Join(unittest.TestCase):
    def records(self):
        text = "\n".join([
            "# stopwatch armed=0 cpus=2 records=65536 dropped=0",
            "R 0 0 101 1000 msix 1400 1500",   # trigger 101: irq 1000, napi 1400, rx 1500
            "R 0 0 102 5000 poll 5000 5100",   # busy poll: irq = the poll
            "R 0 0 103 9000 msix 9100 9200",
            "R 0 0 104 12000 msix 12100 12200",
            # order 0 (seq 101) alone; orders 1+2 (102, 103) coalesced; a retransmission of order 0
            f"T 1 1 skb tcp {BASE} 13 50000 2000",
            f"T 1 1 skb tcp {(BASE + 13) & 0xffffffff} 26 50000 9900",
            f"T 1 1 skb tcp {BASE} 13 50000 20000",
            "T 1 1 skb tcp 777 13 40000 1",     # another connection: ignored
        ])
        return stopwatch.parse(text)

    def session(self):
        return {"report": {"peer": "192.168.100.2:50000", "bounce_mode": False,
                           "triggers_by_seq": [[101, 30000], [102, 31000], [103, None], [104, None]]},
                "orders": [order(101), order(102), order(103)]}

    def test_tcp_stream_offsets(self):
        s = {x["seq"]: x for x in stopwatch.join(self.records(), self.session(), "uring", 2)}
        self.assertEqual(len(s), 4)
        self.assertEqual(s[101]["irq_to_doorbell"], 1000)
        self.assertEqual(s[101]["napi_to_doorbell"], 600)
        self.assertEqual(s[101]["rx_to_doorbell"], 500)
        self.assertEqual(s[101]["irq_source"], "msix")
        self.assertEqual(s[101]["exchange_ns"], 30000)
        self.assertEqual(s[101]["stages"]["irq_to_napi"], 400)
        self.assertEqual(s[101]["stages"]["napi_to_rx"], 100)
        # the coalesced segment is both orders' doorbell
        self.assertEqual(s[102]["irq_to_doorbell"], 4900)
        self.assertEqual(s[102]["irq_source"], "poll")
        self.assertIsNone(s[102]["stages"]["irq_to_napi"])
        self.assertEqual(s[103]["irq_to_doorbell"], 900)
        # expected but never ordered: present, not measured
        self.assertIsNone(s[104]["irq_to_doorbell"])
        self.assertIsNone(s[104]["stages"]["host_send_to_tap_read"])
        self.assertEqual(s[101]["variant"], "uring")
        self.assertEqual(s[101]["rep"], 2)

    def test_floor_bounce_carries_seq(self):
        recs = stopwatch.parse("R 0 0 7 100 msix 150 200\nR 0 0 8 300 msix 350 400\n"
                               "T 0 0 xdp udp 7 25 12345 260\nT 0 0 xdp udp 7 25 12345 999\n")
        sess = {"report": {"bounce_mode": True, "triggers_by_seq": [[7, 5], [8, 6]]}, "orders": []}
        s = {x["seq"]: x for x in stopwatch.join(recs, sess, "floor", 1)}
        self.assertEqual(s[7]["irq_to_doorbell"], 160)
        self.assertIsNone(s[8]["irq_to_doorbell"])

    def test_why_unmeasured(self):
        # session 2's floor: one poll's two records with irq after NAPI (fixed in igb_poll's stamps)
        recs = stopwatch.parse("# stopwatch armed=0 cpus=2 records=65536 dropped=0\n"
                               "R 1 0 268 275793503849 msix 275792792555 275793517394\n"
                               "T 1 1 xdp udp 268 25 12346 275793649401\n"
                               "R 1 0 269 275793997424 msix 275794127167 275794132757\n"
                               "R 1 0 270 275794997424 msix 275795127167 275795132757\n"
                               "T 1 1 xdp udp 270 25 12346 275795232757\n")
        sess = {"report": {"bounce_mode": True, "triggers_by_seq": [[268, 5], [269, 6], [270, 7], [271, 8]]},
                "orders": []}
        s = {x["seq"]: x for x in stopwatch.join(recs, sess, "floor", 1)}
        self.assertEqual(s[268]["why_null"], "stamps_out_of_order")
        self.assertEqual(s[269]["why_null"], "no_doorbell")
        self.assertIsNone(s[270]["why_null"])
        self.assertEqual(s[270]["irq_to_doorbell"], 235333)
        self.assertEqual(s[271]["why_null"], "no_rx_record")
        g, _ = stopwatch.summarize(list(s.values()))
        self.assertEqual(g["n"], 1)
        self.assertEqual(g["unmeasured"], {"no_rx_record": 1, "no_doorbell": 1, "stamps_out_of_order": 1})
        recs["header"]["dropped"] = "3"
        s = stopwatch.join(recs, sess, "floor", 1)
        self.assertEqual(s[0]["why_null"], "ring_full")
        self.assertEqual(stopwatch.join(None, sess, "floor", 1)[0]["why_null"], "no_records")

    def test_no_records(self):
        s = stopwatch.join(None, self.session(), "driver", 1)
        self.assertEqual([x["irq_to_doorbell"] for x in s], [None] * 4)

    def test_summary_percentiles_and_ci(self):
        samples = [{"irq_to_doorbell": v, "irq_source": "msix", "stages": {"rx_to_doorbell": v // 2}}
                   for v in range(1000, 2000)]
        g, st = stopwatch.summarize(samples)
        self.assertEqual(g["n"], 1000)
        self.assertEqual(g["p50"], 1499)  # a sample value, no interpolation
        self.assertEqual(g["p99"], 1989)
        lo, hi = g["p50_ci"]
        self.assertTrue(lo <= 1499 <= hi and hi - lo < 100)
        self.assertEqual(st["rx_to_doorbell"], 749)
        self.assertIsNone(st["irq_to_napi"])
        self.assertEqual(g["irq_source"], {"msix": 1000})


if __name__ == "__main__":
    unittest.main()
