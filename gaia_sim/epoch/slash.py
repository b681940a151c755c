"""Phase c, slashing: the scenario's rule (:data:`gaia_sim.slashing.RULES`) turns verdicts into
slashes of allocated stake on the :class:`~gaia_sim.staking.StakeLedger` (EigenLayer semantics:
escrow, then burn or treasury), jails or ejects, forfeits dispute bonds; validators lose stake for
deviating votes and for canaries they fail to flag; liable domain operators share the slash; node
operators top their stake back up."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gaia_sim import quorum, rewards, staking
from gaia_sim import rng as rngs
from gaia_sim.epoch.judge import Judgement, detector_options
from gaia_sim.epoch.parallel import DomainTask, assess_domain
from gaia_sim.epoch.state import NetworkState, event_frame
from gaia_sim.epoch.traffic import Traffic, gather_rows
from gaia_sim.slashing import ACTIVE, EJECTED, JAILED, SlashDecision, SlashInput
from gaia_sim.slashing import RULES as SLASHING_RULES
from gaia_sim.validators import Ballot


@dataclass
class Slashing:
    """Outcome of phase c."""

    slashed: np.ndarray  # tokens slashed per node
    bonds: np.ndarray  # dispute bonds forfeited per node
    guilty: np.ndarray  # ids of the nodes found guilty this epoch
    validator_slashed: np.ndarray  # tokens slashed per validator
    validator_weight: np.ndarray  # share of each validator's decided votes that agreed with the verdict
    events: list[dict] = field(default_factory=list)  # economics events (events.parquet columns)


def run(state: NetworkState, traffic: Traffic, judgement: Judgement, epoch: int) -> Slashing:
    """Jail releases, the rule's decision, node slashes and sanctions, validator and domain
    operator slashes, the guilty's sequential evidence restarted or spent (``detector.after_verdict``), stake top-ups. Returns tokens slashed per node."""
    probed, guilty, sp = traffic.probed, judgement.guilty, state.scenario.slashing
    rng = rngs.stream(state.scenario.seed, "slash", epoch)
    _release_jail(state, epoch)
    state.ever_guilty[probed[guilty]] = True
    decision = SLASHING_RULES[sp.rule](_slash_input(state, probed, guilty, epoch, rng), sp)
    slashed, bonds = _apply_node_slash(state, probed, decision, epoch)
    events = _apply_sanctions(state, probed, decision, epoch)
    validator_slashed, weight, val_events = _slash_validators(state, judgement, traffic, epoch, rng)
    _slash_domains(state, slashed, epoch)
    if guilty.any():
        spend = state.scenario.detector.after_verdict == "spend"
        for acc in state.evidence_accumulators():
            (acc.convict if spend else acc.reset)(probed[guilty])
    events += _top_up(state, epoch)
    ev = decision.events
    keep = ev["kind"] != "slash_decision"  # the recorder writes one 'slash' row per slashed node
    events += val_events + [event_frame(state, {k: v[keep] for k, v in ev.items()}, "node", epoch)]
    return Slashing(slashed, bonds, probed[guilty], validator_slashed, weight, events)


def _release_jail(state: NetworkState, epoch: int) -> None:
    free = (state.status == JAILED) & (state.jail_until <= epoch)
    state.status[free], state.active[free] = ACTIVE, True


def _slash_input(state: NetworkState, ids: np.ndarray, guilty: np.ndarray, epoch: int, rng) -> SlashInput:
    """What the rule sees: verdicts, offences, sequential evidence (log e-value) when the rule uses
    it, status, who challenges (honest nodes always; cheaters at ``cheater_challenge_rate``) and
    the appeal's guilty share for disputes."""
    sp = state.scenario.slashing
    cheater = state.cheater[ids]
    evidence = share = None
    if "evidence_threshold" in {sp.rule, sp.dispute_base}:
        evidence = np.log(state.evidence.evidence(ids)) if state.evidence is not None else np.where(guilty, np.inf, 0.0)
    if sp.rule == "dispute":
        share = _appeal_guilty_share(state, ids, cheater, rng)
    challenge = ~cheater | (rng.random(len(ids)) < sp.cheater_challenge_rate)
    return SlashInput(
        verdict=guilty,
        epoch=epoch,
        offences=state.offences[ids],
        evidence=evidence,
        status=state.status[ids],
        challenge=challenge,
        dispute_guilty_share=share,
        node_ids=ids,
    )


def _appeal_guilty_share(state: NetworkState, ids: np.ndarray, cheater: np.ndarray, rng) -> np.ndarray:
    """Appeal vote of a dispute: each validator re-judges with accuracy ``appeal_accuracy`` and
    votes as its behaviour does (:meth:`ValidatorBehaviour.appeal`). Stake-weighted guilty share."""
    acc, stake = state.scenario.validation.appeal_accuracy, state.validator_allocated()
    share = np.ones(len(ids))
    for d in range(state.scenario.network.domains):
        m, vs = state.node_domain[ids] == d, np.flatnonzero(state.validator_domain == d)
        truth, ring = cheater[m], state.ring_member[ids[m]]
        judged = np.where(rng.random((len(vs), int(m.sum()))) < acc, truth, ~truth)
        votes = np.array([state.validators[i].appeal(judged[k], ring) for k, i in enumerate(vs)], dtype=float).reshape(
            len(vs), int(m.sum())
        )
        share[m] = quorum.tally(votes, stake[vs], 0.5).guilty_share
    return share


def _apply_node_slash(state: NetworkState, ids: np.ndarray, decision: SlashDecision, epoch: int):
    """Slash the decided fractions of allocated stake and burn forfeited bonds from balances.
    Returns (tokens slashed per node, bonds lost per node)."""
    led, dest = state.ledger, state.slash_destination()
    slashed, hit = np.zeros(state.n_nodes), decision.fraction > 0
    if hit.any():
        ev = led.slash(state.lid_node[ids[hit]], state.node_domain[ids[hit]], decision.fraction[hit], epoch, dest)
        slashed[ids[hit]] = ev["amount"]
    state.slashed_total += slashed
    state.offences[ids] = decision.offences
    bonds = np.zeros(state.n_nodes)
    bonds[ids] = staking.limited_debit(led.balance[state.lid_node[ids]], decision.bond_lost)[0]
    lost = bonds[ids] > 0
    if lost.any():
        led.burn_balance(state.lid_node[ids[lost]], bonds[ids[lost]], epoch, dest)
    return slashed, bonds


def _apply_sanctions(state: NetworkState, ids: np.ndarray, decision: SlashDecision, epoch: int) -> list[dict]:
    """Jail (until ``jail_until``) and eject (the operator exits the ledger); returns exit events."""
    jail = decision.jail_until >= 0
    state.jail_until[ids[jail]] = decision.jail_until[jail]
    state.status[ids[jail]], state.active[ids[jail]] = JAILED, False
    out = ids[decision.eject]
    if not len(out):
        return []
    state.status[out], state.active[out] = EJECTED, False
    return [event_frame(state, state.ledger.exit(state.lid_node[out], epoch), "node", epoch)]


def _slash_validators(state: NetworkState, judgement: Judgement, traffic: Traffic, epoch: int, rng):
    """Validators lose reward weight for votes against decided verdicts (and stake if
    ``deviation_slash`` > 0), and stake for canaries they fail to flag (quorum.py).
    Returns (tokens slashed per validator, reward weight per validator, events)."""
    vp, nv = state.scenario.validation, state.n_validators
    frac, weight = np.zeros(nv), np.ones(nv)
    for vs, votes, outcome in judgement.votes:
        dev = quorum.deviations(votes, outcome).sum(1)
        cast = (~np.isnan(votes) & outcome.decided[None, :]).sum(1)
        weight[vs] = np.where(cast > 0, (cast - dev) / np.maximum(cast, 1), 1.0)
        frac[vs] += dev * vp.deviation_slash
    if vp.canaries_per_epoch > 0:
        frac += quorum.canary_penalties(_canary_misses(state, traffic, epoch, rng), vp.canary_slash)
    frac = np.minimum(frac, 1.0)
    slashed, hit = np.zeros(nv), np.flatnonzero(frac > 0)
    if not len(hit):
        return slashed, weight, []
    ev = state.ledger.slash(
        state.lid_val[hit], state.validator_domain[hit], frac[hit], epoch, state.slash_destination()
    )
    slashed[hit] = ev["amount"]
    return slashed, weight, [event_frame(state, ev, "validator", epoch)]


def _canary_misses(state: NetworkState, traffic: Traffic, epoch: int, rng) -> np.ndarray:
    """int[v]: canaries each validator was assigned (:func:`quorum.plant_canaries`) and did not
    vote guilty. Every validator votes on its canaries with its own rule on a fresh ballot: an
    honest (or colluding) validator votes the detector's verdict on the canary judged among the
    domain's probed nodes (:func:`canary_flags`); a lazy one copies the canary's public record,
    which is empty (a canary is a fresh node), so it misses every canary it is given. With
    ``canary_scoring = "detectable_miss"`` only misses of canaries the detector flags count."""
    vp, misses = state.scenario.validation, np.zeros(state.n_validators, np.int64)
    k = vp.canaries_per_epoch
    for d in range(state.scenario.network.domains):
        vs = np.flatnonzero(state.validator_domain == d)
        given = quorum.plant_canaries(rng, len(vs), k, vp.canaries_per_validator)
        flags = canary_flags(state, d, traffic, epoch)
        if flags is None:  # no node of the domain was probed: no canary round
            continue
        ballot = Ballot(flags, np.zeros(k, bool), np.zeros(k, bool))
        votes = np.array([state.validators[i].vote(ballot) for i in vs], dtype=bool).reshape(len(vs), k)
        if vp.canary_scoring == "detectable_miss":  # the protocol knows the canaries' answers and reruns the detector
            given = given & flags[None, :]
        misses[vs] = quorum.canary_misses(given, given & votes)
    return misses


def canary_flags(state: NetworkState, domain: int, traffic: Traffic, epoch: int) -> np.ndarray | None:
    """bool[k]: the detector's single-epoch verdict on the ``canaries_per_epoch`` canaries the
    protocol plants in ``domain``: known-bad nodes whose answers to this epoch's probe questions
    are drawn from the answer source's ``canary_role`` configuration, judged together with the
    domain's probed nodes (the canaries look like any other probed node to a validator). The
    real nodes' verdicts come from phase b's run without canaries. None when no node of the
    domain was probed (nothing to hide a canary among)."""
    vp, det = state.scenario.validation, state.scenario.detector
    k = vp.canaries_per_epoch
    if k == 0:
        return np.zeros(k, bool)
    real = traffic.rows[state.node_domain[traffic.probed] == domain]
    if len(real) == 0:
        return None
    rng = rngs.stream(state.scenario.seed, "canary", epoch, domain)
    shape = (k, len(traffic.questions), state.scenario.probes.samples_per_question)
    canaries = gather_rows(state, np.full(shape, state.configs.index(vp.canary_role), np.int64), traffic.questions, rng)
    task = DomainTask(det.name, det.alpha, detector_options(state, domain, epoch), np.concatenate([real, canaries]))
    return np.asarray(assess_domain(traffic.matrix, task).flagged, bool)[len(real) :]


def _slash_domains(state: NetworkState, slashed: np.ndarray, epoch: int) -> None:
    """Domain operators vouch for their nodes: liable when too many were slashed (rewards.py)."""
    st, sp, led = state.scenario.staking, state.scenario.slashing, state.ledger
    if st.domain_operator_stake <= 0:
        return
    nd = state.scenario.network.domains
    owed = rewards.domain_liability(
        state.node_domain, slashed > 0, slashed, nd, sp.domain_threshold, sp.domain_share, state.active | (slashed > 0)
    )
    have = led.slashable(state.lid_dom, np.arange(nd))
    frac = np.divide(owed, have, out=np.zeros(nd), where=have > 0)
    hit = np.flatnonzero(frac > 0)
    if len(hit):
        led.slash(state.lid_dom[hit], hit, np.minimum(frac[hit], 1.0), epoch, state.slash_destination())


def _top_up(state: NetworkState, epoch: int) -> list[dict]:
    """Operators keep the domain's minimum stake: re-deposit from the balance and re-allocate; an
    operator whose balance cannot cover the shortfall is ejected (:func:`gaia_sim.staking.can_top_up`;
    it leaves through the ledger's exit, so the 14-day deallocation and withdrawal delays apply)."""
    if not state.scenario.staking.top_up:
        return []
    led = state.ledger
    ids = np.flatnonzero(state.present)
    lid, dom = state.lid_node[ids], state.node_domain[ids]
    short = state.scenario.staking.node_stake - led.allocated[lid, dom] - led.pending_alloc[lid, dom]
    need = short > 1e-9
    ok = need & staking.can_top_up(led.balance[lid], short)
    if ok.any():
        led.deposit(lid[ok], short[ok], epoch, from_balance=True)
        led.allocate(lid[ok], dom[ok], short[ok], epoch)
    out = ids[need & ~ok]
    if not len(out):
        return []
    state.status[out], state.active[out] = EJECTED, False
    return [event_frame(state, state.ledger.exit(state.lid_node[out], epoch), "node", epoch)]
