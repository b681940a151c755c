"""Sequential share evidence (gaia_sim.detector.sequential, option ``detector.share_evidence``): an
e-process on each node's counts of outlying answers across epochs, for diluted cheating."""

from __future__ import annotations

import numpy as np
import pytest

from gaia_sim.detector import EvidenceAccumulator, ShareCounts, assess, share_counts
from gaia_sim.detector.sequential import honest_rate_bound, share_e_value

ANSWERS = 15  # per node and epoch: 5 questions x 3 samples


def _run(rates: np.ndarray, epochs: int, rng, m: float = 0.015) -> tuple[np.ndarray, int]:
    """Nodes with these outlying rates judged ``epochs`` times (p-values 0.5: only share evidence
    builds); first conviction epoch per node (-1: never) and the number of convictions."""
    acc = EvidenceAccumulator(alpha=0.01, share=True, epoch_alpha=0.0)
    first, convictions, n = np.full(len(rates), -1), 0, len(rates)
    for t in range(epochs):
        k = rng.binomial(ANSWERS, rates).astype(float)
        flags = acc.update(
            range(n), np.full(n, 0.5), share=ShareCounts(k, np.full(n, ANSWERS, float), np.full(n, m), np.zeros(n))
        )
        acc.restart(np.flatnonzero(flags))
        convictions += int(flags.sum())
        first = np.where((first < 0) & flags, t, first)
    return first, convictions


def test_honest_nodes_on_different_stacks_are_not_convicted():
    """Honest outlying rates 0.01-0.025 (stacks differ), 60 epochs of 15 answers: at most alpha-level
    convictions (Ville's inequality for nodes below the population's bound; here none expected)."""
    rng = np.random.default_rng(0)
    rates = np.array([0.01, 0.01, 0.015, 0.025])[rng.integers(0, 4, 1500)]
    first, convictions = _run(rates, 60, rng)
    assert (first >= 0).mean() <= 0.01 and convictions / (1500 * 60) <= 1e-3


def test_a_node_refusing_a_quarter_of_its_answers_is_convicted_and_keeps_being_convicted():
    rng = np.random.default_rng(1)
    rates = np.r_[np.full(90, 0.015), np.full(10, 0.25)]
    first, convictions = _run(rates, 40, rng)
    assert (first[90:] >= 0).all() and np.median(first[90:]) <= 10
    assert (first[:90] < 0).all()
    assert convictions >= 3 * 10  # restarted after each verdict, the cheater is convicted again


def test_untested_nodes_and_a_missing_bound_give_no_evidence():
    share = ShareCounts(np.array([3.0, np.nan, 2.0]), np.array([15.0, np.nan, 0.0]), np.full(3, 0.01), np.zeros(3))
    e = share_e_value(share, np.zeros(3), np.zeros(3), np.full(3, 0.05))
    assert e[0] > 1 and e[1] == 1 and e[2] == 1
    assert np.isinf(honest_rate_bound(np.zeros(5), np.full(5, 100.0), np.full(2, 0.01))).all()  # < 10 histories
    # the e-value's mean is 1 at the bound and below it under: a valid likelihood ratio
    r0, k = 0.05, np.arange(ANSWERS + 1)
    from scipy import stats

    for rate in (0.05, 0.02):
        e = share_e_value(
            ShareCounts(k.astype(float), np.full(len(k), ANSWERS, float), np.full(len(k), 0.01), np.zeros(len(k))),
            np.zeros(len(k)),
            np.zeros(len(k)),
            np.full(len(k), r0),
        )
        mean = float((stats.binom.pmf(k, ANSWERS, rate) * e).sum())
        assert mean == pytest.approx(1.0) if rate == r0 else mean < 1.0


def test_restart_keeps_the_count_history_and_reset_forgets_it():
    acc = EvidenceAccumulator(alpha=0.01, share=True)
    n = 12
    for _ in range(4):
        acc.update(
            range(n),
            np.full(n, 0.5),
            share=ShareCounts(np.full(n, 1.0), np.full(n, 15.0), np.full(n, 0.01), np.zeros(n)),
        )
    acc.restart([0])
    acc.reset([1])
    assert acc.evidence([0])[0] == 1.0 and acc._past[0] == (4, 60) and 1 not in acc._past


def test_the_detector_reports_the_counts_and_the_simulation_uses_them():
    """The default detector's details carry the share counts; a scenario with the option runs and is
    reproducible, and without the option the evidence is the plain e-process."""
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    x = np.random.default_rng(0).standard_normal((20, 3, 3, 8))
    counts = share_counts(assess(x).details)
    assert counts is not None and counts.n.tolist() == [9.0] * 20 and (counts.k >= 0).all()
    assert share_counts(assess(x, detector="median_rank").details) is None
    base = load_scenario("scenarios/lazy_nodes.toml").with_overrides({"epochs": 4})
    on = base.with_overrides({"detector.share_evidence": True})
    a, b = simulate(on).steps, simulate(on).steps
    assert a.equals(b)
