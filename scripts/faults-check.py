#!/usr/bin/env python3
"""faults-check.py DIR: the host half of the `faults` scenario (qemu/scenarios/faults.sh).

Counts the guest's "ok X" / "not ok X" lines (DIR/log.txt), then reconciles every session the guest
recorded (DIR/sessions-guest.txt: "K PORT STEP", DIR/session-K.txt: its ethtool -S) against the
exchange's report for the same peer port (DIR/sessions.jsonl, kept by faults_agent.py):
  - every order the guest counted as sent (oe_orders_sent) reached the exchange, or the guest counted
    it expired/purged (counters named *oe_orders_expired* / *oe_orders_purged*, when the module has them)
    or in doubt (tcp_bytes_unacked_at_loss: sent, never acknowledged when a reset ended the session);
  - none arrived twice or unasked (orders.unexpected == 0) and none late (orders.late == 0, the
    exchange's --max-order-age-us);
plus: the baseline session ran at the configured rate with no NIC drop and every trigger matched,
and the guest's IGMP reports for the MD group were seen on the wire (DIR/relay-stats.txt).
Prints failures and "N passed, N failed"; exits 1 on any failure or if the guest stopped early."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_sessions import Checks, ethtool_stats, exchange_reports, guest_sessions  # noqa: E402

MIN_GUEST_CHECKS = 105
ORDER_BYTES = 13  # docs/protocol.md: one order is 13 bytes


def main():
    d = sys.argv[1]
    check = Checks("faults")
    guest = check.guest_log(os.path.join(d, "log.txt"))
    check("guest_ran_every_step", guest >= MIN_GUEST_CHECKS, f"(only {guest} guest checks ran)")
    reports = exchange_reports(d)
    sessions = guest_sessions(d)
    check("sessions_recorded", len(sessions) >= 10, f"({len(sessions)} sessions)")
    rate = float(open(os.path.join(d, "rate")).read()) if os.path.exists(os.path.join(d, "rate")) else 0
    for k, port, step in sessions:
        name = f"session_{k}_{step}"
        path = os.path.join(d, f"session-{k}.txt")
        g = ethtool_stats(path) if os.path.exists(path) else {}
        r = reports.get(port)
        check(f"{name}_exchange_report", r is not None, f"(no exchange session from port {port})")
        if r is None or not g:
            check(f"{name}_orders_accounted", False, "(no data)")
            continue
        sent = g.get("oe_orders_sent", 0)
        expired = sum(v for n, v in g.items() if "oe_orders_expired" in n or "oe_orders_purged" in n)
        # orders in doubt: sent and never acknowledged when a reset or failure ended the connection
        # (the TCP client counts their bytes; an order is ORDER_BYTES on the wire)
        expired += -(-g.get("tcp_bytes_unacked_at_loss", 0) // ORDER_BYTES)
        o = r["orders"]
        got = o["received"]
        # an order the guest counted as sent and the exchange never got must be one the guest
        # counted expired or purged (whether oe_orders_sent counts queued orders or doorbells)
        check(f"{name}_orders_accounted", got <= sent and sent - got <= expired,
              f"(guest sent {sent}, exchange received {got}, guest expired/purged/in doubt {expired})")
        check(f"{name}_none_twice_or_unasked", o["unexpected"] == 0 and got <= sent,
              f"(unexpected {o['unexpected']}, received {got} of {sent})")
        check(f"{name}_none_late", o.get("late", 0) == 0,
              f"({o.get('late')} orders older than {o.get('max_age_us')} us)")
        print(f"  {name}: sent {sent} received {got} matched {o['matched']} expired/purged {expired}"
              f" late {o.get('late')} triggers {r['triggers']['expected']} missed {r['triggers']['missed']}"
              f" md {r['md']['published']} at {r['md']['msgs_per_s']:.0f}/s end {r['end_reason']}")
        if step == "rmmod":
            check("rmmod_closed_orderly", r["end_reason"] == "peer_closed",
                  f"(exchange saw {r['end_reason']!r}: the FIN at unload)")
        if step == "baseline":
            drops = g.get("rx_missed_errors", 0) + g.get("rx_no_buffer_count", 0)
            check("baseline_no_nic_drops", drops == 0, f"(rx_missed_errors + rx_no_buffer_count = {drops})")
            # a trigger the guest saw but did not send for a counted reason (the session was already
            # closing, kill switch, rate limit, TTL) is explained; any other miss is not
            refused = sum(g.get(f"oe_orders_{k}", 0) for k in ("not_running", "killed", "rate_limited"))
            check("baseline_every_trigger_matched",
                  r["triggers"]["matched"] > 0 and r["triggers"]["missed"] <= refused + expired,
                  f"(matched {r['triggers']['matched']}, missed {r['triggers']['missed']},"
                  f" guest refused {refused} expired/purged {expired})")
            check("baseline_rate", r["md"]["msgs_per_s"] >= 0.9 * rate,
                  f"({r['md']['msgs_per_s']:.0f} msgs/s published, {rate:.0f} asked)")

    stats = {}
    try:
        ans = open(os.path.join(d, "relay-stats.txt")).read()
        stats = json.loads(ans[ans.index("{"):ans.rindex("}") + 1])
    except (OSError, ValueError):
        pass
    check("igmp_reports_on_the_wire", stats.get("igmp_reports", 0) > 0,
          f"(IGMP reports for the MD group: {stats.get('igmp_reports')})")
    imp = {k: stats.get("to_guest", {}).get(k, 0) + stats.get("to_host", {}).get(k, 0)
           for k in ("lost", "duplicated", "reordered")}
    check("impairment_applied", all(imp.values()), f"(order-entry frames, both directions: {imp})")

    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
