"""e056: score the confirmatory run against hypothesis.md (both arms' result files).

Run: .venv/bin/python experiments/e056_contrast_discrimination/score.py
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LLAMA_9B = "llama-3-1-8b as gemma-2-9b"


def _e054_score():
    """e054's scoring helpers (the same per-seed cells, summaries and lines)."""
    spec = importlib.util.spec_from_file_location("e054_score", HERE.parent / "e054_learning_detector" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


E054 = _e054_score()
HARD, per_cell, summary = E054.HARD, E054.per_cell, E054.summary


def main() -> None:
    raw = {arm: json.loads((HERE / f"result_{arm}.json").read_text())["rows"] for arm in ("ucb", "ucb_contrast")}
    arms = {arm: per_cell(rows) for arm, rows in raw.items()}
    pairings = sorted({p for p, _ in arms["ucb"]})
    table = {arm: {p: summary(cells, p) for p in pairings} for arm, cells in arms.items()}
    for arm, rows in table.items():
        E054.print_arm(arm, rows)
    u, c = table["ucb"], table["ucb_contrast"]
    for pairing, column, name in ((HARD, 0, "TPR"), (LLAMA_9B, 1, "honest flag rate")):
        seeds = sorted({s for p, s in arms["ucb"] if p == pairing})
        diff = np.array([arms["ucb_contrast"][(pairing, s)][column] - arms["ucb"][(pairing, s)][column] for s in seeds])
        print(
            f"{pairing}, {name} paired by seed (contrast - ucb): mean {diff.mean():+.4f}, higher on "
            f"{int((diff > 0).sum())}, lower on {int((diff < 0).sum())}, equal on {int((diff == 0).sum())}"
        )
    cells = lambda t: sum(s["honest_cells_above_0.01"] for s in t.values())  # noqa: E731
    verdicts = {
        "H1": c[LLAMA_9B]["honest_pooled"] <= 0.01 and c[LLAMA_9B]["honest_pooled"] < u[LLAMA_9B]["honest_pooled"],
        "H2": c[HARD]["tpr_pooled"] >= 0.99 and c[HARD]["tpr_pooled"] >= u[HARD]["tpr_pooled"] - 0.002,
        "H3": c[HARD]["seeds_at_0.99"] >= 22,
        "H4": all(s["honest_pooled"] <= 0.01 for s in c.values()) and cells(c) <= 2 and cells(c) < cells(u),
        "H5": all(c[p]["tpr_pooled"] >= 0.99 for p in pairings if p != HARD),
        "H6": all(s["seeds_at_0.99"] == s["seeds"] and s["honest_cells_above_0.01"] == 0 for s in c.values()),
    }
    simulation = json.loads((HERE / "result_simulation.json").read_text())
    verdicts |= score_simulation(simulation)
    replication = per_cell(json.loads((HERE / "result_replication.json").read_text())["rows"])
    r = {p: summary(replication, p) for p in pairings}
    E054.print_arm("replication (seeds 146-169, contrast)", r)
    both = {p: summary(arms["ucb_contrast"] | replication, p) for p in pairings}
    E054.print_arm("contrast, seeds 122-169", both)
    verdicts |= {
        "R1": all(s["tpr_pooled"] >= 0.99 and s["honest_pooled"] <= 0.01 for s in r.values()),
        "R2": r[HARD]["seeds_at_0.99"] >= 22 and cells(r) <= 2,
        "R3": all(s["seeds_at_0.99"] == s["seeds"] and s["honest_cells_above_0.01"] == 0 for s in r.values()),
    }
    table["replication"], table["contrast_122_169"] = r, both
    longer = per_cell(json.loads((HERE / "result_ucb_contrast_40.json").read_text())["rows"])
    e40 = {p: summary(longer, p) for p in pairings}
    E054.print_arm("contrast, 40 learning epochs (seeds 122-145)", e40)
    misses = sum(v[0] < 0.99 or v[1] > 0.01 for v in longer.values())
    print(f"cells missing item 1: 40 epochs {misses} of {len(longer)}")
    verdicts |= {
        "L1": e40[HARD]["seeds_at_0.99"] >= 23 and e40[HARD]["tpr_pooled"] >= c[HARD]["tpr_pooled"],
        "L2": cells(e40) <= 1,
        "L3": misses == 0,
    }
    table["contrast_40_epochs"] = e40
    for h, ok in verdicts.items():
        print(f"{h}: {'holds' if ok else 'fails'}")
    (HERE / "score.json").write_text(json.dumps({"table": table, "verdicts": verdicts}, indent=1))


def score_simulation(rows: list[dict]) -> dict:
    """S1-S4 of hypothesis.md from simulation.py's rows, with the figures printed."""
    mean = lambda name, choice, key, seeds=range(1, 11): float(  # noqa: E731
        np.mean([r[key] for r in rows if r["scenario"] == name and r["choice"] == choice and r["seed"] in seeds])
    )
    u, c = "learned_ucb", "learned_ucb_contrast"
    for name in ("kb_swap", "model_swap", "collusion_ring"):
        print(
            f"{name}: cheaters' guilty rate, seeds 1-10, ucb {mean(name, u, 'tpr_cheaters'):.4f} contrast "
            f"{mean(name, c, 'tpr_cheaters'):.4f}; seeds 1 / 2: ucb "
            + " / ".join(f"{mean(name, u, 'tpr_cheaters', [s]):.4f}" for s in (1, 2))
            + " contrast "
            + " / ".join(f"{mean(name, c, 'tpr_cheaters', [s]):.4f}" for s in (1, 2))
        )
    honest = {ch: float(np.mean([r["flag_rate_honest"] for r in rows if r["choice"] == ch])) for ch in (u, c)}
    slashed = {ch: sum(r["wrongly_slashed_total"] for r in rows if r["choice"] == ch) for ch in (u, c)}
    print(f"honest guilty verdicts per probed node-epoch, mean of 40 runs: {honest}; tokens wrongly slashed: {slashed}")
    s1 = all(mean("kb_swap", c, "tpr_cheaters", [s]) >= 0.8 * mean("kb_swap", u, "tpr_cheaters", [s]) for s in (1, 2))
    return {
        "S1": s1,
        "S2": all(
            r["flag_rate_honest"] == 0
            for r in rows
            if r["scenario"] == "baseline" and r["choice"] == c and r["seed"] in (1, 2)
        ),
        "S3": all(
            mean(n, c, "tpr_cheaters") >= 0.8 * mean(n, u, "tpr_cheaters")
            for n in ("kb_swap", "model_swap", "collusion_ring")
        ),
        "S4": honest[c] <= 1.2 * honest[u] + 1e-4,
    }


if __name__ == "__main__":
    main()
