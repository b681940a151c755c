"""The one interface through which the simulation obtains node answers.

A node that *serves* a model configuration (which may differ from the one it claims) answers a
question; the simulation asks an :class:`AnswerSource` for ``n`` answers of that configuration to
that question and gets texts, embeddings and the measured cost of producing them.

Implementations: the answer bank of real model outputs (``gaia_sim.answers.bank``), and the real
Gaia node answers (``gaia_sim.answers.gaia_real``) converted to the same format.
Nothing outside ``gaia_sim/answers`` may depend on an implementation's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class AnswerDraw:
    """``n`` answers of one configuration to one question."""

    texts: tuple[str, ...]
    embeddings: np.ndarray  # (n, dim) float32, unit norm
    tokens: np.ndarray  # (n,) int, generated tokens per answer
    latency_s: np.ndarray  # (n,) float, measured wall seconds to generate each answer


@dataclass(frozen=True)
class CostProfile:
    """Measured cost of one configuration, averaged over the bank's answers."""

    seconds_per_answer: float
    tokens_per_answer: float


class AnswerSource(Protocol):
    """Where node answers come from: ``draw(config, question, n, rng)``."""

    @property
    def config_ids(self) -> Sequence[str]: ...

    @property
    def question_ids(self) -> Sequence[str]: ...

    @property
    def dim(self) -> int: ...

    def draw(self, config: str, question: str, n: int, rng: np.random.Generator) -> AnswerDraw:
        """``n`` answers sampled (with replacement) from the answers of ``config`` to ``question``."""
        ...

    def draw_indices(self, config: str, question: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """Like :meth:`draw` but only the row indices into :meth:`embedding_matrix` (fast path)."""
        ...

    def pool(self, config: str, question: str) -> np.ndarray:
        """Row indices (into :meth:`embedding_matrix`) of every stored answer of ``config`` to ``question``.

        The simulation draws each node's answers to a question from this pool *without*
        replacement, as a node generating fresh samples never repeats itself exactly; drawing with
        replacement from a small pool fakes replayed answers, which the detector rightly flags.
        """
        ...

    def embedding_matrix(self) -> np.ndarray:
        """All stored embeddings, (rows, dim) float32; rows addressed by :meth:`draw_indices`."""
        ...

    def cost(self, config: str) -> CostProfile: ...

    def answer_record(self, config: str) -> tuple[list[str], np.ndarray]:
        """(texts, generated tokens) of every stored answer of ``config``: what a user receives,
        for :func:`gaia_sim.rewards.accepted` (which answers users pay for)."""
        ...


def question_pools(source: AnswerSource) -> dict[str, str]:
    """Pool ("public" or "secret") of each of ``source``'s questions.

    A bank's manifest stores the pool of each question; otherwise the question file labels it
    (:func:`gaia_sim.answers.knowledge.question_pools`). Questions neither knows (the real Gaia runs,
    the stand-in) count as public: they were published with their data.
    """
    stored = {q["id"]: q.get("pool") for q in getattr(source, "meta", {}).get("questions", [])}
    from gaia_sim.answers.knowledge import load_questions

    labelled = {q.id: q.pool for q in load_questions()}
    return {q: stored.get(q) or labelled.get(q, "public") for q in source.question_ids}


def question_kinds(source: AnswerSource) -> dict[str, str]:
    """Kind ("kb" or "general") of each of ``source``'s questions: "kb" when only a knowledge base
    answers it (the bank manifest's ``kb`` label, else the question file's,
    :func:`gaia_sim.answers.knowledge.load_questions`). Questions neither knows (the real Gaia
    runs, the stand-in) count as general: their nodes ran without a knowledge base."""
    from gaia_sim.answers.knowledge import load_questions

    stored = {q["id"]: q["kb"] for q in getattr(source, "meta", {}).get("questions", []) if "kb" in q}
    labelled = {q.id: q.kb for q in load_questions()}
    return {q: "kb" if stored.get(q, labelled.get(q, "")) else "general" for q in source.question_ids}
