#!/usr/bin/env python3
"""mcast-send.py GROUP PORT IFADDR TEXT [COUNT] [INTERVAL_S] [STOP_FILE]: send TEXT (+ a counter)
to a multicast group out of the interface with IFADDR, COUNT times (bounded), INTERVAL_S apart, and
stop early once STOP_FILE exists (the receiver's way of saying "got it"). Lab use only: run it
inside the lab's network namespace."""
import os
import socket
import sys
import time

if len(sys.argv) < 5:
    print(__doc__, file=sys.stderr)
    sys.exit(2)
group, port, ifaddr, text = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
count = int(sys.argv[5]) if len(sys.argv) > 5 else 1
interval = float(sys.argv[6]) if len(sys.argv) > 6 else 0.2
stop_file = sys.argv[7] if len(sys.argv) > 7 else None
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
sent = 0
for i in range(count):
    if stop_file and os.path.exists(stop_file):
        break
    try:
        s.sendto(f"{text} {i}".encode(), (group, port))
        sent += 1
    except OSError:
        pass  # the tap has no carrier until QEMU attaches
    time.sleep(interval)
print(f"mcast-send: {sent} of {count} sent", file=sys.stderr)
