#!/usr/bin/env python3
"""qemu-hmp.py SOCKET COMMAND...: run human-monitor commands (e.g. "info jit") on a QEMU started with
OELAB_QEMU_EXTRA="-chardev socket,id=hmp,path=SOCKET,server=on,wait=off -mon chardev=hmp" and print
their output. Waits up to 30 s for the socket. Exit 1 if QEMU cannot be reached."""
import socket
import sys
import time


def read_until_prompt(s):
    buf = b""
    while not buf.rstrip().endswith(b"(qemu)"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    deadline = time.monotonic() + 30
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sys.argv[1])
            break
        except OSError as e:
            s.close()
            if time.monotonic() > deadline:
                print(f"qemu-hmp: {sys.argv[1]}: {e}", file=sys.stderr)
                return 1
            time.sleep(0.1)
    s.settimeout(30)
    read_until_prompt(s)  # banner
    for cmd in sys.argv[2:]:
        s.sendall(cmd.encode() + b"\n")
        out = read_until_prompt(s).replace("\r", "")
        lines = [l for l in out.splitlines() if l.strip() not in ("(qemu)", cmd) and not l.startswith("(qemu) " + cmd)]
        print(f"== {cmd}\n" + "\n".join(l for l in lines if "\x1b" not in l))
    return 0


if __name__ == "__main__":
    sys.exit(main())
