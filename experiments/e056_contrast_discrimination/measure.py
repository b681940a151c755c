"""e056's confirmatory run: `default_nearest`'s decisions on item 1's protocol (e049 / e053 / e055: 30
nodes, 3 cheaters, 5 learned questions x 5 answers, five learned question sets of 40 verdicts per seed
and swap, 20 learning epochs, learned from the default's verdicts) with the selection ``learned_ucb``
(e055), its discrimination score the top share's (``--arm ucb``) or the contrast of candidate.py
(``--arm ucb_contrast``); see hypothesis.md. The run patched candidate.py's score in; the arm is now
the library's choice ``learned_ucb_contrast`` (``QuestionSelector.CHOICES``), which gives the same rows.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e056_contrast_discrimination/measure.py \
    --arm ucb|ucb_contrast [--seeds 122,...,145] [--epochs 20] [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from candidate import e053_measure  # noqa: E402

from gaia_sim import evaluation as ev  # noqa: E402
from gaia_sim.answers import gaia_real  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arm", choices=("ucb", "ucb_contrast"), required=True)
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(122, 146)))
    ap.add_argument(
        "--epochs", type=int, default=20, help="learning epochs per validator history (item 1's protocol: 20)"
    )
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    selection = {"ucb": "learned_ucb", "ucb_contrast": "learned_ucb_contrast"}[args.arm]
    ev.learn_questions = functools.partial(ev.learn_questions, selection=selection)  # e053's rows learn through it
    measure = e053_measure()
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    out, t0 = [], time.perf_counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        for honest, cheat in ev.REAL_PAIRINGS:
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            rows = measure.question_set_rows(judge, learn, spec, seed, args.epochs)
            out.append({"arm": args.arm, "seed": seed, "pairing": f"{cheat} as {honest}", "sets": rows})
            caught = sum(r["caught"] for r in rows) / sum(r["cheaters"] for r in rows)
            flagged = sum(r["flagged"] for r in rows) / sum(r["honest"] for r in rows)
            print(
                f"{args.arm} seed {seed} {cheat:13s} as {honest:12s} decision TPR {caught:.4f} honest "
                f"{flagged:.4f} per set TPR " + " ".join(f"{r['caught'] / r['cheaters']:.3f}" for r in rows),
                flush=True,
            )
            if args.out:
                Path(args.out).write_text(json.dumps({"rows": out, "seconds": time.perf_counter() - t0}, indent=1))


if __name__ == "__main__":
    main()
