"""Run a scenario: build the model, step it through every epoch, hand back tidy results.

``simulate(scenario)`` is the one entry point used by the CLI, sweeps and the dashboard; it does
no file I/O (``gaia_sim.results`` writes). Same scenario and seed -> identical results.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from gaia_sim.answers.source import AnswerSource
from gaia_sim.errors import UserError
from gaia_sim.outcomes import run_settled_epoch, run_summary
from gaia_sim.scenario import Scenario


@dataclass
class RunResult:
    """Everything one run produced (see docs/architecture.md for the columns)."""

    scenario: Scenario
    steps: pd.DataFrame
    network: pd.DataFrame
    events: pd.DataFrame
    nodes: pd.DataFrame
    summary: dict[str, float] = field(default_factory=dict)


OnEpoch = Callable[[int, int, RunResult], None]


def load_answers(spec: str) -> AnswerSource:
    """The scenario's ``answers`` key -> an AnswerSource ('default', 'stand-in' or a bank directory)."""
    if spec == "stand-in":
        from gaia_sim.answers.standin import StandInAnswerSource

        return StandInAnswerSource()
    try:
        from gaia_sim.answers import bank
    except ImportError as err:  # the bank module is not available in this checkout
        raise UserError(
            f"answers = {spec!r}: the answer bank is not available ({err}); use answers = 'stand-in'"
        ) from None
    return bank.load_default_bank() if spec == "default" else bank.load_bank(spec)


def max_samples_per_question(answers_held: int) -> int:
    """The most answers a node may draw per question from a block of ``answers_held`` answers (one
    configuration, one question): half of them. Beyond it, nodes on one stack draw near-identical
    answers (near-clones) and the detector convicts the honest nodes beside them (e011 in the
    simulation, e053 on the real runs). :func:`check_sample_budget` refuses a scenario beyond it;
    ``gaia-sim evaluate`` notes the real-run blocks beyond it."""
    return answers_held // 2


def check_sample_budget(scenario: Scenario, answers: AnswerSource) -> None:
    """Refuse ``probes.samples_per_question`` above half the answers the source holds per
    configuration and question: nodes on one stack would then draw nearly the same answers every
    epoch (near-clones), and the detector convicts honest nodes for it. Measured on the shipped bank
    (8 answers each, experiments/e011_honest_false_verdicts): honest false verdicts per node-epoch
    1.7e-3 at 3 samples, 3.0e-2 at 5, 2.7e-1 at 8."""
    n = scenario.probes.samples_per_question
    q = answers.question_ids[0]
    pool = min(len(answers.pool(c, q)) for c in answers.config_ids)
    most = max_samples_per_question(pool)
    if n > most:
        raise UserError(
            f"probes.samples_per_question = {n}: the answer source holds {pool} answers per configuration and "
            f"question, so nodes on one stack would draw near-identical answers and honest nodes get convicted "
            f"for it; allowed with this source: <= {most} (a larger answer bank allows more)"
        )


def simulate(
    scenario: Scenario,
    progress: bool = False,
    on_epoch: OnEpoch | None = None,
    answers: AnswerSource | None = None,
    on_epoch_interval_s: float = 0.5,
    workers: int = 1,
) -> RunResult:
    """Simulate ``scenario.epochs`` epochs.

    ``on_epoch(epoch, total, partial_result)`` is called after an epoch when at least
    ``on_epoch_interval_s`` seconds have passed since the last call, and always after the last
    epoch: building a partial result costs time that grows with the run, so a live view gets a
    fresh one about twice a second rather than after every epoch (0 = after every epoch).
    ``workers`` > 1 judges the domains in that many worker processes
    (:mod:`gaia_sim.epoch.parallel`; same results, worth it for many domains).
    """
    from gaia_sim.epoch.parallel import domain_runner
    from gaia_sim.model import GaiaModel

    answers = answers or load_answers(scenario.answers)
    check_sample_budget(scenario, answers)
    workers = check_workers(workers)
    with domain_runner(min(workers, scenario.network.domains), answers.embedding_matrix()) as domains:
        model = GaiaModel(scenario, answers, domains)
        bar = tqdm(total=scenario.epochs, desc=f"{scenario.name}", unit="epoch", disable=not progress)
        last_call = time.monotonic()
        for _ in range(scenario.epochs):
            model.step()
            bar.update(1)
            now = time.monotonic()
            if on_epoch is not None and (now - last_call >= on_epoch_interval_s or model.epoch == scenario.epochs):
                on_epoch(model.epoch, scenario.epochs, collect(model))
                last_call = time.monotonic()
        bar.close()
    return collect(model)


def check_workers(workers) -> int:
    """``workers``, a whole number >= 1, or one clear error."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise UserError(f"workers = {workers!r}: the number of worker processes must be a whole number >= 1")
    return workers


def collect(model) -> RunResult:
    """Tidy DataFrames and summary from a model's recorder."""
    rec = model.recorder
    steps = pd.DataFrame(rec.steps)
    network = pd.DataFrame(rec.network)
    events = rec.events_frame()
    result = RunResult(model.scenario, steps, network, events, node_table(model))
    if len(network):
        first = run_settled_epoch(result)
        network["settled"] = (first > 0) & (network["epoch"].to_numpy() >= first)
    result.summary = run_summary(result, rec.node_epochs)
    return result


def node_table(model) -> pd.DataFrame:
    """One row per operator at the end of the run."""
    n = len(model.nodes)
    nodes = pd.DataFrame(
        {
            "id": np.arange(n),
            "role": "node",
            "domain": model.node_domain,
            "behaviour_initial": model.initial_behaviour if hasattr(model, "initial_behaviour") else model.behaviour,
            "behaviour": model.behaviour,
            "status": getattr(model, "node_status", np.where(model.active, "active", "exited")),
            "stake": model.node_stake,
            "balance": model.node_balance,
            "slashed_total": model.slashed_total,
            "revenue": model.revenue_total,
            "cost": model.cost_total,
            "profit": model.profit_total,
            "epochs_played": model.epochs_played,
            "ring": np.where(model.ring_member, model.node_domain, -1),
        }
    )
    validators = pd.DataFrame(
        {
            "id": np.arange(len(model.validators)),
            "role": "validator",
            "domain": model.validator_domain,
            "behaviour_initial": [v.behaviour.name for v in model.validators],
            "behaviour": [v.behaviour.name for v in model.validators],
            "status": "active",
            "stake": model.validator_stake,
            "balance": model.validator_balance,
            "slashed_total": getattr(model, "validator_slashed_total", 0.0),
            "revenue": np.nan,
            "cost": np.nan,
            "profit": np.nan,
            "epochs_played": 0,
            "ring": -1,
        }
    )
    held = ~getattr(model, "free_slot", np.zeros(n, bool))  # slots nobody ever held are not operators
    return pd.concat([nodes[held], validators], ignore_index=True)
