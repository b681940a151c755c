"""Phase b, judge: validators run the detector on the answers they collected (per domain), keep
sequential evidence across epochs, and vote; a stake-weighted quorum decides (phase c's verdict)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gaia_sim import quorum
from gaia_sim import rng as rngs
from gaia_sim.epoch.parallel import SERIAL, DomainRunner, DomainTask
from gaia_sim.epoch.state import NetworkState, new_evidence
from gaia_sim.epoch.traffic import Traffic, probe_rows, timeout_shares
from gaia_sim.validators import Ballot


@dataclass
class Judgement:
    """Outcome of phase b for the probed nodes (arrays in ``traffic.probed`` order)."""

    guilty: np.ndarray  # bool: the stake-weighted verdict
    scores: np.ndarray
    p_values: np.ndarray
    votes: list[tuple[np.ndarray, np.ndarray, quorum.Tally]]  # per domain: (validator ids, votes, tally)
    lead: np.ndarray  # validator id with the most stake among those who voted as the verdict went (-1: none)


def run(state: NetworkState, traffic: Traffic, epoch: int, domains: DomainRunner = SERIAL) -> Judgement:
    """Detector per domain (run by ``domains``: in this process by default, or in worker
    processes, :mod:`gaia_sim.epoch.parallel`), then, in domain order, the learned question
    selector's update, sequential evidence, the validators' votes and the quorum (:func:`decide`)."""
    det, probed = state.scenario.detector, traffic.probed
    scores, p_values, flags = (np.full(len(probed), np.nan), np.ones(len(probed)), np.zeros(len(probed), bool))
    masks = [state.node_domain[probed] == d for d in range(state.scenario.network.domains)]
    judged = [d for d, m in enumerate(masks) if m.any()]  # a domain whose nodes all left: nothing to judge
    tasks = [DomainTask(det.name, det.alpha, detector_options(state, d, epoch), traffic.rows[masks[d]]) for d in judged]
    for d, result in zip(judged, domains.assess(tasks, traffic.matrix)):
        m = masks[d]
        scores[m], p_values[m], flags[m] = result.score, result.p_value, result.flagged
        if state.question_selector is not None:
            state.question_selector.update(traffic.question_idx, result)
    if state.evidence is not None:
        flags = state.evidence.update(probed, p_values)
    own = validator_flags(state, traffic, epoch, domains) if state.scenario.validation.independent_probes else None
    return decide(state, probed, flags, scores, p_values, own)


def validator_flags(state: NetworkState, traffic: Traffic, epoch: int, domains: DomainRunner = SERIAL) -> np.ndarray:
    """(validators, probed) bool: each querying validator's own verdict on the nodes of its domain,
    from its own probe answers (own cheat, queue and bank draws; same questions) through the
    detector (run by ``domains``, as in :func:`run`) and its own sequential evidence
    (``validation.independent_probes``)."""
    det, probed = state.scenario.detector, traffic.probed
    out = np.zeros((len(state.validators), len(probed)), dtype=bool)
    timeout = timeout_shares(state)
    asked, tasks = [], []
    for v, validator in enumerate(state.validators):
        m = state.node_domain[probed] == state.validator_domain[v]
        if not m.any() or not validator.queries:
            continue
        rng = rngs.stream(state.scenario.seed, "validator-probes", epoch, v)
        rows = probe_rows(state, probed[m], traffic.questions, timeout, rng)
        options = detector_options(state, int(state.validator_domain[v]), epoch, validator=v)
        asked.append((v, m))
        tasks.append(DomainTask(det.name, det.alpha, options, rows))
    for (v, m), result in zip(asked, domains.assess(tasks, traffic.matrix)):
        out[v, m] = (
            result.flagged if state.evidence is None else _own_evidence(state, v).update(probed[m], result.p_value)
        )
    return out


def _own_evidence(state: NetworkState, validator: int):
    if validator not in state.validator_evidence:
        state.validator_evidence[validator] = new_evidence(state.scenario)
    return state.validator_evidence[validator]


def detector_options(state: NetworkState, domain: int, epoch: int, validator: int | None = None) -> dict:
    """Bootstrap size, the coordination screen and a fresh bootstrap seed per epoch and domain (and
    validator, when each validator runs its own detector) for the default detectors."""
    det = state.scenario.detector
    if not det.name.startswith("default"):
        return {}
    key = (epoch, domain) if validator is None else (epoch, domain, "validator", validator)
    seed = int(rngs.stream(state.scenario.seed, "detector", *key).integers(2**31))
    return {"boot": det.bootstrap, "seed": seed, "coordination": det.coordination}


def decide(
    state: NetworkState,
    probed: np.ndarray,
    evidence_flags: np.ndarray,
    scores: np.ndarray,
    p_values: np.ndarray,
    own_flags: np.ndarray | None = None,
) -> Judgement:
    """Verdict: per domain, validators vote (:meth:`ValidatorBehaviour.vote`) and a stake-weighted
    quorum decides (:func:`gaia_sim.quorum.tally`, stake = what each validator allocated to the
    domain's operator set). Each validator's ballot carries the shared detector's flags, or its own
    (``own_flags``, validators x probed) when validators probe independently. Updates the public
    record (last verdict) of the probed nodes."""
    stake, ring, last = state.validator_allocated(), state.ring_member[probed], state.last_verdict[probed]
    guilty, votes, lead = np.zeros(len(probed), dtype=bool), [], np.full(len(probed), -1, dtype=np.int64)
    for d in range(state.scenario.network.domains):
        m, vs = state.node_domain[probed] == d, np.flatnonzero(state.validator_domain == d)
        flags = [evidence_flags[m] if own_flags is None else own_flags[i, m] for i in vs]
        cast = np.array(
            [state.validators[i].vote(Ballot(f, ring[m], last[m])) for i, f in zip(vs, flags)], dtype=float
        ).reshape(len(vs), int(m.sum()))
        outcome = quorum.tally(cast, stake[vs], state.scenario.validation.quorum)
        guilty[m] = outcome.verdict
        votes.append((vs, cast, outcome))
        lead[m] = lead_voters(vs, cast, stake[vs], outcome.verdict)
    state.last_verdict[probed] = guilty
    return Judgement(guilty, scores, p_values, votes, lead)


def lead_voters(validators: np.ndarray, cast: np.ndarray, stake: np.ndarray, verdict: np.ndarray) -> np.ndarray:
    """Per node: the validator with the most stake among those whose vote agreed with the verdict
    (ties: the lower id), -1 where none did; the edge the dashboard draws for a verdict."""
    if len(validators) == 0:
        return np.full(cast.shape[1], -1, dtype=np.int64)
    agreed = ~np.isnan(cast) & ((cast >= 0.5) == verdict[None, :])
    weight = np.where(
        agreed, np.asarray(stake, float)[:, None] + 1.0, 0.0
    )  # +1: a zero-stake agreeing vote still counts
    best = weight.argmax(axis=0)
    return np.where(agreed.any(axis=0), np.asarray(validators)[best], -1).astype(np.int64)
