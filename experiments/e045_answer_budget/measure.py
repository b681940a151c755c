"""e045: decision TPR against the per-verdict budget (learned questions x 5 answers) on the real runs,
`default_nearest` beside `default`; see hypothesis.md.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e045_answer_budget/measure.py [--out FILE]
Figure only, from a result file: ... measure.py --plot experiments/e045_answer_budget/result.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real

DETECTORS = ("default", "default_nearest")
SWAPS = (("gemma-2-9b", "gemma-2-27b"), ("gemma-2-27b", "gemma-2-9b"))  # (claimed, served)


def budget_row(learn, judge, honest: str, cheat: str, questions: int, trials: int, seed: int) -> list[dict]:
    """One (seed, swap, budget): e043's real-run design with ``questions`` learned questions x 5 answers."""
    rng = np.random.default_rng(seed)
    spec = ev.TrialSpec(honest, cheat, 30, 3, questions, 5, (0, 1), (0, 1))
    qsets = [ev.learn_questions(learn, spec, questions, 20, rng) for _ in range(5)]
    res = ev.evaluate_learned(judge, spec, {d: {"detector": d} for d in DETECTORS}, trials, rng, qsets, 0.01)
    rows = []
    for name, outcome in res.items():
        s = outcome.summary()
        rows.append({"seed": seed, "pairing": f"{cheat} as {honest}", "questions": questions, "detector": name, **s})
        print(
            f"seed {seed} {cheat} as {honest} {questions} x 5 {name:16s} ROC TPR@1% {s['tpr_at_fpr']:.3f}  "
            f"decision TPR {s['cheat_flag_rate']:.3f}  honest flag rate {s['honest_flag_rate']:.4f}",
            flush=True,
        )
    return rows


def plot(result: dict, path: Path) -> None:
    """Decision TPR (mean over seeds, with each seed's value) against answers per verdict, one panel per swap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    pairings = sorted({r["pairing"] for r in rows})
    fig, axes = plt.subplots(1, len(pairings), figsize=(5 * len(pairings), 3.8), sharey=True)
    for ax, pairing in zip(np.atleast_1d(axes), pairings):
        for name, colour in zip(DETECTORS, ("tab:grey", "tab:blue")):
            mine = [r for r in rows if r["pairing"] == pairing and r["detector"] == name]
            budgets = sorted({5 * r["questions"] for r in mine})
            per_seed = [[r["cheat_flag_rate"] for r in mine if 5 * r["questions"] == b] for b in budgets]
            for b, values in zip(budgets, per_seed):
                ax.scatter([b] * len(values), values, s=10, color=colour, alpha=0.4)
            ax.plot(budgets, [np.mean(v) for v in per_seed], "o-", color=colour, label=f"{name} (mean over seeds)")
        ax.axhline(0.99, color="tab:red", ls="--", lw=1, label="item 1 target 0.99")
        ax.set(title=f"{pairing} (alpha 0.01)", xlabel="answers per verdict (learned questions x 5)")
        ax.set_xticks(budgets)
    np.atleast_1d(axes)[0].set_ylabel("decision TPR (cheaters flagged)")
    np.atleast_1d(axes)[0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seeds", default="2,3,4,5,6,7")
    ap.add_argument("--questions", default="5,6,7,8")
    ap.add_argument("--out")
    ap.add_argument("--plot", help="only draw the figure from this result file")
    args = ap.parse_args()
    figure = Path(__file__).resolve().parent / "decisions_vs_budget.png"
    if args.plot:
        plot(json.loads(Path(args.plot).read_text()), figure)
        return
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    t0, rows = time.perf_counter(), []
    for seed in (int(s) for s in args.seeds.split(",")):
        for honest, cheat in SWAPS:
            for k in (int(q) for q in args.questions.split(",")):
                rows += budget_row(learn, judge, honest, cheat, k, args.trials, seed)
    result = {"rows": rows, "seconds": time.perf_counter() - t0}
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    plot(result, figure)


if __name__ == "__main__":
    main()
