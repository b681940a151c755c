"""How far apart two serving stacks' answers sit: the paper's distance and the persistent offset.

The paper "Trust, but verify" (arXiv 2504.13443, section 4) compares nodes by the Euclidean distance
between their mean answer embeddings per question, averaged over questions. That distance mixes two
things: the *persistent offset* between the stacks' answer distributions (what a detector must tolerate
in honest nodes and find in cheaters) and the *sampling noise* of two finite means, which shrinks as
more answers are drawn. Separate runs of the same model on real Gaia nodes land 0.08-0.12 apart in
that statistic (../shared/data/gaia-verifiable-inference/README.md); how much of that is noise
depends on the number of answers.

For answer embeddings ``a`` (n_a, D) and ``b`` (n_b, D) of one question,

    E |mean(a) - mean(b)|^2 = |mu_a - mu_b|^2 + tr(Sigma_a) / n_a + tr(Sigma_b) / n_b,

so ``|mean(a) - mean(b)|^2 - tr(S_a) / n_a - tr(S_b) / n_b`` (sample covariances, ddof = 1) is an
unbiased estimate of the squared offset (a standard two-sample identity; e.g. the unbiased squared
MMD with a linear kernel, Gretton et al. 2012, "A kernel two-sample test", JMLR 13, lemma 6). Averaged
over questions and then square-rooted it is the RMS offset per question; it can come out negative
(reported as 0) when the stacks do not differ beyond noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class StackDistance:
    """Averages over questions: the paper's distance, the noise it contains, and the offset."""

    distance: float  # mean over questions of |mean(a) - mean(b)| (the paper's statistic)
    noise: float  # sqrt of the mean expected squared distance of two same-stack means at these sizes
    offset: float  # sqrt(max(0, mean unbiased squared offset)): the persistent part
    offset_upper: float  # one-sided 95% upper bound of the offset (normal approximation over questions)
    spread: float  # RMS spread of single answers around their question mean (both stacks pooled)
    questions: int
    answers: tuple[int, int]  # mean answers per question of a and b


def squared_offset(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """(|mean(a) - mean(b)|^2, its expected value under no offset, the unbiased squared offset) for one question."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("squared_offset needs at least two answers from each stack")
    d2 = float(np.sum((a.mean(0) - b.mean(0)) ** 2))
    noise = float(a.var(0, ddof=1).sum() / len(a) + b.var(0, ddof=1).sum() / len(b))
    return d2, noise, d2 - noise


def stack_distance(per_question: Sequence[tuple[np.ndarray, np.ndarray]]) -> StackDistance:
    """Compare two stacks over questions: ``per_question`` holds (answers of a, answers of b) per question."""
    rows = [squared_offset(a, b) for a, b in per_question]
    d2, noise, off = (np.array(x) for x in zip(*rows))
    return StackDistance(
        distance=float(np.sqrt(d2).mean()),
        noise=float(np.sqrt(noise.mean())),
        offset=float(np.sqrt(max(0.0, off.mean()))),
        offset_upper=float(np.sqrt(max(0.0, off.mean() + 1.645 * off.std(ddof=1) / np.sqrt(len(off))))),
        spread=float(np.mean([_spread(a, b) for a, b in per_question])),
        questions=len(rows),
        answers=(
            round(float(np.mean([len(a) for a, _ in per_question]))),
            round(float(np.mean([len(b) for _, b in per_question]))),
        ),
    )


def bank_stack_table(bank, reference: str | None = None) -> list[dict]:
    """Every configuration of ``bank`` against ``reference`` (default: the claimed one), over all questions."""
    reference = reference or bank.role_config("claimed")
    role_of = bank.role_of()
    rows = []
    for c in bank.configs:
        if c == reference:
            pairs = [_halves(bank.embeddings[bank.pool(c, q)]) for q in bank.questions]
            what = "split halves"
        else:
            pairs = [
                (bank.embeddings[bank.pool(c, q)], bank.embeddings[bank.pool(reference, q)]) for q in bank.questions
            ]
            what = f"vs {reference}"
        rows.append({"config": c, "role": role_of.get(c, "-"), "compared": what, **_as_row(stack_distance(pairs))})
    return rows


def real_stack_table(data) -> list[dict]:
    """Real Gaia nodes: each model's two runs against each other, each run's split halves, and model pairs."""
    e19, e26 = data.embeddings["2025-03-19"], data.embeddings["2025-03-26"]
    nq, rows = len(data.question_ids), []
    for i, node in enumerate(data.nodes):
        runs = stack_distance([(e19[i, q], e26[i, q]) for q in range(nq)])
        rows.append({"config": node, "role": "same model", "compared": "run 03-19 vs 03-26", **_as_row(runs)})
        halves = stack_distance([_halves(e26[i, q]) for q in range(nq)])
        rows.append({"config": node, "role": "same model", "compared": "03-26 split halves", **_as_row(halves)})
    for i, j in ((1, 2), (0, 2), (0, 1)):
        pair = stack_distance([(e26[i, q], e26[j, q]) for q in range(nq)])
        label = f"{data.nodes[i]} vs {data.nodes[j]}"
        rows.append({"config": label, "role": "other model", "compared": "run 03-26", **_as_row(pair)})
    return rows


def _spread(a: np.ndarray, b: np.ndarray) -> float:
    centred = np.concatenate([a - a.mean(0), b - b.mean(0)])
    return float(np.sqrt((centred**2).sum(1).mean()))


def _halves(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    k = len(x) // 2
    return x[:k], x[k : 2 * k]


def _as_row(s: StackDistance) -> dict:
    return {
        "distance": s.distance,
        "noise": s.noise,
        "offset": s.offset,
        "offset_upper": s.offset_upper,
        "offset_per_spread": s.offset / s.spread if s.spread else float("nan"),
        "spread": s.spread,
        "answers": f"{s.answers[0]} vs {s.answers[1]}",
    }
