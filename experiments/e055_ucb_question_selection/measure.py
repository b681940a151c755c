"""e055's confirmatory run: `default_nearest`'s decisions on item 1's protocol (e049 / e053: 30 nodes,
3 cheaters, 5 learned questions x 5 answers, five learned question sets of 40 verdicts per seed and
swap, 20 learning epochs, learned from the default's verdicts) with the question selector's
upper-confidence bonus at ``--bonus`` (0: "learned", the selector before e055, bit for bit; 1:
"learned_ucb"); see hypothesis.md.

Run: PYTHONPATH=.:tests .venv/bin/python experiments/e055_ucb_question_selection/measure.py \
    --bonus 0|1 [--seeds 98,...,121] [--out FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import time
import warnings
from pathlib import Path

from screen import e053_measure

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bonus", type=float, required=True)
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(98, 122)))
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    choice = {0.0: "learned", 1.0: "learned_ucb"}[args.bonus]  # the run patched the bonus in; the same numbers
    ev.learn_questions = functools.partial(ev.learn_questions, selection=choice)  # e053's rows learn through it
    measure = e053_measure()
    learn, judge = ev.split_pools(ev.real_pools(gaia_real.load_real()), 0.4)
    out, t0 = [], time.perf_counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        for honest, cheat in ev.REAL_PAIRINGS:
            spec = ev.TrialSpec(honest, cheat, 30, 3, 5, 5, (0, 1), (0, 1))
            rows = measure.question_set_rows(judge, learn, spec, seed, 20)
            out.append({"bonus": args.bonus, "seed": seed, "pairing": f"{cheat} as {honest}", "sets": rows})
            caught = sum(r["caught"] for r in rows) / sum(r["cheaters"] for r in rows)
            flagged = sum(r["flagged"] for r in rows) / sum(r["honest"] for r in rows)
            print(
                f"bonus {args.bonus} seed {seed} {cheat:13s} as {honest:12s} decision TPR {caught:.4f} honest "
                f"{flagged:.4f} per set TPR " + " ".join(f"{r['caught'] / r['cheaters']:.3f}" for r in rows),
                flush=True,
            )
            if args.out:
                Path(args.out).write_text(json.dumps({"rows": out, "seconds": time.perf_counter() - t0}, indent=1))


if __name__ == "__main__":
    main()
