"""Deterrence condition at hand-checked points (closed form only; simulation check in test_economics)."""

import numpy as np
import pytest

from gaia_sim.deterrence import Deterrence, detection_probability, margin_grid, posp_bound
from gaia_sim.errors import UserError


def test_posp_bound_hand_checked():
    # C = 10, r = 0.2, R = 5, S = 45: p* = 10 / (0.8 * 50) = 0.25
    assert posp_bound(10, 0.2, 5, 45) == pytest.approx(0.25)
    d = Deterrence(p_detect=0.25, slash_fraction=0.45, stake=100, reward=5, cost_saving=10, colluding_share=0.2)
    assert d.critical_p == pytest.approx(0.25)
    assert d.margin == pytest.approx(0.0)
    assert d.deters
    assert not Deterrence(0.24, 0.45, 100, 5, 10, 0.2).deters


@pytest.mark.parametrize(
    "p, f, S, R, C, q, deters",
    [
        (0.5, 0.1, 1000, 0, 40, 0.0, True),  # 0.5*100 = 50 >= 40
        (0.3, 0.1, 1000, 0, 40, 0.0, False),  # 30 < 40
        (0.5, 0.1, 1000, 0, 40, 0.2, False),  # (0.5-0.2)*100 = 30 < 40
        (0.1, 1.0, 500, 10, 50, 0.0, True),  # 0.1*510 = 51 >= 50
        (0.0, 1.0, 1e9, 1e9, 1e-6, 0.0, False),  # never detected
    ],
)
def test_condition_table(p, f, S, R, C, q, deters):
    assert Deterrence(p, f, S, R, C, false_positive=q).deters is deters


def test_min_stake_and_committee():
    d = Deterrence(p_detect=0.2, slash_fraction=0.5, stake=0, reward=10, cost_saving=20)
    assert d.min_stake == pytest.approx((20 / 0.2 - 10) / 0.5)  # 180
    assert Deterrence(0.2, 0.5, 180, 10, 20).margin == pytest.approx(0.0)
    # colluders holding a blocking third of every 3-committee make detection worthless
    assert Deterrence(1.0, 1.0, 1e6, 0, 1, colluding_share=1.0, committee=3).critical_p == float("inf")


def test_detection_probability_and_grid():
    assert detection_probability(0.5, 0.8, 1) == pytest.approx(0.4)
    assert detection_probability(0.5, 0.8, 2) == pytest.approx(1 - 0.6**2)
    g = margin_grid(np.array([0.1, 0.5])[:, None], 0.1, np.array([100.0, 1000.0]), 0.0, 20.0)
    assert g == pytest.approx(np.array([[-19.0, -10.0], [-15.0, 30.0]]))


def test_basin_edge_hand_checked():
    from gaia_sim.deterrence import basin_edge

    shares, p = [0.2, 0.3, 0.4], [0.8, 0.6, 0.0]
    # f S = 5, C = 2: margin 2.0 at 0.2, 1.0 at 0.3, -2.0 at 0.4 -> zero at 0.3 + 0.1 * 1 / 3
    assert basin_edge(shares, p, 1.0, 5.0, 2.0) == pytest.approx(0.3 + 0.1 / 3)
    # C = 3.5: margin 0.5 at 0.2, -0.5 at 0.3 -> edge halfway, 0.25
    assert basin_edge(shares, p, 1.0, 5.0, 3.5) == pytest.approx(0.25)
    assert basin_edge(shares, p, 1.0, 5.0, 4.5) == 0.2  # not deterred even at the smallest share
    assert basin_edge(shares, [1.0, 1.0, 1.0], 1.0, 5.0, 1.0) == 0.4  # deterred over the whole range
    # the edge agrees with the closed form at every measured share: deterred there iff share < edge
    edge = basin_edge(shares, p, 0.5, 8.0, 2.2)
    for x, px in zip(shares, p):
        assert Deterrence(px, 0.5, 8.0, 0.0, 2.2).deters == (x < edge)
    with pytest.raises(ValueError):
        basin_edge([0.3, 0.2], [0.5, 0.5], 1.0, 1.0, 1.0)


def test_missing_inputs_fall_back_pessimistically():
    """No measured detection (NaN p): no stake deters (was 0); the margin does not deter. No honest
    profit given: participation unproven, the stake band empty (was: honest nodes always stay)."""
    blind = Deterrence(float("nan"), 0.5, 100.0, 0.0, 1.0)
    assert blind.min_stake == float("inf") and blind.stake_for_margin(-0.5) == float("inf")
    assert not blind.deters
    d = Deterrence(0.5, 0.5, 100.0, 0.0, 1.0)
    assert d.min_stake == pytest.approx(4.0) and d.stake_for_margin(1.0) == pytest.approx(8.0)
    assert not d.participation_margin >= 0 and d.max_stake == float("-inf") and d.band_empty


def test_drawn_saving_is_the_c_of_the_network_a_seed_draws():
    """deterrence.drawn_saving: C of the network as built, known before the run (e016, e018)."""
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    scenario = load_scenario("scenarios/boundary/lazy_deterred.toml")
    answers = load_answers(scenario.answers)
    by_stack = deterrence.saving_by_stack(scenario, answers, "lazy")
    flat = scenario.with_overrides({"behaviours.honest.stack_variation": 0.0, "seed": 11})
    assert deterrence.drawn_saving(flat, answers, "lazy") == pytest.approx(by_stack["claimed"])
    expected = deterrence.from_scenario(scenario, answers, "lazy").cost_saving
    # e016's seed put 13 of its 24 honest nodes on the slow stacks: C +22% over the expected mix
    lottery = deterrence.drawn_saving(scenario.with_overrides({"seed": 233227757}), answers, "lazy")
    assert lottery == pytest.approx(1.22 * expected, rel=0.02)
    spread = deterrence.saving_spread(scenario, answers, "lazy")
    drawn = [deterrence.drawn_saving(scenario.with_overrides({"seed": s}), answers, "lazy") for s in range(1, 7)]
    assert len(set(drawn)) > 1 and spread["low"] - 0.2 < float(np.mean(drawn)) < spread["high"] + 0.2
    with pytest.raises(UserError, match="no model_swapping node"):
        deterrence.drawn_saving(scenario, answers, "model_swapping")


def test_switch_saving_leaves_out_which_group_drew_the_cheap_stacks():
    """deterrence.switch_saving (e024): the mean over the network's nodes of what each saves by
    switching on its own stack. e022's network 1711900022 drew its first model swappers on cheap
    stacks and its honest nodes on slow ones: drawn C 0.844, switch C 0.254, inside the per-stack
    savings (0.15-0.55), which the drawn C is not."""
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    scenario = load_scenario("scenarios/boundary/model_swap_deterred.toml").with_overrides({"seed": 1711900022})
    answers = load_answers(scenario.answers)
    by_stack = deterrence.saving_by_stack(scenario, answers, "model_swapping")
    switch = deterrence.switch_saving(scenario, answers, "model_swapping")
    assert deterrence.drawn_saving(scenario, answers, "model_swapping") == pytest.approx(0.844, abs=0.005)
    assert switch == pytest.approx(0.254, abs=0.005)
    assert min(by_stack.values()) <= switch <= max(by_stack.values())
    flat = scenario.with_overrides({"behaviours.honest.stack_variation": 0.0})
    assert deterrence.switch_saving(flat, answers, "model_swapping") == pytest.approx(by_stack["claimed"])


def test_imitation_line_is_the_switch_saving_on_one_stack_and_lies_below_it_across_stacks():
    """deterrence.imitation_line (e027): the model's revision rule on expected payoffs. On one stack
    every switch compares the same two payoffs, so the line is the switch saving; across stacks
    imitation compares operators on different stacks, and for model swapping on e024's network
    2147335092 the honest share grows at penalties well below the mean saving. The drift falls
    with the penalty (same random numbers at every penalty)."""
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    scenario = load_scenario("scenarios/boundary/model_swap_deterred.toml").with_overrides({"seed": 2147335092})
    answers = load_answers(scenario.answers)
    flat = scenario.with_overrides({"behaviours.honest.stack_variation": 0.0})
    saving = deterrence.switch_saving(flat, answers, "model_swapping")
    assert deterrence.imitation_line(flat, answers, "model_swapping") == pytest.approx(saving, rel=0.02)
    switch = deterrence.switch_saving(scenario, answers, "model_swapping")
    line = deterrence.imitation_line(scenario, answers, "model_swapping")
    assert 0.0 < line < 0.8 * switch
    drift = [deterrence.imitation_drift(scenario, answers, "model_swapping", p) for p in (0.0, line, 2 * switch)]
    assert drift[0] < 0.0 < drift[2] and drift[0] <= drift[1] <= drift[2]


def test_saving_spread_brackets_the_expected_mix_and_collapses_without_stack_variation():
    """deterrence.saving_spread (experiment e016): C of one domain as drawn onto stacks."""
    from gaia_sim import deterrence
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario

    scenario = load_scenario("scenarios/boundary/lazy_deterred.toml")
    answers = load_answers(scenario.answers)
    by_stack = deterrence.saving_by_stack(scenario, answers, "lazy")
    assert len(by_stack) == 4 and by_stack["claimed"] < min(v for k, v in by_stack.items() if "fp32" in k)
    spread = deterrence.saving_spread(scenario, answers, "lazy")
    closed = deterrence.from_scenario(scenario, answers, "lazy").cost_saving
    assert spread["mean"] == pytest.approx(closed)  # the expected mix is from_scenario's
    assert spread["low"] < closed < spread["high"] and spread["worst_stack"] == max(by_stack.values())
    # one domain of 30 nodes: the draw moves C by more than a tenth of it either way (e016: -9% to +22%)
    assert spread["high"] - closed > 0.1 * closed and closed - spread["low"] > 0.1 * closed
    same = scenario.with_overrides({"behaviours.honest.stack_variation": 0.0})
    flat = deterrence.saving_spread(same, answers, "lazy")
    assert flat["low"] == pytest.approx(flat["high"]) == pytest.approx(by_stack["claimed"])
    bigger = deterrence.saving_spread(scenario.with_overrides({"network.nodes_per_domain": 1000}), answers, "lazy")
    assert bigger["high"] - bigger["low"] < 0.3 * (spread["high"] - spread["low"])  # spread shrinks ~ 1/sqrt(n)


def test_provisioning_for_the_stack_takes_the_overload_out_of_the_slow_stacks_saving():
    """traffic.provisioning (traffic.arrival_rate, the one rate the simulation's queues and the
    closed form use): "claimed" offers every node utilisation x the claimed model's capacity, so the
    slow stacks (fp32, batch 16) run overloaded and a model swap saves their operators timeouts as
    well as compute (0.42, 0.55); "stack" offers each the same load relative to its own honest
    capacity, which leaves the claimed stack's saving as it was and the slow stacks' only what
    cheating saves beyond that (e037: load shedding is what paid the attacks that still paid). The
    simulation's own queues: an fp32 honest node loses fewer requests under "stack"."""
    from gaia_sim import deterrence
    from gaia_sim.model import GaiaModel
    from gaia_sim.runner import load_answers
    from gaia_sim.scenario import load_scenario
    from gaia_sim.traffic import arrival_rate

    assert arrival_rate(0.7, 0.1, 0.2) == pytest.approx(7.0)
    assert arrival_rate(0.7, 0.1, 0.2, "stack") == pytest.approx(3.5)
    base = load_scenario("scenarios/model_swap.toml")
    answers = load_answers(base.answers)
    claimed = deterrence.saving_by_stack(base, answers, "model_swapping")
    stack = base.with_overrides({"traffic.provisioning": "stack"})
    provisioned = deterrence.saving_by_stack(stack, answers, "model_swapping")
    assert provisioned["claimed"] == claimed["claimed"]
    slow = [k for k, v in claimed.items() if v > 2 * claimed["claimed"]]
    assert slow and all(provisioned[k] < claimed[k] - 0.05 for k in slow)

    def fp32_timeouts(scenario) -> float:
        model = GaiaModel(scenario.with_overrides({"epochs": 1, "network.nodes_per_domain": 20}), answers)
        model.step()
        st = model.state
        honest = [p for i, p in enumerate(st.profiles) if st.behaviour[i] == "honest" and "fp32" in st.stack_role[i]]
        return st.queue_outcomes[honest[0]].timeout_share

    assert fp32_timeouts(stack) < fp32_timeouts(base)
