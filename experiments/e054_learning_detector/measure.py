"""e054's confirmatory run: `default_nearest`'s decisions on item 1's protocol (e049 / e053: 30 nodes, 3
cheaters, 5 learned questions x 5 answers, five learned question sets of 40 verdicts per seed and
swap, 20 learning epochs) with the question sets learned from the verdicts of ``--learner`` (the
default's, e049/e053's protocol, or `default_nearest`'s, the detector that judges, as in the
simulation); see hypothesis.md.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e054_learning_detector/measure.py \
    --learner default|default_nearest [--seeds 74,...,97] [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import time
import warnings
from pathlib import Path

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real

E053 = Path(__file__).resolve().parent.parent / "e053_item1_question_sets"
LEARN = ev.learn_questions


def _e053_measure():
    spec = importlib.util.spec_from_file_location("e053_measure", E053 / "measure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learner", choices=("default", "default_nearest"), required=True)
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(74, 98)))
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    measure = _e053_measure()
    ev.learn_questions = functools.partial(LEARN, detector=args.learner)  # e053's rows learn through it
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    out, t0 = [], time.perf_counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        for honest, cheat in ev.REAL_PAIRINGS:
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            rows = measure.question_set_rows(judge, learn, spec, seed, 20)
            out.append({"learner": args.learner, "seed": seed, "pairing": f"{cheat} as {honest}", "sets": rows})
            caught = sum(r["caught"] for r in rows) / sum(r["cheaters"] for r in rows)
            flagged = sum(r["flagged"] for r in rows) / sum(r["honest"] for r in rows)
            print(
                f"{args.learner} seed {seed} {cheat:13s} as {honest:12s} decision TPR {caught:.4f} honest "
                f"{flagged:.4f} per set TPR " + " ".join(f"{r['caught'] / r['cheaters']:.3f}" for r in rows),
                flush=True,
            )
            if args.out:
                Path(args.out).write_text(json.dumps({"rows": out, "seconds": time.perf_counter() - t0}, indent=1))


if __name__ == "__main__":
    main()
