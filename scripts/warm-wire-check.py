#!/usr/bin/env python3
"""warm-wire-check.py RUN: warming changed nothing on the wire (tick2trade with T2T_WARM_US).

Reads RUN/tick2trade/: tap.pcap (the tap, "not udp", captured in the lab netns for the whole run),
exchange-report.json and ethtool-S.txt (the guest's counters at the end of the replay). Checks:
  warm_ran        the driver ran warm passes that prepared frames (oe_warm_runs, oe_warm_frames > 0)
  reconciled      the exchange matched every trigger, nothing missed, unexpected, late or rejected
  guest_frames    every frame the guest sent is the session's TCP (one 4-tuple to the exchange's
                  order port) or link/IP housekeeping of its own stack (ARP, IPv6, IGMP): nothing else
  orders_on_wire  the order bytes in the guest's TCP data (each byte once, retransmissions not
                  counted twice) are exactly the exchange's received orders: no warm frame left
Prints PASS/FAIL lines and "N passed, N failed"; exit 1 on a failure."""
import argparse
import json
import sys

from scapy.all import ARP, IP, IPv6, TCP, Ether, PcapReader  # python3-scapy (scripts/setup.sh)

GUEST_MAC = "52:54:00:0e:1a:b0"  # qemu/lib.sh OELAB_GUEST_MAC
ORDER_BYTES = 13


def main(run):
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
        received = None

    tuples, foreign, data = set(), [], {}
    try:
        for pkt in PcapReader(f"{d}/tap.pcap"):
            if Ether not in pkt or pkt[Ether].src.lower() != GUEST_MAC:
                continue
            if ARP in pkt or IPv6 in pkt or (IP in pkt and pkt[IP].proto == 2):
                continue  # the guest stack's own housekeeping (ARP, IPv6 ND/MLD, IGMP)
            if IP in pkt and TCP in pkt and pkt[TCP].dport == 9012:
                tuples.add((pkt[IP].src, pkt[TCP].sport, pkt[IP].dst))
                payload = bytes(pkt[TCP].payload)
                n = min(len(payload), pkt[IP].len - pkt[IP].ihl * 4 - pkt[TCP].dataofs * 4)
                for i in range(n):  # by sequence number: a retransmitted byte counts once
                    data[(pkt[TCP].sport, (pkt[TCP].seq + i) & 0xffffffff)] = payload[i]
                continue
            foreign.append(pkt.summary())
    except (OSError, ValueError) as e:
        check("guest_frames", False, f"no capture ({e})")
    else:
        check("guest_frames", not foreign and len(tuples) == 1,
              f"{len(tuples)} order-entry 4-tuple(s); {len(foreign)} other frame(s)"
              + (f", e.g. {foreign[0]}" if foreign else ""))
        nbytes = len(data)
        ok = received is not None and nbytes == received * ORDER_BYTES
        check("orders_on_wire", ok, f"{nbytes} order bytes from the guest = {nbytes / ORDER_BYTES:.1f} orders; "
              f"the exchange received {received}")

    n_failed = results.count(False)
    print(f"{len(results) - n_failed} passed, {n_failed} failed")
    return int(n_failed > 0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="the lab run folder (build/lab-runs/<stamp>)")
    sys.exit(main(ap.parse_args().run))
