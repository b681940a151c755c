"""e025's predictor: the imitation line of a drawn network (falsified by e025; kept to reproduce it).

The penalty at which the model's own revision rule (:func:`gaia_sim.strategy.revise`), run on the
drawn network's per-stack *expected* payoffs, leaves the honest share where it started. Written as a
toy before e024's run, it matched e024's model-swap cells after the run; e025 placed fresh cells
around it and found the simulated model-swap line +0.25 C above it (lazy +0.30 C): imitation on
expected payoffs does not predict where a 30-node network ends. Used by
``experiments/e018_boundary_drawn_c/plan.py --saving imitation``.
"""

from __future__ import annotations

import numpy as np

from gaia_sim.deterrence import _net_by_stack, drawn_network


def imitation_drift(
    scenario, answers, behaviour: str, penalty: float, reps: int = 20, net: dict | None = None
) -> float:
    """Mean change of the honest share (over the last 10% of the run's epochs, as the run summary
    reads it, minus its start) when the drawn network's operators (:func:`gaia_sim.deterrence.drawn_network`) revise by
    the model's own rule (:func:`gaia_sim.strategy.revise`, the scenario's dynamics, rate, scale and
    noise) on *expected* payoffs: an honest node on stack s earns its net there
    (:func:`gaia_sim.deterrence.epoch_economics`), a ``behaviour`` node its net there minus ``penalty``, the expected
    extra loss per epoch of cheating ((p pass - q) x what an upheld verdict costs, as
    :attr:`gaia_sim.deterrence.Deterrence.margin` counts it). No slashing noise, entry, exit or detection that moves
    with the cheaters' share: the imitation between stacks alone. ``reps`` seeded replicates, the
    same random numbers at every ``penalty`` (so the drift falls with the penalty). ``net``: the
    per-stack nets when already computed."""
    from gaia_sim import rng as rngs
    from gaia_sim import strategy

    stacks, behaviours = drawn_network(scenario, answers)
    if net is None:
        roles = sorted(set(stacks))
        net = {b: dict(zip(roles, _net_by_stack(scenario, answers, b, roles))) for b in ("honest", behaviour)}
    honest = np.array([net["honest"][s] for s in stacks])
    cheat = np.array([net[behaviour][s] for s in stacks]) - penalty
    sp, epochs = scenario.strategy, scenario.epochs
    start = behaviours == behaviour
    tail = max(1, int(np.ceil(0.1 * epochs)))
    drift = []
    for rep in range(reps):
        rng = rngs.stream(scenario.seed, "imitation-drift", rep)
        code, eligible, share = start.astype(np.int64), np.ones(len(stacks), bool), []
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
    Without differences between stacks it is the switch saving (:func:`gaia_sim.deterrence.switch_saving`); with them,
    imitation compares operators on different stacks, and a run's honest share moves as if the
    penalty were larger (experiment e024: a parameter-free version of this, written before e024's
    run, put the model-swap cells on the side the simulation took in 8 of 8, the switch saving in 6).
    Bisection over [0, 3 x the largest per-stack saving] (``steps`` halvings)."""
    stacks, _ = drawn_network(scenario, answers)
    roles = sorted(set(stacks))
    net = {b: dict(zip(roles, _net_by_stack(scenario, answers, b, roles))) for b in ("honest", behaviour)}
    lo, hi = 0.0, 3.0 * max(abs(net[behaviour][s] - net["honest"][s]) for s in roles)
    if imitation_drift(scenario, answers, behaviour, lo, reps, net) >= 0:
        return lo
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if imitation_drift(scenario, answers, behaviour, mid, reps, net) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
