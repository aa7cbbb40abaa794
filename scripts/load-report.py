#!/usr/bin/env python3
"""load-report.py DIR: the host half of the `load` benchmark (qemu/scenarios/load.sh).

Per session the guest recorded (DIR/sessions-guest.txt "K PORT rate-N|stress-N|recovery-N",
DIR/session-K.txt its ethtool -S at the end, DIR/session-drops.txt "K TAP_DROPS NIC_DROPS") and the
exchange's report for the same peer port (DIR/sessions.jsonl), its orders (DIR/orders.jsonl) and
sessions' times (DIR/exchange-events.jsonl), and when the tap dropped frames (DIR/tap-drops.jsonl,
with the interval each happened in, sampled
every 10 ms by faults_agent.py).

A rate is sustained when nothing was dropped (tap, NIC), the core saw every datagram published and
every trigger matched. For the stress session every missed trigger is named (DIR/missed-<label>.txt)
and must be explained: a drop was recorded before the trigger was published (its upper bound: the next
matched order's arrival), or the guest counted a decided order it did not send (expired, refused...).
Every unexpected order must come after a recorded drop (the guest's book diverged in the gap).
Writes DIR/load.md (the table for docs/results.md) and DIR/load.json, prints them, the checks and
"N passed, N failed"."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_sessions import Checks, ethtool_stats, exchange_reports, guest_sessions  # noqa: E402

UNSENT = ("oe_orders_expired", "oe_orders_send_failed", "oe_orders_rate_limited", "oe_orders_purged",
          "oe_orders_not_running", "oe_orders_killed")


def jsonl(path):
    out = []
    for line in open(path, errors="replace") if os.path.exists(path) else []:
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def snmp(path):
    """/proc/net/snmp as {"Udp": {"InDatagrams": N, ...}, ...}."""
    out, lines = {}, open(path).read().splitlines() if os.path.exists(path) else []
    for names, values in zip(lines[::2], lines[1::2]):
        proto, _, keys = names.partition(":")
        out[proto] = dict(zip(keys.split(), (int(v) for v in values.partition(":")[2].split())))
    return out


def stack_drops(d):
    """What the guest's own stack counted during the stress session (its share of non-lab traffic)."""
    a, b = snmp(os.path.join(d, "snmp-before.txt")), snmp(os.path.join(d, "snmp-after.txt"))
    keys = {"Udp": ("InDatagrams", "NoPorts", "InErrors", "RcvbufErrors"), "Tcp": ("InSegs", "RetransSegs", "InErrs"),
            "Ip": ("InReceives", "InDiscards")}
    return {f"{p}.{k}": b.get(p, {}).get(k, 0) - a.get(p, {}).get(k, 0) for p, ks in keys.items() for k in ks}


def qemu_rx_drops(d):
    """Times (ns) of the frames QEMU's igb dropped for want of buffers in their RX queue (its trace
    event e1000e_rx_not_written_to_guest, logged with -msg timestamp=on: "PID@SEC.USEC:event ...")."""
    out = []
    path = os.path.join(d, "qemu-rx-drops.log")
    for line in open(path, errors="replace") if os.path.exists(path) else []:
        m = re.match(r"(?:\d+@(\d+)\.(\d+):)?e1000e_rx_not_written_to_guest", line)
        if m:
            out.append(int(m[1]) * 10**9 + int(m[2]) * 1000 if m[1] else None)
    return out


def session_windows(d):
    """peer port -> (connected time_ns, session_end time_ns) from the exchange's event log."""
    windows, open_port = {}, None
    for ev in jsonl(os.path.join(d, "exchange-events.jsonl")):
        if ev.get("event") == "connected":
            open_port = str(ev.get("peer", "")).rpartition(":")[2]
            windows[open_port] = (ev["time_ns"], None)
        elif ev.get("event") == "session_end" and open_port:
            windows[open_port] = (windows[open_port][0], ev["time_ns"])
            open_port = None
    return windows


def explain(report, orders, drop_times, unsent, end_ns):
    """The stress session's missed triggers and unexpected orders, each explained or not."""
    triggers = report.get("triggers_by_seq", [])
    matched_rx = [o["time_ns"] for o in orders if o.get("match") == "matched"]
    # the reconciler closes triggers in publish order: the k-th matched order is the k-th matched trigger
    upper, nxt = [end_ns] * len(triggers), end_ns
    k = len(matched_rx)
    for i in range(len(triggers) - 1, -1, -1):
        if triggers[i][1] is not None:
            k -= 1
            nxt = matched_rx[k] if 0 <= k < len(matched_rx) else nxt
        upper[i] = nxt
    first_drop = min(drop_times) if drop_times else None

    def after_drop(t):
        return first_drop is not None and first_drop <= t

    missed = [(triggers[i][0], upper[i]) for i in range(len(triggers)) if triggers[i][1] is None]
    by_drop = [seq for seq, t in missed if after_drop(t)]
    rest = [seq for seq, t in missed if not after_drop(t)]
    by_guest = rest[:unsent]  # count-level: decided, counted, never sent
    unexplained = rest[unsent:]
    unexpected = [o for o in orders if o.get("match") == "unexpected"]
    unexplained_orders = [o for o in unexpected if not after_drop(o["time_ns"])]
    return {"missed": [s for s, _ in missed], "missed_after_drop": len(by_drop), "missed_guest_unsent": len(by_guest),
            "missed_unexplained": unexplained, "unexpected": len(unexpected),
            "unexpected_unexplained": [{k: o.get(k) for k in ("time_ns", "side", "price", "qty")} for o in unexplained_orders],
            "first_drop_ns": first_drop}


def main():
    d = sys.argv[1]
    check = Checks("load")
    check.guest_log(os.path.join(d, "log.txt"))
    reports, windows = exchange_reports(d), session_windows(d)
    all_orders = jsonl(os.path.join(d, "orders.jsonl"))
    tap_drops = [x for x in jsonl(os.path.join(d, "tap-drops.jsonl")) if "since_ns" in x]
    qemu_drops = qemu_rx_drops(d)
    untimed = sum(1 for t in qemu_drops if t is None)
    if untimed:
        check("qemu_drops_timed", False, f"({untimed} QEMU RX drops without a time stamp)")
    drops = {k: (int(t), int(n)) for k, t, n in
             (l.split() for l in open(os.path.join(d, "session-drops.txt")) if l.strip())} \
        if os.path.exists(os.path.join(d, "session-drops.txt")) else {}
    accel = "tcg"
    try:
        accel = json.load(open(os.path.join(os.path.dirname(d), "accel.json"))).get("accel", accel)
    except (OSError, ValueError):
        pass
    host_load = open(os.path.join(d, "host-load.txt")).read().split("\n") if os.path.exists(
        os.path.join(d, "host-load.txt")) else []

    rows, best, out = [], 0, {"accel": accel, "host_load": [l for l in host_load if l], "sessions": []}
    for k, port, label in guest_sessions(d):
        g = ethtool_stats(os.path.join(d, f"session-{k}.txt"))
        tap, nic = drops.get(k, (None, None))
        r = reports.get(port)
        if not r or tap is None:
            check(f"{label}_recorded", False, f"(exchange report {'found' if r else 'missing'} for port {port}, "
                  f"drops {'recorded' if tap is not None else 'missing'})")
            continue
        t, o, md = r["triggers"], r["orders"], r["md"]
        seen, sent = g.get("oe_md_frames", 0), g.get("oe_orders_sent", 0)
        # md.published leaves out the sends still in flight when the session ended (their completions
        # come after the report): the core may see a few more, never fewer without a counted drop
        lost = md["published"] - seen
        start, end = windows.get(port, (None, None))
        if start is None or end is None:
            check(f"{label}_session_window", False, f"(no connected/session_end events for port {port})")
            start, end = 0, 1 << 63
        # frames in flight when the session ended still count for it
        qemu_times = [x for x in qemu_drops if x is not None and start <= x <= end + 500_000_000]
        qemu = len(qemu_times)
        after_wol_off = g.get("oe_orders_not_running", 0)
        ok = (tap == 0 and nic == 0 and qemu == 0 and lost <= 0 and t["missed"] == after_wol_off and
              o["unexpected"] == 0 and t["matched"] > 0)
        if label.startswith("rate-") and ok:
            best = max(best, int(md["msgs_per_s"]))
        s = {"label": label, "asked_per_s": round(r["pace"]["rate"]), "published_per_s": round(md["msgs_per_s"]),
             "published": md["published"], "core_md_frames": seen, "tap_dropped": tap, "nic_dropped": nic, "qemu_dropped": qemu,
             "exchange_would_block": md["would_block"], "triggers_expected": t["expected"],
             "triggers_matched": t["matched"], "triggers_missed": t["missed"],
             "decided_after_disconnect_request": after_wol_off, "orders_sent": sent,
             "orders_received": o["received"], "orders_unexpected": o["unexpected"], "orders_late": o.get("late", 0),
             "guest_unsent": sum(g.get(n, 0) for n in UNSENT), "igboe_tx_busy": g.get("igboe_tx_busy", 0),
             "sustained": ok}
        if not label.startswith("rate-"):
            check(f"{label}_orders_reconciled", o["received"] == sent,
                  f"(guest sent {sent}, exchange received {o['received']})")
            check(f"{label}_md_loss_counted", lost <= tap + nic + qemu,
                  f"({md['published']} published, core saw {seen}: {lost} lost, drops counted: tap {tap}, "
                  f"QEMU igb {qemu}, NIC registers {nic})")
        if label.startswith("stress-"):
            orders = [x for x in all_orders if start <= x.get("time_ns", 0) <= end and x.get("status") == "accepted"]
            # a drop is known to have happened after since_ns: the earliest it can have been
            drop_times = [x["since_ns"] for x in tap_drops if start <= x["time_ns"] and x["since_ns"] <= end]
            drop_times += qemu_times
            if lost <= 0:  # frames were dropped, but no market data: the book cannot have diverged
                drop_times = []
            e = explain(r, orders, drop_times, s["guest_unsent"], end)
            s["explained"] = {k2: v for k2, v in e.items() if k2 != "missed"}
            s["guest_stack"] = stack_drops(d)
            s["other_group_received"] = int(open(os.path.join(d, "other-group.count")).read().strip() or 0) \
                if os.path.exists(os.path.join(d, "other-group.count")) else None
            print("stress, the guest stack's counters: " + ", ".join(f"{k} {v}" for k, v in s["guest_stack"].items()))
            with open(os.path.join(d, f"missed-{label}.txt"), "w") as f:
                f.write("".join(f"{seq}\n" for seq in e["missed"]))
            check("stress_missed_named", len(e["missed"]) == t["missed"],
                  f"(report counts {t['missed']} missed, triggers_by_seq names {len(e['missed'])})")
            check("stress_missed_explained", not e["missed_unexplained"],
                  f"({len(e['missed_unexplained'])} missed before any recorded drop, first: {e['missed_unexplained'][:5]})")
            check("stress_unexpected_explained", not e["unexpected_unexplained"],
                  f"({len(e['unexpected_unexplained'])} unexpected orders before any drop: {e['unexpected_unexplained'][:3]})")
            check("stress_no_late_order", o.get("late", 0) == 0, f"({o.get('late')} late)")
            print(f"stress: {md['published']} published at {md['msgs_per_s']:.0f}/s, core saw {seen}, dropped at tap "
                  f"{tap}, NIC {nic}; triggers {t['expected']}: matched {t['matched']}, missed {t['missed']} "
                  f"({e['missed_after_drop']} after a drop, {e['missed_guest_unsent']} counted unsent by the guest; "
                  f"named in missed-{label}.txt, first {e['missed'][:5]}); orders unexpected {e['unexpected']}, "
                  f"all after a drop: {not e['unexpected_unexplained']}")
        if label.startswith("recovery-"):
            check("recovery_fully_reconciled", ok, f"(tap {tap}, NIC {nic}, lost {lost}, missed {t['missed']}, "
                  f"unexpected {o['unexpected']})")
        out["sessions"].append(s)
        rows.append(s)

    out["highest_sustained_per_s"] = best
    cols = ("label", "asked_per_s", "published_per_s", "published", "core_md_frames", "tap_dropped", "qemu_dropped",
            "nic_dropped", "triggers_matched", "triggers_missed", "decided_after_disconnect_request", "orders_received", "orders_unexpected", "orders_late", "sustained")
    hdr = ("step", "asked/s", "published/s", "published", "core MD frames", "tap drops", "QEMU igb drops",
           "NIC reg. drops", "triggers matched", "missed", "of which after wol off", "orders", "unexpected", "late", "sustained")
    lines = [f"accelerator: {accel}; host load: {'; '.join(out['host_load'])}", "",
             "| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for s in rows:
        lines.append("| " + " | ".join(("yes" if s[c] else "no") if c == "sustained" else str(s[c]) for c in cols) + " |")
    lines += ["", f"highest sustained rate: {best} msgs/s ({accel})"]
    open(os.path.join(d, "load.md"), "w").write("\n".join(lines) + "\n")
    json.dump(out, open(os.path.join(d, "load.json"), "w"), indent=1)
    print("\n".join(lines))
    if any(s["label"].startswith("rate-") for s in rows) or not os.path.exists(os.path.join(d, "stress-only")):
        check("a_rate_sustained", best > 0)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
