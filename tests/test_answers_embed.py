"""The embedder: shape, unit norm, determinism, and that it separates meanings."""

import numpy as np

from gaia_sim import embed


def test_shape_dtype_norm():
    out = embed(["The capital of France is Paris.", "", "Photosynthesis makes sugar from light."])
    assert out.shape == (3, 384)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_empty_input():
    assert embed([]).shape == (0, 384)


def test_deterministic_and_batch_independent():
    texts = [f"Sentence number {i} about tides and moons." for i in range(10)]
    a = embed(texts)
    b = embed(list(reversed(texts)))[::-1]
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_similar_meanings_closer():
    a, b, c = embed(["A cat sits on the mat.", "A kitten is sitting on a rug.", "Stock prices fell sharply today."])
    assert a @ b > a @ c + 0.2
