"""e018 plan: place every run of the boundary experiment at a margin in units of *its own network's*
C, known before the run (``deterrence.drawn_saving``: the seed fixes which stack each node runs).

Same threats, scenarios, calibrated p and q, and margins as e016 (its plan.json, frozen); five new
replicate seeds per threat; for each (seed, margin) the stake that puts the closed-form margin at
margin x C_own, with C_own the C of the network that seed draws. A network whose C_own is below
MIN_C x the expected-mix C is skipped (the seeds are taken in order from a fixed pool): with C <= 0
every stake deters and no cell can sit on the cheating side, and a tiny C leaves margins too small
to resolve. Writes plan.json.

    PYTHONPATH=. .venv/bin/python experiments/e018_boundary_drawn_c/plan.py
        [--dir FOLDER --replicates N --epochs E --pool-seed S]   # e022: another folder, more of each
        [--saving switch]   # e024: C_own = deterrence.switch_saving (no draw composition)
        [--saving imitation]   # e025, e027: cells around deterrence.imitation_line, in units of switch_saving
        [--nodes 100]   # e026: larger domains; p and q measured again at that size
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
E016 = ROOT / "experiments" / "e016_boundary_near_line" / "plan.json"
SEED_POOL = [int(s) for s in np.random.SeedSequence(2018).generate_state(40)]  # fixed before any run
REPLICATES = 5
MIN_C = 0.25  # a network is used when its own C >= MIN_C x the expected-mix C (see place)


def place(
    threat: str,
    cell: dict,
    replicates: int = REPLICATES,
    pool=SEED_POOL,
    epochs=None,
    saving: str = "drawn",
    nodes: int | None = None,
) -> list[dict]:
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    base = load_scenario(ROOT / cell["scenario"])
    answers = load_answers(base.answers)
    behaviour = deterrence.main_cheater(base)
    size = {"network.nodes_per_domain": nodes} if nodes else {}
    p, q = cell["p"], cell["q"]
    if nodes:  # e016's p and q were measured at 30 nodes: measure them again at this size, the same way
        rates = deterrence.measured_rates(base.with_overrides(size), answers, behaviour)
        p, q = rates["p"], rates["q"]
        print(f"{threat}: p {p:.3f} q {q:.5f} measured at {nodes} nodes (e016 at 30: {cell['p']:.3f}, {cell['q']:.5f})")
    runs, used, skipped = [], 0, []
    for seed in pool:
        if used == replicates:
            break
        scenario = base.with_overrides({"seed": seed} | ({"epochs": epochs} if epochs else {}) | size)
        c_own = (deterrence.drawn_saving if saving == "drawn" else deterrence.switch_saving)(
            scenario, answers, behaviour
        )
        # "imitation": cells around the imitation line (e025), margins still in units of C
        line = deterrence.imitation_line(scenario, answers, behaviour) if saving == "imitation" else c_own
        if c_own < MIN_C * cell["C"]:
            skipped.append(round(c_own, 3))
            continue
        used += 1
        d = deterrence.from_scenario(scenario, answers, tpr=p, fpr=q, verdict_rates=True)
        d = replace(d, cost_saving=c_own)
        for m in cell["margins_over_C"]:
            if d.stake_for_margin(line - c_own + m * c_own) < 0:  # below the line by more than it lies above 0
                print(f"{threat}: seed {seed} margin {m}: no stake puts the penalty there (negative), not run")
                continue
            runs.append(
                {
                    "threat": threat,
                    "scenario": cell["scenario"],
                    "seed": seed,
                    "margin_over_C": m,
                    "C_own": c_own,
                    "C_expected": cell["C"],
                    "stake": round(d.stake_for_margin(line - c_own + m * c_own), 4),
                }
                | ({"line": line} if saving == "imitation" else {})
                | ({"epochs": epochs} if epochs else {})
                | ({"nodes": nodes, "p": p, "q": q} if nodes else {})
            )
    print(f"{threat}: skipped networks with own C {skipped} (below {MIN_C} x {cell['C']:.3f})")
    return runs


def main() -> None:
    import argparse

    from gaia_sim.sweep.store import atomic_text

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=HERE, help="folder of plan.json (default: e018's)")
    ap.add_argument("--replicates", type=int, default=REPLICATES)
    ap.add_argument("--epochs", type=int, default=None, help="run length (default: the scenarios' 120)")
    ap.add_argument("--pool-seed", type=int, default=2018, help="SeedSequence of the replicate seed pool")
    ap.add_argument("--nodes", type=int, default=None, help="nodes per domain (default: the scenarios' 30)")
    ap.add_argument(
        "--saving",
        choices=("drawn", "switch", "imitation"),
        default="drawn",
        help="which C of a network places its cells (imitation: around deterrence.imitation_line)",
    )
    args = ap.parse_args()
    pool = [int(s) for s in np.random.SeedSequence(args.pool_seed).generate_state(40)]
    e016 = json.loads(E016.read_text())
    runs = [
        r
        for threat, cell in e016.items()
        for r in place(threat, cell, args.replicates, pool, args.epochs, args.saving, args.nodes)
    ]
    for threat in e016:
        own = sorted({r["seed"]: r["C_own"] for r in runs if r["threat"] == threat}.items())
        print(f"{threat}: C expected {e016[threat]['C']:.3f}, own C by seed " + ", ".join(f"{c:.3f}" for _, c in own))
    atomic_text(
        args.dir / "plan.json",
        json.dumps(
            {"min_c": MIN_C, "saving": args.saving} | ({"nodes": args.nodes} if args.nodes else {}) | {"runs": runs},
            indent=1,
        )
        + "\n",
    )


if __name__ == "__main__":
    main()
