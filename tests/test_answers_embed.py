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


def test_backends_and_unknown_backend(monkeypatch):
    import pytest

    from gaia_sim.answers import embed as E

    assert E.BACKENDS == ("onnx", "reference")
    monkeypatch.setenv(E.ENV_VAR, "reference")
    assert E.default_backend() == "reference"
    monkeypatch.setenv(E.ENV_VAR, "bf16")
    with pytest.raises(ValueError, match="GAIA_SIM_EMBED"):
        E.default_backend()
    with pytest.raises(ValueError, match="backend"):
        embed(["x"], backend="int8")


def test_length_batches_cover_every_index_once_within_limits():
    from gaia_sim.answers.embed import length_batches

    lengths = [5, 300, 17, 17, 2, 40, 9, 256, 3] * 7
    batches = list(length_batches(lengths, rows=4, tokens=100))
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 4 and (len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 100)
    assert [lengths[i] for i in np.concatenate(batches)] == sorted(lengths)


def _agreement(texts) -> np.ndarray:
    """Per-text cosine between the fast (onnx) and the reference (sentence-transformers fp32) embeddings."""
    return (embed(texts, backend="onnx") * embed(texts, backend="reference")).sum(axis=1)


def test_fast_path_agrees_with_reference_on_bank_answers():
    """The embedding is a rule the project depends on: cosine >= 0.9999 per answer on real bank answers."""
    from gaia_sim.answers.bank import load_default_bank

    texts = sorted(set(load_default_bank().texts))
    rng = np.random.default_rng(0)
    longest = sorted(texts, key=len)[-20:]
    sample = [texts[i] for i in rng.choice(len(texts), 300, replace=False)] + longest + [""]
    assert _agreement(sample).min() >= 0.9999


def test_fast_path_agrees_with_reference_on_real_gaia_answers():
    """Long answers of real Gaia nodes (hundreds of tokens, some truncated at 256) agree as well."""
    import pytest

    from gaia_sim.answers import gaia_real

    if gaia_real.missing_reason():
        pytest.skip(gaia_real.missing_reason())
    texts = gaia_real.load_run("2025-03-19").texts.ravel().tolist()
    sample = [texts[i] for i in np.random.default_rng(0).choice(len(texts), 60, replace=False)]
    assert _agreement(sample).min() >= 0.9999


def _embed_into(queue, texts):
    queue.put(embed(texts))


def test_fast_path_works_in_a_forked_child():
    """The session and thread pool are per process: a child forked after the parent embedded (bank
    build workers, sweeps) builds its own instead of waiting on its parent's threads."""
    import multiprocessing as mp

    texts = ["The breakwater was designed by Maren Holt.", "Paris."]
    parent = embed(texts)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_embed_into, args=(queue, texts))
    child.start()
    out = queue.get(timeout=300)
    child.join()
    np.testing.assert_allclose(out, parent, atol=1e-6)
