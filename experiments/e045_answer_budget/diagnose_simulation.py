"""e045 run 2, diagnosis: which of `default_nearest`'s tests the honest false guilty verdicts come
from, how often each test gives an honest node p < 0.01 in one epoch, and whether some honest nodes
draw low p-values epoch after epoch (a persistent offset that sequential evidence accumulates).

Same simulation as run 2 (e011's settings: `scenarios/baseline.toml`, strategies frozen, 5 samples
per question, 100 epochs); the detector's details and the evidence's flags are recorded per epoch.

Run: .venv/bin/python experiments/e045_answer_budget/diagnose_simulation.py [--questions 8]
     [--mix colluders|honest] [--seeds 1,2,...] [--detector default_nearest]
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

import numpy as np

import gaia_sim.detector as det
from gaia_sim.detector import sequential
from gaia_sim.epoch.parallel import domain_runner
from gaia_sim.model import GaiaModel
from gaia_sim.runner import load_answers
from gaia_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TESTS = ("p_location", "p_dispersion", "p_share", "p_nearest_stack")
MIXES = {"colluders": {"population.honest": 0.7, "population.colluding": 0.3}, "honest": {"population.honest": 1.0}}


def record(scenario, answers, name: str):
    """Run ``scenario`` with the detector ``name`` wrapped: (state, [(details, node ids, evidence flags)] per epoch)."""
    calls, updates = [], []
    detector, update = det.DETECTORS[name], sequential.EvidenceAccumulator.update

    def detect(x, alpha, **options):
        result = detector(x, alpha, **options)
        calls.append(result.details)
        return result

    def accumulate(self, ids, p_values, groups=None):
        flags = update(self, ids, p_values, groups)
        updates.append((np.asarray(list(ids)), flags.copy()))
        return flags

    det.DETECTORS[name], sequential.EvidenceAccumulator.update = detect, accumulate
    try:
        with domain_runner(1, answers.embedding_matrix()) as domains:
            model = GaiaModel(scenario, answers, domains)
            for _ in range(scenario.epochs):
                model.step()
    finally:
        det.DETECTORS[name], sequential.EvidenceAccumulator.update = detector, update
    return model.state, [(d, ids, flags) for d, (ids, flags) in zip(calls, updates, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=int, default=8)
    ap.add_argument("--mix", choices=MIXES, default="colluders")
    ap.add_argument("--seeds", default="1,2,3,4,5,6,7,8")
    ap.add_argument("--detector", default="default_nearest")
    args = ap.parse_args()
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    over = {
        **{f"population.{b}": 0.0 for b in base.population.model_dump()},
        **MIXES[args.mix],
        "probes.samples_per_question": 5,
        "probes.questions_per_epoch": args.questions,
        "strategy.dynamics": "none",
        "epochs": 100,
        "detector.name": args.detector,
    }
    answers = load_answers(base.answers)
    lowest, low01, seen = collections.Counter(), collections.Counter(), 0
    tail = {level: collections.Counter() for level in (1e-3, 1e-4)}  # counts: expected level x node-epochs
    persistent, nodes = collections.Counter(), 0
    for seed in (int(s) for s in args.seeds.split(",")):
        state, epochs = record(base.with_overrides({**over, "seed": seed}), answers, args.detector)
        per_node = collections.defaultdict(lambda: collections.defaultdict(list))
        for details, ids, flags in epochs:
            for j, i in enumerate(ids):
                if state.behaviour[i] != "honest":
                    continue
                seen += 1
                ps = {t: float(details[t][j]) for t in TESTS}
                for t, p in ps.items():
                    low01[t] += int(p < 0.01)
                    for level, counts in tail.items():
                        counts[t] += int(p < level)
                    per_node[t][i].append(p)
                if flags[j]:
                    lowest[min(ps, key=lambda t: 9.0 if np.isnan(ps[t]) else ps[t])] += 1
                    print(
                        f"seed {seed}: honest node {i} ({state.stack_role[i]}) convicted; "
                        + ", ".join(f"{t[2:]} {p:.1e}" for t, p in ps.items())
                    )
        for t in TESTS:
            shares = [np.mean(np.array(v) < 0.05) for v in per_node[t].values() if len(v) >= 20]
            persistent[t] += int(sum(s >= 0.15 for s in shares))
        nodes += sum(len(v) >= 20 for v in per_node["p_location"].values())
    print(f"{args.detector}, {args.questions} x 5, {args.mix}, seeds {args.seeds}: {seen} honest node-epochs")
    print("  convictions of honest nodes by their lowest test:", dict(lowest))
    print("  share of honest node-epochs at p < 0.01, per test:", {t: round(low01[t] / seen, 4) for t in TESTS})
    for level, counts in tail.items():
        print(f"  honest node-epochs at p < {level:g} (about {level * seen:.1f} expected per test):", dict(counts))
    print(
        f"  honest nodes (probed >= 20 times) with p < 0.05 in >= 15% of their epochs, per test (of {nodes}):",
        dict(persistent),
    )


if __name__ == "__main__":
    main()
