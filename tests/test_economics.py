"""Economics inside real runs (stand-in answers: plumbing and economics, not detector results)."""

from __future__ import annotations

import numpy as np
import pytest

from gaia_sim.deterrence import check_cell, from_scenario
from gaia_sim.epoch.judge import decide
from gaia_sim.epoch.revise import revise_behaviours
from gaia_sim.epoch.slash import canary_flags
from gaia_sim.model import GaiaModel
from gaia_sim.runner import simulate
from gaia_sim.scenario import load_scenario
from gaia_sim.slashing import ACTIVE, JAILED, RULES
from gaia_sim.strategy import random_peers


def scen(scenarios_dir, name, **over):
    return load_scenario(scenarios_dir / f"{name}.toml").with_overrides({"answers": "stand-in", "epochs": 12, **over})


def oracle_judge(tpr: float, fpr: float):
    """A detector with known power: flags a probed cheater w.p. ``tpr``, an honest node w.p. ``fpr``.
    Validators still vote on its flags and the quorum still decides (phase c is the real one)."""

    def judge(self, traffic):
        probed = traffic.probed
        rng = np.random.default_rng([self.scenario.seed, self.epoch, 99])
        cheat = self.behaviour[probed] != "honest"
        flags = np.where(cheat, rng.random(len(probed)) < tpr, rng.random(len(probed)) < fpr)
        return decide(self.state, probed, flags, np.zeros(len(probed)), np.where(flags, 0.0, 1.0))

    return judge


def run_model(scenario, answers, epochs=None):
    m = GaiaModel(scenario, answers)
    for _ in range(epochs or scenario.epochs):
        m.step()
        m.check_invariants()
    return m


@pytest.mark.parametrize("rule", sorted(set(RULES) - {"fixed"}))
def test_every_rule_keeps_invariants_in_a_real_run(scenarios_dir, standin, rule):
    m = run_model(
        scen(scenarios_dir, "model_swap", **{"slashing.rule": rule, "slashing.evidence_threshold": 1.0}), standin
    )
    cheat = m.behaviour != "honest"
    assert m.slashed_total[cheat].sum() > 0
    assert (m.ledger.stake >= -1e-9).all()


def test_jail_then_eject(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "slashing.rule": "jail_eject",
            "slashing.jail_epochs": 2,
            "slashing.eject_after": 2,
            "strategy.dynamics": "none",
            "epochs": 25,
            "detector.sequential": False,
            "detector.alpha": 1e-4,  # each node is decided at level alpha: keep honest false convictions out of this test
        },
    )
    m = run_model(s, standin)
    names = m.node_status
    assert "ejected" in set(names[m.behaviour == "model_swapping"])
    assert set(names[m.behaviour == "honest"]) <= {"active", "jailed"}
    ejected = names == "ejected"
    assert not m.active[ejected].any()


def test_escrow_delays_burning(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "staking.escrow_days": 3.0,
            "network.epoch_hours": 24.0,
            "detector.sequential": False,
            "strategy.dynamics": "none",
        },
    )
    m = GaiaModel(s, standin)
    seen = []
    for _ in range(8):
        m.step()
        seen.append((m.escrow, m.burned, m.slashed_total.sum()))
    first = next(i for i, (_, _, tot) in enumerate(seen) if tot > 0)
    assert seen[first][0] > 0 and seen[first][1] == 0.0
    assert seen[first + 1][1] == 0.0 and seen[first + 2][1] == 0.0  # released at first + 3 epochs
    assert seen[first + 3][1] > 0


def test_treasury_pays_validators_before_minting(scenarios_dir, standin):
    base = {"detector.sequential": False, "strategy.dynamics": "none", "epochs": 15, "staking.escrow_days": 1.0}
    burn = run_model(scen(scenarios_dir, "model_swap", **base), standin)
    treas = run_model(scen(scenarios_dir, "model_swap", **base, **{"staking.slashed_to": "treasury"}), standin)
    assert treas.minted < burn.minted and treas.burned == 0.0 < burn.burned


def test_dispute_overturns_wrong_slashes(monkeypatch, scenarios_dir, standin):
    monkeypatch.setattr(GaiaModel, "phase_judge", oracle_judge(1.0, 0.2))  # 20% false positives
    base = {"detector.sequential": False, "strategy.dynamics": "none", "epochs": 15}
    fixed = simulate(scen(scenarios_dir, "model_swap", **base), answers=standin)
    disp = simulate(scen(scenarios_dir, "model_swap", **base, **{"slashing.rule": "dispute"}), answers=standin)
    assert fixed.summary["wrongly_slashed_total"] > 0
    assert disp.summary["wrongly_slashed_total"] < 0.2 * fixed.summary["wrongly_slashed_total"]
    assert disp.summary["slashed_total"] > 0  # cheaters still pay


def test_canaries_expose_lazy_validators(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "validator_population.honest": 0.6,
            "validator_population.lazy": 0.4,
            "validation.canaries_per_epoch": 2,
            "validation.canaries_per_validator": 2,
            "validation.canary_slash": 0.05,
            "strategy.dynamics": "none",
        },
    )
    m = run_model(s, standin)
    lazy = np.array([v.behaviour.name == "lazy" for v in m.validators])
    start = s.staking.validator_stake
    assert (m.validator_stake[lazy] < 0.6 * start).all()
    assert (m.validator_stake[~lazy] > 0.8 * start).all()  # honest ones miss only what the detector misses


def test_canaries_are_judged_by_the_detector(monkeypatch, scenarios_dir, standin):
    # a detector that never flags: honest validators now miss every canary too (no probability knob)
    from gaia_sim import detector as detector_mod
    from gaia_sim.detector._common import Assessment

    def blind(emb, alpha=0.01, **_):
        n = emb.shape[0]
        return Assessment(np.zeros(n), np.ones(n), np.zeros(n, bool))

    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "validation.canaries_per_epoch": 2,
            "validation.canaries_per_validator": 2,
            "validation.canary_slash": 0.05,
            "strategy.dynamics": "none",
            "epochs": 3,
        },
    )
    monkeypatch.setitem(detector_mod.DETECTORS, s.detector.name, blind)
    m = run_model(s, standin)
    assert np.allclose(m.validator_stake, s.staking.validator_stake * 0.9**3)  # 2 misses x 5% per epoch


def test_detectable_miss_scoring_spares_honest_validators(monkeypatch, scenarios_dir, standin):
    """canary_scoring = detectable_miss: a canary the detector does not flag costs nobody anything
    (a blind detector: no validator loses stake); one it flags costs the lazy validators who copy
    the canary's empty record, and never the honest ones who vote the detector's verdict."""
    from gaia_sim import detector as detector_mod
    from gaia_sim.detector._common import Assessment

    over = {
        "validation.canaries_per_epoch": 2,
        "validation.canaries_per_validator": 2,
        "validation.canary_slash": 0.05,
        "validation.canary_scoring": "detectable_miss",
        "strategy.dynamics": "none",
        "epochs": 3,
        "validator_population.honest": 0.6,
        "validator_population.lazy": 0.4,
    }

    def always(flag):
        def detector(emb, alpha=0.01, **_):
            n = emb.shape[0]
            return Assessment(np.zeros(n), np.ones(n), np.full(n, flag))

        return detector

    s = scen(scenarios_dir, "model_swap", **over)
    monkeypatch.setitem(detector_mod.DETECTORS, s.detector.name, always(False))
    assert np.allclose(run_model(s, standin).validator_stake, s.staking.validator_stake)
    monkeypatch.setitem(detector_mod.DETECTORS, s.detector.name, always(True))
    m = run_model(s, standin)
    lazy = np.array([v.behaviour.name == "lazy" for v in m.validators])
    assert np.allclose(m.validator_stake[~lazy], s.staking.validator_stake)
    assert np.allclose(
        m.validator_stake[lazy], s.staking.validator_stake * 0.9**3
    )  # 2 detectable misses x 5% per epoch


def test_canary_flags_come_from_the_canary_configuration(scenarios_dir, standin):
    # canaries that refuse every question are flagged (almost) always by the real stand-in detector
    def flag_rate(role):
        s = scen(
            scenarios_dir,
            "baseline",
            **{
                "validation.canaries_per_epoch": 2,
                "validation.canary_role": role,
                "detector.sequential": False,
                "epochs": 6,
            },
        )
        m = GaiaModel(s, standin)
        flags = []
        for _ in range(s.epochs):
            traffic = m.phase_traffic()
            m.phase_judge(traffic)
            flags.append(canary_flags(m.state, 0, traffic, m.epoch))
        return np.mean(flags)

    assert flag_rate("lazy_refusal") >= 0.9


def test_deviating_validators_earn_less(scenarios_dir, standin):
    s = scen(scenarios_dir, "collusion_ring", **{"strategy.dynamics": "none", "detector.sequential": False})
    m = run_model(s, standin)
    coll = np.array([v.behaviour.name == "colluding" for v in m.validators])
    assert m.validator_balance[coll].mean() < m.validator_balance[~coll].mean()


def test_domain_operator_shares_the_slash(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "staking.domain_operator_stake": 2000.0,
            "slashing.domain_threshold": 0.05,
            "detector.sequential": False,
            "strategy.dynamics": "none",
        },
    )
    m = run_model(s, standin)
    assert m.ledger.slashed_total[m.state.lid_dom].sum() > 0


def test_exit_and_entry_use_vacated_slots(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "strategy.exit_rate": 1.0,
            "strategy.outside_option": 1e6,
            "strategy.warmup_epochs": 2,
            "epochs": 6,
            "staking.initial_balance": 1e6,  # nobody is ejected for want of a top-up
        },
    )
    m = run_model(s, standin)
    assert (m.node_status == "exited").all() and not m.active.any()
    s2 = scen(
        scenarios_dir,
        "model_swap",
        **{
            "strategy.exit_rate": 1.0,
            "strategy.outside_option": 0.0,
            "strategy.entry_rate": 0.2,
            "strategy.warmup_epochs": 2,
            "epochs": 10,
            "staking.initial_balance": 1e6,
            "detector.sequential": False,
            "strategy.dynamics": "none",
        },
    )
    m2 = run_model(s2, standin)
    assert m2.ledger.n > len(m2.nodes) + len(m2.validators) + 1  # newcomers got fresh ledger ids


def test_a_profitable_domain_grows_into_its_free_slots(scenarios_dir, standin):
    """network.max_nodes_per_domain leaves free slots: while a behaviour beats the outside option,
    newcomers take them (Poisson(entry_rate x active) per epoch after warm-up), up to the cap; free
    slots hold no tokens, are nobody's peer and never appear in the node table."""
    from gaia_sim.runner import node_table

    over = {
        "network.nodes_per_domain": 10,
        "network.max_nodes_per_domain": 16,
        "strategy.entry_rate": 0.2,
        "strategy.warmup_epochs": 2,
        "strategy.outside_option": -1e6,
        "staking.initial_balance": 1e6,
        "detector.sequential": False,
        "epochs": 12,
    }
    m = GaiaModel(scen(scenarios_dir, "model_swap", **over), standin)
    assert len(m.nodes) == 16 and m.active.sum() == 10 and m.free_slot.sum() == 6
    assert m.node_stake[m.free_slot].sum() == 0 and m.node_balance[m.free_slot].sum() == 0
    active = [int(m.active.sum())]
    for _ in range(12):
        m.step()
        m.check_invariants()
        active.append(int(m.active.sum()))
        peers = random_peers(np.random.default_rng(0), m.node_domain, m.state.present)[m.active]
        assert np.isin(m.status[peers], [ACTIVE, JAILED]).all()  # never a free or vacated slot
    assert active[:3] == [10, 10, 10] and active[-1] == 16 and all(a <= b for a, b in zip(active, active[1:]))
    assert not m.free_slot.any()
    table = node_table(m)
    assert (table["role"] == "node").sum() == 16 and (table["behaviour_initial"] == "").sum() == 6
    # no room: the default cap is the starting size, so the same run cannot grow
    m0 = run_model(scen(scenarios_dir, "model_swap", **{**over, "network.max_nodes_per_domain": 0}), standin)
    assert len(m0.nodes) == 10 and m0.active.sum() == 10


def test_max_nodes_below_the_start_is_refused(scenarios_dir):
    from gaia_sim.errors import UserError

    with pytest.raises((UserError, ValueError), match="max_nodes_per_domain"):
        scen(scenarios_dir, "model_swap", **{"network.nodes_per_domain": 10, "network.max_nodes_per_domain": 5})


def test_top_up_keeps_stake_constant(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{"detector.sequential": False, "strategy.dynamics": "none", "staking.initial_balance": 1e6},
    )
    m = run_model(s, standin)
    lid = m.state.lid_node
    assert np.allclose(m.ledger.allocated[lid, m.node_domain], s.staking.node_stake)
    assert m.node_balance[m.behaviour == "model_swapping"].mean() < m.node_balance[m.behaviour == "honest"].mean()


# ---- deterrence condition vs simulation --------------------------------------------------------
DET = {
    "answers": "stand-in",
    "epochs": 150,
    "network.nodes_per_domain": 60,
    "traffic.utilisation": 0.3,
    "population.honest": 0.8,
    "population.model_swapping": 0.2,
    "detector.sequential": False,
    "strategy.dynamics": "replicator",
    "strategy.revision_rate": 1.0,
    "probes.probe_fraction": 0.3,
    "costs.compute_price": 0.04,
}  # the hand-checked margins below assume 0.04 tokens/s


def test_deterrence_inputs_hand_checked(scenarios_dir, standin):
    # stand-in costs: claimed 0.2 s, honest_seed 0.2 s, honest_bf16 0.18 s, cheaper_model 0.1 s per
    # answer; half the nodes run a variant (stack_variation 0.5): honest mean 0.5 x 0.2 + 0.25 x 0.2
    # + 0.25 x 0.18 = 0.195 s; a cheater keeps its stack's speed (bf16: 0.9 x), so it serves the
    # cheaper model in 0.975 x 0.1 s on average; 500 requests (no timeouts at utilisation 0.3);
    # 0.04 tokens/s; 0.01 tokens/request
    s = load_scenario(scenarios_dir / "model_swap.toml").with_overrides({**DET, "slashing.slash_fraction": 0.01})
    d = from_scenario(s, standin, tpr=1.0, fpr=0.0)
    assert d.cost_saving == pytest.approx(500 * 0.975 * (0.2 - 0.1) * 0.04)  # C = 1.95
    assert d.reward == pytest.approx(5.0)  # R
    assert d.margin == pytest.approx(0.3 * (5.0 + 0.01 * 1000) - 1.95)  # +2.55: deterred
    assert from_scenario(
        s.with_overrides({"slashing.slash_fraction": 0.0}), standin, tpr=1.0, fpr=0.0
    ).margin == pytest.approx(-0.45)
    # one stack only: the claimed model's 0.2 s
    one = s.with_overrides({"behaviours.honest.stack_variation": 0.0})
    assert from_scenario(one, standin, tpr=1.0, fpr=0.0).cost_saving == pytest.approx(500 * 0.1 * 0.04)


def test_cost_saving_counts_timeouts_of_an_overloaded_stack(scenarios_dir, standin):
    # service 2x slower: at utilisation 0.9 the claimed model's queue (rho 0.9) loses few requests,
    # but a node that must serve 1.8x its capacity loses about 1 - 1/1.8 of them to the timeout
    from gaia_sim.deterrence import epoch_economics

    s = load_scenario(scenarios_dir / "model_swap.toml").with_overrides(
        {**DET, "traffic.utilisation": 0.9, "traffic.timeout_s": 5.0}
    )
    slow = s.with_overrides({"traffic.utilisation": 1.8})
    rev_ok, _ = epoch_economics(s, standin, "honest")
    rev_slow, _ = epoch_economics(slow, standin, "honest")
    assert rev_ok > 0.8 * 5.0
    assert rev_slow == pytest.approx(5.0 / 1.8, rel=0.15)


# (scenario, overrides, oracle power, predicted deterred); margins by hand with C = 1.9 (1.1 for the
# low-precision ring), R = 5, S = 1000, p = probe_fraction x tpr (every node revises every epoch):
ORACLE_POINTS = [
    ("model_swap", {"slashing.slash_fraction": 0.0}, 1.0, False),  # 0.3 x 5 - 1.9 = -0.4
    ("model_swap", {"slashing.slash_fraction": 0.01}, 1.0, True),  # 0.3 x 15 - 1.9 = +2.6
    ("model_swap", {"slashing.slash_fraction": 0.01}, 0.2, False),  # 0.06 x 15 - 1.9 = -1.0
    ("model_swap", {"slashing.slash_fraction": 0.05, "probes.probe_fraction": 0.2}, 0.5, True),  # 0.1 x 55 - 1.9 = +3.6
    (
        "collusion_ring",
        {"slashing.slash_fraction": 0.05, "validator_population.honest": 0.5, "validator_population.colluding": 0.5},
        1.0,
        False,
    ),  # verdicts blocked: -1.1
    ("collusion_ring", {"slashing.slash_fraction": 0.05}, 1.0, True),  # 5 of 7 validators honest: 55 - 1.1
]


@pytest.mark.parametrize("name, over, tpr, deterred", ORACLE_POINTS)
def test_deterrence_condition_matches_simulation(monkeypatch, scenarios_dir, standin, name, over, tpr, deterred):
    monkeypatch.setattr(GaiaModel, "phase_judge", oracle_judge(tpr, 0.0))
    ring = {"population.model_swapping": 0.0, "population.colluding": 0.2} if name == "collusion_ring" else {}
    s = load_scenario(scenarios_dir / f"{name}.toml").with_overrides({**DET, **ring, **over})
    assert from_scenario(s, standin, tpr=tpr, fpr=0.0).deters is deterred  # the closed form, ex ante
    cell = check_cell(simulate(s, answers=standin), standin, rates="summary")  # measured verdict rates
    assert cell["predicted_deterred"] is deterred
    assert cell["agree"], cell


# Near the boundary (f S* = 1.95 / 0.3 - 5 = 1.5 tokens), judged by the direction of the dynamics
# (long-run honest share above / below the initial 0.8, check_cell(threshold=None)), as in e002.
# Closer in, single runs are not decisive: at +0.2 (10% of C) the profit memory's survivor bias
# (lucky cheaters' records outlive their luck) drove seed 0 to cheating; with profit_memory 1 the
# noise of single-epoch profits decides (e002 README).
NEAR_POINTS = [
    (0.0005, False),  # 0.3 x (5 + 0.5) - 1.95 = -0.3
    (0.003, True),
]  # 0.3 x (5 + 3) - 1.95 = +0.45


@pytest.mark.parametrize("fraction, deterred", NEAR_POINTS)
def test_deterrence_near_the_boundary(monkeypatch, scenarios_dir, standin, fraction, deterred):
    monkeypatch.setattr(GaiaModel, "phase_judge", oracle_judge(1.0, 0.0))
    s = load_scenario(scenarios_dir / "model_swap.toml").with_overrides({**DET, "slashing.slash_fraction": fraction})
    d = from_scenario(s, standin, tpr=1.0, fpr=0.0)
    assert d.deters is deterred and abs(d.margin) < 0.3 * d.cost_saving  # hand-checked margins above
    cell = check_cell(simulate(s, answers=standin), standin, threshold=None, rates="summary")
    assert cell["agree"], cell


@pytest.mark.parametrize("fraction, deterred", [(0.0, False), (0.1, True)])
def test_deterrence_with_the_real_stand_in_detector(scenarios_dir, standin, fraction, deterred):
    s = load_scenario(scenarios_dir / "model_swap.toml").with_overrides({**DET, "slashing.slash_fraction": fraction})
    cell = check_cell(simulate(s, answers=standin), standin)
    assert cell["predicted_deterred"] is deterred and cell["agree"], cell


def test_a_switcher_takes_the_record_of_the_strategy_it_copies(scenarios_dir, standin):
    """After imitation a node's profit record is the record of a peer that played its new behaviour:
    an honest record must not vouch for a switch to cheating (and vice versa)."""
    s = scen(
        scenarios_dir,
        "lazy_nodes",
        **{"strategy.revision_rate": 0.0, "strategy.imitation_scale": 1.0, "staking.initial_balance": 1e6},
    )
    m = run_model(s, standin, epochs=3)  # no revision yet: both behaviours still present
    m.state.scenario = s.with_overrides({"strategy.revision_rate": 1.0})  # now everyone revises once
    m.state.profit_avg = 3.0 * np.random.default_rng(0).normal(size=len(m.nodes))  # distinct records
    before_b, before_r = m.behaviour.copy(), m.profit_avg.copy()
    switch = revise_behaviours(m.state, np.random.default_rng(1))
    assert switch.any()
    for i in np.flatnonzero(switch):
        donors = (before_b == m.behaviour[i]) & np.isclose(before_r, m.profit_avg[i])
        assert donors.any() and not np.isclose(before_r[i], m.profit_avg[i])
    assert np.array_equal(m.profit_avg[~switch], before_r[~switch])


# The shipped bank of real Gemma 3 270M answers and the real default detector, in e008's setting
# (experiments/e008_deterrence_8_questions: 20% lazy replayers, 50 nodes, 8 questions per probe,
# single-epoch verdicts, revenue not forfeited; on the 64-answer bank boundary f S* = C / (p - q) ~
# 1.83 / 0.95 = 1.9 tokens). One cell on each side, about half of C from the line, judged like e002 by the direction
# of the dynamics with the verdict rates of the first 5 epochs.
E008 = {
    "network.nodes_per_domain": 50,
    "network.validators": 3,
    "probes.questions_per_epoch": 8,
    "slashing.forfeit_revenue": False,
    "detector.sequential": False,
    "strategy.revision_rate": 0.3,
    "slashing.slash_fraction": 1.0,
    "epochs": 30,
}


@pytest.mark.parametrize("stake, deterred", [(0.9, False), (3.0, True)])
def test_deterrence_matches_simulation_on_the_real_answer_bank(scenarios_dir, stake, deterred):
    from gaia_sim.runner import load_answers

    s = load_scenario(scenarios_dir / "lazy_nodes.toml").with_overrides({**E008, "staking.node_stake": stake})
    bank = load_answers(s.answers)
    cell = check_cell(simulate(s, answers=bank), bank, threshold=None)
    assert cell["predicted_deterred"] is deterred and abs(cell["margin"]) > 0.3 * from_scenario(s, bank).cost_saving, (
        cell
    )
    assert cell["agree"], cell
