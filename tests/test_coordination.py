"""The coordinated-replay screen (gaia_sim.detector.coordination, detector option ``coordination``)."""

from __future__ import annotations

import numpy as np

from gaia_sim.detector import assess
from gaia_sim.detector.coordination import shared_answer_groups


def _domain(rng, honest=18, replayers=12, questions=5, samples=3, dim=16):
    """Honest nodes sample fresh answers around a per-question centre; replayers all return one
    cached answer per question (an honest-looking one) for every sample."""
    centre = rng.standard_normal((questions, dim))
    x = centre[None, :, None, :] + 0.5 * rng.standard_normal((honest + replayers, questions, samples, dim))
    cached = centre + 0.5 * rng.standard_normal((questions, dim))
    x[honest:] = cached[None, :, None, :]
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    return x, np.arange(honest + replayers) >= honest


def test_a_replay_group_is_found_and_fresh_samples_are_not():
    x, bad = _domain(np.random.default_rng(0))
    answered = np.ones(len(x), bool)
    np.testing.assert_array_equal(shared_answer_groups(x, answered), bad)
    x[-1, 2, 1] = np.nan  # a lost answer does not break the group: the node's present answers match
    np.testing.assert_array_equal(shared_answer_groups(x, answered), bad)
    x[-2, 0, 0] += 1e-3  # one answer differs within the node: no longer a replayer
    assert not shared_answer_groups(x, answered)[-2] and shared_answer_groups(x, answered)[-1]


def test_a_lone_replayer_and_a_majority_are_not_set_aside():
    x, bad = _domain(np.random.default_rng(1), honest=29, replayers=1)
    assert not shared_answer_groups(x, np.ones(len(x), bool)).any()  # nobody to share the answers with
    x, bad = _domain(np.random.default_rng(2), honest=14, replayers=16)
    assert not shared_answer_groups(x, np.ones(len(x), bool)).any()  # a majority answering alike is the consensus


def test_forty_percent_coordinated_replayers_are_caught_only_with_the_screen():
    """The default detector's peer pool and reference take the replayers in at 40% (experiment e019),
    so none is flagged; with the screen every one is, and honest nodes are flagged no more than
    alpha allows (18 honest nodes at alpha 0.01: at most one)."""
    x, bad = _domain(np.random.default_rng(0))
    plain = assess(x, 0.01, seed=1).flagged
    screened = assess(x, 0.01, seed=1, coordination=True).flagged
    assert plain[bad].mean() < 0.5
    assert screened[bad].all() and screened[~bad].sum() <= 1


def test_the_simulation_passes_the_screen_to_the_detector():
    """detector.coordination in a scenario: of the 40% of nodes replaying the bank's one cached
    answer per question, every one is convicted within 6 epochs with the screen (its evidence adds
    up over 2-3 epochs), and no honest node; none without it (e019: 0.005 per single-epoch
    decision). Without the screen honest nodes are not protected either: e019 measured 4.1% of
    honest single-epoch decisions flagged at 40% replay, and in this run's third epoch 33 of 40
    bootstrap seeds flag some honest node (35 of 40 since e023), so whether one is convicted here
    depends on the seed; it is not asserted."""
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    base = load_scenario("scenarios/lazy_nodes.toml").with_overrides(
        {"epochs": 6, "population.honest": 0.6, "population.lazy": 0.4, "strategy.revision_rate": 0.0}
    )
    convicted = {}
    for screen in (False, True):
        events = simulate(base.with_overrides({"detector.coordination": screen})).events
        verdicts = events[events["kind"] == "verdict"]
        guilty = verdicts[verdicts["flagged"]]  # the guilty verdicts
        assert not screen or not (guilty["behaviour"] == "honest").any()
        lazy = verdicts[verdicts["behaviour"] == "lazy"]
        convicted[screen] = guilty[guilty["behaviour"] == "lazy"]["node"].nunique() / lazy["node"].nunique()
    assert convicted[False] == 0.0 and convicted[True] == 1.0
