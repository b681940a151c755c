"""e063: does ``probes.exploration = 0`` slow a learned selector's response when the cheating moves to
other questions?

e062 measured exploration 0 against 0.2 with cheaters that never change. Here a validator history
(``learned_ucb_contrast``, ``default_nearest`` at alpha 0.01, 30 nodes, 3 cheaters, 5 questions x 5
answers, honest Gemma-2-9B nodes from both runs, all answers) faces Llama-3.1-8B serving as 9B for
``--switch`` epochs, then Gemma-2-27B serving as 9B (the hard swap, told apart on other questions)
for as many more. Each epoch, as in the simulation: the selector chooses the questions
(``QuestionSelector.choose(5)``), the detector judges every asked question, and the selector learns
from that verdict. Per arm (exploration 0.2 and 0) and epoch: cheaters caught, honest nodes flagged.
Both arms of a seed and history start from one seed of their own (the same trials' randomness is not
shared: the questions differ).

Run: PYTHONPATH=. .venv/bin/python experiments/e063_moving_cheaters/measure.py --seeds 50,...,57 --out FILE.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from gaia_sim import evaluation as ev
from gaia_sim.answers import gaia_real
from gaia_sim.detector import QuestionSelector, assess

SELECTION, ALPHA, HISTORIES = "learned_ucb_contrast", 0.01, 5
HONEST, BEFORE, AFTER = "gemma-2-9b", "llama-3-1-8b", "gemma-2-27b"
SHARES = (0.2, 0.0)


def history(pools, share: float, switch: int, rng) -> list[dict]:
    """One validator history: per epoch the cheaters caught and honest nodes flagged."""
    selector = QuestionSelector.for_choice(SELECTION, len(pools[HONEST].emb), explore=share)
    rows = []
    for epoch in range(2 * switch):
        spec = ev.TrialSpec(HONEST, BEFORE if epoch < switch else AFTER, 30, 3, 5, 5, (0, 1), (0, 1))
        qs = selector.choose(spec.questions, rng)
        x, labels, _ = ev.make_trial(pools, spec, rng, questions=qs)
        verdict = assess(x, alpha=ALPHA, detector="default_nearest")
        selector.update(qs, verdict)
        rows.append({"caught": int(verdict.flagged[labels].sum()), "flagged": int(verdict.flagged[~labels].sum())})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=",".join(str(s) for s in range(50, 58)))
    ap.add_argument("--switch", type=int, default=20, help="epochs before the cheaters move (as many after)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    pools = ev.real_pools(gaia_real.load_real())
    out, t0 = [], time.perf_counter()
    for seed in (int(s) for s in args.seeds.split(",")):
        for h in range(HISTORIES):
            for a, share in enumerate(SHARES):
                rows = history(pools, share, args.switch, np.random.default_rng([seed, h, a]))
                out.append({"seed": seed, "history": h, "exploration": share, "epochs": rows})
        late = {s: [r for r in out if r["seed"] == seed and r["exploration"] == s] for s in SHARES}
        print(
            f"seed {seed}: caught after the move (of {3 * args.switch * HISTORIES}) "
            + "  ".join(f"{s}: {sum(e['caught'] for r in late[s] for e in r['epochs'][args.switch :])}" for s in SHARES)
            + f"  ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        Path(args.out).write_text(json.dumps({"switch": args.switch, "rows": out}, separators=(",", ":")))


if __name__ == "__main__":
    main()
