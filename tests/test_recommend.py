"""gaia-sim recommend (gaia_sim/sweep/recommend.py) and the red team over the attacker registry
(gaia_sim/sweep/redteam.search_attacks): tiny budgets, real simulations."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from gaia_sim import costs
from gaia_sim.attacks import Choice
from gaia_sim.errors import UserError
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam

#: Tiny: 10 nodes; only slashing deters (no revenue forfeited), so a stake of 0 deters nothing.
TINY = {"network.nodes_per_domain": 10, "epochs": 3, "slashing.forfeit_revenue": False}


@pytest.fixture(scope="module")
def tiny():
    return load_scenario("scenarios/model_swap.toml").with_overrides(TINY)


@pytest.fixture(scope="module")
def answers(tiny):
    from gaia_sim.runner import load_answers

    return load_answers(tiny.answers)


def test_design_cost_by_hand(tiny):
    s = tiny.with_overrides({"staking.node_stake": 200.0, "network.validators": 3, "probes.questions_per_epoch": 2,
                             "probes.samples_per_question": 2, "validation.canaries_per_epoch": 1})  # fmt: skip
    c = rec.design_cost(s)
    per_token = float(costs.capital_cost(1.0, s.staking.capital_rate, s.network.epoch_hours))
    assert c["capital_per_epoch"] == pytest.approx((10 * 200.0 + 3 * 5000.0) * per_token)
    # 3 validators x (reward 5 + (10 probed + 1 canary) x 2 questions x 2 samples x 0.01 per answer)
    assert c["validator_per_epoch"] == pytest.approx(3 * (5.0 + 11 * 2 * 2 * 0.01))
    assert c["total"] == pytest.approx(c["capital_per_epoch"] + c["validator_per_epoch"])


def test_closed_form_prunes_a_stake_too_low_to_deter(tiny, answers):
    known = [{"model_swap": {"share": 0.2, "swap_to": "cheaper_model"}}]
    low = rec.bounds(tiny.with_overrides({"staking.node_stake": 0.0}), answers, known)
    high = rec.bounds(tiny.with_overrides({"staking.node_stake": 500.0}), answers, known)
    assert low["deterrence"] < 0 <= high["deterrence"]  # with no stake and no forfeit, cheating always pays
    # participation: a stake whose capital cost exceeds what an honest node earns is pruned too
    rich = rec.bounds(tiny.with_overrides({"staking.node_stake": 1e7}), answers, known)
    assert rich["participation"] < 0 <= high["participation"]


def test_recommend_never_picks_a_stake_that_does_not_deter_and_writes_a_runnable_scenario(tiny, answers, tmp_path):
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import to_toml

    levers = {"staking.node_stake": Choice((0.0, 500.0)), "slashing.slash_fraction": Choice((0.5,)),
              "slashing.rule": Choice(("fixed_fraction",))}  # fmt: skip
    # 8-epoch attack runs: a model swapper is convicted within them in every seed (p ~ 0.5 per epoch)
    plan = dataclasses.replace(rec.budget("tiny"), epochs=8, confirm_seeds=3)
    out = rec.recommend(tiny, plan, seed=1, levers=levers, max_false_slash=0.05, answers=answers, progress=False,
                        deployments=["model_swap"])  # fmt: skip
    assert out.history, "nothing was verified"
    assert all(v.levers["staking.node_stake"] == 500.0 for v in out.history)  # stake 0 never even simulated
    assert out.pruned["closed_form"] >= 1
    assert out.found, out.best.constraints
    best = out.best
    assert best.constraints["deterrence"]["value"] <= 0 and best.constraints["false_slashing"]["value"] <= 0.05
    b = rec.bounds(best.scenario, answers, [a.chosen for a in best.attacks])
    assert b["deterrence"] >= 0 and b["participation"] >= 0  # deterred per the closed form's bounds
    path = tmp_path / "design.toml"
    path.write_text(to_toml(best.scenario))
    again = load_scenario(path)
    assert again.hash == best.scenario.hash and again.staking.node_stake == 500.0
    assert simulate(again.with_overrides({"epochs": 1}), answers=answers).summary
    record = rec.as_json(out, "tiny.toml")
    assert record["status"] == "recommended" and set(record["cost"]) == {
        "capital_per_epoch",
        "validator_per_epoch",
        "total",
    }
    assert {"name", "params", "profit_over_honest", "ci_low", "ci_high"} <= set(record["attacks"][0])
    assert {"false_slashing", "participation", "validator_participation", "deterrence"} == set(record["constraints"])
    from gaia_sim.attacks import describe
    from gaia_sim.sweep.cli_recommend import _finite, text

    printed = text(_finite(record), out, tmp_path, "tiny", 1.0)  # what `gaia-sim recommend` prints
    assert f"{describe(record['attacks'][0]['params'])}" in printed  # attacks labelled as the registry does
    assert "staking.node_stake" in printed and f"{tmp_path}/tiny.toml" in printed


def test_a_rate_measured_with_more_questions_and_samples_bounds_the_rates_of_fewer():
    def key(rule="dispute", questions=3, samples=3, pool="all", kind="all", detector="default", committee=()):
        return (rule, questions, samples, pool, kind, detector, *committee)  # in the order of rec.DETECTION

    assert len(key()) == len(rec.POWER) and len(key(committee=(1, 5, 0.5))) == len(rec.DETECTION)
    measured = key()
    assert rec.no_stronger(key(questions=2), measured) and rec.no_stronger(measured, measured)
    assert rec.no_stronger(key(samples=2), measured)
    assert not rec.no_stronger(key(questions=5, samples=2), measured)  # more questions: maybe stronger
    assert not rec.no_stronger(key(rule="fixed_fraction", questions=2, samples=2), measured)  # another rule
    assert not rec.no_stronger(key(questions=2, samples=2, pool="secret"), measured)  # another question pool
    assert not rec.no_stronger(key(questions=2, kind="kb"), measured)  # another question kind
    shielded = key(committee=(1, 5, 0.5))  # with the committee's levers: those must be equal
    assert rec.no_stronger(key(questions=2, committee=(1, 5, 0.5)), shielded)
    assert not rec.no_stronger(key(questions=2, committee=(1, 3, 0.5)), shielded)
    assert not rec.no_stronger(key(questions=2), shielded)


def test_the_detector_is_a_lever_and_a_rate_measured_with_one_detector_never_stands_for_the_other(tiny):
    drawn = rec.candidates(tiny, rec.LEVERS, 40, seed=1)
    assert {c["detector.name"] for c in drawn} == {"default", "default_nearest"}
    assert drawn[0]["detector.name"] == tiny.detector.name  # the scenario's own design comes first
    chosen = {"model_swap": {"share": 0.2, "swap_to": "cheaper_model"}}
    plain = rec.detection_key(tiny.with_overrides({"detector.name": "default"}), chosen)
    nearest = rec.detection_key(tiny.with_overrides({"detector.name": "default_nearest"}), chosen)
    assert plain != nearest and not rec.no_stronger(plain, nearest) and not rec.no_stronger(nearest, plain)
    assert rec.design_cost(tiny.with_overrides({"detector.name": "default_nearest"})) == rec.design_cost(tiny)


def _lost_to(design, gains, probed=100.0, guilty=50.0, node_epochs=0.0, rates=()):
    """A verdict on ``design`` that failed only on deterrence, against one model swap with these
    per-seed gains and guilty verdicts (``node_epochs`` and per-seed verdict ``rates``: the counts
    the refined spread reads; without them the spread grows wholly with the fine)."""
    from gaia_sim.outcomes import mean_interval

    chosen = {"model_swap": {"share": 0.2, "swap_to": "cheaper_model"}}
    counts = {"attacker_probed": probed, "attacker_guilty": guilty, "attacker_node_epochs": node_epochs}
    score = redteam.AttackScore(chosen, gains, *mean_interval(gains, redteam.LEVEL), counts=counts,
                                verdict_rates=tuple(rates))  # fmt: skip
    ok = {"pass": True}
    constraints = {"false_slashing": ok, "participation": ok, "deterrence": {"pass": False, "value": score.ci_high}}
    levers = {"staking.node_stake": design.staking.node_stake, "slashing.slash_fraction": 0.5}
    return rec.Verdict(levers, design, rec.design_cost(design), [score], constraints)


def test_repair_raises_the_fine_to_where_the_measured_profit_and_its_spread_project_a_loss(tiny, answers):
    from gaia_sim import deterrence

    design = tiny.with_overrides({"staking.node_stake": 20.0, "slashing.slash_fraction": 0.5})
    failed = _lost_to(design, (1.0, 1.3, 0.7))
    lv, fixed = rec.repair(failed, tiny, answers, rec.LEVERS)
    assert lv["slashing.slash_fraction"] == 1.0 == fixed.slashing.slash_fraction
    assert fixed.staking.node_stake == lv["staking.node_stake"] and fixed.staking.node_stake > 0.5 * 20.0
    # projection by an independent route: the closed form's margin at both fines (finite difference)
    score = failed.attacks[0]
    attacked = {
        s: d.with_overrides(rec.attacks_mod.combine(score.chosen)) for s, d in (("old", design), ("new", fixed))
    }

    def margin(s, fine):
        over = {"staking.node_stake": fine, "slashing.slash_fraction": 1.0}
        d = deterrence.from_scenario(attacked[s].with_overrides(over), answers, behaviour="model_swapping",
                                     tpr=0.5, fpr=0.0, verdict_rates=True)  # fmt: skip
        return d.margin

    fine0, target = 10.0, fixed.staking.node_stake / rec.REPAIR_SAFETY
    gain = score.mean - (margin("new", target) - margin("old", fine0))
    spread = (score.ci_high - score.mean) * target / fine0
    assert gain + spread == pytest.approx(0.0, abs=0.02 * score.ci_high)  # the bound lands on zero
    # noise the detection slope cannot beat: no fine deters, so no repair
    assert rec.repair(_lost_to(design, (1.0, 60.0, -40.0), guilty=5.0), tiny, answers, rec.LEVERS) is None
    # a design that failed on participation is not repaired by adding stake
    poor = _lost_to(design, (1.0, 1.3, 0.7))
    poor.constraints["participation"] = {"pass": False}
    assert rec.repair(poor, tiny, answers, rec.LEVERS) is None


def test_repair_spread_grows_with_the_slashes_not_with_all_of_todays_noise(tiny, answers):
    """A cheap design's spread across seeds is mostly not slashing (few, small slashes): taking all
    of it to grow with the fine (the spread without counts) projects no deterring fine, while the
    slashes' own standard error does, and the projected bound then lands on zero. Clumpy verdicts
    (seeds far apart) widen the slashes' part and raise the fine."""
    from scipy import stats

    design = tiny.with_overrides({"staking.node_stake": 20.0, "slashing.slash_fraction": 0.5})
    gains = (1.0, 1.6, 0.4)
    # 1 guilty verdict per 10 node-epochs, 3 seeds of 200 node-epochs, probed every epoch
    counts = dict(probed=600.0, guilty=60.0, node_epochs=600.0)
    assert rec.repair(_lost_to(design, gains, probed=600.0, guilty=60.0), tiny, answers, rec.LEVERS) is None
    steady = _lost_to(design, gains, **counts, rates=(0.1, 0.1, 0.1))
    lv, fixed = rec.repair(steady, tiny, answers, rec.LEVERS)
    score, fine0 = steady.attacks[0], 10.0
    w0, lump = rec.spread(score, fine0, factor=1.0)
    t = stats.t.ppf(0.95, 2)
    assert w0 == pytest.approx(score.ci_high - score.mean) and lump == pytest.approx(t * (0.1 * 0.9 / 600) ** 0.5)
    fine = fixed.staking.node_stake / rec.REPAIR_SAFETY  # at slash fraction 1
    assert fine > fine0 and lv["slashing.slash_fraction"] == 1.0
    # the same projection by hand: the closed form's slope from two fines, then the bound at `fine`
    from gaia_sim import deterrence

    attacked = design.with_overrides(rec.attacks_mod.combine(score.chosen))

    def closed_form(f):
        over = {"staking.node_stake": f, "slashing.slash_fraction": 1.0}
        return deterrence.from_scenario(attacked.with_overrides(over), answers, behaviour="model_swapping",
                                        tpr=0.1, fpr=0.0, verdict_rates=True)  # fmt: skip

    slope = closed_form(fine0 + 1.0).margin - closed_form(fine0).margin  # the margin's gain per token of fine
    w0, lump = rec.spread(score, fine0, closed_form(fine0).rule_factor)
    bound = score.mean - slope * (fine - fine0) + (w0**2 + (lump * fine) ** 2) ** 0.5
    assert bound == pytest.approx(0.0, abs=0.02 * score.ci_high)
    clumpy = _lost_to(design, gains, **counts, rates=(0.07, 0.1, 0.13))
    assert rec.repair(clumpy, tiny, answers, rec.LEVERS)[1].staking.node_stake > fixed.staking.node_stake


def test_repair_prices_only_the_verdicts_that_slash_under_the_evidence_threshold_rule(tiny, answers):
    """Measured (large budget, --attacks model_swap): four repairs in a row of an evidence_threshold
    design raised the stake 27 -> 225 and the attack's profit did not move, its guilty verdicts never
    reaching the threshold. The repair now takes the measured slashes per guilty verdict: none, no
    repair; all of them, the same repair as a rule that slashes every verdict."""
    design = tiny.with_overrides(
        {"staking.node_stake": 20.0, "slashing.slash_fraction": 0.5, "slashing.rule": "evidence_threshold"}
    )
    counts = dict(probed=600.0, guilty=60.0, node_epochs=600.0, rates=(0.1, 0.1, 0.1))
    never = _lost_to(design, (1.0, 1.6, 0.4), **counts)
    never.attacks[0].counts["attacker_slashes"] = 0.0
    assert rec.slash_share(never.attacks[0]) == 0.0 and rec.repair(never, tiny, answers, rec.LEVERS) is None
    every = _lost_to(design, (1.0, 1.6, 0.4), **counts)
    every.attacks[0].counts["attacker_slashes"] = 60.0
    fixed = rec.repair(every, tiny, answers, rec.LEVERS)
    plain = _lost_to(design.with_overrides({"slashing.rule": "fixed_fraction"}), (1.0, 1.6, 0.4), **counts)
    assert (
        fixed is not None
        and fixed[1].staking.node_stake == rec.repair(plain, tiny, answers, rec.LEVERS)[1].staking.node_stake
    )
    half = _lost_to(design, (1.0, 1.6, 0.4), **counts)
    half.attacks[0].counts["attacker_slashes"] = 30.0
    assert rec.repair(half, tiny, answers, rec.LEVERS)[1].staking.node_stake > fixed[1].staking.node_stake


def test_red_team_is_reproducible_and_finds_a_profitable_attack_on_a_design_without_stake(tiny):
    design = tiny.with_overrides({"staking.node_stake": 0.0, "network.nodes_per_domain": 8, "epochs": 2})
    kw = dict(trials=2, seed=5, seeds=1, confirm=1, confirm_seeds=2, batch=2, deployments=["kb_skip", "cache_replay"])
    first, second = redteam.search_attacks(design, **kw), redteam.search_attacks(design, **kw)
    assert [t.chosen for t in first.trials] == [t.chosen for t in second.trials]
    assert first.best.gains == second.best.gains and math.isfinite(first.best.mean)
    assert set(first.best.chosen) & {"kb_skip", "cache_replay"}
    # with nothing to lose (no stake, no forfeited revenue) skipping work is pure saving
    assert max(t.mean for t in first.trials) > 0


def test_bad_input_is_one_line(tmp_path, capsys):
    from gaia_sim.cli import main

    assert main(["recommend", "scenarios/model_swap.toml", "--budget", "huge"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--budget 'huge': allowed: tiny, small, medium, large" in err
    assert main(["recommend", str(tmp_path / "missing.toml"), "--budget", "tiny"]) == 2
    assert "no such scenario file" in capsys.readouterr().err
    assert main(["recommend", "scenarios/model_swap.toml", "--attacks", "teleport"]) == 2
    assert "--attacks 'teleport': allowed" in capsys.readouterr().err
    with pytest.raises(UserError, match="TRIALS must be a whole number"):
        rec.budget("small:x")
    assert rec.budget("small:5").trials == 5
    assert main(["recommend", "scenarios/model_swap.toml", "--second-look", "-1"]) == 2
    assert "--second-look: must be a whole number of seeds >= 0, got -1" in capsys.readouterr().err
    assert main(["recommend", "scenarios/model_swap.toml", "--tolerance", "-0.1"]) == 2
    assert "--tolerance: must be a number >= 0 (tokens per node-epoch), got -0.1" in capsys.readouterr().err
    assert rec.budget("large:8", 35) == dataclasses.replace(rec.budget("large"), trials=8, more_seeds=35)


def test_recommendation_json_written_by_the_cli_is_plain_json(tmp_path, capsys):
    from gaia_sim.sweep.cli_recommend import _finite

    doc = _finite({"a": math.inf, "b": [math.nan, 1.0], "c": {"d": -math.inf}})
    assert json.loads(json.dumps(doc, allow_nan=False)) == {"a": None, "b": [None, 1.0], "c": {"d": None}}


def _largest_share(chosen) -> float:
    return max((float(p["share"]) for p in chosen.values() if "share" in p), default=0.0)


def test_the_threat_model_caps_every_attack_the_red_team_tries(tiny):
    """--max-share: no trial, enqueued known attacks included, deploys more than that share."""
    from gaia_sim import attacks

    design = tiny.with_overrides({"network.nodes_per_domain": 8, "epochs": 2})
    known = [{"cache_replay": {"share": 0.45, "skip_rate": 1.0}}]
    kw = dict(trials=3, seed=2, seeds=1, confirm=1, confirm_seeds=2, batch=3, deployments=["cache_replay", "kb_skip"])
    out = redteam.search_attacks(design, known=known, max_share=0.2, **kw)
    assert out.trials and all(_largest_share(t.chosen) <= 0.2 for t in out.trials)
    assert out.trials[0].chosen["cache_replay"]["share"] == 0.2  # the known attack, lowered to the cap
    assert all(_largest_share(t.chosen) <= 0.2 for t in out.confirmed)
    assert attacks.within_share({"burst": {"epoch_share": 0.9}}, 0.2) == {"burst": {"epoch_share": 0.9}}


def test_max_share_out_of_range_is_one_line(tmp_path, capsys):
    from gaia_sim.cli import main

    assert main(["recommend", "scenarios/model_swap.toml", "--max-share", "0.6", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--max-share 0.6: allowed" in err and "Traceback" not in err and not any(tmp_path.iterdir())


def test_after_a_deterrence_failure_the_search_asks_more_answers_first(tiny, answers):
    """Escalation (recommend's docstring): with ``floor`` set by a design that failed on deterrence,
    the next candidate verified is the cheapest whose probes ask more answers than the floor, not
    the cheapest overall; when no such candidate is left, the search returns to the cheapest."""
    known = [{"model_swap": {"share": 0.2, "swap_to": "cheaper_model"}}]
    shapes = [(2, 2), (2, 3), (3, 2), (5, 3)]  # (questions, samples) in pool (cost) order
    pool = []
    for q, n in shapes:
        lv = {"probes.questions_per_epoch": q, "probes.samples_per_question": n, "staking.node_stake": 500.0}
        pool.append((lv, tiny.with_overrides(lv)))
    assert [rec.answers_per_probe(d) for _, d in pool] == [4, 6, 6, 15]
    pruned = {"closed_form": 0, "measured_rates": 0}
    assert rec._next(pool, set(), dict(pruned), answers, known, []) == 0  # no failure yet: the cheapest
    assert rec._next(pool, set(), dict(pruned), answers, known, [], floor=4) == 1  # more than 4 answers
    assert rec._next(pool, set(), dict(pruned), answers, known, [], floor=6) == 3  # more than 6
    assert rec._next(pool, {3}, dict(pruned), answers, known, [], floor=6) == 0  # none left above: the cheapest


def test_a_design_honest_validators_lose_money_on_fails_validator_participation(tiny):
    """Canaries scored on every miss slash honest validators (each misses some); with the stake
    they lose per epoch above their reward the design fails, and passes with canaries scored only on
    detectable misses. No measurement fails (pessimistic)."""
    from gaia_sim.runner import simulate

    def check(**overrides):
        design = tiny.with_overrides({"population.honest": 1.0, "population.model_swapping": 0.0, **overrides})
        return rec.validator_participation(design, [simulate(design).summary])

    kept = check(**{"validation.canaries_per_epoch": 2, "validation.canary_scoring": "detectable_miss"})
    lost = check(**{"validation.canaries_per_epoch": 2, "validation.canary_scoring": "every_miss"})
    assert kept["pass"] and kept["simulated_validator_profit"] > 0, kept
    assert not lost["pass"] and lost["simulated_validator_profit"] < kept["simulated_validator_profit"], lost
    assert not rec.validator_participation(tiny, [{}])["pass"]


class _GainBySeed(redteam.Runner):
    """A stand-in for the simulations (named as one): each run's row gives the attacker (lazy nodes)
    the profit over honest ``gains[seed]``; the second look's wiring is what is tested."""

    gains: dict = {}

    def rows(self, scenarios, progress=None):
        rows = []
        for s in scenarios:
            g = self.gains[s.seed]
            rows.append({"node_epochs_lazy": 10.0, "node_epochs_honest": 20.0, "profit_per_node_lazy": g,
                         "profit_per_node_honest": 0.0, "guilty_lazy": 1.0, "probed_lazy": 10.0})  # fmt: skip
            if progress is not None:
                progress.update(1)
        return rows


class _PairedBySeed(_GainBySeed):
    """The same stand-in with twin columns: the attacker's own nodes earn ``gains[seed] - 1`` less
    in the twin than in the attack run; the other honest nodes earn 0 (so unpaired gain = gains)."""

    def rows(self, scenarios, progress=None):
        rows = super().rows(scenarios, progress)
        for r in rows:
            r |= {"paired_profit_lazy": 10.0 * r["profit_per_node_lazy"], "paired_epochs_lazy": 10.0}
            r |= {"twin_profit_lazy": 10.0 * (r["profit_per_node_lazy"] - 1.0), "twin_epochs_lazy": 10.0}
        return rows


def test_a_paired_runner_scores_attacks_against_their_twins(tiny):
    from gaia_sim.outcomes import pooled_gain

    runner, plain = _PairedBySeed(backend=redteam.PAIRED_BACKEND), _GainBySeed()
    runner.gains = plain.gains = {1: 5.0, 2: -3.0, 3: 0.5}
    chosen = {"cache_replay": {"share": 0.2, "skip_rate": 0.5}}
    (score,) = redteam.score_attacks(tiny, [chosen], [1, 2, 3], runner)
    assert runner.paired and score.gains == (1.0, 1.0, 1.0)  # each seed: exactly 1 over its own twin
    assert (score.mean, score.ci_high) == (1.0, 1.0)
    assert score.sums == ((50.0, 10.0, 40.0, 10.0), (-30.0, 10.0, -40.0, 10.0), (5.0, 10.0, -5.0, 10.0))
    assert (score.mean, score.ci_low, score.ci_high) == pooled_gain(score.sums, redteam.LEVEL)
    (unpaired,) = redteam.score_attacks(tiny, [chosen], [1, 2, 3], plain)
    assert not plain.paired and unpaired.gains == (5.0, -3.0, 0.5)


def _second_look_runner(first: list[float], more: list[float]) -> _GainBySeed:
    from gaia_sim.rng import spawn_seeds

    seeds = spawn_seeds(7, 1 + len(first) + len(more))[1:]  # after the search's seed (no trial runs on it)
    runner = _GainBySeed()
    runner.gains = dict(zip(seeds, first + more))
    return runner


@pytest.mark.parametrize(
    "first, stake, rescored",
    [
        ([-6.0, 4.0, -3.0, 2.0, -7.0], 1000.0, True),  # mean -2, bound > 0: undecided, rescored on 15 more seeds
        ([-2.1, -1.9, -2.0, -2.2, -1.8], 1000.0, False),  # deterred at the first look (97.5% bound < 0)
        ([3.0, 1.0, -1.0, 2.0, 0.0], 1.0, False),  # profitable in the mean, and a fine of 0.5 cannot change that
        # profitable in the mean without a slash in 50 node-epochs; at a fine of 500 the convictions its 5 seeds
        # may have missed (Poisson 97.5% bound 3.69 / 50 node-epochs) would make it lose: undecided
        ([3.0, 1.0, -1.0, 2.0, 0.0], 1000.0, True),
    ],
)
def test_only_an_undecided_attack_gets_a_second_look_judged_on_all_seeds(tiny, first, stake, rescored):
    from gaia_sim.outcomes import mean_interval, pooled_gain

    more = [-2.0 + 0.5 * ((-1) ** i) for i in range(15)]
    runner = _second_look_runner(first, more)
    chosen = {"cache_replay": {"share": 0.2, "skip_rate": 0.5}}
    kw = dict(seed=7, seeds=1, confirm=0, confirm_seeds=5, runner=runner, required=[chosen], trials=0)
    tiny = tiny.with_overrides({"staking.node_stake": stake})  # slash fraction 0.5: a fine of stake / 2
    out = redteam.search_attacks(tiny, more_seeds=15, **kw).confirmed[0]
    assert out.level == redteam.TWO_LOOK_LEVEL
    assert out.gains == tuple(first + more if rescored else first)
    assert (out.mean, out.ci_low, out.ci_high) == pooled_gain(out.sums, redteam.TWO_LOOK_LEVEL)
    # alike runs (same node-epochs, same honest profit): pooled over seeds = the mean of per-seed gains
    assert out.mean == pytest.approx(mean_interval(out.gains, redteam.TWO_LOOK_LEVEL)[0])
    assert out.ci_high == pytest.approx(mean_interval(out.gains, redteam.TWO_LOOK_LEVEL)[2])
    assert out.counts["attacker_node_epochs"] == 10.0 * len(out.gains)
    once = redteam.search_attacks(tiny, **kw).confirmed[0]  # no second look: one look at 90%
    assert once.level == redteam.LEVEL and once.gains == tuple(first)
    if rescored:
        assert out.ci_high < 0 < once.ci_high  # the second look decided what one look could not


def test_unseen_slashes_are_the_fine_times_the_poisson_bound_beyond_the_slashes_seen():
    """unseen_slashes: the exact (Garwood) one-sided upper bound on the attacker's slash rate, less the
    rate seen, times the fine: P(at most k slashes | the bound's mean) = 1 - q, by SciPy's Poisson."""
    from scipy import stats

    for k, n in ((0, 600.0), (3, 600.0), (40, 2400.0)):
        score = redteam.AttackScore({}, (0.5,), 0.5, 0.4, 0.6, counts={"attacker_node_epochs": n,
                                    "attacker_slashes": float(k)}, level=redteam.TWO_LOOK_LEVEL)  # fmt: skip
        upper = redteam.unseen_slashes(score, 1.0) * n + k  # the bound on the expected slashes
        assert stats.poisson.cdf(k, upper) == pytest.approx(0.025, abs=1e-9)
        assert redteam.unseen_slashes(score, 3540.0) == pytest.approx(3540.0 * (upper - k) / n)
    assert redteam.unseen_slashes(score, 0.0) == 0.0
    none = redteam.AttackScore({}, (0.5,), 0.5, 0.4, 0.6, counts={"attacker_node_epochs": 0.0})
    assert redteam.unseen_slashes(none, 3540.0) == 0.0  # no node deployed: nothing to be convicted
    # e038's hold-out: no-KB bursts, +0.52 on 5 seeds without a slash in ~500 node-epochs, fine 3,540
    e038 = redteam.AttackScore({}, (0.52,) * 5, 0.519, 0.507, 0.531, counts={"attacker_node_epochs": 500.0},
                               level=redteam.TWO_LOOK_LEVEL)  # fmt: skip
    assert redteam.undecided(e038, 0.0, 3540.0) and not redteam.undecided(e038, 0.0, 26.0)


def test_two_looks_keep_the_chance_of_calling_a_break_even_attack_deterred_within_5_percent():
    """An attack that breaks even (true mean 0, normal seeds): called deterred (bound < 0) at either
    look in <= 5% of searches (Bonferroni, TWO_LOOK_LEVEL); at one look's 90% level twice it would be
    more (measured here as well: the test fails if the correction is dropped)."""
    import numpy as np

    from gaia_sim.outcomes import mean_interval

    rng = np.random.default_rng(3)

    def deterred(level: float) -> float:
        calls = 0
        for _ in range(4000):
            g = list(rng.normal(0.0, 1.0, 20))
            first = redteam.AttackScore({}, tuple(g[:5]), *mean_interval(g[:5], level), level=level)
            if redteam.undecided(first, 0.0):
                more = redteam.AttackScore({}, tuple(g[5:]), *mean_interval(g[5:], level), level=level)
                first = first.extended(more)
            calls += first.ci_high <= 0
        return calls / 4000

    corrected, naive = deterred(redteam.TWO_LOOK_LEVEL), deterred(redteam.LEVEL)
    assert corrected <= 0.05 < naive


def test_repair_raises_the_validators_reward_by_what_they_lost(tiny, answers):
    """A design honest validators lose money on is repaired by paying them the loss (x 1.1, rounded
    up), keeping every other lever; with deterrence failed too, the fine is raised as well; without a
    measurement there is no repair."""
    design = tiny.with_overrides({"staking.node_stake": 20.0, "slashing.slash_fraction": 0.5})
    lost = _lost_to(design, (-1.0, -1.3, -0.7))
    lost.constraints["deterrence"] = {"pass": True, "value": -0.1}
    lost.constraints["validator_participation"] = {"pass": False, "value": -2.0}
    lv, fixed = rec.repair(lost, tiny, answers, rec.LEVERS)
    assert lv == lost.levers | {"rewards.validator_reward": 7.2}  # 5 + 1.1 x 2.0
    assert fixed.rewards.validator_reward == 7.2 and fixed.staking.node_stake == 20.0
    assert rec.design_cost(fixed)["validator_per_epoch"] > rec.design_cost(design)["validator_per_epoch"]
    both = _lost_to(design, (1.0, 1.3, 0.7))
    both.constraints["validator_participation"] = {"pass": False, "value": -0.004}
    lv, fixed = rec.repair(both, tiny, answers, rec.LEVERS)
    assert lv["rewards.validator_reward"] == 5.01  # 5.0044 rounded up
    assert lv["staking.node_stake"] * lv["slashing.slash_fraction"] > 20.0 * 0.5  # and a larger fine
    both.constraints["validator_participation"]["value"] = math.nan
    assert rec.repair(both, tiny, answers, rec.LEVERS) is None
    both.constraints["validator_participation"] = {"pass": True, "value": 1.0}
    both.constraints["participation"] = {"pass": False}  # node participation is not for sale
    assert rec.repair(both, tiny, answers, rec.LEVERS) is None


def test_validators_profit_moves_token_for_token_with_their_reward(tiny):
    """What the reward repair rests on: each honest validator-epoch gains exactly the added reward."""
    from gaia_sim.runner import simulate

    null = tiny.with_overrides({"population.model_swapping": 0.0, "population.honest": 1.0, "epochs": 3})
    profit = lambda s: rec.validator_participation(s, [simulate(s).summary])["simulated_validator_profit"]  # noqa: E731
    assert profit(null.with_overrides({"rewards.validator_reward": 7.2})) - profit(null) == pytest.approx(2.2)


def test_repair_projects_the_spread_for_the_seeds_it_will_be_judged_on(tiny, answers):
    """A repair is verified over both looks' seeds, so its projected half-widths shrink from today's
    seeds (n = 3) to those (N): by t(N - 1) sqrt(n) / (t(n - 1) sqrt(N)); a smaller fine then
    suffices, and a detection too noisy to project over 3 seeds can be projected over 20."""
    from scipy import stats

    design = tiny.with_overrides({"staking.node_stake": 20.0, "slashing.slash_fraction": 0.5})
    steady = _lost_to(design, (1.0, 1.6, 0.4), probed=600.0, guilty=60.0, node_epochs=600.0, rates=(0.1,) * 3)
    score = steady.attacks[0]
    assert rec.shrink(score, 20) == pytest.approx(stats.t.ppf(0.95, 19) / stats.t.ppf(0.95, 2) * (3 / 20) ** 0.5)
    assert rec.shrink(score, 3) == rec.shrink(score, 0) == 1.0
    today = rec.repair(steady, tiny, answers, rec.LEVERS)[1].staking.node_stake
    later = rec.repair(steady, tiny, answers, rec.LEVERS, seeds=20)[1].staking.node_stake
    assert later < today
    noisy = _lost_to(design, (1.0, 1.6, 0.4), probed=600.0, guilty=60.0)  # no counts: all spread grows with F
    assert rec.repair(noisy, tiny, answers, rec.LEVERS) is None
    assert rec.repair(noisy, tiny, answers, rec.LEVERS, seeds=20) is not None


def test_the_red_team_steers_by_the_best_seed_so_one_conviction_does_not_hide_a_region():
    """e034: against a large fine one conviction on a search seed made a never-convicted region look
    ruinous in the mean. The search ranks (and confirms) attacks by their best seed's gain."""
    lumpy = redteam.AttackScore({"kb_skip": {"share": 0.07}}, (0.6, -50.0), -24.7, -math.inf, math.inf)
    steady = redteam.AttackScore({"diluted": {"share": 0.07}}, (0.3, 0.2), 0.25, -math.inf, math.inf)
    assert lumpy.best_seed == 0.6 and steady.best_seed == 0.3
    assert [s.label for s in redteam._distinct_best([steady, lumpy], 1)] == [lumpy.label]
    assert math.isnan(redteam.AttackScore({}, (0.1, math.nan), math.nan, -math.inf, math.inf).best_seed)


def test_attacks_whose_runs_came_out_identical_are_confirmed_once():
    """Shares 0.053 and 0.073 of 30 nodes both deploy 2 nodes: the same runs, one confirmation."""
    sums = ((1.0, 10.0, 2.0, 20.0), (3.0, 10.0, 2.0, 20.0))
    two = redteam.AttackScore.scored({"kb_skip": {"share": 0.053}}, (0.0, 0.2), sums, {}, (0.0, 0.0))
    copy = redteam.AttackScore.scored({"kb_skip": {"share": 0.073}}, (0.0, 0.2), sums, {}, (0.0, 0.0))
    other = redteam.AttackScore.scored({"kb_skip": {"share": 0.1}}, (0.0, 0.1), sums[:1] * 2, {}, (0.0, 0.0))
    assert [s.label for s in redteam._distinct_best([two, copy, other], 3)] == [two.label, other.label]


def test_edge_variants_move_one_continuous_parameter_to_each_end_within_the_threat_model():
    chosen = {"kb_skip": {"share": 0.07, "swap_to": "no_kb"}, "burst": {"epoch_share": 0.35, "coordinated": True}}
    got = redteam.edge_variants(chosen, max_share=0.1)
    assert got == [
        {"kb_skip": {"share": 0.05, "swap_to": "no_kb"}, "burst": {"epoch_share": 0.35, "coordinated": True}},
        {"kb_skip": {"share": 0.1, "swap_to": "no_kb"}, "burst": {"epoch_share": 0.35, "coordinated": True}},
        {"kb_skip": {"share": 0.07, "swap_to": "no_kb"}, "burst": {"epoch_share": 0.1, "coordinated": True}},
        {"kb_skip": {"share": 0.07, "swap_to": "no_kb"}, "burst": {"epoch_share": 0.9, "coordinated": True}},
    ]
    assert chosen["kb_skip"]["share"] == 0.07  # the attack itself is left as it was
    at_end = redteam.edge_variants({"kb_skip": {"share": 0.1, "swap_to": "wrong_kb"}}, max_share=0.1)
    assert at_end == [{"kb_skip": {"share": 0.05, "swap_to": "wrong_kb"}}]  # an end it holds is not repeated
    assert redteam.edge_variants({"kb_skip": {"share": 0.04, "swap_to": "no_kb"}}, max_share=0.03) == [
        {"kb_skip": {"share": 0.03, "swap_to": "no_kb"}}  # a threat model below the range's low end caps it
    ]


def test_the_red_team_scores_the_edges_of_its_best_attack_and_confirms_those_that_may_pay(tiny):
    """With no stake every attack pays, so each edge variant of the best one is confirmed, unless its
    runs came out as the best's (a share that deploys the same number of nodes)."""
    design = tiny.with_overrides({"staking.node_stake": 0.0, "network.nodes_per_domain": 8, "epochs": 2})
    kw = dict(trials=2, seed=5, seeds=1, confirm=1, confirm_seeds=2, batch=2, deployments=["kb_skip"], max_share=0.3)
    plain, around = redteam.search_attacks(design, **kw), redteam.search_attacks(design, edges=1, **kw)
    assert [t.chosen for t in around.trials[:2]] == [t.chosen for t in plain.trials]  # the same study first
    best = max(plain.trials, key=lambda t: t.best_seed).chosen
    variants = redteam.edge_variants(best, 0.3)
    assert variants and [t.chosen for t in around.trials[2:]] == variants
    paying = [t for t in around.trials[2:] if t.best_seed > 0]
    best_outcome = redteam._outcome(max(around.trials[:2], key=lambda t: t.best_seed))
    new = {redteam._outcome(t): t.chosen for t in paying if redteam._outcome(t) != best_outcome}
    confirmed = [c.chosen for c in around.confirmed]
    assert paying and all(v in confirmed for v in new.values())
    assert not any(t.chosen in confirmed for t in paying if redteam._outcome(t) == best_outcome and t.chosen != best)
    assert len(around.confirmed) == 1 + len(new)
    assert all(_largest_share(c.chosen) <= 0.3 for c in around.confirmed)


def test_the_attacks_figure_colours_what_may_pay_and_draws_where_each_gain_comes_from():
    """attacks.png (cli_recommend.fig_attacks) from recommendation.json's attacks: one row per
    attack, best at the top; red where the upper bound is above -margin, blue below; the breakdown's
    bars are revenue, -cost and -slashed (they add up to the gain). A single seed's attack has no
    bound: it is drawn as one that may pay, without an interval (pessimistic), and without bars when
    its record has no breakdown."""
    from matplotlib.colors import to_rgba

    from gaia_sim.sweep.cli_recommend import DETERRED, IMMATERIAL, PAYS, fig_attacks

    pays = {"params": {"kb_skip": {"share": 0.07}}, "profit_over_honest": 0.2, "ci_low": -0.1, "ci_high": 0.5}
    pays |= {"breakdown": {"revenue": 0.0, "cost": -0.4, "slashed": 0.2}, "level": 0.95}  # given a second look
    deterred = {"params": {"diluted": {"share": 0.05, "swap_to": "low_bit"}}, "profit_over_honest": -1.0}
    deterred |= {"ci_low": -1.5, "ci_high": -0.3, "breakdown": {"revenue": -0.1, "cost": 0.5, "slashed": 0.4}}
    lone = {"params": {"sybil_group": {"share": 0.1}}, "profit_over_honest": -2.0, "ci_low": None, "ci_high": None}
    fig = fig_attacks([pays, deterred, lone], margin=0.1)
    ax, bx = fig.axes
    colours = [to_rgba(c.lines[0].get_color()) for c in ax.containers]
    assert colours == [to_rgba(PAYS), to_rgba(DETERRED), to_rgba(PAYS)]  # bottom row first: lone, deterred, pays
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "kb_skip(share=0.07)"
    widths = np.array([[p.get_width() for p in c.patches] for c in bx.containers])  # (part, row)
    assert np.isnan(widths[:, 0]).all()  # lone: no breakdown, no bars
    assert widths[:, 1:] == pytest.approx(
        np.array([[-0.1, 0.0], [-0.5, 0.4], [-0.4, -0.2]])
    )  # revenue, -cost, -slashed
    assert widths[:, 1:].sum(0) == pytest.approx([-1.0, 0.2])  # each row's parts add up to its gain
    assert ax.get_title() == "gain, 90%-95% interval (red: may pay)"  # the levels the attacks were judged at
    assert fig_attacks([pays]).axes[0].get_title() == "gain, 95% interval (red: may pay)"
    two_lines = "gain, 95% interval (red: may pay;\ngrey: immaterial)"  # beside the right panel's title, not over it
    assert fig_attacks([pays], tolerance=0.05).axes[0].get_title() == two_lines
    near = pays | {"if_never_convicted": 0.004}  # with --tolerance 0.05: immaterial, grey
    fig = fig_attacks([near, pays | {"if_never_convicted": 0.3}], tolerance=0.05)
    colours = [to_rgba(c.lines[0].get_color()) for c in fig.axes[0].containers]
    assert colours == [to_rgba(PAYS), to_rgba(IMMATERIAL)] and "grey: immaterial" in fig.axes[0].get_title()


def test_the_closest_design_is_the_one_a_repair_could_still_mend_with_the_lowest_worst_bound(tiny):
    """e037: a 2 x 2 design failing only on deterrence (worst bound +0.86) and a repaired 5 x 5 one
    failing on deterrence at +0.40 and on the validators' reward (a reward repair mends that) -> the
    5 x 5 is the closer. A design that fails false slashing (no repair mends it) is never closer than
    one that passes it, whatever its bound; at equal standing the cheaper is closer."""
    ok, bad = {"pass": True}, {"pass": False}

    def verdict(worst, stake, **failed):
        c = {"false_slashing": ok, "participation": ok, "validator_participation": ok}
        c |= {k: bad for k in failed} | {"deterrence": {"pass": worst <= 0, "value": worst}}
        design = tiny.with_overrides({"staking.node_stake": stake})
        return rec.Verdict({}, design, rec.design_cost(design), [], c)

    small, repaired = verdict(0.86, 26.0), verdict(0.40, 109.0, validator_participation=True)
    leaky = verdict(-0.5, 10.0, false_slashing=True)
    assert max([small, repaired, leaky], key=rec.closeness) is repaired
    assert max([small, leaky], key=rec.closeness) is small
    assert max([verdict(0.4, 200.0), verdict(0.4, 100.0)], key=rec.closeness).scenario.staking.node_stake == 100.0
    assert rec.closeness(verdict(float("nan"), 10.0)) < rec.closeness(small)  # no bound: as far as can be


def test_a_repair_is_verified_on_fresh_seeds(tiny, answers, monkeypatch):
    """Every sampled candidate is verified on the search's seed (common random numbers); each repair on
    a fresh seed of its own: its fine was fitted to the conviction counts of the seeds its design lost
    on, and re-verified there it would re-observe them (e038). The seeds are recorded."""
    seen = []

    def verify(design, lv, plan, seed, *args, **kw):
        seen.append(seed)
        fails = len(seen) < 3  # the candidate and the first repair lose to an attack; the second repair passes
        return rec.Verdict(dict(lv), design, {"total": 1.0}, [], {"deterrence": {"pass": not fails, "value": 0.0}})

    def repair(verdict, base, answers, levers, margin=0.0, seeds=0):
        lv = dict(verdict.levers) | {"staking.node_stake": 100.0 * len(seen)}
        return lv, base.with_overrides(lv, "recommend")

    monkeypatch.setattr(rec, "verify", verify)
    monkeypatch.setattr(rec, "repair", repair)
    plan = dataclasses.replace(rec.budget("tiny"), designs=3)
    out = rec.recommend(tiny, plan, seed=5, answers=answers, progress=False, deployments=["model_swap"])
    assert out.found and [v.origin for v in out.history] == ["candidate", "repair", "repair"]
    assert seen[0] == 5 and len(set(seen)) == 3  # two fresh seeds, neither the search's
    assert seen[1:] == [rec.verification_seed(5, "repair", 1), rec.verification_seed(5, "repair", 2)]
    assert [v["seed"] for v in rec.as_json(out, "tiny.toml")["verified"]] == seen


# ---- the designer's tolerance for attacks too close to honest to be decided (e040) -------------------
def _score(label_share: float, high: float, never: float, mean: float = -0.2) -> redteam.AttackScore:
    chosen = {"diluted": {"share": label_share, "cheat_rate": 0.02, "swap_to": "cheaper_model"}}
    return redteam.AttackScore(chosen, (mean,), mean, -1.0, high, never_convicted_high=never)


def test_an_attack_is_immaterial_only_when_even_never_convicted_it_gains_at_most_the_tolerance():
    near = _score(0.07, high=0.011, never=0.004)  # e040's near-honest attack: undecided, saves 0.004
    assert not redteam.deterred(near, 0.0) and redteam.undecided(near, 0.0)
    assert redteam.immaterial(near, 0.005) and redteam.deterred(near, 0.0, 0.005)
    assert not redteam.undecided(near, 0.0, tolerance=0.005)  # no second look spent on it
    assert not redteam.immaterial(near, 0.003) and not redteam.immaterial(near, 0.0)
    unknown = _score(0.07, high=0.5, never=math.inf)  # fewer than 20 seeds: no bound without convictions
    assert not redteam.immaterial(unknown, 1e9)


def test_the_deterrence_constraint_passes_immaterial_attacks_only_within_the_tolerance():
    near, lost = _score(0.07, high=0.011, never=0.004), _score(0.1, high=-1.0, never=0.3, mean=-2.0)
    strict = rec.deterrence_constraint([near, lost], margin=0.0)
    assert strict == {"value": 0.011, "limit": 0.0, "pass": False}
    tolerant = rec.deterrence_constraint([near, lost], margin=0.0, tolerance=0.005)
    assert tolerant["pass"] and tolerant["value"] == -1.0 and tolerant["immaterial"] == [near.label]
    assert not rec.deterrence_constraint([near, lost], margin=0.0, tolerance=0.003)["pass"]
    assert not rec.deterrence_constraint([near, lost], margin=2.0, tolerance=0.005)["pass"]  # margin still binds
    assert rec.deterrence_constraint([near], margin=0.0, tolerance=0.005)["value"] == -math.inf
    assert not rec.deterrence_constraint([], margin=0.0, tolerance=0.005)["pass"]  # nothing shown


def test_what_recommend_prints_names_the_attacks_passed_as_immaterial_and_what_they_gain_at_most(tmp_path):
    from types import SimpleNamespace

    from gaia_sim.sweep.cli_recommend import _finite, text

    near, lost = _score(0.07, high=0.011, never=0.004), _score(0.1, high=-1.0, never=0.3, mean=-2.0)
    record = {"scenario": "s.toml", "candidates": 1, "pruned_by_closed_form": 0, "pruned_by_measured_rates": 0}
    record |= {"verified": [], "settings": {"max_share": 0.1}, "design": {}, "cost": {}}
    record |= {"attacks": [a.as_dict() for a in (near, lost)]}
    record["constraints"] = {"deterrence": rec.deterrence_constraint([near, lost], 0.0, 0.005)}
    printed = text(_finite(record), SimpleNamespace(found=True), tmp_path, "s", 1.0)
    assert f"immaterial (gains at most 0.005 per node-epoch even if never convicted): {near.label}" in printed
    assert lost.label not in printed.split("constraints")[1]


def test_the_break_even_conviction_rate_is_what_the_attack_saves_over_the_fine_and_is_printed():
    from gaia_sim.sweep.cli_recommend import never_text

    # e040's near-honest attack: at most +0.0043 per node-epoch if never convicted, fine 1,190
    assert redteam.break_even_conviction_rate(0.0043, 1190.0) == pytest.approx(0.0043 / 1190.0)
    assert redteam.break_even_conviction_rate(-0.2, 1190.0) is None  # loses even if never convicted
    assert redteam.break_even_conviction_rate(math.inf, 1190.0) is None  # no bound: no claim
    assert redteam.break_even_conviction_rate(0.0043, 0.0) is None  # no fine: no conviction deters it
    near = dataclasses.replace(_score(0.07, high=0.011, never=0.0043), fine=1190.0)
    near = dataclasses.replace(near, counts={"attacker_slashes": 0.0, "attacker_node_epochs": 24_000.0})
    entry = near.as_dict()
    assert entry["break_even_conviction_rate"] == pytest.approx(0.0043 / 1190.0)
    assert entry["convictions"] == {"slashes": 0.0, "node_epochs": 24_000.0}
    printed = never_text(entry)
    assert printed == (
        "; at most +0.004 if never convicted; pays unless convicted once in 276,744 node-epochs (seen: 0 in 24,000)"
    )
    lost = _score(0.1, high=-1.0, never=-0.3, mean=-2.0).as_dict()
    assert never_text(lost) == "; at most -0.300 if never convicted"  # nothing to break even on


def test_a_held_lever_takes_its_value_in_every_candidate_and_leaves_the_other_draws_as_they_were(tiny):
    free = rec.candidates(tiny, rec.LEVERS, 60, seed=4)
    held = rec.candidates(tiny, rec.LEVERS, 60, seed=4, hold={"detector.name": "default", "network.validators": 5})
    assert rec.candidates(tiny, rec.LEVERS, 60, seed=4, hold={}) == free  # nothing held: the same sample
    assert all(c["detector.name"] == "default" and c["network.validators"] == 5 for c in held)
    others = [{k: v for k, v in c.items() if k not in ("detector.name", "network.validators")} for c in free]
    paired = [{k: v for k, v in c.items() if k not in ("detector.name", "network.validators")} for c in held]
    assert paired == [c for i, c in enumerate(others) if c not in others[:i]]  # free's draws, its duplicates merged
    two = {k: rec.LEVERS[k] for k in ("network.validators", "detector.name")}  # 6 designs, 3 once one is held
    merged = rec.candidates(tiny, two, 60, seed=4, hold={"detector.name": "default_nearest"})
    assert len(rec.candidates(tiny, two, 60, seed=4)) == 6 and len(merged) == 3  # one design now, not two


def test_hold_reads_each_lever_as_its_schema_allows_and_refuses_anything_else_in_one_line(capsys, tmp_path):
    from gaia_sim.cli import main

    assert rec.held(["validation.quorum=0.667", "slashing.slash_fraction=1", "staking.node_stake=250"]) == {
        "validation.quorum": 2 / 3,
        "slashing.slash_fraction": 1.0,
        "staking.node_stake": 250.0,
    }
    assert rec.held(["probes.questions_per_epoch=8", "detector.name=default_nearest"]) == {
        "probes.questions_per_epoch": 8,
        "detector.name": "default_nearest",
    }
    for spec, says in (
        (
            "detector.name=nonsense",
            "--hold detector.name: 'nonsense' is not allowed; allowed: 'default', 'default_nearest'",
        ),
        ("staking.node_stake=1", "--hold staking.node_stake: 1.0 is not allowed; allowed: a number in [10, 5000]"),
        ("epochs=5", "--hold 'epochs=5': expected LEVER=VALUE with LEVER one of staking.node_stake,"),
        ("detector.name", "--hold 'detector.name': expected LEVER=VALUE"),
    ):
        assert main(["recommend", "scenarios/model_swap.toml", "--hold", spec, "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert says in err and err.count("\n") == 1 and "Traceback" not in err and not any(tmp_path.iterdir())
    with pytest.raises(UserError, match="network.validators is held twice"):
        rec.held(["network.validators=3", "network.validators=5"])


def test_a_repair_never_moves_a_held_lever(tiny, answers):
    design = tiny.with_overrides({"staking.node_stake": 20.0, "slashing.slash_fraction": 0.5})
    failed = _lost_to(design, (1.0, 1.3, 0.7))
    free = rec.repair(failed, tiny, answers, rec.LEVERS)[0]
    fine = free["slashing.slash_fraction"] * free["staking.node_stake"]
    assert (
        free["slashing.slash_fraction"] == 1.0 and fine > 0.5 * 20.0
    )  # the control: the fraction moves, the fine grows
    kept = rec.repair(failed, tiny, answers, rec.held_levers(rec.LEVERS, {"slashing.slash_fraction": 0.5}))[0]
    assert kept["slashing.slash_fraction"] == 0.5  # held: the same fine from twice the stake
    assert 0.5 * kept["staking.node_stake"] == pytest.approx(fine, rel=0.01)
    assert rec.repair(failed, tiny, answers, rec.held_levers(rec.LEVERS, {"staking.node_stake": 20.0})) is None


def test_what_recommend_prints_and_writes_says_which_levers_were_held(tmp_path):
    from gaia_sim.sweep.cli_recommend import _finite, text

    pruned = {"closed_form": 0, "measured_rates": 0}
    held = rec.Recommendation(None, [], pruned, 5, {"max_share": 0.1, "hold": {"detector.name": "default"}})
    record = _finite(rec.as_json(held, "x.toml"))
    assert record["settings"]["hold"] == {"detector.name": "default"}
    assert "held in every candidate (--hold): detector.name = default" in text(record, held, tmp_path, "x", 1.0)
    free = rec.Recommendation(None, [], pruned, 5, {"max_share": 0.1})
    assert "held" not in text(_finite(rec.as_json(free, "x.toml")), free, tmp_path, "x", 1.0)
