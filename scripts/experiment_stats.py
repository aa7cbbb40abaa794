"""experiment_stats.py: is B faster than A, by how much, how sure?

Each arm is a list of repetitions, each an array of per-trigger latencies (ns). The statistic is the
quantile (p50, p99) of an arm's pooled samples; the effect is B's quantile relative to A's, in % and
in ns. Its 95% confidence interval is a percentile bootstrap that resamples at both levels the data
came from: repetitions (with replacement) and then the triggers within each drawn repetition. The
triggers of one repetition share its boot, its exchange run and the host load of those seconds, so
resampling triggers alone (scipy.stats.bootstrap's i.i.d. model) would be overconfident whenever
repetitions differ; with one repetition per arm the two coincide (a unit test checks that against
scipy.stats.bootstrap). A difference is significant when its CI excludes zero and, with at least two
repetitions per arm, the repetitions agree: a Welch t-test (scipy) on the per-repetition quantiles
rejects "no difference" at 5%. The bootstrap alone cannot see between-repetition variation with few
repetitions (2 per arm: 3 distinct draws of repetitions, and the drawn spread is half the real one),
so a real A/A whose repetitions differed by host-paced queueing read as "significant" without it.
"""
import numpy as np
import scipy.stats

QUANTILES = {"p50": 0.5, "p99": 0.99}


class Arm:
    """Repetitions of one arm, flattened once for fast resampling."""

    def __init__(self, reps):
        reps = [np.asarray(r, dtype=float) for r in reps if len(r)]
        self.k = len(reps)
        self.sizes = np.array([len(r) for r in reps], dtype=np.int64)
        self.offsets = np.concatenate(([0], np.cumsum(self.sizes)[:-1])).astype(np.int64)
        self.flat = np.concatenate(reps) if reps else np.empty(0)

    def draw(self, rng, count):
        """`count` two-level bootstrap resamples at once: a (count, longest) matrix whose row r holds
        totals[r] resampled values, sorted, then +inf padding (rows differ in length when
        repetitions do)."""
        chosen = rng.integers(0, self.k, (count, self.k))
        sizes = self.sizes[chosen].ravel()
        totals = self.sizes[chosen].sum(axis=1)
        draws = np.repeat(self.offsets[chosen].ravel(), sizes)
        draws += (rng.random(len(draws)) * np.repeat(sizes, sizes)).astype(np.int64)
        rows = np.repeat(np.arange(count), totals)
        cols = np.arange(len(draws)) - np.repeat(np.cumsum(totals) - totals, totals)
        m = np.full((count, totals.max()), np.inf)
        m[rows, cols] = self.flat[draws]
        m.sort(axis=1)
        return m, totals

    def quantiles(self, rng, count, qs):
        """Quantiles of `count` resamples, shape (count, len(qs)), read at numpy's default ("linear")
        positions of each row's own length."""
        m, totals = self.draw(rng, count)
        out = np.empty((count, len(qs)))
        r = np.arange(count)
        for j, q in enumerate(qs):
            h = q * (totals - 1)
            lo = np.floor(h).astype(np.int64)
            hi = np.minimum(lo + 1, totals - 1)
            out[:, j] = m[r, lo] + (h - lo) * (m[r, hi] - m[r, lo])
        return out


def summary(values):
    v = np.asarray(values, dtype=float)
    if not len(v):
        return {"n": 0, "p50": None, "p90": None, "p99": None, "min": None, "max": None, "mean": None}
    p50, p90, p99 = np.quantile(v, [0.5, 0.9, 0.99])
    return {"n": int(len(v)), "p50": float(p50), "p90": float(p90), "p99": float(p99), "min": float(v.min()),
            "max": float(v.max()), "mean": float(v.mean())}


def rep_test(reps_a, reps_b, q):
    """Welch's t-test of "same mean" over the arms' per-repetition q-quantiles: the between-repetition
    check of significance. None with fewer than two repetitions in an arm (nothing to compare)."""
    qa = [float(np.quantile(r, q)) for r in reps_a if len(r)]
    qb = [float(np.quantile(r, q)) for r in reps_b if len(r)]
    out = {"method": "Welch t-test on per-repetition quantiles (scipy.stats.ttest_ind, equal_var=False)",
           "A_reps": qa, "B_reps": qb, "p": None}
    if len(qa) < 2 or len(qb) < 2:
        return out
    if np.ptp(qa) == 0 and np.ptp(qb) == 0:  # deterministic (icount): equal or exactly apart
        out["p"] = 1.0 if qa[0] == qb[0] else 0.0
    else:
        out["p"] = float(scipy.stats.ttest_ind(qb, qa, equal_var=False).pvalue)
    return out


def compare(reps_a, reps_b, resamples=10000, seed=1):
    """Difference of p50 and p99 between arms B and A with bootstrap 95% CIs. None if an arm is empty."""
    a, b = Arm(reps_a), Arm(reps_b)
    if not a.k or not b.k:
        return None
    qs = list(QUANTILES.values())
    qa, qb = np.quantile(a.flat, qs), np.quantile(b.flat, qs)
    rng = np.random.default_rng(seed)
    batch = max(1, 2_000_000 // max(len(a.flat), len(b.flat)))
    parts_a, parts_b = [], []
    for start in range(0, resamples, batch):
        n = min(batch, resamples - start)
        parts_a.append(a.quantiles(rng, n, qs))
        parts_b.append(b.quantiles(rng, n, qs))
    boot_a, boot_b = np.concatenate(parts_a), np.concatenate(parts_b)
    out = {"method": "two-level percentile bootstrap (repetitions, then triggers within each), "
                     f"{resamples} resamples, seed {seed}",
           "A": summary(a.flat) | {"reps": a.k}, "B": summary(b.flat) | {"reps": b.k}}
    for j, name in enumerate(QUANTILES):
        d_ns = boot_b[:, j] - boot_a[:, j]
        with np.errstate(divide="ignore", invalid="ignore"):
            d_pct = 100.0 * d_ns / boot_a[:, j]
        lo_ns, hi_ns = np.percentile(d_ns, [2.5, 97.5])
        finite = d_pct[np.isfinite(d_pct)]
        lo, hi = np.percentile(finite, [2.5, 97.5]) if len(finite) else (float("nan"), float("nan"))
        diff_pct = 100.0 * (qb[j] - qa[j]) / qa[j] if qa[j] else float("nan")
        reps = rep_test(reps_a, reps_b, qs[j])
        agree = reps["p"] is None or reps["p"] < 0.05
        out[name] = {"A": float(qa[j]), "B": float(qb[j]), "diff_ns": float(qb[j] - qa[j]),
                     "ci95_ns": [float(lo_ns), float(hi_ns)], "diff_pct": float(diff_pct),
                     "ci95": [float(lo), float(hi)], "ci_excludes_0": bool(lo_ns > 0 or hi_ns < 0),
                     "rep_test": reps}
        out[name]["significant"] = out[name]["ci_excludes_0"] and agree
    return out


def phrase(name, q):
    """One clause of the verdict, e.g. 'B is 12.3% faster at p50, 95% CI [10.1%, 14.2%]'."""
    lo, hi = q["ci95"]
    if not q["significant"]:
        why = ""
        if q.get("ci_excludes_0") and (q.get("rep_test") or {}).get("p") is not None:
            why = f"; the CI excludes 0 but the repetitions disagree, Welch p = {q['rep_test']['p']:.2f}"
        return f"{name} no detectable difference ({q['diff_pct']:+.1f}%, 95% CI [{lo:+.1f}%, {hi:+.1f}%]{why})"
    if q["diff_pct"] < 0:
        return f"B is {-q['diff_pct']:.1f}% faster at {name}, 95% CI [{-hi:.1f}%, {-lo:.1f}%]"
    return f"B is {q['diff_pct']:.1f}% slower at {name}, 95% CI [{lo:.1f}%, {hi:.1f}%]"


def verdict(cmp):
    """The one-line verdict and the machine-readable one (report.json "verdict")."""
    if cmp is None:
        return "no verdict: an arm has no samples", None
    text = "; ".join(phrase(n, cmp[n]) for n in QUANTILES)
    return text, {n: {k: cmp[n][k] for k in ("diff_pct", "ci95", "significant", "diff_ns", "ci95_ns",
                                              "ci_excludes_0", "rep_test")}
                  for n in QUANTILES}
