"""What the faults and load scenarios leave in their run folder, read for their host checks
(scripts/faults-check.py, scripts/load-report.py): the guest's ok/not ok lines, the sessions it
recorded (sessions-guest.txt "K PORT LABEL", session-K.txt its ethtool -S at the end) and the
exchange's report of each session, by the guest's local port (sessions.jsonl, from faults_agent.py)."""
import json
import os


class Checks:
    """Counts checks; prints each failure as "FAIL <suite>: name detail"."""

    def __init__(self, suite):
        self.suite, self.passed, self.failed = suite, 0, 0

    def __call__(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {self.suite}: {name} {detail}".rstrip())

    def guest_log(self, path):
        """The guest's "ok X" / "not ok X" lines; returns how many there were."""
        n = 0
        lines = open(path, errors="replace").read().splitlines() if os.path.exists(path) else []
        for line in lines:
            if line.startswith("not ok "):
                n += 1
                self(line[7:].strip(), False)
            elif line.startswith("ok "):
                n += 1
                self(line[3:].strip(), True)
        return n

    def summary(self):
        print(f"{self.suite}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def ethtool_stats(path):
    stats = {}
    for line in open(path, errors="replace") if os.path.exists(path) else []:
        k, sep, v = line.strip().partition(":")
        if sep and v.strip().isdigit():
            stats[k.strip()] = int(v)
    return stats


def exchange_reports(d):
    """The exchange's session reports by the peer's port."""
    reports = {}
    path = os.path.join(d, "sessions.jsonl")
    for line in open(path) if os.path.exists(path) else []:
        try:
            r = json.loads(line)
        except ValueError:
            continue
        reports[r.get("peer", "").rpartition(":")[2]] = r
    return reports


def guest_sessions(d):
    path = os.path.join(d, "sessions-guest.txt")
    return [l.split() for l in open(path) if l.strip()] if os.path.exists(path) else []
