"""Evaluation harness: ROC curves and TPR at a fixed FPR for every detector and cheating variant.

``gaia-sim evaluate`` builds many simulated verdicts ("trials"): a domain of ``nodes`` nodes of
which ``cheaters`` serve another configuration than the one they claim; every node answers the
same questions (``answers`` per node = questions x samples); each detector scores every node.
Pooling honest and cheater scores over trials gives the ROC curve; TPR at FPR = 1% uses the
threshold at the 99th percentile of honest scores (issue 4's definition). The honest flag rate
is the share of honest nodes the detector *flags* at ``alpha`` (its own calibrated decision).

Sources: (a) the answer bank (``gaia_sim.answers.bank.load_default_bank``, roles from
docs/TEAM.md), (b) the real Gaia answers (``gaia_sim.answers.gaia_real``): honest nodes draw
from the claimed model's answers, each honest node from the 2025-03-19 or the 2025-03-26 run
(honest variation between runs/stacks), cheaters from another model's answers.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gaia_sim.detector import DETECTORS, assess
from gaia_sim.errors import UserError


# ----------------------------------------------------------------------------- pools of answers
@dataclass(frozen=True)
class Pool:
    """Answers of one configuration: ``emb[question]`` -> (answers, dim) array (ragged over runs)."""

    name: str
    emb: tuple  # per question: list over runs of (R, D) arrays

    def n_runs(self) -> int:
        return len(self.emb[0])


def real_pools(data, runs=("2025-03-19", "2025-03-26")) -> dict[str, Pool]:
    """One Pool per real Gaia model, with one answer block per run (runs kept apart)."""
    pools = {}
    for i, node in enumerate(data.nodes):
        per_q = tuple([data.embeddings[r][i, q].astype(np.float32) for r in runs] for q in range(len(data.question_ids)))
        pools[node] = Pool(node, per_q)
    return pools


def draw_node(pool: Pool, questions: np.ndarray, samples: int, rng: np.random.Generator, run: int) -> np.ndarray:
    """(Q, S, D) answers of one node drawn with replacement from one run's answers (the run's
    empirical answer distribution stands for the model's)."""
    out = []
    for q in questions:
        block = pool.emb[q][run]
        out.append(block[rng.integers(0, len(block), size=samples)])
    return np.stack(out)


@dataclass(frozen=True)
class TrialSpec:
    """One evaluated setting: who claims what, who cheats with what, budget and honest runs."""

    honest: str
    cheat: str
    nodes: int = 30
    cheaters: int = 3
    questions: int = 5
    samples: int = 5
    honest_runs: tuple = (0, 1)  # run blocks honest nodes draw from (each node picks one)
    cheat_runs: tuple = (0, 1)


def make_trial(pools: dict[str, Pool], spec: TrialSpec, rng: np.random.Generator,
               question_pool: np.ndarray | None = None, questions: np.ndarray | None = None):
    """Embeddings (nodes, questions, samples, dim), labels (True = cheater) and the question
    indices of one trial: ``questions`` if given, else ``spec.questions`` drawn from ``question_pool``."""
    honest, cheat = pools[spec.honest], pools[spec.cheat]
    qpool = np.arange(len(honest.emb)) if question_pool is None else np.asarray(question_pool)
    qs = np.asarray(questions) if questions is not None else np.sort(
        rng.choice(qpool, size=min(spec.questions, len(qpool)), replace=False))
    labels = np.zeros(spec.nodes, dtype=bool)
    labels[rng.choice(spec.nodes, size=spec.cheaters, replace=False)] = True
    x = np.stack([
        draw_node(cheat if bad else honest, qs, spec.samples, rng,
                  int(rng.choice(spec.cheat_runs if bad else spec.honest_runs)))
        for bad in labels
    ])
    return x, labels, qs


# ----------------------------------------------------------------------------- metrics
def tpr_at_fpr(honest_scores: np.ndarray, cheat_scores: np.ndarray, fpr: float = 0.01) -> float:
    """TPR at the threshold = (1 - fpr) quantile of honest scores (strictly above counts)."""
    h = np.nan_to_num(np.asarray(honest_scores, float), nan=-np.inf)
    c = np.nan_to_num(np.asarray(cheat_scores, float), nan=-np.inf)
    thr = np.quantile(h, 1.0 - fpr, method="higher")
    return float(np.mean(c > thr))


def roc_curve(honest_scores: np.ndarray, cheat_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) over all thresholds (Fawcett 2006, Pattern Recogn. Lett. 27:861)."""
    h = np.nan_to_num(np.asarray(honest_scores, float), nan=-np.inf)
    c = np.nan_to_num(np.asarray(cheat_scores, float), nan=-np.inf)
    thr = np.unique(np.concatenate([h, c, [np.inf]]))[::-1]
    fpr = np.array([np.mean(h >= t) for t in thr])
    tpr = np.array([np.mean(c >= t) for t in thr])
    return np.concatenate([[0.0], fpr]), np.concatenate([[0.0], tpr])


def auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    return float(np.trapezoid(tpr, fpr))


@dataclass
class Outcome:
    """Scores pooled over trials for one (setting, detector)."""

    honest: list = field(default_factory=list)
    cheat: list = field(default_factory=list)
    flagged_honest: int = 0
    flagged_cheat: int = 0

    def add(self, a, labels: np.ndarray) -> None:
        self.honest.append(a.score[~labels])
        self.cheat.append(a.score[labels])
        self.flagged_honest += int(a.flagged[~labels].sum())
        self.flagged_cheat += int(a.flagged[labels].sum())

    def summary(self, fpr: float = 0.01) -> dict:
        h, c = np.concatenate(self.honest), np.concatenate(self.cheat)
        f, t = roc_curve(h, c)
        return {"tpr_at_fpr": tpr_at_fpr(h, c, fpr), "auc": auc(f, t),
                "honest_flag_rate": self.flagged_honest / max(len(h), 1),
                "cheat_flag_rate": self.flagged_cheat / max(len(c), 1), "n_honest": len(h), "n_cheat": len(c)}


def evaluate_setting(pools, spec: TrialSpec, detectors: dict, trials: int, rng: np.random.Generator,
                     alpha: float = 0.01, question_pool=None) -> dict[str, Outcome]:
    """Run ``trials`` trials of one setting through every detector (name -> assess options)."""
    out = {name: Outcome() for name in detectors}
    for _ in range(trials):
        x, labels, _ = make_trial(pools, spec, rng, question_pool)
        for name, opts in detectors.items():
            out[name].add(assess(x, alpha=alpha, **opts), labels)
    return out


def selection_gain(pools, spec: TrialSpec, epochs: int, reps: int, rng: np.random.Generator,
                   explore: float = 0.2, alpha: float = 0.01) -> dict[str, np.ndarray]:
    """Per-epoch TPR at FPR 1% (pooled over ``reps`` independent networks) of validators that learn
    question selection (:class:`QuestionSelector`) against validators asking random questions."""
    from gaia_sim.detector.selection import QuestionSelector

    n_q = len(pools[spec.honest].emb)
    outcomes = {"learned": [Outcome() for _ in range(epochs)], "random": [Outcome() for _ in range(epochs)]}
    for _ in range(reps):
        selector = QuestionSelector(n_q, explore=explore)
        for epoch in range(epochs):
            qs = selector.choose(spec.questions, rng)
            x, labels, _ = make_trial(pools, spec, rng, questions=qs)
            verdict = assess(x, alpha=alpha)
            outcomes["learned"][epoch].add(verdict, labels)
            selector.update(qs, verdict)
            x, labels, _ = make_trial(pools, spec, rng)
            outcomes["random"][epoch].add(assess(x, alpha=alpha), labels)
    return {k: np.array([o.summary()["tpr_at_fpr"] for o in v]) for k, v in outcomes.items()}
