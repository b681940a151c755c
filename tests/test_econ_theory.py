"""Fast checks of the economic rules against theory and invariants (stand-in answers, no simulation):
part of the unit tests mutation testing runs (tools/mutation.py, issue 13 item 8)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from gaia_sim import costs, deterrence
from gaia_sim.deterrence import Deterrence
from gaia_sim.scenario import load_scenario

# low load (no timeouts), every node probed each epoch with probability 0.3, 0.04 tokens per second
CALM = {"answers": "stand-in", "traffic.utilisation": 0.3, "probes.probe_fraction": 0.3, "costs.compute_price": 0.04}


def scen(scenarios_dir, name, **over):
    return load_scenario(scenarios_dir / f"{name}.toml").with_overrides({**CALM, **over})


# ---- the condition's algebra ---------------------------------------------------------------------
def test_participation_margin_and_max_stake_are_the_same_line():
    d = Deterrence(
        0.3,
        0.5,
        200.0,
        5.0,
        1.0,
        false_positive=0.01,
        jail_loss=2.0,
        bond_loss=1.0,
        rule_factor=1.5,
        honest_profit=3.0,
        capital_rate=1e-3,
        outside_option=0.5,
    )
    # H - q (R + k f S + J + B) - c S - outside = 3 - 0.01 (5 + 150 + 2 + 1) - 0.2 - 0.5
    assert d.participation_margin == pytest.approx(3.0 - 0.01 * 158.0 - 0.2 - 0.5)
    hi = d.max_stake  # the stake at which that margin is exactly 0
    assert hi == pytest.approx((3.0 - 0.01 * 8.0 - 0.5) / (0.01 * 1.5 * 0.5 + 1e-3))
    assert Deterrence(**{**d.__dict__, "stake": hi}).participation_margin == pytest.approx(0.0, abs=1e-9)
    assert d.stake_band == (d.min_stake, hi) and not d.band_empty
    # deterring stake: (p - q)(R + k f S + J + B) = C
    lo = d.min_stake
    assert lo == pytest.approx(max(0.0, (1.0 / 0.29 - 8.0) / 0.75))
    assert d.penalty == pytest.approx(5.0 + 1.5 * 0.5 * 200.0 + 2.0 + 1.0)


def test_max_stake_without_any_cost_of_stake_is_unbounded_or_none():
    free = Deterrence(0.3, 0.5, 10.0, 0.0, 1.0, honest_profit=1.0)
    assert free.max_stake == math.inf and not free.band_empty
    poor = Deterrence(0.3, 0.5, 10.0, 0.0, 1.0, honest_profit=-0.1)
    assert poor.max_stake == -math.inf and poor.band_empty
    # costly stake, but honest profit already below the outside option: no stake keeps them in
    leave = Deterrence(0.3, 0.5, 10.0, 0.0, 1.0, honest_profit=1.0, capital_rate=1e-3, outside_option=2.0)
    assert leave.max_stake == -math.inf and leave.band_empty
    exact = Deterrence(0.3, 0.5, 10.0, 0.0, 1.0, honest_profit=1.0, capital_rate=1e-3, outside_option=1.0)
    assert exact.max_stake == 0.0  # room exactly 0: only a stake of 0 keeps them in


def test_no_deterring_stake_without_net_detection_or_slash():
    assert Deterrence(0.01, 0.5, 0.0, 0.0, 1.0, false_positive=0.01).min_stake == math.inf  # p = q
    assert Deterrence(0.3, 0.0, 0.0, 0.0, 1.0).min_stake == math.inf  # nothing slashed
    assert Deterrence(0.3, 0.5, 0.0, 0.0, 1.0, rule_factor=0.0).min_stake == math.inf
    assert Deterrence(0.5, 0.5, 0.0, 10.0, 1.0).min_stake == 0.0  # R alone deters
    assert Deterrence(0.3, 0.5, 0.0, 0.0, 1.0, colluding_share=1.0).critical_p == math.inf
    assert Deterrence(0.3, 0.0, 0.0, 0.0, 1.0).critical_p == math.inf  # no penalty at all
    d = Deterrence(0.3, 0.5, 100.0, 0.0, 5.0, false_positive=0.02)
    assert d.critical_p == pytest.approx(5.0 / 50.0 + 0.02)
    assert Deterrence(**{**d.__dict__, "p_detect": d.critical_p}).margin == pytest.approx(0.0, abs=1e-12)


def test_margin_grid_is_the_margin_of_each_cell():
    p, f, S, R, C, q, J = 0.4, 0.2, np.array([0.0, 50.0, 500.0]), 3.0, 2.0, 0.05, 1.5
    g = deterrence.margin_grid(p, f, S, R, C, colluding_share=0.25, false_positive=q, jail_loss=J)
    want = [Deterrence(p, f, s, R, C, colluding_share=0.25, false_positive=q, jail_loss=J).margin for s in S]
    assert g == pytest.approx(want)
    g1 = deterrence.margin_grid(p, f, S, R, C, false_positive=q, jail_loss=J, pass_probability=0.5)
    assert g1 == pytest.approx((p * 0.5 - q) * (R + f * S + J) - C)


def test_basin_edge_counts_the_fixed_penalties_and_false_positives():
    shares, p = [0.1, 0.3], [0.5, 0.1]
    # margins: (0.5 - q)(R + fS + J) - C and (0.1 - q)(...) - C with fS = 2, R = 1, J = 1, q = 0.05, C = 1
    m = [(0.5 - 0.05) * 4.0 - 1.0, (0.1 - 0.05) * 4.0 - 1.0]
    edge = deterrence.basin_edge(shares, p, 1.0, 2.0, 1.0, reward=1.0, false_positive=0.05, jail_loss=1.0)
    assert edge == pytest.approx(0.1 + 0.2 * m[0] / (m[0] - m[1]))
    for bad in ([0.2], [0.2, 0.2], [[0.1, 0.2]]):
        with pytest.raises(ValueError):
            deterrence.basin_edge(bad, [0.5] * len(bad), 1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        deterrence.basin_edge([0.1, 0.2], [0.5], 1.0, 1.0, 1.0)


# ---- the scenario's inputs -------------------------------------------------------------------------
def test_main_cheater_is_the_most_common_cheating_behaviour(scenarios_dir):
    assert deterrence.main_cheater(scen(scenarios_dir, "lazy_nodes")) == "lazy"
    mixed = scen(
        scenarios_dir,
        "model_swap",
        **{"population.honest": 0.5, "population.lazy": 0.2, "population.model_swapping": 0.3},
    )
    assert deterrence.main_cheater(mixed) == "model_swapping"


def test_verdict_passes_when_the_guilty_voters_hold_the_quorum(scenarios_dir):
    ring = scen(scenarios_dir, "collusion_ring")  # 5 of 7 honest validators, quorum 2/3
    assert deterrence.verdict_pass_share(ring, "colluding") == 1.0
    half = ring.with_overrides({"validator_population.honest": 0.5, "validator_population.colluding": 0.5})
    assert deterrence.verdict_pass_share(half, "colluding") == 0.0  # shielded
    assert deterrence.verdict_pass_share(half, "model_swapping") == 1.0  # colluders judge non-members
    lazy = ring.with_overrides(
        {"validator_population.honest": 0.5, "validator_population.colluding": 0.0, "validator_population.lazy": 0.5}
    )
    assert deterrence.verdict_pass_share(lazy, "model_swapping") == 0.0  # lazy votes do not count as guilty
    exact = ring.with_overrides({"validation.quorum": 5 / 7})
    assert deterrence.verdict_pass_share(exact, "colluding") == 1.0  # a share equal to the quorum passes


def test_appeal_overturns_when_too_few_judges_uphold(scenarios_dir):
    s = scen(scenarios_dir, "collusion_ring", **{"validation.appeal_accuracy": 0.9})
    # 7 validators: 5 honest + 2 colluding judge a non-member; overturned when at most 3 of 7 vote guilty
    from scipy import stats

    assert deterrence.appeal_overturn_probability(s, "model_swapping") == pytest.approx(stats.binom.cdf(3, 7, 0.9))
    # ring members: the 2 colluders never uphold, so only the 5 honest judges vote guilty
    assert deterrence.appeal_overturn_probability(s, "colluding") == pytest.approx(stats.binom.cdf(3, 5, 0.9))
    strict = s.with_overrides({"slashing.dispute_majority": 0.2})  # overturned when <= 5 of 7 vote guilty
    assert deterrence.appeal_overturn_probability(strict, "model_swapping") == pytest.approx(stats.binom.cdf(5, 7, 0.9))


def test_from_scenario_assembles_the_inputs(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "slashing.slash_fraction": 0.2,
            "staking.node_stake": 300.0,
            "strategy.outside_option": 0.25,
            "detector.alpha": 0.02,
        },
    )
    d = deterrence.from_scenario(s, standin, tpr=0.5)
    rev_h, cost_h = deterrence.mean_economics(s, standin, "honest")
    rev_c, cost_c = deterrence.mean_economics(s, standin, "model_swapping")
    assert d.p_detect == pytest.approx(0.3 * 0.5) and d.false_positive == pytest.approx(0.3 * 0.02)
    assert d.cost_saving == pytest.approx((rev_c - cost_c) - (rev_h - cost_h)) and d.cost_saving > 0
    assert d.reward == pytest.approx(rev_c) and d.jail_loss == 0.0 and d.bond_loss == 0.0
    assert (d.slash_fraction, d.stake, d.rule_factor) == (0.2, 300.0, 1.0)
    assert d.honest_profit == pytest.approx(rev_h - cost_h) and d.outside_option == 0.25
    assert d.capital_rate == pytest.approx(costs.capital_cost(1.0, 0.03, 24.0))
    assert d.colluding_share == 0.0
    assert deterrence.from_scenario(s, standin, tpr=0.5, fpr=0.1).false_positive == pytest.approx(0.03)
    kept = deterrence.from_scenario(s.with_overrides({"slashing.forfeit_revenue": False}), standin)
    assert kept.reward == 0.0
    jail = s.with_overrides({"slashing.rule": "jail_eject", "slashing.jail_epochs": 4})
    assert deterrence.from_scenario(jail, standin).jail_loss == pytest.approx(4 * max(rev_h - cost_h, 0.0))
    assert deterrence.from_scenario(jail.with_overrides({"slashing.rule": "graduated"}), standin).jail_loss == 0.0
    ring = scen(
        scenarios_dir, "collusion_ring", **{"validator_population.honest": 0.5, "validator_population.colluding": 0.5}
    )
    assert deterrence.from_scenario(ring, standin).colluding_share == 1.0  # blocked: nothing passes
    assert deterrence.from_scenario(ring, standin, verdict_rates=True).colluding_share == 0.0


def test_a_lazy_node_that_drops_requests_earns_and_pays_for_the_rest_only(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "lazy_nodes",
        **{
            "behaviours.lazy.mode": "missing",
            "behaviours.lazy.skip_rate": 0.25,
            "behaviours.honest.stack_variation": 0.0,
            "costs.fixed_cost": 0.0,
        },
    )
    rev_h, cost_h = deterrence.epoch_economics(s, standin, "honest")
    rev_l, cost_l = deterrence.epoch_economics(s, standin, "lazy")
    assert rev_h == pytest.approx(s.traffic.requests_per_node * s.rewards.price_per_request, rel=0.02)
    assert rev_l == pytest.approx(0.75 * rev_h, rel=0.02)
    kb = s.costs.kb_cost  # both pay their knowledge base; compute scales with what is answered
    assert cost_l - kb == pytest.approx(0.75 * (cost_h - kb), rel=0.02)
    swap = scen(scenarios_dir, "kb_swap", **{"behaviours.honest.stack_variation": 0.0, "costs.fixed_cost": 0.0})
    _, cost_w = deterrence.epoch_economics(swap, standin, "kb_swapping", "claimed")
    _, cost_c = deterrence.epoch_economics(swap, standin, "honest", "claimed")
    assert cost_w < cost_c + 1e-9 and kb > 0  # a KB swapper skips the knowledge-base cost


def test_mean_economics_weighs_each_stack_by_its_share(scenarios_dir, standin):
    s = scen(scenarios_dir, "model_swap", **{"behaviours.honest.stack_variation": 0.5})
    mix = deterrence.stack_mix(s, standin)
    assert sum(w for _, w in mix) == pytest.approx(1.0)
    parts = [deterrence.epoch_economics(s, standin, "honest", stack) for stack, _ in mix]
    rev, cost = deterrence.mean_economics(s, standin, "honest")
    assert rev == pytest.approx(sum(w * r for (_, w), (r, _) in zip(mix, parts)))
    assert cost == pytest.approx(sum(w * c for (_, w), (_, c) in zip(mix, parts)))


def test_check_cell_compares_the_run_with_the_condition(scenarios_dir, standin):
    s = scen(scenarios_dir, "model_swap", **{"slashing.slash_fraction": 0.05})
    d = deterrence.from_scenario(s, standin, tpr=0.9, fpr=0.01, verdict_rates=True)
    assert d.deters
    summary = {"tpr_cheaters": 0.9, "flag_rate_honest": 0.01, "mean_honest_share_last_10pct": 0.95}
    cell = deterrence.check_cell(SimpleNamespace(scenario=s, summary=summary), standin, rates="summary")
    assert cell["predicted_deterred"] and cell["agree"] and cell["margin"] == pytest.approx(d.margin)
    assert cell["p_detect"] == pytest.approx(0.3 * 0.9) and cell["honest_share"] == 0.95
    fell = {**summary, "mean_honest_share_last_10pct": 0.3}
    assert not deterrence.check_cell(SimpleNamespace(scenario=s, summary=fell), standin, rates="summary")["agree"]
    # threshold None: the direction from the initial 0.8 honest share
    up = {**summary, "mean_honest_share_last_10pct": 0.81}
    assert deterrence.check_cell(SimpleNamespace(scenario=s, summary=up), standin, threshold=None, rates="summary")[
        "agree"
    ]
    down = {**summary, "mean_honest_share_last_10pct": 0.79}
    assert not deterrence.check_cell(
        SimpleNamespace(scenario=s, summary=down), standin, threshold=None, rates="summary"
    )["agree"]
    # an undeterred cell agrees when cheating spread
    free = s.with_overrides({"slashing.slash_fraction": 0.0, "slashing.forfeit_revenue": False})
    c = deterrence.check_cell(SimpleNamespace(scenario=free, summary=fell), standin, rates="summary")
    assert not c["predicted_deterred"] and c["agree"] and c["critical_p"] == math.inf
    ideal = deterrence.check_cell(SimpleNamespace(scenario=s, summary=summary), standin, rates="ideal")
    assert ideal["p_detect"] == pytest.approx(0.3)


# ---- small pieces of the ledger, rewards and strategy that only simulations called -------------------
def test_escrow_and_bonds_keep_every_token_accounted():
    from gaia_sim.staking import BURN, TREASURY, Delays, StakeLedger, can_top_up

    lg = StakeLedger(np.full(3, 100.0), 1, balance=np.full(3, 50.0), delays=Delays(24, 14, 14, 7))
    lg.allocate(np.arange(3), np.zeros(3, int), np.full(3, 80.0), epoch=0)
    lg.advance(lg.delays.allocation + 1)
    lg.slash([0, 2], [0, 0], [0.5, 0.25], epoch=2)
    lg.slash([2], [0], [0.5], epoch=2)  # half of the 60 left
    assert lg.escrow_of() == pytest.approx([40.0, 0.0, 50.0])  # per operator, summed over its slashes
    lg.burn_balance([1, 1], [5.0, 2.0], epoch=2)
    lg.burn_balance([2], [3.0], epoch=2, dest=TREASURY)
    assert lg.balance == pytest.approx([50.0, 43.0, 47.0])
    assert (lg.burned, lg.treasury) == (pytest.approx(7.0), pytest.approx(3.0))
    lg.check_invariants()
    assert BURN != TREASURY
    assert can_top_up([10.0, 10.0, 10.0], [9.0, 10.0, 10.5]).tolist() == [True, True, False]


def test_validator_pool_is_fees_plus_minted_tokens():
    from gaia_sim import rewards

    assert rewards.validator_pool(3.0, 2.5) == 5.5
    assert rewards.validator_pool(0.0, 0.0) == 0.0


def test_profit_records_shares_and_behaviour_means():
    from gaia_sim import strategy

    prev, now = np.array([1.0, 2.0, 4.0]), np.array([3.0, 0.0, 4.0])
    avg = strategy.profit_average(prev, now, 0.25, np.array([False, True, False]))
    assert avg == pytest.approx([0.75 * 1.0 + 0.25 * 3.0, 0.0, 4.0])  # the first epoch takes the profit as is
    b, act = np.array([0, 1, 1, 2, 0]), np.array([True, True, False, True, True])
    assert strategy.shares(b, act, 4) == pytest.approx([0.5, 0.25, 0.25, 0.0])
    assert strategy.shares(b, np.zeros(5, bool), 3) == pytest.approx([0.0, 0.0, 0.0])  # nobody active
    mean, cnt = strategy.behaviour_means(b, np.array([1.0, 2.0, 9.0, 4.0, 3.0]), act, 4)
    assert cnt.tolist() == [2, 1, 1, 0]
    assert mean[:3] == pytest.approx([2.0, 2.0, 4.0]) and np.isnan(mean[3])


def test_measured_rates_recover_a_detector_of_known_power(monkeypatch, scenarios_dir, standin):
    from test_economics import oracle_judge

    from gaia_sim.model import GaiaModel

    monkeypatch.setattr(GaiaModel, "phase_judge", oracle_judge(0.5, 0.05))
    s = scen(
        scenarios_dir,
        "model_swap",
        **{
            "network.nodes_per_domain": 40,
            "detector.sequential": False,
            "probes.probe_fraction": 1.0,
            "staking.initial_balance": 1e6,
        },
    )
    m = deterrence.measured_rates(s, standin, seeds=(3,), epochs=15)
    assert m["behaviour"] == "model_swapping" and m["verdicts_cheater"] == 8 * 15 and m["verdicts_honest"] == 32 * 15
    assert m["p"] == pytest.approx(0.5, abs=0.15) and m["q"] == pytest.approx(0.05, abs=0.04)
    assert m["slash_share"] == 1.0 and m["C_measured"] < 0  # revenue forfeited on guilty verdicts
    half = deterrence.measured_rates(s, standin, share=0.5, seeds=(3,), epochs=4)
    assert half["verdicts_cheater"] == 20 * 4 and half["verdicts_honest"] == 20 * 4


# ---- survivors of the first mutation run (tools/mutation.py), killed by what the rules promise ------
def test_ledger_operations_record_what_they_did():
    """Every ledger operation returns events of its kind, epoch, operators, sets and amounts (the
    rows of events.parquet): a slash names its set and slash id, a withdrawal its exit."""
    from gaia_sim.staking import Delays, StakeLedger

    lg = StakeLedger(np.full(2, 100.0), 2, balance=np.full(2, 10.0), delays=Delays(24, 0, 2, 1, 1))
    lg.allocate([0, 1], [1, 1], [60.0, 60.0], epoch=3)
    lg.advance(3)
    ev = lg.slash([0, 1], [1, 1], [0.5, 0.25], epoch=3, detail="fixed")
    assert list(ev["kind"]) == ["slash", "slash"] and list(ev["epoch"]) == [3, 3]
    assert list(ev["operator"]) == [0, 1] and list(ev["set"]) == [1, 1]
    assert ev["amount"] == pytest.approx([30.0, 15.0])
    assert all(d.startswith("fixed;slash_id=") for d in ev["detail"])
    assert all(d.startswith("slash_id=") for d in lg.slash([0], [1], [0.1], epoch=3)["detail"])
    dep = lg.deposit([1], [4.0], epoch=4, from_balance=True)
    assert list(dep["kind"]) == ["deposit"] and list(dep["operator"]) == [1] and dep["amount"] == pytest.approx([4.0])
    de = lg.deallocate([1], [1], [5.0], epoch=4)
    assert list(de["kind"]) == ["deallocate"] and list(de["set"]) == [1] and de["amount"] == pytest.approx([5.0])
    cr = lg.credit([0], [2.5], epoch=4, kind="reward")
    assert list(cr["kind"]) == ["reward"] and cr["amount"] == pytest.approx([2.5])
    ex = lg.exit([0], epoch=5)
    assert "exit_start" in set(ex["kind"])
    from gaia_sim.staking import concat_events

    later = concat_events([lg.advance(e) for e in range(5, 12)])
    kinds = set(later["kind"])
    assert {"withdrawn", "exited"} <= kinds
    assert set(later["operator"][later["kind"] == "withdrawn"]) == {0}


def test_withdrawn_stake_adds_to_the_balance_and_allocations_wait_their_delay():
    from gaia_sim.staking import Delays, StakeLedger

    lg = StakeLedger(np.full(2, 100.0), 1, balance=np.array([7.0, 0.0]), delays=Delays(24, 2, 1, 1, 1))
    lg.allocate([0, 1], [0, 0], [50.0, 50.0], epoch=0)
    assert lg.allocated.sum() == 0.0  # the allocation delay (2 days = 2 epochs) has not passed
    lg.advance(1)
    assert lg.allocated.sum() == 0.0
    lg.advance(2)
    assert lg.allocated[:, 0] == pytest.approx([50.0, 50.0])
    lg.queue_withdrawal([0], [30.0], epoch=2)
    lg.advance(3)
    assert lg.balance[0] == pytest.approx(7.0 + 30.0)  # added to what it had, not replacing it
    lg.check_invariants()


def test_the_ledger_refuses_bad_amounts_and_set_ids_and_reports_broken_delays():
    from gaia_sim.staking import StakeLedger

    lg = StakeLedger(np.full(2, 100.0), 2)
    with pytest.raises(ValueError):
        lg.deposit([0], [-1.0], epoch=0)  # finite but negative
    with pytest.raises(ValueError):
        lg.allocate([0], [2], [1.0], epoch=0)  # set id == number of sets
    new, _ = lg.add_operators([0.0, 5.0], epoch=0, balance=[3.0, 4.0])
    assert lg.balance[new] == pytest.approx([3.0, 4.0])
    assert lg.magnitudes()[new[0]] == pytest.approx([0.0, 0.0])  # no stake: no magnitude, not garbage
    lg.check_invariants()
    lg.dealloc[1, 0] = 5.0  # a deallocation nobody scheduled
    with pytest.raises(AssertionError, match="pending deallocation without a due epoch"):
        lg.check_invariants()


def test_only_a_dispute_overturns_a_verdict():
    from gaia_sim.slashing import RULES, SlashInput

    inp = SlashInput(np.array([True, False, True]), epoch=1, offences=np.array([0, 0, 3]))
    for name, rule in RULES.items():
        if name != "dispute":
            d = rule(inp)
            assert d.overturned.dtype == bool and not d.overturned.any(), name


def test_a_switcher_takes_its_peers_record():
    from gaia_sim import strategy

    rng = np.random.default_rng(0)
    behaviour, profit = np.array([0] * 50 + [1] * 50), np.array([0.0] * 50 + [10.0] * 50)
    r = strategy.revise(rng, behaviour, profit, np.ones(100, bool), 1.0, scale=10.0)
    assert r.switched.any()
    assert (r.behaviour[r.switched] == 1).all() and r.record[r.switched] == pytest.approx(10.0)
    assert r.record[~r.switched] == pytest.approx(profit[~r.switched])


def test_colluders_already_in_a_committee_lower_its_cost_of_corruption():
    from gaia_sim import quorum

    assigned = np.array([[1, 1], [1, 0], [1, 1]], bool)  # 3 validators x 2 nodes
    stake = np.array([10.0, 20.0, 30.0])
    free = quorum.committee_cost_of_corruption(assigned, stake, 2 / 3, "block")
    assert free == pytest.approx([60.0 / 3, 40.0 / 3])
    col = quorum.committee_cost_of_corruption(assigned, stake, 2 / 3, "block", colluding=np.array([False, True, False]))
    assert col == pytest.approx([0.0, 40.0 / 3])  # validator 1 (20) sits only in node 0's committee


def test_a_domain_with_no_active_node_owes_nothing():
    from gaia_sim import rewards

    owed = rewards.domain_liability(
        np.array([0, 0, 1]),
        np.array([1, 1, 1]),
        np.array([5.0, 5.0, 5.0]),
        3,
        0.2,
        0.5,
        active=np.array([True, True, False]),
    )
    assert owed == pytest.approx([5.0, 0.0, 0.0])


def test_a_kb_swapper_skips_exactly_the_knowledge_base_cost(scenarios_dir, standin):
    s = scen(scenarios_dir, "kb_swap", **{"behaviours.honest.stack_variation": 0.0})
    dear = s.with_overrides({"costs.kb_cost": s.costs.kb_cost + 1.0})
    for behaviour, rises in (("honest", 1.0), ("kb_swapping", 0.0)):
        _, before = deterrence.epoch_economics(s, standin, behaviour)
        _, after = deterrence.epoch_economics(dear, standin, behaviour)
        assert after - before == pytest.approx(rises)


def test_from_scenario_prices_the_rule_for_the_behaviour_asked(scenarios_dir, standin):
    s = scen(
        scenarios_dir,
        "model_swap",
        **{"slashing.rule": "graduated", "slashing.slash_fraction": 0.1, "slashing.max_fraction": 0.8},
    )
    d = deterrence.from_scenario(s, standin, tpr=0.5)
    assert d.rule_factor == pytest.approx(deterrence.rule_terms(s, 0.15)[0]) and d.rule_factor > 1.5
    ring = scen(
        scenarios_dir,
        "collusion_ring",
        **{
            "population.honest": 0.6,
            "population.model_swapping": 0.25,
            "population.colluding": 0.15,
            "slashing.rule": "dispute",
            "slashing.cheater_challenge_rate": 1.0,
        },
    )
    # the colluders shield ring members on appeal, not model swappers: B differs by behaviour
    b_ring = deterrence.from_scenario(ring, standin, "colluding").bond_loss
    b_swap = deterrence.from_scenario(ring, standin, "model_swapping").bond_loss
    assert b_ring == pytest.approx(deterrence.rule_terms(ring, 0.3, 1.0, "colluding")[1]) and b_ring != b_swap


def test_check_cell_with_ideal_rates_still_applies_the_quorum(scenarios_dir, standin):
    blocked = scen(
        scenarios_dir,
        "collusion_ring",
        **{
            "validator_population.honest": 0.5,
            "validator_population.colluding": 0.5,
            "slashing.forfeit_revenue": False,
        },
    )
    summary = {"mean_honest_share_last_10pct": 0.2}
    cell = deterrence.check_cell(SimpleNamespace(scenario=blocked, summary=summary), standin, rates="ideal")
    assert not cell["predicted_deterred"] and cell["agree"]


def test_measured_rates_without_a_guilty_verdict_assume_no_verdict_slashes(monkeypatch, scenarios_dir, standin):
    """No guilty verdict seen: no evidence that verdicts slash, so the pessimistic share 0 (issue 16 item 6)."""
    from test_economics import oracle_judge

    from gaia_sim.model import GaiaModel

    monkeypatch.setattr(GaiaModel, "phase_judge", oracle_judge(0.0, 0.0))
    s = scen(scenarios_dir, "model_swap", **{"network.nodes_per_domain": 10, "detector.sequential": False})
    m = deterrence.measured_rates(s, standin, seeds=(1,), epochs=3)
    assert m["p"] == 0.0 and m["q"] == 0.0 and m["slash_share"] == 0.0
