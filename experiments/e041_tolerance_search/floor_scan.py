"""e041 H4: where the tolerance meets the detector. Diluted cheaper-model attacks at several cheat
rates, with and without probe learning, scored paired on fresh seeds against a design: each either
loses at its bound, or gains at most the tolerance even if never convicted (immaterial), or neither
(a gap: material and not deterred). Prints each attack's gain, bound, never-convicted bound, the
conviction rate that would stop it paying and the convictions its runs showed.

Run: PYTHONPATH=. .venv/bin/python experiments/e041_tolerance_search/floor_scan.py
    [--design TOML] [--rates 0.1,0.2,0.3,0.4] [--share 0.07] [--first 2001] [--seeds 40]
    [--tolerance 0.05] [--workers 1] [--out JSON]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gaia_sim.attacks import describe
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam
from gaia_sim.sweep.cli_recommend import breakdown_text, never_text

DESIGN = Path(__file__).resolve().parent.parent / "e039_burst_cusum" / "recommended.toml"


def attacks(rates: list[float], share: float) -> list[dict]:
    """One diluted cheaper-model attack per cheat rate, without and then with probe learning."""
    diluted = [{"diluted": {"share": share, "cheat_rate": r, "swap_to": "cheaper_model"}} for r in rates]
    return diluted + [a | {"probe_learning": {}} for a in diluted]


def outcome(score: redteam.AttackScore, tolerance: float) -> str:
    if redteam.deterred(score, 0.0):
        return "loses at its bound"
    if redteam.immaterial(score, tolerance):
        return "immaterial"
    return "GAP: material and not deterred"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", default=str(DESIGN))
    ap.add_argument("--rates", default="0.1,0.2,0.3,0.4")
    ap.add_argument("--share", type=float, default=0.07, help="share of nodes attacking (0.07 of 30: 2 nodes)")
    ap.add_argument("--first", type=int, default=2001)
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--tolerance", type=float, default=0.05)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--out")
    args = ap.parse_args()
    design = load_scenario(args.design).with_overrides({"epochs": rec.BUDGETS["large"].epochs})
    runner = redteam.Runner("pool", args.workers, backend=redteam.PAIRED_BACKEND)
    seeds = list(range(args.first, args.first + args.seeds))
    chosen = attacks([float(r) for r in args.rates.split(",")], args.share)
    t0 = time.perf_counter()
    scores = redteam.score_attacks(design, chosen, seeds, runner, level=redteam.TWO_LOOK_LEVEL)
    rows = []
    for s in scores:
        verdict, entry = outcome(s, args.tolerance), s.as_dict()
        rows.append(entry | {"outcome": verdict, "fine": s.fine, "capacity": s.capacity})
        print(f"{s.mean:+.4f} [.., {s.ci_high:+.4f}] x {len(s.gains)}  {describe(s.chosen)}: {verdict}")
        print(f"         = {breakdown_text(s.breakdown)}{never_text(entry)}", flush=True)
    print(f"{time.perf_counter() - t0:.0f} s")
    print("no gap (H4):", all(not r["outcome"].startswith("GAP") for r in rows))
    if args.out:
        Path(args.out).write_text(
            json.dumps({"seeds": [seeds[0], seeds[-1]], "tolerance": args.tolerance, "scored": rows}, indent=1)
        )


if __name__ == "__main__":
    main()
