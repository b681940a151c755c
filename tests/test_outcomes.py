"""The attacker's gain pooled over runs (outcomes.pooled_gain): against renewal-reward theory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gaia_sim.outcomes import attack_gain, gain_sums, pooled_gain

SAVING, FINE, HONEST, HORIZON, NODES = 0.3, 130.0, 2.0, 60, 2


def lumpy_runs(rng, runs: int, p_convict: float) -> np.ndarray:
    """(runs, 4) gain_sums of an attacker whose nodes save SAVING per node-epoch and are convicted
    (FINE lost, node ejected) after a geometric number of epochs, within a HORIZON-epoch run; 27
    honest nodes beside them; profits with unit noise per node-epoch. By the renewal-reward theorem
    the attacker's long-run gain per node-epoch is SAVING - FINE x p_convict exactly
    (E[min(T, H)] = P(T <= H) / p for T geometric)."""
    t = rng.geometric(p_convict, size=(runs, NODES))
    played, convicted = np.minimum(t, HORIZON), t <= HORIZON
    pa = ((HONEST + SAVING) * played + rng.normal(size=played.shape) * np.sqrt(played) - FINE * convicted).sum(1)
    nh = np.full(runs, 27.0 * HORIZON)
    ph = HONEST * nh + rng.normal(size=runs) * np.sqrt(nh)
    return np.column_stack([pa, played.sum(1), ph, nh])


def test_gain_sums_undo_a_rows_per_node_epoch_rates_and_match_attack_gain():
    row = {"profit_per_node_honest": 2.0, "node_epochs_honest": 100.0}
    row |= {"profit_per_node_lazy": 3.0, "node_epochs_lazy": 10.0, "profit_per_node_kb_swapping": -1.0}
    row["node_epochs_kb_swapping"] = 30.0
    sums = gain_sums(row, ["lazy", "kb_swapping"])
    assert sums == (0.0, 40.0, 200.0, 100.0)
    assert pooled_gain([sums])[0] == pytest.approx(attack_gain(row, ["lazy", "kb_swapping"]))
    assert pooled_gain([sums])[1:] == (-math.inf, math.inf)  # one run: no interval


def test_pooled_gain_is_the_ratio_of_sums_and_no_claim_without_an_attacker():
    sums = [(10.0, 5.0, 40.0, 20.0), (-100.0, 1.0, 60.0, 30.0), (12.0, 6.0, 20.0, 10.0)]
    gain, low, high = pooled_gain(sums)
    assert gain == pytest.approx(-78.0 / 12.0 - 120.0 / 60.0)
    assert low < gain < high
    assert math.isnan(pooled_gain(sums + [(0.0, 0.0, 10.0, 5.0)])[0])
    assert pooled_gain(sums + [(0.0, 0.0, 10.0, 5.0)])[2] == math.inf


@pytest.mark.parametrize("p_convict", [0.002, 0.01, 0.03])
def test_pooled_gain_estimates_the_renewal_reward_gain_and_its_upper_bound_covers_it(p_convict):
    rng = np.random.default_rng(11)
    truth = SAVING - FINE * p_convict
    reps = [pooled_gain(lumpy_runs(rng, 8, p_convict), 0.90) for _ in range(800)]
    gain, high = np.array([r[0] for r in reps]), np.array([r[2] for r in reps])
    assert abs(gain.mean() - truth) < 0.1 * max(1.0, abs(truth))  # ratio estimator: bias O(1/n), small
    assert (high >= truth).mean() >= 0.94  # the one-sided 95% bound holds (measured 0.95-0.99)


def test_the_mean_of_per_run_ratios_overstates_what_a_convicted_attacker_loses():
    """Why the red team pools: a run whose nodes are ejected after an epoch or two swamps the mean
    of per-run gains (e035: down to -133 tokens per node-epoch, sd 30), the pooled gain does not."""
    rng = np.random.default_rng(12)
    x = lumpy_runs(rng, 4000, 0.01)
    per_run = x[:, 0] / x[:, 1] - x[:, 2] / x[:, 3]
    truth = SAVING - FINE * 0.01
    assert abs(pooled_gain(x)[0] - truth) < 0.1
    assert per_run.mean() < truth - 0.5  # measured -1.86 against -1.00: biased towards deterrence


# ---- paired with the honest twin (sweep/paired.py, outcomes.paired_columns) ------------------------
TINY = {"network.nodes_per_domain": 10, "epochs": 3, "slashing.forfeit_revenue": False, "seed": 3}


def _paired_row(cheat_rate: float, swap_to: str = "low_precision") -> dict[str, float]:
    from gaia_sim import attacks
    from gaia_sim.outcomes import cell_row
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep import paired
    from gaia_sim.sweep.redteam import FROZEN

    chosen = {"diluted": {"share": 0.1, "cheat_rate": 0.02, "swap_to": swap_to}}
    over = attacks.combine(chosen) | FROZEN | TINY | {"behaviours.model_swapping.cheat_rate": cheat_rate}
    return cell_row(paired.simulate(load_scenario("scenarios/model_swap.toml").with_overrides(over)))


def test_an_attacker_that_never_cheats_gains_exactly_nothing_against_its_twin_but_not_against_other_nodes():
    """The twin serves the same ids on the same stacks and traffic streams: a model-swapping node
    with cheat rate 0 earns in the attack run exactly what it earns in the twin. Against the other
    honest nodes of its run (the unpaired gain) the stacks and traffic it drew still show."""
    from gaia_sim.outcomes import attack_gain, run_gain

    row = _paired_row(0.0)
    who = ["model_swapping"]
    assert row["paired_epochs_model_swapping"] == row["node_epochs_model_swapping"] > 0
    assert row["paired_profit_model_swapping"] == pytest.approx(
        row["profit_per_node_model_swapping"] * row["node_epochs_model_swapping"]
    )  # the per-operator totals (settle) add up to what steps.parquet sums per behaviour
    assert run_gain(gain_sums(row, who, paired=True)) == 0.0
    assert attack_gain(row, who) != 0.0


def test_paired_sums_are_nan_without_a_twin_so_no_claim_is_made():
    row = {"profit_per_node_honest": 1.0, "node_epochs_honest": 10.0, "profit_per_node_lazy": 2.0}
    row["node_epochs_lazy"] = 3.0
    assert math.isnan(pooled_gain([gain_sums(row, ["lazy"], paired=True)] * 3)[0])
    assert pooled_gain([gain_sums(row, ["lazy"], paired=True)] * 3)[2] == math.inf


# ---- where a gain comes from (outcomes.part_sums, outcomes.gain_breakdown) ---------------------------
def test_the_breakdown_adds_up_to_the_pooled_gain_and_names_each_part():
    """revenue - cost - slashed is the pooled gain, each part pooled as a ratio of sums over the same
    node-epochs: an attacker that earns 1 less, spends 3 less and is slashed 30 once in 20 node-epochs
    has parts -1, -3, +1.5 and gain +0.5."""
    from gaia_sim.outcomes import gain_breakdown, part_sums

    rows = []
    for slashed in (30.0, 0.0):  # two runs of 10 attacker node-epochs beside 100 honest ones
        row = {"node_epochs_honest": 100.0, "node_epochs_lazy": 10.0}
        row |= {"revenue_per_node_honest": 5.0, "cost_per_node_honest": 4.0, "slashed_per_node_honest": 0.0}
        row |= {"revenue_per_node_lazy": 4.0, "cost_per_node_lazy": 1.0, "slashed_per_node_lazy": slashed / 10}
        row |= {f"profit_per_node_{b}": row[f"revenue_per_node_{b}"] - row[f"cost_per_node_{b}"]
                - row[f"slashed_per_node_{b}"] for b in ("honest", "lazy")}  # fmt: skip
        rows.append(row)
    sums, parts = [gain_sums(r, ["lazy"]) for r in rows], [part_sums(r, ["lazy"]) for r in rows]
    b = gain_breakdown(sums, parts)
    assert b == pytest.approx({"revenue": -1.0, "cost": -3.0, "slashed": 1.5})
    assert b["revenue"] - b["cost"] - b["slashed"] == pytest.approx(pooled_gain(sums)[0]) == pytest.approx(0.5)
    assert gain_breakdown(sums, parts[:1]) == {}  # a run without its parts: no breakdown
    del rows[0]["cost_per_node_lazy"]
    assert gain_breakdown(sums, [part_sums(r, ["lazy"]) for r in rows]) == {}


def test_a_paired_attackers_breakdown_is_its_per_operator_totals_against_its_twin():
    """On a real paired run: the per-operator revenue and cost (settle) add up to what steps.parquet
    sums per behaviour, and the paired breakdown adds up to the paired gain. An attacker that never
    cheats has every part exactly 0; one that serves the cheaper model (4 of 18 layers removed) on 60%
    of requests spends less than its twin (the saving is the cost part, negative); one that serves
    the shipped bank's low-precision answers spends more (docs/mechanism.md)."""
    from gaia_sim.outcomes import gain_breakdown, part_sums, run_gain

    who = ["model_swapping"]
    idle, cheat = _paired_row(0.0), _paired_row(0.6, "cheaper_model")
    for part in ("revenue", "cost"):
        assert idle[f"paired_{part}_model_swapping"] == pytest.approx(
            idle[f"{part}_per_node_model_swapping"] * idle["node_epochs_model_swapping"]
        )
    assert gain_breakdown([gain_sums(idle, who, True)], [part_sums(idle, who, True)]) == {
        "revenue": 0.0, "cost": 0.0, "slashed": 0.0,
    }  # fmt: skip
    sums, parts = [gain_sums(cheat, who, True)], [part_sums(cheat, who, True)]
    b = gain_breakdown(sums, parts)
    assert b["cost"] < 0
    assert b["revenue"] - b["cost"] - b["slashed"] == pytest.approx(run_gain(sums[0]))
    dearer = _paired_row(0.6, "low_precision")  # simulated 4-bit weights computed dequantized: 0.111 s
    assert gain_breakdown([gain_sums(dearer, who, True)], [part_sums(dearer, who, True)])["cost"] > 0  # vs 0.094


# ---- what was saved and what was slashed, bounded apart (outcomes.gain_upper_bound, e040) ------------
def lumpy_runs_with_parts(rng, runs: int, p_convict: float, saving=SAVING, fine=FINE, noise=1.0):
    """:func:`lumpy_runs` with each run's parts: the attacker's revenue (profit before slashing) at
    cost 0, so what it was slashed is ``fine`` per conviction."""
    t = rng.geometric(p_convict, size=(runs, NODES))
    played, convicted = np.minimum(t, HORIZON), t <= HORIZON
    revenue = ((HONEST + saving) * played + noise * rng.normal(size=played.shape) * np.sqrt(played)).sum(1)
    nh = np.full(runs, 27.0 * HORIZON)
    ph = HONEST * nh + noise * rng.normal(size=runs) * np.sqrt(nh)
    sums = np.column_stack([revenue - fine * convicted.sum(1), played.sum(1), ph, nh])
    return sums, [{"revenue": (r, 0.0), "cost": (0.0, 0.0)} for r in revenue]


def test_what_a_run_was_slashed_is_its_revenue_less_cost_less_profit_and_no_parts_make_no_claim():
    from gaia_sim.outcomes import slashed_per_run, split_upper_bound

    sums = [(-90.0, 10.0, 20.0, 10.0), (12.0, 10.0, 20.0, 10.0)]
    parts = [{"revenue": (20.0, 25.0), "cost": (10.0, 5.0)}, {"revenue": (20.0, 25.0), "cost": (8.0, 5.0)}]
    assert slashed_per_run(sums, parts).tolist() == [100.0, 0.0]
    assert np.isnan(slashed_per_run(sums, parts[:1])).all()
    assert split_upper_bound(sums, parts[:1], 100.0, 10.0, 0.01, 0.01) == math.inf
    assert split_upper_bound(sums, parts, 0.0, 10.0, 0.01, 0.01) == math.inf  # no fine: no claim


def test_only_a_run_that_lost_a_whole_fine_counts_towards_the_slashed_bound():
    """Markov: E[S] >= F P(S >= F). 20 runs, half slashed 99 against a fine of 100: none counts, and
    the bound is the bound of what was made before slashing; at 100 they count and lower it."""
    from gaia_sim.outcomes import pooled_gain, split_upper_bound

    rng = np.random.default_rng(3)
    made = 1.0 + 0.01 * rng.normal(size=20)
    for lost, lowered in ((99.0, False), (100.0, True)):
        slashed = np.where(np.arange(20) % 2 == 0, lost, 0.0)
        sums = np.column_stack([10 * made - slashed, np.full(20, 10.0), np.full(20, 5.0), np.full(20, 10.0)])
        parts = [{"revenue": (10 * m, 5.0), "cost": (0.0, 0.0)} for m in made]
        unslashed = sums.copy()
        unslashed[:, 0] = 10 * made
        made_high = pooled_gain(unslashed, 0.98)[2]
        bound = split_upper_bound(sums, parts, 100.0, 10.0, 0.01, 0.01)
        assert (bound < made_high - 1.0) == lowered and bound <= made_high


@pytest.mark.parametrize("p_convict", [0.002, 0.01, 0.03])
def test_the_split_bound_covers_the_renewal_reward_gain(p_convict):
    """The combined bound at LEVEL 0.90 (one-sided 95%) covers SAVING - FINE x p_convict over 20 runs
    (measured 0.97-1.00) and, where the split is used, never lies above the t bound at the error it
    keeps."""
    from gaia_sim.outcomes import ERROR_SPLIT, gain_upper_bound

    rng = np.random.default_rng(21)
    truth, covered = SAVING - FINE * p_convict, 0
    for _ in range(400):
        sums, parts = lumpy_runs_with_parts(rng, 20, p_convict)
        high, _ = gain_upper_bound(sums, parts, FINE, NODES * HORIZON, 0.90)
        assert high <= pooled_gain(sums, 1.0 - 0.1 * ERROR_SPLIT[0])[2] + 1e-12
        covered += high >= truth
    assert covered / 400 >= 0.94


def test_the_split_bound_decides_a_near_honest_attack_the_t_bound_leaves_open():
    """An attack that saves 0.01 per node-epoch and is convicted at 5e-4 per node-epoch (fine 1,000,
    2 nodes x 60 epochs, 40 runs, paired-size noise): its gain is -0.49, yet one conviction in one run
    of 40 widens the t bound by ~0.5. Below 0 in 0.69 of repetitions against the t bound's 0.40
    (e040 addendum 1); covered as often. What it would gain if never convicted (the saving, 0.01) is
    bounded tightly and covered too."""
    from gaia_sim.outcomes import gain_upper_bound

    rng = np.random.default_rng(5)
    split, t, covered, never = 0, 0, 0, []
    for _ in range(400):
        sums, parts = lumpy_runs_with_parts(rng, 40, 5e-4, saving=0.01, fine=1000.0, noise=0.1)
        high, if_never = gain_upper_bound(sums, parts, 1000.0, NODES * HORIZON, 0.90)
        split, t, covered = split + (high < 0), t + (pooled_gain(sums, 0.90)[2] < 0), covered + (high >= -0.49)
        never.append(if_never)
    assert split >= t + 80 and covered / 400 >= 0.94
    assert (np.array(never) >= 0.01).mean() >= 0.94 and np.median(never) < 0.05


def test_below_twenty_runs_the_t_bound_keeps_the_whole_error():
    from gaia_sim.outcomes import SPLIT_MIN_RUNS, gain_upper_bound

    sums, parts = lumpy_runs_with_parts(np.random.default_rng(8), SPLIT_MIN_RUNS - 1, 0.01)
    assert gain_upper_bound(sums, parts, FINE, NODES * HORIZON, 0.90) == (pooled_gain(sums, 0.90)[2], math.inf)


def test_the_attackers_capacity_is_its_node_count_times_epochs_and_no_run_plays_more():
    """redteam.attacker_capacity, on a real paired run: 10% of 10 nodes x 3 epochs; an attacker that
    never cheats plays all of them, one that always cheats at most that (ejection only shortens)."""
    from gaia_sim import attacks
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep.redteam import FROZEN, attacker_capacity

    chosen = {"diluted": {"share": 0.1, "cheat_rate": 0.02, "swap_to": "low_precision"}}
    over = attacks.combine(chosen) | FROZEN | TINY
    capacity = attacker_capacity(load_scenario("scenarios/model_swap.toml").with_overrides(over), ["model_swapping"])
    assert capacity == 1 * 3
    assert _paired_row(0.0)["paired_epochs_model_swapping"] == capacity
    assert _paired_row(1.0)["paired_epochs_model_swapping"] <= capacity
    assert attacker_capacity(load_scenario("scenarios/model_swap.toml").with_overrides(over), ["lazy"]) == 0.0
