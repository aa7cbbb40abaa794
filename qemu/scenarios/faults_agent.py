#!/usr/bin/env python3
"""faults_agent.py: the host side of the `faults` scenario, run inside the lab netns.

- Relays Ethernet frames between QEMU's NIC (a `-netdev dgram` UDP socket pair on the netns' lo,
  see OELAB_NET_RELAY in qemu/lib.sh) and the tap oetap0, so the harness can impair them: the host
  has no sch_netem. Impairments of the order-entry TCP flow (loss, duplication, reordering; both
  directions) are switched on and off by command. It also counts the guest's IGMP membership reports for the MD group.
- Runs the exchange (restartable) and keeps every session report from its event log.
- Executes the guest's requests, which arrive as files on the run folder (9p share /out):
  DIR/cmd-N holds one command, the answer goes to DIR/ack-N ("ok ..." or "error ...").
  Commands: exchange-restart [rate=N] | rst | link on|off | impair [loss=P] [dup=P] [reorder=P]
            | impair off | stats | mark NAME | session PORT (that session's report summary)
            | traffic SECONDS, traffic-wait (non-lab traffic, see below)
            | inject md|vlan|foreign|badsum (one MD-looking datagram to the guest, see md_frame)
            | tap-stats (the tap's packet and drop counters, see tap_stats)
  `rst` resets the order-entry connection from the exchange side: an RST to the guest at its
  RCV.NXT and one to the exchange's stack at its RCV.NXT, so both ends see the connection reset.

With UDP_PORT 0 there is no relay (QEMU is on the tap itself): the exchange, the monitor commands
and `traffic` still work, frame-level commands (rst, impair, IGMP counts) do not.
`traffic SECONDS` starts sending, for SECONDS, non-lab traffic to the guest through the same NIC: UDP to
another port of the MD group, UDP to another group (239.255.0.2, which the guest joins with a
socket), unicast UDP to the guest, and a TCP transfer to the guest's own stack (port 5001, `nc -l`
in the guest); `traffic-wait` waits for the end and answers with what was sent.

Every order the exchange logs goes to DIR/orders.jsonl (its time, match and seq). Without the relay
a sampler writes DIR/tap-drops.jsonl: a line whenever the tap's tx_dropped moved, with the interval
(since_ns, time_ns] it moved in (sampled every 10 ms).
QEMU's igb never counts a full RX ring in rx_missed_errors / rx_no_buffer_count: it stops reading the
tap, and the host kernel drops the frames there (tx_dropped of oetap0), so that is the NIC-side drop
counter of this lab.

usage: faults_agent.py DIR MONITOR_SOCK UDP_PORT EXCHANGE_ARGV...
"""
import fcntl
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
TAP = "oetap0"
HOST_IP, GUEST_IP = "192.168.100.1", "192.168.100.2"
OE_PORT = 9012
MD_GROUP = socket.inet_aton("239.255.0.1")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_rst_frame(dst_mac, src_mac, saddr, daddr, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x04, 0, 0, 0)
    pseudo = struct.pack("!4s4sBBH", saddr, daddr, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, saddr, daddr)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def md_frame(dst_mac, src_mac, saddr, kind):
    """One MD-looking datagram to 239.255.0.1:12345: kind md (as the exchange sends it), vlan (the same,
    802.1Q priority-tagged, VID 0, which igb's VLAN filter always accepts), foreign (another source),
    badsum (a wrong UDP checksum)."""
    payload = b"oelab-inject-" + kind.encode()
    group = socket.inet_aton("239.255.0.1")
    if kind == "foreign":
        saddr = socket.inet_aton("192.168.100.9")
    udp = struct.pack("!HHHH", 40000, 12345, 8 + len(payload), 0) + payload
    pseudo = struct.pack("!4s4sBBH", saddr, group, 0, 17, len(udp))
    c = csum(pseudo + udp) or 0xFFFF
    if kind == "badsum":
        c ^= 0x5A5A
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 1, 17, 0, saddr, group)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    tag = b"\x81\x00\x00\x00" if kind == "vlan" else b""
    return (dst_mac + src_mac + tag + b"\x08\x00" + ip + udp).ljust(60, b"\0")


def tap_stats():
    """The host side of the guest's NIC: frames the tap queued for QEMU and the ones it dropped."""
    base = f"/sys/class/net/{TAP}/statistics/"
    return {k: int(open(base + k).read()) for k in ("tx_packets", "tx_dropped")}


def is_order_entry(f):
    """An IPv4 TCP frame to or from the exchange's order-entry port."""
    if len(f) < 38 or f[12:14] != b"\x08\x00" or f[23] != 6:
        return False
    l4 = 14 + (f[14] & 0xF) * 4
    return len(f) >= l4 + 4 and OE_PORT in struct.unpack("!HH", f[l4:l4 + 4])


class Impair:
    """One direction's impairments of the order-entry TCP flow: loss, duplication, reordering (a held
    frame goes out after the next one, or after 5 ms). Market data is not impaired here: a lost MD
    datagram is the load benchmark's subject, and it would make the book, not TCP, the variable."""

    def __init__(self, name):
        self.name = name
        self.loss = self.dup = self.reorder = 0.0
        self.held = None
        self.held_at = 0.0
        self.n = {"frames": 0, "lost": 0, "duplicated": 0, "reordered": 0}

    def frames(self, frame):
        self.n["frames"] += 1
        out = []
        if not is_order_entry(frame):
            return [frame]
        if self.loss and random.random() < self.loss:
            self.n["lost"] += 1
            return self.flush()
        if self.reorder and self.held is None and random.random() < self.reorder:
            self.n["reordered"] += 1
            self.held, self.held_at = frame, time.monotonic()
            return out
        out.append(frame)
        if self.dup and random.random() < self.dup:
            self.n["duplicated"] += 1
            out.append(frame)
        return out + self.flush()

    def flush(self, older_than=None):
        if self.held is None or (older_than is not None and time.monotonic() - self.held_at < older_than):
            return []
        f, self.held = self.held, None
        return [f]


class Agent:
    def __init__(self, folder, monitor, port, exchange_argv):
        self.dir, self.monitor, self.exchange_argv = folder, monitor, exchange_argv
        self.relay = port != 0
        if self.relay:
            self.tap = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            fcntl.ioctl(self.tap, TUNSETIFF, struct.pack("16sH", TAP.encode(), IFF_TAP | IFF_NO_PI))
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(("127.0.0.1", port))
            self.sock.setblocking(False)
        self.qemu_addr = ("127.0.0.1", port + 1)
        self.tap_mac = bytes.fromhex(open(f"/sys/class/net/{TAP}/address").read().strip().replace(":", ""))
        self.guest_mac = None
        self.to_guest, self.to_host = Impair("to_guest"), Impair("to_host")
        self.igmp_reports = 0
        # the order-entry connection as seen on the wire: guest port, each side's next sequence
        self.oe = {"gport": 0, "guest_nxt": 0, "host_nxt": 0}
        self.exchange = None
        self.events = open(os.path.join(folder, "exchange-events.jsonl"), "a")
        self.sessions = open(os.path.join(folder, "sessions.jsonl"), "a")
        self.orders = open(os.path.join(folder, "orders.jsonl"), "a")
        self.lock = threading.Lock()
        self.reports = {}  # peer port -> the exchange's report of that session
        self.next_cmd = 1
        self.stop = False

    # ---- exchange ----
    def start_exchange(self):
        self.exchange = subprocess.Popen(self.exchange_argv, stdout=subprocess.PIPE,
                                         stderr=open(os.path.join(self.dir, "exchange.err"), "a"), text=True)
        threading.Thread(target=self.read_events, args=(self.exchange,), daemon=True).start()

    def read_events(self, proc):
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                if ev.get("event") != "order":
                    self.events.write(line)
                    self.events.flush()
                else:
                    self.orders.write(line)
                if ev.get("event") == "session_end":
                    rep = ev.get("report", {})
                    self.reports[rep.get("peer", "").rpartition(":")[2]] = rep
                    self.sessions.write(json.dumps(rep) + "\n")
                    self.sessions.flush()
                    self.orders.flush()

    def stop_exchange(self):
        if self.exchange and self.exchange.poll() is None:
            self.exchange.send_signal(signal.SIGTERM)
            try:
                self.exchange.wait(10)
            except subprocess.TimeoutExpired:
                self.exchange.kill()
                self.exchange.wait()
        time.sleep(0.3)  # the reader thread has the session_end line by then

    # ---- QEMU monitor ----
    def hmp(self, cmd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(self.monitor)
        time.sleep(0.2)
        s.recv(4096)  # banner and prompt
        s.sendall((cmd + "\n").encode())
        time.sleep(0.3)
        try:
            out = s.recv(4096).decode(errors="replace")
        except socket.timeout:
            out = ""
        s.close()
        return out

    # ---- frames ----
    def note_frame(self, f, from_guest):
        if len(f) < 34 or f[12:14] != b"\x08\x00":
            return
        ihl = (f[14] & 0xF) * 4
        proto, src, dst = f[23], f[26:30], f[30:34]
        l4 = 14 + ihl
        if from_guest and self.guest_mac is None:
            self.guest_mac = f[6:12]
        if from_guest and proto == 2 and len(f) >= l4 + 8:
            self.note_igmp(f[l4:])
        if proto != 6 or len(f) < l4 + 20:
            return
        sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", f[l4:l4 + 14])
        tot = struct.unpack("!H", f[16:18])[0]
        plen = tot - ihl - (off >> 4) * 4
        end = (seq + plen + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF  # SYN/FIN take one
        if from_guest and dport == OE_PORT:
            if flags & 0x02:
                self.oe["gport"] = sport
            if sport == self.oe["gport"]:
                self.oe["guest_nxt"] = end
        elif not from_guest and sport == OE_PORT and dport == self.oe["gport"]:
            self.oe["host_nxt"] = end

    def note_igmp(self, igmp):
        t = igmp[0]
        if t in (0x12, 0x16) and igmp[4:8] == MD_GROUP:  # v1/v2 report
            self.igmp_reports += 1
        elif t == 0x22:  # v3: records of type(1) auxlen(1) nsrc(2) group(4) sources
            n, off = struct.unpack("!H", igmp[6:8])[0], 8
            for _ in range(n):
                if off + 8 > len(igmp):
                    break
                aux, nsrc = igmp[off + 1], struct.unpack("!H", igmp[off + 2:off + 4])[0]
                if igmp[off + 4:off + 8] == MD_GROUP and igmp[off] in (2, 4, 5):  # EXCLUDE/TO_EX/ALLOW
                    self.igmp_reports += 1
                off += 8 + 4 * nsrc + 4 * aux

    def send_guest(self, f):
        try:
            self.sock.sendto(f, self.qemu_addr)
        except OSError:
            pass  # QEMU not up yet or gone

    def send_host(self, f):
        try:
            os.write(self.tap, f)
        except OSError:
            pass

    def inject_rst(self):
        o = self.oe
        if not o["gport"] or self.guest_mac is None:
            return "error no order-entry connection seen"
        h, g = socket.inet_aton(HOST_IP), socket.inet_aton(GUEST_IP)
        self.send_guest(tcp_rst_frame(self.guest_mac, self.tap_mac, h, g, OE_PORT, o["gport"], o["host_nxt"]))
        self.send_host(tcp_rst_frame(self.tap_mac, self.guest_mac, g, h, o["gport"], OE_PORT, o["guest_nxt"]))
        return f"ok rst port {o['gport']} guest_seq {o['guest_nxt']} exchange_seq {o['host_nxt']}"

    # ---- commands ----
    def command(self, line):
        w = line.split()
        if not w:
            return "error empty"
        if w[0] == "exchange-restart":
            self.stop_exchange()
            for kv in w[1:]:
                k, v = kv.split("=")
                if k == "rate":
                    i = self.exchange_argv.index("--rate")
                    self.exchange_argv[i + 1] = str(int(v))
            self.start_exchange()
            return "ok"
        if w[0] == "traffic" and len(w) == 2:
            self.traffic_sent, self.traffic_threads = self.traffic(float(w[1]))
            return "ok started"
        if w[0] == "traffic-wait":
            for t in getattr(self, "traffic_threads", []):
                t.join()
            return "ok " + json.dumps(getattr(self, "traffic_sent", {}))
        if w[0] == "rst":
            return self.inject_rst()
        if w[0] == "inject" and len(w) == 2 and w[1] in ("md", "vlan", "foreign", "badsum"):
            mac = bytes.fromhex("01005e7f0001")
            self.send_guest(md_frame(mac, self.tap_mac, socket.inet_aton(HOST_IP), w[1]))
            return "ok"
        if w[0] == "link" and len(w) == 2 and w[1] in ("on", "off"):
            out = self.hmp(f"set_link n0 {w[1]}")
            return "ok" if "rror" not in out else "error " + out.strip().replace("\n", " ")
        if w[0] == "impair":
            for d in (self.to_guest, self.to_host):
                d.loss = d.dup = d.reorder = 0.0
                for kv in w[1:]:
                    if kv != "off":
                        k, v = kv.split("=")
                        setattr(d, k, float(v))
            return "ok"
        if w[0] == "session" and len(w) == 2:  # the exchange's verdict on the session from port N
            for _ in range(50):
                with self.lock:
                    r = self.reports.get(w[1])
                if r:
                    return "ok " + json.dumps({"published": r["md"]["published"], "msgs_per_s": r["md"]["msgs_per_s"],
                                               "triggers": r["triggers"], "orders": r["orders"],
                                               "end_reason": r["end_reason"]})
                time.sleep(0.1)
            return "error no report for port " + w[1]
        if w[0] == "stats":
            return "ok " + json.dumps(self.stats())
        if w[0] == "tap-stats":
            return "ok " + json.dumps(tap_stats())
        if w[0] == "mark":
            with self.lock:
                self.events.write(json.dumps({"event": "mark", "name": " ".join(w[1:]),
                                              "time_ns": time.time_ns()}) + "\n")
            return "ok"
        return "error unknown command"

    def traffic(self, seconds):
        """Non-lab traffic through the guest's NIC for `seconds` (runs beside the relay loop)."""
        sent = {"udp_other_port": 0, "udp_other_group": 0, "udp_unicast": 0, "tcp_bytes": 0, "tcp_error": None}

        def udp():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(HOST_IP))
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
            payload = b"not-market-data," * 8
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for key, dst in (("udp_other_port", ("239.255.0.1", 12346)),
                                 ("udp_other_group", ("239.255.0.2", 12345)),
                                 ("udp_unicast", (GUEST_IP, 12345))):
                    try:
                        s.sendto(payload, dst)
                        sent[key] += 1
                    except OSError:
                        pass
                time.sleep(0.001)

        def tcp():
            try:
                c = socket.create_connection((GUEST_IP, 5001), timeout=10)
                c.settimeout(30)
                chunk = b"\xa5" * 65536
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    c.sendall(chunk)
                    sent["tcp_bytes"] += len(chunk)
                c.shutdown(socket.SHUT_WR)
                c.recv(1)  # the guest's nc closes when it has everything
                c.close()
            except OSError as e:
                sent["tcp_error"] = str(e)

        threads = [threading.Thread(target=udp, daemon=True), threading.Thread(target=tcp, daemon=True)]
        for t in threads:
            t.start()
        return sent, threads

    def stats(self):
        return {"igmp_reports": self.igmp_reports, "to_guest": self.to_guest.n, "to_host": self.to_host.n}

    def sample_tap_drops(self):
        """A line in tap-drops.jsonl whenever the tap's tx_dropped moves: when the guest fell behind."""
        last, since = tap_stats()["tx_dropped"], time.time_ns()
        with open(os.path.join(self.dir, "tap-drops.jsonl"), "a") as out:
            while not self.stop:
                time.sleep(0.01)
                now = tap_stats()["tx_dropped"]
                t = time.time_ns()
                if now != last:  # the new drops happened in (since_ns, time_ns]
                    out.write(json.dumps({"since_ns": since, "time_ns": t, "tx_dropped": now, "new": now - last}) + "\n")
                    out.flush()
                    last = now
                since = t

    def poll_commands(self):
        path = os.path.join(self.dir, f"cmd-{self.next_cmd}")
        if not os.path.exists(path):
            return
        try:
            line = open(path).read().strip()
        except OSError:
            return
        try:
            ans = self.command(line)
        except Exception as e:  # an answer always goes back: the guest must not hang
            ans = f"error {type(e).__name__}: {e}"
        tmp = os.path.join(self.dir, f".ack-{self.next_cmd}")
        with open(tmp, "w") as f:
            f.write(ans + "\n")
        os.rename(tmp, os.path.join(self.dir, f"ack-{self.next_cmd}"))
        with open(os.path.join(self.dir, "agent.log"), "a") as f:
            f.write(f"{time.strftime('%H:%M:%S')} cmd-{self.next_cmd}: {line} -> {ans}\n")
        self.next_cmd += 1

    def run(self):
        self.start_exchange()
        next_poll = 0.0
        if not self.relay:
            threading.Thread(target=self.sample_tap_drops, daemon=True).start()
        while not self.stop and not self.relay:
            time.sleep(0.05)
            self.poll_commands()
        while not self.stop and self.relay:
            r, _, _ = select.select([self.tap, self.sock], [], [], 0.005)
            if self.sock in r:
                for _ in range(64):
                    try:
                        f = self.sock.recv(65536)
                    except BlockingIOError:
                        break
                    self.note_frame(f, True)
                    for x in self.to_host.frames(f):
                        self.send_host(x)
            if self.tap in r:
                for _ in range(64):
                    try:
                        f = os.read(self.tap, 65536)
                    except BlockingIOError:
                        break
                    self.note_frame(f, False)
                    for x in self.to_guest.frames(f):
                        self.send_guest(x)
            for x in self.to_host.flush(0.005):
                self.send_host(x)
            for x in self.to_guest.flush(0.005):
                self.send_guest(x)
            now = time.monotonic()
            if now >= next_poll:
                next_poll = now + 0.05
                self.poll_commands()
        self.stop_exchange()
        with open(os.path.join(self.dir, "relay-stats.json"), "w") as f:
            json.dump(self.stats(), f)


def main():
    if len(sys.argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    agent = Agent(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:])

    def bye(*_):
        agent.stop = True

    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    agent.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
