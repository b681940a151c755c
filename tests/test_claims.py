"""CI claims: a small sweep of the real model (scenarios/sweeps/claims.toml) and the qualitative
claims a protocol designer relies on. If one fails, the model changed: report it, do not weaken it.

- Under the baseline economics (stake 1,000, slash fraction 0.5), for each cheating behaviour
  (model swapping, lazy, KB swapping; 25% of nodes at the start), the honest share rises and
  cheaters earn less per node than honest nodes.
- With zero stake and no revenue forfeiture (no penalty of any kind) cheaters that save (C > 0)
  earn more than honest nodes and the honest share falls; one that saves nothing (wrong-KB, since a
  cheater keeps its stack's capacity and cost, issue 13) does not win.
- With zero stake but revenue forfeited on a guilty verdict, the outcome is whatever the closed
  form says for the cell's own detection rate: forfeiture alone deters when p R > C. (Until the
  detector's per-answer test, p was low enough that cheating always won here; with it, model and
  KB swappers are caught often enough that forfeiting R = 5 tokens outweighs C. The claim was
  restated, not weakened: the simulation must still land on the closed form's side.)
- Near the line (issue 16 item 6): on scenarios/boundary/lazy_deterred.toml (revenue not forfeited,
  so only the stake deters), the closed form's smallest deterring stake S* at the detector's measured
  power splits the simulation: at the stake where the margin is +30% of C lazy replay is deterred,
  at -30% of C it pays. The measured power must not fall below :data:`P_FLOOR`. Halving the
  detector's power or the slash a verdict takes makes these tests fail (docs/sweeps.md, "CI claims").
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
BOUNDARY = CLAIMS.parents[1] / "boundary" / "lazy_deterred.toml"
BOUNDARY_EPOCHS = 60
SIDE = 0.3  # run each side where the closed-form margin is +-SIDE x C
# Lazy replayers' guilty-verdict rate per probe on the shipped 60 x 64 bank: 0.475 over
# POWER_SEEDS x 20 epochs (`deterrence.measured_rates`); a drop by a sixth fails. Two seeds measure
# it too coarsely for +-0.3 C: pairs of seeds gave 0.425-0.525 on the bootstrap stream before and
# after the detector drew its rows by integers (same mean, 0.475), which moves the margin by about
# +-0.1 C; on the new stream seeds 1001-1002 gave 0.45, the runs near S* 0.51, and the -0.3 C run
# sat too near the line for the honest share to move in 60 epochs (0.80 -> 0.80, lazy +0.22 ahead).
P_FLOOR = 0.40
POWER_SEEDS = tuple(range(1001, 1009))
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
def test_without_any_penalty_cheating_wins_exactly_when_it_saves(means, cheater):
    """No penalty of any kind: the margin is -C, so cheating wins iff it saves (C > 0). Since a
    cheater keeps its stack's capacity and cost (issue 13), wrong-KB swapping saves nothing (its
    KB cost saved is eaten by slower, longer answers), so the claim is restated by the sign of C."""
    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.deterrence import from_scenario

    row = means.loc[(cheater, 0.0, False)]
    saving = from_scenario(_cell(row, cheater, forfeit=False), load_default_bank(), cheater).cost_saving
    gap = row[f"profit_per_node_{cheater}"] - row["profit_per_node_honest"]
    if saving > 0.1:
        assert gap > 0, f"{cheater} saves C = {saving:.3f} but did not out-earn honest nodes"
        # with the 64-answer bank the pruned model saves C ~ 0.33 (a gap of tenths of a token per epoch):
        # at the imitation scale of 10 tokens fewer than one of 12 operators switches in 60 epochs, so
        # the share is only required not to rise
        assert row["final_honest_share"] <= row["initial_honest"], f"honest share rose against {cheater}"
    else:
        assert gap < 0.1, f"{cheater} saves C = {saving:.3f} yet out-earned honest nodes by {gap:.3f}"
        assert row["final_honest_share"] >= row["initial_honest"], f"C = {saving:.3f}, yet honest share fell"


def _cell(row, cheater: str, forfeit: bool):
    """The claims sweep's cell at stake 0 for ``cheater`` (scenario only)."""
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep.spec import load_sweep

    spec = load_sweep(CLAIMS)
    return load_scenario(spec.base).with_overrides(
        {
            **dict(spec.fixed),
            "staking.node_stake": 0.0,
            "slashing.forfeit_revenue": forfeit,
            **{f"population.{b}": 0.0 for b in CHEATERS},
            "population.honest": row["initial_honest"],
            f"population.{cheater}": 1.0 - row["initial_honest"],
        }
    )


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


@pytest.fixture(scope="module")
def boundary():
    """(scenario, bank, measured rates, closed form at the measured rates) of the lazy boundary pair."""
    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.deterrence import from_scenario, measured_rates
    from gaia_sim.scenario import load_scenario

    bank = load_default_bank()
    scenario = load_scenario(BOUNDARY).with_overrides({"epochs": BOUNDARY_EPOCHS})
    rates = measured_rates(scenario, bank, seeds=POWER_SEEDS, epochs=20)
    d = from_scenario(scenario, bank, tpr=rates["p"], fpr=rates["q"], verdict_rates=True)
    return scenario, bank, rates, d


def test_detector_power_at_the_boundary_has_not_regressed(boundary):
    _, _, rates, d = boundary
    assert rates["p"] >= P_FLOOR, f"lazy replay caught on {rates['p']:.3f} of probes (floor {P_FLOOR})"
    assert 0 < d.min_stake < float("inf") and d.cost_saving > 0, d


@pytest.mark.parametrize("side", [+SIDE, -SIDE], ids=["above_S*", "below_S*"])
def test_the_smallest_deterring_stake_splits_the_simulation(boundary, side):
    """At the stake where the closed-form margin is +0.3 C the lazy share must fall and lazy nodes
    earn less than honest ones; at -0.3 C the reverse."""
    from dataclasses import replace

    from gaia_sim.runner import simulate

    scenario, bank, rates, d = boundary
    stake = d.stake_for_margin(side * d.cost_saving)
    assert replace(d, stake=stake).margin == pytest.approx(side * d.cost_saving)
    s = simulate(scenario.with_overrides({"staking.node_stake": stake}), answers=bank).summary
    gap = s["profit_per_node_lazy"] - s["profit_per_node_honest"]
    start, end = scenario.population.honest, s["final_honest_share"]
    where = (
        f"S = {stake:.2f} (S* = {d.min_stake:.2f}, p = {rates['p']:.3f}, C = {d.cost_saving:.3f}): "
        f"lazy - honest profit {gap:+.3f}, honest share {start:.2f} -> {end:.2f}, run's p = {s['tpr_cheaters']:.3f}"
    )
    if side > 0:
        assert gap < 0 and end > start, f"closed form: deterred, simulation: not; {where}"
    else:
        assert gap > 0 and end < start, f"closed form: cheating pays, simulation: deterred; {where}"
