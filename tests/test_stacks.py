"""Stack distances (gaia_sim.answers.stacks): the offset estimate is unbiased and separates noise from offset."""

import numpy as np
import pytest

from gaia_sim.answers.stacks import squared_offset, stack_distance


def _stack(rng, mu, n, sd=0.3, d=16):
    return mu + sd * rng.standard_normal((n, d))


def test_offset_is_unbiased_where_the_paper_distance_is_not():
    """Same distribution: the raw distance of means grows as samples shrink, the offset estimate stays ~0;
    a known offset of 0.2 is recovered at 5 and at 64 answers."""
    rng = np.random.default_rng(1)
    mu0, shift = np.zeros(16), np.r_[0.2, np.zeros(15)]
    for n in (5, 64):
        same = stack_distance([(_stack(rng, mu0, n), _stack(rng, mu0, n)) for _ in range(1000)])
        moved = stack_distance([(_stack(rng, mu0, n), _stack(rng, mu0 + shift, n)) for _ in range(1000)])
        assert same.offset**2 < 0.05 * same.noise**2, (n, same)  # squared offset within ~3 standard errors of 0
        assert moved.offset == pytest.approx(0.2, abs=0.04), (n, moved)
        assert same.distance == pytest.approx(same.noise, rel=0.1)  # the paper's distance is all noise here
    small = stack_distance([(_stack(rng, mu0, 5), _stack(rng, mu0, 5)) for _ in range(1000)])
    big = stack_distance([(_stack(rng, mu0, 64), _stack(rng, mu0, 64)) for _ in range(1000)])
    assert small.distance > 3 * big.distance


def test_squared_offset_needs_two_answers_per_stack():
    with pytest.raises(ValueError, match="two answers"):
        squared_offset(np.zeros((1, 3)), np.zeros((4, 3)))
