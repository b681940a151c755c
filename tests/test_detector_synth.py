"""Synthetic answer embeddings for detector tests (not a stand-in for real answers: only for
checking statistics against theory). Honest answers scatter around a per-question centre;
a cheating configuration shifts the centre; stacks shift every node a little."""

from __future__ import annotations

import numpy as np


def network(
    rng,
    nodes=30,
    questions=10,
    samples=5,
    dim=32,
    cheaters=0,
    shift=0.0,
    scatter=0.3,
    stack=0.0,
    replay=(),
    random_answer=(),
):
    """(nodes, questions, samples, dim) float32 unit rows and labels (True = cheater).

    Cheaters are the first ``cheaters`` nodes and share one cheating configuration (collusion).
    ``stack``: per-node honest offset (different hardware/software); ``replay``: node ids that
    replay one answer per question; ``random_answer``: node ids answering with random unit vectors.
    """
    centres = _unit(rng.standard_normal((questions, dim)))
    cheat = _unit(centres + shift * _unit(rng.standard_normal((questions, dim))))
    base = np.where(np.arange(nodes)[:, None, None] < cheaters, cheat[None], centres[None])
    offsets = stack * rng.standard_normal((nodes, 1, dim)) / np.sqrt(dim)
    noise = scatter * rng.standard_normal((nodes, questions, samples, dim)) / np.sqrt(dim)
    x = _unit(base[:, :, None, :] + offsets[:, :, None, :] + noise)
    for i in replay:
        x[i] = x[i, :, :1]
    for i in random_answer:
        x[i] = _unit(rng.standard_normal((questions, samples, dim)))
    labels = np.arange(nodes) < cheaters
    return x.astype(np.float32), labels


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)
