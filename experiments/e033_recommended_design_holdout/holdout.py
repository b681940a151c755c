"""e033: a fresh red team (another seed) against the design `gaia-sim recommend` returned.

Run: PYTHONPATH=. .venv/bin/python experiments/e033_recommended_design_holdout/holdout.py [--seed 2] [--workers 2]
    [--design TOML] [--attacks A,B] [--edges N] [--paired] [--second-look SEEDS] [--tolerance T] [--out FILE]
The search's settings (recommend.BUDGETS["large"], max share 0.1, the scenario's own attack
required); by default e033's design and deployments (model_swap); e034 passes its own. ``--edges
1``: the red team also tries the edges of its best attack (the search's setting from e035 on; 0,
the default, is e033's and e034's red team). ``--paired``: gains against each attacker's honest twin
(e036). See hypothesis.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gaia_sim import attacks
from gaia_sim.scenario import load_scenario
from gaia_sim.sweep import recommend as rec
from gaia_sim.sweep import redteam
from gaia_sim.sweep.cli_recommend import breakdown_text, never_text

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--design", default=str(HERE / "recommended.toml"))
    ap.add_argument("--attacks", default="model_swap", help="deployments, comma-separated")
    ap.add_argument("--edges", type=int, default=0, help="best attacks whose edge variants are tried (0: none)")
    ap.add_argument("--paired", action="store_true", help="score gains against honest twins (sweep/paired.py)")
    ap.add_argument("--second-look", type=int, help="seeds of the second look (default: the large budget's, 15)")
    ap.add_argument("--tolerance", type=float, default=0.0, help="recommend --tolerance: immaterial attacks (e040)")
    ap.add_argument("--out")
    args = ap.parse_args()
    plan = rec.budget("large", args.second_look)
    design = load_scenario(args.design)
    own = attacks.of_scenario(design)
    backend = redteam.PAIRED_BACKEND if args.paired else redteam.Runner.backend
    runner = redteam.Runner("pool", args.workers, backend=backend)
    t0 = time.perf_counter()
    search = redteam.search_attacks(
        design.with_overrides({"epochs": plan.epochs}),
        plan.trials,
        args.seed,
        plan.seeds,
        plan.confirm,
        plan.confirm_seeds,
        plan.batch,
        runner,
        None,
        args.attacks.split(","),
        None,
        [own] if own else None,
        0.1,
        plan.more_seeds,
        0.0,
        args.edges,
        args.tolerance,
    )
    honest = {k: sum(a.counts.get(f"honest_{k}", 0.0) for a in search.confirmed) for k in ("node_epochs", "slashes")}
    rows = [a.as_dict() | {"guilty_per_probe": rec.guilty_rate(a)} for a in search.confirmed]
    for r in rows:
        print(f"{r['profit_over_honest']:8.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}] x {r['seeds']}  {r['params']}")
        if r["breakdown"]:
            print(f"{'':8s} = {breakdown_text(r['breakdown'])}{never_text(r)}")
    best_trial = max(t.mean for t in search.trials)
    print(f"best trial mean over the search seeds {best_trial:.3f}; honest {honest}; {time.perf_counter() - t0:.0f} s")
    print("H1 (every mean < 0):", all(r["profit_over_honest"] < 0 for r in rows))
    print("H2 (every bound <= 0):", all(r["ci_high"] <= 0 for r in rows))
    if args.tolerance > 0:
        ok = all(redteam.deterred(a, 0.0, args.tolerance) for a in search.confirmed)
        immaterial = [a.label for a in search.confirmed if redteam.immaterial(a, args.tolerance)]
        print(f"every attack deterred or immaterial at tolerance {args.tolerance:g}: {ok}; immaterial: {immaterial}")
    if args.out:
        doc = {
            "seed": args.seed,
            "design": args.design,
            "attacks": args.attacks,
            "edges": args.edges,
            "paired": args.paired,
            "tolerance": args.tolerance,
            "confirmed": rows,
        }
        doc |= {"honest": honest, "best_trial_mean": best_trial}
        Path(args.out).write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
