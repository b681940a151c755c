"""Per-epoch metrics: the catalogue (name, unit, description) and the recorder that fills it.

Rows are tidy: ``steps`` has one row per (epoch, role, behaviour), ``network`` one per epoch,
``events`` one per probe, verdict, slash or strategy switch. Column names are the contract in
docs/architecture.md; the catalogue below documents each one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gaia_sim import quorum
from gaia_sim.nodes import NODE_BEHAVIOURS as NODE_CLASSES
from gaia_sim.nodes import with_trait
from gaia_sim.params import NODE_BEHAVIOURS, VALIDATOR_BEHAVIOURS

if TYPE_CHECKING:
    from gaia_sim.epoch import EpochOutcome, NetworkState

#: column -> (unit, description)
CATALOGUE: dict[str, tuple[str, str]] = {
    "count": ("operators", "active operators with this behaviour during the epoch"),
    "share": ("fraction", "count / active operators of the same role"),
    "stake": ("tokens", "stake held (allocated and slashable) at the end of the epoch"),
    "balance": (
        "tokens",
        "liquid balance at the end of the epoch (never negative) of the operators who played this behaviour; it moves with an operator that switches",
    ),
    "revenue": ("tokens", "income this epoch: user payments (nodes) or protocol rewards (validators)"),
    "cost": (
        "tokens",
        "compute, fixed and capital costs and bribes paid (nodes), or probe bills minus bribes received (validators) this epoch",
    ),
    "profit": ("tokens", "revenue - cost - slashed this epoch"),
    "slashed": ("tokens", "stake slashed this epoch"),
    "slashed_count": ("operators", "operators slashed this epoch"),
    "flagged": ("nodes", "nodes found guilty by the stake-weighted verdict this epoch"),
    "wrongly_flagged": ("nodes", "honest nodes found guilty this epoch"),
    "wrongly_slashed": ("tokens", "stake slashed from honest nodes this epoch"),
    "probed": ("nodes", "nodes probed by validators this epoch"),
    "requests_served": ("requests", "user requests answered this epoch"),
    "requests_timed_out": ("requests", "user requests that timed out in the queue this epoch"),
    "honest_share": ("fraction", "share of active nodes that are honest"),
    "cost_of_corruption": (
        "tokens",
        "validator stake an attacker must add to block a guilty verdict in the weakest domain",
    ),
    "settled": ("flag", "strategy shares have stayed within the tolerance over the settling window"),
}


class EpochRecorder:
    """Collects tidy rows from each epoch's :class:`~gaia_sim.epoch.EpochOutcome` and the network
    state after it."""

    def __init__(self):
        self.steps: list[dict[str, Any]] = []
        self.network: list[dict[str, Any]] = []
        self.events: list[dict[str, np.ndarray]] = []  # columns of events.parquet, a block per epoch and kind
        self.node_epochs = {"honest_probed": 0, "honest_flagged": 0, "cheater_probed": 0, "cheater_flagged": 0}

    def record(self, state: "NetworkState", out: "EpochOutcome") -> None:
        behaviour, probed = out.revision.behaviour_before, out.traffic.probed
        probed_mask = np.zeros(state.n_nodes, dtype=bool)
        probed_mask[probed] = True
        guilty_mask = np.zeros(state.n_nodes, dtype=bool)
        guilty_mask[probed[out.judgement.guilty]] = True
        for b in NODE_BEHAVIOURS:
            self.steps.append(_node_row(state, out, b, (behaviour == b) & out.traffic.played, probed_mask, guilty_mask))
        for b in VALIDATOR_BEHAVIOURS:
            self.steps.append(_validator_row(state, out, b))
        self.network.append(_network_row(state, out))
        self.events.append(_events(out))
        self.events += [f for f in out.events if len(f["epoch"])]  # economics: jail, disputes, escrow, exits
        self._count_verdicts(behaviour, probed_mask, guilty_mask)

    def events_frame(self) -> pd.DataFrame:
        """Every event so far as one table (the columns of events.parquet; built once, not per epoch)."""
        return events_frame(self.events)

    def _count_verdicts(self, behaviour, probed, guilty) -> None:
        honest = _honest(behaviour)
        self.node_epochs["honest_probed"] += int((probed & honest).sum())
        self.node_epochs["honest_flagged"] += int((guilty & honest).sum())
        self.node_epochs["cheater_probed"] += int((probed & ~honest).sum())
        self.node_epochs["cheater_flagged"] += int((guilty & ~honest).sum())


def _node_row(state, out, b, mask, probed, guilty) -> dict[str, Any]:
    """One behaviour's nodes (``mask``: active when the epoch began and playing ``b`` in it: a node
    jailed, ejected or leaving during the epoch still counts, with the slash and revenue it had)."""
    slashed, revenue, cost, t = out.slashing.slashed, out.settlement.revenue, out.settlement.cost, out.traffic
    flagged, cheats = int((guilty & mask).sum()), NODE_CLASSES[b].traits["cheats"]
    return {
        "epoch": out.epoch,
        "role": "node",
        "behaviour": b,
        "count": int(mask.sum()),
        "share": float(mask.sum() / max(t.played.sum(), 1)),
        "stake": float(state.node_stake[mask].sum()),
        "balance": float(state.node_balance[mask].sum()),
        "revenue": float(revenue[mask].sum()),
        "cost": float(cost[mask].sum()),
        "profit": float((revenue - cost - slashed)[mask].sum()),
        "slashed": float(slashed[mask].sum()),
        "slashed_count": int(((slashed > 0) & mask).sum()),
        "flagged": flagged,
        "wrongly_flagged": 0 if cheats else flagged,
        "wrongly_slashed": 0.0 if cheats else float(slashed[mask].sum()),
        "probed": int((probed & mask).sum()),
        "requests_served": int(t.answered[mask].sum()),
        "requests_timed_out": int(t.timed_out[mask].sum()),
    }


def _validator_row(state, out, b) -> dict[str, Any]:
    mask = state.validator_names == b
    pnl, reward = out.settlement.validator_pnl[mask], out.settlement.validator_reward[mask].sum()
    cut = out.slashing.validator_slashed[mask]
    return {
        "epoch": out.epoch,
        "role": "validator",
        "behaviour": b,
        "count": int(mask.sum()),
        "share": float(mask.mean()),
        "stake": float(state.validator_stake[mask].sum()),
        "balance": float(state.validator_balance[mask].sum()),
        "revenue": float(reward),
        "cost": float(reward - pnl.sum() - cut.sum()),
        "profit": float(pnl.sum()),
        "slashed": float(cut.sum()),
        "slashed_count": int((cut > 0).sum()),
        "flagged": 0,
        "wrongly_flagged": 0,
        "wrongly_slashed": 0.0,
        "probed": 0,
        "requests_served": 0,
        "requests_timed_out": 0,
    }


def _network_row(state, out) -> dict[str, Any]:
    active, t = state.active.sum(), out.traffic
    return {
        "epoch": out.epoch,
        "active_nodes": int(active),
        "honest_share": float((_honest(out.revision.behaviour_before) & state.active).sum() / max(active, 1)),
        "total_stake": float(state.node_stake.sum() + state.validator_stake.sum()),
        "total_balance": float(state.node_balance.sum() + state.validator_balance.sum()),
        "minted": float(state.minted),
        "burned": float(state.burned),
        "escrow": float(state.escrow),
        "revenue": float(out.settlement.revenue.sum()),
        "cost_of_corruption": cost_of_corruption(state),
        "mean_latency_s": t.latency_s,
        "timeouts": int(t.timed_out.sum()),
        "settled": False,
    }


def _events(out) -> dict[str, np.ndarray]:
    """One row per probe (answers collected), per verdict (score, p-value, guilty) and per slash."""
    e, t, j, slashed, behaviour = (
        out.epoch,
        out.traffic,
        out.judgement,
        out.slashing.slashed,
        out.revision.behaviour_before,
    )
    probed = t.probed
    answers = t.answers.astype(float)
    slash_ids = np.flatnonzero(slashed > 0)
    n_p, n_s = len(probed), len(slash_ids)
    return {
        "epoch": np.full(2 * n_p + n_s, e, dtype=np.int64),
        "kind": np.array(["probe"] * n_p + ["verdict"] * n_p + ["slash"] * n_s, dtype=str),
        "node": np.concatenate([probed, probed, slash_ids]).astype(np.int64),
        "validator": np.concatenate([np.full(n_p, -1), j.lead, np.full(n_s, -1)]).astype(np.int64),
        "behaviour": np.concatenate([behaviour[probed], behaviour[probed], behaviour[slash_ids]]).astype(str),
        "amount": np.concatenate([answers, np.zeros(n_p), slashed[slash_ids]]),
        "score": np.concatenate([np.full(n_p, np.nan), j.scores, np.full(n_s, np.nan)]),
        "p_value": np.concatenate([np.full(n_p, np.nan), j.p_values, np.full(n_s, np.nan)]),
        "flagged": np.concatenate([np.zeros(n_p, bool), j.guilty, np.ones(n_s, bool)]),
        "detail": np.full(2 * n_p + n_s, ""),
    }


def events_frame(frames: list[dict]) -> pd.DataFrame:
    """Blocks of events (probe and verdict rows, economics events: slashes, jail, eject, disputes,
    escrow, exits; the columns of events.parquet) as one table."""
    if not frames:
        return pd.DataFrame()
    return pd.DataFrame({k: np.concatenate([f[k] for f in frames]) for k in frames[0]})


def _honest(behaviour: np.ndarray) -> np.ndarray:
    """bool[n]: the node's behaviour does not cheat (trait ``cheats`` False)."""
    return np.isin(behaviour, with_trait("cheats", False))


def cost_of_corruption(state: "NetworkState") -> float:
    """Stake an attacker must add to block a guilty verdict in the weakest domain:
    :func:`gaia_sim.quorum.cost_of_corruption` (mode ``block``) of each domain's validators, with
    the stake colluding validators (trait ``colludes``) already hold counting toward the attacker."""
    q, stake = state.scenario.validation.quorum, state.validator_stake
    colluding = np.array([v.traits["colludes"] for v in state.validators])
    need = [
        quorum.cost_of_corruption(stake[vs], q, "block", colluding[vs])
        for vs in (state.validator_domain == d for d in range(state.scenario.network.domains))
    ]
    return float(min(need))
