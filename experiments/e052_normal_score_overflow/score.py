"""e052: the old formula against the code's, part by part (result.json), and the hypotheses.

Run: .venv/bin/python experiments/e052_normal_score_overflow/score.py
"""

from __future__ import annotations

import json
from pathlib import Path

from scipy import stats

HERE = Path(__file__).resolve().parent
KEYS = ("cheat_flag_rate", "honest_flag_rate", "tpr_at_fpr")


def cp_upper(k: int, n: int, level: float = 0.99) -> float:
    """Two-sided ``level`` Clopper-Pearson upper end."""
    return 1.0 if k == n else float(stats.beta.ppf(1 - (1 - level) / 2, k + 1, n - k))


def real(part: dict) -> None:
    old, new = part["old"]["rows"], part["new"]["rows"]
    changed = [(a, b) for a, b in zip(old, new, strict=True) if any(a[k] != b[k] for k in KEYS)]
    print(f"real runs: {len(old)} rows (seed x swap x detector), {len(changed)} changed by the mend")
    for a, b in changed:
        print(
            f"  seed {a['seed']} {a['pairing']} {a['detector']}: decision TPR {a['cheat_flag_rate']:.4f} -> "
            f"{b['cheat_flag_rate']:.4f}, honest flag rate {a['honest_flag_rate']:.4f} -> {b['honest_flag_rate']:.4f}"
        )
    for arm in ("old", "new"):
        print(f"  {arm} formula counts: {json.dumps(part[arm]['counts'])}")


def synthetic(part: dict) -> None:
    print("synthetic all-honest domains (default_nearest, 300 x 30 nodes per offset):")
    for a, b in zip(part["old"]["rows"], part["new"]["rows"], strict=True):
        ns_old, ns_new = a["counts"]["nearest_stack"], b["counts"]["nearest_stack"]
        print(
            f"  stack {a['stack']}: abstained {ns_old['abstained']} -> {ns_new['abstained']} of {ns_old['calls']}; "
            f"flagged {a['flags']} -> {b['flags']} of {b['honest_nodes']} "
            f"({b['flags'] / b['honest_nodes']:.4f}, 99% CP upper {cp_upper(b['flags'], b['honest_nodes']):.4f}); "
            f"at the 1e-300 clip (new) {ns_new['at_clip']}"
        )


def simulation(part: dict) -> None:
    old, new = part["old"]["rows"], part["new"]["rows"]
    same = sum(a["digest"] == b["digest"] for a, b in zip(old, new, strict=True))
    print(f"simulation (e050's design): {same} of {len(old)} runs byte-identical with both formulas")
    for label in ("as designed", "all honest"):
        rows = [r for r in new if r["population"] == label]
        k, n = sum(r["honest_guilty"] for r in rows), sum(r["honest_verdicts"] for r in rows)
        c, m = sum(r["cheater_guilty"] for r in rows), sum(r["cheater_verdicts"] for r in rows)
        print(f"  {label}: honest guilty verdicts {k} of {n}; cheaters' {c} of {m}")
    for arm in ("old", "new"):
        print(f"  {arm} formula counts: {json.dumps(part[arm]['counts'])}")


def main() -> None:
    result = json.loads((HERE / "result.json").read_text())
    for name, fn in (("real", real), ("synthetic", synthetic), ("simulation", simulation)):
        if name in result and "new" in result[name]:
            fn(result[name])


if __name__ == "__main__":
    main()
