"""e040 H3: the hold-out's attacks whose bound was above 0, rescored paired on fresh seeds against
the design: the gain, the whole gain's t bound (what the red team held below 0 before e040), the
bound it holds now (outcomes.gain_upper_bound), the parts, and the runs that lost a whole fine.

Run: PYTHONPATH=. .venv/bin/python experiments/e040_slash_count_bound/rescore.py --holdout JSON
    [--design TOML] [--first 1001] [--seeds 200] [--workers 2] [--out JSON]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gaia_sim.attacks import describe
from gaia_sim.outcomes import pooled_gain, slashed_per_run
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam
from gaia_sim.sweep.cli_recommend import breakdown_text, never_text

HERE = Path(__file__).resolve().parent
DESIGN = HERE.parent / "e039_burst_cusum" / "recommended.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--holdout", required=True)
    ap.add_argument("--design", default=str(DESIGN))
    ap.add_argument("--first", type=int, default=1001)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out")
    args = ap.parse_args()
    paying = [a for a in json.loads(Path(args.holdout).read_text())["confirmed"] if a["ci_high"] > 0]
    design = load_scenario(args.design).with_overrides({"epochs": rec.BUDGETS["large"].epochs})
    runner = redteam.Runner("pool", args.workers, backend=redteam.PAIRED_BACKEND)
    seeds = list(range(args.first, args.first + args.seeds))
    t0, rows = time.perf_counter(), []
    for a, s in zip(paying, redteam.score_attacks(design, [a["params"] for a in paying], seeds, runner)):
        fined = int((slashed_per_run(s.sums, s.parts) >= s.fine * (1 - 1e-9)).sum())
        t_high = pooled_gain(s.sums, s.level)[2]
        row = {"params": s.chosen, "holdout": [a["profit_over_honest"], a["ci_high"], a["seeds"]]}
        row |= {"mean": s.mean, "t_high": t_high, "high": s.ci_high, "seeds": len(s.gains), "runs_fined": fined}
        row |= {"fine": s.fine, "capacity": s.capacity, "breakdown": s.breakdown}
        row |= {"if_never_convicted": s.as_dict()["if_never_convicted"]}
        row |= {"slashes": s.counts["attacker_slashes"], "node_epochs": s.counts["attacker_node_epochs"]}
        row |= {"guilty": s.counts["attacker_guilty"], "probed": s.counts["attacker_probed"]}
        rows.append(row)
        print(
            f"hold-out {a['profit_over_honest']:+.3f} [.., {a['ci_high']:+.3f}] x {a['seeds']} -> {s.mean:+.3f}"
            f" t bound {t_high:+.3f}, bound {s.ci_high:+.3f} x {len(s.gains)}  {describe(s.chosen)}"
        )
        print(
            f"       = {breakdown_text(s.breakdown)}{never_text(s.as_dict())}; {fined} of {len(s.gains)} runs lost"
            f" a fine of {s.fine:.0f};"
            f" slashes {row['slashes']:.0f} in {row['node_epochs']:.0f} node-epochs (capacity {s.capacity:.0f} per run);"
            f" guilty verdicts {row['guilty']:.0f} in {row['probed']:.0f} probes",
            flush=True,
        )
    print(f"{time.perf_counter() - t0:.0f} s")
    print(
        "every bound < 0 (H4):",
        all(r["high"] < 0 for r in rows),
        "; the t bound alone > 0 (H3):",
        all(r["t_high"] > 0 for r in rows),
    )
    if args.out:
        Path(args.out).write_text(json.dumps({"seeds": [seeds[0], seeds[-1]], "rescored": rows}, indent=1))


if __name__ == "__main__":
    main()
