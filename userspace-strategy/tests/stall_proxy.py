#!/usr/bin/env python3
"""stall_proxy.py LISTEN_IP PORT UPSTREAM_IP UPSTREAM_PORT STALL_S [RCVBUF]

A TCP proxy for one order-entry connection that plays a stalled exchange: it accepts the strategy
(its listening socket's receive buffer set to RCVBUF bytes, so the window closes after a few KB),
connects to the real exchange, reads nothing from the strategy for STALL_S seconds, then forwards
everything. Ends when either side closes. Exit 0 after a forwarded session."""
import select
import socket
import sys
import time

ip, port, up_ip, up_port, stall = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
rcvbuf = int(sys.argv[6]) if len(sys.argv) > 6 else 4096
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
ls.bind((ip, port))
ls.listen(1)
client, _ = ls.accept()
up = socket.create_connection((up_ip, up_port))
time.sleep(stall)
while True:
    r, _, _ = select.select([client, up], [], [], 30)
    if not r:
        break
    if up in r and not up.recv(4096):  # the exchange never sends: readable = closed
        break
    if client in r:
        data = client.recv(65536)
        if not data:
            break
        up.sendall(data)
up.shutdown(socket.SHUT_WR)
up.close()
client.close()
