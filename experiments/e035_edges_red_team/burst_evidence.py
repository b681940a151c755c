"""e035 diagnosis: why no-KB bursts on a quarter of epochs are never convicted at 8 KB questions x 2
answers (e034's design), and what another e-process would change.

1. Per-epoch node p-values of the detector (sequential evidence off) on e034's design with 3 no-KB
   servers of 30, always cheating, strategies frozen, a small fine (stake 10, fraction 0.1: convicted
   servers stay in and keep answering), seeds 0..SEEDS-1 x 40 epochs.
2. Monte Carlo over those p-values: nodes cheating in a share of 60 epochs (p drawn from the
   cheaters' epochs, else from the honest nodes'), the chance that the evidence reaches 1/alpha =
   100 within 60 epochs: the simulation's product of mixture-calibrated e-values
   (gaia_sim.detector.sequential) against an average over betting fractions lambda of
   prod(1 - lambda + lambda e_t) (a test supermartingale too; Waudby-Smith & Ramdas 2023, JRSS-B
   86:1), and with honest p-values replaced by uniform ones (what a detector whose null p-values
   are exact rather than conservative would give).

Run: PYTHONPATH=. .venv/bin/python experiments/e035_edges_red_team/burst_evidence.py [--seeds 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gaia_sim.detector.sequential import mixture_calibrator
from gaia_sim.epoch import judge
from gaia_sim.model import GaiaModel
from gaia_sim.runner import load_answers
from gaia_sim.scenario import load_scenario

DESIGN = Path(__file__).resolve().parent.parent / "e034_recommended_design_no_replay" / "recommended.toml"
LAMBDAS = np.array([1.0, 0.5, 0.25, 0.125, 0.0625])


def p_values(
    seeds: int, epochs: int = 40, design: Path = DESIGN, nodes: dict | None = None, extra: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(no-KB servers', honest nodes') per-epoch node p-values; ``nodes``, if given, receives
    (seed, node id) of each p-value under the same keys ("kb_swapping", "honest"); ``extra``: more
    scenario overrides."""
    base, out = load_scenario(str(design)), {"kb_swapping": [], "honest": []}
    ids = {b: [] for b in out}
    original, seed = judge.decide, 0

    def grab(state, probed, flags, scores, p, own=None):
        for b in out:
            m = state.behaviour[probed] == b
            out[b] += list(p[m])
            ids[b] += [(seed, int(i)) for i in probed[m]]
        return original(state, probed, flags, scores, p, own)

    judge.decide = grab
    try:
        for seed in range(seeds):
            s = base.with_overrides(
                {"seed": seed, "epochs": epochs, "population.honest": 0.9, "population.model_swapping": 0.0,
                 "population.kb_swapping": 0.1, "behaviours.kb_swapping.swap_to": "no_kb",
                 "strategy.revision_rate": 0.0, "detector.sequential": False,
                 "staking.node_stake": 10.0, "slashing.slash_fraction": 0.1, **(extra or {})}
            )  # fmt: skip
            model = GaiaModel(s, load_answers(s.answers))
            for _ in range(epochs):
                model.step()
    finally:
        judge.decide = original
    if nodes is not None:
        nodes.update(ids)
    return np.array(out["kb_swapping"]), np.array(out["honest"])


def convicted(e_cheat, e_honest, share: float, rng, runs: int = 4000, epochs: int = 60) -> tuple[float, float]:
    """P(evidence >= 100 within ``epochs``): product e-process, betting mixture."""
    cheat = rng.random((runs, epochs)) < share
    e = np.where(cheat, rng.choice(e_cheat, (runs, epochs)), rng.choice(e_honest, (runs, epochs)))
    log_w = np.log(1 - LAMBDAS[:, None, None] + LAMBDAS[:, None, None] * e[None]).cumsum(-1)
    mixture = np.log(np.exp(log_w).mean(0))
    return float((log_w[0] >= np.log(100)).any(-1).mean()), float((mixture >= np.log(100)).any(-1).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    cheat, honest = p_values(args.seeds)
    floor = 1e-3  # the accumulator's p_floor
    e_cheat, e_honest = mixture_calibrator(np.maximum(cheat, floor)), mixture_calibrator(np.maximum(honest, floor))
    print(f"{len(cheat)} no-KB and {len(honest)} honest node-epochs")
    print("no-KB p quantiles 10/25/50/75/90%:", np.quantile(cheat, [0.1, 0.25, 0.5, 0.75, 0.9]).round(4))
    print(
        f"honest p = 1: {np.mean(honest > 0.999):.2f}; mean e-value honest {e_honest.mean():.3f}, no-KB {e_cheat.mean():.2f}"
    )
    rng = np.random.default_rng(0)
    uniform = mixture_calibrator(np.maximum(rng.random(20000), floor))
    print(
        "share of epochs cheated | P(convicted in 60 epochs): product, betting mixture | honest p uniform: product, mixture"
    )
    for share in (1.0, 0.5, 0.34, 0.25, 0.15, 0.0):
        a, b = convicted(e_cheat, e_honest, share, rng)
        c, d = convicted(e_cheat, uniform, share, rng)
        print(f"{share:5.2f} | {a:.3f} {b:.3f} | {c:.3f} {d:.3f}")


if __name__ == "__main__":
    main()
