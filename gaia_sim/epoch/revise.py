"""Phase e, strategy revision: node operators revise behaviour by imitating a random peer of their
domain (:func:`gaia_sim.strategy.revise`: pairwise proportional imitation -> replicator dynamics,
Schlag 1998; or the logit/Fermi rule, Blume 1993), optionally explore (mutation), leave when their
average profit is below the outside option, and newcomers take free or vacated slots while some
behaviour pays (``network.max_nodes_per_domain`` leaves room for the domain to grow)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaia_sim import rng as rngs
from gaia_sim import strategy
from gaia_sim.epoch.state import NetworkState, event_frame, refresh_plans
from gaia_sim.nodes import draw_stack
from gaia_sim.params import NODE_BEHAVIOURS as NODE_NAMES
from gaia_sim.slashing import ACTIVE, EJECTED, EXITED


@dataclass
class Revision:
    """Outcome of phase e."""

    behaviour_before: np.ndarray  # behaviour name per node before revision (what earned this epoch's profit)
    switched: np.ndarray  # bool per node: changed behaviour by imitation or exploration
    events: list[dict] = field(default_factory=list)  # exits and entries


def run(state: NetworkState, profit: np.ndarray, epoch: int) -> Revision:
    """Update profit records with this epoch's ``profit`` (after bonds), revise, then (after the
    warm-up) exits and entries."""
    st, before = state.scenario.strategy, state.behaviour.copy()
    state.profit_avg = strategy.profit_average(state.profit_avg, profit, st.profit_memory, epoch == 1)
    rng = rngs.stream(state.scenario.seed, "revise", epoch)
    switched = revise_behaviours(state, rng)
    events = exit_and_enter(state, rng, epoch) if epoch > st.warmup_epochs else []
    return Revision(before, switched, events)


def revise_behaviours(state: NetworkState, rng) -> np.ndarray:
    """One revision round (:func:`gaia_sim.strategy.revise` over behaviour codes): active operators
    revise, peers are the present operators (active or jailed) of the same domain."""
    st = state.scenario.strategy
    rev = strategy.revise(
        rng,
        state.codes(),
        state.profit_avg,
        state.active,
        st.revision_rate,
        st.dynamics,
        st.noise,
        st.imitation_scale,
        st.mutation,
        state.initial_codes(),
        state.node_domain,
        state.present,
    )
    state.profit_avg = rev.record
    if rev.switched.any():
        ids = np.flatnonzero(rev.switched)
        state.behaviour[ids] = [NODE_NAMES[k] for k in rev.behaviour[ids]]
        refresh_plans(state, ids)
    return rev.switched


def exit_and_enter(state: NetworkState, rng, epoch: int) -> list[dict]:
    """Operators below the outside option leave (strategy.exits); newcomers (strategy.entrants) take
    ejected, exited or free slots. Returns the ledger events."""
    st, events = state.scenario.strategy, []
    if st.exit_rate > 0:
        out = np.flatnonzero(strategy.exits(rng, state.profit_avg, state.active, st.outside_option, st.exit_rate))
        if len(out):
            state.status[out], state.active[out] = EXITED, False
            events.append(event_frame(state, state.ledger.exit(state.lid_node[out], epoch), "node", epoch))
    vacant = np.flatnonzero(state.status >= EJECTED)
    if st.entry_rate > 0 and len(vacant):
        mean, cnt = strategy.behaviour_means(state.codes(), state.profit_avg, state.active, len(NODE_NAMES))
        new = strategy.entrants(rng, mean, cnt, st.outside_option, st.entry_rate, int(state.active.sum()), len(vacant))
        events += enter(state, vacant[: len(new)], [NODE_NAMES[k] for k in new], rng, epoch)
    return events


def enter(state: NetworkState, slots: np.ndarray, names: list[str], rng, epoch: int) -> list[dict]:
    """Newcomers take node slots: a fresh operator (new ledger id) with fresh stake, its stack drawn
    like a starting node's, records reset."""
    if not len(slots):
        return []
    st, led = state.scenario.staking, state.ledger
    lids, ev = led.add_operators(np.full(len(slots), st.node_stake), epoch, np.full(len(slots), st.initial_balance))
    led.allocate(lids, state.node_domain[slots], np.full(len(slots), st.node_stake), epoch)
    sv = state.scenario.behaviours.honest.stack_variation
    for i, name in zip(slots, names):
        state.behaviour[i], state.stack_role[i] = name, draw_stack(rng, state.configs.honest_variants, sv)
    state.lid_node[slots] = lids
    state.free_slot[slots] = False
    state.status[slots], state.active[slots], state.offences[slots], state.jail_until[slots] = ACTIVE, True, 0, -1
    state.profit_avg[slots], state.slashed_total[slots], state.ever_guilty[slots] = 0.0, 0.0, False
    state.profit_total[slots], state.epochs_played[slots] = 0.0, 0
    state.revenue_total[slots], state.cost_total[slots] = 0.0, 0.0
    state.last_verdict[slots] = False
    for acc in state.evidence_accumulators():
        acc.reset(slots)
    refresh_plans(state, slots)
    return [event_frame(state, ev, "node", epoch)]
