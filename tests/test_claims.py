"""CI claims: a small sweep of the real model (scenarios/sweeps/claims.toml) and the qualitative
claims a protocol designer relies on. If one fails, the model changed: report it, do not weaken it.

- Under the baseline economics (stake 1,000, slash fraction 0.5), for each cheating behaviour
  (model swapping, lazy, KB swapping; 25% of nodes at the start), the honest share rises and
  cheaters earn less per node than honest nodes.
- With zero stake the same cheaters earn more than honest nodes and the honest share falls.
- With zero stake and no revenue forfeiture (no penalty of any kind) the same holds.
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


@pytest.fixture(scope="module")
def means(tmp_path_factory) -> pd.DataFrame:
    out = run_sweep(CLAIMS, tmp_path_factory.mktemp("claims"), executor="pool", progress=False)
    assert not out.failures, out.failures[0].error
    frame = out.frame.assign(cheater=[_cheater(p) for p in out.frame["population"]],
                             initial_honest=[json.loads(p)["honest"] for p in out.frame["population"]])
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


@pytest.mark.parametrize("forfeit_revenue", [True, False], ids=["revenue-forfeited", "no-penalty"])
@pytest.mark.parametrize("cheater", CHEATERS)
def test_without_stake_cheating_wins(means, cheater, forfeit_revenue):
    row = means.loc[(cheater, 0.0, forfeit_revenue)]
    assert row[f"profit_per_node_{cheater}"] > row["profit_per_node_honest"], f"{cheater} did not out-earn honest nodes"
    assert row["final_honest_share"] < row["initial_honest"], f"honest share did not fall against {cheater}"
