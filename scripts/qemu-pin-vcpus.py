#!/usr/bin/env python3
"""qemu-pin-vcpus.py QMP_SOCKET [--cpus "C0 C1 ..."] [--accel-json FILE] [--wait S]

Pins each vCPU thread of a running QEMU to one host CPU: vCPU i -> the i-th CPU of --cpus (default:
CPU i mod the CPUs this process may use). Waits up to --wait seconds for the QMP socket, asks
query-cpus-fast for the vCPU thread ids and sets their affinity. Prints one line per vCPU; with
--accel-json adds "vcpu_pins": {"<vcpu>": {"thread": tid, "cpu": c}} to that file. Exit 1 if QEMU
could not be reached or a thread could not be pinned, 2 on a bad --cpus."""
import argparse
import json
import os
import socket
import sys
import time


def qmp(sock_path, wait_s):
    deadline = time.monotonic() + wait_s
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock_path)
            break
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    s.settimeout(wait_s)
    f = s.makefile("rw")

    def call(cmd):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                raise OSError("QMP closed")
            msg = json.loads(line)
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise OSError(f"QMP {cmd}: {msg['error']}")

    json.loads(f.readline())  # greeting
    call("qmp_capabilities")
    return call("query-cpus-fast")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--cpus", default="")
    ap.add_argument("--accel-json")
    ap.add_argument("--wait", type=float, default=30.0)
    a = ap.parse_args()
    usable = sorted(os.sched_getaffinity(0))
    try:
        cpus = [int(c) for c in a.cpus.split()]
    except ValueError:
        print(f"qemu-pin-vcpus: --cpus '{a.cpus}': expected host CPU numbers", file=sys.stderr)
        return 2
    bad = [c for c in cpus if c not in usable]
    if bad:
        print(f"qemu-pin-vcpus: --cpus {bad} not usable here (have {usable})", file=sys.stderr)
        return 2
    try:
        vcpus = qmp(a.socket, a.wait)
    except (OSError, ValueError) as e:
        print(f"qemu-pin-vcpus: cannot query QEMU at {a.socket}: {e}", file=sys.stderr)
        return 1
    pins, status = {}, 0
    for v in sorted(vcpus, key=lambda v: v["cpu-index"]):
        i, tid = v["cpu-index"], v["thread-id"]
        cpu = cpus[i] if i < len(cpus) else usable[i % len(usable)]
        try:
            os.sched_setaffinity(tid, {cpu})
        except OSError as e:
            print(f"qemu-pin-vcpus: vCPU {i} (thread {tid}) -> CPU {cpu}: {e}", file=sys.stderr)
            status = 1
            continue
        pins[str(i)] = {"thread": tid, "cpu": cpu}
        print(f"vCPU {i} thread {tid} -> host CPU {cpu}")
    if a.accel_json:
        try:
            j = json.load(open(a.accel_json))
        except (OSError, ValueError):
            j = {}
        j["vcpu_pins"] = pins
        tmp = a.accel_json + ".tmp"
        json.dump(j, open(tmp, "w"))
        os.replace(tmp, a.accel_json)
    return status


if __name__ == "__main__":
    sys.exit(main())
