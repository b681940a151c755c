"""The Mesa model: phases run in order, invariants hold in real runs, behaviours do what they say."""

from __future__ import annotations

import numpy as np
import pytest

from gaia_sim.model import GaiaModel, apportion
from gaia_sim.nodes import NODE_BEHAVIOURS, with_trait
from gaia_sim.params import NODE_BEHAVIOURS as NODE_NAMES
from gaia_sim.quorum import tally
from gaia_sim.runner import simulate
from gaia_sim.scenario import load_scenario
from gaia_sim.validators import VALIDATOR_BEHAVIOURS


def small(path, **over):
    s = load_scenario(path).with_overrides({"answers": "stand-in", "epochs": 15, **over})
    return s


def test_every_behaviour_is_registered_with_traits():
    assert set(NODE_BEHAVIOURS) == set(NODE_NAMES)
    assert set(VALIDATOR_BEHAVIOURS) == {"honest", "lazy", "colluding"}
    assert with_trait("cheats", False) == ["honest"]
    assert with_trait("colludes") == ["colluding"]


@pytest.mark.parametrize(
    "total,shares", [(30, {"a": 0.8, "b": 0.2}), (7, {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}), (5, {"a": 1.0, "b": 0.0})]
)
def test_apportion_gives_exact_total(total, shares):
    seats = apportion(total, shares)
    assert len(seats) == total
    for name, share in shares.items():
        assert abs(seats.count(name) - share * total) < 1


@pytest.mark.parametrize("name", ["baseline", "lazy_nodes", "model_swap", "kb_swap", "collusion_ring"])
def test_invariants_hold_every_epoch(scenarios_dir, standin, name):
    model = GaiaModel(small(scenarios_dir / f"{name}.toml"), standin)
    for _ in range(15):
        model.step()
        model.check_invariants()


def test_invariant_check_can_fail(scenarios_dir, standin):
    model = GaiaModel(small(scenarios_dir / "baseline.toml"), standin)
    model.step()
    model.state.ledger.balance[model.state.lid_node[0]] += 1.0  # tokens from nowhere
    with pytest.raises(AssertionError, match="conserved"):
        model.check_invariants()


def test_every_cheater_is_found_guilty_early_and_honest_nodes_are_not(scenarios_dir, standin):
    result = simulate(small(scenarios_dir / "model_swap.toml", epochs=30), answers=standin)
    verdicts = result.events[result.events.kind == "verdict"]
    first_guilty = verdicts[verdicts.flagged].groupby("node").epoch.min()
    swappers = result.nodes[(result.nodes.role == "node") & (result.nodes.behaviour_initial == "model_swapping")].id
    assert set(swappers) <= set(first_guilty.index)
    assert first_guilty.loc[list(swappers)].max() <= 5
    assert result.summary["flag_rate_honest"] < 0.02
    nodes = result.steps[result.steps.role == "node"].groupby("behaviour")[["slashed", "count"]].sum()
    assert (
        nodes.loc["model_swapping", "slashed"] / nodes.loc["model_swapping", "count"]
        > nodes.loc["honest", "slashed"] / nodes.loc["honest", "count"]
    )


def test_cheaper_model_answers_faster_so_fewer_timeouts(scenarios_dir, standin):
    s = small(scenarios_dir / "model_swap.toml", **{"traffic.utilisation": 1.2, "strategy.dynamics": "none"})
    steps = simulate(s, answers=standin).steps
    nodes = steps[steps.role == "node"].groupby("behaviour")[["requests_timed_out", "requests_served"]].sum()
    share = nodes.requests_timed_out / (nodes.requests_timed_out + nodes.requests_served)
    assert share["model_swapping"] < share["honest"]


def test_lazy_missing_answers_are_nan_and_unpaid(scenarios_dir, standin):
    s = small(scenarios_dir / "lazy_nodes.toml", **{"behaviours.lazy.mode": "missing", "strategy.dynamics": "none"})
    steps = simulate(s, answers=standin).steps
    lazy = steps[(steps.role == "node") & (steps.behaviour == "lazy")]
    assert lazy.requests_served.sum() == 0 and lazy.revenue.sum() == 0


def test_distinguishable_probes_let_unprobed_swappers_hide(scenarios_dir, standin):
    base = {"behaviours.model_swapping.when": "unprobed", "strategy.dynamics": "none", "epochs": 20}
    hidden = simulate(
        small(scenarios_dir / "model_swap.toml", **base, **{"traffic.probes_distinguishable": True}), answers=standin
    )
    seen = simulate(small(scenarios_dir / "model_swap.toml", **base), answers=standin)
    assert hidden.summary["tpr_cheaters"] < 0.05 < seen.summary["tpr_cheaters"]


def test_colluding_validators_with_blocking_stake_shield_the_ring(scenarios_dir, standin):
    over = {"validator_population.honest": 0.5, "validator_population.colluding": 0.5, "strategy.dynamics": "none"}
    shielded = simulate(small(scenarios_dir / "collusion_ring.toml", **over), answers=standin)
    watched = simulate(small(scenarios_dir / "collusion_ring.toml", **{"strategy.dynamics": "none"}), answers=standin)
    ring = lambda r: r.steps[(r.steps.role == "node") & (r.steps.behaviour == "colluding")].flagged.sum()
    assert ring(shielded) == 0 < ring(watched)


def test_stake_weighted_verdict_quorum():
    votes = np.array([[True, False], [True, True], [False, True]])
    assert tally(votes, np.array([1.0, 1.0, 1.0]), 2 / 3).verdict.tolist() == [True, True]
    assert tally(votes, np.array([1.0, 1.0, 2.0]), 2 / 3).verdict.tolist() == [False, True]


def test_no_cheating_no_strategy_drift(scenarios_dir, standin):
    result = simulate(small(scenarios_dir / "baseline.toml"), answers=standin)
    assert (result.network.honest_share == 1.0).all()


@pytest.mark.parametrize(
    "selection, bonus, contrast",
    [("learned", 0.0, False), ("learned_ucb", 1.0, False), ("learned_ucb_contrast", 1.0, True)],
)
def test_learned_question_selection_concentrates_the_budget(scenarios_dir, standin, selection, bonus, contrast):
    s = small(
        scenarios_dir / "kb_swap.toml",
        epochs=25,
        **{"probes.question_selection": selection, "strategy.dynamics": "none"},
    )
    model = GaiaModel(s, standin)
    selector = model.question_selector
    assert (selector.bonus, selector.contrast) == (
        bonus,
        contrast,
    )  # the scenario's choice is the selector the epochs ask
    asked = []
    for _ in range(25):
        model.step()
        model.check_invariants()
        asked += list(model.epoch_questions)
    counts = sorted((asked.count(q) for q in set(asked)), reverse=True)
    assert model.question_selector.count.sum() == 25 * s.probes.questions_per_epoch
    assert counts[0] > 25 * s.probes.questions_per_epoch / len(standin.question_ids)  # above uniform


@pytest.mark.parametrize("exploration, by_index", [(0.0, True), (0.4, False)])
def test_the_exploration_share_is_the_scenarios(scenarios_dir, standin, exploration, by_index):
    """``probes.exploration`` is the selector's share of random questions: at 0 every epoch asks the
    questions the selector ranks highest by its index (none ranked below one left out); at 0.4 some
    epoch asks a question ranked below one it left out (e062)."""
    s = small(
        scenarios_dir / "kb_swap.toml",
        epochs=12,
        **{
            "probes.question_selection": "learned_ucb_contrast",
            "probes.exploration": exploration,
            "strategy.dynamics": "none",
        },
    )
    model = GaiaModel(s, standin)
    assert model.question_selector.explore == exploration
    ids, ranked = list(model.state.probe_questions), []
    for _ in range(12):
        index = model.question_selector.index.copy()
        model.step()
        asked = np.isin(ids, model.epoch_questions)
        if np.isfinite(index).all() and not asked.all():  # every question asked once: the index ranks them
            ranked.append(index[asked].min() >= index[~asked].max())
    assert ranked and all(ranked) == by_index


def test_learned_selection_needs_a_detector_with_question_p_values(scenarios_dir, standin):
    from gaia_sim.errors import UserError

    s = small(scenarios_dir / "kb_swap.toml", **{"probes.question_selection": "learned", "detector.name": "paper"})
    with pytest.raises(UserError, match="question_selection"):
        GaiaModel(s, standin)


def test_nodes_that_learned_the_public_questions_hide_unless_validators_ask_secret_ones(scenarios_dir):
    """Cheaters that recognise the public questions answer them honestly; a secret pool restores detection.

    Rates pooled over seeds 1-3: on one seed the learned cheaters' rate is 0-0.4 of the unaware
    ones' (seeds 1-8, on the bootstrap stream before and after the detector drew its rows by
    integers; seed 1 alone gave 0.23 before, 0.30 after), pooled over three it is 0.14 before, 0.18
    after; the secret pool's, 0.97 and 1.01."""
    base = {"behaviours.model_swapping.when": "unprobed", "strategy.dynamics": "none", "epochs": 20}
    base["staking.initial_balance"] = 1e6  # deep pockets: cheaters stay in after a slash, so every epoch counts

    def run(**o):
        path = scenarios_dir / "model_swap.toml"
        return sum(
            simulate(small(path, answers="default", seed=seed, **base, **o)).summary["tpr_cheaters"]
            for seed in (1, 2, 3)
        )

    unaware = run()
    learned = run(**{"traffic.learned_questions": "public"})
    secret = run(**{"traffic.learned_questions": "public", "probes.question_pool": "secret"})
    assert learned < 0.25 * unaware
    assert secret > 0.5 * unaware


def test_question_plan_follows_the_pools(scenarios_dir, standin):
    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.answers.source import question_pools
    from gaia_sim.epoch.state import question_plan
    from gaia_sim.errors import UserError

    bank = load_default_bank()
    pools = question_pools(bank)
    s = small(
        scenarios_dir / "baseline.toml", **{"probes.question_pool": "secret", "traffic.learned_questions": "public"}
    )
    plan = question_plan(s, bank)
    assert set(plan["probe_questions"]) == {q for q, p in pools.items() if p == "secret"} != set()
    assert plan["recognised"] == {q for q, p in pools.items() if p == "public"}
    assert question_plan(small(scenarios_dir / "baseline.toml"), bank)["recognised"] == frozenset()
    with pytest.raises(
        UserError, match="question_pool = 'secret', probes.question_kind = 'all': the answer source has no"
    ):
        question_plan(s, standin)  # the stand-in's questions are all public


def test_question_plan_follows_the_kinds(scenarios_dir, standin):
    """probes.question_kind: only the questions the claimed KB answers, or only general ones; with the
    pool's filter too; a source without KB questions (the stand-in) refuses "kb" in one line."""
    from gaia_sim.answers.bank import load_default_bank
    from gaia_sim.answers.source import question_kinds, question_pools
    from gaia_sim.epoch.state import question_plan
    from gaia_sim.errors import UserError

    bank = load_default_bank()
    kinds, pools = question_kinds(bank), question_pools(bank)
    meta = {q["id"]: q["kb"] for q in bank.meta["questions"]}
    assert {q for q, k in kinds.items() if k == "kb"} == {q for q in bank.question_ids if meta[q]} != set()
    path = scenarios_dir / "baseline.toml"
    for kind in ("kb", "general"):
        asked = set(question_plan(small(path, **{"probes.question_kind": kind}), bank)["probe_questions"])
        assert asked == {q for q, k in kinds.items() if k == kind} != set()
        both = small(path, **{"probes.question_kind": kind, "probes.question_pool": "secret"})
        assert set(question_plan(both, bank)["probe_questions"]) == {q for q in asked if pools[q] == "secret"} != set()
    with pytest.raises(UserError, match="probes.question_kind = 'kb': the answer source has no such question"):
        question_plan(small(path, **{"probes.question_kind": "kb"}), standin)


def test_validators_asking_the_claimed_kb_questions_convict_no_kb_servers_more_often(scenarios_dir):
    """Nodes serving without the claimed knowledge base (20% of 30) under 8 questions x 5 answers,
    pooled over seeds 1-3: measured 1.03 (all questions) against 1.78 (KB questions only) summed
    guilty rates per node-epoch (2026-12-01); at 5 x 5, 0.63 against 1.00."""
    base = {"strategy.dynamics": "none", "epochs": 20, "staking.initial_balance": 1e6, "answers": "default"}
    base |= {
        "behaviours.kb_swapping.swap_to": "no_kb",
        "probes.questions_per_epoch": 8,
        "probes.samples_per_question": 5,
    }

    def run(kind: str) -> float:
        path = scenarios_dir / "kb_swap.toml"
        over = {**base, "probes.question_kind": kind}
        return sum(
            simulate(load_scenario(path).with_overrides({**over, "seed": s})).summary["tpr_cheaters"] for s in (1, 2, 3)
        )

    assert run("kb") > 1.3 * run("all") > 0


def test_independent_validators_disagree_so_the_quorum_matters(scenarios_dir):
    """Validators that probe on their own draws split on borderline nodes: a lower quorum convicts
    more cheaters; with one shared detector run every honest validator votes alike."""
    base = {"strategy.dynamics": "none", "epochs": 10, "seed": 1, "staking.initial_balance": 1e6}
    run = lambda **o: simulate(small(scenarios_dir / "model_swap.toml", answers="default", **base, **o)).summary  # noqa: E731
    own = {"validation.independent_probes": True}
    lax, strict = run(**own, **{"validation.quorum": 0.5}), run(**own, **{"validation.quorum": 1.0})
    assert lax["tpr_cheaters"] > strict["tpr_cheaters"]
    shared_lax, shared_strict = run(**{"validation.quorum": 0.5}), run(**{"validation.quorum": 1.0})
    assert shared_lax["tpr_cheaters"] == shared_strict["tpr_cheaters"]


def test_low_bit_swappers_serve_the_real_q2k_stack_and_pay_more_per_answer(scenarios_dir, standin):
    """``swap_to = "low_bit"`` draws the bank's llama.cpp Q2_K configuration (real low-bit kernels,
    issue 12 item 5): the swappers' plans serve it, and since its longer answers cost more per answer
    than the claimed stack on this CPU (docs/answers.md), a swapper's compute cost per node-epoch
    is above an honest node's on the same stack. A source without that role is refused, naming the key."""
    from gaia_sim.epoch.state import build_state
    from gaia_sim.errors import UserError
    from gaia_sim.runner import load_answers

    answers = load_answers("default")
    scenario = load_scenario(scenarios_dir / "model_swap.toml").with_overrides(
        {"behaviours.model_swapping.swap_to": "low_bit", "behaviours.honest.stack_variation": 0.0, "epochs": 2}
    )
    state = build_state(scenario, answers)
    swappers = state.behaviour == "model_swapping"
    served = {state.configs.ids[c] for c in state.user_cfg[swappers]}
    assert served == {answers.roles["low_bit"]} == {"gemma3-270m-q2k/vellmar"}
    assert (state.user_s[swappers] > state.honest_s[swappers]).all()
    with pytest.raises(UserError, match=r"behaviours.model_swapping.swap_to = 'low_bit'.*allowed with this source"):
        build_state(scenario.with_overrides({"answers": "stand-in"}), standin)


def test_the_per_epoch_rule_is_the_scenarios_share_of_alpha_and_zero_turns_it_off():
    """``detector.epoch_alpha_share``: the accumulator the simulation builds (``new_evidence``) convicts
    on one epoch's p-values alone (rule (b), BH at alpha x share) only while the share is above 0. A
    node with p = 1e-12 among 29 at p = 0.5 is convicted in its first epoch by rule (b) at the
    default (its balance, capped at e(1e-3) = 20.8, cannot reach 1/alpha = 100 in one epoch), and not
    with the rule off; two such epochs convict it by the balance either way (e066: with the rule off
    no honest node was convicted in 2.2M node-epochs)."""
    from gaia_sim.epoch.state import new_evidence
    from gaia_sim.errors import UserError
    from gaia_sim.scenario import Scenario

    p = np.full(30, 0.5)
    p[7] = 1e-12
    default, off = (
        new_evidence(Scenario()),
        new_evidence(Scenario().with_overrides({"detector.epoch_alpha_share": 0.0})),
    )
    assert default.epoch_alpha == 0.01 / 10 and off.epoch_alpha == 0.0
    assert np.flatnonzero(default.update(range(30), p)).tolist() == [7]
    assert not off.update(range(30), p).any()
    assert np.flatnonzero(off.update(range(30), p)).tolist() == [7]
    wider = new_evidence(Scenario().with_overrides({"detector.alpha": 0.05, "detector.epoch_alpha_share": 0.5}))
    assert wider.epoch_alpha == 0.025
    with pytest.raises(UserError, match="epoch_alpha_share"):
        Scenario().with_overrides({"detector.epoch_alpha_share": 1.5})


def test_recent_evidence_memory_convicts_rare_bursts_more_often(scenarios_dir, monkeypatch):
    """No-KB servers cheating on a quarter of epochs (3 KB questions x 5 answers, seeds 1-3): with
    evidence that keeps no credit from clean epochs (``detector.evidence_memory = "recent"``) they
    are convicted at least 1.5x as often as under the lifetime product (e039 predicts ~2x); every
    node's balance then stays >= e(p = 1) = 1/2, while lifetime balances sink below it."""
    from gaia_sim.epoch import state as state_module

    made = []
    original = state_module.new_evidence
    monkeypatch.setattr(state_module, "new_evidence", lambda sc: made.append(original(sc)) or made[-1])
    base = {"strategy.dynamics": "none", "epochs": 40, "staking.initial_balance": 1e6, "answers": "default"}
    base |= {
        "behaviours.kb_swapping.swap_to": "no_kb",
        "behaviours.burst.epoch_share": 0.25,
        "probes.questions_per_epoch": 3,
        "probes.samples_per_question": 5,
        "probes.question_kind": "kb",
    }
    guilty, lowest = {}, {}
    for memory in ("lifetime", "recent"):
        over = {**base, "detector.evidence_memory": memory}
        path = scenarios_dir / "kb_swap.toml"
        runs = [simulate(load_scenario(path).with_overrides({**over, "seed": seed})) for seed in (1, 2, 3)]
        guilty[memory] = sum(r.summary["tpr_cheaters"] for r in runs)
        lowest[memory] = min(acc.evidence(acc.nodes()).min() for acc in made)
        made.clear()
    assert lowest["recent"] >= 0.5 > lowest["lifetime"], lowest
    assert guilty["recent"] >= 1.5 * guilty["lifetime"] > 0, guilty
