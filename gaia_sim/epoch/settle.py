"""Phase d, settlement: users pay nodes per answered request, nodes pay compute, validators share the
reward pool and pay for their probes; then the ledger advances (deallocations, withdrawals, exits
and escrow complete)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaia_sim import costs, rewards, staking
from gaia_sim.epoch.slash import Slashing
from gaia_sim.epoch.state import NetworkState, event_frame
from gaia_sim.epoch.traffic import Traffic
from gaia_sim.slashing import EXITED


@dataclass
class Settlement:
    """Outcome of phase d."""

    revenue: np.ndarray  # per node
    cost: np.ndarray  # per node
    validator_reward: np.ndarray  # reward paid per validator
    validator_pnl: np.ndarray  # reward - probe bill - slashed, per validator
    events: list[dict] = field(default_factory=list)


def run(state: NetworkState, traffic: Traffic, slashing: Slashing, epoch: int) -> Settlement:
    """Users pay per accepted answer (rewards.paid_requests, rewards.node_revenue; a node found guilty this epoch forfeits
    it when ``forfeit_revenue``), nodes pay the capital cost of their locked stake
    (costs.capital_cost) and compute at the bank's measured seconds per answer x
    compute price plus fixed and knowledge-base costs (costs.node_epoch_cost), validators are paid
    (:func:`_pay_validators`); then the ledger advances."""
    r, c, led = state.scenario.rewards, state.scenario.costs, state.ledger
    paid = traffic.paid.astype(float)
    if state.scenario.slashing.forfeit_revenue:
        paid[slashing.guilty] = 0.0
    revenue = rewards.node_revenue(paid, r.price_per_request, r.protocol_fee)
    cost = costs.node_epoch_cost(
        traffic.compute_s, c.compute_price, c.fixed_cost, c.kb_cost, state.pays_kb, state.active
    ) + costs.capital_cost(_locked(state), state.scenario.staking.capital_rate, state.scenario.network.epoch_hours)
    led.credit(state.lid_node, revenue, epoch, "revenue")
    cost, unpaid = staking.limited_debit(led.balance[state.lid_node], cost)
    led.debit(state.lid_node, cost, epoch, "cost")
    bribes, bribe_income = _pay_bribes(state, epoch)
    events = _insolvent_exit(state, unpaid, epoch)
    fees = rewards.protocol_fees(paid, r.price_per_request, r.protocol_fee)
    reward, probe_bill = _pay_validators(state, traffic, slashing, fees, epoch)
    events.append(_escrow_events(state, led.advance(epoch), epoch))
    pnl = reward + bribe_income - probe_bill - slashing.validator_slashed
    _add_profit(state, traffic.played, revenue, cost, bribes, slashing.slashed)
    return Settlement(revenue, cost + bribes, reward, pnl, events)


def _add_profit(state: NetworkState, played: np.ndarray, revenue, cost, bribes, slashed) -> None:
    """Each operator's running revenue, cost (with bribes), profit (revenue - cost - slashed) and
    node-epochs over the epochs it played: the per-operator totals of what steps.parquet sums per
    behaviour (nodes.parquet's ``revenue``, ``cost``, ``profit``, ``epochs_played``), what an
    attack's gain and its breakdown are paired on (outcomes.paired_columns)."""
    state.revenue_total += np.where(played, revenue, 0.0)
    state.cost_total += np.where(played, cost + bribes, 0.0)
    state.profit_total += np.where(played, revenue - cost - bribes - slashed, 0.0)
    state.epochs_played += played.astype(np.int64)


def _pay_bribes(state: NetworkState, epoch: int) -> tuple[np.ndarray, np.ndarray]:
    """Validator bribery (``behaviours.colluding.bribe``): active ring members pay their bills
    (rewards.bribe_bills) from their balance, up to what they hold (limited liability), and the
    bribed (colluding) validators of their domain share what was paid (rewards.bribe_income).
    Returns (paid per node, received per validator); zeros when no bribe is set."""
    bribe = state.scenario.behaviours.colluding.bribe
    if bribe <= 0:
        return np.zeros(state.n_nodes), np.zeros(state.n_validators)
    led, bribed = state.ledger, np.array([v.traits["colludes"] for v in state.validators])
    bills = rewards.bribe_bills(
        state.ring_member & state.active, state.node_domain, bribed, state.validator_domain, bribe
    )
    paid = staking.limited_debit(led.balance[state.lid_node], bills)[0]
    income = rewards.bribe_income(paid, state.node_domain, bribed, state.validator_domain)
    led.debit(state.lid_node, paid, epoch, "bribe")
    led.credit(state.lid_val, income, epoch, "bribe")
    return paid, income


def _locked(state: NetworkState) -> np.ndarray:
    """Stake each node slot's operator holds allocated to its domain while it plays (what the
    capital cost is charged on; an operator that left pays nothing)."""
    led = state.ledger
    held = led.allocated[state.lid_node, state.node_domain] + led.pending_alloc[state.lid_node, state.node_domain]
    return np.where(state.present, held, 0.0)


def _insolvent_exit(state: NetworkState, unpaid: np.ndarray, epoch: int) -> list[dict]:
    """Node operators that could not pay their costs (limited liability: they paid their balance,
    :func:`gaia_sim.staking.limited_debit`) are insolvent and exit; the ledger's exit applies the
    deallocation and withdrawal delays to their stake."""
    out = np.flatnonzero((unpaid > 1e-9) & state.present)
    if not len(out):
        return []
    state.status[out], state.active[out] = EXITED, False
    return [event_frame(state, state.ledger.exit(state.lid_node[out], epoch), "node", epoch)]


def _pay_validators(state: NetworkState, traffic: Traffic, slashing: Slashing, fees: float, epoch: int):
    """Validators share the pool (fees, topped up to ``validator_reward`` each from the treasury,
    then minted) by allocated stake x share of agreeing votes (rewards.split_by_stake), and pay
    ``probe_cost`` per probe answer of their domain if they query. Returns (reward, probe bill)."""
    r, c, led = state.scenario.rewards, state.scenario.costs, state.ledger
    answers = traffic.answers
    per_domain = np.bincount(
        state.node_domain[traffic.probed], weights=answers, minlength=state.scenario.network.domains
    )
    queries = np.array([v.queries for v in state.validators])
    probe_bill = queries * per_domain[state.validator_domain] * c.probe_cost
    pool = rewards.validator_pool(fees, r.validator_reward * state.n_validators)
    reward = rewards.split_by_stake(pool, state.validator_allocated(), slashing.validator_weight)
    total = float(reward.sum())
    from_fees = min(fees, total)
    from_treasury = min(led.treasury, total - from_fees)
    share_t = from_treasury / total if total > 0 else 0.0
    led.pay_from_treasury(state.lid_val, reward * share_t, epoch)
    led.credit(state.lid_val, reward * (1 - share_t), epoch, "reward")
    if fees > from_fees:  # undistributed fees go to the treasury
        led.treasury += fees - from_fees
        led.inflow += fees - from_fees
    state.minted += total - from_fees - from_treasury
    probe_bill = staking.limited_debit(led.balance[state.lid_val], probe_bill)[0]  # limited liability
    led.debit(state.lid_val, probe_bill, epoch, "probe_cost")
    return reward, probe_bill


def _escrow_events(state: NetworkState, ev: dict, epoch: int) -> dict[str, np.ndarray]:
    """The node events of the ledger's advance: escrow released, exits and withdrawals completed."""
    keep = np.isin(ev["kind"], ["escrow_release", "exited", "withdrawn"]) & np.isin(ev["operator"], state.lid_node)
    return event_frame(state, {k: v[keep] for k, v in ev.items()}, "node", epoch)
