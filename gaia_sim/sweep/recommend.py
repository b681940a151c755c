"""``gaia-sim recommend``: the cheapest design that keeps honest nodes in and every attack the red
team finds out.

The designer's levers (:data:`LEVERS`: stake, slash fraction, slashing rule, questions, samples,
secret question pool, canaries, committee size, quorum, detector) span the candidate designs, a seeded sample of them plus the
scenario's own. Each is priced per epoch (:func:`design_cost`: the capital cost of all locked stake
at ``staking.capital_rate``, plus what validators cost: their rewards and the probe answers they
buy). The closed form (:mod:`gaia_sim.deterrence`) prunes designs that cannot work whatever the
detector does: at perfect detection (tpr 1) and no wrongful verdict, an attack that still pays, or
an honest node that cannot cover the capital cost of its stake, rules a design out (both bounds are
necessary conditions, so pruning never drops a feasible design). Once a design has been simulated,
the guilty-verdict rates measured there for each attack also rule out the designs that share its
detection levers (:func:`detection_key`), or ask no more questions and samples with the others equal
(:func:`no_stronger`: the measured rate is then an upper estimate of theirs), where the closed form at those rates says the attack pays (an estimate, not a bound: near the deterrence line it can drop a
design the simulation would accept). The survivors are verified cheapest first, by simulation,
against three constraints:

(a) false slashing: honest operators slashed per honest node-epoch, its one-sided 95%
    Clopper-Pearson upper bound over every honest node-epoch simulated (all-honest runs of at least
    ``null_node_epochs`` plus the honest nodes of the attack runs) <= ``max_false_slash``;
(b) participation: the closed-form participation margin (honest profit - wrongful penalties at
    the measured honest verdict rate's 95% upper bound - capital cost - outside option) >= 0; and
    **validator participation**: honest validators' simulated profit per validator-epoch in the
    all-honest runs (rewards less the probes they buy and any slash, e.g. for missed canaries) minus
    the capital cost of their stake >= 0 (none measured: fails, pessimistic), since a design that
    honest validators lose money on loses its committee;
(c) deterrence: the red team (:func:`gaia_sim.sweep.redteam.search_attacks`) searches the attacker
    space against the design; every confirmed attack's (the scenario's own cheaters, expressed as
    registered attacks by :func:`gaia_sim.attacks.of_scenario`, are always among them) profit over honest per node-epoch pooled
    over the seeds (:func:`gaia_sim.outcomes.pooled_gain`), its one-sided t bound clustered by seed (95%; 97.5%
    at both looks when the budget allows a second look), <= -``margin``.

When a design fails only on deterrence, the next design verified is its **repair** (:func:`repair`):
the same detection levers with the fine (slash fraction x stake) raised to the smallest that the
measured profits, the measured guilty-verdict rates and the seeds' spread project to deter every
attack it lost to; otherwise the next cheapest survivor. **Escalation**: once a design has failed on
deterrence, the next survivor is looked for first among the candidates whose probes ask more
answers (questions x samples, :func:`answers_per_probe`) than any design that failed so; only when
none of them is left does the search return to the cheapest. Validators' pay dominates the cost of
every design, so cost alone would keep verifying the weakest probes (measured: the six cheapest of
501 candidates all asked 2 questions x 2 answers and all failed against the same attacks).

The first design that passes is the recommendation. Attacks found profitable against a rejected
design are carried to the next (closed-form pruning and the red team's first trials), so a later
design is tried against them before anything new. Everything is seeded: same inputs and seed, same
design and same bytes written.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Mapping

from gaia_sim import attacks as attacks_mod
from gaia_sim import costs
from gaia_sim import rng as rngs
from gaia_sim.attacks import Choice, Range
from gaia_sim.errors import UserError
from gaia_sim.sweep import redteam

#: The designer's levers and the values searched (a scenario path -> its range or choices).
LEVERS: dict[str, Range | Choice] = {
    "staking.node_stake": Range(10.0, 5000.0, log=True),
    "slashing.slash_fraction": Choice((0.1, 0.25, 0.5, 1.0)),
    "slashing.rule": Choice(("fixed_fraction", "dispute", "evidence_threshold", "jail_eject")),
    "probes.questions_per_epoch": Choice((2, 3, 5, 8)),
    "probes.samples_per_question": Choice((2, 3, 5)),
    "probes.question_pool": Choice(("all", "secret")),
    "probes.question_kind": Choice(("all", "kb")),
    "validation.canaries_per_epoch": Choice((0, 1, 2)),
    "validation.canary_scoring": Choice(("every_miss", "detectable_miss")),
    "network.validators": Choice((3, 5, 7)),
    "validation.quorum": Choice((0.5, 2 / 3, 0.75)),
    # the nearest-stack test (docs/detector.md step 7): more power against swaps between close
    # stacks, ~4x the detector's time; not priced in design_cost (ASSUMPTIONS.md)
    "detector.name": Choice(("default", "default_nearest")),
}


@dataclass(frozen=True)
class Budget:
    """How much searching: ``candidates`` designs sampled and pruned in closed form, at most
    ``designs`` of them simulated; per design the red team's ``trials`` (``seeds`` each, asked
    ``batch`` at a time), its ``confirm`` best attacks rescored over ``confirm_seeds`` seeds, attack
    runs of ``epochs`` epochs, and at least ``null_node_epochs`` honest node-epochs in all-honest runs;
    ``edges`` > 0: the red team also scores the edges of its ``edges`` best attacks (one parameter
    at an end of its range, :func:`gaia_sim.sweep.redteam.edge_variants`) and confirms those that
    may pay; ``more_seeds`` > 0: an attack deterred in the mean but not at its bound is rescored over that
    many further seeds (a second look, :func:`gaia_sim.sweep.redteam.search_attacks`)."""

    candidates: int
    designs: int
    trials: int
    seeds: int
    confirm: int
    confirm_seeds: int
    epochs: int
    null_node_epochs: int
    batch: int = 4
    more_seeds: int = 0
    edges: int = 0


BUDGETS: dict[str, Budget] = {
    "tiny": Budget(candidates=40, designs=1, trials=2, seeds=1, confirm=1, confirm_seeds=2, epochs=4,
                   null_node_epochs=200, batch=2),
    "small": Budget(candidates=200, designs=3, trials=8, seeds=1, confirm=2, confirm_seeds=3, epochs=15,
                    null_node_epochs=3000, more_seeds=6, edges=1),
    "medium": Budget(candidates=500, designs=6, trials=24, seeds=2, confirm=3, confirm_seeds=4, epochs=30,
                     null_node_epochs=6000, more_seeds=8, edges=1),
    "large": Budget(candidates=2000, designs=12, trials=64, seeds=2, confirm=5, confirm_seeds=5, epochs=60,
                    null_node_epochs=30000, batch=8, more_seeds=15, edges=1),
}  # fmt: skip


def budget(spec: str, second_look: int | None = None) -> Budget:
    """A preset (:data:`BUDGETS`) by name, or ``NAME:TRIALS`` (the preset with that many red-team
    trials per design), e.g. ``small:16``; ``second_look``: the seeds of its second look
    (``more_seeds``) instead of the preset's."""
    name, _, trials = spec.partition(":")
    if name not in BUDGETS:
        raise UserError(f"--budget {spec!r}: allowed: {', '.join(BUDGETS)}, optionally :TRIALS (e.g. small:16)")
    plan = BUDGETS[name]
    if trials:
        if not trials.isdigit() or int(trials) < 1:
            raise UserError(f"--budget {spec!r}: TRIALS must be a whole number >= 1")
        plan = dataclasses.replace(plan, trials=int(trials))
    if second_look is not None:
        if second_look < 0:
            raise UserError(f"--second-look: must be a whole number of seeds >= 0, got {second_look}")
        plan = dataclasses.replace(plan, more_seeds=int(second_look))
    return plan


# ---- designs and their price -------------------------------------------------------------------
def candidates(
    base, levers: Mapping[str, Range | Choice], n: int, seed: int, hold: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The scenario's own levers, then ``n`` seeded draws (choices uniform; ranges uniform, or
    log-uniform, rounded to 3 significant digits), duplicates dropped, order kept.

    ``hold``: levers held at a value (:func:`held`) in every candidate. They are drawn all the same
    and then replaced, so the other levers' draws are those of the search without ``hold``: a
    search with a lever held and one without compare the same sampled designs (paired), except for
    the held lever and the duplicates it makes."""
    rng = rngs.stream(int(seed), "recommend-candidates")
    data = base.to_dict()
    out = [{k: _lookup(data, k) for k in levers}]
    for _ in range(n):
        out.append({k: _draw(spec, rng) for k, spec in levers.items()})
    out = [c | dict(hold or {}) for c in out]
    seen, unique = set(), []
    for c in out:
        key = tuple(sorted(c.items()))
        if key not in seen:
            seen.add(key)
            unique.append(c)
    return unique


def held(specs: list[str], levers: Mapping[str, Range | Choice] = LEVERS) -> dict[str, Any]:
    """``--hold LEVER=VALUE`` specs as {lever: value}: a lever of ``levers`` held at one of its values
    (a protocol constraint, or one arm of a paired comparison, e.g. ``detector.name=default``);
    anything else is a :class:`~gaia_sim.errors.UserError` naming what is allowed."""
    out: dict[str, Any] = {}
    for spec in specs:
        path, eq, text = spec.partition("=")
        path, text = path.strip(), text.strip()
        if not eq or path not in levers:
            raise UserError(f"--hold {spec!r}: expected LEVER=VALUE with LEVER one of {', '.join(levers)}")
        if path in out:
            raise UserError(f"--hold {spec!r}: {path} is held twice")
        out[path] = _held_value(f"--hold {path}", levers[path], text)
    return out


def held_levers(levers: Mapping[str, Range | Choice], hold: Mapping[str, Any] | None) -> dict[str, Range | Choice]:
    """``levers`` with each held one narrowed to its held value, as :func:`repair` reads them: a held
    stake is not a range a repair can raise (none), a held slash fraction is the one a repair keeps."""
    return {k: Choice((hold[k],)) if k in (hold or {}) else spec for k, spec in levers.items()}


def _held_value(where: str, spec: Range | Choice, text: str) -> Any:
    if isinstance(spec, Choice):
        match = [o for o in spec.options if text == str(o) or _same_number(text, o)]
        return spec.check(where, match[0] if match else text)
    try:
        value = float(text)
    except ValueError:
        value = text
    return spec.check(where, value)


def _same_number(text: str, option: Any) -> bool:
    """Whether ``text`` reads as the number ``option`` (e.g. "0.667" for 2/3, to 3 significant digits)."""
    if isinstance(option, bool) or not isinstance(option, (int, float)):
        return False
    try:
        return float(f"{float(text):.3g}") == float(f"{option:.3g}")
    except ValueError:
        return False


def _draw(spec: Range | Choice, rng) -> Any:
    if isinstance(spec, Choice):
        return spec.options[int(rng.integers(len(spec.options)))]
    if spec.log:
        x = math.exp(rng.uniform(math.log(spec.low), math.log(spec.high)))
    else:
        x = rng.uniform(spec.low, spec.high)
    return int(round(x)) if spec.integer else float(f"{x:.3g}")


def _lookup(data: dict, path: str) -> Any:
    for part in path.split("."):
        data = data[part]
    return data


def design_cost(s) -> dict[str, float]:
    """Tokens per epoch a design costs: ``capital_per_epoch``, the capital cost
    (:func:`gaia_sim.costs.capital_cost`) of every node's and validator's stake; and
    ``validator_per_epoch``, every validator's reward plus the probe answers it buys (the probed
    nodes and the canaries, x questions x samples x ``probe_cost``); and their ``total``."""
    n, v, d = s.network.nodes_per_domain, s.network.validators, s.network.domains
    locked = d * (n * s.staking.node_stake + v * s.staking.validator_stake)
    capital = float(costs.capital_cost(locked, s.staking.capital_rate, s.network.epoch_hours))
    probed = min(n, max(2, int(round(s.probes.probe_fraction * n))))
    answers = (probed + s.validation.canaries_per_epoch) * s.probes.questions_per_epoch * s.probes.samples_per_question
    validator = float(d * v * (s.rewards.validator_reward + answers * s.costs.probe_cost))
    return {"capital_per_epoch": capital, "validator_per_epoch": validator, "total": capital + validator}


# ---- the closed form's necessary conditions ------------------------------------------------------
#: Levers that set how often a cheater is found guilty: the detector's power (what it is asked and
#: how evidence turns into a slash) and, for attacks with validators of their own, the committee.
#: Designs that share them share the guilty-verdict rates a simulation measures.
POWER = (
    "slashing.rule",
    "probes.questions_per_epoch",
    "probes.samples_per_question",
    "probes.question_pool",
    "probes.question_kind",
    "detector.name",
)
COMMITTEE = ("validation.canaries_per_epoch", "network.validators", "validation.quorum")
DETECTION = POWER + COMMITTEE


def detection_key(design, chosen: Mapping[str, Any]) -> tuple:
    """The values of the levers that set ``chosen``'s guilty-verdict rate in ``design``: the
    detector's power levers, plus the committee's when the attack has validators (honest
    validators all vote the shared detector's flags, so committee size and quorum matter only
    against colluding or bribed ones)."""
    data = design.to_dict()
    shielded = any(n in chosen for n in ("colluding_validators", "bribed_validators"))
    return tuple(_lookup(data, k) for k in (DETECTION if shielded else POWER))


#: Power levers along which more means no less evidence per probe (more answers per node).
MORE_IS_STRONGER = ("probes.questions_per_epoch", "probes.samples_per_question")


def no_stronger(key: tuple, measured: tuple) -> bool:
    """Whether detection with levers ``key`` is at most as strong as with ``measured`` (two
    :func:`detection_key` tuples): equal on every lever, except no more questions or samples per
    probe. An attack's guilty-verdict rate measured at ``measured`` then bounds its rate at ``key``
    from above (an assumption: more answers per node never weaken the detector's evidence)."""
    if len(key) != len(measured):
        return False
    more = [DETECTION.index(k) for k in MORE_IS_STRONGER]
    return all(a <= b if i in more else a == b for i, (a, b) in enumerate(zip(key, measured)))


def bounds(design, answers, known: list, measured: list | None = None) -> dict[str, float]:
    """What the closed form says of a design: ``participation`` (an honest node's margin with no
    wrongful verdict: H - c S - outside option) and ``deterrence`` (the smallest, over the ``known``
    attacks and their cheating behaviours, of the deterrence margin at perfect detection and no
    wrongful verdict): upper bounds, so either below 0 means no detector makes the design work.
    ``measured_deterrence``: the smallest margin over ``measured`` (attack, guilty-verdict rate
    measured on a design with the same :data:`DETECTION` levers) at that rate and no wrongful
    verdict; below 0, the closed form predicts the attack pays (an estimate, not a bound)."""
    from gaia_sim import deterrence

    honest = deterrence.from_scenario(design, answers, behaviour="honest", tpr=1.0, fpr=0.0)
    out = {"participation": honest.participation_margin, "deterrence": math.inf, "measured_deterrence": math.inf}
    ideal = [(c, 1.0, False) for c in known]  # tpr 1 per probe, then the quorum's pass probability
    rated = [(c, tpr, True) for c, tpr in measured or []]  # measured verdict rates: the quorum is in them
    for key, triples in (("deterrence", ideal), ("measured_deterrence", rated)):
        for chosen, tpr, verdicts in triples:
            scenario = design.with_overrides(attacks_mod.combine(chosen))
            for b in attacks_mod.attacker_behaviours(chosen):
                d = deterrence.from_scenario(scenario, answers, behaviour=b, tpr=tpr, fpr=0.0, verdict_rates=verdicts)
                out[key] = min(out[key], d.margin + bribe_per_node(scenario, b))
    return out


def bribe_per_node(s, behaviour: str) -> float:
    """Bribe each ring node pays per epoch (:func:`gaia_sim.rewards.bribe_bills`, equal split, all
    ring members active): it lowers what cheating saves."""
    ring = s.population.model_dump()[behaviour] * s.network.nodes_per_domain
    if behaviour != "colluding" or ring <= 0:
        return 0.0
    bribed = round(s.validator_population.colluding * s.network.validators)
    return s.behaviours.colluding.bribe * bribed / ring


# ---- repairing a design the red team beat ---------------------------------------------------------
REPAIR_SAFETY = 1.1  # the repaired fine is this much above the estimate (it rests on a few seeds)


def repair(verdict: Verdict, base, answers, levers: Mapping[str, Range | Choice], margin: float = 0.0, seeds: int = 0):
    """(levers, design) that keep a failed design's detection levers and mend what can be bought:
    the fine (:func:`_fine_repair`) when it lost to attacks, the validators' reward
    (:func:`_reward_repair`) when honest validators lost money on its probes; None when either
    cannot be mended, or when the design also failed on false slashing or node participation.
    ``seeds``: the most seeds the repaired design's attacks will be judged on (both looks; 0: as
    many as today's)."""
    c, ok = verdict.constraints, {"pass": True}
    if verdict.passed or not all(c[k]["pass"] for k in c if k not in REPAIRABLE):
        return None
    lv = dict(verdict.levers)
    for name, mend in (("deterrence", _fine_repair), ("validator_participation", _reward_repair)):
        if not c.get(name, ok)["pass"]:
            fix = mend(verdict, answers, levers, margin, seeds)
            if fix is None:
                return None
            lv |= fix
    try:
        return lv, base.with_overrides(lv, "recommend")
    except UserError:
        return None


#: The constraints a repair may mend (the others fail a design for good).
REPAIRABLE = ("deterrence", "validator_participation")


def _fine_repair(verdict: Verdict, answers, levers, margin: float, seeds: int = 0) -> dict[str, float] | None:
    """The stake (with the slash fraction at its largest option) whose fine is the smallest that the
    measurements say deters every attack the design lost to; None when no fine within the stake's
    range does.

    Per attack: its measured profit over honest at fine F0 = f x S (mean m0, one-sided bound h0 over
    seeds) and the closed form's slope a = eff x k (tokens per epoch per token of fine: the measured
    guilty-verdict rate times the rule's factor, :func:`gaia_sim.deterrence.from_scenario`) give
    m(F) = m0 - a (F - F0). The bound's half-width at F, w(F) = hypot(h0 - m0, L F) (:func:`spread`):
    all of today's spread, plus the slashes' own, which grows with the fine (slashes are lumps of
    F): L is the one-sided t quantile times k times the standard error of the attacker's verdict
    rate per node-epoch (the larger of the binomial one and the seeds' own spread). Under the
    evidence_threshold rule only the verdicts whose evidence reaches the threshold slash: the slope
    takes the measured share (:func:`slash_share`). The smallest F
    with m(F) + w(F) <= -margin, times :data:`REPAIR_SAFETY`, is the repair; none when the slope does
    not beat the slashes' noise (a <= L). The half-widths are projected for the seeds the repair will
    be judged on (``seeds``, both looks of :func:`gaia_sim.sweep.redteam.second_look`): w0 and L
    shrink by t(N - 1) sqrt(n) / (t(n - 1) sqrt(N)) from today's n seeds to N. The repair is a
    projection: it is verified by simulation like any design."""
    stake_spec, frac_spec = levers.get("staking.node_stake"), levers.get("slashing.slash_fraction")
    if not isinstance(stake_spec, Range):
        return None
    design = verdict.scenario
    f0, fine0 = design.slashing.slash_fraction, redteam.fine_per_conviction(design)
    f1 = max(frac_spec.options) if isinstance(frac_spec, Choice) else f0
    need = 0.0
    tolerance = verdict.constraints["deterrence"].get("tolerance", 0.0)
    for score in verdict.attacks:
        if redteam.deterred(score, margin, tolerance):
            continue
        fine = _fine_to_deter(design, answers, score, fine0, margin, seeds)
        if not math.isfinite(fine):
            return None
        need = max(need, fine)
    stake = float(f"{REPAIR_SAFETY * need / f1:.3g}")
    if not (fine0 < f1 * stake and stake_spec.low <= stake <= stake_spec.high):
        return None
    return {"staking.node_stake": stake, "slashing.slash_fraction": f1}


def _reward_repair(verdict: Verdict, answers=None, levers=None, margin=0.0, seeds=0) -> dict[str, float] | None:
    """The validators' reward per epoch raised by :data:`REPAIR_SAFETY` times what honest validators
    lost per validator-epoch on the design (their simulated profit less the capital cost of their
    stake, :func:`validator_participation`; a validator is paid its reward each epoch it votes, so
    the loss is made good token for token), rounded up to 3 significant digits; None without a
    measurement. Larger probes cost validators more answers (``costs.probe_cost`` each): without
    this repair every design that asks enough to convict was refused for its validators' sake."""
    value = verdict.constraints.get("validator_participation", {}).get("value", math.nan)
    if not (isinstance(value, (int, float)) and math.isfinite(value)) or value >= 0:
        return None
    reward = verdict.scenario.rewards.validator_reward + REPAIR_SAFETY * -value
    return {"rewards.validator_reward": _ceil_3g(reward)}


def _ceil_3g(x: float) -> float:
    """``x`` rounded up to 3 significant digits (never below ``x``)."""
    step = 10.0 ** (math.floor(math.log10(x)) - 2)
    return float(f"{math.ceil(x / step - 1e-9) * step:.3g}")


def _fine_to_deter(design, answers, score: redteam.AttackScore, fine0: float, margin: float, seeds: int = 0) -> float:
    """The fine f x S at which ``score``'s attack is projected to lose ``margin`` at its one-sided
    bound (see :func:`repair`); inf when the detection slope does not beat the slashes' noise."""
    from gaia_sim import deterrence

    if not (math.isfinite(score.mean) and math.isfinite(score.ci_high)) or fine0 <= 0:
        return math.inf
    tpr = guilty_rate(score)
    scenario = design.with_overrides(attacks_mod.combine(score.chosen))
    slope, factor, share = math.inf, 0.0, slash_share(score)
    for b in attacks_mod.attacker_behaviours(score.chosen):
        d = deterrence.from_scenario(
            scenario, answers, behaviour=b, tpr=tpr, fpr=0.0, verdict_rates=True, slash_share=share
        )
        slope = min(slope, (d.p_detect * d.pass_probability - d.false_positive) * d.rule_factor)
        factor = max(factor, d.rule_factor)
    w0, lump = (x * shrink(score, seeds) for x in spread(score, fine0, factor))
    if not slope > lump:
        return math.inf
    excess = lambda f: score.mean - slope * (f - fine0) + math.hypot(w0, lump * f) + margin  # noqa: E731
    if excess(fine0) <= 0:
        return fine0
    low, high = fine0, 2.0 * fine0
    while excess(high) > 0:  # decreasing (convex, slope > lump): it crosses zero once
        low, high = high, 2.0 * high
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (low, mid) if excess(mid) <= 0 else (mid, high)
    return high


def shrink(score: redteam.AttackScore, seeds: int) -> float:
    """How much ``score``'s one-sided half-width narrows from its seeds (n) to ``seeds`` (N >= n) at
    the same spread per seed: t(N - 1) sqrt(n) / (t(n - 1) sqrt(N)) at the score's level; 1 when
    N <= n or n < 2."""
    from scipy import stats

    n = len(score.gains)
    if seeds <= n or n < 2:
        return 1.0
    q = 1.0 - (1.0 - score.level) / 2.0
    return float(stats.t.ppf(q, seeds - 1) / stats.t.ppf(q, n - 1) * math.sqrt(n / seeds))


def slash_share(score: redteam.AttackScore) -> float:
    """The attacker's slashes per guilty verdict as measured (the evidence_threshold rule slashes only
    the verdicts whose evidence reaches its threshold; the closed form's ``slash_share``); 1 when the
    score does not count them (an older score: every verdict slashes, the closed form's default)."""
    guilty = score.counts.get("attacker_guilty", 0.0)
    if "attacker_slashes" not in score.counts or guilty <= 0:
        return 1.0
    return min(1.0, score.counts["attacker_slashes"] / guilty)


def spread(score: redteam.AttackScore, fine0: float, factor: float) -> tuple[float, float]:
    """(w0, L): the one-sided bound's half-width of ``score`` at fine F is taken as hypot(w0, L F).
    w0 = ci_high - mean, all of today's spread (it already holds the slashes' share at F0: counted
    twice, pessimistic); L = t(the score's one-sided level, seeds - 1) x ``factor`` x the standard error of the attacker's
    guilty verdicts per node-epoch, the larger of the binomial one over every node-epoch and the
    seeds' own spread (bursts and repeat convictions make verdicts clumpy). Without the counts it
    needs (an older score): (0, w0 / F0), every token of today's spread growing with the fine."""
    from scipy import stats

    w0 = score.ci_high - score.mean
    n = score.counts.get("attacker_node_epochs", 0.0)
    rates = [r for r in score.verdict_rates if math.isfinite(r)]
    if n <= 0 or not rates:
        return 0.0, w0 / fine0
    r = min(1.0, score.counts.get("attacker_guilty", 0.0) / n)
    se = math.sqrt(r * (1.0 - r) / n)
    if len(rates) >= 2:
        se = max(se, statistics.stdev(rates) / math.sqrt(len(rates)))
    t = float(stats.t.ppf(1.0 - (1.0 - score.level) / 2.0, max(len(score.gains) - 1, 1)))
    return w0, t * factor * se


# ---- verification by simulation ------------------------------------------------------------------
@dataclass
class Verdict:
    """One design verified by simulation."""

    levers: dict[str, Any]
    scenario: Any
    cost: dict[str, float]
    attacks: list[redteam.AttackScore]
    constraints: dict[str, dict[str, Any]]
    closed_form: dict[str, float] = field(default_factory=dict)
    origin: str = "candidate"  # a sampled candidate, or the repair of the design verified before it
    seed: int | None = None  # the seed it was verified on (:func:`verification_seed`)

    @property
    def passed(self) -> bool:
        return all(c["pass"] for c in self.constraints.values())


@dataclass
class Recommendation:
    """The outcome: the recommended design (``passed``), or the closest one verified."""

    best: Verdict | None
    history: list[Verdict]
    pruned: dict[str, int]  # candidates ruled out: by the closed form's bounds, by it at measured rates
    n_candidates: int
    settings: dict[str, Any]

    @property
    def found(self) -> bool:
        return self.best is not None and self.best.passed


def recommend(
    base,
    plan: Budget,
    seed: int = 0,
    runner: redteam.Runner | None = None,
    levers: Mapping[str, Range | Choice] = LEVERS,
    margin: float = 0.0,
    max_false_slash: float = 1e-3,
    answers=None,
    progress: bool = True,
    deployments: list[str] | None = None,
    max_share: float = attacks_mod.SHARE.high,
    tolerance: float = 0.0,
    hold: Mapping[str, Any] | None = None,
) -> Recommendation:
    """Search the ``levers`` for the cheapest design of ``base`` that passes (a), (b) and (c);
    ``hold``: levers held at a value in every candidate (:func:`candidates`, :func:`held`);
    ``tolerance``: tokens per node-epoch an attack may gain at most even if never convicted and
    pass (c) as immaterial (:func:`gaia_sim.sweep.redteam.immaterial`; 0: every attack must lose);
    ``deployments``: the attacks the red team may deploy (default: every registered one);
    ``max_share``: the threat model, the largest share of the nodes one deployment may hold (the
    scenario's own cheaters are kept as the scenario has them)."""
    from tqdm import tqdm

    from gaia_sim.runner import check_sample_budget, load_answers

    answers = answers if answers is not None else load_answers(base.answers)
    runner = runner or redteam.Runner()
    deployments = list(deployments or attacks_mod.deployments())
    known = [attacks_mod.within_share({n: attacks_mod.attack(n).defaults()}, max_share) for n in deployments]
    own = attacks_mod.of_scenario(base)  # the scenario's own threat: confirmed against every design
    known += [own] if own else []
    pool = []
    for lv in candidates(base, levers, plan.candidates, seed, hold):
        try:
            design = base.with_overrides(lv, "recommend")
            check_sample_budget(design, answers)
        except UserError:
            continue  # refused by the schema (e.g. the scenario's max_fraction) or the answer source
        pool.append((lv, design))
    pool.sort(key=lambda c: design_cost(c[1])["total"])
    levers = held_levers(levers, hold)  # what repairs may change: never a held lever
    settings = {
        "seed": seed,
        "margin": margin,
        "tolerance": tolerance,
        "max_false_slash": max_false_slash,
        "budget": dataclasses.asdict(plan),
        "deployments": deployments,
        "scenario_attack": own,
        "max_share": max_share,
        "paired": runner.paired,
        **({"hold": dict(hold)} if hold else {}),  # only when held: unheld searches write the bytes they did
    }
    history, found, pruned, tried, floor = [], [], {"closed_form": 0, "measured_rates": 0}, set(), 0
    measured: list[tuple[tuple, dict, float]] = []  # (detection key, attack, measured guilty-verdict rate)
    bar = tqdm(total=plan.designs * _runs_per_design(base, plan), unit="run", desc="recommend", disable=not progress)
    with bar:
        fix, origin = None, "candidate"
        for _ in range(plan.designs):
            if fix is None:
                origin = "candidate"
                pick = _next(pool, tried, pruned, answers, known + found, measured, floor)
                if pick is None:
                    break
                fix = pool[pick]
            lv, design = fix
            on = verification_seed(seed, origin, len(history))
            verdict = verify(
                design,
                lv,
                plan,
                on,
                runner,
                answers,
                found,
                margin,
                max_false_slash,
                bar,
                deployments,
                own,
                max_share,
                tolerance,
            )
            verdict.origin, verdict.seed = origin, on
            history.append(verdict)
            if verdict.passed:
                return Recommendation(verdict, history, pruned, len(pool), settings)
            found += [
                a.chosen
                for a in verdict.attacks
                if not redteam.deterred(a, margin, tolerance) and a.chosen not in found
            ]
            measured += [(detection_key(design, c), c, tpr) for c, tpr in _rates(verdict.attacks)]
            if not verdict.constraints["deterrence"]["pass"]:  # look first where probes ask more
                floor = max(floor, answers_per_probe(design))
            fix, origin = repair(verdict, base, answers, levers, margin, plan.confirm_seeds + plan.more_seeds), "repair"
            if fix is not None and any(h.levers == fix[0] for h in history):
                fix = None
    return Recommendation(max(history, key=closeness, default=None), history, pruned, len(pool), settings)


def verification_seed(seed: int, origin: str, verified: int) -> int:
    """The seed a design is verified on (red team, confirmations, honest null runs): the search's
    own for every sampled candidate (common random numbers: candidates are compared on the same
    seeds), a fresh one for each repair (the ``verified``-th design). A repair's fine is projected
    from the conviction counts of the attacks the design lost to, on the seeds it lost on; verified
    on those seeds again it re-observes the counts it was fitted to, and passes more often than it
    deters (e038: a repair that passed at -0.47 on its seeds was undecided on fresh ones, bounds
    +0.79 to +1.17)."""
    if origin != "repair":
        return int(seed)
    return rngs.spawn_seeds(int(seed) + 2_000_003, verified + 1)[-1]


def closeness(v: Verdict) -> tuple:
    """How close a design that failed came to passing (larger is closer), what names the closest
    design verified: first the constraints no repair mends (false slashing, node participation)
    that it passes, then its worst attack's upper bound (lower is closer: deterrence is what the
    fine and the probes must buy), then the constraints it passes, then its cost (cheaper). e037's
    search verified a 2 x 2 design failing only on deterrence (worst bound +0.86) and the repair of
    a 5 x 5 design failing on deterrence (+0.40) and on the validators' reward, which a reward
    repair mends: the second is the closer."""
    c = v.constraints
    fixed = sum(c[k]["pass"] for k in c if k not in REPAIRABLE)
    worst = c.get("deterrence", {}).get("value", math.inf)
    worst = worst if isinstance(worst, (int, float)) and math.isfinite(worst) else math.inf
    return fixed, -worst, sum(x["pass"] for x in c.values()), -v.cost["total"]


def answers_per_probe(design) -> int:
    """Answers a probe asks of a node: questions x samples per question."""
    return design.probes.questions_per_epoch * design.probes.samples_per_question


def _next(pool, tried: set, pruned: dict, answers, known: list, measured: list, floor: int = 0) -> int | None:
    """Index of the cheapest candidate not tried that the closed form does not rule out (marks the
    ones it rules out as tried, counting them in ``pruned``), among those whose probes ask more than
    ``floor`` answers (:func:`answers_per_probe`) if any such is left, else among all; None when
    none is left."""
    if floor:
        stronger = [c if answers_per_probe(c[1]) > floor else None for c in pool]  # None: not asked now
        pick = _next(stronger, tried, pruned, answers, known, measured)
        if pick is not None:
            return pick
    for i, candidate in enumerate(pool):
        if i in tried or candidate is None:
            continue
        _lv, design = candidate
        tried.add(i)
        rates = [(c, tpr) for key, c, tpr in measured if no_stronger(detection_key(design, c), key)]
        b = bounds(design, answers, known, rates)
        if b["participation"] < 0 or b["deterrence"] < 0:
            pruned["closed_form"] += 1
        elif b["measured_deterrence"] < 0:
            pruned["measured_rates"] += 1
        else:
            return i
    return None


def guilty_rate(score: redteam.AttackScore) -> float:
    """The attacker's guilty verdicts per probe, pooled over its behaviours and seeds; 0 when none of
    its nodes was probed (pessimistic: no evidence of detection)."""
    probed = score.counts.get("attacker_probed", 0.0)
    return score.counts.get("attacker_guilty", 0.0) / probed if probed else 0.0


def _rates(scores: list) -> list[tuple[dict, float]]:
    """(attack, its pooled guilty-verdict rate per probe) of every attack whose nodes were probed."""
    out = []
    for a in scores:
        if a.counts.get("attacker_probed", 0.0) > 0:
            out.append((a.chosen, guilty_rate(a)))
    return out


def _runs_per_design(base, plan: Budget) -> int:
    confirmed = plan.confirm + (attacks_mod.of_scenario(base) is not None)
    return len(_null_seeds(0, base, plan)[0]) + plan.trials * plan.seeds + confirmed * plan.confirm_seeds


def _null_seeds(seed: int, base, plan: Budget) -> tuple[list[int], int]:
    """Seeds and epochs of the all-honest runs: two runs, long enough for ``null_node_epochs``."""
    nodes = base.network.nodes_per_domain * base.network.domains
    epochs = max(plan.epochs, math.ceil(plan.null_node_epochs / (2 * nodes)))
    return rngs.spawn_seeds(int(seed) + 1_000_003, 2), epochs


def null_scenarios(design, seed: int, plan: Budget) -> list:
    """All-honest runs of the design (strategies frozen): where wrongful verdicts and slashes show."""
    seeds, epochs = _null_seeds(seed, design, plan)
    honest = {f"population.{b}": 0.0 for b in design.population.model_dump()} | {"population.honest": 1.0}
    over = honest | redteam.FROZEN | {"epochs": epochs}
    return [design.with_overrides({**over, "seed": s}) for s in seeds]


def verify(
    design,
    levers,
    plan,
    seed,
    runner,
    answers,
    known,
    margin,
    max_false_slash,
    bar=None,
    deployments=None,
    own=None,
    max_share=None,
    tolerance=0.0,
) -> Verdict:
    """Simulate the all-honest runs and the red team against ``design``; check (a), (b), (c)."""
    from gaia_sim import deterrence
    from gaia_sim.outcomes import rate_upper_bound

    null_rows = runner.rows(null_scenarios(design, seed, plan), bar)
    short = design.with_overrides({"epochs": plan.epochs})
    search = redteam.search_attacks(
        short,
        plan.trials,
        seed,
        plan.seeds,
        plan.confirm,
        plan.confirm_seeds,
        plan.batch,
        runner,
        known,
        deployments,
        bar,
        [own] if own else None,
        max_share,
        plan.more_seeds,
        margin,
        plan.edges,
        tolerance,
    )
    honest = _sum(null_rows, "honest")
    for a in search.confirmed:
        honest = {k: honest[k] + a.counts.get(f"honest_{k}", 0.0) for k in honest}
    slash_ub = rate_upper_bound(honest["slashes"], honest["node_epochs"])
    verdict_ub = rate_upper_bound(honest["guilty"], honest["probed"])
    d = deterrence.from_scenario(design, answers, behaviour="honest", tpr=1.0, fpr=verdict_ub, verdict_rates=True)
    constraints = {
        "false_slashing": {
            "value": slash_ub,
            "limit": max_false_slash,
            "pass": slash_ub <= max_false_slash,
            "slashes": honest["slashes"],
            "node_epochs": honest["node_epochs"],
        },
        "participation": {
            "value": d.participation_margin,
            "limit": 0.0,
            "pass": d.participation_margin >= 0,
            "honest_verdict_rate_ub": verdict_ub,
            "simulated_honest_profit": _mean(null_rows, "profit_per_node_honest"),
        },
        "validator_participation": validator_participation(design, null_rows),
        "deterrence": deterrence_constraint(search.confirmed, margin, tolerance),
    }
    closed = {a.label: closed_form_margin(design, answers, a, verdict_ub) for a in search.confirmed}
    return Verdict(dict(levers), design, design_cost(design), search.confirmed, constraints, closed)


def deterrence_constraint(confirmed: list, margin: float, tolerance: float = 0.0) -> dict[str, Any]:
    """Constraint (c): the largest one-sided upper bound of the gain over the ``confirmed`` attacks
    that are not :func:`~gaia_sim.sweep.redteam.immaterial` at ``tolerance``, <= -``margin``. An
    attack whose gain has no upper bound (NaN) counts as unbounded; no confirmed attack at all
    fails (nothing was shown). ``immaterial``: the labels passed by the tolerance."""
    material = [a for a in confirmed if not redteam.immaterial(a, tolerance)]
    worst = max((math.inf if math.isnan(a.ci_high) else a.ci_high for a in material), default=math.inf)
    if confirmed and not material:
        worst = -math.inf  # every attack found is immaterial
    out = {"value": worst, "limit": -margin if margin else 0.0, "pass": worst <= -margin}
    if tolerance > 0:
        out |= {"tolerance": tolerance, "immaterial": [a.label for a in confirmed if a not in material]}
    return out


def validator_participation(design, null_rows: list[dict]) -> dict[str, Any]:
    """Constraint (b) for honest validators: their mean simulated profit per validator-epoch in the
    all-honest runs less the capital cost of the validator stake (:func:`gaia_sim.costs.capital_cost`)
    per epoch, >= 0; no measurement (NaN) fails."""
    profit = _mean(null_rows, "profit_per_validator_honest")
    capital = float(
        costs.capital_cost(design.staking.validator_stake, design.staking.capital_rate, design.network.epoch_hours)
    )
    value = profit - capital
    return {
        "value": value,
        "limit": 0.0,
        "pass": bool(value >= 0),  # NaN >= 0 is False
        "simulated_validator_profit": profit,
        "validator_capital_cost": capital,
    }


def closed_form_margin(design, answers, score: redteam.AttackScore, fpr: float) -> float:
    """The deterrence margin the closed form gives the attack at the measured guilty-verdict rates
    (the attacker's pooled over its behaviours; none seen: 0, pessimistic); lowest over its
    behaviours."""
    from gaia_sim import deterrence

    scenario = design.with_overrides(attacks_mod.combine(score.chosen))
    tpr = guilty_rate(score)
    out = math.inf
    for b in attacks_mod.attacker_behaviours(score.chosen):
        d = deterrence.from_scenario(scenario, answers, behaviour=b, tpr=tpr, fpr=fpr, verdict_rates=True)
        out = min(out, d.margin + bribe_per_node(scenario, b))
    return out


def _sum(rows: list[dict], behaviour: str) -> dict[str, float]:
    keys = ("node_epochs", "slashes", "probed", "guilty")
    return {k: float(sum(r.get(f"{k}_{behaviour}", 0.0) for r in rows)) for k in keys}


def _mean(rows: list[dict], key: str) -> float:
    vals = [r[key] for r in rows if key in r and not math.isnan(r[key])]
    return float(sum(vals) / len(vals)) if vals else math.nan


# ---- what it prints and writes ---------------------------------------------------------------------
def as_json(rec: Recommendation, scenario_path: str) -> dict[str, Any]:
    """The recommendation file (format: docs/mechanism.md)."""
    v = rec.best
    return {
        "scenario": scenario_path,
        "status": "recommended" if rec.found else "none_found",
        "design": v.levers if v else {},
        "attacks": [a.as_dict() | {"closed_form_margin": v.closed_form.get(a.label)} for a in v.attacks] if v else [],
        "cost": v.cost if v else {},
        "constraints": v.constraints if v else {},
        "candidates": rec.n_candidates,
        "pruned_by_closed_form": rec.pruned["closed_form"],
        "pruned_by_measured_rates": rec.pruned["measured_rates"],
        "verified": [
            {
                "design": h.levers,
                "origin": h.origin,
                "seed": h.seed,
                "cost": h.cost["total"],
                "passed": {k: c["pass"] for k, c in h.constraints.items()},
                "attacks": [a.as_dict() | {"guilty_per_probe": guilty_rate(a)} for a in h.attacks],
            }
            for h in rec.history
        ],
        "settings": rec.settings,
    }
