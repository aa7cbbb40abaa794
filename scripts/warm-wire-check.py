#!/usr/bin/env python3
"""warm-wire-check.py RUN: warming changed nothing on the wire (tick2trade with T2T_WARM_US).

Reads RUN/tick2trade/: tap.pcap (the tap, "not udp", captured in the lab netns for the whole boot;
judged up to the last frame of the order-entry session, where tick2trade's part ends),
exchange-report.json and ethtool-S.txt (the guest's counters at the end of the replay). Checks:
  warm_ran        the driver ran warm passes that prepared frames (oe_warm_runs, oe_warm_frames > 0)
  reconciled      the exchange matched every trigger, nothing missed, unexpected, late or rejected
  guest_frames    every frame the guest sent is the session's TCP (one 4-tuple to the exchange's
                  order port) or link/IP housekeeping of its own stack (ARP, IPv6, IGMP), from the
                  session's first frame to its last: nothing else (pings before it are counted)
  orders_on_wire  the order bytes in the guest's TCP data (each byte once, retransmissions not
                  counted twice, and a retransmission carries the same bytes) are exactly the
                  exchange's received orders: no warm frame left
  identical       with --reference REF (a tick2trade run of the same replay without warming): the
                  same triggers, matched in the same order, and the same order count and bytes
Prints PASS/FAIL lines and "N passed, N failed"; exit 1 on a failure."""
import argparse
import json
import sys

from scapy.all import ARP, ICMP, IP, IPv6, TCP, Ether, PcapReader  # python3-scapy (scripts/setup.sh)

GUEST_MAC = "52:54:00:0e:1a:b0"  # qemu/lib.sh OELAB_GUEST_MAC
HOST_IP = "192.168.100.1"  # qemu/lib.sh OELAB_HOST_IP
ORDER_BYTES = 13
ORDER_PORT = 9012  # qemu/scenarios/tick2trade.sh: the exchange's order-entry port


def reconciliation(report):
    """What must not change with warming: the triggers in order and the orders' totals."""
    t, o = report["triggers"], report["orders"]
    return {"triggers": [seq for seq, _ in report["triggers_by_seq"]], "expected": t["expected"],
            "matched": t["matched"], "missed": t["missed"], "received": o["received"],
            "unexpected": o["unexpected"], "rejected": o["rejected"], "bytes": o["bytes"]}


def main(run, reference=None):
    d = f"{run}/tick2trade"
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} warm_{name}{': ' + detail if detail else ''}")

    stats = {}
    try:
        for line in open(f"{d}/ethtool-S.txt"):
            k, _, v = line.strip().partition(":")
            if v.strip().isdigit():
                stats[k.strip()] = int(v)
    except OSError as e:
        print(f"FAIL warm_counters: {e}")
    runs, frames = stats.get("oe_warm_runs", 0), stats.get("oe_warm_frames", 0)
    check("ran", runs > 0 and frames > 0,
          f"oe_warm_runs {runs}, oe_warm_frames {frames}, igboe_warm_yields {stats.get('igboe_warm_yields')}, "
          f"igboe_warm_late {stats.get('igboe_warm_late')}, oe_warm_max_ns {stats.get('oe_warm_max_ns')}")

    try:
        rep = json.load(open(f"{d}/exchange-report.json"))
        t, o = rep["triggers"], rep["orders"]
        ok = (rep.get("reconciled") and t["missed"] == 0 and t["matched"] == t["expected"] and t["expected"] > 0
              and o["unexpected"] == 0 and o["rejected"] == 0)
        check("reconciled", bool(ok), f"expected {t['expected']} matched {t['matched']} missed {t['missed']} "
              f"unexpected {o['unexpected']} received {o['received']}")
        received = o["received"]
    except (OSError, KeyError, ValueError) as e:
        check("reconciled", False, f"no exchange report ({e})")
        rep, received = None, None

    if reference:
        try:
            ref = reconciliation(json.load(open(f"{reference}/tick2trade/exchange-report.json")))
            mine = reconciliation(rep) if rep else {}
            diff = sorted(k for k in ref if mine.get(k) != ref[k])
            check("identical", not diff, f"{len(ref['triggers'])} triggers, {ref['received']} orders as in {reference}"
                  if not diff else f"differs from {reference} in {', '.join(diff)}")
        except (OSError, KeyError, ValueError) as e:
            check("identical", False, f"no reference report ({e})")

    tuples, foreign, data, pings, conflicts, conflicts_at = set(), [], {}, 0, 0, set()
    try:
        # The capture spans the whole boot, so it also holds the scenarios before and after
        # tick2trade (make test's boot: smoke pings before it, realhw pings 62 times after it).
        # Warming runs only while the order-entry session lives, so the frames judged are those from
        # the session's first frame to its last, either way; before it, the guest's pings to the
        # exchange side are counted (the scenarios' own), anything else there is not warming's.
        times = [float(p.time) for p in PcapReader(f"{d}/tap.pcap")
                 if IP in p and TCP in p and ORDER_PORT in (p[TCP].sport, p[TCP].dport)]
        start, end = (min(times), max(times)) if times else (float("-inf"), float("inf"))
        for pkt in PcapReader(f"{d}/tap.pcap"):
            if float(pkt.time) > end:
                break
            guest = Ether in pkt and pkt[Ether].src.lower() == GUEST_MAC
            if float(pkt.time) < start:
                if guest and IP in pkt and ICMP in pkt and pkt[IP].dst == HOST_IP and pkt[ICMP].type == 8:
                    pings += 1  # a scenario's own ping (echo request) to the exchange side
                continue
            if Ether not in pkt or pkt[Ether].src.lower() != GUEST_MAC:
                continue
            if ARP in pkt or IPv6 in pkt or (IP in pkt and pkt[IP].proto == 2):
                continue  # the guest stack's own housekeeping (ARP, IPv6 ND/MLD, IGMP)
            if IP in pkt and TCP in pkt and pkt[TCP].dport == ORDER_PORT:
                tuples.add((pkt[IP].src, pkt[TCP].sport, pkt[IP].dst))
                payload = bytes(pkt[TCP].payload)
                n = min(len(payload), pkt[IP].len - pkt[IP].ihl * 4 - pkt[TCP].dataofs * 4)
                for i in range(n):  # by sequence number: a retransmitted byte counts once
                    key = (pkt[TCP].sport, (pkt[TCP].seq + i) & 0xffffffff)
                    if data.setdefault(key, payload[i]) != payload[i]:
                        conflicts += 1  # the same sequence number sent with other bytes: a second frame
                        conflicts_at.add(key[1])
                continue
            foreign.append(pkt.summary())
    except (OSError, ValueError) as e:
        check("guest_frames", False, f"no capture ({e})")
    else:
        check("guest_frames", not foreign and len(tuples) == 1,
              f"{len(tuples)} order-entry 4-tuple(s), {pings} scenario ping(s); {len(foreign)} other frame(s)"
              + (f", e.g. {foreign[0]}" if foreign else ""))
        nbytes = len(data)
        ok = received is not None and nbytes == received * ORDER_BYTES and not conflicts
        check("orders_on_wire", ok, f"{nbytes} order bytes from the guest = {nbytes / ORDER_BYTES:.1f} orders; "
              f"the exchange received {received}"
              + (f"; {conflicts} byte(s) re-sent with other content (seq {min(conflicts_at)}...)" if conflicts else ""))

    n_failed = results.count(False)
    print(f"{len(results) - n_failed} passed, {n_failed} failed")
    return int(n_failed > 0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="the lab run folder (build/lab-runs/<stamp>)")
    ap.add_argument("--reference", metavar="REF", help="a run folder of the same replay without warming")
    a = ap.parse_args()
    sys.exit(main(a.run, a.reference))
