"""e036: an e035 attack scored two ways on the same runs: the mean of per-seed gains (the red team's
score before e036) and the gain pooled over seeds (`outcomes.pooled_gain`, the score since).

Run: PYTHONPATH=. .venv/bin/python experiments/e036_pooled_gain/reanalyse_e035.py DESIGN ATTACK SEEDS
(indices into e035's recommendation.json: ``8 0 20`` is the 5 x 5 design, stake 130, against no-KB
bursts on 10% of epochs; ~2 min on the 2-core machine).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from gaia_sim import attacks
from gaia_sim.outcomes import mean_interval, pooled_gain
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep.redteam import FROZEN, LEVEL

E035 = Path(__file__).resolve().parent.parent / "e035_edges_red_team"
sys.path.insert(0, str(E035))
import paired_gain  # noqa: E402  (e035's script, beside this folder)


def run_sums(scenario, who) -> tuple[float, float, float, float]:
    """(attacker profit, attacker node-epochs, honest profit, honest node-epochs) of one run, from
    e035's per-node profits (``paired_gain.per_node``)."""
    profit, played, b = paired_gain.per_node(scenario)
    mine, honest = np.isin(b, who), b == "honest"
    return profit[mine].sum(), played[mine].sum(), profit[honest].sum(), played[honest].sum()


def main() -> None:
    design_i, attack_i, seeds = (int(a) for a in sys.argv[1:4])
    verified = json.loads((E035 / "recommendation.json").read_text())["verified"][design_i]
    chosen = verified["attacks"][attack_i]["params"]
    design = load_scenario("scenarios/model_swap.toml").with_overrides(verified["design"] | {"epochs": 60})
    attack, who = design.with_overrides(attacks.combine(chosen) | FROZEN), attacks.attacker_behaviours(chosen)
    print(f"design {design_i}: {verified['design']}\nattack: {attacks.describe(chosen)}")
    sums = [run_sums(attack.with_overrides({"seed": s}), who) for s in range(1, seeds + 1)]
    x = np.asarray(sums)
    per_seed = x[:, 0] / x[:, 1] - x[:, 2] / x[:, 3]
    print("attacker node-epochs per seed:", x[:, 1].astype(int).tolist())
    print("per-seed gains:", np.round(per_seed, 3).tolist())
    m, _, hi = mean_interval(per_seed, LEVEL)
    print(f"mean of per-seed gains {m:+.3f}  sd {per_seed.std(ddof=1):.3f}  one-sided 95% bound {hi:+.3f}")
    g, _, hi = pooled_gain(sums, LEVEL)
    print(f"pooled over seeds      {g:+.3f}                one-sided 95% bound {hi:+.3f}")


if __name__ == "__main__":
    main()
