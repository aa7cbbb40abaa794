#!/usr/bin/env python3
"""Stand-in exchange for the baselines' end-to-end tests while userspace-exchange/'s server is absent.

Deliberately dumb: it has no trigger logic. Per session it accepts one order-entry connection,
publishes every row of the data file to the multicast group, collects the 13-byte orders
(u32 qty | i64 price | u8 side, little-endian) and closes the connection, which the strategy must
survive by reconnecting. Which orders were right is decided by the test against strategy-replay.
"""
import argparse
import gzip
import json
import socket
import struct
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--oe", default="0.0.0.0:9012")
    ap.add_argument("--group", default="239.255.0.1")
    ap.add_argument("--md-port", type=int, default=12345)
    ap.add_argument("--mcast-if", default="0.0.0.0", help="local address to publish from")
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--join-wait", type=float, default=0.3, help="seconds between accept and the first row")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    opener = gzip.open if a.data.endswith(".gz") else open
    with opener(a.data, "rb") as f:
        rows = [l.rstrip(b"\r\n") for l in f if l.strip() and not l.startswith(b"exchange,")]

    host, port = a.oe.rsplit(":", 1)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, int(port)))
    lsock.listen(1)
    lsock.settimeout(30)
    md = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    md.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.mcast_if))
    md.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 4)
    md.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    print("mini-exchange: listening", flush=True)

    report = {"rows": len(rows), "sessions": []}
    for _ in range(a.sessions):
        conn, peer = lsock.accept()
        conn.setblocking(False)
        time.sleep(a.join_wait)  # the strategy joins the group only once established
        got = bytearray()
        for i, row in enumerate(rows):
            md.sendto(row, (a.group, a.md_port))
            if i % 64 == 63:
                time.sleep(0.0005)  # stay below what a veth + a sleeping receiver absorbs
                try:
                    got += conn.recv(65536)
                except BlockingIOError:
                    pass
        deadline = time.time() + 0.5
        while time.time() < deadline:
            try:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
            except BlockingIOError:
                time.sleep(0.01)
        conn.close()
        orders = [list(struct.unpack_from("<IqB", got, o)) for o in range(0, len(got) - len(got) % 13, 13)]
        report["sessions"].append({"peer": peer[0], "orders": [[q, p, chr(s)] for q, p, s in orders],
                                   "trailing_bytes": len(got) % 13})
    with open(a.out, "w") as f:
        json.dump(report, f)
    print("mini-exchange: done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
