"""The default detector against theory: flag rate under the null, power, the pivot table."""

from __future__ import annotations

import numpy as np
from scipy import stats
from test_detector_synth import network

from gaia_sim.detector import assess, calibration

ALPHA = 0.01


def _binomial_ci(k: int, n: int, level: float = 0.99) -> tuple[float, float]:
    """Clopper-Pearson interval for a binomial proportion."""
    lo = stats.beta.ppf((1 - level) / 2, k, n - k + 1) if k else 0.0
    hi = stats.beta.ppf(1 - (1 - level) / 2, k + 1, n - k) if k < n else 1.0
    return lo, hi


def _null_flags(stack: float, trials: int, seed: int, **opts) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    flags = 0
    for t in range(trials):
        x, _ = network(rng, nodes=30, questions=10, samples=5, stack=stack)
        flags += int(assess(x, alpha=ALPHA, fdr="none", seed=t, **opts).flagged.sum())
    return flags, trials * 30


def test_null_flag_rate_within_binomial_ci_of_alpha():
    """All nodes honest, each tested at level alpha: the flag rate must match alpha (not only stay
    below it: a detector that never flags would pass that)."""
    k, n = _null_flags(stack=0.0, trials=150, seed=11, dispersion=False, share_test=False)  # the location test alone
    lo, hi = _binomial_ci(k, n)
    assert lo <= ALPHA <= hi, (k, n, lo, hi)


def test_the_outlying_answer_test_is_valid_under_the_null():
    """All nodes honest (with stack offsets): the per-answer share test alone rejects at most alpha,
    and its p-values are super-uniform at every level checked."""
    from gaia_sim.detector._common import summarize
    from gaia_sim.detector.default import answer_outlier_p, robust_centre

    rng = np.random.default_rng(21)
    ps = []
    for _ in range(120):
        x, _ = network(rng, nodes=30, questions=10, samples=5, stack=0.3)
        s = summarize(x)
        ps.append(answer_outlier_p(x, s, robust_centre(s.mean), np.ones(30, bool))[0])
    p = np.concatenate(ps)
    for level in (0.01, 0.05, 0.2):
        assert _binomial_ci(int((p <= level).sum()), p.size)[0] <= level, level


def test_null_flag_rate_with_honest_stack_variation_at_most_alpha():
    """Honest nodes on different stacks (per-node offsets as large as the sampling noise of a
    node mean): still at most alpha, location and dispersion together."""
    k, n = _null_flags(stack=0.3, trials=100, seed=12)
    assert _binomial_ci(k, n)[0] <= ALPHA, (k, n)


def test_bh_controls_the_familywise_rate_under_the_global_null():
    """With every node honest, Benjamini-Hochberg at alpha flags any node in at most ~alpha of domains."""
    rng = np.random.default_rng(13)
    any_flag = sum(
        assess(network(rng, nodes=30, questions=8, samples=4)[0], alpha=0.05, fdr="bh", seed=t).flagged.any()
        for t in range(80)
    )
    assert _binomial_ci(any_flag, 80)[0] <= 0.05


def test_power_increases_with_samples():
    """TPR of a weak model swap at FPR ~ alpha grows with the answers per question.

    Measured with 50 verdicts per point (seed 14): 0.05 / 0.38 / 0.72 with the default geometric
    first pass, 0.05 / 0.47 / 0.78 with ``first_pass="all"`` - the price of a pool that keeps a
    colluding third out (docs/detector.md)."""
    rates = []
    for samples in (2, 4, 8):
        rng = np.random.default_rng(14)
        hits = 0
        for t in range(20):
            x, labels = network(rng, nodes=30, questions=6, samples=samples, cheaters=3, shift=0.15)
            hits += int(assess(x, alpha=ALPHA, seed=t).flagged[labels].sum())
        rates.append(hits / 60)
    assert rates[0] < rates[1] < rates[2], rates
    assert rates[2] >= 0.6


def test_pivot_table_gives_uniform_p_values_for_normal_peers():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((400, 30))
    med = np.median(x, axis=1, keepdims=True)
    z = (x - med) / (1.4826 * np.median(np.abs(x - med), axis=1, keepdims=True))
    p = calibration.upper_p(z.ravel(), 30)
    for level in (0.01, 0.05, 0.2, 0.5):
        lo, hi = _binomial_ci(int((p <= level).sum()), p.size, 0.999)
        assert lo <= level <= hi


def test_randomised_two_sided_p_is_uniform_however_discrete_the_null():
    """The dispersion test's per-question p-value (:meth:`_Null.two_sided`) for a value drawn from
    the null's own distribution is uniform (over fresh nulls of B = 400), also when most of the null
    is one tied value (a question every honest node answers identically). The mid-p-value it
    replaced gives p = 1 whenever the value ties with the whole null (a Fisher term of 0, not 2)."""
    from gaia_sim.detector.default import _Null

    rng = np.random.default_rng(5)

    def draw(n: int, tied_share: float) -> np.ndarray:
        return np.where(rng.random(n) < tied_share, 0.0, rng.exponential(1.0, n))

    for tied_share in (1.0, 0.9, 0.5, 0.0):
        p = np.concatenate(
            [
                _Null(draw(400, tied_share)).two_sided(value, rng.random(len(value)))
                for value in (draw(50, tied_share) for _ in range(300))
            ]
        )
        assert stats.kstest(p, "uniform").pvalue > 1e-3, tied_share
        assert abs(np.mean(-2.0 * np.log(p)) - 2.0) < 0.1, tied_share  # the Fisher term of a uniform p


def test_the_empirical_null_stays_calibrated_with_a_large_ring_screened_out():
    """21 honest nodes with N(0, 1) normal scores, 9 ring members far out; the screen sets aside the
    ring and the honest nodes above the 95th percentile. The median and MAD then come from about 20
    honest nodes, and the pivot must be the table for them (the reference plus 5% honest extremes),
    not for all 30 nodes: with N = 30 the table's MAD is less noisy than the real one and honest
    nodes fall below p = 0.001 2.75x as often as they should (e046; the simulation's honest
    convictions under a 30% ring came from that far tail)."""
    from gaia_sim.detector.default import empirical_null_p

    rng = np.random.default_rng(46)
    below, honest = {0.01: 0, 0.001: 0}, 0
    for _ in range(2000):
        u = np.concatenate([rng.standard_normal(21), rng.normal(6.0, 1.0, 9)])
        _, p = empirical_null_p(stats.norm.sf(u), 1e-9, reference=u < stats.norm.ppf(0.95), screen=0.05)
        for level in below:
            below[level] += int((p[:21] < level).sum())
        honest += 21
    for level, count in below.items():  # 1.0x and 0.88x with the fix; 2.75x and 1.6x before it
        assert 0.5 * level <= count / honest <= 1.5 * level, (level, count / honest / level)


def test_normal_scores_stay_finite_and_ordered_below_the_rounding_of_one_minus_p():
    """``default.normal_scores``: ndtri(1 - p) bit for bit where 1 - p < 1, finite and decreasing in
    p below (an infinite score made the empirical null's median infinite and every z NaN: e052)."""
    from scipy import special

    from gaia_sim.detector.default import normal_scores

    above = np.array([0.5, 1e-3, 1e-10, 2e-16, 1.0])
    assert np.array_equal(normal_scores(above), special.ndtri(1.0 - np.clip(above, 1e-300, 1.0 - 1e-16)))
    below = np.array([1e-17, 1e-40, 1e-118, 1e-300, 0.0])
    u = normal_scores(below)
    assert np.isfinite(u).all() and (np.diff(u) >= 0).all() and u[0] > normal_scores(np.array([2e-16]))[0]
    assert np.allclose(u[:4], -special.ndtri(below[:4])) and u[3] == u[4]  # 0 is clipped to 1e-300
    assert np.isnan(normal_scores(np.array([np.nan])))[0]
