"""STAND-IN answer source: synthetic embeddings, no language model. Not the real thing.

Used only when a scenario says ``answers = "stand-in"`` (fast tests of the simulation's plumbing,
and benchmarks that must not depend on the bank's size). Every real result uses the answer bank of
real model outputs (:mod:`gaia_sim.answers.bank`). Nothing may depend on this module's internals.

Shape of the stand-in, after the figures of real Gaia nodes in
``shared/data/gaia-verifiable-inference/README.md``: answers of one configuration to one question
scatter around a per-question centre; a different model's centre sits about 0.13-0.30 away (Gemma
9B vs 27B, Llama vs Gemma); honest variants (another seed or stack) sit a little closer than that.
Seconds per answer are of the order the shipped bank's calibrated costs give (claimed ~0.2 s).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from gaia_sim.answers.source import AnswerDraw, CostProfile

#: role -> (distance of its centre from the claimed one, within-config scatter per answer, seconds per answer)
_ROLES: dict[str, tuple[float, float, float]] = {
    "claimed": (0.0, 0.25, 0.20),
    "honest_seed": (0.02, 0.25, 0.20),
    "honest_bf16": (0.04, 0.25, 0.18),
    "cheaper_model": (0.30, 0.30, 0.10),
    "low_precision": (0.20, 0.28, 0.14),
    "wrong_kb": (0.25, 0.25, 0.16),
    "no_kb": (0.22, 0.25, 0.15),
    "lazy_truncated": (0.35, 0.30, 0.04),
    "lazy_replay": (0.05, 0.0, 0.001),
    "lazy_refusal": (0.60, 0.02, 0.005),
}


#: generated tokens per answer where not 64 (a refusal is canned text; a truncated answer is cut at 6)
_TOKENS = {"lazy_refusal": 0, "lazy_truncated": 6}
REFUSAL_TEXT = "I'm sorry, I can't answer that question right now."


class StandInAnswerSource:
    """Synthetic, seeded AnswerSource with the bank's roles. A stand-in: see the module docstring."""

    roles = {r: r for r in _ROLES if not r.startswith("honest_")} | {"honest_variants": ["honest_seed", "honest_bf16"]}

    def __init__(self, n_questions: int = 20, samples: int = 16, dim: int = 384, seed: int = 0):
        rng = np.random.default_rng(seed)
        self._configs = list(_ROLES)
        self._questions = [f"Q{i + 1}" for i in range(n_questions)]
        self._dim, self._samples = dim, samples
        centres = _unit(rng.normal(size=(n_questions, dim)))
        rows = [self._config_rows(rng, centres, *_ROLES[c][:2]) for c in self._configs]
        self._matrix = np.concatenate(rows).astype(np.float32)

    def _config_rows(self, rng, centres, distance, scatter):
        shift = _unit(rng.normal(size=centres.shape)) * distance
        noise = rng.normal(size=(len(centres), self._samples, self._dim)) * scatter / np.sqrt(self._dim)
        return _unit(centres[:, None, :] + shift[:, None, :] + noise).reshape(-1, self._dim)

    @property
    def config_ids(self) -> Sequence[str]:
        return self._configs

    @property
    def question_ids(self) -> Sequence[str]:
        return self._questions

    @property
    def dim(self) -> int:
        return self._dim

    def role_config(self, role: str) -> str:
        return self.roles[role] if isinstance(self.roles[role], str) else self.roles[role][0]

    def draw_indices(self, config: str, question: str, n: int, rng: np.random.Generator) -> np.ndarray:
        base = (self._configs.index(config) * len(self._questions) + self._questions.index(question)) * self._samples
        return base + rng.integers(0, self._samples, size=n)

    def pool(self, config: str, question: str) -> np.ndarray:
        base = (self._configs.index(config) * len(self._questions) + self._questions.index(question)) * self._samples
        return np.arange(base, base + self._samples)

    def embedding_matrix(self) -> np.ndarray:
        return self._matrix

    def draw(self, config: str, question: str, n: int, rng: np.random.Generator) -> AnswerDraw:
        idx = self.draw_indices(config, question, n, rng)
        texts = tuple(f"[stand-in answer {i} of {config} to {question}]" for i in idx)
        return AnswerDraw(texts, self._matrix[idx], np.full(n, 64), np.full(n, _ROLES[config][2]))

    def cost(self, config: str) -> CostProfile:
        return CostProfile(seconds_per_answer=_ROLES[config][2], tokens_per_answer=float(_TOKENS.get(config, 64)))

    def answer_record(self, config: str) -> tuple[list[str], np.ndarray]:
        """Every answer of ``config``: a refusal's canned text (no generated tokens), a truncated
        answer's 6 tokens, else 64 tokens of placeholder text."""
        n = len(self._questions) * self._samples
        text = REFUSAL_TEXT if config == "lazy_refusal" else f"[stand-in answer of {config}]"
        return [text] * n, np.full(n, _TOKENS.get(config, 64))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)
