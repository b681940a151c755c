"""The closed form prices every slashing rule the schema offers (issue 13 item 6): for each rule, the
mean stake slashed per guilty verdict in a simulation with a detector of known power equals
k f S from ``deterrence.rule_terms``, and the dispute bond lost per verdict equals B. The
evidence_threshold rule gets a detector whose evidence is known too (:func:`evidence_oracle`)."""

from __future__ import annotations

import numpy as np
import pytest
from test_economics import oracle_judge, scen

from gaia_sim.deterrence import appeal_overturn_probability, measured_rates, rule_terms
from gaia_sim.epoch.judge import decide
from gaia_sim.model import GaiaModel
from gaia_sim.runner import simulate

# deep pockets: every cheater can top its stake up after each slash (limited liability would eject it)
BASE = {
    "strategy.dynamics": "none",
    "detector.sequential": False,
    "staking.node_stake": 1000.0,
    "staking.initial_balance": 1e6,
}


def _per_verdict(result, behaviour="model_swapping") -> tuple[float, float, int]:
    """(stake slashed per guilty verdict, dispute bond lost per guilty verdict, guilty verdicts), from
    the events (a jailed node's slash is an event even in epochs where the node is not active)."""
    ev = result.events.query("behaviour == @behaviour")
    verdicts = int(ev.loc[ev["kind"] == "verdict", "flagged"].sum())
    slashed = ev.loc[ev["kind"] == "slash", "amount"].sum()
    bonds = ev.loc[ev["kind"] == "dispute_lost", "amount"].sum()
    return float(slashed) / verdicts, float(bonds) / verdicts, verdicts


RULE_CASES = {
    "fixed_fraction": {"slashing.slash_fraction": 0.2},
    "graduated": {"slashing.slash_fraction": 0.05, "slashing.graduated_step": 1.5, "slashing.max_fraction": 0.6},
    "jail_eject": {"slashing.slash_fraction": 0.2, "slashing.jail_epochs": 0, "slashing.eject_after": 3},
    "dispute": {
        "slashing.slash_fraction": 0.2,
        "slashing.cheater_challenge_rate": 1.0,
        "slashing.dispute_bond": 40.0,
        "validation.appeal_accuracy": 0.6,
    },
}


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_the_closed_form_prices_each_rule_as_the_simulation_slashes(monkeypatch, scenarios_dir, standin, rule):
    tpr = 1.0 if rule == "jail_eject" else 0.5  # jail_eject: every cheater reaches its ejection
    monkeypatch.setattr(GaiaModel, "phase_judge", oracle_judge(tpr, 0.0))
    s = scen(scenarios_dir, "model_swap", **BASE, **RULE_CASES[rule], **{"slashing.rule": rule, "epochs": 24})
    slashed, bond, verdicts = _per_verdict(simulate(s, answers=standin))
    k, b = rule_terms(s, tpr)
    expected = k * s.slashing.slash_fraction * s.staking.node_stake
    assert verdicts >= 18
    assert slashed == pytest.approx(expected, rel=0.15), (rule, k, slashed, expected)
    assert bond == pytest.approx(b, rel=0.25, abs=1e-9), (rule, bond, b)


def evidence_oracle(tpr: float, strong: float):
    """A detector of known power ``tpr`` whose evidence is known: a flagged cheater's p-value is the
    accumulator's floor (1e-3, ln e = 3.03) with probability ``strong``, else 1 (ln e = -0.69); nodes
    not flagged add nothing (p NaN). The evidence resets after every guilty verdict, so a verdict
    reaches a threshold between the two (2.0) with probability ``strong``: k = ``strong``."""

    def judge(self, traffic):
        probed = traffic.probed
        rng = np.random.default_rng([self.scenario.seed, self.epoch, 98])
        flags = (self.behaviour[probed] != "honest") & (rng.random(len(probed)) < tpr)
        p = np.where(flags, np.where(rng.random(len(probed)) < strong, 1e-3, 1.0), np.nan)
        self.state.evidence.update(probed, p)
        return decide(self.state, probed, flags, np.zeros(len(probed)), np.where(flags, 0.0, 1.0))

    return judge


@pytest.mark.parametrize("strong", [0.3, 0.8])
def test_the_closed_form_prices_the_evidence_threshold_rule(monkeypatch, scenarios_dir, standin, strong):
    monkeypatch.setattr(GaiaModel, "phase_judge", evidence_oracle(0.6, strong))
    over = {**BASE, "detector.sequential": True, "slashing.rule": "evidence_threshold", "epochs": 24}
    s = scen(
        scenarios_dir, "model_swap", **over, **{"slashing.slash_fraction": 0.2, "slashing.evidence_threshold": 2.0}
    )
    slashed, _, verdicts = _per_verdict(simulate(s, answers=standin))
    share = measured_rates(s, standin, seeds=(7,), epochs=24)["slash_share"]  # what `gaia-sim deterrence` uses
    k, b = rule_terms(s, 0.6, slash_share=strong)
    assert verdicts >= 40 and b == 0.0
    assert slashed == pytest.approx(k * 0.2 * 1000.0, rel=0.25), (strong, slashed)
    assert share == pytest.approx(strong, abs=0.15)


def test_rule_factors_by_hand(scenarios_dir):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "slashing.rule": "graduated",
            "slashing.slash_fraction": 0.1,
            "slashing.graduated_step": 2.0,
            "slashing.max_fraction": 0.3,
            "epochs": 40,
        },
    )
    # p 0.1 x 40 epochs = 4 offences: 0.1, 0.2, 0.3 (capped), 0.3 -> mean 0.225 = 2.25 f
    assert rule_terms(s, 0.1)[0] == pytest.approx(2.25)
    ej = s.with_overrides({"slashing.rule": "jail_eject", "slashing.eject_after": 4, "slashing.max_fraction": 1.0})
    assert rule_terms(ej, 0.1)[0] == pytest.approx((3 * 0.1 + 1.0) / (4 * 0.1))
    assert rule_terms(ej, 0.01)[0] == 1.0  # never reaches ejection in the run
    ev = s.with_overrides({"slashing.rule": "evidence_threshold"})
    assert rule_terms(ev, 0.5, slash_share=0.3)[0] == pytest.approx(0.3)
    d = s.with_overrides(
        {
            "slashing.rule": "dispute",
            "slashing.cheater_challenge_rate": 0.5,
            "slashing.dispute_bond": 10.0,
            "validation.appeal_accuracy": 0.6,
        }
    )
    po = appeal_overturn_probability(d, "model_swapping")  # 5 validators: overturned when <= 2 vote guilty
    assert po == pytest.approx(0.31744)  # P(Bin(5, 0.6) <= 2)
    assert rule_terms(d, 0.5) == pytest.approx((1 - 0.5 * po, 10.0 * 0.5 * (1 - po)))


def test_steps_count_the_slash_and_verdict_of_a_node_jailed_in_that_epoch(monkeypatch, scenarios_dir, standin):
    """A node slashed and jailed (or ejected) in an epoch played that epoch: its slash, its guilty
    verdict and its revenue belong in that epoch's steps row (they were dropped before)."""
    monkeypatch.setattr(GaiaModel, "phase_judge", oracle_judge(1.0, 0.0))
    s = scen(scenarios_dir, "model_swap", **BASE, **RULE_CASES["jail_eject"], **{"slashing.rule": "jail_eject"})
    r = simulate(s, answers=standin)
    ev, nodes = r.events, r.steps.query("role == 'node'")
    assert nodes["slashed"].sum() == pytest.approx(ev.loc[ev["kind"] == "slash", "amount"].sum())
    assert nodes["flagged"].sum() == ev.loc[ev["kind"] == "verdict", "flagged"].sum()
    assert r.summary["slashed_total"] > 0
