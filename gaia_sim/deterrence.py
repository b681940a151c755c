"""When does cheating not pay? Closed-form deterrence condition and its pieces.

Proof of Sampling (Zhang et al., "Proof of Sampling: A Nash Equilibrium-Based Verification
Protocol for Decentralized Systems", arXiv 2405.00295): an asserter who saves cost C by cheating is
checked with probability p by a validator that is honest with probability 1 - r; if caught it loses
its reward R and a slash S. Honesty is the pure-strategy Nash equilibrium iff

    p > C / ((1 - r)(R + S)).

Per epoch in gaia-sim: a cheating node saves ``C`` tokens (cost of the claimed model minus the
model it really serves), is detected with probability ``p`` (probed x detector power), the
stake-weighted quorum upholds the verdict with probability ``pass`` (= 1 - r for a single
validator, a binomial tail for committees, 0 when colluders hold a blocking minority), and an upheld
verdict costs it ``R`` (forfeited epoch revenue), ``f x S`` (slash fraction x stake) and ``J`` (the
profit lost while jailed or ejected). Honest nodes are wrongly slashed with probability ``q``
(false-positive rate) and lose the same. Cheating does not pay iff

    (p x pass - q) x (R + f S + J) >= C,

which for q = 0, J = 0, committee = 1 is exactly PoSP's condition with S_PoSP = f S.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gaia_sim import costs, outcomes, rewards
from gaia_sim.errors import UserError
from gaia_sim.quorum import verdict_pass_probability


def detection_probability(probe_prob, tpr, probes: int = 1):
    """Per-epoch probability a cheater is flagged: each of ``probes`` independent chances probes it
    with probability ``probe_prob`` and the detector flags it with power ``tpr``."""
    return 1.0 - (1.0 - np.asarray(probe_prob, float) * np.asarray(tpr, float)) ** probes


@dataclass(frozen=True)
class Deterrence:
    """Inputs of the condition (tokens per epoch, probabilities per epoch)."""

    p_detect: float  # per-epoch probability a cheater is flagged
    slash_fraction: float  # f: share of stake slashed per upheld verdict
    stake: float  # S: slashable stake (tokens)
    reward: float  # R: revenue forfeited with an upheld verdict (tokens)
    cost_saving: float  # C: tokens per epoch cheating saves
    colluding_share: float = 0.0  # r: share of validator stake that shields cheaters
    quorum: float = 2 / 3
    committee: int = 1  # validators per verdict (1: PoSP's single validator)
    false_positive: float = 0.0  # q: per-epoch probability an honest node is wrongly slashed
    jail_loss: float = 0.0  # J: profit lost to jailing / ejection per upheld verdict
    rule_factor: float = 1.0  # mean slash per upheld verdict / f S under the slashing rule (rule_terms)
    bond_loss: float = 0.0  # expected dispute bond forfeited per upheld verdict (tokens)
    honest_profit: float = float(
        "nan"
    )  # H: an honest node's pre-penalty profit per epoch (tokens); NaN: unknown, so participation is not shown (pessimistic)
    capital_rate: float = 0.0  # c: capital cost of locked stake per epoch, per token (costs.capital_cost)
    outside_option: float = 0.0  # what an operator earns elsewhere per epoch (strategy.outside_option)

    @property
    def pass_probability(self) -> float:
        return verdict_pass_probability(self.colluding_share, self.quorum, self.committee)

    @property
    def penalty(self) -> float:
        """R + k f S + J + B: what one upheld verdict costs (k: the rule's factor, B: bond lost)."""
        return self.reward + self.rule_factor * self.slash_fraction * self.stake + self.jail_loss + self.bond_loss

    @property
    def margin(self) -> float:
        """Expected extra loss of cheating minus its saving (tokens/epoch); >= 0 means deterred."""
        return (self.p_detect * self.pass_probability - self.false_positive) * self.penalty - self.cost_saving

    @property
    def deters(self) -> bool:
        return self.margin >= 0

    @property
    def critical_p(self) -> float:
        """Smallest detection probability that deters: (C / penalty + q) / pass (PoSP's bound)."""
        pp = self.pass_probability
        if pp <= 0 or self.penalty <= 0:
            return float("inf")
        return (self.cost_saving / self.penalty + self.false_positive) / pp

    @property
    def min_stake(self) -> float:
        """Smallest stake that deters at this detection probability (inf if none does)."""
        return max(0.0, self.stake_for_margin(0.0))

    def stake_for_margin(self, margin: float) -> float:
        """The stake at which :attr:`margin` equals ``margin`` (tokens/epoch; may be negative, as
        the margin is linear in S), inf if no stake reaches it (no effective detection or slash)."""
        eff = self.p_detect * self.pass_probability - self.false_positive
        if not eff > 0 or not self.slash_fraction * self.rule_factor > 0:
            return float("inf")
        fixed = self.reward + self.jail_loss + self.bond_loss
        return ((self.cost_saving + margin) / eff - fixed) / (self.rule_factor * self.slash_fraction)

    @property
    def participation_margin(self) -> float:
        """H - q (R + k f S + J + B) - c S - outside option: what an honest node earns above its
        outside option after wrongful penalties and the capital cost of its stake; >= 0 keeps
        honest nodes in (the participation, or individual-rationality, constraint of mechanism
        design: Myerson, "Optimal Auction Design", Math. Oper. Res. 6(1), 1981)."""
        return (
            self.honest_profit
            - self.false_positive * self.penalty
            - self.capital_rate * self.stake
            - self.outside_option
        )

    @property
    def max_stake(self) -> float:
        """Largest stake at which honest nodes still take part (participation_margin >= 0);
        -inf when none does, inf when stake costs nothing and no wrongful slash is expected."""
        fixed = self.honest_profit - self.false_positive * (self.reward + self.jail_loss + self.bond_loss)
        room = fixed - self.outside_option
        per_token = self.false_positive * self.rule_factor * self.slash_fraction + self.capital_rate
        if per_token <= 0:
            return float("inf") if room >= 0 else float("-inf")
        return room / per_token if room >= 0 else float("-inf")

    @property
    def stake_band(self) -> tuple[float, float]:
        """(smallest deterring stake, largest stake honest nodes accept); empty when lo > hi."""
        return self.min_stake, self.max_stake

    @property
    def band_empty(self) -> bool:
        lo, hi = self.stake_band
        return not lo <= hi


def posp_bound(cost_saving: float, colluding_share: float, reward: float, slash: float) -> float:
    """Proof of Sampling's critical check probability C / ((1 - r)(R + S))."""
    denom = (1.0 - colluding_share) * (reward + slash)
    return float("inf") if denom <= 0 else cost_saving / denom


def margin_grid(
    p_detect,
    slash_fraction,
    stake,
    reward,
    cost_saving,
    colluding_share=0.0,
    false_positive=0.0,
    jail_loss=0.0,
    pass_probability=None,
):
    """Vectorized margin over broadcast arrays (single-validator pass = 1 - r unless given)."""
    pp = 1.0 - np.asarray(colluding_share, float) if pass_probability is None else pass_probability
    penalty = np.asarray(reward, float) + np.asarray(slash_fraction, float) * np.asarray(stake, float) + jail_loss
    return (np.asarray(p_detect, float) * pp - false_positive) * penalty - np.asarray(cost_saving, float)


def basin_edge(
    shares,
    p_detect,
    slash_fraction: float,
    stake: float,
    cost_saving: float,
    reward: float = 0.0,
    false_positive: float = 0.0,
    jail_loss: float = 0.0,
) -> float:
    """Largest cheating share up to which cheating still does not pay, when the detection
    probability depends on how many nodes cheat.

    The detector judges nodes against the consensus of their peers, so its power p(x) falls as the
    cheating share x grows (e002: lazy replayers flagged 0.80 per probe at 20%, 0.60 at 30%, 0 at
    40%). In the mean-field replicator dynamics (Taylor & Jonker 1978) the cheating share falls
    wherever the margin at the current mix, ``(p(x) - q)(R + f S + J) - C``, is positive, so the
    honest state attracts every mix below the first share x* at which the margin turns negative:
    the edge of its basin. A start at x0 < x* goes honest in the mean; x* - x0 is how far noise
    (a run of blind epochs) must push the mix to tip it.

    ``shares``: ascending cheating shares at which ``p_detect`` (per-epoch detection probability)
    was measured; p is interpolated linearly between them. Returns ``shares[0]`` when cheating
    pays already there, ``shares[-1]`` when it pays nowhere in the measured range.
    """
    x, p = np.asarray(shares, float), np.asarray(p_detect, float)
    if x.ndim != 1 or x.shape != p.shape or len(x) < 2 or np.any(np.diff(x) <= 0):
        raise ValueError("basin_edge: shares must be ascending, at least two, one p_detect per share")
    m = margin_grid(
        p,
        slash_fraction,
        stake,
        reward,
        cost_saving,
        false_positive=false_positive,
        jail_loss=jail_loss,
        pass_probability=1.0,
    )
    if m[0] < 0:
        return float(x[0])
    below = np.flatnonzero(m < 0)
    if not len(below):
        return float(x[-1])
    k = int(below[0])
    return float(x[k - 1] + (x[k] - x[k - 1]) * m[k - 1] / (m[k - 1] - m[k]))


def stack_mix(scenario, answers) -> list[tuple[str, float]]:
    """(stack role, share of nodes) as the model draws them (:func:`gaia_sim.nodes.stack_mix`).
    Behaviours serve honestly on their own stack, so an honest node's cost depends on it (fp32
    costs twice the claimed model)."""
    from gaia_sim.nodes import stack_mix as mix

    return mix(answers.roles.get("honest_variants", []), scenario.behaviours.honest.stack_variation)


def _secs(scenario, answers, role: str | None) -> float:
    """Seconds per answer the model charges for ``role`` (bank cost x ``service_time_scale``)."""
    if role is None:
        return 0.0
    cfg = answers.roles.get(role, role)
    cfg = cfg if isinstance(cfg, str) else cfg[0]
    return answers.cost(cfg).seconds_per_answer * scenario.traffic.service_time_scale


def _accepted_share(scenario, answers, role: str | None) -> float:
    """Share of ``role``'s answers users pay for (:func:`gaia_sim.rewards.accepted_share`)."""
    if role is None:
        return 0.0
    cfg = answers.roles.get(role, role)
    cfg = cfg if isinstance(cfg, str) else cfg[0]
    return rewards.accepted_share(*answers.answer_record(cfg), scenario.rewards.min_answer_tokens)


def epoch_economics(scenario, answers, behaviour: str, stack: str = "claimed") -> tuple[float, float]:
    """(expected revenue, expected cost) in tokens per epoch of an active ``behaviour`` node on
    ``stack``, before any penalty: phases a and d of the epoch (:mod:`gaia_sim.epoch.traffic`,
    :mod:`gaia_sim.epoch.settle`) in expectation.

    Requests arrive at ``requests_per_node``; a share ``cheat_rate`` is dropped when the behaviour
    drops requests; the rest time out with the share measured by the same seeded SimPy queue the
    model runs for this serving profile (:func:`gaia_sim.traffic.simulate_queue`, M/M/1 with
    reneging; an fp32 stack at utilisation 0.7 is overloaded and loses requests; a cheater keeps its
    stack's speed, :func:`gaia_sim.costs.served_seconds`); users pay for the answers they accept
    (:func:`gaia_sim.rewards.paid_requests`) what phase d pays (:func:`gaia_sim.rewards.node_revenue`) and cost what it charges
    (:func:`gaia_sim.costs.node_epoch_cost`: compute, fixed and knowledge-base cost).
    """
    from gaia_sim.nodes import NODE_BEHAVIOURS, NodeContext
    from gaia_sim.traffic import ServingProfile, arrival_rate

    t, r, c = scenario.traffic, scenario.rewards, scenario.costs
    plan = NODE_BEHAVIOURS[behaviour]().plan(NodeContext(stack, scenario))
    drop = float(plan.cheat_rate) if plan.user_role is None else 0.0
    rc = 0.0 if plan.user_role is None else float(plan.cheat_rate)
    stack_s, claimed_s = _secs(scenario, answers, plan.honest_role), _secs(scenario, answers, "claimed")
    user_s = costs.served_seconds(
        _secs(scenario, answers, plan.user_role), stack_s, claimed_s, plan.user_role == plan.honest_role
    )
    profile = ServingProfile((stack_s, float(user_s)), (1.0 - rc, rc))
    rate = arrival_rate(t.utilisation, claimed_s, stack_s, t.provisioning)
    timeout = _timeout_share(profile, rate, t.timeout_s, t.simulated_requests, scenario.seed)
    answered = t.requests_per_node * (1.0 - drop) * (1.0 - timeout)
    accept = [_accepted_share(scenario, answers, role) for role in (plan.honest_role, plan.user_role)]
    paid = rewards.paid_requests(answered, answered * rc, *accept)
    revenue = float(rewards.node_revenue(paid, r.price_per_request, r.protocol_fee))
    pays_kb = not NODE_BEHAVIOURS[behaviour].traits["skips_kb"]
    return revenue, float(
        costs.node_epoch_cost(answered * profile.mean_service_s(), c.compute_price, c.fixed_cost, c.kb_cost, pays_kb)
    )


@lru_cache(maxsize=4096)
def _timeout_share(profile, rate: float, timeout_s: float, n_requests: int, seed: int) -> float:
    """Share of requests that time out in the model's seeded queue for this serving profile: a pure
    function of its arguments, cached (a dashboard boundary evaluates thousands of scenarios that
    differ only in stake or slash fraction)."""
    from gaia_sim import rng as rngs
    from gaia_sim.traffic import simulate_queue

    stream = rngs.stream(seed, "queue", *profile.service_s, *profile.weights)
    return simulate_queue(profile, rate, timeout_s, n_requests, stream).timeout_share


def mean_economics(scenario, answers, behaviour: str) -> tuple[float, float]:
    """:func:`epoch_economics` averaged over the stack mix (:func:`stack_mix`): what a node of
    ``behaviour`` earns and pays on average while the stacks are spread as at the start."""
    parts = [(w, epoch_economics(scenario, answers, behaviour, s)) for s, w in stack_mix(scenario, answers) if w > 0]
    return sum(w * rv for w, (rv, _) in parts), sum(w * co for w, (_, co) in parts)


def _net_by_stack(scenario, answers, behaviour: str, stacks) -> np.ndarray:
    """Revenue - cost per epoch (:func:`epoch_economics`) of a ``behaviour`` node on each of ``stacks``."""
    return np.array([np.subtract(*epoch_economics(scenario, answers, behaviour, s)) for s in stacks])


def saving_by_stack(scenario, answers, behaviour: str) -> dict[str, float]:
    """C per stack: what a ``behaviour`` node on each stack of :func:`stack_mix` nets (revenue - cost,
    :func:`epoch_economics`) minus what an honest node on the same stack nets. Slower honest stacks
    lose requests to timeouts, so cheating saves their operators more (experiment e016)."""
    stacks = [s for s, _ in stack_mix(scenario, answers)]
    saving = _net_by_stack(scenario, answers, behaviour, stacks) - _net_by_stack(scenario, answers, "honest", stacks)
    return dict(zip(stacks, saving.tolist()))


def saving_spread(scenario, answers, behaviour: str, draws: int = 2000, level: float = 0.90) -> dict[str, float]:
    """C of one domain as drawn: its ``nodes_per_domain`` nodes apportioned by behaviour as at the
    start and each put on a stack independently with :func:`stack_mix`'s shares (as the model's
    ``draw_stack``), C = the cheaters' mean net minus the honest nodes' mean net. Returns the
    expected-mix C (``mean``, as :func:`from_scenario`), the ``low``/``high`` quantiles at ``level``
    (two-sided) over ``draws`` seeded draws, and ``worst_stack``, the largest per-stack C (the most
    tempted operators, :func:`saving_by_stack`). Experiment e016: the closed form places the
    line within 5% of C for the network as drawn, while the draw moves C."""
    from gaia_sim import rng as rngs
    from gaia_sim.epoch.state import apportion

    seats = apportion(scenario.network.nodes_per_domain, scenario.population.model_dump())
    counts = {b: seats.count(b) for b in (behaviour, "honest")}
    if min(counts.values()) == 0:
        raise UserError(f"no {behaviour} or no honest node at the start: no cost saving to spread")
    mix = stack_mix(scenario, answers)
    stacks, weights = [s for s, _ in mix], np.array([w for _, w in mix])
    net = {b: _net_by_stack(scenario, answers, b, stacks) for b in counts}
    rng = rngs.stream(scenario.seed, "saving-spread")
    drawn = {b: rng.multinomial(counts[b], weights, size=draws) @ net[b] / counts[b] for b in net}
    c = drawn[behaviour] - drawn["honest"]
    low, high = np.quantile(c, [(1 - level) / 2, (1 + level) / 2])
    return {
        "mean": float(weights @ (net[behaviour] - net["honest"])),
        "low": float(low),
        "high": float(high),
        "worst_stack": float((net[behaviour] - net["honest"]).max()),
    }


def drawn_network(scenario, answers) -> tuple[np.ndarray, np.ndarray]:
    """(stack role, behaviour) of every slot an operator holds at the start of the network this
    scenario's seed draws (the model's network is built: the seed fixes which stack each node runs)."""
    from gaia_sim.model import GaiaModel

    state = GaiaModel(scenario, answers=answers).state
    held = ~state.free_slot
    return np.array([str(s) for s in state.stack_role[held]]), np.array([str(b) for b in state.behaviour[held]])


def drawn_saving(scenario, answers, behaviour: str) -> float:
    """C of the network this scenario's seed draws, known before the run (:func:`drawn_network`):
    the ``behaviour`` nodes' mean net (revenue - cost per stack, :func:`epoch_economics`) minus the
    honest nodes' mean net, over the stacks they were drawn on, instead of the expected stack mix
    (:func:`saving_spread` gives its spread over draws). Experiment e016 found the closed form right
    for the network as drawn; e022 and e024 found that for model swapping this C carries which group
    happened to draw the cheap stacks (:func:`switch_saving`), and e027 that the line sits at
    :func:`imitation_line`."""
    drawn, behaviours = drawn_network(scenario, answers)
    stacks = sorted(set(drawn))
    mean_net = {}
    for b in (behaviour, "honest"):
        on = drawn[behaviours == b]
        if len(on) == 0:
            raise UserError(f"the network seed {scenario.seed} draws has no {b} node: no cost saving to compute")
        net = dict(zip(stacks, _net_by_stack(scenario, answers, b, stacks)))
        mean_net[b] = float(np.mean([net[s] for s in on]))
    return mean_net[behaviour] - mean_net["honest"]


def switch_saving(scenario, answers, behaviour: str) -> float:
    """C of the network this scenario's seed draws, without the draw's composition: the mean, over
    every node the network holds at the start, of what that node would save by switching from honest
    to ``behaviour`` on its own stack (:func:`saving_by_stack`). A switcher keeps its stack, and
    pairwise imitation moves the number of cheaters at a rate proportional to the cheaters' mean
    profit minus the honest nodes' (summing Schlag's switch probabilities over pairs); once
    behaviour no longer tracks the stack a node happened to start on, that gap is this C minus
    the penalty. :func:`drawn_saving` instead compares the stacks the first cheaters and honest
    nodes happened to draw, so its C carries which node started on which stack: experiment e022's
    model-swap networks had drawn C 0.066-0.844 where this C spans 0.237-0.348. Cells placed at
    this C (e024 at 30 nodes, e026 at 100) still found model swapping's simulated line below it
    (-0.28 C, -0.45 C): imitation between stacks, which :func:`imitation_line` computes."""
    drawn, _ = drawn_network(scenario, answers)
    saving = saving_by_stack(scenario, answers, behaviour)
    return float(np.mean([saving[s] for s in drawn]))


def imitation_drift(scenario, answers, behaviour: str, penalty: float, reps: int = 20) -> float:
    """Mean change of the honest share (over the last 10% of the run's epochs, as the run summary
    reads it, minus its start) when the drawn network's operators (:func:`drawn_network`) revise by
    the model's own rule (:func:`gaia_sim.strategy.revise`, the scenario's dynamics, rate, scale and
    noise) on *expected* payoffs: an honest node on stack s earns its net there
    (:func:`epoch_economics`), a ``behaviour`` node its net there minus ``penalty``, the expected
    extra loss per epoch of cheating ((p pass - q) x what an upheld verdict costs, as
    :attr:`Deterrence.margin` counts it). No slashing noise, mutation, entry, exit or detection
    that moves with the cheaters' share: the imitation between stacks alone. ``reps`` seeded
    replicates with common random numbers (the same draws at every ``penalty``, so drifts at two
    penalties differ by the penalty, not by the draws)."""
    return _imitation_drift(scenario, _ImitationNetwork.of(scenario, answers, behaviour), penalty, reps)


@dataclass(frozen=True)
class _ImitationNetwork:
    """What :func:`imitation_drift` needs of a drawn network, built once per line: each node's net
    per epoch when honest and when cheating (before the penalty) on its own stack, and who cheats
    at the start (:func:`drawn_network`, :func:`epoch_economics`)."""

    honest: np.ndarray
    cheat: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, scenario, answers, behaviour: str) -> "_ImitationNetwork":
        stacks, behaviours = drawn_network(scenario, answers)
        roles = sorted(set(stacks))
        net = {b: dict(zip(roles, _net_by_stack(scenario, answers, b, roles))) for b in ("honest", behaviour)}
        return cls(
            np.array([net["honest"][s] for s in stacks]),
            np.array([net[behaviour][s] for s in stacks]),
            behaviours == behaviour,
        )


def _imitation_drift(scenario, network: _ImitationNetwork, penalty: float, reps: int) -> float:
    """:func:`imitation_drift` on a network already built."""
    from gaia_sim import rng as rngs
    from gaia_sim import strategy

    honest, cheat, start = network.honest, network.cheat - penalty, network.start
    sp, epochs = scenario.strategy, scenario.epochs
    tail = max(1, int(np.ceil(0.1 * epochs)))
    drift = []
    for rep in range(reps):
        rng = rngs.stream(scenario.seed, "imitation-drift", rep)
        code, eligible, share = start.astype(np.int64), np.ones(len(start), bool), []
        for _ in range(epochs):
            profit = np.where(code == 1, cheat, honest)
            code = strategy.revise(
                rng, code, profit, eligible, sp.revision_rate, sp.dynamics, sp.noise, sp.imitation_scale
            ).behaviour
            share.append(1.0 - code.mean())
        drift.append(float(np.mean(share[-tail:])) - (1.0 - start.mean()))
    return float(np.mean(drift))


def imitation_line(scenario, answers, behaviour: str, reps: int = 20, steps: int = 12) -> float:
    """The expected extra loss per epoch (penalty, tokens) at which :func:`imitation_drift` crosses
    zero: below it imitation moves the drawn network towards ``behaviour``, above it towards honesty.
    Without differences between stacks it is the switch saving (:func:`switch_saving`). With them,
    imitation compares operators on different stacks (payoff differences between stacks are ten
    times what model swapping saves): the fast-stack majority rarely moves while slow-stack nodes
    churn, and the honest share grows at penalties below the mean saving.

    Measured (issue 16 item 1): at 100 nodes per domain, cells placed around this line before the
    run landed 16 of 16 on the predicted side, the simulated line at +0.07 C (lazy) and -0.00 C
    (model swap), where the switch saving put model swapping's line at -0.45 C (experiments e026,
    e027); the replication, 14 of 16, lines at +0.10 and +0.09 C (e028): this line sits 0.05-0.1 C
    on the deterring side of the simulated one. At 30 nodes run-to-run noise hides the line (e025:
    10 of 16). Not modelled: slashing noise
    in the profit records, entry and exit, and detection that moves with the cheaters' share (the
    basin, :func:`basin_edge`). Bisection over [0, 3 x the largest per-stack saving] (``steps``
    halvings); ~5 s for 100 nodes x 300 epochs."""
    network = _ImitationNetwork.of(scenario, answers, behaviour)  # drawn and priced once, not per step
    lo, hi = 0.0, 3.0 * float(np.abs(network.cheat - network.honest).max())
    if _imitation_drift(scenario, network, lo, reps) >= 0:
        return lo
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if _imitation_drift(scenario, network, mid, reps) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def verdict_pass_share(scenario, behaviour: str) -> float:
    """1 if the validators that vote guilty on a caught ``behaviour`` node hold the quorum, else 0.

    Every validator of the domain votes (committee = all); validators that query follow the
    detector, except that colluding ones (trait ``colludes``) shield ring members (node trait
    ``colludes``); ones that do not query copy the last public verdict (counted as not voting
    guilty: the conservative side). Equal validator stakes.
    """
    from gaia_sim.nodes import NODE_BEHAVIOURS
    from gaia_sim.validators import VALIDATOR_BEHAVIOURS

    mix, ring = scenario.validator_population.model_dump(), NODE_BEHAVIOURS[behaviour].traits["colludes"]
    voters = [
        v for v, cls in VALIDATOR_BEHAVIOURS.items() if cls.traits["queries"] and not (ring and cls.traits["colludes"])
    ]
    guilty_share = sum(mix[v] for v in voters)
    return 1.0 if guilty_share >= scenario.validation.quorum - 1e-12 else 0.0


def from_scenario(
    scenario,
    answers,
    behaviour: str | None = None,
    tpr: float = 0.0,
    fpr: float | None = None,
    verdict_rates: bool = False,
    slash_share: float = 1.0,
) -> Deterrence:
    """The deterrence inputs a scenario implies for its main cheating behaviour, per epoch.

    C = cheater's expected pre-penalty profit - honest node's (:func:`mean_economics`: compute
    saved, knowledge-base cost skipped, revenue lost to dropped or timed-out requests, averaged over
    the honest stack mix, so honest variants' costs and timeouts count); R = the cheater's epoch
    revenue (forfeited with an upheld verdict when ``forfeit_revenue``); p = probe_fraction x ``tpr``
    (per-probe detector power); q = probe_fraction x ``fpr`` (default: the detector's alpha);
    f S = slash_fraction x node_stake (kept constant by ``top_up``); J = jail_epochs x honest profit
    for the jail_eject rule; k and B price the slashing rule (:func:`rule_terms`; ``slash_share``
    for evidence_threshold); H = the honest node's pre-penalty profit and c = the capital cost per
    token of stake per epoch give the participation side (:attr:`Deterrence.stake_band`). Use measured ``tpr``/``fpr`` (run summary: ``tpr_cheaters``, ``flag_rate_honest``)
    when the detector's power is not known in closed form; the default ``tpr`` 0 assumes no detection
    (pessimistic: pass 1 for ideal detection). ``verdict_rates``: ``tpr``/``fpr`` are
    rates of guilty *verdicts* (the quorum already applied), so no further pass probability.
    """
    behaviour = behaviour or main_cheater(scenario)
    sp = scenario.slashing
    rev_h, cost_h = mean_economics(scenario, answers, "honest")
    rev_c, cost_c = mean_economics(scenario, answers, behaviour)
    saving = (rev_c - cost_c) - (rev_h - cost_h)
    reward = rev_c if sp.forfeit_revenue else 0.0
    jail = sp.jail_epochs * max(rev_h - cost_h, 0.0) if sp.rule == "jail_eject" else 0.0
    probe = scenario.probes.probe_fraction
    q = probe * (scenario.detector.alpha if fpr is None else fpr)
    factor, bond = rule_terms(scenario, probe * tpr, slash_share, behaviour)
    return Deterrence(
        p_detect=probe * tpr,
        slash_fraction=sp.slash_fraction,
        stake=scenario.staking.node_stake,
        reward=reward,
        cost_saving=saving,
        colluding_share=0.0 if verdict_rates else 1.0 - verdict_pass_share(scenario, behaviour),
        false_positive=q,
        jail_loss=jail,
        rule_factor=factor,
        bond_loss=bond,
        honest_profit=rev_h - cost_h,
        capital_rate=float(costs.capital_cost(1.0, scenario.staking.capital_rate, scenario.network.epoch_hours)),
        outside_option=scenario.strategy.outside_option,
    )


def rule_terms(
    scenario, p_detect: float, slash_share: float = 1.0, behaviour: str | None = None
) -> tuple[float, float]:
    """(k, B): how the scenario's slashing rule scales the slash f S of one upheld verdict of a
    persistent cheater, averaged over its expected upheld verdicts in the run (p x epochs, at least
    one), and the dispute bond it expects to forfeit per verdict (the rules: gaia_sim.slashing).

    - fixed / fixed_fraction: k = 1.
    - graduated: the k-th offence slashes min(max_fraction, f step^(k-1)); k = their mean / f.
    - evidence_threshold: only verdicts whose evidence reaches the threshold slash; k = that share
      (``slash_share``: measure it, :func:`measured_rates` ``slash_share``; the default 1 is ideal).
    - jail_eject: every ``eject_after``-th offence slashes ``max_fraction``; k = the cycle's mean / f
      (the jail time is J, see :func:`from_scenario`).
    - dispute: the base rule's k, times 1 - c P(overturn), and B = bond c (1 - P(overturn)), with c
      = ``cheater_challenge_rate`` and P(overturn) from the appeal vote (:func:`appeal_overturn_probability`).
    """
    sp = scenario.slashing
    rule = sp.dispute_base if sp.rule == "dispute" else sp.rule
    offences = max(1, int(round(p_detect * scenario.epochs)))
    k = _rule_factor(rule, sp, offences, slash_share)
    if sp.rule != "dispute":
        return k, 0.0
    c = sp.cheater_challenge_rate
    po = appeal_overturn_probability(scenario, behaviour or main_cheater(scenario))
    return k * (1.0 - c * po), sp.dispute_bond * c * (1.0 - po)


def _rule_factor(rule: str, sp, offences: int, slash_share: float) -> float:
    f = sp.slash_fraction
    if f <= 0:
        return 1.0
    if rule == "graduated":
        return float(np.mean([min(sp.max_fraction, f * sp.graduated_step**i) for i in range(offences)])) / f
    if rule == "evidence_threshold":
        return float(slash_share)
    if rule == "jail_eject" and offences >= sp.eject_after:
        return ((sp.eject_after - 1) * f + sp.max_fraction) / (sp.eject_after * f)
    return 1.0


def appeal_overturn_probability(scenario, behaviour: str) -> float:
    """P(a cheater's challenged slash is overturned): each voting validator re-judges right with
    ``appeal_accuracy``; lazy validators vote innocent, colluding ones shield ring members; with
    equal stakes the slash is overturned when the innocent share reaches ``dispute_majority``."""
    from scipy import stats

    n = scenario.network.validators
    mix = scenario.validator_population
    judges = mix.honest + (mix.colluding if behaviour != "colluding" else 0.0)
    voters = int(round(n * judges))
    most_guilty = int(np.floor(n * (1.0 - scenario.slashing.dispute_majority) + 1e-9))
    return float(stats.binom.cdf(most_guilty, voters, scenario.validation.appeal_accuracy))


def main_cheater(scenario) -> str:
    """The scenario's most common cheating behaviour (the one the condition is about by default)."""
    from gaia_sim.nodes import with_trait

    mix = {k: v for k, v in scenario.population.model_dump().items() if k in with_trait("cheats")}
    return max(mix, key=mix.get)


def measured_rates(
    scenario,
    answers,
    behaviour: str | None = None,
    share: float | None = None,
    seeds=(1001, 1002, 1003, 1004),
    epochs: int = 30,
) -> dict:
    """Per-probe guilty-verdict rates of ``behaviour`` (p) and of honest nodes (q), and the measured
    cost saving (cheater's minus honest node's revenue - cost per node epoch; revenue forfeited on
    guilty verdicts is already subtracted when ``slashing.forfeit_revenue``), from simulations of
    ``scenario`` with strategies frozen (``strategy.dynamics = none``), pooled over ``seeds`` x ``epochs``.

    ``share``: run with this share of ``behaviour`` and the rest honest instead of the scenario's mix
    (the detector's power at another cheating share, for :func:`basin_edge`). These are the inputs
    ``from_scenario(..., tpr=p, fpr=q, verdict_rates=True)`` expects (e002's calibration).
    """
    import pandas as pd

    from gaia_sim.runner import simulate

    behaviour = behaviour or main_cheater(scenario)
    over = {"strategy.dynamics": "none", "epochs": int(epochs)}
    if share is not None:
        over |= {f"population.{k}": 0.0 for k in scenario.population.model_dump()}
        over |= {f"population.{behaviour}": float(share), "population.honest": 1.0 - float(share)}
    steps = [simulate(scenario.with_overrides({**over, "seed": int(seed)}), answers=answers).steps for seed in seeds]
    nodes = (
        pd.concat(steps)
        .query("role == 'node'")
        .groupby("behaviour")[["count", "revenue", "cost", "flagged", "probed", "slashed_count"]]
        .sum()
    )
    out = {
        "behaviour": behaviour,
        "p": float("nan"),
        "q": float("nan"),
        "C_measured": float("nan"),
        "verdicts_cheater": 0,
        "verdicts_honest": 0,
        "slash_share": 0.0,  # no guilty verdict seen: no evidence that verdicts slash (pessimistic)
    }
    if behaviour in nodes.index and nodes.loc[behaviour, "probed"] > 0:
        out |= {
            "p": float(nodes.loc[behaviour, "flagged"] / nodes.loc[behaviour, "probed"]),
            "verdicts_cheater": int(nodes.loc[behaviour, "probed"]),
        }
        if nodes.loc[behaviour, "flagged"] > 0:  # guilty verdicts that slashed (evidence_threshold rule)
            out["slash_share"] = float(
                min(1.0, nodes.loc[behaviour, "slashed_count"] / nodes.loc[behaviour, "flagged"])
            )
    if "honest" in nodes.index and nodes.loc["honest", "probed"] > 0:
        out |= {
            "q": float(nodes.loc["honest", "flagged"] / nodes.loc["honest", "probed"]),
            "verdicts_honest": int(nodes.loc["honest", "probed"]),
        }
    if {behaviour, "honest"} <= set(nodes.index):
        net = (nodes["revenue"] - nodes["cost"]) / nodes["count"]
        out["C_measured"] = float(net[behaviour] - net["honest"])
    return out


def check_cell(result, answers, threshold: float | None = 0.5, rates: str = "early", early_epochs: int = 5) -> dict:
    """Does a finished run land on the side of the boundary the condition predicts?

    Prediction: deterred (margin >= 0) -> long-run honest share (mean over the last 10% of epochs)
    above ``threshold``; not deterred -> below it. ``threshold=None``: the initial honest share
    (the direction of the dynamics; no movement agrees with neither side). Detector rates: ``early`` (first epochs of the
    run, :func:`gaia_sim.outcomes.early_rates`), ``summary`` (whole run) or ``ideal`` (tpr 1, fpr = alpha).
    """
    s = result.summary
    if rates == "early":
        tpr, fpr = outcomes.early_rates(result, early_epochs)
    elif rates == "summary":
        tpr, fpr = s.get("tpr_cheaters", float("nan")), s.get("flag_rate_honest", float("nan"))
    else:
        tpr, fpr = 1.0, None
    tpr = 0.0 if np.isnan(tpr) else tpr  # no verdict on a cheater seen: no evidence of detection (pessimistic)
    fpr = None if fpr is not None and np.isnan(fpr) else fpr
    d = from_scenario(result.scenario, answers, tpr=tpr, fpr=fpr, verdict_rates=rates != "ideal")
    honest = float(s["mean_honest_share_last_10pct"])
    if threshold is None:
        start = result.scenario.population.honest
        agree = (honest > start) if d.deters else (honest < start)
    else:
        agree = d.deters == (honest > threshold)
    return {
        "margin": d.margin,
        "predicted_deterred": d.deters,
        "honest_share": honest,
        "agree": bool(agree),
        "critical_p": d.critical_p,
        "p_detect": d.p_detect,
    }
