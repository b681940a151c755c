"""CI claims: a small sweep of the real model (scenarios/sweeps/claims.toml) and the qualitative
claims a protocol designer relies on. If one fails, the model changed: report it, do not weaken it.

- Under the baseline economics (stake 1,000, slash fraction 0.5), for each cheating behaviour
  (model swapping, lazy, KB swapping; 25% of nodes at the start), the honest share rises and
  cheaters earn less per node than honest nodes.
- With zero stake and no revenue forfeiture (no penalty of any kind) the same cheaters earn more
  than honest nodes and the honest share falls.
- With zero stake but revenue forfeited on a guilty verdict, the outcome is whatever the closed
  form says for the cell's own detection rate: forfeiture alone deters when p R > C. (Until the
  detector's per-answer test, p was low enough that cheating always won here; with it, model and
  KB swappers are caught often enough that forfeiting R = 5 tokens outweighs C. The claim was
  restated, not weakened: the simulation must still land on the closed form's side.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from gaia_sim.sweep.engine import run_sweep

CLAIMS = Path(__file__).resolve().parents[1] / "scenarios" / "sweeps" / "claims.toml"
CHEATERS = ("model_swapping", "lazy", "kb_swapping")
BASELINE_STAKE = 1000.0
ON_THE_LINE = 0.25  # |margin| below this share of C: the cell sits on the deterrence boundary


@pytest.fixture(scope="module")
def means(tmp_path_factory) -> pd.DataFrame:
    out = run_sweep(CLAIMS, tmp_path_factory.mktemp("claims"), executor="pool", progress=False)
    assert not out.failures, out.failures[0].error
    frame = out.frame.assign(
        cheater=[_cheater(p) for p in out.frame["population"]],
        initial_honest=[json.loads(p)["honest"] for p in out.frame["population"]],
    )
    keys = ["cheater", "staking.node_stake", "slashing.forfeit_revenue"]
    assert frame.groupby(keys).size().eq(3).all()
    return frame.groupby(keys).mean(numeric_only=True)


def _cheater(population: str) -> str:
    return next(k for k, v in json.loads(population).items() if k != "honest" and v > 0)


@pytest.mark.parametrize("cheater", CHEATERS)
def test_baseline_stake_deters_cheating(means, cheater):
    row = means.loc[(cheater, BASELINE_STAKE, True)]
    assert row["final_honest_share"] > row["initial_honest"], f"honest share did not rise against {cheater}"
    assert row[f"profit_per_node_{cheater}"] < row["profit_per_node_honest"], f"{cheater} out-earned honest nodes"


@pytest.mark.parametrize("cheater", CHEATERS)
def test_without_any_penalty_cheating_wins(means, cheater):
    row = means.loc[(cheater, 0.0, False)]
    assert row[f"profit_per_node_{cheater}"] > row["profit_per_node_honest"], f"{cheater} did not out-earn honest nodes"
    assert row["final_honest_share"] < row["initial_honest"], f"honest share did not fall against {cheater}"


@pytest.mark.parametrize("cheater", CHEATERS)
def test_without_stake_forfeiture_deters_exactly_when_the_closed_form_says(means, cheater):
    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.deterrence import from_scenario
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep.spec import load_sweep

    row = means.loc[(cheater, 0.0, True)]
    spec = load_sweep(CLAIMS)
    cell = load_scenario(spec.base).with_overrides(
        {
            **dict(spec.fixed),
            "staking.node_stake": 0.0,
            "slashing.forfeit_revenue": True,
            **{f"population.{b}": 0.0 for b in CHEATERS},
            "population.honest": row["initial_honest"],
            f"population.{cheater}": 1.0 - row["initial_honest"],
        }
    )
    d = from_scenario(
        cell, load_default_bank(), cheater, tpr=row["tpr_cheaters"], fpr=row["flag_rate_honest"], verdict_rates=True
    )
    gap = row[f"profit_per_node_{cheater}"] - row["profit_per_node_honest"]
    if abs(d.margin) < ON_THE_LINE * d.cost_saving:  # a cell on the boundary: no side to land on, but no big gap either
        assert abs(gap) < 0.5 * d.cost_saving, (
            f"on the line (margin {d.margin:+.3f}), yet a gap of {gap:+.3f} ({cheater})"
        )
    elif d.deters:
        assert gap < 0, f"closed form: deterred (margin {d.margin:+.3f}), but {cheater} out-earned honest nodes"
        assert row["final_honest_share"] >= row["initial_honest"], f"deterred, yet the honest share fell ({cheater})"
    else:
        assert gap > 0, f"closed form: cheating pays (margin {d.margin:+.3f}), but {cheater} earned less"
        assert row["final_honest_share"] < row["initial_honest"], (
            f"cheating pays, yet the honest share held ({cheater})"
        )
