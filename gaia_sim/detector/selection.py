"""Question selection: validators learn which questions discriminate and spend the budget there.

Questions differ in how well they separate configurations (the paper's knowledge-base
experiment; on the real Gaia answers, questions on which the claimed model always gives the same
answer expose any other model at once, while open questions scatter too much to tell 9B from 27B).

Two pure pieces:

* :func:`discrimination` - label-free, per question, from one assessment: the mean standardised
  Fisher term (-2 ln p - 2) / 2 of the question's bootstrap location p-values over the most
  suspicious nodes (lowest node p-values, top ``top`` share), or with ``contrast`` that minus the
  rest's (below). Zero in expectation for questions that carry no evidence against them, large where
  the suspicious nodes stand out. Conditioning on the suspicious nodes (not on all nodes' spread, as
  an ANOVA F would) keeps honest variation spread over many nodes from steering the budget, though
  not a question on which a whole honest stack stands apart (e055): the contrast is for that.
* :class:`QuestionSelector` - keeps the running mean of that discrimination per question across epochs and
  picks the epoch's questions greedily with optimistic initialisation (every question is tried
  once) and an exploration share (epsilon-greedy; Sutton & Barto, *Reinforcement Learning*,
  2nd ed., sec. 2.2-2.3; ``probes.exploration``, default 0.2), so a new kind of cheating on other
  questions is still found. With an upper confidence bound (below), which explores by itself, a
  share of 0 decides better (e062: in the simulation's judged set the random question only replaced
  a telling one). With
  ``bonus`` > 0 (``probes.question_selection = "learned_ucb"``) the greedy part ranks by an upper
  confidence bound instead of the mean: the mean + ``bonus`` x s x sqrt(2 ln T / n) (UCB1, Auer,
  Cesa-Bianchi & Fischer 2002, Mach. Learn. 47:235; s the pooled within-question standard deviation
  of the observed discriminations, T the observations so far, n the question's), so a question whose
  one early score was unlucky is asked again instead of being left to the exploration share. On the
  real runs (e055) that finds the telling questions on every validator history (Gemma-2-27B serving
  as 9B caught at >= 0.99 on 24 of 24 seeds, 20 of 24 by the mean), and with them the questions on
  which the claimed model's two honest runs differ most: the honest flag rate of Llama serving as 9B
  rises from 0.0058 to 0.0103, above alpha. So the default (``bonus`` 0, "learned") ranks by the mean.
  With ``contrast`` (``probes.question_selection = "learned_ucb_contrast"``: UCB as above) a question
  scores the top share's mean term *minus* the rest's: what the most suspicious nodes show beyond the
  presumed honest bulk, so a question on which honest stacks disagree among themselves loses its
  pull. On the real runs (e056) that keeps UCB's power and halves Llama as 9B's honest flag rate
  (0.0109 -> 0.0051 on the same 24 held-out seeds); over 48, 188 of 192 (seed, swap) cells meet
  issue 14's item 1.

:attr:`QuestionSelector.CHOICES` is the one home of what each ``probes.question_selection`` choice
means; the simulation and ``gaia-sim evaluate`` build their selectors through
:meth:`QuestionSelector.for_choice`.
"""

from __future__ import annotations

import numpy as np

from gaia_sim.errors import UserError


def discrimination(assessment, top: float = 0.1, contrast: bool = False) -> np.ndarray:
    """(Q,) mean standardised Fisher term over the ``top`` share of most suspicious nodes; with
    ``contrast``, minus the mean term of the other nodes (the presumed honest bulk, NaN skipped): a
    question on which honest nodes stand apart from each other (two honest stacks that answer it
    differently) then scores lower by what the bulk shows (e056).

    Needs ``assessment.details["question_p_location"]`` (the default detector provides it).
    """
    q_p = assessment.details.get("question_p_location") if assessment.details else None
    if q_p is None:
        raise UserError(
            "QuestionSelector.update: the assessment lacks per-question p-values (use the default detector)"
        )
    m = max(1, int(np.ceil(top * len(q_p))))
    order = np.argsort(np.nan_to_num(assessment.p_value, nan=1.0), kind="stable")
    score = _mean_term(q_p[order[:m]], empty=np.nan)
    if not contrast:
        return score
    return score - np.nan_to_num(_mean_term(q_p[order[m:]], empty=0.0), nan=0.0)


def _mean_term(q_p: np.ndarray, empty: float) -> np.ndarray:
    """(Q,) mean standardised Fisher term (-2 ln p - 2) / 2 over the rows of ``q_p`` (NaN skipped);
    ``empty`` for every question when no cell is a number."""
    terms = (-2.0 * np.log(q_p) - 2.0) / 2.0
    if not (~np.isnan(terms)).any():
        return np.full(q_p.shape[1], empty)
    with np.errstate(invalid="ignore"):
        return np.nanmean(terms, axis=0)


class QuestionSelector:
    """Learns per-question discrimination over epochs and chooses where to spend the budget.

    ``choose(k, rng)`` -> indices of ``k`` questions; ``update(question_idx, assessment)`` feeds
    the verdict on the batch the validators just collected (assessment of embeddings
    (nodes, len(question_idx), samples, dim) by the default detector).
    ``explore``: share of the ``k`` questions drawn uniformly from the rest; ``bonus``: weight of
    the upper-confidence term the greedy part ranks by (:attr:`index`; 0: the running mean);
    ``contrast``: score questions by :func:`discrimination`'s contrast against the honest bulk.
    """

    #: ``probes.question_selection`` -> the selector's traits (one home of what each choice means)
    CHOICES = {
        "learned": {"bonus": 0.0, "contrast": False},
        "learned_ucb": {"bonus": 1.0, "contrast": False},
        "learned_ucb_contrast": {"bonus": 1.0, "contrast": True},
    }

    @classmethod
    def for_choice(cls, choice: str, n_questions: int, explore: float = 0.2) -> QuestionSelector:
        """The selector ``probes.question_selection = choice`` asks for (:attr:`CHOICES`)."""
        if choice not in cls.CHOICES:
            raise UserError(f"question selection {choice!r}: allowed values are {', '.join(map(repr, cls.CHOICES))}")
        return cls(n_questions, explore=explore, **cls.CHOICES[choice])

    def __init__(self, n_questions: int, explore: float = 0.2, bonus: float = 0.0, contrast: bool = False):
        if n_questions < 1:
            raise UserError(f"QuestionSelector(n_questions={n_questions}): need at least one question")
        if not 0.0 <= explore <= 1.0:
            raise UserError(f"QuestionSelector(explore={explore}): must lie in [0, 1]")
        if not 0.0 <= bonus < np.inf:
            raise UserError(f"QuestionSelector(bonus={bonus}): must be a finite number >= 0")
        self.n_questions, self.explore, self.bonus = int(n_questions), float(explore), float(bonus)
        self.contrast = bool(contrast)
        self.total = np.zeros(self.n_questions)
        self.total_sq = np.zeros(self.n_questions)
        self.count = np.zeros(self.n_questions, dtype=int)

    @property
    def score(self) -> np.ndarray:
        """Running mean discrimination per question; +inf for questions never asked (optimistic start)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.total / self.count, np.inf)

    @property
    def spread(self) -> float:
        """Pooled within-question standard deviation of the observed discriminations (the standard
        deviation of all of them while no question has two; 0 with fewer than two observations)."""
        asked = self.count > 0
        dof = int(self.count.sum() - asked.sum())
        if dof > 0:
            within = self.total_sq[asked] - self.total[asked] ** 2 / self.count[asked]
            return float(np.sqrt(max(within.sum(), 0.0) / dof))
        n = int(self.count.sum())
        if n < 2:
            return 0.0
        var = (self.total_sq.sum() - self.total.sum() ** 2 / n) / (n - 1)
        return float(np.sqrt(max(var, 0.0)))

    @property
    def index(self) -> np.ndarray:
        """Upper confidence bound per question, what the greedy part ranks by: the mean plus
        ``bonus`` x :attr:`spread` x sqrt(2 ln T / n) (UCB1); +inf for questions never asked."""
        total = max(int(self.count.sum()), 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            width = self.bonus * self.spread * np.sqrt(2.0 * np.log(total) / self.count)
            return np.where(self.count > 0, self.total / self.count + width, np.inf)

    def best(self, k: int) -> np.ndarray:
        """The ``k`` questions with the highest running mean (:attr:`score`; ties to the lower index),
        sorted: what a validator judges on once it stops learning (``evaluation.learn_questions``)."""
        return np.sort(np.lexsort((np.arange(self.n_questions), -self.score))[:k])

    def choose(self, k: int, rng: np.random.Generator) -> np.ndarray:
        k = min(int(k), self.n_questions)
        n_explore = int(round(self.explore * k))
        # random tie-breaking among equal indices (e.g. all never asked)
        order = np.lexsort((rng.random(self.n_questions), -self.index))
        greedy = order[: k - n_explore]
        rest = np.setdiff1d(np.arange(self.n_questions), greedy)
        extra = rng.choice(rest, size=min(n_explore, len(rest)), replace=False) if n_explore else []
        return np.sort(np.concatenate([greedy, np.asarray(extra, dtype=int)]).astype(int))

    def update(self, question_idx, assessment) -> None:
        q = np.asarray(question_idx, dtype=int)
        f = discrimination(assessment, contrast=self.contrast)
        if f.shape != q.shape:
            raise UserError(f"QuestionSelector.update: {len(q)} question ids but embeddings for {f.shape[0]} questions")
        ok = ~np.isnan(f)
        np.add.at(self.total, q[ok], f[ok])
        np.add.at(self.total_sq, q[ok], f[ok] ** 2)
        np.add.at(self.count, q[ok], 1)
