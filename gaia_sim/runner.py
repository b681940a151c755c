"""Run a scenario: build the model, step it through every epoch, hand back tidy results.

``simulate(scenario)`` is the one entry point used by the CLI, sweeps and the dashboard; it does
no file I/O (``gaia_sim.results`` writes). Same scenario and seed -> identical results.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from gaia_sim.answers.source import AnswerSource
from gaia_sim.errors import UserError
from gaia_sim.strategy import settled_epoch
from gaia_sim.params import NODE_BEHAVIOURS
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
        raise UserError(f"answers = {spec!r}: the answer bank is not available ({err}); use answers = 'stand-in'") from None
    return bank.load_default_bank() if spec == "default" else bank.load_bank(spec)


def simulate(scenario: Scenario, progress: bool = False, on_epoch: OnEpoch | None = None,
             answers: AnswerSource | None = None, on_epoch_interval_s: float = 0.5) -> RunResult:
    """Simulate ``scenario.epochs`` epochs.

    ``on_epoch(epoch, total, partial_result)`` is called after an epoch when at least
    ``on_epoch_interval_s`` seconds have passed since the last call, and always after the last
    epoch: building a partial result costs time that grows with the run, so a live view gets a
    fresh one about twice a second rather than after every epoch (0 = after every epoch).
    """
    from gaia_sim.model import GaiaModel

    model = GaiaModel(scenario, answers or load_answers(scenario.answers))
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


def collect(model) -> RunResult:
    """Tidy DataFrames and summary from a model's recorder."""
    rec = model.recorder
    steps = pd.DataFrame(rec.steps)
    network = pd.DataFrame(rec.network)
    events = pd.concat(rec.events, ignore_index=True) if rec.events else pd.DataFrame()
    result = RunResult(model.scenario, steps, network, events, node_table(model))
    if len(network):
        first = _settled_epoch(result)
        network["settled"] = (first > 0) & (network["epoch"].to_numpy() >= first)
    result.summary = summarize(result, rec.node_epochs)
    return result


def _settled_epoch(result: RunResult) -> int:
    st = result.scenario.strategy
    return settled_epoch(_share_matrix(result.steps), st.settle_window, st.settle_tolerance)


def _share_matrix(steps: pd.DataFrame) -> np.ndarray:
    nodes = steps[steps["role"] == "node"]
    return nodes.pivot(index="epoch", columns="behaviour", values="share")[list(NODE_BEHAVIOURS)].to_numpy()


def node_table(model) -> pd.DataFrame:
    """One row per operator at the end of the run."""
    n = len(model.nodes)
    nodes = pd.DataFrame({
        "id": np.arange(n), "role": "node", "domain": model.node_domain,
        "behaviour_initial": model.initial_behaviour if hasattr(model, "initial_behaviour") else model.behaviour,
        "behaviour": model.behaviour, "status": getattr(model, "node_status", np.where(model.active, "active", "exited")),
        "stake": model.node_stake, "balance": model.node_balance,
        "slashed_total": model.slashed_total, "ring": np.where(model.ring_member, model.node_domain, -1),
    })
    validators = pd.DataFrame({
        "id": np.arange(len(model.validators)), "role": "validator", "domain": model.validator_domain,
        "behaviour_initial": [v.behaviour.name for v in model.validators],
        "behaviour": [v.behaviour.name for v in model.validators], "status": "active",
        "stake": model.validator_stake, "balance": model.validator_balance,
        "slashed_total": getattr(model, "validator_slashed_total", 0.0), "ring": -1,
    })
    held = ~getattr(model, "free_slot", np.zeros(n, bool))  # slots nobody ever held are not operators
    return pd.concat([nodes[held], validators], ignore_index=True)


def summarize(result: RunResult, node_epochs: dict[str, int]) -> dict[str, float]:
    """Headline numbers of a run (keys listed in docs/architecture.md)."""
    net, steps = result.network, result.steps
    if net.empty:
        return {}
    tail = net["honest_share"].iloc[-max(1, len(net) // 10):]
    nodes = steps[steps["role"] == "node"]
    out: dict[str, Any] = {
        "final_honest_share": float(net["honest_share"].iloc[-1]),
        "mean_honest_share_last_10pct": float(tail.mean()),
        "slashed_total": float(nodes["slashed"].sum()),
        "wrongly_slashed_total": float(nodes["wrongly_slashed"].sum()),
        "flag_rate_honest": _ratio(node_epochs["honest_flagged"], node_epochs["honest_probed"]),
        "tpr_cheaters": _ratio(node_epochs["cheater_flagged"], node_epochs["cheater_probed"]),
        "settled_epoch": float(_settled_epoch(result)),
    }
    out |= _settled_shares(nodes, int(out["settled_epoch"]))
    for b, g in nodes.groupby("behaviour"):
        out[f"profit_per_node_{b}"] = _ratio(g["profit"].sum(), g["count"].sum())
    return out


def _settled_shares(nodes: pd.DataFrame, epoch: int) -> dict[str, float]:
    """Where the run settled: each behaviour's share at the settled epoch (NaN if it never settled)."""
    at = nodes[nodes["epoch"] == epoch].set_index("behaviour")["share"]
    return {f"settled_share_{b}": float(at.get(b, np.nan)) for b in NODE_BEHAVIOURS}


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")
