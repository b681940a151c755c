"""The paired backend: each run simulated beside its honest twin, its attackers' gain paired.

A sweep backend (``Runner(backend="gaia_sim.sweep.paired")``; the red team's ``paired`` option):
``simulate(scenario)`` runs the scenario and its **twin** (every cheating behaviour's share handed
back to honest nodes, :func:`gaia_sim.attacks.twin_population`: the same node ids, stacks and
traffic streams, every node serving honestly) and returns the scenario's result with
:func:`gaia_sim.outcomes.paired_columns` added to its summary: each cheating behaviour's profit and
node-epochs, and the same operators' in the twin. Twice the simulations; in exchange an attack's
gain is measured against the attacker's own nodes serving honestly rather than against other nodes
with other stacks and traffic (e035: a near-honest attack's spread per seed 0.76 -> 0.13).
"""

from __future__ import annotations

from gaia_sim.scenario import load_scenario  # noqa: F401  (a backend exposes load_scenario and simulate)

NAME = "gaia_sim.sweep.paired"


def simulate(scenario, progress: bool = False, answers=None):
    """The scenario's :class:`~gaia_sim.runner.RunResult`, its summary holding the paired columns."""
    from gaia_sim import attacks, outcomes
    from gaia_sim.runner import simulate as run

    result = run(scenario, progress=progress, answers=answers)
    twin = scenario.with_overrides(attacks.twin_population(scenario.population.model_dump()))
    result.summary = result.summary | outcomes.paired_columns(result.nodes, run(twin, answers=answers).nodes)
    return result
