"""Red team: an optimiser searches the cheating parameters that maximise a cheater's gain.

The attacker controls some parameters of a scenario (how often and when to cheat, which cheaper
model to serve, the ring's size, ...); the protocol parameters stay fixed. Optuna's TPE sampler
(Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization", NeurIPS; Akiba et al. 2019,
"Optuna", KDD) proposes attacks; each is simulated over ``replications`` seeds spawned from the base
seed (common random numbers: every attack sees the same seeds) and scored by ``objective(result)``.
The study is seeded, trials run one after another, so the same inputs give the same best attack.

Space entries: ``{low, high[, log, integer]}`` ranges, or a list of choices. ``translate(params) -> overrides`` maps attacker parameters to scenario overrides (default:
the parameter names are scenario paths).

:func:`search_attacks` searches the registered attacker space instead (:mod:`gaia_sim.attacks`:
which attacks, combined, with which parameters) for the largest profit over honest per node-epoch,
with a confidence interval across seeds, on the sweep engine's executors (serial, process pool,
Dask); ``gaia-sim recommend`` (:mod:`gaia_sim.sweep.recommend`) plays it against each design.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from gaia_sim import attacks as attacks_mod
from gaia_sim.errors import UserError
from gaia_sim.sweep import cells as cells_mod

Objective = Callable[[Any, Mapping[str, Any]], float]


@dataclass(frozen=True)
class RedTeamResult:
    """Best attack found, its score, and every trial (parameters, score, per-seed metrics means)."""

    best_params: dict[str, Any]
    best_value: float
    trials: pd.DataFrame


def suggest(trial, name: str, spec: Any) -> Any:
    """One attacker parameter from its space entry (list = choices; ``{low, high}`` = range)."""
    if isinstance(spec, (list, tuple)) and spec:
        return trial.suggest_categorical(name, list(spec))
    if isinstance(spec, Mapping) and {"low", "high"} <= set(spec):
        if spec.get("integer"):
            return trial.suggest_int(name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log")))
        return trial.suggest_float(name, float(spec["low"]), float(spec["high"]), log=bool(spec.get("log")))
    raise UserError(
        f"red-team space {name!r}: must be a list of choices or {{low, high[, log, integer]}}, got {spec!r}"
    )


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def evaluate(
    base, overrides: Mapping[str, Any], objective: Objective, seeds: list[int], backend: str = cells_mod.DEFAULT_BACKEND
) -> tuple[float, dict[str, float]]:
    """Mean objective of one attack over ``seeds``, and the mean of every numeric summary metric."""
    module = cells_mod.backend(backend)
    scores, summaries = [], []
    for seed in seeds:
        scenario = base.with_overrides({**overrides, "seed": seed})
        result = module.simulate(scenario, progress=False)
        scores.append(float(objective(result, overrides)))
        summaries.append({k: float(v) for k, v in result.summary.items() if _num(v)})
    means = pd.DataFrame(summaries).mean(numeric_only=True).to_dict()
    return float(np.mean(scores)), means


def search(
    base,
    space: Mapping[str, Any],
    objective: Objective,
    trials: int = 30,
    seed: int = 0,
    replications: int = 2,
    translate: Callable[[dict], dict] | None = None,
    backend: str = cells_mod.DEFAULT_BACKEND,
) -> RedTeamResult:
    """Maximise ``objective`` over ``space`` with a seeded TPE study of ``trials`` trials."""
    import optuna

    from gaia_sim.rng import spawn_seeds

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seeds, rows = spawn_seeds(int(base.to_dict()["seed"]), replications), []
    translate = translate or (lambda p: dict(p))

    def run_trial(trial) -> float:
        params = {name: suggest(trial, name, spec) for name, spec in space.items()}
        score, means = evaluate(base, translate(params), objective, seeds, backend)
        rows.append({"trial": trial.number, **params, "objective": score, **means})
        return score if math.isfinite(score) else -math.inf

    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, trials))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(run_trial, n_trials=trials)
    return RedTeamResult(dict(study.best_params), float(study.best_value), pd.DataFrame(rows))


# ---- the registered attacker space (gaia_sim.attacks) -----------------------------------------
#: What every attack run holds fixed: strategies frozen, so the attacker's share stays as deployed
#: and its profit per node-epoch is what the attack earns, not what imitation made of it.
FROZEN = {"strategy.dynamics": "none"}
#: Two-sided level of an attack's interval across seeds: 90%, so each end is a one-sided 95% bound.
LEVEL = 0.90
#: The level of both looks when an undecided attack may be rescored on more seeds (two looks,
#: :func:`search_attacks`): Bonferroni's split of the 5% error, each upper bound one-sided 97.5%.
TWO_LOOK_LEVEL = 0.95
#: The backend that runs each attack beside its honest twin (``Runner(backend=PAIRED_BACKEND)``).
PAIRED_BACKEND = "gaia_sim.sweep.paired"


@dataclass(frozen=True)
class Runner:
    """Where simulations run: ``executor`` serial, pool (``workers`` processes) or dask
    (``scheduler``: an address, or ``local``), through the sweep engine's :func:`execute`. The
    results do not depend on it (every run is a pure function of its scenario)."""

    executor: str = "serial"
    workers: int | None = None
    scheduler: str | None = None
    backend: str = cells_mod.DEFAULT_BACKEND

    @property
    def paired(self) -> bool:
        """Runs come with their honest twin's paired columns (:mod:`gaia_sim.sweep.paired`)."""
        return self.backend == PAIRED_BACKEND

    def rows(self, scenarios: list, progress=None) -> list[dict[str, float]]:
        """One :func:`gaia_sim.outcomes.cell_row` per scenario, in order (duplicates run once)."""
        from gaia_sim.sweep.execute import Failure, execute

        todo = {s.hash: s for s in scenarios}
        done: dict[str, dict] = {}
        for key, row in execute(list(todo.items()), self.backend, (), self.executor, self.workers, self.scheduler):
            if isinstance(row, Failure):
                raise RuntimeError(f"simulation of scenario {key} failed:\n{row.error}")
            done[key] = row
            if progress is not None:
                progress.update(1)
        return [done[s.hash] for s in scenarios]


@dataclass(frozen=True)
class AttackScore:
    """One attack (attack name -> its parameters) against one design: the attacker's profit per
    node-epoch over an honest node's per seed (``gains``, :func:`gaia_sim.outcomes.attack_gain`:
    what the search steers by; with a paired runner, over its own nodes serving honestly in the
    seed's twin run, :func:`gaia_sim.outcomes.run_gain`) and, pooled over the seeds (``sums``, one
    :func:`gaia_sim.outcomes.gain_sums` each), the gain ``mean`` with its interval at :data:`LEVEL`
    (:func:`gaia_sim.outcomes.pooled_gain`, two-sided 90%: ``ci_high`` is the one-sided 95% upper
    bound that ``gaia-sim recommend`` holds below zero). A score built without ``sums`` carries the
    mean and interval it was given."""

    chosen: dict[str, dict[str, Any]]
    gains: tuple[float, ...]
    mean: float
    ci_low: float
    ci_high: float
    counts: dict[str, float] = field(default_factory=dict)  # summed over seeds: honest_* and attacker_*
    verdict_rates: tuple[float, ...] = ()  # per seed: the attacker's guilty verdicts per node-epoch
    level: float = LEVEL  # two-sided level of (ci_low, ci_high)
    sums: tuple[tuple[float, float, float, float], ...] = ()  # per seed: outcomes.gain_sums
    parts: tuple[dict[str, tuple[float, float]], ...] = ()  # per seed: outcomes.part_sums
    fine: float = 0.0  # tokens: the design's fine per conviction (fine_per_conviction)
    capacity: float = 0.0  # node-epochs: the most the attacker's nodes can play in one run
    never_convicted_high: float = math.inf  # upper bound of the gain had it never been convicted

    @property
    def breakdown(self) -> dict[str, float]:
        """The pooled gain's parts per node-epoch (:func:`gaia_sim.outcomes.gain_breakdown`):
        revenue - cost - slashed; empty without them."""
        from gaia_sim.outcomes import gain_breakdown

        return gain_breakdown(self.sums, self.parts) if self.sums else {}

    @property
    def label(self) -> str:
        return attacks_mod.describe(self.chosen)

    @property
    def best_seed(self) -> float:
        """The attacker's gain on its best seed (NaN when a seed has none): what the search steers
        by. Against a large fine a conviction on one of the search's few seeds makes an attack look
        ruinous in the mean, and the study would steer away from a region that on other seeds is
        never convicted (experiment e034); the best seed asks "can this pay?", and the confirmation
        on fresh seeds answers with the mean and its bound."""
        g = np.asarray(self.gains, float)
        return float(g.max()) if len(g) and not np.isnan(g).any() else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": " + ".join(self.chosen),
            "params": self.chosen,
            "profit_over_honest": self.mean,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "level": self.level,
            "seeds": len(self.gains),
            "breakdown": self.breakdown,
            "if_never_convicted": self.never_convicted_high if math.isfinite(self.never_convicted_high) else None,
            "break_even_conviction_rate": break_even_conviction_rate(self.never_convicted_high, self.fine),
            "convictions": {
                "slashes": self.counts.get("attacker_slashes", 0.0),
                "node_epochs": self.counts.get("attacker_node_epochs", 0.0),
            },
        }

    @classmethod
    def scored(
        cls, chosen, gains, sums, counts, verdict_rates, level: float = LEVEL, parts=(), fine=0.0, capacity=0.0
    ) -> "AttackScore":
        """The score of ``chosen`` from its runs: the gain pooled over their ``sums`` with its
        interval at ``level`` (:func:`gaia_sim.outcomes.pooled_gain`), the upper end
        :func:`gaia_sim.outcomes.gain_upper_bound` (with the ``parts``, one
        :func:`gaia_sim.outcomes.part_sums` per run, a ``fine`` per conviction and the attacker's
        ``capacity`` in node-epochs per run, it also bounds what was saved and what was slashed
        apart); without sums (an older score) the mean of the per-seed ``gains`` and its t interval."""
        from gaia_sim.outcomes import gain_upper_bound, mean_interval, pooled_gain

        never = math.inf
        if sums:
            mean, low, _ = pooled_gain(sums, level)
            high, never = gain_upper_bound(sums, parts, fine, capacity, level)
            interval = (mean, low, high)
        else:
            interval = mean_interval(gains, level)
        return cls(
            dict(chosen), tuple(gains), *interval, counts=counts, verdict_rates=tuple(verdict_rates), level=level,
            sums=tuple(sums), parts=tuple(parts), fine=fine, capacity=capacity, never_convicted_high=never,
        )  # fmt: skip

    def extended(self, more: "AttackScore") -> "AttackScore":
        """This attack's score over its seeds and ``more``'s (the same attack on other seeds), at
        this score's level."""
        counts = {k: self.counts.get(k, 0.0) + more.counts.get(k, 0.0) for k in self.counts | more.counts}
        return AttackScore.scored(
            self.chosen, self.gains + more.gains, self.sums + more.sums, counts,
            self.verdict_rates + more.verdict_rates, self.level, self.parts + more.parts, self.fine, self.capacity,
        )  # fmt: skip


def attack_scenarios(design, chosen: Mapping[str, Mapping[str, Any]], seeds: list[int]) -> list:
    """The scenarios one attack runs: the design with the attack's overrides, strategies frozen,
    once per seed (common random numbers: every attack sees the same seeds)."""
    over = attacks_mod.combine(chosen) | FROZEN
    return [design.with_overrides({**over, "seed": int(s)}) for s in seeds]


def score_attacks(
    design, chosen_list: list, seeds: list[int], runner: Runner, progress=None, level: float = LEVEL
) -> list[AttackScore]:
    """Every attack of ``chosen_list`` against ``design`` over ``seeds`` (one batch of runs), with
    intervals at the two-sided ``level``."""
    from gaia_sim.outcomes import attack_gain, gain_sums, part_sums, run_gain

    scenarios = [s for chosen in chosen_list for s in attack_scenarios(design, chosen, seeds)]
    rows, out, fine = runner.rows(scenarios, progress), [], fine_per_conviction(design)
    for i, chosen in enumerate(chosen_list):
        who, mine = attacks_mod.attacker_behaviours(chosen), rows[i * len(seeds) : (i + 1) * len(seeds)]
        sums = [gain_sums(r, who, runner.paired) for r in mine]
        gains = [run_gain(s) for s in sums] if runner.paired else [attack_gain(r, who) for r in mine]
        rates = [_verdict_rate(r, who) for r in mine]
        parts = [part_sums(r, who, runner.paired) for r in mine]
        capacity = attacker_capacity(scenarios[i * len(seeds)], who)
        score = AttackScore.scored(chosen, gains, sums, _counts(mine, who), rates, level, parts, fine, capacity)
        out.append(score)
    return out


def attacker_capacity(scenario, attacker: list[str]) -> float:
    """The most node-epochs the ``attacker`` behaviours' nodes can play in one run of ``scenario``:
    their starting node count (apportioned per domain, fixed by the scenario: ``epoch.state``) x
    epochs. Attack runs freeze strategies (:data:`FROZEN`), so no node turns to them."""
    from gaia_sim.epoch.state import apportion

    seats = apportion(scenario.network.nodes_per_domain, scenario.population.model_dump())
    return float(scenario.network.domains * sum(b in attacker for b in seats) * scenario.epochs)


def _verdict_rate(row: dict, attacker: list[str]) -> float:
    """The attacker's guilty verdicts per node-epoch in one run (NaN when it held no node-epoch)."""
    c = _counts([row], attacker)
    return c["attacker_guilty"] / c["attacker_node_epochs"] if c["attacker_node_epochs"] > 0 else float("nan")


def _counts(rows: list[dict], attacker: list[str]) -> dict[str, float]:
    """Honest nodes' node-epochs, slashes, probes and guilty verdicts, and the attacker's node-epochs,
    slashes, probes and guilty verdicts, summed over the runs."""
    total = lambda key, bs: float(sum(r.get(f"{key}_{b}", 0.0) for r in rows for b in bs))  # noqa: E731
    out = {f"honest_{k}": total(k, ["honest"]) for k in ("node_epochs", "slashes", "probed", "guilty")}
    return out | {f"attacker_{k}": total(k, attacker) for k in ("node_epochs", "slashes", "probed", "guilty")}


def suggest_attack(
    trial, deployments: list[str] | None = None, max_share: float | None = None
) -> dict[str, dict[str, Any]]:
    """One point of the attacker space: a deployment, then each modifier that acts on it (on or
    off; one that conflicts with those already chosen is left off), with their parameters. Optuna
    parameter names: ``deployment``, ``with.<modifier>``, ``<attack>.<parameter>``. ``max_share``:
    the threat model, the largest share of the nodes a deployment may hold (default: its space's)."""
    names = deployments or attacks_mod.deployments()
    dep = trial.suggest_categorical("deployment", list(names))
    chosen = {dep: _suggest_params(trial, dep, max_share)}
    for mod in attacks_mod.modifiers_for(dep):
        if not trial.suggest_categorical(f"with.{mod}", [False, True]):
            continue
        params = _suggest_params(trial, mod, max_share)
        try:
            attacks_mod.combine({**chosen, mod: params})
        except UserError:
            continue
        chosen[mod] = params
    return chosen


def _suggest_params(trial, name: str, max_share: float | None = None) -> dict[str, Any]:
    out = {}
    for key, spec in attacks_mod.attack(name).space.items():
        if key == "share" and max_share is not None:
            spec = dataclasses.replace(spec, high=min(spec.high, max_share))
        if isinstance(spec, attacks_mod.Choice):
            out[key] = trial.suggest_categorical(f"{name}.{key}", list(spec.options))
        elif spec.integer:
            out[key] = trial.suggest_int(f"{name}.{key}", int(spec.low), int(spec.high), log=spec.log)
        else:
            out[key] = trial.suggest_float(f"{name}.{key}", spec.low, spec.high, log=spec.log)
    return out


def trial_params(chosen: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The Optuna parameters that make :func:`suggest_attack` propose ``chosen`` (to enqueue a
    known attack as a trial)."""
    dep = next(n for n in chosen if attacks_mod.attack(n).deploys)
    out: dict[str, Any] = {"deployment": dep}
    for mod in attacks_mod.modifiers_for(dep):
        out[f"with.{mod}"] = mod in chosen
    for name, params in chosen.items():
        out |= {f"{name}.{k}": v for k, v in params.items()}
    return out


@dataclass(frozen=True)
class AttackSearch:
    """A red-team search: every trial's attack and its mean gain over the search seeds, in trial
    order, and the best ``confirmed`` attacks rescored over more seeds (best first)."""

    trials: list[AttackScore]
    confirmed: list[AttackScore]

    @property
    def best(self) -> AttackScore:
        return self.confirmed[0]


def search_attacks(
    design,
    trials: int = 12,
    seed: int = 0,
    seeds: int = 2,
    confirm: int = 3,
    confirm_seeds: int = 3,
    batch: int = 4,
    runner: Runner = Runner(),
    known: list | None = None,
    deployments: list[str] | None = None,
    progress=None,
    required: list | None = None,
    max_share: float | None = None,
    more_seeds: int = 0,
    margin: float = 0.0,
    edges: int = 0,
    tolerance: float = 0.0,
) -> AttackSearch:
    """Search the registered attacker space (:mod:`gaia_sim.attacks`) for the attack with the
    largest profit over honest against ``design`` (a Scenario: the protocol's parameters).

    A seeded TPE study (Bergstra et al. 2011) asks ``batch`` attacks at a time, each run over
    ``seeds`` seeds spawned from ``seed`` (the same seeds for every attack), and told their best
    seed's gain (:attr:`AttackScore.best_seed`); ``known`` attacks (e.g. found against another design) are tried first. The ``confirm``
    best distinct attacks, and every ``required`` one, are then rescored over ``confirm_seeds``
    other seeds for their interval. ``max_share`` (the threat model) caps every deployment's share,
    the ``known`` attacks' included (lowered to it).

    ``edges`` > 0: the study is followed by a local search around its ``edges`` best attacks, their
    :func:`edge_variants` (one continuous parameter at a time at an end of its range) scored on the
    search seeds; every variant that deploys a node and whose best seed gains more than ``-margin``
    (it may pay) is confirmed beside the ``confirm`` best. The attacks that pay against a design that convicts the
    blatant ones are often the least intense (the fewest epochs or answers cheated: experiment e034,
    bursts on a quarter of epochs never convicted beside bursts on a third that were), and a study
    told the best seed of two drifts to the intense ones, whose savings are larger.

    ``more_seeds`` > 0 allows a second look: a confirmed attack that loses ``margin`` in the mean
    but not at its bound (undecided: the fine's lumps spread the seeds) is rescored over
    ``more_seeds`` further seeds and judged on all of them. Both looks then use
    :data:`TWO_LOOK_LEVEL` (Bonferroni: the chance of calling a profitable attack deterred stays
    <= 5% over the two looks), so a second look can only be asked for, not bought with a laxer bound.
    An attack :func:`immaterial` at ``tolerance`` is not looked at again.
    The batch size, not the executor, fixes the order of asks and tells, so serial, pool and Dask
    runs give the same study, the same best attack and the same numbers."""
    import optuna

    from gaia_sim.rng import spawn_seeds

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    all_seeds = spawn_seeds(int(seed), seeds + confirm_seeds + more_seeds)
    search_seeds, confirm_seeds_ = all_seeds[:seeds], all_seeds[seeds : seeds + confirm_seeds]
    sampler = optuna.samplers.TPESampler(seed=int(seed), n_startup_trials=min(8, trials))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for chosen in known or []:
        study.enqueue_trial(trial_params(chosen if max_share is None else attacks_mod.within_share(chosen, max_share)))
    scored: list[AttackScore] = []
    while len(scored) < trials:
        asked = [study.ask() for _ in range(min(batch, trials - len(scored)))]
        chosen = [suggest_attack(t, deployments, max_share) for t in asked]
        for t, score in zip(asked, score_attacks(design, chosen, search_seeds, runner, progress)):
            study.tell(t, score.best_seed if math.isfinite(score.best_seed) else -1e12)
            scored.append(score)
    best = _distinct_best(scored, confirm)
    top, outcomes = [s.chosen for s in best], {_outcome(s) for s in best}
    if edges > 0:
        tried = {s.label for s in scored}
        variants = {  # one of each, none the study tried
            attacks_mod.describe(v): v
            for best in _distinct_best(scored, edges)
            for v in edge_variants(best.chosen, max_share)
            if attacks_mod.describe(v) not in tried
        }
        around = score_attacks(design, list(variants.values()), search_seeds, runner, progress) if variants else []
        scored += around
        for s in around:
            if _deployed(s) and _finite(s.best_seed) > -margin and s.chosen not in top and _outcome(s) not in outcomes:
                top.append(s.chosen)
                outcomes.add(_outcome(s))
    top += [c for c in required or [] if c not in top]
    level = TWO_LOOK_LEVEL if more_seeds > 0 else LEVEL
    confirmed = score_attacks(design, top, confirm_seeds_, runner, progress, level) if top else []
    if more_seeds > 0:
        more = all_seeds[seeds + confirm_seeds :]
        confirmed = second_look(design, confirmed, more, runner, margin, progress, tolerance)
    confirmed.sort(key=lambda s: -_finite(s.ci_high))
    return AttackSearch(scored, confirmed)


def edge_variants(chosen: Mapping[str, Mapping[str, Any]], max_share: float | None = None) -> list[dict]:
    """``chosen`` with one continuous parameter of one of its attacks at a time moved to the low end
    of its range, then to the high end (a deployment's ``share`` capped at ``max_share``, the
    threat model), in the order of ``chosen`` and of each attack's space; values it already holds
    are skipped. Choices are kept: they select a different attack, which the study explores."""
    out = []
    for name, params in chosen.items():
        for key, spec in attacks_mod.attack(name).space.items():
            if isinstance(spec, attacks_mod.Choice):
                continue
            high = min(spec.high, max_share) if key == "share" and max_share is not None else spec.high
            for end in dict.fromkeys((min(spec.low, high), high)):  # one end when the cap makes them meet
                end = int(end) if spec.integer else float(end)
                if end != params[key]:
                    out.append({n: (dict(p) | {key: end} if n == name else dict(p)) for n, p in chosen.items()})
    return out


def _deployed(score: AttackScore) -> bool:
    """The attack put at least one node in the network (a share too small for it deploys none)."""
    return score.counts.get("attacker_node_epochs", 0.0) > 0


def immaterial(score: AttackScore, tolerance: float) -> bool:
    """The designer's tolerance ``tolerance`` > 0 (tokens per node-epoch) covers the attack: even if
    it were never convicted it would gain at most that, at its bound
    (:attr:`AttackScore.never_convicted_high`, known from 20 seeds). An attack this close to honest
    cannot be shown to lose on any feasible number of seeds (e040: 0.004 saved per node-epoch,
    break-even at one conviction in ~300,000 node-epochs); whether it matters is the designer's call."""
    return within_tolerance(score.never_convicted_high, tolerance)


def within_tolerance(never_convicted_high: float | None, tolerance: float) -> bool:
    """The rule of :func:`immaterial` on the numbers a record holds (``if_never_convicted``, None
    when unknown): what ``attacks.png`` and the dashboard draw grey."""
    return tolerance > 0 and never_convicted_high is not None and never_convicted_high <= tolerance


def deterred(score: AttackScore, margin: float, tolerance: float = 0.0) -> bool:
    """The attack loses at least ``margin`` at its one-sided bound, or it is :func:`immaterial`."""
    return (math.isfinite(score.ci_high) and score.ci_high <= -margin) or immaterial(score, tolerance)


def undecided(score: AttackScore, margin: float, fine: float = 0.0, tolerance: float = 0.0) -> bool:
    """The attack loses ``margin`` in the mean but not at its one-sided bound; or it pays in the mean
    but would lose ``margin`` there if it had been convicted as often as its seeds allow
    (:func:`unseen_slashes` at a ``fine`` per conviction). Never when it is :func:`immaterial`."""
    if immaterial(score, tolerance):
        return False
    if score.mean <= -margin:
        return -margin < score.ci_high
    return score.mean - unseen_slashes(score, fine) <= -margin


def unseen_slashes(score: AttackScore, fine: float) -> float:
    """What convictions the attacker's seeds may have missed could cost it, in tokens per
    node-epoch: ``fine`` times the gap between the exact Poisson upper bound on its slashes per
    node-epoch (one-sided, at the score's level: chi2(q, 2k + 2) / 2 over its node-epochs, Garwood
    1936) and the rate its seeds showed (k slashes). Against a large fine an attack convicted about
    once in a thousand node-epochs loses, yet 5 seeds of 1-2 attacker nodes x 60 epochs expect 0.5
    convictions and most often show none (e038: no-KB bursts +0.52 on 5 seeds without a slash); such
    an attack is not shown to pay until more seeds are looked at. 0 without node-epochs or fine."""
    from scipy import stats

    n = score.counts.get("attacker_node_epochs", 0.0)
    if not (n > 0 and fine > 0):
        return 0.0
    k = score.counts.get("attacker_slashes", 0.0)
    upper = float(stats.chi2.ppf((1 + score.level) / 2, 2 * k + 2)) / 2
    return fine * (upper - k) / n


def break_even_conviction_rate(never_convicted_high: float, fine: float) -> float | None:
    """Convictions per attacker node-epoch, beyond what its honest twins suffer, at which an attack
    stops paying: what it would gain if never convicted (its bound, tokens per node-epoch,
    :attr:`AttackScore.never_convicted_high`) over the fine one conviction costs it
    (:func:`fine_per_conviction`), since each conviction rate r costs it r x fine per node-epoch.
    What the detector must reach for the design to deter the attack; e040's near-honest attack
    (+0.0043 if never convicted, fine 1,190) needs one conviction in ~280,000 node-epochs. None
    when the attack loses even if never convicted, or without a bound or a fine."""
    if not (math.isfinite(never_convicted_high) and never_convicted_high > 0 and fine > 0):
        return None
    return never_convicted_high / fine


def fine_per_conviction(design) -> float:
    """The design's fine for one conviction at its base slash fraction (tokens): slash fraction x
    node stake, as the repair reads it (graduated rules and jail only add to it)."""
    return design.slashing.slash_fraction * design.staking.node_stake


def second_look(
    design, confirmed: list, seeds: list[int], runner: Runner, margin: float, progress=None, tolerance: float = 0.0
) -> list:
    """``confirmed`` with every :func:`undecided` attack rescored over ``seeds`` as well."""
    fine = fine_per_conviction(design)
    todo = [i for i, s in enumerate(confirmed) if undecided(s, margin, fine, tolerance)]
    if not todo:
        return confirmed
    if progress is not None and getattr(progress, "total", None) is not None:
        progress.total += len(todo) * len(seeds)
    more = score_attacks(design, [confirmed[i].chosen for i in todo], seeds, runner, progress, confirmed[0].level)
    out = list(confirmed)
    for i, m in zip(todo, more):
        out[i] = confirmed[i].extended(m)
    return out


def _distinct_best(scored: list[AttackScore], k: int) -> list[AttackScore]:
    """The ``k`` best attacks by their best seed's gain (:attr:`AttackScore.best_seed`), one per
    attack label and one per outcome (NaN last)."""
    seen, outcomes, out = set(), set(), []
    for s in sorted(scored, key=lambda s: -_finite(s.best_seed)):
        if s.label not in seen and _outcome(s) not in outcomes:
            seen.add(s.label)
            outcomes.add(_outcome(s))
            out.append(s)
    return out[:k]


def _outcome(score: AttackScore) -> tuple:
    """What ``score``'s runs came out as, seed by seed. Attacks whose runs came out identical on the
    seeds scored are one attack played twice (shares 0.053 and 0.073 of 30 nodes both deploy 2
    nodes; e036's search spent five of its six confirmations on such copies): the red team confirms
    one of them."""
    return score.sums or score.gains


def _finite(x: float) -> float:
    """NaN as +inf: no evidence of a loss counts as a possible gain (pessimistic for the designer)."""
    return math.inf if math.isnan(x) else x
