"""Evaluation harness: ROC curves and TPR at a fixed FPR for every detector and cheating variant.

``gaia-sim evaluate`` builds many simulated verdicts ("trials"): a domain of ``nodes`` nodes of
which ``cheaters`` serve another configuration than the one they claim; every node answers the
same questions (``answers`` per node = questions x samples); each detector scores every node.
Pooling honest and cheater scores over trials gives the ROC curve; TPR at FPR = 1% uses the
threshold at the 99th percentile of honest scores (issue 4's definition). The honest flag rate
is the share of honest nodes the detector *flags* at ``alpha`` (its own calibrated decision).

Sources: (a) the answer bank (``gaia_sim.answers.bank.load_default_bank``, roles from
docs/answers.md), (b) the real Gaia answers (``gaia_sim.answers.gaia_real``): honest nodes draw
from the claimed model's answers, each honest node from the 2025-03-19 or the 2025-03-26 run
(honest variation between runs/stacks), cheaters from another model's answers.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from gaia_sim.answers.embed import default_backend
from gaia_sim.atomic import atomic_write, check_output_dir
from gaia_sim.detector import DETECTORS, QuestionSelector, assess
from gaia_sim.errors import UserError
from gaia_sim.params import ProbeParams

#: The exploration share of learned question selection: ``probes.exploration``'s default (one home: the schema).
EXPLORATION = ProbeParams.model_fields["exploration"].default

#: ``--holdout``'s default: validators learn their questions on the first 40% of each run block's answers
#: and are judged on the rest (issue 14 item 1's protocol: questions learned on data not used for judging).
#: 0 learns and judges on the same answers, which flatters the learned rows (:data:`IN_SAMPLE_NOTE`).
HOLDOUT = 0.4


# ----------------------------------------------------------------------------- pools of answers
@dataclass(frozen=True)
class Pool:
    """Answers of one configuration: ``emb[question]`` -> (answers, dim) array (ragged over runs)."""

    name: str
    emb: tuple  # per question: list over runs of (R, D) arrays

    def n_runs(self) -> int:
        return len(self.emb[0])


def real_pools(data, runs=None) -> dict[str, Pool]:
    """One Pool per real Gaia model, with one answer block per run of ``runs`` (default: every run
    ``data`` holds, in its order; runs kept apart)."""
    runs = tuple(data.runs) if runs is None else tuple(runs)
    pools = {}
    for i, node in enumerate(data.nodes):
        per_q = tuple(
            [data.embeddings[r][i, q].astype(np.float32) for r in runs] for q in range(len(data.question_ids))
        )
        pools[node] = Pool(node, per_q)
    return pools


def split_pools(pools: dict[str, Pool], share: float) -> tuple[dict[str, Pool], dict[str, Pool]]:
    """(learn, judge) pools: the first ``round(share R)`` answers (repeats, in file order) of every
    run block learn, the rest judge, at least one each. Validators learn their questions on earlier
    answers and are judged on later ones, so a learned set is not scored on the data it was chosen
    on. ``share = 0``: both are the full pools (learning in-sample)."""
    if share <= 0:
        return pools, pools

    def cut(block):
        return min(max(1, int(round(share * len(block)))), len(block) - 1)

    learn = {k: Pool(p.name, tuple([b[: cut(b)] for b in q] for q in p.emb)) for k, p in pools.items()}
    judge = {k: Pool(p.name, tuple([b[cut(b) :] for b in q] for q in p.emb)) for k, p in pools.items()}
    return learn, judge


def draw_node(pool: Pool, questions: np.ndarray, samples: int, rng: np.random.Generator, run: int) -> np.ndarray:
    """(Q, S, D) answers of one node drawn with replacement from one run's answers (the run's
    empirical answer distribution stands for the model's)."""
    out = []
    for q in questions:
        block = pool.emb[q][run]
        out.append(block[rng.integers(0, len(block), size=samples)])
    return np.stack(out)


def diluted_node(honest: Pool, cheat: Pool, questions, samples: int, share: float, rng, run: int) -> np.ndarray:
    """(Q, S, D) answers of a node that serves each answer from ``cheat`` with probability ``share``
    (diluted cheating), else from ``honest`` (its stack ``run``); :func:`draw_node` for both."""
    good = draw_node(honest, questions, samples, rng, run)
    bad = draw_node(cheat, questions, samples, rng, 0)
    swap = rng.random((len(questions), samples)) < share
    return np.where(swap[..., None], bad, good)


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


def make_trial(
    pools: dict[str, Pool],
    spec: TrialSpec,
    rng: np.random.Generator,
    question_pool: np.ndarray | None = None,
    questions: np.ndarray | None = None,
    labels: np.ndarray | None = None,
):
    """Embeddings (nodes, questions, samples, dim), labels (True = cheater) and the question
    indices of one trial: ``questions`` if given, else ``spec.questions`` drawn from ``question_pool``;
    ``labels`` if given (the same nodes cheat every epoch), else ``spec.cheaters`` random nodes."""
    honest, cheat = pools[spec.honest], pools[spec.cheat]
    qpool = np.arange(len(honest.emb)) if question_pool is None else np.asarray(question_pool)
    qs = (
        np.asarray(questions)
        if questions is not None
        else np.sort(rng.choice(qpool, size=min(spec.questions, len(qpool)), replace=False))
    )
    if labels is None:
        labels = np.zeros(spec.nodes, dtype=bool)
        labels[rng.choice(spec.nodes, size=spec.cheaters, replace=False)] = True
    x = np.stack(
        [
            draw_node(
                cheat if bad else honest,
                qs,
                spec.samples,
                rng,
                int(rng.choice(spec.cheat_runs if bad else spec.honest_runs)),
            )
            for bad in labels
        ]
    )
    return x, labels, qs


# ----------------------------------------------------------------------------- metrics
def tpr_at_fpr(honest_scores: np.ndarray, cheat_scores: np.ndarray, fpr: float = 0.01) -> float:
    """TPR at the threshold = (1 - fpr) quantile of honest scores (strictly above counts). A missing
    (NaN) score counts against the detector: an honest one as the highest, a cheater's as the lowest."""
    h = np.nan_to_num(np.asarray(honest_scores, float), nan=np.inf)
    c = np.nan_to_num(np.asarray(cheat_scores, float), nan=-np.inf)
    thr = np.quantile(h, 1.0 - fpr, method="higher")
    return float(np.mean(c > thr))


def roc_curve(honest_scores: np.ndarray, cheat_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) over all thresholds (Fawcett 2006, Pattern Recogn. Lett. 27:861); NaN scores count
    against the detector (honest: flagged at every threshold, cheater: never)."""
    h = np.nan_to_num(np.asarray(honest_scores, float), nan=np.inf)
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

    def merge(self, other: "Outcome") -> "Outcome":
        """Pool another outcome's verdicts into this one (same setting and detector)."""
        self.honest += other.honest
        self.cheat += other.cheat
        self.flagged_honest += other.flagged_honest
        self.flagged_cheat += other.flagged_cheat
        return self

    def summary(self, fpr: float = 0.01) -> dict:
        h, c = np.concatenate(self.honest), np.concatenate(self.cheat)
        f, t = roc_curve(h, c)
        return {
            "tpr_at_fpr": tpr_at_fpr(h, c, fpr),
            "auc": auc(f, t),
            "honest_flag_rate": self.flagged_honest / max(len(h), 1),
            "cheat_flag_rate": self.flagged_cheat / max(len(c), 1),
            "n_honest": len(h),
            "n_cheat": len(c),
        }


def evaluate_setting(
    pools,
    spec: TrialSpec,
    detectors: dict,
    trials: int,
    rng: np.random.Generator,
    alpha: float = 0.01,
    question_pool=None,
) -> dict[str, Outcome]:
    """Run ``trials`` trials of one setting through every detector (name -> assess options)."""
    out = {name: Outcome() for name in detectors}
    for _ in range(trials):
        x, labels, _ = make_trial(pools, spec, rng, question_pool)
        for name, opts in detectors.items():
            out[name].add(assess(x, alpha=alpha, **opts), labels)
    return out


def selection_gain(
    pools,
    spec: TrialSpec,
    epochs: int,
    reps: int,
    rng: np.random.Generator,
    explore: float = EXPLORATION,
    alpha: float = 0.01,
    learn_pools=None,
) -> dict[str, np.ndarray]:
    """Per-epoch TPR at FPR 1% (pooled over ``reps`` independent networks) of validators that learn
    question selection (:class:`QuestionSelector`) against validators asking random questions; the
    selectors learn from verdicts on ``learn_pools`` (:func:`learned_verdict`)."""
    n_q = len(pools[spec.honest].emb)
    outcomes = {"learned": [Outcome() for _ in range(epochs)], "random": [Outcome() for _ in range(epochs)]}
    for _ in range(reps):
        selector = QuestionSelector(n_q, explore=explore)
        for epoch in range(epochs):
            qs = selector.choose(spec.questions, rng)
            x, labels, _ = make_trial(pools, spec, rng, questions=qs)
            verdict = assess(x, alpha=alpha)
            outcomes["learned"][epoch].add(verdict, labels)
            selector.update(qs, learned_verdict(verdict, learn_pools, pools, spec, qs, rng, alpha=alpha))
            x, labels, _ = make_trial(pools, spec, rng)
            outcomes["random"][epoch].add(assess(x, alpha=alpha), labels)
    return {k: np.array([o.summary()["tpr_at_fpr"] for o in v]) for k, v in outcomes.items()}


def evaluate_learned(
    pools,
    spec: TrialSpec,
    detectors: dict,
    trials: int,
    rng: np.random.Generator,
    question_sets: list,
    alpha: float = 0.01,
) -> dict[str, Outcome]:
    """``trials`` verdicts split evenly over independently learned question sets (one per validator
    history), pooled: the TPR then averages over what validators may have learned, not one lucky
    or unlucky set."""
    out = {name: Outcome() for name in detectors}
    sets = question_sets[: max(trials, 1)]  # fewer trials than histories: one trial per set
    for i, qs in enumerate(sets):
        share = trials // len(sets) + (i < trials % len(sets))
        for name, outcome in evaluate_setting(pools, spec, detectors, share, rng, alpha, qs).items():
            out[name].merge(outcome)
    return out


def learn_selector(
    pools,
    spec: TrialSpec,
    epochs: int,
    rng: np.random.Generator,
    detector: str = "default",
    selection: str = "learned",
    explore: float = EXPLORATION,
) -> QuestionSelector:
    """The :class:`QuestionSelector` ``probes.question_selection = selection`` builds ("learned",
    "learned_ucb" (e055) or "learned_ucb_contrast" (e056)), with ``explore`` as
    ``probes.exploration``, after ``epochs`` epochs of live verdicts on independent draws (what a
    validator would have learned before this verdict), the verdicts by ``detector`` (in the
    simulation the selector learns from the scenario's detector; e054: which one makes no
    difference here)."""
    selector = QuestionSelector.for_choice(selection, len(pools[spec.honest].emb), explore=explore)
    for _ in range(epochs):
        qs = selector.choose(spec.questions, rng)
        x, _, _ = make_trial(pools, spec, rng, questions=qs)
        selector.update(qs, assess(x, detector=detector))
    return selector


def learn_questions(
    pools,
    spec: TrialSpec,
    k: int,
    epochs: int,
    rng: np.random.Generator,
    detector: str = "default",
    selection: str = "learned",
    explore: float = EXPLORATION,
) -> np.ndarray:
    """The ``k`` questions the selector of :func:`learn_selector` ranks highest by its running mean
    (learning stopped: not what a validator of the simulation asks, which keeps exploring; e060)."""
    selector = learn_selector(pools, spec, epochs, rng, detector, selection, explore)
    return selector.best(k)


def learned_verdict(verdict, learn_pools, pools, spec: TrialSpec, questions, rng, labels=None, **options):
    """The verdict a selector learns from: ``verdict`` itself when it learns on the judged answers
    (``learn_pools`` None or ``pools``: in-sample), else a verdict on a draw of the same questions from
    ``learn_pools`` (:func:`split_pools`), so that the selector never sees an answer it is judged on."""
    if learn_pools is None or learn_pools is pools:
        return verdict
    x, _, _ = make_trial(learn_pools, spec, rng, questions=questions, labels=labels)
    return assess(x, **options)


def sequential_run(
    pools,
    spec: TrialSpec,
    epochs: int,
    reps: int,
    rng: np.random.Generator,
    alpha: float = 0.01,
    learn: bool = False,
    learn_pools=None,
) -> dict:
    """Small per-epoch budgets accumulated with :class:`EvidenceAccumulator` (e-values, Ville):
    share of cheaters flagged by each epoch and share of honest nodes ever flagged. The same nodes
    cheat in every epoch; with ``learn`` the validators choose questions with a QuestionSelector,
    which learns from verdicts on ``learn_pools`` (:func:`learned_verdict`)."""
    from gaia_sim.detector import EvidenceAccumulator

    caught, honest_ever, n_honest = np.zeros(epochs), 0, 0
    labels = np.arange(spec.nodes) < spec.cheaters
    for _ in range(reps):
        acc, ever = EvidenceAccumulator(alpha=alpha), np.zeros(spec.nodes, dtype=bool)
        selector = QuestionSelector(len(pools[spec.honest].emb), explore=EXPLORATION) if learn else None
        for epoch in range(epochs):
            qs = selector.choose(spec.questions, rng) if learn else None
            x, _, qs = make_trial(pools, spec, rng, questions=qs, labels=labels)
            verdict = assess(x, alpha=alpha, fdr="none")
            ever |= acc.update(np.arange(spec.nodes), verdict.p_value)
            if learn:
                selector.update(
                    qs, learned_verdict(verdict, learn_pools, pools, spec, qs, rng, labels, alpha=alpha, fdr="none")
                )
            caught[epoch] += ever[labels].sum()
        honest_ever += int(ever[~labels].sum())
        n_honest += int((~labels).sum())
    return {
        "cheaters_flagged_by_epoch": np.round(caught / (reps * spec.cheaters), 3).tolist(),
        "honest_ever_flagged": honest_ever / max(n_honest, 1),
        "honest_node_histories": n_honest,
    }


# ----------------------------------------------------------------------------- sources
REAL_PAIRINGS = (
    ("gemma-2-27b", "gemma-2-9b"),
    ("gemma-2-9b", "gemma-2-27b"),
    ("gemma-2-27b", "llama-3-1-8b"),
    ("gemma-2-9b", "llama-3-1-8b"),
)
BANK_CHEATS = ("cheaper_model", "low_precision", "wrong_kb", "no_kb", "lazy_truncated", "lazy_replay", "lazy_refusal")


QUESTION_KINDS = ("all", "kb", "general")


def question_kind_ids(bank, kind: str) -> list[str]:
    """The bank's questions of one kind: ``kb`` those answerable only from a knowledge base (the
    manifest's ``kb`` label; the claimed configuration's KB in the shipped bank), ``general`` the rest."""
    if kind not in QUESTION_KINDS:
        raise UserError(f"question kind {kind!r}: allowed {QUESTION_KINDS}")
    kb = {q["id"]: q.get("kb", "") for q in bank.meta.get("questions", [])}
    return [q for q in bank.questions if kind == "all" or (kind == "kb") == bool(kb.get(q, ""))]


def bank_pools(bank, kind: str = "all") -> tuple[dict[str, Pool], list[tuple[str, str]], tuple]:
    """Pools per bank role over the questions of ``kind`` (:data:`QUESTION_KINDS`): "honest" = the
    claimed config plus its honest variants (one block each: honest variation), one pool per cheating
    role; returns pools, pairings, honest blocks."""
    honest_cfgs = [bank.role_config("claimed"), *bank.roles.get("honest_variants", [])]
    questions = question_kind_ids(bank, kind)

    def block(cfg, q):
        return bank.embeddings[bank.rows_of(cfg, q)].astype(np.float32)

    pools = {"honest": Pool("honest", tuple([block(c, q) for c in honest_cfgs] for q in questions))}
    pairings = []
    for role in BANK_CHEATS:
        if role in bank.roles:
            cfg = bank.role_config(role)
            pools[role] = Pool(role, tuple([block(cfg, q)] for q in questions))
            pairings.append(("honest", role))
    return pools, pairings, tuple(range(len(honest_cfgs)))


def _load_source(name: str, kind: str = "all", runs: tuple[str, ...] | None = None):
    """(pools, pairings, honest run blocks, cheater run blocks) of a source; ``runs``: the real runs
    (default: the shipped two)."""
    if name == "real":
        if kind != "all":
            raise UserError("gaia-sim evaluate: --question-kind applies to --source bank (the real answers have no KB)")
        from gaia_sim.answers import gaia_real

        if runs is None:
            reason = gaia_real.missing_reason()
            if reason:
                raise UserError(reason)
        data = gaia_real.load_real(runs=runs or gaia_real.DEFAULT_RUNS)
        pools = real_pools(data)
        pairings = [(h, c) for h, c in REAL_PAIRINGS if h in pools and c in pools]
        if not pairings:
            raise UserError(
                f"gaia-sim evaluate: the real runs hold {sorted(pools)}, none of the pairings {REAL_PAIRINGS}"
            )
        blocks = tuple(range(len(data.runs)))
        return pools, pairings, blocks, blocks
    from gaia_sim.answers.bank import load_default_bank

    pools, pairings, honest_runs = bank_pools(load_default_bank(), kind)
    return pools, pairings, honest_runs, (0,)


# ----------------------------------------------------------------------------- figures and files
def _atomic_json(path: Path, obj) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, sort_keys=True)))


def _atomic_png(fig, path: Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))


def plot_roc(curves: dict, title: str, path: Path) -> None:
    """ROC curves (one per detector) on log-FPR axes, the FPR = 1% line marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.0))
    for name, (f, t) in curves.items():
        ax.step(np.maximum(f, 1e-4), t, where="post", label=name)
    ax.axvline(0.01, color="grey", ls=":", lw=1)
    ax.set(
        xscale="log",
        xlim=(1e-4, 1),
        ylim=(0, 1.02),
        xlabel="false-positive rate (honest nodes)",
        ylabel="true-positive rate (cheaters)",
        title=title,
    )
    ax.legend(loc="lower right", fontsize=8)
    _atomic_png(fig, path)
    plt.close(fig)


def plot_budget(rows: list[dict], title: str, path: Path) -> None:
    """TPR at FPR = 1% against answers per node: one panel per pairing, one line per
    (detector, question selection)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairings = sorted({r["pairing"] for r in rows})
    cols = min(2, len(pairings))
    nrows = -(-len(pairings) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.2 * nrows), squeeze=False, sharey=True)
    styles = {"default": ("tab:blue", "-"), "median_rank": ("tab:orange", "--"), "paper": ("tab:grey", ":")}
    for ax, pairing in zip(axes.ravel(), pairings):
        for det in sorted({r["detector"] for r in rows}):
            for mode, marker in (("learned", "o"), ("random", "x")):
                pts = sorted(
                    (r["answers"], r["tpr_at_fpr"])
                    for r in rows
                    if (r["pairing"], r["detector"], r["questions_mode"]) == (pairing, det, mode)
                )
                if pts:
                    color, ls = styles.get(det, ("black", "-"))
                    ax.plot(
                        *zip(*pts),
                        color=color,
                        ls=ls,
                        marker=marker,
                        alpha=1.0 if mode == "learned" else 0.6,
                        label=f"{det}, {mode} questions",
                    )
        ax.axhline(0.99, color="grey", ls=":", lw=1)
        ax.set(title=pairing, xlabel="answers per node per verdict", ylabel="TPR at FPR = 1%", ylim=(0, 1.03))
    for ax in axes.ravel()[len(pairings) :]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    _atomic_png(fig, path)
    plt.close(fig)


# ----------------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=("real", "bank", "both"),
        default="real",
        help="answers to evaluate on: the real Gaia answers, the shipped answer bank, or both",
    )
    parser.add_argument("--trials", type=int, default=200, help="simulated verdicts per setting (default 200)")
    parser.add_argument("--nodes", type=int, default=30, help="nodes per domain (default 30)")
    parser.add_argument("--cheaters", type=int, default=3, help="cheating nodes per domain (default 3)")
    parser.add_argument("--questions", type=int, default=5, help="questions per verdict (default 5)")
    parser.add_argument("--budgets", default="5,10,15,25", help="answers per node per verdict, comma-separated")
    parser.add_argument("--alpha", type=float, default=0.01, help="detector level (default 0.01)")
    parser.add_argument(
        "--detectors",
        default=",".join(DETECTORS),
        help=f"detectors to compare, comma-separated (default: every named detector, {','.join(DETECTORS)})",
    )
    parser.add_argument(
        "--epochs", type=int, default=12, help="epochs of live verdicts (largest budget) to learn question selection"
    )
    parser.add_argument(
        "--question-selection",
        choices=tuple(QuestionSelector.CHOICES),
        default="learned",
        help="how the validator histories learn their question sets, as probes.question_selection: learned (ranked by mean, default), learned_ucb (by an upper confidence bound, e055) or learned_ucb_contrast (the same, each question scored against the honest bulk, e056)",
    )
    parser.add_argument(
        "--exploration",
        type=float,
        default=EXPLORATION,
        help=f"as probes.exploration: share of each learning epoch's questions drawn at random (default {EXPLORATION})",
    )
    parser.add_argument(
        "--histories",
        type=int,
        default=5,
        help="independent validator histories that learn question sets; learned-question trials are split over them (default 5)",
    )
    parser.add_argument(
        "--holdout",
        type=float,
        default=HOLDOUT,
        help=f"share of each run's answers (the earliest repeats) on which validators learn questions; verdicts are judged on the rest only (default {HOLDOUT}; 0: learn and judge on all answers, in-sample)",
    )
    parser.add_argument(
        "--question-kind",
        choices=QUESTION_KINDS,
        default="all",
        help="bank questions to ask: all, kb (answerable only from the claimed KB) or general (default all)",
    )
    parser.add_argument(
        "--real-runs",
        default=None,
        help="real runs to draw nodes from, comma-separated: the *.jsonl files of the data folder ($GAIA_DATA_DIR), "
        "each named by its stem without 'three_models_' (default 2025-03-19,2025-03-26, the shipped runs); "
        "honest nodes and cheaters each draw from one of them",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default="results/evaluation", help="output folder (default results/evaluation)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _check_args(args) -> None:
    for name in ("trials", "nodes", "questions", "epochs", "histories"):
        if getattr(args, name) < 1:
            raise UserError(f"gaia-sim evaluate: --{name} must be >= 1, got {getattr(args, name)}")
    if not 0.0 <= getattr(args, "holdout", HOLDOUT) < 1.0:
        raise UserError(f"gaia-sim evaluate: --holdout must lie in [0, 1), got {args.holdout}")
    if not 0.0 <= getattr(args, "exploration", EXPLORATION) <= 1.0:
        raise UserError(f"gaia-sim evaluate: --exploration must lie in [0, 1], got {args.exploration}")
    if not 0 <= args.cheaters < args.nodes:
        raise UserError(f"gaia-sim evaluate: --cheaters must lie in [0, --nodes), got {args.cheaters}")
    if getattr(args, "real_runs", None) is not None and args.source == "bank":
        raise UserError("gaia-sim evaluate: --real-runs applies to --source real or both, not bank")
    unknown = [d for d in args.detectors.split(",") if d not in DETECTORS]
    if unknown:
        raise UserError(f"gaia-sim evaluate: --detectors: unknown {unknown}; allowed {sorted(DETECTORS)}")


def _budgets(text: str, questions: int) -> list[int]:
    try:
        budgets = sorted({int(b) for b in text.split(",")})
    except ValueError:
        raise UserError(f"gaia-sim evaluate: --budgets must be integers separated by commas, got {text!r}") from None
    if not budgets or budgets[0] < questions:
        raise UserError(f"gaia-sim evaluate: --budgets must be >= --questions ({questions}), got {text!r}")
    return budgets


def _real_runs(args) -> tuple[str, ...] | None:
    """``--real-runs`` as a tuple of run names (None: the shipped runs)."""
    text = getattr(args, "real_runs", None)
    if text is None:
        return None
    runs = tuple(r.strip() for r in text.split(",") if r.strip())
    if not runs:
        raise UserError(f"gaia-sim evaluate: --real-runs needs one or more run names, got {text!r}")
    return runs


def evaluate_source(source: str, args, rng: np.random.Generator, out: Path) -> list[dict]:
    """All settings of one source -> result rows; writes ROC figures for the largest budget."""
    pools, pairings, honest_runs, cheat_runs = _load_source(
        source, getattr(args, "question_kind", "all"), _real_runs(args)
    )
    learn_pools, pools = split_pools(pools, getattr(args, "holdout", HOLDOUT))
    detectors = {d: {"detector": d} for d in args.detectors.split(",")}
    rows = []
    budgets = _budgets(args.budgets, args.questions)
    selection = getattr(args, "question_selection", "learned")
    explore = getattr(args, "exploration", EXPLORATION)
    note = thin_blocks_note(pools, [h for h, _ in pairings], max(budgets) // args.questions)
    if note:
        print(note, flush=True)
    bar = tqdm(
        total=len(pairings) * 2 * len(budgets),
        desc=f"evaluate {source}",
        unit="setting",
        disable=getattr(args, "no_progress", False),
    )
    for honest, cheat in pairings:
        base = TrialSpec(
            honest,
            cheat,
            args.nodes,
            args.cheaters,
            args.questions,
            max(1, max(budgets) // args.questions),
            honest_runs,
            cheat_runs,
        )
        learned = [
            learn_questions(learn_pools, base, args.questions, args.epochs, rng, selection=selection, explore=explore)
            for _ in range(args.histories)
        ]
        for mode, qsets in (("random", None), ("learned", learned)):
            for budget in budgets:
                spec = TrialSpec(
                    honest,
                    cheat,
                    args.nodes,
                    args.cheaters,
                    args.questions,
                    budget // args.questions,
                    honest_runs,
                    cheat_runs,
                )
                res = (
                    evaluate_setting(pools, spec, detectors, args.trials, rng, args.alpha)
                    if qsets is None
                    else evaluate_learned(pools, spec, detectors, args.trials, rng, qsets, args.alpha)
                )
                for name, outcome in res.items():
                    rows.append(
                        {
                            "source": source,
                            "pairing": f"{cheat} as {honest}",
                            "detector": name,
                            "questions_mode": mode,
                            "answers": spec.questions * spec.samples,
                            "questions": [[int(q) for q in qs] for qs in (qsets or [])],
                            **outcome.summary(),
                        }
                    )
                if budget == max(budgets):
                    curves = {n: roc_curve(np.concatenate(o.honest), np.concatenate(o.cheat)) for n, o in res.items()}
                    plot_roc(
                        curves,
                        f"{source}: {cheat} as {honest}, {mode} q, {budget} answers",
                        out / f"roc_{source}_{cheat}_as_{honest}_{mode}.png",
                    )
                bar.update(1)
    bar.close()
    return rows


def honest_null(source: str, args, rng: np.random.Generator) -> list[dict]:
    """All nodes honest (honest variation included): flag rate of the default detector at alpha."""
    pools, pairings, honest_runs, _ = _load_source(source, runs=_real_runs(args))
    pools = split_pools(pools, getattr(args, "holdout", HOLDOUT))[1]
    rows = []
    for honest in sorted({h for h, _ in pairings}):
        spec = TrialSpec(
            honest, honest, args.nodes, 0, args.questions, max(1, 25 // args.questions), honest_runs, honest_runs
        )
        res = evaluate_setting(pools, spec, {"default": {"detector": "default"}}, args.trials, rng, args.alpha)
        summary = res["default"]
        n = sum(len(h) for h in summary.honest)
        rows.append(
            {
                "source": source,
                "honest": honest,
                "nodes_judged": n,
                "honest_flag_rate": summary.flagged_honest / max(n, 1),
            }
        )
    return rows


def dynamics(source: str, args, rng: np.random.Generator) -> dict:
    """Across epochs, for each pairing: learned vs random question selection (TPR at FPR 1% per
    epoch, 5 questions x 5 answers) and sequential evidence with a small budget (2 x 3 answers),
    with random and with learned questions."""
    pools, pairings, honest_runs, cheat_runs = _load_source(source, runs=_real_runs(args))
    learn_pools, pools = split_pools(pools, getattr(args, "holdout", HOLDOUT))
    reps = max(4, args.trials // 10)
    out = {}
    for honest, cheat in pairings:
        spec = TrialSpec(honest, cheat, args.nodes, args.cheaters, 5, 5, honest_runs, cheat_runs)
        gain = selection_gain(pools, spec, args.epochs, reps, rng, alpha=args.alpha, learn_pools=learn_pools)
        small = TrialSpec(honest, cheat, args.nodes, args.cheaters, 2, 3, honest_runs, cheat_runs)
        out[f"{cheat} as {honest}"] = {
            "selection": {k: np.round(v, 3).tolist() for k, v in gain.items()},
            "sequential_2x3": sequential_run(pools, small, args.epochs, reps, rng, args.alpha),
            "sequential_2x3_learned": sequential_run(
                pools, small, args.epochs, reps, rng, args.alpha, learn=True, learn_pools=learn_pools
            ),
        }
    return out


def thin_blocks_note(pools: dict[str, Pool], honest_models, samples: int) -> str | None:
    """A warning line naming the honest run blocks (judging pool) that hold fewer answers to some
    question than ``samples`` needs (:func:`gaia_sim.runner.max_samples_per_question`): their
    honest nodes replay a few answers, look alike, and the honest nodes of the other blocks get
    flagged beside them (e053: 433 of 7,367 on the affected question sets, 8 of 15,120 with one
    stack, 193 of 7,367 with both stacks as thin: the thinness explains about half). The simulation
    refuses such draws; the evaluation keeps item 1's protocol and says so."""
    from gaia_sim.runner import max_samples_per_question

    thin = []
    for model in sorted(set(honest_models)):
        for run in range(pools[model].n_runs()):
            held = min(len(q[run]) for q in pools[model].emb)
            if samples > max_samples_per_question(held):
                thin.append(f"{model} run block {run} ({held} answers per question)")
    if not thin:
        return None
    return (
        f"note: {samples} answers per question are drawn with replacement from honest run blocks that hold too few: "
        f"{'; '.join(thin)}. Their honest nodes replay near-identical answers, and honest nodes of the other "
        f"blocks get flagged beside them (experiments/e053_item1_question_sets): the honest flag rates, and the "
        f"power bought with them, include that artefact. The simulation refuses such draws (probes.samples_per_question)"
    )


#: Fewer trials than this per setting and a TPR at FPR 1% rests on too few verdicts to mean much.
FEW_TRIALS = 50


def trials_note(trials: int, cheaters: int, nodes: int) -> str | None:
    """A warning line when ``trials`` per setting are too few for TPR at FPR 1% to mean anything."""
    if trials >= FEW_TRIALS:
        return None
    honest = trials * (nodes - cheaters)
    return (
        f"note: only {trials} trial(s) per setting: each TPR rests on {trials * cheaters} cheater verdicts "
        f"(steps of {1 / max(trials * cheaters, 1):.2f}) and the FPR 1% threshold on {honest} honest scores; "
        f"use --trials {FEW_TRIALS} or more before reading these numbers"
    )


#: Printed under every table with "learned" rows: what those rows assume of the validators (e060).
LEARNED_ROWS_NOTE = (
    "note: the 'learned' rows judge on each validator history's top questions by running mean, learning "
    "stopped; a validator of the simulation keeps exploring (probes.exploration of its questions at random, "
    "default 0.2, every asked question judged) and ranks its greedy questions by the selector's index: on the "
    "real runs (learned_ucb_contrast, default_nearest) it decides Gemma-2-27B as 9B at 0.9905 against "
    "0.9953 and flags honest Gemma-2-9B nodes at 0.0079 against 0.0055 at the default 0.2 "
    "(experiments/e060_judged_set), and as these rows say at probes.exploration = 0: 0.9950 against 0.9952, "
    "honest 0.0045 (experiments/e062_exploration_share)"
)


#: Printed under the table when ``--holdout 0`` learned the questions on the answers they are judged on.
IN_SAMPLE_NOTE = (
    "note: --holdout 0: the 'learned' rows' questions were learned on the same answers they are judged on "
    "(in-sample), which flatters them: on the shipped real runs the default detector decides Gemma-2-27B as 9B "
    "at 0.990 in-sample against 0.678 with the default hold-out (TPR@1% 1.000 against 0.897; seed 36, 200 "
    "verdicts, learned_ucb_contrast; experiments/e064_in_sample_learning)"
)


def run(args) -> int:
    _check_args(args)
    with warnings.catch_warnings():
        # nodes that gave no answer to a question are NaN rows by design; numpy's reductions over them warn
        warnings.filterwarnings("ignore", message="All-NaN slice encountered", category=RuntimeWarning)
        warnings.filterwarnings("ignore", message="Mean of empty slice", category=RuntimeWarning)
        return _run(args)


def _run(args) -> int:
    out = check_output_dir(args.out, "--out folder")
    rng = np.random.default_rng(args.seed)
    sources = ("real", "bank") if args.source == "both" else (args.source,)
    started = time.perf_counter()
    rows, null_rows, extra = [], [], {}
    for source in sources:
        rows += evaluate_source(source, args, rng, out)
        null_rows += honest_null(source, args, rng)
        plot_budget(
            [r for r in rows if r["source"] == source and r["detector"] != "paper"],
            f"{source}: TPR at FPR 1% vs budget",
            out / f"tpr_vs_answers_{source}.png",
        )
        extra[source] = dynamics(source, args, rng)
    _atomic_json(
        out / "evaluation.json",
        {
            # the real answers' embeddings depend on the backend (to ~2e-7, which can move a verdict: e044)
            "settings": {k: v for k, v in vars(args).items() if k != "func"} | {"embedding_backend": default_backend()},
            "rows": rows,
            "honest_null": null_rows,
            "dynamics": extra,
            "seconds": time.perf_counter() - started,
        },
    )
    _print_table(rows, null_rows)
    for source, per in extra.items():
        for pairing, d in per.items():
            print(
                f"{source} {pairing}: TPR@1% per epoch learned {d['selection']['learned']} "
                f"random {d['selection']['random']}"
            )
            for key in ("sequential_2x3", "sequential_2x3_learned"):
                print(
                    f"  {key}: cheaters flagged by epoch {d[key]['cheaters_flagged_by_epoch']}, honest ever "
                    f"flagged {d[key]['honest_ever_flagged']:.4f} of {d[key]['honest_node_histories']}"
                )
    if rows:
        print(LEARNED_ROWS_NOTE)
        if getattr(args, "holdout", HOLDOUT) == 0:
            print(IN_SAMPLE_NOTE)
    note = trials_note(args.trials, args.cheaters, args.nodes)
    if note:
        print(note)
    print(f"wrote {out}/evaluation.json and figures in {time.perf_counter() - started:.0f} s")
    return 0


def _print_table(rows: list[dict], null_rows: list[dict]) -> None:
    print(
        f"{'source':6} {'pairing':34} {'questions':9} {'answers':>7} {'detector':15} {'TPR@1%':>7} "
        f"{'decision TPR':>12} {'honest flag':>11}"
    )
    for r in rows:
        print(
            f"{r['source']:6} {r['pairing']:34} {r['questions_mode']:9} {r['answers']:7d} {r['detector']:15} "
            f"{r['tpr_at_fpr']:7.3f} {r['cheat_flag_rate']:12.3f} {r['honest_flag_rate']:11.4f}"
        )
    for r in null_rows:
        print(
            f"all honest ({r['source']}, {r['honest']}): flag rate {r['honest_flag_rate']:.4f} over {r['nodes_judged']} node verdicts"
        )
