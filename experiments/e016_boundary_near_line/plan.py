"""e016 plan: place the cells of the boundary-accuracy experiment (issue 16 item 1) before any of
them runs.

For each threat (the shipped boundary scenarios ``scenarios/boundary/lazy_deterred.toml`` and
``model_swap_deterred.toml``: revenue not forfeited, revision rate 0.3, 120 epochs, default
detector with sequential evidence), measure p and q (guilty verdicts per probe of cheaters and of
honest nodes) and C with strategies frozen at the initial mix (``deterrence.measured_rates``,
e002's calibration: 4 seeds x 30 epochs), then put one cell at each margin in :data:`MARGINS`
(units of C) along the stake axis at the scenario's slash fraction
(``Deterrence.stake_for_margin``). Writes ``sweep_<threat>.toml`` and ``plan.json`` here and
prints the calibration for hypothesis.md.

    PYTHONPATH=. .venv/bin/python experiments/e016_boundary_near_line/plan.py
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
THREATS = {"lazy": "lazy_deterred.toml", "model_swap": "model_swap_deterred.toml"}
MARGINS = (-0.5, -0.35, -0.2, -0.1, 0.1, 0.2, 0.35, 0.5)  # closed-form margin / C of each cell
REPLICATES = 5
CALIBRATION_SEEDS = (1001, 1002, 1003, 1004)
CALIBRATION_EPOCHS = 30


def place(path: Path) -> dict:
    """Calibration and the stakes of the cells for one threat."""
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    base = load_scenario(path)
    answers = load_answers(base.answers)
    r = deterrence.measured_rates(base, answers, seeds=CALIBRATION_SEEDS, epochs=CALIBRATION_EPOCHS)
    d = deterrence.from_scenario(base, answers, tpr=r["p"], fpr=r["q"], verdict_rates=True)
    stakes = [round(d.stake_for_margin(m * d.cost_saving), 3) for m in MARGINS]
    return {
        "scenario": str(path.relative_to(ROOT)),
        "p": r["p"],
        "q": r["q"],
        "verdicts_cheater": r["verdicts_cheater"],
        "verdicts_honest": r["verdicts_honest"],
        "C": d.cost_saving,
        "C_measured": r["C_measured"],
        "slash_fraction": base.slashing.slash_fraction,
        "min_stake": d.min_stake,
        "margins_over_C": list(MARGINS),
        "stakes": stakes,
    }


def sweep_toml(threat: str, cell: dict) -> str:
    stakes = ", ".join(f"{s:g}" for s in cell["stakes"])
    return f"""# e016 ({threat}): cells at closed-form margins {list(MARGINS)} x C of the deterrence line,
# placed by plan.py from a calibration run before the sweep (p = {cell["p"]:.3f}, q = {cell["q"]:.4f},
# C = {cell["C"]:.3f} tokens/epoch). Hypothesis: hypothesis.md.
[sweep]
name = "e016_{threat}"
description = "boundary accuracy near the line ({threat}): honest share at stakes {MARGINS} x C from the closed-form line"
base = "../../{cell["scenario"]}"
mode = "grid"
replications = {REPLICATES}

[axes]
"staking.node_stake" = [{stakes}]

[report]
x = "staking.node_stake"
metrics = ["mean_honest_share_last_10pct", "early_tpr_cheaters"]
"""


def main() -> None:
    from gaia_sim.sweep.store import atomic_text

    plan = {}
    for threat, name in THREATS.items():
        cell = place(ROOT / "scenarios" / "boundary" / name)
        plan[threat] = cell
        atomic_text(HERE / f"sweep_{threat}.toml", sweep_toml(threat, cell))
        print(
            f"{threat}: p={cell['p']:.3f} ({cell['verdicts_cheater']} verdicts) q={cell['q']:.4f} "
            f"({cell['verdicts_honest']}) C={cell['C']:.3f} (measured {cell['C_measured']:.3f}) "
            f"f={cell['slash_fraction']} S*={cell['min_stake']:.2f} stakes={cell['stakes']}"
        )
    atomic_text(HERE / "plan.json", json.dumps(plan, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
