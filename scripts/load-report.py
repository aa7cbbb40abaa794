#!/usr/bin/env python3
"""load-report.py DIR: the host half of the `load` benchmark (qemu/scenarios/load.sh).

Per session the guest recorded (DIR/sessions-guest.txt "K PORT rate-N|stress-N", DIR/session-K.txt its
ethtool -S at the end) and the exchange's report for the same peer port (DIR/sessions.jsonl): the rate
asked and published, NIC drops during the session (rx_missed_errors + rx_no_buffer_count, deltas),
MD frames the hook handed to the core, triggers matched/missed, orders received/unexpected/late.
Writes DIR/load.md (the table for docs/results.md), prints it, then the guest's checks and the
stress verdicts, and "N passed, N failed"."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_sessions import Checks, ethtool_stats, exchange_reports, guest_sessions  # noqa: E402


def main():
    d = sys.argv[1]
    check = Checks("load")
    check.guest_log(os.path.join(d, "log.txt"))
    reports = exchange_reports(d)
    sessions = guest_sessions(d)
    accel = "tcg"
    try:
        accel = json.load(open(os.path.join(os.path.dirname(d), "accel.json"))).get("accel", accel)
    except (OSError, ValueError):
        pass

    rows, prev_drops, best = [], 0, 0
    for k, port, label in sessions:
        g = ethtool_stats(os.path.join(d, f"session-{k}.txt"))
        drops = g.get("rx_missed_errors", 0) + g.get("rx_no_buffer_count", 0)
        delta, prev_drops = drops - prev_drops, drops
        r = reports.get(port)
        if not r:
            check(f"{label}_exchange_report", False, f"(no exchange session from port {port})")
            continue
        t, o, md = r["triggers"], r["orders"], r["md"]
        ok = delta == 0 and t["missed"] == 0 and o["unexpected"] == 0 and t["matched"] > 0
        if label.startswith("rate-") and ok:
            best = max(best, int(md["msgs_per_s"]))
        rows.append((label, r["pace"]["rate"], md["msgs_per_s"], md["published"], g.get("oe_md_frames", 0), delta,
                     g.get("igboe_tx_busy", 0), t["matched"], t["missed"], o["received"], o["unexpected"],
                     o.get("late", 0), "yes" if ok else "no"))
        if label.startswith("stress-"):
            sent = g.get("oe_orders_sent", 0)
            check("stress_orders_reconciled", o["received"] == sent and o["unexpected"] == 0,
                  f"(guest sent {sent}, exchange received {o['received']}, unexpected {o['unexpected']})")
            check("stress_missed_named", t["missed"] == 0 or len(r.get("missed_examples", [])) > 0,
                  "(missed triggers without examples)")
            # every MD datagram the exchange published either reached the core or is a counted drop
            lost = md["published"] - g.get("oe_md_frames", 0)
            check("stress_md_loss_counted", lost <= 0 or delta > 0 or g.get("igboe_rx_csum_bad", 0) > 0,
                  f"({lost} datagrams published and not seen by the core, NIC drops {delta})")
            print(f"stress: {md['published']} published at {md['msgs_per_s']:.0f}/s, core saw {g.get('oe_md_frames', 0)}, "
                  f"NIC drops {delta}, missed triggers {t['missed']} (first: {r.get('missed_examples', [])[:3]})")

    hdr = ("step", "asked/s", "published/s", "published", "core MD frames", "NIC drops", "tx_busy",
           "triggers matched", "missed", "orders", "unexpected", "late", "sustained")
    lines = [f"accelerator: {accel}", "", "| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for row in rows:
        lines.append("| " + " | ".join(f"{v:.0f}" if isinstance(v, float) else str(v) for v in row) + " |")
    lines += ["", f"highest sustained rate: {best} msgs/s ({accel})"]
    open(os.path.join(d, "load.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))
    check("a_rate_sustained", best > 0)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
