#!/usr/bin/env python3
"""stopwatch.py: join the igb_oe stopwatch's guest records to the triggers the exchange expected.

The guest's /sys/kernel/debug/igb_oe/stopwatch (driver/igb/oe_stopwatch.c) holds, per CPU:
  R cpu queue seq irq_ns msix|poll napi_ns rx_ns            every market-data frame
  T cpu queue skb|xdp|oe tcp|udp id len port doorbell_ns    every frame that carries an order
The exchange's log gives, per session, its expected triggers in publish order (session report
"triggers_by_seq": [seq, tick-to-trade ns|null]) and its orders in stream order ("order" events,
matched ones with the trigger's seq). Order k of a TCP session is stream bytes [13k, 13k+13): its
doorbell is the first tail write of a segment holding its last byte (segment seq - the session's
first payload seq = stream offset). A bounce (XDP_TX floor) carries the MD seq itself.

One sample per expected trigger (contract C2, stopwatch.jsonl), guest ns:
  irq_to_doorbell   MSI-X entry that started the poll (or that poll: irq_source "poll") -> doorbell
  napi_to_doorbell  NAPI poll entry -> doorbell;  rx_to_doorbell  RX descriptor seen -> doorbell
  stages            irq_to_napi, napi_to_rx, rx_to_doorbell (guest); host stages (exchange send ->
                    QEMU tap read -> igb DMA + MSI-X, QEMU TX -> exchange RX) from QEMU's trace log
                    when the run recorded one (scripts/qemu_stages.py), else null: not measured
  exchange_ns       the exchange's own figure for the trigger (host clock)
  why_null          null when measured, else why not: no_records (no readout), ring_full (the
                    stopwatch dropped records), no_rx_record (MD frame not stamped), no_doorbell
                    (no order frame stamped for it: e.g. the order was never matched),
                    stamps_out_of_order (irq <= NAPI <= descriptor <= doorbell does not hold)

  stopwatch.py join --stopwatch FILE --exchange-log LOG --session N --variant V --rep R
  stopwatch.py summary stopwatch.jsonl     percentiles with 95% bootstrap CIs per variant
"""
import argparse
import json
import sys

try:
    import numpy  # noqa: F401  (Debian's python3-numpy / python3-scipy, scripts/setup.sh)
except ImportError:
    # a python3 other than Debian's on PATH (pyenv, venv): use the packages setup.sh installed
    sys.path.append("/usr/lib/python3/dist-packages")

ORDER_BYTES = 13
GUEST_STAGES = ("irq_to_napi", "napi_to_rx", "rx_to_doorbell")
HOST_STAGES = ("host_send_to_tap_read", "host_tap_read_to_msix", "host_tx_to_exchange_rx")
STAGES = HOST_STAGES[:2] + GUEST_STAGES + HOST_STAGES[2:]
LABEL = "guest ns"


def parse(text):
    """The debugfs readout -> {"header": {...}, "rx": [...], "tx": [...]} (time-sorted)."""
    header, rx, tx = {}, [], []
    for line in text.splitlines():
        f = line.split()
        if not f:
            continue
        if f[0] == "#":
            header = dict(kv.split("=", 1) for kv in f[2:] if "=" in kv)
        elif f[0] == "R" and len(f) == 8:
            rx.append({"cpu": int(f[1]), "queue": int(f[2]), "seq": int(f[3]), "irq": int(f[4]),
                       "src": f[5], "napi": int(f[6]), "rx": int(f[7])})
        elif f[0] == "T" and len(f) == 9:
            tx.append({"cpu": int(f[1]), "queue": int(f[2]), "path": f[3], "proto": f[4], "id": int(f[5]),
                       "len": int(f[6]), "port": int(f[7]), "t": int(f[8])})
    rx.sort(key=lambda r: r["rx"])
    tx.sort(key=lambda r: r["t"])
    return {"header": header, "rx": rx, "tx": tx}


def read_records(path):
    try:
        with open(path, errors="replace") as f:
            return parse(f.read())
    except OSError:
        return None


def exchange_sessions(log_path):
    """{session: {"report": session report or None, "orders": [order events], "bounces": [...]}}"""
    out = {}
    if not log_path:
        return out
    try:
        f = open(log_path, errors="replace")
    except OSError:
        return out
    with f:
        for line in f:
            if not line.startswith("{"):
                continue
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = ev.get("event")
            if kind == "session_end" and isinstance(ev.get("report"), dict):
                n = ev["report"].get("session")
                out.setdefault(n, {"report": None, "orders": [], "bounces": []})["report"] = ev["report"]
            elif kind in ("order", "bounce") and "session" in ev:
                out.setdefault(ev["session"], {"report": None, "orders": [], "bounces": []})[kind + "s"].append(ev)
    return out


def doorbells_tcp(tx, orders, peer_port):
    """seq -> doorbell ns for the matched orders of one TCP session."""
    flow = [r for r in tx if r["proto"] == "tcp" and (peer_port is None or r["port"] == peer_port)]
    if not flow:
        return {}
    base = flow[0]["id"]  # the first payload segment of a connection starts the stream
    first = {}  # order index -> first tail write holding its last byte
    for r in flow:
        off = (r["id"] - base) & 0xFFFFFFFF
        if off >= 1 << 31:
            continue  # before the base: another connection's segment
        k = max(0, -(-(off - (ORDER_BYTES - 1)) // ORDER_BYTES))
        while ORDER_BYTES * k + ORDER_BYTES - 1 < off + r["len"]:
            first.setdefault(k, r["t"])
            k += 1
    out = {}
    for k, ev in enumerate(orders):
        if ev.get("match") == "matched" and k in first:
            out.setdefault(ev["seq"], first[k])
    return out


def doorbells_udp(tx):
    out = {}
    for r in tx:
        if r["proto"] == "udp":
            out.setdefault(r["id"], r["t"])
    return out


def join(records, session, variant, rep, host_stages=None):
    """One C2 sample per trigger the exchange expected in this session."""
    report = (session or {}).get("report") or {}
    triggers = report.get("triggers_by_seq") or []
    rx_by_seq = {}
    tx = []
    if records:
        for r in records["rx"]:
            rx_by_seq.setdefault(r["seq"], r)
        tx = records["tx"]
    if report.get("bounce_mode"):
        doorbell = doorbells_udp(tx)
    else:
        peer = report.get("peer", "")
        port = int(peer.rsplit(":", 1)[1]) if ":" in peer else None
        doorbell = doorbells_tcp(tx, (session or {}).get("orders", []), port)
    out = []
    for seq, exchange_ns in triggers:
        s = {"variant": variant, "rep": rep, "seq": seq, "irq_to_doorbell": None, "rx_to_doorbell": None,
             "napi_to_doorbell": None, "exchange_ns": exchange_ns, "irq_source": None,
             "stages": {k: None for k in STAGES}, "why_null": None}
        r, t = rx_by_seq.get(seq), doorbell.get(seq)
        if r and t is not None and t >= r["rx"] >= r["napi"] and r["napi"] >= r["irq"] > 0:
            s.update(irq_to_doorbell=t - r["irq"], rx_to_doorbell=t - r["rx"], napi_to_doorbell=t - r["napi"],
                     irq_source=r["src"])
            s["stages"].update(irq_to_napi=r["napi"] - r["irq"] if r["src"] == "msix" else None,
                               napi_to_rx=r["rx"] - r["napi"], rx_to_doorbell=t - r["rx"])
        else:
            s["why_null"] = why_unmeasured(records, r, t)
        if host_stages and seq in host_stages:
            s["stages"].update(host_stages[seq])
        out.append(s)
    return out


def why_unmeasured(records, r, t):
    """Why a trigger the exchange expected has no guest sample (one of WHY_NULL)."""
    if records is None:
        return "no_records"
    if int(records["header"].get("dropped", 0) or 0):
        return "ring_full"  # the stopwatch ran out of records: a sample may be among the lost ones
    if r is None:
        return "no_rx_record"
    if t is None:
        return "no_doorbell"
    return "stamps_out_of_order"  # irq > NAPI > descriptor > doorbell does not hold


WHY_NULL = ("no_records", "ring_full", "no_rx_record", "no_doorbell", "stamps_out_of_order")


def percentile(vals, q):
    """Percentile at 1 ns resolution: the sample value (numpy's 'inverted_cdf', no interpolation)."""
    import numpy as np
    return int(np.percentile(np.asarray(vals, dtype=np.int64), q, method="inverted_cdf"))


def bootstrap_ci(vals, q, resamples=2000):
    """95% confidence interval of the q-th percentile (scipy.stats.bootstrap, percentile method)."""
    import numpy as np
    from scipy import stats
    if len(vals) < 10 or len(set(vals)) < 2:
        return None
    res = stats.bootstrap((np.asarray(vals, dtype=np.float64),),
                          lambda x, axis: np.percentile(x, q, axis=axis, method="inverted_cdf"),
                          n_resamples=resamples, confidence_level=0.95, method="percentile",
                          random_state=np.random.default_rng(12345))
    return [int(res.confidence_interval.low), int(res.confidence_interval.high)]


def summarize(samples, key="irq_to_doorbell"):
    """The C2 "guest" object of bench.json for one variant's samples, plus stage medians."""
    vals = [s[key] for s in samples if s.get(key) is not None]
    g = {"stopwatch": key, "n": len(vals), "p50": None, "p90": None, "p99": None, "p50_ci": None,
         "p99_ci": None, "unit": LABEL}
    if vals:
        g.update(p50=percentile(vals, 50), p90=percentile(vals, 90), p99=percentile(vals, 99),
                 p50_ci=bootstrap_ci(vals, 50), p99_ci=bootstrap_ci(vals, 99))
    srcs = [s["irq_source"] for s in samples if s.get("irq_source")]
    g["irq_source"] = {src: srcs.count(src) for src in sorted(set(srcs))}
    g["expected"] = len(samples)
    whys = [s["why_null"] for s in samples if s.get("why_null")]
    g["unmeasured"] = {w: whys.count(w) for w in WHY_NULL if w in whys}
    stages = {}
    for name in STAGES:
        sv = [s["stages"][name] for s in samples if s.get("stages", {}).get(name) is not None]
        stages[name] = percentile(sv, 50) if sv else None
    return g, stages


def write_jsonl(path, samples):
    with open(path, "w") as f:
        for s in samples:
            f.write(json.dumps(s, separators=(",", ":")) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("join")
    j.add_argument("--stopwatch", required=True)
    j.add_argument("--exchange-log", required=True)
    j.add_argument("--session", type=int, help="default: the last session in the log")
    j.add_argument("--variant", default="driver")
    j.add_argument("--rep", type=int, default=1)
    j.add_argument("--out", default="-")
    s = sub.add_parser("summary")
    s.add_argument("jsonl")
    args = ap.parse_args()
    if args.cmd == "join":
        sessions = exchange_sessions(args.exchange_log)
        if not sessions:
            print("stopwatch.py: no session in the exchange log", file=sys.stderr)
            return 2
        n = args.session if args.session is not None else max(k for k in sessions if k is not None)
        samples = join(read_records(args.stopwatch), sessions.get(n), args.variant, args.rep)
        if args.out == "-":
            for x in samples:
                print(json.dumps(x, separators=(",", ":")))
        else:
            write_jsonl(args.out, samples)
        return 0
    rows = [json.loads(l) for l in open(args.jsonl) if l.strip()]
    for v in dict.fromkeys(r["variant"] for r in rows):
        g, st = summarize([r for r in rows if r["variant"] == v])
        print(json.dumps({"variant": v, "guest": g, "stages": st}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
