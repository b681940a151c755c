"""Coordinated replay: nodes that return one shared answer set.

A node that generates its answers samples them afresh: its answers to a question differ from one
another and from other nodes' answers (identical only where the model's answer is deterministic).
Nodes that replay one cached answer instead return the *same* answer for every sample, and the
same answers as each other. Counted as separate nodes, such a group can hold a large minority of a
domain and pull the consensus, the peer pool and the empirical null towards itself (experiment
e019: with 25-35% coordinated replayers the final reference held them in 20-70% of trials, and
they then went free; with a reference free of them every replayer was caught). The screen below
finds them so that the detector counts their shared answers once, as the issue's "identical
answers from different nodes counted once", by keeping them out of the sets that must be honest
(the geometric core, the peers and the reference), while they are still judged like every node.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def shared_answer_groups(x: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """bool (N,): nodes of a replay group, i.e. nodes whose samples are identical within every
    question they answered and whose answers are identical to those of at least one other such
    node, in a group smaller than half of the answering nodes (a majority that answers
    identically is the domain's consensus, e.g. a deterministic honest answer; it is never set
    aside). ``x``: (N, Q, S, D) embeddings, NaN rows for missing answers; identical means equal
    bit for bit (replayed answers are copies)."""
    present = ~np.isnan(x[..., 0])  # (N, Q, S)
    first = np.argmax(present, axis=2)  # first present sample per (node, question)
    rep = np.take_along_axis(x, first[:, :, None, None], axis=2)[:, :, 0]  # (N, Q, D)
    constant = np.all(~present | (x == rep[:, :, None, :]).all(-1), axis=(1, 2))
    rep = np.where(present.any(2)[..., None], rep, np.nan)
    keys = [rep[i].tobytes() if ok else None for i, ok in enumerate(constant & answered)]
    sizes = Counter(k for k in keys if k is not None)
    limit = int(answered.sum()) / 2
    return np.array([k is not None and 2 <= sizes[k] < limit for k in keys], dtype=bool)
