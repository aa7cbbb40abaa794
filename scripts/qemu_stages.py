#!/usr/bin/env python3
"""qemu_stages.py: the host stages of tick-to-trade, from QEMU's own trace events.

QEMU (Debian's build: the "log" trace backend) writes one line per enabled event; with
`-msg timestamp=on` each line starts "TID@SEC.USEC:" (gettimeofday, CLOCK_REALTIME, 1 us).
The exchange stamps with the same clock (SO_TIMESTAMPING software stamps, realtime ns), so:

  host_send_to_tap_read    exchange's MD TX stamp -> QEMU took the frame from the tap and handed it
                           to the igb model (e1000e_rx_receive_iov: tap_send calls it directly)
  host_tap_read_to_msix    -> the igb model wrote the frame and its descriptor to guest memory and
                           sent the MSI-X (e1000e_irq_msix_notify_vec in the same receive call);
                           null when the vector was masked (NAPI running: the guest polls the frame)
  host_tx_to_exchange_rx   the igb model processed the order frame's last TX descriptor
                           (e1000e_tx_descr with EOP: the guest's tail write traps straight into it)
                           -> the exchange's kernel RX stamp of the order

Frame identity (the events carry none): an MD frame is the first one the igb model received at or
after the exchange's TX stamp with the trigger row's length (the frame is the CSV row in a UDP
datagram: 42 + len(row) bytes, igb_rx_desc_buff_write's length), and before the order arrived; the
order frame is the last frame the guest sent before the exchange's RX stamp, after that MD frame,
longer than a bare TCP/ARP/IGMP frame (> 60 bytes). A trigger whose frames are not found stays
null: not measured. Trace stamps are 1 us: each is taken at the middle of its microsecond (+500
ns), so a stage is exact to +-0.5 us. The trace writes themselves (one write(2) per event, about 5
per MD frame) are inside the host stages: a traced run's host stages are an upper bound.

  qemu_stages.py args TRACE_FILE        QEMU arguments that record the events into TRACE_FILE
  qemu_stages.py summary TRACE_FILE     event counts (a check that the trace recorded anything)
"""
import bisect
import gzip
import re
import sys

EVENTS = ("e1000e_rx_receive_iov", "igb_rx_desc_buff_write", "e1000e_rx_interrupt_set",
          "e1000e_irq_msix_notify_vec", "e1000e_tx_descr")
STAGES = ("host_send_to_tap_read", "host_tap_read_to_msix", "host_tx_to_exchange_rx")

LINE = re.compile(r"^(\d+)@(\d+)\.(\d{6}):(\S+) ?(.*)$")
LENGTH = re.compile(r"length: (\d+)")
TX_DESCR = re.compile(r": ([0-9a-fA-F]+) ([0-9a-fA-F]+)\s*$")
DEXT, DTYP_MASK, DTYP_DATA, EOP = 0x20000000, 0x00F00000, 0x00300000, 0x01000000
PAYLEN_SHIFT = 14
MIN_ORDER_FRAME = 61      # bare TCP ACK, ARP, IGMP frames are <= 60 bytes (padded)
MAX_WINDOW_NS = 50_000_000  # a stage longer than this is a mismatch, not a measurement


def qemu_args(trace_file):
    return ["-msg", "timestamp=on"] + [a for e in EVENTS for a in ("-trace", f"enable={e}")] + \
        ["-trace", f"file={trace_file}"]


class Trace:
    """rx: [(t_read, length, t_msix | None)], tx: [(t_eop, length)], both time-sorted (ns)."""

    def __init__(self):
        self.rx, self.tx, self.counts = [], [], {e: 0 for e in EVENTS}

    def finish(self):
        self.rx.sort(key=lambda r: r[0])
        self.tx.sort(key=lambda r: r[0])
        self.rx_t = [r[0] for r in self.rx]
        self.tx_t = [r[0] for r in self.tx]
        return self


def parse(lines):
    tr = Trace()
    rx_open = {}   # tid -> [t_read, length, t_msix, state]: state "recv" until interrupt_set, then "irq"
    tx_open = {}   # tid -> frame length from the packet's first data descriptor (PAYLEN)

    def close(tid):
        f = rx_open.pop(tid, None)
        if f and f[1] is not None:
            tr.rx.append((f[0], f[1], f[2]))

    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        tid, ev = int(m.group(1)), m.group(4)
        if ev not in tr.counts:
            continue
        tr.counts[ev] += 1
        t = int(m.group(2)) * 1_000_000_000 + int(m.group(3)) * 1000 + 500
        f = rx_open.get(tid)
        if ev == "e1000e_irq_msix_notify_vec":
            if f and f[3] == "irq" and f[2] is None:
                f[2] = t
            continue
        if f and f[3] == "irq":
            close(tid)  # anything else after the receive call's interrupts ends that frame
            f = None
        if ev == "e1000e_rx_receive_iov":
            close(tid)
            rx_open[tid] = [t, None, None, "recv"]
        elif ev == "igb_rx_desc_buff_write":
            lm = LENGTH.search(m.group(5))
            if f and f[1] is None and lm:
                f[1] = int(lm.group(1))
        elif ev == "e1000e_rx_interrupt_set":
            if f:
                f[3] = "irq"
        elif ev == "e1000e_tx_descr":
            dm = TX_DESCR.search(m.group(5))
            if not dm:
                continue
            cmd, olinfo = int(dm.group(1), 16), int(dm.group(2), 16)
            if not cmd & DEXT or cmd & DTYP_MASK != DTYP_DATA:
                continue  # context descriptor
            tx_open.setdefault(tid, olinfo >> PAYLEN_SHIFT)
            if cmd & EOP:
                tr.tx.append((t, tx_open.pop(tid)))
    for tid in list(rx_open):
        close(tid)
    return tr.finish()


def read_trace(path):
    try:
        with open(path, errors="replace") as f:
            return parse(f)
    except OSError:
        return None


def md_frame_lengths(md_file):
    """MD seq -> the set of frame lengths of the rows with that seq (the exchange sends the row as
    the UDP payload: userspace-exchange/src/format_packet.cpp), Ethernet padding included."""
    out = {}
    opener = gzip.open if md_file.endswith(".gz") else open
    with opener(md_file, "rt", errors="replace") as f:
        next(f, None)  # header
        for line in f:
            row = line.rstrip("\r\n")
            fields = row.split(",")
            if len(fields) > 3 and fields[3].isdigit():
                out.setdefault(int(fields[3]), set()).add(max(60, 42 + len(row.encode())))
    return out


def host_stages(trace, session, lengths):
    """{MD seq: {stage: ns}} for one exchange session's matched triggers (stages not found: absent)."""
    out = {}
    if trace is None or not session:
        return out
    report = session.get("report") or {}
    events = session.get("bounces" if report.get("bounce_mode") else "orders") or []
    arrived = {}
    for ev in events:
        if ev.get("match") == "matched" and "seq" in ev and "time_ns" in ev:
            arrived.setdefault(ev["seq"], ev["time_ns"])
    for seq, t2t in report.get("triggers_by_seq") or []:
        rx_ns = arrived.get(seq)
        if t2t is None or rx_ns is None:
            continue
        sent = rx_ns - t2t  # the exchange's own MD TX stamp of the trigger
        want = lengths.get(seq, ())
        st = {}
        read_at = None
        i = bisect.bisect_left(trace.rx_t, sent - 500)
        while i < len(trace.rx) and trace.rx[i][0] <= rx_ns + 500:
            t, n, msix = trace.rx[i]
            if n in want:
                read_at = t
                st["host_send_to_tap_read"] = t - sent
                if msix is not None:
                    st["host_tap_read_to_msix"] = msix - t
                break
            i += 1
        if read_at is None or st["host_send_to_tap_read"] > MAX_WINDOW_NS:
            out[seq] = {}
            continue
        j = bisect.bisect_right(trace.tx_t, rx_ns + 500) - 1
        while j >= 0 and trace.tx[j][0] >= read_at:
            t, n = trace.tx[j]
            if n >= MIN_ORDER_FRAME:
                if rx_ns - t <= MAX_WINDOW_NS:
                    st["host_tx_to_exchange_rx"] = rx_ns - t
                break
            j -= 1
        out[seq] = st
    return out


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("args", "summary"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "args":
        print(" ".join(qemu_args(sys.argv[2])))
        return 0
    tr = read_trace(sys.argv[2])
    if tr is None:
        print(f"qemu_stages.py: cannot read {sys.argv[2]}", file=sys.stderr)
        return 1
    print(f"events {tr.counts} rx_frames {len(tr.rx)} with_msix {sum(1 for r in tr.rx if r[2])} "
          f"tx_frames {len(tr.tx)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
