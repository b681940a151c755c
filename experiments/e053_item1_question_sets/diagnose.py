"""e053, after the run: the question sets that flagged more than 2% of honest verdicts, replayed with
each honest node's run block recorded (which of the claimed model's two runs its answers come
from), and the size and distinct answers of each run block in the judging pool.

Run: PYTHONPATH=. .venv/bin/python experiments/e053_item1_question_sets/diagnose.py
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import assess

HERE = Path(__file__).resolve().parent
E049_CELLS = (34, 44, 46, 49)  # e049: Llama as 9B's honest flag rate above 0.01 (0.0106-0.0122)


def blocks(judge, model: str, questions) -> None:
    for q in questions:
        parts = [
            f"run {r}: {len(b)} answers, {len(np.unique(np.round(b, 5), axis=0))} distinct"
            for r, b in enumerate(judge[model].emb[q])
        ]
        print(f"  {model} question {q}: " + "; ".join(parts))


def thinned(judge, model: str, keep: int, seed: int) -> dict:
    """``judge`` with ``model``'s run 1 cut to ``keep`` answers per question (a seeded random subset),
    as thin as its run 0: both honest stacks then replay a few answers."""
    rng = np.random.default_rng(seed)
    emb = tuple([q[0], q[1][np.sort(rng.choice(len(q[1]), size=keep, replace=False))]] for q in judge[model].emb)
    return judge | {model: ev.Pool(model, emb)}


def replay(judge, learn, cell: dict, honest_runs=(0, 1)) -> dict:
    """Honest verdicts and flags of one (seed, swap, set) cell by run block (the run's draws; with
    ``honest_runs=(1,)`` every honest node answers from run 1, on the same learned question sets but
    not the same answer draws: choosing from one run consumes no random number)."""
    honest, cheat = cell["pairing"].split(" as ")[1], cell["pairing"].split(" as ")[0]
    spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, honest_runs, (0, 1))
    rng = np.random.default_rng(cell["seed"])
    learn_spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))  # learned as in the run
    qsets = [ev.learn_questions(learn, learn_spec, 5, cell["epochs"], rng) for _ in range(5)]
    runs, draw = [], ev.draw_node

    def recorded(pool, questions, samples, rng, run):
        runs.append(run)
        return draw(pool, questions, samples, rng, run)

    ev.draw_node = recorded
    out = {run: [0, 0] for run in (0, 1)}
    try:
        for k, qs in enumerate(qsets):
            for _ in range(40):
                runs.clear()
                x, labels, _ = ev.make_trial(judge, spec, rng, qs)
                if cell["set"] in (k, "all"):
                    flagged, r = assess(x, alpha=0.01, detector="default_nearest").flagged, np.array(runs)
                    for run in (0, 1):
                        m = ~labels & (r == run)
                        out[run][0] += int(m.sum())
                        out[run][1] += int((flagged & m).sum())
    finally:
        ev.draw_node = draw
    return out


def main() -> None:
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    rows = json.loads((HERE / "result.json").read_text())["rows"]
    cells = [
        {
            "epochs": c["epochs"],
            "seed": c["seed"],
            "pairing": c["pairing"],
            "set": s["set"],
            "questions": s["questions"],
        }
        for c in rows
        for s in c["sets"]
        if s["flagged"] / s["honest"] > 0.02
    ]
    totals = {0: [0, 0], 1: [0, 0]}
    for cell in cells:
        by_run = replay(judge, learn, cell)
        for run in (0, 1):
            totals[run][0] += by_run[run][0]
            totals[run][1] += by_run[run][1]
        print(
            f"{cell['epochs']} epochs, seed {cell['seed']}, {cell['pairing']}, questions {cell['questions']}: "
            + "; ".join(f"run {r} honest {v[1]} flagged of {v[0]}" for r, v in by_run.items()),
            flush=True,
        )
    print("all these cells: " + "; ".join(f"run {r} {v[1]} of {v[0]} ({v[1] / v[0]:.4f})" for r, v in totals.items()))
    print("the same cells with every honest node answering from run 1 (the block of 15 answers):")
    alone = [0, 0]
    for cell in cells:
        v = replay(judge, learn, cell, honest_runs=(1,))[1]
        alone = [alone[0] + v[0], alone[1] + v[1]]
        print(
            f"  {cell['epochs']} epochs, seed {cell['seed']}, set {cell['set']}: {v[1]} flagged of {v[0]}", flush=True
        )
    print(f"all these cells, run 1 alone: {alone[1]} of {alone[0]} ({alone[1] / alone[0]:.4f})")
    print("the same cells with run 1 cut to 3 answers per question (both stacks as thin; new draws):")
    both = {0: [0, 0], 1: [0, 0]}
    for cell in cells:
        model = cell["pairing"].split(" as ")[1]
        v = replay(thinned(judge, model, 3, cell["seed"]), learn, cell)
        for run in (0, 1):
            both[run] = [both[run][0] + v[run][0], both[run][1] + v[run][1]]
    print(
        "all these cells, both thin: "
        + "; ".join(f"run {r} {v[1]} of {v[0]} ({v[1] / v[0]:.4f})" for r, v in both.items())
    )
    print("e049's seed cells of Llama as 9B above 0.01 (seeds 34, 44, 46, 49; every question set, 20 epochs):")
    for seed in E049_CELLS:
        cell = {"epochs": 20, "seed": seed, "pairing": "llama-3-1-8b as gemma-2-9b", "set": "all"}
        mixed, alone = replay(judge, learn, cell), replay(judge, learn, cell, honest_runs=(1,))[1]
        print(
            f"  seed {seed}: "
            + "; ".join(f"run {r} {v[1]} flagged of {v[0]}" for r, v in mixed.items())
            + f"; run 1 alone {alone[1]} of {alone[0]} ({alone[1] / alone[0]:.4f})",
            flush=True,
        )
    models = sorted({c["pairing"].split(" as ")[1] for c in cells})
    for model in models:
        blocks(judge, model, sorted({q for c in cells for q in c["questions"]}))


if __name__ == "__main__":
    main()
