"""e035 follow-up: how much of an attack's measured gain is noise that pairing would remove.

The red team scores an attack by the attacker's profit per node-epoch minus the honest nodes' in
the same run (`outcomes.attack_gain`). For an attack that barely departs from honest serving, most
of that difference is which stacks and traffic the attacker's nodes drew. Pairing compares the
attacker's nodes with *themselves* in a twin run of the same seed where they serve honestly (the
attack's share handed back to honest: the node ids, their stacks and the traffic streams are drawn
the same, `attacks.honest_twin`). Both estimators per seed, their mean, spread and
one-sided 95% t bound.

Run: PYTHONPATH=. .venv/bin/python experiments/e035_edges_red_team/paired_gain.py [--seeds 10] [--design N] [--attack N]
(``--design``/``--attack``: indices into recommendation.json's verified designs and that design's
attacks; default the last repair, 8 KB questions x 5 answers, and its worst attack, low-precision
answers on 2% of answers by 6% of nodes.)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy import stats

from gaia_sim import attacks
from gaia_sim.model import GaiaModel
from gaia_sim.runner import load_answers
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep.redteam import FROZEN

HERE = Path(__file__).resolve().parent


def per_node(scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(profit summed per node, node-epochs played per node, behaviour per node) of one run."""
    model = GaiaModel(scenario, load_answers(scenario.answers))
    n = len(model.state.behaviour)
    profit, played = np.zeros(n), np.zeros(n)
    record = model.recorder.record

    def grab(state, out):
        p = out.settlement.revenue - out.settlement.cost - out.slashing.slashed
        profit[:] += np.where(out.traffic.played, p, 0.0)
        played[:] += out.traffic.played
        return record(state, out)

    model.recorder.record = grab
    for _ in range(scenario.epochs):
        model.step()
    return profit, played, np.array(model.state.behaviour, dtype=object)


def rate(profit, played, mask) -> float:
    return float(profit[mask].sum() / max(played[mask].sum(), 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--design", type=int, default=10)
    ap.add_argument("--attack", type=int, default=0)
    args = ap.parse_args()
    doc = json.loads((HERE / "recommendation.json").read_text())
    verified = doc["verified"][args.design]
    chosen = verified["attacks"][args.attack]["params"]
    design = load_scenario("scenarios/model_swap.toml").with_overrides(verified["design"] | {"epochs": 60})
    over = attacks.combine(chosen) | FROZEN
    who = attacks.attacker_behaviours(chosen)
    attack, twin = design.with_overrides(over), design.with_overrides(attacks.honest_twin(chosen) | FROZEN)
    print(
        f"design {args.design}: {verified['design']}\nattack: {attacks.describe(chosen)}; twin: its share served honestly"
    )
    usual, paired = [], []
    for seed in range(1, args.seeds + 1):
        pa, na, ba = per_node(attack.with_overrides({"seed": seed}))
        pt, nt, _ = per_node(twin.with_overrides({"seed": seed}))
        mine = np.isin(ba, who)
        usual.append(rate(pa, na, mine) - rate(pa, na, ba == "honest"))
        paired.append(rate(pa, na, mine) - rate(pt, nt, mine))
        print(f"seed {seed}: attacker nodes {int(mine.sum())}, usual {usual[-1]:+.4f}, paired {paired[-1]:+.4f}")
    for name, g in (("usual (attacker - honest nodes)", usual), ("paired (attacker - itself honest)", paired)):
        g = np.asarray(g)
        half = stats.t.ppf(0.95, len(g) - 1) * g.std(ddof=1) / np.sqrt(len(g))
        print(f"{name:36s} mean {g.mean():+.4f}  sd {g.std(ddof=1):.4f}  one-sided 95% bound {g.mean() + half:+.4f}")


if __name__ == "__main__":
    main()
