"""Per-epoch metrics: the catalogue (name, unit, description) and the recorder that fills it.

Rows are tidy: ``steps`` has one row per (epoch, role, behaviour), ``network`` one per epoch,
``events`` one per probe, verdict, slash or strategy switch. Column names are the contract in
docs/TEAM.md; the catalogue below documents each one.
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
    from gaia_sim.model import GaiaModel, Traffic

#: column -> (unit, description)
CATALOGUE: dict[str, tuple[str, str]] = {
    "count": ("operators", "active operators with this behaviour during the epoch"),
    "share": ("fraction", "count / active operators of the same role"),
    "stake": ("tokens", "stake held (allocated and slashable) at the end of the epoch"),
    "balance": ("tokens", "liquid balance at the end of the epoch"),
    "revenue": ("tokens", "income this epoch: user payments (nodes) or protocol rewards (validators)"),
    "cost": ("tokens", "compute and fixed costs (nodes) or probe bills (validators) this epoch"),
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
    "cost_of_corruption": ("tokens", "validator stake an attacker must add to block a guilty verdict in the weakest domain"),
    "settled": ("flag", "strategy shares have stayed within the tolerance over the settling window"),
}


class EpochRecorder:
    """Collects tidy rows from a running :class:`GaiaModel`."""

    def __init__(self, model: "GaiaModel"):
        self.model = model
        self.steps: list[dict[str, Any]] = []
        self.network: list[dict[str, Any]] = []
        self.events: list[pd.DataFrame] = []
        self.node_epochs = {"honest_probed": 0, "honest_flagged": 0, "cheater_probed": 0, "cheater_flagged": 0}

    def record(self, traffic: "Traffic", guilty, scores, p_values, slashed, revenue, cost, behaviour) -> None:
        m, e = self.model, self.model.epoch
        probed_mask = np.zeros(len(m.nodes), dtype=bool)
        probed_mask[traffic.probed] = True
        guilty_mask = np.zeros(len(m.nodes), dtype=bool)
        guilty_mask[traffic.probed[guilty]] = True
        for b in NODE_BEHAVIOURS:
            self.steps.append(self._node_row(e, b, behaviour == b, probed_mask, guilty_mask, slashed, revenue, cost, traffic))
        for b in VALIDATOR_BEHAVIOURS:
            self.steps.append(self._validator_row(e, b))
        self.network.append(self._network_row(e, behaviour, revenue, traffic))
        self.events.append(self._events(e, traffic, guilty, scores, p_values, slashed, behaviour))
        econ = m.take_econ_events() if hasattr(m, "take_econ_events") else None  # jail, disputes, escrow, exits
        if econ is not None and len(econ):
            self.events.append(econ)
        self._count_verdicts(behaviour, probed_mask, guilty_mask)

    def _node_row(self, e, b, mask, probed, guilty, slashed, revenue, cost, traffic) -> dict[str, Any]:
        m = self.model
        mask = mask & m.active
        flagged = int((guilty & mask).sum())
        return {
            "epoch": e, "role": "node", "behaviour": b, "count": int(mask.sum()),
            "share": float(mask.sum() / max(m.active.sum(), 1)),
            "stake": float(m.node_stake[mask].sum()), "balance": float(m.node_balance[mask].sum()),
            "revenue": float(revenue[mask].sum()), "cost": float(cost[mask].sum()),
            "profit": float((revenue - cost - slashed)[mask].sum()), "slashed": float(slashed[mask].sum()),
            "slashed_count": int(((slashed > 0) & mask).sum()), "flagged": flagged,
            "wrongly_flagged": 0 if NODE_CLASSES[b].traits["cheats"] else flagged,
            "wrongly_slashed": 0.0 if NODE_CLASSES[b].traits["cheats"] else float(slashed[mask].sum()),
            "probed": int((probed & mask).sum()), "requests_served": int(traffic.answered[mask].sum()),
            "requests_timed_out": int(traffic.timed_out[mask].sum()),
        }

    def _validator_row(self, e, b) -> dict[str, Any]:
        m = self.model
        mask = np.array([v.behaviour.name == b for v in m.validators])
        pnl = m.validator_pnl[mask]
        paid = getattr(m, "validator_reward_paid", None)  # economics: stake-weighted pool share
        reward = m.scenario.rewards.validator_reward * mask.sum() if paid is None else paid[mask].sum()
        cut = getattr(m, "validator_slashed", np.zeros(len(m.validators)))[mask]
        return {
            "epoch": e, "role": "validator", "behaviour": b, "count": int(mask.sum()),
            "share": float(mask.mean()), "stake": float(m.validator_stake[mask].sum()),
            "balance": float(m.validator_balance[mask].sum()), "revenue": float(reward),
            "cost": float(reward - pnl.sum() - cut.sum()), "profit": float(pnl.sum()),
            "slashed": float(cut.sum()), "slashed_count": int((cut > 0).sum()),
            "flagged": 0, "wrongly_flagged": 0, "wrongly_slashed": 0.0, "probed": 0,
            "requests_served": 0, "requests_timed_out": 0,
        }

    def _network_row(self, e, behaviour, revenue, traffic) -> dict[str, Any]:
        m = self.model
        active = m.active.sum()
        return {
            "epoch": e, "active_nodes": int(active),
            "honest_share": float((_honest(behaviour) & m.active).sum() / max(active, 1)),
            "total_stake": float(m.node_stake.sum() + m.validator_stake.sum()),
            "total_balance": float(m.node_balance.sum() + m.validator_balance.sum()),
            "minted": float(m.minted), "burned": float(m.burned), "escrow": float(getattr(m, "escrow", 0.0)),
            "revenue": float(revenue.sum()), "cost_of_corruption": cost_of_corruption(m),
            "mean_latency_s": traffic.latency_s, "timeouts": int(traffic.timed_out.sum()), "settled": False,
        }

    def _events(self, e, traffic, guilty, scores, p_values, slashed, behaviour) -> pd.DataFrame:
        probed = traffic.probed
        answers = np.isfinite(traffic.embeddings[..., 0]).sum(axis=(1, 2)).astype(float)
        slash_ids = np.flatnonzero(slashed > 0)
        n_p, n_s = len(probed), len(slash_ids)
        return pd.DataFrame({
            "epoch": np.full(2 * n_p + n_s, e, dtype=np.int64),
            "kind": ["probe"] * n_p + ["verdict"] * n_p + ["slash"] * n_s,
            "node": np.concatenate([probed, probed, slash_ids]).astype(np.int64),
            "validator": np.full(2 * n_p + n_s, -1, dtype=np.int64),
            "behaviour": np.concatenate([behaviour[probed], behaviour[probed], behaviour[slash_ids]]).astype(str),
            "amount": np.concatenate([answers, np.zeros(n_p), slashed[slash_ids]]),
            "score": np.concatenate([np.full(n_p, np.nan), scores, np.full(n_s, np.nan)]),
            "p_value": np.concatenate([np.full(n_p, np.nan), p_values, np.full(n_s, np.nan)]),
            "flagged": np.concatenate([np.zeros(n_p, bool), guilty, np.ones(n_s, bool)]),
            "detail": [""] * (2 * n_p + n_s),
        })

    def _count_verdicts(self, behaviour, probed, guilty) -> None:
        honest = _honest(behaviour)
        self.node_epochs["honest_probed"] += int((probed & honest).sum())
        self.node_epochs["honest_flagged"] += int((guilty & honest).sum())
        self.node_epochs["cheater_probed"] += int((probed & ~honest).sum())
        self.node_epochs["cheater_flagged"] += int((guilty & ~honest).sum())


def _honest(behaviour: np.ndarray) -> np.ndarray:
    """bool[n]: the node's behaviour does not cheat (trait ``cheats`` False)."""
    return np.isin(behaviour, with_trait("cheats", False))


def cost_of_corruption(model: "GaiaModel") -> float:
    """Stake an attacker must add to block a guilty verdict in the weakest domain:
    :func:`gaia_sim.quorum.cost_of_corruption` (mode ``block``) of each domain's validators, with
    the stake colluding validators already hold counting toward the attacker."""
    q = model.scenario.validation.quorum
    colluding = np.array([v.behaviour.traits["colludes"] for v in model.validators])
    need = [quorum.cost_of_corruption(model.validator_stake[vs], q, "block", colluding[vs])
            for vs in (model.validator_domain == d for d in range(model.scenario.network.domains))]
    return float(min(need))
